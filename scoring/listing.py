"""挂牌督办: which townships and enterprises are listed, at what level, and why — in words."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scoring.model import LEVEL_ORDER, Listing, ListingRule, Model, load_model, text_words

#: How each indicator is said in a reason; {v} is the value, {b} the rule's bound; a window is
#: quoted from the model's measures as its texts are (``{incidents_12m.window_text}``).
PHRASES = {
    "index_rank": "区域风险指数 {index:.1f}，居全市第 {v:g} 位（前 {b:g} 位挂牌）",
    "overdue_major": "逾期未整改重大隐患 {v:g} 项（{b:g} 项及以上挂牌）",
    "open_major": "未整改重大隐患 {v:g} 项（{b:g} 项及以上挂牌）",
    "incidents_12m": "近 {incidents_12m.window_text}发生火灾和事故 {v:g} 起（{b:g} 起及以上挂牌）",
    "inspection_coverage": "近 {inspection_coverage.window_text}检查覆盖率 {v:.0%}（不高于 {b:.0%} 挂牌）",
}


def reason(rule: ListingRule, row: Mapping[str, Any], model: Model | None = None) -> str:
    """One sentence naming the rule and the numbers that triggered it (windows from ``model``,
    the shipped one if not given)."""
    bound = rule.min if rule.min is not None else rule.max
    template = PHRASES.get(rule.indicator, "{name}：{indicator} = {v:g}")
    words = _words(model or load_model()) if _QUOTES_MEASURE.search(template) else {}
    extra = {"index": row.get("index", float("nan")), "name": rule.name, "indicator": rule.indicator}
    return f"{rule.name}：" + template.format(v=float(row[rule.indicator]), b=float(bound or 0),
                                             **{**words, **extra})


_QUOTES_MEASURE = re.compile(r"\{[a-z_0-9]+\.")


def _words(model: Model) -> dict[str, object]:
    return text_words(model.declared_measures, model.tiers)


def apply_listing(table: pd.DataFrame, listing: Listing, as_of: dt.date, model: Model | None = None) -> pd.DataFrame:
    """Evaluate the listing rules on every row of ``table`` (one row per township/enterprise).

    Adds ``listed``, ``level`` (the highest level among the rules that hold), ``rules``
    (ids), ``reasons`` (sentences joined by "；"), ``deadline`` and ``delisting``. Rules are
    evaluated as column masks; sentences are written only for the rows they concern. The
    windows the sentences quote come from ``model`` (the shipped one if not given).
    """
    model = model or load_model()
    out = table.copy()
    n = len(out)
    ids: list[list[str]] = [[] for _ in range(n)]
    reasons: list[list[str]] = [[] for _ in range(n)]
    rank = np.full(n, len(LEVEL_ORDER))  # lower is higher; len = not listed
    index = out["index"].to_numpy() if "index" in out else np.full(n, np.nan)
    for rule in listing.rules:
        v = pd.to_numeric(out[rule.indicator], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hit = v >= rule.bound if rule.min is not None else v <= rule.bound
        hit &= ~np.isnan(v)  # no data, no listing
        rank = np.where(hit, np.minimum(rank, LEVEL_ORDER.index(rule.level)), rank)
        for i in np.flatnonzero(hit):
            ids[i].append(rule.id)
            # The two numbers a sentence quotes, not the row (.iloc per row cost 1.9 s for 20,000 listings).
            reasons[i].append(reason(rule, {rule.indicator: v[i], "index": index[i]}, model))
    listed = rank < len(LEVEL_ORDER)
    deadline = as_of + dt.timedelta(days=listing.deadline_days)
    out["listed"] = listed
    out["level"] = [LEVEL_ORDER[r] if ok else None for r, ok in zip(rank, listed)]
    out["rules"] = [";".join(x) for x in ids]
    out["reasons"] = ["；".join(x) for x in reasons]
    out["deadline"] = [deadline if ok else None for ok in listed]
    out["delisting"] = [listing.delisting if ok else "" for ok in listed]
    return out


def compare_listings(before: pd.DataFrame, after: pd.DataFrame, key: str) -> pd.DataFrame:
    """Listing status between two as-of dates: 新挂牌 / 继续挂牌 / 摘牌 (unlisted both times: left out)."""
    a = before.set_index(key)["listed"]
    b = after.set_index(key)["listed"]
    both = pd.DataFrame({"before": a, "after": b}).fillna(False)
    status = pd.Series(None, index=both.index, dtype=object)
    status[~both["before"] & both["after"]] = "新挂牌"
    status[both["before"] & both["after"]] = "继续挂牌"
    status[both["before"] & ~both["after"]] = "摘牌"
    out = both.assign(status=status).dropna(subset=["status"]).reset_index()
    return out.rename(columns={"index": key})
