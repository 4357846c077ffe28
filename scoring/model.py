"""The risk model as data: factors, measures, direct-determination rules, tiers, the area
index, the listings, the inspection plan and the robustness analysis, all from ``model.toml``.

Loading validates every entry and names the bad one. Scoring is a pure function of a
measures table (one row per enterprise) and the model: each factor contributes
``weight × f(measure)`` with ``f`` in [0, 1], the score is their sum, the tier follows from
the points unless a direct rule sets it. The measures' SQL is generated from their
declarations (:mod:`scoring.measures`).
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_MODEL = Path(__file__).with_name("model.toml")
KINDS = {"flag": (), "cap": ("cap",), "ramp": ("lo", "hi"), "log": ("ref",)}

#: The ledgers a measure may read: the column dating a record, and the ledger's name.
SOURCES = {"hazard": ("found_on", "隐患台账"), "inspection": ("date", "检查台账"),
           "enforcement": ("date", "执法台账"), "incident": ("date", "事故台账")}
#: How a measure aggregates its records, and the keys each way needs.
AGGREGATES = {"count": (), "sum": ("column",), "latest": (), "days_since": ("never",),
              "repeats": ("by", "min_count"), "covered": ()}
#: Hazard statuses at T a measure may keep: open (not rectified by T), overdue (open and past
#: its deadline), rectified (by T).
HAZARD_STATUSES = ("open", "overdue", "rectified")
#: The hazard levels of ``data.vocab.HAZARD_LEVELS`` (scoring does not import data).
HAZARD_LEVELS = ("一般", "较大", "重大")
#: The keys of a table of points by hazard level in model.toml (``[site] hazard_points``): ids,
#: so that the English methodology names every key of the file without a Chinese word.
HAZARD_LEVEL_IDS = {"general": "一般", "serious": "较大", "major": "重大"}
#: Measures the area tables compute per area, by the ids their columns carry.
AREA_MEASURES = ("incidents_12m", "inspection_coverage")
MEASURE_KEYS = {"id", "name", "source", "aggregate", "definition", "window_days", "window_of", "status", "level",
                "column", "by", "min_count", "never", "per"}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
YEAR_WORDS = ("一", "两", "三", "四", "五", "六", "七", "八", "九", "十")


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
class CategoryClause:
    """A finer citation of a direct rule for the records whose hazard category (or, failing
    that, description) contains one of ``contains``: the clause of the standard that kind of
    hazard falls under."""

    contains: tuple[str, ...]
    clause: str

    def matches(self, text: str) -> bool:
        return any(word in text for word in self.contains)


@dataclass(frozen=True)
class DirectRule:
    id: str
    name: str
    measure: str
    min: float
    tier: str
    source: str
    #: The clause of the standard the rule stands on, in our own words (required).
    clause: str = ""
    #: Finer clauses by the triggering hazard's category, first match wins (else ``clause``).
    by_category: tuple[CategoryClause, ...] = ()

    def clause_for(self, category: object = None, description: object = None) -> str:
        """The clause a triggering record is cited under: the first of :attr:`by_category`
        whose words occur in its category, else in its description, else the rule's own."""
        for text in (category, description):
            if isinstance(text, str) and text.strip():
                for entry in self.by_category:
                    if entry.matches(text):
                        return entry.clause
        return self.clause


@dataclass(frozen=True)
class SnapshotConfig:
    """Score snapshots (``scoring.snapshots``): every quarter-end of at most ``max_quarters``
    quarters back from the as-of date, every inspection date of an enterprise since the earliest
    of them, and the as-of date itself."""

    max_quarters: int = 12


