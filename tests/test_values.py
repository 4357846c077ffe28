"""Values as people write them: synonyms accepted as they are, unambiguous repairs kept with a
warning that says what the file said and what it became, ambiguous values rejected with a
reason, longitude/latitude swapped in a row, value maps a user makes, 成立日期.

Every expected answer below is written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from data import tables as T
from data import uscc, vocab
from data.build import build_database, connect
from data.readers import ROW, ImportFileError
from data.validate import convert_coordinates, drop_validation, validate_staged
from data.valuemaps import fold, load_value_maps, resolve_value, save_value_map, unknown_values

from .fixtures import write_townships

GOOD = "91330100716105852F"  # a valid code
BAD_CHECK = "91330100716105852E"  # right form, wrong check character


def code(n: int) -> str:
    """The n-th valid credit code of these tests."""
    body = f"9133990000000{n:04d}"
    return body + uscc.check_char(body)


# --- synonyms ------------------------------------------------------------------------------

D, L, A = vocab.DEPARTMENTS, vocab.HAZARD_LEVELS, vocab.ENFORCEMENT_ACTIONS
SYNONYMS = [
    # hazard levels, with and without 隐患 / 级
    (L, "一般隐患", "一般"), (L, "一般事故隐患", "一般"), (L, "一般级", "一般"), (L, "较大隐患", "较大"),
    (L, "重大事故隐患", "重大"), (L, "重大隐患", "重大"), (L, "重 大", "重大"), (L, "ｌ", None), (L, "Ⅰ级", None),
    # departments by their official names, place names in front, branches after
    (D, "消防救援支队", "消防救援"), (D, "消防救援大队", "消防救援"), (D, "消防大队", "消防救援"), (D, "消防救援局", "消防救援"),
    (D, "瓯海区消防救援大队", "消防救援"), (D, "温州市瓯海区消防救援大队", "消防救援"), (D, "消防救援支队瓯海大队", "消防救援"),
    (D, "瓯海公安消防大队", "消防救援"),
    (D, "市场监督管理局", "市场监管局"), (D, "市场监管分局", "市场监管局"), (D, "温州市市场监督管理局瓯海分局", "市场监管局"),
    (D, "市场监管局（瓯海分局）", "市场监管局"),
    (D, "综合行政执法局", "综合执法局"), (D, "综合执法大队", "综合执法局"), (D, "城管执法中队", "综合执法局"),
    (D, "住房和城乡建设局", "建设局"), (D, "住建局", "建设局"), (D, "建设局", "建设局"), (D, "瓯海区住房和城乡建设局", "建设局"),
    (D, "经济和信息化局", "经信局"), (D, "经信局", "经信局"), (D, "经济商务局", "经信局"),
    (D, "应急管理局", "应急管理局"), (D, "应急局", "应急管理局"), (D, "浙江省温州市瓯海区应急管理局", "应急管理局"),
    (D, "瓯海应急管理局", "应急管理局"), (D, "应急管理局执法大队", "应急管理局"),
    (D, "生态环境局", "生态环境局"), (D, "生态环境分局", "生态环境局"), (D, "环保局", "生态环境局"),
    (D, "公安局", "公安局"), (D, "公安分局", "公安局"), (D, "派出所", "公安局"), (D, "景山派出所", "公安局"),
    (D, "瓯海公安分局", "公安局"), (D, "温州市公安局瓯海分局", "公安局"),
    (D, "交通运输局", "交通运输局"), (D, "交通局", "交通运输局"), (D, "瓯海区交通运输执法大队", "交通运输局"),
    (D, "水利局", None), (D, "民政局", None), (D, "规划建设局", None),
    # enforcement actions
    (A, "立案", "立案查处"), (A, "立案调查", "立案查处"), (A, "责令停产停业", "停产停业"), (A, "停产整顿", "停产停业"),
    (A, "取缔", "依法关闭/取缔"), (A, "关闭", "依法关闭/取缔"), (A, "依法关闭", "依法关闭/取缔"),
    (A, "依法关闭、取缔", "依法关闭/取缔"), (A, "依法关闭 / 取缔", "依法关闭/取缔"), (A, "责令限期整改", "限期整改"),
    (A, "罚款", "行政处罚"), (A, "刑拘", "刑事拘留"),
    # incident kinds, inspection results, park kinds
    (vocab.INCIDENT_KINDS, "火灾事故", "火灾"), (vocab.INCIDENT_KINDS, "生产安全事故", "事故"),
    (vocab.INSPECTION_RESULTS, "未发现隐患", "未发现问题"), (vocab.INSPECTION_RESULTS, "存在隐患", "发现隐患"),
    (vocab.INSPECTION_RESULTS, "责令限期整改", "责令整改"),
    (vocab.PARK_KINDS, "小微园", "小微企业园"), (vocab.PARK_KINDS, "工业园", "工业园区"), (vocab.PARK_KINDS, "企业集聚点", "集聚点"),
]


@pytest.mark.parametrize("choices, written, meant", SYNONYMS)
def test_each_synonym_names_its_value(choices, written, meant):
    assert resolve_value(choices, written) == ((meant,) if meant else ())


AMBIGUOUS = [
    (D, "监管局", ("应急管理局", "市场监管局")),
    (D, "瓯海执法大队", ("应急管理局", "交通运输局", "市场监管局", "综合执法局")),
    (A, "关停", ("停产停业", "依法关闭/取缔")),
    (A, "立案处罚", ("立案查处", "行政处罚")),
    (vocab.INCIDENT_KINDS, "火灾爆炸", ("火灾", "事故")),
    (vocab.PARK_KINDS, "集聚区", ("工业园区", "集聚点")),
]


@pytest.mark.parametrize("choices, written, meanings", AMBIGUOUS)
def test_a_form_of_two_values_is_ambiguous(choices, written, meanings):
    assert resolve_value(choices, written) == meanings


def test_every_declared_synonym_reads_as_its_value():
    for choices, table in vocab.SYNONYMS.items():
        assert set(table) <= set(choices)
        for canon in choices:
            assert resolve_value(choices, canon) == (canon,)
        for canon, words in table.items():
            for w in words:
                assert canon in resolve_value(choices, w), (canon, w)


# --- validation on a staged file -----------------------------------------------------------


def stage(con: duckdb.DuckDBPyConnection, spec: T.Table, rows: list[dict[str, str | None]]) -> str:
    data = {ROW: pa.array(range(2, len(rows) + 2), pa.int32())}
    for c in spec.imported:
        data[c.name] = pa.array([r.get(c.name) for r in rows], pa.string())
    con.register("stg", pa.table(data))
    return "stg"


def check(spec: T.Table, rows: list[dict[str, str | None]], value_map=None, con=None):
    """Validate ``rows`` of ``spec`` as a staged file; return (accepted rows by row number,
    issues as (row, column header, value, severity, code, reason))."""
    con = con or duckdb.connect()
    for ddl in T.META_DDL:
        con.execute(ddl)
    con.execute(T.table_ddl(T.ENTERPRISE))
    con.execute("INSERT INTO enterprise (uscc, name) VALUES (?, '甲厂')", [GOOD])
    stg = stage(con, spec, rows)
    if any(c.kind == "lon" for c in spec.imported):
        convert_coordinates(con, stg, spec, "f.csv", "EPSG:4326")
    ok = validate_staged(con, stg, spec, "f.csv", "EPSG:4326", [], value_map=value_map)
    accepted = {r[ROW]: r for r in con.execute(f"SELECT * FROM {ok}").df().to_dict("records")}
    issues = con.execute("SELECT row, column_name, value, severity, code, reason FROM import_issue "
                         "ORDER BY row, column_name, code").fetchall()
    drop_validation(con, spec)
    return accepted, issues


def hazard(**cells: str) -> dict[str, str | None]:
    return {"id": "H1", "uscc": GOOD, "found_on": "2026-01-05", "level": "一般", **cells}


def enterprise(**cells: str) -> dict[str, str | None]:
    return {"uscc": GOOD, "name": "甲厂", "lon": "120.65", "lat": "27.85", **cells}


def test_synonyms_are_accepted_without_a_warning():
    rows = [hazard(id=f"H{i}", level=lv, department=dep) for i, (lv, dep) in enumerate([
        ("重大事故隐患", "温州市瓯海区消防救援大队"), ("较大隐患", "市场监督管理局"), ("一般级", "住建局"),
        ("一般隐患", "景山派出所"), (" 重大 ", "综合行政执法局")])]
    accepted, issues = check(T.HAZARD, rows)
    assert issues == []
    assert [(r["level"], r["department"]) for r in accepted.values()] == [
        ("重大", "消防救援"), ("较大", "市场监管局"), ("一般", "建设局"), ("一般", "公安局"), ("重大", "综合执法局")]


def test_ambiguous_and_unknown_values_are_rejected_with_their_reasons():
    accepted, issues = check(T.HAZARD, [hazard(department="监管局"), hazard(id="H2", level="特大"),
                                        hazard(id="H3", department="水利局")])
    assert accepted == {}
    assert issues == [
        (2, "责任部门", "监管局", "error", "ambiguous_value",
         "“监管局”可能指“应急管理局”或“市场监管局”，无法确定，请写明（或在数据管理页对应取值）"),
        (3, "隐患等级", "特大", "error", "choice",
         "取值不在允许范围内（一般、较大、重大）（也可写作：一般隐患、较大隐患、重大隐患、一般事故隐患 等）"),
        (4, "责任部门", "水利局", "error", "choice",
         "取值不在允许范围内（应急管理局、经信局、公安局、生态环境局、建设局、交通运输局、市场监管局、综合执法局、消防救援）"
         "（也可写作：住房和城乡建设局、经济和信息化局、市场监督管理局、综合行政执法局 等）"),
    ]


#: (column, as written, stored, warning code, reason): one repaired cell per row.
REPAIRS = [
    ("employees", "５０", 50, "fixed_fullwidth", "全角数字已转为半角：５０ → 50"),
    ("employees", "约50人", 50, "fixed_approximate", "约数已按确数记录：约50人 → 50"),
    ("employees", "50人左右", 50, "fixed_approximate", "约数已按确数记录：50人左右 → 50"),
    ("employees", "50余人", 50, "fixed_approximate", "约数已按确数记录：50余人 → 50"),
    ("employees", "1 000", 1000, "fixed_blanks", "已去掉中间的空格：1 000 → 1000"),
    ("revenue_10k_cny", "３０００元", 0.3, "fixed_fullwidth", "全角数字已转为半角：３０００元 → 0.3万元"),
    ("revenue_10k_cny", "约12.5万元", 12.5, "fixed_approximate", "约数已按确数记录：约12.5万元 → 12.5万元"),
    ("lon", "120.65度", 120.65, "fixed_degree", "已去掉度的符号：120.65度 → 120.65"),
    ("lon", "120.65°", 120.65, "fixed_degree", "已去掉度的符号：120.65° → 120.65"),
    ("lon", "E120°39′22.5″", 120.65625, "fixed_dms", "度分秒已换算为度，已去掉东经、北纬标记：E120°39′22.5″ → 120.65625"),
    ("lon", "东经120度39分22.5秒", 120.65625, "fixed_dms",
     "度分秒已换算为度，已去掉东经、北纬标记：东经120度39分22.5秒 → 120.65625"),
    ("lon", "120:39:22.5", 120.65625, "fixed_dms", "度分秒已换算为度：120:39:22.5 → 120.65625"),
    ("lon", "１２０．６５", 120.65, "fixed_fullwidth", "全角数字已转为半角：１２０．６５ → 120.65"),
    ("lat", "27°51′", 27.85, "fixed_dms", "度分秒已换算为度：27°51′ → 27.85"),
    ("lat", "27.85N", 27.85, "fixed_degree", "已去掉东经、北纬标记：27.85N → 27.85"),
    ("uscc", GOOD.lower(), GOOD, "fixed_case", f"小写字母已转为大写：{GOOD.lower()} → {GOOD}"),
    ("uscc", "9133 0100 7161 0585 2F", GOOD, "fixed_blanks", f"已去掉中间的空格：9133 0100 7161 0585 2F → {GOOD}"),
    ("uscc", "9133\u30000100716105852F", GOOD, "fixed_blanks", f"已去掉中间的空格：9133\u30000100716105852F → {GOOD}"),
    ("uscc", "９１３３０１００７１６１０５８５２Ｆ", GOOD, "fixed_fullwidth",
     f"全角字符已转为半角：９１３３０１００７１６１０５８５２Ｆ → {GOOD}"),
    ("founded_on", "２０２１年７月１日", "2021-07-01", "fixed_fullwidth", "全角数字已转为半角：２０２１年７月１日 → 2021-07-01"),
    ("founded_on", "2021 年 7 月 1 日", "2021-07-01", "fixed_blanks", "已去掉中间的空格：2021 年 7 月 1 日 → 2021-07-01"),
]


@pytest.mark.parametrize("column, written, stored, code_, reason", REPAIRS)
def test_each_repair_keeps_the_row_with_a_warning(column, written, stored, code_, reason):
    accepted, issues = check(T.ENTERPRISE, [enterprise(**{column: written})])
    header = T.ENTERPRISE.column(column).header
    assert issues == [(2, header, written, "warning", code_, reason)]
    got = accepted[2][column]
    if column == "founded_on":
        got = str(got.date() if hasattr(got, "date") else got)
    assert got == (pytest.approx(stored) if isinstance(stored, float) else stored)


def test_a_repaired_code_in_a_ledger():
    accepted, issues = check(T.HAZARD, [hazard(id="Ｈ０１"), hazard(id="H 02", uscc=GOOD.lower())])
    assert [r["id"] for r in accepted.values()] == ["H01", "H02"]
    assert issues == [
        (2, "隐患编号", "Ｈ０１", "warning", "fixed_fullwidth", "全角字符已转为半角：Ｈ０１ → H01"),
        (3, "统一社会信用代码", GOOD.lower(), "warning", "fixed_case", f"小写字母已转为大写：{GOOD.lower()} → {GOOD}"),
        (3, "隐患编号", "H 02", "warning", "fixed_blanks", "已去掉中间的空格：H 02 → H02"),
    ]


def test_the_credit_code_rules_see_the_repaired_code():
    # A valid code in lower case: repaired, and then its check character is right (no checksum
    # warning); a code with a wrong check character stays a checksum warning; a lower-case i is
    # an I, which no code contains.
    rows = [enterprise(uscc=GOOD.lower()), enterprise(uscc=BAD_CHECK.lower()),
            enterprise(uscc="91330100716105852i")]
    accepted, issues = check(T.ENTERPRISE, rows)
    assert sorted(accepted) == [2, 3]
    assert [(r, c) for r, _, _, _, c, _ in issues] == [
        (2, "fixed_case"), (3, "fixed_case"), (3, "uscc_checksum"), (4, "fixed_case"), (4, "uscc_format")]


#: (column, as written, error code, reason): ambiguous values are rejected.
REJECTED = [
    ("employees", "50-100人", "ambiguous_number", "是一个范围，不是确定的数，请填写一个数"),
    ("employees", "10~20", "ambiguous_number", "是一个范围，不是确定的数，请填写一个数"),
    ("employees", "10至20人", "ambiguous_number", "是一个范围，不是确定的数，请填写一个数"),
    ("employees", "若干", "ambiguous_number", "不是确定的数（如“若干”“几十”），请填写一个数"),
    ("employees", "几十人", "ambiguous_number", "不是确定的数（如“若干”“几十”），请填写一个数"),
    ("revenue_10k_cny", "10-20万元", "ambiguous_number", "是一个范围，不是确定的数，请填写一个数"),
    ("employees", "很多", "type", "不是整数"),
    ("lon", "120°65′", "dms_invalid", "度分秒写法有误：分、秒应小于 60，无法换算"),
    ("lat", "27°51′75″", "dms_invalid", "度分秒写法有误：分、秒应小于 60，无法换算"),
    ("lon", "120:39", "type", "经度不是数字"),
    ("founded_on", "2021-07", "type", "日期无法识别（可写作 2021-07-01、2021/7/1、2021年7月1日或 Excel 日期）"),
    ("founded_on", "1949-10-01", "date_range", "日期不合理（应在 1950 年至 2100 年之间）"),
]


@pytest.mark.parametrize("column, written, code_, reason", REJECTED)
def test_what_is_ambiguous_is_rejected_with_a_reason(column, written, code_, reason):
    accepted, issues = check(T.ENTERPRISE, [enterprise(**{column: written})])
    assert accepted == {}
    assert issues == [(2, T.ENTERPRISE.column(column).header, written, "error", code_, reason)]


@pytest.mark.parametrize("written", ["2021-07-01", "2021/7/1", "2021/07/01", "2021年7月1日", "2021年7月1号", "2021.7.1",
                                     "20210701", "44378", "2021-07-01 00:00:00", "2021/07/01 08:30:00"])
def test_founded_on_in_every_date_form(written):
    accepted, issues = check(T.ENTERPRISE, [enterprise(founded_on=written)])
    assert issues == []
    assert str(accepted[2]["founded_on"].date()) == "2021-07-01"


@pytest.mark.parametrize("written", ["/", "／", " / ", "—", "无"])
def test_nothing_in_a_date_column_is_blank(written):
    accepted, issues = check(T.HAZARD, [hazard(rectified_on=written, closed_on=written)])
    assert issues == []
    assert pd.isna(accepted[2]["rectified_on"]) and pd.isna(accepted[2]["closed_on"])
    _, issues = check(T.HAZARD, [hazard(found_on=written)])  # a required date still is required
    assert [i[4] for i in issues] == ["required"]


def test_without_boundaries_a_pair_is_swapped_only_from_outside_china_to_inside():
    rows = [enterprise(lon="27.85", lat="120.65"),                 # swapped: 120.65,27.85 is in China
            enterprise(uscc=code(1), lon="27.85", lat="27.85"),   # its swap is no better: out of range
            enterprise(uscc=code(2), lon="120.65", lat="27.85")]  # as given
    accepted, issues = check(T.ENTERPRISE, rows)
    assert {r: (a["lon"], a["lat"]) for r, a in accepted.items()} == {2: (120.65, 27.85), 4: (120.65, 27.85)}
    assert [i[:5] for i in issues] == [(2, "经度", "27.85,120.65", "warning", "fixed_swapped"),
                                       (3, "经度", "27.85,27.85", "error", "out_of_range")]
    assert issues[0][5] == "经度与纬度填反，已对调：27.85,120.65 → 120.65,27.85"


# --- the swap rule in a city with boundaries -----------------------------------------------



def build_city(folder: Path, enterprises: str, values: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_townships(folder / "township.geojson")
    (folder / "enterprise.csv").write_text(enterprises, encoding="utf-8-sig")
    (folder / "manifest.json").write_text(json.dumps({"files": {
        "township": {"path": "township.geojson"}, "enterprise": {"path": "enterprise.csv", "crs": "EPSG:4326"}}}))
    db = folder / "city.duckdb"
    build_database(folder, db, progress=None)
    return db


def test_a_swapped_pair_is_put_back_only_when_the_swap_lies_in_the_city(tmp_path: Path):
    ents = "\n".join([
        "统一社会信用代码,企业名称,经度,纬度,成立日期",
        f"{code(1)},对调厂,27.85,120.65,2021-07-01",        # swap lies in 甲街道: put back
        f"{code(2)},城内厂,120.75,27.85,2021/7/1",          # in 乙镇 as given: left alone
        f"{code(3)},城外厂,121.5,27.85,2021年7月1日",        # outside, its swap outside too: kept where it is
        f"{code(4)},城外对调厂,30.0,121.5,20210701",        # its swap is in China but not in the city: rejected
        f"{code(5)},度分秒厂,120°39′,27°51′,44378",         # degree-minute text, placed in 甲街道
    ]) + "\n"
    db = build_city(tmp_path / "city", ents)
    con = connect(db, read_only=True)
    got = con.execute("SELECT name, lon, lat, township_code, founded_on::VARCHAR FROM enterprise ORDER BY source_row"
                      ).fetchall()
    assert got == [("对调厂", 120.65, 27.85, "339902001", "2021-07-01"),
                   ("城内厂", 120.75, 27.85, "339902101", "2021-07-01"),
                   ("城外厂", 121.5, 27.85, None, "2021-07-01"),   # never snapped to a boundary
                   ("度分秒厂", 120.65, 27.85, "339902001", "2021-07-01")]
    issues = con.execute("SELECT row, code FROM import_issue WHERE file = 'enterprise.csv' ORDER BY row, code").fetchall()
    assert issues == [(2, "fixed_swapped"), (4, "outside_townships"), (5, "out_of_range"),
                      (6, "fixed_dms"), (6, "fixed_dms")]


def test_founded_on_is_read_under_its_other_headers(tmp_path: Path):
    ents = f"统一社会信用代码,企业名称,经度,纬度,注册日期\n{code(1)},甲厂,120.65,27.85,2008年3月5日\n"
    db = build_city(tmp_path / "alias", ents)
    con = connect(db, read_only=True)
    assert con.execute("SELECT founded_on::VARCHAR FROM enterprise").fetchall() == [("2008-03-05",)]


# --- value maps ----------------------------------------------------------------------------


def test_a_value_map_turns_a_rejected_value_into_an_accepted_one():
    rows = [hazard(department="安监站"), hazard(id="H2", department="安监 站"), hazard(id="H3", department="监管局")]
    accepted, issues = check(T.HAZARD, rows)
    assert accepted == {} and [i[4] for i in issues] == ["choice", "choice", "ambiguous_value"]
    # By column name or by standard header; file values compared after NFKC and blanks.
    for key in ("department", "责任部门"):
        accepted, issues = check(T.HAZARD, rows, value_map={key: {"安监站": "应急管理局", "监管局": "市场监管局"}})
        assert issues == []  # no warning: the user said so
        assert [r["department"] for r in accepted.values()] == ["应急管理局", "应急管理局", "市场监管局"]


def test_a_value_map_to_a_value_that_is_not_a_choice_refuses_the_file():
    with pytest.raises(ImportFileError, match="安监局"):
        check(T.HAZARD, [hazard(department="安监站")], value_map={"department": {"安监站": "安监局"}})
    with pytest.raises(ImportFileError, match="不是有可选值的列"):
        check(T.HAZARD, [hazard()], value_map={"隐患描述": {"a": "b"}})


def test_value_maps_are_saved_and_loaded(tmp_path: Path):
    path = tmp_path / "maps" / "value_maps.json"
    assert load_value_maps(path) == {}
    save_value_map(path, "hazard", "责任部门", {"安监站": "应急管理局"})
    save_value_map(path, "hazard", "department", {"消防中心": "消防救援"})
    save_value_map(path, "enforcement", "action", {"责令关闭": "依法关闭/取缔"})
    assert load_value_maps(path) == {"hazard": {"department": {"安监站": "应急管理局", "消防中心": "消防救援"}},
                                     "enforcement": {"action": {"责令关闭": "依法关闭/取缔"}}}
    assert "安监站" in path.read_text(encoding="utf-8")  # written as it reads, not \\u-escaped
    before = path.read_bytes()
    with pytest.raises(ValueError, match="不是“责任部门”的可选值"):
        save_value_map(path, "hazard", "department", {"安监站": "安监局"})
    with pytest.raises(ValueError):
        save_value_map(path, "hazard", "description", {"a": "b"})
    with pytest.raises(ValueError):
        save_value_map(path, "nosuch", "department", {"a": "应急管理局"})
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["value_maps.json"]  # no temporary left


def test_unknown_values_lists_what_the_page_must_ask():
    con = duckdb.connect()
    rows = [hazard(level="特大", department="消防大队"), hazard(department="安监站"),
            hazard(department=" 安监站 "), hazard(department="监管局"), hazard(department="消防救援"),
            hazard(department="")]
    stg = stage(con, T.HAZARD, rows)
    assert unknown_values(con, stg, T.HAZARD) == {"level": [("特大", 1)],
                                                  "department": [("安监站", 2), ("监管局", 1)]}
    assert unknown_values(con, stg, T.HAZARD, {"department": {"安监站": "应急管理局"}}) == {
        "level": [("特大", 1)], "department": [("监管局", 1)]}
    relation = con.sql("SELECT * FROM stg")
    assert unknown_values(con, relation, T.HAZARD)["department"] == [("安监站", 2), ("监管局", 1)]


def test_fold_is_the_form_values_are_compared_in():
    assert fold(" 依法关闭 / 取缔 ") == "依法关闭取缔"
    assert fold("ＡＢ　ｃ") == "abc"


@pytest.mark.parametrize("written, expected", [
    ("涉及", True), ("不涉及", False), ("✓", True), ("✔", True), ("Ｙ", True), ("１", True), ("存在", True),
    ("不存在", False), ("没有", False), ("是（液氨）", True), ("/", None), ("―", None), ("也许", None),
])
def test_yes_no_as_offices_write_it(written: str, expected):
    """Found by review: these rejected whole enterprises. "/" says "does not apply": blank."""
    import duckdb

    from data.tables import ENTERPRISE
    from data.validate import lit, nothing_sql, plain_value_expr

    c = ENTERPRISE.column("hazchem")
    got = duckdb.connect().execute(f"SELECT {plain_value_expr(c, nothing_sql(c, lit(written)))}").fetchone()[0]
    assert got is expected


@pytest.mark.parametrize("written", ["未整改", "整改中", "正在整改", "未完成", "未销号", "暂无"])
def test_not_yet_in_a_date_column_is_no_date(written: str):
    """Found by review: 未整改 in 整改完成日期 rejected exactly the open hazards."""
    import duckdb

    from data.tables import HAZARD
    from data.validate import lit, nothing_sql

    c = HAZARD.column("rectified_on")
    assert duckdb.connect().execute(f"SELECT {nothing_sql(c, lit(written))}").fetchone()[0] is None
