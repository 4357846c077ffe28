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
    needed = [c for c in ("uscc", key, "score", "tier", "open_general", "open_serious", "open_major", "overdue",
                          "overdue_major", "found_12m", "rectified_12m", "days_since_inspection") if c in frame]
    f = frame.loc[frame[key].notna(), needed].assign(
        open_hazards=lambda d: d["open_general"] + d["open_serious"] + d["open_major"],
        inspected_12m=lambda d: d["days_since_inspection"] <= coverage.window_days,
    )
    # Grouped by the key's integer codes (sorted like the keys), not by the keys: hashing a
    # million text keys once per aggregate was most of the area step.
    codes, uniques = pd.factorize(f[key], sort=True)
    g = f.groupby(codes, sort=True)
    out = g.agg(enterprises=("score", "size"), mean_score=("score", "mean"), max_score=("score", "max"),
                open_hazards=("open_hazards", "sum"), overdue=("overdue", "sum"),
                overdue_major=("overdue_major", "sum"), found_12m=("found_12m", "sum"),
                rectified_12m=("rectified_12m", "sum"), inspection_coverage=("inspected_12m", "mean"))
    # The five highest scores of each area: one numeric sort by (code, -score), then the first
    # five places of each run of a code.
    score = f["score"].to_numpy(dtype=float)
    order = np.lexsort((-score, codes))
    sorted_codes = codes[order]
    starts = np.searchsorted(sorted_codes, sorted_codes, side="left")
    top = order[np.arange(len(order)) - starts < 5]
    out["top5_mean_score"] = pd.Series(score[top]).groupby(codes[top]).mean()
    tier_codes, tier_names = pd.factorize(f["tier"])
    known = tier_codes >= 0  # an unscored row has no tier: counted in none
    width = max(len(tier_names), 1)
    counts = np.bincount(codes[known] * width + tier_codes[known], minlength=len(uniques) * width)
    counts = counts.reshape(len(uniques), width)
    for tier, col in columns.items():
        hit = np.flatnonzero(np.asarray(tier_names) == tier)
        out[col] = counts[out.index.to_numpy(), hit[0]] if len(hit) else 0
    out.index = pd.Index(np.asarray(uniques)[out.index.to_numpy()], name=key)
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
        linked = incidents.merge(f[["uscc", key]], on="uscc", how="inner")
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