@dataclass(frozen=True)
class Measure:
    """A measure read from a ledger as of T, declared in ``[[measure]]``.

    A record counts when its own date (:attr:`date_column`) is on or before T and, with
    ``window_days``, after T - ``window_days`` (``window_of``: the measure whose window it shares,
    ``window_days`` then being that one's); ``status`` and ``level`` keep some hazards.
    ``per = "area"`` measures are computed for each area, not each enterprise.
    """

    id: str
    name: str
    source: str
    aggregate: str
    definition: str
    window_days: int | None = None
    status: str | None = None
    level: str | None = None
    column: str | None = None
    by: str | None = None
    min_count: int | None = None
    never: int | None = None
    per: str = "enterprise"
    window_of: str | None = None

    @property
    def date_column(self) -> str:
        """The column that dates a record of the source."""
        return SOURCES[self.source][0]

    @property
    def window_years(self) -> str:
        """The window in words, for texts: 一年, 两年, 三年 … (whole years only)."""
        years = self._whole_years()
        return (YEAR_WORDS[years - 1] if years <= len(YEAR_WORDS) else str(years)) + "年"

    @property
    def window_months(self) -> int:
        """The window in months, for texts: 12, 24, 36 … (whole years only)."""
        return self._whole_years() * 12

    @property
    def window_text(self) -> str:
        """The window in words for any length: "12 个月", "36 个月" (whole years), else "200 天"."""
        if self.window_days is None:
            raise ValueError(f"指标“{self.id}”没有时间窗")
        return f"{self.window_months} 个月" if self.window_days % 365 == 0 else f"{self.window_days} 天"

    @property
    def window_text_en(self) -> str:
        """:attr:`window_text` in English: "12 months", "200 days"."""
        return self.window_text.replace(" 个月", " months").replace(" 天", " days")

    def _whole_years(self) -> int:
        if self.window_days is None:
            raise ValueError(f"指标“{self.id}”没有时间窗")
        if self.window_days % 365:
            raise ValueError(f"指标“{self.id}”的时间窗 {self.window_days} 天不是整年，请在文字中写 window_days")
        return self.window_days // 365


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    color: str
    rgb: tuple[int, int, int]
    high: bool  # counts among the "重大、较大风险" enterprises
    min_score: float
    inspect_every_days: int


@dataclass(frozen=True)
class Plan:
    """The inspection plan: days to complete an assigned inspection, inspectors per target."""

    assign_days: int
    inspectors_per_target: int


@dataclass(frozen=True)
class LiftConfig:
    """The measured lift of targeting (``[lift]``): ``control_share`` of a 双随机 draw is the
    uniform random control; intervals at ``confidence``; a comparison with fewer than
    ``min_inspections`` in either group is marked 样本不足."""

    control_share: float = 0.0
    confidence: float = 0.95
    min_inspections: int = 30


@dataclass(frozen=True)
class RobustnessConfig:
    """The Monte Carlo over the weights: each weight × U[1 - spread, 1 + spread], ``draws``
    times from ``seed``; a township listed in at least ``stable_listed`` of the draws is
    稳定挂牌, in at most ``stable_unlisted`` 稳定不挂牌, in between 临界."""

    spread: float
    draws: int
    seed: int
    stable_listed: float
    stable_unlisted: float

    def fields(self) -> dict[str, float | int]:
        """The parameters for text templates, ``spread_pct`` (25 for ±25 %) besides."""
        return {"spread": self.spread, "spread_pct": round(self.spread * 100, 6), "draws": self.draws,
                "seed": self.seed, "stable_listed": self.stable_listed, "stable_unlisted": self.stable_unlisted}


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

    @property
    def bound(self) -> float:
        """The threshold: ``min``, else ``max`` (the model config gives exactly one of them)."""
        bound = self.min if self.min is not None else self.max
        assert bound is not None, f"listing rule {self.id}: neither min nor max"
        return float(bound)

    def holds(self, value: float) -> bool:
        if value != value:  # NaN: no data, no listing
            return False
        return value >= self.bound if self.min is not None else value <= self.bound


@dataclass(frozen=True)
class Listing:
    rules: tuple[ListingRule, ...]
    deadline_days: int
    delisting: str


LEVEL_ORDER = ("市级", "县级", "镇级")  # highest first


@dataclass(frozen=True)
class SiteConfig:
    """A site shared by several enterprises (``[site]``): how tenants are grouped and how the
    site's score adds crowding, mixed use and its own open hazards to its highest tenant score
    (:func:`scoring.sites.site_scores`)."""

    name: str
    group_by_address: bool
    address_max_tenants: int
    per_extra_tenant: float
    crowding_cap: float
    per_extra_industry: float
    mixed_cap: float
    hazard_points: dict[str, float]
    hazard_cap: float
    major_hazard_tier: str
    source: str

    @property
    def max_extra(self) -> float:
        """The most points a site may add to its highest tenant score."""
        return self.crowding_cap + self.mixed_cap + self.hazard_cap


