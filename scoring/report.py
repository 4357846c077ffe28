"""The figures of the weekly report (周报表) for a period, and the same for the period before.

What each figure counts is declared once, in :mod:`scoring.metrics` (name, definition, SQL);
this module arranges them as the forms ask.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from scoring.metrics import BY_KEY, WEEKLY_KEYS, figures
from scoring.sql import first_recheck_sql, hazard_rectified

#: (key, 中文 label as on the form, unit) in the form's order.
WEEKLY_COLUMNS = tuple((k, BY_KEY[k].label[0].split("（")[0], BY_KEY[k].unit) for k in WEEKLY_KEYS)


def weekly_figures(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date,
                   townships: list[str] | None = None) -> dict[str, float]:
    """The weekly-report figures for [start, end], optionally for some townships only."""
    return figures(con, start, end, WEEKLY_KEYS, townships)


def period_bounds(end: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The ``days`` ending on ``end``, both ends included: (start, end)."""
    return end - dt.timedelta(days=days - 1), end


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [start, end]."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def monthly_rectification(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 24) -> pd.DataFrame:
    """Per month of discovery: hazards found, the share rectified by their deadline, and the
    share rectified by ``as_of`` (recent months are still closing, so the two differ)."""
    rectified = hazard_rectified("$t")
    return con.execute(
        f"""SELECT date_trunc('month', found_on)::DATE AS month, count(*) AS found,
                  count(*) FILTER (rectified_on <= deadline AND {rectified}) / count(*) AS on_time_rate,
                  count(*) FILTER ({rectified}) / count(*) AS rectified_rate
           FROM hazard
           WHERE found_on <= $t AND found_on > date_trunc('month', $t::DATE) - to_months($m)
           GROUP BY 1 ORDER BY 1""", {"t": as_of, "m": months - 1}).df()


#: The columns of the weekly report form (seed 000, 附件2), in its order: every figure of
#: :data:`WEEKLY_COLUMNS` but 整改率, which the form does not ask for.
WEEKLY_FORM = tuple((k, f"{label}（{unit}）") for k, label, unit in WEEKLY_COLUMNS if k != "rectification_rate")

#: The per-department figures the form's second part asks each department for.
DEPARTMENT_COLUMNS = (
    ("inspected", "检查企业（家）"),
    ("hazards", "发现隐患（项）"),
    ("hazards_major", "其中重大隐患（项）"),
    ("rectified", "已整改（项）"),
    ("rectified_major", "其中已整改重大隐患（项）"),
    ("cases", "立案查处（家）"),
    ("fines_10k", "行政处罚（万元）"),
    ("detained", "行政拘留（人）"),
    ("referred", "移送公安机关追究刑事责任（人）"),
    ("suspended", "停产停业（家）"),
    ("closed", "依法关闭（家）"),
)


