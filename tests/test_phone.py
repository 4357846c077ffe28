"""我的网格 on a 网格员's phone (issue 15, part 3): a one-line KPI strip, overdue hazards first as
cards, a map whose first view holds the whole grid and lets a vertical swipe scroll the page, a
tapped dot's 一企一档 opened at the top, and that file readable (Chinese headers, real dates,
empty cells empty, scores to one decimal) and printable on one page.

Pure parts on literal data first; then one browser test at 390×844 with a phone's user agent."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sqlite3
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskmap.i18n import t

from .browser import CHROMIUM_ARGS, REPO, chromium_path, streamlit_server, visit, wait_until_idle
from .conftest import SMALL, City

SCREENSHOTS = REPO / "docs" / "screenshots"
ARTIFACTS = Path(os.environ.get("RISKMAP_ARTIFACTS", REPO / "test-artifacts")) / "phone"
PHONE = {"width": 390, "height": 844}
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36")
GRID_LOGIN = ("grid", "demo-grid-2026")
EVIL = "<img src=x onerror=alert(1)>[点我](javascript:alert(2))"


def mercator_px(lon: float, lat: float, view: dict[str, float], width: float, height: float) -> tuple[float, float]:
    """Where deck.gl's MapView (512-pixel tiles, pitch 0, bearing 0) draws (lon, lat), in CSS
    pixels from the map's top-left corner: web-mercator written out by hand."""
    scale = 512 * 2 ** view["zoom"] / (2 * math.pi)

    def world(lo: float, la: float) -> tuple[float, float]:
        return (scale * (math.radians(lo) + math.pi),
                scale * (math.pi - math.log(math.tan(math.pi / 4 + math.radians(la) / 2))))

    cx, cy = world(view["longitude"], view["latitude"])
    x, y = world(lon, lat)
    return width / 2 + x - cx, height / 2 + y - cy


# --- the map's first view ----------------------------------------------------------------------


@pytest.mark.parametrize(("lon", "lat", "expected"), [
    ([0.0, 45.0], [0.0, 0.0], {"longitude": 22.5, "latitude": 0.0, "zoom": 3.0}),     # 1/8 of the world in 512 px
    ([-180.0, 180.0], [0.0, 0.0], {"longitude": 0.0, "latitude": 0.0, "zoom": 0.0}),  # the world in 512 px
])
def test_fit_view_known_answers(lon, lat, expected):
    from layers.render import fit_view

    view = fit_view(lon, lat, width_px=512, height_px=512, padding_px=0)
    assert view == pytest.approx(expected, abs=1e-6)


#: Outlines drawn by hand: a square grid near 温州's latitude, a tall and a wide sliver, one far
#: north (mercator stretches it), and one crossing the equator.
OUTLINES = {
    "square": ([120.60, 120.61, 120.61, 120.60], [28.00, 28.00, 28.01, 28.01]),
    "tall": ([120.600, 120.602, 120.602, 120.600], [28.00, 28.00, 28.05, 28.05]),
    "wide": ([120.60, 120.70, 120.70, 120.60], [28.000, 28.000, 28.003, 28.003]),
    "north": ([30.0, 30.5, 30.5, 30.0], [69.0, 69.0, 69.6, 69.6]),
    "equator": ([10.0, 10.2, 10.1], [-0.1, -0.1, 0.15]),
}


@pytest.mark.parametrize("name", sorted(OUTLINES))
@pytest.mark.parametrize(("width", "height"), [(358, 380), (320, 380), (1200, 380)])
def test_fit_view_holds_every_vertex_and_fills_the_map(name, width, height):
    from layers.render import fit_view

    lon, lat = OUTLINES[name]
    pad = 12
    view = fit_view(lon, lat, width_px=width, height_px=height, padding_px=pad)
    xs, ys = zip(*(mercator_px(x, y, view, width, height) for x, y in zip(lon, lat)))
    assert min(xs) >= pad - 0.5 and max(xs) <= width - pad + 0.5, (name, xs)
    assert min(ys) >= pad - 0.5 and max(ys) <= height - pad + 0.5, (name, ys)
    # Tight: the outline spans (nearly) the whole map in one direction, not a quarter of it.
    assert max((max(xs) - min(xs)) / (width - 2 * pad), (max(ys) - min(ys)) / (height - 2 * pad)) > 0.97


