"""Read-side queries the pages and the CLI share (no SQL lives in pages)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the base tables plus enterprises placed in no township."""
    row = con.execute(
        """SELECT (SELECT count(*) FROM county), (SELECT count(*) FROM township),
                  (SELECT count(*) FROM grid), (SELECT count(*) FROM park),
                  (SELECT count(*) FROM enterprise),
                  (SELECT count(*) FROM enterprise WHERE lon IS NOT NULL AND township_code IS NULL),
                  (SELECT count(*) FROM enterprise WHERE lon IS NULL),
                  (SELECT count(*) FROM hazard), (SELECT count(*) FROM incident)"""
    ).fetchone() or ()
    keys = ("counties", "townships", "grids", "parks", "enterprises", "unplaced", "no_coordinates",
            "hazards", "incidents")
    return dict(zip(keys, map(int, row)))


def township_geometries(con: duckdb.DuckDBPyConnection, simplify_deg: float = 0.0003) -> pd.DataFrame:
    """Township code, name and shapely geometry (simplified for display)."""
    import shapely

    df = con.execute("SELECT code, name, ST_AsWKB(ST_SimplifyPreserveTopology(geom, ?)) AS wkb "
                     "FROM township ORDER BY code", [simplify_deg]).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def township_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM agg_township ORDER BY enterprises DESC, code").df()


def hex_counts(con: duckdb.DuckDBPyConnection, res: int) -> pd.DataFrame:
    """Enterprises per H3 cell at a resolution (cells as uint64)."""
    df = con.execute("SELECT cell, enterprises, high_fire_risk, in_park FROM agg_hex WHERE res = ? "
                     "ORDER BY cell", [res]).df()
    df["cell"] = df["cell"].astype(np.uint64)
    return df


def import_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM import_file").df()


def import_issues(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pd.DataFrame:
    return con.execute("SELECT file, row, column_name, value, severity, reason FROM import_issue "
                       "ORDER BY severity, file, row LIMIT ?", [limit]).df()
