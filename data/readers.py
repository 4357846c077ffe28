"""Read import files into string tables, keeping every row and its spreadsheet row number.

Everything is read as text; typing and validation happen in one place (``data.validate``)
so that a bad cell becomes a reported issue instead of a failed read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

ROW = "_row"  # spreadsheet row number: the header is row 1, the first record row 2


class ImportFileError(ValueError):
    """A file that cannot be imported at all (unreadable, missing required columns...)."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


#: Limits on what a zip file (a zipped Shapefile, or an xlsx workbook, which is a zip) may
#: unpack to: a zip bomb or a path that climbs out of the folder is refused before reading.
ZIP_MAX_BYTES = 512 << 20
ZIP_MAX_RATIO = 200
ZIP_MAX_FILES = 2000


def check_zip(path: Path) -> None:
    """Refuse a zip whose entries escape their folder, or that would unpack too far.

    Raises
    ------
    ImportFileError
        Naming the file and the problem.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportFileError(path.name, f"不是有效的压缩文件：{exc}") from exc
    if len(infos) > ZIP_MAX_FILES:
        raise ImportFileError(path.name, f"压缩包内文件过多（{len(infos)} 个）")
    total = packed = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise ImportFileError(path.name, f"压缩包内的路径不安全：{info.filename}")
        total += info.file_size
        packed += info.compress_size
    if total > ZIP_MAX_BYTES:
        raise ImportFileError(path.name, f"解压后过大（{total / 2**20:,.0f} MB，上限 {ZIP_MAX_BYTES >> 20} MB）")
    if packed and total / packed > ZIP_MAX_RATIO and total > 10 << 20:
        raise ImportFileError(path.name, f"压缩比异常（{total / packed:,.0f} 倍），疑似压缩炸弹")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the first 1 MB decodes as UTF-8, else GB18030."""
    head = path.read_bytes()[: 1 << 20]
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 1 MB boundary is still UTF-8.
        if exc.start < len(head) - 4:
            return "gb18030"
    return "utf-8"


def read_csv_strings(path: Path) -> pa.Table:
    """Read a CSV file as a table of strings plus the ``_row`` column."""
    import pyarrow.csv as pacsv

    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as f:
        header_line = f.readline().lstrip("\ufeff")
    import csv

    names = next(csv.reader([header_line]), [])
    if not names:
        raise ImportFileError(path.name, "文件为空或没有表头")
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=16 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    # pyarrow keeps a UTF-8 BOM out of the first name only for utf8; normalise anyway.
    table = table.rename_columns([str(n).lstrip("\ufeff").strip() for n in table.column_names])
    rows = pa.array(range(2, table.num_rows + 2), type=pa.int32())
    return table.append_column(ROW, rows)


def _cell_to_str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_strings(path: Path) -> pa.Table:
    """Read the first sheet of an xlsx workbook as a table of strings plus ``_row``.

    Read with calamine (Rust, about ten times faster than openpyxl on 100,000 rows); a
    workbook calamine cannot parse is read with openpyxl instead.
    """
    check_zip(path)  # an xlsx is a zip: refuse a bomb before anything unpacks it
    try:
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        values: list[list[object]] = [list(r) for r in sheet.to_python(skip_empty_area=False)]
    except Exception:  # noqa: BLE001 — calamine refuses some files openpyxl reads
        values = _openpyxl_rows(path)
    if not values or all(v in (None, "") for v in values[0]):
        raise ImportFileError(path.name, "工作表为空或没有表头")
    names = [str(h).strip() if h not in (None, "") else "" for h in values[0]]
    cols: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    for i, record in enumerate(values[1:], start=2):
        if all(v in (None, "") for v in record):
            continue  # blank rows between or after the records are not records
        for j in range(len(names)):
            v = record[j] if j < len(record) else None
            cols[j].append(None if v in (None, "") else _cell_to_str(v))
        rows.append(i)
    arrays = [pa.array(c, type=pa.string()) for c in cols] + [pa.array(rows, type=pa.int32())]
    return pa.table(arrays, names=[*names, ROW])


def _openpyxl_rows(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def read_table_file(path: Path) -> pa.Table:
    """Read a CSV or xlsx ledger as strings; raise :class:`ImportFileError` if unreadable."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return read_csv_strings(path)
        if suffix in (".xlsx", ".xlsm"):
            return read_xlsx_strings(path)
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's problem
        raise ImportFileError(path.name, f"无法读取：{exc}") from exc
    raise ImportFileError(path.name, f"不支持的文件类型 {suffix}（支持 csv、xlsx）")


def read_boundary_file(path: Path):  # type: ignore[no-untyped-def]
    """Read a GeoJSON / Shapefile / GeoPackage as a GeoDataFrame with string attributes."""
    import geopandas as gpd

    if path.suffix.lower() == ".zip":
        check_zip(path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001
        raise ImportFileError(path.name, f"无法读取边界文件：{exc}") from exc
    for col in gdf.columns:
        if col != gdf.geometry.name:
            gdf[col] = gdf[col].map(_cell_to_str).astype(object)
    gdf[ROW] = range(1, len(gdf) + 1)  # features are numbered from 1
    return gdf