def test_fit_view_of_one_point_and_of_none():
    from layers.render import fit_view

    one = fit_view([120.5], [28.0], width_px=300, height_px=300)
    assert one["longitude"] == pytest.approx(120.5) and one["latitude"] == pytest.approx(28.0) and one["zoom"] >= 18
    none = fit_view([float("nan")], [float("nan")], width_px=300, height_px=300)
    assert set(none) == {"longitude", "latitude", "zoom"}  # a city-wide default, not an error


# --- the 一企一档's tables ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (np.nan, ""), (pd.NaT, ""), (float("nan"), ""),
    (pd.Timestamp("2026-09-21 00:00:00"), "2026-09-21"), (dt.date(2026, 1, 2), "2026-01-02"),
    (np.datetime64("2026-03-04T00:00:00"), "2026-03-04"),
    (2.61243, "2.6"), (2.0, "2"), (0.04, "0"), (np.float64(12.25), "12.2"), (3, "3"), (np.int64(5), "5"),
    ("YH0001", "YH0001"), ("", ""),
])
def test_cell_text(value, text):
    from pages.profile import cell_text

    assert cell_text(value) == text


def test_profile_table_headers_dates_blanks_and_rounding():
    from pages.profile import profile_table

    enforcement = pd.DataFrame({
        "id": ["ZF01", "ZF02"], "date": pd.to_datetime(["2026-09-21", None]), "action": ["行政处罚", None],
        "fine_10k_cny": [2.61243, np.nan], "department": ["应急管理局", None]})
    out = profile_table(enforcement, "enforcement", lambda k: t(k, "zh"))
    assert list(out.columns) == ["执法日期", "执法措施", "罚款（万元）", "执法部门", "编号"]
    assert out.values.tolist() == [["2026-09-21", "行政处罚", "2.6", "应急管理局", "ZF01"], ["", "", "", "", "ZF02"]]
    english = profile_table(enforcement, "enforcement", lambda k: t(k, "en"))
    assert list(english.columns) == ["Date", "Action", "Fine (10k CNY)", "Department", "ID"]


def test_profile_table_incidents_counts_stay_whole():
    from pages.profile import profile_table

    incidents = pd.DataFrame({"id": ["SG1", "SG2"], "date": pd.to_datetime(["2025-01-05", "2025-02-06"]),
                              "kind": ["火灾", "事故"], "deaths": [1.0, np.nan], "injuries": [0, 2],
                              "loss_10k_cny": [None, 12.345]})
    out = profile_table(incidents, "incidents", lambda k: t(k, "zh"))
    assert list(out.columns) == ["发生日期", "类型", "死亡人数", "受伤人数", "直接经济损失（万元）", "编号"]
    assert out.values.tolist() == [["2025-01-05", "火灾", "1", "0", "", "SG1"], ["2025-02-06", "事故", "", "2", "12.3", "SG2"]]


@pytest.mark.parametrize("table", ["hazards", "inspections", "enforcement", "incidents"])
def test_every_profile_column_has_a_chinese_and_an_english_header(tiny_city: Path, table: str):
    """Every column the 一企一档 query returns is shown, under a header in both languages."""
    from data.build import connect
    from data.queries import enterprise_profile
    from pages.profile import PROFILE_COLUMNS

    con = connect(tiny_city, read_only=True)
    uscc = con.execute("SELECT min(uscc) FROM enterprise").fetchone()[0]
    returned = set(enterprise_profile(con, uscc, SMALL.as_of)[table].columns)
    con.close()
    assert {c for c, _ in PROFILE_COLUMNS[table]} == returned
    for column, key in PROFILE_COLUMNS[table]:
        zh, en = t(key, "zh"), t(key, "en")
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z_]", zh), (column, zh)
        assert en and en != zh, (column, en)


