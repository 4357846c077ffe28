"""The whole rebuild, in the direction data flows: files → data (load, validate, place) →
scoring (area aggregates, enterprise scores). The app, the CLI and the benchmark call this."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from data.build import BuildReport, Progress, Step, build_database, print_progress
from data.importer import ImportResult, import_boundary_layer, import_ledger
from scoring.aggregate import build_aggregates
from scoring.run import write_scores


def steps(with_scores: bool = True) -> list[Step]:
    """What is derived from the tables: aggregates, then (by default) the risk scores. (Score
    snapshots are not stored: an enterprise's are computed when its file is opened,
    ``scoring.snapshots.enterprise_snapshots``.)"""
    out = [Step("aggregate", "汇总到 H3 网格与乡镇", build_aggregates)]
    if with_scores:
        out.append(Step("score", "计算企业风险评分", write_scores))
    return out


def import_file(db_path: Path | str, file_path: Path | str, table: str, crs: str = "auto",
                headers: dict[str, str] | None = None, progress: Progress | None = print_progress,
                values: dict[str, dict[str, str]] | None = None, header_row: int | None = None) -> ImportResult:
    """Import one ledger into the database (upsert by key) and refresh what is derived from it,
    all in one atomic swap (see ``data.importer``)."""
    return import_ledger(db_path, file_path, table, crs, headers, progress, steps(), values, header_row)


def import_boundary_file(db_path: Path | str, file_path: Path | str, table: str, crs: str | None = None,
                         progress: Progress | None = print_progress, headers: dict[str, str] | None = None,
                         values: dict[str, dict[str, str]] | None = None) -> ImportResult:
    """Replace a boundary layer and place everything again, scores refreshed (``data.importer``)."""
    return import_boundary_layer(db_path, file_path, table, crs, progress, steps(), headers, values)


def init_city(db_path: Path | str, city_name: str, boundaries: Mapping[str, Path | str],
              crs: Mapping[str, str] | None = None, progress: Progress | None = print_progress,
              replace: bool = False, headers: Mapping[str, dict[str, str]] | None = None) -> BuildReport:
    """Start a city: a new database holding only its boundaries (any of county, township, grid,
    park — a county layer alone is enough; counties then stand in for townships), ready for
    ledgers to be imported one by one.

    ``crs`` per layer (omitted: the file's own, else told from the vertices). An existing
    database is never overwritten unless ``replace``; then it is kept beside the new one as
    ``<name>.replaced-<time>``.

    Raises
    ------
    BuildError
        No administrative layer, a file that cannot be read, an existing database.
    """
    import datetime as dt
    import shutil

    from data.build import BuildError

    db_path = Path(db_path)
    if not city_name.strip():
        raise BuildError("请填写城市名称")
    unknown = [k for k in boundaries if k not in BOUNDARY_LAYERS]
    if unknown:
        raise BuildError(f"不是边界图层：{'、'.join(unknown)}（可用：{'、'.join(BOUNDARY_LAYERS)}）")
    if db_path.exists():
        if not replace:
            raise BuildError(f"已有数据库：{db_path}。如要重新开始，请加 --replace（原数据库会另存一份，不会丢失）")
        backup = db_path.with_name(f"{db_path.name}.replaced-{dt.datetime.now():%Y%m%d-%H%M%S}")
        shutil.copyfile(db_path, backup)
    files = {}
    for layer, path in boundaries.items():
        path = Path(path).resolve()
        if not path.exists():
            raise BuildError(f"{path.name}: 文件不存在")
        files[layer] = {"path": str(path), **({"crs": crs[layer]} if crs and crs.get(layer) else {}),
                        **({"headers": headers[layer]} if headers and headers.get(layer) else {})}
    manifest = {"city_name": city_name.strip(), "name": city_name.strip(), "files": files}
    return build_database(Path("/"), db_path, progress, steps=steps(), manifest=manifest)


BOUNDARY_LAYERS = ("county", "township", "grid", "park")


def rebuild(source_dir: Path | str, db_path: Path | str, progress: Progress | None = print_progress,
            with_scores: bool = True) -> BuildReport:
    """Build the database from import files, with aggregates and (by default) risk scores."""
    return build_database(source_dir, db_path, progress, steps=steps(with_scores))


def create_demo_accounts(db_path: Path | str) -> str:
    """Create the documented demo accounts beside a demo database (accounts file in the same
    folder); the 网格员 account gets the grid with the most enterprises. Returns that grid."""
    from data.build import connect
    from riskmap.accounts import Accounts, ensure_demo_accounts

    db_path = Path(db_path)
    con = connect(db_path, read_only=True)
    try:
        row = con.execute("SELECT grid_id FROM enterprise WHERE grid_id IS NOT NULL "
                          "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    finally:
        con.close()
    grid = row[0] if row else ""
    ensure_demo_accounts(Accounts(db_path.parent / "security.sqlite"), grid)
    return grid
