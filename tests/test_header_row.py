"""Ledgers as district offices send them: titles, notes, two-row headers, pasted pages,
合计 rows and footers, on tiny hand-written sheets whose answers are written out below."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import Workbook

from data import readers
from data.readers import ImportFileError, Sheet, read_sheet

if TYPE_CHECKING:
    import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
GOOD = "91330100716105852F"
OTHER = "91330100716105853X"

# Each case: the sheet's rows (None = empty cell, [] = empty row), merged ranges (xlsx only),
# read_sheet arguments, and the answer: header row, header names, records as
# (row, cells...), and the skipped rows as (row, kind, text).
CASES: dict[str, dict] = {
    "title, note and blank above the header": dict(
        rows=[
            ["XX区小微企业安全生产台账"],
            ["填报单位：七都街道（盖章）　填报时间：2026年7月1日"],
            [],
            ["序号", "统一社会信用代码", "企业名称", "地址", "行业"],
            [1, GOOD, "甲厂", "鹿城区1号", "制鞋"],
            [" ", "\u3000", None, None, None],  # only whitespace: blank
            [2, OTHER, "乙厂", "鹿城区2号", "阀门"],
            ["\u3000"],  # trailing: not reported
        ],
        merges=["A1:E1", "A2:E2"],
        header_row=4,
        names=["序号", "统一社会信用代码", "企业名称", "地址", "行业"],
        records=[(5, "1", GOOD, "甲厂", "鹿城区1号", "制鞋"), (7, "2", OTHER, "乙厂", "鹿城区2号", "阀门")],
        skipped=[(1, "title", "XX区小微企业安全生产台账"),
                 (2, "note", "填报单位：七都街道（盖章）　填报时间：2026年7月1日"), (6, "blank", "")],
    ),
    "two-row header (附件1), pages pasted with both header rows again": dict(
        rows=[
            ["附件1"],
            ["序号", "企业名称", "地址", "排查场所", None, "负责人"],
            [None, None, None, "出租分租", "三合一", None],
            [1, "甲厂", "鹿城区1号", "是", "否", "张三"],
            ["序号", "企业名称", "地址", "排查场所", None, "负责人"],
            [None, None, None, "出租分租", "三合一", None],
            [2, "乙厂", "鹿城区2号", "否", "是", "李四"],
        ],
        merges=["A1:F1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "A5:A6", "D5:E5"],
        header_row=3,
        names=["序号", "企业名称", "地址", "出租分租", "三合一", "负责人"],
        records=[(4, "1", "甲厂", "鹿城区1号", "是", "否", "张三"), (7, "2", "乙厂", "鹿城区2号", "否", "是", "李四")],
        skipped=[(1, "title", "附件1"), (2, "note", "序号 | 企业名称 | 地址 | 排查场所 | 负责人"),
                 (5, "repeated_header", "序号 | 企业名称 | 地址 | 排查场所 | 负责人"),
                 (6, "repeated_header", "出租分租 | 三合一")],
    ),
    "repeated header, 合计, footers; names with 合计 and 说明 stay records": dict(
        rows=[
            ["序号", "企业名称", "地址", "隐患数"],
            [1, "甲厂", "鹿城区1号", 3],
            [2, "联合计量仪器厂", "鹿城区2号", 1],
            [],
            ["序号", "企业名称", "地址", "隐患数"],
            [None, "说明书印刷厂", "鹿城区3号", 0],
            ["合　计", None, None, 4],
            ["填表人：张三　审核人：李四　联系电话：0577-88888888"],
            ["注：本表每月5日前报送。"],
            [],
            [None, None, None, None],
        ],
        header_row=1,
        names=["序号", "企业名称", "地址", "隐患数"],
        records=[(2, "1", "甲厂", "鹿城区1号", "3"), (3, "2", "联合计量仪器厂", "鹿城区2号", "1"),
                 (6, None, "说明书印刷厂", "鹿城区3号", "0")],
        skipped=[(4, "blank", ""), (5, "repeated_header", "序号 | 企业名称 | 地址 | 隐患数"),
                 (7, "total", "合　计 | 4"),
                 (8, "footer", "填表人：张三　审核人：李四　联系电话：0577-88888888"),
                 (9, "footer", "注：本表每月5日前报送。")],
    ),
    "two printed pages pasted: page title repeated, rows numbered in advance and left empty": dict(
        rows=[
            ["示意区小微企业安全生产台账（汇总）"],
            ["序号", "企业名称", "地址", "从业人数"],
            [1, "甲厂", "鹿城区1号", 20],
            ["填表人：张三"],
            [],
            ["示意区小微企业安全生产台账（续）"],
            ["序号", "企业名称", "地址", "从业人数"],
            [2, "乙厂", "鹿城区2号", 5],
            [3, None, None, None],
            [4, None, None, None],
            ["合计", None, None, 25],
            [],
        ],
        merges=["A1:D1", "A6:D6"],
        header_row=2,
        names=["序号", "企业名称", "地址", "从业人数"],
        records=[(3, "1", "甲厂", "鹿城区1号", "20"), (8, "2", "乙厂", "鹿城区2号", "5")],
        skipped=[(1, "title", "示意区小微企业安全生产台账（汇总）"), (4, "footer", "填表人：张三"), (5, "blank", ""),
                 (6, "title", "示意区小微企业安全生产台账（续）"),
                 (7, "repeated_header", "序号 | 企业名称 | 地址 | 从业人数"),
                 (9, "blank", "3"), (10, "blank", "4"), (11, "total", "合计 | 25")],
    ),
    "name in the first column: 说明书印刷厂, 合计鞋业, a filled row beginning 备注：": dict(
        rows=[
            ["企业名称", "统一社会信用代码", "地址", "备注"],
            ["说明书印刷厂", GOOD, "鹿城区3号", None],
            ["合计鞋业有限公司", OTHER, "鹿城区4号", "注：已整改"],
            ["说明书印刷厂"],  # a record with only its name: the validator's business
            ["备注：样例", GOOD, "鹿城区5号", "x"],
            ["小计", None, None, "3家"],
            ["审核人：李四", "联系电话：0577-88888888", None, None],
        ],
        header_row=1,
        names=["企业名称", "统一社会信用代码", "地址", "备注"],
        records=[(2, "说明书印刷厂", GOOD, "鹿城区3号", None), (3, "合计鞋业有限公司", OTHER, "鹿城区4号", "注：已整改"),
                 (4, "说明书印刷厂", None, None, None), (5, "备注：样例", GOOD, "鹿城区5号", "x")],
        skipped=[(6, "total", "小计 | 3家"), (7, "footer", "审核人：李四 | 联系电话：0577-88888888")],
    ),
    "declared lower row of a two-row header": dict(
        rows=[
            ["序号", "企业名称", "排查场所", None],
            [None, None, "出租分租", "三合一"],
            [1, "甲厂", "是", "否"],
        ],
        merges=["A1:A2", "B1:B2", "C1:D1"],
        read=dict(header_row=2),
        header_row=2, detected=False,
        names=["序号", "企业名称", "出租分租", "三合一"],
        records=[(3, "1", "甲厂", "是", "否")],
        skipped=[(1, "note", "序号 | 企业名称 | 排查场所")],
    ),
    "declared header row": dict(
        rows=[["台账"], ["编号", "名称"], ["A1", "甲"], [], ["A2", "乙"], [], []],
        read=dict(header_row=2),
        header_row=2, detected=False,
        names=["编号", "名称"],
        records=[(3, "A1", "甲"), (5, "A2", "乙")],
        skipped=[(1, "title", "台账"), (4, "blank", "")],
    ),
    "the caller's header score picks the header": dict(
        rows=[["鹿城区", "七都街道", "第三季度"], ["企业名称", "地址"], ["甲厂", "鹿城区1号"]],
        read=dict(header_score=lambda cells: sum(1 for c in cells if c in {"企业名称", "地址"})),
        header_row=2,
        names=["企业名称", "地址"],
        records=[(3, "甲厂", "鹿城区1号")],
        skipped=[(1, "note", "鹿城区 | 七都街道 | 第三季度")],
    ),
    "duplicate and empty header cells are kept as they are": dict(
        rows=[["  名称 ", None, "名称", "人数"], ["甲", "x", "甲2", 5]],
        header_row=1,
        names=["名称", "", "名称", "人数"],
        records=[(2, "甲", "x", "甲2", "5")],
        skipped=[],
    ),
}


def write_xlsx(path: Path, rows: list[list], merges: Sequence[str] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "gbk") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([["" if c is None else c for c in r] for r in rows])
    return path


def records(sheet: Sheet) -> list[tuple]:
    """The records as (row, cells...)."""
    columns = [c.to_pylist() for c in sheet.table.columns]
    return [(row[-1], *row[:-1]) for row in zip(*columns, strict=True)]


def skipped(sheet: Sheet) -> list[tuple]:
    return [(s.row, s.kind, s.text) for s in sheet.skipped]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("name", list(CASES))
def test_ledger_shapes(tmp_path: Path, name: str, fmt: str):
    case = CASES[name]
    if fmt == "xlsx":
        path = write_xlsx(tmp_path / "台账.xlsx", case["rows"], case.get("merges", []))
    else:  # the same sheet saved as a GBK CSV (empty cells as "", an empty row as an empty line)
        path = write_csv(tmp_path / "台账.csv", case["rows"])
    sheet = read_sheet(path, **case.get("read", {}))
    assert sheet.header_row == case["header_row"]
    assert sheet.detected is case.get("detected", True)
    assert sheet.table.column_names == [*case["names"], "_row"]
    expected = case["records"]
    if fmt == "csv":  # a CSV has no empty cells, only empty strings
        expected = [tuple("" if v is None else v for v in r) for r in expected]
    assert records(sheet) == expected
    assert skipped(sheet) == case["skipped"]


def test_both_xlsx_readers_find_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    case = CASES["two-row header (附件1), pages pasted with both header rows again"]
    path = write_xlsx(tmp_path / "附件1.xlsx", case["rows"], case["merges"])
    fast = read_sheet(path)

    def no_calamine(path: Path) -> list:
        raise RuntimeError("pretend calamine refuses the file")

    monkeypatch.setattr(readers, "_calamine_rows", no_calamine)
    slow = read_sheet(path)
    assert slow.table.equals(fast.table) and slow.skipped == fast.skipped and slow.header_row == fast.header_row == 3


def spy_on_arrow(monkeypatch: pytest.MonkeyPatch) -> list:
    """What pyarrow's read of the data gives each time (``None``: refused, csv module used)."""
    answers: list = []
    real = readers._csv_arrow

    def spy(*args: object) -> pa.Table | None:
        answers.append(real(*args))
        return answers[-1]

    monkeypatch.setattr(readers, "_csv_arrow", spy)
    return answers