def test_an_empty_profile_table_keeps_its_headers():
    from pages.profile import profile_table

    out = profile_table(pd.DataFrame({"id": [], "date": [], "department": [], "result": []}), "inspections",
                        lambda k: t(k, "zh"))
    assert list(out.columns) == ["检查日期", "检查部门", "检查结果", "编号"] and out.empty


def test_table_html_escapes_every_cell_and_header():
    from pages.profile import table_html

    html = table_html(pd.DataFrame({"<b>名</b>": [EVIL], "日期": ["2026-01-02"]}))
    assert "<img" not in html and "<b>" not in html and "](" not in html
    assert EVIL in unescape(html) and "<b>名</b>" in unescape(html)
    assert html.count("<th>") == 2 and html.count("<td>") == 2
    wrapped = table_html(pd.DataFrame({"描述": ["长文本"], "日期": ["2026-01-02"]}), wrap={"描述"})
    assert '<td class="rm-wrap">长文本</td><td>2026-01-02</td>' in wrapped


# --- cards and the strip -----------------------------------------------------------------------


def _card(**kw: Any) -> str:
    from pages.phone import hazard_card

    args: dict[str, Any] = {"name": "甲鞋厂", "days_overdue": 12, "deadline": pd.Timestamp("2026-11-08"),
                            "level": "重大", "category": "消防通道堵塞", "address": "林湖区某路1号", "phone": None}
    return hazard_card(**{**args, **kw}, say=lambda key, **f: t(key, "zh", **f))


def test_a_card_says_name_days_deadline_level_category_and_address():
    card = _card()
    for part in ("甲鞋厂", "逾期 12 天", "2026-11-08", "重大", "消防通道堵塞", "林湖区某路1号"):
        assert part in card, part
    assert "00:00:00" not in card and "tel:" not in card


@pytest.mark.parametrize(("days", "says"), [(0, "今天到期"), (-3, "剩 3 天"), (None, "")])
def test_a_card_not_yet_overdue(days, says):
    card = _card(days_overdue=days, deadline=None if days is None else pd.Timestamp("2026-11-08"))
    assert "逾期" not in card and says in card and "None" not in card and "nan" not in card


def test_a_card_is_text_only():
    card = _card(name=EVIL, address=EVIL, category=EVIL)
    assert "<img" not in card and "<a " not in card and "](" not in card  # inert as HTML and as Markdown
    assert unescape(card).count(EVIL) == 3


@pytest.mark.parametrize(("phone", "href"), [
    ("0577-8888 1234", "tel:0577-88881234"), ("+86 138 0000 1111", "tel:+8613800001111"),
    ("abc", None), ("", None), (None, None), ("12\" onclick=\"x", None)])
def test_a_card_calls_the_enterprise(phone, href):
    card = _card(phone=phone)
    if href is None:
        assert "tel:" not in card and "onclick" not in card.replace("onclick=&quot;", "")
    else:
        assert f'href="{href}"' in card


def test_the_strip_is_one_escaped_line():
    from pages.phone import kpi_strip

    strip = kpi_strip([("企业", 364), ("<b>未整改</b>", 19)])
    assert strip.count('class="rm-strip"') == 1 and "<b>" not in strip and "<b>未整改</b>" in unescape(strip)
    assert "364" in strip and "19" in strip and "<br" not in strip


@pytest.mark.parametrize(("agent", "phone"), [
    (PHONE_UA, True),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1", True),
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1",
     False),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", False),
    (None, False), ("", False)])
def test_is_phone(agent, phone):
    from pages.phone import is_phone

    assert is_phone(agent) is phone


def test_strip_items_count_the_grid():
    from pages.phone import overdue_and_others, strip_items

    enterprises = pd.DataFrame({"uscc": ["A", "B", "C"], "tier": ["重大", "低", None]})
    hazards = pd.DataFrame({"id": ["H3", "H1", "H2", "H4"], "status": ["逾期", "整改中", "逾期", "整改中"],
                            "days_overdue": [3, -2, 10, None],
                            "deadline": pd.to_datetime(["2026-11-17", "2026-11-22", "2026-11-10", None])})
    overdue, others = overdue_and_others(hazards)
    assert overdue["id"].tolist() == ["H2", "H3"] and others["id"].tolist() == ["H1", "H4"]
    items = strip_items(enterprises, hazards, overdue, ("重大", "较大"), lambda k, **f: t(k, "zh", **f), lambda v: v)
    assert items == [("企业", 3), ("未整改", 4), ("逾期", 2), ("重大、较大风险", 1)]


