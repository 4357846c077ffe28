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
