"""城市总览: the weekly-report figures with change against the previous period, the city map
(H3 hexes by enterprise count or area index, county and township outlines, the selection
outlined) and the listed townships."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from layers.maps import MAX_POINTS
from layers.render import on_map
from pages.city_map import (
    breadcrumbs,
    city_deck,
    current_selection,
    drill_path,
    enterprise_file,
    level_controls,
    map_key,
    map_title,
    outlined,
    show_selection,
    townships_of,
)
from pages.drill import Crumb
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
    require_db,
    show,
    to_url,
    tr,
)
from reports.exports import ExportRequest, export, export_name
from reports.figures import change_text, figure_text
from scoring.metrics import delta_color, metric
from scoring.model import load_model
from scoring.report import WEEKLY_COLUMNS

if TYPE_CHECKING:
    pass

PERIODS = (7, 30, 90, 365)
TOP_TOWNSHIPS = 15


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
    left, right = st.columns([3, 1])
    with right:
        req, pick = level_controls(model, days, path)
        listed = listed_townships(version)
        st.markdown(f"**{tr('with_count', name=tr('listed_now'), n=len(listed))}**")
        show(pd.DataFrame({tr("col_name"): listed["name"], tr("col_level"): listed["level"]}),
             hide_index=True, height=260)
    with left:
        st.subheader(map_title(path))
        deck, legend, aggregated = city_deck(version, req, basemap(), pick)
        key = map_key(path)
        deck = outlined(deck, version, current_selection(key), basemap(), path)  # the last click's pick, outlined
        st.caption(tr("overview_click_hint"))
        event = st.pydeck_chart(deck, height=640, key=key, on_select="rerun", selection_mode="single-object")
        st.markdown(on_map(legend), unsafe_allow_html=True)  # built from our own labels, each escaped
        if aggregated:
            st.caption(tr("clustered", cap=MAX_POINTS))
        # the same request as the screen: the snapshot is this map
        snap = ExportRequest(end=end, days=days, view=req)
        export_button(st, tr("export_png"), lambda mark: export(con, "png", snap, mark)[0],
                      file_name=export_name(con, "png", snap), mime="image/png", key="overview_png")
    selection_and_townships(event.selection if event else None, path)


def selection_and_townships(selection: object, path: list[Crumb]) -> None:
    """What a click on the map selected (an enterprise, or an area and its enterprises), an
    enterprise's file on its own level, and the townships most at risk — of the selection, if
    there is one, else of the level shown."""
    summary = top_townships(version)
    concerned = show_selection(con, version, selection, path)
    if path[-1].level == "enterprise":
        show_file(enterprise_file(version, str(path[-1].key)), model)
    if concerned is None:
        concerned = townships_of(con, path)
    if concerned is not None:
        summary = summary[summary["key"].astype(str).isin(concerned)]
    st.subheader(tr("top_townships"))
    top = summary.head(TOP_TOWNSHIPS)
    show(pd.DataFrame({
        tr("col_rank"): top["index_rank"], tr("col_name"): top["name"], tr("col_county"): top["county_name"],
        tr("col_index"): top["index"].round(1), tr("col_enterprises"): top["enterprises"],
        tr("col_n_major"): top["n_major"], tr("col_n_serious"): top["n_serious"],
        tr("col_overdue"): top["overdue"], tr("col_rate"): top["rectification_rate"],
        tr("hz_fig_recheck_survival_rate"): top["recheck_survival_rate"],
        tr("col_incidents_12m", months=model.measure("incidents_12m").window_months): top["incidents_12m"],
        tr("col_level"): top["level"].fillna("—"),
    }), hide_index=True, key="top_townships", column_config={
        c: st.column_config.NumberColumn(format="percent") for c in (tr("col_rate"), tr("hz_fig_recheck_survival_rate"))
    })


city_map(days, end)
