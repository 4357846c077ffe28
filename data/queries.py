"""Read-side queries the pages and the CLI share (no SQL lives in pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from scoring.sql import hazard_open, hazard_rectified


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    """The one value of a query that returns one row (``SELECT count(*) …``)."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"no row from {sql!r}")
    return row[0]


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

    df = con.execute("SELECT code, name, county_code, ST_AsWKB(ST_SimplifyPreserveTopology(geom, ?)) AS wkb "
                     "FROM township ORDER BY code", [simplify_deg]).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def hex_counts(con: duckdb.DuckDBPyConnection, res: int) -> pd.DataFrame:
    """Enterprises per H3 cell at a resolution (cells as uint64)."""
    df = con.execute("SELECT cell, enterprises, high_fire_risk, in_park FROM agg_hex WHERE res = ? "
                     "ORDER BY cell", [res]).df()
    df["cell"] = df["cell"].astype(np.uint64)
    return df


def import_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM import_file").df()


def import_issues(con: duckdb.DuckDBPyConnection, limit: int | None = 1000) -> pd.DataFrame:
    """Import issues, errors first (``limit=None``: all of them, e.g. for a download)."""
    return con.execute("SELECT file, row, column_name, value, severity, reason FROM import_issue "
                       "ORDER BY severity, file, row LIMIT ?", [limit if limit is not None else 2**62]).df()


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


def rule_hits(con: duckdb.DuckDBPyConnection, uscc: str | None = None) -> pd.DataFrame:
    """The stored direct-rule hits (``direct_rule_hit``: rule, clause, triggering record), of one
    enterprise or of all, in their order (enterprise, the rules' order, record date: ``hit_no``)."""
    where, params = ("WHERE uscc = $u", {"u": uscc}) if uscc is not None else ("", {})
    return con.execute(f"SELECT * FROM direct_rule_hit {where} ORDER BY hit_no", params).df()


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


#: Hazard statuses in the order a closed loop moves through them.
HAZARD_STATUSES = ("整改中", "逾期", "已整改", "已销号")
#: Hazard status as of a date, derived from its dates (never stored).
HAZARD_STATUS_SQL = f"""CASE WHEN closed_on <= $t THEN '已销号' WHEN {hazard_rectified('$t')} THEN '已整改'
    WHEN deadline < $t THEN '逾期' ELSE '整改中' END"""
#: A hazard ``h`` open on the date ``$t`` (scoring.sql: the model's one definition).
OPEN_H = hazard_open("$t", "h")