def department_figures(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date,
                       townships: list[str] | None = None, departments: list[str] | None = None) -> pd.DataFrame:
    """One row per department of ``departments`` (zeros included; default: every department
    that appears in the ledgers): its inspections, the hazards it is responsible for, and its
    enforcement in [start, end]."""
    if departments is None:
        departments = [d for (d,) in con.execute(
            "SELECT department FROM inspection UNION SELECT department FROM hazard WHERE department IS NOT NULL "
            "UNION SELECT department FROM enforcement WHERE department IS NOT NULL ORDER BY 1").fetchall()]

    df = con.execute(
        """
        WITH ent AS (SELECT uscc FROM enterprise
                     WHERE $all OR township_code IN (SELECT unnest($tw::VARCHAR[]))),
        d AS (SELECT unnest($depts::VARCHAR[]) AS department),
        ins AS (SELECT department, count(DISTINCT uscc) AS inspected FROM inspection SEMI JOIN ent USING (uscc)
                WHERE date BETWEEN $s AND $e GROUP BY 1),
        found AS (SELECT department, count(*) AS hazards, count(*) FILTER (level = '重大') AS hazards_major
                  FROM hazard SEMI JOIN ent USING (uscc) WHERE found_on BETWEEN $s AND $e GROUP BY 1),
        fixed AS (SELECT department, count(*) AS rectified, count(*) FILTER (level = '重大') AS rectified_major
                  FROM hazard SEMI JOIN ent USING (uscc) WHERE rectified_on BETWEEN $s AND $e GROUP BY 1),
        enf AS (SELECT department,
                       count(DISTINCT uscc) FILTER (action = '立案查处') AS cases,
                       coalesce(sum(fine_10k_cny) FILTER (action IN ('立案查处', '行政处罚')), 0) AS fines_10k,
                       count(*) FILTER (action = '行政拘留') AS detained,
                       count(*) FILTER (action = '移送公安') AS referred,
                       count(DISTINCT uscc) FILTER (action = '停产停业') AS suspended,
                       count(DISTINCT uscc) FILTER (action = '依法关闭/取缔') AS closed
                FROM enforcement SEMI JOIN ent USING (uscc) WHERE date BETWEEN $s AND $e GROUP BY 1)
        SELECT d.department, * EXCLUDE (department)
        FROM d LEFT JOIN ins USING (department) LEFT JOIN found USING (department)
               LEFT JOIN fixed USING (department) LEFT JOIN enf USING (department)
        """,
        {"s": start, "e": end, "all": not townships, "tw": list(townships or []), "depts": list(departments)},
    ).df()
    keys = [k for k, _ in DEPARTMENT_COLUMNS]
    df = df[["department", *keys]].fillna(0)
    order = {d: i for i, d in enumerate(departments)}
    return df.sort_values("department", key=lambda s: s.map(order)).reset_index(drop=True)


def department_sentence(row: pd.Series) -> str:
    """A department's line of the report in one sentence of our own wording."""
    return (f"{row['department']}：检查小微企业 {int(row['inspected'])} 家；发现隐患 {int(row['hazards'])} 项"
            f"（重大 {int(row['hazards_major'])} 项），整改 {int(row['rectified'])} 项"
            f"（重大 {int(row['rectified_major'])} 项）；立案 {int(row['cases'])} 家，"
            f"罚款 {row['fines_10k']:.2f} 万元，行政拘留 {int(row['detained'])} 人，"
            f"移送公安 {int(row['referred'])} 人，停产停业 {int(row['suspended'])} 家，"
            f"依法关闭 {int(row['closed'])} 家。")


#: The daily statistics form (seed 004, 附件1) as a header tree: (label, children or key).
DAILY_FORM: tuple = (
    ("排查场所（家）", (
        ("生产加工场所底数（家）", "places"),
        ("其中：", (("出租分租（家）", "rented"), ("“小、散、乱、污”场所（家）", "small_scattered"),
                   ("“三合一”场所（家）", "mixed_use"))),
    )),
    ("发现隐患、风险、问题", (("数量（个）", "hazards"), ("其中：重大安全隐患（个）", "hazards_major"))),
    ("已整改", (("数量（个）", "rectified"), ("其中：重大安全隐患（个）", "rectified_major"))),
    ("整改率（%）", "rectification_pct"),
    ("执法检查情况", (
        ("限期整改（家）", "ordered"),
        ("查封", (("数量（家）", "sealed"), ("其中：取缔关闭（家）", "closed"))),
        ("罚款（万元）", "fines_10k"),
        ("清理两违面积（平方米）", "cleared_m2"),
        ("行政拘留（人）", "detained"),
        ("刑事拘留（人）", "criminal_detained"),
    )),
)


