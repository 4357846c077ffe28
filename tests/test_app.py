"""Streamlit AppTest: every page runs, and widgets change what is shown as they should."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import h3
import pytest
from streamlit.testing.v1 import AppTest

from riskmap.accounts import User

from .conftest import City, busiest
from .decks import with_rows

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PAGES = ["pages/screens/overview.py", "pages/screens/listing.py", "pages/screens/targets.py", "pages/screens/grid.py", "pages/screens/hazards.py", "pages/screens/parks.py",
         "pages/screens/nearby.py", "pages/screens/briefing.py", "pages/screens/model_info.py",
         "pages/screens/data_status.py", "pages/screens/admin.py"]


ADMIN = User("admin", "示意管理员", "admin")


def run_app(page: str | None = None, user: User | None = ADMIN, state: dict | None = None,
            query: dict[str, str] | None = None) -> AppTest:
    """The app as ``user`` (set before the first run: AppTest cannot fill the login form
    and keep the sidebar; the login itself is tested in tests/test_security.py), with ``state``
    in its session (sidebar settings) and ``query`` in its URL before the first run."""
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.session_state["user"] = user
    for k, v in (state or {}).items():
        at.session_state[k] = v
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def download_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file names the pages give their download buttons from now on, in order (the name
    is not in the element's proto, so Streamlit's call is watched)."""
    from streamlit.delta_generator import DeltaGenerator

    seen: list[str] = []
    original = DeltaGenerator.download_button

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("file_name", ""))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return seen


def deck(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return with_rows(charts[0].proto.json)


def layer(d: dict, kind: str) -> dict:
    return next(layer for layer in d["layers"] if layer["@@type"] == kind)


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
    # No basemap: pydeck's "no style" with no provider, so Streamlit starts no map library and
    # fetches no style; deck.gl draws the paper colour itself, under every layer.
    assert d["mapStyle"] == "__MAP_STYLE__" and d.get("mapProvider") is None
    assert d["layers"][0]["id"] == "paper" and d["layers"][0]["getFillColor"] == [247, 245, 240]
    charts = run_app().get("deck_gl_json_chart")
    tooltip = json.loads(charts[0].proto.tooltip)
    assert set(tooltip) == {"text"}
    polys = layer_by_id(d, "townships")["data"]
    assert len({p["name"] for p in polys}) == 24


def test_township_names_toggle(city_env: City):
    at = run_app()
    assert not any(layer["@@type"] == "TextLayer" for layer in deck(at)["layers"])
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
    assert at.radio(key="period").options[1] == "Last 30 days"


def test_top_townships_table_matches_the_database(city_env: City):
    from data.build import connect

    at = run_app()
    table = at.dataframe[-1].value
    con = connect(city_env.db, read_only=True)
    names = dict(con.execute("SELECT code, name FROM township").fetchall())
    index = dict(con.execute("SELECT key, index FROM area_township").fetchall())
    top = sorted(index, key=lambda k: (-index[k], k))[:15]  # highest index first
    assert table["乡镇（街道）"].tolist() == [names[k] for k in top]
    assert table["排名"].tolist() == list(range(1, 16))
    counts = dict(con.execute("SELECT township_code, count(*) FROM enterprise GROUP BY 1").fetchall())
    assert table["企业数"].tolist() == [counts.get(k, 0) for k in top]
    listed = dict(con.execute("SELECT key, level FROM listing_township").fetchall())
    assert table["挂牌级别"].tolist() == [listed.get(k, "—") for k in top]


def test_data_page_lists_the_rejected_rows(city_env: City):
    at = run_app("pages/screens/data_status.py")
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
    # An administrator can start the city here (the same as `python -m riskmap init`) …
    assert at.subheader[0].value == "新建城市" and at.text_input(key="setup_city").label == "城市名称"
    # … or build the demo city.
    assert "python -m riskmap demo" in at.code[0].value
    assert [b.label for b in at.button][:2] == ["新建城市", "生成示意城市并建库"]  # the form's, then the demo


def test_a_new_installation_opens_on_starting_a_city(tmp_path, monkeypatch):
    """No account and no database: the login form gives way to 新建城市 with the first administrator."""
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))
    at = run_app(user=None)
    assert not at.exception
    labels = [w.label for w in at.text_input]
    assert labels == ["城市名称", "用户名", "密码", "再次输入密码"]
    assert "登录" not in [b.label for b in at.button]


