"""Import one ledger file into an existing database: check every row, then upsert by key.

The database is never written in place. The import works on a copy beside it and swaps the
copy in with ``os.replace`` only when everything has succeeded (the same atomic swap as the
full build): an import that fails, or is killed, leaves the database byte-for-byte as it was,
and people viewing the app keep reading the old file until the swap.

Upsert, by the table's key (credit code for enterprises, record id for the ledgers):

- a key not in the database is inserted;
- a key whose values differ is replaced by the file's row (its ``source_file``,
  ``source_row`` and ``imported_at`` say where and when it came from);
- a key whose values are the same is left alone, provenance included — so importing the
  same file twice changes nothing.

Rows of the database that the file does not mention are kept: an import adds and updates,
it never deletes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from data import tables as T
from data.build import (
    DISK_FULL,
    BuildError,
    BuildReport,
    FileReport,
    Progress,
    Step,
    _finish_file_reports,
    connect,
    derive_units,
    discard,
    disk_full,
    import_boundaries,
    load_ledger,
    place_again,
    print_progress,
    remove_dead_side_files,
    schema_is_current,
    schema_version,
)
from data.locks import DatabaseBusy, database_lock
from data.queries import scalar
from data.readers import ImportFileError, without_hidden
from geo.crs import CRSNameError, check_crs_name

#: Tables a ledger import can target (upsert by key).
IMPORTABLE = ("enterprise", "inspection", "hazard", "enforcement", "incident", "inspector", "recheck")
#: Boundary layers: an import replaces the whole layer and places every point again.
BOUNDARIES = ("county", "township", "grid", "park")


#: What to do when there is no database yet: start the city first.
NO_DATABASE = ("还没有数据库：{db}。先建立城市：python -m riskmap init --city 城市名 --county 区县边界文件 "
               "（或 --township 乡镇边界文件），或在“数据管理”页面新建；示意城市：python -m riskmap demo")


class ImportError_(RuntimeError):
    """An import that could not be done; the database is unchanged. The message says why."""


@dataclass
class ImportResult(FileReport):
    """The file's counts (as in a build's report) and what the upsert did."""

    inserted: int
    updated: int
    unchanged: int
    seconds: float
    issues: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    #: Every accepted row: its row number in the file, its key and what the import did with it
    #: (新增 inserted / 更新 updated / 未变 unchanged).
    accepted_rows: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    #: For a boundary layer: how many features the replaced layer had.
    replaced: int = 0

    @property
    def balanced(self) -> bool:
        return self.accepted + self.rejected == self.rows_read


def _data_columns(spec: T.Table) -> list[str]:
    return [c.name for c in spec.columns if c.name not in T.PROVENANCE_NAMES]


def _upsert(con: duckdb.DuckDBPyConnection, spec: T.Table) -> tuple[int, int, int]:
    """Merge the freshly loaded rows (table ``spec.name``) into the old ones (``_old``).

    The file's rows are compared with the stored ones in one join (``_actions``); the stored
    table then loses the rows the file updates and gains the file's new and updated rows, in
    place: a ledger of 100,000 rows into a city's 60,000 writes 100,000 rows, not 160,000."""
    key = spec.key
    cols = ", ".join(c.name for c in spec.columns)
    same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM n.{c}" for c in _data_columns(spec))
    con.execute(
        f"""CREATE TEMP TABLE _actions AS
        SELECT n.source_row AS row, n.{key} AS key,
               CASE WHEN o.{key} IS NULL THEN '新增' WHEN {same} THEN '未变' ELSE '更新' END AS action
        FROM {spec.name} n LEFT JOIN _old o USING ({key}) ORDER BY n.source_row""")
    inserted, updated, unchanged = con.execute(
        "SELECT count(*) FILTER (action = '新增'), count(*) FILTER (action = '更新'), "
        "count(*) FILTER (action = '未变') FROM _actions").fetchone() or (0, 0, 0)
    if updated:
        con.execute(f"DELETE FROM _old WHERE {key} IN (SELECT key FROM _actions WHERE action = '更新')")
    if inserted or updated:
        con.execute(f"""INSERT INTO _old ({cols}) SELECT {cols} FROM {spec.name}
                        WHERE {key} IN (SELECT key FROM _actions WHERE action <> '未变')""")
    con.execute(f"DROP TABLE {spec.name}")
    con.execute(f"ALTER TABLE _old RENAME TO {spec.name}")
    return int(inserted), int(updated), int(unchanged)


