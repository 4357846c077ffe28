"""The rules of the risk model live in scoring/model.toml: every key of it is documented in
docs/MODEL.md, a window is one edit there (SQL, results and texts follow), the new sections are
validated with the entry named, and the screens' parameters are read from it."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scoring.measures import measures_as_of, measures_query
from scoring.model import DEFAULT_MODEL, ModelConfigError, load_model, model_from_dict
from scoring.sql import hazard_open, hazard_rectified, within_days

from .fixtures import bare_enterprise_table

REPO = Path(__file__).resolve().parent.parent
T = dt.date(2026, 6, 1)


def raw_model() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))


def walk(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(what, text the document must hold) for every table, array of tables, leaf key and id."""
    for key, value in node.items():
        here = (*path, key)
        if isinstance(value, dict):
            yield "table", f"`[{'.'.join(here)}]`"
            yield from walk(value, here)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            yield "array of tables", f"`[[{'.'.join(here)}]]`"
            for entry in value:
                if "id" in entry:
                    yield "id", f"`{entry['id']}`"
                yield from walk(entry, here)
        else:
            yield "key", f"`{key}`"


def test_every_key_of_the_model_file_appears_in_the_methodology():
    doc = (REPO / "docs" / "MODEL.md").read_text(encoding="utf-8")
    wanted = set(walk(raw_model()))
    assert {"`[[measure]]`", "`[plan]`", "`[robustness]`", "`window_days`", "`assign_days`",
            "`inspectors_per_target`", "`stable_listed`", "`rgb`", "`high`", "`incidents_36m`"} <= {t for _, t in wanted}
    missing = sorted(f"{what} {text}" for what, text in wanted if text not in doc)
    assert missing == [], "docs/MODEL.md does not name: " + ", ".join(missing)


def literal_db() -> duckdb.DuckDBPyConnection:
    """One enterprise E1; enforcement and incidents on both sides of each window edge (T = 2026-06-01)."""
    con = duckdb.connect()
    bare_enterprise_table(con)
    con.execute("CREATE TABLE hazard (uscc VARCHAR, found_on DATE, level VARCHAR, deadline DATE, rectified_on DATE, "
                "category VARCHAR)")
    con.execute("CREATE TABLE inspection AS SELECT 'E1' AS uscc, DATE '2026-03-01' AS date")
    # Days before T: 10, 364 (in a 365-day window), 365 (just out of it), 700 (in a 730-day one).
    con.execute("""CREATE TABLE enforcement AS SELECT 'E1' AS uscc, d AS date FROM (VALUES
        (DATE '2026-05-22'), (DATE '2025-06-02'), (DATE '2025-06-01'), (DATE '2024-07-01')) t(d)""")
    # Days before T: 100 (1 death), 729 (0), 730 (1: just out of a 730-day window), 1000 (2),
    # 1095 (1: just out of the 1095-day one); and one the day after T (3).
    con.execute("""CREATE TABLE incident AS SELECT 'E1' AS uscc, d AS date, n AS deaths FROM (VALUES
        (DATE '2026-02-21', 1), (DATE '2024-06-02', 0), (DATE '2024-06-01', 1), (DATE '2023-09-05', 2),
        (DATE '2023-06-02', 1), (DATE '2026-06-02', 3)) t(d, n)""")
    return con


def edited(old: str, new: str) -> dict[str, Any]:
    """The shipped model file with one edit (the text must occur exactly once)."""
    text = DEFAULT_MODEL.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return tomllib.loads(text.replace(old, new))


def test_the_shipped_windows_count_by_hand():
    assert (T - dt.date(2025, 6, 2)).days == 364 and (T - dt.date(2024, 6, 1)).days == 730
    assert (T - dt.date(2023, 6, 2)).days == 1095
    m = measures_as_of(literal_db(), T).iloc[0]
    assert m.enforcement_12m == 2  # 10 and 364 days before T; 365 is out
    assert (m.incidents_36m, m.deaths_36m) == (4, 4)  # 100, 729, 730, 1000 days: 1 + 0 + 1 + 2 deaths


def test_three_years_to_two_is_one_edit_in_one_file():
    """近三年 → 近两年: window_days 1095 → 730 on incidents_36m; its deaths share the window, and
    the SQL, the figures and every text that quotes the window follow."""
    model = model_from_dict(edited('aggregate = "count"\nwindow_days = 1095', 'aggregate = "count"\nwindow_days = 730'))
    assert model.measure("incidents_36m").window_days == model.measure("deaths_36m").window_days == 730
    sql = measures_query(model)
    assert "INTERVAL 730 DAY" in sql and "INTERVAL 1095 DAY" not in sql
    m = measures_as_of(literal_db(), T, model).iloc[0]
    assert (m.incidents_36m, m.deaths_36m) == (2, 1)  # 100 and 729 days before T: 1 + 0 deaths
    factor = next(f for f in model.factors if f.id == "incidents")
    assert factor.name == "近两年事故" and factor.definition.startswith("评估日前 24 个月内")
    assert next(r for r in model.direct_rules if r.id == "fatal_incident").name == "近两年发生亡人事故"
    shipped = load_model()
    assert next(f for f in shipped.factors if f.id == "incidents").name == "近三年事故"


