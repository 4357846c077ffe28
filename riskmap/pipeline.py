"""The whole rebuild, in the direction data flows: files → data (load, validate, place) →
scoring (area aggregates, enterprise scores). The app, the CLI and the benchmark call this."""

from __future__ import annotations

from pathlib import Path

from data.build import BuildReport, Progress, Step, build_database, print_progress
from scoring.aggregate import build_aggregates
from scoring.run import write_scores


def rebuild(source_dir: Path | str, db_path: Path | str, progress: Progress | None = print_progress,
            with_scores: bool = True) -> BuildReport:
    """Build the database from import files, with aggregates and (by default) risk scores."""
    steps = [Step("aggregate", "汇总到 H3 网格与乡镇", build_aggregates)]
    if with_scores:
        steps.append(Step("score", "计算企业风险评分", write_scores))
    return build_database(source_dir, db_path, progress, steps=steps)
