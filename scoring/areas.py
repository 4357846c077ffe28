"""Area metrics and the composite area index (hexagon, grid, township, park).

The index follows the OECD-JRC handbook on composite indicators as INFORM applies it:
indicators are winsorised at configurable percentiles of the areas of one level, min-max
normalised to 0-10, and combined by weighted arithmetic mean, scaled to 0-100.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from scoring.model import AreaIndex, Model, load_model


def tier_columns(model: Model) -> dict[str, str]:
    """Tier name → the column counting its enterprises (``n_<tier id>``: n_major, n_serious …)."""
    return {t.name: f"n_{t.id}" for t in model.tiers}


def normalise(values: pd.Series | np.ndarray, winsorise: tuple[float, float]) -> np.ndarray:
    """Winsorise at the given quantiles, then min-max to 0-10. A constant column gives 0."""
    x = np.asarray(values, dtype=float)
    x = np.where(np.isfinite(x), x, 0.0)
    lo, hi = np.quantile(x, winsorise) if len(x) else (0.0, 0.0)
    if hi <= lo:
        return np.zeros_like(x)
    return (np.clip(x, lo, hi) - lo) / (hi - lo) * 10.0


def composite_index(indicators: pd.DataFrame, weights: Mapping[str, float],
                    winsorise: tuple[float, float] = (0.05, 0.95)) -> np.ndarray:
    """0-100: the weighted mean of the normalised indicators, × 10."""
    total = sum(weights.values())
    acc = np.zeros(len(indicators))
    for name, w in weights.items():
        acc += w * normalise(indicators[name], winsorise)
    return np.round(acc / total * 10.0, 2)


def area_metrics(frame: pd.DataFrame, incidents: pd.DataFrame, key: str, config: AreaIndex,
                 all_keys: pd.Series | None = None, area_km2: pd.Series | None = None,
                 model: Model | None = None) -> pd.DataFrame:
    """Metrics, indicators and the index for every area of one level.

    Parameters
    ----------
    frame : DataFrame
        One row per enterprise: scores (``score``, ``tier``) joined to measures (``overdue``,
        ``overdue_major``, ``open_*``, ``found_12m``, ``rectified_12m``,
        ``days_since_inspection``) and the area column ``key``.
    incidents : DataFrame
        Incidents in the window of the ``incidents_12m`` measure with the area column ``key``
        (unlinked ones count): :func:`scoring.measures.incidents_in_window`.
    all_keys : Series, optional
        Every area of the level, so that areas with no enterprise still appear (count 0).
    area_km2 : Series, optional
        Area of each key in km², for densities.
    model : Model, optional
        Where the tiers (their columns, which are high) and the ``inspection_coverage`` window
        come from; the shipped model if not given.
    """
    model = model or load_model()
    coverage = model.measure("inspection_coverage")
    assert coverage.window_days is not None  # covered measures have a window (validated)
    columns = tier_columns(model)
    # Numpy over the key's integer codes (sorted like the keys): no copy of the frame, no
    # hashing of a million text keys per aggregate (most of the area step before).
    present = frame[key].notna().to_numpy()
    codes, uniques = pd.factorize(frame[key][present], sort=True)
    n = len(uniques)
    size = np.bincount(codes, minlength=n)

    def values(name: str) -> np.ndarray:
        return np.asarray(frame[name].to_numpy(dtype=float)[present])

    def total(name: str) -> np.ndarray:  # a sum that skips missing values, as pandas' does
        s = np.bincount(codes, weights=np.nan_to_num(values(name)), minlength=n)
        return s.astype(np.int64) if pd.api.types.is_integer_dtype(frame[name].dtype) else s

    score = values("score")
    days = np.nan_to_num(values("days_since_inspection"), nan=np.inf)
    out = pd.DataFrame({
        "enterprises": size, "mean_score": np.bincount(codes, weights=score, minlength=n) / size,
        "open_hazards": total("open_general") + total("open_serious") + total("open_major"),
        "overdue": total("overdue"), "overdue_major": total("overdue_major"), "found_12m": total("found_12m"),
        "rectified_12m": total("rectified_12m"),
        "inspection_coverage": np.bincount(codes, weights=(days <= coverage.window_days).astype(float),
                                           minlength=n) / size,
    })
    # The highest and the five highest scores of each area: one sort of a single float key,
    # the area's code then the score descending (a lexsort of the two took 0.7 s a million).
    # Exact: codes × span stay far below 2**53 / 1e6, and scores have 6 decimals.
    span = float(np.ptp(score)) + 1.0 if len(score) else 1.0
    order = np.argsort(codes * span + (span - 1.0 - (score - (score.min() if len(score) else 0.0))))
    sorted_codes = codes[order]
    starts = np.searchsorted(sorted_codes, sorted_codes, side="left")
    out.insert(2, "max_score", score[order[np.searchsorted(sorted_codes, np.arange(n))]] if n else [])
    top = order[np.arange(len(order)) - starts < 5]
    out["top5_mean_score"] = np.bincount(codes[top], weights=score[top], minlength=n) / np.bincount(codes[top],
                                                                                                 minlength=n)
    tier_codes, tier_names = pd.factorize(frame["tier"][present])
    known = tier_codes >= 0  # an unscored row has no tier: counted in none
    width = max(len(tier_names), 1)
    counts = np.bincount(codes[known] * width + tier_codes[known], minlength=n * width).reshape(n, width)
    for tier, col in columns.items():
        hit = np.flatnonzero(np.asarray(tier_names) == tier)
        out[col] = counts[:, hit[0]] if len(hit) else 0
    out.index = pd.Index(np.asarray(uniques), name=key)
    if all_keys is not None:
        out = out.reindex(pd.Index(all_keys, name=key))
        out["enterprises"] = out["enterprises"].fillna(0).astype(int)
        for col in ("open_hazards", "overdue", "overdue_major", "found_12m", "rectified_12m",
                    *columns.values()):
            out[col] = out[col].fillna(0).astype(int)
    if key in incidents.columns:
        per_area = incidents[incidents[key].notna()].groupby(key).size()
        out["incidents_12m"] = per_area.reindex(out.index).fillna(0).astype(int)
    else:  # incidents are not placed at this level (parks): count those of its enterprises
        linked = incidents.merge(frame.loc[present, ["uscc", key]], on="uscc", how="inner")
        out["incidents_12m"] = linked.groupby(key).size().reindex(out.index).fillna(0).astype(int)
    n = out["enterprises"].replace(0, np.nan)
    out["rectification_rate"] = out["rectified_12m"] / out["found_12m"].replace(0, np.nan)
    out["high_tier_share"] = sum(out[columns[t]] for t in model.high_tiers) / n
    out["overdue_per_100"] = out["overdue"] / n * 100
    out["unrectified_share"] = 1 - out["rectification_rate"]
    out["incidents_per_1000"] = out["incidents_12m"] / n * 1000
    if area_km2 is not None:
        out["area_km2"] = area_km2.reindex(out.index)
        out["density_per_km2"] = out["enterprises"] / out["area_km2"]
    weights = {i.id: i.weight for i in config.indicators}
    out["index"] = composite_index(out.fillna({k: 0.0 for k in weights}), weights, config.winsorise)
    out["index_rank"] = out["index"].rank(ascending=False, method="min").astype(int)
    out["small_sample"] = out["enterprises"] < config.min_enterprises
    return out.reset_index()
