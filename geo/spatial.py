"""DuckDB spatial, loaded offline from the ``duckdb-extension-spatial`` wheel, and the
point-in-polygon join built on it."""

from __future__ import annotations

import os
from functools import lru_cache

import duckdb
import pyarrow as pa


@lru_cache(maxsize=1)
def spatial_extension_path() -> str:
    """Path of the spatial extension binary shipped in the ``duckdb-extension-spatial`` wheel.

    Raises
    ------
    RuntimeError
        If the wheel is missing or does not match the installed DuckDB version.
    """
    try:
        import duckdb_extension_spatial
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError(
            "DuckDB spatial extension missing: pip install duckdb-extension-spatial=="
            + duckdb.__version__
        ) from exc
    version = "v" + duckdb.__version__
    path = os.path.join(
        os.path.dirname(duckdb_extension_spatial.__file__),
        "extensions",
        version,
        "spatial.duckdb_extension",
    )
    if not os.path.exists(path):
        raise RuntimeError(
            f"no spatial extension for DuckDB {version} at {path}; "
            "pin duckdb and duckdb-extension-spatial to the same version"
        )
    return path


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB spatial into ``con`` from the local wheel: no network, no home directory."""
    con.execute(f"LOAD '{spatial_extension_path()}'")


def points_in_polygons(
    con: duckdb.DuckDBPyConnection,
    points: str,
    polygons: str,
    out: str,
    point_id: str = "id",
    polygon_key: str = "code",
    cells: CellIndex | None = None,
) -> None:
    """Assign points to the polygon containing them.

    Creates table ``out(point_id, polygon_key, n_matches)`` with one row per point that lies
    in (or on the edge of) at least one polygon; a point absent from ``out`` is in none, and
    callers report it. Where polygons overlap the smallest key wins and ``n_matches`` says
    how many contained the point.

    Parameters
    ----------
    points : str
        Table with ``point_id`` and WGS-84 ``lon``, ``lat`` columns (degrees; NULL allowed).
    polygons : str
        Table with ``polygon_key`` and a GEOMETRY column ``geom`` (WGS-84).
    cells : CellIndex, optional
        The H3 cells of the points (a column of ``points``, indexed from the same
        coordinates). Then a point whose cell lies wholly inside one polygon and touches no
        other takes that polygon, and a point whose cell touches none is in none, both
        without a test of its own (:meth:`CellIndex.owners`); only points in cells that cross
        a boundary are tested one by one.

    Notes
    -----
    The inner join lets DuckDB plan its R-tree spatial join; points on a shared boundary
    are contained by neither side (``ST_Contains`` excludes the boundary), so they fall
    back to ``ST_Intersects`` in a second, small pass.
    """
    undecided = "true"
    if cells is not None:
        cell = cells.column
        con.register("_cell_owner_arrow", cells.owners(con, polygons, polygon_key))
        con.execute("CREATE OR REPLACE TEMP TABLE _cell_owner AS SELECT * FROM _cell_owner_arrow")
        con.unregister("_cell_owner_arrow")
        undecided = f"{cell} NOT IN (SELECT cell FROM _cell_owner)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _pip_hits AS
        SELECT p.{point_id} AS pid, g.{polygon_key} AS key
        FROM (SELECT {point_id}, ST_Point(lon, lat) AS pt FROM {points}
              WHERE lon IS NOT NULL AND lat IS NOT NULL AND {undecided}) p
        JOIN {polygons} g ON ST_Contains(g.geom, p.pt)
        """
    )
    # Boundary points: contained by no polygon but touching one.
    con.execute(
        f"""
        INSERT INTO _pip_hits
        SELECT p.{point_id}, g.{polygon_key}
        FROM (SELECT {point_id}, ST_Point(lon, lat) AS pt FROM {points}
              WHERE lon IS NOT NULL AND lat IS NOT NULL AND {undecided}
                AND {point_id} NOT IN (SELECT pid FROM _pip_hits)) p
        JOIN {polygons} g ON ST_Intersects(g.geom, p.pt)
        """
    )
    if cells is not None:  # the points of cells inside one polygon
        con.execute(
            f"""
            INSERT INTO _pip_hits
            SELECT p.{point_id}, c.key FROM {points} p JOIN _cell_owner c ON c.cell = p.{cell}
            WHERE p.lon IS NOT NULL AND p.lat IS NOT NULL AND c.key IS NOT NULL
            """
        )
        con.execute("DROP TABLE _cell_owner")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT pid AS {point_id}, min(key) AS {polygon_key}, count(*)::INTEGER AS n_matches
        FROM _pip_hits GROUP BY pid
        """
    )
    con.execute("DROP TABLE _pip_hits")


class CellIndex:
    """The distinct H3 cells of a table of points, as polygons widened a little (by
    :data:`CELL_GROWTH` of their size about their centre: a metre and a half at r9, far more
    than any difference between a cell's great-circle edges and the straight lines between its
    vertices, or the rounding of a point's indexing), in an R-tree: built once, asked for
    each layer of polygons which cells need no point-by-point test."""

    def __init__(self, con: duckdb.DuckDBPyConnection, points: str, column: str = "h3_r9"):
        import numpy as np
        import shapely
        from h3ronpy.vector import cells_to_wkb_polygons

        self.column = column
        found = next(iter(con.execute(f"SELECT DISTINCT {column} FROM {points} WHERE lon IS NOT NULL "
                                      f"AND lat IS NOT NULL AND {column} <> 0").fetchnumpy().values()))
        self.cells = np.asarray(found, dtype=np.uint64)
        if not len(self.cells):
            self.reach = np.zeros(0, dtype=object)
        else:
            hexes = shapely.from_wkb(pa.array(cells_to_wkb_polygons(pa.array(self.cells, pa.uint64())))
                                     .to_numpy(zero_copy_only=False))
            ring = shapely.get_coordinates(hexes).reshape(len(hexes), -1, 2)  # closed rings, all alike
            centre = ring[:, :-1].mean(axis=1, keepdims=True)
            self.reach = shapely.polygons(centre + (ring - centre) * (1 + CELL_GROWTH))
        self.tree = shapely.STRtree(self.reach)

    def owners(self, con: duckdb.DuckDBPyConnection, polygons: str, polygon_key: str) -> pa.Table:
        """``(cell, key)``: ``key`` the one polygon that holds the whole (widened) cell and
        touches no other, or NULL for a cell that touches no polygon. Cells crossing a
        boundary, or in two overlapping polygons, are left out."""
        import numpy as np
        import shapely

        rows = con.execute(f"SELECT {polygon_key}, ST_AsWKB(geom) FROM {polygons} WHERE geom IS NOT NULL").fetchall()
        keys = np.asarray([k for k, _ in rows], dtype=object)
        polys = shapely.from_wkb(np.asarray([bytes(w) for _, w in rows], dtype=object))
        shapely.prepare(polys)
        poly_i, cell_i = self.tree.query(polys, predicate="intersects") if len(rows) else (
            np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        touching = np.bincount(cell_i, minlength=len(self.cells))
        single = np.flatnonzero(touching == 1)
        met = np.full(len(self.cells), -1)  # the polygon a cell meets (the only one, for single ones)
        met[cell_i] = poly_i
        inside = single[shapely.contains_properly(polys[met[single]], self.reach[single])]
        outside = np.flatnonzero(touching == 0)
        return pa.table({
            "cell": pa.array(np.concatenate([self.cells[inside], self.cells[outside]]), pa.uint64()),
            "key": pa.array([*keys[met[inside]].tolist(), *([None] * len(outside))], pa.string()),
        })


#: How much a cell is widened about its centre when judged inside a polygon (see CellIndex).
CELL_GROWTH = 0.01