def test_the_enforcement_window_from_365_to_730_days():
    model = model_from_dict(edited('source = "enforcement"\naggregate = "count"\nwindow_days = 365',
                                   'source = "enforcement"\naggregate = "count"\nwindow_days = 730'))
    assert "date > (SELECT d FROM t) - INTERVAL 730 DAY" in measures_query(model)
    assert measures_as_of(literal_db(), T, model).iloc[0].enforcement_12m == 4  # 10, 364, 365 and 700 days
    factor = next(f for f in model.factors if f.id == "recent_enforcement")
    assert factor.name == "近两年执法处罚" and factor.definition.startswith("评估日前 24 个月内的执法措施次数")
    assert measures_as_of(literal_db(), T).iloc[0].enforcement_12m == 2  # the shipped model is untouched


def test_open_hazard_predicate_by_hand():
    con = duckdb.connect()
    con.execute("""CREATE TABLE hazard AS SELECT * FROM (VALUES
        ('open', DATE '2026-05-01', NULL::DATE), ('fixed on T', DATE '2026-05-01', DATE '2026-06-01'),
        ('fixed after T', DATE '2026-05-01', DATE '2026-06-02'), ('found after T', DATE '2026-06-02', NULL::DATE)
        ) t(id, found_on, rectified_on)""")
    def ids(where: str) -> list[str]:
        return [r[0] for r in con.execute(f"SELECT id FROM hazard h WHERE {where} ORDER BY id", {"t": T}).fetchall()]
    assert ids(hazard_open("$t", "h")) == ["fixed after T", "open"]
    assert ids(hazard_open("$t", "h", found=False)) == ["fixed after T", "found after T", "open"]
    assert ids(f"found_on <= $t AND {hazard_rectified('$t')}") == ["fixed on T"]
    assert ids(within_days("found_on", "$t", 32)) == ["fixed after T", "fixed on T", "found after T", "open"]
    assert ids(within_days("found_on", "$t", 31)) == ["found after T"]  # 2026-05-01 is 31 days before T: out


def test_plan_tiers_and_robustness_come_from_the_model():
    from layers.colors import TIER_COLORS

    model = load_model()
    assert (model.plan.assign_days, model.plan.inspectors_per_target) == (30, 2)
    assert model.high_tiers == ("重大", "较大")
    assert TIER_COLORS == {"重大": (215, 25, 28), "较大": (253, 141, 60), "一般": (255, 221, 51), "低": (44, 123, 182)}
    r = model.robustness
    assert (r.spread, r.draws, r.seed, r.stable_listed, r.stable_unlisted) == (0.25, 1000, 20261123, 0.9, 0.1)


def test_the_robustness_title_is_formatted_from_the_model():
    from riskmap.i18n import t

    fields = load_model().robustness.fields()
    assert t("robustness_title", **fields) == "权重扰动 ±25%、1000 次模拟下的稳健性"
    assert t("robustness_title", "en", **fields) == "Robustness under ±25 % weights, 1,000 draws"
    other = model_from_dict(edited("spread = 0.25\ndraws = 1000", "spread = 0.2\ndraws = 500")).robustness.fields()
    assert t("robustness_title", **other) == "权重扰动 ±20%、500 次模拟下的稳健性"
    assert t("robustness_title", "en", **other) == "Robustness under ±20 % weights, 500 draws"


def test_robustness_defaults_are_the_models(tiny_city, capsys):
    from data.build import connect
    from riskmap.cli import main
    from scoring.run import model_outputs
    from scoring.uncertainty import township_robustness

    con = connect(tiny_city, read_only=True)
    as_of = dt.date(2026, 11, 20)
    model = model_from_dict(edited("draws = 1000\nseed = 20261123", "draws = 7\nseed = 3"))
    areas = model_outputs(con, as_of, model)["area_township"].rename(columns={"key": "township_code"})
    r = township_robustness(measures_as_of(con, as_of, model), areas, model)
    assert (r.draws, r.spread, r.seed) == (7, 0.25, 3)
    con.close()
    assert main(["--db", str(tiny_city), "robustness"]) == 0
    assert "权重扰动 ±25%，1000 次（种子 20261123" in capsys.readouterr().out


