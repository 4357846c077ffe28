"""Backtest: score as of T, then see where the incidents of the following months happened.

The questions a safety office asks of a ranking: if we had inspected the top k, how many of
them went on to have an incident (precision@k)? What share of all incidents came from the
top 5 %, 10 %, 20 % of the list? How well does the score separate enterprises with and
without a later incident overall (AUC, 0.5 = chance)?
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from scoring.measures import measures_as_of
from scoring.model import Model, score


def auc(scores: ArrayLike, labels: ArrayLike) -> float:
    """Area under the ROC curve by the Mann-Whitney rank formula (ties get average ranks).

    Returns NaN when the labels are all one class.
    """
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def rank_order(scores: pd.DataFrame) -> pd.DataFrame:
    """Highest score first; ties by credit code so the order is reproducible."""
    return scores.sort_values(["score", "uscc"], ascending=[False, True], kind="mergesort")


@dataclass
class BacktestResult:
    as_of: dt.date
    horizon_days: int
    model_version: str
    enterprises: int
    enterprises_with_incident: int
    incidents: int
    auc: float
    precision_at_k: dict[int, float] = field(default_factory=dict)
    share_of_incidents_in_top: dict[float, float] = field(default_factory=dict)

    @property
    def base_rate(self) -> float:
        return self.enterprises_with_incident / self.enterprises if self.enterprises else float("nan")


def backtest(con: duckdb.DuckDBPyConnection, model: Model, as_of: dt.date, horizon_days: int = 365,
             ks: tuple[int, ...] = (50, 100, 500), top_shares: tuple[float, ...] = (0.05, 0.10, 0.20),
             ) -> BacktestResult:
    """Score as of ``as_of`` and compare with incidents in (as_of, as_of + horizon]."""
    scores = rank_order(score(measures_as_of(con, as_of, model), model))
    end = as_of + dt.timedelta(days=horizon_days)
    later = con.execute(
        "SELECT uscc, count(*) AS n FROM incident WHERE uscc IS NOT NULL AND date > ? AND date <= ? "
        "GROUP BY uscc", [as_of, end]).df()
    counts = scores[["uscc"]].merge(later, on="uscc", how="left")["n"].fillna(0).to_numpy()
    hit = counts > 0
    result = BacktestResult(as_of, horizon_days, model.version, len(scores), int(hit.sum()),
                            int(counts.sum()), auc(scores["score"].to_numpy(), hit))
    for k in ks:
        if k <= len(scores):
            result.precision_at_k[k] = float(hit[:k].mean())
    for share in top_shares:
        n = max(1, int(round(share * len(scores))))
        share_in_top = float(counts[:n].sum() / counts.sum()) if counts.sum() else float("nan")
        result.share_of_incidents_in_top[share] = share_in_top
    return result


def due_for_inspection(scored: pd.DataFrame, measures: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Enterprises whose tier's inspection interval has run out by ``as_of``.

    ``next_due`` is the last inspection plus the tier's interval; an enterprise never
    inspected is due at once. Sorted by how overdue, then by score.
    """
    df = scored.merge(measures[["uscc", "last_inspection"]], on="uscc", how="left")
    last = pd.to_datetime(df["last_inspection"])
    due = last + pd.to_timedelta(df["inspect_every_days"], unit="D")
    t = pd.Timestamp(as_of)
    df["next_due"] = due.dt.date
    df["days_overdue"] = np.where(last.isna(), np.nan, (t - due).dt.days)
    out = df[last.isna() | (due <= t)].copy()
    out["never_inspected"] = out["last_inspection"].isna()
    return out.sort_values(["never_inspected", "days_overdue", "score"], ascending=[False, False, False])
