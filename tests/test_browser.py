"""One real browser: each page in Debian's headless Chromium with every non-loopback request
blocked. Fails (never skips) when Chromium is missing: the test command installs it."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np
import pytest

from .browser import REPO, app_page, login, map_canvas, upload_choose_and_press, visit, wait_until_idle
from .conftest import City

if TYPE_CHECKING:
    from playwright.sync_api import Route

ARTIFACTS = Path(os.environ.get("RISKMAP_ARTIFACTS", REPO / "test-artifacts")) / "browser"
#: Pages with a map, and the least share of its canvas that must be drawn.
MAP_DRAWN = {"overview": 0.10, "big_screen": 0.10, "listing": 0.10, "grid": 0.05, "parks": 0.01}
PAGES = [("overview", ""), ("big_screen", "?screen=1"), ("listing", "listing"), ("targets", "targets"), ("grid", "grid"), ("hazards", "hazards"), ("parks", "parks"),
         ("briefing", "briefing"), ("model_info", "model_info"),
         ("data_status", "data_status")]


def drawn_fraction(png: bytes) -> tuple[float, int]:
    """Share of pixels that differ from the most common (background) colour, and colour count."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(img, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    return float((img != background).any(axis=1).mean()), len(colours)


@pytest.mark.browser
def test_pages_render_offline_in_headless_chromium(small_city: City):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    external: list[str] = []

    def only_loopback(route: Route) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", None):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    with app_page(small_city.data_dir) as (page, url):
        page.route("**/*", only_loopback)
        for name, path in PAGES:
            visit(page, url, path)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            body = page.inner_text("body")
            assert "Traceback" not in body and "Error" not in body.split("示意数据")[0], name
            assert "示意数据" in body, name
            if name in MAP_DRAWN:
                shot = map_canvas(page, settle_ms=2000).screenshot()
                (ARTIFACTS / f"{name}_map.png").write_bytes(shot)
                fraction, colours = drawn_fraction(shot)
                assert fraction > MAP_DRAWN[name], f"{name}: map canvas nearly empty ({fraction:.1%} drawn)"
                assert colours > 5
    assert external == [], f"the page tried to reach the network: {external}"


EVIL = "<img src=x onerror=alert(1)>[点我](javascript:alert(2))"


@pytest.mark.browser
def test_hostile_names_show_as_text(small_city: City, tmp_path):
    """An enterprise named like an attack is shown literally and runs nothing."""
    import shutil

    from data.build import connect

    data_dir = tmp_path / "evil"
    data_dir.mkdir()
    shutil.copy(small_city.db, data_dir / "riskmap.duckdb")
    shutil.copy(small_city.data_dir / "security.sqlite", data_dir / "security.sqlite")  # the demo accounts
    con = connect(data_dir / "riskmap.duckdb")
    grid = con.execute("SELECT min(grid_id) FROM grid").fetchone()[0]  # the page's default grid
    # The enterprise the page's 一企一档 opens by default: the grid's highest score.
    uscc = con.execute("SELECT e.uscc FROM enterprise e JOIN enterprise_score s USING (uscc) WHERE e.grid_id = ? "
                       "ORDER BY s.score DESC, e.uscc LIMIT 1", [grid]).fetchone()[0]
    con.execute("UPDATE enterprise SET name = ?, address = ? WHERE uscc = ?", [EVIL, EVIL, uscc])
    con.close()
    dialogs: list[str] = []
    with app_page(data_dir) as (page, url):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        visit(page, url, "grid")
        page.screenshot(path=str(ARTIFACTS / "hostile_name.png"), full_page=True)
        body = page.inner_text("body")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
        assert "<img src=x onerror=alert(1)>" in body  # shown as text
        # A direct link to a page still goes through app.py: its navigation and settings.
        assert "语言 / Language" in body and "我的网格" in body and "common" not in body.split("风险一张图")[0]
        assert "Page not found" not in body
    assert dialogs == []


