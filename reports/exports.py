"""The one export registry: every briefing file by kind, for the app's buttons and the CLI alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from data import queries
from reports.views import ViewError, ViewRequest, snapshot_html, snapshot_png
from reports.weekly import weekly_report_xlsx
from riskmap.i18n import set_unit_level
from scoring.report import period_bounds
from scoring.run import default_as_of

#: What ``export`` makes: kind -> (description, file suffix).
EXPORTS = {
    "png": ("地图快照（PNG）", "png"),
    "html": ("交互地图（单个 HTML 文件，离线可用）", "html"),
    "weekly": ("周报表、部门报送与每日统计表（Excel）", "xlsx"),
    "five": ("五张清单（Excel）", "xlsx"),
    "six": ("六个清单（Excel）", "xlsx"),
    "parks": ("园区隐患整治清单（Excel）", "xlsx"),
    "docx": ("通报（Word）", "docx"),
    "pdf": ("通报（PDF）", "pdf"),
}


@dataclass(frozen=True)
class ExportRequest:
    """What to export besides its kind, as plain data: the period (``days`` ending ``end``,
    default the data's as-of date), the weekly report's ``area`` (a county or township code;
    default the city), the map ``view`` of ``png``/``html`` and the PNG ``size`` (``slide``
    1920×1080 or ``a4``). The language is the view's."""

    end: dt.date | None = None
    days: int = 7
    area: str | None = None
    view: ViewRequest = field(default_factory=ViewRequest)
    size: str = "slide"

    @property
    def lang(self) -> str:
        return self.view.lang


def export(con: duckdb.DuckDBPyConnection, kind: str, request: ExportRequest = ExportRequest()) -> tuple[bytes, str]:
    """One briefing file as (bytes, file name): the app's download buttons and
    ``python -m riskmap export`` both come here, so they give the same files.

    ``kind`` is one of :data:`EXPORTS`.
    """
    if kind not in EXPORTS:
        raise ViewError(f"unknown export {kind!r}; one of {', '.join(EXPORTS)}")
    set_unit_level(queries.meta(con).get("unit_level", "township"))  # labels name the city's own areas
    r = request
    start, end = period_bounds(r.end or default_as_of(con), r.days)
    suffix = EXPORTS[kind][1]
    where = f"{r.view.scope}{'_' + r.view.key if r.view.key else ''}"
    stem = {"png": f"地图_{where}_{r.size}", "html": f"地图_{where}",
            "weekly": f"周报表{'_' + r.area if r.area else ''}", "five": "五张清单", "six": "六个清单",
            "parks": "园区隐患整治清单", "docx": "通报", "pdf": "通报"}[kind]
    name = f"{stem}_{end}.{suffix}"
    if kind == "png":
        return snapshot_png(con, r.view, r.size), name
    if kind == "html":
        return snapshot_html(con, r.view).encode("utf-8"), name
    if kind == "weekly":
        return weekly_report_xlsx(con, end, r.days, r.area), name
    if kind in ("five", "six", "parks"):
        from reports import ledgers

        make = {"five": ledgers.five_lists, "six": ledgers.six_lists, "parks": ledgers.park_lists}[kind]
        lists = make(con, start, end)
        city = queries.meta(con).get("city_name") or ""
        return ledgers.workbook(lists, f"{city}{EXPORTS[kind][0].removesuffix('（Excel）')}", f"{start} 至 {end}"), name
    from reports.document import briefing_docx, briefing_pdf, build_briefing

    b = build_briefing(con, end, r.days, r.lang)
    return (briefing_docx(b) if kind == "docx" else briefing_pdf(b)), name
