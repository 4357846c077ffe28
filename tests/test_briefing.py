"""Briefing exports: map snapshots (PNG) — size, content, fonts, every scope."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from layers.maps import INDEX_BINS, overview_map
from layers.png import SIZES, FontMissing, Frame, _nice_length, render_png

from .conftest import City, busiest

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet


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


@pytest.mark.parametrize("size", ["slide", pytest.param("a4", marks=pytest.mark.slow)])  # a4: 9 s at 300 dpi
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


def _keys(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    tw = busiest(con, "township_code")
    return {"county": tw[:6], "township": tw, "grid": busiest(con, "grid_id"), "park": busiest(con, "park_id")}


@pytest.mark.parametrize("scope", ["city", "county", "township", "grid", "park"])
def test_every_scope_draws_its_own_enterprises(con, scope: str):
    from reports.views import ViewRequest, build_view, snapshot_png

    key = _keys(con).get(scope)
    view = build_view(con, ViewRequest(scope, key))
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
        # The tooltip is the screen's ("本格企业 12 家"): a snapshot is the view on screen.
        assert sum(int(h["tip"].removeprefix("本格企业 ").removesuffix(" 家")) for h in hexes) == n
    assert "示意数据" in view.frame.note and "2026-11-20" in view.frame.subtitle
    img = pixels(snapshot_png(con, ViewRequest(scope, key), "slide"))
    assert img.shape[:2] == (1080, 1920)


def test_view_of_a_filtered_list_and_in_english(con):
    from reports.views import ViewError, ViewRequest, build_view

    major = [u for (u,) in con.execute("SELECT uscc FROM enterprise_score WHERE tier = '重大'").fetchall()]
    view = build_view(con, ViewRequest("enterprises", usccs=tuple(major), lang="en"))
    placed = {u for (u,) in con.execute("SELECT uscc FROM enterprise WHERE lon IS NOT NULL").fetchall()}
    assert {p["uscc"] for p in view.bundle.datasets["enterprise_points"]} == set(major) & placed
    assert [e.label for e in view.frame.legends[0].entries] == ["Major", "Significant", "General", "Low"]
    assert view.frame.north == "N" and "safety risk map" in view.frame.title
    with pytest.raises(ViewError, match="no township"):
        build_view(con, ViewRequest("township", "000000000"))
    with pytest.raises(ViewError, match="unknown scope"):
        build_view(con, ViewRequest("planet"))


def test_html_export_is_one_file_with_nothing_remote(con):
    import re

    from reports.views import ViewRequest, snapshot_html

    page = snapshot_html(con, ViewRequest("city"))
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


def _sheet_rows(ws: Worksheet) -> list[tuple[object, ...]]:
    return list(ws.iter_rows(values_only=True))


def test_weekly_report_workbook_matches_independent_queries(con):
    import datetime as dt

    import openpyxl

    from reports.weekly import weekly_report_xlsx

    end, days = dt.date(2026, 11, 20), 30
    start = end - dt.timedelta(days=days - 1)
    wb = openpyxl.load_workbook(io.BytesIO(weekly_report_xlsx(con, end, days)))
    assert wb.sheetnames == ["周报表", "部门报送", "每日统计表"]

    # 周报表: the form's eleven columns, one row per county, then the total.
    rows = _sheet_rows(wb["周报表"])
    assert rows[2] == ("地区", "小微企业总数（家）", "检查企业（家次）", "发现隐患数（项）", "其中重大隐患数（项）",
                       "已整改隐患数（项）", "其中已整改重大隐患数（项）", "立案查处数（家次）", "行政处罚（万元）",
                       "停产停业整改（家）", "依法关闭（家）", "移送公安机关追究刑事责任（人）")
    counties = [n for (n,) in con.execute("SELECT name FROM county ORDER BY code").fetchall()]
    assert [r[0] for r in rows[3:3 + len(counties)]] == counties
    total = rows[3 + len(counties)]
    q = lambda sql, *a: con.execute(sql, list(a)).fetchone()[0]  # noqa: E731
    assert total[0] == "合计"
    assert total[1] == q("SELECT count(*) FROM enterprise")
    assert total[2] == q("SELECT count(*) FROM inspection WHERE date BETWEEN ? AND ?", start, end)
    assert total[3] == q("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ?", start, end)
    assert total[4] == q("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ? AND level = '重大'", start, end)
    assert total[5] == q("SELECT count(*) FROM hazard WHERE rectified_on BETWEEN ? AND ?", start, end)
    assert total[8] == pytest.approx(q("SELECT sum(fine_10k_cny) FROM enforcement WHERE date BETWEEN ? AND ? "
                                       "AND action IN ('立案查处', '行政处罚')", start, end))
    # Counts add up over the counties (enterprises in no township are counted in the total only).
    placed = q("SELECT count(*) FROM enterprise WHERE township_code IS NOT NULL")
    assert sum(r[1] for r in rows[3:3 + len(counties)]) == placed

    # 部门报送: nine departments, a total, and one sentence per department.
    rows = _sheet_rows(wb["部门报送"])
    assert [r[0] for r in rows[3:13]] == ["应急管理局", "经信局", "公安局", "生态环境局", "建设局", "交通运输局",
                                         "市场监管局", "综合执法局", "消防救援", "合计"]
    fire = rows[11]
    assert fire[1] == q("SELECT count(DISTINCT uscc) FROM inspection WHERE department = '消防救援' "
                        "AND date BETWEEN ? AND ?", start, end)
    assert fire[2] == q("SELECT count(*) FROM hazard WHERE department = '消防救援' AND found_on BETWEEN ? AND ?",
                        start, end)
    assert rows[12][2] == sum(r[2] for r in rows[3:12])
    assert rows[13][0].startswith("应急管理局：检查小微企业 ") and len([r for r in rows if str(r[0]).endswith("家。")]) == 9

    # 每日统计表 (seed 004 附件1): three header rows with the form's merged groups.
    ws = wb["每日统计表"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A3:A5", "B3:E3", "C4:E4", "F3:G3", "H3:I3", "J3:J5", "K3:Q3", "L4:M4"} <= merged
    rows = _sheet_rows(ws)
    assert rows[2][1] == "排查场所（家）" and rows[2][10] == "执法检查情况" and rows[3][11] == "查封"
    assert rows[4][2:5] == ("出租分租（家）", "“小、散、乱、污”场所（家）", "“三合一”场所（家）")
    total = next(r for r in rows if r[0] == "合计")
    assert total[2] == q("SELECT count(*) FROM enterprise WHERE rented")
    assert total[3] == q("SELECT count(*) FROM enterprise WHERE small_scattered")
    assert total[4] == q("SELECT count(*) FROM enterprise WHERE mixed_use")
    found = q("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ?", start, end)
    fixed = q("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ? AND rectified_on <= ?", start, end, end)
    assert total[9] == pytest.approx(100 * fixed / found)
    assert total[10] == q("SELECT count(DISTINCT uscc) FROM enforcement WHERE action = '限期整改' "
                          "AND date BETWEEN ? AND ?", start, end)
    assert total[14] is None  # 清理两违面积: not in the ledgers, left for the reporter (and said so)
    assert any("清理两违面积" in str(r[0]) and "补填" in str(r[0]) for r in rows[-2:])


def test_weekly_report_for_one_county_lists_its_townships(con):
    import openpyxl

    from reports.views import ViewError
    from reports.weekly import weekly_report_xlsx

    county = con.execute("SELECT code FROM county ORDER BY code LIMIT 1").fetchone()[0]
    wb = openpyxl.load_workbook(io.BytesIO(weekly_report_xlsx(con, area=county)))
    rows = _sheet_rows(wb["周报表"])
    towns = [n for (n,) in con.execute("SELECT name FROM township WHERE county_code = ? ORDER BY code",
                                       [county]).fetchall()]
    assert [r[0] for r in rows[3:3 + len(towns)]] == towns and rows[3 + len(towns)][0] == "合计"
    assert rows[3 + len(towns)][1] == con.execute(
        "SELECT count(*) FROM enterprise e JOIN township t ON t.code = e.township_code WHERE t.county_code = ?",
        [county]).fetchone()[0]
    with pytest.raises(ViewError, match="no county or township"):
        weekly_report_xlsx(con, area="999999")


def test_ledger_workbooks_have_the_lists_and_the_counts(con):
    import datetime as dt

    import openpyxl

    from data.queries import PARK_HAZARD_COLUMNS
    from reports.ledgers import five_lists, park_lists, six_lists, workbook

    end = dt.date(2026, 11, 20)
    start = end - dt.timedelta(days=29)
    hz = con.execute("SELECT found_on, rectified_on, closed_on FROM hazard").fetchall()
    open_now = sum(f <= end and (r is None or r > end) for f, r, _ in hz)
    found = sum(start <= f <= end for f, _, _ in hz)
    fixed = sum(r is not None and start <= r <= end for _, r, _ in hz)
    accepted = sum((r is not None and start <= r <= end) or (c is not None and start <= c <= end) for _, r, c in hz)
    enf = sum(start <= d <= end for (d,) in con.execute("SELECT date FROM enforcement").fetchall())
    ins = sum(start <= d <= end for (d,) in con.execute("SELECT date FROM inspection").fetchall())

    def sheets(lists: dict) -> dict[str, list[tuple]]:
        wb = openpyxl.load_workbook(io.BytesIO(workbook(lists, "示意市", f"{start} 至 {end}")))
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}

    five = sheets(five_lists(con, start, end))
    assert list(five) == ["检查清单", "隐患清单", "交办清单", "整改清单", "督办清单"]
    assert [len(rows) - 3 for rows in five.values()][:4] == [ins, found, open_now, fixed]
    assert five["督办清单"][2][:4] == ("序号", "统一社会信用代码", "企业名称", "乡镇（街道）")
    assert len(five["督办清单"]) - 3 == con.execute("SELECT count(*) FROM listing_enterprise").fetchone()[0]

    six = sheets(six_lists(con, start, end))
    assert list(six) == ["监督清单", "风险隐患清单", "整改清单", "验收销号清单", "执法清单", "责任清单"]
    scored = con.execute("SELECT count(*) FROM enterprise_score").fetchone()[0]
    everyone = con.execute("SELECT count(*) FROM enterprise").fetchone()[0]
    assert [len(rows) - 3 for rows in six.values()] == [scored, found, open_now, accepted, enf, everyone]
    header = six["整改清单"][2]
    first = dict(zip(header, six["整改清单"][3]))
    assert first["剩余天数"] == (first["整改期限"].date() - end).days and first["状态"] in ("整改中", "逾期")

    parks = sheets(park_lists(con, start, end))
    assert len(parks) == con.execute("SELECT count(*) FROM park").fetchone()[0]
    assert all(rows[2] == PARK_HAZARD_COLUMNS for rows in parks.values())


def test_sheet_names_are_valid_and_unique():
    from reports.ledgers import _sheet_name

    used: set[str] = set()
    names = [_sheet_name(n, used) for n in ["a/b:c*", "a/b:c*", "x" * 40, "x" * 40, ""]]
    assert names == ["a_b_c_", "a_b_c_(2)", "x" * 31, "x" * 28 + "(2)", "表"]


@pytest.fixture(scope="module")
def briefing(con):
    import datetime as dt

    from reports.document import build_briefing

    return build_briefing(con, dt.date(2026, 11, 20), 7)


def test_briefing_docx_has_every_part_with_the_right_numbers(con, briefing):
    import datetime as dt

    from docx import Document

    from reports.document import TOP_TARGETS, briefing_docx

    doc = Document(io.BytesIO(briefing_docx(briefing)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "示意市小微企业安全生产和消防安全整治工作通报" in text and "2026-11-14 至 2026-11-20" in text
    for heading in ("一、主要数据", "二、全市安全风险图", "三、挂牌督办乡镇", "四、重点检查对象", "五、隐患整改趋势",
                    "六、检查选取成效"):
        assert heading in text
    assert "示意数据" in text
    kpi, listed, targets, lift = doc.tables
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in kpi.rows[1:]}
    start, end = dt.date(2026, 11, 14), dt.date(2026, 11, 20)
    found = con.execute("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ?", [start, end]).fetchone()[0]
    before = con.execute("SELECT count(*) FROM hazard WHERE found_on BETWEEN ? AND ?",
                         [dt.date(2026, 11, 7), dt.date(2026, 11, 13)]).fetchone()[0]
    assert rows["发现隐患数（项）"] == (f"{found:,}", f"{found - before:+,}")
    assert len(listed.rows) - 1 == con.execute("SELECT count(*) FROM listing_township").fetchone()[0]
    top = [n for (n,) in con.execute(f"SELECT e.name FROM enterprise_score s JOIN enterprise e USING (uscc) "
                                     f"ORDER BY s.score DESC, s.uscc LIMIT {TOP_TARGETS}").fetchall()]
    assert [r.cells[1].text for r in targets.rows[1:]] == top
    assert len(doc.inline_shapes) == 2  # the map and the trend chart
    # The lift of the four quarters to the end (2026-01-01 to 2026-11-20), as an independent query counts it.
    lifted = {(r.cells[0].text, r.cells[1].text): [c.text for c in r.cells[2:]] for r in lift.rows[1:]}
    n_risk, n_drawn = con.execute(
        "SELECT count(*) FILTER (method = '风险清单'), count(*) FILTER (method = '双随机抽查') FROM inspection "
        "WHERE date BETWEEN DATE '2026-01-01' AND DATE '2026-11-20'").fetchone()
    assert lifted[("合计", "合计")][0] == str(n_risk) and lifted[("合计", "合计")][2] == str(n_drawn)
    assert {q for q, d in lifted if d == "合计"} == {"2026Q1", "2026Q2", "2026Q3", "2026Q4", "合计"}


def test_briefing_pdf_pages_and_embedded_font(briefing):
    import re

    from reports.document import briefing_pdf

    pdf = briefing_pdf(briefing)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 4  # cover with figures and trend, the map, listed townships, targets
    assert b"WenQuanYi" in pdf  # the CJK font is embedded, so the text shows on any machine


def test_trend_chart_has_no_missing_glyphs(briefing):
    from reports.document import trend_png

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = trend_png(briefing.trend)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert pixels(png).shape[2] == 3


def test_county_map_keeps_to_the_county(con):
    import shapely

    from data import queries
    from reports.views import ViewRequest, build_view

    county = _keys(con)["county"]
    view = build_view(con, ViewRequest("county", county))
    towns = queries.township_geometries(con)
    area = shapely.union_all(list(towns.loc[towns["county_code"] == county, "geom"])).buffer(1e-6)
    parks = view.bundle.datasets["parks"]
    assert parks and all(area.intersects(shapely.Polygon(p["polygon"])) for p in parks)
    assert len(parks) < con.execute("SELECT count(*) FROM park").fetchone()[0]


def test_lists_narrowed_by_department_and_level(con):
    import datetime as dt

    from reports.ledgers import five_lists, narrow

    lists = five_lists(con, dt.date(2026, 8, 1), dt.date(2026, 11, 20))
    hz = narrow(lists["隐患清单"], ["消防救援"], ["较大"])
    assert len(hz) and set(hz["责任部门"]) == {"消防救援"} and set(hz["隐患等级"]) == {"较大"}
    assert len(hz) == ((lists["隐患清单"]["责任部门"] == "消防救援") & (lists["隐患清单"]["隐患等级"] == "较大")).sum()
    assert set(narrow(lists["检查清单"], ["消防救援"])["检查部门"]) == {"消防救援"}
    assert narrow(lists["督办清单"], ["消防救援"], ["较大"]).equals(lists["督办清单"])  # no such columns
    assert narrow(lists["隐患清单"]).equals(lists["隐患清单"])  # nothing chosen


def test_a_view_request_is_json_and_the_cli_draws_it(con, city_env, tmp_path):
    """The request the overview screen builds survives JSON, and `export png --view` draws the
    same map as the function given the request (the screen's default: counts, parks, incidents)."""
    from reports.views import ViewError, ViewRequest, snapshot_png
    from riskmap.cli import main

    req = ViewRequest("city", res=8, colour="count", overlays=("parks", "incidents"), days=30)
    assert ViewRequest.from_json(req.to_json()) == req
    with pytest.raises(ViewError):
        ViewRequest.from_json('{"scope": "city", "zoom": 3}')
    out = tmp_path / "map.png"
    assert main(["--db", str(city_env.db), "export", "png", "--view", req.to_json(), "--out", str(out)]) == 0
    from .test_export_marks import mark_of_last_cli_export

    assert out.read_bytes() == snapshot_png(con, req, mark=mark_of_last_cli_export(city_env.db))  # and its mark
