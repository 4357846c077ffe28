"""The one export registry: every briefing file by kind, for the app's buttons and the CLI alike."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import duckdb

from data import queries
from reports.asof import outputs_as_of
from reports.marks import Mark
from reports.views import ViewError, ViewRequest, build_view, view_html, view_place, view_png
from reports.weekly import area_of, weekly_report_xlsx
from riskmap.i18n import set_unit_level, t
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
    default the data's as-of date; a map is drawn as of ``end``), the weekly report's ``area``
    (a county or township code; default the city), the map ``view`` of ``png``/``html`` and
    the PNG ``size`` (``slide`` 1920×1080 or ``a4``), and the escalation steps people have
    confirmed (``confirmed``: (hazard id, step id) pairs, ``riskmap.closures.confirmations``) for
    the 交办清单 of the 五张清单. The language is the view's."""

    end: dt.date | None = None
    days: int = 7
    area: str | None = None
    view: ViewRequest = field(default_factory=ViewRequest)
    size: str = "slide"
    confirmed: tuple[tuple[str, str], ...] = ()

    @property
    def lang(self) -> str:
        return self.view.lang


#: What a file name cannot hold on some system (Windows' reserved characters, path separators,
#: control characters) — names of areas are user data.
_NOT_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def file_name(*parts: str, suffix: str) -> str:
    """A file name of ``parts`` joined by ``_``: each without what a file name cannot hold or
    an invisible format character (a right-to-left override would disguise the suffix), at
    most 40 characters, blank parts left out."""
    clean = []
    for part in parts:
        text = "".join(c for c in _NOT_IN_NAMES.sub("_", str(part)) if unicodedata.category(c) != "Cf")
        text = text.strip(" ._")[:40]
        if text:
            clean.append(text)
    return f"{'_'.join(clean)}.{suffix}"


def export_name(con: duckdb.DuckDBPyConnection, kind: str, request: ExportRequest = ExportRequest()) -> str:
    """The name :func:`export` gives the file, without making it (a download button needs its
    name before it is clicked): its kind, its area (the city, a county or township with its
    code, a map's place) and its period (``start至end``; a map: the day it is drawn as of), so
    files of different periods or areas differ."""
    if kind not in EXPORTS:
        raise ViewError(f"unknown export {kind!r}; one of {', '.join(EXPORTS)}")
    set_unit_level(queries.meta(con).get("unit_level", "township"))  # labels name the city's own areas
    r = request
    start, end = period_bounds(r.end or default_as_of(con), r.days)
    suffix = EXPORTS[kind][1]
    if kind in ("png", "html"):
        v = r.view
        which = v.key or (t("snap_selection", v.lang, n=len(v.usccs)) if v.scope == "enterprises" else "")
        size = r.size if kind == "png" else ""
        return file_name("地图", view_place(con, v), which, size, str(end), suffix=suffix)
    period = f"{start}至{end}"
    if kind == "weekly":
        return file_name("周报表", area_of(con, r.area).name, r.area or "", period, suffix=suffix)
    return file_name(_title(kind), queries.meta(con).get("city_name") or "", period, suffix=suffix)


def _title(kind: str) -> str:
    """What a file of ``kind`` is, as its name and its title say: 五张清单, 通报…"""
    return re.sub(r"（(Excel|Word|PDF)）$", "", EXPORTS[kind][0])


def export(con: duckdb.DuckDBPyConnection, kind: str, request: ExportRequest = ExportRequest(),
           mark: Mark | None = None) -> tuple[bytes, str]:
    """One briefing file as (bytes, file name): the app's download buttons and
    ``python -m riskmap export`` both come here, so they give the same files.

    ``kind`` is one of :data:`EXPORTS`; the name is :func:`export_name`'s. A map, a briefing
    and the lists are as of the period's end (``reports.asof``). ``mark`` (who exports it,
    when: ``reports.marks``) is on every PNG, workbook, Word and PDF file; the HTML map, a page
    to open rather than a document to hand on, carries none.
    """
    name = export_name(con, kind, request)
    r = request
    start, end = period_bounds(r.end or default_as_of(con), r.days)
    city = queries.meta(con).get("city_name") or ""
    if kind in ("png", "html"):
        view = build_view(con, r.view, end)
        return (view_png(view, r.size, mark) if kind == "png" else view_html(view, r.lang).encode("utf-8")), name
    if kind == "weekly":
        return weekly_report_xlsx(con, end, r.days, r.area, mark), name
    if kind in ("five", "six", "parks"):
        from reports import ledgers

        if kind == "parks":  # the park lists read the ledgers alone
            lists = ledgers.park_lists(con, start, end)
        else:
            confirmed: dict[str, set[str]] = {}
            for hazard, step in r.confirmed:
                confirmed.setdefault(hazard, set()).add(step)
            with outputs_as_of(con, end) as dated:  # 督办清单 and 监督清单: that day's listing and tiers
                lists = (ledgers.five_lists(dated, start, end, confirmed) if kind == "five"
                         else ledgers.six_lists(dated, start, end))
        return ledgers.workbook(lists, f"{city}{_title(kind)}", f"{start} 至 {end}", mark), name
    from reports.document import briefing_docx, briefing_pdf, build_briefing

    b = build_briefing(con, end, r.days, r.lang)
    return (briefing_docx(b, mark) if kind == "docx" else briefing_pdf(b, mark)), name
