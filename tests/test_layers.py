"""Layer specs, colour bins, the pydeck renderer and legends."""

import json
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from layers.colors import YL_OR_RD, Bins, nice_count_bins
from layers.maps import LISTED_OUTLINE, area_index_map, overview_map
from layers.render import LayerDataError, legend_html, to_pydeck, view_for
from layers.spec import LayerSpec, Legend, LegendEntry


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


def test_count_bins_are_round_numbers_even_where_quantiles_coincide():
    """Mostly single-enterprise cells: the low quantiles coincide. The classes still break at
    round numbers (1 / 2–4 / 5–9 / 10–19 / 20–49 / ≥ 50), never at 6 or 11."""
    values = [1] * 50 + [2] * 20 + [3] * 10 + [5] * 10 + [8] * 5 + [30] * 5
    bins = nice_count_bins(values)
    assert bins.edges[:6] == (1, 2, 5, 10, 20, 50)
    assert bins.labels() == ["1", "2–4", "5–9", "10–19", "20–49", "≥ 50"]


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
    h3_layer = next(layer for layer in d["layers"] if layer["@@type"] == "H3HexagonLayer")
    assert [h["hex"] for h in h3_layer["data"]] == ["88411c8b2bfffff", "88411c8b29fffff"]
    assert h3_layer["data"][1]["tip"] == "本格企业 40 家"
    poly = next(layer for layer in d["layers"] if layer["id"] == "townships")
    assert poly["data"][0]["polygon"][0] == [120.7, 27.8] or len(poly["data"][0]["polygon"]) == 5
    # No basemap: no map style to load at all; the first layer is the paper colour.
    assert d["mapStyle"] == "__MAP_STYLE__" and d["layers"][0]["id"] == "paper"


def test_listed_areas_are_outlined_on_top_and_widths_stay_out_of_pixel_units():
    """Three townships, the middle one listed: every area filled and pickable, the listed one
    outlined again in red above all fills, in a layer nobody can pick (a click names the area)."""
    towns = pd.DataFrame({"code": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "index": [10.0, 80.0, 40.0],
                          "index_rank": [3, 1, 2], "listed": [False, True, False],
                          "geom": [shapely.box(120 + i / 10, 28, 120.1 + i / 10, 28.1) for i in range(3)]})
    bundle = area_index_map(towns, {"legend_title": "指数", "tip": "{name} {index:.0f} 第{rank}"})
    d = json.loads(to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points)).to_json())
    layers = {layer["id"]: layer for layer in d["layers"]}
    ids = [layer["id"] for layer in d["layers"]]
    assert ids.index("listed") > ids.index("area_index")
    assert [r["code"] for r in layers["area_index"]["data"]] == ["a", "b", "c"]
    assert [r["tip"] for r in layers["area_index"]["data"]] == ["甲 10 第3", "乙 80 第1", "丙 40 第2"]
    assert [r["code"] for r in layers["listed"]["data"]] == ["b"]
    assert layers["listed"]["getLineColor"] == LISTED_OUTLINE and not layers["listed"].get("pickable")
    assert layers["area_index"]["pickable"] and layers["area_index"]["filled"]
    # Per-feature widths in pixel units cost seconds per frame in software WebGL (BENCHMARKS.md).
    assert all("lineWidthUnits" not in layer for layer in d["layers"])
    assert layers["listed"]["lineWidthMinPixels"] > layers["area_index"]["lineWidthMinPixels"]


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


@pytest.mark.parametrize("selection, expected", [
    ({"objects": {"hex": [{"hex": "88411c8b2bfffff", "tip": "3"}]}}, ("h3_r8", 0x88411C8B2BFFFFF, "88411c8b2bfffff")),
    ({"objects": {"enterprises": [{"hex": "89411c8b2b3ffff", "n": 4}]}}, ("h3_r9", 0x89411C8B2B3FFFF, "89411c8b2b3ffff")),
    ({"objects": {"enterprises": [{"uscc": "A1"}]}}, None),           # a single enterprise is no area
    ({"objects": {"townships": [{"code": "339902001", "name": "甲街道"}]}}, ("township_code", "339902001", "甲街道")),
    ({"objects": {"parks": [{"code": "P01", "name": "乙园"}]}}, ("park_id", "P01", "乙园")),
    ({"objects": {"hex": [{"hex": "not-a-cell"}]}}, None),
    (None, None),
])
def test_overview_pick(selection, expected):
    from layers.maps import overview_pick

    assert overview_pick(selection) == expected


