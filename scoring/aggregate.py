"""Area aggregates of enterprises: H3 hexagons (r7-r9) and townships.

Tables written (all rebuilt by :func:`build_aggregates`):

``agg_hex(res, cell, enterprises, high_fire_risk, in_park)``
    One row per non-empty hexagon; ``cell`` is the H3 index as UBIGINT.
``agg_township(code, name, county_code, county_name, kind, area_km2, enterprises,
high_fire_risk, in_park, grids, density_per_km2)``
    One row per township, including townships with no enterprise (count 0).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from geo.h3cells import RESOLUTIONS
from geo.measure import area_km2_of_wkb


def build_aggregates(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build every aggregate table from the current base tables."""
    hex_selects = " UNION ALL ".join(
        f"""SELECT {r}::TINYINT AS res, h3_r{r} AS cell, count(*)::INTEGER AS enterprises,
               count(*) FILTER (high_fire_risk)::INTEGER AS high_fire_risk,
               count(park_id)::INTEGER AS in_park
            FROM enterprise WHERE h3_r{r} IS NOT NULL GROUP BY h3_r{r}"""
        for r in RESOLUTIONS
    )
    con.execute(f"CREATE OR REPLACE TABLE agg_hex AS {hex_selects}")

    codes_wkb = con.execute("SELECT code, ST_AsWKB(geom) FROM township ORDER BY code").fetchall()
    areas = pa.table({
        "code": pa.array([c for c, _ in codes_wkb], pa.string()),
        "area_km2": pa.array(area_km2_of_wkb([bytes(w) for _, w in codes_wkb]), pa.float64()),
    })
    con.register("_tw_area", areas)
    con.execute(
        """CREATE OR REPLACE TABLE agg_township AS
        SELECT t.code, t.name, t.county_code, c.name AS county_name, t.kind, a.area_km2,
               coalesce(e.n, 0)::INTEGER AS enterprises,
               coalesce(e.hfr, 0)::INTEGER AS high_fire_risk,
               coalesce(e.park, 0)::INTEGER AS in_park,
               coalesce(g.n, 0)::INTEGER AS grids,
               coalesce(e.n, 0) / nullif(a.area_km2, 0) AS density_per_km2
        FROM township t
        LEFT JOIN county c ON c.code = t.county_code
        LEFT JOIN _tw_area a ON a.code = t.code
        LEFT JOIN (SELECT township_code, count(*) AS n, count(*) FILTER (high_fire_risk) AS hfr,
                          count(park_id) AS park
                   FROM enterprise GROUP BY township_code) e ON e.township_code = t.code
        LEFT JOIN (SELECT township_code, count(*) AS n FROM grid GROUP BY township_code) g
               ON g.township_code = t.code
        ORDER BY t.code"""
    )
    con.unregister("_tw_area")
