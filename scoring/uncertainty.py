"""How much do the township ranks and listings depend on the weights we chose?

Monte Carlo: each draw multiplies every factor weight by an independent uniform factor in
[1 - spread, 1 + spread], rescores every enterprise, recomputes the township index and the
listing. What does not depend on weights (hazard counts, incidents, coverage, direct
determination) is computed once. Seeded, so the same seed gives the same answer. Spread,
draws, seed and the listing-frequency thresholds are the model's ``[robustness]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.areas import normalise
from scoring.model import Model


@dataclass
class Robustness:
    seed: int
    draws: int
    spread: float
    table: pd.DataFrame  # one row per township


def township_robustness(measures: pd.DataFrame, areas: pd.DataFrame, model: Model, draws: int | None = None,
                        spread: float | None = None, seed: int | None = None, chunk: int = 100) -> Robustness:
    """Rank interval and listing frequency of every township under perturbed weights.

    ``draws``, ``spread`` and ``seed`` default to the model's ``[robustness]``; a township
    listed in at least ``stable_listed`` of the draws is 稳定挂牌, in at most
    ``stable_unlisted`` 稳定不挂牌, in between 临界.

    Parameters
    ----------
    measures : DataFrame
        One row per enterprise (``measures_as_of``), with ``township_code``.
    areas : DataFrame
        ``area_metrics`` at township level for the same date (its weight-free indicators are
        reused) with ``township_code``.
    """
    assert model.area_index is not None and model.township_listing is not None
    cfg, listing, rules = model.area_index, model.township_listing, model.robustness
    draws = rules.draws if draws is None else draws
    spread = rules.spread if spread is None else spread
    seed = rules.seed if seed is None else seed
    keys = areas["township_code"].to_numpy()
    pos = {k: i for i, k in enumerate(keys)}
    m = measures[measures["township_code"].isin(pos)]
    g = m["township_code"].map(pos).to_numpy()
    n_area = len(keys)
    count = np.bincount(g, minlength=n_area).astype(float)
    safe = np.where(count > 0, count, np.nan)

    fractions = np.column_stack([f.fraction(m[f.measure]) for f in model.factors])  # n × factors
    weights = np.array([f.weight for f in model.factors])
    high_min = min(t.min_score for t in model.tiers if t.high)
    direct_high = np.zeros(len(m), dtype=bool)
    for rule in model.direct_rules:
        if rule.tier in model.high_tiers:
            direct_high |= pd.to_numeric(m[rule.measure], errors="coerce").fillna(0).to_numpy() >= rule.min

    fixed = {i.id: areas[i.id].to_numpy(dtype=float) for i in cfg.indicators
             if i.id not in ("mean_score", "high_tier_share")}
    fixed_norm = np.zeros(n_area)
    for i in cfg.indicators:
        if i.id in fixed:
            fixed_norm += i.weight * normalise(fixed[i.id], cfg.winsorise)
    total_w = sum(i.weight for i in cfg.indicators)
    w_of = {i.id: i.weight for i in cfg.indicators}
    weight_free_rules = [r for r in listing.rules if r.indicator != "index_rank"]
    rank_rules = [r for r in listing.rules if r.indicator == "index_rank"]
    listed_fixed = np.zeros(n_area, dtype=bool)
    for r in weight_free_rules:
        listed_fixed |= np.array([r.holds(float(v)) for v in areas[r.indicator]])

    rng = np.random.default_rng(seed)
    ranks = np.empty((draws, n_area), dtype=np.int32)
    listed = np.empty((draws, n_area), dtype=bool)
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        w = weights[None, :] * rng.uniform(1 - spread, 1 + spread, (k, len(weights)))
        scores = fractions @ w.T  # n × k
        high = (scores >= high_min) | direct_high[:, None]
        mean_score = np.stack([np.bincount(g, scores[:, j], n_area) for j in range(k)], axis=1) / safe[:, None]
        high_share = np.stack([np.bincount(g, high[:, j], n_area) for j in range(k)], axis=1) / safe[:, None]
        for j in range(k):
            idx = fixed_norm.copy()
            if "mean_score" in w_of:
                idx = idx + w_of["mean_score"] * normalise(mean_score[:, j], cfg.winsorise)
            if "high_tier_share" in w_of:
                idx = idx + w_of["high_tier_share"] * normalise(high_share[:, j], cfg.winsorise)
            index = idx / total_w * 10
            rank = pd.Series(index).rank(ascending=False, method="min").to_numpy(dtype=np.int32)
            ranks[start + j] = rank
            hit = listed_fixed.copy()
            for r in rank_rules:
                hit |= np.array([r.holds(float(v)) for v in rank])
            listed[start + j] = hit

    p_listed = listed.mean(axis=0)
    status = np.where(p_listed >= rules.stable_listed, "稳定挂牌",
                      np.where(p_listed <= rules.stable_unlisted, "稳定不挂牌", "临界"))
    table = pd.DataFrame({
        "township_code": keys,
        "rank_p05": np.percentile(ranks, 5, axis=0).round().astype(int),
        "rank_median": np.median(ranks, axis=0),
        "rank_p95": np.percentile(ranks, 95, axis=0).round().astype(int),
        "p_listed": p_listed.round(3),
        "robustness": status,
    })
    return Robustness(seed, draws, spread, table)
