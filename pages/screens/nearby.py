"""周边查询: what lies within a radius of a point — typed, taken from an incident or clicked on
the map: enterprises by tier, their open hazards, parks, the grid and its manager, with
distances in metres, on a map and as lists for Excel ("what is near this fire")."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import queries
from data.nearby import RADIUS_M, Around, around, incident_choices, start_point
from geo.nearby import PointTextError, area_cells, cell_to_lonlat, circle_lonlat, pick_cells, text_to_point
from layers.basemap import Basemap
from layers.colors import TIER_COLORS
from layers.maps import Overlay, boundaries_overlay, enterprises_overlay
from layers.render import FrozenDeck, legend_html, on_map, selected_values, to_pydeck, view_for
from layers.spec import LayerSpec, Legend, LegendEntry
from pages.screens.common import (
    XLSX,
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
    tv,
)
from reports.ledgers import workbook
from scoring.run import default_as_of

POINT, CIRCLE, PARK, GRID = (20, 20, 20), (30, 110, 220), (0, 140, 90), (110, 110, 170)  # the point: no tier colour
CLICK = [0, 0, 0, 1]  # all but transparent: the cells are there to be clicked, not seen
CIRCLE_VIS = {"filled": True, "get_fill_color": [*CIRCLE, 28], "get_line_color": list(CIRCLE),
              "line_width_min_pixels": 2}
POINT_VIS = {"radius_min_pixels": 7, "stroked": True, "get_line_color": [255, 255, 255], "line_width_min_pixels": 2}
#: The query's own legend: (colour, label key; a label may name the radius, ``r``).
KEY = ((POINT, "nearby_legend_point"), (CIRCLE, "nearby_legend_circle"), (PARK, "col_park"), (GRID, "col_grid"))


@st.cache_resource(max_entries=8, show_spinner=False)
def _start(version: str) -> tuple[pd.DataFrame, tuple[float, float, str | None] | None, list[str]]:
    """Incidents to pick from, where a first visit starts, the coarse click cells over the city."""
    con = require_db()
    as_of = default_as_of(con)
    return incident_choices(con, as_of), start_point(con, as_of), area_cells(queries.township_geometries(con)["geom"])


@st.cache_resource(max_entries=64, show_spinner=False)
def _around(version: str, lon: float, lat: float, radius_m: int) -> Around:
    return around(require_db(), lon, lat, radius_m, default_as_of(require_db()))


@st.cache_resource(max_entries=64, show_spinner=False)
def _deck(version: str, lon: float, lat: float, radius_m: int, language: str,
          base: Basemap | None) -> tuple[FrozenDeck, str]:
    """The point and its circle over grids, parks and enterprises by tier, above cells a click
    lands on (fine ones around the point, coarse ones over the city), each naming itself in
    ``cell``: a GCJ-02 basemap turns an H3 layer into outlines without its ``hex``."""
    found, ring, tip = _around(version, lon, lat, radius_m), circle_lonlat(lon, lat, radius_m), tr("nearby_click_tip")
    cells = {"city": _start(version)[2], "pick": pick_cells(lon, lat, radius_m)[1]}
    click = Overlay([LayerSpec(k, "h3", k, pickable=True) for k in cells],
                    {k: [{"hex": c, "cell": c, "color": CLICK, "tip": tip} for c in v] for k, v in cells.items()})
    key = Legend(tr("nearby_legend"), tuple(LegendEntry(colour, tr(label, r=radius_m)) for colour, label in KEY))
    circle = Overlay([LayerSpec("circle", "polygon", "circle", vis=CIRCLE_VIS)], {"circle": [{"polygon": ring}]}, key)
    grids, parks = (boundaries_overlay(k, frame.rename(columns={"grid_id": "code", "park_id": "code"}), colour, width)
                    for k, frame, colour, width in (("grids", found.grids, GRID, 1), ("parks", found.parks, PARK, 2)))
    dots = enterprises_overlay(found.enterprises.assign(score=found.enterprises["score"].fillna(0.0)), TIER_COLORS,
                               {"legend_title": tr("grid_legend"), "tip": tr("tip_enterprise")},
                               cap=len(found.enterprises), tier_names={t: str(tv(t)) for t in TIER_COLORS})
    point = Overlay([LayerSpec("point", "scatter", "point", vis=POINT_VIS)],
                    {"point": [{"position": [lon, lat], "color": list(POINT)}]})
    overlays = [click, circle, grids, parks, dots, point]
    specs, datasets = [s for o in overlays for s in o.specs], {k: v for o in overlays for k, v in o.datasets.items()}
    return (to_pydeck(specs, datasets, view_for([x for x, _ in ring], [y for _, y in ring]), base,
                      publish=publish_layers()), "".join(legend_html(o.legend) for o in overlays if o.legend))


def _set_point(lon: float, lat: float, incident: str | None = None) -> None:
    st.session_state.update(nearby_xy=f"{lon:.6f}, {lat:.6f}", nearby_crs="wgs84", nearby_incident=incident)


def _incident_chosen(incidents: pd.DataFrame) -> None:
    picked = incidents[incidents["id"] == st.session_state.get("nearby_incident")]
    if len(picked):
        _set_point(picked["lon"].iloc[0], picked["lat"].iloc[0], picked["id"].iloc[0])


def _clicked(key: str, enterprises: pd.DataFrame) -> None:
    """A click on the map: an enterprise's own place, else the centre of the cell clicked."""
    selection = st.session_state[key].selection
    hit = enterprises[enterprises["uscc"].isin(selected_values(selection, "enterprises", "uscc"))]
    cells = selected_values(selection, "pick", "cell") or selected_values(selection, "city", "cell")
    if len(hit) or cells:
        _set_point(*((hit["lon"].iloc[0], hit["lat"].iloc[0]) if len(hit) else cell_to_lonlat(cells[0])))