def daily_figures(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date,
                  townships: list[str] | None = None) -> dict[str, float | None]:
    """The figures of the daily statistics form for [start, end].

    ``cleared_m2`` (清理两违面积) is None: the ledgers record standing illegal-building area,
    not what was demolished, so the cell is left for the reporter.
    """
    row = con.execute(
        f"""
        WITH ent AS (SELECT * FROM enterprise
                     WHERE $all OR township_code IN (SELECT unnest($tw::VARCHAR[]))),
        hz AS (SELECT h.* FROM hazard h SEMI JOIN ent USING (uscc)),
        enf AS (SELECT f.* FROM enforcement f SEMI JOIN ent USING (uscc) WHERE date BETWEEN $s AND $e)
        SELECT (SELECT count(*) FROM ent),
               (SELECT count(*) FILTER (rented) FROM ent),
               (SELECT count(*) FILTER (small_scattered) FROM ent),
               (SELECT count(*) FILTER (mixed_use) FROM ent),
               (SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e),
               (SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e AND level = '重大'),
               (SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e),
               (SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e AND level = '重大'),
               (SELECT 100.0 * count(*) FILTER ({hazard_rectified("$e")}) / nullif(count(*), 0)
                  FROM hz WHERE found_on BETWEEN $s AND $e),
               (SELECT count(DISTINCT uscc) FILTER (action = '限期整改') FROM enf),
               (SELECT count(DISTINCT uscc) FILTER (action = '查封') FROM enf),
               (SELECT count(DISTINCT uscc) FILTER (action = '依法关闭/取缔') FROM enf),
               (SELECT coalesce(sum(fine_10k_cny) FILTER (action IN ('立案查处', '行政处罚')), 0) FROM enf),
               (SELECT count(*) FILTER (action = '行政拘留') FROM enf),
               (SELECT count(*) FILTER (action = '刑事拘留') FROM enf)
        """, {"s": start, "e": end, "all": not townships, "tw": list(townships or [])}).fetchone() or ()
    keys = ("places", "rented", "small_scattered", "mixed_use", "hazards", "hazards_major", "rectified",
            "rectified_major", "rectification_pct", "ordered", "sealed", "closed", "fines_10k", "detained",
            "criminal_detained")
    out: dict[str, float | None] = {k: (float(v) if v is not None else None) for k, v in zip(keys, row)}
    out["cleared_m2"] = None
    return out



#: The closed-loop figures of :func:`hazard_figures`, in the order screens show them.
HAZARD_FIGURES = ("total", "rectified", "open", "overdue", "major", "rectification_rate", "rechecked",
                  "recheck_survival_rate")


def hazard_figures(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Per area of the city (the ``township`` table: townships, or counties where they stand in),
    the closed loop of hazards found on or before ``as_of``: ``total``, ``rectified`` (rectified on
    or before ``as_of``), ``open`` (not yet), ``overdue`` (open and past the deadline), ``major``
    (level 重大, whatever the status) and ``rectification_rate`` = rectified / total (NaN without
    hazards); beside it, of the closures (验收销号 by ``as_of``), ``rechecked`` (those with a
    re-check on or after closing, by ``as_of``), ``recheck_survived`` (whose first such re-check
    found 属实整改) and ``recheck_survival_rate`` = recheck_survived / rechecked (NaN without
    re-checks). One row per area, areas without hazards included, in code order.
    """
    return con.execute(
        f"""
        WITH rc AS ({first_recheck_sql("$t")}),
        hz AS (
          SELECT e.township_code AS code, h.level, h.deadline,
                 {hazard_rectified("$t", "h")} AS done, rc.outcome
          FROM hazard h JOIN enterprise e USING (uscc) LEFT JOIN rc ON rc.hazard_id = h.id
          WHERE h.found_on <= $t AND e.township_code IS NOT NULL)
        SELECT t.code, t.name,
               count(hz.code) AS total,
               count(*) FILTER (hz.done) AS rectified,
               count(*) FILTER (NOT hz.done) AS open,
               count(*) FILTER (NOT hz.done AND hz.deadline < $t) AS overdue,
               count(*) FILTER (hz.level = '重大') AS major,
               count(*) FILTER (hz.done) / nullif(count(hz.code), 0) AS rectification_rate,
               count(hz.outcome) AS rechecked,
               count(*) FILTER (hz.outcome = '属实整改') AS recheck_survived,
               count(*) FILTER (hz.outcome = '属实整改') / nullif(count(hz.outcome), 0) AS recheck_survival_rate
        FROM township t LEFT JOIN hz ON hz.code = t.code
        GROUP BY t.code, t.name ORDER BY t.code
        """, {"t": as_of}).df()
