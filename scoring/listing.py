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


#: The same in English. The rule's own name, a word of the city's config, is left out: each
#: sentence says what the rule tests and where its bound lies.
PHRASES_EN = {
    "index_rank": "area risk index {index:.1f}, ranked {v:g} in the city (the top {b:g} are listed)",
    "overdue_major": "{v:g} major hazards overdue (listed at {b:g} or more)",
    "open_major": "{v:g} major hazards not rectified (listed at {b:g} or more)",
    "incidents_12m": "{v:g} fires and accidents in the last {incidents_12m.window_text_en} "
                     "(listed at {b:g} or more)",
    "inspection_coverage": "inspection coverage {v:.0%} in the last {inspection_coverage.window_text_en} "
                           "(listed at {b:.0%} or less)",
}


def reason(rule: ListingRule, row: Mapping[str, Any], model: Model | None = None, lang: str = "zh") -> str:
    """One sentence naming the rule and the numbers that triggered it (windows from ``model``,
    the shipped one if not given), in ``lang``."""
    bound = rule.min if rule.min is not None else rule.max
    if lang == "en":
        template = PHRASES_EN.get(rule.indicator, "{id}: {indicator} = {v:g}")
    else:
        template = PHRASES.get(rule.indicator, "{name}：{indicator} = {v:g}")
    words = _words(model or load_model()) if _QUOTES_MEASURE.search(template) else {}
    extra = {"index": row.get("index", float("nan")), "name": rule.name, "indicator": rule.indicator, "id": rule.id}
    said = template.format(v=float(row[rule.indicator]), b=float(bound or 0), **{**words, **extra})
    return said[:1].upper() + said[1:] if lang == "en" else f"{rule.name}：{said}"


def reasons_in(table: pd.DataFrame, listing: Listing | None, lang: str, model: Model | None = None) -> list[str]:
    """The ``reasons`` of a stored listing (rows with ``rules``, their indicators and ``index``)
    said again in ``lang``: the stored sentences are Chinese, written when the listing was made
    (by ``listing``'s rules; None: no rules, the stored text)."""
    if lang != "en" or listing is None:
        return table["reasons"].fillna("").astype(str).tolist()
    by_id = {r.id: r for r in listing.rules}
    out = []
    for row in table.to_dict("records"):
        ids = [i for i in str(row.get("rules") or "").split(";") if i in by_id]
        out.append("; ".join(reason(by_id[i], row, model, lang) for i in ids))
    return out


_QUOTES_MEASURE = re.compile(r"\{[a-z_0-9]+\.")


def _words(model: Model) -> dict[str, object]:
    return text_words(model.declared_measures, model.tiers)


def _values(table: pd.DataFrame, rule: ListingRule) -> np.ndarray:
    return pd.to_numeric(table[rule.indicator], errors="coerce").to_numpy(dtype=float)


def rule_hits(values: np.ndarray, rule: ListingRule) -> np.ndarray:
    """Where ``rule`` holds on an array of its indicator: ``>= min`` (or ``<= max``); a missing
    value (NaN) never holds — no data, no listing. The one test :func:`apply_listing` and
    :func:`listing_distance` both apply."""
    with np.errstate(invalid="ignore"):
        hit = values >= rule.bound if rule.min is not None else values <= rule.bound
    return np.asarray(hit & ~np.isnan(values), dtype=bool)


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
    # Per rule, only the rows it holds for are touched (a list per row cost seconds a million).
    ids = np.full(n, "", dtype=object)
    reasons = np.full(n, "", dtype=object)
    rank = np.full(n, len(LEVEL_ORDER))  # lower is higher; len = not listed
    index = out["index"].to_numpy() if "index" in out else np.full(n, np.nan)
    for rule in listing.rules:
        v = _values(out, rule)
        hit = rule_hits(v, rule)
        rank = np.where(hit, np.minimum(rank, LEVEL_ORDER.index(rule.level)), rank)
        at = np.flatnonzero(hit)
        # The two numbers a sentence quotes, not the row (.iloc per row cost 1.9 s for 20,000 listings).
        said = [reason(rule, {rule.indicator: v[i], "index": index[i]}, model) for i in at]
        ids[at] = [f"{x};{rule.id}" if x else rule.id for x in ids[at]]
        reasons[at] = [f"{x}；{r}" if x else r for x, r in zip(reasons[at], said)]
    listed = rank < len(LEVEL_ORDER)
    deadline = as_of + dt.timedelta(days=listing.deadline_days)
    levels = np.array([*LEVEL_ORDER, None], dtype=object)
    out["listed"] = listed
    out["level"] = levels[rank]
    out["rules"] = ids
    out["reasons"] = reasons
    deadlines = np.full(n, None, dtype=object)
    deadlines[listed] = deadline
    out["deadline"] = deadlines
    out["delisting"] = np.where(listed, listing.delisting, "")
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


#: Indicators that are shares (0-1): shown in percent, their distances in percentage points.
SHARES = frozenset({"inspection_coverage", "rectification_rate", "high_tier_share", "unrectified_share"})
#: A rank indicator and the index it ranks (rank 1 = highest index; ties share the best rank).
RANKED = {"index_rank": "index"}


