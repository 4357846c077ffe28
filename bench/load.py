"""Load test: N concurrent sessions on the demo city against a real Streamlit server (loopback).

Each simulated user speaks Streamlit's own websocket protocol (the protobuf messages the
browser sends), so the figures are the server's: the time from asking for a page to the
server saying the script finished, including sending every element. No browser renders
anything — what the server can serve, not how fast a laptop draws it.

Each session logs in through the login form (as the demo 安委办 account), then opens
城市总览, 检查目标, 乡镇挂牌 and 隐患闭环 in turn. Results go to BENCHMARKS.md between the
``load`` markers.

    python bench/load.py                 # 20 sessions
    python bench/load.py --sessions 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
START, END = "<!-- load:start -->", "<!-- load:end -->"
PAGES = ("overview", "targets", "listing", "hazards")


class Session:
    """One simulated user on one websocket."""

    def __init__(self, url: str):
        self.url = url
        self.widgets: dict[str, tuple[str, str]] = {}  # label -> (widget id, kind)
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.errors: list[str] = []

    async def connect(self) -> None:
        import websockets  # the client library Streamlit's own server stack installs

        self.ws = await websockets.connect(self.url.replace("http", "ws") + "/_stcore/stream",
                                           subprotocols=["streamlit"], max_size=None)

    async def run(self, widget_states: WidgetStates | None = None, page_hash: str = "") -> float:
        """Ask for a script run; wait until it has finished; return the seconds it took."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = page_hash
        if widget_states is not None:
            msg.rerun_script.widget_states.CopyFrom(widget_states)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        await self._until_finished()
        return time.perf_counter() - t0

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=300)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    self.errors.append(el.exception.message)
                elif which in ("text_input", "button"):
                    widget = getattr(el, which)
                    self.widgets[widget.label] = (widget.id, which)
            elif kind == "navigation":
                for p in fm.navigation.app_pages:
                    self.pages[p.url_pathname or "overview"] = p.page_script_hash  # the default page has ""
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): the run that counts comes next
                return

    async def login(self, username: str, password: str) -> float:
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        await self.run()  # the login form
        states = WidgetStates()
        for label, value in (("用户名", username), ("密码", password)):
            w = states.widgets.add()
            w.id = self.widgets[label][0]
            w.string_value = value
        submit = states.widgets.add()
        submit.id = self.widgets["登录"][0]
        submit.trigger_value = True
        return await self.run(states)


async def user(url: str, times: dict[str, list[float]], errors: list[str]) -> None:
    s = Session(url)
    try:
        await s.connect()
        times["login"].append(await s.login("office", "demo-office-2026"))
        if not s.pages:
            raise RuntimeError("no navigation after login: the login failed")
        for page in PAGES:
            times[page].append(await s.run(page_hash=s.pages[page]))
    except Exception as exc:  # every failure is counted, not raised
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if hasattr(s, "ws"):
            await s.ws.close()
    errors.extend(s.errors)


async def load(url: str, sessions: int) -> tuple[dict[str, list[float]], list[str], float]:
    times: dict[str, list[float]] = {k: [] for k in ("login", *PAGES)}
    errors: list[str] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(user(url, times, errors) for _ in range(sessions)))
    return times, errors, time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))] if v else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("RISKMAP_DATA_DIR", str(REPO / "var"))
    from data import paths
    from tests.browser import streamlit_server

    if not paths.db_path().exists():
        print("no demo database: run python -m riskmap demo first", file=sys.stderr)
        return 1
    with streamlit_server(paths.data_dir()) as url:
        asyncio.run(load(url, 1))  # warm the caches once, as after the first visitor
        alone, alone_errors, _ = asyncio.run(load(url, 1))
        times, errors, wall = asyncio.run(load(url, args.sessions))
    errors += alone_errors
    lines = [START, "", f"## Load: {args.sessions} concurrent sessions", "",
             f"`python bench/load.py`: {args.sessions} simulated users at once against `python -m riskmap.serve` on "
             f"loopback, on this {os.cpu_count()}-core machine, speaking Streamlit's websocket protocol (no browser); "
             "each logs in as 安委办 and opens four pages in turn. Server time from the request to "
             "`script_finished`, after one warm-up visit.", "",
             f"| step | one user alone s | {args.sessions} at once: done | p50 s | p95 s | max s |",
             "|---|---:|---:|---:|---:|---:|"]
    for step, values in times.items():
        lines.append(f"| {step} | {alone[step][0] if alone[step] else float('nan'):.2f} | {len(values)} | "
                     f"{percentile(values, 0.5):.2f} | {percentile(values, 0.95):.2f} | "
                     f"{max(values) if values else float('nan'):.2f} |")
    lines += ["", f"Errors: {len(errors)}{' — ' + '; '.join(errors[:3]) if errors else ''}. "
              f"All {args.sessions} sessions took {wall:.1f} s of wall time: page scripts share one Python "
              "process, so under this load a page waits for the others' runs (throughput, not a hang).", "", END]
    from bench.results import replace_section

    replace_section(START, END, lines)
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
