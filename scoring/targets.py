"""Inspection target lists: filters and the short "why" of each rank."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring.model import Model

#: Enterprise flags the office filters by, as columns of the score table.
FLAG_COLUMNS = ("hazchem", "dust", "ammonia", "confined_space", "spraying", "gas", "special_equipment",
                "mixed_use", "rented", "high_fire_risk")


def filter_targets(df: pd.DataFrame, counties: Iterable[str] = (), townships: Iterable[str] = (),
                   industries: Iterable[str] = (), tiers: Iterable[str] = (), parks: Iterable[str] = (),
                   flags: Iterable[str] = (), text: str = "", departments: Iterable[str] = ()) -> pd.DataFrame:
    """Rows matching every given filter (an empty filter matches all).

    ``flags`` must all hold; ``text`` matches the name or credit code literally (no patterns);
    ``departments`` matches rows whose ``departments`` list (the departments that have the
    enterprise in hand, see :func:`data.queries.enterprise_departments`) shares one with it.
    """
    mask = pd.Series(True, index=df.index)
    wanted_departments = set(departments)
    if wanted_departments:
        mask &= df["departments"].map(lambda ds: bool(wanted_departments.intersection(ds)))
    for column, wanted in (("county_code", counties), ("township_code", townships), ("industry", industries),
                           ("tier", tiers), ("park_id", parks)):
        wanted = list(wanted)
        if wanted:
            mask &= df[column].isin(wanted)
    for flag in flags:
        if flag not in FLAG_COLUMNS:
            raise ValueError(f"unknown flag {flag!r}")
        mask &= df[flag].fillna(False).astype(bool)
    if text.strip():
        t = text.strip()
        mask &= df["name"].fillna("").str.contains(t, regex=False) | df["uscc"].str.contains(t.upper(), regex=False)
    return df[mask]


def _points(p: float) -> str:
    return f"{p:.1f}".removesuffix(".0")


def main_factors(scores: pd.DataFrame, model: Model, top: int = 3) -> list[str]:
    """For each row, its largest contributions, e.g. "三合一场所 12 + 逾期未整改隐患 10 + 涉及危化品 10".

    Ties keep the order of the factors in the model file.
    """
    points = scores[[f.column for f in model.factors]].to_numpy(dtype=float)
    order = np.argsort(-points, axis=1, kind="stable")[:, :top]
    names = [f.name for f in model.factors]
    return [" + ".join(f"{names[j]} {_points(row[j])}" for j in idx if row[j] > 0)
            for row, idx in zip(points, order)]


@dataclass(frozen=True)
class Part:
    """One factor's contribution to an enterprise's score."""

    group: str
    name: str
    points: float


def score_parts(row: Mapping[str, Any], model: Model) -> list[Part]:
    """The factors that contributed to one scored row (``enterprise_score``), in the model's
    order: the parts a score is the sum of, for every screen, the CLI and the exports."""
    return [Part(f.group, f.name, float(row[f.column])) for f in model.factors if float(row[f.column]) > 0]


def direct_reasons(row: Mapping[str, Any], model: Model) -> list[str]:
    """The direct-determination rules that hold for a scored row (by name), e.g. an open 重大隐患."""
    held = str(row.get("direct_rules") or "")
    names = {r.id: r.name for r in model.direct_rules}
    return [names.get(r, r) for r in held.split(";") if r]
