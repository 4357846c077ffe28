"""Command line: ``python -m riskmap <command>`` from the repository root.

Commands
--------
demo     generate the demo city's import files and build the database from them
build    (re)build the database from a folder of import files
report   print the import report (files, accepted/rejected rows, issues) of the database
info     print what the database holds
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from data import paths


def _progress(stage: str, fraction: float, _t0: list[float] = [time.perf_counter()]) -> None:
    print(f"[{fraction * 100:5.1f}%] {time.perf_counter() - _t0[0]:6.1f}s  {stage}", flush=True)


def _print_build(report) -> None:  # type: ignore[no-untyped-def]
    print()
    print(f"{'文件':<18}{'表':<12}{'坐标系':<11}{'读取':>9}{'接受':>9}{'拒绝':>7}{'提示':>7}")
    for f in report.files:
        print(f"{f.file:<18}{f.table:<12}{f.crs:<11}{f.rows_read:>9}{f.accepted:>9}"
              f"{f.rejected:>7}{f.warnings:>7}")
    if report.unplaced_enterprises:
        print(f"\n{report.unplaced_enterprises} 家企业坐标不在任何乡镇边界内（已保留，见 report）")
    stages = "  ".join(f"{k} {v:.2f}s" for k, v in report.timings_s.items())
    print(f"\n用时 {report.total_s:.1f} 秒：{stages}")
    print(f"数据库：{report.db_path}")


def cmd_demo(args: argparse.Namespace) -> int:
    from data.build import build_database
    from data.demo import DemoConfig, generate_city

    out = Path(args.out) if args.out else paths.demo_source_dir()
    cfg = DemoConfig(seed=args.seed, enterprises=args.enterprises,
                     as_of=dt.date.fromisoformat(args.as_of))
    print(f"生成示意城市（种子 {cfg.seed}，{cfg.enterprises} 家企业）→ {out}")
    summary = generate_city(cfg, out, _progress)
    print("  " + "，".join(f"{k} {v}" for k, v in summary.items() if k != "injected_errors"))
    if args.no_build:
        return 0
    db = Path(args.db) if args.db else paths.db_path()
    print(f"\n建库 → {db}")
    _print_build(build_database(out, db, _progress))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from data.build import BuildError, build_database

    db = Path(args.db) if args.db else paths.db_path()
    try:
        report = build_database(Path(args.source), db, _progress)
    except BuildError as exc:
        print(f"导入失败，数据库未改动：{exc}", file=sys.stderr)
        return 2
    _print_build(report)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from data.build import connect

    db = Path(args.db) if args.db else paths.db_path()
    con = connect(db, read_only=True)
    print(con.sql("SELECT file AS 文件, table_name AS 表, crs AS 坐标系, rows_read AS 读取, "
                  "accepted AS 接受, rejected AS 拒绝, warnings AS 提示 FROM import_file"))
    issues = con.execute(
        "SELECT file, row, column_name, value, severity, reason FROM import_issue "
        "ORDER BY file, row LIMIT ?", [args.limit]).fetchall()
    for file, row, col, value, sev, reason in issues:
        tag = "错误" if sev == "error" else "提示"
        print(f"[{tag}] {file} 第 {row} 行 “{col}” = {value!r}：{reason}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from data.build import connect
    from data.tables import TABLES

    db = Path(args.db) if args.db else paths.db_path()
    if not db.exists():
        print(f"没有数据库：{db}（先运行 python -m riskmap demo）", file=sys.stderr)
        return 1
    con = connect(db, read_only=True)
    for k, v in con.execute("SELECT key, value FROM meta ORDER BY key").fetchall():
        print(f"{k}: {v}")
    for t in TABLES:
        print(f"{t.title}（{t.name}）：{con.execute(f'SELECT count(*) FROM {t.name}').fetchone()[0]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskmap", description="风险一张图 命令行")
    parser.add_argument("--db", help=f"数据库文件（默认 {paths.db_path()}，可用 RISKMAP_DATA_DIR 改）")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="生成示意城市并建库")
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--enterprises", type=int, default=20_000)
    p.add_argument("--as-of", default="2026-11-20", help="数据截止日期")
    p.add_argument("--out", help="导入文件输出目录")
    p.add_argument("--no-build", action="store_true", help="只生成文件，不建库")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("build", help="从导入文件目录重建数据库")
    p.add_argument("source", help="含 manifest.json 或标准文件名的目录")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("report", help="查看导入报告")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("info", help="查看数据库概况")
    p.set_defaults(func=cmd_info)

    args = parser.parse_args(argv)
    return int(args.func(args))
