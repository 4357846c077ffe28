"""The figures of the weekly report (周报表) for a period, and the same for the period before.

Definitions, where the form leaves room:
- 检查企业（家次）: inspections dated in the period;
- 发现隐患数 / 其中重大: hazards found in the period;
- 已整改隐患数 / 其中重大: hazards rectified in the period (whenever found);
- 整改率: of the hazards found in the period, the share rectified by its last day;
- 立案查处（家次）, 停产停业整改（家）, 依法关闭（家）: enforcement actions in the period
  (家 counts distinct enterprises);
- 行政处罚（万元）: fines of 立案查处 and 行政处罚 actions in the period;
- 移送公安机关追究刑事责任（人）: 移送公安 actions, one person each (the ledger does not
  record how many people an action concerned).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

#: (key, 中文 label as on the form, unit) in the form's order.
WEEKLY_COLUMNS = (
    ("enterprises", "小微企业总数", "家"),
    ("inspections", "检查企业", "家次"),
    ("hazards", "发现隐患数", "项"),
    ("hazards_major", "其中重大隐患数", "项"),
    ("rectified", "已整改隐患数", "项"),
    ("rectified_major", "其中已整改重大隐患数", "项"),
    ("rectification_rate", "整改率", "%"),
    ("cases", "立案查处数", "家次"),
    ("fines_10k", "行政处罚", "万元"),
    ("suspended", "停产停业整改", "家"),
    ("closed", "依法关闭", "家"),
    ("referred", "移送公安机关追究刑事责任", "人"),
)


def weekly_figures(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date,
                   townships: list[str] | None = None) -> dict[str, float]:
    """The weekly-report figures for [start, end], optionally for some townships only."""
    row = con.execute(
        """
        WITH ent AS (SELECT uscc FROM enterprise
                     WHERE $all OR township_code IN (SELECT unnest($tw::VARCHAR[]))),
        hz AS (SELECT h.* FROM hazard h SEMI JOIN ent USING (uscc)),
        ins AS (SELECT i.* FROM inspection i SEMI JOIN ent USING (uscc)),
        enf AS (SELECT f.* FROM enforcement f SEMI JOIN ent USING (uscc))
        SELECT
          (SELECT count(*) FROM ent),
          (SELECT count(*) FROM ins WHERE date BETWEEN $s AND $e),
          (SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e),
          (SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e AND level = '重大'),
          (SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e),
          (SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e AND level = '重大'),
          (SELECT count(*) FILTER (rectified_on <= $e) / nullif(count(*), 0)
             FROM hz WHERE found_on BETWEEN $s AND $e),
          (SELECT count(*) FROM enf WHERE date BETWEEN $s AND $e AND action = '立案查处'),
          (SELECT coalesce(sum(fine_10k_cny), 0) FROM enf WHERE date BETWEEN $s AND $e
             AND action IN ('立案查处', '行政处罚')),
          (SELECT count(DISTINCT uscc) FROM enf WHERE date BETWEEN $s AND $e AND action = '停产停业'),
          (SELECT count(DISTINCT uscc) FROM enf WHERE date BETWEEN $s AND $e AND action = '依法关闭/取缔'),
          (SELECT count(*) FROM enf WHERE date BETWEEN $s AND $e AND action = '移送公安')
        """,
        {"s": start, "e": end, "all": not townships, "tw": list(townships or [])},
    ).fetchone() or ()
    keys = [k for k, _, _ in WEEKLY_COLUMNS]
    return {k: (float(v) if v is not None else float("nan")) for k, v in zip(keys, row)}


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end]."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def monthly_rectification(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 24) -> pd.DataFrame:
    """Per month of discovery: hazards found, the share rectified by their deadline, and the
    share rectified by ``as_of`` (recent months are still closing, so the two differ)."""
    return con.execute(
        """SELECT date_trunc('month', found_on)::DATE AS month, count(*) AS found,
                  count(*) FILTER (rectified_on <= deadline AND rectified_on <= $t) / count(*) AS on_time_rate,
                  count(*) FILTER (rectified_on <= $t) / count(*) AS rectified_rate
           FROM hazard
           WHERE found_on <= $t AND found_on > date_trunc('month', $t::DATE) - to_months($m)
           GROUP BY 1 ORDER BY 1""", {"t": as_of, "m": months - 1}).df()
