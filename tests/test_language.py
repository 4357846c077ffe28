"""Each language complete (issue 15, part 5): a page in English shows no Chinese of ours, only the
city's own words (names, addresses, the ledgers' and the model's words); a page in Chinese shows
none of Streamlit's own English (its placeholders, "Select all", the tables' toolbar, month names).

The walks read every text of a page's main area from AppTest's element tree (the sidebar is the
shell's: its language selector is bilingual on purpose); the Chromium test reads what only a
browser draws (the chart's axes, the toolbar's tooltips and menus, the file uploader)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from riskmap.i18n import VALUES_EN

from .browser import app_page, visit
from .conftest import City
from .test_app import ADMIN, PAGES, run_app

#: CJK ideographs and the full-width punctuation that goes with them (（）、：，).
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
#: What Streamlit writes by itself, in English, where it is not told otherwise.
FRAMEWORK_EN = ("Select all", "Choose an option", "Choose options", "No options to select", "Download as CSV",
                "Show/hide columns", "Search", "Fullscreen", "Show data", "Download as PNG", "Upload", "per file")
FRAMEWORK = re.compile(r"\b(?:" + "|".join(map(re.escape, FRAMEWORK_EN)) + r")\b")
MONTHS = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
#: Fields of an element's proto that are not text a reader sees.
NOT_TEXT = {"id", "form_id", "spec", "datasets", "json", "arrow_data", "lazy_data", "deferred_file_id", "type",
            "format", "autocomplete", "language", "columns", "column_order", "default", "value"}
VEGA = ("vega_lite_chart", "arrow_vega_lite_chart")


def proto_strings(msg: Message) -> Iterator[str]:
    for field, value in msg.ListFields():
        if field.name in NOT_TEXT:
            continue
        for v in value if field.is_repeated else [value]:
            if isinstance(v, Message):
                yield from proto_strings(v)
            elif isinstance(v, str):
                yield v


def spec_titles(spec: Any) -> Iterator[str]:
    """The titles of a Vega-Lite spec (axes, legends, tooltips), at any depth."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                yield value
            else:
                yield from spec_titles(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from spec_titles(value)


def texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for each text of the page's main area: titles, headers, captions,
    Markdown and HTML, alerts, metric labels and help, widget labels, options, placeholders and
    help, button labels, tab and expander labels, table column headers, chart titles."""
    for node in at.main:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "dataframe":
            frame = node.value
            yield from ((kind, str(c)) for c in [*frame.columns, *frame.index.names] if c is not None)
        elif kind in VEGA:
            yield from ((kind, t) for t in spec_titles(json.loads(proto.spec)))
        elif kind == "html" and proto.body.lstrip().startswith("<style>"):
            continue  # a stylesheet of ours, not text
        elif kind != "deck_gl_json_chart" and isinstance(proto, Message):  # a map's rows are the city's data
            yield from ((kind, s) for s in proto_strings(proto))


def strings_of(value: Any) -> Iterator[str]:
    """Every text in a loaded model (its dataclasses, tuples and dicts)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings_of(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for v in value:
            yield from strings_of(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_of(v)


@pytest.fixture(scope="module")
def city_words(small_city: City) -> re.Pattern[str]:
    """The words an English page may quote in Chinese, longest first: the city's names and
    records from its database and accounts (areas, grids and their managers, parks and their
    operators, enterprises, their principals, addresses, industries, hazard categories and descriptions,
    inspectors, user names), the ledger's own action words (the figures' definitions quote
    them as the ledger writes them), and the model's names, groups, definitions and sources
    (scoring/model.toml) but its tiers and levels. Not the controlled words we translate
    (tiers, levels, statuses, departments: riskmap.i18n.VALUES_EN)."""
    from data.build import connect
    from riskmap.accounts import Accounts
    from scoring.model import load_model

    con = connect(small_city.db, read_only=True)
    queries = ["SELECT name FROM county", "SELECT name FROM township", "SELECT name FROM grid",
               "SELECT manager FROM grid", "SELECT name FROM park", "SELECT operator FROM park",
               "SELECT name FROM enterprise", "SELECT address FROM enterprise", "SELECT industry FROM enterprise",
               "SELECT principal FROM enterprise",
               "SELECT category FROM hazard", "SELECT description FROM hazard", "SELECT name FROM inspector",
               "SELECT value FROM meta WHERE key = 'city_name'"]
    words = {v for q in queries for (v,) in con.execute(q).fetchall() if v}
    actions = {v for (v,) in con.execute("SELECT DISTINCT action FROM enforcement").fetchall() if v}
    con.close()
    words |= {u["name"] for u in Accounts(small_city.db.parent / "security.sqlite").users()} | {ADMIN.name}
    model = load_model()
    # the model's tiers and levels are read in English (scoring.docs' term), its other words as written
    translated = {t.name for t in model.tiers} | {m.level for m in model.declared_measures if m.level} | {
        r.level for listing in (model.township_listing, model.enterprise_listing) if listing for r in listing.rules}
    words = (words - set(VALUES_EN)) | actions | (set(strings_of(model)) - translated)
    words = {w for w in words if CJK.search(w)}
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def english(page: str) -> AppTest:
    """``page`` in English. AppTest reads a widget's label through its format function outside a
    run, in Chinese, so the page is opened in Chinese first and switched once."""
    at = run_app(page)
    at = at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_english_pages_show_no_chinese_but_the_citys_own_words(city_env: City, city_words: re.Pattern[str],
                                                               page: str):
    at = english(page)
    left = ((kind, city_words.sub("…", text)) for kind, text in texts(at))
    ours = [(kind, rest[max(0, m.start() - 30):m.end() + 30]) for kind, rest in left if (m := CJK.search(rest))]
    assert ours == []  # what is left of a text once the city's words are taken out, around its first Chinese
    # a controlled word in a table cell is translated too
    untranslated = {v for table in at.main.get("dataframe") for col in table.value.columns
                    for v in table.value[col] if isinstance(v, str) and v in VALUES_EN}
    assert untranslated == set()


@pytest.mark.parametrize("page", PAGES)
def test_chinese_pages_show_no_english_of_streamlits_own(city_env: City, page: str):
    at = run_app(page)
    assert not at.exception
    found: list[str] = []
    for node in at.main:
        kind, proto = getattr(node, "type", ""), getattr(node, "proto", None)
        if kind in ("selectbox", "multiselect"):
            if not proto.placeholder.strip():  # Streamlit would say "Choose an option"
                found.append(f"{kind} {proto.label}: no placeholder")
            if kind == "multiselect" and proto.select_all != 0:
                found.append(f"{kind} {proto.label}: Select all")
        elif kind == "dataframe" and not proto.HasField("placeholder"):  # a missing value would read "None"
            found.append(f"table {list(node.value.columns)[:2]}: None")
        elif kind in VEGA:
            for channel in json.loads(proto.spec).get("encoding", {}).values():
                if isinstance(channel, dict) and channel.get("type") == "temporal":
                    written = (channel.get("axis") or {}).get("format", "%b")  # unformatted: "Jan", "February"
                    if not re.fullmatch(r"[%Ymd\-./ ]+", written):
                        found.append("chart: a time axis in English month names")
    found += [f"{kind}: {text[:80]}" for kind, text in texts(at) if FRAMEWORK.search(text) or MONTHS.search(text)]
    assert found == []
    styles = [n.proto.body for n in at.get("html") if n.proto.body.lstrip().startswith("<style>")]
    # what cannot be translated is hidden: a table's search and show/hide columns, a chart's toolbar
    assert any('aria-label="Search"' in css and 'aria-label="Show/hide columns"' in css for css in styles)


def test_the_map_controls_also_speak_chinese(city_env: City):
    at = run_app()
    at = at.multiselect(key="layers").set_value(["parks", "enterprises"]).run()
    controls = [n.proto for n in at.main.get("multiselect") if n.key in ("layers", "ent_tiers")]
    assert len(controls) == 2 and all(c.placeholder.strip() and c.select_all == 0 for c in controls)


def test_the_city_name_and_the_page_title_are_apart_in_english(city_env: City):
    from data.build import connect

    con = connect(city_env.db, read_only=True)
    (city,) = con.execute("SELECT value FROM meta WHERE key = 'city_name'").fetchone()
    con.close()
    at = run_app()
    assert at.title[0].value == f"{city}城市总览"  # Chinese as it was
    assert english("pages/screens/overview.py").title[0].value == f"{city} · City overview"


def test_the_model_page_in_english_is_generated_in_english(city_env: City):
    """Its prose and headers are English and it names every table and key of the model file, as
    the Chinese one does (tests/test_model_config.py)."""
    from .test_model_config import raw_model, walk

    at = english("pages/screens/model_info.py")
    text = "\n".join(m.value for m in at.main.get("markdown") if "`[[factor]]`" in m.value)
    assert "## Factors (`[[factor]]`)" in text and "| Group | Factor | Measure | Weight |" in text
    assert "| Major (`major`) |" in text  # a tier in English, its id as in the file
    missing = sorted(t for _, t in walk(raw_model()) if t not in text)
    assert missing == []


@pytest.mark.parametrize("lang, x_title, y_title", [("zh", "发现月份", "整改率"), ("en", "Month found", "Rectification rate")])
def test_the_monthly_rectification_chart_reads_months_and_percent(city_env: City, lang: str, x_title: str,
                                                                  y_title: str):
    at = run_app("pages/screens/hazards.py")
    if lang == "en":
        at = english("pages/screens/hazards.py")
    (chart,) = [n for n in at.main if getattr(n, "type", "") in VEGA]
    encoding = json.loads(chart.proto.spec)["encoding"]
    assert encoding["x"]["type"] == "ordinal" and encoding["x"]["title"] == x_title  # months as text: 2026-09
    assert encoding["y"]["title"] == y_title and encoding["y"]["axis"]["format"] == ".0%"
    assert encoding["y"]["scale"]["domain"] == [0, 1]  # shares, read as 0–100 %


def visible_texts_around(page: Any, element: Any, click: bool = True) -> list[str]:
    """The page's text while ``element`` is hovered, and while each visible button of its toolbar
    is hovered and (``click``) after it is clicked (a tooltip, a menu)."""
    seen = []
    element.scroll_into_view_if_needed()
    element.hover()
    page.wait_for_timeout(400)
    seen.append(page.inner_text("body"))
    container = element.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]")
    for button in container.locator('[data-testid="stElementToolbarButton"] button').all():
        if not button.is_visible():
            continue
        button.hover()
        page.wait_for_timeout(2000)  # a tooltip shows after a while
        seen.append(page.inner_text("body"))
        if not click:
            continue
        button.click()
        page.wait_for_timeout(600)
        seen.append(page.inner_text("body"))
        page.keyboard.press("Escape")
        element.hover()
    return seen


@pytest.mark.browser
def test_hazard_page_and_uploader_in_chinese_in_chromium(small_city: City):
    with app_page(small_city.data_dir) as (page, url):
        visit(page, url, "hazards")
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        labels = chart.locator(".role-axis-label text").all_text_contents()
        assert labels and [t for t in labels if MONTHS.search(t)] == []
        assert any(t.endswith("%") for t in labels) and "100%" in labels
        assert {"发现月份", "整改率"} <= set(chart.locator(".role-axis-title text").all_text_contents())
        seen = [text for i in range(page.locator('[data-testid="stDataFrame"]').count())
                for text in visible_texts_around(page, page.locator('[data-testid="stDataFrame"]').nth(i))]
        seen += visible_texts_around(page, chart)
        assert {s for s in FRAMEWORK_EN if any(s in text for text in seen)} == set()

        visit(page, url)  # a map keeps its fullscreen button, without the English tooltip
        deck = page.locator('[data-testid="stDeckGlJsonChart"]').first
        assert not any(FRAMEWORK.search(text) for text in visible_texts_around(page, deck, click=False))

        visit(page, url, "data_status")
        dropzone = page.locator('[data-testid="stFileUploaderDropzone"]').first
        assert not FRAMEWORK.search(dropzone.inner_text())
        after = dropzone.evaluate("e => getComputedStyle(e.querySelector('button [data-testid=\"stMarkdownContainer\"]'),"
                                  " '::after').content")
        assert "上传" in after


def test_the_sidebar_names_the_role_in_the_chosen_language(city_env: City):
    at = run_app()
    at = at.selectbox(key="lang").set_value("en").run()
    captions = [c.value for c in at.sidebar.caption]
    assert any("(Administrator)" in c for c in captions) and not any("（管理员）" in c for c in captions), captions


def test_the_overdue_list_shows_days_not_midnights(city_env: City):
    at = run_app("pages/screens/hazards.py")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "逾期天数" in d.value.columns)
    import pandas as pd

    for column in ("发现日期", "整改期限"):  # a timestamp column is shown with its 00:00:00
        assert not pd.api.types.is_datetime64_any_dtype(table[column]), column
        assert table[column].astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), column


