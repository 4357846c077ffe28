"""双随机 draw: random inspection targets, stratified by tier, with random inspectors.

Reproducible: the same candidates, roster, size and seed give the same draw. The seed is
part of the result and of the log line written for the record.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.model import Model


@dataclass
class Draw:
    seed: int
    size: int
    allocation: dict[str, int]
    targets: pd.DataFrame  # uscc, tier, score, inspectors
    drawn_at: str = field(default_factory=lambda: dt.datetime.now().isoformat(timespec="seconds"))

    def log_line(self) -> str:
        record = {k: v for k, v in asdict(self).items() if k != "targets"}
        record["targets"] = self.targets["uscc"].tolist()
        return json.dumps(record, ensure_ascii=False)


def allocate(counts: dict[str, int], model: Model, size: int) -> dict[str, int]:
    """Split ``size`` over tiers in proportion to (enterprises × inspections per year).

    A tier never gets more than it has; largest remainders settle the rounding and leftover
    places go to the next tier down that still has candidates.
    """
    rate = {t.name: 365 / t.inspect_every_days for t in model.tiers}
    demand = {t: counts.get(t, 0) * rate[t] for t in rate}
    total = sum(demand.values())
    size = min(size, sum(counts.values()))
    if total == 0 or size == 0:
        return {t: 0 for t in rate}
    raw = {t: size * d / total for t, d in demand.items()}
    alloc = {t: min(int(raw[t]), counts.get(t, 0)) for t in raw}
    order = sorted(raw, key=lambda t: (raw[t] - int(raw[t])), reverse=True) + [t.name for t in model.tiers]
    i = 0
    while sum(alloc.values()) < size:
        t = order[i % len(order)]
        if alloc[t] < counts.get(t, 0):
            alloc[t] += 1
        i += 1
    return alloc


def draw_inspections(candidates: pd.DataFrame, roster: pd.DataFrame, model: Model, size: int, seed: int,
                     inspectors_per_target: int = 2) -> Draw:
    """Draw ``size`` targets from ``candidates`` (``uscc``, ``tier``, ``score``) by tier, and
    ``inspectors_per_target`` distinct inspectors from ``roster`` (``name``, ``department``)
    for each target, all from one seeded generator."""
    if len(roster) < inspectors_per_target:
        raise ValueError(f"检查人员名单只有 {len(roster)} 人，每户需要 {inspectors_per_target} 人")
    rng = np.random.default_rng(seed)
    cand = candidates.sort_values("uscc", kind="mergesort").reset_index(drop=True)  # order-independent
    counts = cand["tier"].value_counts().to_dict()
    alloc = allocate(counts, model, size)
    picked = []
    for t in model.tiers:
        pool = cand[cand["tier"] == t.name]
        if alloc[t.name]:
            picked.append(pool.iloc[np.sort(rng.choice(len(pool), alloc[t.name], replace=False))])
    targets = (pd.concat(picked) if picked else cand.iloc[0:0]).reset_index(drop=True)
    names = roster.sort_values(["department", "name"], kind="mergesort")
    labels = (names["name"] + "（" + names["department"] + "）").to_numpy()
    targets["inspectors"] = ["、".join(labels[rng.choice(len(labels), inspectors_per_target, replace=False)])
                             for _ in range(len(targets))]
    return Draw(seed, len(targets), alloc, targets[["uscc", "tier", "score", "inspectors"]])


def append_log(draw: Draw, path: Path) -> None:
    """Record the draw (seed, allocation, targets) as one JSON line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(draw.log_line() + "\n")
