"""Point-in-polygon in DuckDB spatial on hand-made polygons."""

import duckdb
import pytest

from geo.spatial import load_spatial, points_in_polygons


@pytest.fixture()
def con():
    c = duckdb.connect()
    load_spatial(c)
    # Two unit squares side by side: A = [0,1]x[0,1], B = [1,2]x[0,1]; C = a triangle inside A.
    c.execute("CREATE TABLE poly (code VARCHAR, geom GEOMETRY)")
    c.execute("""INSERT INTO poly VALUES
        ('A', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))')),
        ('B', ST_GeomFromText('POLYGON((1 0, 2 0, 2 1, 1 1, 1 0))'))""")
    c.execute("CREATE TABLE pts (id INTEGER, lon DOUBLE, lat DOUBLE)")
    c.execute("""INSERT INTO pts VALUES
        (1, 0.5, 0.5),   -- inside A
        (2, 1.5, 0.2),   -- inside B
        (3, 1.0, 0.5),   -- on the shared edge: both touch it, the smaller key wins
        (4, 3.0, 3.0),   -- outside everything
        (5, NULL, NULL), -- no coordinates
        (6, 0.0, 0.0)    -- on A's outer corner""")
    return c


def test_each_point_in_a_polygon_gets_exactly_one_row(con):
    points_in_polygons(con, "pts", "poly", "out", "id", "code")
    got = con.execute("SELECT id, code, n_matches FROM out ORDER BY id").fetchall()
    # 4 (outside) and 5 (no coordinates) are in no polygon: absent, for the caller to report.
    assert got == [(1, "A", 1), (2, "B", 1), (3, "A", 2), (6, "A", 1)]


def test_township_polygon_with_a_hole():
    c = duckdb.connect()
    load_spatial(c)
    c.execute("CREATE TABLE poly AS SELECT '330000001' AS code, "
              "ST_GeomFromText('POLYGON((120 27, 121 27, 121 28, 120 28, 120 27),"
              "(120.4 27.4, 120.6 27.4, 120.6 27.6, 120.4 27.6, 120.4 27.4))') AS geom")
    c.execute("CREATE TABLE pts AS SELECT * FROM (VALUES (1, 120.2, 27.2), (2, 120.5, 27.5)) t(id, lon, lat)")
    points_in_polygons(c, "pts", "poly", "out", "id", "code")
    assert c.execute("SELECT id, code FROM out ORDER BY id").fetchall() == [(1, "330000001")]


def test_placement_by_cell_index_equals_a_test_of_every_point():
    """Points placed through the H3 cell index (cells wholly inside one polygon, or touching
    none, decided once) get exactly what shapely says point by point — on shared edges, a hair
    off them, in a hole, where two polygons overlap and outside all — and most cells are
    decided without a test of their points."""
    import numpy as np
    import shapely

    from geo.h3cells import latlng_to_cells
    from geo.spatial import CellIndex

    c = duckdb.connect()
    load_spatial(c)
    polys: dict[str, shapely.Geometry] = {}
    for i in range(3):  # a 3 × 3 block of squares 0.02° wide; the middle one with a hole
        for j in range(3):
            x, y = 120.60 + 0.02 * i, 27.90 + 0.02 * j
            polys[f"S{i}{j}"] = shapely.box(x, y, x + 0.02, y + 0.02)
    polys["S11"] = polys["S11"].difference(shapely.box(120.625, 27.925, 120.635, 27.935))
    polys["X"] = shapely.Point(120.70, 27.95).buffer(0.012)  # overlaps S20, S21 nowhere? beside them
    polys["Y"] = shapely.box(120.655, 27.905, 120.672, 27.93)  # overlaps S20 and S21
    c.execute("CREATE TABLE poly (code VARCHAR, geom GEOMETRY)")
    for k, g in polys.items():
        c.execute("INSERT INTO poly VALUES (?, ST_GeomFromText(?))", [k, g.wkt])
    rng = np.random.default_rng(16)
    lon = rng.uniform(120.58, 120.73, 20_000)
    lat = rng.uniform(27.88, 27.99, 20_000)
    edge = np.linspace(27.90, 27.96, 200)  # on the shared edge x = 120.62, and 1e-9° either side
    lon = np.concatenate([lon, np.full(200, 120.62), np.full(200, 120.62 - 1e-9), np.full(200, 120.62 + 1e-9)])
    lat = np.concatenate([lat, edge, edge, edge])
    cells = latlng_to_cells(lat, lon, 9)
    c.execute("CREATE TABLE pts AS SELECT * FROM (SELECT unnest(?) AS id, unnest(?) AS lon, unnest(?) AS lat, "
              "unnest(?)::UBIGINT AS h3_r9)", [list(range(len(lon))), lon.tolist(), lat.tolist(),
                                               [int(x) for x in cells]])

    expected = {}
    tree_keys = sorted(polys)
    for pid, (x, y) in enumerate(zip(lon, lat, strict=True)):
        pt = shapely.Point(x, y)
        inside = [k for k in tree_keys if polys[k].contains(pt)]
        hits = inside or [k for k in tree_keys if polys[k].intersects(pt)]
        if hits:
            expected[pid] = (min(hits), len(hits))

    index = CellIndex(c, "pts", "h3_r9")
    points_in_polygons(c, "pts", "poly", "by_cell", "id", "code", cells=index)
    points_in_polygons(c, "pts", "poly", "each", "id", "code")
    by_cell = {i: (k, n) for i, k, n in c.execute("SELECT id, code, n_matches FROM by_cell").fetchall()}
    each = {i: (k, n) for i, k, n in c.execute("SELECT id, code, n_matches FROM each").fetchall()}
    assert each == expected
    assert by_cell == expected
    assert any(n == 2 for _, n in expected.values())  # the overlap is exercised

    owners = index.owners(c, "poly", "code")
    decided = set(owners.column("cell").to_pylist())
    assert len(decided) > 0.5 * len(set(cells.tolist()))
    keys = dict(zip(owners.column("cell").to_pylist(), owners.column("key").to_pylist(), strict=True))
    for pid, cell in enumerate(cells.tolist()):  # a decided cell's points are what it says
        if cell in keys:
            assert expected.get(pid, (None, 1))[0] == keys[cell]
