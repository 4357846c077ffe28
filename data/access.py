"""Who may read which rows, enforced where data is queried.

A connection is *scoped* by creating temporary views that shadow the tables of the same name:
DuckDB resolves an unqualified table name to a temporary view first, so every query of the
app (``data.queries``, the ledgers, the exports) reads through the scope without knowing it.
Only a name qualified with the database's catalog reaches a real table, and the app writes
none (tests/test_security.py checks both).

Scopes:

- a **grid** (网格员): enterprises of that grid and everything about them (scores, hazards,
  inspections, enforcement, incidents, listings, the shared sites they are in — whose other
  tenants stay hidden when they are in other grids), that grid's own row; tables that summarise
  other grids (area tables, aggregates, the township listing, the import report) are empty;
- **masked** people (roles that do not need them): grid managers' names and phone numbers
  shown as 张** and 138****5678.
"""

from __future__ import annotations

from typing import Protocol

import duckdb

from data.queries import scalar


class User(Protocol):
    """What a scope needs of a logged-in user (``riskmap.accounts.User``; data imports
    nothing from the app above it)."""

    @property
    def role(self) -> str: ...

    @property
    def grid_id(self) -> str | None: ...

    def can(self, permission: str) -> bool: ...

#: Tables that hold rows of one enterprise, through its credit code.
BY_ENTERPRISE = ("enterprise_score", "hazard", "inspection", "enforcement", "direct_rule_hit", "site_tenant")
#: Tables that summarise many grids: hidden from a grid scope.
SUMMARIES = ("area_township", "area_park", "area_h3_r7", "area_h3_r8", "area_h3_r9", "agg_hex", "agg_township",
             "listing_township", "import_file", "import_issue", "inspector")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary").fetchall()}


def mask_name(name: str | None) -> str | None:
    """张三丰 -> 张**; keeps the family name only."""
    return None if name is None else (name[:1] + "*" * max(1, len(name) - 1))


def mask_phone(phone: str | None) -> str | None:
    """13812345678 -> 138****5678; short numbers keep only their last two digits."""
    if phone is None:
        return None
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "*" * max(0, len(digits) - 2) + digits[-2:]


MASK_NAME_SQL = "CASE WHEN {c} IS NULL THEN NULL ELSE left({c}, 1) || repeat('*', greatest(length({c}) - 1, 1)) END"
MASK_PHONE_SQL = ("CASE WHEN {c} IS NULL THEN NULL WHEN length(trim({c})) >= 8 "
                  "THEN left(trim({c}), 3) || '****' || right(trim({c}), 4) "
                  "ELSE repeat('*', greatest(length(trim({c})) - 2, 0)) || right(trim({c}), 2) END")


def user_scope(user: User | None) -> tuple[str | None, bool]:
    """What ``user`` may see, as :func:`scope_connection` takes it: (the grid of a 网格员,
    whether people are masked). Nobody logged in sees people masked."""
    grid = user.grid_id if user is not None and user.role == "grid" else None
    return grid, user is None or not user.can("people")


def data_scope(user: User | None) -> str:
    """:func:`user_scope` as a string: the part of a cache key that says whose data it is."""
    grid, mask = user_scope(user)
    return f"{grid or ''}|{int(mask)}"


def scope_connection(con: duckdb.DuckDBPyConnection, grid_id: str | None = None,
                     mask_people: bool = False) -> duckdb.DuckDBPyConnection:
    """A new connection on ``con``'s database that sees only what the scope allows.

    Parameters
    ----------
    grid_id : the grid a 网格员 may see (None: every grid)
    mask_people : show grid managers' names and phones masked
    """
    scoped = con.cursor()
    db = scalar(scoped, "SELECT current_database()")
    real = {t: f'"{db}".main.{t}' for t in _tables(scoped)}
    views: dict[str, str] = {}
    if grid_id is not None:
        if not scalar(scoped, f"SELECT count(*) FROM {real['grid']} WHERE grid_id = ?", [grid_id]):
            raise PermissionError(f"no grid {grid_id!r}")
        g = _lit(grid_id)
        mine = f"(SELECT uscc FROM {real['enterprise']} WHERE grid_id = {g})"
        views["enterprise"] = f"SELECT * FROM {real['enterprise']} WHERE grid_id = {g}"
        views["grid"] = f"SELECT * FROM {real['grid']} WHERE grid_id = {g}"
        for t in BY_ENTERPRISE:
            if t in real:
                views[t] = f"SELECT * FROM {real[t]} WHERE uscc IN {mine}"
        views["incident"] = f"SELECT * FROM {real['incident']} WHERE grid_id = {g} OR uscc IN {mine}"
        if "recheck" in real:  # re-checks of the grid's own hazards
            views["recheck"] = (f"SELECT * FROM {real['recheck']} WHERE hazard_id IN "
                                f"(SELECT id FROM {real['hazard']} WHERE uscc IN {mine})")
        if "listing_enterprise" in real:
            views["listing_enterprise"] = f"SELECT * FROM {real['listing_enterprise']} WHERE uscc IN {mine}"
        if "site_score" in real and "site_tenant" in real:  # the sites their enterprises are in
            views["site_score"] = (f"SELECT * FROM {real['site_score']} WHERE site_key IN "
                                   f"(SELECT site_key FROM {real['site_tenant']} WHERE uscc IN {mine})")
        if "area_grid" in real:
            views["area_grid"] = f"SELECT * FROM {real['area_grid']} WHERE key = {g}"
        for t in SUMMARIES:
            if t in real:
                views[t] = f"SELECT * FROM {real[t]} WHERE false"
    if mask_people:
        # Grid managers and inspectors: the people whose names and phones are listed.
        for table, person in (("grid", "manager"), ("inspector", "name")):
            if table not in real:
                continue
            base = views.get(table, f"SELECT * FROM {real[table]}")
            masked = (f"* REPLACE ({MASK_NAME_SQL.format(c=person)} AS {person}, "
                      f"{MASK_PHONE_SQL.format(c='phone')} AS phone)")
            views[table] = f"SELECT {masked} FROM ({base})"
    for name, sql in views.items():
        scoped.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    return scoped
