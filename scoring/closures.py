"""Closures that are checked (issue 17, part 3): the re-inspection sample of closed hazards, the
flags on closures that look wrong, the share of closures that survive a re-check, and the
escalation ladder of overdue hazards. Every threshold is in ``model.toml`` (``[closures]``,
:class:`scoring.model.Closures`); ``docs/MODEL.md`` defines each measure.

A *closure* is a hazard whose 验收销号 date (``closed_on``) is on or before T. The functions on
frames are pure (literal rows in, answers out); those taking a connection read the ledgers as
of T and call them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import duckdb
import numpy as np
import pandas as pd

from scoring.model import HAZARD_LEVELS, Closures, EscalationStep, Model
from scoring.sql import first_recheck_sql

#: What a stratum's department reads when the hazard names none.
NO_DEPARTMENT = "—"
#: The flag rules, in the order screens show them.
FLAG_RULES = ("same_day", "batch", "deadline_exact_enterprise", "deadline_exact_department", "score_rose")
#: The outcome of a re-check that means the closure holds.
SURVIVED = "属实整改"

CLOSURE_COLUMNS = ["id", "uscc", "found_on", "level", "department", "deadline", "rectified_on", "closed_on"]


def _day(x: object) -> dt.date | None:
    if x is None or x is pd.NaT or (isinstance(x, float) and np.isnan(x)):
        return None
    return pd.Timestamp(x).date()


def closures_between(con: duckdb.DuckDBPyConnection, as_of: dt.date, days: int) -> pd.DataFrame:
    """The closures of the ``days`` days ending on ``as_of`` (``closed_on`` in that period),
    with the enterprise's name and township; dates as ``datetime.date``, by id."""
    df = con.execute(
        """SELECT h.id, h.uscc, e.name, t.name AS township_name, h.found_on, h.level, h.department, h.deadline,
                  h.rectified_on, h.closed_on
           FROM hazard h JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
           WHERE h.closed_on <= $t AND h.closed_on > $t::DATE - to_days($d::INTEGER) AND h.found_on <= $t
           ORDER BY h.id""", {"t": as_of, "d": days}).df()
    for c in ("found_on", "deadline", "rectified_on", "closed_on"):
        df[c] = [_day(x) for x in df[c]]
    return df


def closures_count(con: duckdb.DuckDBPyConnection, as_of: dt.date, days: int) -> int:
    """How many closures :func:`closures_between` has, counted in SQL."""
    row = con.execute("SELECT count(*) FROM hazard WHERE closed_on <= $t AND closed_on > $t::DATE - "
                      "to_days($d::INTEGER) AND found_on <= $t", {"t": as_of, "d": days}).fetchone()
    return int(row[0]) if row else 0


# --- the re-inspection sample ----------------------------------------------------------------
def recheck_sample(closures: pd.DataFrame, per_stratum: Mapping[str, int], seed: int) -> pd.DataFrame:
    """A reproducible, stratified sample of ``closures`` for re-inspection.

    Strata are (``level``, ``department``); from each, ``per_stratum[level]`` closures are drawn
    without replacement (all of them where the stratum has fewer; none of a level not named).
    The candidates are put in id order first and the strata visited in level order (重大 first)
    then department order, all from one generator seeded with ``seed``: the same closures and
    seed give the same sample, whatever order the rows came in.

    Returns the drawn rows (the columns of ``closures`` and ``stratum``), in stratum then id order.
    """
    cand = closures.assign(department=closures["department"].fillna(NO_DEPARTMENT))
    cand = cand.sort_values("id", kind="mergesort").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    picked = []
    for level in reversed(HAZARD_LEVELS):
        n = int(per_stratum.get(level, 0))
        of_level = cand[cand["level"] == level]
        for dept in sorted(of_level["department"].unique()):
            pool = of_level[of_level["department"] == dept]
            k = min(n, len(pool))
            if k:
                picked.append(pool.iloc[np.sort(rng.choice(len(pool), k, replace=False))]
                              .assign(stratum=f"{level}·{dept}"))
    if not picked:
        return cand.iloc[0:0].assign(stratum=pd.Series(dtype=object))
    return pd.concat(picked).reset_index(drop=True)


