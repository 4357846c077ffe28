"""Exports that say who (issue 17 part 5): every PNG, PDF, Word file and workbook carries
内部资料, the account and the minute of its export, read back from the file itself; the
audit log holds the same line with the file's name and kind; a user-supplied name is text
everywhere (no formula, no mathtext, no markup, no Excel header code)."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reports.marks import Mark
from riskmap.accounts import Accounts, User

from .pdf_text import page_texts

#: A name that would be a formula in a cell, mathtext in matplotlib, markup in HTML and the
#: page number in an Excel header, were any of them interpreted.
HOSTILE = "=1+1 $x$ <b> &P"
#: 17:45 UTC on 1 December is 01:45 on 2 December in Beijing.
AT = dt.datetime(2026, 12, 1, 17, 45, 59, tzinfo=dt.UTC)
MARK = Mark(HOSTILE, "clerk", "安委办", AT)
#: What the file must show, written out by hand.
LINE = "内部资料　导出人：=1+1 $x$ <b> &P（账号 clerk，安委办）　导出时间：2026-12-02 01:45（北京时间）"


@pytest.fixture()
def tiny(tiny_city: Path, tmp_path: Path) -> Path:
    """A copy of the tiny city's database in a folder of its own (its accounts file is the test's)."""
    db = tmp_path / "riskmap.duckdb"
    shutil.copy(tiny_city, db)
    return db


def connect(db: Path):
    from data.build import connect as open_db

    return open_db(db, read_only=True)


# --- the line --------------------------------------------------------------------------

def test_the_mark_names_the_account_its_role_and_the_beijing_minute():
    assert MARK.text == LINE
    assert MARK.minute == "2026-12-02 01:45"
    english = Mark("示意安委办", "office", "安委办", AT, "en")
    assert english.text == ("内部资料 (internal) · exported by 示意安委办 (account office, Safety office) · "
                            "2026-12-02 01:45 (Beijing time)")
    # A login that is its own name (an OS user) is said once.
    assert Mark("root", "root", "命令行", AT).who == "root（命令行）"


@pytest.mark.parametrize(("name", "shown"), [
    ("张三\n李四", "张三 李四"),                   # a line break: one line
    ("甲\u202e乙\x00丙", "甲 乙 丙"),              # a right-to-left override and a control character
    ("名" * 45, "名" * 39 + "…"),                  # at most 40 characters
])
def test_a_name_is_shown_on_one_line_without_what_no_font_draws(name: str, shown: str):
    assert Mark(name, "a", "安委办", AT).who == f"{shown}（账号 a，安委办）"


def test_a_mark_made_now_is_beijing_time_to_the_minute():
    before = dt.datetime.now(dt.UTC)
    mark = Mark.now("甲", "a", "领导")
    assert mark.at.utcoffset() == dt.timedelta(hours=8)
    shown = dt.datetime.strptime(mark.minute, "%Y-%m-%d %H:%M").replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert before - dt.timedelta(minutes=1) < shown <= dt.datetime.now(dt.UTC)


# --- each format, read back ------------------------------------------------------------

def xlsx_headers(content: bytes) -> dict[str, str]:
    """Each sheet's printed header as Excel shows it (``&&`` is one ``&``)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: (ws.oddHeader.center.text or "").replace("&&", "&") for ws in wb.worksheets}


def xlsx_cells(content: bytes) -> list[object]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(content))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("kind", ["weekly", "five", "six", "parks"])
def test_every_sheet_of_every_workbook_export_carries_the_mark_in_its_header(tiny: Path, kind: str):
    from reports.exports import export

    content, _ = export(connect(tiny), kind, mark=MARK)
    headers = xlsx_headers(content)
    assert headers and set(headers.values()) == {LINE}
    # The name is in no cell (it cannot become a formula there), and the page numbers stay.
    assert not [v for v in xlsx_cells(content) if isinstance(v, str) and "$x$" in v]
    unmarked, _ = export(connect(tiny), kind)
    assert set(xlsx_headers(unmarked).values()) == {""}


def test_the_pages_lists_and_the_import_results_carry_the_mark():
    import pandas as pd

    from reports.ledgers import workbook
    from reports.spreadsheets import PAGE_FOOTER, to_xlsx

    frame = pd.DataFrame({"企业名称": ["=HYPERLINK(1)", "乙"]})
    listed = to_xlsx(frame, "检查目标", MARK)
    assert xlsx_headers(listed) == {"检查目标": LINE}
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(listed)).active
    assert ws.oddFooter.center.text == PAGE_FOOTER
    assert xlsx_headers(workbook({"问题清单": frame, "接受的行": frame}, "台账.xlsx", "导入结果", MARK)) == {
        "问题清单": LINE, "接受的行": LINE}


