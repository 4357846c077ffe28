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



def test_highest_and_top_five_scores_per_area_by_hand():
    """Eight enterprises in T1 (ties, six decimals, listed in no order), one in T2, one without
    a township: T1's highest is 88.000001, its five highest 88.000001, 88, 70.5, 70.5, 12 (mean
    65.800000…), T2's only score is both."""
    t1 = [12.0, 70.5, 3.0, 88.0, 70.5, 88.000001, 0.0, 5.25]
    df = pd.DataFrame({"township_code": ["T1"] * 8 + ["T2", None], "score": [*t1, 0.5, 99.0]})
    df["tier"] = "低"
    for c in ("overdue", "overdue_major", "found_12m", "rectified_12m", "open_general", "open_serious",
              "open_major"):
        df[c] = 0
    df["days_since_inspection"] = 1
    cfg = AreaIndex((Indicator("mean_score", "平均分", 1, ""),), (0.0, 1.0), min_enterprises=2)
    a = area_metrics(df, pd.DataFrame({"township_code": []}), "township_code", cfg).set_index("township_code")
    assert a.loc["T1", "max_score"] == 88.000001
    assert a.loc["T1", "top5_mean_score"] == pytest.approx((88.000001 + 88 + 70.5 + 70.5 + 12) / 5, abs=1e-9)
    assert a.loc["T2", "max_score"] == 0.5 and a.loc["T2", "top5_mean_score"] == 0.5

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


def city_frames(small_city):
    from data.build import connect
    from scoring.measures import incidents_in_window, measures_as_of
    from scoring.model import load_model, score

    con = connect(small_city.db, read_only=True)
    model, t = load_model(), dt.date(2026, 11, 20)
    m = measures_as_of(con, t)
    s = score(m, model)
    codes = con.execute("SELECT code FROM township ORDER BY code").df()["code"]
    a = area_metrics(m.merge(s[["uscc", "score", "tier"]], on="uscc"), incidents_in_window(con, t),
                     "township_code", model.area_index, all_keys=codes)
    return model, m, s, a, t


def test_monte_carlo_without_perturbation_reproduces_the_listing(small_city):
    from scoring.uncertainty import township_robustness

    model, m, _, a, t = city_frames(small_city)
    listed = apply_listing(a, model.township_listing, t)
    r = township_robustness(m, a, model, draws=5, spread=0.0)
    assert (r.table["rank_median"].to_numpy() == a["index_rank"].to_numpy()).all()
    assert (r.table["p_listed"].to_numpy() == listed["listed"].to_numpy().astype(float)).all()


def test_monte_carlo_is_deterministic_and_ranks_are_intervals(small_city):
    from scoring.uncertainty import township_robustness

    model, m, _, a, _ = city_frames(small_city)
    r1 = township_robustness(m, a, model, draws=200, seed=5)
    r2 = township_robustness(m, a, model, draws=200, seed=5)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    t = r1.table
    assert (t["rank_p05"] <= t["rank_median"]).all() and (t["rank_median"] <= t["rank_p95"]).all()
    assert set(t["robustness"]) <= {"稳定挂牌", "临界", "稳定不挂牌"}
    assert not township_robustness(m, a, model, draws=200, seed=6).table.equals(t)


def test_allocation_by_hand():
    from scoring.draw import allocate
    from scoring.model import load_model

    model = load_model()  # intervals 30 / 90 / 180 / 365 days
    counts = {"重大": 2, "较大": 10, "一般": 100, "低": 1000}
    # demand = count × 365/interval: 24.33, 40.56, 202.78, 1000 → share of 20 = 0.39, 0.66, 3.29, 16.2
    got = allocate(counts, model, 20)
    assert sum(got.values()) == 20 and got["低"] == 16 and got["一般"] == 3
    assert allocate({"重大": 1}, model, 5) == {"重大": 1, "较大": 0, "一般": 0, "低": 0}  # no more than there are


