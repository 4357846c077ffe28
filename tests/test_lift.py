"""The measured lift of targeting (issue 17, part 2): how an inspection was chosen is a column
of the inspection ledger; the hazard-finding rate of risk-chosen inspections against drawn ones,
with Newcombe's interval for the difference and the Katz interval for the ratio, from a literal
table worked out by hand; the 双随机 draw's random control, reproducible and logged."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from scoring.lift import (
    ALL,
    UNKNOWN,
    inspection_outcomes,
    lift_report,
    lift_table,
    newcombe_interval,
    ratio_interval,
    wilson_interval,
)

# --- the intervals against published answers -----------------------------------------------


@pytest.mark.parametrize(("counts", "expected"), [
    # Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score, no correction).
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)),
    ((10, 10, 0, 10), (0.6075, 1.0)),
])
def test_newcombe_interval_gives_the_published_bounds(counts, expected):
    lo, hi = newcombe_interval(*counts)
    assert (round(lo, 4), round(hi, 4)) == expected


def test_wilson_interval_of_a_published_example_and_the_edges():
    # Newcombe (1998), Stat Med 17:857-872: 81/263 → 0.2553 to 0.3662.
    assert tuple(round(x, 4) for x in wilson_interval(81, 263)) == (0.2553, 0.3662)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert all(math.isnan(x) for x in newcombe_interval(1, 2, 0, 0))
    assert all(math.isnan(x) for x in ratio_interval(0, 4, 1, 4))


# --- a literal table of inspections ----------------------------------------------------------

#: id, uscc, date, department, result, method. Q3 消防救援: risk-chosen I1-I4 (3 found), drawn
#: I5-I8 (1 found), a complaint and one with no method; Q3 应急管理局: one risk-chosen (found,
#: from the hazard ledger), one other; Q2 应急管理局: one drawn (found), one risk-chosen (not).
INSPECTIONS = [
    ("I1", "E1", "2026-07-01", "消防救援", "发现隐患", "风险清单"),     # found: its result
    ("I2", "E2", "2026-07-02", "消防救援", "责令整改", "风险清单"),     # found: its result
    ("I3", "E3", "2026-07-03", "消防救援", None, "风险清单"),          # found: H1, same day, same department
    ("I4", "E4", "2026-07-04", "消防救援", "未发现问题", "风险清单"),   # not: its result wins over H2
    ("I5", "E5", "2026-08-01", "消防救援", None, "双随机抽查"),        # found: H3, same day, no department
    ("I6", "E6", "2026-08-02", "消防救援", None, "双随机抽查"),        # not: H4 is another department's
    ("I7", "E7", "2026-08-03", "消防救援", None, "双随机抽查"),        # not: H5 was found the day after
    ("I8", "E8", "2026-09-30", "消防救援", "未发现问题", "双随机抽查"),
    ("I9", "E1", "2026-09-01", "消防救援", "发现隐患", "投诉举报"),
    ("I10", "E2", "2026-09-02", "消防救援", "发现隐患", None),          # no method: 未注明, counted
    ("I11", "E6", "2026-08-02", "应急管理局", None, "风险清单"),        # found: H4
    ("I12", "E3", "2026-09-15", "应急管理局", "未发现问题", "其他"),
    ("I13", "E1", "2026-06-30", "应急管理局", "发现隐患", "双随机抽查"),
    ("I14", "E2", "2026-04-01", "应急管理局", "未发现问题", "风险清单"),
]
HAZARDS = [("H1", "E3", "2026-07-03", "消防救援"), ("H2", "E4", "2026-07-04", "消防救援"),
           ("H3", "E5", "2026-08-01", None), ("H4", "E6", "2026-08-02", "应急管理局"),
           ("H5", "E7", "2026-08-04", "消防救援")]


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE inspection (id VARCHAR, uscc VARCHAR, date DATE, department VARCHAR, result VARCHAR, "
              "method VARCHAR)")
    c.executemany("INSERT INTO inspection VALUES (?, ?, ?, ?, ?, ?)", INSPECTIONS)
    c.execute("CREATE TABLE hazard (id VARCHAR, uscc VARCHAR, found_on DATE, department VARCHAR)")
    c.executemany("INSERT INTO hazard VALUES (?, ?, ?, ?)", HAZARDS)
    return c


def test_each_inspection_found_a_hazard_by_its_result_or_else_by_the_hazard_ledger(con):
    out = inspection_outcomes(con, pd.Timestamp("2026-12-31").date()).set_index("id")
    found = {"I1", "I2", "I3", "I5", "I9", "I10", "I11", "I13"}
    assert set(out.index[out["found"]]) == found
    assert out.loc["I10", "method"] == UNKNOWN
    assert out.loc[["I1", "I13", "I14"], "quarter"].tolist() == ["2026Q3", "2026Q2", "2026Q2"]
    # The period: from start to end, both days included.
    window = inspection_outcomes(con, pd.Timestamp("2026-09-01").date(), pd.Timestamp("2026-07-01").date())
    assert sorted(window["id"]) == sorted(["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I9", "I11"])


def test_the_briefing_has_the_latest_quarter_department_by_department(con):
    """As of 2026-09-30 the four quarters are 2025Q4-2026Q3: 2026Q3 by department (消防救援 I1-I9,
    I10; 应急管理局 I11, I12), 2026Q2 only as its total (I13, I14), every department's total and
    the total."""
    from reports.lift import briefing_lift
    from scoring.model import load_model

    view, note = briefing_lift(con, pd.Timestamp("2026-09-30").date(), load_model().lift)
    keys = list(zip(view["季度"], view["部门"], view["风险清单（次）"], view["双随机抽查（次）"]))
    assert ("2026Q3", "消防救援", 4, 4) in keys and ("2026Q3", "应急管理局", 1, 0) in keys
    assert ("2026Q3", "合计", 5, 4) in keys and ("2026Q2", "合计", 1, 1) in keys
    assert not [k for k in keys if k[0] == "2026Q2" and k[1] != "合计"]
    assert ("合计", "消防救援", 4, 4) in keys and ("合计", "应急管理局", 2, 1) in keys and ("合计", "合计", 6, 5) in keys
    assert "最近一个季度分部门" in note


def test_lift_of_the_literal_table_by_hand(con):
    rep = lift_report(inspection_outcomes(con, pd.Timestamp("2026-12-31").date()), 0.95, min_inspections=2)
    keys = list(zip(rep["quarter"], rep["department"]))
    assert keys == [("2026Q2", ALL), ("2026Q2", "应急管理局"), ("2026Q3", ALL), ("2026Q3", "应急管理局"),
                    ("2026Q3", "消防救援"), (ALL, ALL), (ALL, "应急管理局"), (ALL, "消防救援")]
    r = rep.set_index(["quarter", "department"])
    fire = r.loc[("2026Q3", "消防救援")]
    assert (fire["n"], fire["n_targeted"], fire["found_targeted"], fire["n_control"], fire["found_control"],
            fire["n_complaint"], fire["n_other"], fire["n_unknown"]) == (10, 4, 3, 4, 1, 1, 0, 1)
    assert fire["rate_targeted"] == 0.75 and fire["rate_control"] == 0.25 and fire["diff"] == 0.5
    # z = 1.959964, z² = 3.841459. Wilson 3/4: centre (3 + z²/2)/(4 + z²) = 0.627528, half
    # z/(4 + z²)·√(3·1/4 + z²/4) = 0.326885 → [0.300643, 0.954413]; 1/4 mirrors it: [0.045587, 0.699357].
    # Newcombe: 0.5 − √(0.449357² + 0.449357²) = −0.135486; 0.5 + √(0.204413² + 0.204413²) = 0.789085.
    assert fire["diff_lo"] == pytest.approx(-0.135486, abs=1e-5)
    assert fire["diff_hi"] == pytest.approx(0.789085, abs=1e-5)
    # Katz: ratio 3, se = √(1/3 − 1/4 + 1/1 − 1/4) = 0.912871, 3·exp(∓1.789195) = 3 ÷ 5.98463, 3 × 5.98463.
    assert fire["ratio"] == pytest.approx(3.0)
    assert fire["ratio_lo"] == pytest.approx(0.501284, abs=1e-5)
    assert fire["ratio_hi"] == pytest.approx(17.9539, abs=1e-3)
    assert bool(fire["enough"])
    # 应急管理局 in Q3 has no drawn inspection: no comparison, too few to say.
    safety = r.loc[("2026Q3", "应急管理局")]
    assert (safety["n_targeted"], safety["found_targeted"], safety["n_control"], safety["n_other"]) == (1, 1, 0, 1)
    assert math.isnan(safety["diff"]) and math.isnan(safety["diff_lo"]) and not safety["enough"]
    # Q2: the drawn one found, the risk-chosen one did not: −1, a ratio of 0 with no log interval.
    q2 = r.loc[("2026Q2", ALL)]
    assert q2["diff"] == -1.0 and q2["ratio"] == 0.0 and math.isnan(q2["ratio_lo"])
    # The quarter adds up its departments; the total adds up everything.
    q3 = r.loc[("2026Q3", ALL)]
    assert (q3["n"], q3["n_targeted"], q3["found_targeted"], q3["n_control"], q3["found_control"]) == (12, 5, 4, 4, 1)
    total = r.loc[(ALL, ALL)]
    assert (total["n"], total["n_targeted"], total["found_targeted"], total["n_control"], total["found_control"],
            total["n_unknown"]) == (14, 6, 4, 5, 2, 1)
    assert total["diff"] == pytest.approx(4 / 6 - 2 / 5)
    assert r.loc[(ALL, "消防救援"), "n"] == 10


def test_an_empty_ledger_gives_an_empty_report():
    empty = pd.DataFrame({"quarter": [], "department": [], "method": [], "found": []})
    assert lift_report(empty).empty and lift_table(empty, ()).empty


def test_the_lift_s_words_are_the_vocabulary_s():
    from data import vocab
    from data.valuemaps import resolve_value
    from scoring import lift

    assert lift.METHODS == vocab.INSPECTION_METHODS
    assert set(lift.FOUND_RESULTS) | set(lift.CLEAR_RESULTS) == set(vocab.INSPECTION_RESULTS)
    for written, canonical in [("双随机", "双随机抽查"), ("双随机一公开", "双随机抽查"), ("随机抽查", "双随机抽查"),
                               ("风险分级", "风险清单"), ("信访", "投诉举报"), ("举报", "投诉举报"),
                               ("专项检查", "其他"), ("日常巡查", "其他")]:
        assert resolve_value(vocab.INSPECTION_METHODS, written) == (canonical,), written


# --- the ledger: an optional column --------------------------------------------------------

def test_a_ledger_without_the_method_imports_and_is_counted_as_unknown(tiny_city: Path, tmp_path: Path, capsys):
    from data.build import connect
    from riskmap.pipeline import import_file

    from .fixtures import E1, E2, E3, E4

    db = tmp_path / "city.duckdb"
    shutil.copy(tiny_city, db)
    con = connect(db, read_only=True)
    before = inspection_outcomes(con, pd.Timestamp("2026-11-20").date())
    con.close()
    assert len(before) == 3 and set(before["method"]) == {UNKNOWN}  # the fixture's ledger has no such column
    assert lift_table(before, ())["n_unknown"].tolist() == [3]
    ledger = tmp_path / "检查.csv"
    ledger.write_text("检查编号,统一社会信用代码,检查日期,检查部门,检查结果,选取方式\n"
                      f"J1,{E1},2026-11-01,消防救援,发现隐患,双随机\n"
                      f"J2,{E2},2026-11-02,消防救援,未发现问题,信访\n"
                      f"J3,{E3},2026-11-03,消防救援,未发现问题,风险清单\n"
                      f"J4,{E4},2026-11-04,消防救援,责令整改,风险分级\n"
                      f"J5,{E3},2026-11-05,消防救援,未发现问题,乱写\n", encoding="utf-8")
    r = import_file(db, ledger, "inspection", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (5, 4, 1)
    bad = r.issues[r.issues["severity"] == "error"]
    assert bad["row"].tolist() == [6] and bad["column_name"].tolist() == ["检查方式"]
    assert "双随机抽查" in bad["reason"].iloc[0]
    con = connect(db, read_only=True)
    got = dict(con.execute("SELECT id, method FROM inspection WHERE id LIKE 'J%'").fetchall())
    con.close()
    assert got == {"J1": "双随机抽查", "J2": "投诉举报", "J3": "风险清单", "J4": "风险清单"}
    # The CLI: risk list 1 of 2 (J4), drawn 1 of 1 (J1): 50.0 % against 100.0 %, −50 points; the
    # complaint and the three older inspections counted, not compared.
    from riskmap.cli import main

    capsys.readouterr()
    assert main(["--db", str(db), "lift", "--totals"]) == 0
    out = capsys.readouterr().out
    lo, hi = newcombe_interval(1, 2, 1, 1)
    assert (f"风险清单检查 2 次，发现隐患 1 次（50.0%）；双随机抽查 1 次，发现 1 次（100.0%）；相差 -50.0 个百分点"
            f"（95% 置信区间 {lo * 100:+.1f} 至 {hi * 100:+.1f}）") in out
    assert "另有 3 次检查未注明检查方式" in out
    assert "  2026Q4 消防救援" not in out and "  合计 消防救援：风险清单 2 次 50.0%，双随机 1 次 100.0%" in out
    assert "  总计：风险清单 2 次 50.0%，双随机 1 次 100.0%" in out and "合计 合计" not in out


# --- the draw's random control -------------------------------------------------------------

def candidates(n: int = 100) -> pd.DataFrame:
    tiers = np.array(["重大"] * 5 + ["较大"] * 15 + ["一般"] * 30 + ["低"] * 50)[:n]
    return pd.DataFrame({"uscc": [f"U{i:03d}" for i in range(n)], "tier": tiers, "score": np.arange(n, 0, -1.0)})


ROSTER = pd.DataFrame({"name": [f"检查员{i}" for i in range(6)], "department": ["应急管理局", "消防救援"] * 3})


def test_the_draw_reserves_its_control_share_uniformly_and_reproducibly():
    from scoring.draw import control_size, draw_inspections
    from scoring.model import load_model

    model = load_model()
    assert [control_size(20, 0.2), control_size(5, 0.2), control_size(2, 0.2), control_size(10, 0.25)] == [4, 1, 0, 3]
    cand = candidates()
    d1 = draw_inspections(cand, ROSTER, model, 20, seed=42, control_share=0.25)
    d2 = draw_inspections(cand.sample(frac=1, random_state=3), ROSTER, model, 20, seed=42, control_share=0.25)
    pd.testing.assert_frame_equal(d1.targets, d2.targets)  # same seed, same draw, whatever the order
    assert d1.size == 20 and d1.control == 5 and d1.targets["uscc"].is_unique
    control = d1.targets[d1.targets["method"] == "双随机抽查"]
    assert len(control) == 5 and (d1.targets["method"] == "风险清单").sum() == 15
    assert sum(d1.allocation.values()) == 15
    # The control is the seed's first choice of 5 among all 100 candidates in code order.
    first = np.sort(np.random.default_rng(42).choice(100, 5, replace=False))
    assert control["uscc"].tolist() == [f"U{i:03d}" for i in first]
    # Without a control, the draw is the one it always was (every target by tier).
    d0 = draw_inspections(cand, ROSTER, model, 20, seed=42)
    assert d0.control == 0 and set(d0.targets["method"]) == {"风险清单"}
    assert not draw_inspections(cand, ROSTER, model, 20, seed=43, control_share=0.25).targets.equals(d1.targets)


def test_the_control_is_logged_and_audited(tmp_path: Path):
    from riskmap.accounts import Accounts
    from riskmap.draws import draw_and_record
    from scoring.model import load_model

    model = load_model()
    assert model.lift.control_share == 0.2  # the shipped setting
    con = duckdb.connect()
    d = draw_and_record(con, candidates(), model, 10, 7, "office", inspectors=ROSTER.assign(badge="", phone=""),
                        folder=tmp_path)
    assert d.control == 2
    line = json.loads((tmp_path / "draw_log.jsonl").read_text(encoding="utf-8"))
    assert line["seed"] == 7 and line["control"] == 2
    assert line["control_targets"] == d.targets.loc[d.targets["method"] == "双随机抽查", "uscc"].tolist()
    entry = Accounts(tmp_path / "security.sqlite").audit_log()[0]
    assert entry["action"] == "draw" and entry["username"] == "office"
    detail = json.loads(entry["detail"])
    assert detail["control"] == 2 and detail["control_share"] == 0.2


def test_the_control_share_is_validated():
    import tomllib

    from scoring.model import DEFAULT_MODEL, ModelConfigError, model_from_dict

    raw = tomllib.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    raw["lift"]["control_share"] = 1.0
    with pytest.raises(ModelConfigError, match="control_share"):
        model_from_dict(raw)
    raw["lift"] = {"control_share": 0.1, "confidence": 0.95, "min_inspections": 30, "share": 1}
    with pytest.raises(ModelConfigError, match="share"):
        model_from_dict(raw)
    del raw["lift"]
    assert model_from_dict(raw).lift.control_share == 0.0  # no [lift]: no control


# --- 模型说明 shows it ---------------------------------------------------------------------

def test_the_model_page_shows_the_lift_the_ledger_gives(city_env):
    from data.build import connect

    from .test_app import run_app

    con = connect(city_env.db, read_only=True)
    counts = dict(con.execute("SELECT method, count(*) FROM inspection GROUP BY 1").fetchall())
    found_risk, found_drawn = con.execute(
        "SELECT count(*) FILTER (method = '风险清单' AND result <> '未发现问题'), "
        "count(*) FILTER (method = '双随机抽查' AND result <> '未发现问题') FROM inspection").fetchone()
    con.close()
    at = run_app("pages/screens/model_info.py")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "风险清单（次）" in d.value.columns)
    total = table[table["季度"] == "合计"].iloc[0]
    assert (total["风险清单（次）"], total["双随机抽查（次）"]) == (counts["风险清单"], counts["双随机抽查"])
    assert (total["投诉举报（次）"], total["其他（次）"]) == (counts["投诉举报"], counts["其他"])
    assert total["风险清单发现率"] == f"{found_risk / counts['风险清单']:.1%}"
    assert total["双随机发现率"] == f"{found_drawn / counts['双随机抽查']:.1%}"
    assert set(table["部门"]) == {"合计"}
    # The demo's risk list finds more than its draw: the whole interval of the difference above 0.
    assert float(total["差值 95% 区间"].split(" 至 ")[0]) > 0
    at = at.selectbox(key="lift_department").set_value("消防救援").run()
    table = next(d.value for d in at.dataframe if "风险清单（次）" in d.value.columns)
    assert set(table["部门"]) == {"消防救援"} and len(table) > 4
