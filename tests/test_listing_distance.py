"""How far a township is from each listing rule (scoring.listing.listing_distance), and the
乡镇挂牌 page showing it with 新挂牌 / 继续挂牌 / 摘牌: literal frames with answers worked out by
hand, then the demo city against the listing itself and against the CLI."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scoring.listing import (
    apply_listing,
    distance_texts,
    format_figure,
    history_wide,
    listing_changes,
    listing_distance,
)
from scoring.model import Listing, ListingRule

from .conftest import City
from .test_app import ADMIN, APP, run_app

PAGE = "pages/screens/listing.py"

RULES = Listing((
    ListingRule("top", "指数前列", "index_rank", "市级", max=3),
    ListingRule("overdue_major", "逾期重大隐患", "overdue_major", "市级", min=3),
    ListingRule("incidents", "事故多发", "incidents_12m", "县级", min=4),
    ListingRule("coverage", "覆盖率低", "inspection_coverage", "县级", max=0.5),
), deadline_days=90, delisting="复评不再触发则摘牌")

TOWNSHIPS = pd.DataFrame({
    "key": ["A", "B", "C", "D", "E"],
    "index": [90.0, 75.5, 70.0, 62.3, 40.0],
    "index_rank": [1, 2, 3, 4, 5],
    "overdue_major": [0, 3, 1, 1, 0],
    "incidents_12m": [1, 0, 4, 2, 0],
    "inspection_coverage": [0.8, 0.9, 0.5, 0.62, np.nan],  # E: no enterprise, no coverage figure
})

NAN = float("nan")
#: (township, rule) → (met, gap), by hand. A rank's gap is in places, a count's in items, a
#: share's as a share (0.12 = 12 percentage points); a rule met is 0 away; no data, no distance.
EXPECTED = {
    ("A", "top"): (True, 0), ("A", "overdue_major"): (False, 3), ("A", "incidents"): (False, 3),
    ("A", "coverage"): (False, 0.3),
    ("B", "top"): (True, 0), ("B", "overdue_major"): (True, 0),  # 3 against "3 or more": on the bound is met
    ("B", "incidents"): (False, 4), ("B", "coverage"): (False, 0.4),
    ("C", "top"): (True, 0), ("C", "overdue_major"): (False, 2), ("C", "incidents"): (True, 0),
    ("C", "coverage"): (True, 0),  # 50 % against "50 % or less"
    ("D", "top"): (False, 1), ("D", "overdue_major"): (False, 2), ("D", "incidents"): (False, 2),
    ("D", "coverage"): (False, 0.12),
    ("E", "top"): (False, 2), ("E", "overdue_major"): (False, 3), ("E", "incidents"): (False, 4),
    ("E", "coverage"): (False, NAN),
}


def by_pair(d: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(r["key"], r["rule"]): r for _, r in d.iterrows()}


@pytest.mark.parametrize("pair", sorted(EXPECTED))
def test_each_rule_met_or_how_far(pair):
    met, gap = EXPECTED[pair]
    row = by_pair(listing_distance(TOWNSHIPS, RULES))[pair]
    assert bool(row["met"]) is met
    assert row["gap"] == pytest.approx(gap, nan_ok=True)


def test_one_row_per_township_and_rule_in_order_with_the_rule_itself():
    d = listing_distance(TOWNSHIPS, RULES)
    assert list(zip(d["key"], d["rule"]))[:5] == [("A", "top"), ("A", "overdue_major"), ("A", "incidents"),
                                                  ("A", "coverage"), ("B", "top")]
    assert len(d) == 5 * 4
    d_row = d[(d["key"] == "D")].set_index("rule")
    assert d_row.loc["top", ["name", "level", "op", "bound", "value"]].tolist() == ["指数前列", "市级", "<=", 3, 4]
    assert d_row.loc["overdue_major", ["op", "bound"]].tolist() == [">=", 3]
    assert d_row["share"].tolist() == [False, False, False, True]


def test_a_rank_rule_names_the_index_at_the_last_place_listed():
    d = by_pair(listing_distance(TOWNSHIPS, RULES))
    # Top 3 are listed; the 3rd highest index is C's 70.0: D (62.3) and E (40.0) must reach it.
    assert d[("D", "top")]["cutoff_index"] == 70.0 and d[("D", "top")]["index"] == 62.3
    assert d[("E", "top")]["cutoff_index"] == 70.0
    assert math.isnan(d[("A", "top")]["cutoff_index"])  # met: nothing to reach
    assert math.isnan(d[("D", "overdue_major")]["cutoff_index"])  # not a rank


def test_a_tie_at_the_last_place_shares_it():
    # Ranks as the area index gives them (ties share the better place): 80, 70, 70, 60 → 1, 2, 2, 4.
    table = pd.DataFrame({"key": list("PQRS"), "index": [80.0, 70.0, 70.0, 60.0], "index_rank": [1, 2, 2, 4]})
    rules = Listing((ListingRule("top", "前两位", "index_rank", "市级", max=2),), 90, "")
    d = listing_distance(table, rules).set_index("key")
    assert d["met"].tolist() == [True, True, True, False]
    assert d.loc["S", "gap"] == 2 and d.loc["S", "cutoff_index"] == 70.0  # 70 would tie at place 2


def test_every_listed_row_meets_a_rule_and_no_unlisted_one_does():
    listed = apply_listing(TOWNSHIPS, RULES, dt.date(2026, 11, 20)).set_index("key")
    d = listing_distance(TOWNSHIPS, RULES)
    met = d.groupby("key")["met"].any()
    assert met.to_dict() == {"A": True, "B": True, "C": True, "D": False, "E": False}
    assert (met == listed["listed"]).all()
    rules_met = d[d["met"]].groupby("key")["rule"].agg(";".join)
    assert rules_met.to_dict() == listed.loc[listed["listed"], "rules"].to_dict()


def test_no_rules_no_rows():
    d = listing_distance(TOWNSHIPS, Listing((), 90, ""))
    assert d.empty and {"key", "rule", "met", "gap"} <= set(d.columns)


@pytest.mark.parametrize("value, share, text", [
    (62.34, False, "62.3"), (7.0, False, "7"), (13, False, "13"), (0.625, True, "62.5%"), (0.5, True, "50%"),
    (NAN, False, "—"), (NAN, True, "—"),
])
def test_format_figure(value, share, text):
    assert format_figure(value, share) == text


def test_distance_texts_by_hand():
    t = distance_texts(listing_distance(TOWNSHIPS, RULES)).set_index(["key", "rule"])
    cols = ["threshold", "shown", "gap_text", "kind"]
    assert t.loc[("D", "top"), cols].tolist() == ["≤ 3", "4", "1", "rank"]
    assert t.loc[("D", "top"), "last"] == 3
    assert t.loc[("D", "coverage"), cols].tolist() == ["≤ 50%", "62%", "12", "share"]  # percentage points
    assert t.loc[("D", "incidents"), cols].tolist() == ["≥ 4", "2", "2", "count"]
    assert t.loc[("B", "overdue_major"), cols].tolist() == ["≥ 3", "3", "0", "met"]
    assert t.loc[("E", "coverage"), cols].tolist() == ["≤ 50%", "—", "—", "no_data"]


@pytest.mark.parametrize("kind, lang, text", [
    ("rank", "zh", "差 1 位（第 3 位指数 70.0，本乡镇 62.3）"),
    ("share", "zh", "差 12 个百分点"),
    ("count", "zh", "差 2"),
    ("met", "zh", "0"),
    ("no_data", "zh", "无数据"),
    ("rank", "en", "1 place(s) to go (index at place 3: 70.0; this township: 62.3)"),
])
def test_gap_sentences(kind, lang, text):
    from riskmap.i18n import t

    rule = {"rank": "top", "share": "coverage", "count": "incidents", "met": "top", "no_data": "coverage"}[kind]
    key = "E" if kind == "no_data" else "A" if kind == "met" else "D"
    r = distance_texts(listing_distance(TOWNSHIPS, RULES)).set_index(["key", "rule"]).loc[(key, rule)]
    assert r["kind"] == kind
    assert t(f"gap_{kind}", lang, gap=r["gap_text"], last=r["last"], cutoff=r["cutoff_index"], index=r["index"]) == text


def test_listing_changes_by_hand():
    keys = pd.Series(["A", "B", "C", "D"])
    got = listing_changes(keys, pd.Series(["A", "B"]), pd.Series(["A", "C"])).set_index("key")["status"]
    assert got.to_dict() == {"A": "继续挂牌", "B": "摘牌", "C": "新挂牌"}  # D: unlisted both times, left out


def test_history_wide_by_hand():
    d1, d2 = dt.date(2026, 8, 20), dt.date(2026, 11, 20)
    history = pd.DataFrame({"key": ["B", "A", "A"], "level": ["县级", "市级", "县级"], "as_of": [d1, d1, d2]})
    wide = history_wide(history, {"A": "甲镇", "B": "乙镇"})
    assert list(wide.columns) == ["name", "times", "2026-08-20", "2026-11-20"]
    assert wide.values.tolist() == [["甲镇", 2, "市级", "县级"], ["乙镇", 1, "县级", "—"]]


# -- the demo city --------------------------------------------------------------------------------

def stored(city: City) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    from data.build import connect

    con = connect(city.db, read_only=True)
    areas = con.execute("SELECT * FROM area_township").df()
    listing = con.execute("SELECT key, rules FROM listing_township").df()
    names = dict(con.execute("SELECT code, name FROM township").fetchall())
    return areas, listing, names


def test_the_distance_agrees_with_the_stored_listing(small_city: City):
    """A township is listed when any rule holds (apply_listing has no other condition): every
    listed township meets at least one rule — exactly the rules its listing names — and every
    other township meets none."""
    from scoring.model import load_model

    areas, listing, _ = stored(small_city)
    d = listing_distance(areas, load_model().township_listing)
    met = d.groupby("key")["met"].any()
    assert set(met[met].index) == set(listing["key"]) and (~met).any() and met.any()
    assert d.loc[d["met"], "gap"].eq(0).all() and d.loc[~d["met"] & d["value"].notna(), "gap"].gt(0).all()
    rules_met = d[d["met"]].groupby("key")["rule"].agg(";".join).to_dict()
    assert rules_met == dict(zip(listing["key"], listing["rules"]))


def pick(at: AppTest, code: str) -> AppTest:
    """A click on township ``code`` of the map, as the browser sends it (AppTest has no map
    interaction, and the selection is not settable through session_state)."""
    chart = at.get("deck_gl_json_chart")[0]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"indices": {"area_index": [0]},
                                                   "objects": {"area_index": [{"code": code}]}}})
    return at._run(states)


def rules_table(at: AppTest) -> pd.DataFrame:
    tables = [df.value for df in at.dataframe if "挂牌条件" in df.value.columns]
    assert len(tables) == 1
    return tables[0]


def test_picking_an_unlisted_township_shows_each_rule_not_empty_tables(city_env: City):
    from scoring.model import load_model

    areas, listing, names = stored(city_env)
    unlisted = areas[~areas["key"].isin(listing["key"])].sort_values("index_rank")
    code = unlisted["key"].iloc[0]  # the nearest to the top of the index not listed
    at = pick(run_app(PAGE), code)
    assert not at.exception and not at.error
    assert any(names[code] in i.value for i in at.info)
    assert all(len(df.value) for df in at.dataframe), "an empty table is shown"
    assert not any("挂牌理由" in df.value.columns for df in at.dataframe)  # no listed-townships table
    table = rules_table(at)
    model = load_model().township_listing
    assert table["挂牌条件"].tolist() == [r.name for r in model.rules]
    assert set(table["是否满足"]) == {"未满足"}
    assert any("本期未挂牌" in c.value for c in at.caption)
    assert not any("不一致" in w.value for w in at.warning)  # the stored listing is the rules'
    # The rank rule, by hand from the stored table: its place, the top-5 cut-off and both indexes.
    row = areas.set_index("key").loc[code]
    fifth = areas["index"].sort_values(ascending=False).iloc[4]
    top = table.set_index("挂牌条件").loc[model.rules[0].name]
    assert top["阈值"] == "≤ 5" and top["本乡镇"] == str(int(row["index_rank"]))
    assert top["差距"] == (f"差 {int(row['index_rank']) - 5} 位（第 5 位指数 {fifth:.1f}，"
                         f"本乡镇 {row['index']:.1f}）")
    overdue = table.set_index("挂牌条件").loc[model.rules[1].name]
    assert overdue["阈值"] == "≥ 3" and overdue["差距"] == f"差 {3 - int(row['overdue_major'])}"


def test_picking_a_listed_township_shows_its_listing_and_the_rules_it_meets(city_env: City):
    areas, listing, names = stored(city_env)
    code = listing["key"].iloc[0]
    at = pick(run_app(PAGE), code)
    assert not at.exception and not at.error
    listed = at.dataframe[0].value
    assert listed["乡镇（街道）"].tolist() == [names[code]] and listed["较上季度末"].iloc[0] in ("新挂牌", "继续挂牌")
    table = rules_table(at)
    met = table.loc[table["是否满足"] == "满足"]
    assert len(met) == len(listing.set_index("key").loc[code, "rules"].split(";")) >= 1
    assert (met["差距"] == "0").all()


def test_picking_a_delisted_township_says_so(city_env: City, capsys: pytest.CaptureFixture[str]):
    _, _, names = stored(city_env)
    delisted = cli_changes(city_env, "2026-08-20", capsys)["摘牌"][0]
    code = next(k for k, n in names.items() if n == delisted)
    at = pick(run_app(PAGE), code)
    assert not at.exception and not at.error
    assert any(c.value.startswith("上季度末（2026-08-20）挂牌，本期不再满足任何挂牌条件（摘牌）。 本期未挂牌")
               for c in at.caption)
    assert set(rules_table(at)["是否满足"]) == {"未满足"}


def cli_changes(city: City, before: str, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    """What ``python -m riskmap listing --compare <before>`` prints: status → township names."""
    from riskmap.cli import main

    capsys.readouterr()
    assert main(["--db", str(city.db), "listing", "--compare", before]) == 0
    out: dict[str, list[str]] = {}
    for line in capsys.readouterr().out.splitlines():
        for status in ("新挂牌", "继续挂牌", "摘牌"):
            if line.startswith(f"  {status} "):
                names = line.split("：", 1)[1]
                out[status] = names.split("、") if names else []
    assert set(out) == {"新挂牌", "继续挂牌", "摘牌"}
    return out


def test_new_still_and_delisted_on_screen_are_the_clis(city_env: City, capsys: pytest.CaptureFixture[str]):
    before = "2026-08-20"  # the end of the quarter before the data's as-of date (2026-11-20)
    expected = cli_changes(city_env, before, capsys)
    at = run_app(PAGE)
    assert not at.exception
    listed = at.dataframe[0].value
    shown = {s: sorted(listed.loc[listed["较上季度末"] == s, "乡镇（街道）"]) for s in ("新挂牌", "继续挂牌")}
    assert shown == {s: sorted(expected[s]) for s in ("新挂牌", "继续挂牌")}
    assert listed["较上季度末"].notna().all()  # every listed township is new or still listed
    line = next(c.value for c in at.caption if c.value.startswith(f"与上季度末（{before}）相比"))
    assert (f"新挂牌 {len(expected['新挂牌'])} 个，继续挂牌 {len(expected['继续挂牌'])} 个，"
            f"摘牌 {len(expected['摘牌'])} 个") in line
    assert expected["摘牌"], "the demo city has townships delisted since last quarter, to be named"
    assert sorted(line.rsplit("：", 1)[1].split("、")) == sorted(expected["摘牌"])


def test_the_page_in_english_says_the_changes_and_the_rules_in_english(city_env: City):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"  # before the first run, as tests/test_app.py does
    at.session_state["user"] = ADMIN
    at = at.switch_page(PAGE).run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert set(listed["Since last quarter"]) <= {"Newly listed", "Still listed"}
    assert any(c.value.startswith("Against the end of last quarter") for c in at.caption)
    areas, listing, _ = stored(city_env)
    at = pick(at, areas.loc[~areas["key"].isin(listing["key"]), "key"].iloc[0])
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if "Rule" in df.value.columns)
    assert list(table.columns) == ["Rule", "Level", "Threshold", "This township", "Met", "Gap"]
    assert set(table["Met"]) == {"Not met"} and set(table["Level"]) <= {"City", "County"}


def test_stored_reasons_said_again_in_english_by_hand():
    """The stored reasons are Chinese sentences; in English each rule that held is said again
    from the row's own numbers (the rule's Chinese name, a config word, left out)."""
    from scoring.listing import reasons_in

    rules = Listing((ListingRule("top", "居前列", "index_rank", "市级", max=5),
                     ListingRule("od", "逾期多", "overdue_major", "市级", min=3),
                     ListingRule("cov", "覆盖低", "inspection_coverage", "县级", max=0.5)), 90, "")
    table = pd.DataFrame({"rules": ["top;od", "cov", ""], "reasons": ["甲", "乙", ""],
                          "index_rank": [2, 40, 60], "index": [71.25, 20.0, 5.0],
                          "overdue_major": [4, 0, 0], "inspection_coverage": [0.9, 0.31, 0.8]})
    assert reasons_in(table, rules, "zh") == ["甲", "乙", ""]
    from scoring.model import load_model

    window = next(m for m in load_model().declared_measures if m.id == "inspection_coverage").window_text_en
    assert reasons_in(table, rules, "en") == [
        "Area risk index 71.2, ranked 2 in the city (the top 5 are listed); 4 major hazards overdue (listed at 3 or more)",
        f"Inspection coverage 31% in the last {window} (listed at 50% or less)", ""]
