"""城市总览: the weekly-report figures with change against the previous period, the city map
(H3 hexes by enterprise count or area index, township outlines) and the listed townships."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data import queries
from geo.h3cells import RESOLUTIONS, cell_area_km2
from layers.colors import TIER_COLORS
from layers.maps import (INDEX_BINS, MAX_POINTS, Overlay, boundaries_overlay, enterprises_overlay, hazards_overlay,
                         incidents_overlay, overview_map, overview_pick)
from layers.render import legend_html, to_pydeck, view_for
from pages.screens.common import basemap, data_note_badge, db_version, lang, md, require_db, show, tr, tv
from scoring.report import WEEKLY_COLUMNS, previous_period, weekly_figures
from scoring.run import default_as_of

PERIODS = (7, 30, 90, 365)
TOP_TOWNSHIPS = 15


@st.cache_resource(max_entries=4, show_spinner=False)
def _top_townships(version: str) -> pd.DataFrame:
    """Townships by area index (most at risk first) with their listing level, if listed."""
    con = require_db()
    listed = queries.township_listing(con)[["key", "level"]]
    return queries.township_areas(con).merge(listed, on="key", how="left")


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(version: str, res: int) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = require_db()
    return (queries.meta(con), queries.counts(con), queries.hex_counts(con, res),
            queries.township_geometries(con), queries.township_summary(con))


@st.cache_resource(max_entries=16, show_spinner=False)
def _figures(version: str, days: int) -> tuple[dt.date, dt.date, dict, dict]:
    con = require_db()
    end = default_as_of(con)
    start = end - dt.timedelta(days=days - 1)
    return start, end, weekly_figures(con, start, end), weekly_figures(con, *previous_period(start, end))


#: Optional layers of the city map, in the order they are drawn.
OVERLAYS = ("grids", "parks", "enterprises", "hazards", "incidents")
DEFAULT_OVERLAYS = ("parks", "incidents")


@st.cache_resource(max_entries=4, show_spinner=False)
def _overlay_data(version: str, name: str, tiers: tuple[str, ...], days: int) -> pd.DataFrame:
    con = require_db()
    end = default_as_of(con)
    if name == "grids":
        return queries.grid_geometries(con)
    if name == "parks":
        return queries.park_geometries(con)
    if name == "enterprises":
        return queries.enterprise_points(con, list(tiers))
    if name == "hazards":
        return queries.open_hazards_by_enterprise(con, end)
    return queries.incidents_between(con, end - dt.timedelta(days=days - 1), end)


def _overlay(version: str, name: str, tiers: tuple[str, ...], days: int) -> Overlay:
    frame = _overlay_data(version, name, tiers if name == "enterprises" else (), days if name == "incidents" else 0)
    if name == "grids":
        return boundaries_overlay("grids", frame, (70, 110, 200), 0.5, tr("tip_grid"), tr("layer_grids"))
    if name == "parks":
        return boundaries_overlay("parks", frame, (0, 140, 70), 2, tr("tip_park"), tr("layer_parks"))
    if name == "enterprises":
        return enterprises_overlay(frame, TIER_COLORS, {
            "legend_title": tr("legend_enterprises"), "tip": tr("tip_enterprise"), "tip_cluster": tr("tip_cluster")},
            tier_names={t: str(tv(t)) for t in TIER_COLORS})
    if name == "hazards":
        return hazards_overlay(frame, {"legend_title": tr("legend_hazards"), "major": tr("hz_major"),
                                       "other": tr("hz_other"), "overdue": tr("hz_overdue"), "tip": tr("tip_hazards")})
    return incidents_overlay(frame, {"legend_title": tr("legend_incidents"), "fatal": tr("inc_fatal"),
                                     "other": tr("inc_other"), "tip": tr("tip_incident")})


@st.cache_resource(max_entries=16, show_spinner=False)
def _deck(version: str, res: int, language: str, show_names: bool, by_index: bool, base,  # type: ignore[no-untyped-def]
          dark: bool = False, overlays: tuple[str, ...] = (), tiers: tuple[str, ...] = (), days: int = 30):
    meta, counts, hexes, shapes, summary = _load(version, res)
    tw = shapes.merge(summary[["code", "enterprises"]], on="code", how="left").fillna({"enterprises": 0})
    labels = {"tip_township": tr("tip_township"), "legend_note": tr("legend_note")}
    if by_index:
        labels |= {"tip_hex": tr("tip_hex_index"), "legend_title": tr("legend_hex_index")}
        bundle = overview_map(queries.hex_index(require_db(), res), tw, labels, show_names, "index", INDEX_BINS)
    else:
        labels |= {"tip_hex": tr("tip_hex"), "legend_title": tr("legend_hex")}
        bundle = overview_map(hexes, tw, labels, show_names=show_names)
    aggregated = False
    for name in OVERLAYS:
        if name in overlays:
            layer = _overlay(version, name, tiers, days)
            aggregated |= layer.aggregated
            bundle.add(layer)
    view = view_for(*bundle.view_points)
    legends = "".join(legend_html(leg) for leg in [bundle.legend, *bundle.more_legends])
    return (to_pydeck(bundle.specs, bundle.datasets, view, base, background="#0e1117" if dark else "#f7f5f0"),
            legends, aggregated)


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
st.title(f"{md(meta.get('city_name') or '')}{tr('page_overview')}")  # the city's name is user text
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
        res, by_index, show_names, overlays, tiers = 8, True, False, ("incidents",), ()
    else:
        res = st.radio(tr("hex_res"), RESOLUTIONS, index=1, key="hex_res",
                       format_func=lambda r: tr("hex_res_opt", r=r, a=cell_area_km2(r)))
        by_index = st.radio(tr("color_by"), (False, True), key="color_by", horizontal=True,
                            format_func=lambda b: tr("color_index" if b else "color_count"))
        show_names = st.toggle(tr("show_names"), value=False, key="show_names")
        overlays = tuple(st.multiselect(tr("layers"), OVERLAYS, default=list(DEFAULT_OVERLAYS), key="layers",
                                        format_func=lambda k: tr(f"layer_{k}")))
        tiers = tuple(st.multiselect(tr("ent_tiers"), list(TIER_COLORS), default=["重大", "较大"], key="ent_tiers",
                                     format_func=tv)
                      if "enterprises" in overlays else ())
    listed = queries.township_listing(con)
    st.markdown(f"**{tr('listed_now')}（{len(listed)}）**")
    show(pd.DataFrame({tr("col_name"): listed["name"], tr("col_level"): listed["level"]}),
                 hide_index=True, height=560 if big else 260)
with left:
    st.subheader(tr("map_title"))
    deck, legend, aggregated = _deck(version, res, lang(), show_names, by_index, basemap(), big,
                                     overlays, tiers, days)
    if big:
        st.pydeck_chart(deck, height=720, key="overview_map")
        event = None
    else:
        st.caption(tr("overview_click_hint"))
        event = st.pydeck_chart(deck, height=640, key="overview_map", on_select="rerun",
                                selection_mode="single-object")
    if aggregated:
        st.caption(tr("clustered", cap=MAX_POINTS))
    st.markdown(legend, unsafe_allow_html=True)  # built from our own labels, each escaped

if not big:
    summary = _top_townships(version)
    picked = overview_pick(event.selection if event else None)
    if picked:
        column, key, label = picked
        inside = queries.enterprises_in(con, column, key)
        if column.startswith("h3_"):
            st.info(tr("selected_hex", cell=label, n=len(inside), t=inside["township_code"].nunique()))
        else:
            st.info(tr("selected_area", name=md(label), n=len(inside)))
        st.caption(tr("clear_selection"))
        summary = summary[summary["key"].isin(inside["township_code"])
                          | ((column == "township_code") & (summary["key"] == key))]
        st.subheader(tr("selected_enterprises"))
        show(pd.DataFrame({
            tr("col_uscc"): inside["uscc"], tr("col_ent_name"): inside["name"],
            tr("col_name"): inside["township_name"], tr("col_industry"): inside["industry"],
            tr("col_tier"): inside["tier"], tr("col_score"): inside["score"].round(1),
        }), hide_index=True, key="selected_enterprises")
    st.subheader(tr("top_townships"))
    top = summary.head(TOP_TOWNSHIPS)
    show(pd.DataFrame({
        tr("col_rank"): top["index_rank"], tr("col_name"): top["name"], tr("col_county"): top["county_name"],
        tr("col_index"): top["index"].round(1), tr("col_enterprises"): top["enterprises"],
        tr("col_n_major"): top["n_major"], tr("col_n_serious"): top["n_serious"],
        tr("col_overdue"): top["overdue"], tr("col_rate"): top["rectification_rate"],
        tr("col_incidents_12m"): top["incidents_12m"], tr("col_level"): top["level"].fillna("—"),
    }), hide_index=True, key="top_townships",
        column_config={tr("col_rate"): st.column_config.NumberColumn(format="percent")})
