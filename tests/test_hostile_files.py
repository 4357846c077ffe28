"""Hostile import files, each modelled on a real file and each first seen breaking the running
app: a workbook declaring or holding a huge sheet, CSVs too wide or with a line too long,
headers named like the importer's own columns, two imports at once, geometry that repairs
into a collection or spans the globe, control characters in cells, Markdown in names and
headers, uploads left on disk, a corrupted database and a full disk.

Files are written here with zipfile (an xlsx as Excel writes it: shared strings, a
``<dimension>``), csv and json; everything stands on the literal tiny city of
``tests/fixtures.py``. What could abort the process (calamine sizing a grid, two processes
racing) runs in child processes, so a crash shows as a crash.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pytest
import shapely

from data.build import connect
from data.importer import ImportError_
from riskmap.pipeline import import_boundary_file, import_file

from .fixtures import COUNTY, E1, PARK, TOWNSHIPS, code

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
ENTERPRISE_HEADER = ["统一社会信用代码", "企业名称", "经度", "纬度", "行业"]
N1, N2, N3 = (code(f"913399020000{n:05d}") for n in (101, 102, 103))


@pytest.fixture()
def data_dir(tiny_city: Path, tmp_path: Path) -> Path:
    """A private data directory holding a copy of the tiny city's database."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(tiny_city, folder / "riskmap.duckdb")
    return folder


