"""Build the database from a folder of import files, atomically.

The build writes a new DuckDB file beside the live one and moves it into place only when
every step has succeeded, so a failed or interrupted build leaves the previous database
exactly as it was, and viewers holding the old file keep reading it.

Steps: boundaries → enterprises (validate, coordinates to WGS-84, H3 cells, township/grid/park
by point-in-polygon) → inspections, hazards, enforcement, incidents → area aggregates.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from data import tables as T
from data import vocab
from data.headers import HeaderMatch, apply_units, header_score, map_headers, orient_coordinates
from data.locks import DatabaseBusy, database_lock
from data.manifest import ManifestError
from data.manifest import read_manifest as _read_manifest
from data.queries import scalar
from data.readers import ROW, ImportFileError, read_boundary_file, read_sheet, without_hidden
from data.validate import (
    CHINA_BOX,
    Extra,
    convert_coordinates,
    drop_validation,
    issue_rows,
    issue_rows_each,
    lit,
    one_of,
    q,
    strip_hidden,
    validate_staged,
)
from geo import h3cells
from geo.crs import CRSNameError, check_crs_name, geometries_to_wgs84
from geo.spatial import CellIndex, load_spatial, points_in_polygons

if TYPE_CHECKING:
    import geopandas as gpd

Progress = Callable[[str, float], object]  # what it returns is not used


class BuildError(RuntimeError):
    """The build could not finish; the previous database is untouched."""


@dataclass
class FileReport:
    file: str
    table: str
    crs: str
    rows_read: int
    accepted: int
    rejected: int
    warnings: int


@dataclass
class BuildReport:
    db_path: Path
    files: list[FileReport] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    unplaced_enterprises: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return sum(self.timings_s.values())


def read_manifest(source_dir: Path) -> dict:
    """The folder's manifest (``data.manifest``), or defaults if it has none."""
    try:
        return _read_manifest(source_dir)
    except ManifestError as exc:
        raise BuildError(str(exc)) from exc


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a database with spatial loaded."""
    con = duckdb.connect(str(path), read_only=read_only)
    load_spatial(con)
    return con


#: Snapshots younger than this are never pruned (another session may be about to open one).
SNAPSHOT_GRACE_S = 600


def open_snapshot(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database file as it is now.

    A rebuild or an import replaces the file with ``os.replace``. DuckDB keeps one instance
    per path in a process, so a second ``connect`` to the same path would return the old,
    replaced file while any connection to it is open. Each version is therefore opened
    through its own hard link (``.snapshots/<name>-<inode>-<mtime>``): new sessions see the
    new file, sessions mid-query keep the old one until they finish, and links of older
    versions are removed (their data stays readable to whoever still has them open).
    """
    db_path = Path(db_path)
    st = os.stat(db_path)
    folder = db_path.parent / ".snapshots"
    folder.mkdir(exist_ok=True)
    link = folder / f"{db_path.stem}-{st.st_ino}-{st.st_mtime_ns}{db_path.suffix}"
    try:
        os.link(db_path, link)
    except FileExistsError:
        pass
    except OSError:  # no hard links here (some network drives): open the file itself
        return connect(db_path, read_only=True)
    now = time.time()
    for old in folder.glob(f"{db_path.stem}-*{db_path.suffix}"):
        try:
            info = old.stat()
            # Only this link is left (the database moved on) for a while (ctime: when it lost its name).
            if old != link and info.st_nlink == 1 and now - info.st_ctime > SNAPSHOT_GRACE_S:
                old.unlink()
        except FileNotFoundError:
            pass
    try:
        return connect(link, read_only=True)
    except duckdb.IOException:  # replaced and pruned between stat and connect: take the new one
        return connect(db_path, read_only=True)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the data model and record the schema version."""
    for table in T.TABLES:
        con.execute(T.table_ddl(table))
    for ddl in T.META_DDL:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(T.SCHEMA_VERSION)])


def print_progress(stage: str, fraction: float) -> None:
    print(f"[{fraction * 100:5.1f}%] {stage}", flush=True)


@dataclass(frozen=True)
class Step:
    """Work run on the new database before it replaces the old one (aggregates, scores)."""

    name: str
    label: str
    run: Callable[[duckdb.DuckDBPyConnection], object]


def build_database(
    source_dir: Path | str,
    db_path: Path | str,
    progress: Progress | None = print_progress,
    memory_limit: str = "3GB",
    steps: Sequence[Step] = (),
    manifest: dict | None = None,
) -> BuildReport:
    """Build ``db_path`` from the import files in ``source_dir``.

    Parameters
    ----------
    source_dir : path
        Folder with a ``manifest.json`` (or the default file names).
    db_path : path
        The database to replace. It is replaced only if the whole build succeeds.
    progress : callable(stage, fraction) or None
        Called as each step starts.
    steps : sequence of Step
        Run in order on the new database after the tables are loaded, inside the same
        atomic build (``riskmap.pipeline`` adds the aggregates and the risk scores).
    manifest : dict, optional
        Use this manifest (checked like a file's) instead of the folder's ``manifest.json``;
        paths in it are relative to ``source_dir`` or absolute.

    Returns
    -------
    BuildReport
        Per-file counts (rows read = accepted + rejected) and per-stage timings in seconds.

    Raises
    ------
    BuildError
        A file cannot be imported at all; the message names the file and the problem.
    """
    source_dir, db_path = Path(source_dir), Path(db_path)
    manifest = read_manifest(source_dir) if manifest is None else _checked_manifest(manifest, source_dir)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f"{db_path.name}.building-{os.getpid()}")
    report = BuildReport(db_path=db_path)
    say = progress or (lambda stage, fraction: None)
    try:
        # One writer at a time: an import swapping in its copy meanwhile would be lost, or lose this.
        with database_lock(db_path, "重建数据库", say):
            remove_dead_side_files(db_path)
            con = connect(tmp)
            try:
                con.execute(f"SET memory_limit = '{memory_limit}'")
                con.execute("SET preserve_insertion_order = false")
                con.execute("SET enable_progress_bar = false")
                _build(con, source_dir, manifest, report, say, steps)
                con.execute("CHECKPOINT")
                con.close()
                os.replace(tmp, db_path)
            finally:
                discard(con, tmp)
    except (ImportFileError, CRSNameError, DatabaseBusy) as exc:
        raise BuildError(str(exc)) from exc
    except (OSError, duckdb.Error) as exc:
        if not disk_full(exc):
            raise
        raise BuildError(DISK_FULL.format(folder=db_path.parent, what="建库")) from exc
    say("完成", 1.0)
    return report


#: Said when the disk filled up during a build or an import (the database is as it was).
DISK_FULL = "磁盘空间不足（{folder}），{what}未完成，原数据库未改动：请清理磁盘（至少留出数据库大小两倍的空间）后再试"


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full: ENOSPC (or EDQUOT), or DuckDB's text for it."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, duckdb.Error) and ("No space left on device" in str(exc) or "Disk quota" in str(exc))


def _checked_manifest(manifest: dict, source_dir: Path) -> dict:
    """A manifest given as data, checked by the same declarations as a file's."""
    from data.manifest import check_manifest

    try:
        return check_manifest(manifest, source_dir, defaults=False)
    except ManifestError as exc:
        raise BuildError(str(exc)) from exc


def remove_dead_side_files(db_path: Path) -> None:
    """Remove side files (``<db>.building-<pid>``, ``<db>.importing-<pid>``) whose process is
    gone — left by a build or import that was killed; never swapped in, safe to delete. Those
    of a process still running are its work in progress and stay."""
    for side in db_path.parent.glob(f"{db_path.name}.*-*"):
        kind, _, rest = side.name[len(db_path.name) + 1:].partition("-")
        pid = rest.split(".", 1)[0]
        if kind not in ("building", "importing") or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:  # exists, under another user
            alive = True
        if not alive or int(pid) == os.getpid():  # our own: a leftover of this process
            side.unlink(missing_ok=True)


def discard(con: duckdb.DuckDBPyConnection, side: Path) -> None:
    """Close ``con`` and remove the side file it wrote (and its WAL) — after a successful
    swap there is nothing left to remove; after a failure the real database was never touched."""
    try:
        con.close()
    except duckdb.Error:
        pass
    side.unlink(missing_ok=True)
    Path(str(side) + ".wal").unlink(missing_ok=True)


class _Timer:
    def __init__(self, report: BuildReport, say: Progress, fraction: float, stage: str, label: str):
        self.report, self.stage = report, stage
        say(label, fraction)

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.report.timings_s[self.stage] = (
            self.report.timings_s.get(self.stage, 0.0) + time.perf_counter() - self.t0
        )


def _build(con: duckdb.DuckDBPyConnection, source_dir: Path, manifest: dict, report: BuildReport, say: Progress,
           steps: Sequence[Step]) -> None:
    create_schema(con)
    files = manifest["files"]
    with _Timer(report, say, 0.02, "boundaries", "读取边界（区县、乡镇、网格、园区）"):
        for name in ("county", "township", "grid", "park"):
            if name in files:
                import_boundaries(con, source_dir, T.TABLES_BY_NAME[name], files[name], report)
        derive_units(con)
    for i, spec in enumerate((T.ENTERPRISE, T.INSPECTION, T.HAZARD, T.ENFORCEMENT, T.INCIDENT, T.INSPECTOR,
                                T.RECHECK)):
        if spec.name in files:
            load_ledger(con, source_dir, spec, files[spec.name], report, say, 0.10 if i == 0 else 0.50 + 0.08 * (i - 1))
    _finish_file_reports(con, report)
    meta = {
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "source": str(manifest.get("name", source_dir.name)),
        "illustrative": "1" if manifest.get("illustrative") else "0",
        "data_note": str(manifest.get("data_note", "")),
        "as_of": str(manifest.get("as_of", "")),
        "city_name": str(manifest.get("city_name", "")),
    }
    con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
    report.meta = meta | {"unit_level": unit_level(con)}
    for i, step in enumerate(steps):
        with _Timer(report, say, 0.90 + 0.08 * i / max(1, len(steps)), step.name, step.label):
            step.run(con)


#: The kind given to a county standing in for townships (a city with only 区县 outlines).
COUNTY_UNIT_KIND = "区县"


def derive_units(con: duckdb.DuckDBPyConnection) -> None:
    """Make the finest administrative level present stand in for townships, and fill the
    references the boundary files left out.

    Every screen, score and export reads the ``township`` table as "the areas the city is
    divided into". A city that has only county outlines gets its counties there, with their
    own codes and kind 区县 (``meta.unit_level = county``); when a township layer arrives it
    replaces them. A township's county is taken from its code (the first 6 digits of a 9- or
    12-digit code) or, failing that, from the county polygon holding it; a grid's township
    from the township polygon holding it.
    """
    real = scalar(con, f"SELECT count(*) FROM township WHERE kind IS DISTINCT FROM '{COUNTY_UNIT_KIND}'")
    if not real:
        con.execute("DELETE FROM township")
        con.execute(f"""INSERT INTO township (code, name, county_code, kind, geom)
                        SELECT code, name, code, '{COUNTY_UNIT_KIND}', geom FROM county""")
    con.execute("""UPDATE township SET county_code = left(code, 6)
                   WHERE county_code IS NULL AND length(code) >= 9
                     AND (NOT EXISTS (SELECT 1 FROM county) OR left(code, 6) IN (SELECT code FROM county))""")
    con.execute("""UPDATE township SET county_code = (
                     SELECT c.code FROM county c WHERE ST_Contains(c.geom, ST_PointOnSurface(township.geom)) LIMIT 1)
                   WHERE county_code IS NULL""")
    # A grid without a township, or naming one the layer no longer has (counties that stood
    # in gave way to townships), is placed by its polygon.
    con.execute("""UPDATE grid SET township_code = (
                     SELECT t.code FROM township t WHERE ST_Contains(t.geom, ST_PointOnSurface(grid.geom)) LIMIT 1)
                   WHERE township_code IS NULL OR township_code NOT IN (SELECT code FROM township)""")
    level = "county" if not real and scalar(con, "SELECT count(*) FROM county") else "township"
    con.execute("INSERT OR REPLACE INTO meta VALUES ('unit_level', ?)", [level])


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The schema version the database was built with (None: not one of ours)."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:  # no meta table
        return None
    return str(row[0]) if row else None


def schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database has this code's schema (else it must be rebuilt from its files)."""
    return schema_version(con) == str(T.SCHEMA_VERSION)


def unit_level(con: duckdb.DuckDBPyConnection) -> str:
    """``county`` when counties stand in for townships, else ``township``."""
    row = con.execute("SELECT value FROM meta WHERE key = 'unit_level'").fetchone()
    return row[0] if row else "township"


def load_ledger(con: duckdb.DuckDBPyConnection, source_dir: Path, spec: T.Table, entry: dict, report: BuildReport,
                say: Progress, fraction: float) -> HeaderMatch:
    """Read, check and write one ledger file into ``spec``'s table (which must be there).

    ``entry`` is the file's manifest entry (``data.manifest.FILE_KEYS``): ``path`` (relative to
    ``source_dir``), ``crs`` for tables with coordinates, and optionally ``headers`` (the
    file's own headers mapped to columns), ``values`` (its own values mapped to allowed ones)
    and ``header_row``. Returns how the file's headers were read (which columns it has).
    """
    if any(c.kind == "lon" for c in spec.columns):
        return _import_located(con, source_dir, spec, entry, report, say, fraction)
    # No coordinates: typed, checked and written in one pass into the final table.
    stg, match, _ = _load_ledger(con, source_dir, spec, entry, report, say, fraction)
    with _Timer(report, say, fraction + 0.04, "validate_write", f"校验并写入{spec.title}"):
        validate_staged(con, stg, spec, _label(entry), "—", [], direct=True, **_value_map(entry))
    _release(con, spec)
    return match


def _label(entry: dict) -> str:
    """The name a file is reported and recorded under (``source_file``): its path in the
    import folder, or its name if it was given by an absolute path."""
    path = Path(entry["path"])
    return without_hidden(path.name if path.is_absolute() else str(entry["path"]))


def _value_map(entry: dict) -> dict:
    return {"value_map": entry["values"]} if entry.get("values") else {}


#: Why a row that is not a record was skipped, by the reader's kind of row.
SKIPPED_REASONS = {
    "title": "标题行，不是记录，已跳过",
    "note": "表头上方的说明行（填报单位、日期或分组表头等），不是记录，已跳过",
    "blank": "空行，已跳过",
    "repeated_header": "重复的表头行，不是记录，已跳过",
    "total": "合计行，不是记录，已跳过",
    "footer": "表尾（填表人、审核人等），不是记录，已跳过",
    "section": "分组标题或小计行（如“一、某某区”“某某区小计”），不是记录，已跳过",
    "numbering": "表头下的列序号行（甲、乙、丙或 1、2、3），不是记录，已跳过",
}
SYSTEMS_COMPATIBLE = {
    "gcj02": ("gcj02",),
    "bd09": ("bd09",),
    "EPSG:4326": ("EPSG:4326", "EPSG:4490"),
    # CGCS2000 in degrees or in any of its Gauss-Kruger zones
    "cgcs2000": ("EPSG:4490", "EPSG:4326", *(f"EPSG:{n}" for n in range(4491, 4555))),
}


def _file_issue(con: duckdb.DuckDBPyConnection, file: str, table: str, row: int | None, column: str, value: str,
                severity: str, code: str, reason: str) -> None:
    con.execute("INSERT INTO import_issue VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [file, table, row, column, value, severity, code, reason])


def _header_issues(con: duckdb.DuckDBPyConnection, file: str, spec: T.Table, header_row: int,
                   match: HeaderMatch) -> None:
    """What the header row told us, in the import report (warnings keep every row)."""
    for h in match.unknown:
        _file_issue(con, file, spec.name, header_row, h, h, "warning", "unknown_header",
                    "未识别的列，已忽略（导入时可对应到某一列，或用 --headers）")
    for h, winner, col in match.shadowed:
        _file_issue(con, file, spec.name, header_row, h, h, "warning", "shadowed_header",
                    f"与“{winner}”都对应“{spec.column(col).header}”，已使用“{winner}”，本列忽略")


def _load_ledger(con: duckdb.DuckDBPyConnection, source_dir: Path, spec: T.Table, entry: dict, report: BuildReport,
                 say: Progress, fraction: float) -> tuple[str, HeaderMatch, int]:
    """Read a ledger into a registered staging table; returns its name, how its headers were
    read and the header's row (file-level notes are reported on that row)."""
    file = _label(entry)
    with _Timer(report, say, fraction, "load", f"读取{spec.title}：{file}"):
        path = source_dir / entry["path"]
        if not path.exists():
            raise ImportFileError(file, "文件不存在")
        try:
            sheet = read_sheet(path, entry.get("header_row"), header_score(spec))
        except ImportFileError as exc:
            raise ImportFileError(file, exc.message) from exc
        table, match = map_headers(sheet.table, spec, file, entry.get("headers"))
        _header_issues(con, file, spec, sheet.header_row, match)
        if sheet.detected and sheet.header_row > 1:
            _file_issue(con, file, spec.name, sheet.header_row, "", "", "info", "header_row",
                        f"表头在第 {sheet.header_row} 行（自动识别；如不对，可指定表头所在行）")
        for skipped in sheet.skipped:
            _file_issue(con, file, spec.name, skipped.row, "", skipped.text, "info", "skipped_row",
                        SKIPPED_REASONS.get(skipped.kind, "不是记录，已跳过"))
        if any(c.kind == "lon" for c in spec.columns):
            table, why = orient_coordinates(table)
            if why:
                _file_issue(con, file, spec.name, sheet.header_row, spec.column("lon").header,
                            f"{match.source.get('lon')} / {match.source.get('lat')}", "warning", "xy_oriented", why)
        table, notes = apply_units(table, spec, match)
        for note in notes:
            _file_issue(con, file, spec.name, sheet.header_row, "", "", "warning", "unit_converted", note)
        table = strip_hidden(con, table, spec, file)
        # Registered, not copied: validation reads the Arrow table in place.
        stg = f"_stg_{spec.name}"
        con.register(stg, table)
        has_xy = any(c.kind == "lon" for c in spec.columns)
        report.files.append(FileReport(file, spec.name, check_crs_name(entry.get("crs", "auto")) if has_xy else "—",
                                       table.num_rows, 0, 0, 0))
    return stg, match, sheet.header_row


def _ledger_crs(con: duckdb.DuckDBPyConnection, stg: str, spec: T.Table, file: str, entry: dict, match: HeaderMatch,
                header_row: int) -> str:
    """The coordinate system of a located ledger: declared, else told from its values and from a
    system its coordinate headers name (经度(GCJ-02), X坐标(2000)); what was used and why is
    written into the import report."""
    from data.validate import clean_sql, value_expr
    from geo.crs import CRSDetectionError, detect_crs

    declared = check_crs_name(entry.get("crs", "auto"))
    hint: tuple[str, str] | None = None  # (system a coordinate header names, that header)
    for c in ("lon", "lat"):
        named = match.hints[c].crs if c in match.hints else None
        if named and hint is None:
            hint = (named, match.source[c])
    lon_header = spec.column("lon").header

    def note(code: str, value: str, reason: str) -> None:
        _file_issue(con, file, spec.name, header_row, lon_header, value, "warning", code, reason)

    if declared != "auto":
        if hint and declared not in SYSTEMS_COMPATIBLE[hint[0]]:
            note("crs_hint", hint[1], f"表头“{hint[1]}”写明坐标系为 {hint[0]}，但导入时声明为 {declared}，按声明处理")
        return declared
    xv = value_expr(spec.column("lon"), clean_sql(q("lon")))
    yv = value_expr(spec.column("lat"), clean_sql(q("lat")))
    xy = con.execute(f"SELECT {xv} AS x, {yv} AS y FROM {stg} USING SAMPLE 5000 ROWS").fetchnumpy()
    centre = con.execute("SELECT avg(ST_X(ST_Centroid(geom))) FROM township").fetchone()
    try:
        # Blank cells come back masked: they are no coordinates, not zeros.
        crs, why = detect_crs(np.ma.filled(np.ma.asarray(xy["x"], dtype=float), np.nan),
                              np.ma.filled(np.ma.asarray(xy["y"], dtype=float), np.nan), centre[0] if centre else None)
    except CRSDetectionError as exc:
        if hint and hint[0] in ("gcj02", "bd09"):
            crs, why = hint[0], ""
        else:
            raise ImportFileError(file, str(exc)) from exc
    if hint:
        if crs in ("EPSG:4326", "EPSG:4490") and hint[0] in ("gcj02", "bd09", "cgcs2000"):
            crs = "EPSG:4490" if hint[0] == "cgcs2000" else hint[0]
            why = f"数值为经纬度，表头“{hint[1]}”写明坐标系，按 {crs} 处理"
        elif crs not in SYSTEMS_COMPATIBLE[hint[0]]:
            why += f"（表头“{hint[1]}”写的是 {hint[0]}，与数值不符，按数值判断）"
        else:
            why += f"（与表头“{hint[1]}”一致）"
    note("crs_detected", crs, f"坐标系自动判断为 {crs}：{why}")
    return crs


def _import_located(con: duckdb.DuckDBPyConnection, source_dir: Path, spec: T.Table, entry: dict, report: BuildReport,
                    say: Progress, fraction: float) -> HeaderMatch:
    """Enterprises and incidents: coordinates, H3 cells and placement, then one typed write."""
    file = _label(entry)
    stg, match, header_row = _load_ledger(con, source_dir, spec, entry, report, say, fraction)
    crs = _ledger_crs(con, stg, spec, file, entry, match, header_row)
    report.files[-1].crs = crs
    with _Timer(report, say, fraction + 0.05, "coordinates", f"坐标换算为 WGS-84（{crs}）"):
        rows, lon, lat = convert_coordinates(con, stg, spec, file, crs)
    with _Timer(report, say, fraction + 0.08, "h3", "计算 H3 网格（7、8、9 级）"):
        cols = {ROW: pa.array(rows, pa.int32()), "lon": lon, "lat": lat}
        for res in h3cells.RESOLUTIONS:
            cols[f"h3_r{res}"] = pa.array(h3cells.latlng_to_cells(lat, lon, res), pa.uint64())
        con.register("_pts_arrow", pa.table(cols))
        con.execute("CREATE OR REPLACE TEMP TABLE _pts AS SELECT * FROM _pts_arrow")
        con.unregister("_pts_arrow")
    with_park = spec is T.ENTERPRISE
    with _Timer(report, say, fraction + 0.12, "spatial_join",
                "落点到乡镇、网格、园区" if with_park else "落点到乡镇、网格"):
        _place(con, spec, with_park)
    placed = {"lon": "p.lon", "lat": "p.lat", "township_code": "p.township_code",
              "grid_id": "p.grid_id", "h3_r7": "p.h3_r7", "h3_r8": "p.h3_r8", "h3_r9": "p.h3_r9"}
    if with_park:
        high = one_of(f"t.{q('v_industry')}", vocab.HIGH_FIRE_RISK_INDUSTRIES)
        placed |= {"park_id": "p.park_id", "high_fire_risk": f"coalesce({high}, false)"}
    extra = Extra(f"LEFT JOIN _place_{spec.name} p ON p.{ROW} = t.{ROW}", placed)
    with _Timer(report, say, fraction + 0.18, "validate_write", f"校验并写入{spec.title}"):
        validate_staged(con, stg, spec, file, crs, [], direct=True, extra=extra, **_value_map(entry))
        unplaced = _report_unplaced(con, spec, file)
    if with_park:
        report.unplaced_enterprises = unplaced
    _release(con, spec)
    return match


def _release(con: duckdb.DuckDBPyConnection, spec: T.Table) -> None:
    """Free a ledger's staging and validation tables once its rows are written."""
    drop_validation(con, spec)
    con.execute(f"DROP TABLE IF EXISTS _place_{spec.name}")
    con.unregister(f"_stg_{spec.name}")


def _place(con: duckdb.DuckDBPyConnection, spec: T.Table, with_park: bool) -> None:
    """``_place_<table>``: per row, WGS-84 coordinates, H3 cells, township, grid (and park)."""
    # Through the points' H3 r9 cells: only points in cells crossing a boundary are tested.
    cells = CellIndex(con, "_pts", "h3_r9")
    points_in_polygons(con, "_pts", "township", "_tw", ROW, "code", cells=cells)
    points_in_polygons(con, "_pts", "grid", "_gr", ROW, "grid_id", cells=cells)
    if with_park:
        points_in_polygons(con, "_pts", "park", "_pk", ROW, "park_id", cells=cells)
    park = "pk.park_id" if with_park else "NULL::VARCHAR"
    park_join = f"LEFT JOIN _pk pk ON pk.{ROW} = h.{ROW}" if with_park else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _place_{spec.name} AS
        SELECT h.*, tw.code AS township_code, gr.grid_id, {park} AS park_id
        FROM _pts h LEFT JOIN _tw tw ON tw.{ROW} = h.{ROW} LEFT JOIN _gr gr ON gr.{ROW} = h.{ROW}
        {park_join}"""
    )
    for t in ("_tw", "_gr", "_pk", "_pts"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def place_again(con: duckdb.DuckDBPyConnection) -> None:
    """After a boundary layer has been replaced: place every enterprise and incident again from
    its stored WGS-84 coordinates (township, grid, park), and write the "outside" warnings anew,
    each naming the row's own source file and row."""
    for spec, with_park in ((T.ENTERPRISE, True), (T.INCIDENT, False)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _pts AS SELECT rowid AS {ROW}, lon, lat, h3_r9 FROM {spec.name} "
                    "WHERE lon IS NOT NULL")
        _place(con, spec, with_park)
        cols = ["township_code", "grid_id", *(["park_id"] if with_park else [])]
        con.execute(f"""CREATE TABLE _replaced AS
            SELECT t.* REPLACE ({", ".join(f"p.{c} AS {c}" for c in cols)})
            FROM {spec.name} t LEFT JOIN _place_{spec.name} p ON p.{ROW} = t.rowid""")
        con.execute(f"DROP TABLE {spec.name}")
        con.execute(f"ALTER TABLE _replaced RENAME TO {spec.name}")
        con.execute(f"DROP TABLE _place_{spec.name}")
        con.execute("DELETE FROM import_issue WHERE table_name = ? AND code IN ('outside_townships', 'outside_grids')",
                    [spec.name])
        lon_header = spec.column("lon").header
        con.execute(
            f"""INSERT INTO import_issue
            SELECT source_file, {lit(spec.name)}, source_row, {lit(lon_header)}, lon || ',' || lat, 'warning',
                   CASE WHEN township_code IS NULL THEN 'outside_townships' ELSE 'outside_grids' END,
                   CASE WHEN township_code IS NULL THEN {lit(_outside_reason(con))}
                        ELSE '坐标在{_unit_word(con)}内但不在任何网格内，已保留但未归属网格' END
            FROM {spec.name} WHERE lon IS NOT NULL AND (township_code IS NULL
              OR (grid_id IS NULL AND EXISTS (SELECT 1 FROM grid)))""")


def _unit_word(con: duckdb.DuckDBPyConnection) -> str:
    return "区县" if unit_level(con) == "county" else "乡镇（街道）"


def _outside_reason(con: duckdb.DuckDBPyConnection) -> str:
    word = _unit_word(con)
    return f"坐标不在任何{word}边界内，已保留但未归属{word.removesuffix('（街道）')}（不会被挪到最近的边界里）"


def _report_unplaced(con: duckdb.DuckDBPyConnection, spec: T.Table, file: str) -> int:
    """Warn about rows with coordinates that fall in no township (or no grid)."""
    lon_header = spec.column("lon").header
    con.execute(
        f"""INSERT INTO import_issue
        SELECT {lit(file)}, {lit(spec.name)}, source_row, {lit(lon_header)},
               lon || ',' || lat, 'warning', 'outside_townships',
               {lit(_outside_reason(con))}
        FROM {spec.name} WHERE lon IS NOT NULL AND township_code IS NULL"""
    )
    con.execute(
        f"""INSERT INTO import_issue
        SELECT {lit(file)}, {lit(spec.name)}, source_row, {lit(lon_header)},
               lon || ',' || lat, 'warning', 'outside_grids',
               '坐标在{_unit_word(con)}内但不在任何网格内，已保留但未归属网格'
        FROM {spec.name} WHERE township_code IS NOT NULL AND grid_id IS NULL
          AND EXISTS (SELECT 1 FROM grid)"""
    )
    return int(scalar(con, f"SELECT count(*) FROM {spec.name} WHERE lon IS NOT NULL AND township_code IS NULL"))


def _boundary_crs(gdf: gpd.GeoDataFrame, entry: dict, con: duckdb.DuckDBPyConnection, spec: T.Table,
                  file: str) -> tuple[gpd.GeoDataFrame, str]:
    """The coordinate system of a boundary file: declared, else the file's own (.prj, GeoPackage),
    else told from its vertices. Returns ``(gdf, crs name)``; a file whose system pyproj knows
    only as WKT is reprojected to WGS-84 here."""
    import shapely

    from geo.crs import CRSDetectionError, detect_crs

    declared = check_crs_name(entry["crs"]) if entry.get("crs") else "auto"
    if declared != "auto":
        return gdf, declared
    own = None
    if gdf.crs is not None:
        epsg = gdf.crs.to_epsg(min_confidence=70)
        if epsg is None:
            gdf = gdf.to_crs(4326)
            return gdf, "EPSG:4326"
        own = f"EPSG:{epsg}"
    coords = shapely.get_coordinates(gdf.geometry.values[:500])
    if own and not (own in ("EPSG:4326", "EPSG:4490") and len(coords)
                    and np.nanmedian(np.abs(coords[:, 0])) > 180):
        return gdf, own  # a GeoJSON claims WGS-84 by definition; its metres say otherwise
    centre = con.execute("SELECT avg(ST_X(ST_Centroid(geom))) FROM township").fetchone()
    try:
        crs, why = detect_crs(coords[:, 0], coords[:, 1], centre[0] if centre else None)
    except CRSDetectionError as exc:
        raise ImportFileError(file, f"{exc}（边界文件没有可用的坐标系说明，如 .prj）；请声明坐标系，如 --crs EPSG:4549"
                                    "（CGCS2000 3 度带、中央经线 120°E）或 --crs gcj02") from exc
    _file_issue(con, file, spec.name, 1, "几何", crs, "warning", "crs_detected", f"坐标系自动判断为 {crs}：{why}")
    return gdf, crs


def import_boundaries(con: duckdb.DuckDBPyConnection, source_dir: Path, spec: T.Table, entry: dict,
                       report: BuildReport) -> None:
    import shapely

    file = _label(entry)
    path = source_dir / entry["path"]
    if not path.exists():
        raise ImportFileError(file, "文件不存在")
    gdf = read_boundary_file(path)
    gdf, crs = _boundary_crs(gdf, entry, con, spec, file)
    attrs = pa.Table.from_pandas(gdf.drop(columns=gdf.geometry.name), preserve_index=False)
    attrs = attrs.cast(pa.schema([
        pa.field(n, pa.int32() if n == ROW else pa.string()) for n in attrs.column_names
    ]))
    attrs, match = map_headers(attrs, spec, file, entry.get("headers"))
    _header_issues(con, file, spec, 1, match)
    attrs = strip_hidden(con, attrs, spec, file)
    stg = f"_stg_{spec.name}"
    con.register(stg, attrs)
    report.files.append(FileReport(file, spec.name, crs, len(gdf), 0, 0, 0))

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    rows = gdf[ROW].to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    issue_rows(con, file, rows[missing], "几何", [""] * int(missing.sum()), "no_geometry",
               "没有几何图形", "error", spec.name)
    wrong = ~missing & ~polygonal
    issue_rows(con, file, rows[wrong], "几何", [str(shapely.get_type_id(g)) for g in geoms[wrong]],
               "not_polygon", "几何类型应为面（Polygon 或 MultiPolygon）", "error", spec.name)
    usable = ~missing & polygonal
    none = np.full(len(geoms), None, dtype=object)
    geoms = geometries_to_wgs84(np.where(usable, geoms, none), crs)
    usable &= _repaired(con, file, spec, rows, geoms, usable)
    usable &= _within_reach(con, file, spec, rows, geoms, usable)
    wkb = shapely.to_wkb(np.where(usable, geoms, none))
    con.register("_geom_arrow", pa.table({ROW: pa.array(rows, pa.int32()),
                                           "wkb": pa.array(list(wkb), pa.binary())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _geom AS SELECT * FROM _geom_arrow")
    con.unregister("_geom_arrow")

    ok = validate_staged(con, stg, spec, file, "EPSG:4326", [], **_value_map(entry))
    imported = [c.name for c in spec.imported]
    derived = ", kind" if spec is T.TOWNSHIP else ""
    kind_sql = ", " + vocab.township_kind_sql("o.code") if spec is T.TOWNSHIP else ""
    con.execute(
        f"""INSERT INTO {spec.name} ({", ".join(q(c) for c in imported)}{derived}, geom)
        SELECT {", ".join("o." + q(c) for c in imported)}{kind_sql}, ST_GeomFromWKB(g.wkb)
        FROM {ok} o JOIN _geom g ON g.{ROW} = o.{ROW} WHERE g.wkb IS NOT NULL"""
    )
    _release(con, spec)
    con.execute("DROP TABLE _geom")


def _polygonal(geom: object) -> object | None:
    """The polygonal part of a repaired geometry, as one Polygon or MultiPolygon; None if it has
    none (a polygon whose points all lie on a line repairs into lines)."""
    import shapely

    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6) and not shapely.is_empty(p)]
    if not parts:
        return None
    merged = parts[0] if len(parts) == 1 else shapely.union_all(parts)
    return merged if shapely.get_type_id(merged) in (3, 6) and not shapely.is_empty(merged) else None


def _repaired(con: duckdb.DuckDBPyConnection, file: str, spec: T.Table, rows: np.ndarray, geoms: np.ndarray,
              usable: np.ndarray) -> np.ndarray:
    """Repair invalid polygons in place (``make_valid``), keeping only what is polygonal: a
    spike repairs into a polygon plus a line, and a GEOMETRYCOLLECTION in a boundary layer
    breaks every map and export. Returns which features are still usable; a feature whose
    repair leaves nothing polygonal is refused with its row."""
    import shapely

    ok = np.ones(len(geoms), dtype=bool)
    invalid = np.flatnonzero(usable & ~shapely.is_valid(geoms))
    if not len(invalid):
        return ok
    why = [shapely.is_valid_reason(g) for g in geoms[invalid]]
    fixed = shapely.make_valid(geoms[invalid])
    kept: list[int] = []
    trimmed: list[int] = []
    for k, (i, g) in enumerate(zip(invalid, fixed)):
        part = _polygonal(g)
        if part is None:
            ok[i] = False
            continue
        geoms[i] = part
        kept.append(k)
        if shapely.get_type_id(g) not in (3, 6):
            trimmed.append(k)
    lost = [k for k in range(len(invalid)) if not ok[invalid[k]]]
    issue_rows(con, file, rows[invalid[lost]], "几何", [why[k] for k in lost], "no_polygon_after_repair",
               "几何图形不合法，修复后不再是面（如顶点都在一条线上），已拒绝", "error", spec.name)
    dropped = "，修复时产生的线或点已去掉，只保留面"
    reasons = ["几何图形不合法，已自动修复" + (dropped if k in trimmed else "") for k in kept]
    issue_rows_each(con, file, rows[invalid[kept]], "几何", [why[k] for k in kept], "invalid_geometry", reasons,
                    "warning", spec.name)
    return ok


#: How far a township, grid or park may reach beyond the layers above it: this many metres, or
#: half the larger side of their extent if that is more (a layer from another source may
#: overshoot an edge; one far away, or spanning the globe, is not of this city).
BOUNDARY_REACH_M = 20_000.0


def _reference_box(con: duckdb.DuckDBPyConnection, spec: T.Table) -> tuple[tuple[float, float, float, float], str]:
    """The box (min lon, max lon, min lat, max lat) a layer's features must lie in, and what it
    is, in words: the extent of the layers above (counties for townships; counties and
    townships for grids and parks) with :data:`BOUNDARY_REACH_M` around it; China's for the
    county layer and for the first layer of a city."""
    above = {"township": ("county",), "grid": ("county", "township"), "park": ("county", "township")}.get(spec.name)
    found = None
    if above:
        union = " UNION ALL ".join(f"SELECT geom FROM {t}" for t in above)
        found = con.execute(f"""SELECT min(ST_XMin(geom)), max(ST_XMax(geom)), min(ST_YMin(geom)), max(ST_YMax(geom))
                                FROM ({union}) WHERE geom IS NOT NULL""").fetchone()
    if not found or found[0] is None:
        return CHINA_BOX, "中国范围"
    x0, x1, y0, y1 = (float(v) for v in found)
    m_lat = 111_320.0
    m_lon = m_lat * max(0.1, float(np.cos(np.radians(max(abs(y0), abs(y1))))))
    reach = max(BOUNDARY_REACH_M, 0.5 * max((x1 - x0) * m_lon, (y1 - y0) * m_lat))
    return (x0 - reach / m_lon, x1 + reach / m_lon, y0 - reach / m_lat, y1 + reach / m_lat), "本市边界范围"


def _within_reach(con: duckdb.DuckDBPyConnection, file: str, spec: T.Table, rows: np.ndarray, geoms: np.ndarray,
                  usable: np.ndarray) -> np.ndarray:
    """Refuse, with their rows, features outside China (spanning ±180°: a ring from -179.9° to
    179.9° covers the whole band between in the plane and swallows every point) or far from
    the city (see :func:`_reference_box`). Returns which features may stay."""
    import shapely

    ok = np.ones(len(geoms), dtype=bool)
    idx = np.flatnonzero(usable)
    if not len(idx):
        return ok
    b = shapely.bounds(geoms[idx])  # min x, min y, max x, max y
    china = CHINA_BOX
    box, where = _reference_box(con, spec)

    def inside(bx: tuple[float, float, float, float]) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (np.isfinite(b).all(axis=1) & (b[:, 0] >= bx[0]) & (b[:, 2] <= bx[1])
                    & (b[:, 1] >= bx[2]) & (b[:, 3] <= bx[3]))

    in_china = inside(china)
    in_reach = inside(box)
    shown = [f"经度 {x0:.4f}～{x1:.4f}，纬度 {y0:.4f}～{y1:.4f}" for x0, y0, x1, y1 in b]
    out = ~in_china
    issue_rows_each(con, file, rows[idx[out]], "几何", [shown[k] for k in np.flatnonzero(out)], "outside_china",
                    [f"面要素的范围（{shown[k]}）超出中国范围：可能跨越 180° 经线或坐标系有误，已拒绝"
                     for k in np.flatnonzero(out)], "error", spec.name)
    far = in_china & ~in_reach
    ref = f"经度 {box[0]:.2f}～{box[1]:.2f}，纬度 {box[2]:.2f}～{box[3]:.2f}"
    issue_rows_each(con, file, rows[idx[far]], "几何", [shown[k] for k in np.flatnonzero(far)], "outside_city",
                    [f"面要素的范围（{shown[k]}）远在{where}（{ref}）之外：可能坐标系有误或不是本市的图层，已拒绝"
                     for k in np.flatnonzero(far)], "error", spec.name)
    ok[idx[~(in_china & in_reach)]] = False
    return ok


def _finish_file_reports(con: duckdb.DuckDBPyConnection, report: BuildReport) -> None:
    """Fill accepted/rejected/warnings per file and record them in ``import_file``."""
    counts = {
        (f, sev): (rows, issues)
        for f, sev, rows, issues in con.execute(
            "SELECT file, severity, count(DISTINCT row), count(*) FROM import_issue GROUP BY ALL"
        ).fetchall()
    }
    now = dt.datetime.now()
    for fr in report.files:
        fr.rejected = counts.get((fr.file, "error"), (0, 0))[0]
        fr.accepted = fr.rows_read - fr.rejected
        fr.warnings = counts.get((fr.file, "warning"), (0, 0))[1]
        stored = scalar(con, f"SELECT count(*) FROM {fr.table} WHERE "
                        + ("source_file = ?" if "source_file" in
                           {c.name for c in T.TABLES_BY_NAME[fr.table].columns} else "? IS NOT NULL"),
                        [fr.file])
        if stored != fr.accepted:
            raise BuildError(f"{fr.file}: 内部错误，接受 {fr.accepted} 行但写入 {stored} 行")
        con.execute("INSERT INTO import_file VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [fr.file, fr.table, fr.crs, fr.rows_read, fr.accepted, fr.rejected,
                     fr.warnings, now])
