"""双随机 draw: random inspection targets, stratified by tier, with random inspectors.

Reproducible: the same candidates, roster, size, control share and seed give the same draw.
The seed is part of the result and of the log line written for the record.

A share of the draw can be reserved as the random control (``[lift] control_share``): those
targets are drawn first, uniformly from every candidate whatever its tier, and are to be
recorded as 双随机抽查; the rest are drawn by tier (in proportion to each tier's inspection
frequency, so by risk) and recorded as 风险清单. The lift of targeting
(:mod:`scoring.lift`) compares the two.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.model import Model

#: The method (检查方式) each target is to be recorded with: the control, and the rest.
CONTROL_METHOD, TIERED_METHOD = "双随机抽查", "风险清单"


def control_size(size: int, share: float) -> int:
    """The targets of a draw of ``size`` kept as the random control: ``size`` × ``share``
    rounded half up (20 × 0.2 = 4, 5 × 0.2 = 1, 2 × 0.2 = 0)."""
    return int(np.floor(size * share + 0.5))


@dataclass
class Draw:
    seed: int
    size: int
    allocation: dict[str, int]
    targets: pd.DataFrame  # uscc, tier, score, method, inspectors
    #: How many of the targets are the uniform random control (method 双随机抽查).
    control: int = 0
    drawn_at: str = field(default_factory=lambda: dt.datetime.now().isoformat(timespec="seconds"))

    def log_line(self) -> str:
        record = {k: v for k, v in asdict(self).items() if k != "targets"}
        record["targets"] = self.targets["uscc"].tolist()
        record["control_targets"] = self.targets.loc[self.targets["method"] == CONTROL_METHOD, "uscc"].tolist()
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
                     inspectors_per_target: int = 2, control_share: float = 0.0) -> Draw:
    """Draw ``size`` targets from ``candidates`` (``uscc``, ``tier``, ``score``) and
    ``inspectors_per_target`` distinct inspectors from ``roster`` (``name``, ``department``)
    for each target, all from one seeded generator: first :func:`control_size` of them
    uniformly from all candidates (sorted by code; method 双随机抽查), then the rest by tier
    from the candidates left (method 风险清单). With no control the draw is what it was before
    the control existed."""
    if len(roster) < inspectors_per_target:
        raise ValueError(f"检查人员名单只有 {len(roster)} 人，每户需要 {inspectors_per_target} 人")
    rng = np.random.default_rng(seed)
    cand = candidates.sort_values("uscc", kind="mergesort").reset_index(drop=True)  # order-independent
    size = min(size, len(cand))
    n_control = control_size(size, control_share)
    control = cand.iloc[0:0]
    if n_control:  # no draw from the generator without a control: the same seed, the same draw as before
        control = cand.iloc[np.sort(rng.choice(len(cand), n_control, replace=False))]
        cand = cand.drop(index=control.index).reset_index(drop=True)
    counts = cand["tier"].value_counts().to_dict()
    alloc = allocate(counts, model, size - n_control)
    picked = [control.assign(method=CONTROL_METHOD)] if n_control else []
    for t in model.tiers:
        pool = cand[cand["tier"] == t.name]
        if alloc[t.name]:
            picked.append(pool.iloc[np.sort(rng.choice(len(pool), alloc[t.name], replace=False))]
                          .assign(method=TIERED_METHOD))
    targets = (pd.concat(picked) if picked else cand.iloc[0:0].assign(method="")).reset_index(drop=True)
    names = roster.sort_values(["department", "name"], kind="mergesort")
    labels = (names["name"] + "（" + names["department"] + "）").to_numpy()
    targets["inspectors"] = ["、".join(labels[rng.choice(len(labels), inspectors_per_target, replace=False)])
                             for _ in range(len(targets))]
    return Draw(seed, len(targets), alloc, targets[["uscc", "tier", "score", "method", "inspectors"]], n_control)


def append_log(draw: Draw, path: Path) -> None:
    """Record the draw (seed, allocation, targets) as one JSON line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(draw.log_line() + "\n")
