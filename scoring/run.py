"""Write model outputs into the database: tables stamped with the model version and as-of date.

``enterprise_score``  one row per enterprise: every factor's points, score, tier, reasons
``area_<level>``      metrics, indicators, index and rank for township, grid, park, h3_r7-r9
``listing_township``  townships listed for rectification, with level, reasons, deadline
``listing_enterprise`` enterprises listed (重大隐患挂牌督办), with level, reasons, deadline
``direct_rule_hit``   every direct rule that holds, per enterprise, with its clause and the
                      records that made it hold (``scoring.fired``)
``site_score``        sites shared by several enterprises: the score rolled up from the tenants
``site_tenant``       which enterprise is in which site (scoring.sites)
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from geo.measure import area_km2_of_wkb
from scoring.areas import area_metrics
from scoring.fired import rule_hits
from scoring.listing import apply_listing
from scoring.measures import incidents_in_window, measures_as_of, window_days
from scoring.model import Model, load_model, score
from scoring.sites import site_outputs

#: Area levels: name → (enterprise column, table of the areas' keys or None for hexagons).
AREA_LEVELS = {
    "township": ("township_code", "SELECT code AS key, ST_AsWKB(geom) AS wkb FROM township"),
    "grid": ("grid_id", "SELECT grid_id AS key, ST_AsWKB(geom) AS wkb FROM grid"),
    "park": ("park_id", "SELECT park_id AS key, ST_AsWKB(geom) AS wkb FROM park"),
    "h3_r7": ("h3_r7", None),
    "h3_r8": ("h3_r8", None),
    "h3_r9": ("h3_r9", None),
}


def default_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The data's own as-of date (from the import manifest), else its latest record date."""
    row = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
    if row and row[0]:
        return dt.date.fromisoformat(row[0])
    latest = con.execute(
        "SELECT max(d) FROM (SELECT max(found_on) AS d FROM hazard UNION ALL "
        "SELECT max(date) FROM inspection UNION ALL SELECT max(date) FROM incident)").fetchone()
    return latest[0] if latest and latest[0] else dt.date.today()


def _areas_of(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[pd.Series, pd.Series]:
    rows = con.execute(sql).fetchall()
    keys = pd.Series([k for k, _ in rows], dtype=object)
    return keys, pd.Series(area_km2_of_wkb([bytes(w) for _, w in rows]), index=keys.to_numpy())


def model_outputs(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model) -> dict[str, pd.DataFrame]:
    """Every output table of the model for one as-of date, as DataFrames."""
    import h3

    measures = measures_as_of(con, as_of, model)
    scored = score(measures, model)
    # score() keeps the measures' rows in their order: its columns join them by position.
    frame = measures.assign(score=scored["score"].to_numpy(), tier=scored["tier"].to_numpy())
    incidents = incidents_in_window(con, as_of, window_days(model, "incidents_12m"))
    out: dict[str, pd.DataFrame] = {"enterprise_score": scored,
                                    "direct_rule_hit": rule_hits(con, as_of, measures, model)}
    assert model.area_index is not None
    for level, (column, sql) in AREA_LEVELS.items():
        if sql:
            keys, km2 = _areas_of(con, sql)
            table = area_metrics(frame, incidents, column, model.area_index, all_keys=keys, area_km2=km2,
                                 model=model)
        else:
            table = area_metrics(frame, incidents, column, model.area_index, model=model)
            cells = table[column].astype(np.uint64)
            table["area_km2"] = [h3.cell_area(format(int(c), "x"), unit="km^2") for c in cells]
            table["density_per_km2"] = table["enterprises"] / table["area_km2"]
        out[f"area_{level}"] = table.rename(columns={column: "key"})
    if model.township_listing:
        tw = apply_listing(out["area_township"], model.township_listing, as_of, model)
        out["listing_township"] = tw[tw["listed"]].drop(columns=["listed"])
    if model.enterprise_listing:
        ent = apply_listing(frame[["uscc", "name", "township_code", "grid_id", "open_major", "overdue_major",
                                   "score", "tier"]], model.enterprise_listing, as_of, model)
        out["listing_enterprise"] = ent[ent["listed"]].drop(columns=["listed"])
    if model.site:
        out.update(site_outputs(con, as_of, model, scored))
    return out


def township_listing_at(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model) -> pd.DataFrame:
    """The township table with its listing decision (``listed``, ``level``, ``reasons``) as it
    would have been on ``as_of``: only the township level of :func:`model_outputs`."""
    assert model.area_index is not None and model.township_listing is not None
    measures = measures_as_of(con, as_of, model)
    frame = measures.merge(score(measures, model)[["uscc", "score", "tier"]], on="uscc")
    column, sql = AREA_LEVELS["township"]
    assert sql is not None
    keys, km2 = _areas_of(con, sql)
    incidents = incidents_in_window(con, as_of, window_days(model, "incidents_12m"))
    table = area_metrics(frame, incidents, column, model.area_index, all_keys=keys, area_km2=km2,
                         model=model).rename(columns={column: "key"})
    return apply_listing(table, model.township_listing, as_of, model)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (clipped to the month's last day)."""
    import calendar

    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def listing_history(con: duckdb.DuckDBPyConnection, dates: list[dt.date], model: Model) -> pd.DataFrame:
    """Listed townships on each of ``dates``: one row per (date, township) listed, with level."""
    rows = []
    for d in dates:
        tw = township_listing_at(con, d, model)
        rows.append(tw.loc[tw["listed"], ["key", "level", "index_rank"]].assign(as_of=d))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["key", "level", "index_rank", "as_of"])


def _write(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, as_of: dt.date, model: Model,
           append: bool = False) -> None:
    """Replace the table ``name`` by ``df`` (``append``: add its rows), stamped with the as-of
    date and model version."""
    import pyarrow as pa

    df = df.copy()
    df.insert(0, "as_of", as_of)
    df.insert(1, "model_version", model.version)
    # Registered as Arrow: DuckDB scans pandas' object columns of text a row at a time.
    con.register("_out", pa.Table.from_pandas(df, preserve_index=False))
    con.execute(f"INSERT INTO {name} SELECT * FROM _out" if append else
                f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _out")
    con.unregister("_out")


def write_scores(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
                 model: Model | None = None) -> int:
    """(Re)write every model output table for one as-of date; return the enterprises scored."""
    model = model or load_model()
    as_of = as_of or default_as_of(con)
    for name, df in model_outputs(con, as_of, model).items():
        _write(con, name, df, as_of, model)
    row = con.execute("SELECT count(*) FROM enterprise_score").fetchone()
    return int(row[0]) if row else 0
