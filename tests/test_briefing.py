"""Briefing exports: map snapshots (PNG) — size, content, fonts, every scope."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from layers.maps import INDEX_BINS, overview_map
from layers.png import SIZES, FontMissing, Frame, _nice_length, render_png
from layers.spec import Legend, LegendEntry

from .conftest import City


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def hand_bundle():
    """Two hexes (index 10 and 90) inside one square township, by hand."""
    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF, 0x88411C8B29FFFFF], dtype=np.uint64),
                          "index": [10.0, 90.0]})
    import h3

    lat, lng = h3.cell_to_latlng("88411c8b2bfffff")
    towns = pd.DataFrame({"code": ["339902001"], "name": ["甲街道"], "enterprises": [5],
                          "geom": [shapely.box(lng - 0.02, lat - 0.02, lng + 0.02, lat + 0.02)]})
    return overview_map(hexes, towns, {"tip_hex": "{n}", "tip_township": "{name}", "legend_title": "区域风险指数"},
                        True, "index", INDEX_BINS)


@pytest.mark.parametrize("size", ["slide", "a4"])
def test_png_has_the_size_the_colours_and_no_missing_glyphs(size: str):
    bundle = hand_bundle()
    frame = Frame("示意市 安全风险图", "H3 8 级 · 数据截至 2026-11-20", "示意数据：虚构城市", [bundle.legend])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_png(bundle.specs, bundle.datasets, frame, size)
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from" in str(w.message)]
    assert glyphs == []
    img = pixels(png)
    (w, h), _ = SIZES[size]
    assert (img.shape[1], img.shape[0]) == (w, h) == ((1920, 1080) if size == "slide" else (2480, 3508))
    flat = img.reshape(-1, 3)
    assert (flat != 255).any(axis=1).mean() > 0.01  # not blank
    colours = {tuple(c) for c in np.unique(flat, axis=0)}
    # Both hexes in their bin's colour at full strength, as the legend shows them.
    assert INDEX_BINS.colors[0] in colours and INDEX_BINS.colors[4] in colours


def test_png_needs_a_cjk_font(monkeypatch):
    import layers.png as png

    monkeypatch.setattr(png, "CJK_FONT_FILES", ("/nonexistent/font.ttc",))
    bundle = hand_bundle()
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        png.render_png(bundle.specs, bundle.datasets, Frame("标题"), "slide")


@pytest.mark.parametrize("span, expected", [(23_000, 2000), (4_000, 500), (100_000, 20_000), (1_200, 200)])
def test_scale_bar_length_is_round(span: float, expected: float):
    assert _nice_length(span) == expected


def test_an_empty_map_is_an_error():
    bundle = hand_bundle()
    empty = {k: [] for k in bundle.datasets}
    with pytest.raises(ValueError, match="nothing to draw"):
        render_png(bundle.specs, empty, Frame("x"))


@pytest.fixture(scope="module")
def con(small_city: City):
    from data.build import connect

    return connect(small_city.db, read_only=True)


def _keys(con) -> dict[str, str]:  # type: ignore[no-untyped-def]
    def top(column: str) -> str:
        return con.execute(f"SELECT {column} FROM enterprise WHERE {column} IS NOT NULL "
                           "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]

    tw = top("township_code")
    return {"county": tw[:6], "township": tw, "grid": top("grid_id"), "park": top("park_id")}


@pytest.mark.parametrize("scope", ["city", "county", "township", "grid", "park"])
def test_every_scope_draws_its_own_enterprises(con, scope: str):
    from riskmap.briefing import build_view, snapshot_png

    key = _keys(con).get(scope)
    view = build_view(con, scope, key)
    column = {"township": "township_code", "grid": "grid_id", "park": "park_id"}.get(scope)
    if column:
        points = view.bundle.datasets["enterprise_points"]
        expected = {u for (u,) in con.execute(
            f"SELECT uscc FROM enterprise WHERE {column} = ? AND lon IS NOT NULL", [key]).fetchall()}
        assert {p["uscc"] for p in points} == expected and expected
        assert [e.label for e in view.frame.legends[0].entries] == ["重大", "较大", "一般", "低"]
    elif scope == "county":
        hexes = view.bundle.datasets["hexes"]
        n = con.execute("SELECT count(*) FROM enterprise WHERE township_code LIKE ? || '%' AND h3_r8 IS NOT NULL",
                        [key]).fetchone()[0]
        assert sum(int(h["tip"]) for h in hexes) == n
    assert "示意数据" in view.frame.note and "2026-11-20" in view.frame.subtitle
    img = pixels(snapshot_png(con, "slide", scope=scope, key=key))
    assert img.shape[:2] == (1080, 1920)


def test_view_of_a_filtered_list_and_in_english(con):
    from riskmap.briefing import ViewError, build_view

    major = [u for (u,) in con.execute("SELECT uscc FROM enterprise_score WHERE tier = '重大'").fetchall()]
    view = build_view(con, "enterprises", usccs=major, lang="en")
    placed = {u for (u,) in con.execute("SELECT uscc FROM enterprise WHERE lon IS NOT NULL").fetchall()}
    assert {p["uscc"] for p in view.bundle.datasets["enterprise_points"]} == set(major) & placed
    assert [e.label for e in view.frame.legends[0].entries] == ["Major", "Significant", "General", "Low"]
    assert view.frame.north == "N" and "safety risk map" in view.frame.title
    with pytest.raises(ViewError, match="no township"):
        build_view(con, "township", "000000000")
    with pytest.raises(ViewError, match="unknown scope"):
        build_view(con, "planet")


def test_html_export_is_one_file_with_nothing_remote(con):
    import re

    from riskmap.briefing import snapshot_html

    page = snapshot_html(con, scope="city")
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=", page)  # everything inline
    assert "window.L=" in page.replace(" ", "") or "window.L =" in page  # Leaflet itself is in the file
    assert '"风险六边形"' in page and '"园区"' in page and "示意数据" in page
    escaped = to_html_title('<img src="https://example.org/x.png">')
    assert "&lt;img" in escaped and '<img src="https' not in escaped


def to_html_title(title: str) -> str:
    from layers.html import to_html

    return to_html([], {}, title, [])


def test_html_export_refuses_a_remote_reference(monkeypatch):
    import layers.html

    monkeypatch.setattr(layers.html, "leaflet_inline", lambda: '<script src="https://cdn.example/l.js"></script>')
    with pytest.raises(RuntimeError, match="remote"):
        to_html_title("x")
