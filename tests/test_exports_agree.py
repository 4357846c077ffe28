"""The briefing files agree with their date and with each other (issue 15, part 7: exports).

A briefing for a past period is made entirely as of that period's end: the figures, the map,
the listed townships and the top targets, none of them as of the data's own later date. Word
and PDF carry the same headings in the same order and numbered pages; a chart's legend sits
outside its data; a PNG map has its whole frame; a snapshot of a filtered list draws the whole
city and says what the filter was; files are named by their period and area; and every
workbook prints on A4 landscape with its header frozen and repeated.

The PDF is read back by :func:`pdf_pages`, a small reader of the files matplotlib writes (no
PDF library is installed): each text object (BT … ET) is one line, its glyph codes mapped back
to characters through the font's own ToUnicode table.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from .conftest import SMALL, City
from .pdf_text import cmap

if TYPE_CHECKING:
    import duckdb

#: Months before the small city's as-of date (2026-11-20).
END = dt.date(2026, 6, 30)
DAYS = 30
AS_OF = SMALL.as_of
HEADINGS = ["一、主要数据（与上一期比较）", "二、全市安全风险图", "三、挂牌督办乡镇", "四、重点检查对象（前 20 家）",
            "五、隐患整改趋势（按发现月份）", "六、检查选取成效（风险清单与双随机抽查）"]


# --- reading the files back ---------------------------------------------------------------

def _literal(content: bytes, i: int) -> tuple[bytes, int]:
    """The PDF literal string starting at ``content[i] == '('``, unescaped, and where it ends."""
    out, depth, j = bytearray(), 1, i + 1
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while True:
        ch = content[j]
        if ch == 0x5C:  # backslash
            nxt = content[j + 1]
            if 0x30 <= nxt <= 0x37:
                k = j + 1
                while k < j + 4 and 0x30 <= content[k] <= 0x37:
                    k += 1
                out.append(int(content[j + 1:k], 8) & 0xFF)
                j = k
            else:
                out.append(escapes.get(nxt, nxt))
                j += 2
            continue
        if ch == 0x28:
            depth += 1
        elif ch == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), j + 1
        out.append(ch)
        j += 1


def _tokens(content: bytes):
    """Strings (as bytes), names (``/F1``) and other words of a content stream, in order."""
    i, n = 0, len(content)
    delimiters = b"()<>[]{}/% \t\r\n\x00\x0c"
    while i < n:
        c = content[i]
        if c in b" \t\r\n\x00\x0c":
            i += 1
        elif c == 0x28:
            s, i = _literal(content, i)
            yield "str", s
        elif c == 0x3C and content[i + 1:i + 2] != b"<":
            j = content.index(b">", i)
            yield "str", bytes.fromhex(content[i + 1:j].decode())
            i = j + 1
        elif c in b"[]":
            i += 1
        elif c == 0x2F:
            j = i + 1
            while j < n and content[j] not in delimiters:
                j += 1
            yield "name", content[i + 1:j].decode()
            i = j
        else:
            j = i + 1
            while j < n and content[j] not in delimiters:
                j += 1
            yield "word", content[i:j].decode("latin-1")
            i = max(j, i + 1)


def pdf_pages(pdf: bytes) -> list[list[str]]:
    """The text of each page of a matplotlib PDF, one line per text object."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}

    def stream(n: int) -> bytes:
        body = objects[n]
        m = re.search(rb"stream\r?\n(.*)\r?\nendstream", body, re.S)
        assert m, n
        return zlib.decompress(m.group(1)) if b"/FlateDecode" in body[:m.start()] else m.group(1)

    fonts: dict[str, dict[int, str]] = {}
    for body in objects.values():
        if re.fullmatch(rb"\s*<<\s*(/F\d+ \d+ 0 R\s*)+>>\s*", body):
            for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
                uni = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)])
                fonts[name.decode()] = cmap(stream(int(uni.group(1)))) if uni else {}
    kids = re.search(rb"/Type /Pages /Kids \[([^\]]*)\]", pdf)
    assert kids
    pages = []
    for ref in re.findall(rb"(\d+) 0 R", kids.group(1)):
        contents = re.search(rb"/Contents (\d+) 0 R", objects[int(ref)])
        assert contents
        lines: list[str] = []
        line: list[str] | None = None
        font: dict[int, str] = {}
        pending: list[tuple[str, object]] = []
        for kind, tok in _tokens(stream(int(contents.group(1)))):
            if kind != "word":
                pending.append((kind, tok))
                continue
            if tok == "BT":
                line = []
            elif tok == "ET" and line is not None:
                lines.append("".join(line))
                line = None
            elif tok == "Tf":
                font = fonts.get(str(next(v for k, v in pending if k == "name")), {})
            elif tok in ("TJ", "Tj", "'", '"') and line is not None:
                for k, v in pending:
                    if k == "str":
                        assert isinstance(v, bytes)
                        line.append("".join(font.get(int.from_bytes(v[i:i + 2], "big"), "?")
                                            for i in range(0, len(v), 2)))
            if not (tok.replace(".", "").replace("-", "").isdigit()):
                pending = []
        pages.append(lines)
    return pages