@pytest.fixture()
def db(data_dir: Path) -> Path:
    return data_dir / "riskmap.duckdb"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_of(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def cli(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "riskmap", "--db", str(db), *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def unescaped(text: str) -> str:
    """Text as shown after Markdown escaping (``md``) is undone: backslashes dropped."""
    return text.replace("\\", "")


# ------------------------------------------------------------ an xlsx as Excel writes it

def _column_letters(n: int) -> str:
    from openpyxl.utils import get_column_letter  # openpyxl's own, not the reader's

    return get_column_letter(n)


def excel_workbook(path: Path, rows: list[list[object]], dimension: str | None = None, sheet: str = "Sheet1",
                   extra_xml: str = "") -> Path:
    """A workbook laid out as Excel saves one: shared strings, numbers as ``<v>``, one
    ``<row r=…>`` per row, a ``<dimension ref=…>`` (the used range unless ``dimension`` says
    otherwise), styles and relationships; ``extra_xml`` is appended inside ``<sheetData>``."""
    strings: list[str] = []
    index: dict[str, int] = {}
    xml_rows = []
    for i, row in enumerate(rows, 1):
        cells = []
        for j, v in enumerate(row, 1):
            ref = f"{_column_letters(j)}{i}"
            if v is None:
                continue
            if isinstance(v, int | float):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                index.setdefault(str(v), len(strings))
                if index[str(v)] == len(strings):
                    strings.append(str(v))
                cells.append(f'<c r="{ref}" t="s"><v>{index[str(v)]}</v></c>')
        xml_rows.append(f'<row r="{i}" spans="1:{len(row)}">{"".join(cells)}</row>')
    width = max(len(r) for r in rows)
    dimension = dimension or f"A1:{_column_letters(width)}{len(rows)}"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files = {
        "[Content_Types].xml": head + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>'),
        "_rels/.rels": head + (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": head + (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><bookViews><workbookView xWindow="0" yWindow="0" '
            f'windowWidth="28800" windowHeight="12300"/></bookViews><sheets><sheet name="{escape(sheet)}" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": head + (
            f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/styles.xml": head + (
            f'<styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/>'
            '</borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="1"><xf/></cellXfs></styleSheet>'),
        "xl/worksheets/sheet1.xml": head + (
            f'<worksheet xmlns="{main}" xmlns:r="{rel}"><dimension ref="{dimension}"/>'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="13.5"/><sheetData>{"".join(xml_rows)}{extra_xml}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'),
        "xl/sharedStrings.xml": head + (
            f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>"),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def enterprise_rows(n: int = 1) -> list[list[object]]:
    return [[code(f"913399020000{200 + i:05d}"), f"新厂{i}", 120.65, 27.85, "制鞋"] for i in range(n)]


# A child that opens the 数据管理 import form in Streamlit's AppTest, uploads a file and
# reports what the page shows: run apart, so that an abort inside a reader is a crash.
PAGE_CHILD = r"""
import json, sys
from pathlib import Path
from streamlit.testing.v1 import AppTest
from riskmap.accounts import User

at = AppTest.from_string("from pages.importing import import_form\nimport_form()\n", default_timeout=120)
at.session_state["user"] = User("admin", "管理员", "admin")
at.run()
at.selectbox(key="import_table").set_value(sys.argv[2]).run()
path = Path(sys.argv[1])
at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
print(json.dumps({"errors": [e.value for e in at.error], "exception": [str(e.value) for e in at.exception],
                  "selectboxes": len(at.selectbox)}, ensure_ascii=False))
"""


def page_preview(data_dir: Path, path: Path, table: str = "enterprise") -> dict:
    done = subprocess.run([sys.executable, "-c", PAGE_CHILD, str(path), table], cwd=REPO,
                          env={**ENV, "RISKMAP_DATA_DIR": str(data_dir)}, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"the page's process died ({done.returncode}): {done.stderr[-1500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------- 1. a sheet declaring or holding too much

def dimension_bomb(folder: Path) -> Path:
    """5 KB: two rows, a sheet named 企业名录 declaring A1:XFD100000 (1.6 billion cells)."""
    return excel_workbook(folder / "企业名录.xlsx", [ENTERPRISE_HEADER, *enterprise_rows()],
                          dimension="A1:XFD100000", sheet="企业名录")


def far_cell(folder: Path) -> Path:
    """The same two rows, and one real value at XFD100000 (what really makes calamine size
    a 1.6-billion-cell grid and abort)."""
    far = '<row r="100000"><c r="XFD100000" t="s"><v>1</v></c></row>'
    return excel_workbook(folder / "远处单元格.xlsx", [ENTERPRISE_HEADER, *enterprise_rows()], sheet="企业名录",
                          extra_xml=far)


def test_a_sheet_declaring_xfd100000_is_refused_by_the_cli(db: Path, tmp_path: Path):
    bomb = dimension_bomb(tmp_path)
    assert bomb.stat().st_size < 6_000
    before = sha(db)
    done = cli(db, "import", str(bomb), "--table", "enterprise")
    assert done.returncode == 2, done.stderr[-1500:]  # refused, not crashed (an abort is -6)
    assert "Traceback" not in done.stderr
    assert "企业名录.xlsx" in done.stderr and "工作表“企业名录”" in done.stderr and "A1:XFD100000" in done.stderr
    assert "上限" in done.stderr
    assert sha(db) == before


def test_a_sheet_declaring_xfd100000_is_refused_on_the_data_page(data_dir: Path, tmp_path: Path):
    shown = page_preview(data_dir, dimension_bomb(tmp_path))
    assert not shown["exception"]
    assert len(shown["errors"]) == 1
    error = unescaped(shown["errors"][0])
    assert "企业名录.xlsx" in error and "工作表“企业名录”" in error and "A1:XFD100000" in error


def test_one_real_value_at_xfd100000_is_refused_by_the_cli_and_the_page(data_dir: Path, db: Path, tmp_path: Path):
    far = far_cell(tmp_path)
    done = cli(db, "import", str(far), "--table", "enterprise")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "第 100000 行" in done.stderr and "500 列" in done.stderr
    shown = page_preview(data_dir, far)
    assert not shown["exception"] and "第 100000 行" in unescaped(shown["errors"][0])


def test_a_workbook_with_too_many_real_cells_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from data import readers

    monkeypatch.setattr(readers, "MAX_XLSX_CELLS", 1_000)
    rows = [[f"h{j}" for j in range(30)], *([f"v{i}-{j}" for j in range(30)] for i in range(40))]
    path = excel_workbook(tmp_path / "很多单元格.xlsx", rows, sheet="台账")
    with pytest.raises(readers.ImportFileError) as caught:
        readers.read_sheet(path)
    assert caught.value.file == "很多单元格.xlsx"
    assert "工作表“台账”" in caught.value.message and "1,230" in caught.value.message and "1,000" in caught.value.message
    small = excel_workbook(tmp_path / "正常.xlsx", rows[:20], sheet="台账")  # 600 cells: read
    assert readers.read_sheet(small).table.num_rows == 19


# --------------------------------------------------------------------- 2. CSV limits

def wide_csv(path: Path, columns: int = 20_000) -> Path:
    """169 KB: a header of 20,000 columns (an export that pasted a row sideways) over one row."""
    header = [*ENTERPRISE_HEADER, *(f"c{j:05d}" for j in range(len(ENTERPRISE_HEADER), columns))]
    row = [*enterprise_rows()[0], *([""] * (columns - len(ENTERPRISE_HEADER)))]
    return write_csv(path, header, [row], encoding="utf-8")


def test_a_csv_with_20000_columns_is_refused_before_the_header_form(data_dir: Path, tmp_path: Path):
    from data.readers import ImportFileError, read_sheet

    path = wide_csv(tmp_path / "宽表.csv")
    assert 150_000 < path.stat().st_size < 200_000
    with pytest.raises(ImportFileError) as caught:
        read_sheet(path)
    assert caught.value.file == "宽表.csv"
    assert "第 1 行" in caught.value.message and "20,000 列" in caught.value.message and "500" in caught.value.message
    shown = page_preview(data_dir, path)
    assert shown["selectboxes"] == 2 and not shown["exception"]  # the table and CRS choices, no header mapping
    assert "500" in unescaped(shown["errors"][0])


def test_a_wide_data_row_and_a_wide_xlsx_are_refused_naming_their_row(tmp_path: Path):
    from data.readers import ImportFileError, read_sheet

    rows = [enterprise_rows()[0], [*enterprise_rows()[0], *(["x"] * 600)]]
    path = write_csv(tmp_path / "第三行宽.csv", ENTERPRISE_HEADER, rows)
    with pytest.raises(ImportFileError, match="第 3 行"):
        read_sheet(path)
    xlsx = excel_workbook(tmp_path / "宽表.xlsx", [[f"列{j}" for j in range(600)], ["x"] * 600])
    with pytest.raises(ImportFileError, match="第 1 行.*500 列"):
        read_sheet(xlsx)


def test_a_line_longer_than_1_mb_is_refused_while_streaming(tmp_path: Path):
    from data.readers import ImportFileError, read_sheet

    one_line = tmp_path / "一行.csv"  # 49 MB without a line break: a binary dump named .csv
    with open(one_line, "wb") as f:
        chunk = ("甲乙丙丁," * 4096).encode()
        for _ in range(49 * (1 << 20) // len(chunk)):
            f.write(chunk)
    assert one_line.stat().st_size > 48 << 20
    with pytest.raises(ImportFileError) as caught:
        read_sheet(one_line)
    assert caught.value.file == "一行.csv"
    assert "第 1 行" in caught.value.message and "1 MB" in caught.value.message

    later = write_csv(tmp_path / "第三行长.csv", ENTERPRISE_HEADER,
                      [enterprise_rows()[0], ["x" * (2 << 20), "y", "1", "2", "3"]])
    with pytest.raises(ImportFileError, match="第 3 行.*1 MB"):
        read_sheet(later)
    mac = tmp_path / "回车换行.csv"  # lines ended by CR alone (old Mac Excel) are lines too
    mac.write_bytes(("\r".join(",".join(map(str, r)) for r in [ENTERPRISE_HEADER, *enterprise_rows(3)])).encode())
    assert read_sheet(mac).table.num_rows == 3


def test_long_lines_are_found_wherever_they_are_in_a_file_of_lf_lines(tmp_path: Path):
    """LF-only files larger than the limit take a memchr pass; a long line anywhere in them —
    in the middle, last without an LF, spanning the reader's 8 MB blocks — is still refused
    by its number, and lines just under the limit (windows without an LF) still pass."""
    from data.readers import MAX_LINE_BYTES, ImportFileError, check_lines

    short = b"a,b,c\n" * 1000
    hundred = b"q" * 99 + b"\n"
    filler = ((8 << 20) - MAX_LINE_BYTES // 2) // len(hundred)  # the long line starts before 8 MB, ends after
    cases = {  # name: (content, the line refused or None)
        "middle": (short * 3 + b"x" * (MAX_LINE_BYTES + 1) + b"\n" + short, 3001),
        "last_no_lf": (short * 300 + b"y" * (MAX_LINE_BYTES + 5), 300_001),
        "across_blocks": (hundred * filler + b"w" * (MAX_LINE_BYTES + 1) + b"\n", filler + 1),
        "under_limit": ((b"v" * (MAX_LINE_BYTES - 10) + b"\n") * 3, None),
        "exactly_limit": ((b"u" * MAX_LINE_BYTES + b"\n") * 2, None),
        "one_over": (b"t" * (MAX_LINE_BYTES + 1) + b"\n" + short, 1),
    }
    for name, (content, line) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(content)
        if line is None:
            check_lines(path)
        else:
            with pytest.raises(ImportFileError, match=f"第 {line} 行超过 1 MB"):
                check_lines(path)


# ------------------------------------------------------ 3. headers named like our own columns

def test_headers_named_like_internal_columns_import_and_are_reported(db: Path, tmp_path: Path):
    header = [*ENTERPRISE_HEADER, "_row", "_unknown_1", "source_row", "x_name", "_err"]
    rows = [[N1, "甲新厂", 120.65, 27.85, "制鞋", "999", "a", "7", "b", "true"]]
    path = write_csv(tmp_path / "内部列名.csv", header, rows)
    r = import_file(db, path, "enterprise", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (1, 1, 0)
    unknown = set(r.issues.loc[r.issues["code"] == "unknown_header", "column_name"])
    assert {"_row", "_unknown_1", "source_row", "x_name", "_err"} <= unknown
    assert rows_of(db, "SELECT name, source_row FROM enterprise WHERE uscc = ?", [N1]) == [("甲新厂", 2)]


def test_a_boundary_attribute_named_row_is_ignored_and_reported(db: Path, tmp_path: Path):
    path = tmp_path / "园区.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": shapely.geometry.mapping(PARK[2]),
        "properties": {"园区编号": PARK[0], "园区名称": PARK[1], "_row": 42, "_unknown_1": "x"}}]},
        ensure_ascii=False), encoding="utf-8")
    r = import_boundary_file(db, path, "park", progress=None)
    assert (r.rows_read, r.accepted) == (1, 1)
    assert "_row_" in set(r.issues.loc[r.issues["code"] == "unknown_header", "column_name"])  # renamed, reported
    assert rows_of(db, "SELECT park_id FROM enterprise WHERE uscc = ?", [E1]) == [(PARK[0],)]


# ----------------------------------------------------------------- 4. two imports at once

LOCK_CHILD = r"""
import sys, time
from pathlib import Path
from riskmap.pipeline import import_file

db, file, hold, marker, wait = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
try:
    import data.locks
    data.locks.WAIT_S = wait
except ImportError:  # before the lock existed
    pass
held = []

def progress(stage, fraction):
    print(f"[{fraction:.2f}] {stage}", flush=True)
    if hold and fraction >= 0.75 and not held:  # merging: the copy is taken, nothing swapped in yet
        held.append(1)
        Path(marker).write_text("holding")
        time.sleep(hold)

try:
    r = import_file(db, file, "enterprise", progress=progress)
except Exception as exc:
    print(f"REFUSED {type(exc).__name__}: {exc}", flush=True)
    sys.exit(2)
print(f"OK inserted {r.inserted}", flush=True)
"""


def start_import(db: Path, file: Path, hold: float, marker: Path, wait: float = 60) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LOCK_CHILD, str(db), str(file), str(hold), str(marker), str(wait)],
                            cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0][-1500:]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def two_files(tmp_path: Path) -> tuple[Path, Path]:
    a = write_csv(tmp_path / "甲镇新企业.csv", ENTERPRISE_HEADER, [[N1, "甲新厂", 120.65, 27.85, "制鞋"]])
    b = write_csv(tmp_path / "乙镇新企业.csv", ENTERPRISE_HEADER, [[N2, "乙新厂", 120.75, 27.85, "印刷"]])
    return a, b


@pytest.mark.slow
def test_two_imports_at_once_both_land(db: Path, tmp_path: Path):
    a, b = two_files(tmp_path)
    marker = tmp_path / "first-holds"
    first = start_import(db, a, 4, marker)
    wait_for(marker, first)
    second = start_import(db, b, 0, tmp_path / "unused")
    out_b, _ = second.communicate(timeout=120)
    out_a, _ = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, out_a + out_b
    assert "OK inserted 1" in out_a and "OK inserted 1" in out_b
    got = {u for (u,) in rows_of(db, "SELECT uscc FROM enterprise WHERE uscc IN (?, ?)", [N1, N2])}
    assert got == {N1, N2}  # nothing lost
    assert f"进程 {first.pid}" in out_b and "等待" in out_b  # the second said whom it waited for


@pytest.mark.slow
def test_a_second_import_gives_up_naming_the_holder_and_changes_nothing(db: Path, tmp_path: Path):
    a, b = two_files(tmp_path)
    marker = tmp_path / "first-holds"
    first = start_import(db, a, 6, marker)
    wait_for(marker, first)
    second = start_import(db, b, 0, tmp_path / "unused", wait=1)
    out_b, _ = second.communicate(timeout=120)
    out_a, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out_a
    assert second.returncode == 2 and "REFUSED ImportError_" in out_b, out_b
    assert f"进程 {first.pid}" in out_b and "甲镇新企业.csv" in out_b and "数据库未改动" in out_b
    assert {u for (u,) in rows_of(db, "SELECT uscc FROM enterprise WHERE uscc IN (?, ?)", [N1, N2])} == {N1}


def test_a_lock_left_by_a_dead_process_is_taken_over(db: Path, tmp_path: Path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    from data.locks import lock_path

    lock = lock_path(db)
    lock.write_text(json.dumps({"pid": dead.pid, "what": "导入 旧文件.csv", "since": "2026-01-01T00:00:00"}),
                    encoding="utf-8")
    said: list[str] = []
    a, _ = two_files(tmp_path)
    r = import_file(db, a, "enterprise", progress=lambda stage, f: said.append(stage))
    assert r.inserted == 1 and not any("等待" in s for s in said)


def test_a_rebuild_an_import_and_a_layer_wait_for_whoever_holds_the_database(db: Path, tmp_path: Path, tiny_city: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    from data import locks
    from data.build import BuildError
    from riskmap.pipeline import rebuild

    monkeypatch.setattr(locks, "WAIT_S", 0.3)
    a, _ = two_files(tmp_path)
    with locks.database_lock(db, "测试持有"):  # another import or rebuild holds the database
        with pytest.raises(BuildError, match="测试持有"):
            rebuild(tiny_city.parent / "src", db, progress=None)
        with pytest.raises(ImportError_, match=f"进程 {os.getpid()}.*测试持有"):
            import_file(db, a, "enterprise", progress=None)
        layer = park_layer(tmp_path / "园区.geojson", [(PARK[0], PARK[1], PARK[2])])
        with pytest.raises(ImportError_, match="测试持有.*数据库未改动"):
            import_boundary_file(db, layer, "park", progress=None)
    assert import_file(db, a, "enterprise", progress=None).inserted == 1  # released


def test_the_cli_says_who_holds_the_database(db: Path, tmp_path: Path):
    from data import locks

    a, _ = two_files(tmp_path)
    before = sha(db)
    with locks.database_lock(db, "导入 别的台账.xlsx"):
        done = subprocess.run([sys.executable, "-c", "import data.locks, sys; data.locks.WAIT_S = 1\n"
                               "from riskmap.cli import main; sys.exit(main(sys.argv[1:]))",
                               "--db", str(db), "import", str(a), "--table", "enterprise"],
                              cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"进程 {os.getpid()}" in done.stderr and "别的台账.xlsx" in done.stderr and "等待" in done.stdout
    assert sha(db) == before


# --------------------------------------------------------------------------- 5. geometry

def park_layer(path: Path, parks: list[tuple[str, str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"园区编号": pid, "园区名称": name, "园区类型": "小微企业园"},
         "geometry": shapely.geometry.mapping(geom) if not isinstance(geom, dict) else geom}
        for pid, name, geom in parks]}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_spiked_park_is_repaired_into_polygons_only(db: Path, tmp_path: Path):
    # 甲园 as digitised with a spike: the boundary runs out to 120.70 and back along itself.
    spike = shapely.Polygon([(120.62, 27.82), (120.64, 27.82), (120.64, 27.83), (120.70, 27.83), (120.64, 27.83),
                             (120.64, 27.84), (120.62, 27.84)])
    assert shapely.make_valid(spike).geom_type == "GeometryCollection"
    flat = shapely.Polygon([(120.70, 27.82), (120.72, 27.82), (120.74, 27.82)])  # collapses to a line
    path = park_layer(tmp_path / "园区.geojson", [(PARK[0], PARK[1], spike), ("P02", "乙园", flat)])
    r = import_boundary_file(db, path, "park", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (2, 1, 1)
    errors = r.issues[r.issues["severity"] == "error"]
    assert errors["row"].astype(int).tolist() == [2] and errors["code"].tolist() == ["no_polygon_after_repair"]
    types = rows_of(db, "SELECT park_id, ST_GeometryType(geom)::VARCHAR, ST_Area(geom) FROM park")
    assert [(p, t) for p, t, _ in types] == [(PARK[0], "POLYGON")]
    assert types[0][2] == pytest.approx(PARK[2].area)
    assert rows_of(db, "SELECT park_id FROM enterprise WHERE uscc = ?", [E1]) == [(PARK[0],)]


def test_parks_spanning_the_globe_or_far_from_the_city_are_refused(db: Path, tmp_path: Path):
    around = {"type": "Polygon", "coordinates": [[[-179.9, 27.8], [179.9, 27.8], [179.9, 27.9], [-179.9, 27.9],
                                                  [-179.9, 27.8]]]}
    far = shapely.box(100.0, 40.0, 100.1, 40.1)  # in China, 2,000 km from the city
    near = shapely.box(120.80, 27.86, 120.82, 27.88)  # just outside 乙镇: a park may straddle the edge
    path = park_layer(tmp_path / "园区.geojson", [(PARK[0], PARK[1], PARK[2]), ("P02", "绕地球", around),
                                                 ("P03", "远处", far), ("P04", "边上", near)])
    r = import_boundary_file(db, path, "park", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (4, 2, 2)
    errors = r.issues[r.issues["severity"] == "error"]
    assert dict(zip(errors["row"].astype(int), errors["code"])) == {2: "outside_china", 3: "outside_city"}
    assert all("已拒绝" in reason for reason in errors["reason"])
    assert sorted(p for (p,) in rows_of(db, "SELECT park_id FROM park")) == [PARK[0], "P04"]
    counts = rows_of(db, "SELECT count(*) FILTER (park_id = 'P01'), count(*) FILTER (park_id IS NOT NULL) FROM enterprise")
    assert counts == [(1, 1)]  # E1 alone: nothing swallowed the city


def test_the_first_layer_is_checked_against_china(tmp_path: Path):
    from riskmap.pipeline import init_city

    west, east = (g for _, g in TOWNSHIPS.values())
    path = tmp_path / "区县.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"区县代码": COUNTY, "区县名称": "示意区"},
         "geometry": shapely.geometry.mapping(west.union(east))},
        {"type": "Feature", "properties": {"区县代码": "339903", "区县名称": "绕地球"},
         "geometry": {"type": "Polygon", "coordinates": [[[-179, 27], [179, 27], [179, 28], [-179, 28], [-179, 27]]]}},
    ]}, ensure_ascii=False), encoding="utf-8")
    report = init_city(tmp_path / "riskmap.duckdb", "小城", {"county": path}, progress=None)
    assert [(f.rows_read, f.accepted, f.rejected) for f in report.files] == [(2, 1, 1)]
    assert rows_of(tmp_path / "riskmap.duckdb", "SELECT code FROM county") == [(COUNTY,)]


# --------------------------------------------------------------- 6. control characters

HIDDEN = {"\x00": "U+0000", "\x1b": "U+001B", "\x7f": "U+007F", "\u2028": "U+2028", "\u202e": "U+202E",
          "\u2066": "U+2066", "\x85": "U+0085"}


def test_control_characters_are_removed_and_reported(db: Path, tmp_path: Path):
    rows = [[N1, "甲\u202e鞋厂", 120.65, 27.85, "制鞋", "鹿城区\x00一号"],
            [N2, "乙\x1b[31m厂\x7f", 120.75, 27.85, "印\u2066刷", "二号\u2028楼"],
            [N3, "丙\x85厂", 120.76, 27.86, "五金制品", "三号\t楼\r\n二层"]]
    path = write_csv(tmp_path / "控制字符.csv", [*ENTERPRISE_HEADER, "经营地址"], rows)
    r = import_file(db, path, "enterprise", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (3, 3, 0)
    got = dict((u, (n, i, a)) for u, n, i, a in rows_of(
        db, "SELECT uscc, name, industry, address FROM enterprise WHERE uscc IN (?, ?, ?)", [N1, N2, N3]))
    assert got == {N1: ("甲鞋厂", "制鞋", "鹿城区一号"), N2: ("乙[31m厂", "印刷", "二号楼"),
                   N3: ("丙厂", "五金制品", "三号 楼\n二层")}
    found = r.issues[r.issues["code"] == "control_chars"]
    assert set(found["severity"]) == {"warning"}
    assert sorted(zip(found["row"].astype(int), found["column_name"])) == [
        (2, "企业名称"), (2, "地址"), (3, "企业名称"), (3, "地址"), (3, "行业"), (4, "企业名称")]
    reasons = " ".join(found["reason"])
    assert all(name in reasons for name in HIDDEN.values())
    # What the issue list keeps (and the app's Excel and Word files show) has none of them either.
    for text in [*r.issues["value"].dropna(), *r.issues["reason"], *r.issues["column_name"].dropna()]:
        assert not any(ch in text for ch in HIDDEN), repr(text)


def test_control_characters_in_boundary_attributes_and_headers(db: Path, tmp_path: Path):
    path = tmp_path / "乡镇.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"乡镇代码": c, "乡镇名称\u202e": n + "\u202e\u0008", "区县代码": COUNTY},
         "geometry": shapely.geometry.mapping(g)} for c, (n, g) in TOWNSHIPS.items()]}, ensure_ascii=False),
        encoding="utf-8")
    r = import_boundary_file(db, path, "township", progress=None)
    assert (r.rows_read, r.accepted) == (2, 2)
    assert sorted(n for (n,) in rows_of(db, "SELECT name FROM township")) == sorted(n for n, _ in TOWNSHIPS.values())
    found = r.issues[r.issues["code"] == "control_chars"]
    assert sorted(found["row"].astype(int)) == [1, 2] and set(found["column_name"]) == {"乡镇名称"}


