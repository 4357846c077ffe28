"""Every figure a screen, an export or the CLI shows for a period, declared once: its name,
what it counts, and the SQL that counts it.

Two figures that sound alike count different things, and the labels say so:

- 已整改隐患数 (``rectified``) counts the hazards *rectified during the period*, whenever they
  were found — the weekly form's column. It can exceed the hazards found in the period, and
  its major part can exceed the major hazards found.
- 期内发现已整改 (``found_rectified``) counts the hazards *found in the period* and rectified
  by its last day — the numerator of 整改率.

Every figure is a scalar subquery over four common tables: ``ent`` (the enterprises of the
area), ``hz``, ``ins`` and ``enf`` (their hazards, inspections and enforcement actions, narrowed
to the departments and hazard levels asked for), with ``$s`` and ``$e`` the period's first and
last day. :func:`figures` runs any set of them in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from scoring.sql import first_recheck_sql, hazard_rectified

Better = Literal["up", "down"] | None


@dataclass(frozen=True)
class Metric:
    """One figure: ``label`` as on the form (with its unit), ``definition`` in one sentence,
    ``sql`` a scalar subquery (see the module's docstring), ``better`` the direction of an
    improvement (None: neither, e.g. hazards found say as much about effort as about risk)."""

    key: str
    label: tuple[str, str]  # (中文, English)
    unit: str
    definition: tuple[str, str]
    sql: str
    better: Better = None
    kind: Literal["count", "rate", "money"] = "count"

    def text(self, lang: str = "zh") -> str:
        return self.label[0 if lang == "zh" else 1]

    def help(self, lang: str = "zh") -> str:
        return self.definition[0 if lang == "zh" else 1]


_RECTIFIED_BY_END = hazard_rectified("$e")

METRICS: tuple[Metric, ...] = (
    Metric("enterprises", ("小微企业总数（家）", "Enterprises"), "家",
           ("本区域在册的小微企业，不论统计期。",
            "Small and micro enterprises on record in the area, whatever the period."),
           "(SELECT count(*) FROM ent)"),
    Metric("inspections", ("检查企业（家次）", "Inspections (visits)"), "家次",
           ("统计期内的检查记录数，同一企业检查两次计两家次。",
            "Inspection records dated in the period; an enterprise inspected twice counts twice."),
           "(SELECT count(*) FROM ins WHERE date BETWEEN $s AND $e)", better="up"),
    Metric("hazards", ("发现隐患数（项）", "Hazards found"), "项",
           ("统计期内发现的隐患。", "Hazards found in the period."),
           "(SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e)"),
    Metric("hazards_major", ("其中重大隐患数（项）", "of which major"), "项",
           ("统计期内发现的重大隐患。", "Major hazards found in the period."),
           "(SELECT count(*) FROM hz WHERE found_on BETWEEN $s AND $e AND level = '重大')"),
    Metric("rectified", ("已整改隐患数（项）", "Hazards rectified"), "项",
           ("统计期内完成整改的隐患，不论何时发现（周报表口径），可多于本期发现数。",
            "Hazards rectified during the period, whenever found (the weekly form's count); "
            "it can exceed the hazards found in the period."),
           "(SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e)", better="up"),
    Metric("rectified_major", ("其中已整改重大隐患数（项）", "of which major"), "项",
           ("统计期内完成整改的重大隐患，不论何时发现，可多于本期发现的重大隐患。",
            "Major hazards rectified during the period, whenever found; it can exceed the major hazards "
            "found in the period."),
           "(SELECT count(*) FROM hz WHERE rectified_on BETWEEN $s AND $e AND level = '重大')", better="up"),
    Metric("rectification_rate", ("整改率", "Rectification rate"), "%",
           ("统计期内发现的隐患中，到期末已整改（含销号）的比例。",
            "Of the hazards found in the period, the share rectified (or closed) by its last day."),
           f"(SELECT count(*) FILTER ({_RECTIFIED_BY_END}) / nullif(count(*), 0) "
           "FROM hz WHERE found_on BETWEEN $s AND $e)", better="up", kind="rate"),
    Metric("cases", ("立案查处数（家次）", "Cases opened"), "家次",
           ("统计期内“立案查处”的执法记录数。", "Enforcement records of action 立案查处 dated in the period."),
           "(SELECT count(*) FROM enf WHERE date BETWEEN $s AND $e AND action = '立案查处')"),
    Metric("fines_10k", ("行政处罚（万元）", "Fines (10k CNY)"), "万元",
           ("统计期内“立案查处”和“行政处罚”记录的罚款合计。",
            "Fines of the 立案查处 and 行政处罚 records dated in the period, summed."),
           "(SELECT coalesce(sum(fine_10k_cny), 0) FROM enf WHERE date BETWEEN $s AND $e "
           "AND action IN ('立案查处', '行政处罚'))", kind="money"),
    Metric("suspended", ("停产停业整改（家）", "Suspended"), "家",
           ("统计期内被责令停产停业的企业（按企业去重）。",
            "Distinct enterprises ordered to suspend operations in the period."),
           "(SELECT count(DISTINCT uscc) FROM enf WHERE date BETWEEN $s AND $e AND action = '停产停业')"),
    Metric("closed", ("依法关闭（家）", "Closed"), "家",
           ("统计期内被依法关闭或取缔的企业（按企业去重）。", "Distinct enterprises closed or banned in the period."),
           "(SELECT count(DISTINCT uscc) FROM enf WHERE date BETWEEN $s AND $e AND action = '依法关闭/取缔')"),
    Metric("referred", ("移送公安机关追究刑事责任（人）", "Referred to police"), "人",
           ("统计期内“移送公安”的执法记录，每条计一人（台账不记人数）。",
            "移送公安 records dated in the period, one person each (the ledger does not record how many)."),
           "(SELECT count(*) FROM enf WHERE date BETWEEN $s AND $e AND action = '移送公安')"),
    Metric("found_rectified", ("期内发现已整改（项）", "Found and rectified"), "项",
           ("统计期内发现、到期末已整改（含销号）的隐患，即整改率的分子。",
            "Hazards found in the period and rectified (or closed) by its last day: the numerator of the "
            "rectification rate."),
           f"(SELECT count(*) FILTER ({_RECTIFIED_BY_END}) FROM hz WHERE found_on BETWEEN $s AND $e)", better="up"),
    Metric("recheck_survival_rate", ("复查属实率", "Closures surviving re-check"), "%",
           ("统计期内复查的已销号隐患中，复查结果为“属实整改”的比例（每项隐患按其销号后的首次复查计）。",
            "Of the closed hazards whose first re-check after closing fell in the period, the share it found "
            "truly rectified."),
           f"(SELECT count(*) FILTER (rc.outcome = '属实整改') / nullif(count(*), 0) "
           f"FROM ({first_recheck_sql('$e')}) rc SEMI JOIN hz ON hz.id = rc.hazard_id "
           "WHERE rc.date BETWEEN $s AND $e)", better="up", kind="rate"),
    Metric("overdue_open", ("期末逾期未整改（项）", "Overdue at period end"), "项",
           ("期末仍未整改且已过整改期限的隐患，不论何时发现。",
            "Hazards still open on the period's last day and past their deadline, whenever found."),
           f"(SELECT count(*) FILTER (NOT {_RECTIFIED_BY_END}) FROM hz WHERE found_on <= $e AND deadline < $e)",
           better="down"),
)

BY_KEY = {m.key: m for m in METRICS}

#: The weekly report form's figures (seed 000, 附件2), in its order, with 整改率.
WEEKLY_KEYS = ("enterprises", "inspections", "hazards", "hazards_major", "rectified", "rectified_major",
               "rectification_rate", "cases", "fines_10k", "suspended", "closed", "referred")

#: 隐患闭环's figures.
HAZARD_KEYS = ("hazards", "found_rectified", "rectification_rate", "recheck_survival_rate", "overdue_open")


def metric(key: str) -> Metric:
    return BY_KEY[key]


def figures(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, keys: Iterable[str] = WEEKLY_KEYS,
            townships: Sequence[str] | None = None, departments: Sequence[str] | None = None,
            levels: Sequence[str] | None = None) -> dict[str, float]:
    """The figures ``keys`` for [start, end] (both days included), for the enterprises of
    ``townships`` (default: all), the records of ``departments`` and the hazards of ``levels``
    (default: all). NaN where a figure has nothing to count (a rate of no hazards)."""
    chosen = [BY_KEY[k] for k in keys]
    dept = "department IN (SELECT unnest($depts::VARCHAR[]))" if departments else "true"
    level = "level IN (SELECT unnest($levels::VARCHAR[]))" if levels else "true"
    params: dict[str, object] = {"s": start, "e": end, "all": not townships, "tw": list(townships or [])}
    if departments:
        params["depts"] = list(departments)
    if levels:
        params["levels"] = list(levels)
    row = con.execute(
        f"""
        WITH ent AS (SELECT uscc FROM enterprise
                     WHERE $all OR township_code IN (SELECT unnest($tw::VARCHAR[]))),
        hz AS (SELECT h.* FROM hazard h SEMI JOIN ent USING (uscc) WHERE {dept} AND {level}),
        ins AS (SELECT i.* FROM inspection i SEMI JOIN ent USING (uscc) WHERE {dept}),
        enf AS (SELECT f.* FROM enforcement f SEMI JOIN ent USING (uscc) WHERE {dept})
        SELECT {", ".join(f"{m.sql} AS {m.key}" for m in chosen)}
        """, params).fetchone() or ()
    return {m.key: (float(v) if v is not None else float("nan")) for m, v in zip(chosen, row)}


def delta_color(key: str) -> Literal["normal", "inverse", "off"]:
    """How Streamlit colours a change of ``key``: green for better, red for worse, grey when
    neither direction is better."""
    better = BY_KEY[key].better
    return "normal" if better == "up" else "inverse" if better == "down" else "off"
