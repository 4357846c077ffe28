"""The risk model as data: factors, direct-determination rules and tiers from ``model.toml``.

Loading validates every entry and names the bad one. Scoring is a pure function of a
measures table (one row per enterprise) and the model: each factor contributes
``weight × f(measure)`` with ``f`` in [0, 1], the score is their sum, the tier follows from
the points unless a direct rule sets it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_MODEL = Path(__file__).with_name("model.toml")
KINDS = {"flag": (), "cap": ("cap",), "ramp": ("lo", "hi"), "log": ("ref",)}


class ModelConfigError(ValueError):
    """The model file is wrong; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class Factor:
    id: str
    name: str
    group: str
    kind: str
    measure: str
    weight: float
    definition: str
    source: str
    params: dict[str, float] = field(default_factory=dict)

    @property
    def column(self) -> str:
        """Column of the score table holding this factor's contribution (points)."""
        return f"c_{self.id}"

    def fraction(self, values: pd.Series) -> np.ndarray:
        """f(measure) in [0, 1] for each row; missing measures count as 0."""
        if self.kind == "flag":
            return values.fillna(False).astype(bool).to_numpy(dtype=float)
        x = pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy(dtype=float)
        if self.kind == "cap":
            return np.minimum(np.maximum(x, 0.0), self.params["cap"]) / self.params["cap"]
        if self.kind == "ramp":
            lo, hi = self.params["lo"], self.params["hi"]
            return np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        if self.kind == "log":
            return np.minimum(1.0, np.log1p(np.maximum(x, 0.0)) / math.log1p(self.params["ref"]))
        raise AssertionError(self.kind)  # excluded by validation


@dataclass(frozen=True)
class DirectRule:
    id: str
    name: str
    measure: str
    min: float
    tier: str
    source: str


@dataclass(frozen=True)
class Tier:
    name: str
    color: str
    min_score: float
    inspect_every_days: int


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    weight: float
    definition: str


@dataclass(frozen=True)
class AreaIndex:
    indicators: tuple[Indicator, ...]
    winsorise: tuple[float, float] = (0.05, 0.95)
    min_enterprises: int = 5


@dataclass(frozen=True)
class ListingRule:
    """Listed when ``indicator >= min`` (or ``<= max``)."""

    id: str
    name: str
    indicator: str
    level: str
    min: float | None = None
    max: float | None = None

    def holds(self, value: float) -> bool:
        if value != value:  # NaN: no data, no listing
            return False
        return value >= self.min if self.min is not None else value <= float(self.max)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Listing:
    rules: tuple[ListingRule, ...]
    deadline_days: int
    delisting: str


LEVEL_ORDER = ("市级", "县级", "镇级")  # highest first


@dataclass(frozen=True)
class Model:
    version: str
    title: str
    factors: tuple[Factor, ...]
    direct_rules: tuple[DirectRule, ...]
    tiers: tuple[Tier, ...]  # highest first
    area_index: AreaIndex | None = None
    township_listing: Listing | None = None
    enterprise_listing: Listing | None = None

    @property
    def measures(self) -> list[str]:
        """Every measure the model reads."""
        names = [f.measure for f in self.factors] + [r.measure for r in self.direct_rules]
        return list(dict.fromkeys(names))

    @property
    def max_score(self) -> float:
        return float(sum(f.weight for f in self.factors))

    def tier(self, name: str) -> Tier:
        return next(t for t in self.tiers if t.name == name)


