"""The rule behind every red: which direct-determination rule fired for an enterprise, the
clause of the standard it stands on, and the ledger records that made it hold.

A direct rule holds when its measure reaches ``min`` (``scoring.model.score``). The records
behind it are the ones its measure counts as of T — for ``open_major`` the 重大 hazards not
rectified by T — read with the same SQL predicates the measure is generated from
(``scoring.measures.record_filter``), so the record list and the count cannot disagree. Each
record is cited under the clause its hazard category falls under
(``DirectRule.clause_for``); a rule whose measure is not a count or sum of a ledger has no
records and gives one row with the rule's own clause.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from scoring.measures import record_filter
from scoring.model import DirectRule, Measure, Model

#: Columns of ``direct_rule_hit``, one row per (enterprise, rule that holds, triggering record);
#: ``hit_no`` numbers the rows in their order (enterprise, the rules' order, record date, id).
HIT_COLUMNS = ("hit_no", "uscc", "rule_id", "rule_name", "tier", "measure", "value", "clause", "record_source",
               "record_id", "record_on", "record_level", "record_category")
_TEXT = ("uscc", "rule_id", "rule_name", "tier", "measure", "clause", "record_source", "record_id", "record_level",
         "record_category")


def _holds(measures: pd.DataFrame, rule: DirectRule) -> np.ndarray:
    """Where the rule holds, exactly as ``scoring.model.score`` decides it."""
    col = measures[rule.measure]
    values = col if pd.api.types.is_numeric_dtype(col.dtype) else pd.to_numeric(col, errors="coerce")
    return values.fillna(0).to_numpy(dtype=float) >= rule.min


def _declared(model: Model, measure: str) -> Measure | None:
    try:
        return model.measure(measure)
    except KeyError:
        return None


def records_sql(m: Measure) -> str:
    """SQL: the records measure ``m`` counts (or sums) as of ``$t`` for the enterprises of
    ``_held``: ``uscc``, ``id``, its date, and (hazards) level, category and description."""
    keep = [f"{m.date_column} <= $t", "uscc IN (SELECT uscc FROM _held)"]
    extra = record_filter(m, "$t")
    if extra:
        keep.append(extra)
    if m.aggregate == "sum":
        keep.append(f"coalesce({m.column}, 0) > 0")  # a record adding nothing did not make it hold
    hazard = m.source == "hazard"
    return (f"SELECT uscc, id AS record_id, {m.date_column} AS record_on, "
            f"{'level' if hazard else 'NULL'} AS record_level, "
            f"{'category' if hazard else 'NULL'} AS record_category, "
            f"{'description' if hazard else 'NULL'} AS record_description "
            f"FROM {m.source} WHERE {' AND '.join(keep)} ORDER BY uscc, record_on, record_id")


def rule_hits(con: duckdb.DuckDBPyConnection, as_of: dt.date, measures: pd.DataFrame, model: Model) -> pd.DataFrame:
    """Every direct rule that holds as of ``as_of``, per enterprise, with the records that made
    it hold: the rows of ``direct_rule_hit`` (:data:`HIT_COLUMNS`), ordered by enterprise, the
    rules' order in the model, then record date and id.

    ``measures``: :func:`scoring.measures.measures_as_of` of the same day (what the rules read).
    """
    parts: list[pd.DataFrame] = []
    for order, rule in enumerate(model.direct_rules):
        held = measures.loc[_holds(measures, rule), ["uscc", rule.measure]]
        if held.empty:
            continue
        value = dict(zip(held["uscc"], pd.to_numeric(held[rule.measure], errors="coerce").astype(float)))
        m = _declared(model, rule.measure)
        records = pd.DataFrame(columns=["uscc", "record_id", "record_on", "record_level", "record_category",
                                        "record_description"])
        if m is not None and m.aggregate in ("count", "sum") and m.per == "enterprise":
            import pyarrow as pa

            con.register("_held", pa.table({"uscc": pa.array(held["uscc"].astype(str).tolist(), pa.string())}))
            try:
                records = con.execute(records_sql(m), {"t": as_of}).df()
            finally:
                con.unregister("_held")
        # An enterprise the rule holds for with no record to show (a rule on the enterprise's own
        # columns) still gets its row: the rule and clause, no record.
        bare = sorted(set(held["uscc"]) - set(records["uscc"]))
        if bare:
            records = pd.concat([records, pd.DataFrame({"uscc": bare})], ignore_index=True)
        # Once per distinct (category, description): a city's thousands of hits share a few dozen.
        cited: dict[tuple[object, object], str] = {}
        clauses = [cited[k] if k in cited else cited.setdefault(k, rule.clause_for(*k))
                   for k in zip(records["record_category"], records["record_description"])]
        parts.append(pd.DataFrame({
            "uscc": records["uscc"].to_numpy(), "rule_id": rule.id, "rule_name": rule.name, "tier": rule.tier,
            "measure": rule.measure, "value": [value[u] for u in records["uscc"]], "clause": clauses,
            "record_source": m.source if m is not None and records["record_id"].notna().any() else None,
            "record_id": records["record_id"].to_numpy(), "record_on": pd.to_datetime(records["record_on"]),
            "record_level": records["record_level"].to_numpy(),
            "record_category": records["record_category"].to_numpy(), "_order": order,
        }))
    out = (pd.concat(parts, ignore_index=True) if parts
           else pd.DataFrame({c: pd.Series(dtype=object) for c in (*HIT_COLUMNS[1:], "_order")}))
    out.loc[out["record_id"].isna(), "record_source"] = None
    out = out.sort_values(["uscc", "_order", "record_on", "record_id"], kind="stable", na_position="last")
    out = out.drop(columns="_order").reset_index(drop=True)
    out["hit_no"] = np.arange(1, len(out) + 1, dtype=np.int64)
    out["value"] = out["value"].astype(float)
    out["record_on"] = pd.to_datetime(out["record_on"]).astype("datetime64[us]")
    for c in _TEXT:  # typed even when empty: the table's columns are VARCHAR on every build
        out[c] = out[c].astype("string")
    return out[list(HIT_COLUMNS)]


def hit_summary(hits: pd.DataFrame) -> pd.DataFrame:
    """Per enterprise with a hit: ``fired_rules`` (the names of the rules that hold),
    ``fired_records`` (the ids of the records behind them) and ``fired_clauses`` (the clauses
    cited), each a list in the order of :func:`rule_hits`, repeats left out (a list, so that a
    page or an export joins it with the separator of its language)."""
    def listed(values: pd.Series) -> list[str]:
        return list(dict.fromkeys(str(v) for v in values if pd.notna(v)))

    if hits.empty:
        return pd.DataFrame(columns=["uscc", "fired_rules", "fired_records", "fired_clauses"])
    g = hits.sort_values("hit_no").groupby("uscc", sort=False)
    return pd.DataFrame({"fired_rules": g["rule_name"].agg(listed), "fired_records": g["record_id"].agg(listed),
                         "fired_clauses": g["clause"].agg(listed)}).reset_index()


def with_hits(scores: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """``scores`` (rows with ``uscc``) with the lists of :func:`hit_summary` (empty lists where
    no rule fired), in the order of ``scores``."""
    out = scores.merge(hit_summary(hits), on="uscc", how="left")
    for c in ("fired_rules", "fired_records", "fired_clauses"):
        out[c] = [v if isinstance(v, list) else [] for v in out[c]]
    return out
