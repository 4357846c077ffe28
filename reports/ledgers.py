"""The ledgers officials hand out, as tables with the Chinese headers of the forms:

- 五张清单 (seed 000): 检查 / 隐患 / 交办 / 整改 / 督办;
- 六个清单 (seed 004): 监督 / 风险隐患 / 整改 / 验收销号 / 执法 / 责任;
- the park hazard list (seed 001 附件4), one sheet per park.

Each list covers a period [start, end] and is read as of ``end``. Shared by the app's
download buttons and ``python -m riskmap export``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from data import queries
from data.queries import HAZARD_STATUS_SQL
from reports.spreadsheets import cell_value, fitted_widths, print_setup, set_widths
from reports.spreadsheets import sheet_name as _sheet_name
from riskmap.i18n import t, unit_text
from scoring.sql import hazard_open

if TYPE_CHECKING:
    from reports.marks import Mark
    from scoring.draw import Draw

FIVE_LISTS = ("检查清单", "隐患清单", "交办清单", "整改清单", "督办清单")


def _numbered(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    df.insert(0, "序号", range(1, len(df) + 1))
    return df


def _hazards(con: duckdb.DuckDBPyConnection, where: str, params: dict) -> pd.DataFrame:
    sql = f"""SELECT h.id AS "隐患编号", e.name AS "企业名称", h.uscc AS "统一社会信用代码",
                   t.name AS "乡镇（街道）", g.name AS "网格", h.found_on AS "发现日期", h.level AS "隐患等级",
                   h.category AS "隐患类别", h.description AS "隐患描述", h.department AS "责任部门",
                   h.deadline AS "整改期限", h.rectified_on AS "整改完成日期", h.closed_on AS "验收销号日期",
                   {HAZARD_STATUS_SQL} AS "状态"
            FROM hazard h JOIN enterprise e USING (uscc)
            LEFT JOIN township t ON t.code = e.township_code LEFT JOIN grid g ON g.grid_id = e.grid_id
            WHERE {where} ORDER BY h.found_on, h.id"""
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).df()  # DuckDB wants exactly these


def _escalated(assigned: pd.DataFrame, end: dt.date, confirmed: Mapping[str, Iterable[str]] | None) -> pd.DataFrame:
    """The 交办清单's rows with the escalation ladder's step (``[closures.escalation]``): 升级建议
    (the highest step reached by ``end``), 升级日期 (the day it was reached) and 升级确认
    (待确认, or 已确认 once a person confirmed it: ``confirmed``, hazard id -> step ids)."""
    from scoring.closures import escalation
    from scoring.model import load_model

    model = load_model()
    steps = model.closures.escalation if model.closures else ()
    frame = assigned.rename(columns={"隐患编号": "id", "整改期限": "deadline"})
    frame["deadline"] = [d.date() if isinstance(d, pd.Timestamp) else (None if pd.isna(d) else d)
                         for d in frame["deadline"]]
    ladder = escalation(frame[["id", "deadline"]], end, steps, confirmed)
    out = assigned.copy()
    out["升级建议"] = ladder["step_name"].to_numpy()
    out["升级日期"] = ladder["step_on"].to_numpy()
    out["升级确认"] = [None if s is None else "待确认" if p else "已确认"
                   for s, p in zip(ladder["step_name"], ladder["proposed"])]
    return out


def five_lists(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date,
               confirmed: Mapping[str, Iterable[str]] | None = None) -> dict[str, pd.DataFrame]:
    """The 五张清单 for [start, end], as of ``end``; the 交办清单 carries each overdue hazard's
    escalation step (``confirmed``: the steps confirmed so far, hazard id -> step ids)."""
    p = {"s": start, "e": end, "t": end}
    inspections = con.execute(
        """SELECT i.id AS "检查编号", i.date AS "检查日期", e.name AS "企业名称", i.uscc AS "统一社会信用代码",
                  t.name AS "乡镇（街道）", i.department AS "检查部门", i.result AS "检查结果"
           FROM inspection i JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
           WHERE i.date BETWEEN $s AND $e ORDER BY i.date, i.id""", {"s": start, "e": end}).df()
    found = _hazards(con, "h.found_on BETWEEN $s AND $e", p)
    assigned = _escalated(_hazards(con, hazard_open("$t", "h"), p), end, confirmed)
    rectified = _hazards(con, "h.rectified_on BETWEEN $s AND $e", p)
    supervised = queries.enterprise_listing(con).rename(columns={
        "uscc": "统一社会信用代码", "name": "企业名称", "township_name": "乡镇（街道）", "level": "督办级别",
        "reasons": "挂牌理由", "deadline": "整改期限", "delisting": "摘牌条件"})
    return {
        "检查清单": _numbered(inspections),
        "隐患清单": _numbered(found.drop(columns=["整改完成日期", "验收销号日期"])),
        "交办清单": _numbered(assigned[["隐患编号", "企业名称", "统一社会信用代码", "乡镇（街道）", "网格", "隐患等级",
                                     "隐患类别", "隐患描述", "责任部门", "发现日期", "整改期限", "状态", "升级建议",
                                     "升级日期", "升级确认"]]),
        "整改清单": _numbered(rectified[["隐患编号", "企业名称", "统一社会信用代码", "乡镇（街道）", "隐患等级",
                                      "隐患类别", "责任部门", "整改期限", "整改完成日期", "状态"]]),
        "督办清单": _numbered(supervised),
    }


def narrow(frame: pd.DataFrame, departments: list[str] | None = None, levels: list[str] | None = None) -> pd.DataFrame:
    """A list's rows of the given departments (inspecting or responsible) and hazard levels;
    an empty choice keeps every row, a list without that column is left as it is."""
    for column, wanted in (("检查部门", departments), ("责任部门", departments), ("隐患等级", levels)):
        if wanted and column in frame:
            frame = frame[frame[column].isin(wanted)]
    return frame


def six_lists(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """The 六个清单 for [start, end], as of ``end``."""
    p = {"s": start, "e": end, "t": end}
    supervision = con.execute(
        """SELECT e.name AS "企业名称", e.uscc AS "统一社会信用代码", t.name AS "乡镇（街道）", g.name AS "网格",
                  s.tier AS "监管等级", round(s.score, 1) AS "风险分", i.last AS "最近检查日期"
           FROM enterprise e JOIN enterprise_score s USING (uscc)
           LEFT JOIN (SELECT uscc, max(date) AS last FROM inspection WHERE date <= $t GROUP BY 1) i USING (uscc)
           LEFT JOIN township t ON t.code = e.township_code LEFT JOIN grid g ON g.grid_id = e.grid_id
           ORDER BY s.score DESC, e.uscc""", {"t": end}).df()
    hazards = _hazards(con, "h.found_on BETWEEN $s AND $e", p)
    open_ = _hazards(con, hazard_open("$t", "h"), p)
    open_["剩余天数"] = [(d - end).days if pd.notna(d) else None for d in pd.to_datetime(open_["整改期限"]).dt.date]
    accepted = _hazards(con, "h.rectified_on BETWEEN $s AND $e OR h.closed_on BETWEEN $s AND $e", p)
    enforcement = con.execute(
        """SELECT f.id AS "执法编号", f.date AS "执法日期", e.name AS "企业名称", f.uscc AS "统一社会信用代码",
                  t.name AS "乡镇（街道）", f.action AS "执法措施", f.fine_10k_cny AS "罚款（万元）",
                  f.department AS "执法部门"
           FROM enforcement f JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
           WHERE f.date BETWEEN $s AND $e ORDER BY f.date, f.id""", {"s": start, "e": end}).df()
    departments = queries.enterprise_departments(con, end)
    responsibility = con.execute(
        """SELECT e.name AS "企业名称", e.uscc AS "统一社会信用代码", t.name AS "乡镇（街道）", g.name AS "网格",
                  g.manager AS "网格员", g.phone AS "联系电话", e.uscc AS _u
           FROM enterprise e LEFT JOIN township t ON t.code = e.township_code LEFT JOIN grid g ON g.grid_id = e.grid_id
           ORDER BY t.code, g.grid_id, e.uscc""").df()
    dept = dict(zip(departments["uscc"], departments["departments"]))
    responsibility["在管部门"] = ["、".join(dept[u]) if u in dept else "" for u in responsibility.pop("_u")]
    return {
        "监督清单": _numbered(supervision),
        "风险隐患清单": _numbered(hazards.drop(columns=["整改完成日期", "验收销号日期"])),
        "整改清单": _numbered(open_[["隐患编号", "企业名称", "统一社会信用代码", "乡镇（街道）", "网格", "隐患等级",
                                  "隐患描述", "责任部门", "整改期限", "剩余天数", "状态"]]),
        "验收销号清单": _numbered(accepted[["隐患编号", "企业名称", "统一社会信用代码", "乡镇（街道）", "隐患等级",
                                       "隐患描述", "整改完成日期", "验收销号日期", "状态"]]),
        "执法清单": _numbered(enforcement),
        "责任清单": _numbered(responsibility),
    }


def park_lists(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """The park hazard list (seed 001 附件4) of every park, keyed by park name."""
    parks = con.execute("SELECT park_id, name FROM park ORDER BY park_id").fetchall()
    return {name: queries.park_hazard_list(con, pid, start, end) for pid, name in parks}


def workbook(lists: dict[str, pd.DataFrame], title: str, period: str, mark: Mark | None = None) -> bytes:
    """One sheet per list: a title row, the period, the header row, the rows. The title may be
    user text (the city's name, an uploaded file's name), as may sheet names (parks) and rows:
    every cell goes through ``reports.spreadsheets.cell_value``.

    Written in openpyxl's streaming mode: a 20,000-row list takes about a second. Each sheet
    prints on A4 landscape with its header row (row 3) frozen and repeated on every page, each
    column as wide as its text (``reports.spreadsheets.print_setup``, ``fitted_widths``), and
    ``mark`` (who exported it, when) in its printed header.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    used: set[str] = set()
    for name, df in lists.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        # 乡镇（街道） reads 区县 where counties stand in.
        labels = [cell_value(unit_text(str(col))) for col in df.columns]
        columns = []
        for col in df.columns:
            values = df[col]
            if pd.api.types.is_datetime64_any_dtype(values):
                values = values.dt.date
            columns.append(values.astype(object).where(values.notna(), None).tolist())
        # A streaming sheet takes its widths, panes and print setup before its first row.
        set_widths(ws, fitted_widths([label, *values] for label, values in zip(labels, columns)))
        print_setup(ws, (3, 3), "A4", mark)
        head = WriteOnlyCell(ws, cell_value(f"{title} · {name}"))
        head.font = Font(size=14, bold=True)
        ws.append([head])
        ws.append([cell_value(period)])
        header = []
        for label in labels:
            cell = WriteOnlyCell(ws, label)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in zip(*columns):
            ws.append([cell_value(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def fired_columns(rows: pd.DataFrame, lang: str = "zh", clauses: bool = True) -> dict[str, list[str]]:
    """The direct rule behind each row (``fired_rules``, ``fired_records``, ``fired_clauses``
    lists of ``scoring.fired.with_hits``) as the columns a list shows: rule, triggering record
    ids and (``clauses``) the clauses cited, joined in ``lang``; blank where no rule fired."""
    sep, clause_sep = t("list_sep", lang), t("clause_sep", lang)

    def joined(column: str, by: str) -> list[str]:
        values = rows[column] if column in rows else pd.Series([[]] * len(rows), index=rows.index)
        return [by.join(v) if isinstance(v, list) else "" for v in values]

    out = {t("col_fired_rule", lang): joined("fired_rules", sep),
           t("col_fired_record", lang): joined("fired_records", sep)}
    if clauses:
        out[t("col_fired_clause", lang)] = joined("fired_clauses", clause_sep)
    return out


def target_list(chosen: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The ranked 检查目标 list as shown and exported: rank, code, name, township, industry,
    tier, score, main factors, and the direct rule that fired with its records and clause."""
    return pd.DataFrame({
        t("col_rank", lang): chosen["rank"], t("col_uscc", lang): chosen["uscc"],
        t("col_ent_name", lang): chosen["name"], t("col_name", lang): chosen["township_name"],
        t("col_industry", lang): chosen["industry"], t("col_tier", lang): chosen["tier"],
        t("col_score", lang): chosen["score"].round(1), t("col_main", lang): chosen["main_factors"],
        **fired_columns(chosen, lang),
    })


def assignment_list(d: Draw, scores: pd.DataFrame, drawn_on: dt.date, days: int, lang: str = "zh") -> pd.DataFrame:
    """The 交办清单 of a draw: each target with its inspectors, assigned on ``drawn_on``, due
    ``days`` later; ``scores`` gives names, townships, main factors and the direct rule that
    fired with its records; labels in ``lang``."""

    def tr(key: str) -> str:
        return t(key, lang)

    kept = [c for c in ("name", "township_name", "main_factors", "fired_rules", "fired_records") if c in scores]
    task = d.targets.join(scores.set_index("uscc")[kept], on="uscc")
    return pd.DataFrame({
        tr("col_no"): range(1, len(task) + 1), tr("col_uscc"): task["uscc"], tr("col_ent_name"): task["name"],
        tr("col_name"): task["township_name"], tr("col_tier"): task["tier"], tr("col_score"): task["score"].round(1),
        tr("col_main"): task["main_factors"], **fired_columns(task, lang, clauses=False),
        tr("col_inspectors"): task["inspectors"],
        # How to record the inspection (检查方式): the random control or the tiered draw (scoring.draw).
        tr("col_method"): task["method"],
        tr("col_assigned_on"): drawn_on, tr("col_due_by"): drawn_on + dt.timedelta(days=days),
    })
