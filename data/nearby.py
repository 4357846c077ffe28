"""What lies around a point (周边查询): enterprises by tier, open hazards, parks and grids within a
radius, each with its distance in metres — "what is near this fire".

The database narrows the candidates to the box around the circle (a range on lon/lat, a
bounding-box test on geometries); ``geo.nearby`` measures them, vectorised. Names and phones
of grid managers are as the connection shows them: a connection scoped for a role that must
not see them (``data.access``) has them masked already.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import duckdb
import pandas as pd

from data.queries import HAZARD_STATUS_SQL, OPEN_H
from geo.nearby import bbox_deg, distances_m, polygon_distances_m

#: The radius a user chooses, metres: (smallest, largest, default, step).
RADIUS_M = (200, 5000, 1000, 100)
#: Hazard levels, gravest first (how a list of equally near hazards is ordered).
LEVEL_ORDER = {"重大": 0, "较大": 1, "一般": 2}
#: The lists a query gives, as shown and exported: per list, its columns as (column of the
#: frame, key of its header in ``riskmap.i18n``); distances in whole metres.
LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "enterprises": (("distance_m", "col_distance_m"), ("name", "col_ent_name"), ("tier", "col_tier"),
                    ("score", "col_score"), ("open_hazards", "col_open"), ("industry", "col_industry"),
                    ("address", "col_address"), ("grid_name", "col_grid"), ("uscc", "col_uscc")),
    "hazards": (("distance_m", "col_distance_m"), ("name", "col_ent_name"), ("level", "col_hz_level"),
                ("category", "col_category"), ("description", "col_description"), ("department", "col_department"),
                ("deadline", "col_deadline"), ("status", "col_status")),
    "parks": (("distance_m", "col_distance_m"), ("boundary_m", "col_edge_m"), ("name", "col_park"),
              ("kind", "col_kind_park"), ("operator", "col_operator"), ("contains_point", "col_inside")),
    "grids": (("distance_m", "col_distance_m"), ("name", "col_grid"), ("township_name", "col_name"),
              ("manager", "col_manager"), ("phone", "col_phone"), ("contains_point", "col_inside")),
}


@dataclass(frozen=True)
class Around:
    """What :func:`around` found. Every frame is sorted nearest first; ``distance_m`` is metres.

    Attributes
    ----------
    enterprises : uscc, name, address, industry, lon, lat, township_name, grid_id, grid_name,
        park_id, tier (None if unscored), score (NaN if unscored), open_hazards, distance_m
    hazards : open hazards of those enterprises: id, uscc, name (the enterprise), level,
        category, description, department, found_on, deadline, status, distance_m
    parks : parks meeting the circle: park_id, name, kind, operator, contains_point,
        distance_m (0 inside), boundary_m (to its edge, from inside or out), geom
    grids : grids meeting the circle, the one holding the point first: grid_id, name,
        township_name, manager, phone, contains_point, distance_m, geom
    """

    lon: float
    lat: float
    radius_m: float
    as_of: dt.date
    enterprises: pd.DataFrame
    hazards: pd.DataFrame
    parks: pd.DataFrame
    grids: pd.DataFrame

    @property
    def grid(self) -> pd.DataFrame:
        """The grid(s) holding the point (more than one only on a shared edge)."""
        return self.grids[self.grids["contains_point"]]

    def lists(self) -> dict[str, pd.DataFrame]:
        """The frames of :data:`LISTS`, their columns named by header key, distances rounded to
        whole metres and scores to one decimal."""
        out = {}
        for name, columns in LISTS.items():
            frame = getattr(self, name)
            shown = pd.DataFrame({key: frame[col] for col, key in columns})
            for col, key in columns:
                if col.endswith("_m"):
                    shown[key] = frame[col].round().astype(int)
            if "col_score" in shown:
                shown["col_score"] = shown["col_score"].round(1)
            out[name] = shown
        return out

    def tier_counts(self, tiers: list[str]) -> dict[str, int]:
        """Enterprises within the radius per tier, in the order of ``tiers``."""
        counts = self.enterprises["tier"].value_counts()
        return {t: int(counts.get(t, 0)) for t in tiers}


def _text_or_none(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with missing text as None, not NaN (so that ``name or "—"`` reads as it says)."""
    text = [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]
    return df.assign(**{c: df[c].astype(object).where(df[c].notna(), None) for c in text})


