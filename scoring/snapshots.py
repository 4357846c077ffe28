"""Score snapshots: each enterprise's score, tier and factor contributions as they stood on
past dates, and what changed between two of them, factor by factor.

A snapshot on day T is the model applied to the measures as of T (``scoring.measures``: every
record dated after T left out, a hazard open at T if not rectified by T), so it is the score
the office would have seen that day — with today's model and today's enterprise register (the
register keeps no history of its own).

The dates (``[snapshots]`` of ``model.toml``): the last ``max_quarters`` quarter-ends up to
the as-of date, each enterprise's own inspection dates within those quarters, and the as-of
date. They are computed together, one query for all (enterprise, date) pairs
(``scoring.measures.measures_at_query``), not one pass per date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from scoring.measures import SCORED_COLUMNS, arrow_to_frame, measures_at_query
from scoring.model import Model, score

#: The columns of a snapshot table besides the factors' ``c_<id>``: the day, why it is there
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


#: The (enterprise, day) pairs snapshotted, with why each is there: every enterprise on every
#: day of ``$days`` (the quarter-ends ``$ends`` and the as-of date ``$t``), each on its own
#: inspection dates from ``$s`` to ``$t``; of the enterprises of part ``$part`` of ``$parts``
#: (by a hash of the credit code), so that a large city is snapshotted a part at a time.
PAIRS_SQL = """SELECT row_number() OVER () AS pid, uscc, snapshot_date, bool_or(q) AS quarter_end,
                  bool_or(i) AS inspected, snapshot_date = $t AS is_as_of
           FROM (SELECT e.uscc, d.snapshot_date, list_contains($ends::DATE[], d.snapshot_date) AS q, false AS i
                 FROM enterprise e CROSS JOIN (SELECT unnest($days::DATE[]) AS snapshot_date) d
                 WHERE hash(e.uscc) % $parts = $part
                 UNION ALL
                 SELECT uscc, date, false, true FROM inspection
                 WHERE date BETWEEN $s AND $t
                   AND uscc IN (SELECT uscc FROM enterprise WHERE hash(uscc) % $parts = $part))
           GROUP BY uscc, snapshot_date"""

#: The pairs of :data:`PAIRS_SQL` for the one enterprise ``$u``: each ledger read for it alone.
ONE_PAIRS_SQL = """SELECT row_number() OVER () AS pid, uscc, snapshot_date, bool_or(q) AS quarter_end,
                  bool_or(i) AS inspected, snapshot_date = $t AS is_as_of
           FROM (SELECT e.uscc, d.snapshot_date, list_contains($ends::DATE[], d.snapshot_date) AS q, false AS i
                 FROM (SELECT uscc FROM enterprise WHERE uscc = $u) e
                 CROSS JOIN (SELECT unnest($days::DATE[]) AS snapshot_date) d
                 UNION ALL
                 SELECT uscc, date, false, true FROM inspection
                 WHERE date BETWEEN $s AND $t AND uscc = $u AND uscc IN (SELECT uscc FROM enterprise))
           GROUP BY uscc, snapshot_date"""


def snapshot_days(as_of: dt.date, model: Model) -> dict[str, object]:
    """The parameters of :data:`PAIRS_SQL`: the quarter-ends of :func:`quarter_ends`
    (``ends``), those and ``as_of`` (``days``), the first day of the oldest of those quarters
    (``s``) and ``as_of`` (``t``)."""
    ends = quarter_ends(as_of, model.snapshots.max_quarters)
    return {"t": as_of, "s": dt.date(ends[0].year, ends[0].month - 2, 1), "ends": ends,
            "days": sorted(set(ends) | {as_of})}


def score_snapshots(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model, part: int = 0,
                    parts: int = 1, uscc: str | None = None) -> pd.DataFrame:
    """Snapshots: one row per pair of :data:`PAIRS_SQL` (in no order),
    with why the day is there (``quarter_end``, ``inspected``, ``is_as_of``), every factor's
    points (``c_<id>``), the score, the tier by points, the direct rules that held and the
    tier, each as of its ``snapshot_date``: one query for every pair
    (``scoring.measures.measures_at_query``), then ``scoring.model.score`` over its rows.
    ``part`` of ``parts``: only the enterprises of that part (:data:`PAIRS_SQL`); ``uscc``:
    only that enterprise (:func:`enterprise_snapshots`)."""
    one = uscc is not None
    sql = measures_at_query(model, pairs_sql=ONE_PAIRS_SQL if one else PAIRS_SQL, columns=SCORED_COLUMNS,
                            keep=("quarter_end", "inspected", "is_as_of"), one_enterprise=one)
    params = {**snapshot_days(as_of, model), **({"u": uscc} if one else {"part": part, "parts": parts})}
    measures = arrow_to_frame(con.execute(sql, params).to_arrow_table())
    scored = score(measures, model)  # rows in the order of the measures (no order needed: readers sort)
    out = measures[["uscc", "snapshot_date", "quarter_end", "inspected", "is_as_of"]].copy()
    for c in ("quarter_end", "inspected", "is_as_of"):
        out[c] = out[c].fillna(False).astype(bool)
    factors = [f.column for f in model.factors]
    for c in (*factors, "score", "points_tier", "direct_rules", "tier"):
        out[c] = scored[c].to_numpy()
    return out


def enterprise_snapshots(con: duckdb.DuckDBPyConnection, uscc: str, as_of: dt.date, model: Model) -> pd.DataFrame:
    """One enterprise's snapshots (:func:`score_snapshots`), oldest first: computed when its
    file is opened, from the ledgers the connection sees. Stored for every enterprise they were
    about 20 rows each, 20 million for a province, and three quarters again of a rebuild's
    time; for one enterprise they are one query over its own records."""
    out = score_snapshots(con, as_of, model, uscc=uscc)
    return out.sort_values("snapshot_date", kind="stable").reset_index(drop=True)


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
    snapshots : snapshots of one enterprise (:func:`enterprise_snapshots`) (``snapshot_date`` and ``c_<id>``)
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
