"""周边查询 (around a point): reading a typed point, distances in metres, what lies within a
radius, masking of grid managers by role, and the page.

Expected answers are worked out here by hand: literal enterprises placed at known offsets
from a point at latitude 28° with the WGS-84 ellipsoid's radii of curvature (a local plane,
good to centimetres at these distances), not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pytest

from data.access import scope_connection, user_scope
from data.nearby import around
from data.tables import ENTERPRISE, GRID, HAZARD, INCIDENT, PARK, TOWNSHIP, table_ddl
from geo.nearby import PointTextError, circle_lonlat, pick_cells, text_to_point
from geo.spatial import load_spatial
from riskmap.accounts import User

from .conftest import City, busiest

# --- the ellipsoid by hand ----------------------------------------------------------------------

A, F = 6378137.0, 1 / 298.257223563
E2 = F * (2 - F)


def radii_m(lat: float) -> tuple[float, float]:
    """(meridian radius M, prime-vertical radius N) of WGS-84 at ``lat`` degrees."""
    s2 = math.sin(math.radians(lat)) ** 2
    return A * (1 - E2) / (1 - E2 * s2) ** 1.5, A / math.sqrt(1 - E2 * s2)


def offset(lon: float, lat: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """The point ``north_m`` north and ``east_m`` east of (lon, lat)."""
    m, n = radii_m(lat)
    return (lon + math.degrees(east_m / (n * math.cos(math.radians(lat)))), lat + math.degrees(north_m / m))


def local_m(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance in metres on a local plane with the ellipsoid's radii at the mean latitude."""
    mid = (lat0 + lat) / 2
    s2 = np.sin(np.radians(mid)) ** 2
    m, n = A * (1 - E2) / (1 - E2 * s2) ** 1.5, A / np.sqrt(1 - E2 * s2)
    return np.hypot(np.radians(lat - lat0) * m, np.radians(lon - lon0) * n * np.cos(np.radians(mid)))


