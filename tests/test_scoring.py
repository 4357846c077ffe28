"""The risk model: hand-scored enterprises, tier edges, direct determination, config errors,
and proof that a score as of T sees nothing dated after T."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from data.build import connect
from scoring.measures import measures_as_of
from scoring.model import ModelConfigError, load_model, model_from_dict, score

from .conftest import City
from .fixtures import bare_enterprise_table

TINY = {
    "version": "test-1",
    "factor": [
        {"id": "a", "name": "甲", "group": "固有", "kind": "flag", "measure": "a", "weight": 10,
         "definition": "d", "source": "s"},
        {"id": "b", "name": "乙", "group": "管理", "kind": "cap", "measure": "b", "cap": 2, "weight": 8,
         "definition": "d", "source": "s"},
        {"id": "c", "name": "丙", "group": "管理", "kind": "ramp", "measure": "c", "lo": 90, "hi": 365,
         "weight": 5, "definition": "d", "source": "s"},
        {"id": "d", "name": "丁", "group": "暴露", "kind": "log", "measure": "d", "ref": 300, "weight": 6,
         "definition": "d", "source": "s"},
    ],
    "direct_rule": [{"id": "major", "name": "重大隐患", "measure": "open_major", "min": 1, "tier": "重大",
                     "source": "s", "clause": "工贸企业重大事故隐患判定标准第三条至第十三条"}],
    "tier": [
        {"id": "major", "name": "重大", "color": "红", "rgb": [215, 25, 28], "high": True, "min_score": 20,
         "inspect_every_days": 30},
        {"id": "serious", "name": "较大", "color": "橙", "rgb": [253, 141, 60], "high": True, "min_score": 10,
         "inspect_every_days": 90},
        {"id": "general", "name": "一般", "color": "黄", "rgb": [255, 221, 51], "high": False, "min_score": 5,
         "inspect_every_days": 180},
        {"id": "low", "name": "低", "color": "蓝", "rgb": [44, 123, 182], "high": False, "min_score": 0,
         "inspect_every_days": 365},
    ],
    "plan": {"assign_days": 30, "inspectors_per_target": 2},
    "robustness": {"spread": 0.25, "draws": 1000, "seed": 1, "stable_listed": 0.9, "stable_unlisted": 0.1},
}


def tiny_measures(rows: list[dict]) -> pd.DataFrame:
    base = {"a": False, "b": 0, "c": 0, "d": 0, "open_major": 0}
    return pd.DataFrame([{"uscc": f"E{i}", **base, **r} for i, r in enumerate(rows)])


def test_three_enterprises_scored_by_hand():
    model = model_from_dict(TINY)
    m = tiny_measures([
        {"a": True, "b": 1, "c": 227.5},                   # 10 + 8·1/2 + 5·(137.5/275) = 16.5
        {"b": 5, "c": 9999, "d": 300, "open_major": 1},    # 0 + 8 + 5 + 6 = 19, but a 重大 hazard
        {"c": 30},                                          # nothing: 0
    ])
    s = score(m, model)
    assert s[["c_a", "c_b", "c_c", "c_d"]].values.tolist() == [[10, 4, 2.5, 0], [0, 8, 5, 6], [0, 0, 0, 0]]
    assert s["score"].tolist() == [16.5, 19.0, 0.0]
    assert s["points_tier"].tolist() == ["较大", "较大", "低"]
    assert s["tier"].tolist() == ["较大", "重大", "低"]
    assert s["direct_rules"].tolist() == ["", "major", ""]
    assert s["inspect_every_days"].tolist() == [90, 30, 365]


@pytest.mark.parametrize("b, c, expected", [
    (2, 365 + 275 * 0.4, "较大"),   # 8 + 5 = 13
    (0, 90 + 275, "一般"),          # exactly 5: the lower edge belongs to the tier
    (0, 90 + 275 * 0.999999, "低"), # 4.999995 rounds to 4.999995 < 5
])
def test_tier_edges(b, c, expected):
    s = score(tiny_measures([{"b": b, "c": c}]), model_from_dict(TINY))
    assert s["tier"].iloc[0] == expected


def test_exactly_on_the_top_threshold_is_the_top_tier():
    # 10 + 8 + 2 (ramp at 40 %) = 20 exactly.
    s = score(tiny_measures([{"a": True, "b": 2, "c": 90 + 275 * 0.4}]), model_from_dict(TINY))
    assert s["score"].iloc[0] == 20 and s["tier"].iloc[0] == "重大"


@pytest.mark.parametrize("patch, message", [
    (lambda r: r["factor"].append(dict(r["factor"][0])), "id 重复"),
    (lambda r: r["factor"][1].update(kind="spline"), "kind 应为"),
    (lambda r: r["factor"][1].update(weight=0), "weight 必须大于 0"),
    (lambda r: r["factor"][2].update(hi=10), "hi 必须大于 lo"),
    (lambda r: r["factor"][1].pop("cap"), "缺少“cap”"),
    (lambda r: r["tier"].reverse(), "从高到低"),
    (lambda r: r["direct_rule"][0].update(tier="特别重大"), "没有名为“特别重大”的 tier"),
    (lambda r: r["factor"][3].update(weight="6"), "类型不对"),
])
def test_config_errors_name_the_entry(patch, message):
    import copy

    raw = copy.deepcopy(TINY)
    patch(raw)
    with pytest.raises(ModelConfigError, match=message):
        model_from_dict(raw)


def test_bad_toml_is_reported_with_the_file_name(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text("version = \n", encoding="utf-8")
    with pytest.raises(ModelConfigError, match="m.toml"):
        load_model(bad)


def test_the_shipped_model_loads_and_covers_the_required_factors():
    model = load_model()
    ids = {f.id for f in model.factors}
    assert {"hazchem", "dust", "ammonia", "confined_space", "spraying", "gas", "special_equipment",
            "high_fire_risk", "employees", "mixed_use", "rented", "illegal_building", "scattered",
            "open_major", "overdue", "inspection_gap", "recent_enforcement", "repeat_hazards",
            "incidents"} <= ids
    assert any(r.measure == "open_major" and r.tier == "重大" for r in model.direct_rules)
    assert all(f.source and f.definition for f in model.factors)


def test_score_is_exactly_the_sum_of_its_parts_on_a_city(small_city: City):
    con = connect(small_city.db, read_only=True)
    model = load_model()
    s = score(measures_as_of(con, dt.date(2026, 11, 20)), model)
    parts = s[[f.column for f in model.factors]].sum(axis=1).round(6)
    assert (parts == s["score"]).all()
    assert len(s) == small_city.report.files[4].accepted  # every enterprise scored
    # Direct determination: every enterprise with an open 重大 hazard is in the top tier.
    m = measures_as_of(con, dt.date(2026, 11, 20))
    assert (s.loc[m["open_major"].to_numpy() >= 1, "tier"] == "重大").all()


def test_open_and_overdue_hazards_counted_by_hand(tmp_path):
    import duckdb

    con = duckdb.connect()
    bare_enterprise_table(con)
    con.execute("""CREATE TABLE hazard AS SELECT * FROM (VALUES
        ('E1', DATE '2026-01-01', '一般', DATE '2026-01-08', NULL::DATE, '消防通道堵塞'),      -- open, overdue
        ('E1', DATE '2026-03-01', '重大', DATE '2026-06-01', DATE '2026-05-01', '消防通道堵塞'), -- rectified before T
        ('E1', DATE '2026-05-20', '较大', DATE '2026-06-01', DATE '2026-06-10', '违法搭建'),    -- open at T (fixed after)
        ('E1', DATE '2026-05-31', '重大', DATE '2026-06-01', NULL::DATE, '违法搭建'),           -- open, due on T: not overdue
        ('E1', DATE '2026-06-02', '重大', DATE '2026-06-09', NULL::DATE, '违法搭建')            -- after T: invisible
        ) t(uscc, found_on, level, deadline, rectified_on, category)""")
    con.execute("CREATE TABLE inspection AS SELECT 'E1' AS uscc, DATE '2026-03-01' AS date")
    con.execute("CREATE TABLE enforcement AS SELECT 'E1' AS uscc, DATE '2025-05-01' AS date")  # > 12 months
    con.execute("CREATE TABLE incident AS SELECT 'E1' AS uscc, DATE '2026-06-05' AS date, 1 AS deaths")
    m = measures_as_of(con, dt.date(2026, 6, 1)).iloc[0]
    assert (m.open_general, m.open_serious, m.open_major, m.overdue) == (1, 1, 1, 1)
    assert m.days_since_inspection == 92
    assert (m.enforcement_12m, m.incidents_36m, m.deaths_36m) == (0, 0, 0)
    assert m.repeat_categories_12m == 2  # 消防通道堵塞 twice, 违法搭建 twice (the later one unseen)


def test_no_record_after_the_as_of_date_leaks_in(small_city: City, tmp_path):
    """Delete every record dated after T from a copy: the scores as of T must not change."""
    as_of = dt.date(2025, 6, 30)
    cut = tmp_path / "cut.duckdb"
    shutil.copy(small_city.db, cut)
    con = connect(cut)
    deleted = 0
    for table, col in (("hazard", "found_on"), ("inspection", "date"), ("enforcement", "date"),
                       ("incident", "date")):
        deleted += con.execute(f"SELECT count(*) FROM {table} WHERE {col} > ?", [as_of]).fetchone()[0]
        con.execute(f"DELETE FROM {table} WHERE {col} > ?", [as_of])
    # Rectifications and closures after T are the future too.
    con.execute("UPDATE hazard SET rectified_on = NULL WHERE rectified_on > ?", [as_of])
    con.execute("UPDATE hazard SET closed_on = NULL WHERE closed_on > ?", [as_of])
    con.close()
    assert deleted > 1000
    model = load_model()
    full = score(measures_as_of(connect(small_city.db, read_only=True), as_of), model)
    past = score(measures_as_of(connect(cut, read_only=True), as_of), model)
    pd.testing.assert_frame_equal(full, past)
    later = score(measures_as_of(connect(small_city.db, read_only=True), dt.date(2026, 11, 20)), model)
    assert not np.allclose(full["score"], later["score"])  # the date does matter


@pytest.mark.parametrize("scores, labels, expected", [
    ([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0], 1.0),          # perfect separation
    ([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0], 0.0),          # perfectly wrong
    ([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], 0.5),          # all tied
    ([3, 2, 2, 1], [1, 1, 0, 0], 0.875),                # pairs: (3>2,3>1,2=2→½,2>1) = 3.5/4
])
def test_auc_by_hand(scores, labels, expected):
    from scoring.backtest import auc

    assert auc(scores, labels) == pytest.approx(expected)


def test_due_for_inspection_by_hand():
    from scoring.backtest import due_for_inspection

    scored = pd.DataFrame({"uscc": ["A", "B", "C"], "score": [50, 20, 5], "inspect_every_days": [30, 180, 365]})
    measures = pd.DataFrame({"uscc": ["A", "B", "C"],
                             "last_inspection": [dt.date(2026, 5, 1), dt.date(2026, 1, 1), None]})
    due = due_for_inspection(scored, measures, dt.date(2026, 6, 30))
    # A: due 2026-05-31, 30 days overdue. B: due 2026-06-30, due on the day. C: never inspected.
    assert due["uscc"].tolist() == ["C", "A", "B"]
    assert due.set_index("uscc").loc["A", "days_overdue"] == 30
    assert due.set_index("uscc").loc["B", "days_overdue"] == 0


def test_backtest_finds_the_hidden_risk_in_the_demo_city(small_city: City):
    from scoring.backtest import backtest

    con = connect(small_city.db, read_only=True)
    r = backtest(con, load_model(), dt.date(2025, 11, 20), horizon_days=365)
    assert r.enterprises == 3000 and r.enterprises_with_incident > 5
    assert r.auc > 0.6  # the generator's incidents follow a hidden risk the model partly sees
    assert r.share_of_incidents_in_top[0.2] > 0.3  # better than the 20 % a random list gets


def test_the_build_writes_stamped_scores(small_city: City):
    con = connect(small_city.db, read_only=True)
    rows = con.execute("SELECT count(*), min(as_of), max(as_of), min(model_version) FROM enterprise_score").fetchone()
    assert rows == (3000, dt.date(2026, 11, 20), dt.date(2026, 11, 20), load_model().version)
    fresh = score(measures_as_of(con, dt.date(2026, 11, 20)), load_model())
    stored = con.execute("SELECT uscc, score, tier FROM enterprise_score ORDER BY uscc").df()
    assert stored["tier"].tolist() == fresh.sort_values("uscc")["tier"].tolist()
