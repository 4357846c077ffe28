"""The measured lift of targeting: do inspections chosen by risk find hazards more often than
the ones the 双随机 draw picks at random?

An inspection *found a hazard* when its own result (检查结果) says so: 发现隐患 or 责令整改
found, 未发现问题 did not. When the result is blank it is read from the hazard ledger: it found
one when a hazard of the same enterprise was found on the inspection's date by the same
department (or by no department named). The *hazard-finding rate* of a group is the share of
its inspections that found one.

For each quarter (of the inspection date) and department, the rate of the risk-chosen
inspections (检查方式 风险清单) is compared with that of the drawn ones (双随机抽查): their
difference with Newcombe's hybrid score interval (Wilson intervals of each rate combined,
Newcombe 1998, method 10) and their ratio with the Katz log interval, each at the model's
confidence level, beside the number of inspections behind each rate. Complaints, other
inspections and those whose method is not recorded (未注明: an older ledger without the
column) are counted, never compared and never dropped.

Pure functions over a frame of inspections (:func:`lift_report`), and one query that makes
that frame from the ledgers (:func:`inspection_outcomes`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from statistics import NormalDist

import duckdb
import numpy as np
import pandas as pd

#: The ways an inspection is chosen, as in ``data.vocab.INSPECTION_METHODS`` (a test holds
#: them equal; scoring may not import data).
METHODS = ("双随机抽查", "风险清单", "投诉举报", "其他")
#: The targeted group and the random control it is compared with.
TARGETED, CONTROL = "风险清单", "双随机抽查"
#: What an inspection without a recorded method is counted as.
UNKNOWN = "未注明"
#: The key of a row that adds up every quarter or every department.
ALL = "合计"
#: Inspection results (``data.vocab.INSPECTION_RESULTS``) that say a hazard was, or was not, found.
FOUND_RESULTS = ("发现隐患", "责令整改")
CLEAR_RESULTS = ("未发现问题",)

#: One row per inspection up to ``$e`` (from ``$s`` when given): its quarter, department,
#: method (未注明 when blank) and whether it found a hazard (see the module docstring).
OUTCOMES_SQL = f"""
SELECT i.id, i.uscc, i.date, year(i.date) || 'Q' || quarter(i.date) AS quarter, i.department,
       coalesce(i.method, '{UNKNOWN}') AS method,
       CASE WHEN i.result IN ({", ".join(f"'{r}'" for r in FOUND_RESULTS)}) THEN true
            WHEN i.result IN ({", ".join(f"'{r}'" for r in CLEAR_RESULTS)}) THEN false
            ELSE EXISTS (SELECT 1 FROM hazard h WHERE h.uscc = i.uscc AND h.found_on = i.date
                         AND (h.department IS NULL OR h.department = i.department)) END AS found,
       i.result IS NULL AS from_hazards
