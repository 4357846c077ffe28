"""我的网格: one grid cell — its map, enterprises, open and overdue hazards, and the 一企一档
file of any of its enterprises. (With accounts, the grid will come from the login.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import queries
from layers.colors import TIER_COLORS
from layers.maps import grid_map
from layers.render import legend_html, selected_values, to_pydeck, view_for
from pages.screens.common import basemap, export_button, lang, md, require_db, show, start_page, tr, tv
from reports.exports import ExportRequest, export
from reports.views import ViewRequest
from scoring.model import load_model
from scoring.run import default_as_of
from scoring.targets import score_parts

if TYPE_CHECKING:
    from layers.basemap import Basemap
    from layers.render import FrozenDeck


@st.cache_resource(max_entries=8, show_spinner=False)
def _grids(version: str) -> pd.DataFrame:
    return queries.grid_list(require_db())


@st.cache_resource(max_entries=64, show_spinner=False)
def _deck(version: str, grid_id: str, language: str, base: Basemap | None) -> tuple[FrozenDeck, str]:
    """One grid's map: small (a grid's enterprises), so its rows travel inside the deck."""
    bundle = grid_map(queries.grid_geometry(require_db(), grid_id), _grid(version, grid_id)[0], TIER_COLORS,
                      {"legend_title": tr("grid_legend"), "tip": tr("tip_enterprise")},
                      {t: str(tv(t)) for t in TIER_COLORS})
    return to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points), base), legend_html(bundle.legend)


@st.cache_resource(max_entries=256, show_spinner=False)
def _grid(version: str, grid_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A grid's enterprises and open hazards (a morning's phones open the same grids again)."""
    con = require_db()
    return queries.grid_enterprises(con, grid_id), queries.grid_hazards(con, grid_id, default_as_of(con))


@st.cache_resource(max_entries=512, show_spinner=False)
def _profile(version: str, uscc: str) -> dict[str, pd.DataFrame]:
    con = require_db()
    return queries.enterprise_profile(con, uscc, default_as_of(con))


@st.cache_resource(max_entries=8, show_spinner=False)
def _labels(version: str, language: str) -> dict[str, str]:
    """Each grid as its picker shows it (2,000 of them in the demo city)."""
    return {r.grid_id: tr("grid_option", name=r.name, manager=r.manager or "—") for r in _grids(version).itertuples()}


con, version = start_page("page_grid")
model = load_model()

grids = _grids(version)
if grids.empty:
    st.info(tr("no_grids"))
    st.stop()
labels = _labels(version, lang())
grid_id = st.selectbox(tr("grid_pick"), grids["grid_id"], key="grid", format_func=labels.__getitem__)
enterprises, hazards = _grid(version, grid_id)

c = st.columns(4)
c[0].metric(tr("grid_kpi_enterprises"), len(enterprises))
c[1].metric(tr("grid_kpi_open"), len(hazards))
c[2].metric(tr("grid_kpi_overdue"), int((hazards["status"] == "逾期").sum()))
c[3].metric(tr("grid_kpi_high", high="、".join(model.high_tiers)),
            int(enterprises["tier"].isin(model.high_tiers).sum()))

deck, legend = _deck(version, grid_id, lang(), basemap())
event = st.pydeck_chart(deck, height=420, key="grid_map", on_select="rerun", selection_mode="single-object")
# A clicked enterprise opens its 一企一档 below (once per click, so the picker still works).
clicked = selected_values(event.selection if event else None, "enterprises", "uscc")
if clicked and clicked[0] in set(enterprises["uscc"]) and st.session_state.get("_grid_click") != clicked[0]:
    st.session_state["_grid_click"] = clicked[0]
    st.session_state["profile"] = clicked[0]
st.markdown(legend, unsafe_allow_html=True)  # our own labels, escaped
export_button(st, tr("export_png"),
                   lambda: export(con, "png", ExportRequest(view=ViewRequest("grid", grid_id, lang=lang())))[0],
                   file_name=f"{tr('export_png')}_{grid_id}.png", mime="image/png", key="dl_grid_png")

st.subheader(tr("grid_enterprises"))
show(pd.DataFrame({
    tr("col_uscc"): enterprises["uscc"], tr("col_ent_name"): enterprises["name"],
    tr("col_industry"): enterprises["industry"], tr("col_tier"): enterprises["tier"],
    tr("col_score"): enterprises["score"].round(1), tr("col_address"): enterprises["address"],
}), hide_index=True, key="grid_enterprises")

st.subheader(tr("grid_hazards"))
overdue_first = hazards.assign(_o=hazards["status"] != "逾期").sort_values(["_o", "deadline"])
show(pd.DataFrame({
    tr("col_ent_name"): overdue_first["name"], tr("col_found"): overdue_first["found_on"],
    tr("col_hz_level"): overdue_first["level"], tr("col_category"): overdue_first["category"],
    tr("col_department"): overdue_first["department"], tr("col_deadline"): overdue_first["deadline"],
    tr("col_status"): overdue_first["status"],
}), hide_index=True, key="grid_hazards")

if len(enterprises):
    st.subheader(tr("profile"))
    names = dict(zip(enterprises["uscc"], enterprises["name"]))
    uscc = st.selectbox(tr("profile_pick"), enterprises["uscc"], key="profile",
                        format_func=lambda u: f"{names[u]}（{u}）")
    p = _profile(version, uscc)
    e, s = p["enterprise"].iloc[0], p["score"]
    a, b = st.columns([1, 1])
    with a:
        st.markdown(f"**{md(e['name'])}**  \n{md(e['address'])}")
        flags = [f.name for f in model.factors if f.kind == "flag" and f.measure in e and bool(e[f.measure])]
        founded = tr("founded_on", date=pd.Timestamp(e["founded_on"]).date()) if pd.notna(e.get("founded_on")) else ""
        st.caption(" · ".join(x for x in (md(e["industry"]), f"{tr('col_employees')} {e['employees']}", founded,
                                          "、".join(flags)) if x))
    with b:
        if len(s):
            row = s.iloc[0]
            parts = " + ".join(f"{p.name} {p.points:g}" for p in score_parts(row, model))
            st.markdown(f"**{md(row['tier'])} · {row['score']:.1f}** = {md(parts)}")
    for key in ("hazards", "inspections", "enforcement", "incidents"):
        with st.expander(f"{tr('profile_' + key)}（{len(p[key])}）", expanded=key == "hazards"):
            show(p[key], hide_index=True)
