"""Closures that are checked, as tables people read (issue 17, part 3): the flagged closures
with their reasons in words, the re-inspection sample, and the escalation ladder. Labels in the
reader's language (``riskmap.i18n``); shared by 隐患闭环, the 交办清单 and the CLI."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from riskmap.i18n import t, value
from scoring.closures import FLAG_RULES, closure_flags, closures_between, scores_at_found_and_closed
from scoring.model import Model


def flag_reason(rule: str, v: float, threshold: float, level: str, lang: str = "zh",
                share: float = float("nan")) -> str:
    """One flag in one sentence: what the closure measured against its rule's threshold."""
    return t(f"cl_flag_{rule}", lang, value=v, threshold=threshold, level=value(level, lang),
             share=f"{share:.0%}" if share == share else "—")


def flagged_closures(con: duckdb.DuckDBPyConnection, model: Model, as_of: dt.date) -> pd.DataFrame:
    """The closures of ``[closures] window_days`` ending on ``as_of`` that a rule flags, one row
    per closure: its columns, ``rules`` (the rule ids, in :data:`FLAG_RULES` order), and the
    numbers behind each (``flags``: a list of (rule, value, threshold, share)); by id."""
    cfg = model.closures
    if cfg is None:
        return pd.DataFrame()
    closures = closures_between(con, as_of, cfg.window_days)
    scores = scores_at_found_and_closed(con, closures, model)
    flags = closure_flags(closures, cfg, scores)
    grouped = flags.groupby("id", sort=True)
    out = closures.set_index("id").loc[list(grouped.groups)].reset_index()
    out["rules"] = [tuple(g["rule"]) for _, g in grouped]
    out["flags"] = [list(zip(g["rule"], g["value"], g["threshold"], g["share"])) for _, g in grouped]
    return out.merge(scores, on="id", how="left")


def flag_table(flagged: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """:func:`flagged_closures` as a table with the reasons in words (one line per rule)."""
    def tr(key: str) -> str:
        return t(key, lang)

    if flagged.empty:
        return pd.DataFrame(columns=[tr(k) for k in ("col_hazard_id", "col_ent_name", "col_name", "col_hz_level",
                                                     "col_department", "col_found", "col_closed", "cl_col_reason")])
    return pd.DataFrame({
        tr("col_hazard_id"): flagged["id"], tr("col_ent_name"): flagged["name"],
        tr("col_name"): flagged["township_name"], tr("col_hz_level"): flagged["level"],
        tr("col_department"): flagged["department"], tr("col_found"): flagged["found_on"],
        tr("col_closed"): flagged["closed_on"],
        tr("cl_col_reason"): ["；".join(flag_reason(r, v, th, lv, lang, sh) for r, v, th, sh in fl)
                              for fl, lv in zip(flagged["flags"], flagged["level"])],
    })


def rule_counts(flagged: pd.DataFrame) -> dict[str, int]:
    """How many closures each rule flags (every rule named, zeros included)."""
    counts = {r: 0 for r in FLAG_RULES}
    for rules in flagged.get("rules", []):
        for r in rules:
            counts[r] += 1
    return counts


def ladder_table(rows: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The escalation ladder (``riskmap.closures.ladder``'s rows) as a table: the hazard, how long
    overdue, the step proposed and its date, what is confirmed, the next step and its date."""
    def tr(key: str) -> str:
        return t(key, lang)

    status = [tr("cl_awaiting") if p else tr("cl_done") if c else "" for p, c in
              zip(rows["proposed"], rows["confirmed_name"])]
    return pd.DataFrame({
        tr("col_hazard_id"): rows["id"], tr("col_ent_name"): rows["name"], tr("col_name"): rows["township_name"],
        tr("col_hz_level"): rows["level"], tr("col_department"): rows["department"],
        tr("col_deadline"): rows["deadline"], tr("col_overdue_days"): rows["days_overdue"],
        tr("cl_col_step"): [value(x, lang) for x in rows["step_name"]], tr("cl_col_step_on"): rows["step_on"],
        tr("cl_col_status"): status, tr("cl_col_confirmed"): [value(x, lang) for x in rows["confirmed_name"]],
        tr("cl_col_next"): [value(x, lang) for x in rows["next_name"]], tr("cl_col_next_on"): rows["next_on"],
    })


def sample_table(rows: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The re-inspection sample as a work list: stratum, hazard, enterprise, dates."""
    def tr(key: str) -> str:
        return t(key, lang)

    return pd.DataFrame({
        tr("cl_col_stratum"): rows["stratum"], tr("col_hazard_id"): rows["id"], tr("col_ent_name"): rows["name"],
        tr("col_name"): rows["township_name"], tr("col_hz_level"): rows["level"],
        tr("col_department"): rows["department"], tr("col_found"): rows["found_on"],
        tr("col_closed"): rows["closed_on"],
    })
