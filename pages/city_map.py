"""The city map of 城市总览 around its deck: what a click picks (hexagons, or townships anywhere
inside them), the selection outlined on the map, and what the click selected, shown under it.

The pure parts are in ``layers.maps`` (:func:`~layers.maps.pick_specs`,
:func:`~layers.maps.selection_overlay`); this module reads the widgets and the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from data import queries
from layers.maps import (
    PICK_MODES,
    area_shapes,
    hex_shape,
    overview_pick,
    pick_specs,
    picked_enterprise,
    selection_overlay,
)
from layers.render import legend_html, to_pydeck, view_for, with_layers
from pages.drill import LEVELS, URL_KEY, Crumb, Drill, DrillError, at_level, drill_specs, level_view, offers, resolve
from pages.filters import city_view_controls
from pages.screens.common import KEPT, from_url, lang, md, publish_layers, require_db, show, to_url, tr, tv_label
from reports.views import ViewRequest, build_view

if TYPE_CHECKING:
    import duckdb

    from layers.basemap import Basemap
    from layers.render import FrozenDeck
    from scoring.model import Model

#: The Streamlit key of the city map (its selection is kept under it).
MAP_KEY = "overview_map"
#: The geometry query of each area a click can select, by its area column.
_GEOMETRIES = {"township_code": queries.township_geometries, "grid_id": queries.grid_geometries,
               "park_id": queries.park_geometries}


def pick_mode_control() -> str:
    """The radio "点击选择：六边形 / 乡镇" (kept for the session and in the URL, as the other
    map controls); returns one of :data:`layers.maps.PICK_MODES`."""
    from_url("pick_by", PICK_MODES)
    mode = st.radio(tr("pick_by"), PICK_MODES, key="pick_by", horizontal=True,
                    format_func=lambda m: tr(f"pick_{m}"), **KEPT)
    to_url("pick_by", PICK_MODES[0])
    return str(mode)


def map_key(path: list[Crumb]) -> str:
    """The Streamlit key of the map of the level ``path`` ends at: a map of its own per area,
    so that a click on one level's map is not taken for a click on the next one's."""
    last = path[-1]
    return MAP_KEY if last.level == "city" else f"{MAP_KEY}_{last.level}_{last.key}"


def drill_path(con: duckdb.DuckDBPyConnection) -> list[Crumb]:
    """The breadcrumbs of the level shown (pages.drill), kept for the session and in the URL
    (``?area=township:330302001``); an area the database does not hold is said and left for
    the city."""
    from_url(URL_KEY)
    text = str(st.session_state.get(URL_KEY) or "")
    try:
        path = resolve(con, Drill.parse(text))
    except DrillError:
        st.warning(tr("drill_unknown", area=md(text)))
        st.session_state[URL_KEY] = ""
        path = resolve(con, Drill())
    to_url(URL_KEY, "")
    return path


def _go(drill: Drill) -> None:
    st.session_state[URL_KEY] = drill.text


def breadcrumbs(path: list[Crumb]) -> None:
    """全市 › 区县 › 乡镇 › 网格 › 企业: each level above the one shown goes back to it."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="drill_crumbs"):
        for i, crumb in enumerate(path):
            if i:
                st.markdown("›", width="content")
            st.button(md(crumb.name) or tr("level_city"), key=f"crumb_{crumb.level}", type="tertiary",
                      disabled=i == len(path) - 1, width="content",
                      on_click=_go, args=(crumb.drill,))


def drill_buttons(con: duckdb.DuckDBPyConnection, path: list[Crumb], column: str | None, key: Any,
                  uscc: str | None) -> None:
    """Under what a click selected: a button into each level it offers below the one shown."""
    here = path[-1]
    depth = LEVELS.index(here.level)
    for d in offers(con, column, key, uscc):
        if d == here.drill or (LEVELS.index(d.level) <= depth and d.level != "enterprise"):
            continue
        name = resolve(con, d)[-1].name
        st.button(tr(f"drill_{d.level}", name=md(name)), key=f"drill_{d.level}", on_click=_go, args=(d,))


def current_selection(key: str = MAP_KEY) -> Any:
    """The map's selection as the last click left it, read before the map is drawn (so that
    the map can outline it)."""
    state = st.session_state.get(key)
    return state.get("selection") if isinstance(state, dict) else getattr(state, "selection", None)


@st.cache_data(max_entries=64, show_spinner=False)
def _area_shapes(version: str, column: str, key: str) -> list[dict[str, Any]]:
    return area_shapes(_GEOMETRIES[column](require_db()), key)


@st.cache_data(max_entries=64, show_spinner=False)
def _enterprise(version: str, uscc: str) -> dict[str, Any] | None:
    """Name, address, township, position, tier and score of one enterprise (None: not scored)."""
    import datetime as dt

    p = queries.enterprise_profile(require_db(), uscc, dt.date.max)
    if p["enterprise"].empty or p["score"].empty:
        return None
    e, s = p["enterprise"].iloc[0], p["score"].iloc[0]
    return {"name": e["name"], "address": e.get("address"), "township_code": e["township_code"],
            "lon": e["lon"], "lat": e["lat"], "tier": s["tier"], "score": float(s["score"])}


