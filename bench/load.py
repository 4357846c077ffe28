"""Load test: N concurrent sessions on the demo city against a real Streamlit server (loopback).

Each simulated user logs in through the server's login form over HTTP (the session cookie),
then speaks Streamlit's own websocket protocol (the protobuf messages the browser sends;
``tests/wire.py``), so the figures are the server's: the time from asking for a page to the
server saying the script finished, including sending every element. No browser renders
anything — what the server can serve, not how fast a laptop draws it.

Each session logs in (as the demo 安委办 account), then opens
城市总览, 检查目标, 乡镇挂牌 and 隐患闭环 in turn. Results go to BENCHMARKS.md between the
``load`` markers.

    python bench/load.py                 # 50 sessions, 1 worker and one per core
    python bench/load.py --workers 2     # one configuration
    python bench/load.py --sessions 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
START, END = "<!-- load:start -->", "<!-- load:end -->"
#: The HTTP logins' threads: as many as sessions, so all of them post the form at once (the
#: default pool of asyncio.to_thread has cores + 4 threads and would queue them in the bench).
LOGINS = ThreadPoolExecutor(max_workers=200)
PAGES = ("overview", "targets", "listing", "hazards")


async def user(url: str, times: dict[str, list[float]], errors: list[str],
               sizes: dict[str, list[tuple[int, int]]]) -> None:
    from tests.wire import Session, log_in

    s = Session(url)
    try:
        t0 = time.perf_counter()  # the login form (Argon2 in a worker thread), then the first page
        s.cookie = await asyncio.get_running_loop().run_in_executor(LOGINS, log_in, url, "office", "demo-office-2026")
        if s.cookie is None:
            raise RuntimeError("the login was refused")
        await s.connect()
        await s.run()
        times["login"].append(time.perf_counter() - t0)
        sizes["login"].append((s.received, s.largest))
        if not s.pages:
            raise RuntimeError("no navigation after login: the login failed")
        for page in PAGES:
            times[page].append(await s.run(page_hash=s.pages[page]))
            sizes[page].append((s.received, s.largest))
    except Exception as exc:  # every failure is counted, not raised
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await s.close()
    errors.extend(s.errors)


async def load(url: str, sessions: int) -> tuple[dict[str, list[float]], list[str], float,
                                                dict[str, list[tuple[int, int]]]]:
    times: dict[str, list[float]] = {k: [] for k in ("login", *PAGES)}
    sizes: dict[str, list[tuple[int, int]]] = {k: [] for k in ("login", *PAGES)}
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(user(url, times, errors, sizes) for _ in range(sessions)))
    return times, errors, time.perf_counter() - t0, sizes


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))] if v else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="worker counts to compare, comma-separated (python -m riskmap.serve --workers N)")
    args = parser.parse_args()
    os.environ.setdefault("RISKMAP_DATA_DIR", str(REPO / "var"))
    from data import paths
    from tests.browser import streamlit_server

    if not paths.db_path().exists():
        print("no demo database: run python -m riskmap demo first", file=sys.stderr)
        return 1
    counts = sorted({int(n) for n in args.workers.split(",")})
    runs = {}
    sizes: dict[str, list[tuple[int, int]]] = {}
    for n in counts:
        with streamlit_server(paths.data_dir(), workers=n) as url:
            # Warm every worker's caches, as after the first visitors (a browser lands on a worker
            # by its cookie: 3 per worker reach them all but rarely).
            asyncio.run(load(url, 3 * n))
            alone, alone_errors, _, alone_sizes = asyncio.run(load(url, 1))
            times, errors, wall, _ = asyncio.run(load(url, args.sessions))
        runs[n] = (alone, times, errors + alone_errors, wall)
        sizes = alone_sizes  # what one step sends does not depend on the worker count
    lines = [START, "", f"## Load: {args.sessions} concurrent sessions", "",
             f"`python bench/load.py`: {args.sessions} simulated users at once against `python -m riskmap.serve "
             f"--workers N` on loopback (N = {' and '.join(map(str, counts))}; more than one: nginx in front), on this "
             f"{os.cpu_count()}-core machine, speaking Streamlit's websocket protocol (no browser); each logs in "
             "through the login form as 安委办 and opens four pages in turn. Login: from posting the form to the "
             "first page's `script_finished` — all share one account, whose password checks (Argon2) go one at a "
             "time per worker so that the lockout counts every attempt. Pages: server time from the request to "
             "`script_finished`, after one warm-up visit. Same run, one configuration after the other. Sent / "
             "largest message: the websocket bytes of the step for one user alone (the login step: the first page "
             "after it).", "",
             "| step | sent KB | largest message KB | " + " | ".join(
                 f"{n} worker{'s' if n > 1 else ''}: alone s | p50 s | p95 s | max s" for n in counts) + " |",
             "|---|---:|---:|" + "---:|---:|---:|---:|" * len(counts)]
    for step in ("login", *PAGES):
        cells = []
        for n in counts:
            alone, times, _, _ = runs[n]
            values = times[step]
            cells.append(f"{alone[step][0] if alone[step] else float('nan'):.2f} | {percentile(values, 0.5):.2f} | "
                         f"{percentile(values, 0.95):.2f} | {max(values) if values else float('nan'):.2f}")
        sent, largest = sizes[step][0] if sizes.get(step) else (0, 0)
        lines.append(f"| {step} | {sent / 1024:,.0f} | {largest / 1024:,.0f} | " + " | ".join(cells) + " |")
    lines.append("")
    for n in counts:
        _, times, errors, wall = runs[n]
        done = min(len(v) for v in times.values())
        lines.append(f"- {n} worker{'s' if n > 1 else ''}: errors {len(errors)}"
                     f"{' — ' + '; '.join(errors[:3]) if errors else ''}; {done} of {args.sessions} sessions "
                     f"through every step; {wall:.1f} s of wall time "
                     f"({args.sessions * (1 + len(PAGES)) / wall:.1f} steps/s).")
    if len(counts) > 1:
        first, last = runs[counts[0]][3], runs[counts[-1]][3]
        lines.append(f"- Wall time, {counts[-1]} workers against 1: {last / first:.2f}×.")
    lines += ["", "Within one worker, page scripts share one Python process: under this load a page waits for "
              "the others' runs (throughput, not a hang).", "", END]
    from bench.results import replace_section

    replace_section(START, END, lines)
    return 0 if not any(runs[n][2] for n in counts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
