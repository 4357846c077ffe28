"""Streamlit AppTest: every page runs, and widgets change what is shown as they should."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import h3
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import City

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PAGES = ["pages/overview.py", "pages/data_status.py"]


def run_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page:
        at.switch_page(page).run()
    return at


def deck(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def layer(d: dict, kind: str) -> dict:
    return next(l for l in d["layers"] if l["@@type"] == kind)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(city_env: City, page: str):
    at = run_app(page)
    assert not at.exception
    assert any("示意数据" in w.value for w in at.warning)  # illustrative data is marked


def independent_hex_counts(city: City, res: int) -> Counter:
    with open(city.source / "enterprise.csv", encoding="utf-8-sig", newline="") as f:
        return Counter(h3.latlng_to_cell(float(r["纬度"]), float(r["经度"]), res)
                       for r in csv.DictReader(f) if r["经度"])


@pytest.mark.parametrize("res", [7, 8, 9])
def test_resolution_selector_draws_the_counts_h3_py_gives(city_env: City, res: int):
    at = run_app()
    radio = at.radio(key="hex_res")
    at = radio.set_value(res).run()
    assert not at.exception
    hexes = layer(deck(at), "H3HexagonLayer")["data"]
    shown = {h["hex"]: int(h["tip"].removeprefix("本格企业 ").removesuffix(" 家")) for h in hexes}
    assert shown == dict(independent_hex_counts(city_env, res))


def test_map_is_offline_and_tooltips_are_plain_text(city_env: City):
    d = deck(run_app())
    assert d["mapStyle"].startswith("data:application/json,")  # inline style: nothing to fetch
    charts = run_app().get("deck_gl_json_chart")
    tooltip = json.loads(charts[0].proto.tooltip)
    assert set(tooltip) == {"text"}
    polys = layer(d, "PolygonLayer")["data"]
    assert len({p["name"] for p in polys}) == 24


def test_township_names_toggle(city_env: City):
    at = run_app()
    assert not any(l["@@type"] == "TextLayer" for l in deck(at)["layers"])
    at = at.toggle(key="show_names").set_value(True).run()
    text = layer(deck(at), "TextLayer")
    assert text["characterSet"] == "auto"  # CJK glyphs are built on demand, offline
    assert len(text["data"]) == 24


def test_english_setting(city_env: City):
    at = run_app()
    at = at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert "City overview" in at.title[0].value
    assert [m.label for m in at.metric][0] == "Enterprises"


def test_top_townships_table_matches_the_database(city_env: City):
    from data.build import connect

    at = run_app()
    table = at.dataframe[0].value
    con = connect(city_env.db, read_only=True)
    expected = con.execute("SELECT township_code, count(*) FROM enterprise WHERE township_code IS NOT NULL "
                           "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15").fetchall()
    assert list(zip(table["乡镇代码"], table["企业数"])) == expected


def test_data_page_lists_the_rejected_rows(city_env: City):
    at = run_app("pages/data_status.py")
    files, issues = at.dataframe[0].value, at.dataframe[1].value
    hazard = files[files["文件"] == "hazard.csv"].iloc[0]
    assert hazard["接受"] + hazard["拒绝"] == hazard["读取行数"] and hazard["拒绝"] == 3
    rejected = issues[issues["级别"] == "错误"]
    assert list(rejected["值"]) == ["特大"] * 3
    assert all("允许范围" in r for r in rejected["原因"])


def test_without_a_database_the_page_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    at = run_app()
    assert not at.exception
    assert "python -m riskmap demo" in at.code[0].value
    assert at.button[0].label == "生成示意城市并建库"