@pytest.mark.parametrize("page", PAGES)
def test_no_page_uses_a_date_picker_whose_calendar_is_english(city_env: City, page: str):
    """st.date_input's calendar names months and weekdays in English whatever the language, so
    no page draws one; the briefing's end day is chosen from a list of days in the page's own
    language instead."""
    at = run_app(page)
    assert not at.exception
    assert not at.get("date_input")


def test_the_briefing_end_day_is_a_list_of_days_named_in_chinese_and_chosen_days_date_the_files(
        city_env: City, monkeypatch: pytest.MonkeyPatch):
    import datetime as dt

    from .test_app import download_names

    seen = download_names(monkeypatch)  # the names the page gives its buttons
    at = run_app("pages/screens/briefing.py")
    box = at.selectbox(key="brief_end")
    assert box.value == dt.date(2026, 11, 20)  # the data's as-of date, the small city's
    assert box.options[:2] == ["2026-11-20 周五", "2026-11-19 周四"]
    seen.clear()
    at = box.select(dt.date(2026, 6, 30)).run()
    assert not at.exception
    weekly = [n for n in seen if n.startswith("周报表")]
    assert len(weekly) == 1 and "2026-06-24至2026-06-30" in weekly[0]  # 7 days (the default) ending then


def test_english_listing_reasons_are_english(city_env: City):
    """乡镇挂牌 in English: every listed township's reasons say their numbers in English (the
    stored sentences are Chinese)."""
    at = english("pages/screens/listing.py")
    tables = [t.value for t in at.main.get("dataframe") if "Reasons" in t.value.columns]
    assert tables and len(tables[0])
    reasons = tables[0]["Reasons"].tolist()
    assert all(r and not CJK.search(r) for r in reasons), reasons[:3]
    assert any(re.search(r"\d", r) for r in reasons)