#: Derived columns, by the imported columns they are computed from.
DERIVED_FROM = {"high_fire_risk": ("industry",)}


def _keep_what_the_file_lacks(con: duckdb.DuckDBPyConnection, spec: T.Table, present: set[str], file: str) -> None:
    """A file that updates rows without some column (a department's list with names and
    coordinates but no staff count) must not blank that column: rows it updates keep their
    stored values there, and the report says which columns were kept."""
    absent = [c.name for c in spec.imported if c.name not in present and c.name != spec.key]
    absent += [d for d, sources in DERIVED_FROM.items()
               if d in {c.name for c in spec.columns} and all(s in absent for s in sources)]
    if not absent:
        return
    sets = ", ".join(f"{c} = o.{c}" for c in absent)
    con.execute(f"UPDATE {spec.name} AS n SET {sets} FROM _old o WHERE o.{spec.key} = n.{spec.key}")
    kept = [spec.column(c).header for c in absent if c not in DERIVED_FROM]
    con.execute("INSERT INTO import_issue VALUES (?, ?, NULL, '', ?, 'info', 'columns_kept', ?)",
                [file, spec.name, "、".join(kept),
                 "文件中没有这些列：已有的记录更新时保留原值，新记录留空：" + "、".join(kept)])


#: Said when the database file itself cannot be opened (random bytes, a truncated copy).
UNREADABLE = ("数据库文件无法打开（{db}）：文件已损坏或不是本系统的数据库，本次未导入，该文件未改动。"
              "请从备份恢复，或用 python -m riskmap build 从台账文件重新建库")

log = logging.getLogger(__name__)