def test_double_random_draw_is_reproducible_and_stratified(small_city, tmp_path):
    import json

    from scoring.draw import append_log, draw_inspections

    model, _, s, _, _ = city_frames(small_city)
    roster = pd.DataFrame({"name": [f"检查员{i}" for i in range(12)],
                           "department": ["应急管理局", "消防救援", "市场监管局"] * 4})
    d1 = draw_inspections(s, roster, model, 40, seed=99)
    d2 = draw_inspections(s.sample(frac=1, random_state=1), roster, model, 40, seed=99)  # order must not matter
    pd.testing.assert_frame_equal(d1.targets, d2.targets)
    assert d1.size == 40 and d1.targets["uscc"].is_unique
    by_tier = d1.targets["tier"].value_counts().to_dict()
    assert {k: v for k, v in d1.allocation.items() if v} == by_tier
    assert all(len(set(x.split("、"))) == 2 for x in d1.targets["inspectors"])
    assert not draw_inspections(s, roster, model, 40, seed=100).targets.equals(d1.targets)
    log = tmp_path / "draws.jsonl"
    append_log(d1, log)
    record = json.loads(log.read_text(encoding="utf-8"))
    assert record["seed"] == 99 and record["targets"] == d1.targets["uscc"].tolist()


def test_enterprise_listing_levels_by_hand():
    from scoring.model import load_model

    listing = load_model().enterprise_listing
    table = pd.DataFrame({"uscc": ["A", "B", "C", "D"], "open_major": [2, 1, 1, 0], "overdue_major": [0, 1, 0, 0]})
    out = apply_listing(table, listing, dt.date(2026, 11, 20)).set_index("uscc")
    assert out["level"].tolist()[:3] == ["市级", "县级", "镇级"] and pd.isna(out.loc["D", "level"])
    assert out.loc["B", "reasons"] == ("重大隐患逾期未整改：逾期未整改重大隐患 1 项（1 项及以上挂牌）；"
                                       "存在未整改重大隐患：未整改重大隐患 1 项（1 项及以上挂牌）")
    assert out.loc["A", "deadline"] == dt.date(2027, 1, 19)


def test_stored_area_tables_add_up(small_city):
    from data.build import connect

    con = connect(small_city.db, read_only=True)
    n = con.execute("SELECT count(*) FROM enterprise").fetchone()[0]
    placed = con.execute("SELECT count(*) FROM enterprise WHERE lon IS NOT NULL").fetchone()[0]
    in_tw = con.execute("SELECT count(township_code) FROM enterprise").fetchone()[0]
    assert con.execute("SELECT sum(enterprises) FROM area_township").fetchone()[0] == in_tw
    for level in ("h3_r7", "h3_r8", "h3_r9"):
        assert con.execute(f"SELECT sum(enterprises) FROM area_{level}").fetchone()[0] == placed
    assert con.execute("SELECT count(*) FROM area_township").fetchone()[0] == 24  # empty ones too
    tiers = con.execute("SELECT sum(n_major + n_serious + n_general + n_low) FROM area_township").fetchone()[0]
    assert tiers == in_tw <= n
    # Every listed township's reasons quote its own numbers.
    for reasons, overdue_major in con.execute(
            "SELECT l.reasons, a.overdue_major FROM listing_township l JOIN area_township a USING (key)").fetchall():
        if "逾期未整改重大隐患" in reasons:
            assert f"逾期未整改重大隐患 {overdue_major} 项" in reasons


@pytest.mark.parametrize("day, months, expected", [
    ("2026-11-20", 3, "2026-08-20"), ("2026-01-15", 3, "2025-10-15"), ("2026-05-31", 3, "2026-02-28"),
    ("2024-05-31", 3, "2024-02-29"), ("2026-11-20", 12, "2025-11-20"), ("2026-11-20", 0, "2026-11-20"),
])
def test_months_before(day, months, expected):
    import datetime as dt

    from scoring.run import months_before

    assert months_before(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(expected)