@dataclass(frozen=True)
class EscalationStep:
    """A step of the escalation ladder: ``action`` (督办 / 挂牌) at ``level`` (镇级 / 县级 /
    市级), reached ``overdue_days`` days after an open hazard's deadline."""

    id: str
    action: str
    level: str
    overdue_days: int

    @property
    def name(self) -> str:
        """The step as officials say it: 县级督办, 市级挂牌."""
        return f"{self.level}{self.action}"


@dataclass(frozen=True)
class Closures:
    """``[closures]``: the re-inspection sample, the flags on closures and the escalation ladder.

    ``window_days``: the closures (验收销号 on or before T) of the days ending on T that are
    sampled and flagged; ``per_stratum``: closures drawn per (level, department) stratum, by
    level; the flags' thresholds (see ``docs/MODEL.md``); ``escalation``: the ladder, lowest
    step first (``overdue_days`` increasing).
    """

    window_days: int
    per_stratum: dict[str, int]
    same_day_max_days: int
    same_day_levels: tuple[str, ...]
    batch_min_count: int
    #: (by, min_count, min_share) with by "enterprise" or "department".
    deadline_exact: tuple[tuple[str, int, float], ...]
    score_rose_min_points: float
    escalation: tuple[EscalationStep, ...]
    #: A batch also needs this many times the department's usual closures per day (1: off).
    batch_times_usual: float = 1.0


ESCALATION_ACTIONS = ("督办", "挂牌")
#: The steps of the ladder, lowest first, as ``Closures.escalation`` requires them.
ESCALATION_LEVELS = ("镇级", "县级", "市级")


@dataclass(frozen=True)
class Model:
    version: str
    title: str
    factors: tuple[Factor, ...]
    direct_rules: tuple[DirectRule, ...]
    tiers: tuple[Tier, ...]  # highest first
    plan: Plan
    robustness: RobustnessConfig
    declared_measures: tuple[Measure, ...] = ()
    area_index: AreaIndex | None = None
    township_listing: Listing | None = None
    enterprise_listing: Listing | None = None
    lift: LiftConfig = LiftConfig()
    snapshots: SnapshotConfig = SnapshotConfig()
    site: SiteConfig | None = None
    closures: Closures | None = None

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

    @property
    def high_tiers(self) -> tuple[str, ...]:
        """Names of the tiers counted as high risk (the top ones), highest first."""
        return tuple(t.name for t in self.tiers if t.high)

    def measure(self, id: str) -> Measure:
        """The declared measure ``id``."""
        for m in self.declared_measures:
            if m.id == id:
                return m
        raise KeyError(f"no [[measure]] {id!r} in the model")

    @property
    def enterprise_measures(self) -> tuple[Measure, ...]:
        """The declared measures of each enterprise, in file order (columns of ``measures_as_of``)."""
        return tuple(m for m in self.declared_measures if m.per == "enterprise")


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
    measures = _measures(raw.get("measure", []))

    tiers: list[Tier] = []
    for i, entry in enumerate(raw.get("tier", [])):
        where = f"tier #{i + 1}（{entry.get('name', '?')}）"
        _known(entry, {"id", "name", "color", "rgb", "high", "min_score", "inspect_every_days"}, where)
        days = _require(entry, "inspect_every_days", where, int)
        if days <= 0:
            raise ModelConfigError(f"{where}: inspect_every_days 必须大于 0")
        tid = _identifier(entry, "id", where)
        if any(t.id == tid for t in tiers):
            raise ModelConfigError(f"{where}: id 重复")
        rgb = _require(entry, "rgb", where, list)
        if len(rgb) != 3 or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in rgb):
            raise ModelConfigError(f"{where}: rgb 应为 0–255 的三个整数（现为 {rgb!r}）")
        tiers.append(Tier(tid, _require(entry, "name", where, str), _require(entry, "color", where, str),
                          (rgb[0], rgb[1], rgb[2]), _require(entry, "high", where, bool),
                          float(_require(entry, "min_score", where, (int, float))), days))
    if not tiers:
        raise ModelConfigError("模型: 至少需要一个 tier")
    mins = [t.min_score for t in tiers]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ModelConfigError("tier: min_score 必须从高到低严格递减")
    if mins[-1] != 0:
        raise ModelConfigError(f"tier #{len(tiers)}（{tiers[-1].name}）: 最低一级的 min_score 必须为 0")
    high = [t.high for t in tiers]
    if not high[0] or high != sorted(high, reverse=True):
        first = next(i for i, h in enumerate(high) if not h)
        bad = next((i for i in range(first, len(tiers)) if high[i]), 0)
        raise ModelConfigError(f"tier #{bad + 1}（{tiers[bad].name}）: high = true 的应是最高的一级或几级（连续）")

    words = text_words(measures, tiers)
    measures = tuple(replace(m, name=_words(m.name, f"measure “{m.id}”", words),
                             definition=_words(m.definition, f"measure “{m.id}”", words)) for m in measures)

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
            id=fid, name=_text(entry, "name", where, words), group=_require(entry, "group", where, str),
            kind=kind, measure=_require(entry, "measure", where, str), weight=float(weight),
            definition=_text(entry, "definition", where, words),
            source=_require(entry, "source", where, str), params=params,
        ))
    if not factors:
        raise ModelConfigError("模型: 至少需要一个 factor")


    names = {t.name for t in tiers}
    rules: list[DirectRule] = []
    for i, entry in enumerate(raw.get("direct_rule", [])):
        where = f"direct_rule #{i + 1}（{entry.get('id', '?')}）"
        _known(entry, {"id", "name", "measure", "min", "tier", "source", "clause", "by_category"}, where)
        tier = _require(entry, "tier", where, str)
        if tier not in names:
            raise ModelConfigError(f"{where}: 没有名为“{tier}”的 tier")
        rules.append(DirectRule(_require(entry, "id", where, str), _text(entry, "name", where, words),
                                _require(entry, "measure", where, str),
                                float(_require(entry, "min", where, (int, float))), tier,
                                _require(entry, "source", where, str), _clause(entry, where),
                                _by_category(entry.get("by_category", []), where)))
    per_area = {m.id for m in measures if m.per == "area"}
    for where, read in [*((f"factor “{f.id}”", f.measure) for f in factors),
                        *((f"direct_rule “{r.id}”", r.measure) for r in rules)]:
        if read in per_area:
            raise ModelConfigError(f"{where}: 指标“{read}”按区域计算（per = \"area\"），不能用于企业")
    area_index = _area_index(raw.get("area_index"), words)
    if area_index is not None:
        for mid in AREA_MEASURES:
            if mid not in per_area:
                raise ModelConfigError(f"area_index: 需要声明 [[measure]]“{mid}”（per = \"area\"）")
    return Model(version=version, title=title, factors=tuple(factors), direct_rules=tuple(rules),
                 tiers=tuple(tiers), plan=_plan(raw.get("plan")), robustness=_robustness(raw.get("robustness")),
                 declared_measures=measures, area_index=area_index,
                 township_listing=_listing(raw.get("township_listing"), "township_listing", words),
                 enterprise_listing=_listing(raw.get("enterprise_listing"), "enterprise_listing", words),
                 lift=_lift(raw.get("lift")),
                 snapshots=_snapshots(raw.get("snapshots")),
                 site=_site(raw.get("site"), names),
                 closures=_closures(raw.get("closures")))


