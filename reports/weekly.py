"""The weekly report workbook: the 周报表 of seed 000 附件2 by area with a total row, each
department's figures and its line, and the daily statistics table of seed 004 附件1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from data import queries
from reports.views import ViewError
from scoring.report import period_bounds
from scoring.run import default_as_of

if TYPE_CHECKING:
    from reports.marks import Mark


@dataclass
class Area:
    """A reporting area: the whole city (code None), a county or a township."""

    code: str | None
    name: str
    townships: list[str] | None  # None: the whole city
    parts: list[tuple[str, list[str]]]  # (name, townships) of the rows under it


def area_of(con: duckdb.DuckDBPyConnection, code: str | None = None) -> Area:
    """The city (no code), a county (6 digits) or a township (9 digits), with its sub-areas."""
    towns = con.execute("SELECT code, name, county_code FROM township ORDER BY code").fetchall()
    counties = con.execute("SELECT code, name FROM county ORDER BY code").fetchall()
    city = queries.meta(con).get("city_name") or ""
    if not code:
        if not counties:  # a city with townships but no county layer: a row per township
            return Area(None, city, None, [(n, [t]) for t, n, _ in towns])
        return Area(None, city, None, [(n, [t for t, _, cc in towns if cc == c]) for c, n in counties])
    county = dict(counties).get(code)
    if county:
        mine = [(t, n) for t, n, cc in towns if cc == code]
        return Area(code, county, [t for t, _ in mine], [(n, [t]) for t, n in mine])
    town = {t: n for t, n, _ in towns}.get(code)
    if town:
        return Area(code, town, [code], [(town, [code])])
    raise ViewError(f"no county or township with code {code!r}")


def weekly_report_xlsx(con: duckdb.DuckDBPyConnection, end: dt.date | None = None, days: int = 7,
                       area: str | None = None, mark: Mark | None = None) -> bytes:
    """The weekly report workbook for the ``days`` ending ``end`` (default: the data's as-of
    date) and an area: the 周报表 of seed 000 附件2 by sub-area with a total row, each
    department's figures and its line, and the daily statistics table of seed 004 附件1;
    ``mark`` (who exported it, when) in the printed header of every sheet."""
    import io

    from openpyxl import Workbook

    from reports.spreadsheets import write_form
    from scoring.report import (
        DAILY_FORM,
        DEPARTMENT_COLUMNS,
        WEEKLY_FORM,
        daily_figures,
        department_figures,
        department_sentence,
        weekly_figures,
    )

    start, end = period_bounds(end or default_as_of(con), days)
    where = area_of(con, area)
    period = f"{start} 至 {end}"
    total = "合计"
    wb = Workbook()
    ws = wb.active
    ws.title = "周报表"
    rows = [(name, weekly_figures(con, start, end, tws)) for name, tws in where.parts]
    rows.append((total, weekly_figures(con, start, end, where.townships)))
    write_form(ws, f"{where.name}小微企业安全生产和消防安全综合整治工作周报表",
               f"填报单位：{where.name}　　统计时间：{period}", "地区", tuple((lab, k) for k, lab in WEEKLY_FORM), rows,
               ["填报人：　　　　　联系电话：　　　　　审核领导："], mark=mark)

    ws = wb.create_sheet("部门报送")
    from data.vocab import DEPARTMENTS

    dep = department_figures(con, start, end, where.townships, list(DEPARTMENTS))
    drows = [(r["department"], r.to_dict()) for _, r in dep.iterrows()]
    drows.append((total, dep.drop(columns="department").sum().to_dict()))
    write_form(ws, f"{where.name}各部门整治工作情况", f"统计时间：{period}", "部门",
               tuple((lab, k) for k, lab in DEPARTMENT_COLUMNS), drows,
               [department_sentence(r) for _, r in dep.iterrows()], mark=mark)

    ws = wb.create_sheet("每日统计表")
    srows = [(name, daily_figures(con, start, end, tws)) for name, tws in where.parts]
    srows.append((total, daily_figures(con, start, end, where.townships)))
    write_form(ws, f"{where.name}消防安全综合整治工作情况统计表", f"报送单位：{where.name}　　统计时间：{period}",
               "地区", DAILY_FORM, srows,
               ["清理两违面积：台账只记录现存违法建筑面积，未记录拆除面积，请填报人补填。"],
               percent_keys=("rectification_pct",), mark=mark)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