GBK_LEDGER = (
    "XX区小微企业安全生产台账\r\n"  # one field: a title line
    "填报单位：七都街道,,,填报时间：2026-07-01\r\n"
    "\r\n"
    "企业名称,统一社会信用代码,地址,行业\r\n"
    f"瓯江鞋业（温州）有限公司,{GOOD},\"鹿城区, 1 号\",制鞋\r\n"
    ",,,\r\n"
    f"乙厂,{OTHER},\"两行\n地址\",阀门\r\n"
    "合计,,,2家\r\n"
    "填表人：张三\r\n"  # ragged footers: one field, then two
    "审核人：李四,联系电话：0577-88888888\r\n"
    "\r\n"
)


def test_gbk_csv_with_title_lines_and_ragged_footers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "台账.csv"
    path.write_bytes(GBK_LEDGER.encode("gbk"))
    arrow = spy_on_arrow(monkeypatch)
    sheet = read_sheet(path)
    assert arrow == [None]  # pyarrow refused the ragged footers: the csv module read the file
    assert sheet.header_row == 4 and sheet.detected
    assert sheet.table.column_names == ["企业名称", "统一社会信用代码", "地址", "行业", "_row"]
    assert records(sheet) == [(5, "瓯江鞋业（温州）有限公司", GOOD, "鹿城区, 1 号", "制鞋"),
                              (7, "乙厂", OTHER, "两行\n地址", "阀门")]  # record 7 spans two lines
    assert skipped(sheet) == [(1, "title", "XX区小微企业安全生产台账"),
                              (2, "note", "填报单位：七都街道 | 填报时间：2026-07-01"),
                              (6, "blank", ""), (8, "total", "合计 | 2家"), (9, "footer", "填表人：张三"),
                              (10, "footer", "审核人：李四 | 联系电话：0577-88888888")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_as_excel_saves_it_is_read_by_pyarrow_with_real_row_numbers(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        encoding: str):
    """Excel pads every line to the same width, so pyarrow reads the data from the header on."""
    text = ("XX街道台账,,,\r\n,,,\r\n企业名称,统一社会信用代码,地址,\r\n"
            f"甲厂,{GOOD},鹿城区1号,\r\n\r\n,,,\r\n乙厂,{OTHER},\"鹿城区\n2号\",\r\n合计,,,\r\n,,,\r\n")
    path = tmp_path / "台账.csv"
    path.write_bytes(text.encode(encoding))
    arrow = spy_on_arrow(monkeypatch)
    sheet = read_sheet(path)
    assert len(arrow) == 1 and arrow[0] is not None
    assert sheet.header_row == 3
    assert sheet.table.column_names == ["企业名称", "统一社会信用代码", "地址", "_row"]  # the empty 4th goes
    assert records(sheet) == [(4, "甲厂", GOOD, "鹿城区1号"), (7, "乙厂", OTHER, "鹿城区\n2号")]
    assert skipped(sheet) == [(1, "title", "XX街道台账"), (5, "blank", ""), (6, "blank", ""), (8, "total", "合计")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_no_header_in_the_first_30_rows(tmp_path: Path, fmt: str):
    rows = [["只有一个标题"]] + [[i, i * 2.5, "2026-07-01"] for i in range(40)]
    path = write_xlsx(tmp_path / "x.xlsx", rows) if fmt == "xlsx" else write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(ImportFileError, match="前 30 行中没有找到表头行.*指定表头所在的行号"):
        read_sheet(path)
    with pytest.raises(ImportFileError, match="没有找到表头行"):
        readers.read_table_file(path)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("row, message", [(9, "第 9 行.*超出文件范围"), (2, "第 2 行.*是空行")])
def test_a_declared_header_row_that_is_empty_or_beyond_the_file(tmp_path: Path, fmt: str, row: int, message: str):
    rows = [["编号", "名称"], [], ["A1", "甲"]]
    path = write_xlsx(tmp_path / "x.xlsx", rows) if fmt == "xlsx" else write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(ImportFileError, match=message):
        read_sheet(path, header_row=row)


def test_a_title_row_never_wins(tmp_path: Path):
    """Even when the caller's score likes the title's text."""
    path = write_xlsx(tmp_path / "x.xlsx", [["企业名称"], ["企业名称", "地址"], ["甲厂", "鹿城区"]], ["A1:B1"])
    sheet = read_sheet(path, header_score=lambda cells: 10 * sum(1 for c in cells if c == "企业名称"))
    assert sheet.header_row == 2 and skipped(sheet) == [(1, "title", "企业名称")]


CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from pathlib import Path
from data import readers

calls = []
real = readers._calamine_rows
readers._calamine_rows = lambda path: calls.append(path) or real(path)
try:
    sheet = readers.read_sheet(Path(sys.argv[1]))
    out = {"rows": sheet.table.to_pylist(), "header_row": sheet.header_row}
except readers.ImportFileError as exc:
    out = {"error": exc.message}
print(json.dumps({**out, "calamine": len(calls)}, ensure_ascii=False))
"""


def patched_sheet(path: Path, dimension: str | None, extra_row: str = "") -> Path:
    """``path`` with the first sheet's dimension replaced (or removed) and a row appended."""
    out = path.with_name(path.stem + "-patched.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = re.sub(r'<dimension ref="[^"]*"/>', dimension or "", data.decode())
                data = xml.replace("</sheetData>", extra_row + "</sheetData>").encode()
            dst.writestr(info, data)
    return out


def read_in_child(path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_sheet_declaring_xfd1048576_is_refused_unread(tmp_path: Path):
    """Refused, not streamed (tests/test_hostile_files.py has the CLI and the page)."""
    plain = write_xlsx(tmp_path / "bomb.xlsx", [["企业名称", "地址"], ["甲厂", "鹿城区1号"]])
    bomb = patched_sheet(plain, '<dimension ref="A1:XFD1048576"/>')
    assert bomb.stat().st_size < 10_000
    assert readers.declared_cells(bomb) == 1_048_576 * 16_384
    got = read_in_child(bomb)
    assert got["calamine"] == 0 and "A1:XFD1048576" in got["error"] and "上限" in got["error"]
    assert read_in_child(plain)["calamine"] == 1  # an ordinary workbook still goes to calamine


def test_one_far_cell_under_a_small_dimension_is_not_allocated_either(tmp_path: Path):
    """calamine sizes its grid from the cells too: a value at XFD1048576 would abort it."""
    plain = write_xlsx(tmp_path / "far.xlsx", [["企业名称", "地址"], ["甲厂", "鹿城区1号"]])
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>{}</t></is></c></row>'
    got = read_in_child(patched_sheet(plain, '<dimension ref="A1:B2"/>', far.format("z")))
    assert got["calamine"] == 0 and "超过 500 列" in got["error"] and "第 1048576 行" in got["error"]
    got = read_in_child(patched_sheet(plain, None, far.format("")))  # no dimension, an empty string far away
    assert got == {"rows": [{"企业名称": "甲厂", "地址": "鹿城区1号", "_row": 2}], "header_row": 1, "calamine": 0}


def test_the_thin_wrappers_detect_the_header(tmp_path: Path):
    case = CASES["title, note and blank above the header"]
    xlsx = write_xlsx(tmp_path / "t.xlsx", case["rows"], case["merges"])
    table = readers.read_xlsx_strings(xlsx)
    assert table.column_names[0] == "序号" and table.column("_row").to_pylist() == [5, 7]
    assert readers.read_table_file(xlsx).equals(table)
    csv_path = write_csv(tmp_path / "t.csv", case["rows"])
    assert readers.read_csv_strings(csv_path).column("_row").to_pylist() == [5, 7]


def test_section_headings_subtotals_and_column_numbers_are_not_records(tmp_path):
    """Found by review: 一、椒江区（3家）, （二）黄岩区, 椒江区小计 and a 甲 乙 丙 / 1 2 3 row under the
    header were taken as records; a record named 说明书印刷厂 must stay one."""
    from openpyxl import Workbook

    from data.headers import header_score
    from data.tables import ENTERPRISE

    wb = Workbook()
    ws = wb.active
    ws.append(["某区企业名录"])
    ws.append(["序号", "统一社会信用代码", "企业名称", "经度", "纬度", "从业人数"])
    ws.append(["甲", "乙", "丙", "1", "2", "3"])
    ws.append(["一、椒江区（3家）"])
    ws.append([1, "91331002MA2A00001X", "甲厂", 121.4, 28.6, 5])
    ws.append([2, "91331002MA2A00002X", "说明书印刷厂", 121.4, 28.6, 5])
    ws.append(["椒江区小计", None, None, None, None, 10])
    ws.append(["（二）黄岩区"])
    ws.append([3, "91331003MA2A00003X", "乙厂", 121.2, 28.6, 5])
    ws.append(["合计", None, None, None, None, 15])
    path = tmp_path / "sections.xlsx"
    wb.save(path)
    sheet = read_sheet(path, None, header_score(ENTERPRISE))
    assert sheet.header_row == 2 and sheet.table.column("_row").to_pylist() == [5, 6, 9]
    assert [(s.row, s.kind) for s in sheet.skipped] == [(1, "title"), (3, "numbering"), (4, "section"),
                                                        (7, "total"), (8, "section"), (10, "total")]