def grid_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Grids with their township and manager, for pickers."""
    return con.execute(
        """SELECT g.grid_id, g.name, g.manager, g.phone, g.township_code, t.name AS township_name
           FROM grid g LEFT JOIN township t ON t.code = g.township_code ORDER BY g.grid_id"""
    ).df()


def grid_geometry(con: duckdb.DuckDBPyConnection, grid_id: str) -> pd.DataFrame:
    import shapely

    df = con.execute("SELECT grid_id AS code, name, ST_AsWKB(geom) AS wkb FROM grid WHERE grid_id = ?",
                     [grid_id]).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def grid_enterprises(con: duckdb.DuckDBPyConnection, grid_id: str) -> pd.DataFrame:
    """Enterprises of one grid with their stored score and tier."""
    return con.execute(
        """SELECT e.uscc, e.name, e.address, e.industry, e.employees, e.lon, e.lat,
                  s.score, s.tier, s.direct_rules
           FROM enterprise e LEFT JOIN enterprise_score s USING (uscc)
           WHERE e.grid_id = ? ORDER BY s.score DESC NULLS LAST, e.uscc""", [grid_id]).df()


def grid_hazards(con: duckdb.DuckDBPyConnection, grid_id: str, as_of: dt.date) -> pd.DataFrame:
    """Hazards of a grid's enterprises that are not yet rectified as of ``as_of``, with the
    enterprise's address and ``days_overdue`` (days from the deadline to ``as_of``: negative
    while it is still ahead, NULL without a deadline)."""
    return con.execute(
        f"""SELECT h.id, h.uscc, e.name, e.address, e.principal, e.phone,
                   h.found_on, h.level, h.category, h.description, h.department,
                   h.deadline, {HAZARD_STATUS_SQL} AS status, date_diff('day', h.deadline, $t) AS days_overdue
            FROM hazard h JOIN enterprise e USING (uscc)
            WHERE e.grid_id = $g AND {OPEN_H}
            ORDER BY h.deadline, h.id""", {"g": grid_id, "t": as_of}).df()


def enterprise_profile(con: duckdb.DuckDBPyConnection, uscc: str, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """一企一档: attributes, score parts, the direct rules that fired and the records behind them,
    hazards (with status), inspections, enforcement, incidents, and the site it shares with
    other enterprises (:func:`enterprise_site`). The score snapshots are the model's
    (``scoring.snapshots.enterprise_snapshots``): the pages add them."""
    p = {"u": uscc, "t": as_of}
    return {
        "enterprise": con.execute(
            """SELECT e.*, t.name AS township_name, g.name AS grid_name, g.manager, pk.name AS park_name
               FROM enterprise e LEFT JOIN township t ON t.code = e.township_code
               LEFT JOIN grid g ON g.grid_id = e.grid_id LEFT JOIN park pk ON pk.park_id = e.park_id
               WHERE e.uscc = $u""", {"u": uscc}).df(),
        "score": con.execute("SELECT * FROM enterprise_score WHERE uscc = $u", {"u": uscc}).df(),
        "rule_hits": rule_hits(con, uscc),
        "hazards": con.execute(
            f"""SELECT id, found_on, level, category, description, department, deadline, rectified_on,
                       closed_on, {HAZARD_STATUS_SQL} AS status
                FROM hazard WHERE uscc = $u AND found_on <= $t ORDER BY found_on DESC, id""", p).df(),
        "inspections": con.execute(
            "SELECT id, date, department, result FROM inspection WHERE uscc = $u AND date <= $t "
            "ORDER BY date DESC", p).df(),
        "enforcement": con.execute(
            "SELECT id, date, action, fine_10k_cny, department FROM enforcement WHERE uscc = $u AND date <= $t "
            "ORDER BY date DESC", p).df(),
        "incidents": con.execute(
            "SELECT id, date, kind, deaths, injuries, loss_10k_cny FROM incident WHERE uscc = $u AND date <= $t "
            "ORDER BY date DESC", p).df(),
        **enterprise_site(con, uscc),
    }


def hazards_between(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Hazards found in [start, end] with their status as of ``as_of`` and the enterprise's place."""
    return con.execute(
        f"""SELECT h.id, h.uscc, e.name, t.name AS township_name, h.found_on, h.level, h.category,
                   h.description, h.department, h.deadline, h.rectified_on, h.closed_on,
                   {HAZARD_STATUS_SQL} AS status
            FROM hazard h JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
            WHERE h.found_on BETWEEN $s AND $e ORDER BY h.found_on, h.id""",
        {"s": start, "e": end, "t": as_of}).df()