def docx_lines(data: bytes) -> list[str]:
    """Every paragraph of a docx as text: the body (tables too), then each header and footer."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(data))
    parts = [doc.element.body] + [s.footer._element for s in doc.sections] + [s.header._element for s in doc.sections]
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for part in parts for p in part.iter(qn("w:p"))]


#: A date written as 2026-06-30, 2026/6/30 or 2026年6月30日; a month as 2026-06 or 2026年6月.
DATE = re.compile(r"(?<![\d.])(\d{4})(?:-|/|年)(\d{1,2})(?:(?:-|/|月)(\d{1,2})日?|月)?(?![\d/-])")


def dates_in(text: str) -> list[dt.date]:
    """Every date in ``text``; a month alone counts as its first day."""
    out = []
    for y, m, d in DATE.findall(text):
        if 1 <= int(m) <= 12 and 2000 <= int(y) <= 2100:
            out.append(dt.date(int(y), int(m), int(d) if d else 1))
    return out


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con(small_city: City) -> duckdb.DuckDBPyConnection:
    from data.build import connect

    return connect(small_city.db, read_only=True)


@pytest.fixture(scope="module")
def back(con):
    """A briefing of the 30 days to 2026-06-30, made from data as of 2026-11-20."""
    from reports.document import build_briefing

    return build_briefing(con, END, DAYS)


@pytest.fixture(scope="module")
def files(back) -> dict[str, bytes]:
    from reports.document import briefing_docx, briefing_pdf

    return {"docx": briefing_docx(back), "pdf": briefing_pdf(back)}


@pytest.fixture(scope="module")
def as_of_end(con) -> dict[str, object]:
    """What the model said on 2026-06-30, by the scoring functions directly."""
    from scoring.measures import measures_as_of
    from scoring.model import load_model, score
    from scoring.run import township_listing_at

    model = load_model()
    scored = score(measures_as_of(con, END, model), model)
    names = dict(con.execute("SELECT uscc, name FROM enterprise").fetchall())
    top = scored.sort_values(["score", "uscc"], ascending=[False, True]).head(20)
    listing = township_listing_at(con, END, model)
    listed = listing[listing["listed"]]
    town = dict(con.execute("SELECT code, name FROM township").fetchall())
    return {"top": [names[u] for u in top["uscc"]], "listed": sorted(town[k] for k in listed["key"]),
            "deadlines": {pd.Timestamp(d).date() for d in listed["deadline"]}}


def text_of(kind: str, data: bytes) -> list[str]:
    return docx_lines(data) if kind == "docx" else [line for page in pdf_pages(data) for line in page]


# --- 1. everything as of the briefing's end -----------------------------------------------

@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_a_back_dated_briefing_has_no_date_after_its_end(back, files, as_of_end, kind: str):
    text = "\n".join(text_of(kind, files[kind]))
    # The one note on what cannot be back-dated (the register, the boundaries) says so with its
    # date, once (the PDF wraps it onto lines of its own).
    undated = getattr(back, "undated", None) or "\0"
    note = re.compile(r"\s*".join(re.escape(c) for c in undated if not c.isspace()))
    rest, notes = note.subn("\n", text)
    later = [(d, line) for line in rest.splitlines() for d in dates_in(line) if d > END]
    # Only the listed townships' deadlines lie after the end: each set as of the end.
    assert {d for d, _ in later} <= as_of_end["deadlines"], later[:5]
    assert str(END) in text
    assert str(AS_OF) in undated and notes == 1


def test_a_back_dated_briefing_shows_that_day_s_listing_top_and_map(back, as_of_end):
    assert sorted(back.listed.iloc[:, 0]) == as_of_end["listed"]
    assert back.targets.iloc[:, 1].tolist() == as_of_end["top"]
    assert f"数据截至 {END}" in back.view.frame.subtitle and str(AS_OF) not in back.view.frame.subtitle
    assert str(dt.date.today()) not in back.view.frame.credit
    assert pd.Timestamp(back.trend["month"].max()).date() <= END


def test_back_dated_pdf_map_is_that_day_s(files):
    text = "\n".join(line for page in pdf_pages(files["pdf"]) for line in page)
    assert f"数据截至 {END}" in text and f"数据截至 {AS_OF}" not in text


# --- 2. the same headings, numbered pages --------------------------------------------------

def test_word_and_pdf_have_the_same_headings_in_the_same_order(files):
    from docx import Document

    doc = Document(io.BytesIO(files["docx"]))
    word = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    numbered = re.compile(r"^[一二三四五六七八九十]+、")
    pdf: list[str] = []
    for page in pdf_pages(files["pdf"]):
        for line in page:
            line = line.removesuffix("（续）")
            if numbered.match(line) and line not in pdf:
                pdf.append(line)
    assert word == HEADINGS
    assert pdf == HEADINGS


def test_word_footer_has_a_page_field(files):
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(files["docx"]))
    for section in doc.sections:
        footer = section.footer._element
        instructions = [e.text or "" for e in footer.iter(qn("w:instrText"))]
        instructions += [e.get(qn("w:instr")) or "" for e in footer.iter(qn("w:fldSimple"))]
        assert any(i.split() and i.split()[0] == "PAGE" for i in instructions), instructions


def test_every_pdf_page_has_its_number(files):
    pages = pdf_pages(files["pdf"])
    assert len(pages) >= 5
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页，共 {len(pages)} 页" in page, (n, page[-3:])


# --- 3. charts and maps -------------------------------------------------------------------

def test_trend_legend_is_outside_the_bars(back):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from reports.document import trend_figure

    fig = trend_figure(back.trend)
    FigureCanvasAgg(fig).draw()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert legends
    for legend in legends:
        box = legend.get_window_extent()
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent()), (box, ax.get_window_extent())


def _square_map():
    """One township square with two hexes inside, by hand (as tests/test_briefing.py)."""
    import h3

    from layers.maps import INDEX_BINS, overview_map

    lat, lng = h3.cell_to_latlng("88411c8b2bfffff")
    hexes = pd.DataFrame({"cell": np.array([0x88411C8B2BFFFFF, 0x88411C8B29FFFFF], dtype=np.uint64),
                          "index": [10.0, 90.0]})
    towns = pd.DataFrame({"code": ["339902001"], "name": ["甲街道"], "enterprises": [5],
                          "geom": [shapely.box(lng - 0.02, lat - 0.02, lng + 0.02, lat + 0.02)]})
    return overview_map(hexes, towns, {"tip_hex": "{n}", "tip_township": "{name}", "legend_title": "区域风险指数"},
                        True, "index", INDEX_BINS)


@pytest.mark.parametrize("size", ["slide", pytest.param("a4", marks=pytest.mark.slow)])
def test_png_frame_has_all_four_lines(size: str):
    from layers.png import SIZES, Frame, render_figure

    bundle = _square_map()
    fig = render_figure(bundle.specs, bundle.datasets, Frame("示意市 安全风险图", legends=[bundle.legend]), size)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SIZES[size][1])
    img = np.asarray(Image.open(buf).convert("RGB")).astype(int)
    h = img.shape[0]
    box = fig.axes[0].get_window_extent()
    x0, x1 = int(round(box.x0)), int(round(box.x1))
    top, bottom = h - int(round(box.y1)), h - int(round(box.y0))

    def drawn(strip: np.ndarray) -> float:
        """Share of positions along an edge where some pixel within 2 px is not white."""
        return float((strip < 235).any(axis=2).any(axis=0).mean())

    inset = 10
    edges = {
        "top": img[top - 2:top + 3, x0 + inset:x1 - inset],
        "bottom": img[bottom - 3:bottom + 2, x0 + inset:x1 - inset],
        "left": img[top + inset:bottom - inset, x0 - 2:x0 + 3].transpose(1, 0, 2),
        "right": img[top + inset:bottom - inset, x1 - 3:x1 + 2].transpose(1, 0, 2),
    }
    assert {k: drawn(v) > 0.98 for k, v in edges.items()} == dict.fromkeys(edges, True), \
        {k: drawn(v) for k, v in edges.items()}
    # The legend swatches lie outside the map.
    for patch in fig.patches:
        assert not patch.get_window_extent().overlaps(box)


def test_a_filtered_snapshot_draws_every_township_and_says_the_filter(con):
    from layers.png import render_figure
    from reports.views import ViewRequest, build_view

    town = con.execute("SELECT township_code FROM enterprise WHERE lon IS NOT NULL GROUP BY 1 ORDER BY 1 "
                       "LIMIT 1").fetchone()[0]
    usccs = tuple(u for (u,) in con.execute("SELECT uscc FROM enterprise WHERE township_code = ? AND lon IS NOT NULL "
                                            "ORDER BY uscc LIMIT 5", [town]).fetchall())
    label = "行业：制鞋；等级：重大"
    view = build_view(con, ViewRequest("enterprises", usccs=usccs, label=label))
    drawn = {r["code"] for r in view.bundle.datasets["townships"]}
    everyone = {c for (c,) in con.execute("SELECT code FROM township").fetchall()}
    assert drawn == everyone and len(everyone) == 24
    assert label in view.frame.caption and "5" in view.frame.caption
    fig = render_figure(view.bundle.specs, view.bundle.datasets, view.frame, "slide")
    from matplotlib.text import Text

    shown = "".join(t.get_text() for t in fig.findobj(Text)).replace("\n", "")
    assert label in shown


# --- 4. file names ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["weekly", "five"])
def test_files_of_different_periods_get_different_names(con, kind: str):
    from reports.exports import ExportRequest, export

    week = export(con, kind, ExportRequest(days=7))[1]
    month = export(con, kind, ExportRequest(days=30))[1]
    assert week != month
    assert "2026-11-14" in week and "2026-10-22" in month and "2026-11-20" in week and "2026-11-20" in month
    assert "示意市" in week


def test_a_weekly_file_names_its_area(con):
    from reports.exports import ExportRequest, export

    county, name = con.execute("SELECT code, name FROM county ORDER BY code LIMIT 1").fetchone()
    got = export(con, "weekly", ExportRequest(days=7, area=county))[1]
    assert name in got and got.endswith(".xlsx") and "/" not in got


def test_the_name_of_a_file_is_known_before_it_is_made(con):
    """A download button needs the name before its click makes the file: the same name."""
    from reports.exports import ExportRequest, export, export_name
    from reports.views import ViewRequest

    town = con.execute("SELECT min(code) FROM township").fetchone()[0]
    for kind, request in (("weekly", ExportRequest(END, 7, area=town)), ("six", ExportRequest(END, 30)),
                          ("png", ExportRequest(END, view=ViewRequest("township", town)))):
        name = export_name(con, kind, request)
        assert export(con, kind, request)[1] == name and str(END) in name, kind
    assert town in export_name(con, "png", ExportRequest(view=ViewRequest("township", town)))


@pytest.mark.parametrize("parts, expected", [
    (("周报表", "甲街道", "2026-11-14至2026-11-20"), "周报表_甲街道_2026-11-14至2026-11-20.xlsx"),
    (("周报表", "../../etc/passwd", ""), "周报表_etc_passwd.xlsx"),  # no path: separators become _
    (("地图", 'a:b*c?"d<e>f|g\\h'), "地图_a_b_c_d_e_f_g_h.xlsx"),
    (("地图", "甲\u202egpj.exe"), "地图_甲gpj.exe.xlsx"),  # a right-to-left override would disguise it
    (("地图", "乙\x00\x1b镇", "  "), "地图_乙_镇.xlsx"),
    (("通报", "长" * 50), "通报_" + "长" * 40 + ".xlsx"),
])
def test_file_names_hold_no_path_and_nothing_invisible(parts: tuple[str, ...], expected: str):
    from reports.exports import file_name

    assert file_name(*parts, suffix="xlsx") == expected


# --- 5. workbooks -------------------------------------------------------------------------

def _workbooks(con) -> dict[str, tuple[bytes, str, str, str, int]]:
    """kind -> (file, sheet, freeze_panes, print_title_rows, header row of its widths check)."""
    from reports.exports import ExportRequest, export
    from reports.spreadsheets import to_xlsx

    one = pd.DataFrame({"企业名称": ["示意市某某鞋业有限公司第一分公司", "乙"], "得分": [1.5, 2.0]})
    return {
        "one": (to_xlsx(one, "清单"), "清单", "A2", "$1:$1", 1),
        "five": (export(con, "five", ExportRequest(days=30))[0], "隐患清单", "A4", "$3:$3", 3),
        "weekly": (export(con, "weekly", ExportRequest(days=30))[0], "周报表", "B4", "$3:$3", 3),
    }


@pytest.mark.parametrize("kind", ["one", "five", "weekly"])
def test_workbooks_print_on_a4_landscape_with_the_header_frozen(con, kind: str):
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    data, sheet, freeze, titles, header = _workbooks(con)[kind]
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:  # every sheet is set up for print
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.print_title_rows, ws.title
        assert ws.freeze_panes, ws.title
    ws = wb[sheet]
    assert ws.freeze_panes == freeze
    assert ws.print_title_rows == titles
    # A long column is as wide as its longest text (a CJK character counting two): the names
    # of a list; a form's longest header, wrapped onto two lines.
    rows = list(ws.iter_rows(min_row=header, values_only=True))
    labels = [str(v) for v in rows[0]]
    if kind == "weekly":
        col = labels.index("移送公安机关追究刑事责任（人）")
        longest = display_width(labels[col]) / 2
    else:
        col = labels.index("企业名称")
        longest = max(display_width(str(r[col])) for r in rows if r[col] is not None)
    width = ws.column_dimensions[get_column_letter(col + 1)].width
    assert width >= min(longest, 60) and width > 8.43, (width, longest)


# --- 6. a scoped connection stays scoped ----------------------------------------------------

def test_back_dated_exports_of_a_grid_scope_reach_only_its_grid(small_city: City):
    """The outputs of a past day are computed on a new cursor: it must keep the 网格员's scope
    (temporary views, which a cursor does not inherit) and the summaries it hides."""
    from openpyxl import load_workbook

    from data.access import scope_connection
    from data.build import open_snapshot
    from reports.document import build_briefing
    from reports.exports import EXPORTS, ExportRequest, export

    base = open_snapshot(small_city.db)
    grid = base.execute("SELECT grid_id FROM enterprise GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    con = scope_connection(base, grid, mask_people=True)
    mine = {u for (u,) in base.execute("SELECT uscc FROM enterprise WHERE grid_id = ?", [grid]).fetchall()}
    names = {n for (n,) in base.execute("SELECT name FROM enterprise WHERE grid_id = ?", [grid]).fetchall()}
    b = build_briefing(con, END, DAYS)
    assert set(b.targets.iloc[:, 1]) <= names and len(b.targets) == min(20, len(mine))
    assert b.listed.empty  # the township listing summarises other grids: hidden
    assert {p["uscc"] for p in b.view.bundle.datasets.get("enterprise_points", [])} <= mine
    for kind in ("five", "six"):
        wb = load_workbook(io.BytesIO(export(con, kind, ExportRequest(END, DAYS))[0]))
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(min_row=3, values_only=True))
            if rows and "统一社会信用代码" in rows[0]:
                col = rows[0].index("统一社会信用代码")
                assert {r[col] for r in rows[1:]} <= mine, ws.title
    for kind in EXPORTS:
        assert export(con, kind, ExportRequest(END, DAYS))[0]
    # The connection itself is as it was: its stored scores, its own grid.
    assert con.execute("SELECT count(*) FROM enterprise").fetchone()[0] == len(mine)
    assert con.execute("SELECT max(as_of) FROM enterprise_score").fetchone()[0] == AS_OF


def test_the_briefing_page_names_its_downloads_as_the_cli_does(city_env, monkeypatch):
    """The 通报导出 page's buttons carry the same names :func:`export_name` gives the files:
    a week's and a month's weekly report differ, and name the area chosen."""
    from .test_app import download_names, run_app

    seen = download_names(monkeypatch)  # the names the page gives its buttons
    names = {}
    for days in (7, 30):
        at = run_app("pages/screens/briefing.py")
        seen.clear()
        at = at.radio(key="brief_days").set_value(days).run()
        assert not at.exception
        names[days] = set(seen)
    weekly = {d: [n for n in names[d] if n.startswith("周报表")] for d in names}
    assert len(weekly[7]) == 1 and len(weekly[30]) == 1 and weekly[7] != weekly[30]
    assert "2026-11-14至2026-11-20" in weekly[7][0] and "2026-10-22至2026-11-20" in weekly[30][0]


def test_the_targets_page_says_which_filters_a_snapshot_draws(city_env):
    """The filters chosen on 检查目标, in words, on the page and in the snapshot's caption (the
    same text): not just how many enterprises were chosen."""
    from data.build import connect

    from .test_app import run_app

    con = connect(city_env.db, read_only=True)
    town_code, town = con.execute("SELECT code, name FROM township ORDER BY code LIMIT 1").fetchone()
    at = run_app("pages/screens/targets.py", query={"f_tier": "较大", "f_township": town_code, "f_text": "印务"})
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert "风险等级：较大" in said and f"乡镇（街道）：{town}" in said and "：印务" in said, said
    at = run_app("pages/screens/targets.py")
    assert "未筛选（全部企业）" in " ".join(c.value for c in at.caption)
