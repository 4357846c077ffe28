"""城市总览: the city heat map of enterprises on H3 hexes under township boundaries."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import queries
from geo.h3cells import RESOLUTIONS, cell_area_km2
from layers.maps import overview_map
from layers.render import legend_html, to_pydeck, view_for
from pages.common import data_note_badge, db_version, lang, require_db, tr


@st.cache_data(max_entries=8, show_spinner=False)
def _load(version: float, res: int) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = require_db()
    return (queries.meta(con), queries.counts(con), queries.hex_counts(con, res),
            queries.township_geometries(con), queries.township_summary(con))


@st.cache_resource(max_entries=16, show_spinner=False)
def _deck(version: float, res: int, language: str, show_names: bool):  # type: ignore[no-untyped-def]
    meta, counts, hexes, shapes, summary = _load(version, res)
    tw = shapes.merge(summary[["code", "enterprises"]], on="code", how="left").fillna({"enterprises": 0})
    labels = {k: tr(k) for k in ("tip_hex", "tip_township")}
    labels["legend_title"] = tr("legend_hex")
    labels["legend_note"] = tr("legend_note")
    bundle = overview_map(hexes, tw, labels, show_names=show_names)
    deck = to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points))
    return deck, legend_html(bundle.legend)


con = require_db()
version = db_version()
meta, counts, *_ = _load(version, 8)

st.title(f"{meta.get('city_name') or ''}{tr('page_overview')}")
data_note_badge(meta)
if meta.get("as_of"):
    st.caption(f"{tr('as_of')} {meta['as_of']}")

cols = st.columns(6)
for col, key, value in zip(cols, ("kpi_enterprises", "kpi_townships", "kpi_grids", "kpi_parks",
                                  "kpi_hazards", "kpi_incidents"),
                           (counts["enterprises"], counts["townships"], counts["grids"],
                            counts["parks"], counts["hazards"], counts["incidents"])):
    col.metric(tr(key), f"{value:,}")
if counts["unplaced"] or counts["no_coordinates"]:
    st.caption(tr("unplaced", n=counts["unplaced"], m=counts["no_coordinates"]))

left, right = st.columns([3, 1])
with right:
    res = st.radio(tr("hex_res"), RESOLUTIONS, index=1, key="hex_res",
                   format_func=lambda r: tr("hex_res_opt", r=r, a=cell_area_km2(r)))
    show_names = st.toggle(tr("show_names"), value=False, key="show_names")
with left:
    st.subheader(tr("map_title"))
    deck, legend = _deck(version, res, lang(), show_names)
    st.pydeck_chart(deck, height=640, key="overview_map")
    st.markdown(legend, unsafe_allow_html=True)  # built from our own labels, each escaped

summary = _load(version, res)[4]
st.subheader(tr("top_townships"))
table = summary.head(15)[["code", "name", "county_name", "kind", "enterprises", "high_fire_risk",
                          "in_park", "grids", "area_km2", "density_per_km2"]]
table.columns = [tr(k) for k in ("col_code", "col_name", "col_county", "col_kind", "col_enterprises",
                                 "col_high_fire", "col_in_park", "col_grids", "col_area",
                                 "col_density")]
st.dataframe(table.round(1), hide_index=True)
