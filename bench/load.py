"""Load test: a city's morning — many concurrent sessions of mixed roles, with think time —
against a real Streamlit server on loopback.

Each simulated user logs in through the server's login form over HTTP (the session cookie),
then speaks Streamlit's own websocket protocol (the protobuf messages the browser sends;
``tests/wire.py``), so the figures are the server's: the time from asking for a page to the
server saying the script finished (``script_finished``), including sending every element. No
browser renders anything — what the server can serve, not how fast a laptop draws it. Like a
browser, a session keeps the large messages it received and lists them in each request, so a
revisited page's unchanged elements come back as small references (``Session``'s message cache).

The scenario (default): 100 sessions; 20 % 领导 (the demo account ``leader``: a meeting), 40 %
安委办 (``office``: at their desks), 40 % 网格员 (``grid``: on phones). The sessions start
uniformly over the first 10 s (the ramp). Each logs in — the step ``login``: from posting the
form to the first page's ``script_finished`` (领导 and 安委办 land on 城市总览, 网格员 on 我的网格)
— its first part, posting the form until the cookie is set, is the step ``login form (HTTP)``
— then opens 4–6 pages its role can see (the navigation it receives; app.py's ``PAGES``), each
chosen at random among the role's pages other than the one on screen (a 网格员, with two pages,
goes back and forth: 模型说明, 我的网格, 模型说明 …), with a think time of 2–5 s (uniform)
before each. Everything random comes from ``--seed``: the same seed, the same morning. A
configuration's run is bounded by ``--deadline``: a step not finished by then counts as an
error (timeout), as does one not yet begun.

Per configuration, before the load: every worker is warmed (a few sessions of each role open
all their pages, as after the first visitors), then one session per role alone opens each of
its pages twice in a row — the websocket bytes of a first visit (sent, largest message) and
of a revisit (with the browser's message cache), and the map layer data fetched over HTTP. After
each page, a session GETs the layer data its maps name by URL that it has not fetched before
(as deck.gl does; the browser's HTTP cache keeps them): the step ``map layers (HTTP)``, timed
apart from the page. The server's memory: the sum of VmRSS over
its process tree (``riskmap.serve``, its Streamlit workers and nginx), read from /proc before
the load (after the warm-up) and every 0.5 s during it (the peak).

1 worker and N (``python -m riskmap.serve --workers N``; more than one: nginx in front, sticky
by cookie) run one after the other, same seed and scenario. Results go to BENCHMARKS.md
between the ``load`` markers; progress to stderr every 10 s.

    python bench/load.py                          # 100 sessions, 1 worker and one per core
    python bench/load.py --sessions 10 --workers 1 --think 0.5,1 --ramp 2
    python bench/load.py --mix leader:20,office:40,grid:40 --pages 4,6 --seed 1 --deadline 300
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
START, END = "<!-- load:start -->", "<!-- load:end -->"
#: The HTTP logins' threads: as many as sessions, so all of them can post the form at once (the
#: default pool of asyncio.to_thread has cores + 4 threads and would queue them in the bench).
LOGINS = ThreadPoolExecutor(max_workers=200)
#: The demo accounts of each role (riskmap.accounts.DEMO_ACCOUNTS) and how the report names them.
ACCOUNTS = {"leader": ("leader", "demo-leader-2026"), "office": ("office", "demo-office-2026"),
            "grid": ("grid", "demo-grid-2026")}
LABELS = {"leader": "领导", "office": "安委办", "grid": "网格员"}
LAYERS = "map layers (HTTP)"
#: The start of the app's "please log in" text (riskmap.i18n ``please_log_in``): a page that says
#: it was not served.
PLEASE_LOG_IN = "请登录。"
FORM = "login form (HTTP)"
#: The websocket handshake's limit (websockets' default is 10 s; a busy worker takes longer to
#: answer, and the figure should say how long rather than fail where a browser would retry).
OPEN_TIMEOUT_S = 60.0
PROGRESS_S = 10.0
MEMORY_S = 0.5


def role_pages() -> dict[str, list[str]]:
    """Each role's pages (url paths) in navigation order, the default first: app.py's ``PAGES``
    table, read without running app.py."""
    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    target: ast.expr
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "PAGES" and value is not None:
            table = ast.literal_eval(value)
            return {role: [path for path, _, roles in table if role in roles] for role in ACCOUNTS}
    raise RuntimeError("no PAGES table in app.py")


def step_name(role: str, page: str) -> str:
    """A row of the report: a 网格员's 我的网格 is their own grid, not the city's."""
    return f"{page} ({LABELS['grid']})" if role == "grid" and page == "grid" else page


def navigation(role: str, pages: dict[str, str], mine: list[str]) -> dict[str, str]:
    """url path -> page hash from the navigation a session received (``Session.pages`` names the
    default page ``overview``: its url path is empty); an error if it is not the role's."""
    if set(pages) != {"overview", *mine[1:]}:
        raise RuntimeError(f"the navigation of {role} is {sorted(pages)}, not {mine}")
    return {mine[0]: pages["overview"], **{p: pages[p] for p in mine[1:]}}


