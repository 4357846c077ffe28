"""我的网格: one grid cell, laid out for a 网格员's phone — overdue hazards first, its map, enterprises,
open hazards, and the 一企一档 of any of its enterprises (a tapped dot opens it at the top)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pydeck as pdk
import streamlit as st

from data import queries
from layers.colors import TIER_COLORS
from layers.maps import grid_map
from layers.render import fit_view, legend_html, on_map, selected_values, to_pydeck
from pages import phone
from pages.profile import file_of, show_file
from pages.screens.common import basemap, export_button, lang, require_db, show, start_page, tr, tv
from reports.exports import ExportRequest, export
from reports.views import ViewRequest
from scoring.model import load_model
from scoring.run import default_as_of

if TYPE_CHECKING:
    from layers.basemap import Basemap
    from layers.render import FrozenDeck

#: The map's height, and the narrowest width it is drawn at on a phone (360 pixels less the page's
#: margins) and elsewhere: its first view holds the whole grid at that width, so on any wider one.
MAP_HEIGHT_PX, FIT_WIDTH_PX = 380, {True: 320, False: 640}
#: deck.gl controller options: no rotation (the first view is fitted north-up), zoom as usual.
NORTH_UP = {"dragRotate": False, "touchRotate": False, "doubleClickZoom": True}


@st.cache_resource(max_entries=8, show_spinner=False)
def _grids(version: str) -> pd.DataFrame:
    return queries.grid_list(require_db())


@st.cache_resource(max_entries=64, show_spinner=False)
def _deck(version: str, grid_id: str, language: str, base: Basemap | None, fit_px: int) -> tuple[FrozenDeck, str]:
    """One grid's map: small (a grid's enterprises), so its rows travel inside the deck."""
    bundle = grid_map(queries.grid_geometry(require_db(), grid_id), _grid(version, grid_id)[0], TIER_COLORS,
                      {"legend_title": tr("grid_legend"), "tip": tr("tip_enterprise")},
                      {t: str(tv(t)) for t in TIER_COLORS})
    view = fit_view(*bundle.view_points, width_px=fit_px, height_px=MAP_HEIGHT_PX)
    deck = to_pydeck(bundle.specs, bundle.datasets, view, base, height=MAP_HEIGHT_PX)
    deck.views = [pdk.View(type="MapView", controller=NORTH_UP)]
    return deck, legend_html(bundle.legend)


@st.cache_resource(max_entries=256, show_spinner=False)
def _grid(version: str, grid_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A grid's enterprises and open hazards (a morning's phones open the same grids again)."""
    con = require_db()
    return queries.grid_enterprises(con, grid_id), queries.grid_hazards(con, grid_id, default_as_of(con))


@st.cache_resource(max_entries=512, show_spinner=False)
def _profile(version: str, uscc: str) -> dict[str, pd.DataFrame]:
    return file_of(require_db(), uscc)


@st.cache_resource(max_entries=8, show_spinner=False)
def _labels(version: str, language: str) -> dict[str, str]:
    """Each grid as its picker shows it (2,000 of them in the demo city)."""
    return {r.grid_id: tr("grid_option", name=r.name, manager=r.manager or "—") for r in _grids(version).itertuples()}


def _tapped(map_key: str) -> None:
    """A dot tapped on the map (a callback: runs before the page) opens its enterprise's file."""
    clicked = selected_values(st.session_state[map_key].selection, "enterprises", "uscc")
    if clicked:
        st.session_state["_grid_open"], st.session_state["_grid_scroll"] = clicked[0], "file"


def _back() -> None:  # to the grid, and to its map
    st.session_state.pop("_grid_open", None)
    st.session_state["_grid_map_n"] = st.session_state.get("_grid_map_n", 0) + 1  # a new map: nothing selected
    st.session_state["_grid_scroll"] = "map"


def _scroll() -> None:
    """After a tap or "back": the page scrolls to what it opened (once)."""
    target = st.session_state.pop("_grid_scroll", None)
    if target:
        st.session_state["_grid_scroll_n"] = n = st.session_state.get("_grid_scroll_n", 0) + 1
        st.html(phone.scroll_script(target, n), unsafe_allow_javascript=True)  # constant script, no user text


con, version = start_page("page_grid")
model = load_model()
st.html(phone.PAGE_CSS)  # our constant stylesheet: cards, strip, touch on the map, print

grids = _grids(version)
if grids.empty:
    st.info(tr("no_grids"))
    st.stop()
labels = _labels(version, lang())
grid_id = st.selectbox(tr("grid_pick"), grids["grid_id"], key="grid", format_func=labels.__getitem__,
                       placeholder=tr("choose_one"))
enterprises, hazards = _grid(version, grid_id)
overdue, others = phone.overdue_and_others(hazards)
st.html(phone.kpi_strip(phone.strip_items(enterprises, hazards, overdue, model.high_tiers, tr, tv)))

opened = st.session_state.get("_grid_open")
if opened in set(enterprises["uscc"]):  # the file of a tapped dot, at the top; the grid behind "back"
    show_file(_profile(version, str(opened)), model, back=_back)
    _scroll()
    st.stop()

for title, part in (("grid_overdue_cards", overdue), ("grid_other_cards", others)):
    if len(part):
        st.markdown(f"**{tr(title, n=len(part))}**")
        st.html(phone.hazard_cards(part, tr, tv))

on_phone = phone.is_phone(st.context.headers.get("User-Agent"))  # the map's first view fits its width
deck, legend = _deck(version, grid_id, lang(), basemap(), FIT_WIDTH_PX[on_phone])
map_key = f"grid_map_{st.session_state.get('_grid_map_n', 0)}"
st.pydeck_chart(deck, height=MAP_HEIGHT_PX, key=map_key, on_select=lambda: _tapped(map_key),
                selection_mode="single-object")
st.markdown(on_map(legend), unsafe_allow_html=True)  # our own labels, each escaped; over the map
st.caption(tr("grid_map_hint"))
export_button(st, tr("export_png"),
              lambda mark: export(con, "png", ExportRequest(view=ViewRequest("grid", grid_id, lang=lang())), mark)[0],
              file_name=f"{tr('export_png')}_{grid_id}.png", mime="image/png", key="dl_grid_png")

with st.expander(tr("grid_enterprise_table", n=len(enterprises))):
    show(pd.DataFrame({
        tr("col_ent_name"): enterprises["name"], tr("col_tier"): enterprises["tier"],
        tr("col_score"): enterprises["score"].round(1), tr("col_industry"): enterprises["industry"],
        tr("col_address"): enterprises["address"], tr("col_uscc"): enterprises["uscc"],
    }), hide_index=True, key="grid_enterprises")

with st.expander(tr("grid_hazard_table", n=len(hazards))):
    listed = phone.columns_as_text(pd.concat([overdue, others]), ["deadline", "found_on"])
    show(pd.DataFrame({
        tr("col_ent_name"): listed["name"], tr("col_status"): listed["status"], tr("col_deadline"): listed["deadline"],
        tr("col_hz_level"): listed["level"], tr("col_category"): listed["category"],
        tr("col_found"): listed["found_on"], tr("col_department"): listed["department"],
    }), hide_index=True, key="grid_hazards")

if len(enterprises):
    st.divider()
    names = dict(zip(enterprises["uscc"], enterprises["name"]))
    uscc = st.selectbox(tr("profile_pick"), enterprises["uscc"], key="profile",
                        format_func=lambda u: tr("name_code", name=names[u], code=u), placeholder=tr("choose_one"))
    show_file(_profile(version, uscc), model)
_scroll()
