"""Drill-down on 城市总览: city → county → township → grid → enterprise, with breadcrumbs that go
back up, each level's map, and the level in the URL (a reload or a shared link opens it).

Expected outcomes are read from the database independently of pages.drill: an area's
ancestors from the tables themselves, a level's map from the rows it should hold."""

from __future__ import annotations

import pytest

from data.build import connect
from pages.drill import Drill, DrillError, resolve

from .conftest import City
from .test_app import deck, layer_by_id, run_app
from .test_city_map import click


def _a_grid_with_enterprises(con):
    """(county code, county name, township code, township name, grid id, grid name, uscc, name)
    of the busiest grid's highest-scored placed enterprise, joined by hand."""
    return con.execute(
        """SELECT c.code, c.name, t.code, t.name, g.grid_id, g.name, e.uscc, e.name
           FROM enterprise e JOIN grid g ON g.grid_id = e.grid_id JOIN township t ON t.code = e.township_code
           JOIN county c ON c.code = t.county_code JOIN enterprise_score s ON s.uscc = e.uscc
           WHERE e.lon IS NOT NULL
           ORDER BY (SELECT count(*) FROM enterprise x WHERE x.grid_id = e.grid_id) DESC, s.score DESC, e.uscc
           LIMIT 1""").fetchone()


# --- the path of an area -------------------------------------------------------------------

def test_an_enterprise_resolves_to_its_county_township_and_grid(small_city: City):
    con = connect(small_city.db, read_only=True)
    cc, cn, tc, tn, gid, gn, uscc, en = _a_grid_with_enterprises(con)
    path = resolve(con, Drill("enterprise", uscc))
    assert [(c.level, c.key, c.name) for c in path] == [
        ("city", None, con.execute("SELECT value FROM meta WHERE key = 'city_name'").fetchone()[0]),
        ("county", cc, cn), ("township", tc, tn), ("grid", gid, gn), ("enterprise", uscc, en)]


def test_a_township_resolves_to_its_county(small_city: City):
    con = connect(small_city.db, read_only=True)
    cc, cn, tc, tn, *_ = _a_grid_with_enterprises(con)
    assert [(c.level, c.key) for c in resolve(con, Drill("township", tc))] == [
        ("city", None), ("county", cc), ("township", tc)]


@pytest.mark.parametrize("text", ["township:000000000", "planet:1", "enterprise", "city:1", "grid:"])
def test_an_unknown_or_malformed_area_is_refused(small_city: City, text: str):
    con = connect(small_city.db, read_only=True)
    with pytest.raises(DrillError):
        resolve(con, Drill.parse(text))


def test_an_area_round_trips_through_its_url_text():
    assert Drill.parse("grid:G-01:a") == Drill("grid", "G-01:a")
    assert Drill.parse(Drill("township", "330302001").text) == Drill("township", "330302001")
    assert Drill.parse(Drill().text) == Drill()  # the city is the empty text


# --- on the page ---------------------------------------------------------------------------

def _crumbs(at) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("crumb_")]