@pytest.mark.browser
def test_clicking_an_enterprise_on_the_grid_map_opens_its_file(small_city: City):
    from PIL import Image

    from layers.colors import TIER_COLORS

    with app_page(small_city.data_dir) as (page, url):
        visit(page, url, "grid")

        def profile_text() -> str:  # what the 一企一档 section shows: name, address, score
            return page.inner_text("body").split("一企一档", 1)[-1][:400]

        before = profile_text()
        canvas = map_canvas(page)
        img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
        # Dots of the 低 tier: the exact fill colour, away from the dot's dark outline.
        target = np.array(TIER_COLORS["低"])
        box = canvas.bounding_box()
        # Not the legend's swatch of the same colour, which lies over the map's corner.
        legend = page.locator(".rm-map-legend > div").first.bounding_box()
        ys, xs = np.nonzero(np.abs(img - target).sum(axis=2) < 12)
        off = ~((xs >= legend["x"] - box["x"]) & (xs <= legend["x"] - box["x"] + legend["width"])
                & (ys >= legend["y"] - box["y"]) & (ys <= legend["y"] - box["y"] + legend["height"]))
        xs, ys = xs[off], ys[off]
        assert len(xs), "no 低-tier dot found on the grid map"
        page.mouse.click(box["x"] + float(np.median(xs)), box["y"] + float(np.median(ys)))
        page.wait_for_timeout(500)
        wait_until_idle(page)
        after = profile_text()
        page.screenshot(path=str(ARTIFACTS / "grid_click.png"), full_page=True)
    assert after != before, "clicking a dot did not open that enterprise's file"


@pytest.mark.browser
def test_clicking_a_township_filters_the_listing_page(small_city: City):
    with app_page(small_city.data_dir) as (page, url):
        visit(page, url, "listing")
        assert "已选：" not in page.inner_text("body")
        box = map_canvas(page).bounding_box()
        for _ in range(3):  # on a loaded machine deck.gl may still be building its layers at the first click
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # inside the city
            page.wait_for_timeout(500)
            wait_until_idle(page)
            body = page.inner_text("body")
            if "已选：" in body:
                break
            page.wait_for_timeout(2000)  # a late answer to this click is not clicked away by the next
            wait_until_idle(page)
            body = page.inner_text("body")
            if "已选：" in body:
                break
        page.screenshot(path=str(ARTIFACTS / "listing_click.png"), full_page=True)
    assert "已选：" in body and "区域风险指数" in body.split("已选：", 1)[1][:80]


