"""Colour scales and bins for map layers and their legends."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.model import load_model

RGB = tuple[int, int, int]

#: Sequential yellow-orange-red (ColorBrewer YlOrRd, 6 classes).
YL_OR_RD: tuple[RGB, ...] = (
    (255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38),
)
#: Supervision tiers (重大/较大/一般/低 shown 红/橙/黄/蓝) in the colours of the model's ``[[tier]]``
#: ``rgb``, highest first.
TIER_COLORS: dict[str, RGB] = {t.name: t.rgb for t in load_model().tiers}


@dataclass(frozen=True)
class Bins:
    """Class breaks: value v falls in class i when edges[i] <= v < edges[i+1]."""

    edges: tuple[float, ...]
    colors: tuple[RGB, ...]

    def classify(self, values: ArrayLike) -> np.ndarray:
        """Class index of each value (0 .. len(colors)-1)."""
        v = np.asarray(values, dtype=float)
        idx = np.searchsorted(np.asarray(self.edges[1:-1]), v, side="right")
        return np.clip(idx, 0, len(self.colors) - 1)

    def colors_for(self, values: ArrayLike) -> list[list[int]]:
        """[r, g, b] of each value, as pydeck wants it."""
        return [list(self.colors[i]) for i in self.classify(values)]

    def labels(self, integer: bool = True) -> list[str]:
        """Legend label of each class: "1–4", "5–9", …, "≥ 60"."""
        out = []
        for i in range(len(self.colors)):
            lo, hi = self.edges[i], self.edges[i + 1]
            if integer:
                last = i == len(self.colors) - 1
                out.append(f"≥ {lo:g}" if last else (f"{lo:g}" if hi - lo <= 1 else f"{lo:g}–{hi - 1:g}"))
            else:
                out.append(f"{lo:.3g}–{hi:.3g}")
        return out


def nice_count_bins(values: ArrayLike, colors: tuple[RGB, ...] = YL_OR_RD) -> Bins:
    """Bins for counts (≥ 1): quantile breaks rounded up to 1-2-5 steps, strictly increasing,
    every break a round number (1, 2, 5, 10, 20, 50, …).

    Quantiles rather than equal steps because enterprise counts are heavily skewed: a few
    park hexagons hold hundreds while most hold a handful.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v >= 1)]
    k = len(colors)
    if len(v) == 0:
        return Bins(tuple(float(i + 1) for i in range(k + 1)), colors)
    qs = np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])
    edges = [1.0]
    for q in qs:
        e = _nice(q)
        if e <= edges[-1]:  # quantiles that coincide: the next round number, not edge + 1
            e = _nice(edges[-1] + 1)
        edges.append(e)
    edges.append(max(float(v.max()) + 1, edges[-1] + 1))
    return Bins(tuple(edges), colors)


def _nice(x: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten (integers only)."""
    if x <= 1:
        return 1.0
    p = 10 ** np.floor(np.log10(x))
    for m in (1, 2, 5, 10):
        if x <= m * p:
            return float(m * p)
    return float(10 * p)