def haversine_m(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    p0, p = np.radians(lat0), np.radians(lat)
    a = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin(np.radians(lon - lon0) / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


# --- a literal city around P ---------------------------------------------------------------------

P = (120.0, 28.0)
AS_OF = dt.date(2026, 11, 20)
#: name -> (north m, east m); NOXY has no coordinates. Hand distances: hypot(north, east).
PLACES = {"AT": (0, 0), "N100": (100, 0), "NE": (600, 600), "E900": (0, 900), "N1100": (1100, 0), "E1200": (0, 1200)}
HAND_M = {k: math.hypot(*v) for k, v in PLACES.items()}
#: id, enterprise, found_on, level, deadline, rectified_on — as of AS_OF: H1 rectified; H2 open
#: and overdue; H3, H4 open (H4 重大); H5 open but 1.1 km away; H6 found after AS_OF; H7
#: rectified only after AS_OF, so open then, and overdue.
HAZARDS = (("H1", "N100", "2026-10-01", "一般", "2026-10-15", "2026-10-10"),
           ("H2", "N100", "2026-10-20", "较大", "2026-11-01", None),
           ("H3", "E900", "2026-11-10", "一般", "2026-12-10", None),
           ("H4", "E900", "2026-09-01", "重大", "2026-12-01", None),
           ("H5", "N1100", "2026-09-01", "重大", "2026-10-01", None),
           ("H6", "AT", "2026-11-25", "一般", "2026-12-25", None),
           ("H7", "AT", "2026-11-01", "一般", "2026-11-15", "2026-11-25"))
#: Grids: G1 holds P; G2 begins 0.005° east of P; G3 is 0.05° east (about 4.9 km).
GRIDS = (("G1", "甲网格", "张三丰", "13812345678", (119.99, 27.99, 120.005, 28.01)),
         ("G2", "乙网格", "李四", "13900001111", (120.005, 27.99, 120.02, 28.01)),
         ("G3", "丙网格", "王五", "13700002222", (120.05, 27.99, 120.06, 28.01)))
#: Parks: K1 holds P, its nearest edge 0.001° north; K2 begins 0.008° east; K3 far away.
PARKS = (("K1", "甲园", (119.998, 27.999, 120.003, 28.001)), ("K2", "乙园", (120.008, 27.999, 120.01, 28.001)),
         ("K3", "丙园", (120.1, 27.999, 120.11, 28.001)))
M28, N28 = radii_m(28.0)
EAST_PER_DEG = N28 * math.cos(math.radians(28.0)) * math.pi / 180  # metres per degree of longitude at 28°
NORTH_PER_DEG = M28 * math.pi / 180


def box_wkt(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


@pytest.fixture(scope="module")
def literal() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_spatial(con)
    for table in (TOWNSHIP, GRID, PARK, ENTERPRISE, HAZARD, INCIDENT):
        con.execute(table_ddl(table))
    con.execute("CREATE TABLE enterprise_score (uscc VARCHAR, score DOUBLE, tier VARCHAR)")
    con.execute("INSERT INTO township (code, name, geom) VALUES ('339902101', '甲镇', ST_GeomFromText(?))",
                [box_wkt(119.9, 27.9, 120.2, 28.1)])
    for gid, name, manager, phone, box in GRIDS:
        con.execute("INSERT INTO grid VALUES (?, ?, '339902101', ?, ?, ST_GeomFromText(?))",
                    [gid, name, manager, phone, box_wkt(*box)])
    for pid, name, box in PARKS:
        con.execute("INSERT INTO park (park_id, name, geom) VALUES (?, ?, ST_GeomFromText(?))", [pid, name, box_wkt(*box)])
    tiers = {"AT": "重大", "N100": "较大", "NE": "一般", "E900": "低"}
    for key, (north, east) in PLACES.items():
        lon, lat = offset(*P, north, east)
        con.execute("INSERT INTO enterprise (uscc, name, lon, lat, township_code) VALUES (?, ?, ?, ?, '339902101')",
                    [key, f"{key}厂", lon, lat])
        if key in tiers:
            con.execute("INSERT INTO enterprise_score VALUES (?, ?, ?)", [key, 10.0 * len(key), tiers[key]])
    con.execute("INSERT INTO enterprise (uscc, name) VALUES ('NOXY', '无坐标厂')")
    for hid, uscc, found, level, deadline, rectified in HAZARDS:
        con.execute("INSERT INTO hazard (id, uscc, found_on, level, deadline, rectified_on) VALUES (?, ?, ?, ?, ?, ?)",
                    [hid, uscc, found, level, deadline, rectified])
    return con


@pytest.mark.parametrize("radius, expected", [
    (1000, ["AT", "N100", "NE", "E900"]),
    (850, ["AT", "N100", "NE"]),
    (200, ["AT", "N100"]),
    (1101, ["AT", "N100", "NE", "E900", "N1100"]),
    (1201, ["AT", "N100", "NE", "E900", "N1100", "E1200"]),
])
def test_enterprises_within_the_radius_nearest_first(literal, radius, expected):
    found = around(literal, *P, radius, AS_OF)
    assert found.enterprises["uscc"].tolist() == expected
    for uscc, d in zip(found.enterprises["uscc"], found.enterprises["distance_m"]):
        assert abs(d - HAND_M[uscc]) < 1.0, uscc
    # A sphere would be off by up to half a per cent (3 m at 900 m north): still near it.
    x, y = found.enterprises["lon"].to_numpy(), found.enterprises["lat"].to_numpy()
    np.testing.assert_allclose(found.enterprises["distance_m"], haversine_m(*P, x, y), rtol=5e-3, atol=1e-6)


def test_tiers_scores_and_unscored_enterprises(literal):
    found = around(literal, *P, 1101, AS_OF)
    by = found.enterprises.set_index("uscc")
    assert by.loc["AT", "tier"] == "重大" and by.loc["AT", "score"] == 20.0
    assert by.loc["N1100", "tier"] is None  # placed but not scored: listed, with no tier
    assert found.tier_counts(["重大", "较大", "一般", "低"]) == {"重大": 1, "较大": 1, "一般": 1, "低": 1}


def test_only_hazards_open_on_the_date_are_listed(literal):
    found = around(literal, *P, 1000, AS_OF)
    h = found.hazards
    assert h["id"].tolist() == ["H7", "H2", "H4", "H3"]  # nearest first; at one distance 重大 first
    assert dict(zip(h["id"], h["status"])) == {"H7": "逾期", "H2": "逾期", "H4": "整改中", "H3": "整改中"}
    assert dict(zip(h["id"], h["name"])) == {"H7": "AT厂", "H2": "N100厂", "H4": "E900厂", "H3": "E900厂"}
    assert all(abs(d - HAND_M[u]) < 1.0 for u, d in zip(h["uscc"], h["distance_m"]))
    assert dict(zip(found.enterprises["uscc"], found.enterprises["open_hazards"])) == {
        "AT": 1, "N100": 1, "NE": 0, "E900": 2}
    # A day after H7 was rectified it is no longer open; H6 has been found by then.
    later = around(literal, *P, 1000, dt.date(2026, 11, 26)).hazards
    assert sorted(later["id"]) == ["H2", "H3", "H4", "H6"]


def test_grids_and_parks_meeting_the_circle(literal):
    found = around(literal, *P, 1000, AS_OF)
    g = found.grids
    assert g["grid_id"].tolist() == ["G1", "G2"] and g["contains_point"].tolist() == [True, False]
    assert g["distance_m"].iloc[0] == 0
    assert abs(g["distance_m"].iloc[1] - 0.005 * EAST_PER_DEG) < 1.0  # about 491.6 m
    assert found.grid["grid_id"].tolist() == ["G1"] and found.grid["township_name"].tolist() == ["甲镇"]
    p = found.parks
    assert p["park_id"].tolist() == ["K1", "K2"]
    assert p["contains_point"].tolist() == [True, False] and p["distance_m"].iloc[0] == 0
    assert abs(p["boundary_m"].iloc[0] - 0.001 * NORTH_PER_DEG) < 1.0  # its north edge, about 110.8 m
    assert abs(p["distance_m"].iloc[1] - 0.008 * EAST_PER_DEG) < 1.0  # about 786.6 m
    assert around(literal, *P, 400, AS_OF).grids["grid_id"].tolist() == ["G1"]  # G2 is 492 m away


@pytest.mark.parametrize("role, manager, phone", [
    ("leader", "张**", "138****5678"),
    ("office", "张三丰", "13812345678"),
    ("admin", "张三丰", "13812345678"),
])
def test_grid_manager_masked_for_roles_without_people(literal, role, manager, phone):
    scoped = scope_connection(literal, *user_scope(User(role, "某人", role)))
    grid = around(scoped, *P, 1000, AS_OF).grid
    assert grid[["grid_id", "manager", "phone"]].values.tolist() == [["G1", manager, phone]]


def test_a_point_in_no_grid_and_bad_arguments(literal):
    far = around(literal, 121.0, 29.0, 1000, AS_OF)
    assert far.enterprises.empty and far.hazards.empty and far.grid.empty and far.parks.empty
    for lon, lat, r in ((200.0, 28.0, 1000), (120.0, 95.0, 1000), (120.0, 28.0, 0), (120.0, 28.0, 50_000),
                        (float("nan"), 28.0, 1000)):
        with pytest.raises(ValueError):
            around(literal, lon, lat, r, AS_OF)


def test_lists_for_the_page_and_the_workbook(literal):
    lists = around(literal, *P, 1000, AS_OF).lists()
    assert list(lists) == ["enterprises", "hazards", "parks", "grids"]
    assert lists["enterprises"]["col_distance_m"].tolist() == [0, 100, 849, 900]  # whole metres
    assert lists["grids"]["col_manager"].tolist() == ["张三丰", "李四"]
    from riskmap.i18n import STRINGS

    assert all(col in STRINGS for frame in lists.values() for col in frame.columns)


# --- a typed point -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, lon, lat, swapped", [
    ("120.65, 27.85", 120.65, 27.85, False),
    ("27.85, 120.65", 120.65, 27.85, True),  # as map sites copy it
    ("120.65 27.85", 120.65, 27.85, False),
    ("120.65，27.85", 120.65, 27.85, False),  # a full-width comma
    ("  27.85 ;120.65 ", 120.65, 27.85, True),
    ("N27.85 E120.65", 120.65, 27.85, True),
    ("120.65°E, 27.85°N", 120.65, 27.85, False),
    ("东经120.65 北纬27.85", 120.65, 27.85, False),
    ("-73.9857, 40.7484", -73.9857, 40.7484, False),  # outside China: as typed
    ("40.7484, -123.5", -123.5, 40.7484, True),  # only a latitude can come first
])
def test_typed_points(text, lon, lat, swapped):
    p = text_to_point(text)
    assert (p.lon, p.lat, p.swapped) == (pytest.approx(lon), pytest.approx(lat), swapped)


@pytest.mark.parametrize("text", ["", "abc", "120.65", "1 2 3", "91, 200", "N27 N120", "120,65 27,85", "N27.85E"])
def test_text_that_is_not_a_point(text):
    with pytest.raises(PointTextError):
        text_to_point(text)


def test_gcj02_and_bd09_points_are_converted_to_wgs84():
    from geo.crs import wgs84_to_bd09, wgs84_to_gcj02

    typed = (120.65, 27.85)
    for crs, back in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        p = text_to_point("120.65, 27.85", crs)
        x, y = back(p.lon, p.lat)
        assert abs(float(x) - typed[0]) < 1e-6 and abs(float(y) - typed[1]) < 1e-6  # the typed numbers again
        shift = local_m(p.lon, p.lat, np.array([typed[0]]), np.array([typed[1]]))[0]
        assert 100 < shift < 1500, (crs, shift)  # GCJ-02 moves Wenzhou by a few hundred metres
    with pytest.raises(PointTextError):
        text_to_point("120.65, 27.85", "EPSG:4549")  # metres, not a typed lon/lat


def test_circle_is_the_radius_all_round():
    ring = np.array(circle_lonlat(*P, 1000.0, n=36))
    assert (ring[0] == ring[-1]).all() and len(ring) == 37
    d = local_m(*P, ring[:, 0], ring[:, 1])
    assert np.abs(d - 1000.0).max() < 0.5


@pytest.mark.parametrize("radius, res", [(200, 12), (1000, 10), (5000, 9)])
def test_click_cells_reach_two_radii_at_a_fine_resolution(radius, res):
    import h3

    got_res, cells = pick_cells(*P, radius)
    assert got_res == res and len(cells) <= 1 + 3 * 40 * 41
    assert len(set(h3.get_resolution(c) for c in cells)) == 1
    for north, east in ((2 * radius, 0), (0, -2 * radius), (-1.4 * radius, 1.4 * radius)):
        lon, lat = offset(*P, north, east)
        assert h3.latlng_to_cell(lat, lon, res) in set(cells)
    spacing = h3.average_hexagon_edge_length(res, unit="m") * math.sqrt(3)
    assert spacing / 2 < radius / 10  # a click is read to a tenth of the radius or better


# --- the demo city -------------------------------------------------------------------------------

def test_count_within_a_kilometre_in_the_demo_city(small_city: City):
    """Around an enterprise of the busiest grid: the same enterprises as an independent count —
    candidates from the build's own H3 r9 cells, measured on the local plane by hand — and
    within half a per cent of a haversine count."""
    import h3

    from data.build import connect
    from scoring.run import default_as_of

    con = connect(small_city.db, read_only=True)
    starts = con.execute("SELECT lon, lat FROM enterprise WHERE grid_id = ? AND lon IS NOT NULL ORDER BY uscc",
                         [busiest(con, "grid_id")]).fetchall()
    for lon, lat in starts:  # the first with nobody within 0.5 m of the circle: the count is well defined
        disk = [int(c, 16) for c in h3.grid_disk(h3.latlng_to_cell(lat, lon, 9), 5)]  # r9 rings: over 1.5 km
        rows = con.execute("SELECT uscc, lon, lat FROM enterprise WHERE list_contains(?, h3_r9)", [disk]).fetchall()
        uscc = np.array([r[0] for r in rows])
        x, y = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
        hand = local_m(lon, lat, x, y)
        if not ((hand > 999.5) & (hand < 1000.5)).any():
            break
    found = around(con, lon, lat, 1000, default_as_of(con))
    assert sorted(found.enterprises["uscc"]) == sorted(uscc[hand <= 1000])
    assert len(found.enterprises) > 20
    by_hand = dict(zip(uscc, hand))
    assert all(abs(d - by_hand[u]) < 1.0 for u, d in zip(found.enterprises["uscc"], found.enterprises["distance_m"]))
    hav = haversine_m(lon, lat, x, y)
    assert (hav <= 995).sum() <= len(found.enterprises) <= (hav <= 1005).sum()


# --- the page -------------------------------------------------------------------------------------

def _coordinates(city: City) -> tuple[float, float]:
    from data.build import connect

    con = connect(city.db, read_only=True)
    return con.execute("SELECT lon, lat FROM enterprise WHERE grid_id = ? AND lon IS NOT NULL ORDER BY uscc LIMIT 1",
                       [busiest(con, "grid_id")]).fetchone()


def test_the_page_lists_what_is_around_a_typed_point(city_env: City):
    from data.build import connect
    from scoring.run import default_as_of

    from .test_app import deck, run_app

    lon, lat = _coordinates(city_env)
    at = run_app("pages/screens/nearby.py")
    assert not at.exception
    at = at.text_input(key="nearby_xy").set_value(f"{lat:.6f}, {lon:.6f}").run()  # lat first, as pasted
    at = at.slider(key="nearby_radius").set_value(500).run()
    assert not at.exception
    con = connect(city_env.db, read_only=True)
    expected = around(con, round(lon, 6), round(lat, 6), 500, default_as_of(con))
    enterprises, hazards, parks, grids = (df.value for df in at.dataframe)
    assert sorted(enterprises["统一社会信用代码"]) == sorted(expected.enterprises["uscc"]) and len(enterprises)
    assert enterprises["距离（米）"].iloc[0] == 0  # the enterprise at the point itself
    assert enterprises["距离（米）"].is_monotonic_increasing
    assert len(hazards) == len(expected.hazards) and len(parks) == len(expected.parks)
    assert grids["含查询点"].iloc[0] and grids["网格员"].iloc[0] == expected.grid["manager"].iloc[0]
    assert any("已按“纬度, 经度”读取" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["范围内企业"] == str(len(expected.enterprises))
    d = deck(at)
    layers = {layer["id"]: layer for layer in d["layers"]}
    assert {"city", "pick", "circle", "grids", "enterprises", "point"} <= set(layers)
    assert len(layers["enterprises"]["data"]) == len(expected.enterprises)
    assert all(row["cell"] == row["hex"] for row in layers["pick"]["data"])
    assert [b.label for b in at.get("download_button")] == ["下载周边清单（Excel）"]


def test_on_a_gcj02_basemap_a_clicked_cell_still_names_its_wgs84_centre(city_env: City):
    """A GCJ-02 basemap shifts every overlay and turns H3 layers into outlines without ``hex``:
    the click cells keep ``cell``, whose centre is the WGS-84 point a click sets."""
    import h3

    from geo.crs import wgs84_to_gcj02

    from .test_app import GCJ02_TILES, deck, run_app

    at = run_app("pages/screens/nearby.py", state=GCJ02_TILES)
    lon, lat = _coordinates(city_env)
    at = at.text_input(key="nearby_xy").set_value(f"{lon}, {lat}").run()
    assert not at.exception
    layers = {layer["id"]: layer for layer in deck(at)["layers"]}
    assert layers["pick"]["@@type"] == "PolygonLayer"
    row = layers["pick"]["data"][0]
    assert "hex" not in row and h3.is_valid_cell(row["cell"])
    x, y = wgs84_to_gcj02(lon, lat)
    assert layers["point"]["data"][0]["position"] == pytest.approx([float(x), float(y)], abs=1e-6)


def test_a_leader_sees_the_manager_masked_and_no_download(city_env: City):
    from .test_app import run_app

    lon, lat = _coordinates(city_env)
    at = run_app("pages/screens/nearby.py", User("leader", "示意领导", "leader"))
    at = at.text_input(key="nearby_xy").set_value(f"{lon}, {lat}").run()
    assert not at.exception
    grids = at.dataframe[3].value
    assert len(grids) and all("*" in m for m in grids["网格员"]) and all("****" in p for p in grids["联系电话"])
    assert not at.get("download_button")


def test_an_incident_picked_sets_the_point(city_env: City):
    from .test_app import run_app

    at = run_app("pages/screens/nearby.py")
    picker = at.selectbox(key="nearby_incident")
    first, typed = picker.value, at.text_input(key="nearby_xy").value
    assert first is not None and typed  # a first visit starts from the latest incident
    at = picker.select_index(3).run()
    assert not at.exception and at.selectbox(key="nearby_incident").value not in (None, first)
    assert at.text_input(key="nearby_xy").value != typed
    at = at.text_input(key="nearby_xy").set_value("not a point").run()
    assert not at.exception and at.selectbox(key="nearby_incident").value is None
    assert any("无法把" in w.value for w in at.warning) and not at.dataframe


@pytest.fixture(scope="module")
def hostile_city(tmp_path_factory: pytest.TempPathFactory):
    """``hostile_city(theme)``: the tiny city (tests/fixtures.py) with the names of
    tests/test_hostile_values.py's theme, built once per theme."""
    from . import fixtures
    from .test_hostile_values import THEMES, make_hostile

    built: dict = {}

    def get(theme: str):
        if theme not in built:
            built[theme] = tmp_path_factory.mktemp(f"nearby_{theme}")
            make_hostile(fixtures.build_tiny_city(built[theme]), THEMES[theme])
        return built[theme]

    return get


@pytest.mark.parametrize("theme", ["markdown", "deck", "formula"])
def test_hostile_names_stay_text_on_the_page(hostile_city, monkeypatch, theme):
    """Names that would be a link, a deck.gl expression or a spreadsheet formula: shown as text
    in the grid line and the lists, inert in the map (the tiny city's incident A1 is 140 m from
    丙印务, in 乙镇一网格 of 赵六)."""
    from pages.screens.common import md

    from .decks import with_rows_json
    from .test_hostile_values import (
        LIVE_LINK,
        THEMES,
        assert_deck_inert,
        assert_inert_workbook,
        markdown_texts,
        run_page,
    )

    at = run_page(hostile_city(theme), "pages/screens/nearby.py", monkeypatch)
    names = THEMES[theme]
    assert names["丙印务"] in set(at.dataframe[0].value["企业名称"])
    if theme == "markdown":
        texts = markdown_texts(at)
        assert [s for s in texts if LIVE_LINK.search(s)] == []
        assert any(md(names["赵六"]) in s for s in texts)  # the manager, escaped
    if theme == "deck":
        for chart in at.get("deck_gl_json_chart"):
            assert_deck_inert(with_rows_json(chart.proto.json), [])
    if theme == "formula":  # the workbook the download button makes, from the same lists
        from data.build import connect
        from reports.ledgers import workbook

        con = connect(hostile_city(theme) / "riskmap.duckdb", read_only=True)
        found = around(con, 120.751, 27.851, 1000, dt.date(2026, 11, 20))
        texts = assert_inert_workbook(workbook(found.lists(), names["小城"], "1 km"))
        assert any(names["赵六"] in t for t in texts) and any(names["丙印务"] in t for t in texts)


@pytest.mark.browser
def test_a_click_on_the_map_sets_the_point_where_it_was(small_city: City):
    """In headless Chromium: a click 150 px west of the map's centre moves the point to where
    that pixel is (web-mercator, 512-pixel tiles), to within the click cells' half spacing."""
    import re

    from layers.render import view_for

    from .browser import app_page, map_canvas, visit, wait_until_idle

    def shown(text: str) -> tuple[float, float]:
        found = re.search(r"查询点：经度 ([\d.]+)，纬度 ([\d.]+)", text)
        assert found, text[:2000]
        return float(found.group(1)), float(found.group(2))

    with app_page(small_city.data_dir) as (page, url):
        visit(page, url, "nearby")
        lon, lat = shown(page.inner_text("body"))
        ring = np.array(circle_lonlat(lon, lat, 1000))
        view = view_for(ring[:, 0], ring[:, 1])
        box = map_canvas(page, settle_ms=2000).bounding_box()
        x, y = box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2
        # Hovered first: the cells' rows load after the map draws; the tip says they are there.
        page.mouse.move(x, y)
        page.locator(".deck-tooltip", has_text="以此处为查询点").wait_for(timeout=60_000)
        page.mouse.click(x, y)
        page.wait_for_function(f"() => !document.body.innerText.includes('经度 {lon:.6f}，纬度 {lat:.6f}')",
                               timeout=60_000)
        wait_until_idle(page)
        new = shown(page.inner_text("body"))
    degrees_per_px = 360 / (512 * 2 ** view["zoom"])
    expected = (view["longitude"] - 150 * degrees_per_px, view["latitude"])
    moved = local_m(lon, lat, np.array([new[0]]), np.array([new[1]]))[0]
    off = local_m(*expected, np.array([new[0]]), np.array([new[1]]))[0]
    assert moved > 300 and off < 100, (moved, off)
