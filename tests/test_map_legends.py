"""Every map in the app carries its legend on the map: the legend box inside the map's box, with
swatches of the colours as drawn (a layer's opacity included)."""

from __future__ import annotations

import re

import pytest

from .browser import app_page, visit, wait_until_idle
from .conftest import City

#: Every page that draws a map, by its URL path.
MAP_PAGES = ("", "listing", "grid", "parks", "nearby")

LEGENDS = """() => [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')].map(map => {
  const m = map.getBoundingClientRect();
  const legends = [...document.querySelectorAll('.rm-map-legend > div, .bs-legend')].map(l => l.getBoundingClientRect())
    .filter(l => l.left >= m.left - 1 && l.right <= m.right + 1 && l.top >= m.top - 1 && l.bottom <= m.bottom + 1
                 && l.width > 20 && l.height > 10);
  return [m.width, m.height, legends.length];
})"""


@pytest.mark.browser
def test_every_map_has_its_legend_on_it(small_city: City):
    with app_page(small_city.data_dir) as (page, url):
        visit(page, url)
        for path in MAP_PAGES:
            page.goto(f"{url}/{path}")
            wait_until_idle(page)
            page.wait_for_selector('[data-testid="stDeckGlJsonChart"]', timeout=60_000)
            maps = page.evaluate(LEGENDS)
            assert maps, f"/{path}: no map"
            for width, height, legends in maps:
                assert width > 200 and height > 200 and legends >= 1, (path, width, height, legends)


def test_a_swatch_is_the_colour_as_drawn():
    """A class drawn at opacity 0.75 on the paper: the swatch paints the same rgba over the
    same paper, not the opaque colour."""
    from layers.render import legend_html, on_map
    from layers.spec import Legend, LegendEntry

    html = legend_html(Legend("企业数", (LegendEntry((253, 141, 60), "5–9"),), opacity=0.75), paper="#f7f5f0")
    assert "rgba(253, 141, 60, 0.75)" in html and "#f7f5f0" in html
    assert re.search(r"<b>企业数</b>", html) and "5–9" in html
    assert 'class="rm-map-legend"' in on_map(html)