def _require(entry: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in entry:
        raise ModelConfigError(f"{where}: 缺少“{key}”")
    value = entry[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ModelConfigError(f"{where}: “{key}”的值 {value!r} 类型不对")
    return value


def model_from_dict(raw: dict[str, Any]) -> Model:
    """Build and validate a :class:`Model` from parsed TOML."""
    version = _require(raw, "version", "模型", str)
    title = raw.get("title", "")
    factors: list[Factor] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("factor", [])):
        where = f"factor #{i + 1}（{entry.get('id', '?')}）"
        fid = _require(entry, "id", where, str)
        if fid in seen:
            raise ModelConfigError(f"{where}: id 重复")
        seen.add(fid)
        kind = _require(entry, "kind", where, str)
        if kind not in KINDS:
            raise ModelConfigError(f"{where}: kind 应为 {', '.join(KINDS)} 之一，而不是 {kind!r}")
        weight = _require(entry, "weight", where, (int, float))
        if not weight > 0:
            raise ModelConfigError(f"{where}: weight 必须大于 0（现为 {weight}）")
        params = {p: float(_require(entry, p, where, (int, float))) for p in KINDS[kind]}
        if kind == "cap" and params["cap"] <= 0 or kind == "log" and params["ref"] <= 0:
            raise ModelConfigError(f"{where}: {KINDS[kind][0]} 必须大于 0")
        if kind == "ramp" and not params["hi"] > params["lo"]:
            raise ModelConfigError(f"{where}: hi 必须大于 lo")
        factors.append(Factor(
            id=fid, name=_require(entry, "name", where, str), group=_require(entry, "group", where, str),
            kind=kind, measure=_require(entry, "measure", where, str), weight=float(weight),
            definition=_require(entry, "definition", where, str),
            source=_require(entry, "source", where, str), params=params,
        ))
    if not factors:
        raise ModelConfigError("模型: 至少需要一个 factor")

    tiers: list[Tier] = []
    for i, entry in enumerate(raw.get("tier", [])):
        where = f"tier #{i + 1}（{entry.get('name', '?')}）"
        days = _require(entry, "inspect_every_days", where, int)
        if days <= 0:
            raise ModelConfigError(f"{where}: inspect_every_days 必须大于 0")
        tiers.append(Tier(_require(entry, "name", where, str), _require(entry, "color", where, str),
                          float(_require(entry, "min_score", where, (int, float))), days))
    if not tiers:
        raise ModelConfigError("模型: 至少需要一个 tier")
    mins = [t.min_score for t in tiers]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ModelConfigError("tier: min_score 必须从高到低严格递减")
    if mins[-1] != 0:
        raise ModelConfigError(f"tier #{len(tiers)}（{tiers[-1].name}）: 最低一级的 min_score 必须为 0")

    names = {t.name for t in tiers}
    rules: list[DirectRule] = []
    for i, entry in enumerate(raw.get("direct_rule", [])):
        where = f"direct_rule #{i + 1}（{entry.get('id', '?')}）"
        tier = _require(entry, "tier", where, str)
        if tier not in names:
            raise ModelConfigError(f"{where}: 没有名为“{tier}”的 tier")
        rules.append(DirectRule(_require(entry, "id", where, str), _require(entry, "name", where, str),
                                _require(entry, "measure", where, str),
                                float(_require(entry, "min", where, (int, float))), tier,
                                _require(entry, "source", where, str)))
    return Model(version, title, tuple(factors), tuple(rules), tuple(tiers),
                 _area_index(raw.get("area_index")), _listing(raw.get("township_listing"), "township_listing"),
                 _listing(raw.get("enterprise_listing"), "enterprise_listing"))


def _area_index(raw: dict[str, Any] | None) -> AreaIndex | None:
    if raw is None:
        return None
    indicators = []
    for i, entry in enumerate(raw.get("indicator", [])):
        where = f"area_index.indicator #{i + 1}（{entry.get('id', '?')}）"
        weight = _require(entry, "weight", where, (int, float))
        if not weight > 0:
            raise ModelConfigError(f"{where}: weight 必须大于 0（现为 {weight}）")
        indicators.append(Indicator(_require(entry, "id", where, str), _require(entry, "name", where, str),
                                    float(weight), _require(entry, "definition", where, str)))
    if not indicators:
        raise ModelConfigError("area_index: 至少需要一个 indicator")
    lo, hi = raw.get("winsorise", [0.05, 0.95])
    if not 0 <= lo < hi <= 1:
        raise ModelConfigError(f"area_index: winsorise 应满足 0 ≤ 下限 < 上限 ≤ 1（现为 {lo}, {hi}）")
    return AreaIndex(tuple(indicators), (float(lo), float(hi)), int(raw.get("min_enterprises", 5)))


def _listing(raw: dict[str, Any] | None, section: str) -> Listing | None:
    if raw is None:
        return None
    rules = []
    for i, entry in enumerate(raw.get("rule", [])):
        where = f"{section}.rule #{i + 1}（{entry.get('id', '?')}）"
        level = _require(entry, "level", where, str)
        if level not in LEVEL_ORDER:
            raise ModelConfigError(f"{where}: level 应为 {'、'.join(LEVEL_ORDER)} 之一")
        if ("min" in entry) == ("max" in entry):
            raise ModelConfigError(f"{where}: 需要 min 或 max 之一")
        bound = "min" if "min" in entry else "max"
        value = float(_require(entry, bound, where, (int, float)))
        rules.append(ListingRule(_require(entry, "id", where, str), _require(entry, "name", where, str),
                                 _require(entry, "indicator", where, str), level,
                                 value if bound == "min" else None, value if bound == "max" else None))
    days = _require(raw, "deadline_days", section, int)
    return Listing(tuple(rules), days, _require(raw, "delisting", section, str))


def load_model(path: Path | str = DEFAULT_MODEL) -> Model:
    """Read and validate a model file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelConfigError(f"{Path(path).name}: 不是有效的 TOML（{exc}）") from exc
    return model_from_dict(raw)


def score(measures: pd.DataFrame, model: Model) -> pd.DataFrame:
    """Score enterprises.

    Parameters
    ----------
    measures : DataFrame
        One row per enterprise with ``uscc`` and every column in ``model.measures``.

    Returns
    -------
    DataFrame
        ``uscc``, one ``c_<factor>`` column of points per factor, ``score`` (their sum, exactly),
        ``points_tier`` (from the score alone), ``direct_rules`` (ids of rules that hold, ";"
        joined), ``tier`` (the highest of the two) and ``inspect_every_days``.
    """
    missing = [m for m in model.measures if m not in measures.columns]
    if missing:
        raise KeyError(f"measures lack {missing}")
    out = pd.DataFrame({"uscc": measures["uscc"].to_numpy()})
    for f in model.factors:
        out[f.column] = np.round(f.weight * f.fraction(measures[f.measure]), 6)
    # The score is the sum of the rounded parts, so a table of parts always adds up.
    out["score"] = out[[f.column for f in model.factors]].sum(axis=1).round(6)
    rank = {t.name: i for i, t in enumerate(model.tiers)}  # 0 = highest
    by_points = np.full(len(out), len(model.tiers) - 1)
    for i, t in reversed(list(enumerate(model.tiers))):
        by_points = np.where(out["score"].to_numpy() >= t.min_score, i, by_points)
    final = by_points.copy()
    hits = [[] for _ in range(len(out))]  # type: list[list[str]]
    for rule in model.direct_rules:
        holds = pd.to_numeric(measures[rule.measure], errors="coerce").fillna(0).to_numpy() >= rule.min
        final = np.where(holds, np.minimum(final, rank[rule.tier]), final)
        for j in np.flatnonzero(holds):
            hits[j].append(rule.id)
    names = np.array([t.name for t in model.tiers], dtype=object)
    out["points_tier"] = names[by_points]
    out["direct_rules"] = [";".join(h) for h in hits]
    out["tier"] = names[final]
    out["inspect_every_days"] = np.array([t.inspect_every_days for t in model.tiers])[final]
    return out