def test_a_click_in_a_township_drills_down_to_grid_and_enterprise_and_the_crumbs_go_back(city_env: City):
    con = connect(city_env.db, read_only=True)
    cc, cn, tc, tn, gid, gn, uscc, en = _a_grid_with_enterprises(con)
    city = con.execute("SELECT value FROM meta WHERE key = 'city_name'").fetchone()[0]

    at = run_app()
    assert _crumbs(at) == [city]
    at = at.radio(key="pick_by").set_value("township").run()
    at = click(at, "townships", {"code": tc, "name": tn})
    # a click anywhere in a township offers its county and itself
    assert {b.key for b in at.button} >= {"drill_county", "drill_township"}
    at = at.button(key="drill_township").click().run()
    assert not at.exception
    assert _crumbs(at) == [city, cn, tn]
    assert at.query_params["area"] == f"township:{tc}"
    d = deck(at)
    grids = layer_by_id(d, "grids")
    assert grids["pickable"]  # a grid is clicked anywhere inside it
    want_grids = {r[0] for r in con.execute("SELECT grid_id FROM grid WHERE township_code = ?", [tc]).fetchall()}
    assert {r["code"] for r in grids["data"]} == want_grids
    want_dots = {r[0] for r in con.execute(
        "SELECT uscc FROM enterprise WHERE township_code = ? AND lon IS NOT NULL", [tc]).fetchall()}
    assert {r["uscc"] for r in layer_by_id(d, "enterprises")["data"]} == want_dots

    at = click(at, "grids", {"code": gid, "name": gn})
    at = at.button(key="drill_grid").click().run()
    assert _crumbs(at) == [city, cn, tn, gn]
    in_grid = {r[0] for r in con.execute(
        "SELECT uscc FROM enterprise WHERE grid_id = ? AND lon IS NOT NULL", [gid]).fetchall()}
    assert {r["uscc"] for r in layer_by_id(deck(at), "enterprises")["data"]} == in_grid

    at = click(at, "enterprises", {"uscc": uscc, "position": [0, 0], "tip": "x"})
    at = at.button(key="drill_enterprise").click().run()
    assert not at.exception
    assert _crumbs(at) == [city, cn, tn, gn, en]
    assert any(en in s.value and "一企一档" in s.value for s in at.subheader)
    assert at.query_params["area"] == f"enterprise:{uscc}"

    at = at.button(key="crumb_county").click().run()  # back up to the county
    assert _crumbs(at) == [city, cn]
    assert at.query_params["area"] == f"county:{cc}"
    county_towns = {r[0] for r in con.execute("SELECT code FROM township WHERE county_code = ?", [cc]).fetchall()}
    assert {r["code"] for r in layer_by_id(deck(at), "townships")["data"]} == county_towns

    at = at.button(key="crumb_city").click().run()
    assert _crumbs(at) == [city] and "area" not in at.query_params
    every = {r[0] for r in con.execute("SELECT code FROM township").fetchall()}
    assert {r["code"] for r in layer_by_id(deck(at), "townships")["data"]} == every


def test_a_shared_link_opens_its_level_and_a_bad_one_says_so(city_env: City):
    con = connect(city_env.db, read_only=True)
    cc, cn, tc, tn, gid, gn, uscc, en = _a_grid_with_enterprises(con)
    at = run_app(query={"area": f"grid:{gid}"})
    assert not at.exception
    assert _crumbs(at)[1:] == [cn, tn, gn]
    at = run_app(query={"area": "township:999999999"})
    assert not at.exception
    assert len(_crumbs(at)) == 1  # the city
    assert any("999999999" in w.value for w in at.warning)


# --- in Chromium ---------------------------------------------------------------------------

def test_in_the_browser_a_crumb_goes_up_and_a_reload_keeps_the_level(small_city: City):
    from .browser import app_page, visit, wait_until_idle

    con = connect(small_city.db, read_only=True)
    cc, cn, tc, tn, gid, gn, uscc, en = _a_grid_with_enterprises(con)
    with app_page(small_city.data_dir, 1600, 1000) as (page, url):
        visit(page, url, f"?area=grid:{gid}")
        crumbs = page.locator(".st-key-drill_crumbs [data-testid^=stBaseButton]")
        crumbs.first.wait_for(timeout=30_000)
        assert [c.inner_text() for c in crumbs.all()][1:] == [cn, tn, gn]
        crumbs.nth(2).click()  # the township
        wait_until_idle(page)
        page.wait_for_function(f"location.search.includes('area=township%3A{tc}') "
                               f"|| location.search.includes('area=township:{tc}')", timeout=30_000)
        page.reload()
        wait_until_idle(page)
        crumbs = page.locator(".st-key-drill_crumbs [data-testid^=stBaseButton]")
        crumbs.first.wait_for(timeout=30_000)
        assert [c.inner_text() for c in crumbs.all()][1:] == [cn, tn]
