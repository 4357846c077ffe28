"""Optional basemaps: settings are validated; GCJ-02 tiles shift every overlay, hexagons included."""

import json
from urllib.parse import unquote

import h3
import numpy as np
import pytest

from geo.crs import wgs84_to_gcj02
from layers.basemap import Basemap, BasemapError, raster_style, tianditu, to_gcj02, xyz
from layers.render import to_pydeck
from layers.spec import LayerSpec


@pytest.mark.parametrize("url, crs, message", [
    ("ftp://tiles.example/{z}/{x}/{y}.png", "wgs84", "http"),
    ("https://tiles.example/{z}/{x}.png", "wgs84", "{y}"),
    ('https://tiles.example/{z}/{x}/{y}.png"><script>', "wgs84", "http"),
    ("https://tiles.example/{z}/{x}/{y}.png", "bd09", "坐标系"),
])
def test_bad_tile_settings_are_refused(url, crs, message):
    with pytest.raises(BasemapError, match=message):
        xyz(url, crs)


def test_tianditu_key_is_checked_and_both_layers_are_used():
    with pytest.raises(BasemapError):
        tianditu("not a key")
    b = tianditu("0123456789abcdef0123456789abcdef")
    assert len(b.tiles) == 2 and all("tk=0123456789abcdef" in u for u in b.tiles) and b.crs == "wgs84"
    assert {"vec", "cva"} == {u.split("LAYER=")[1].split("&")[0] for u in b.tiles}


def deck_json(specs, datasets, base):
    return json.loads(to_pydeck(specs, datasets, {"longitude": 120.7, "latitude": 28.0, "zoom": 10}, base).to_json())


def test_gcj02_tiles_shift_polygons_points_and_hexagons():
    cell = h3.latlng_to_cell(28.0, 120.7, 8)
    ring = [[120.70, 28.00], [120.71, 28.00], [120.71, 28.01], [120.70, 28.00]]
    specs = [LayerSpec("hex", "h3", "hexes"), LayerSpec("t", "polygon", "polys"), LayerSpec("p", "scatter", "pts")]
    data = {"hexes": [{"hex": cell, "color": [1, 2, 3], "tip": "x"}], "polys": [{"polygon": ring, "tip": "t"}],
            "pts": [{"position": [120.7, 28.0], "color": [0, 0, 0], "tip": "p"}]}
    d = deck_json(specs, data, xyz("https://t.example/{z}/{x}/{y}.png", "gcj02"))
    kinds = [layer["@@type"] for layer in d["layers"]]
    assert kinds == ["PolygonLayer", "PolygonLayer", "ScatterplotLayer"]  # no H3 layer: it cannot be shifted
    hexagon = np.array(d["layers"][0]["data"][0]["polygon"])
    expected = np.column_stack(wgs84_to_gcj02(*np.array([[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]).T))
    assert np.abs(hexagon - expected).max() < 1e-6
    glon, glat = wgs84_to_gcj02(120.7, 28.0)
    assert d["layers"][2]["data"][0]["position"] == pytest.approx([glon, glat], abs=1e-6)
    style = json.loads(unquote(d["mapStyle"].removeprefix("data:application/json,")))
    assert style["sources"]["tiles0"]["tiles"] == ["https://t.example/{z}/{x}/{y}.png"]


def test_wgs84_tiles_leave_overlays_alone():
    specs = [LayerSpec("p", "scatter", "pts")]
    data = {"pts": [{"position": [120.7, 28.0], "color": [0, 0, 0], "tip": "p"}]}
    d = deck_json(specs, data, tianditu("0123456789abcdef"))
    assert d["layers"][0]["data"][0]["position"] == [120.7, 28.0]
    assert len(raster_style(Basemap(("https://a/{z}/{x}/{y}",)))["sources"]) == 1


def test_to_gcj02_does_not_touch_its_input():
    data = {"pts": [{"position": [120.7, 28.0]}]}
    to_gcj02([LayerSpec("p", "scatter", "pts")], data)
    assert data["pts"][0]["position"] == [120.7, 28.0]
