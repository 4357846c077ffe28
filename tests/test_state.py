"""What a person chose stays chosen: filters and map controls are in the URL (a reload, a bookmark
or a shared link opens the same view, in either language), survive a visit to another page, and a
language switch leaves every radio on its choice — in headless Chromium."""

from __future__ import annotations

import pytest

from .browser import app_page, visit, wait_until_idle
from .conftest import City


def checked(page, group: str) -> list[bool]:
    return [r.is_checked() for r in page.get_by_role("radiogroup", name=group).get_by_role("radio").all()]


def click_radio(page, group: str, option: str) -> None:
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=False).first.click()
    page.wait_for_timeout(500)
    wait_until_idle(page)


@pytest.mark.browser
def test_choices_survive_a_reload_a_page_change_and_a_language_switch(small_city: City):
    with app_page(small_city.data_dir) as (page, url):
        visit(page, url)
        click_radio(page, "统计期", "近 7 天")
        click_radio(page, "六边形网格级别", "H3 9 级")
        # The option itself, not its label, is in the URL: a link reads the same in English.
        assert page.url.endswith("/?period=7&hex_res=9"), page.url
        page.reload()
        wait_until_idle(page)
        assert checked(page, "统计期") == [True, False, False, False]
        assert checked(page, "六边形网格级别") == [False, False, True]
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("检查目标").first.click()
        wait_until_idle(page)
        nav.get_by_text("城市总览").first.click()
        wait_until_idle(page)
        assert checked(page, "统计期") == [True, False, False, False]
        assert "period=7" in page.url and "hex_res=9" in page.url
        # Switching the language relabels the radios; each keeps its choice.
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name="English").click()
        page.wait_for_timeout(500)
        wait_until_idle(page)
        assert checked(page, "Period") == [True, False, False, False]
        assert checked(page, "Hexagon resolution") == [False, False, True]

        # A shared link to filtered targets: the filter is chosen, and stays so on a reload.
        page.goto(f"{url}/targets?f_tier=%E8%BE%83%E5%A4%A7&f_tier=nonsense")
        wait_until_idle(page)
        tier = page.locator('[data-testid="stMultiSelect"]').filter(has_text="风险等级").first  # a new session: 中文
        assert "较大" in tier.inner_text()
        assert "nonsense" not in page.url  # what is not an option is dropped
        page.reload()
        wait_until_idle(page)
        assert "f_tier=" in page.url


def test_an_empty_choice_is_kept_in_the_url_and_nonsense_keeps_the_default(city_env: City):
    """No layer at all is a choice of its own (``?layers=``), unlike a value that is no option,
    which leaves the default."""
    from pages.filters import DEFAULT_OVERLAYS

    from .test_app import run_app

    at = run_app(query={"layers": ""})
    assert not at.exception and at.multiselect(key="layers").value == []
    at = run_app(query={"layers": "junk"})
    assert at.multiselect(key="layers").value == list(DEFAULT_OVERLAYS)
    at = run_app()
    at = at.multiselect(key="layers").set_value([]).run()
    assert at.query_params["layers"] in ("", [""]), at.query_params  # a reload opens no layers, not the default