TIERS = {"重大": (215, 25, 28), "较大": (253, 141, 60), "一般": (255, 221, 51), "低": (44, 123, 182)}
LABELS = {"legend_title": "企业", "tip": "{name} {tier} {score:.1f}", "tip_cluster": "{n} 家 最高 {tier}"}


def _points() -> tuple[pd.DataFrame, str, str]:
    import h3

    # Two enterprises in one r9 cell (一般 and 重大), three in another (all 低), by hand.
    a = h3.latlng_to_cell(27.85, 120.65, 9)
    b = h3.latlng_to_cell(27.95, 120.75, 9)
    lat_a, lng_a = h3.cell_to_latlng(a)
    lat_b, lng_b = h3.cell_to_latlng(b)
    return pd.DataFrame({
        "uscc": ["U1", "U2", "U3", "U4", "U5"], "name": ["甲", "乙", "丙", "丁", "戊"],
        "lon": [lng_a, lng_a + 1e-5, lng_b, lng_b, lng_b + 1e-5], "lat": [lat_a, lat_a, lat_b, lat_b + 1e-5, lat_b],
        "h3_r9": np.array([int(a, 16)] * 2 + [int(b, 16)] * 3, dtype=np.uint64),
        "tier": ["一般", "重大", "低", "低", "低"], "score": [20.0, 50.0, 1.0, 2.0, 3.0],
    }), a, b


def test_enterprises_are_points_up_to_the_cap_then_cells():
    from layers.maps import enterprises_overlay

    points, a, b = _points()
    raw = enterprises_overlay(points, TIERS, LABELS, cap=5)
    assert not raw.aggregated and len(raw.datasets["enterprise_points"]) == 5
    assert [r["uscc"] for r in raw.datasets["enterprise_points"]] == ["U3", "U4", "U5", "U1", "U2"]  # riskiest last
    assert raw.datasets["enterprise_points"][-1]["color"] == [215, 25, 28]
    assert raw.datasets["enterprise_points"][-1]["tip"] == "乙 重大 50.0"
    cells = enterprises_overlay(points, TIERS, LABELS, cap=4)
    assert cells.aggregated
    rows = {r["hex"]: r for r in cells.datasets["enterprise_points"]}
    assert set(rows) == {a, b}
    assert (rows[a]["n"], rows[a]["color"], rows[a]["tip"]) == (2, [215, 25, 28], "2 家 最高 重大")
    assert (rows[b]["n"], rows[b]["color"], rows[b]["tip"]) == (3, [44, 123, 182], "3 家 最高 低")
    assert sum(r["n"] for r in rows.values()) == len(points)  # nobody lost in aggregation