def listing_distance(table: pd.DataFrame, listing: Listing, key: str = "key") -> pd.DataFrame:
    """How far each row of ``table`` is from each listing rule: the rules one by one, met or not.

    Parameters
    ----------
    table : DataFrame
        The table :func:`apply_listing` is given (one row per township or enterprise, with each
        rule's indicator column and ``key``); a rank rule's cut-off index needs every row.
    listing : Listing
        The rules.
    key : str
        The column naming each row.

    Returns
    -------
    DataFrame
        One row per (``key``, rule), in the table's order and then the rules': ``rule`` (id),
        ``name``, ``level``, ``indicator``, ``op`` (``">="`` for a ``min`` rule, ``"<="`` for a
        ``max`` one), ``bound``, ``value`` (NaN: no data), ``met`` (the test
        :func:`apply_listing` applies, so a row is listed exactly when one of its rules is met),
        ``gap`` (how far the value must move to meet the rule, in the indicator's unit — places
        for a rank, items for a count, a 0-1 share for a share; 0 when met, NaN without data),
        ``share`` (the indicator is a 0-1 share, shown in percent: :func:`format_figure`) and,
        for an unmet ``max`` rule on a rank (:data:`RANKED`), ``cutoff_index``: the index of the
        area at the last place listed, which this one's index must reach to rank there if the
        others stayed as they are (NaN otherwise), beside its own ``index``.
    """
    frames = []
    for rule in listing.rules:
        v = _values(table, rule)
        met = rule_hits(v, rule)
        gap = np.where(met, 0.0, np.abs(v - rule.bound))  # NaN stays NaN: no data, no distance
        cutoff = np.full(len(table), np.nan)
        ranked = RANKED.get(rule.indicator)
        if ranked and ranked in table and rule.max is not None:
            index = pd.to_numeric(table[ranked], errors="coerce").to_numpy(dtype=float)
            index = np.sort(index[~np.isnan(index)])[::-1]
            last = int(rule.bound)  # the last place listed
            if 1 <= last <= len(index):
                # Unmet: at least ``last`` others rank above it, so the last-th highest index is one of theirs.
                cutoff = np.where(met | np.isnan(v), np.nan, index[last - 1])
        frames.append(pd.DataFrame({
            key: table[key].to_numpy(), "rule": rule.id, "name": rule.name, "level": rule.level,
            "indicator": rule.indicator, "op": ">=" if rule.min is not None else "<=", "bound": rule.bound,
            "value": v, "met": met, "gap": gap, "share": rule.indicator in SHARES, "cutoff_index": cutoff,
            "index": table["index"].to_numpy(dtype=float) if "index" in table else np.nan,
        }))
    if not frames:
        return pd.DataFrame(columns=[key, "rule", "name", "level", "indicator", "op", "bound", "value", "met",
                                     "gap", "share", "cutoff_index", "index"])
    out = pd.concat(frames, keys=range(len(frames)), names=["_rule", "_row"]).reset_index()
    return out.sort_values(["_row", "_rule"], kind="mergesort").drop(columns=["_rule", "_row"]).reset_index(drop=True)


def format_figure(value: float, share: bool = False) -> str:
    """A value, bound or gap as a screen shows it: at most one decimal (``18``, ``7.7``), a share
    in percent (``0.625`` → ``62.5%``) — a share's gap is then in percentage points — and ``—``
    for no data."""
    if value != value:
        return "—"
    return f"{round(value * 100, 1):g}%" if share else f"{round(value, 1):g}"



def distance_texts(distance: pd.DataFrame) -> pd.DataFrame:
    """:func:`listing_distance` with its figures as a screen shows them, in no language:
    ``threshold`` (``≥ 3``, ``≤ 5``, ``≤ 50%``), ``shown`` (the value: ``18``, ``62.5%``, ``—``),
    ``gap_text`` (a share's gap in percentage points: ``12``), ``last`` (a rule's last place
    listed, for a rank) and ``kind``, which sentence the gap takes: ``met``, ``no_data``,
    ``rank`` (with ``cutoff_index``), ``share`` or ``count``."""
    d = distance
    kind = np.select([d["met"].astype(bool), d["value"].isna(), d["cutoff_index"].notna(), d["share"].astype(bool)],
                     ["met", "no_data", "rank", "share"], "count")
    return d.assign(
        threshold=[f"{'≥' if op == '>=' else '≤'} {format_figure(b, sh)}"
                   for op, b, sh in zip(d["op"], d["bound"], d["share"])],
        shown=[format_figure(v, sh) for v, sh in zip(d["value"], d["share"])],
        gap_text=[format_figure(g * 100 if sh else g) for g, sh in zip(d["gap"], d["share"])],
        last=d["bound"].astype(int), kind=kind)


def listing_changes(keys: pd.Series, listed_before: pd.Series, listed_now: pd.Series) -> pd.DataFrame:
    """:func:`compare_listings` (新挂牌 / 继续挂牌 / 摘牌) of the areas ``keys`` given the keys
    listed at each date, as a ``key`` / ``status`` table."""
    return compare_listings(pd.DataFrame({"key": keys, "listed": keys.isin(listed_before)}),
                            pd.DataFrame({"key": keys, "listed": keys.isin(listed_now)}), "key")


def history_wide(history: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """:func:`scoring.run.listing_history` one row per area: ``name``, ``times`` (dates listed),
    then each date's level (``—``: not listed); the most often listed first, ties in the
    history's order."""
    wide = history.pivot(index="key", columns="as_of", values="level")
    wide = wide.loc[wide.notna().sum(axis=1).sort_values(ascending=False, kind="mergesort").index]
    wide.columns = [str(c) for c in wide.columns]
    wide.insert(0, "times", wide.notna().sum(axis=1))
    wide.insert(0, "name", [names.get(k, k) for k in wide.index])
    return wide.fillna("—")
