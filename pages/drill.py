"""Drill-down on the city map: city → county → township → grid → enterprise.

The level shown is one :class:`Drill` (a level and the key of its area), kept in the session and
in the URL as ``?area=<level>:<key>`` (a reload, a bookmark or a shared link opens it). Its
breadcrumbs (:func:`resolve`) are read from the tables: an enterprise's grid and township, a
grid's township, a township's county — a level the city lacks (no county, no grid) is left out.
Each level has its map (:meth:`Drill.view`, the views the exports draw) and what a click on it
offers next (:func:`offers`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from layers.spec import LayerSpec
    from reports.views import ViewRequest

#: The levels, top down.
LEVELS = ("city", "county", "township", "grid", "enterprise")
#: The URL parameter (and session key) holding the level shown.
URL_KEY = "area"


class DrillError(ValueError):
    """An area that is not in the database (an old link, a typed URL)."""


@dataclass(frozen=True)
class Drill:
    """The level shown and the key of its area (None for the city)."""

    level: str = "city"
    key: str | None = None

    @classmethod
    def parse(cls, text: str) -> Drill:
        """``"<level>:<key>"`` as :attr:`text` writes it ("" is the city); the key may itself
        hold colons. Raises :class:`DrillError` for anything else."""
        if not text:
            return cls()
        level, sep, key = text.partition(":")
        if not sep or not key or level not in LEVELS[1:]:
            raise DrillError(text)
        return cls(level, key)

    @property
    def text(self) -> str:
        return "" if self.key is None else f"{self.level}:{self.key}"

@dataclass(frozen=True)
class Crumb:
    """One breadcrumb: a level, its area's key (None for the city) and name."""

    level: str
    key: str | None
    name: str

    @property
    def drill(self) -> Drill:
        return Drill(self.level, self.key)


_LOOKUPS = {  # level -> its name and its parent's (level, key), one row by key
    "county": "SELECT name, NULL, NULL FROM county WHERE code = ?",
    "township": "SELECT name, 'county', county_code FROM township WHERE code = ?",
    "grid": "SELECT name, 'township', township_code FROM grid WHERE grid_id = ?",
    "enterprise": "SELECT name, CASE WHEN grid_id IS NOT NULL THEN 'grid' ELSE 'township' END, "
                  "coalesce(grid_id, township_code) FROM enterprise WHERE uscc = ?",
}


def resolve(con: duckdb.DuckDBPyConnection, drill: Drill) -> list[Crumb]:
    """The breadcrumbs from the city down to ``drill``'s area. Raises :class:`DrillError` when
    that area is not in the database; a parent that is missing (a township outside every
    county) ends the path there."""
    city = con.execute("SELECT value FROM meta WHERE key = 'city_name'").fetchone()
    path: list[Crumb] = []
    level, key = drill.level, drill.key
    while level != "city" and key is not None:
        row = con.execute(_LOOKUPS[level], [key]).fetchone()
        if row is None:
            if not path:
                raise DrillError(drill.text)
            break
        name, parent, parent_key = row
        path.append(Crumb(level, str(key), str(name) if name is not None else str(key)))
        level, key = (parent, parent_key) if parent is not None and parent_key is not None else ("city", None)
    path.append(Crumb("city", None, str(city[0]) if city and city[0] else ""))
    return path[::-1]


def level_view(path: list[Crumb], city: ViewRequest) -> ViewRequest:
    """The map of the deepest level in ``path``: the city's own request (its resolution,
    colouring, names, overlays) for the city and a county; a township's grids and enterprises;
    a grid's enterprises; an enterprise is shown in its grid (its township when it has none)."""
    areas = [c for c in path if c.level != "enterprise"]
    where = areas[-1]
    if where.level == "city":
        return city
    if where.level == "county":
        return replace(city, scope="county", key=where.key)
    return replace(city, scope=where.level, key=where.key, overlays=(), tiers=())


def at_level(path: list[Crumb], level: str) -> Crumb | None:
    """The crumb of ``level`` in ``path``, or None."""
    return next((c for c in path if c.level == level), None)


def offers(con: duckdb.DuckDBPyConnection, column: str | None, key: Any, uscc: str | None) -> list[Drill]:
    """The levels a click on the map offers to go into: an enterprise dot its file; a township
    its county and itself (a county is clicked anywhere inside one of its townships); a
    grid itself; a hexagon or a park nothing."""
    if uscc:
        return [Drill("enterprise", uscc)]
    if column == "township_code":
        row = con.execute("SELECT county_code FROM township WHERE code = ?", [str(key)]).fetchone()
        county = [Drill("county", str(row[0]))] if row and row[0] is not None else []
        return [*county, Drill("township", str(key))]
    if column == "grid_id":
        return [Drill("grid", str(key))]
    return []


def drill_specs(specs: list[LayerSpec], level: str) -> list[LayerSpec]:
    """``specs`` of a township's map with its grids filled (transparent) and pickable, so that a
    click anywhere inside a grid picks it; the enterprise dots, drawn above, keep their own
    clicks. Other levels' specs are returned as they are."""
    if level != "township":
        return list(specs)
    return [replace(s, pickable=True, vis={**s.vis, "filled": True, "get_fill_color": [255, 255, 255, 0]})
            if s.id == "grids" else s for s in specs]