def test_overlays_go_under_labels_and_keep_their_legends():
    from layers.maps import boundaries_overlay, hazards_overlay, incidents_overlay

    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF], dtype=np.uint64), "enterprises": [1]})
    towns = pd.DataFrame({"code": ["1"], "name": ["甲"], "enterprises": [1], "geom": [shapely.box(0, 0, 1, 1)]})
    bundle = overview_map(hexes, towns, {"tip_hex": "{n}", "tip_township": "{name}", "legend_title": "t"})
    hz = pd.DataFrame({"name": ["甲厂", "乙厂"], "lon": [0.5, 0.6], "lat": [0.5, 0.6], "open": [4, 1],
                       "major": [1, 0], "overdue": [0, 1]})
    bundle.add(hazards_overlay(hz, {"legend_title": "隐患", "major": "重大", "other": "一般", "overdue": "逾期",
                                    "tip": "{name} {open}/{major}/{overdue}"}))
    inc = pd.DataFrame({"date": pd.to_datetime(["2026-01-02"]), "lon": [0.2], "lat": [0.3], "kind": ["火灾"],
                        "deaths": [1], "injuries": [0], "name": [None]})
    bundle.add(incidents_overlay(inc, {"legend_title": "事故", "fatal": "死亡", "other": "无", "tip":
                                       "{date} {kind} {name} {deaths}/{injuries}"}))
    bundle.add(boundaries_overlay("parks", towns.assign(code="P1"), (0, 140, 70), 2, "园区：{name}"))
    ids = [s.id for s in bundle.specs]
    assert ids == ["townships", "hex", "township_lines", "hazards", "incidents", "parks", "township_names"]
    h = bundle.datasets["hazard_points"]
    assert [r["color"] for r in h] == [[200, 0, 0], [255, 140, 0]]       # 重大 red, otherwise orange
    assert [r["line"][3] for r in h] == [0, 255]                          # ring only when overdue
    assert h[0]["tip"] == "甲厂 4/1/0" and h[0]["r"] == 60.0              # 30·√4
    assert bundle.datasets["incident_points"][0]["tip"] == "2026-01-02 火灾 — 1/0"
    assert [leg.title for leg in bundle.more_legends] == ["隐患", "事故"]
    with pytest.raises(ValueError, match="already used"):
        bundle.add(incidents_overlay(inc, {"legend_title": "", "fatal": "", "other": "", "tip": ""}))


def test_layer_rows_are_stored_once_by_content_and_handed_only_to_their_scope(tmp_path):
    import gzip
    import os

    from layers.render import to_pydeck
    from layers.spec import LayerSpec
    from layers.store import LayerStore

    store = LayerStore(tmp_path)
    rows = [{"position": [120.1, 28.0], "color": [1, 2, 3], "tip": "甲镇 @@=1/0"}]
    deck = to_pydeck([LayerSpec("a", "scatter", "pts"), LayerSpec("b", "scatter", "pts")], {"pts": rows},
                     {"longitude": 120.1, "latitude": 28.0, "zoom": 9}, publish=lambda r: store.put(r, "g1|1"))
    d = json.loads(deck.to_json())
    urls = [layer["data"] for layer in d["layers"] if layer["id"] != "paper"]
    assert urls[0] == urls[1] and urls[0].startswith("/layers/") and urls[0].endswith(".json")
    assert len(list(tmp_path.glob("*.json.gz"))) == 2  # the same rows, one file (and the paper's)
    assert "甲镇" not in deck.to_json()  # the rows are not in the websocket message
    digest = urls[0].split("/")[-1].removesuffix(".json")
    body = json.loads(gzip.decompress(store.get(digest, "g1|1")))
    assert body == [{**rows[0], "tip": "甲镇 @@=1/0"}] and store.rows(urls[0]) == body
    assert store.get(digest, "|0") is None and store.get("../x", "g1|1") is None
    # The same rows for another scope: another file, another URL.
    assert store.put(rows, "|0") != urls[0]
    old = time.time() - 15 * 86400
    for p in tmp_path.glob("*.json.gz"):
        os.utime(p, (old, old))
    store.put(rows, "|0")  # used again: kept
    assert store.sweep() == 2 and len(list(tmp_path.glob("*.json.gz"))) == 1


def test_the_server_sweeps_old_layer_files_when_it_starts(tmp_path, monkeypatch):
    import os

    from layers.store import LayerStore
    from riskmap.serve import sweep_layer_cache

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    store = LayerStore(tmp_path / "cache" / "layers")
    old, new = store.put([{"a": 1}], "|0"), store.put([{"a": 2}], "|0")
    stale = time.time() - 30 * 86400
    os.utime(tmp_path / "cache" / "layers" / (old.split("/")[-1] + ".gz"), (stale, stale))
    sweep_layer_cache()
    assert [p.name for p in (tmp_path / "cache" / "layers").glob("*.json.gz")] == [new.split("/")[-1] + ".gz"]