def interior_pixel(png: bytes, pad: int = 4) -> tuple[float, float]:
    """A pixel of a saturated colour whose (2*pad+1)² neighbourhood is all that colour (the
    inside of a filled hexagon, away from outlines and labels), nearest the image centre."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    saturated = (img.max(axis=2) - img.min(axis=2)) > 40
    same = saturated.copy()
    for dy in range(-pad, pad + 1):
        for dx in range(-pad, pad + 1):
            shifted = np.roll(np.roll(img, dy, axis=0), dx, axis=1)
            same &= (np.abs(shifted - img).sum(axis=2) == 0)
    ys, xs = np.nonzero(same[pad:-pad, pad:-pad])
    assert len(xs), "no filled hexagon found on the map"
    ys, xs = ys + pad, xs + pad
    h, w = saturated.shape
    i = int(np.argmin((ys - h / 2) ** 2 + (xs - w / 2) ** 2))
    return float(xs[i]), float(ys[i])


@pytest.mark.browser
def test_clicking_a_hexagon_lists_its_enterprises(small_city: City):
    import re

    import h3
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from data.build import connect

    with app_page(small_city.data_dir) as (page, url):
        visit(page, url)
        assert "已选六边形" not in page.inner_text("body")
        canvas = map_canvas(page, settle_ms=2000)
        x, y = interior_pixel(canvas.screenshot())
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        # The rerun may start late on a busy machine: wait for its answer, not a fixed time.
        with contextlib.suppress(PlaywrightTimeout):
            page.get_by_text(re.compile("已选六边形")).first.wait_for(timeout=30_000)
        wait_until_idle(page)
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "overview_click.png"), full_page=True)
    found = re.search(r"已选六边形 ([0-9a-f]{15})：企业 (\d+) 家", body)
    assert found, body[:2000]
    cell, n = found.group(1), int(found.group(2))
    # Independently: h3-py on the stored coordinates of every scored enterprise.
    con = connect(str(small_city.db), read_only=True)
    rows = con.execute("SELECT e.lon, e.lat FROM enterprise e JOIN enterprise_score USING (uscc) "
                       "WHERE e.lon IS NOT NULL").fetchall()
    res = h3.get_resolution(cell)
    assert n == sum(h3.latlng_to_cell(lat, lon, res) == cell for lon, lat in rows) > 0


@pytest.mark.browser
def test_exported_html_map_works_offline(small_city: City, tmp_path):
    """The one-file HTML map opens from disk in Chromium with every request blocked, draws every
    feature, and shows a hostile name as text."""
    from playwright.sync_api import sync_playwright

    from data.build import connect
    from layers.html import to_html
    from reports.views import ViewRequest, build_view

    from .browser import CHROMIUM_ARGS, chromium_path

    con = connect(small_city.db, read_only=True)
    view = build_view(con, ViewRequest("city"))
    hexes = view.bundle.datasets["hexes"]
    hexes[0] = {**hexes[0], "tip": EVIL}
    page_html = to_html(view.bundle.specs, view.bundle.datasets, view.frame.title, view.frame.legends,
                        view.frame.note)
    path = tmp_path / "map.html"
    path.write_text(page_html, encoding="utf-8")
    # Hexes, township and county outlines and parks (the invisible township picking layer is left out).
    expected = sum(len(view.bundle.datasets[d]) for d in ("hexes", "township_polygons", "counties", "parks"))
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("**/*", lambda route: (requests.append(route.request.url), route.abort())
                   if not route.request.url.startswith("file://") else route.continue_())
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_function("() => window.L && document.querySelectorAll('path.leaflet-interactive').length > 0",
                               timeout=30_000)
        drawn = page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length")
        page.screenshot(path=str(ARTIFACTS / "export_map.png"))
        # Hover the first hexagon: its tooltip shows the name literally.
        page.evaluate("() => Object.values(overlays)[0].getLayers()[0].openTooltip()")
        tip = page.inner_text(".leaflet-tooltip")
        imgs = page.evaluate("() => document.querySelectorAll('.leaflet-tooltip img').length")
        browser.close()
    assert requests == [] and dialogs == []
    assert drawn == expected
    assert tip == EVIL and imgs == 0


@pytest.mark.browser
def test_import_a_ledger_through_the_data_page(small_city: City, tmp_path):
    """Upload an enterprise ledger whose name column has a header nobody knows (商户全称), map it on the
    page, import; the page reports the counts, the database has the rows, and the mapping is saved."""
    import json
    import shutil

    from openpyxl import Workbook

    from data.build import connect
    from data.uscc import check_char

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(small_city.db, data_dir / "riskmap.duckdb")
    shutil.copyfile(small_city.data_dir / "security.sqlite", data_dir / "security.sqlite")
    lon, lat = connect(small_city.db, read_only=True).execute(
        "SELECT lon, lat FROM enterprise WHERE township_code IS NOT NULL ORDER BY uscc LIMIT 1").fetchone()
    codes = [b + check_char(b) for b in ("91339901MA2UPLD01", "91339901MA2UPLD02")]
    wb = Workbook()
    wb.active.append(["统一社会信用代码", "商户全称", "经度", "纬度"])
    wb.active.append([codes[0], "上传一厂", lon, lat])
    wb.active.append([codes[1], "上传二厂", lon, lat])
    ledger = tmp_path / "本镇企业.xlsx"
    wb.save(ledger)

    with app_page(data_dir) as (page, url):
        visit(page, url, "data_status")
        # The page asks for 企业名称 until the unknown header 商户全称 is mapped to it.
        body = upload_choose_and_press(page, 0, ledger, "商户全称", "企业名称", "校验并导入", "新增 2",
                                       first_says="缺少必填列：企业名称")
        page.screenshot(path=str(ARTIFACTS / "data_import.png"), full_page=True)
    assert "读取 2 行 = 接受 2 + 拒绝 0" in body
    got = connect(data_dir / "riskmap.duckdb", read_only=True).execute(
        "SELECT name, source_file FROM enterprise WHERE uscc IN (?, ?) ORDER BY uscc", codes).fetchall()
    assert got == [("上传一厂", "本镇企业.xlsx"), ("上传二厂", "本镇企业.xlsx")]
    saved = json.loads((data_dir / "header_maps.json").read_text(encoding="utf-8"))
    assert saved["enterprise"] == {"商户全称": "name"}
    assert not list((data_dir / "uploads").rglob("*.xlsx"))  # the upload is not kept


@pytest.mark.browser
def test_replace_a_boundary_layer_through_the_data_page(small_city: City, tmp_path):
    """Upload the park layer as a GeoPackage with one park dropped: the page says how many
    features came in, and that park's enterprises belong to no park any more."""
    import shutil

    import geopandas as gpd

    from data.build import connect

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(small_city.db, data_dir / "riskmap.duckdb")
    shutil.copyfile(small_city.data_dir / "security.sqlite", data_dir / "security.sqlite")
    parks = gpd.read_file(small_city.source / "park.geojson")
    dropped = parks.iloc[0]["园区编号"]
    parks.iloc[1:].to_file(tmp_path / "园区.gpkg", driver="GPKG")
    with app_page(data_dir) as (page, url):
        visit(page, url, "data_status")
        body = upload_choose_and_press(page, 1, tmp_path / "园区.gpkg", "图层", "园区", "替换图层并重新落点",
                                       "园区.gpkg：读取")
        page.screenshot(path=str(ARTIFACTS / "data_boundaries.png"), full_page=True)
    assert f"园区.gpkg：读取 {len(parks) - 1} 行 = 接受 {len(parks) - 1} + 拒绝 0" in body
    con = connect(data_dir / "riskmap.duckdb", read_only=True)
    assert con.execute("SELECT count(*) FROM park").fetchone()[0] == len(parks) - 1
    assert con.execute("SELECT count(*) FROM enterprise WHERE park_id = ?", [dropped]).fetchone()[0] == 0