def _check(lon: float, lat: float, radius_m: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise ValueError(f"not a WGS-84 point: {lon!r}, {lat!r}")
    if not (math.isfinite(radius_m) and 0 < radius_m <= RADIUS_M[1]):
        raise ValueError(f"radius {radius_m!r} m: between 0 and {RADIUS_M[1]} m")


def _areas(con: duckdb.DuckDBPyConnection, sql: str, box: tuple[float, float, float, float], lon: float,
           lat: float, radius_m: float, first: str) -> pd.DataFrame:
    """Polygons of ``sql`` (with a ``wkb`` column and ``$x0 … $y1`` for the box) that meet the circle."""
    import shapely

    df = con.execute(sql, dict(zip(("x0", "y0", "x1", "y1"), box))).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    distance, boundary, contains = polygon_distances_m(lon, lat, df["geom"].to_numpy())
    df = df.assign(contains_point=contains, distance_m=distance, boundary_m=boundary)
    df = df[df["distance_m"] <= radius_m]
    return df.sort_values(["contains_point", "distance_m", first], ascending=[False, True, True],
                          kind="mergesort").reset_index(drop=True)


def around(con: duckdb.DuckDBPyConnection, lon: float, lat: float, radius_m: float, as_of: dt.date) -> Around:
    """Everything within ``radius_m`` metres of a point, as of a date.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        With spatial loaded; scoped or not (``data.access.scope_connection``).
    lon, lat : float
        The point, WGS-84 degrees.
    radius_m : float
        Metres, up to ``RADIUS_M[1]``. An enterprise exactly on the circle is within it.
    as_of : datetime.date
        Hazards open on this date (found by it, not rectified by it).

    Returns
    -------
    Around
    """
    lon, lat, radius_m = float(lon), float(lat), float(radius_m)
    _check(lon, lat, radius_m)
    box = bbox_deg(lon, lat, radius_m)
    near = con.execute(
        """SELECT e.uscc, e.name, e.address, e.industry, e.lon, e.lat, t.name AS township_name,
                  e.grid_id, g.name AS grid_name, e.park_id, s.tier, s.score
           FROM enterprise e LEFT JOIN enterprise_score s USING (uscc)
           LEFT JOIN township t ON t.code = e.township_code LEFT JOIN grid g ON g.grid_id = e.grid_id
           WHERE e.lon BETWEEN $x0 AND $x1 AND e.lat BETWEEN $y0 AND $y1""",
        dict(zip(("x0", "y0", "x1", "y1"), box))).df()
    near["distance_m"] = distances_m(lon, lat, near["lon"], near["lat"])
    near = near[near["distance_m"] <= radius_m]
    hazards = con.execute(
        f"""SELECT h.id, h.uscc, h.level, h.category, h.description, h.department, h.found_on, h.deadline,
                   {HAZARD_STATUS_SQL} AS status
            FROM hazard h WHERE list_contains($u, h.uscc) AND {OPEN_H}""",
        {"u": near["uscc"].tolist(), "t": as_of}).df()
    hazards = hazards.merge(near[["uscc", "name", "distance_m"]], on="uscc")
    hazards = hazards.assign(_level=hazards["level"].map(LEVEL_ORDER).fillna(len(LEVEL_ORDER)))
    hazards = (hazards.sort_values(["distance_m", "_level", "deadline", "id"], kind="mergesort")
               .drop(columns="_level").reset_index(drop=True))
    hazards = hazards[["id", "uscc", "name", "level", "category", "description", "department", "found_on",
                       "deadline", "status", "distance_m"]]
    open_counts = hazards.groupby("uscc").size()
    near = near.assign(open_hazards=near["uscc"].map(open_counts).fillna(0).astype(int))
    near = near.sort_values(["distance_m", "uscc"], kind="mergesort").reset_index(drop=True)
    parks = _areas(con, """SELECT park_id, name, kind, operator, ST_AsWKB(geom) AS wkb FROM park
                           WHERE geom IS NOT NULL AND ST_Intersects(geom, ST_MakeEnvelope($x0, $y0, $x1, $y1))""",
                   box, lon, lat, radius_m, "park_id")
    grids = _areas(con, """SELECT g.grid_id, g.name, t.name AS township_name, g.manager, g.phone,
                                  ST_AsWKB(g.geom) AS wkb
                           FROM grid g LEFT JOIN township t ON t.code = g.township_code
                           WHERE g.geom IS NOT NULL
                             AND ST_Intersects(g.geom, ST_MakeEnvelope($x0, $y0, $x1, $y1))""",
                   box, lon, lat, radius_m, "grid_id").drop(columns="boundary_m")
    return Around(lon, lat, radius_m, as_of, *map(_text_or_none, (near, hazards, parks, grids)))


def incident_choices(con: duckdb.DuckDBPyConnection, as_of: dt.date, limit: int = 1000) -> pd.DataFrame:
    """Incidents to start a query from, latest first: id, date, kind, deaths, injuries, name
    (the enterprise, if any), lon, lat (WGS-84); only those dated by ``as_of`` and placed."""
    return _text_or_none(con.execute(
        """SELECT i.id, i.date, i.kind, coalesce(i.deaths, 0) AS deaths, coalesce(i.injuries, 0) AS injuries,
                  e.name, i.lon, i.lat
           FROM incident i LEFT JOIN enterprise e USING (uscc)
           WHERE i.date <= $t AND i.lon IS NOT NULL AND i.lat IS NOT NULL
           ORDER BY i.date DESC, i.id LIMIT $n""", {"t": as_of, "n": int(limit)}).df())


def start_point(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[float, float, str | None] | None:
    """Where a query starts when nobody has chosen a point: (lon, lat, incident id) of the latest
    incident by ``as_of``, else (lon, lat, None) at the median of the placed enterprises'
    coordinates; None in a city with neither."""
    latest = incident_choices(con, as_of, limit=1)
    if len(latest):
        return float(latest["lon"].iloc[0]), float(latest["lat"].iloc[0]), str(latest["id"].iloc[0])
    row = con.execute("SELECT median(lon), median(lat) FROM enterprise "
                      "WHERE lon IS NOT NULL AND lat IS NOT NULL").fetchone()
    return (float(row[0]), float(row[1]), None) if row and row[0] is not None else None
