"""DuckDB spatial, loaded offline from the ``duckdb-extension-spatial`` wheel, and the
point-in-polygon join built on it."""

from __future__ import annotations

import os
from functools import lru_cache

import duckdb


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

    Notes
    -----
    The inner join lets DuckDB plan its R-tree spatial join; points on a shared boundary
    are contained by neither side (``ST_Contains`` excludes the boundary), so they fall
    back to ``ST_Intersects`` in a second, small pass.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _pip_hits AS
        SELECT p.{point_id} AS pid, g.{polygon_key} AS key
        FROM (SELECT {point_id}, ST_Point(lon, lat) AS pt FROM {points}
              WHERE lon IS NOT NULL AND lat IS NOT NULL) p
        JOIN {polygons} g ON ST_Contains(g.geom, p.pt)
        """
    )
    # Boundary points: contained by no polygon but touching one.
    con.execute(
        f"""
        INSERT INTO _pip_hits
        SELECT p.{point_id}, g.{polygon_key}
        FROM (SELECT {point_id}, ST_Point(lon, lat) AS pt FROM {points}
              WHERE lon IS NOT NULL AND lat IS NOT NULL
                AND {point_id} NOT IN (SELECT pid FROM _pip_hits)) p
        JOIN {polygons} g ON ST_Intersects(g.geom, p.pt)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT pid AS {point_id}, min(key) AS {polygon_key}, count(*)::INTEGER AS n_matches
        FROM _pip_hits GROUP BY pid
        """
    )
    con.execute("DROP TABLE _pip_hits")