def overdue_hazards(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Every hazard past its deadline and not rectified as of ``as_of``, longest overdue first."""
    return con.execute(
        f"""SELECT h.id, h.uscc, e.name, t.name AS township_name, g.name AS grid_name, g.manager,
                  h.found_on, h.level, h.category, h.department, h.deadline,
                  date_diff('day', h.deadline, $t) AS days_overdue
           FROM hazard h JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
           LEFT JOIN grid g ON g.grid_id = e.grid_id
           WHERE {OPEN_H} AND h.deadline < $t
           ORDER BY days_overdue DESC, h.id""", {"t": as_of}).df()


def inspections_between(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    return con.execute(
        """SELECT i.id, i.uscc, e.name, t.name AS township_name, i.date, i.department, i.result
           FROM inspection i JOIN enterprise e USING (uscc) LEFT JOIN township t ON t.code = e.township_code
           WHERE i.date BETWEEN $s AND $e ORDER BY i.date, i.id""", {"s": start, "e": end}).df()


def enterprise_listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Enterprises listed for rectification (重大隐患挂牌督办) with their township."""
    return con.execute(
        """SELECT l.uscc, l.name, t.name AS township_name, l.level, l.reasons, l.deadline, l.delisting
           FROM listing_enterprise l LEFT JOIN township t ON t.code = l.township_code
           ORDER BY CASE l.level WHEN '市级' THEN 0 WHEN '县级' THEN 1 ELSE 2 END, l.uscc""").df()


#: The park hazard list form (小微园安全隐患整治清单), in the form's column order.
PARK_HAZARD_COLUMNS = ("序号", "园区名称", "发生位置（企业名称）", "安全隐患问题描述", "安全隐患类型", "整治责任单位",
                       "计划完成整治时间", "整治进度", "问题上报日期", "存在困难")


def park_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Parks with their stored area metrics and geometry."""
    import shapely

    df = con.execute(
        """SELECT p.park_id AS code, p.name, p.kind, p.operator, ST_AsWKB(p.geom) AS wkb, a.enterprises,
                  a.open_hazards, a.overdue, a.overdue_major, a.rectification_rate, a.index, a.index_rank
           FROM park p LEFT JOIN area_park a ON a.key = p.park_id ORDER BY a.index_rank, p.park_id"""
    ).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def park_hazard_list(con: duckdb.DuckDBPyConnection, park_id: str, since: dt.date, as_of: dt.date) -> pd.DataFrame:
    """A park's hazards found since ``since`` or still open, in the columns of the park form."""
    df = con.execute(
        f"""SELECT p.name AS "园区名称", e.name AS "发生位置（企业名称）", h.description AS "安全隐患问题描述",
                   h.category AS "安全隐患类型", h.department AS "整治责任单位", h.deadline AS "计划完成整治时间",
                   {HAZARD_STATUS_SQL} AS "整治进度", h.found_on AS "问题上报日期", NULL::VARCHAR AS "存在困难"
            FROM hazard h JOIN enterprise e USING (uscc) JOIN park p ON p.park_id = e.park_id
            WHERE e.park_id = $p AND h.found_on <= $t
              AND (h.found_on >= $since OR {hazard_open('$t', 'h', found=False)})
            ORDER BY h.found_on, h.id""", {"p": park_id, "since": since, "t": as_of}).df()
    df.insert(0, "序号", range(1, len(df) + 1))
    return df


def _with_geom(df: pd.DataFrame) -> pd.DataFrame:
    import shapely

    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def grid_geometries(con: duckdb.DuckDBPyConnection, simplify_deg: float = 0.0004) -> pd.DataFrame:
    """Every grid's id, name, manager and simplified geometry (the city map's grid layer)."""
    return _with_geom(con.execute(
        "SELECT grid_id AS code, name, manager, township_code, "
        "ST_AsWKB(ST_SimplifyPreserveTopology(geom, ?)) AS wkb FROM grid ORDER BY grid_id", [simplify_deg]).df())


def park_geometries(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _with_geom(con.execute(
        "SELECT park_id AS code, name, ST_AsWKB(geom) AS wkb FROM park ORDER BY park_id").df())


def enterprise_points(con: duckdb.DuckDBPyConnection, tiers: list[str], column: str | None = None,
                      keys: list[str] | None = None) -> pd.DataFrame:
    """Placed enterprises of the given tiers with their H3 r9 cell (uint64), for the map;
    optionally only those whose ``column`` (see :data:`AREA_COLUMNS`, or ``uscc``) is in ``keys``."""
    where = ""
    if column is not None:
        if column not in (*AREA_COLUMNS, "uscc"):
            raise ValueError(f"unknown area column {column!r}")
        where = f"AND list_contains($keys, e.{column})"
    df = con.execute(
        f"""SELECT e.uscc, e.name, e.lon, e.lat, e.h3_r9, s.tier, s.score
            FROM enterprise e JOIN enterprise_score s USING (uscc)
            WHERE e.lon IS NOT NULL AND list_contains($tiers, s.tier) {where}
            ORDER BY s.score DESC, e.uscc""",
        {"tiers": list(tiers), **({"keys": list(keys or [])} if column else {})}).df()
    df["h3_r9"] = df["h3_r9"].astype(np.uint64)
    return df


def open_hazards_by_enterprise(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Per placed enterprise: hazards found by ``as_of`` and not rectified, of them 重大, and overdue."""
    return con.execute(
        f"""SELECT e.uscc, e.name, e.lon, e.lat, count(*) AS open,
                  count(*) FILTER (h.level = '重大') AS major,
                  count(*) FILTER (h.deadline < $t) AS overdue
           FROM hazard h JOIN enterprise e USING (uscc)
           WHERE e.lon IS NOT NULL AND {OPEN_H}
           GROUP BY ALL ORDER BY major DESC, open DESC, e.uscc""", {"t": as_of}).df()


def incidents_between(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Incidents dated in [start, end] (coordinates as stored: WGS-84) with the enterprise name."""
    return con.execute(
        """SELECT i.id, i.date, i.lon, i.lat, i.kind, coalesce(i.deaths, 0) AS deaths,
                  coalesce(i.injuries, 0) AS injuries, e.name
           FROM incident i LEFT JOIN enterprise e USING (uscc)
           WHERE i.date BETWEEN $s AND $e ORDER BY i.date, i.id""", {"s": start, "e": end}).df()


#: Columns an area selection may filter enterprises by (never user text in SQL identifiers).
AREA_COLUMNS = ("township_code", "grid_id", "park_id", "h3_r7", "h3_r8", "h3_r9")


def enterprises_in(con: duckdb.DuckDBPyConnection, column: str, key: str | int) -> pd.DataFrame:
    """Scored enterprises of one area (a township, grid, park or H3 cell), highest score first."""
    if column not in AREA_COLUMNS:
        raise ValueError(f"unknown area column {column!r}")
    return con.execute(
        f"""SELECT e.uscc, e.name, t.name AS township_name, e.township_code, e.industry, s.tier, s.score
            FROM enterprise e JOIN enterprise_score s USING (uscc)
            LEFT JOIN township t ON t.code = e.township_code
            WHERE e.{column} = $k ORDER BY s.score DESC, e.uscc""", {"k": key}).df()


def enterprise_departments(con: duckdb.DuckDBPyConnection, as_of: dt.date, days: int = 365) -> pd.DataFrame:
    """For each enterprise, the departments that have it in hand as of ``as_of``: those that
    inspected it in the last ``days`` days or own one of its hazards not yet rectified."""
    return con.execute(
        f"""SELECT uscc, list(DISTINCT department ORDER BY department) AS departments FROM (
               SELECT uscc, department FROM inspection WHERE date <= $t AND date > $t - $d::INT
               UNION ALL
               SELECT uscc, department FROM hazard
               WHERE {hazard_open('$t')} AND department IS NOT NULL)
           GROUP BY uscc ORDER BY uscc""", {"t": as_of, "d": days}).df()


def hex_counts_in(con: duckdb.DuckDBPyConnection, res: int, column: str, keys: list[str]) -> pd.DataFrame:
    """Enterprises per H3 cell at a resolution, counting only those whose ``column`` is in ``keys``."""
    if column not in AREA_COLUMNS or int(res) not in (7, 8, 9):
        raise ValueError(f"unknown area column {column!r} or resolution {res!r}")
    df = con.execute(f"""SELECT h3_r{int(res)} AS cell, count(*) AS enterprises FROM enterprise
                         WHERE h3_r{int(res)} IS NOT NULL AND list_contains($k, {column})
                         GROUP BY 1 ORDER BY 1""", {"k": list(keys)}).df()
    df["cell"] = df["cell"].astype(np.uint64)
    return df


# --- sites shared by several enterprises (issue 17, tenants rolled up; scoring.sites) ------------

#: The columns of a site row the pages show, with its park's and township's names.
_SITE_SELECT = """SELECT s.site_key, s.site_id, s.basis, s.name, s.tenants, s.industries, s.top_uscc, s.top_name,
                         s.tenant_max, s.c_crowding, s.c_mixed, s.c_hazards, s.score, s.points_tier, s.top_tier,
                         s.tier, s.tier_from, s.open_site_hazards, s.open_site_major, s.landlord, s.landlord_uscc,
                         s.coordinator, s.coordinator_basis, s.park_id, p.name AS park_name,
                         s.township_code, t.name AS township_name
                  FROM site_score s LEFT JOIN park p ON p.park_id = s.park_id
                  LEFT JOIN township t ON t.code = s.township_code"""


def _or_empty(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """A query of the site tables; a database scored before they existed has none (no rows)."""
    try:
        return con.execute(sql, params).df()
    except duckdb.CatalogException:
        return pd.DataFrame()


def site_table(con: duckdb.DuckDBPyConnection, park_id: str | None = None) -> pd.DataFrame:
    """Sites shared by several enterprises (of one park, or all), highest site score first."""
    where = "WHERE s.park_id = $p" if park_id is not None else ""
    return _or_empty(con, f"{_SITE_SELECT} {where} ORDER BY s.score DESC, s.site_key",
                     {"p": park_id} if park_id is not None else {})


def site_tenants(con: duckdb.DuckDBPyConnection, site_key: str) -> pd.DataFrame:
    """The tenants of one site with their score and tier, highest first."""
    return _or_empty(con, """SELECT e.uscc, e.name, e.industry, e.landlord, s.score, s.tier
                             FROM site_tenant m JOIN enterprise e USING (uscc)
                             LEFT JOIN enterprise_score s USING (uscc)
                             WHERE m.site_key = $k ORDER BY s.score DESC NULLS LAST, e.uscc""", {"k": site_key})


def enterprise_site(con: duckdb.DuckDBPyConnection, uscc: str) -> dict[str, pd.DataFrame]:
    """The site an enterprise shares with others (``site``: no row when it shares none) and
    that site's ``site_tenants`` (itself included)."""
    site = _or_empty(con, f"{_SITE_SELECT} WHERE s.site_key IN (SELECT site_key FROM site_tenant WHERE uscc = $u)",
                     {"u": uscc})
    tenants = site_tenants(con, str(site["site_key"].iloc[0])) if len(site) else pd.DataFrame()
    return {"site": site, "site_tenants": tenants}