def test_the_word_briefing_carries_the_mark_in_its_header_as_plain_text(tiny: Path):
    import docx

    from reports.exports import export

    content, _ = export(connect(tiny), "docx", mark=MARK)
    doc = docx.Document(io.BytesIO(content))
    assert [p.text for s in doc.sections for p in s.header.paragraphs] == [LINE] * len(doc.sections)
    assert [p.text for p in doc.sections[0].footer.paragraphs] == ["第 1 页，共 1 页"]  # the page numbers stay
    assert "<b>" in doc.sections[0].header.paragraphs[0].runs[0].text  # a run's text, not markup
    unmarked = docx.Document(io.BytesIO(export(connect(tiny), "docx")[0]))
    assert [p.text for p in unmarked.sections[0].header.paragraphs] == [""]


def test_every_page_of_the_pdf_briefing_carries_the_mark_as_text(tiny: Path):
    from reports.exports import export

    content, _ = export(connect(tiny), "pdf", mark=MARK)
    pages = page_texts(content)
    assert len(pages) == 6  # figures, map, listed townships, targets, trend, lift of targeting
    assert all(LINE in page.splitlines() for page in pages)
    assert all(f"第 {n} 页，共 6 页" in page for n, page in enumerate(pages, start=1))
    assert not any("内部资料" in page for page in page_texts(export(connect(tiny), "pdf")[0]))


def test_the_pdf_marks_are_drawn_in_the_cjk_font_without_mathtext(tiny: Path):
    from data.build import connect as open_db
    from layers.png import cjk_font_file
    from reports.document import briefing_pages, build_briefing

    pages = briefing_pages(build_briefing(open_db(tiny, read_only=True)), MARK)
    marks = [t for fig in pages for t in fig.texts if t.get_gid() == "export_mark"]
    assert len(marks) == len(pages)
    assert {t.get_text() for t in marks} == {LINE}
    assert not any(t.get_parse_math() for t in marks)
    from matplotlib import font_manager

    assert {Path(font_manager.findfont(t.get_fontproperties())) for t in marks} == {cjk_font_file()}


def png_pixels(content: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))


@pytest.mark.parametrize(("size", "band"), [("slide", 34), ("a4", 60)])
def test_a_png_map_carries_the_mark_in_its_bottom_band_and_nowhere_else(tiny: Path, size: str, band: int):
    """The marked map differs from the unmarked one in its bottom ``band`` pixels alone (the
    note and the credit stand above it)."""
    from reports.exports import ExportRequest, export

    marked = png_pixels(export(connect(tiny), "png", ExportRequest(size=size), MARK)[0])
    plain = png_pixels(export(connect(tiny), "png", ExportRequest(size=size))[0])
    assert marked.shape == plain.shape == ((1080, 1920, 3) if size == "slide" else (3508, 2480, 3))
    assert np.array_equal(marked[:-band], plain[:-band])
    changed = np.argwhere((marked != plain).any(axis=2))
    assert len(changed) > 500  # a line of text, not a stray pixel
    width = marked.shape[1]
    assert changed[:, 1].min() > width * 0.1 and changed[:, 1].max() < width * 0.9  # centred


def test_the_png_mark_is_text_as_given_in_the_cjk_font(tiny: Path):
    from matplotlib import font_manager

    from layers.png import cjk_font_file, render_figure
    from reports.views import build_view

    view = build_view(connect(tiny))
    from dataclasses import replace

    fig = render_figure(view.bundle.specs, view.bundle.datasets, replace(view.frame, mark=LINE))
    (text,) = [t for t in fig.texts if t.get_gid() == "export_mark"]
    assert text.get_text() == LINE and not text.get_parse_math()
    assert Path(font_manager.findfont(text.get_fontproperties())) == cjk_font_file()


# --- the command line ------------------------------------------------------------------

def audit_entries(db: Path) -> list[dict]:
    return [{**e, "detail": json.loads(e["detail"])} for e in Accounts(db.parent / "security.sqlite").audit_log(50)
            if e["action"] == "export"]


