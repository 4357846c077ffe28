"""Area index and 挂牌 rules on tiny frames with answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scoring.areas import area_metrics, composite_index, normalise
from scoring.listing import apply_listing, compare_listings
from scoring.model import AreaIndex, Indicator, Listing, ListingRule


def test_normalise_winsorises_then_scales():
    # Quantiles (0, 1) keep the range: 0 → 0, 5 → 5, 10 → 10.
    assert normalise([0, 5, 10], (0.0, 1.0)).tolist() == [0, 5, 10]
    # With a 25 %-75 % window over [0, 10, 20, 30, 1000]: lo = 10, hi = 30.
    assert normalise([0, 10, 20, 30, 1000], (0.25, 0.75)).tolist() == [0, 0, 5, 10, 10]
    assert normalise([3, 3, 3], (0.05, 0.95)).tolist() == [0, 0, 0]  # no spread, no signal


def test_composite_index_is_the_weighted_mean_times_ten():
    ind = pd.DataFrame({"a": [0, 5, 10], "b": [10, 10, 0]})
    # normalised a = [0, 5, 10]; b = [10, 10, 0]; weights 3 : 1.
    got = composite_index(ind, {"a": 3, "b": 1}, (0.0, 1.0))
    assert got.tolist() == [25.0, 62.5, 75.0]


def enterprise_frame() -> pd.DataFrame:
    rows = [
        # township, score, tier, overdue, overdue_major, found_12m, rectified_12m, days_since_inspection
        ("T1", 50, "重大", 2, 1, 4, 2, 10),
        ("T1", 30, "较大", 0, 0, 2, 2, 400),
        ("T2", 10, "低", 1, 0, 0, 0, 100),
    ]
    df = pd.DataFrame(rows, columns=["township_code", "score", "tier", "overdue", "overdue_major",
                                     "found_12m", "rectified_12m", "days_since_inspection"])
    df["open_general"], df["open_serious"], df["open_major"] = 1, 0, [1, 0, 0]
    return df


def test_area_metrics_by_hand():
    cfg = AreaIndex((Indicator("mean_score", "平均分", 1, ""),), (0.0, 1.0), min_enterprises=2)
    incidents = pd.DataFrame({"township_code": ["T2", "T2", None]})
    a = area_metrics(enterprise_frame(), incidents, "township_code", cfg,
                     all_keys=pd.Series(["T1", "T2", "T3"])).set_index("township_code")
    assert a.loc["T1", ["enterprises", "n_major", "n_serious", "overdue", "overdue_major"]].tolist() == [2, 1, 1, 2, 1]
    assert a.loc["T1", "mean_score"] == 40 and a.loc["T1", "top5_mean_score"] == 40
    assert a.loc["T1", "rectification_rate"] == 4 / 6 and a.loc["T1", "inspection_coverage"] == 0.5
    assert a.loc["T1", "high_tier_share"] == 1.0 and a.loc["T1", "overdue_per_100"] == 100
    assert a.loc["T2", "incidents_12m"] == 2 and a.loc["T2", "incidents_per_1000"] == 2000
    assert np.isnan(a.loc["T2", "rectification_rate"])  # nothing found: no rate, not 0 %
    assert a.loc["T3", "enterprises"] == 0 and a.loc["T3", "small_sample"]
    # Index from mean_score only: T1 40, T2 10, T3 0 (no enterprise) → 100, 25, 0.
    assert a["index"].tolist() == [100.0, 25.0, 0.0] and a["index_rank"].tolist() == [1, 2, 3]


LISTING = Listing((
    ListingRule("top", "指数前列", "index_rank", "市级", max=1),
    ListingRule("overdue_major", "逾期重大隐患", "overdue_major", "市级", min=3),
    ListingRule("incidents", "事故多发", "incidents_12m", "县级", min=2),
    ListingRule("coverage", "覆盖率低", "inspection_coverage", "县级", max=0.5),
), deadline_days=90, delisting="复评不再触发则摘牌")


def test_listing_levels_and_reasons_by_hand():
    table = pd.DataFrame({
        "code": ["A", "B", "C", "D"],
        "index": [80.0, 60.0, 40.0, 10.0],
        "index_rank": [1, 2, 3, 4],
        "overdue_major": [0, 4, 0, 0],
        "incidents_12m": [2, 0, 1, 0],
        "inspection_coverage": [0.9, 0.9, 0.5, np.nan],  # D: no enterprise, no coverage figure
    })
    out = apply_listing(table, LISTING, dt.date(2026, 11, 20)).set_index("code")
    assert out["listed"].tolist() == [True, True, True, False]
    assert out["level"].tolist()[:3] == ["市级", "市级", "县级"]
    assert out.loc["A", "rules"] == "top;incidents"
    assert out.loc["A", "reasons"] == ("指数前列：区域风险指数 80.0，居全市第 1 位（前 1 位挂牌）；"
                                       "事故多发：近 12 个月发生火灾和事故 2 起（2 起及以上挂牌）")
    assert out.loc["B", "reasons"] == "逾期重大隐患：逾期未整改重大隐患 4 项（3 项及以上挂牌）"
    assert out.loc["C", "reasons"] == "覆盖率低：近 12 个月检查覆盖率 50%（不高于 50% 挂牌）"
    assert out.loc["A", "deadline"] == dt.date(2027, 2, 18) and out.loc["D", "deadline"] is None


def test_compare_listings_between_two_dates():
    before = pd.DataFrame({"code": ["A", "B", "C"], "listed": [True, True, False]})
    after = pd.DataFrame({"code": ["A", "B", "C"], "listed": [True, False, True]})
    got = compare_listings(before, after, "code").set_index("code")["status"].to_dict()
    assert got == {"A": "继续挂牌", "B": "摘牌", "C": "新挂牌"}