def test_scroll_script_names_no_user_text():
    from pages.phone import scroll_script

    assert scroll_script("file", 3) != scroll_script("file", 4)  # a new element each time: it runs again
    with pytest.raises(KeyError):
        scroll_script("<img>", 1)


# --- the page on a phone, in Chromium ------------------------------------------------------------


def _grid_of_demo_account(city: City) -> str:
    return sqlite3.connect(city.data_dir / "security.sqlite").execute(
        "SELECT grid_id FROM users WHERE username = 'grid'").fetchone()[0]


def _decks_sent(frames: list[bytes]) -> list[dict[str, Any]]:
    """The deck JSONs in the websocket messages the browser received (Streamlit's protobuf
    carries each as UTF-8 text): what this browser was sent, phone layout and all."""
    decoder = json.JSONDecoder()
    decks = []
    for frame in frames:
        for hit in re.finditer(rb'"initialViewState"', frame):
            start = hit.start()
            for _ in range(64):  # back to the "{" that opens the deck
                start = frame.rfind(b"{", 0, start)
                if start < 0:
                    break
                try:
                    obj, _end = decoder.raw_decode(frame[start:].decode("utf-8", errors="replace"))
                except ValueError:
                    continue
                if isinstance(obj, dict) and "initialViewState" in obj:
                    decks.append(obj)
                    break
    return decks


#: The page's elements wider than the screen and not inside a box that
#: scrolls sideways on its own (a table may scroll; the page may not).
OVERFLOWING = """() => {
  const w = window.innerWidth, out = [];
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1 && !scrolls(el)) out.push(el.tagName + ' ' + (el.className || ''));
  }
  return out;
}"""