# ------------------------------------------------------- 7. Markdown from the user's file

def import_page(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    from riskmap.accounts import User

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(data_dir))
    at = AppTest.from_string("from pages.importing import import_form, last_result\nimport streamlit as st\n"
                             "import_form()\n"
                             "if 'last_import' in st.session_state:\n"
                             "    last_result(st.session_state['last_import'])\n", default_timeout=120)
    at.session_state["user"] = User("admin", "管理员", "admin")
    return at.run()


HOSTILE = "[点我](http://evil.example)**粗**"
#: A file name survives ``safe_upload_name`` (no slash, no colon) and is still a link.
HOSTILE_NAME = "[台账](#x)__粗__"


def test_file_names_headers_values_and_errors_from_the_file_are_inert(data_dir: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    at = import_page(data_dir, monkeypatch)
    body = write_csv(tmp_path / "x.csv", [*ENTERPRISE_HEADER, HOSTILE], [[N1, "甲新厂", 120.65, 27.85, "制鞋", "1"]])
    at.file_uploader[0].set_value((f"{HOSTILE_NAME}.csv", body.read_bytes(), "text/csv")).run()
    assert not at.exception
    labels = [s.label for s in at.selectbox]
    assert "\\[点我\\]\\(http:\u200b//evil\\.example\\)\\*\\*粗\\*\\*" in labels, labels
    at.button(key="import_go").click().run()
    assert not at.exception
    done = at.success[0].value
    assert "\\[台账\\]\\(\\#x\\)\\_\\_粗\\_\\_\\.csv" in done, done
    # Two of the file's headers claim one column: the refusal quotes them.
    twice = write_csv(tmp_path / "y.csv", [*ENTERPRISE_HEADER, "企业名称[a](http://evil.example)"],
                      [[N2, "乙新厂", 120.75, 27.85, "印刷", "乙"]])
    at.file_uploader[0].set_value((f"{HOSTILE_NAME}2.csv", twice.read_bytes(), "text/csv")).run()
    assert not at.exception, at.exception
    assert at.error and all("](http" not in e.value for e in at.error)
    assert any("企业名称\\[a\\]\\(http:\u200b//evil\\.example\\)" in e.value for e in at.error), [e.value for e in at.error]


def test_progress_text_from_the_file_is_inert():
    from pages.importing import progress_to

    seen: list[tuple[float, str]] = []

    class Bar:
        def progress(self, value: float, text: str) -> None:
            seen.append((value, text))

    progress_to(Bar())(f"读取企业：{HOSTILE}.csv", 1.5)
    assert seen == [(1.0, "读取企业：\\[点我\\]\\(http:\u200b//evil\\.example\\)\\*\\*粗\\*\\*\\.csv")]


# ------------------------------------------------------------------ 8. uploads on disk

def test_uploads_are_removed_after_preview_import_and_failure_and_stale_ones_swept(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    uploads = data_dir / "uploads"
    stale = uploads / "0123abcd" / "三小时前.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    old = time.time() - 3 * 3600
    os.utime(stale, (old, old))
    os.utime(stale.parent, (old, old))
    fresh = uploads / "4567ef01" / "另一会话.xlsx"  # another session's, being imported now
    fresh.parent.mkdir()
    fresh.write_bytes(b"y")

    at = import_page(data_dir, monkeypatch)
    good = write_csv(tmp_path / "新企业.csv", ENTERPRISE_HEADER, [[N1, "甲新厂", 120.65, 27.85, "制鞋"]])
    at.file_uploader[0].set_value((good.name, good.read_bytes(), "text/csv")).run()
    assert not at.exception and not at.error
    left = sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*"))
    assert left == ["4567ef01", "4567ef01/另一会话.xlsx"]  # previewed and removed; the stale one swept
    at.button(key="import_go").click().run()
    assert not at.exception and at.success
    assert sorted(p.name for p in uploads.rglob("*")) == ["4567ef01", "另一会话.xlsx"]
    # An import that fails leaves nothing either.
    monkeypatch.setattr("riskmap.pipeline.import_ledger", lambda *a, **k: (_ for _ in ()).throw(ImportError_("坏")))
    at.file_uploader[0].set_value((good.name, good.read_bytes(), "text/csv")).run()
    at.button(key="import_go").click().run()
    assert not at.exception and at.error
    assert sorted(p.name for p in uploads.rglob("*")) == ["4567ef01", "另一会话.xlsx"]


def test_staged_removes_its_file_when_writing_it_fails(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from pages.importing import staged

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(data_dir))

    class Upload:
        name = "台账.xlsx"

        def getvalue(self) -> bytes:
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ImportError_, match="磁盘空间不足"), staged(Upload()):
        pass
    assert not list((data_dir / "uploads").rglob("*"))


# ------------------------------------------------- 9. a corrupted database, a full disk

def test_a_corrupted_database_gives_a_message_and_is_left_alone(db: Path, tmp_path: Path):
    db.write_bytes(os.urandom(300_000))
    before = sha(db)
    a, _ = two_files(tmp_path)
    with pytest.raises(ImportError_, match="数据库文件无法打开"):
        import_file(db, a, "enterprise", progress=None)
    assert sha(db) == before and not list(db.parent.glob("*.importing-*"))
    done = cli(db, "import", str(a), "--table", "enterprise")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "数据库文件无法打开" in done.stderr
    assert sha(db) == before


@pytest.mark.parametrize("where", ["copy", "checkpoint"])
def test_a_full_disk_during_an_import_gives_a_message_and_changes_nothing(db: Path, tmp_path: Path, where: str,
                                                                           monkeypatch: pytest.MonkeyPatch):
    import data.importer as importer

    a, _ = two_files(tmp_path)
    before = sha(db)
    if where == "copy":
        real = shutil.copyfile

        def copy_half(src: Path, dst: Path) -> None:
            real(src, dst)
            with open(dst, "r+b") as f:
                f.truncate(os.path.getsize(dst) // 2)
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))

        monkeypatch.setattr(importer.shutil, "copyfile", copy_half)
    else:
        real_connect = importer.connect
        monkeypatch.setattr(importer, "connect", lambda path: FullDisk(real_connect(path)))
    with pytest.raises(ImportError_, match="磁盘空间不足"):
        import_file(db, a, "enterprise", progress=None)
    assert sha(db) == before and not list(db.parent.glob("*.importing-*"))