@dataclass
class Plan:
    """One session of the morning."""

    role: str
    start: float  # seconds after the configuration's start
    pages: list[str]  # the pages it opens after landing, in order
    thinks: list[float]  # the think time before each


def plan(sessions: int, mix: dict[str, float], seed: int, ramp: float, think: tuple[float, float],
         npages: tuple[int, int], mine: dict[str, list[str]]) -> list[Plan]:
    """The sessions of a morning: roles in the proportions of ``mix`` (largest remainders),
    shuffled; starts, pages and think times drawn from one generator seeded by ``seed``."""
    rng = random.Random(seed)
    total = sum(mix.values())
    counts = {r: int(sessions * w / total) for r, w in mix.items()}
    by_remainder = sorted(mix, key=lambda r: sessions * mix[r] / total - counts[r], reverse=True)
    for r in by_remainder[: sessions - sum(counts.values())]:
        counts[r] += 1
    roles = [r for r in mix for _ in range(counts[r])]
    rng.shuffle(roles)
    plans = []
    for role in roles:
        start = rng.uniform(0, ramp)
        current, pages = mine[role][0], []
        for _ in range(rng.randint(*npages)):
            current = rng.choice([p for p in mine[role] if p != current])
            pages.append(current)
        plans.append(Plan(role, start, pages, [rng.uniform(*think) for _ in pages]))
    return plans


@dataclass
class Stats:
    """What a configuration's sessions measured."""

    times: dict[str, list[float]] = field(default_factory=dict)  # step -> seconds of the steps that succeeded
    errors: dict[str, list[str]] = field(default_factory=dict)  # step -> messages
    completed: int = 0  # sessions through every step
    active: int = 0
    done: int = 0  # steps finished, with or without an error

    def ok(self, step: str, seconds: float) -> None:
        self.times.setdefault(step, []).append(seconds)
        self.done += 1

    def error(self, step: str, message: str) -> None:
        self.errors.setdefault(step, []).append(message)

    def all_errors(self) -> list[str]:
        return [f"{step}: {m}" for step, ms in self.errors.items() for m in ms]


def failed(s: Any) -> None:
    """Raise if the run just finished did not show its page: an exception, an error box (an
    unexpected error shows its error id in one) or the login form instead of the page."""
    problems = [*s.errors, *s.error_boxes]
    if any(PLEASE_LOG_IN in t for t in s.texts):
        problems.append("sent to the login form")
    if problems:
        raise RuntimeError("; ".join(problems))


async def fetch_layers(s: Any, stats: Stats | None = None) -> int:
    """After a page: GET the layer data its maps name and the session has not fetched yet (as
    deck.gl in the browser does); timed as the step ``map layers (HTTP)``; the bytes."""
    started = time.perf_counter()
    files, size = await asyncio.get_running_loop().run_in_executor(LOGINS, s.fetch_data)
    if s.errors:
        raise RuntimeError("; ".join(s.errors))
    if files and stats is not None:
        stats.ok(LAYERS, time.perf_counter() - started)
    return int(size)