def _swipe_up(cdp: Any, page: Any, x: float, y: float, distance: float = 200) -> None:
    """One finger from (x, y) upwards, as a phone's touch events (CDP: Chromium's own input)."""
    steps = 10
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * i / steps}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _shoot(page: Any, path: Path, max_height: int = 2400) -> None:
    """The whole page as a phone shows it when scrolled through: the page scrolls inside
    Streamlit's main box, so the window is made as tall as its content for the picture."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": min(int(height), max_height)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.browser
def test_grid_page_on_a_phone(small_city: City):
    from playwright.sync_api import sync_playwright

    from data.build import connect

    city = small_city
    grid = _grid_of_demo_account(city)
    as_of = SMALL.as_of
    con = connect(city.db, read_only=True)
    # The most overdue open hazard of the grid, counted here from the tables themselves.
    most = con.execute(
        """SELECT e.name, date_diff('day', h.deadline, $t) AS days FROM hazard h JOIN enterprise e USING (uscc)
           WHERE e.grid_id = $g AND h.found_on <= $t AND (h.rectified_on IS NULL OR h.rectified_on > $t)
             AND h.deadline < $t ORDER BY h.deadline, h.id""", {"g": grid, "t": as_of}).fetchall()
    assert most, "the demo 网格员's grid has no overdue hazard"
    most_days = most[0][1]
    most_names = {n for n, d in most if d == most_days}
    records = dict(con.execute(
        """SELECT e.uscc, (SELECT count(*) FROM hazard h WHERE h.uscc = e.uscc AND h.found_on <= $t)
                        + (SELECT count(*) FROM inspection i WHERE i.uscc = e.uscc AND i.date <= $t)
           FROM enterprise e WHERE e.grid_id = $g""", {"g": grid, "t": as_of}).fetchall())
    names = dict(con.execute("SELECT uscc, name FROM enterprise WHERE grid_id = ?", [grid]).fetchall())
    con.close()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frames: list[bytes] = []

    with streamlit_server(city.data_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport=PHONE, user_agent=PHONE_UA, is_mobile=True, has_touch=True,
                                      device_scale_factor=2)
            page = ctx.new_page()
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda m: frames.append(m if isinstance(m, bytes) else m.encode())))
            visit(page, url, "", GRID_LOGIN)  # a 网格员's first page is 我的网格
            assert page.get_by_role("heading", name="我的网格").count() == 1
            assert page.locator('[data-testid="stException"]').count() == 0

            # No sideways scrolling: neither the document nor Streamlit's main box (which is
            # what scrolls), nor any element sticking out of the screen.
            widths = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
                return [document.scrollingElement.scrollWidth, window.innerWidth, m.scrollWidth, m.clientWidth]; }""")
            assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
            assert page.evaluate(OVERFLOWING) == []

            # The KPIs: one strip of one line, no big metric cards.
            assert page.locator('[data-testid="stMetric"]').count() == 0
            strip = page.locator(".rm-strip").first.bounding_box()
            assert strip and strip["height"] < 32, strip

            # Overdue first, the most overdue on top, in the first screen.
            card = page.locator(".rm-card").first
            text = card.inner_text()
            assert any(n in text for n in most_names), (text, most_names)
            assert f"逾期 {most_days} 天" in text, text
            box = card.bounding_box()
            assert box and box["y"] < PHONE["height"], box

            # The first view holds the whole grid, in the map as wide as the phone draws it.
            decks = [d for d in _decks_sent(frames) if any(la.get("id") == "grid" for la in d["layers"])]
            assert decks, "no grid map reached the browser"
            view = decks[-1]["initialViewState"]
            outline = next(la for la in decks[-1]["layers"] if la["id"] == "grid")["data"]
            dots = next(la for la in decks[-1]["layers"] if la["id"] == "enterprises")["data"]
            canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
            canvas.wait_for(state="visible", timeout=30_000)
            size = canvas.bounding_box()
            assert size
            width, height = size["width"], size["height"]
            vertices = [pt for r in outline for pt in r["polygon"]]
            assert vertices
            for lon, lat in vertices:
                x, y = mercator_px(lon, lat, view, width, height)
                assert 0 <= x <= width and 0 <= y <= height, ((lon, lat), (x, y), view, (width, height))

            # A vertical swipe that starts on the map scrolls the page.
            page.evaluate("""() => document.querySelector('[data-testid="stDeckGlJsonChart"]')
                                  .scrollIntoView({block: 'center'})""")
            page.wait_for_timeout(500)
            size = canvas.bounding_box()
            assert size
            top = "document.querySelector('[data-testid=\"stMain\"]').scrollTop"
            before = page.evaluate(top)
            cdp = ctx.new_cdp_session(page)
            _swipe_up(cdp, page, size["x"] + size["width"] / 2, size["y"] + size["height"] / 2)
            page.wait_for_timeout(800)
            assert page.evaluate(top) > before + 50, "a swipe on the map did not scroll the page"

            page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
            _shoot(page, SCREENSHOTS / "phone.png")

            # Tap a dot: a dot well apart from the others, of an enterprise with records.
            px = {r["uscc"]: mercator_px(*r["position"], view, width, height) for r in dots}
            pts = np.array(list(px.values()))

            def alone(u: str) -> bool:
                x, y = px[u]
                dist = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
                return 15 < x < width - 15 and 15 < y < height - 15 and np.sort(dist)[1] > 14

            chosen = max((u for u in px if alone(u)), key=lambda u: (records.get(u, 0), u), default=None)
            assert chosen, "no dot stands apart on the grid map"
            page.evaluate("""() => document.querySelector('[data-testid="stDeckGlJsonChart"]')
                                  .scrollIntoView({block: 'center'})""")
            page.wait_for_timeout(800)
            size = canvas.bounding_box()
            assert size
            page.touchscreen.tap(size["x"] + px[chosen][0], size["y"] + px[chosen][1])
            page.wait_for_timeout(500)
            wait_until_idle(page)

            # Its file opens where the phone is looking: at the top, not far below.
            file = page.locator(".st-key-grid_file")
            file.wait_for(state="visible", timeout=30_000)
            page.wait_for_timeout(800)
            fbox = file.bounding_box()
            assert fbox and 0 <= fbox["y"] < PHONE["height"] / 2, fbox
            assert names[chosen] in file.inner_text()
            assert page.get_by_role("button", name="返回网格").count() == 1

            headers = file.locator("table th").all_inner_texts()
            cells = file.locator("table td").all_inner_texts()
            assert headers and cells
            for h in headers:
                assert re.search(r"[\u4e00-\u9fff]", h) and not re.search(r"[A-Za-z_]", h), h
            for c in cells:
                assert c.strip() not in ("None", "nan", "NaN", "NaT", "<NA>"), c
                assert "00:00:00" not in c, c
                assert not re.search(r"\d\.\d{2,}", c), c
            body = file.inner_text()
            # The model's version (2026.11-a, named by the snapshots' note) is a label, not a number.
            from scoring.model import load_model

            unversioned = body.replace(load_model().version, "")
            assert "None" not in body and "nan" not in body and not re.search(r"\d\.\d{2,}", unversioned), body
            assert page.evaluate(OVERFLOWING) == []
            _shoot(page, SCREENSHOTS / "profile.png")

            # Printed: the file alone, on one page.
            page.emulate_media(media="print")
            shown = page.evaluate("""() => {
                const vis = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
                const file = document.querySelector('.st-key-grid_file');
                return [vis(file), ...['[data-testid="stSidebar"]', '[data-testid="stHeader"]', 'h1',
                        '[data-testid="stSelectbox"]', '.rm-strip', '[data-testid="stButton"]']
                        .map((s) => Array.from(document.querySelectorAll(s)).filter(vis).map((e) => s))].flat(); }""")
            assert shown == [True], shown
            pdf = page.pdf(format="A4", print_background=True)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "profile.pdf").write_bytes(pdf)
            page.emulate_media(media="screen")
            assert _pdf_pages(pdf) == 1, f"the printed file is {_pdf_pages(pdf)} pages"

            # Back to the grid: the map again, where the phone is looking.
            page.get_by_role("button", name="返回网格").click()
            wait_until_idle(page)
            assert page.get_by_role("button", name="返回网格").count() == 0
            canvas.wait_for(state="visible", timeout=30_000)
            page.wait_for_timeout(800)
            mbox = canvas.bounding_box()
            assert mbox and 0 <= mbox["y"] < PHONE["height"] / 2, mbox
        finally:
            browser.close()


