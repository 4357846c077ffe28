"""Import benchmark: a 100,000-row ledger into the demo city's database (target ≤ 30 s on 2 cores).

Three ledgers, each 100,000 rows of new records written the way cities send them:
hazards as xlsx, hazards as GBK CSV, enterprises (with coordinates, placed in townships,
grids and parks) as GBK CSV. Each import runs ``--repeats`` times on a fresh copy of the
demo database, through the whole path the app uses: read, check every row, upsert, refresh
aggregates and scores, swap. Results go to BENCHMARKS.md between the ``import`` markers.

    python bench/import_ledger.py            # uses the demo database in the data directory
    python bench/import_ledger.py --rows 20000 --repeats 1
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
START, END = "<!-- import:start -->", "<!-- import:end -->"


def hazard_rows(con: duckdb.DuckDBPyConnection, n: int) -> tuple[list[str], list[list[object]]]:
    import numpy as np

    ents = [u for (u,) in con.execute("SELECT uscc FROM enterprise ORDER BY uscc").fetchall()]
    rng = np.random.default_rng(1)
    header = ["隐患编号", "统一社会信用代码", "发现日期", "隐患类别", "隐患描述", "隐患等级", "责任部门", "整改期限",
              "整改完成日期"]
    levels, depts = ["一般", "一般", "一般", "较大", "重大"], ["消防救援", "应急管理局", "市场监管局", "综合执法局"]
    rows = []
    for i in range(n):
        day = int(rng.integers(1, 28))
        rows.append([f"BENCH{i:07d}", ents[int(rng.integers(len(ents)))],
                     f"2026-{int(rng.integers(1, 11)):02d}-{day:02d}", "消防", "安全出口堵塞", levels[i % 5],
                     depts[i % 4], f"2026/11/{day}", "" if i % 3 else f"2026年11月{day}日"])
    return header, rows


def messy_hazard_rows(con: duckdb.DuckDBPyConnection, n: int) -> tuple[list[str], list[list[object]]]:
    """The same hazards as an office keeps them: a title and a note row above the header, the
    office's own headers, levels and departments by their full names, "/" for not yet
    rectified, full-width digits in one date in ten, a signature row below — every row valid."""
    header, rows = hazard_rows(con, n)
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    level = {"一般": "一般隐患", "较大": "较大隐患", "重大": "重大事故隐患"}
    dept = {"消防救援": "某某区消防救援大队", "应急管理局": "某某区应急管理局", "市场监管局": "某某市市场监督管理局",
            "综合执法局": "综合行政执法局"}
    out = [["某某区小微企业隐患排查整改台账"], ["填报单位：某某区安委办", None, None, "填报时间：2026年11月"],
           ["序号", "隐患编号", "社会信用代码", "检查日期", "隐患类型", "存在问题", "隐患级别", "检查部门", "整改时限",
            "完成整改时间"]]
    for i, r in enumerate(rows, start=1):
        found = r[2].translate(full) if i % 10 == 0 else r[2]
        out.append([i, r[0], r[1], found, r[3], r[4], level[r[5]], dept[r[6]], r[7], r[8] or "/"])
    out.append(["填表人：张三", None, None, "审核人：李四"])
    return [], out


def enterprise_rows(con: duckdb.DuckDBPyConnection, n: int) -> tuple[list[str], list[list[object]]]:
    import numpy as np

    from data.uscc import check_char

    x0, x1, y0, y1 = con.execute("SELECT min(lon), max(lon), min(lat), max(lat) FROM enterprise "
                                 "WHERE township_code IS NOT NULL").fetchone()
    lon, lat = (x0, x1), (y0, y1)
    rng = np.random.default_rng(2)
    header = ["统一社会信用代码", "企业名称", "经度", "纬度", "所属行业", "从业人数", "营业收入（万元）",
              "三合一", "出租分租"]
    rows = []
    for i in range(n):
        body = f"91339999MA{i:07d}"
        rows.append([body + check_char(body), f"测试企业{i}", round(float(rng.uniform(*lon)), 6),
                     round(float(rng.uniform(*lat)), 6), "制鞋", int(rng.integers(2, 300)),
                     f"{rng.uniform(1, 900):.1f}万元", "否", "是" if i % 4 == 0 else "否"])
    return header, rows


def write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    if path.suffix == ".csv":
        with open(path, "w", encoding="gbk", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        return
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    if header:  # messy ledgers carry their own title, note and header rows in ``rows``
        ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("RISKMAP_DATA_DIR", str(REPO / "var"))
    from data import paths
    from data.build import connect
    from riskmap.pipeline import import_file

    base = paths.db_path()
    if not base.exists():
        print("no demo database: run python -m riskmap demo first", file=sys.stderr)
        return 1
    con = connect(base, read_only=True)
    cases = [("hazard", "xlsx", *hazard_rows(con, args.rows)), ("hazard", "csv", *hazard_rows(con, args.rows)),
             ("enterprise", "csv", *enterprise_rows(con, args.rows)),
             ("hazard", "messy xlsx", *messy_hazard_rows(con, args.rows))]
    con.close()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for table, kind, header, rows in cases:
            ledger = Path(tmp) / f"{table}_{args.rows}_{kind.replace(' ', '_')}.{kind.split()[-1]}"
            write(ledger, header, rows)
            times = []
            for _ in range(args.repeats):
                db = Path(tmp) / "bench.duckdb"
                shutil.copyfile(base, db)
                t0 = time.perf_counter()
                r = import_file(db, ledger, table, "auto", progress=None)
                times.append(time.perf_counter() - t0)
                assert r.rows_read == args.rows and r.balanced and r.inserted == r.accepted, r
                db.unlink()
            label = {"messy xlsx": "xlsx as an office keeps it (title/note rows, own headers, 一般隐患, "
                                   "XX区消防救援大队, '/' dates, full-width digits, signature row)"}.get(kind, kind)
            results.append((f"{args.rows:,} {table} rows, {label}{' (GBK)' if kind == 'csv' else ''}",
                            statistics.median(times), min(times), max(times), r.accepted, r.rejected))
            print(results[-1], flush=True)
    lines = [START, "", f"## Importing a {args.rows:,}-row ledger", "",
             f"`python bench/import_ledger.py`: into a copy of the demo database (20,000 enterprises), the whole "
             f"path of the app's import (read, check every row, upsert by key, refresh aggregates and scores, "
             f"atomic swap); median of {args.repeats} runs on this {os.cpu_count()}-core machine. Target: ≤ 30 s.", "",
             "| ledger | median s | min s | max s | accepted | rejected | target met |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for label, med, lo, hi, ok, bad in results:
        met = "yes" if med <= 30 else "NO"
        lines.append(f"| {label} | {med:.1f} | {lo:.1f} | {hi:.1f} | {ok:,} | {bad:,} | {met} |")
    lines += ["", END]
    from bench.results import replace_section

    replace_section(START, END, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