@contextmanager
def _working_copy(db_path: Path, say: Progress, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection on a copy of the database, swapped in when the block ends
    without an exception; any exception (or a kill) leaves the database as it was.

    The whole of it — copy, work, swap — holds the database's write lock (``data.locks``):
    a second import or a rebuild meanwhile would copy the same old file, and one of the two
    swaps would throw the other's changes away. Failures of the disk or of the database file
    become an :class:`ImportError_` saying so in a sentence; the database is unchanged.
    """
    try:
        with database_lock(db_path, what, say):
            remove_dead_side_files(db_path)  # left by a build or import that was killed: never swapped in
            side = db_path.with_name(f"{db_path.name}.importing-{os.getpid()}")
            say("复制数据库（导入在副本上进行，完成后整体替换）", 0.02)
            con: duckdb.DuckDBPyConnection | None = None
            try:
                shutil.copyfile(db_path, side)
                try:
                    con = connect(side)
                except duckdb.Error as exc:
                    if disk_full(exc):
                        raise
                    raise ImportError_(UNREADABLE.format(db=db_path.name)) from exc
                con.execute("SET preserve_insertion_order = false")
                yield con
                con.execute("CHECKPOINT")
                con.close()
                say("替换数据库", 0.98)
                os.replace(side, db_path)
            finally:
                if con is not None:
                    discard(con, side)
                else:  # the copy failed (a full disk) or does not open: remove what was written
                    side.unlink(missing_ok=True)
    except (DatabaseBusy, BuildError) as exc:
        raise ImportError_(str(exc)) from exc
    except (OSError, duckdb.Error) as exc:
        if disk_full(exc):
            raise ImportError_(DISK_FULL.format(folder=db_path.parent, what="导入")) from exc
        log.exception("import into %s failed", db_path)
        raise ImportError_(f"导入时读写数据库出错，本次未导入，数据库未改动：{type(exc).__name__}: {exc}") from exc


def import_ledger(db_path: Path | str, file_path: Path | str, table: str, crs: str = "auto",
                  headers: dict[str, str] | None = None, progress: Progress | None = print_progress,
                  steps: Sequence[Step] = (), values: dict[str, dict[str, str]] | None = None,
                  header_row: int | None = None) -> ImportResult:
    """Import one ledger file (xlsx or csv) into ``table`` of the database at ``db_path``.

    Parameters
    ----------
    crs : coordinate system of the file's coordinates (enterprise, incident tables);
        ``auto`` tells it from the values and from a system the headers name
    headers : saved mapping from the file's own headers to columns, for headers the
        importer does not know
    values : per column, the file's own values mapped to allowed ones
    header_row : the spreadsheet row (from 1) of the headers; None finds it
    steps : run on the new database before the swap (``riskmap.pipeline`` passes the
        aggregates and the risk scores, so the maps and lists reflect the import)

    Raises
    ------
    ImportError_
        The file cannot be imported at all (unreadable, a required column missing, unknown
        table...). Nothing was changed.
    """
    db_path, file_path = Path(db_path), Path(file_path)
    if table not in IMPORTABLE:
        raise ImportError_(f"不能导入到“{table}”：可导入的表为 " + "、".join(IMPORTABLE))
    if not db_path.exists():
        raise ImportError_(NO_DATABASE.format(db=db_path))
    if not file_path.exists():
        raise ImportError_(f"{file_path.name}: 文件不存在")
    try:
        crs = check_crs_name(crs)
    except CRSNameError as exc:
        raise ImportError_(str(exc)) from exc
    spec = T.TABLES_BY_NAME[table]
    say = progress or (lambda stage, fraction: None)
    t0 = time.perf_counter()
    label = without_hidden(file_path.name)  # recorded as the rows' source_file
    with _working_copy(db_path, say, f"导入{spec.title}台账 {label}") as con:
        if not schema_is_current(con):
            raise ImportError_(f"数据库结构版本为 {schema_version(con) or '无'}，"
                               f"当前为 {T.SCHEMA_VERSION}：请先重建数据库")
        con.execute(f"ALTER TABLE {table} RENAME TO _old")
        # The file's rows are checked in memory (a temporary table of the same name, found
        # first) and written to the database once, by the merge.
        con.execute(T.table_ddl(spec).replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
        # The file's earlier issues are replaced by this import's.
        con.execute("DELETE FROM import_issue WHERE file = ?", [label])
        con.execute("DELETE FROM import_file WHERE file = ?", [label])
        report = BuildReport(db_path=db_path)
        entry = {"path": file_path.name, "crs": crs, "headers": headers or {}, "values": values or {},
                 "header_row": header_row}
        try:
            match = load_ledger(con, file_path.parent, spec, entry, report, say, 0.10)
        except (ImportFileError, CRSNameError) as exc:
            raise ImportError_(str(exc)) from exc
        _finish_file_reports(con, report)  # counts the file's own rows, before they are merged
        say("与已有数据合并（按主键新增或更新）", 0.75)
        _keep_what_the_file_lacks(con, spec, set(match.source), label)
        inserted, updated, unchanged = _upsert(con, spec)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('last_import', ?)",
                    [dt.datetime.now().isoformat(timespec="seconds")])
        for i, step in enumerate(steps):
            say(step.label, 0.8 + 0.15 * i / max(1, len(steps)))
            step.run(con)
        issues = con.execute("SELECT file, row, column_name, value, severity, code, reason FROM import_issue "
                             "WHERE file = ? ORDER BY row, column_name", [label]).df()
        actions = con.execute("SELECT * FROM _actions ORDER BY row").df()
        fr: FileReport = report.files[-1]
        result = ImportResult(label, table, fr.crs, fr.rows_read, fr.accepted, fr.rejected, fr.warnings,
                              inserted, updated, unchanged, time.perf_counter() - t0, issues, actions)
        if not result.balanced:
            raise ImportError_(f"{label}: 读取 {fr.rows_read} 行，但接受 {fr.accepted} + 拒绝 {fr.rejected} 不相等")
    say("完成", 1.0)
    return result


def import_boundary_layer(db_path: Path | str, file_path: Path | str, table: str, crs: str | None = None,
                          progress: Progress | None = print_progress, steps: Sequence[Step] = (),
                          headers: dict[str, str] | None = None,
                          values: dict[str, dict[str, str]] | None = None) -> ImportResult:
    """Replace a boundary layer (county, township, grid or park) with a GeoJSON, zipped
    Shapefile or GeoPackage, then place every enterprise and incident again and refresh what
    is derived — on a copy, swapped in at the end, like :func:`import_ledger`.

    ``crs`` None (or ``auto``) takes the file's own (.prj, GeoPackage), else tells it from the
    vertices; else it is declared. ``headers`` maps the file's attribute names to columns.
    A layer in which no feature is usable is refused: it would leave the city without that
    geography. Replacing the county layer of a city without townships replaces the areas
    every screen shows; a township layer takes their place from the counties.
    """
    db_path, file_path = Path(db_path), Path(file_path)
    if table not in BOUNDARIES:
        raise ImportError_(f"不能作为边界导入“{table}”：边界图层为 " + "、".join(BOUNDARIES))
    if not db_path.exists():
        raise ImportError_(NO_DATABASE.format(db=db_path))
    if not file_path.exists():
        raise ImportError_(f"{file_path.name}: 文件不存在")
    spec = T.TABLES_BY_NAME[table]
    say = progress or (lambda stage, fraction: None)
    t0 = time.perf_counter()
    with _working_copy(db_path, say, f"导入{spec.title}边界 {file_path.name}") as con:
        before = scalar(con, f"SELECT count(*) FROM {table}")
        con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM import_issue WHERE file = ?", [file_path.name])
        con.execute("DELETE FROM import_file WHERE file = ?", [file_path.name])
        report = BuildReport(db_path=db_path)
        entry = {"path": file_path.name, "headers": headers or {}, "values": values or {},
                 **({"crs": crs} if crs else {})}
        say(f"读取边界：{file_path.name}", 0.1)
        try:
            import_boundaries(con, file_path.parent, spec, entry, report)
        except (ImportFileError, CRSNameError) as exc:
            raise ImportError_(str(exc)) from exc
        _finish_file_reports(con, report)
        fr: FileReport = report.files[-1]
        if fr.accepted == 0:
            raise ImportError_(f"{file_path.name}: 没有一个可用的面要素，未替换{spec.title}边界")
        derive_units(con)
        say("按新边界重新落点企业与事故", 0.5)
        place_again(con)
        for i, step in enumerate(steps):
            say(step.label, 0.8 + 0.15 * i / max(1, len(steps)))
            step.run(con)
        issues = con.execute("SELECT file, row, column_name, value, severity, code, reason FROM import_issue "
                             "WHERE file = ? ORDER BY row", [file_path.name]).df()
        result = ImportResult(fr.file, table, fr.crs, fr.rows_read, fr.accepted, fr.rejected, fr.warnings,
                              inserted=fr.accepted, updated=0, unchanged=0, seconds=time.perf_counter() - t0,
                              issues=issues, replaced=int(before))
    say("完成", 1.0)
    return result


def load_header_maps(path: Path) -> dict[str, dict[str, str]]:
    """Saved header mappings, per table: {table: {file header: column name}}."""
    import json

    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t: {str(k): str(v) for k, v in m.items()} for t, m in data.items() if isinstance(m, dict)}


def save_header_map(path: Path, table: str, mapping: dict[str, str]) -> None:
    """Add ``mapping`` to the saved ones of ``table`` (written atomically)."""
    import json

    spec = T.TABLES_BY_NAME[table]
    valid = {c.name for c in spec.imported}
    bad = [v for v in mapping.values() if v not in valid]
    if bad:
        raise ValueError(f"unknown columns of {table}: {bad}")
    maps = load_header_maps(path)
    maps[table] = {**maps.get(table, {}), **mapping}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(maps, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def upload_failed(exc: OSError, folder: Path) -> ImportError_:
    """Why an uploaded file could not be written into ``folder`` (a full disk, permissions)."""
    if disk_full(exc):
        return ImportError_(DISK_FULL.format(folder=folder, what="保存上传的文件"))
    return ImportError_(f"无法保存上传的文件（{folder}）：{exc.strerror or exc}")


def safe_upload_name(name: str) -> str:
    """A file name safe to write: no folders, no control or reserved characters, extension kept."""
    base = Path(name.replace("\\", "/")).name
    clean = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/|?*').strip(" .")
    return clean[:120] or "upload.xlsx"


def unknown_values_of(table: pa.Table, spec: T.Table, headers: dict[str, str] | None = None,
                      values: dict[str, dict[str, str]] | None = None) -> dict[str, list[tuple[str, int]]]:
    """Before importing: per enumerated column, the values of a file read by ``read_sheet`` that
    the importer does not know (neither allowed, nor a synonym, nor in ``values``), with how
    many rows carry each — for the page to ask what they mean. Empty if the headers cannot be
    read (the import says why)."""
    import duckdb

    from data.headers import map_headers
    from data.valuemaps import unknown_values

    try:
        renamed, _ = map_headers(table, spec, "", headers)
    except ImportFileError:
        return {}
    con = duckdb.connect()
    try:
        con.register("_preview", renamed)
        return unknown_values(con, "_preview", spec, values)
    finally:
        con.close()