def _patch(path: str, value: Any) -> Any:
    """A patch that sets ``value`` at ``path`` ("measure.9.window_days"; None deletes)."""
    def apply(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = raw
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        key: Any = int(last) if last.isdigit() else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    return apply


def _measure(raw: dict[str, Any], mid: str) -> int:
    return next(i for i, m in enumerate(raw["measure"]) if m["id"] == mid)


@pytest.mark.parametrize("patch, message", [
    (lambda r: r["measure"][_measure(r, "enforcement_12m")].update(window_days=0),
     r"measure #\d+（enforcement_12m）: window_days 必须不小于 1"),
    (lambda r: r["measure"][_measure(r, "enforcement_12m")].update(window=730),
     r"measure #\d+（enforcement_12m）: 未知的键 window"),
    (lambda r: r["measure"][_measure(r, "enforcement_12m")].update(source="ledger"), r"（enforcement_12m）: source 应为"),
    (lambda r: r["measure"][_measure(r, "enforcement_12m")].update(aggregate="mean"), r"（enforcement_12m）: aggregate 应为"),
    (lambda r: r["measure"][_measure(r, "enforcement_12m")].update(status="open"), r"（enforcement_12m）: “status”只适用于"),
    (lambda r: r["measure"][_measure(r, "open_major")].update(level="特大"), r"（open_major）: level 应为"),
    (lambda r: r["measure"][_measure(r, "open_major")].update(status="closed"), r"（open_major）: status 应为"),
    (lambda r: r["measure"][_measure(r, "deaths_36m")].update(window_of="nothing"), r"（deaths_36m）: window_of"),
    (lambda r: r["measure"][_measure(r, "deaths_36m")].update(window_days=30), r"（deaths_36m）: window_days 与 window_of"),
    (lambda r: r["measure"][_measure(r, "deaths_36m")].pop("column"), r"（deaths_36m）: 缺少“column”"),
    (lambda r: r["measure"][_measure(r, "deaths_36m")].update(column="deaths; DROP TABLE x"), r"（deaths_36m）: “column”应为"),
    (lambda r: r["measure"][_measure(r, "found_12m")].update(id="open_major"), r"（open_major）: id 重复"),
    (lambda r: r["measure"][_measure(r, "incidents_12m")].update(aggregate="sum", column="deaths"),
     r"（incidents_12m）: 按区域"),
    (lambda r: r["measure"].pop(_measure(r, "inspection_coverage")), r"area_index: 需要声明 \[\[measure\]\]“inspection_coverage”"),
    (lambda r: r["factor"][0].update(measure="incidents_12m"), r"factor “hazchem”: 指标“incidents_12m”按区域计算"),
    (lambda r: r["measure"][_measure(r, "incidents_36m")].update(window_days=200), r"factor #\d+（incidents）.*不是整年"),
    (lambda r: r["factor"][0].update(name="近{nothing.window_years}"), r"factor #1（hazchem）.*无法替换"),
    (lambda r: r["tier"][0].update(rgb=[1, 2]), r"tier #1（重大）: rgb 应为"),
    (lambda r: r["tier"][0].pop("high"), r"tier #1（重大）: 缺少“high”"),
    (lambda r: r["tier"][3].update(high=True), r"tier #4（低）: high = true 的应是最高的"),
    (lambda r: r["tier"][0].update(high=False), r"tier #2（较大）: high = true 的应是最高的"),
    (lambda r: r["tier"][1].update(id="major"), r"tier #2（较大）: id 重复"),
    (_patch("plan", None), r"缺少 \[plan\]"),
    (_patch("plan.assign_days", 0), r"plan: assign_days 必须不小于 1"),
    (_patch("plan.inspectors_per_target", 1.5), r"plan: “inspectors_per_target”的值 1.5 类型不对"),
    (_patch("plan.days", 30), r"plan: 未知的键 days"),
    (_patch("robustness", None), r"缺少 \[robustness\]"),
    (_patch("robustness.spread", 1.5), r"robustness: spread 应满足"),
    (_patch("robustness.stable_unlisted", 0.95), r"robustness: 应满足 0 ≤ stable_unlisted < stable_listed"),
    (_patch("robustness.draws", "1000"), r"robustness: “draws”的值 '1000' 类型不对"),
    (_patch("robustness.seed", None), r"robustness: 缺少“seed”"),
])
def test_model_errors_name_the_entry(patch, message):
    raw = copy.deepcopy(raw_model())
    patch(raw)
    with pytest.raises(ModelConfigError, match=message):
        model_from_dict(raw)