@pytest.mark.browser
def test_a_new_city_from_county_outlines_in_the_browser(small_city: City, tmp_path):
    """A new installation, by clicks: 新建城市 with only county outlines and the first
    administrator, then an enterprise ledger as an office keeps it — a title and a note row
    above the header, Gauss-Kruger X/Y with X the northing — imported on 数据管理. Every
    enterprise lands in its county, its point within 1 m of the truth."""
    from openpyxl import Workbook

    from data.build import connect
    from geo.crs import from_wgs84, haversine_m

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    truth = connect(small_city.db, read_only=True).execute(
        """SELECT e.uscc, e.name, e.lon, e.lat, t.county_code FROM enterprise e JOIN township t ON t.code = e.township_code
           ORDER BY e.uscc LIMIT 12""").fetchall()
    x, y = from_wgs84(np.array([r[2] for r in truth]), np.array([r[3] for r in truth]), "EPSG:4549")
    wb = Workbook()
    ws = wb.active
    ws.append(["某某市小微企业基本情况台账"])
    ws.merge_cells("A1:E1")
    ws.append(["填报单位：某某区应急管理局", None, "填报时间：2026年11月"])
    ws.append(["序号", "统一社会信用代码", "企业名称", "X坐标（2000坐标系）", "Y坐标（2000坐标系）"])
    for i, (r, e, n) in enumerate(zip(truth, x, y), start=1):
        ws.append([i, r[0], r[1], round(float(n), 3), round(float(e), 3)])  # X = northing, as surveyors write
    ws.append(["填表人：张三", None, "审核人：李四"])
    ledger = tmp_path / "企业台账（测绘坐标）.xlsx"
    wb.save(ledger)

    with app_page(data_dir) as (page, url):
        page.goto(url)
        wait_until_idle(page)
        page.get_by_label("城市名称").fill("某某市")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(0).set_input_files(
            str(small_city.source / "county.geojson"))
        page.get_by_label("用户名").fill("boss")
        page.get_by_label("密码", exact=True).fill("first-admin-2026")
        page.get_by_label("再次输入密码").fill("first-admin-2026")
        page.get_by_role("button", name="新建城市").click()
        page.wait_for_url("**/auth/login**", timeout=90_000)  # the app sends the new administrator to log in
        login(page, "boss", "first-admin-2026")
        assert "区县挂牌" in page.inner_text('[data-testid="stSidebarNav"]')
        page.locator('[data-testid="stSidebarNav"] a[href$="/data_status"]').click()
        wait_until_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').nth(0).set_input_files(str(ledger))
        wait_until_idle(page)
        assert "表头在第 3 行" in page.inner_text("body")
        page.get_by_role("button", name="校验并导入").click()
        page.wait_for_function("() => document.body.innerText.includes('新增 12')", timeout=90_000)
        wait_until_idle(page)
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "new_city.png"), full_page=True)
    assert "读取 12 行 = 接受 12 + 拒绝 0" in body
    con = connect(data_dir / "riskmap.duckdb", read_only=True)
    got = {u: (lon, lat, c) for u, lon, lat, c in con.execute("SELECT uscc, lon, lat, township_code FROM enterprise").fetchall()}
    assert set(got) == {r[0] for r in truth}
    for uscc, _, lon, lat, county in truth:
        glon, glat, gcounty = got[uscc]
        assert haversine_m(glon, glat, lon, lat) < 1.0 and gcounty == county
    skipped = con.execute("SELECT row FROM import_issue WHERE code = 'skipped_row' ORDER BY row").fetchall()
    assert skipped == [(1,), (2,), (16,)]  # title, note, signatures