def test_the_grid_page_calls_the_enterprise_on_its_card_and_in_its_file(city_env: City):
    """The ledger's 主要负责人 and 联系电话 reach the page: each overdue card a tap-to-call link to
    its enterprise's number, the 一企一档 the principal and the same link (read from the
    database by hand here)."""
    from data.build import connect

    from .conftest import busiest
    from .test_app import run_app

    con = connect(city_env.db, read_only=True)
    grid = busiest(con, "grid_id")
    at = run_app("pages/screens/grid.py")
    at = at.selectbox(key="grid").select(grid).run()
    assert not at.exception
    html_parts = [h.proto.body for h in at.get("html")]
    cards = next(b for b in html_parts if "rm-cards" in b)
    phones = {r[0] for r in con.execute(
        """SELECT DISTINCT e.phone FROM hazard h JOIN enterprise e USING (uscc)
           WHERE e.grid_id = ? AND h.rectified_on IS NULL AND h.closed_on IS NULL""", [grid]).fetchall()}
    linked = set(re.findall(r'href="tel:([^"]+)"', cards))
    assert linked and linked <= phones
    uscc = at.selectbox(key="profile").value
    principal, phone = con.execute("SELECT principal, phone FROM enterprise WHERE uscc = ?", [uscc]).fetchone()
    contact = next(b for b in html_parts if "rm-contact" in b)
    assert f"主要负责人：{principal}" in contact and f'href="tel:{phone}"' in contact
