"""园区: parks on the index map, their metrics, each park's hazard list in the columns of the
park form (小微园安全隐患整治清单), and the sites shared by several enterprises (in the park or in
the whole city) with their site score, coordinator and tenants."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import queries
from layers.maps import area_index_map
from layers.render import legend_html, on_map, to_pydeck, view_for
from pages.screens.common import (
    basemap,
    export_button,
    lang,
    localise,
    md,
    publish_layers,
    require_db,
    show,
    start_page,
    tr,
)
from pages.sites import show_site, site_rows
from reports.exports import ExportRequest, export
from reports.spreadsheets import to_xlsx
from reports.views import ViewRequest
from scoring.closures import survival_by
from scoring.run import default_as_of

if TYPE_CHECKING:
    from layers.basemap import Basemap
    from layers.render import FrozenDeck

DAYS = 90


@st.cache_resource(max_entries=8, show_spinner=False)
def _parks(version: str) -> pd.DataFrame:
    con = require_db()  # the re-check survival beside 整改率 (scoring.closures, as hazard_figures counts it)
    kept = survival_by(con, default_as_of(con), "park_id").rename(columns={"key": "code"})
    return queries.park_table(con).merge(kept[["code", "recheck_survival_rate"]], on="code", how="left")


@st.cache_resource(max_entries=8, show_spinner=False)
def _sites(version: str) -> pd.DataFrame:
    return queries.site_table(require_db())


con, version = start_page("page_parks")
as_of = default_as_of(con)
parks = _parks(version)
if parks.empty:
    st.info(tr("no_parks"))
    st.stop()


@st.cache_resource(max_entries=8, show_spinner=False)
def _deck(version: str, language: str, base: Basemap | None) -> tuple[FrozenDeck, str]:
    """Parks over township outlines, so small rectangles can be placed at a glance."""
    parks = _parks(version)
    shown = parks.assign(listed=False, index=parks["index"].fillna(0), index_rank=parks["index_rank"].fillna(0))
    bundle = area_index_map(shown, {"legend_title": tr("park_legend"), "tip": tr("tip_township_index")},
                            context=queries.township_geometries(require_db()))
    return (to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points), base, publish=publish_layers()),
            legend_html(bundle.legend))


deck, legend = _deck(version, lang(), basemap())
st.pydeck_chart(deck, height=520, key="park_map")
st.markdown(on_map(legend), unsafe_allow_html=True)  # our own labels, each escaped; over the map

show(pd.DataFrame({
    tr("col_park"): parks["name"], tr("col_kind_park"): parks["kind"], tr("col_operator"): parks["operator"],
    tr("col_enterprises"): parks["enterprises"], tr("col_open"): parks["open_hazards"],
    tr("col_overdue"): parks["overdue"], tr("col_rate"): parks["rectification_rate"],
    tr("hz_fig_recheck_survival_rate"): parks["recheck_survival_rate"],
    tr("col_index"): parks["index"].round(1), tr("col_rank"): parks["index_rank"],
}), hide_index=True, key="park_table",
    column_config={c: st.column_config.NumberColumn(format="percent")
                   for c in (tr("col_rate"), tr("hz_fig_recheck_survival_rate"))})

names = dict(zip(parks["code"], parks["name"]))
park_id = st.selectbox(tr("park_pick"), parks["code"], key="park", format_func=names.__getitem__,
                       placeholder=tr("choose_one"))
hazards = queries.park_hazard_list(con, park_id, as_of - dt.timedelta(days=DAYS - 1), as_of)
st.subheader(tr("park_list_title", name=md(names[park_id]), days=DAYS))
show(hazards, hide_index=True, key="park_hazards")
st.caption(tr("difficulty_note"))
export_button(st, tr("park_download", name=md(names[park_id])),  # a label is Markdown
                   lambda mark: to_xlsx(localise(hazards), tr("park_list"), mark),
                   file_name=f"{names[park_id]}_{tr('park_list')}_{as_of}.xlsx", key="park_download",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
export_button(st, tr("export_png"),
              lambda mark: export(con, "png", ExportRequest(view=ViewRequest("park", park_id, lang=lang())), mark)[0],
              file_name=f"{names[park_id]}_{tr('export_png')}.png", mime="image/png", key="park_png")

st.subheader(tr("site_title"))
st.caption(tr("site_caption"))
scope = st.segmented_control(tr("site_scope"), ["park", "city"], default="park", key="site_scope",
                             format_func=lambda k: tr(f"site_scope_{k}"))
sites = _sites(version)
if len(sites) and scope != "city":
    sites = sites[sites["park_id"] == park_id]
if sites.empty:
    st.caption(tr("site_none"))
else:
    show(site_rows(sites, tr), hide_index=True, key="site_table")
    labels = dict(zip(sites["site_key"], sites["name"]))
    site_key = st.selectbox(tr("site_pick"), sites["site_key"], key="site", format_func=labels.__getitem__,
                            placeholder=tr("choose_one"))
    site = sites[sites["site_key"] == site_key].head(1) if site_key in labels else sites.head(1)
    show_site(site.iloc[0], queries.site_tenants(con, str(site["site_key"].iloc[0])))
