"""The whole rebuild, in the direction data flows: files → data (load, validate, place) →
scoring (area aggregates, enterprise scores). The app, the CLI and the benchmark call this."""

from __future__ import annotations

from pathlib import Path

from data.build import BuildReport, Progress, Step, build_database, print_progress
from data.importer import ImportResult, import_boundary_layer, import_ledger
from scoring.aggregate import build_aggregates
from scoring.run import write_scores


def steps(with_scores: bool = True) -> list[Step]:
    """What is derived from the tables: aggregates, then (by default) the risk scores."""
    out = [Step("aggregate", "汇总到 H3 网格与乡镇", build_aggregates)]
    if with_scores:
        out.append(Step("score", "计算企业风险评分", write_scores))
    return out


def import_file(db_path: Path | str, file_path: Path | str, table: str, crs: str = "EPSG:4326",
                headers: dict[str, str] | None = None, progress: Progress | None = print_progress) -> ImportResult:
    """Import one ledger into the database (upsert by key) and refresh what is derived from it,
    all in one atomic swap (see ``data.importer``)."""
    return import_ledger(db_path, file_path, table, crs, headers, progress, steps())


def import_boundary_file(db_path: Path | str, file_path: Path | str, table: str, crs: str | None = None,
                         progress: Progress | None = print_progress) -> ImportResult:
    """Replace a boundary layer and place everything again, scores refreshed (``data.importer``)."""
    return import_boundary_layer(db_path, file_path, table, crs, progress, steps())


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
