"""Names that mean something to a renderer are only ever text, wherever they are drawn or written.

The literal tiny city of tests/fixtures.py is built once per theme and its names are then
replaced in the database itself (every text column of every table), as a database that
already holds such names would have them whatever the importer accepts today:

- ``deck``: deck.gl's JSON converter runs a string starting with ``@@=`` and resolves one
  starting with ``@@#`` (``@@type``/``@@function`` keys instantiate classes and call functions);
- ``math``: matplotlib reads ``$…$`` as mathtext (``$\\cmd$`` raises when drawn);
- ``control``: control characters, which openpyxl and lxml (python-docx) refuse to write;
- ``formula``: cells a spreadsheet would run (``=HYPERLINK(…)``, ``+``, ``-``, ``@``, tab, CR);
- ``markdown``: Markdown images and links in names shown on the pages.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from . import fixtures as F
from .decks import with_rows_json

#: Original name in tests/fixtures.py -> its hostile replacement, per theme.
THEMES: dict[str, dict[str, str]] = {
    "deck": {"小城": "@@=city", "示意区": "@@#county", "甲街道": "@@=1/0", "乙镇": "@@#foo", "甲园": "@@#bar.baz",
             "甲鞋厂": "@@=[1,2]", "乙阀门厂": "@@#x", "丙印务": "@@type", "丁五金": "@@function", "赵六": "@@=mgr",
             "制鞋": "@@=industry"},
    "math": {"小城": "$\\cmd$城", "示意区": "$x^2$区", "甲街道": "$\\cmd$", "乙镇": "乙$镇", "甲园": "$x^2$",
             "甲鞋厂": "$\\frac{1}{$鞋厂", "乙阀门厂": "$", "丙印务": "$x^2$ $\\cmd$", "丁五金": "丁$\\alpha",
             "制鞋": "$\\cmd$鞋"},
    "control": {"小城": "小\x00城", "示意区": "示\x01意区", "甲街道": "甲\x0b街道", "乙镇": "乙\x1b镇", "甲园": "甲\x7f园",
                "甲鞋厂": "甲\x00鞋\x01厂\x0b\x1b\x7f", "乙阀门厂": "乙\x0c阀门厂", "丙印务": "丙\x08印务",
                "丁五金": "\x1f丁五金", "赵六": "赵\x00六", "制鞋": "制\x1b鞋"},
    "formula": {"小城": '=HYPERLINK("http://x","y")', "示意区": '=HYPERLINK("http://x","y")', "甲街道": "+1+1",
                "乙镇": "-1+1", "甲园": "@SUM(A1)", "甲鞋厂": "=1+1", "乙阀门厂": "\t=1+1", "丙印务": "\r=1+1",
                "丁五金": "=cmd|' /C calc'!A0", "赵六": "=2*3", "制鞋": "#N/A"},
    "markdown": {"小城": "![x](http://127.0.0.1:9/x.png)", "示意区": "[点击](http://127.0.0.1:9)",
                 "甲街道": "![x](http://127.0.0.1:9/x.png)", "乙镇": "[点击](http://127.0.0.1:9)",
                 "甲园": "![x](http://127.0.0.1:9/x.png)", "甲鞋厂": "[点击](http://127.0.0.1:9) 请登录 http://127.0.0.1:9/login www.evil.example a@evil.example",
                 "乙阀门厂": "![x](http://127.0.0.1:9/x.png)", "丙印务": "**粗**[点击](http://127.0.0.1:9) https://127.0.0.1:9/x WWW.evil.example",
                 "丁五金": "丁五金", "赵六": "[点击](http://127.0.0.1:9)", "制鞋": "![x](http://127.0.0.1:9/x.png)"},
}
#: The illustrative-data note carries the theme's city name too.
NOTE_OF = "示意数据：{city}"


def make_hostile(db: Path, names: dict[str, str]) -> None:
    """Replace ``names`` in every text column of every table of ``db`` (codes and keys are
    digits, so only names, tips' sources and notes change), fill the free-text columns the
    tiny city leaves empty (address, hazard category and description, park operator) with
    hostile names too, and mark the data illustrative with a note naming the city."""
    con = duckdb.connect(str(db))
    columns = con.execute("SELECT table_name, column_name FROM information_schema.columns c "
                          "JOIN information_schema.tables t USING (table_schema, table_name) "
                          "WHERE data_type = 'VARCHAR' AND table_type = 'BASE TABLE' "
                          "AND NOT (table_name = 'meta' AND column_name = 'key')").fetchall()
    for table, column in columns:
        for old, new in names.items():
            con.execute(f'UPDATE "{table}" SET "{column}" = replace("{column}", $o, $n) '
                        f'WHERE contains("{column}", $o)', {"o": old, "n": new})
    con.execute("UPDATE enterprise SET address = name")
    con.execute("UPDATE hazard SET category = e.name, description = e.name FROM enterprise e "
                "WHERE e.uscc = hazard.uscc")
    con.execute("UPDATE park SET operator = name")
    city = names.get("小城", "小城")
    con.execute("UPDATE meta SET value = $v WHERE key = 'data_note'", {"v": NOTE_OF.format(city=city)})
    con.execute("UPDATE meta SET value = '1' WHERE key = 'illustrative'")
    con.close()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``hostile(theme)``: the data directory of the tiny city with the theme's names (built once)."""
    built: dict[str, Path] = {}

    def get(theme: str) -> Path:
        if theme not in built:
            folder = tmp_path_factory.mktemp(f"hostile_{theme}")
            make_hostile(F.build_tiny_city(folder), THEMES[theme])
            built[theme] = folder
        return built[theme]

    return get


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    from data.build import connect as open_db

    return open_db(folder / "riskmap.duckdb", read_only=True)


def every_view() -> list[Any]:
    """A request of every scope the app draws (the city with every overlay and the names)."""
    from layers.colors import TIER_COLORS
    from reports.views import OVERLAYS, ViewRequest

    return [ViewRequest("city", names=True, overlays=OVERLAYS, tiers=tuple(TIER_COLORS), days=3650),
            ViewRequest("city", colour="count", overlays=OVERLAYS, tiers=tuple(TIER_COLORS), days=3650),
            ViewRequest("county", F.COUNTY, overlays=OVERLAYS, tiers=tuple(TIER_COLORS), days=3650),
            ViewRequest("township", "339902001"), ViewRequest("township", "339902101"),
            ViewRequest("grid", "339902001001"), ViewRequest("grid", "339902101001"),
            ViewRequest("park", F.PARK[0]),
            ViewRequest("enterprises", usccs=(F.E1, F.E2, F.E3, F.E4), label="筛选")]


def visible(text: str) -> str:
    """Text as a reader sees it: invisible format characters (zero-width space…) left out."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


# --- 1. deck.gl expressions ------------------------------------------------------------------

#: What pydeck itself writes for an accessor of our specs: ``@@=column`` or ``@@=[a, b]``.
ACCESSOR = re.compile(r"@@=(?:[A-Za-z_]\w*|\[[A-Za-z_]\w*(?:, [A-Za-z_]\w*)*\])")


def json_strings(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every string of a JSON value with where it is, dictionary keys included (path ends in "@key")."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from json_strings(v, (*path, i))
    elif isinstance(node, dict):
        for k, v in node.items():
            yield (*path, "@key"), k
            yield from json_strings(v, (*path, k))


def assert_deck_inert(deck_json: str, names: list[str]) -> None:
    """No string deck.gl would evaluate except pydeck's own accessors of our layer props; every
    name still reads the same once invisible characters are left out."""
    deck = json.loads(deck_json)
    shown = []
    for path, s in json_strings(deck):
        if s.startswith("@@"):
            # Only a layer's own prop (never inside its data) may be an expression, and only
            # the accessor pydeck wrote for one of our column names; "@@type" only as a layer key.
            layer_prop = len(path) == 3 and path[0] == "layers" and path[2] not in ("data", "@key")
            class_key = len(path) == 3 and path[0] in ("layers", "views") and path[2] == "@key" and s == "@@type"
            assert class_key or (layer_prop and ACCESSOR.fullmatch(s)), (path, s)
        shown.append(visible(s))
    for name in names:
        assert any(name in s for s in shown), name


def deck_names() -> list[str]:
    theme = THEMES["deck"]
    return [theme[k] for k in ("甲街道", "乙镇", "甲园", "甲鞋厂", "乙阀门厂", "丙印务", "丁五金")]


def test_deck_of_every_view_has_no_expression_from_data(hostile):
    from layers.render import to_pydeck, view_for
    from reports.views import build_view

    con = connect(hostile("deck"))
    for req in every_view():
        bundle = build_view(con, req).bundle
        deck = to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points))
        d = json.loads(deck.to_json())
        data = [s for layer in d["layers"] for _, s in json_strings(layer["data"])]
        shown = {visible(s) for s in data}
        # The names are there to be seen, none of them as an expression.
        expected = {"city": ["@@=1/0", "@@#foo"], "county": ["@@=1/0", "@@#foo"], "township": [],
                    "grid": [], "park": [], "enterprises": []}[req.scope]
        assert all(any(n in s for s in shown) for n in expected), req
        assert_deck_inert(deck.to_json(), [])


def test_a_clicked_name_or_code_comes_back_as_it_was():
    from layers.render import selected_values, to_pydeck
    from layers.spec import LayerSpec

    rows = [{"polygon": [[0, 0], [1, 0], [1, 1]], "code": "@@#P1", "name": "@@=1/0", "tip": "@@=1/0"}]
    deck = to_pydeck([LayerSpec("parks", "polygon", "parks", pickable=True)], {"parks": rows},
                     {"longitude": 0.5, "latitude": 0.5, "zoom": 8})
    assert_deck_inert(deck.to_json(), ["@@=1/0"])
    sent = next(la for la in json.loads(deck.to_json())["layers"] if la["id"] == "parks")["data"][0]
    # What the browser sends back on a click is the row as it was drawn; the page gets the code.
    assert selected_values({"objects": {"parks": [sent]}}, "parks", "code") == ["@@#P1"]
    assert rows[0]["name"] == "@@=1/0"  # the caller's data is left as it was


def test_layer_props_cannot_carry_an_expression():
    from layers.render import LayerDataError, to_pydeck
    from layers.spec import LayerSpec

    rows = [{"position": [0, 0], "text": "x"}]
    view = {"longitude": 0, "latitude": 0, "zoom": 8}
    deck = to_pydeck([LayerSpec("t", "text", "t", vis={"font_family": '"@@#GL.ONE"'})], {"t": rows}, view)
    assert_deck_inert(deck.to_json(), [])  # a quoted constant is a string, whatever it says
    with pytest.raises(LayerDataError, match="accessor"):
        to_pydeck([LayerSpec("t", "text", "t", vis={"get_text": "1/0"})], {"t": rows}, view)


def test_html_export_of_expression_names_works(hostile):
    import html

    from reports.views import snapshot_html

    con = connect(hostile("deck"))
    for req in every_view():
        page = snapshot_html(con, req)
        tips = [visible(html.unescape(json.loads(f'"{t}"')))
                for t in re.findall(r'"tip":"((?:[^"\\]|\\.)*)"', page)]
        assert tips, req
        if req.scope == "city" and req.names:  # the townships and the park, in tooltips as text
            for name in deck_names()[:3]:
                assert any(name in t for t in tips), name


# --- 2. matplotlib mathtext -------------------------------------------------------------------

def texts_of(fig: Any) -> list[Any]:
    """Every text artist of a figure with something to say, table cells included (which
    ``findobj`` does not reach)."""
    from matplotlib.text import Text

    texts = list(fig.findobj(Text))
    texts += [c.get_text() for ax in fig.axes for table in ax.tables for c in table.get_celld().values()]
    return [t for t in texts if t.get_text()]


def assert_literal(figures: list[Any], names: list[str]) -> None:
    """Every string drawn is drawn as given: mathtext off on each, and the names among them."""
    drawn = [t for fig in figures for t in texts_of(fig)]
    assert drawn
    assert [t.get_text() for t in drawn if t.get_parse_math()] == []
    strings = [t.get_text() for t in drawn]
    for name in names:
        assert any(name in s for s in strings), name


def math_names(*keys: str) -> list[str]:
    return [THEMES["math"][k] for k in keys]


def test_png_exports_draw_dollar_names_literally(hostile):
    from layers.png import render_figure
    from reports.exports import ExportRequest, export
    from reports.views import build_view

    con = connect(hostile("math"))
    expected = {"city": ["甲街道", "乙镇", "小城"], "county": ["甲街道", "乙镇", "示意区"], "township": ["小城"],
                "grid": ["小城"], "park": ["甲园"], "enterprises": ["小城"]}
    for req in every_view():
        png, _ = export(con, "png", ExportRequest(view=req))
        assert png.startswith(b"\x89PNG")
        view = build_view(con, req)
        names = expected[req.scope] if req.scope != "city" or req.names else ["小城"]  # labels only with names
        assert_literal([render_figure(view.bundle.specs, view.bundle.datasets, view.frame)], math_names(*names))


def test_pdf_briefing_draws_dollar_names_literally(hostile, monkeypatch):
    from matplotlib.backends.backend_pdf import PdfPages

    from reports.exports import ExportRequest, export

    figures: list[Any] = []
    original = PdfPages.savefig

    def keep(self: PdfPages, figure: Any = None, **kwargs: Any) -> None:
        figures.append(figure)
        original(self, figure, **kwargs)

    monkeypatch.setattr(PdfPages, "savefig", keep)
    con = connect(hostile("math"))
    pdf, _ = export(con, "pdf", ExportRequest(days=365))
    assert pdf.startswith(b"%PDF")
    # Cover (city), the map, the listed townships and the top targets (enterprises, townships).
    assert_literal(figures, math_names("小城", "甲街道", "乙镇", "甲鞋厂", "乙阀门厂", "丙印务", "丁五金"))


def test_docx_briefing_with_dollar_names(hostile):
    from reports.exports import ExportRequest, export

    con = connect(hostile("math"))
    docx, _ = export(con, "docx", ExportRequest(days=365))
    assert docx.startswith(b"PK")


# --- 3. control characters --------------------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def cleaned(*keys: str) -> list[str]:
    return [CONTROL.sub("", THEMES["control"][k]) for k in keys]


def workbook_strings(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    out = list(wb.sheetnames)
    for ws in wb.worksheets:
        out += [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    return out


@pytest.mark.parametrize("kind", ["five", "six", "parks", "weekly"])
def test_workbooks_of_a_database_holding_control_characters(hostile, kind: str):
    from reports.exports import ExportRequest, export

    con = connect(hostile("control"))
    data, _ = export(con, kind, ExportRequest(days=365))
    strings = workbook_strings(data)
    assert [s for s in strings if CONTROL.search(s)] == []
    names = {"five": ("甲鞋厂", "甲街道", "乙镇", "小城"), "six": ("甲鞋厂", "甲街道", "乙镇", "赵六"),
             "parks": ("甲园",), "weekly": ("示意区", "小城")}[kind]
    for name in cleaned(*names):
        assert any(name in s for s in strings), name


def test_weekly_workbook_of_a_township_with_control_characters(hostile):
    from reports.exports import ExportRequest, export

    con = connect(hostile("control"))
    for area in (F.COUNTY, "339902001"):
        strings = workbook_strings(export(con, "weekly", ExportRequest(days=365, area=area))[0])
        assert [s for s in strings if CONTROL.search(s)] == []
        assert any(cleaned("甲街道")[0] in s for s in strings)


def test_one_sheet_lists_and_import_results_with_control_characters():
    import pandas as pd

    from reports.ledgers import workbook
    from reports.spreadsheets import to_xlsx

    bad = ["\x00甲", "乙\x01", "丙\x0b丁", "\x1b戊", "己\x7f"]
    frame = pd.DataFrame({"名称\x00": bad, "数": range(5)})
    for data in (to_xlsx(frame, "清\x01单"), workbook({"问\x1b题": frame}, "坏\x00文件.csv", "导入\x0b结果")):
        strings = workbook_strings(data)
        assert [s for s in strings if CONTROL.search(s)] == []
        assert {"甲", "乙", "丙丁", "戊", "己", "名称"} <= set(strings)


def test_word_briefing_of_a_database_holding_control_characters(hostile):
    from docx import Document

    from reports.exports import ExportRequest, export

    con = connect(hostile("control"))
    data, _ = export(con, "docx", ExportRequest(days=365))
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for table in doc.tables for row in table.rows for c in row.cells]
    assert [s for s in texts if CONTROL.search(s)] == []
    for name in cleaned("小城", "甲鞋厂", "乙阀门厂", "甲街道", "乙镇"):
        assert any(name in s for s in texts), name


def test_pdf_and_png_of_a_database_holding_control_characters(hostile):
    import warnings

    from reports.exports import ExportRequest, export

    con = connect(hostile("control"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert export(con, "pdf", ExportRequest(days=365))[0].startswith(b"%PDF")
        for req in every_view()[2:4]:  # the county (township labels) and a township
            assert export(con, "png", ExportRequest(view=req))[0].startswith(b"\x89PNG")
    # A control character has no glyph in any font: left out, not drawn as a box.
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []


# --- 4. spreadsheet formulas ------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def assert_inert_workbook(data: bytes) -> list[str]:
    """No cell of any sheet is a formula (or an error value), and no text cell would become one
    when typed back: each starts with something other than = + - @ tab CR. Returns the texts."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type not in ("f", "e"), (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_START), (ws.title, c.coordinate, c.value)
                    texts.append(c.value)
    return texts


def formula(key: str) -> str:
    return THEMES["formula"][key]


@pytest.mark.parametrize("kind", ["five", "six", "parks", "weekly"])
def test_every_cell_of_every_workbook_is_inert(hostile, kind: str):
    from reports.exports import ExportRequest, export

    con = connect(hostile("formula"))
    texts = assert_inert_workbook(export(con, kind, ExportRequest(days=365))[0])
    # The names are kept, as text (after the apostrophe that keeps them text).
    names = {"five": ("甲鞋厂", "甲街道", "乙镇"), "six": ("甲鞋厂", "乙阀门厂", "丙印务", "赵六"),
             "parks": ("甲园",), "weekly": ("示意区", "小城")}[kind]
    for name in names:
        assert any(formula(name) in s for s in texts), name


def test_weekly_report_title_of_a_formula_county(hostile):
    from openpyxl import load_workbook

    from reports.exports import ExportRequest, export

    con = connect(hostile("formula"))
    for area in (None, F.COUNTY, "339902001"):
        data = export(con, "weekly", ExportRequest(days=365, area=area))[0]
        assert_inert_workbook(data)
        a1 = load_workbook(io.BytesIO(data))["周报表"]["A1"]
        name = formula({None: "小城", F.COUNTY: "示意区", "339902001": "甲街道"}[area])
        assert a1.data_type == "s" and name in a1.value, a1.value


def test_import_result_and_one_sheet_workbooks_keep_formulas_as_text():
    import pandas as pd
    from openpyxl import load_workbook

    from reports.ledgers import workbook
    from reports.spreadsheets import to_xlsx

    frame = pd.DataFrame({"=1+1": ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"], "-列": [1, -2, 3, 4, 5, 6]})
    one = to_xlsx(frame, "=SUM(A1)")
    assert_inert_workbook(one)
    results = workbook({"=问题": frame}, "=1+1.csv", "=导入结果")  # the import page names it by the uploaded file
    texts = assert_inert_workbook(results)
    assert any("=1+1.csv" in s for s in texts)
    ws = load_workbook(io.BytesIO(results)).worksheets[0]
    assert ws["A1"].data_type == "s"
    # Numbers stay numbers (a negative number is no formula).
    assert [c.value for c in load_workbook(io.BytesIO(one)).worksheets[0]["B"][1:]] == [1, -2, 3, 4, 5, 6]


# --- 5. Markdown on the pages ---------------------------------------------------------------

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/screens/overview.py", "pages/screens/listing.py", "pages/screens/targets.py",
         "pages/screens/grid.py", "pages/screens/hazards.py", "pages/screens/parks.py",
         "pages/screens/briefing.py", "pages/screens/model_info.py", "pages/screens/data_status.py"]
#: A Markdown link or image whose brackets are not escaped, pointing where the hostile names do.
LIVE_LINK = re.compile(r"(?<!\\)\]\(\s*<?http://127\.0\.0\.1:9")


def run_page(folder: Path, page: str, monkeypatch: pytest.MonkeyPatch, setup: Callable[[Any], Any] | None = None):
    from streamlit.testing.v1 import AppTest

    from riskmap.accounts import User

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(folder))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = User("admin", "示意管理员", "admin")
    at.run()
    at = at.switch_page(page).run()
    if setup is not None:
        at = setup(at).run()
    assert not at.exception, at.exception
    return at


def markdown_texts(at: Any) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown: bodies of markdown, titles,
    headers, captions and alerts; labels of metrics, buttons, widgets, tabs and expanders;
    radio options."""
    from google.protobuf.json_format import MessageToDict

    def walk(node: Any) -> Iterator[Any]:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    out: list[str] = []

    def collect(d: Any, keys: tuple[str, ...], key: str = "") -> None:
        if isinstance(d, dict):
            for k, v in d.items():
                collect(v, keys, k)
        elif isinstance(d, list):
            for v in d:
                collect(v, keys, key)
        elif isinstance(d, str) and key in keys:
            out.append(d)

    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in ("deck_gl_json_chart", "dataframe", "arrow_data_frame", "json", "code"):
            continue  # drawn as data, JSON or code, not as Markdown
        # Options of a selectbox or multiselect are plain text; a radio's are Markdown.
        keys = ("body", "label", "help", "caption", "captions") + (("options",) if kind == "radio" else ())
        collect(MessageToDict(proto), keys)
    return out


def overview_with_everything(at: Any) -> Any:
    from layers.colors import TIER_COLORS
    from reports.views import OVERLAYS

    at.toggle(key="show_names").set_value(True)
    at = at.multiselect(key="layers").set_value(list(OVERLAYS)).run()
    return at.multiselect(key="ent_tiers").set_value(list(TIER_COLORS))


def test_pages_show_markdown_names_escaped(hostile, monkeypatch):
    from pages.screens.common import md

    folder = hostile("markdown")
    theme = THEMES["markdown"]
    shown: list[str] = []
    for page in PAGES:
        setup = overview_with_everything if page.endswith("overview.py") else None
        texts = markdown_texts(run_page(folder, page, monkeypatch, setup))
        live = [s for s in texts if LIVE_LINK.search(s)]
        assert live == [], (page, live)
        shown += texts
    # Where the names are shown in Markdown they are there, escaped: the city in the title and
    # the data note, the park on its list's title and download button, a grid's enterprise.
    for name in (theme["小城"], theme["甲园"]):
        assert any(md(name) in s for s in shown), name


def test_grid_and_park_pages_with_markdown_names(hostile, monkeypatch):
    from pages.screens.common import md

    folder = hostile("markdown")
    theme = THEMES["markdown"]
    for grid in ("339902001001", "339902101001"):
        at = run_page(folder, "pages/screens/grid.py", monkeypatch, lambda a, g=grid: a.selectbox(key="grid").set_value(g))
        texts = markdown_texts(at)
        assert [s for s in texts if LIVE_LINK.search(s)] == []
        profile = [s for s in texts if md(theme["甲鞋厂"]) in s or md(theme["丙印务"]) in s]
        assert profile, grid  # the 一企一档 of the grid's first enterprise names it, escaped
    at = run_page(folder, "pages/screens/parks.py", monkeypatch)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels and all(not LIVE_LINK.search(s) for s in labels)
    assert any(md(theme["甲园"]) in s for s in labels)


@pytest.mark.parametrize("theme", ["deck", "math", "control", "formula"])
def test_pages_run_with_hostile_names(hostile, monkeypatch, theme: str):
    folder = hostile(theme)
    for page in PAGES:
        setup = overview_with_everything if page.endswith("overview.py") else None
        at = run_page(folder, page, monkeypatch, setup)
        if theme == "deck":
            charts = at.get("deck_gl_json_chart")
            for chart in charts:
                assert_deck_inert(with_rows_json(chart.proto.json), [])
            if page.endswith(("overview.py", "listing.py")):
                assert charts, page
                assert_deck_inert(with_rows_json(charts[0].proto.json), [THEMES["deck"]["甲街道"], THEMES["deck"]["乙镇"]])


# --- in a real browser ---------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("theme", ["deck", "markdown"])
def test_maps_draw_and_nothing_remote_loads_in_chromium(hostile, theme: str):
    """deck.gl itself draws the maps of a city whose names start with @@= and @@# (it stopped
    at the first one), and no page of a city with Markdown images in its names asks for them."""
    from riskmap.pipeline import create_demo_accounts

    from .browser import app_page, map_canvas, visit

    folder = hostile(theme)
    create_demo_accounts(folder / "riskmap.duckdb")  # those missing (AppTest runs may have made the file)
    errors: list[str] = []
    remote: list[str] = []
    with app_page(folder) as (page, url):
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: remote.append(r.url) if "127.0.0.1:9/" in r.url else None)
        for path in ("", "listing", "grid", "parks", "targets", "hazards"):
            visit(page, url, path)
            assert page.locator('[data-testid="stException"]').count() == 0, path
            if path in ("", "listing", "grid", "parks"):
                map_canvas(page)  # the map is there: deck.gl did not stop at a name
            # No link or image from the names: nor a bare URL, www. name or address made a link by
            # the renderer (whose hrefs may carry %5C for an escaped dot, hence the loose match).
            main = '[data-testid="stMain"]'
            assert page.locator(f'img[src*="127.0.0.1:9"], {main} img[src*="%5C"], {main} a[href*="127.0.0.1:9"], '
                                f'{main} a[href*="%5C"], {main} a[href*="evil"]').count() == 0, path
    assert errors == [], errors[:3]
    assert remote == []


def test_the_byte_scan_for_hidden_characters_agrees_with_the_regex_on_every_code_point_near_them():
    """Each hidden character, tab and CR inside Chinese text is found, whatever column chunk
    or slice it is in; every neighbouring code point that is not hidden (“”—…·：（）, NBSP, U+2065,
    U+FEFE, U+061B, a line feed) is not — the answer of Python's re over the same ranges."""
    import re

    import pyarrow as pa

    from data.readers import HIDDEN_CHARS, HIDDEN_RANGES
    from data.validate import has_hidden_or_space

    pattern = re.compile(HIDDEN_CHARS[:-1] + "\\t\\r]")
    near = {cp + d for a, b in HIDDEN_RANGES for cp in (a, b) for d in (-2, -1, 0, 1, 2) if cp + d >= 0}
    near |= {ord(c) for c in "“”—…·：（），。\n"} | {0x00A0, 0x2065, 0xFEFE, 0x061B, 0x09, 0x0D}
    for cp in sorted(near):
        cell = f"安全出口{chr(cp)}堵塞"
        expected = bool(pattern.search(cell))
        assert has_hidden_or_space(pa.array([cell])) is expected, hex(cp)
        # last in a chunk, in a second chunk, in a slice, in a large_string column
        chunked = pa.chunked_array([pa.array(["甲", "乙"]), pa.array(["丙", cell])])
        assert has_hidden_or_space(chunked) is expected, hex(cp)
        assert has_hidden_or_space(pa.array(["x", cell, "y"]).slice(1, 1)) is expected, hex(cp)
        assert has_hidden_or_space(pa.array([cell], pa.large_string())) is expected, hex(cp)
    assert not has_hidden_or_space(pa.array(["甲\u200b", "乙"]).slice(1, 1))  # the hidden one is sliced away
    assert not has_hidden_or_space(pa.array([None, "", None], pa.string()))
    assert has_hidden_or_space(pa.array([None, "\ufeff"]))