_, version = start_page("page_nearby")
incidents, start = _start(version)[:2]
if "nearby_xy" not in st.session_state and start:  # the latest incident, else the city's centre
    _set_point(*start)
labels = {r.id: tr("nearby_incident_option", date=pd.Timestamp(r.date).date(), kind=tv(r.kind), id=r.id,
                   name=r.name or "—") for r in incidents.itertuples()}
a, b, c = st.columns([2, 2, 1])
a.selectbox(tr("nearby_incident"), list(labels), key="nearby_incident", on_change=_incident_chosen, args=(incidents,),
            format_func=labels.__getitem__, placeholder=tr("nearby_no_incident"))
b.text_input(tr("nearby_xy"), key="nearby_xy", on_change=lambda: st.session_state.update(nearby_incident=None))
crs = b.radio(tr("nearby_crs"), ("wgs84", "gcj02", "bd09"), key="nearby_crs", horizontal=True,
              format_func=lambda k: tr(f"nearby_crs_{k}"))
radius = c.slider(tr("nearby_radius"), *RADIUS_M, key="nearby_radius", format=tr("nearby_radius_format"))

text = st.session_state.get("nearby_xy", "").strip()
try:
    point = text_to_point(text, crs)
except PointTextError:
    st.warning(tr("nearby_bad_xy", text=md(text)) if text else tr("nearby_no_point"))
    st.stop()
found = _around(version, round(point.lon, 7), round(point.lat, 7), radius)
where = tr("nearby_point", lon=found.lon, lat=found.lat, r=radius, as_of=found.as_of)
st.caption(" · ".join([where] + [tr("nearby_swapped")] * point.swapped
                      + [tr("nearby_converted", crs=tr(f"nearby_crs_{crs}"))] * (crs != "wgs84")))

figures = {tr("nearby_kpi_enterprises"): len(found.enterprises), tr("col_open"): len(found.hazards),
           **{tr("nearby_kpi_tier", tier=tv(t)): n for t, n in found.tier_counts(list(TIER_COLORS)).items()}}
for col, (label, n) in zip(st.columns(len(figures)), figures.items()):
    col.metric(label, n)
st.markdown("  \n".join(tr("nearby_in_grid", name=md(g.name), township=md(g.township_name or "—"), manager=md(
    g.manager or "—"), phone=md(g.phone or "—")) for g in found.grid.itertuples()) or tr("nearby_no_grid"))

deck, legend = _deck(version, found.lon, found.lat, radius, lang(), basemap())
st.caption(tr("nearby_click_hint"))
# A map of its own per point: a selection kept across points would mark whichever cell has
# the clicked index in the next point's cells (and dim everything else).
key = f"nearby_map_{found.lon:.6f}_{found.lat:.6f}_{radius}"
st.pydeck_chart(deck, height=520, key=key, on_select=lambda: _clicked(key, found.enterprises),
                selection_mode="single-object")
st.markdown(on_map(legend), unsafe_allow_html=True)  # our own labels, each escaped; over the map

lists = {tr(f"nearby_{name}"): frame.rename(columns=tr) for name, frame in found.lists().items()}
sheets, title = {k: localise(v) for k, v in lists.items()}, tr("page_nearby")  # now: a click runs outside a run
export_button(st, tr("nearby_download"), lambda mark: workbook(sheets, title, where, mark), mime=XLSX,
              file_name=f"{title}_{found.lon:.5f}_{found.lat:.5f}_{radius}.xlsx", rows=sum(map(len, lists.values())),
              key="nearby_xlsx")
for i, (name, frame) in enumerate(lists.items()):
    st.subheader(tr("with_count", name=name, n=len(frame)))
    show(frame, hide_index=True, key=f"nearby_list_{i}")
