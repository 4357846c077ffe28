"""The city map of 城市总览 (issue 15, part 4): county outlines, township names only where they
fit, a click inside a township selecting it under the hexagons, the selection outlined,
enterprise dots that say what they are, and hexagon colours no tier shares."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.colors import TIER_COLORS, YL_OR_RD
from layers.maps import (
    HEX_GREYS,
    area_shapes,
    hex_shape,
    label_box_px,
    labels_that_fit,
    overview_map,
    overview_pick,
    pick_specs,
    picked_enterprise,
    selection_overlay,
)
from layers.render import to_pydeck, view_for, with_layers

from .conftest import City
from .test_app import deck, layer_by_id, run_app

LABELS = {"tip_hex": "本格企业 {n} 家", "tip_township": "{name}\n企业 {n} 家", "legend_title": "企业数"}

# --- township names where they fit ---------------------------------------------------------


def test_a_label_box_is_one_em_per_cjk_character_and_half_an_em_per_latin_one():
    # 12-px font, 2 px of padding left and right, 1 above and below
    assert label_box_px("甲街道") == (3 * 12 + 4, 14)
    assert label_box_px("Jia") == (3 * 6 + 4, 14)
    assert label_box_px("甲街道", font_px=20) == (3 * 20 + 4, 22)


#: At zoom 10, 1° of longitude is 512 · 2¹⁰ / 360 = 1456.4 px. Three 40-px labels on one line:
#: A–B 0.02° (29 px) apart overlap, B–C 0.03° (43.7 px) do not (40 + 2 px gap each side = 42),
#: A–C 0.05° do not.
LINE = ([120.00, 120.02, 120.05], [28.0, 28.0, 28.0], ["甲街道", "乙街道", "丙街道"])


@pytest.mark.parametrize("priority, zoom, expected", [
    ([3, 2, 1], 10, [0, 2]),      # A first: B overlaps it; C overlaps nothing kept
    ([2, 3, 1], 10, [1, 2]),      # B first: A overlaps it; C is clear of B (43.7 px ≥ 42)
    ([1, 1, 1], 10, [0, 2]),      # ties: in the given order
    ([1, 2, 3], 10, [1, 2]),      # C first, then B (43.7 px from C); A overlaps B
    ([3, 2, 1], 12, [0, 1, 2]),   # four times closer in: everything fits
    ([3, 2, 1], 8, [0]),          # four times farther out: one label only
])
def test_labels_that_fit_keep_the_largest_first(priority, zoom, expected):
    lon, lat, texts = LINE
    assert labels_that_fit(lon, lat, texts, priority, zoom) == expected


def test_labels_one_above_the_other_overlap_when_closer_than_a_line():
    # 0.005° of latitude at 28° N is 1456.4 · 0.005 / cos 28° = 8.2 px at zoom 10: < 14 + 2 px
    assert labels_that_fit([120.0, 120.0], [28.0, 28.005], ["甲街道", "乙街道"], [1, 2], 10) == [1]
    # 0.02° is 33 px: both fit
    assert labels_that_fit([120.0, 120.0], [28.0, 28.02], ["甲街道", "乙街道"], [1, 2], 10) == [0, 1]


def test_no_labels_for_no_townships():
    assert labels_that_fit([], [], [], [], 10) == []


def _strips() -> pd.DataFrame:
    """Three narrow townships side by side (0.02°, 0.03°, 0.025° wide, all 0.3° tall) and a
    large one far east. At the first view (zoom 9.24 for these centres) the names of the narrow
    ones are 21.5 and 23.6 px apart, each 40 px wide: only the widest of them fits beside 丁镇."""
    return pd.DataFrame({
        "code": ["1", "2", "3", "4"], "name": ["甲街道", "乙街道", "丙街道", "丁镇"], "enterprises": [1, 2, 3, 4],
        "geom": [shapely.box(120.00, 28.0, 120.02, 28.3), shapely.box(120.02, 28.0, 120.05, 28.3),
                 shapely.box(120.05, 28.0, 120.075, 28.3), shapely.box(120.5, 28.0, 120.8, 28.3)]})


def test_overview_map_names_only_the_townships_whose_names_fit():
    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF], dtype=np.uint64), "enterprises": [1]})
    bundle = overview_map(hexes, _strips(), LABELS)
    assert [r["text"] for r in bundle.datasets["township_labels"]] == ["乙街道", "丁镇"]
    assert view_for(*bundle.view_points)["zoom"] == pytest.approx(9.24)
    # every township is still drawn and can still be clicked
    assert [r["code"] for r in bundle.datasets["township_polygons"]] == ["1", "2", "3", "4"]


# --- a click inside a township under hexagons ---------------------------------------------

def topmost_pick(specs, datasets, lon: float, lat: float) -> dict:
    """What deck.gl's picking gives for a click at (lon, lat), as Streamlit hands it on: the
    object of the topmost visible *pickable* layer there (filled polygons, H3 cells, dots)."""
    point = shapely.Point(lon, lat)
    for spec in reversed(specs):
        if not (spec.pickable and spec.visible):
            continue
        for i, row in enumerate(datasets[spec.data]):
            if spec.type == "h3":
                hit = h3.latlng_to_cell(lat, lon, h3.get_resolution(row["hex"])) == row["hex"]
            elif spec.type == "polygon":
                hit = bool(spec.vis.get("filled")) and shapely.Polygon(row["polygon"]).contains(point)
            else:
                hit = False
            if hit:
                return {"indices": {spec.id: [i]}, "objects": {spec.id: [row]}}
    return {"indices": {}, "objects": {}}


#: 甲街道: a 0.1° square; the hexagon at its middle is drawn over it.
SQUARE = pd.DataFrame({"code": ["339902001"], "name": ["甲街道"], "enterprises": [5],
                       "geom": [shapely.box(120.6, 27.8, 120.7, 27.9)]})
MIDDLE = h3.latlng_to_cell(27.85, 120.65, 8)


@pytest.mark.parametrize("mode, at, expected", [
    ("hex", (120.65, 27.85), ("h3_r8", int(MIDDLE, 16), MIDDLE)),             # on the hexagon: the hexagon
    ("township", (120.65, 27.85), ("township_code", "339902001", "甲街道")),  # under it: the township
    ("hex", (120.61, 27.81), ("township_code", "339902001", "甲街道")),       # in a gap: the township
    ("township", (120.61, 27.81), ("township_code", "339902001", "甲街道")),
    ("township", (120.75, 27.85), None),                                     # outside every township
])
def test_a_click_inside_a_township_under_a_hexagon_selects_the_township(mode, at, expected):
    hexes = pd.DataFrame({"cell": np.array([int(MIDDLE, 16)], dtype=np.uint64), "enterprises": [5]})
    bundle = overview_map(hexes, SQUARE, LABELS)
    specs = pick_specs(bundle.specs, mode)
    assert [s.id for s in specs] == [s.id for s in bundle.specs]  # the same map is drawn
    assert overview_pick(topmost_pick(specs, bundle.datasets, *at)) == expected


def test_an_unknown_pick_mode_is_refused():
    with pytest.raises(ValueError, match="pick mode"):
        pick_specs([], "grid")


# --- the selection outlined ---------------------------------------------------------------

def test_the_outline_holds_exactly_the_selected_township_with_all_its_parts():
    two_parts = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    areas = pd.DataFrame({"code": ["a", "b", "c"], "name": ["甲", "乙", "丙"],
                          "geom": [shapely.box(-1, 0, 0, 1), two_parts, shapely.box(3, 0, 4, 1)]})
    overlay = selection_overlay(area_shapes(areas, "b"))
    rows = overlay.datasets["selection"]
    assert [shapely.Polygon(r["polygon"]).bounds for r in rows] == [(0, 0, 1, 1), (2, 0, 3, 1)]
    assert {s.data for s in overlay.specs} == {"selection"} and not any(s.pickable for s in overlay.specs)
    assert area_shapes(areas, "z") == []


def test_the_outline_of_a_hexagon_is_its_h3_boundary_drawn_on_top_of_the_deck():
    overlay = selection_overlay([hex_shape(MIDDLE)])
    (row,) = overlay.datasets["selection"]
    assert [(round(lat, 6), round(lng, 6)) for lng, lat in row["polygon"][:-1]] == \
        [(round(lat, 6), round(lng, 6)) for lat, lng in h3.cell_to_boundary(MIDDLE)]
    hexes = pd.DataFrame({"cell": np.array([int(MIDDLE, 16)], dtype=np.uint64), "enterprises": [5]})
    bundle = overview_map(hexes, SQUARE, LABELS)
    base = to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points))
    before = base.to_json()
    shown = json.loads(with_layers(base, overlay.specs, overlay.datasets).to_json())
    assert [la["id"] for la in shown["layers"]][-2:] == ["selection_casing", "selection"]
    assert shown["layers"][-1]["data"] == [{"polygon": row["polygon"]}]
    assert base.to_json() == before  # the cached deck is left as it was


def test_an_enterprise_dot_is_picked_by_its_code_and_outlined_as_a_ring():
    assert picked_enterprise({"objects": {"enterprises": [{"uscc": "A1", "tip": "x"}]}}) == "A1"
    assert picked_enterprise({"objects": {"enterprises": [{"hex": "89411c8b2b3ffff", "n": 4}]}}) is None
    assert picked_enterprise({"objects": {"hex": [{"hex": MIDDLE}]}}) is None
    overlay = selection_overlay([{"position": [120.65, 27.85]}])
    assert overlay.datasets["selection"] == [{"position": [120.65, 27.85], "text": "\u3000"}]
    # a ring in pixels that Streamlit's selection does not fade: a blank label's round border
    assert {s.type for s in overlay.specs} == {"text"} and not any(s.pickable for s in overlay.specs)
    casing, line = (s.vis for s in overlay.specs)
    assert line["get_border_color"] == [10, 10, 10] and line["get_color"][3] == 0
    assert line["get_background_color"][3] == 0 and line["background_border_radius"] == 12 / 2 + 7


# --- the small city: counties, palettes, the page -----------------------------------------

def test_the_city_map_outlines_every_county_above_the_townships(small_city: City):
    from data.build import connect
    from reports.views import ViewRequest, build_view

    con = connect(small_city.db, read_only=True)
    n = con.execute("SELECT count(*) FROM county WHERE geom IS NOT NULL").fetchone()[0]
    assert n == 3
    view = build_view(con, ViewRequest("city"))
    specs = {s.id: s for s in view.bundle.specs}
    ids = [s.id for s in view.bundle.specs]
    assert len(view.bundle.datasets["counties"]) == n  # one outline each (no county has two parts)
    assert {r["code"] for r in view.bundle.datasets["counties"]} == {
        c for (c,) in con.execute("SELECT code FROM county").fetchall()}
    assert ids.index("township_lines") < ids.index("counties") < ids.index("parks")
    county, township = specs["counties"].vis, specs["township_lines"].vis
    assert county["line_width_min_pixels"] > township.get("line_width_min_pixels", 1)
    assert sum(county["get_line_color"]) < sum(township.get("get_line_color", [60, 60, 60]))
    assert not specs["counties"].pickable  # a click goes to the township or hexagon beneath
    assert [e.label for leg in view.frame.legends for e in leg.entries if e.label == "区县边界"] == ["区县边界"]
    # a county's map outlines that county alone
    code = con.execute("SELECT code FROM county ORDER BY code LIMIT 1").fetchone()[0]
    one = build_view(con, ViewRequest("county", code)).bundle.datasets["counties"]
    assert [r["code"] for r in one] == [code]


def test_hexagons_under_tier_dots_share_no_colour_with_a_tier(small_city: City):
    from data.build import connect
    from reports.views import ViewRequest, build_view

    con = connect(small_city.db, read_only=True)
    tiers = {tuple(c) for c in TIER_COLORS.values()}
    for colour in ("count", "index"):
        plain = build_view(con, ViewRequest("city", colour=colour, overlays=())).bundle
        assert {tuple(h["color"]) for h in plain.datasets["hexes"]} <= set(YL_OR_RD)
        dotted = build_view(con, ViewRequest("city", colour=colour, overlays=("enterprises",),
                                             tiers=tuple(TIER_COLORS))).bundle
        drawn = {tuple(h["color"]) for h in dotted.datasets["hexes"]}
        assert drawn <= set(HEX_GREYS) and not drawn & tiers
        assert all(r == g == b for r, g, b in drawn)  # no hue at all
        assert [e.color for e in dotted.legend.entries] == [c for c in HEX_GREYS[-len(dotted.legend.entries):]]
        assert {tuple(d["color"]) for d in dotted.datasets["enterprise_points"]} <= tiers  # 红橙黄蓝 kept


def click(at, layer_id: str, obj: dict):
    """A click on the city map as the browser sends it (AppTest has no map interaction)."""
    chart = at.get("deck_gl_json_chart")[0]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"indices": {layer_id: [0]}, "objects": {layer_id: [obj]}}})
    return at._run(states)


def test_clicking_an_enterprise_dot_shows_that_enterprise_and_rings_it(city_env: City):
    from data.build import connect
    from pages.screens.common import md

    con = connect(city_env.db, read_only=True)
    uscc, name, address, tier, score, lon, lat = con.execute(
        "SELECT e.uscc, e.name, e.address, s.tier, s.score, e.lon, e.lat FROM enterprise e "
        "JOIN enterprise_score s USING (uscc) WHERE s.tier = '重大' AND e.lon IS NOT NULL "
        "AND e.address IS NOT NULL ORDER BY s.score DESC, e.uscc LIMIT 1").fetchone()
    at = run_app()
    at = at.multiselect(key="layers").set_value(["enterprises"]).run()
    at = click(at, "enterprises", {"uscc": uscc, "position": [lon, lat], "tip": "x"})
    assert not at.exception
    (info,) = [i.value for i in at.info]
    assert md(name) in info and "重大" in info and f"{score:.1f} 分" in info and md(address) in info
    assert uscc in info
    ring = layer_by_id(deck(at), "selection")
    assert ring["@@type"] == "TextLayer" and not ring.get("pickable")
    assert [r["position"] for r in ring["data"]] == [[pytest.approx(lon), pytest.approx(lat)]]


def test_in_township_mode_the_hexagons_let_a_click_through_and_the_township_is_outlined(city_env: City):
    from data.build import connect
    from data.queries import township_geometries

    at = run_app()
    assert layer_by_id(deck(at), "hex")["pickable"]
    at = at.radio(key="pick_by").set_value("township").run()
    d = deck(at)
    assert not layer_by_id(d, "hex")["pickable"] and layer_by_id(d, "townships")["pickable"]
    con = connect(city_env.db, read_only=True)
    code, name = con.execute("SELECT code, name FROM township ORDER BY code LIMIT 1").fetchone()
    at = click(at, "townships", {"code": code, "name": name})
    assert not at.exception
    assert any(f"已选：{name}" in i.value for i in at.info)
    outline = layer_by_id(deck(at), "selection")["data"]
    parts = shapely.get_parts(township_geometries(con).set_index("code").loc[code, "geom"])
    assert len(outline) == len(parts)
    assert shapely.Polygon(outline[0]["polygon"]).equals_exact(shapely.Polygon(parts[0].exterior), 1e-5)


# --- a real click in Chromium -------------------------------------------------------------

def _target(con, zoom_view: dict, width: float, height: float) -> tuple[str, str, str, float, float]:
    """A drawn r8 hexagon well inside one township (its whole outline 0.003° inside), nearest
    the map's centre: (cell, township code, township name, x, y) with (x, y) its centre in CSS
    pixels of a ``width`` × ``height`` map at ``zoom_view``."""
    from data.queries import hex_counts, township_geometries
    from layers.maps import mercator_px

    towns = township_geometries(con)
    cells = [f"{int(c):x}" for c, n in zip(hex_counts(con, 8)["cell"], hex_counts(con, 8)["enterprises"]) if n > 0]
    x0, y0 = mercator_px(zoom_view["longitude"], zoom_view["latitude"], zoom_view["zoom"])
    best = None
    for cell in cells:
        lat, lng = h3.cell_to_latlng(cell)
        x, y = mercator_px(lng, lat, zoom_view["zoom"])
        x, y = float(x - x0 + width / 2), float(y - y0 + height / 2)
        if not (60 < x < width - 60 and 60 < y < height - 200):  # clear of the edges and the legend
            continue
        hexagon = shapely.Polygon([(b, a) for a, b in h3.cell_to_boundary(cell)])
        inside = [(c, n) for c, n, g in zip(towns["code"], towns["name"], towns["geom"])
                  if g.buffer(-0.003).contains(hexagon)]
        d = (x - width / 2) ** 2 + (y - height / 2) ** 2
        if inside and (best is None or d < best[0]):
            best = (d, cell, *inside[0], x, y)
    assert best, "no hexagon well inside a township"
    return best[1:]


@pytest.mark.browser
def test_a_click_on_a_hexagon_in_township_mode_selects_the_township_under_it(small_city: City):
    """The same pixel, inside a drawn hexagon inside a township: in hexagon mode it selects that
    hexagon (which checks where the click lands), in township mode the township."""
    import contextlib
    import re

    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from data.build import connect
    from reports.views import ViewRequest, build_view

    from .browser import app_page, map_canvas, visit, wait_until_idle
    from .test_browser import ARTIFACTS

    con = connect(str(small_city.db), read_only=True)
    view = view_for(*build_view(con, ViewRequest("city")).bundle.view_points)  # the page's first view
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    said = {}
    with app_page(small_city.data_dir) as (page, url):
        for mode, answer in (("hex", "已选六边形"), ("township", "已选：")):
            # no overlays: nothing but hexagons and outlines under the pointer
            visit(page, url, "?layers=" + ("&pick_by=township" if mode == "township" else ""))
            canvas = map_canvas(page, settle_ms=2000)
            canvas.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            box = canvas.bounding_box()
            cell, code, name, x, y = _target(con, view, box["width"], box["height"])
            for _ in range(3):  # a first click right after the map is drawn is now and then lost
                page.mouse.click(box["x"] + x, box["y"] + y)
                with contextlib.suppress(PlaywrightTimeout):
                    page.get_by_text(re.compile(answer)).first.wait_for(timeout=20_000)
                    break
            wait_until_idle(page)
            page.wait_for_timeout(1500)
            canvas.screenshot(path=str(ARTIFACTS / f"city_map_click_{mode}.png"))
            said[mode] = page.inner_text("body")
    assert f"已选六边形 {cell}" in said["hex"], said["hex"][:1500]
    assert f"已选：{name}，" in said["township"], said["township"][:1500]
    assert "已选六边形" not in said["township"]