def strata_counts(closures: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Per stratum (level, department): closures in the window and closures drawn."""
    dept = closures["department"].fillna(NO_DEPARTMENT)
    pop = closures.assign(department=dept).groupby(["level", "department"]).size().rename("closures")
    drawn = (sample.groupby(["level", "department"]).size().rename("drawn") if len(sample)
             else pd.Series(dtype=int, name="drawn"))
    out = pd.concat([pop, drawn], axis=1).fillna(0).astype(int).reset_index()
    order = {lv: i for i, lv in enumerate(reversed(HAZARD_LEVELS))}
    return out.sort_values(["level", "department"], key=lambda s: s.map(order) if s.name == "level" else s,
                           kind="mergesort").reset_index(drop=True)


# --- flags on closures -------------------------------------------------------------------------
def closure_flags(closures: pd.DataFrame, cfg: Closures, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flags on ``closures`` (columns of :data:`CLOSURE_COLUMNS`, dates as dates): one row per
    closure and rule that holds, with ``rule`` (one of :data:`FLAG_RULES`), ``value`` (what the
    closure or its group measured), ``threshold`` (the setting it met) and ``share`` (for the
    deadline rules, the share of the group's closures; NaN otherwise).

    - ``same_day``: closed at most ``same_day_max_days`` after found (value: the days), for
      the levels ``same_day_levels``;
    - ``batch``: one of the closures of one department on one day, at least ``batch_min_count``
      and at least ``batch_times_usual`` × the department's closures among ``closures`` per day
      of ``window_days`` (value: how many; threshold: the larger bar, rounded up);
    - ``deadline_exact_enterprise`` / ``_department``: rectified on its deadline to the day, one
      of at least ``min_count`` such closures of the same enterprise / department among
      ``closures``, which are at least ``min_share`` of its closures (value: how many; ``share``);
    - ``score_rose``: the enterprise's score on the closing day minus its score on the day the
      hazard was found (``scores``: ``id``, ``score_found``, ``score_closed``) is at least
      ``score_rose_min_points`` (value: the rise, in points).
    """
    out: list[pd.DataFrame] = []

    def add(mask: pd.Series | np.ndarray, rule: str, value: Iterable[float], threshold: float | np.ndarray,
            share: np.ndarray | None = None) -> None:
        m = np.asarray(mask, dtype=bool)
        if m.any():
            out.append(pd.DataFrame({
                "id": closures["id"].to_numpy()[m], "rule": rule, "value": np.asarray(list(value), dtype=float)[m],
                "threshold": np.broadcast_to(np.asarray(threshold, dtype=float), m.shape)[m],
                "share": share[m] if share is not None else np.nan}))

    found = pd.to_datetime(closures["found_on"])
    closed = pd.to_datetime(closures["closed_on"])
    days = (closed - found).dt.days
    add((days <= cfg.same_day_max_days) & closures["level"].isin(cfg.same_day_levels), "same_day", days,
        cfg.same_day_max_days)
    dept = closures["department"].fillna(NO_DEPARTMENT)
    batch = closures.assign(department=dept).groupby(["department", "closed_on"])["id"].transform("size")
    # The department's usual day: its closures among these over the window's days.
    usual = dept.map(dept.value_counts()).to_numpy(dtype=float) / cfg.window_days
    bar = np.maximum(cfg.batch_min_count, np.ceil(cfg.batch_times_usual * usual - 1e-9))
    add(batch.to_numpy() >= bar, "batch", batch, bar)
    exact = (pd.to_datetime(closures["rectified_on"]) == pd.to_datetime(closures["deadline"])).fillna(False)
    exact = exact.to_numpy(dtype=bool)
    for by, min_count, min_share in cfg.deadline_exact:
        key = (closures["uscc"] if by == "enterprise" else dept).to_numpy()
        counts = pd.Series(exact.astype(int)).groupby(key).transform("sum").to_numpy()
        share = counts / pd.Series(key).map(pd.Series(key).value_counts()).to_numpy()
        add(exact & (counts >= min_count) & (share >= min_share - 1e-9), f"deadline_exact_{by}", counts, min_count,
            share)
    if scores is not None and len(scores):
        s = closures[["id"]].merge(scores, on="id", how="left")
        rise = (s["score_closed"] - s["score_found"]).to_numpy(dtype=float)
        add(np.nan_to_num(rise, nan=-np.inf) >= cfg.score_rose_min_points - 1e-9, "score_rose", np.round(rise, 1),
            cfg.score_rose_min_points)
    if not out:
        return pd.DataFrame({"id": pd.Series(dtype=object), "rule": pd.Series(dtype=object),
                             "value": pd.Series(dtype=float), "threshold": pd.Series(dtype=float),
                             "share": pd.Series(dtype=float)})
    order = {r: i for i, r in enumerate(FLAG_RULES)}
    flags = pd.concat(out, ignore_index=True)
    return flags.sort_values(["id", "rule"], key=lambda s: s.map(order) if s.name == "rule" else s,
                             kind="mergesort").reset_index(drop=True)


def scores_at_found_and_closed(con: duckdb.DuckDBPyConnection, closures: pd.DataFrame, model: Model) -> pd.DataFrame:
    """Each closure's enterprise score on the day the hazard was found and on the day it was
    closed (``id``, ``score_found``, ``score_closed``): the whole model as of each day, in one
    query over the (enterprise, day) pairs (:func:`scoring.measures.measures_at`)."""
    from scoring.measures import measures_at
    from scoring.model import score

    out = closures[["id", "uscc", "found_on", "closed_on"]].copy()
    pairs = pd.DataFrame({"uscc": [*out["uscc"], *out["uscc"]], "snapshot_date": [*out["found_on"], *out["closed_on"]]})
    pairs = pairs[pairs["snapshot_date"].notna()].drop_duplicates()
    if pairs.empty:
        return out.assign(score_found=np.nan, score_closed=np.nan)[["id", "score_found", "score_closed"]]
    m = measures_at(con, pairs, model)
    scored = score(m, model)  # in the measures' order
    days = pd.to_datetime(m["snapshot_date"]).dt.date
    at = {(d, u): v for d, u, v in zip(days, scored["uscc"], scored["score"])}
    out["score_found"] = [at.get((d, u), np.nan) for u, d in zip(out["uscc"], out["found_on"])]
    out["score_closed"] = [at.get((d, u), np.nan) for u, d in zip(out["uscc"], out["closed_on"])]
    return out[["id", "score_found", "score_closed"]]


# --- closures that survive a re-check -------------------------------------------------------------
def first_rechecks(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Per closure re-checked on or before ``as_of``: its first re-check on or after the day it was
    closed (``hazard_id``, ``date``, ``outcome``, ``survived``)."""
    df = con.execute(f"SELECT hazard_id, date, outcome FROM ({first_recheck_sql('$t')}) ORDER BY hazard_id",
                     {"t": as_of}).df()
    df["survived"] = df["outcome"] == SURVIVED
    return df


#: The enterprise columns :func:`survival_by` may group by.
AREA_COLUMNS = ("township_code", "grid_id", "park_id")


def survival_by(con: duckdb.DuckDBPyConnection, as_of: dt.date, column: str = "park_id") -> pd.DataFrame:
    """The re-check survival of :func:`scoring.report.hazard_figures` (closures with a first
    re-check by ``as_of``, of hazards found by then) per value of the enterprise's ``column``:
    ``key``, ``rechecked``, ``recheck_survived``, ``recheck_survival_rate``; only keys with a
    re-check."""
    if column not in AREA_COLUMNS:
        raise ValueError(f"survival_by: {column!r} is not one of {AREA_COLUMNS}")
    return con.execute(
        f"""WITH rc AS ({first_recheck_sql("$t")})
        SELECT e.{column} AS key, count(*) AS rechecked,
               count(*) FILTER (rc.outcome = '{SURVIVED}') AS recheck_survived,
               count(*) FILTER (rc.outcome = '{SURVIVED}') / count(*) AS recheck_survival_rate
        FROM rc JOIN hazard h ON h.id = rc.hazard_id JOIN enterprise e USING (uscc)
        WHERE h.found_on <= $t AND e.{column} IS NOT NULL GROUP BY 1 ORDER BY 1""", {"t": as_of}).df()


def survival(first: pd.DataFrame) -> tuple[int, int, float]:
    """(survived, re-checked, rate): of the closures with a first re-check, how many held
    (outcome 属实整改); the rate is NaN with no re-check."""
    n = len(first)
    k = int(first["survived"].sum()) if n else 0
    return k, n, (k / n if n else float("nan"))


# --- the escalation ladder -----------------------------------------------------------------
def escalation(overdue: pd.DataFrame, as_of: dt.date, steps: tuple[EscalationStep, ...],
               confirmed: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """The ladder's place of each open hazard of ``overdue`` (``id``, ``deadline``) on ``as_of``.

    A step is reached ``overdue_days`` after the deadline (on ``deadline + overdue_days``). The
    proposal is the highest step reached, unless that step or a higher one has been confirmed
    (``confirmed``: hazard id -> the step ids confirmed). Columns added: ``days_overdue``,
    ``step`` / ``step_name`` / ``step_on`` (the highest reached; None before the first),
    ``confirmed_name`` (the highest confirmed, or None), ``proposed`` (the step is awaiting
    confirmation), ``next_name`` / ``next_on`` (the step after, or None at the top).
    """
    confirmed = confirmed or {}
    index = {s.id: i for i, s in enumerate(steps)}
    rows = []
    for hid, deadline in zip(overdue["id"], overdue["deadline"]):
        d = _day(deadline)
        late = (as_of - d).days if d is not None else -1
        reached = max((i for i, s in enumerate(steps) if late >= s.overdue_days), default=-1)
        done = max((index[s] for s in confirmed.get(hid, ()) if s in index), default=-1)
        step = steps[reached] if reached >= 0 else None
        nxt = steps[reached + 1] if reached + 1 < len(steps) and d is not None else None
        rows.append({
            "days_overdue": late, "step": step.id if step else None, "step_name": step.name if step else None,
            "step_on": d + dt.timedelta(days=step.overdue_days) if step and d else None,
            "confirmed_name": steps[done].name if done >= 0 else None, "proposed": reached > done,
            "next_name": nxt.name if nxt else None,
            "next_on": d + dt.timedelta(days=nxt.overdue_days) if nxt and d else None,
        })
    columns = ["days_overdue", "step", "step_name", "step_on", "confirmed_name", "proposed", "next_name", "next_on"]
    # Object columns keep None where a step is missing (a frame built from records would read NaN).
    extra = pd.DataFrame({c: pd.Series([r[c] for r in rows], index=overdue.index,
                                       dtype=None if c in ("days_overdue", "proposed") else object) for c in columns},
                         index=overdue.index)
    return pd.concat([overdue, extra], axis=1)
