"""Score snapshots: each enterprise's score, tier and factor contributions as they stood on
past dates, and what changed between two of them, factor by factor.

A snapshot on day T is the model applied to the measures as of T (``scoring.measures``: every
record dated after T left out, a hazard open at T if not rectified by T), so it is the score
the office would have seen that day — with today's model and today's enterprise register (the
register keeps no history of its own).

The dates (``[snapshots]`` of ``model.toml``): the last ``max_quarters`` quarter-ends up to
the as-of date, each enterprise's own inspection dates within those quarters, and the as-of
date. They are computed together, one query for all (enterprise, date) pairs
(``scoring.measures.measures_at``), not one pass per date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from scoring.measures import measures_at
from scoring.model import Model, score

#: The columns of ``score_snapshot`` besides the factors' ``c_<id>``: the day, why it is there
#: (a quarter-end, one of the enterprise's inspection dates, the as-of date), score and tiers.
SNAPSHOT_COLUMNS = ("uscc", "snapshot_date", "quarter_end", "inspected", "is_as_of", "score", "points_tier",
                    "direct_rules", "tier")


def quarter_ends(as_of: dt.date, count: int) -> list[dt.date]:
    """The last ``count`` quarter-ends (31 March, 30 June, 30 September, 31 December) on or
    before ``as_of``, oldest first."""
    import calendar

    y, m = as_of.year, ((as_of.month - 1) // 3 + 1) * 3  # the last month of as_of's quarter
    out: list[dt.date] = []
    while len(out) < count:
        end = dt.date(y, m, calendar.monthrange(y, m)[1])
        if end <= as_of:
            out.append(end)
        y, m = (y, m - 3) if m > 3 else (y - 1, 12)
    return out[::-1]


def snapshot_pairs(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model) -> pd.DataFrame:
    """The (enterprise, date) pairs snapshotted: every enterprise on every quarter-end of
    :func:`quarter_ends` and on ``as_of``; each on its own inspection dates from the first day
    of the oldest of those quarters up to ``as_of``. Columns ``uscc``, ``snapshot_date``,
    ``quarter_end``, ``inspected``, ``is_as_of``."""
    ends = quarter_ends(as_of, model.snapshots.max_quarters)
    start = dt.date(ends[0].year, ends[0].month - 2, 1)  # the first day of the oldest quarter
    days = sorted(set(ends) | {as_of})
    return con.execute(
        """SELECT uscc, snapshot_date, bool_or(q) AS quarter_end, bool_or(i) AS inspected,
                  snapshot_date = $t AS is_as_of
           FROM (SELECT e.uscc, d.snapshot_date, d.snapshot_date IN (SELECT unnest($ends::DATE[])) AS q, false AS i
                 FROM enterprise e CROSS JOIN (SELECT unnest($days::DATE[]) AS snapshot_date) d
                 UNION ALL
                 SELECT uscc, date, false, true FROM inspection
                 WHERE date BETWEEN $s AND $t AND uscc IN (SELECT uscc FROM enterprise))
           GROUP BY uscc, snapshot_date ORDER BY uscc, snapshot_date""",
        {"t": as_of, "s": start, "ends": ends, "days": days}).df()


def score_snapshots(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model) -> pd.DataFrame:
    """The ``score_snapshot`` table: one row per pair of :func:`snapshot_pairs`, with every
    factor's points (``c_<id>``), the score, the tier by points, the direct rules that held and
    the tier, each as of its ``snapshot_date``."""
    pairs = snapshot_pairs(con, as_of, model)
    measures = measures_at(con, pairs[["uscc", "snapshot_date"]], model)
    scored = score(measures, model)  # rows in the order of the measures: (uscc, snapshot_date)
    keys = pairs.assign(snapshot_date=pd.to_datetime(pairs["snapshot_date"]).astype("datetime64[us]"))
    out = measures[["uscc", "snapshot_date"]].merge(keys, on=["uscc", "snapshot_date"], how="left")
    factors = [f.column for f in model.factors]
    for c in (*factors, "score", "points_tier", "direct_rules", "tier"):
        out[c] = scored[c].to_numpy()
    for c in ("quarter_end", "inspected", "is_as_of"):
        out[c] = out[c].fillna(False).astype(bool)
    return out[["uscc", "snapshot_date", "quarter_end", "inspected", "is_as_of", *factors, "score", "points_tier",
                "direct_rules", "tier"]]


@dataclass(frozen=True)
class Change:
    """One factor's contribution on two days and the difference (points)."""

    factor: str
    name: str
    group: str
    at_a: float
    at_b: float

    @property
    def change(self) -> float:
        return round(self.at_b - self.at_a, 6)


def score_change(snapshots: pd.DataFrame, model: Model, a: dt.date, b: dt.date) -> pd.DataFrame:
    """What changed in one enterprise's score from day ``a`` to day ``b``, factor by factor.

    Parameters
    ----------
    snapshots : rows of ``score_snapshot`` of one enterprise (``snapshot_date`` and ``c_<id>``)
    a, b : two of its snapshot dates

    Returns
    -------
    DataFrame
        One row per factor of the model, in the model's order: ``factor`` (id), ``name``,
        ``group``, ``at_a`` and ``at_b`` (points on each day) and ``change`` (``at_b - at_a``);
        then a row ``factor = "score"`` of the totals. The changes add up to the change of the
        score, since a score is the sum of its rounded parts.

    Raises
    ------
    KeyError
        A day that is not among the snapshots.
    """
    days = pd.to_datetime(snapshots["snapshot_date"]).dt.date
    rows = {}
    for day in (a, b):
        match = snapshots[(days == day).to_numpy()]
        if match.empty:
            raise KeyError(f"no snapshot on {day}")
        rows[day] = match.iloc[0]
    changes = [Change(f.id, f.name, f.group, float(rows[a][f.column]), float(rows[b][f.column])) for f in model.factors]
    table = pd.DataFrame({"factor": [c.factor for c in changes], "name": [c.name for c in changes],
                          "group": [c.group for c in changes], "at_a": [c.at_a for c in changes],
                          "at_b": [c.at_b for c in changes], "change": [c.change for c in changes]})
    total = {"factor": "score", "name": "", "group": "", "at_a": float(rows[a]["score"]),
             "at_b": float(rows[b]["score"]), "change": round(float(rows[b]["score"]) - float(rows[a]["score"]), 6)}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def changed_factors(change: pd.DataFrame) -> pd.DataFrame:
    """The factor rows of :func:`score_change` whose points differ, and the total row."""
    moved = ~np.isclose(change["change"].to_numpy(dtype=float), 0.0) | (change["factor"] == "score").to_numpy()
    return change[moved].reset_index(drop=True)