async def morning_session(url: str, p: Plan, mine: list[str], stats: Stats, t0: float, deadline: float) -> None:
    """One session of the plan; every failure is counted against its step, never raised."""
    from tests.wire import Session, log_in

    s = Session(url)
    step, begun, counted = f"login ({LABELS[p.role]})", False, False

    async def steps() -> None:
        nonlocal step, begun, counted
        await asyncio.sleep(max(0.0, t0 + p.start - time.perf_counter()))
        stats.active += 1
        begun = counted = True
        started = time.perf_counter()
        s.cookie = await asyncio.get_running_loop().run_in_executor(LOGINS, log_in, url, *ACCOUNTS[p.role])
        if s.cookie is None:
            raise RuntimeError("the login was refused")
        stats.ok(FORM, time.perf_counter() - started)
        await s.connect(open_timeout=OPEN_TIMEOUT_S)
        await s.run()
        failed(s)
        stats.ok(step, time.perf_counter() - started)
        step = LAYERS
        await fetch_layers(s, stats)
        hashes = navigation(p.role, s.pages, mine)
        for page, think in zip(p.pages, p.thinks):
            step, begun = step_name(p.role, page), False
            await asyncio.sleep(think)
            begun = True
            seconds = await s.run(page_hash=hashes[page])
            failed(s)
            stats.ok(step, seconds)
            step = LAYERS
            await fetch_layers(s, stats)
        stats.completed += 1

    try:
        async with asyncio.timeout_at(asyncio.get_running_loop().time() + t0 + deadline - time.perf_counter()) as limit:
            await steps()
    except Exception as exc:
        if isinstance(exc, TimeoutError) and limit.expired():
            message = f"timeout: {'not finished' if begun else 'not begun'} by the deadline ({deadline:g} s)"
        else:
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        stats.error(step, message)
        stats.done += 1
    finally:
        if counted:
            stats.active -= 1
        try:
            await asyncio.wait_for(s.close(), timeout=10)
        except Exception:  # a connection already gone
            pass


async def progress(label: str, stats: Stats, t0: float, total: int) -> None:
    while True:
        await asyncio.sleep(PROGRESS_S)
        print(f"[{label}] {time.perf_counter() - t0:5.0f} s: {stats.done} steps done, "
              f"{sum(map(len, stats.errors.values()))} errors, {stats.active} sessions active, "
              f"{stats.completed} of {total} completed", file=sys.stderr, flush=True)


async def morning(url: str, plans: list[Plan], mine: dict[str, list[str]], deadline: float,
                  label: str) -> tuple[Stats, float]:
    """Every session of the plan at once; (what they measured, wall time)."""
    stats = Stats()
    t0 = time.perf_counter()
    ticker = asyncio.create_task(progress(label, stats, t0, len(plans)))
    try:
        await asyncio.gather(*(morning_session(url, p, mine[p.role], stats, t0, deadline) for p in plans))
    finally:
        ticker.cancel()
    return stats, time.perf_counter() - t0


async def visit_all(url: str, role: str, mine: list[str], twice: bool = False) -> dict[str, list[int]]:
    """One session of ``role`` alone: log in, open each of its pages (twice in a row with
    ``twice``); step -> [sent bytes, largest message bytes, revisit sent bytes, layer data bytes]."""
    from tests.wire import Session, log_in

    s = Session(url)
    sizes: dict[str, list[int]] = {}
    try:
        s.cookie = await asyncio.get_running_loop().run_in_executor(LOGINS, log_in, url, *ACCOUNTS[role])
        if s.cookie is None:
            raise RuntimeError(f"the login of {role} was refused")
        await s.connect()
        await s.run()
        sizes[f"login ({LABELS[role]})"] = [s.received, s.largest, 0, await fetch_layers(s)]
        hashes = navigation(role, s.pages, mine)
        s.fetched.clear()  # each page's first visit below fetches its maps' layers
        for page in (mine[1:] + mine[:1]):  # the landing page last: it was just shown
            await s.run(page_hash=hashes[page])
            sizes[step_name(role, page)] = [s.received, s.largest, 0, await fetch_layers(s)]
            if twice:
                await s.run(page_hash=hashes[page])
                sizes[step_name(role, page)][2] = s.received
        if s.errors:
            raise RuntimeError("; ".join(s.errors))
    finally:
        await s.close()
    return sizes


async def warm(url: str, workers: int, mine: dict[str, list[str]]) -> None:
    """Warm every worker's caches, as after the first visitors (a browser lands on a worker by
    its cookie: a few sessions per worker and role reach them all but rarely)."""
    await asyncio.gather(*(visit_all(url, role, mine[role]) for role, k in (("office", 3), ("grid", 2), ("leader", 1))
                           for _ in range(k * workers)))


# --- the server's memory, from /proc -------------------------------------------------------

def _ppids() -> dict[int, int]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                    out[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):  # gone meanwhile
                pass
    return out


def server_pid() -> int:
    """The ``riskmap.serve`` process this benchmark started (tests.browser.streamlit_server)."""
    for pid, ppid in _ppids().items():
        if ppid == os.getpid():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"riskmap.serve" in cmdline:
                return pid
    raise RuntimeError("the riskmap.serve process was not found")


def tree_rss(root: int) -> int:
    """The sum of VmRSS (bytes) over ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _ppids().items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class MemorySampler(threading.Thread):
    """The peak of :func:`tree_rss` sampled every 0.5 s until stopped."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.samples = root, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, tree_rss(self.root))
            self.samples += 1
            self.stopped.wait(MEMORY_S)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak


# --- the report ----------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))] if v else float("nan")


def sec(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"  # nan: nothing measured


@dataclass
class Run:
    """One configuration's figures."""

    workers: int
    stats: Stats
    wall: float
    rss_before: int
    rss_peak: int
    sizes: dict[str, list[int]]

    def page_times(self) -> list[float]:
        return [t for step, ts in self.stats.times.items() if not step.startswith("login") and step != LAYERS
                for t in ts]  # (FORM starts with "login")

    def throughput(self) -> float:
        return len(self.page_times()) / self.wall


def pair(text: str, kind: Any) -> tuple[Any, Any]:
    lo, _, hi = text.partition(",")
    return kind(lo), kind(hi or lo)


def report(args: argparse.Namespace, runs: list[Run], plans: list[Plan], mine: dict[str, list[str]],
           mix: dict[str, float]) -> list[str]:
    def w(n: int) -> str:
        return f"{n} worker{'s' if n > 1 else ''}"

    counts = {r: sum(p.role == r for p in plans) for r in mix}
    views = sum(len(p.pages) for p in plans)
    order = [FORM] + [f"login ({LABELS[r]})" for r in mix]
    for page in dict.fromkeys(pg for r in ("office", "leader", "grid") for pg in mine[r]):
        order += [step_name(r, page) for r in mix if page in mine[r]]
    order.append(LAYERS)
    steps = [s for s in dict.fromkeys(order) if any(s in run.stats.times or s in run.stats.errors for run in runs)]
    sizes = runs[-1].sizes
    lo, hi = args.think
    lines = [START, "", f"## Load: a morning of {len(plans)} sessions of mixed roles", "",
             f"`python bench/load.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`, one run, on this "
             f"{os.cpu_count()}-core machine (shared: other work ran on it too), against `python -m riskmap.serve "
             f"--workers N` on loopback (N = {' and '.join(str(r.workers) for r in runs)}, one after the other, "
             "the same sessions; more than one: nginx in front, sticky by cookie). "
             f"{len(plans)} simulated users: " + ", ".join(f"{counts[r]} {LABELS[r]} (`{ACCOUNTS[r][0]}`)"
                                                           for r in mix) +
             f", starting uniformly over the first {args.ramp:g} s; each logs in through the login form, then opens "
             f"{args.pages[0]}–{args.pages[1]} pages its role can see (each at random among its pages other than "
             f"the one on screen; a 网格员 goes back and forth between their two), with a think time of "
             f"{lo:g}–{hi:g} s (uniform) before each — {views} page views, seed {args.seed}. They speak "
             "Streamlit's websocket protocol (no browser, nothing rendered) and keep large messages as the "
             "browser does (a revisit gets references to the unchanged ones). Times: server time from the "
             "request to `script_finished` over the websocket; login: from posting the form to the landing "
             "page's `script_finished` (领导 and 安委办 land on overview, 网格员 on their grid), all sessions of a "
             "role sharing one demo account, whose password checks (Argon2) go one at a time per worker (so "
             f"logins queue per account and worker: a city's own accounts would not); `{FORM}`: its first part, "
             "posting the form until the cookie is set. The websocket handshake may take up to "
             f"{OPEN_TIMEOUT_S:g} s. "
             f"n: steps that succeeded; err: steps that failed (including those not finished by the "
             f"{args.deadline:g} s deadline). Sent / largest / revisit: the websocket bytes of the step for one "
             "session of the role alone (first visit: all it sent and its largest message; revisit: the same page "
             "again at once); layers: the map layer data the page's maps name by URL, fetched over HTTP (gzip) as "
             f"deck.gl does, once per session (the browser's HTTP cache). The row `{LAYERS}`: after a page whose "
             "maps name layers the session has not fetched, the time to GET them one after the other (not "
             "counted in the page's time). Before measuring, every worker was warmed. Memory: the sum of VmRSS "
             "over the server's process tree (riskmap.serve, its workers, nginx) from /proc, before the load and the "
             f"peak sampled every {MEMORY_S:g} s during it.", "",
             "| step | sent KB | largest KB | revisit KB | layers KB | " + " | ".join(
                 f"{w(r.workers)}: n | err | p50 s | p95 s | max s" for r in runs) + " |",
             "|---|---:|---:|---:|---:|" + "---:|---:|---:|---:|---:|" * len(runs)]
    for step in steps:
        sent, largest, revisit, layer_bytes = sizes.get(step, [0, 0, 0, 0])
        cells = []
        for r in runs:
            v = r.stats.times.get(step, [])
            cells.append(f"{len(v)} | {len(r.stats.errors.get(step, []))} | {sec(percentile(v, 0.5))} | "
                         f"{sec(percentile(v, 0.95))} | {sec(max(v) if v else float('nan'))}")
        kb = [f"{x / 1024:,.0f}" for x in (sent, largest, revisit, layer_bytes)]
        if step.startswith("login"):
            kb[2] = "–"
        if step in (LAYERS, FORM):
            kb = ["–"] * 4
        lines.append(f"| {step} | {' | '.join(kb)} | "
                     + " | ".join(cells) + " |")
    lines.append("")
    for r in runs:
        errors = r.stats.all_errors()
        pages = r.page_times()
        lines.append(
            f"- {w(r.workers)}: {r.stats.completed} of {len(plans)} sessions through every step; "
            f"errors {len(errors)}{' — ' + '; '.join(errors[:3]) if errors else ''}; "
            f"{len(pages)} of {views} page views, p50 {sec(percentile(pages, 0.5))} s, p95 "
            f"{sec(percentile(pages, 0.95))} s; {r.wall:.1f} s of wall time, {r.throughput():.2f} page views/s; "
            f"server memory {r.rss_before / 2**20:,.0f} MB before the load, peak {r.rss_peak / 2**20:,.0f} MB.")
    if len(runs) > 1:
        one, many = runs[0], runs[-1]
        lines.append(f"- {w(many.workers)} against {w(one.workers)}: page p95 "
                     f"{percentile(many.page_times(), 0.95) / percentile(one.page_times(), 0.95):.2f}×, "
                     f"throughput {many.throughput() / one.throughput():.2f}× (with think time, throughput is "
                     "bounded by the users: it grows only where the server made them wait).")
    lines += ["", "Within one worker, page scripts share one Python process: under load a page waits for the "
              "others' runs. The benchmark's client shares the machine's cores with the server.", "", END]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="worker counts to compare, comma-separated (python -m riskmap.serve --workers N)")
    parser.add_argument("--mix", default="leader:20,office:40,grid:40",
                        help="role:weight, comma-separated (leader, office, grid)")
    parser.add_argument("--think", default="2,5", help="think time before each page, seconds: min,max (uniform)")
    parser.add_argument("--pages", default="4,6", help="pages each session opens after landing: min,max")
    parser.add_argument("--ramp", type=float, default=10.0, help="the sessions start uniformly over this many s")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds per configuration")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    args.think, args.pages = pair(args.think, float), pair(args.pages, int)
    mix = {r: float(v) for r, _, v in (part.partition(":") for part in args.mix.split(","))}
    if not set(mix) <= set(ACCOUNTS):
        parser.error(f"--mix: roles are {', '.join(ACCOUNTS)}")
    os.environ.setdefault("RISKMAP_DATA_DIR", str(REPO / "var"))
    from data import paths
    from tests.browser import streamlit_server

    if not paths.db_path().exists():
        print("no demo database: run python -m riskmap demo first", file=sys.stderr)
        return 1
    mine = role_pages()
    plans = plan(args.sessions, mix, args.seed, args.ramp, args.think, args.pages, mine)
    runs = []
    for n in sorted({int(x) for x in args.workers.split(",")}):
        label = f"{n} worker{'s' if n > 1 else ''}"
        with streamlit_server(paths.data_dir(), workers=n) as url:
            print(f"[{label}] warming up", file=sys.stderr, flush=True)
            asyncio.run(warm(url, n, mine))
            sizes: dict[str, list[int]] = {}
            for role in ("leader", "grid", "office"):  # 安委办 last: its figures for the pages they share
                sizes.update(asyncio.run(visit_all(url, role, mine[role], twice=True)))
            root = server_pid()
            rss_before = tree_rss(root)
            sampler = MemorySampler(root)
            sampler.start()
            print(f"[{label}] {len(plans)} sessions", file=sys.stderr, flush=True)
            try:
                stats, wall = asyncio.run(morning(url, plans, mine, args.deadline, label))
            finally:
                peak = sampler.stop()
        runs.append(Run(n, stats, wall, rss_before, peak, sizes))
        print(f"[{label}] done in {wall:.1f} s: {stats.completed} of {len(plans)} sessions completed, "
              f"{len(stats.all_errors())} errors", file=sys.stderr, flush=True)
    lines = report(args, runs, plans, mine, mix)
    if args.no_write:
        print("\n".join(lines))
    else:
        from bench.results import replace_section

        replace_section(START, END, lines)
    return 0 if not any(r.stats.errors for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
