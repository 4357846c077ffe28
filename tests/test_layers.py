"""Layer specs, colour bins, the pydeck renderer and legends."""

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from layers.colors import YL_OR_RD, Bins, nice_count_bins
from layers.maps import overview_map
from layers.render import LayerDataError, legend_html, to_pydeck, view_for
from layers.spec import Legend, LegendEntry, LayerSpec


def test_bins_classify_edges_by_hand():
    bins = Bins((1, 2, 5, 10, 20, 50, 100), YL_OR_RD)
    assert bins.classify([1, 1.9, 2, 4, 5, 19, 20, 99, 500]).tolist() == [0, 0, 1, 1, 2, 3, 4, 5, 5]
    assert bins.labels() == ["1", "2–4", "5–9", "10–19", "20–49", "≥ 50"]


def test_nice_count_bins_are_increasing_and_cover_the_maximum():
    rng = np.random.default_rng(0)
    values = np.ceil(rng.lognormal(1, 1.2, 5000))
    bins = nice_count_bins(values)
    assert bins.edges[0] == 1 and all(a < b for a, b in zip(bins.edges, bins.edges[1:]))
    assert bins.edges[-1] > values.max()
    assert nice_count_bins([3, 3, 3]).edges[0] == 1  # ties do not collapse the classes


def test_specs_are_json_serialisable_and_checked():
    spec = LayerSpec("hex", "h3", "hexes", vis={"opacity": 0.5}, pickable=True)
    assert json.loads(json.dumps(spec.to_dict()))["data"] == "hexes"
    with pytest.raises(ValueError):
        LayerSpec("x", "heatmap3d", "d")
    with pytest.raises(LayerDataError, match="lacks"):
        to_pydeck([spec], {"hexes": [{"hex": "88411c8b2bfffff"}]}, {"longitude": 120, "latitude": 28, "zoom": 9})


def test_overview_map_renders_hexes_and_outlines():
    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF, 0x88411C8B29FFFFF], dtype=np.uint64),
                          "enterprises": [3, 40]})
    towns = pd.DataFrame({"code": ["339902001"], "name": ["甲街道"], "enterprises": [43],
                          "geom": [shapely.box(120.6, 27.8, 120.7, 27.9)]})
    labels = {"tip_hex": "本格企业 {n} 家", "tip_township": "{name}\n企业 {n} 家", "legend_title": "企业数"}
    bundle = overview_map(hexes, towns, labels)
    d = json.loads(to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points)).to_json())
    h3_layer = next(l for l in d["layers"] if l["@@type"] == "H3HexagonLayer")
    assert [h["hex"] for h in h3_layer["data"]] == ["88411c8b2bfffff", "88411c8b29fffff"]
    assert h3_layer["data"][1]["tip"] == "本格企业 40 家"
    poly = next(l for l in d["layers"] if l["@@type"] == "PolygonLayer")
    assert poly["data"][0]["polygon"][0] == [120.7, 27.8] or len(poly["data"][0]["polygon"]) == 5
    # No basemap: the style is inline, with a background layer and no sources to download.
    from urllib.parse import unquote

    style = json.loads(unquote(d["mapStyle"].removeprefix("data:application/json,")))
    assert style["sources"] == {} and [l["type"] for l in style["layers"]] == ["background"]


def test_user_text_is_escaped_in_legends_and_tooltips():
    evil = "<img src=x onerror=alert(1)>"
    html = legend_html(Legend(evil, (LegendEntry((1, 2, 3), evil),), note=evil))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    towns = pd.DataFrame({"code": ["1"], "name": [evil], "enterprises": [1],
                          "geom": [shapely.box(0, 0, 1, 1)]})
    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF], dtype=np.uint64), "enterprises": [1]})
    bundle = overview_map(hexes, towns, {"tip_hex": "{n}", "tip_township": "{name}", "legend_title": "t"})
    deck = to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points))
    assert deck._tooltip == {"text": "{tip}"}  # deck.gl puts text tooltips in innerText


@pytest.mark.parametrize("selection, expected", [
    ({"indices": {"enterprises": [2]}, "objects": {"enterprises": [{"uscc": "A1", "tip": "x"}]}}, ["A1"]),
    ({"indices": {}, "objects": {}}, []),
    ({"objects": {"grid": [{"name": "g"}]}}, []),                # another layer was clicked
    ({"objects": {"enterprises": [{"tip": "no code"}]}}, []),  # nothing to open
    (None, []),
])
def test_selected_values(selection, expected):
    from layers.render import selected_values

    assert selected_values(selection, "enterprises", "uscc") == expected