class FullDisk:
    """A connection whose CHECKPOINT (the write of everything) finds the disk full."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, *args: object) -> object:
        if sql.strip().upper() == "CHECKPOINT":
            raise duckdb.IOException('Could not write file "riskmap.duckdb": No space left on device')
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


def test_a_full_disk_during_a_rebuild_gives_a_message_and_changes_nothing(db: Path, tiny_city: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    import data.build as build
    from riskmap.pipeline import rebuild

    before = sha(db)
    real_connect = build.connect
    monkeypatch.setattr(build, "connect", lambda path, read_only=False: FullDisk(real_connect(path, read_only)))
    with pytest.raises(build.BuildError, match="磁盘空间不足"):
        rebuild(tiny_city.parent / "src", db, progress=None)
    assert sha(db) == before and not list(db.parent.glob("*.building-*"))


def styled_far_right(path: Path, rows: int, value_at: int | None = None) -> Path:
    """A ledger whose every row also has an *empty styled* cell at XFD (a format dragged to
    the sheet's edge) and no dimension; optionally one real value in column ``value_at``."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(ENTERPRISE_HEADER)
    bold = Font(bold=True)
    for i, r in enumerate(enterprise_rows() * (rows // len(enterprise_rows()) + 1)):
        if i == rows:
            break
        ws.append(r)
        ws.cell(row=i + 2, column=16384).font = bold
    if value_at:
        ws.cell(row=3, column=value_at, value="多出来的")
    wb.save(path)
    import re

    with zipfile.ZipFile(path) as z:  # as such files come: no <dimension> to check
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<dimension [^>]*/>", b"", sheet)
    assert b"XFD" in sheet and b"<dimension" not in parts["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_empty_styled_cells_at_xfd_are_not_read_and_a_far_value_is_refused_unread(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    """Review of break 12: values few, span past 20 M cells (so openpyxl streams it), and
    openpyxl padded every row to 16,384 cells before the 500-column check: minutes of CPU for
    a file of a few MB. Rows are read no further right than the limit; a real value beyond it
    is refused from the scan, naming its row and column, before any reader runs."""
    from data import readers

    monkeypatch.setattr(readers, "MAX_CALAMINE_CELLS", 1_000)  # the streamed path, as for a big file
    path = styled_far_right(tmp_path / "带格式的台账.xlsx", 300)
    widths = []
    real = readers._openpyxl_rows

    def spy(p, max_col=None):
        rows = real(p, max_col)
        widths.append(max_col)
        return rows

    monkeypatch.setattr(readers, "_openpyxl_rows", spy)
    sheet = readers.read_sheet(path)
    assert sheet.table.num_rows == 300 and widths == [readers.MAX_COLUMNS + 1]
    far = styled_far_right(tmp_path / "远处有值.xlsx", 20, value_at=600)

    def never(*args, **kwargs):
        raise AssertionError("read although the scan had refused it")

    monkeypatch.setattr(readers, "_openpyxl_rows", never)
    monkeypatch.setattr(readers, "_calamine_rows", never)
    with pytest.raises(readers.ImportFileError) as caught:
        readers.read_sheet(far)
    assert "第 3 行第 600 列（WB 列）有内容" in caught.value.message