@pytest.mark.browser
def test_a_value_nobody_knows_is_mapped_on_the_data_page(small_city: City, tmp_path):
    """A hazard ledger naming its department 安监站 (a word no table can know): the page asks
    what it means; answered 应急管理局, the rows get in and the answer is remembered."""
    import json
    import shutil

    from openpyxl import Workbook

    from data.build import connect

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(small_city.db, data_dir / "riskmap.duckdb")
    shutil.copyfile(small_city.data_dir / "security.sqlite", data_dir / "security.sqlite")
    usccs = [u for (u,) in connect(small_city.db, read_only=True).execute(
        "SELECT uscc FROM enterprise ORDER BY uscc LIMIT 3").fetchall()]
    wb = Workbook()
    ws = wb.active
    ws.append(["隐患排查整改台账"])
    ws.append(["隐患编号", "统一社会信用代码", "检查日期", "隐患等级", "检查部门"])
    ws.append(["AJ-1", usccs[0], "2026/10/8", "一般隐患", "安监站"])
    ws.append(["AJ-2", usccs[1], "2026/10/9", "较大隐患", "安监站"])
    ws.append(["AJ-3", usccs[2], "2026/10/9", "一般隐患", "XX区消防救援大队"])
    ledger = tmp_path / "隐患台账.xlsx"
    wb.save(ledger)

    with app_page(data_dir) as (page, url):
        visit(page, url, "data_status")
        page.get_by_role("combobox", name="导入到").click()
        page.get_by_role("option", name="隐患", exact=True).click()
        wait_until_idle(page)
        body = upload_choose_and_press(page, 0, ledger, "“安监站”（2 行）", "应急管理局", "校验并导入", "新增 3",
                                       first_says="“责任部门”列有 1 种取值无法识别")
        page.screenshot(path=str(ARTIFACTS / "data_values.png"), full_page=True)
    assert "读取 3 行 = 接受 3 + 拒绝 0" in body
    got = connect(data_dir / "riskmap.duckdb", read_only=True).execute(
        "SELECT id, level, department FROM hazard WHERE id LIKE 'AJ-%' ORDER BY id").fetchall()
    assert got == [("AJ-1", "一般", "应急管理局"), ("AJ-2", "较大", "应急管理局"), ("AJ-3", "一般", "消防救援")]
    saved = json.loads((data_dir / "value_maps.json").read_text(encoding="utf-8"))
    assert saved == {"hazard": {"department": {"安监站": "应急管理局"}}}


@pytest.mark.browser
def test_a_map_control_reruns_only_the_map_and_not_after_the_login_ended(small_city: City):
    """A control of the city map asks the server to rerun its fragment (the figures above are not
    run again); once the login has ended elsewhere, the same click lands on the login form."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from riskmap.accounts import Accounts

    reruns: list[BackMsg] = []

    def on_socket(ws) -> None:
        def sent(payload) -> None:
            if isinstance(payload, bytes):
                msg = BackMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "rerun_script":
                    reruns.append(msg)
        ws.on("framesent", sent)

    with app_page(small_city.data_dir) as (page, url):
        page.on("websocket", on_socket)
        visit(page, url)
        map_canvas(page)
        reruns.clear()
        colour = page.get_by_role("radiogroup", name="六边形着色")
        colour.get_by_text("区域风险指数", exact=True).click()
        page.wait_for_timeout(300)
        wait_until_idle(page)
        assert reruns and all(m.rerun_script.fragment_id for m in reruns)  # the fragment alone
        assert page.locator('[data-testid="stMetric"]').count() == 12  # the figures still there
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "riskmap_session")
        Accounts(small_city.data_dir / "security.sqlite").end_session(token)
        reruns.clear()
        colour.get_by_text("企业数", exact=True).click()
        page.wait_for_url("**/auth/login**", timeout=30_000)
        assert page.get_by_label("密码", exact=True).count() == 1
        assert reruns and reruns[0].rerun_script.fragment_id  # asked for the fragment; the server said no
