"""Per-enterprise measures as of a date, from the base tables.

Every record is filtered by its own date (found_on, date, ...) ``<= as_of``, and a hazard
counts as open at T if it was found on or before T and not rectified on or before T — so a
score as of T is the score the office would have seen on day T. Records dated later never
leak in.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

#: A date far enough back that "never inspected" ramps to the maximum.
NEVER_DAYS = 9999


def measures_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """One row per enterprise with every measure the model can read, as of ``as_of``.

    Columns: the enterprise flags and sizes, ``outside_park``; hazards ``open_general``,
    ``open_serious``, ``open_major``, ``overdue``, ``overdue_major``; ``found_12m`` and
    ``rectified_12m`` (hazards found in the last 12 months, and of those rectified by T);
    ``days_since_inspection`` (NEVER_DAYS if none); ``enforcement_12m``; ``repeat_categories_12m``; ``incidents_36m``, ``deaths_36m``.
    """
    return con.execute(
        """
        WITH t AS (SELECT ?::DATE AS d),
        hz AS (
          SELECT h.uscc,
                 count(*) FILTER (open AND level = '一般') AS open_general,
                 count(*) FILTER (open AND level = '较大') AS open_serious,
                 count(*) FILTER (open AND level = '重大') AS open_major,
                 count(*) FILTER (open AND deadline < (SELECT d FROM t)) AS overdue,
                 count(*) FILTER (open AND level = '重大' AND deadline < (SELECT d FROM t)) AS overdue_major,
                 count(*) FILTER (recent) AS found_12m,
                 count(*) FILTER (recent AND NOT open) AS rectified_12m
          FROM (SELECT uscc, level, deadline,
                       rectified_on IS NULL OR rectified_on > (SELECT d FROM t) AS open,
                       found_on > (SELECT d FROM t) - INTERVAL 365 DAY AS recent
                FROM hazard WHERE found_on <= (SELECT d FROM t)) h
          GROUP BY h.uscc),
        rep AS (
          SELECT uscc, count(*) AS repeat_categories_12m FROM (
            SELECT uscc, category FROM hazard
            WHERE found_on <= (SELECT d FROM t) AND found_on > (SELECT d FROM t) - INTERVAL 365 DAY
              AND category IS NOT NULL
            GROUP BY uscc, category HAVING count(*) >= 2)
          GROUP BY uscc),
        ins AS (
          SELECT uscc, max(date) AS last_inspection FROM inspection
          WHERE date <= (SELECT d FROM t) GROUP BY uscc),
        enf AS (
          SELECT uscc, count(*) AS enforcement_12m FROM enforcement
          WHERE date <= (SELECT d FROM t) AND date > (SELECT d FROM t) - INTERVAL 365 DAY
          GROUP BY uscc),
        inc AS (
          SELECT uscc, count(*) AS incidents_36m, sum(coalesce(deaths, 0)) AS deaths_36m FROM incident
          WHERE uscc IS NOT NULL AND date <= (SELECT d FROM t)
            AND date > (SELECT d FROM t) - INTERVAL 1095 DAY
          GROUP BY uscc)
        SELECT e.uscc, e.name, e.industry, e.township_code, e.grid_id, e.park_id,
               e.h3_r7, e.h3_r8, e.h3_r9,
               coalesce(e.hazchem, false) AS hazchem, coalesce(e.dust, false) AS dust,
               coalesce(e.ammonia, false) AS ammonia, coalesce(e.confined_space, false) AS confined_space,
               coalesce(e.spraying, false) AS spraying, coalesce(e.gas, false) AS gas,
               coalesce(e.special_equipment, false) AS special_equipment,
               coalesce(e.high_fire_risk, false) AS high_fire_risk,
               coalesce(e.employees, 0) AS employees, coalesce(e.mixed_use, false) AS mixed_use,
               coalesce(e.rented, false) AS rented, coalesce(e.illegal_building_m2, 0) AS illegal_building_m2,
               e.park_id IS NULL AS outside_park,
               coalesce(hz.open_general, 0) AS open_general, coalesce(hz.open_serious, 0) AS open_serious,
               coalesce(hz.open_major, 0) AS open_major, coalesce(hz.overdue, 0) AS overdue,
               coalesce(hz.overdue_major, 0) AS overdue_major, coalesce(hz.found_12m, 0) AS found_12m,
               coalesce(hz.rectified_12m, 0) AS rectified_12m,
               ins.last_inspection,
               coalesce(date_diff('day', ins.last_inspection, (SELECT d FROM t)), ?) AS days_since_inspection,
               coalesce(enf.enforcement_12m, 0) AS enforcement_12m,
               coalesce(rep.repeat_categories_12m, 0) AS repeat_categories_12m,
               coalesce(inc.incidents_36m, 0) AS incidents_36m, coalesce(inc.deaths_36m, 0) AS deaths_36m
        FROM enterprise e
        LEFT JOIN hz USING (uscc) LEFT JOIN rep USING (uscc) LEFT JOIN ins USING (uscc)
        LEFT JOIN enf USING (uscc) LEFT JOIN inc USING (uscc)
        ORDER BY e.uscc
        """,
        [as_of, NEVER_DAYS],
    ).df()


def incidents_in_window(con: duckdb.DuckDBPyConnection, as_of: dt.date, days: int = 365) -> pd.DataFrame:
    """Incidents in (as_of - days, as_of] with their area keys (those without an enterprise too)."""
    return con.execute(
        "SELECT id, uscc, township_code, grid_id, h3_r7, h3_r8, h3_r9, deaths FROM incident "
        "WHERE date <= ? AND date > ? - to_days(?)", [as_of, as_of, days]).df()
