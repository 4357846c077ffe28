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


def score_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Stored enterprise scores with the attributes the lists filter and show."""
    return con.execute(
        """SELECT s.*, e.name, e.industry, e.address, e.employees, e.township_code, e.grid_id, e.park_id,
                  t.name AS township_name, t.county_code, c.name AS county_name, p.name AS park_name,
                  e.hazchem, e.dust, e.ammonia, e.confined_space, e.spraying, e.gas, e.special_equipment,
                  e.mixed_use, e.rented, e.high_fire_risk
           FROM enterprise_score s JOIN enterprise e USING (uscc)
           LEFT JOIN township t ON t.code = e.township_code
           LEFT JOIN county c ON c.code = t.county_code
           LEFT JOIN park p ON p.park_id = e.park_id
           ORDER BY s.score DESC, s.uscc"""
    ).df()


def township_areas(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored township area table with names."""
    return con.execute(
        """SELECT a.*, t.name, c.name AS county_name FROM area_township a
           JOIN township t ON t.code = a.key LEFT JOIN county c ON c.code = t.county_code
           ORDER BY a.index_rank, a.key"""
    ).df()


def township_listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Listed townships with names, most urgent level first."""
    return con.execute(
        """SELECT l.*, t.name, c.name AS county_name FROM listing_township l
           JOIN township t ON t.code = l.key LEFT JOIN county c ON c.code = t.county_code
           ORDER BY CASE l.level WHEN '市级' THEN 0 WHEN '县级' THEN 1 ELSE 2 END, l.index_rank"""
    ).df()


def hex_index(con: duckdb.DuckDBPyConnection, res: int) -> pd.DataFrame:
    """Area index per H3 cell at a resolution (cells as uint64), from the stored model outputs."""
    df = con.execute(f"SELECT key AS cell, index, enterprises FROM area_h3_r{int(res)} ORDER BY key").df()
    df["cell"] = df["cell"].astype(np.uint64)
    return df