def selection_shapes(version: str, selection: Any, path: list[Crumb] | None = None) -> list[dict[str, Any]]:
    """What the selection outlines, in WGS-84 (the stored coordinates, never the drawn ones,
    which a GCJ-02 basemap shifts): the enterprise's point, the hexagon, or every part of the
    township, grid or park; with nothing selected on an enterprise's level, that enterprise."""
    uscc = picked_enterprise(selection)
    if not uscc and not overview_pick(selection) and path and path[-1].level == "enterprise":
        uscc = path[-1].key
    if uscc:
        e = _enterprise(version, uscc)
        return [{"position": [float(e["lon"]), float(e["lat"])]}] if e and pd.notna(e["lon"]) else []
    picked = overview_pick(selection)
    if not picked:
        return []
    column, key, label = picked
    return [hex_shape(label)] if column.startswith("h3_") else _area_shapes(version, column, str(key))


def outlined(deck: FrozenDeck, version: str, selection: Any, base: Basemap | None,
             path: list[Crumb] | None = None) -> FrozenDeck:
    """``deck`` with the selection outlined on top (the deck itself when nothing is selected)."""
    shapes = selection_shapes(version, selection, path)
    if not shapes:
        return deck
    overlay = selection_overlay(shapes)
    return with_layers(deck, overlay.specs, overlay.datasets, base)


def show_selection(con: duckdb.DuckDBPyConnection, version: str, selection: Any,
                   path: list[Crumb] | None = None) -> set[str] | None:
    """Say what a click selected — an enterprise (name, tier, score, code, address), or an area
    and its enterprises — with a button into each level below ``path``'s it offers, and return
    the township codes it concerns (None: nothing selected)."""
    path = path or [Crumb("city", None, "")]
    uscc = picked_enterprise(selection)
    if uscc:
        e = _enterprise(version, uscc)
        if e is None:
            return None
        address = e["address"] if isinstance(e["address"], str) and e["address"] else "—"
        st.info(tr("selected_enterprise", name=md(e["name"]), tier=md(tv_label(e["tier"])), score=e["score"],
                   uscc=md(uscc), address=md(address)))
        drill_buttons(con, path, None, None, uscc)
        st.caption(tr("clear_selection"))
        return {str(e["township_code"])} if pd.notna(e["township_code"]) else set()
    picked = overview_pick(selection)
    if not picked:
        return None
    column, picked_key, label = picked
    inside = queries.enterprises_in(con, column, picked_key)
    if column.startswith("h3_"):
        st.info(tr("selected_hex", cell=label, n=len(inside), t=inside["township_code"].nunique()))
    else:
        st.info(tr("selected_area", name=md(label), n=len(inside)))
    drill_buttons(con, path, column, picked_key, None)
    st.caption(tr("clear_selection"))
    st.subheader(tr("selected_enterprises"))
    show(pd.DataFrame({
        tr("col_uscc"): inside["uscc"], tr("col_ent_name"): inside["name"],
        tr("col_name"): inside["township_name"], tr("col_industry"): inside["industry"],
        tr("col_tier"): inside["tier"], tr("col_score"): inside["score"].round(1),
    }), hide_index=True, key="selected_enterprises")
    concerned = set(inside["township_code"].dropna().astype(str))
    return concerned | {str(picked_key)} if column == "township_code" else concerned


def townships_of(con: duckdb.DuckDBPyConnection, path: list[Crumb]) -> set[str] | None:
    """The township codes the level shown concerns (None: the whole city)."""
    here = path[-1]
    if here.level == "city":
        return None
    if here.level == "county":
        return {str(c) for (c,) in con.execute("SELECT code FROM township WHERE county_code = ?",
                                               [here.key]).fetchall()}
    town = at_level(path, "township")
    return {str(town.key)} if town else set()


@st.cache_resource(max_entries=256, show_spinner=False)
def enterprise_file(version: str, uscc: str) -> dict[str, pd.DataFrame]:
    """The 一企一档 of one enterprise as of the data's date (``pages.profile.file_of``)."""
    from pages.profile import file_of

    return file_of(require_db(), uscc)


# A deck is a few kilobytes (its rows are files: layers.store): room for every combination of
# the controls that a city's users ask for, per scope.
@st.cache_resource(max_entries=256, show_spinner=False)
def city_deck(version: str, req: ViewRequest, base: Basemap | None, pick: str) -> tuple[FrozenDeck, str, bool]:
    """The city map of ``req`` — the same view an export of ``req`` draws — as a deck, a click
    on it picking ``pick`` (layers.maps.PICK_MODES)."""
    bundle = build_view(require_db(), req).bundle
    legends = "".join(legend_html(leg) for leg in [bundle.legend, *bundle.more_legends])
    specs = pick_specs(drill_specs(bundle.specs, req.scope), pick)  # a township's grids picked anywhere inside
    return (to_pydeck(specs, bundle.datasets, view_for(*bundle.view_points), base, publish=publish_layers()),
            legends, bundle.aggregated)


def level_controls(model: Model, days: int, path: list[Crumb]) -> tuple[ViewRequest, str]:
    """The map controls of the level ``path`` ends at and the map they ask for, with what a
    click picks: hexagons' resolution, colouring and overlays for the city and a county; none
    for a township's or grid's enterprises (every tier is drawn)."""
    if path[-1].level in ("city", "county"):
        req, pick = city_view_controls(model, days), pick_mode_control()
    else:
        req, pick = ViewRequest("city", days=days, lang=lang()), "hex"
        st.caption(tr("drill_points_hint"))
    return level_view(path, req), pick


def map_title(path: list[Crumb]) -> str:
    """The map's heading: the city's heat map, a county's, or the enterprises of a township or
    grid (an enterprise is shown in its grid)."""
    where = [c for c in path if c.level != "enterprise"][-1]
    if where.level == "city":
        return tr("map_title")
    return tr("map_title_of", place=md(where.name),
              what=tr("map_title" if where.level == "county" else "map_title_points"))
