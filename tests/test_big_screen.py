"""大屏 in headless Chromium: one screen without scrolling at 1366×768, 1920×1080 and 3840×2160,
no figure's label cut, the legend on the map, changes coloured by which way is better."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from .browser import CHROMIUM_ARGS, REPO, chromium_path, login, streamlit_server, wait_until_idle
from .conftest import City

SCREENS = ((1920, 1080), (1366, 768), (3840, 2160))
SHOTS = REPO / "docs" / "screenshots"

MEASURE = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const main = document.querySelector('[data-testid="stMain"]');
  const cut = e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
  return {
    main: [main.scrollHeight, main.clientHeight, main.scrollWidth, main.clientWidth],
    page: [document.scrollingElement.scrollHeight, innerHeight, document.scrollingElement.scrollWidth, innerWidth],
    labels: [...document.querySelectorAll('.bs-kpi .l')].map(e => [e.textContent, cut(e)]),
    cards: [...document.querySelectorAll('.bs-kpi')].map(e => cut(e)),
    deltas: [...document.querySelectorAll('.bs-kpi')].map(e => [e.querySelector('.l').textContent,
        (e.querySelector('.d') || {}).textContent || '', getComputedStyle(e.querySelector('.d')).color]),
    map: box(document.querySelector('[data-testid="stDeckGlJsonChart"]')),
    legend: box(document.querySelector('.bs-legend')),
    items: [...document.querySelectorAll('.bs-item')].map(box),
    list: box(document.querySelector('.bs-list')),
    on: [...document.querySelectorAll('.bs-head a.on')].map(e => e.textContent),
  };
}"""


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.browser
def test_the_big_screen_fits_every_screen_without_scrolling(small_city: City):
    from playwright.sync_api import sync_playwright

    from data.build import connect
    from pages.big_screen import BETTER, NEUTRAL, WORSE
    from scoring.metrics import BY_KEY, WEEKLY_KEYS, figures
    from scoring.report import previous_period

    # What the changes must look like, from the figures themselves.
    end = dt.date(2026, 11, 20)
    start = end - dt.timedelta(days=6)
    con = connect(small_city.db, read_only=True)
    now, before = figures(con, start, end), figures(con, *previous_period(start, end))
    con.close()
    expected = {}
    for k in WEEKLY_KEYS:
        better = BY_KEY[k].better
        d = round((now[k] - before[k]) * (100 if k == "rectification_rate" else 1), 1)  # as shown
        expected[BY_KEY[k].label[0]] = (rgb(NEUTRAL) if better is None or d == 0 or k == "enterprises"
                                        else rgb(BETTER) if (d > 0) == (better == "up") else rgb(WORSE))

    exe = chromium_path()
    assert exe, "Debian chromium is missing: run bash scripts/install.sh --test"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(small_city.data_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            for width, height in SCREENS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{url}/?screen=1&days=7")
                login(page, "leader", "demo-leader-2026")
                page.wait_for_selector(".bs-kpi", timeout=60_000)
                wait_until_idle(page)
                page.wait_for_timeout(1500)
                got = page.evaluate(MEASURE)
                where = f"{width}×{height}"
                main_h, main_client_h, main_w, main_client_w = got["main"]
                assert main_h <= main_client_h and main_w <= main_client_w, (where, got["main"])
                assert got["page"][0] <= got["page"][1] and got["page"][2] <= got["page"][3], (where, got["page"])
                assert len(got["labels"]) == 12 and not any(c for _, c in got["labels"]), (where, got["labels"])
                assert not any(got["cards"]), (where, got["cards"])
                # The map within the screen, its legend over the map.
                left, top, right, bottom = got["map"]
                assert bottom <= height and right <= width, (where, got["map"])
                ll, lt, lr, lb = got["legend"]
                assert left <= ll and lr <= right and top <= lt and lb <= bottom, (where, got["legend"], got["map"])
                # Listed townships: every card shown whole, inside the list.
                assert got["items"] and all(b[3] <= got["list"][3] + 1 for b in got["items"]), where
                assert got["on"] == ["近 7 天"], where
                shown = [(label, delta, colour) for label, delta, colour in got["deltas"] if delta.strip()]
                assert len(shown) == 11, (where, got["deltas"])  # every figure but the stock of enterprises
                for label, delta, colour in shown:
                    assert colour == expected[label], (where, label, delta, colour)
                assert {c for _, _, c in shown} & {rgb(BETTER), rgb(WORSE)}, where  # some change is coloured
                if (width, height) == (1920, 1080):
                    page.screenshot(path=str(SHOTS / "big_screen.png"))
                page.close()
        finally:
            browser.close()
    assert Path(SHOTS / "big_screen.png").stat().st_size > 50_000


def test_imported_text_on_the_screen_stays_text():
    """A township name with a blank line and Markdown in it: no new Markdown block, no link, no
    image, no formula — the same characters, shown."""
    import pandas as pd

    from pages.big_screen import listed_html

    evil = "甲镇\n\n![x](http://example.invalid/x.png) [点我](javascript:alert(1)) $x^2$ <b>粗</b>"
    out = listed_html(pd.DataFrame({"name": [evil], "level": ["市级"], "deadline": ["2027-01-01"],
                                    "reasons": [evil]}))
    assert "\n" not in out and "](" not in out and "<b>粗" not in out and "$x" not in out
    assert "&#33;&#91;x&#93;" in out and "&lt;b&gt;" in out  # shown as the characters typed
