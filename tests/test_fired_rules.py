"""Issue 17, part 1: the rule behind every red and the score snapshots.

Every expected answer is worked out by hand from literal rows: the tiny city of
tests/fixtures.py (as of 2026-11-20: E3 丙印务 holds H4, a 重大 hazard found 2026-09-01 and
never rectified; E1 甲鞋厂 has no 重大 hazard) and a few hazards written out below.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data.build import connect
from riskmap.i18n import t
from scoring.model import ModelConfigError, load_model, model_from_dict

from . import fixtures as F
from .test_scoring import TINY

AS_OF = dt.date.fromisoformat(F.AS_OF)
OPEN_MAJOR = "open_major_hazard"


@pytest.fixture()
def con(tiny_city: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(tiny_city, read_only=True)
    yield c
    c.close()


# --- the clause is a validated field of a direct rule ------------------------------------------

@pytest.mark.parametrize("patch, message", [
    (lambda r: r.pop("clause"), "缺少“clause”"),
    (lambda r: r.update(clause="  "), "“clause”不能为空"),
    (lambda r: r.update(clause=35181), "类型不对"),
    (lambda r: r.update(by_category=[{"contains": ["粉尘"]}]), "by_category #1: 缺少“clause”"),
    (lambda r: r.update(by_category=[{"contains": [], "clause": "x"}]), "contains 应为非空的词语列表"),
    (lambda r: r.update(clauses="x"), "未知的键 clauses"),
])
def test_a_direct_rule_without_its_clause_is_refused(patch, message):
    raw = copy.deepcopy(TINY)
    patch(raw["direct_rule"][0])
    with pytest.raises(ModelConfigError, match=message):
        model_from_dict(raw)


def test_every_shipped_direct_rule_cites_its_clause():
    for rule in load_model().direct_rules:
        assert rule.clause
        assert ("工贸企业重大事故隐患判定标准" in rule.clause or "GB 35181-2025" in rule.clause
                or "本地规则" in rule.clause), rule.id


@pytest.mark.parametrize("category, description, cited", [
    ("粉尘防爆措施缺失", None, "工贸企业重大事故隐患判定标准第十一条"),
    ("液氨制冷车间人员密集", None, "工贸企业重大事故隐患判定标准第十二条"),
    ("有限空间作业未辨识", None, "工贸企业重大事故隐患判定标准第十三条"),
    ("三合一场所未分隔", None, "GB 35181-2025 第5章、第6章"),
    ("疏散通道严重不足", None, "GB 35181-2025 第5章、第6章"),
    (None, "仓库：粉尘堆积", "工贸企业重大事故隐患判定标准第十一条"),  # no category: its description
    ("其他", "无从归类", "台账中的重大隐患由主管部门按专门标准判定"),      # neither: the rule's own clause
])
def test_a_triggering_hazard_is_cited_under_the_clause_of_its_category(category, description, cited):
    rule = next(r for r in load_model().direct_rules if r.id == OPEN_MAJOR)
    assert rule.clause_for(category, description).startswith(cited)


# --- which rule fired, and which record triggered it --------------------------------------------

def literal_hazards() -> duckdb.DuckDBPyConnection:
    """E1 alone with four hazards as of 2026-06-01: HA 重大 粉尘, open; HB 重大, no category,
    open; HC 重大, rectified 2026-05-01 (not a trigger); HD 较大, open (not 重大)."""
    from .fixtures import bare_enterprise_table

    c = duckdb.connect()
    bare_enterprise_table(c)
    c.execute("""CREATE TABLE hazard AS SELECT * FROM (VALUES
        ('HA', 'E1', DATE '2026-03-01', '重大', '粉尘防爆措施缺失', '车间：积尘', DATE '2026-03-08', NULL::DATE),
        ('HB', 'E1', DATE '2026-04-01', '重大', NULL, '楼梯间：堵塞', DATE '2026-04-08', NULL::DATE),
        ('HC', 'E1', DATE '2026-02-01', '重大', '液氨制冷车间人员密集', '', DATE '2026-02-08', DATE '2026-05-01'),
        ('HD', 'E1', DATE '2026-05-01', '较大', '粉尘清扫不及时', '', DATE '2026-06-01', NULL::DATE)
        ) t(id, uscc, found_on, level, category, description, deadline, rectified_on)""")
    c.execute("CREATE TABLE inspection (id VARCHAR, uscc VARCHAR, date DATE)")
    c.execute("CREATE TABLE enforcement (id VARCHAR, uscc VARCHAR, date DATE)")
    c.execute("CREATE TABLE incident (id VARCHAR, uscc VARCHAR, date DATE, deaths INTEGER)")
    return c


def test_the_records_behind_a_rule_are_the_hazards_its_measure_counts():
    from scoring.fired import rule_hits
    from scoring.measures import measures_as_of

    model = load_model()
    c = literal_hazards()
    day = dt.date(2026, 6, 1)
    hits = rule_hits(c, day, measures_as_of(c, day, model), model)
    rule = next(r for r in model.direct_rules if r.id == OPEN_MAJOR)
    # Two open 重大 hazards, in the order found: HA (dust, article 11) and HB (no category: the
    # rule's own clause). HC was rectified before the day, HD is not 重大.
    assert hits[["uscc", "rule_id", "record_id", "record_level", "value"]].values.tolist() == [
        ["E1", OPEN_MAJOR, "HA", "重大", 2.0], ["E1", OPEN_MAJOR, "HB", "重大", 2.0]]
    assert hits["clause"].tolist() == [rule.by_category[0].clause, rule.clause]
    assert hits["clause"].iloc[0] == "工贸企业重大事故隐患判定标准第十一条（有粉尘爆炸危险的企业）"
    assert hits["hit_no"].tolist() == [1, 2]
    # The day before HA was found only HC was open (rectified later, on 2026-05-01): ammonia,
    # article 12. Before HC was found nothing fired.
    early = dt.date(2026, 2, 28)
    hits = rule_hits(c, early, measures_as_of(c, early, model), model)
    assert hits[["record_id", "clause"]].values.tolist() == [
        ["HC", "工贸企业重大事故隐患判定标准第十二条（用液氨制冷的企业）"]]
    before = dt.date(2026, 1, 31)
    assert rule_hits(c, before, measures_as_of(c, before, model), model).empty


def test_the_tiny_city_stores_the_rule_and_the_hazard_that_fired(con):
    from data.queries import rule_hits

    hits = rule_hits(con)
    assert hits[["uscc", "rule_id", "tier", "record_source", "record_id", "record_level"]].values.tolist() == [
        [F.E3, OPEN_MAJOR, "重大", "hazard", "H4", "重大"]]
    assert str(hits["record_on"].iloc[0].date()) == "2026-09-01"
    assert rule_hits(con, F.E1).empty


def test_the_profile_says_the_rule_its_clause_and_the_hazard_id(con):
    from data.queries import enterprise_profile
    from pages.profile import fired_lines

    model = load_model()
    rule = next(r for r in model.direct_rules if r.id == OPEN_MAJOR)
    say = lambda key, **kw: t(key, "zh", **kw)  # noqa: E731
    lines = fired_lines(enterprise_profile(con, F.E3, AS_OF)["rule_hits"], say)
    assert lines == [f"直接判定：存在未整改的重大事故隐患，定为重大。依据：{rule.clause}。"
                     "触发记录：隐患H4（2026-09-01发现，重大）"]
    assert fired_lines(enterprise_profile(con, F.E1, AS_OF)["rule_hits"], say) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_targets_list_and_its_workbook_show_the_rule_and_the_hazard(con, lang):
    import io

    import openpyxl

    from data.queries import rule_hits, score_table
    from reports.ledgers import target_list
    from reports.spreadsheets import to_xlsx
    from scoring.fired import with_hits

    chosen = with_hits(score_table(con), rule_hits(con)).assign(main_factors="", rank=lambda d: range(1, len(d) + 1))
    view = target_list(chosen, lang).set_index(t("col_uscc", lang))
    rule, record = t("col_fired_rule", lang), t("col_fired_record", lang)
    assert view.loc[F.E3, rule] == "存在未整改的重大事故隐患" and view.loc[F.E3, record] == "H4"
    assert view.loc[F.E1, rule] == "" and view.loc[F.E1, record] == ""
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(view.reset_index(), "list"))).active
    rows = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if rule in r)
    at = {r[header.index(t("col_uscc", lang))]: r for r in rows[rows.index(header) + 1:]}
    assert at[F.E3][header.index(record)] == "H4"
    assert at[F.E1][header.index(record)] in (None, "")


# --- score snapshots -----------------------------------------------------------------------------

def test_quarter_ends_count_back_from_the_as_of_date():
    from scoring.snapshots import quarter_ends

    assert quarter_ends(dt.date(2026, 11, 20), 3) == [dt.date(2026, 3, 31), dt.date(2026, 6, 30),
                                                      dt.date(2026, 9, 30)]
    assert quarter_ends(dt.date(2026, 12, 31), 2) == [dt.date(2026, 9, 30), dt.date(2026, 12, 31)]
    assert quarter_ends(dt.date(2026, 1, 1), 1) == [dt.date(2025, 12, 31)]


def test_snapshots_for_many_dates_equal_the_scores_of_each_date_alone(con):
    """The one query for every (enterprise, date) pair gives, date by date, what the one-date
    query gives."""
    from scoring.measures import measures_as_of, measures_at

    days = [dt.date(2025, 1, 1), dt.date(2026, 9, 30), dt.date(2026, 10, 1), AS_OF]
    usccs = [u for (u,) in con.execute("SELECT uscc FROM enterprise ORDER BY uscc").fetchall()]
    pairs = pd.DataFrame([(u, d) for u in usccs for d in days], columns=["uscc", "snapshot_date"])
    together = measures_at(con, pairs)
    for d in days:
        alone = measures_as_of(con, d)
        same_day = together[together["snapshot_date"] == pd.Timestamp(d)].drop(columns="snapshot_date")
        pd.testing.assert_frame_equal(same_day.reset_index(drop=True), alone.reset_index(drop=True))


def load_connection(db: Path) -> duckdb.DuckDBPyConnection:
    from data.build import connect

    return connect(db, read_only=True)


def snapshots_of(con: duckdb.DuckDBPyConnection, uscc: str) -> pd.DataFrame:
    from scoring.snapshots import enterprise_snapshots

    df = enterprise_snapshots(con, uscc, AS_OF, load_model())
    assert df["snapshot_date"].is_monotonic_increasing
    df["day"] = pd.to_datetime(df["snapshot_date"]).dt.date.astype(str)
    return df.set_index("day")


def test_the_snapshot_days_are_quarter_ends_inspections_and_the_as_of_date(con):
    s = snapshots_of(con, F.E1)
    # 12 quarter-ends back from 2026-11-20 (2023-12-31 … 2026-09-30), E1's inspection I1 on
    # 2026-10-01 and the as-of date.
    assert s.index[0] == "2023-12-31" and len(s) == 14
    assert s.loc["2026-10-01", ["quarter_end", "inspected", "is_as_of"]].tolist() == [False, True, False]
    assert s.loc["2026-11-20", ["quarter_end", "inspected", "is_as_of"]].tolist() == [False, False, True]
    assert s["quarter_end"].sum() == 12
    # E4's inspection I3 (2026-06-01) is a day of E4's alone.
    assert "2026-06-01" in snapshots_of(con, F.E4).index and "2026-06-01" not in s.index


def test_snapshot_contributions_and_tiers_by_hand(con):
    s = snapshots_of(con, F.E1)
    employees = round(6 * math.log(41) / math.log(301), 6)  # 40 employees, log scale to 300
    # 2026-09-30: nothing found yet, never inspected (full 5), 三合一 12, 制鞋 a high-fire-risk
    # industry 6, employees.
    assert s.loc["2026-09-30", ["c_employees", "c_mixed_use", "c_high_fire_risk", "c_inspection_gap",
                                "c_open_serious", "c_overdue"]].tolist() == pytest.approx([employees, 12, 6, 5, 0, 0])
    assert s.loc["2026-09-30", "score"] == pytest.approx(employees + 23) and s.loc["2026-09-30", "tier"] == "一般"
    # 2026-10-01, the day of I1: inspected that day (0 days: no points); H1 found, 一般, not due.
    assert s.loc["2026-10-01", "c_inspection_gap"] == 0 and s.loc["2026-10-01", "score"] == pytest.approx(
        employees + 18)
    # 2026-11-20: H2 较大 open (8 · 1/2) and overdue (10 · 1/3); I1 50 days before (under 90: 0).
    assert s.loc["2026-11-20", ["c_open_serious", "c_overdue", "c_inspection_gap"]].tolist() == pytest.approx(
        [4, round(10 / 3, 6), 0])
    # E3 turns 重大 by direct determination once H4 is found (2026-09-01).
    e3 = snapshots_of(con, F.E3)
    # Before: 印刷 6 + 8 employees 6·ln 9/ln 301 + never inspected 5 + outside a park 3 = 16.3, 一般.
    assert e3.loc["2026-06-30", "score"] == pytest.approx(14 + round(6 * math.log(9) / math.log(301), 6))
    assert e3.loc["2026-06-30", ["direct_rules", "tier"]].tolist() == ["", "一般"]
    assert e3.loc["2026-09-30", ["direct_rules", "tier"]].tolist() == [OPEN_MAJOR, "重大"]


def test_what_changed_between_two_days_factor_by_factor(con):
    from scoring.snapshots import changed_factors, score_change

    model = load_model()
    change = score_change(snapshots_of(con, F.E1).reset_index(drop=True), model, dt.date(2026, 9, 30), AS_OF)
    assert change["factor"].tolist() == [f.id for f in model.factors] + ["score"]
    moved = changed_factors(change).set_index("factor")
    third = round(10 / 3, 6)
    employees = round(6 * math.log(41) / math.log(301), 6)
    # Only three factors moved: H2 (较大, open and overdue on the as-of date) and I1 (inspected
    # 50 days before the as-of date, never before 2026-09-30).
    assert moved.index.tolist() == ["open_serious", "overdue", "inspection_gap", "score"]
    assert moved[["at_a", "at_b", "change"]].to_numpy().ravel().tolist() == pytest.approx([
        0, 4, 4, 0, third, third, 5, 0, -5, employees + 23, employees + 22 + third, third - 1])
    assert change["change"].iloc[:-1].sum() == pytest.approx(change["change"].iloc[-1])
    with pytest.raises(KeyError, match="2026-08-15"):
        score_change(snapshots_of(con, F.E1).reset_index(drop=True), model, dt.date(2026, 8, 15), AS_OF)


def test_a_grid_scope_sees_only_its_own_hits_and_snapshots(con):
    from data.access import scope_connection
    from scoring.snapshots import enterprise_snapshots

    west = scope_connection(con, grid_id="339902001001")  # 甲街道: E1 and E2, not E3
    try:
        assert west.execute("SELECT count(*) FROM direct_rule_hit").fetchone()[0] == 0
        assert len(enterprise_snapshots(west, F.E1, AS_OF, load_model())) == 14
        assert enterprise_snapshots(west, F.E3, AS_OF, load_model()).empty  # another grid's: nothing
    finally:
        west.close()


def test_one_enterprise_s_snapshots_are_its_rows_of_the_whole_city_s(con):
    """Computed when a file opens, an enterprise's snapshots equal its rows of the snapshots of
    every enterprise at once."""
    from scoring.snapshots import enterprise_snapshots, score_snapshots

    model = load_model()
    whole = score_snapshots(con, AS_OF, model)
    for u in (F.E1, F.E2, F.E3, F.E4):
        mine = whole[whole["uscc"] == u].sort_values("snapshot_date").reset_index(drop=True)
        pd.testing.assert_frame_equal(enterprise_snapshots(con, u, AS_OF, model), mine)


# --- the 一企一档 on the page --------------------------------------------------------------------

def test_the_grid_page_file_shows_the_rule_the_hazard_and_what_changed(tiny_city: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from .test_app import run_app

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tiny_city.parent))
    at = run_app("pages/screens/grid.py")
    at.selectbox(key="grid").set_value("339902101001").run()  # 乙镇: E3 and E4
    at.selectbox(key="profile").set_value(F.E3).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("H4" in w and "存在未整改的重大事故隐患" in w for w in warnings), warnings
    days = at.selectbox(key=f"hist_b_{F.E3}")
    assert days.value == AS_OF and at.selectbox(key=f"hist_a_{F.E3}").value == dt.date(2026, 9, 30)
    at.selectbox(key=f"hist_a_{F.E3}").set_value(dt.date(2026, 6, 30)).run()
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "未整改重大隐患" in html  # H4 found between the two days: its factor changed
    # Every snapshot day with its score and tier (E3: 重大 from 2026-09-30 on, 一般 before), and
    # what a past day is: the current model's version named.
    e3 = snapshots_of(load_connection(tiny_city), F.E3)
    for day in e3.index:
        assert f"{day}（" in html or f">{day}<" in html
    assert html.count("重大") >= int((e3["tier"] == "重大").sum())
    assert any(load_model().version in c.value.replace("\\", "") for c in at.caption)  # Markdown-escaped
    at.selectbox(key="profile").set_value(F.E4).run()
    assert not any("存在未整改的重大事故隐患" in w.value for w in at.warning)


def test_a_city_snapshotted_in_parts_has_the_same_rows(con):
    """A large city is snapshotted a part of its enterprises at a time: the parts together are
    the whole, each enterprise in exactly one part."""
    from scoring.snapshots import score_snapshots

    model = load_model()
    whole = score_snapshots(con, AS_OF, model)
    parts = [score_snapshots(con, AS_OF, model, k, 3) for k in range(3)]
    assert sum(len(p) for p in parts) == len(whole) == 55  # 4 × (12 quarter-ends + as-of) + 3 inspections
    keys = ["uscc", "snapshot_date"]
    pd.testing.assert_frame_equal(pd.concat(parts).sort_values(keys).reset_index(drop=True),
                                  whole.sort_values(keys).reset_index(drop=True))
    assert len(set.intersection(*(set(p["uscc"]) for p in parts))) == 0
