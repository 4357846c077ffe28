"""The model's outputs as of a chosen day, for exports of a past period.

The database stores the model's outputs (scores, area indices, listings: ``scoring.run``) as
of one day, the data's as-of date. A briefing for June made in November must not show
November's scores, map and listings beside June's figures. :func:`outputs_as_of` gives a
connection on which those tables are the ones of the chosen day, computed by
``scoring.run.model_outputs`` from the same base tables, so every query of ``data.queries``
(the top targets, the listed townships, the map's hexagons and tiers) reads that day.

The base tables keep no history of their own: the enterprise register and the boundaries are
those imported, as of the data's date (the briefing says so, with that date).

A scoped connection (``data.access``: a 网格员's grid, masked people) is a set of temporary
views, which a new cursor would not have: the cursor gets the same views before anything is
computed, so the outputs come from the scope's rows alone, and the tables a grid scope hides
(``data.access.SUMMARIES``) stay empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from data.access import SUMMARIES
from scoring.model import load_model
from scoring.run import model_outputs


def stored_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day the model outputs ``con`` reads were computed for (None: there are none)."""
    try:
        row = con.execute("SELECT max(as_of) FROM enterprise_score").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row and row[0] else None


@contextmanager
def outputs_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection reading the model outputs as of ``as_of``.

    ``con`` itself when its outputs are already that day's; otherwise a cursor of the same
    database on which each output table (``enterprise_score``, ``area_*``, ``listing_*``) is
    replaced by the one computed as of ``as_of``, stamped like ``scoring.run.write_scores``
    stamps them. Nothing is written: the tables are views of the cursor alone (read-only
    databases work), and the cursor is closed on leaving. About 0.2 s for 3,000 enterprises.
    """
    if stored_as_of(con) == as_of:
        yield con
        return
    model = load_model()
    cursor = con.cursor()
    try:
        scope = con.execute("SELECT view_name, sql FROM duckdb_views() "
                            "WHERE temporary AND NOT internal AND schema_name = 'main'").fetchall()
        for _, sql in scope:  # the scope's views (each reads the real tables by their full names)
            cursor.execute(sql)
        scoped = {name for name, _ in scope}
        hidden = set(SUMMARIES) if "enterprise" in scoped else set()
        for name, df in model_outputs(cursor, as_of, model).items():
            if name in scoped:  # the scope's view of the stored table gives way to that day's
                cursor.execute(f"DROP VIEW temp.main.{name}")
            df = df.iloc[:0] if name in hidden else df.copy()
            df.insert(0, "as_of", as_of)
            df.insert(1, "model_version", model.version)
            cursor.register(name, df)
        yield cursor
    finally:
        cursor.close()

