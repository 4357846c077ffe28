"""Row validation on tiny hand-written ledgers: every rule, the counts, the encodings."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from data import uscc
from data.build import BuildError, build_database, connect

from .fixtures import write_townships

GOOD = "91330100716105852F"
BAD_CHECK = "91330100716105852E"
OTHER = "913399000000000" + "00"  # completed below with a valid check character
OTHER = OTHER[:17] + uscc.check_char(OTHER[:17])
FOURTH = "91339900000000077" + uscc.check_char("91339900000000077")


ENTERPRISES = f"""统一社会信用代码,企业名称,经度,纬度,行业,从业人数,涉及危化品,备注
{GOOD},甲厂,120.65,27.85,制鞋,20,是,x
{OTHER},乙厂,120.75,27.85,阀门,abc,否,
{BAD_CHECK},丙厂,,,印刷,5,否,
{GOOD},甲厂重复,120.65,27.86,制鞋,3,否,
,无代码厂,120.65,27.85,制鞋,3,否,
913399000000000II1,格式错厂,120.65,27.85,制鞋,3,也许,
{OTHER[:16]}Z{OTHER[17]},字母错厂,120.65,27.85,制鞋,3,否,
91339900000000019X,半坐标厂,120.65,,制鞋,3,否,
{FOURTH},　丁厂	,120.75,27.85, 泵业,7,否,
"""

HAZARDS = f"""隐患编号,统一社会信用代码,发现日期,隐患等级,整改期限
H1,{GOOD},2026-01-05,一般,2026/1/12
H2,{GOOD},2026年2月1日,重大,2026-05-01
H3,{OTHER},2026-13-01,一般,
H4,{OTHER},2026-03-01,特大,
H5,91330100716105853X,2026-03-01,一般,
H1,{GOOD},2026-01-06,一般,
"""


def write_city(folder: Path, enterprises: str = ENTERPRISES, hazards: str = HAZARDS,
               encoding: str = "utf-8-sig") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_townships(folder / "township.geojson")
    (folder / "enterprise.csv").write_text(enterprises, encoding=encoding)
    (folder / "hazard.csv").write_text(hazards, encoding=encoding)
    return folder


def issues(db: Path, file: str) -> dict[int, set[str]]:
    con = connect(db, read_only=True)
    out: dict[int, set[str]] = {}
    for row, code in con.execute("SELECT row, code FROM import_issue WHERE file = ?", [file]).fetchall():
        out.setdefault(row, set()).add(code)
    con.close()
    return out


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    src = write_city(tmp_path / "src")
    db = tmp_path / "db.duckdb"
    build_database(src, db, progress=None)
    return db


def test_each_bad_enterprise_row_is_named_with_its_reason(built: Path):
    got = issues(built, "enterprise.csv")
    assert got == {
        # 备注 is not a known column: ignored, reported on the header row; no system declared, so the
        # one told from the values (longitude/latitude: WGS-84) is written down
        1: {"unknown_header", "crs_detected"},
        3: {"type"},                     # 从业人数 = abc
        4: {"uscc_checksum", "no_coordinate"},  # warnings only: kept
        5: {"duplicate"},                # repeats row 2's code
        6: {"required"},                 # no code
        7: {"uscc_format", "type"},      # I is not in the alphabet, 也许 is not 是/否
        8: {"uscc_format"},              # Z is not in the alphabet
        9: {"half_coordinate", "uscc_checksum"},  # longitude without latitude; bad check
    }


def test_accepted_plus_rejected_equals_rows_read(built: Path):
    con = connect(built, read_only=True)
    rows = con.execute("SELECT file, rows_read, accepted, rejected FROM import_file ORDER BY file").fetchall()
    assert ("enterprise.csv", 9, 3, 6) in rows
    assert ("hazard.csv", 6, 2, 4) in rows
    for _, read, acc, rej in rows:
        assert acc + rej == read
    kept = [r[0] for r in con.execute("SELECT name FROM enterprise ORDER BY source_row").fetchall()]
    assert kept == ["甲厂", "丙厂", "丁厂"]


def test_values_are_typed_and_placed(built: Path):
    # 丁厂's name arrives as "\u3000丁厂\t" and its trade as " 泵业": both are trimmed.
    con = connect(built, read_only=True)
    rows = con.execute("SELECT name, employees, hazchem, township_code, high_fire_risk "
                       "FROM enterprise ORDER BY source_row").fetchall()
    assert con.execute("SELECT industry FROM enterprise WHERE name = '丁厂'").fetchone() == ("泵业",)
    assert rows == [("甲厂", 20, True, "339902001", True), ("丙厂", 5, False, None, True),
                    ("丁厂", 7, False, "339902101", False)]
    assert con.execute("SELECT kind FROM township ORDER BY code").fetchall() == [("街道",), ("镇",)]


def test_hazard_rules_dates_levels_references_duplicates(built: Path):
    # A hazard's credit code is checked against the enterprise table, not re-warned on
    # its checksum row by row (row 6's code has a bad check character too).
    got = issues(built, "hazard.csv")
    assert got == {4: {"type"}, 5: {"choice"}, 6: {"unknown_enterprise"}, 7: {"duplicate"}}
    con = connect(built, read_only=True)
    dates = con.execute("SELECT id, found_on::VARCHAR, deadline::VARCHAR FROM hazard ORDER BY id").fetchall()
    assert dates == [("H1", "2026-01-05", "2026-01-12"), ("H2", "2026-02-01", "2026-05-01")]


def test_gb18030_csv_reads_the_same(tmp_path: Path):
    src = write_city(tmp_path / "gbk", encoding="gb18030")
    db = tmp_path / "gbk.duckdb"
    build_database(src, db, progress=None)
    con = connect(db, read_only=True)
    assert con.execute("SELECT name FROM enterprise ORDER BY source_row").fetchall() == [
        ("甲厂",), ("丙厂",), ("丁厂",)]


def test_xlsx_ledger(tmp_path: Path):
    from openpyxl import Workbook

    src = write_city(tmp_path / "x")
    (src / "enterprise.csv").unlink()
    wb = Workbook()
    ws = wb.active
    ws.append(["社会信用代码", "单位名称", "经度", "纬度", "从业人数"])  # aliases of the headers
    ws.append([GOOD, "甲厂", 120.65, 27.85, 20])
    ws.append([OTHER, "乙厂", 120.75, 27.85, 7.0])
    wb.save(src / "enterprise.xlsx")
    (src / "manifest.json").write_text(json.dumps({"files": {
        "township": {"path": "township.geojson"}, "enterprise": {"path": "enterprise.xlsx"}}}))
    db = tmp_path / "x.duckdb"
    build_database(src, db, progress=None)
    con = connect(db, read_only=True)
    assert con.execute("SELECT name, employees, township_code FROM enterprise ORDER BY name").fetchall() == [
        ("乙厂", 7, "339902101"), ("甲厂", 20, "339902001")]


def test_gauss_kruger_coordinates_are_converted(tmp_path: Path):
    from geo.crs import from_wgs84

    x, y = from_wgs84([120.65], [27.85], 4549)
    ent = f"统一社会信用代码,企业名称,经度,纬度\n{GOOD},甲厂,{x[0]:.3f},{y[0]:.3f}\n"
    src = write_city(tmp_path / "gk", enterprises=ent, hazards="隐患编号,统一社会信用代码,发现日期,隐患等级\n")
    (src / "manifest.json").write_text(json.dumps({"files": {
        "township": {"path": "township.geojson"}, "enterprise": {"path": "enterprise.csv", "crs": "EPSG:4549"},
        "hazard": {"path": "hazard.csv"}}}))
    db = tmp_path / "gk.duckdb"
    build_database(src, db, progress=None)
    con = connect(db, read_only=True)
    lon, lat, tw = con.execute("SELECT lon, lat, township_code FROM enterprise").fetchone()
    assert lon == pytest.approx(120.65, abs=1e-7) and lat == pytest.approx(27.85, abs=1e-7)
    assert tw == "339902001"


@pytest.mark.parametrize("breakage, message", [
    (lambda src: (src / "enterprise.csv").write_text("名称,地址\n甲,乙\n", encoding="utf-8"), "缺少必需的列"),
    (lambda src: (src / "township.geojson").unlink(), "township"),
    (lambda src: (src / "manifest.json").write_text("{oops", encoding="utf-8"), "manifest.json"),
])
def test_a_failed_build_leaves_the_database_as_it_was(tmp_path: Path, built: Path, breakage, message):
    before = built.read_bytes()
    src = write_city(tmp_path / "broken")
    breakage(src)
    with pytest.raises(BuildError, match=message):
        build_database(src, built, progress=None)
    assert built.read_bytes() == before
    assert sorted(p.name for p in built.parent.iterdir() if p.name.startswith(built.name)) == [built.name]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_every_csv_encoding_reads_the_same_strings(tmp_path: Path, encoding: str):
    from data.readers import read_csv_strings

    rows = [["统一社会信用代码", "企业名称", "地址"], ["91330100716105852F", "瓯江鞋业（温州）有限公司", "鹿城区 1 号"]]
    path = tmp_path / f"e_{encoding}.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    table = read_csv_strings(path)
    assert table.column_names == [*rows[0], "_row"]
    assert [table.column(i)[0].as_py() for i in range(3)] == rows[1] and table.column("_row")[0].as_py() == 2


def test_both_xlsx_readers_give_the_same_strings(tmp_path: Path, monkeypatch):
    """calamine (fast) and openpyxl (the fallback) read a mixed workbook to the same strings."""
    import builtins
    import datetime as dt

    from openpyxl import Workbook

    from data.readers import read_xlsx_strings

    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "数量", "金额", "日期", "时间", "是否", "文字"])
    ws.append(["A1", 35, 12.5, dt.date(2026, 7, 1), dt.datetime(2026, 7, 1, 10, 30), True, " 前后有空格 "])
    ws.append([])  # a blank row in the middle: skipped, numbering kept
    ws.append(["0012", 0, 1e-4, "2021年7月1日", None, False, "=SUM(A1)"])
    ws.append([None, None, None, None, None, None, None])
    path = tmp_path / "mixed.xlsx"
    wb.save(path)
    fast = read_xlsx_strings(path)
    real_import = builtins.__import__

    def no_calamine(name: str, *args: Any, **kwargs: Any) -> ModuleType:
        if name == "python_calamine":
            raise ImportError("pretend calamine is missing")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_calamine)
    slow = read_xlsx_strings(path)
    assert fast.to_pylist() == slow.to_pylist()
    assert fast.column("_row").to_pylist() == [2, 4]
    assert fast.to_pylist()[0]["数量"] == "35" and fast.to_pylist()[0]["日期"] == "2026-07-01"