def _clause(entry: dict[str, Any], where: str) -> str:
    """The clause a direct rule (or one of its ``by_category`` entries) cites: required, not blank."""
    clause = _require(entry, "clause", where, str)
    if not clause.strip():
        raise ModelConfigError(f"{where}: “clause”不能为空（写明依据的标准及条款）")
    return clause.strip()


def _by_category(raw: object, where: str) -> tuple[CategoryClause, ...]:
    if not isinstance(raw, list):
        raise ModelConfigError(f"{where}: by_category 应为 [[direct_rule.by_category]] 表的数组")
    out = []
    for j, entry in enumerate(raw):
        here = f"{where} by_category #{j + 1}"
        if not isinstance(entry, dict):
            raise ModelConfigError(f"{here}: 应为表")
        _known(entry, {"contains", "clause"}, here)
        words = _require(entry, "contains", here, list)
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ModelConfigError(f"{here}: contains 应为非空的词语列表")
        out.append(CategoryClause(tuple(w.strip() for w in words), _clause(entry, here)))
    return tuple(out)


def _snapshots(raw: dict[str, Any] | None) -> SnapshotConfig:
    if raw is None:
        return SnapshotConfig()
    _known(raw, {"max_quarters"}, "snapshots")
    return SnapshotConfig(_positive_int(raw, "max_quarters", "snapshots"))


SITE_KEYS = {"name", "group_by_address", "address_max_tenants", "per_extra_tenant", "crowding_cap",
             "per_extra_industry", "mixed_cap", "hazard_points", "hazard_cap", "major_hazard_tier", "source"}


