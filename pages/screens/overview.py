"""城市总览: the weekly-report figures with change against the previous period, the city map
(H3 hexes by enterprise count or area index, county and township outlines, the selection
outlined) and the listed townships."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import queries
from layers.maps import MAX_POINTS, pick_specs
from layers.render import legend_html, on_map, to_pydeck, view_for
from pages.city_map import (
    breadcrumbs,
    current_selection,
    drill_path,
    map_key,
    outlined,
    pick_mode_control,
    show_selection,
)
from pages.drill import Crumb, at_level, drill_specs, level_view
from pages.filters import city_view_controls
from pages.loaders import listed_townships, meta_and_counts, top_townships, weekly
from pages.profile import show_file
from pages.screens.common import (
    KEPT,
    basemap,
    data_note_badge,
    db_version,
    export_button,
    from_url,
    lang,
    live_fragment,
    md,
    publish_layers,
    require_db,
    show,
    to_url,
    tr,
)
from reports.exports import ExportRequest, export, export_name
from reports.figures import change_text, figure_text
from reports.views import ViewRequest, build_view
from scoring.metrics import delta_color, metric
from scoring.model import load_model
from scoring.report import WEEKLY_COLUMNS
from scoring.run import default_as_of

if TYPE_CHECKING:
    from layers.basemap import Basemap
    from layers.render import FrozenDeck

PERIODS = (7, 30, 90, 365)
TOP_TOWNSHIPS = 15


# A deck is a few kilobytes (its rows are files: layers.store): room for every combination of
# the controls that a city's users ask for, per scope.
@st.cache_resource(max_entries=256, show_spinner=False)
def _deck(version: str, req: ViewRequest, base: Basemap | None, pick: str) -> tuple[FrozenDeck, str, bool]:
    """The city map of ``req`` — the same view an export of ``req`` draws — as a deck, a click
    on it picking ``pick`` (layers.maps.PICK_MODES)."""
    bundle = build_view(require_db(), req).bundle
    legends = "".join(legend_html(leg) for leg in [bundle.legend, *bundle.more_legends])
    specs = pick_specs(drill_specs(bundle.specs, req.scope), pick)  # a township's grids picked anywhere inside
    return (to_pydeck(specs, bundle.datasets, view_for(*bundle.view_points), base, publish=publish_layers()),
            legends, bundle.aggregated)


@st.cache_resource(max_entries=256, show_spinner=False)
def _profile(version: str, uscc: str) -> dict[str, pd.DataFrame]:
    return queries.enterprise_profile(db := require_db(), uscc, default_as_of(db))


con, version, model = require_db(), db_version(), load_model()
meta, counts = meta_and_counts(version)
if st.query_params.get("screen") == "1":  # the meeting-room screen: a page of its own (pages/big_screen.py)
    from pages import big_screen

    big_screen.render()
    st.stop()
st.title(tr("city_title", city=md(meta.get("city_name") or ""), page=tr("page_overview")))  # the name is user text
data_note_badge(meta)
st.markdown(f"[{tr('big_screen')} ↗](?screen=1)")

from_url("period", PERIODS)
days = st.radio(tr("period"), PERIODS, index=1, horizontal=True, key="period",
                format_func=lambda d: tr(f"period_{d}"), **KEPT)
to_url("period", PERIODS[1])
start, end, now, before = weekly(version, days)
st.caption(tr("weekly_title", start=start, end=end))
keys = [k for k, _, _ in WEEKLY_COLUMNS]
for row in (keys[:6], keys[6:]):
    for col, key in zip(st.columns(6), row):
        m = metric(key)  # name and definition declared once, with the SQL (scoring.metrics)
        col.metric(m.text(lang()), figure_text(key, now[key]), change_text(key, now[key], before[key], lang()) or None,
                   delta_color=delta_color(key), help=m.help(lang()))
if counts["unplaced"] or counts["no_coordinates"]:
    st.caption(tr("unplaced", n=counts["unplaced"], m=counts["no_coordinates"]))


@live_fragment
def city_map(days: int, end: dt.date) -> None:
    """The breadcrumbs, the map of the level they end at, its controls, the listed townships
    and what a click on the map selects: a control, a click or a crumb reruns this alone (the
    figures above stay as they are)."""
    path = drill_path(con)
    breadcrumbs(path)
    level = path[-1].level
    left, right = st.columns([3, 1])
    with right:
        if level in ("city", "county"):  # hexagons: their resolution, colouring, overlays, what a click picks
            req, pick = city_view_controls(model, days), pick_mode_control()
        else:  # a township's or grid's enterprises, every tier
            req, pick = ViewRequest("city", days=days, lang=lang()), "hex"
            st.caption(tr("drill_points_hint"))
        req = level_view(path, req)
        listed = listed_townships(version)
        st.markdown(f"**{tr('with_count', name=tr('listed_now'), n=len(listed))}**")
        show(pd.DataFrame({tr("col_name"): listed["name"], tr("col_level"): listed["level"]}),
             hide_index=True, height=260)
    with left:
        where = [c for c in path if c.level != "enterprise"][-1]  # an enterprise is shown in its grid
        st.subheader(tr("map_title") if level in ("city", "county") and where.level == "city"
                     else tr("map_title_of", place=md(where.name),
                             what=tr("map_title" if where.level == "county" else "map_title_points")))
        deck, legend, aggregated = _deck(version, req, basemap(), pick)
        key = map_key(path)
        deck = outlined(deck, version, current_selection(key), basemap(), path)  # the last click's pick, outlined
        st.caption(tr("overview_click_hint"))
        event = st.pydeck_chart(deck, height=640, key=key, on_select="rerun", selection_mode="single-object")
        st.markdown(on_map(legend), unsafe_allow_html=True)  # built from our own labels, each escaped
        if aggregated:
            st.caption(tr("clustered", cap=MAX_POINTS))
        # the same request as the screen: the snapshot is this map
        snap = ExportRequest(end=end, days=days, view=req)
        export_button(st, tr("export_png"), lambda: export(con, "png", snap)[0],
                      file_name=export_name(con, "png", snap), mime="image/png", key="overview_png")
    selection_and_townships(event.selection if event else None, path)


def _townships_of(path: list[Crumb]) -> set[str] | None:
    """The township codes the level shown concerns (None: the whole city)."""
    here = path[-1]
    if here.level == "city":
        return None
    if here.level == "county":
        return {str(c) for (c,) in con.execute("SELECT code FROM township WHERE county_code = ?",
                                               [here.key]).fetchall()}
    town = at_level(path, "township")
    return {str(town.key)} if town else set()


def selection_and_townships(selection: object, path: list[Crumb]) -> None:
    """What a click on the map selected (an enterprise, or an area and its enterprises), an
    enterprise's file on its own level, and the townships most at risk — of the selection, if
    there is one, else of the level shown."""
    summary = top_townships(version)
    concerned = show_selection(con, version, selection, path)
    if path[-1].level == "enterprise":
        show_file(_profile(version, str(path[-1].key)), model)
    if concerned is None:
        concerned = _townships_of(path)
    if concerned is not None:
        summary = summary[summary["key"].astype(str).isin(concerned)]
    st.subheader(tr("top_townships"))
    top = summary.head(TOP_TOWNSHIPS)
    show(pd.DataFrame({
        tr("col_rank"): top["index_rank"], tr("col_name"): top["name"], tr("col_county"): top["county_name"],
        tr("col_index"): top["index"].round(1), tr("col_enterprises"): top["enterprises"],
        tr("col_n_major"): top["n_major"], tr("col_n_serious"): top["n_serious"],
        tr("col_overdue"): top["overdue"], tr("col_rate"): top["rectification_rate"],
        tr("col_incidents_12m", months=model.measure("incidents_12m").window_months): top["incidents_12m"],
        tr("col_level"): top["level"].fillna("—"),
    }), hide_index=True, key="top_townships",
        column_config={tr("col_rate"): st.column_config.NumberColumn(format="percent")})


city_map(days, end)
