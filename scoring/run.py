"""Write model outputs into the database: tables stamped with the model version and as-of date."""

from __future__ import annotations

import datetime as dt

import duckdb

from scoring.measures import measures_as_of
from scoring.model import Model, load_model, score


def default_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The data's own as-of date (from the import manifest), else its latest record date."""
    row = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
    if row and row[0]:
        return dt.date.fromisoformat(row[0])
    latest = con.execute(
        "SELECT max(d) FROM (SELECT max(found_on) AS d FROM hazard UNION ALL "
        "SELECT max(date) FROM inspection UNION ALL SELECT max(date) FROM incident)").fetchone()
    return latest[0] if latest and latest[0] else dt.date.today()


def write_scores(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
                 model: Model | None = None) -> int:
    """(Re)write ``enterprise_score`` for one as-of date; return the number of rows.

    One row per enterprise: ``as_of``, ``model_version``, one ``c_<factor>`` column per
    factor, ``score``, ``points_tier``, ``direct_rules``, ``tier``, ``inspect_every_days``.
    """
    model = model or load_model()
    as_of = as_of or default_as_of(con)
    scored = score(measures_as_of(con, as_of), model)
    scored.insert(0, "as_of", as_of)
    scored.insert(1, "model_version", model.version)
    con.register("_scored", scored)
    con.execute("CREATE OR REPLACE TABLE enterprise_score AS SELECT * FROM _scored")
    con.unregister("_scored")
    return len(scored)
