"""通报导出: every briefing file — map snapshots, the weekly report, the ledgers and the Word/PDF
briefing — made on the server the same way ``python -m riskmap export`` makes them."""

from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st

from data import queries
from pages.screens.common import counties_stand_in, export_button, lang, start_page, tr
from reports.exports import EXPORTS, ExportRequest, export, export_name
from reports.marks import Mark
from reports.views import ViewRequest
from scoring.run import default_as_of

MIME = {"png": "image/png", "html": "text/html",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}

#: How far back a briefing can be dated (days before the data's as-of date).
BACK_DAYS = 730


def day_label(day: dt.date) -> str:
    """``2026-11-20 周五`` (``Fri`` in English)."""
    return f"{day.isoformat()} {tr('weekdays').split(',')[day.weekday()]}"


con, version = start_page("page_briefing")
as_of = default_as_of(con)
st.caption(tr("briefing_intro"))

c1, c2 = st.columns(2)
# A list of days rather than st.date_input, whose calendar names months and weekdays in English
# whatever the language: newest first, searchable by typing a part of the date.
ends = [as_of - dt.timedelta(days=k) for k in range(BACK_DAYS + 1)]
end = c1.selectbox(tr("brief_end"), ends, key="brief_end", format_func=day_label, placeholder=tr("choose_one"),
                   help=tr("brief_end_help"))
days = c2.radio(tr("period"), (7, 30, 90, 365), horizontal=True, key="brief_days",
                format_func=lambda d: tr(f"period_{d}"))

counties = dict(con.execute("SELECT code, name FROM county ORDER BY code").fetchall())
towns = dict(con.execute("SELECT code, name FROM township ORDER BY code").fetchall())
areas = {"": tr("whole_city"), **counties, **towns}

st.subheader(tr("brief_reports"))
area = st.selectbox(tr("brief_area"), list(areas), format_func=areas.__getitem__, key="brief_area",
                    placeholder=tr("choose_one"))
cols = st.columns(3)


def _export(kind: str, mark: Mark) -> bytes:
    """The file of ``kind`` for the period and area chosen above (made when it is downloaded)."""
    from riskmap.closures import confirmed_pairs

    request = ExportRequest(end, days, area or None, ViewRequest(lang=lang()), confirmed=confirmed_pairs())
    return export(con, kind, request, mark)[0]


for col, kind in zip(cols * 3, ("weekly", "five", "six", "parks", "docx", "pdf")):
    suffix = EXPORTS[kind][1]
    # The name the CLI gives the same file: its kind, area and period (reports.exports).
    export_button(col, tr(f"export_{kind}"), partial(_export, kind),
                  file_name=export_name(con, kind, ExportRequest(end, days, area or None, ViewRequest(lang=lang()))),
                  mime=MIME[suffix], key=f"dl_{kind}", width="stretch")

st.subheader(tr("brief_maps"))
m1, m2, m3 = st.columns(3)
# Where counties stand in for townships, one "区县" scope is enough.
scopes = ("city", "county", "grid", "park") if counties_stand_in() else ("city", "county", "township", "grid", "park")
scope = m1.selectbox(tr("brief_scope"), scopes, key="brief_scope",
                     format_func=lambda s: tr(f"scope_{s}"), placeholder=tr("choose_one"))
options: dict[str, str] = {}
if scope == "county":
    options = counties
elif scope == "township":
    options = towns
elif scope == "grid":
    grids = queries.grid_list(con)
    options = dict(zip(grids["grid_id"], grids["township_name"].fillna("") + " " + grids["name"]))
elif scope == "park":
    parks = con.execute("SELECT park_id, name FROM park ORDER BY park_id").fetchall()
    options = dict(parks)
key = (m2.selectbox(tr("brief_key"), list(options), format_func=options.__getitem__, key="brief_key",
                    placeholder=tr("choose_one")) if options else None)
size = m3.radio(tr("brief_size"), ("slide", "a4"), key="brief_size", format_func=lambda s: tr(f"size_{s}"))
d1, d2 = st.columns(2)
view = ViewRequest(scope, key, lang=lang())
export_button(d1, tr("export_png"),
              lambda mark: export(con, "png", ExportRequest(end, days, view=view, size=size), mark)[0],
              file_name=export_name(con, "png", ExportRequest(end, days, view=view, size=size)), mime=MIME["png"],
              key="dl_png", width="stretch")
export_button(d2, tr("export_html"), lambda mark: export(con, "html", ExportRequest(end, days, view=view), mark)[0],
              file_name=export_name(con, "html", ExportRequest(end, days, view=view)), mime=MIME["html"],
              key="dl_html", width="stretch")
st.caption(tr("brief_cli"))
st.code("python -m riskmap export pdf --days 7", language="bash")