def mark_of_last_cli_export(db: Path) -> Mark:
    """The mark the last ``python -m riskmap export`` by the OS user (no ``--user``) put on its
    file, rebuilt from its audit entry: to draw the same file again."""
    from reports.marks import SHANGHAI

    entry = audit_entries(db)[0]
    me = getpass.getuser()
    at = dt.datetime.strptime(entry["detail"]["marked_at"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    mark = Mark(me, me, "命令行", at)
    assert entry["username"] == me and entry["detail"]["mark"] == mark.text
    return mark


def test_a_cli_export_names_the_user_given_and_is_audited(tiny: Path, tmp_path: Path, capsys):
    import docx

    from riskmap.cli import main

    out = tmp_path / "out"
    out.mkdir()
    assert main(["--db", str(tiny), "export", "docx", "--out", str(out), "--user", HOSTILE]) == 0
    (path,) = out.glob("*.docx")
    header = docx.Document(str(path)).sections[0].header.paragraphs[0].text
    assert header.startswith("内部资料　导出人：=1+1 $x$ <b> &P（命令行）　导出时间：")
    (entry,) = audit_entries(tiny)
    assert entry["username"] == HOSTILE
    d = entry["detail"]
    assert d["file"] == path.name and d["kind"] == "docx" and d["export"] == "docx" and d["page"] == "cli"
    assert d["path"] == str(path.resolve()) and d["os_user"] == getpass.getuser()
    assert d["mark"] == header and d["bytes"] == path.stat().st_size
    assert header.endswith(f"导出时间：{d['marked_at']}（北京时间）")


def test_a_cli_export_names_an_account_or_the_os_user(tiny: Path, tmp_path: Path, capsys):
    from riskmap.cli import main

    Accounts(tiny.parent / "security.sqlite").add("office", "示意安委办", "office", "demo-office-2026", by="test")
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["--db", str(tiny), "export", "weekly", "--out", str(first), "--user", "office"]) == 0
    assert set(xlsx_headers(first.read_bytes()).values()) == {
        f"内部资料　导出人：示意安委办（账号 office，安委办）　导出时间：{audit_entries(tiny)[0]['detail']['marked_at']}"
        "（北京时间）"}
    assert main(["--db", str(tiny), "export", "weekly", "--out", str(second)]) == 0
    me = getpass.getuser()
    (header,) = set(xlsx_headers(second.read_bytes()).values())
    assert header.startswith(f"内部资料　导出人：{me}（命令行）")
    newest, older = audit_entries(tiny)[:2]
    assert (newest["username"], newest["detail"]["file"]) == (me, "b.xlsx")
    assert (older["username"], older["detail"]["file"], older["detail"]["os_user"]) == ("office", "a.xlsx", me)



def test_the_cli_lift_workbook_is_marked_and_audited(tiny: Path, tmp_path: Path, capsys):
    from riskmap.cli import main

    out = tmp_path / "lift.xlsx"
    assert main(["--db", str(tiny), "lift", "--out", str(out), "--user", HOSTILE]) == 0
    (header,) = set(xlsx_headers(out.read_bytes()).values())
    assert header.startswith("内部资料　导出人：=1+1 $x$ <b> &P（命令行）　导出时间：")
    (entry,) = audit_entries(tiny)
    assert entry["username"] == HOSTILE and entry["detail"]["file"] == "lift.xlsx"
    assert entry["detail"]["export"] == "lift" and entry["detail"]["os_user"] == getpass.getuser()
    assert entry["detail"]["mark"] == header

# --- the app ---------------------------------------------------------------------------

def test_an_export_from_a_page_carries_the_logged_in_users_name(tiny: Path, monkeypatch):
    """As 'office' on 通报导出: clicking the Word, workbook and PNG buttons (Streamlit runs a
    download's callable on the click) makes files naming 示意安委办, each in the audit log."""
    import docx
    from streamlit.delta_generator import DeltaGenerator

    from .test_app import run_app

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tiny.parent))
    clicks: dict[str, object] = {}
    original = DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        clicks[kwargs["key"]] = (kwargs["file_name"], data)
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at = run_app("pages/screens/briefing.py", user=User("office", "示意安委办", "office"))
    assert not at.exception
    who = "导出人：示意安委办（账号 office，安委办）"
    made = {}
    for key in ("dl_docx", "dl_weekly", "dl_png"):
        name, data = clicks[key]
        made[key] = (name, data())  # the click
    header = docx.Document(io.BytesIO(made["dl_docx"][1])).sections[0].header.paragraphs[0].text
    (sheets,) = set(xlsx_headers(made["dl_weekly"][1]).values())
    png, weekly, word = entries = audit_entries(tiny)  # newest first
    assert [(e["username"], e["detail"]["file"], e["detail"]["kind"]) for e in entries] == [
        ("office", made["dl_png"][0], "png"), ("office", made["dl_weekly"][0], "xlsx"),
        ("office", made["dl_docx"][0], "docx")]
    for line, entry in ((header, word), (sheets, weekly)):  # each file's line is its entry's, minute and all
        assert line == f"内部资料　{who}　导出时间：{entry['detail']['marked_at']}（北京时间）" == entry["detail"]["mark"]
        assert entry["detail"]["page"] == "briefing"
    # The map's bottom band differs from the same map exported without a mark.
    from reports.exports import ExportRequest, export
    from reports.views import ViewRequest

    plain = png_pixels(export(connect(tiny), "png", ExportRequest(view=ViewRequest(lang="zh")))[0])
    marked = png_pixels(made["dl_png"][1])
    assert np.array_equal(marked[:-34], plain[:-34]) and not np.array_equal(marked, plain)


def test_every_download_in_the_pages_goes_through_the_marked_and_audited_button():
    """A page offers a file only through ``export_button`` (which marks and audits it); the one
    other download is the blank import template, which holds no data."""
    import ast

    repo = Path(__file__).resolve().parent.parent
    direct = []
    for path in [repo / "app.py", *sorted((repo / "pages").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                keys = [k.value.value for k in node.keywords if k.arg == "key" and isinstance(k.value, ast.Constant)]
                direct.append((path.relative_to(repo).as_posix(), keys))
    assert sorted(direct) == [("pages/importing.py", ["dl_template"]), ("pages/screens/common.py", [])]