def test_targets_filter_matches_an_independent_query(city_env: City):
    from data.build import connect

    at = run_app("pages/screens/targets.py")
    at = at.multiselect(key="f_tier").set_value(["重大"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    con = connect(city_env.db, read_only=True)
    expected = [u for (u,) in con.execute(
        "SELECT uscc FROM enterprise_score WHERE tier = '重大' ORDER BY score DESC, uscc").fetchall()]
    assert shown["统一社会信用代码"].tolist() == expected
    # Every row carries its reasons, and the breakdown of the first adds up to its score.
    assert all(shown["主要因子"].str.len() > 0)
    parts = at.dataframe[1].value
    assert round(parts["得分"].sum(), 1) == shown["得分"].iloc[0]


def test_targets_draw_is_reproducible_in_the_app(city_env: City):
    at = run_app("pages/screens/targets.py")
    at.number_input(key="draw_size").set_value(5)
    at.number_input(key="draw_seed").set_value(123)
    at = at.button(key="draw_button").click().run()
    assert not at.exception
    first = at.dataframe[-1].value
    at = at.button(key="draw_button").click().run()
    assert at.dataframe[-1].value.equals(first) and len(first) == 5
    assert any("随机种子 123" in s.value for s in at.success)


def test_listing_page_shows_every_listed_township_with_reasons(city_env: City):
    from data.build import connect

    at = run_app("pages/screens/listing.py")
    assert not at.exception
    table = at.dataframe[0].value
    con = connect(city_env.db, read_only=True)
    expected = {n for (n,) in con.execute(
        "SELECT t.name FROM listing_township l JOIN township t ON t.code = l.key").fetchall()}
    assert set(table["乡镇（街道）"]) == expected
    assert all(table["挂牌理由"].str.contains("挂牌"))


@pytest.mark.parametrize("days", [7, 90])
def test_report_figures_match_independent_counts(city_env: City, days: int):
    from data.build import connect

    at = run_app()
    at = at.radio(key="period").set_value(days).run()
    metrics = {m.label: m.value for m in at.metric}
    con = connect(city_env.db, read_only=True)
    found, major, insp = con.execute(
        "SELECT count(*), count(*) FILTER (level = '重大'), "
        "(SELECT count(*) FROM inspection WHERE date > DATE '2026-11-20' - ?::INT) "
        "FROM hazard WHERE found_on > DATE '2026-11-20' - ?::INT", [days, days]).fetchone()
    assert metrics["发现隐患数（项）"] == f"{found:,}"
    assert metrics["其中重大隐患数（项）"] == f"{major:,}"
    assert metrics["检查企业（家次）"] == f"{insp:,}"


def test_hexes_coloured_by_area_index(city_env: City):
    at = run_app()
    at = at.radio(key="color_by").set_value(True).run()
    hexes = layer(deck(at), "H3HexagonLayer")["data"]
    from data.build import connect

    con = connect(city_env.db, read_only=True)
    assert len(hexes) == con.execute("SELECT count(*) FROM area_h3_r8").fetchone()[0]
    assert all(h["tip"].startswith("区域风险指数 ") for h in hexes)


def test_grid_page_shows_that_grid_only(city_env: City):
    from data.build import connect

    con = connect(city_env.db, read_only=True)
    grid_id = busiest(con, "grid_id")
    at = run_app("pages/screens/grid.py")
    at = at.selectbox(key="grid").set_value(grid_id).run()
    assert not at.exception
    listed = at.dataframe[0].value["统一社会信用代码"].tolist()
    expected = [u for (u,) in con.execute("SELECT uscc FROM enterprise WHERE grid_id = ?", [grid_id]).fetchall()]
    assert sorted(listed) == sorted(expected)
    open_ = con.execute(
        "SELECT count(*) FROM hazard h JOIN enterprise e USING (uscc) WHERE e.grid_id = ? "
        "AND (rectified_on IS NULL OR rectified_on > DATE '2026-11-20')", [grid_id]).fetchone()[0]
    assert len(at.dataframe[1].value) == open_
    dots = layer(deck(at), "ScatterplotLayer")["data"]
    assert len(dots) == sum(1 for (x,) in con.execute(
        "SELECT lon FROM enterprise WHERE grid_id = ?", [grid_id]).fetchall() if x is not None)


def test_hazard_page_counts_match_independent_queries(city_env: City):
    from data.build import connect

    at = run_app("pages/screens/hazards.py")
    at = at.multiselect(key="hz_department").set_value(["消防救援"]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    con = connect(city_env.db, read_only=True)
    found, done = con.execute(
        "SELECT count(*), count(*) FILTER (rectified_on <= DATE '2026-11-20') FROM hazard "
        "WHERE department = '消防救援' AND found_on > DATE '2026-11-20' - 90").fetchone()
    overdue = con.execute(
        "SELECT count(*) FROM hazard WHERE department = '消防救援' AND deadline < DATE '2026-11-20' "
        "AND (rectified_on IS NULL OR rectified_on > DATE '2026-11-20')").fetchone()[0]
    assert metrics["发现隐患数（项）"] == f"{found:,}"
    assert metrics["期内发现已整改（项）"] == f"{done:,}"
    assert metrics["期末逾期未整改（项）"] == f"{overdue:,}"
    pivot = at.dataframe[0].value
    assert list(pivot.index) == ["消防救援"] and int(pivot.iloc[0][["整改中", "逾期", "已整改", "已销号"]].sum()) == found


def test_hazard_page_sends_one_list_at_a_time_and_at_most_its_first_rows(city_env: City):
    """The five lists were five tabs, every table sent whole (4.8 MB): one list is shown at a
    time, its first TABLE_ROWS rows, saying how many there are; the download has them all."""
    from data.build import connect
    from pages.screens.common import TABLE_ROWS

    con = connect(city_env.db, read_only=True)
    inspections = con.execute("SELECT count(*) FROM inspection WHERE date BETWEEN DATE '2026-11-20' - 89 "
                              "AND DATE '2026-11-20' AND uscc IN (SELECT uscc FROM enterprise)").fetchone()[0]
    assert inspections > TABLE_ROWS  # the small city has a long 检查清单
    at = run_app("pages/screens/hazards.py")
    assert not at.exception
    inspection = [d.value for d in at.dataframe if "检查编号" in d.value.columns]
    assert len(inspection) == 1 and len(inspection[0]) == TABLE_ROWS
    assert any(f"共 {inspections:,} 行" in c.value for c in at.caption)
    at = at.radio(key="five_list").set_value("督办清单").run()
    assert not [d for d in at.dataframe if "检查编号" in d.value.columns]
    supervised = [d.value for d in at.dataframe if "挂牌理由" in d.value.columns]
    assert len(supervised) == 1 and 0 < len(supervised[0]) <= TABLE_ROWS


def test_park_hazard_list_has_the_form_columns(city_env: City):
    from data.build import connect
    from data.queries import PARK_HAZARD_COLUMNS

    con = connect(city_env.db, read_only=True)
    park = busiest(con, "park_id")
    at = run_app("pages/screens/parks.py")
    at = at.selectbox(key="park").set_value(park).run()
    assert not at.exception
    listed = at.dataframe[1].value
    assert tuple(listed.columns) == PARK_HAZARD_COLUMNS
    expected = con.execute(
        "SELECT count(*) FROM hazard h JOIN enterprise e USING (uscc) WHERE e.park_id = ? "
        "AND h.found_on <= DATE '2026-11-20' AND (h.found_on >= DATE '2026-11-20' - 89 "
        "OR h.rectified_on IS NULL OR h.rectified_on > DATE '2026-11-20')", [park]).fetchone()[0]
    assert len(listed) == expected and listed["序号"].tolist() == list(range(1, expected + 1))


#: A GCJ-02 tile basemap chosen in the sidebar (session state before the first run).
GCJ02_TILES = {"basemap_kind": "xyz", "basemap_url": "https://tiles.example/{z}/{x}/{y}.png", "basemap_crs": "gcj02"}


def test_gcj02_basemap_shifts_the_overview(city_env: City):
    # The sidebar setting is put in session state before the first run: AppTest (1.67) drops
    # the entry script's sidebar on reruns, which the real server does not.
    at = run_app(state=GCJ02_TILES)
    assert not at.exception
    d = deck(at)
    assert [layer["@@type"] for layer in d["layers"]][0] == "PolygonLayer"  # hexagons drawn as shifted outlines
    assert "tiles.example" in d["mapStyle"]


def test_a_bad_basemap_setting_is_explained_and_the_map_stays_offline(city_env: City):
    at = run_app(state={"basemap_kind": "xyz", "basemap_url": "javascript:alert(1)"})
    assert not at.exception
    assert any("http" in e.value for e in at.error)
    assert "javascript" not in deck(at)["mapStyle"]


def test_big_screen_mode_has_no_controls(city_env: City):
    at = run_app(query={"screen": "1"})
    assert not at.exception
    assert len(at.radio) == 0 or all(r.key.startswith("basemap") for r in at.radio)
    assert len(at.get("deck_gl_json_chart")) == 1
    assert deck(at)["layers"][0]["getFillColor"] == [14, 17, 23]  # dark paper
    assert layer(deck(at), "H3HexagonLayer")["data"][0]["tip"].startswith("区域风险指数")


def test_big_screen_takes_its_period_from_the_link_and_draws_empty_cells_as_such(city_env: City):
    import datetime as dt
    import re

    from data.build import connect
    from pages.big_screen import EMPTY_CELL
    from scoring.metrics import BY_KEY, WEEKLY_KEYS, figures

    at = run_app(query={"screen": "1", "days": "7"})
    assert not at.exception
    page = "".join(m.value for m in at.markdown)
    end = dt.date(2026, 11, 20)
    assert f"{end - dt.timedelta(days=6)} 至 {end}" in page
    con = connect(city_env.db, read_only=True)
    want = figures(con, end - dt.timedelta(days=6), end)
    cards = re.findall(r'<div class="l">([^<]+)</div><div class="v">([^<]+)</div>', page)
    assert [c[0] for c in cards] == [BY_KEY[k].label[0] for k in WEEKLY_KEYS]
    assert cards[2][1] == f"{want['hazards']:,.0f}" and cards[4][1] == f"{want['rectified']:,.0f}"
    d = deck(at)
    # Under the opaque hexes the city is filled with the colour of "no enterprises", which the
    # legend names: an empty cell is not the paper showing through.
    assert layer_by_id(d, "townships")["getFillColor"] == list(EMPTY_CELL)
    assert layer(d, "H3HexagonLayer")["opacity"] == 1.0
    assert "无企业" in page and "bs-legend" in page


def layer_by_id(d: dict, layer_id: str) -> dict:
    return next(layer for layer in d["layers"] if layer["id"] == layer_id)


def test_overview_layers_match_independent_counts(city_env: City):
    """Every optional layer on the city map, each checked against plain Python over the base rows."""
    import datetime as dt

    from data.build import connect

    at = run_app()
    assert [layer["id"] for layer in deck(at)["layers"]] == ["paper", "townships", "hex", "township_lines", "counties",
                                                          "parks", "incidents"]
    at = at.multiselect(key="layers").set_value(["grids", "parks", "enterprises", "hazards", "incidents"]).run()
    at = at.multiselect(key="ent_tiers").set_value(["重大", "较大", "一般", "低"]).run()
    assert not at.exception
    d = deck(at)
    con = connect(city_env.db, read_only=True)
    as_of = dt.date(2026, 11, 20)

    placed = {u for u, lon in con.execute("SELECT uscc, lon FROM enterprise").fetchall() if lon is not None}
    points = layer_by_id(d, "enterprises")["data"]
    assert len(points) == len(placed) and {p["uscc"] for p in points} == placed  # 3,000 < cap: raw points

    open_by: dict[str, list[int]] = {}
    for uscc, found, fixed, level, deadline in con.execute(
            "SELECT uscc, found_on, rectified_on, level, deadline FROM hazard").fetchall():
        if uscc in placed and found <= as_of and (fixed is None or fixed > as_of):
            c = open_by.setdefault(uscc, [0, 0, 0])
            c[0] += 1
            c[1] += level == "重大"
            c[2] += deadline is not None and deadline < as_of
    hz = layer_by_id(d, "hazards")["data"]
    assert len(hz) == len(open_by)
    assert sum(p["n"] for p in hz) == sum(c[0] for c in open_by.values())
    assert sum(p["color"] == [200, 0, 0] for p in hz) == sum(c[1] > 0 for c in open_by.values())
    assert sum(p["line"][3] == 255 for p in hz) == sum(c[2] > 0 for c in open_by.values())

    grids = {g for (g,) in con.execute("SELECT grid_id FROM grid").fetchall()}
    assert {p["code"] for p in layer_by_id(d, "grids")["data"]} == grids
    parks = {p for (p,) in con.execute("SELECT park_id FROM park").fetchall()}
    assert {p["code"] for p in layer_by_id(d, "parks")["data"]} == parks

    incident_dates = [r[0] for r in con.execute("SELECT date FROM incident").fetchall()]
    for days in (30, 365):
        at = at.radio(key="period").set_value(days).run()
        shown = layer_by_id(deck(at), "incidents")["data"]
        start = as_of - dt.timedelta(days=days - 1)
        assert len(shown) == sum(start <= x <= as_of for x in incident_dates)
    assert len(shown) > 0


def test_enterprise_layer_shows_only_the_chosen_tiers(city_env: City):
    from data.build import connect

    at = run_app()
    at = at.multiselect(key="layers").set_value(["enterprises"]).run()  # default tiers: 重大, 较大
    points = layer_by_id(deck(at), "enterprises")["data"]
    con = connect(city_env.db, read_only=True)
    tiers = dict(con.execute("SELECT uscc, tier FROM enterprise_score").fetchall())
    placed = {u for u, lon in con.execute("SELECT uscc, lon FROM enterprise").fetchall() if lon is not None}
    assert {p["uscc"] for p in points} == {u for u in placed if tiers[u] in ("重大", "较大")}
    legend = next(m.value for m in at.markdown if "企业（按监管等级着色）" in m.value)
    assert "重大" in legend and "低" in legend


def test_targets_department_filter_matches_plain_python(city_env: City):
    import datetime as dt

    from data.build import connect

    at = run_app("pages/screens/targets.py")
    at = at.multiselect(key="f_department").set_value(["消防救援"]).run()
    assert not at.exception
    shown = set(at.dataframe[0].value["统一社会信用代码"])
    con = connect(city_env.db, read_only=True)
    as_of = dt.date(2026, 11, 20)
    expected = {u for u, d, dept in con.execute("SELECT uscc, date, department FROM inspection").fetchall()
                if dept == "消防救援" and as_of - dt.timedelta(days=365) < d <= as_of}
    expected |= {u for u, f, r, dept in con.execute(
        "SELECT uscc, found_on, rectified_on, department FROM hazard").fetchall()
        if dept == "消防救援" and f <= as_of and (r is None or r > as_of)}
    scored = {u for (u,) in con.execute("SELECT uscc FROM enterprise_score").fetchall()}
    assert shown == expected & scored and len(shown) > 10


def test_draw_gives_an_assignment_list_that_stays(city_env: City):
    import datetime as dt
    import io

    import openpyxl

    at = run_app("pages/screens/targets.py")
    at.number_input(key="draw_size").set_value(4)
    at.number_input(key="draw_seed").set_value(7)
    at = at.button(key="draw_button").click().run()
    table = at.dataframe[-1].value
    assert list(table.columns) == ["序号", "统一社会信用代码", "企业名称", "乡镇（街道）", "风险等级", "得分",
                                   "主要因子", "直接判定规则", "触发记录编号", "检查人员", "检查方式", "交办日期", "完成时限"]
    assert (table["完成时限"] - table["交办日期"]).eq(dt.timedelta(days=30)).all() and len(table) == 4
    # 4 × [lift] control_share 0.2 = 0.8, rounded: one random control, recorded as 双随机抽查 (issue 17).
    assert table["检查方式"].tolist() == ["双随机抽查", "风险清单", "风险清单", "风险清单"]
    at = at.text_input(key="f_text").set_value("x").run()  # another rerun: the draw is still shown
    assert at.dataframe[-1].value.equals(table)
    # The download is built from the same rows.
    from reports.spreadsheets import to_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(table, "交办清单")))
    rows = list(wb["交办清单"].values)
    assert rows[0][:3] == ("序号", "统一社会信用代码", "企业名称") and len(rows) == 5


def test_listing_history_recomputes_each_quarter(city_env: City):
    import datetime as dt

    from data.build import connect
    from scoring.model import load_model
    from scoring.run import model_outputs

    at = run_app("pages/screens/listing.py")
    assert not at.exception
    hist = at.dataframe[-1].value
    dates = ["2025-11-20", "2026-02-20", "2026-05-20", "2026-08-20", "2026-11-20"]
    assert list(hist.columns) == ["乡镇（街道）", "挂牌次数", *dates]
    con = connect(city_env.db, read_only=True)
    names = dict(con.execute("SELECT code, name FROM township").fetchall())
    for d in (dates[0], dates[-1]):
        # Independently: the full model run for that date (as the nightly job would store it).
        out = model_outputs(con, dt.date.fromisoformat(d), load_model())["listing_township"]
        expected = dict(zip((names[k] for k in out["key"]), out["level"]))
        shown = dict(zip(hist["乡镇（街道）"], hist[d]))
        assert {n: lv for n, lv in shown.items() if lv != "—"} == expected
    assert (hist["挂牌次数"] == (hist[dates] != "—").sum(axis=1)).all()


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_english(city_env: City, page: str):
    """With English chosen, titles, labels and table headers carry no Chinese; vocabulary
    values (tiers, statuses, departments) are translated; names stay as imported."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"  # set before the first run (see the sidebar note above)
    at.session_state["user"] = ADMIN
    # Straight to the page: widgets whose labels read the session's language cannot be
    # re-formatted by AppTest outside a run, so no other page is drawn first.
    at = at.switch_page(page).run()
    assert not at.exception
    assert not _cjk(at.title[0].value.removeprefix("示意市"))  # the city's own name is data
    labels = [w.label for kind in ("selectbox", "multiselect", "radio", "text_input", "number_input", "toggle")
              for w in at.get(kind) if w.key != "lang"] + [m.label for m in at.metric]  # 语言 / Language: both
    assert labels and not [x for x in labels if _cjk(x)]
    from riskmap.i18n import VALUES_EN

    for frame in (df.value for df in at.dataframe):
        assert not [c for c in map(str, frame.columns) if _cjk(c)], list(frame.columns)
        for col in frame.columns:
            values = frame[col].dropna().astype(str)
            assert not set(values) & set(VALUES_EN), (col, set(values) & set(VALUES_EN))


def test_no_chinese_literals_in_screens_except_vocabulary():
    """Every Chinese word a page shows comes from riskmap/i18n.py; Chinese literals left in the
    page code are data values (translated on display by the same table) or file headers."""
    import ast

    from riskmap.i18n import VALUES_EN

    file_headers = {"姓名", "部门"}  # columns of the inspector roster file
    found = []
    for path in [*(REPO / "pages").rglob("*.py"), REPO / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and _cjk(node.value)
                    and id(node) not in docstrings and node.value not in VALUES_EN and node.value not in file_headers):
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert found == []


def test_briefing_page_offers_every_export(city_env: City):
    at = run_app("pages/screens/briefing.py")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(["周报表（Excel）", "五张清单（Excel）", "六个清单（Excel）", "园区隐患整治清单（Excel）",
                      "通报（Word）", "通报（PDF）", "地图快照（PNG）", "交互地图（HTML，离线可用）"])
    at = at.selectbox(key="brief_scope").set_value("park").run()
    assert not at.exception and at.selectbox(key="brief_key").value is not None