FROM inspection i
WHERE i.date <= $e AND ($s IS NULL OR i.date >= $s)
ORDER BY i.date, i.id
"""


def inspection_outcomes(con: duckdb.DuckDBPyConnection, end: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """Every inspection dated in [start, end] (from the first when ``start`` is None) with
    ``quarter`` ("2026Q3"), ``department``, ``method`` and ``found`` (bool), as the
    connection may see them."""
    return con.execute(OUTCOMES_SQL, {"s": start, "e": end}).df()


def z_value(confidence: float) -> float:
    """The two-sided standard-normal quantile of ``confidence`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(found: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``found`` / ``n`` (NaN, NaN when ``n`` is 0)."""
    if n == 0:
        return math.nan, math.nan
    z = z_value(confidence)
    p = found / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At 0 and at n the bound is 0 (or 1) exactly; the arithmetic leaves a rounding error.
    return (0.0 if found == 0 else centre - half), (1.0 if found == n else centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) of the difference x1/n1 − x2/n2 of
    two independent proportions (NaN, NaN when either group is empty)."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def ratio_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Katz log interval of the ratio (x1/n1) / (x2/n2): exp(ln RR ± z·√(1/x1 − 1/n1 + 1/x2 − 1/n2));
    NaN, NaN when either count found is 0 (the log is then undefined)."""
    if x1 == 0 or x2 == 0 or n1 == 0 or n2 == 0:
        return math.nan, math.nan
    rr = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    z = z_value(confidence)
    return rr * math.exp(-z * se), rr * math.exp(z * se)


#: The columns of :func:`lift_table` after the group keys.
LIFT_COLUMNS = ("n", "n_targeted", "found_targeted", "rate_targeted", "n_control", "found_control", "rate_control",
                "n_complaint", "n_other", "n_unknown", "diff", "diff_lo", "diff_hi", "ratio", "ratio_lo", "ratio_hi",
                "enough")


def lift_table(outcomes: pd.DataFrame, by: Sequence[str] = ("quarter", "department"), confidence: float = 0.95,
               min_inspections: int = 1) -> pd.DataFrame:
    """Per group of ``by`` (none: one row for all): inspections in all (``n``) and by method,
    the hazards-found count and rate of the targeted (风险清单) and control (双随机抽查) groups,
    their difference with Newcombe's interval and their ratio with the Katz log interval
    (rates are shares 0–1), and ``enough``: both groups have at least ``min_inspections``.

    Parameters
    ----------
    outcomes : DataFrame
        One row per inspection with ``method`` and ``found`` and the columns of ``by``
        (:func:`inspection_outcomes`).
    """
    keys = list(by)
    frame = outcomes.assign(_all="", method=outcomes["method"].fillna(UNKNOWN),
                            found=outcomes["found"].fillna(False).astype(bool))
    group = keys or ["_all"]
    rows = []
    for key, g in frame.groupby(group, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        m = g["method"]
        xt, nt = int(g.loc[m == TARGETED, "found"].sum()), int((m == TARGETED).sum())
        xc, nc = int(g.loc[m == CONTROL, "found"].sum()), int((m == CONTROL).sum())
        lo, hi = newcombe_interval(xt, nt, xc, nc, confidence)
        rlo, rhi = ratio_interval(xt, nt, xc, nc, confidence)
        rt = xt / nt if nt else math.nan
        rc = xc / nc if nc else math.nan
        ratio = rt / rc if nt and nc and xc else math.nan
        rows.append({**dict(zip(keys, key)), "n": len(g), "n_targeted": nt, "found_targeted": xt, "rate_targeted": rt,
                     "n_control": nc, "found_control": xc, "rate_control": rc,
                     "n_complaint": int((m == "投诉举报").sum()), "n_other": int((m == "其他").sum()),
                     "n_unknown": int((~m.isin(METHODS)).sum()), "diff": rt - rc, "diff_lo": lo, "diff_hi": hi,
                     "ratio": ratio, "ratio_lo": rlo, "ratio_hi": rhi,
                     "enough": bool(min(nt, nc) >= min_inspections)})
    out = pd.DataFrame(rows, columns=[*keys, *LIFT_COLUMNS])
    return out.astype({c: "int64" for c in LIFT_COLUMNS if c.startswith(("n", "found"))})


def lift_report(outcomes: pd.DataFrame, confidence: float = 0.95, min_inspections: int = 1) -> pd.DataFrame:
    """:func:`lift_table` per quarter and department, with the rows that add up each quarter
    (department 合计), each department over all quarters (quarter 合计) and everything (both
    合计): quarters in order, 合计 last; within a quarter the 合计 row first."""
    parts = [
        lift_table(outcomes, ("quarter", "department"), confidence, min_inspections),
        lift_table(outcomes, ("quarter",), confidence, min_inspections).assign(department=ALL),
        lift_table(outcomes, ("department",), confidence, min_inspections).assign(quarter=ALL),
        lift_table(outcomes, (), confidence, min_inspections).assign(quarter=ALL, department=ALL),
    ]
    out = pd.concat(parts, ignore_index=True)[["quarter", "department", *LIFT_COLUMNS]]
    order = np.lexsort((out["department"].to_numpy(dtype=str), (out["department"] != ALL).to_numpy(),
                        out["quarter"].to_numpy(dtype=str), (out["quarter"] == ALL).to_numpy()))
    return out.iloc[order].reset_index(drop=True)