def _site(raw: dict[str, Any] | None, tiers: set[str]) -> SiteConfig | None:
    if raw is None:
        return None
    where = "site"
    _known(raw, SITE_KEYS, where)

    def points(key: str) -> float:
        value = float(_require(raw, key, where, (int, float)))
        if value < 0:
            raise ModelConfigError(f"{where}: {key} 不能为负数（现为 {value:g}）")
        return value

    levels = _require(raw, "hazard_points", where, dict)
    if set(levels) != set(HAZARD_LEVEL_IDS):
        raise ModelConfigError(f"{where}: hazard_points 应恰好给出 {'、'.join(HAZARD_LEVEL_IDS)} 三个键"
                               f"（{'、'.join(f'{k} = {v}' for k, v in HAZARD_LEVEL_IDS.items())} 隐患的分值；"
                               f"现为 {'、'.join(levels) or '无'}）")
    hazard_points = {}
    for key, level in HAZARD_LEVEL_IDS.items():
        value = levels[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ModelConfigError(f"{where}: hazard_points 中 {key}（{level}）的分值 {value!r} 应为不小于 0 的数")
        hazard_points[level] = float(value)
    tier = _require(raw, "major_hazard_tier", where, str)
    if tier not in tiers:
        raise ModelConfigError(f"{where}: 没有名为“{tier}”的 tier")
    return SiteConfig(
        name=_require(raw, "name", where, str), group_by_address=_require(raw, "group_by_address", where, bool),
        address_max_tenants=_positive_int(raw, "address_max_tenants", where, 2),
        per_extra_tenant=points("per_extra_tenant"), crowding_cap=points("crowding_cap"),
        per_extra_industry=points("per_extra_industry"), mixed_cap=points("mixed_cap"),
        hazard_points=hazard_points, hazard_cap=points("hazard_cap"), major_hazard_tier=tier,
        source=_require(raw, "source", where, str))


def text_words(measures: tuple[Measure, ...], tiers: list[Tier] | tuple[Tier, ...]) -> dict[str, object]:
    """What a text of the model may quote in braces: ``{<measure id>.window_years}`` (一年, 三年),
    ``{<measure id>.window_months}`` (12, 36), ``{<measure id>.window_days}`` and the other fields
    of a measure; ``{high}`` (重大、较大) and ``{high_or}`` (重大或较大), the high tiers."""
    high = [t.name for t in tiers if t.high]
    return {**{m.id: m for m in measures}, "high": "、".join(high), "high_or": "或".join(high)}


def _words(text: str, where: str, words: Mapping[str, object]) -> str:
    if "{" not in text:
        return text
    try:
        return text.format_map(words)
    except (KeyError, AttributeError, ValueError, IndexError) as exc:
        raise ModelConfigError(f"{where}: “{text}”中的 {{…}} 无法替换（{exc}）") from exc


def _text(entry: dict[str, Any], key: str, where: str, words: Mapping[str, object]) -> str:
    """A text of an entry with its ``{…}`` filled from :func:`text_words`."""
    return _words(_require(entry, key, where, str), where, words)


def _known(entry: dict[str, Any], keys: set[str], where: str) -> None:
    """A key the loader does not read is a typo that would silently change nothing: refuse it."""
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise ModelConfigError(f"{where}: 未知的键 {'、'.join(unknown)}（可用：{'、'.join(sorted(keys))}）")


def _identifier(entry: dict[str, Any], key: str, where: str) -> str:
    value = _require(entry, key, where, str)
    if not _IDENTIFIER.fullmatch(value):
        raise ModelConfigError(f"{where}: “{key}”应为小写字母、数字和下划线组成的名称（现为 {value!r}）")
    return value


def _positive_int(entry: dict[str, Any], key: str, where: str, minimum: int = 1) -> int:
    value = _require(entry, key, where, int)
    if value < minimum:
        raise ModelConfigError(f"{where}: {key} 必须不小于 {minimum}（现为 {value}）")
    return int(value)


def _measures(raw: list[dict[str, Any]]) -> tuple[Measure, ...]:
    out: list[Measure] = []
    for i, entry in enumerate(raw):
        where = f"measure #{i + 1}（{entry.get('id', '?')}）"
        _known(entry, MEASURE_KEYS, where)
        mid = _identifier(entry, "id", where)
        if any(m.id == mid for m in out):
            raise ModelConfigError(f"{where}: id 重复")
        source = _require(entry, "source", where, str)
        if source not in SOURCES:
            raise ModelConfigError(f"{where}: source 应为 {', '.join(SOURCES)} 之一，而不是 {source!r}")
        aggregate = _require(entry, "aggregate", where, str)
        if aggregate not in AGGREGATES:
            raise ModelConfigError(f"{where}: aggregate 应为 {', '.join(AGGREGATES)} 之一，而不是 {aggregate!r}")
        for key in ("column", "by", "min_count", "never"):
            if key in entry and key not in AGGREGATES[aggregate]:
                raise ModelConfigError(f"{where}: aggregate = {aggregate!r} 不用“{key}”")
        per = entry.get("per", "enterprise")
        if per not in ("enterprise", "area"):
            raise ModelConfigError(f"{where}: per 应为 enterprise 或 area，而不是 {per!r}")
        if per == "area" and aggregate not in ("count", "covered") or aggregate == "covered" and per != "area":
            raise ModelConfigError(f"{where}: 按区域（per = \"area\"）的指标只能是 count 或 covered，"
                                   "covered 只能按区域")
        for key in ("status", "level"):
            if key in entry and source != "hazard":
                raise ModelConfigError(f"{where}: “{key}”只适用于 source = \"hazard\"")
        status = entry.get("status")
        if status is not None and status not in HAZARD_STATUSES:
            raise ModelConfigError(f"{where}: status 应为 {', '.join(HAZARD_STATUSES)} 之一，而不是 {status!r}")
        level = entry.get("level")
        if level is not None and level not in HAZARD_LEVELS:
            raise ModelConfigError(f"{where}: level 应为 {'、'.join(HAZARD_LEVELS)} 之一，而不是 {level!r}")
        window = _positive_int(entry, "window_days", where) if "window_days" in entry else None
        window_of = entry.get("window_of")
        if window_of is not None:
            if window is not None:
                raise ModelConfigError(f"{where}: window_days 与 window_of 只能写一个")
            shared = next((m for m in out if m.id == window_of), None)
            if shared is None or shared.window_of is not None or shared.window_days is None:
                raise ModelConfigError(f"{where}: window_of = {window_of!r} "
                                       "应为前面声明的、自己写了 window_days 的指标")
            window = shared.window_days
        if aggregate == "covered" and window is None:
            raise ModelConfigError(f"{where}: aggregate = \"covered\" 需要 window_days")
        out.append(Measure(
            id=mid, name=_require(entry, "name", where, str), source=source, aggregate=aggregate,
            definition=_require(entry, "definition", where, str), window_days=window, status=status, level=level,
            column=_identifier(entry, "column", where) if aggregate == "sum" else None,
            by=_identifier(entry, "by", where) if aggregate == "repeats" else None,
            min_count=_positive_int(entry, "min_count", where) if aggregate == "repeats" else None,
            never=_positive_int(entry, "never", where, 0) if aggregate == "days_since" else None,
            per=per, window_of=window_of,
        ))
    return tuple(out)


def _plan(raw: dict[str, Any] | None) -> Plan:
    if raw is None:
        raise ModelConfigError("模型: 缺少 [plan]（assign_days、inspectors_per_target）")
    _known(raw, {"assign_days", "inspectors_per_target"}, "plan")
    return Plan(_positive_int(raw, "assign_days", "plan"), _positive_int(raw, "inspectors_per_target", "plan"))


def _lift(raw: dict[str, Any] | None) -> LiftConfig:
    if raw is None:
        return LiftConfig()
    where = "lift"
    _known(raw, {"control_share", "confidence", "min_inspections"}, where)
    share = float(_require(raw, "control_share", where, (int, float)))
    if not 0 <= share < 1:
        raise ModelConfigError(f"{where}: control_share 应满足 0 ≤ control_share < 1（现为 {share}）")
    confidence = float(_require(raw, "confidence", where, (int, float)))
    if not 0.5 <= confidence < 1:
        raise ModelConfigError(f"{where}: confidence 应满足 0.5 ≤ confidence < 1（现为 {confidence}）")
    return LiftConfig(share, confidence, _positive_int(raw, "min_inspections", where))


def _robustness(raw: dict[str, Any] | None) -> RobustnessConfig:
    if raw is None:
        raise ModelConfigError("模型: 缺少 [robustness]（spread、draws、seed、stable_listed、stable_unlisted）")
    where = "robustness"
    _known(raw, {"spread", "draws", "seed", "stable_listed", "stable_unlisted"}, where)
    spread = float(_require(raw, "spread", where, (int, float)))
    if not 0 <= spread < 1:
        raise ModelConfigError(f"{where}: spread 应满足 0 ≤ spread < 1（现为 {spread}）")
    listed = float(_require(raw, "stable_listed", where, (int, float)))
    unlisted = float(_require(raw, "stable_unlisted", where, (int, float)))
    if not 0 <= unlisted < listed <= 1:
        raise ModelConfigError(f"{where}: 应满足 0 ≤ stable_unlisted < stable_listed ≤ 1（现为 {unlisted}, {listed}）")
    return RobustnessConfig(spread, _positive_int(raw, "draws", where), _positive_int(raw, "seed", where, 0),
                            listed, unlisted)


def _area_index(raw: dict[str, Any] | None, words: Mapping[str, object]) -> AreaIndex | None:
    if raw is None:
        return None
    indicators = []
    for i, entry in enumerate(raw.get("indicator", [])):
        where = f"area_index.indicator #{i + 1}（{entry.get('id', '?')}）"
        weight = _require(entry, "weight", where, (int, float))
        if not weight > 0:
            raise ModelConfigError(f"{where}: weight 必须大于 0（现为 {weight}）")
        indicators.append(Indicator(_require(entry, "id", where, str), _text(entry, "name", where, words),
                                    float(weight), _text(entry, "definition", where, words)))
    if not indicators:
        raise ModelConfigError("area_index: 至少需要一个 indicator")
    lo, hi = raw.get("winsorise", [0.05, 0.95])
    if not 0 <= lo < hi <= 1:
        raise ModelConfigError(f"area_index: winsorise 应满足 0 ≤ 下限 < 上限 ≤ 1（现为 {lo}, {hi}）")
    return AreaIndex(tuple(indicators), (float(lo), float(hi)), int(raw.get("min_enterprises", 5)))


def _listing(raw: dict[str, Any] | None, section: str, words: Mapping[str, object]) -> Listing | None:
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
        rules.append(ListingRule(_require(entry, "id", where, str), _text(entry, "name", where, words),
                                 _require(entry, "indicator", where, str), level,
                                 value if bound == "min" else None, value if bound == "max" else None))
    days = _require(raw, "deadline_days", section, int)
    return Listing(tuple(rules), days, _text(raw, "delisting", section, words))


def _closures(raw: dict[str, Any] | None) -> Closures | None:
    """``[closures]`` validated: every threshold a positive number, levels and departments' keys
    as the vocabularies have them, the ladder's steps in increasing ``overdue_days``."""
    if raw is None:
        return None
    where = "closures"
    _known(raw, {"window_days", "sample", "flags", "escalation"}, where)
    sample = raw.get("sample") or {}
    _known(sample, {"per_stratum"}, f"{where}.sample")
    per: dict[str, int] = {}
    for i, entry in enumerate(sample.get("per_stratum") or []):
        w = f"{where}.sample.per_stratum #{i + 1}"
        if not isinstance(entry, dict):
            raise ModelConfigError(f"{w}: 应为 {{ level = \"重大\", count = 5 }} 的形式")
        _known(entry, {"level", "count"}, w)
        level = _require(entry, "level", w, str)
        if level not in HAZARD_LEVELS or level in per:
            raise ModelConfigError(f"{w}: 隐患等级“{level}”应为 {'、'.join(HAZARD_LEVELS)} 之一，且不重复")
        per[level] = _positive_int(entry, "count", w, 0)
    if not per:
        raise ModelConfigError(f"{where}.sample: per_stratum 应按隐患等级给出每层抽取数，如 "
                               "[{ level = \"重大\", count = 5 }]")
    flags = raw.get("flags") or {}
    _known(flags, {"same_day", "batch", "deadline_exact", "score_rose"}, f"{where}.flags")
    same = flags.get("same_day") or {}
    _known(same, {"max_days", "levels"}, f"{where}.flags.same_day")
    levels = same.get("levels", list(HAZARD_LEVELS))
    if not isinstance(levels, list) or not set(levels) <= set(HAZARD_LEVELS):
        raise ModelConfigError(f"{where}.flags.same_day: levels 应为 {'、'.join(HAZARD_LEVELS)} 中的若干个")
    batch = flags.get("batch") or {}
    _known(batch, {"min_count", "times_usual"}, f"{where}.flags.batch")
    times = float(batch.get("times_usual", 1))
    if not times >= 1:
        raise ModelConfigError(f"{where}.flags.batch: times_usual 应不小于 1（现为 {times}）")
    exact = []
    for i, entry in enumerate(flags.get("deadline_exact") or []):
        w = f"{where}.flags.deadline_exact #{i + 1}"
        _known(entry, {"by", "min_count", "min_share"}, w)
        by = _require(entry, "by", w, str)
        if by not in ("enterprise", "department"):
            raise ModelConfigError(f"{w}: by 应为 enterprise（同一企业）或 department（同一部门）")
        share = float(entry.get("min_share", 0))
        if not 0 <= share <= 1:
            raise ModelConfigError(f"{w}: min_share 应在 0 到 1 之间（现为 {share}）")
        exact.append((by, _positive_int(entry, "min_count", w, 2), share))
    rose = flags.get("score_rose") or {}
    _known(rose, {"min_points"}, f"{where}.flags.score_rose")
    points = float(_require(rose, "min_points", f"{where}.flags.score_rose", (int, float)))
    if not points > 0:
        raise ModelConfigError(f"{where}.flags.score_rose: min_points 必须大于 0（现为 {points}）")
    steps = []
    for i, entry in enumerate(raw.get("escalation") or []):
        w = f"{where}.escalation #{i + 1}（{entry.get('id', '?')}）"
        _known(entry, {"id", "action", "level", "overdue_days"}, w)
        action, level = _require(entry, "action", w, str), _require(entry, "level", w, str)
        if action not in ESCALATION_ACTIONS:
            raise ModelConfigError(f"{w}: action 应为 {'、'.join(ESCALATION_ACTIONS)} 之一")
        if level not in ESCALATION_LEVELS:
            raise ModelConfigError(f"{w}: level 应为 {'、'.join(ESCALATION_LEVELS)} 之一")
        steps.append(EscalationStep(_identifier(entry, "id", w), action, level,
                                    _positive_int(entry, "overdue_days", w, 0)))
    days = [s.overdue_days for s in steps]
    if days != sorted(set(days)):
        raise ModelConfigError(f"{where}.escalation: 各级的 overdue_days 应逐级增大（现为 {days}）")
    if len({s.id for s in steps}) != len(steps):
        raise ModelConfigError(f"{where}.escalation: id 不能重复")
    return Closures(
        window_days=_positive_int(raw, "window_days", where),
        per_stratum={lv: per[lv] for lv in reversed(HAZARD_LEVELS) if lv in per},
        same_day_max_days=_positive_int(same, "max_days", f"{where}.flags.same_day", 0),
        same_day_levels=tuple(lv for lv in HAZARD_LEVELS if lv in levels),
        batch_min_count=_positive_int(batch, "min_count", f"{where}.flags.batch", 2),
        deadline_exact=tuple(exact), score_rose_min_points=points, escalation=tuple(steps), batch_times_usual=times)


def load_model(path: Path | str = DEFAULT_MODEL) -> Model:
    """Read and validate a model file (once per version of the file: every page run asks, and
    parsing it was a twentieth of the server's time under load; a Model is immutable)."""
    stat = Path(path).stat()
    return _load_model(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_model(path: str, mtime_ns: int, size: int) -> Model:
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
    hits = np.full(len(out), "", dtype=object)  # the ids of the rules that hold, ";" joined
    for rule in model.direct_rules:
        col = measures[rule.measure]
        values = col if pd.api.types.is_numeric_dtype(col.dtype) else pd.to_numeric(col, errors="coerce")
        holds = values.fillna(0).to_numpy(dtype=float) >= rule.min
        final = np.where(holds, np.minimum(final, rank[rule.tier]), final)
        at = np.flatnonzero(holds)  # only the rows it holds for: a list per row cost 0.5 s a million
        hits[at] = [f"{h};{rule.id}" if h else rule.id for h in hits[at]]
    names = np.array([t.name for t in model.tiers], dtype=object)
    out["points_tier"] = names[by_points]
    out["direct_rules"] = hits
    out["tier"] = names[final]
    out["inspect_every_days"] = np.array([t.inspect_every_days for t in model.tiers])[final]
    return out
