"""城市总览: the weekly-report figures with change against the previous period, the city map
(H3 hexes by enterprise count or area index, township outlines) and the listed townships."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data import queries
from geo.h3cells import RESOLUTIONS, cell_area_km2
from layers.maps import INDEX_BINS, overview_map
from layers.render import legend_html, to_pydeck, view_for
from pages.screens.common import basemap, data_note_badge, db_version, lang, require_db, tr
from scoring.report import WEEKLY_COLUMNS, previous_period, weekly_figures
from scoring.run import default_as_of

PERIODS = (7, 30, 90, 365)


@st.cache_data(max_entries=8, show_spinner=False)
def _load(version: float, res: int) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = require_db()
    return (queries.meta(con), queries.counts(con), queries.hex_counts(con, res),
            queries.township_geometries(con), queries.township_summary(con))


@st.cache_data(max_entries=16, show_spinner=False)
def _figures(version: float, days: int) -> tuple[dt.date, dt.date, dict, dict]:
    con = require_db()
    end = default_as_of(con)
    start = end - dt.timedelta(days=days - 1)
    return start, end, weekly_figures(con, start, end), weekly_figures(con, *previous_period(start, end))


@st.cache_resource(max_entries=16, show_spinner=False)
def _deck(version: float, res: int, language: str, show_names: bool, by_index: bool, base,  # type: ignore[no-untyped-def]
          dark: bool = False):
    meta, counts, hexes, shapes, summary = _load(version, res)
    tw = shapes.merge(summary[["code", "enterprises"]], on="code", how="left").fillna({"enterprises": 0})
    labels = {"tip_township": tr("tip_township"), "legend_note": tr("legend_note")}
    if by_index:
        labels |= {"tip_hex": tr("tip_hex_index"), "legend_title": tr("legend_hex_index")}
        bundle = overview_map(queries.hex_index(require_db(), res), tw, labels, show_names, "index", INDEX_BINS)
    else:
        labels |= {"tip_hex": tr("tip_hex"), "legend_title": tr("legend_hex")}
        bundle = overview_map(hexes, tw, labels, show_names=show_names)
    view = view_for(*bundle.view_points)
    return (to_pydeck(bundle.specs, bundle.datasets, view, base, background="#0e1117" if dark else "#f7f5f0"),
            legend_html(bundle.legend))


def _fmt(key: str, value: float) -> str:
    if value != value:
        return "—"
    return f"{value:.1%}" if key == "rectification_rate" else f"{value:,.2f}" if key == "fines_10k" else f"{value:,.0f}"


#: Our own stylesheet for the projector: no sidebar, header or toolbar; dark; large type.
BIG_SCREEN_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stSidebarCollapsedControl"] {display: none !important;}
.stApp {background: #0e1117; color: #f0f0f0;}
.block-container {max-width: 100% !important; padding-top: 1rem !important;}
h1 {font-size: 3.2rem !important; color: #ffffff !important;}
[data-testid="stMetricValue"] {font-size: 3rem !important; color: #ffd866 !important;}
[data-testid="stMetricLabel"] p {font-size: 1.25rem !important; color: #d0d0d0 !important;}
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"], h2, h3 {color: #e8e8e8 !important;}
[data-testid="stAlert"] p, [data-testid="stAlert"] span {color: #5a4500 !important;}
[data-testid="stMetricDelta"] {background: transparent !important;}
[data-testid="stMetricDelta"] * {color: #c8c8c8 !important; font-size: 1.1rem !important;}
</style>"""

con = require_db()
version = db_version()
meta, counts, *_ = _load(version, 8)
big = st.query_params.get("screen") == "1"

if big:
    st.markdown(BIG_SCREEN_CSS, unsafe_allow_html=True)  # constant CSS of ours, no user text
st.title(f"{meta.get('city_name') or ''}{tr('page_overview')}")
data_note_badge(meta)
if not big:
    st.markdown(f"[{tr('big_screen')} ↗](?screen=1)")

days = 30 if big else st.radio(tr("period"), PERIODS, index=1, horizontal=True, key="period",
                               format_func=lambda d: tr(f"period_{d}"))
start, end, now, before = _figures(version, days)
st.caption(tr("weekly_title", start=start, end=end))
keys = [k for k, _, _ in WEEKLY_COLUMNS]
for row in (keys[:6], keys[6:]):
    for col, key in zip(st.columns(6), row):
        delta = None if key == "enterprises" or now[key] != now[key] else now[key] - before[key]
        shown_delta = None if delta is None else (
            tr("pp", v=delta * 100) if key == "rectification_rate" else f"{delta:+,.4g}")
        col.metric(tr(f"w_{key}"), _fmt(key, now[key]), shown_delta, delta_color="off")
if counts["unplaced"] or counts["no_coordinates"]:
    st.caption(tr("unplaced", n=counts["unplaced"], m=counts["no_coordinates"]))

left, right = st.columns([3, 1])
with right:
    if big:
        res, by_index, show_names = 8, True, False
    else:
        res = st.radio(tr("hex_res"), RESOLUTIONS, index=1, key="hex_res",
                       format_func=lambda r: tr("hex_res_opt", r=r, a=cell_area_km2(r)))
        by_index = st.radio(tr("color_by"), (False, True), key="color_by", horizontal=True,
                            format_func=lambda b: tr("color_index" if b else "color_count"))
        show_names = st.toggle(tr("show_names"), value=False, key="show_names")
    listed = queries.township_listing(con)
    st.markdown(f"**{tr('listed_now')}（{len(listed)}）**")
    st.dataframe(pd.DataFrame({tr("col_name"): listed["name"], tr("col_level"): listed["level"]}),
                 hide_index=True, height=560 if big else 260)
with left:
    st.subheader(tr("map_title"))
    deck, legend = _deck(version, res, lang(), show_names, by_index, basemap(), big)
    st.pydeck_chart(deck, height=720 if big else 640, key="overview_map")
    st.markdown(legend, unsafe_allow_html=True)  # built from our own labels, each escaped

if not big:
    summary = _load(version, res)[4]
    st.subheader(tr("top_townships"))
    table = summary.head(15)[["code", "name", "county_name", "kind", "enterprises", "high_fire_risk",
                              "in_park", "grids", "area_km2", "density_per_km2"]]
    table.columns = [tr(k) for k in ("col_code", "col_name", "col_county", "col_kind", "col_enterprises",
                                     "col_high_fire", "col_in_park", "col_grids", "col_area",
                                     "col_density")]
    st.dataframe(table.round(1), hide_index=True)
