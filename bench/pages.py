"""Page speed on the demo city: server time of every page after its first load, and of filter
changes, measured with Streamlit's AppTest (the script run, without the browser's drawing).

    python bench/pages.py            # uses the demo database in the data directory

Writes its table into BENCHMARKS.md between the ``pages`` markers (the pipeline benchmark keeps it).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
START, END = "<!-- pages:start -->", "<!-- pages:end -->"
REPEATS = 5


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure() -> list[tuple[str, float, float]]:
    from streamlit.testing.v1 import AppTest

    from riskmap.accounts import User
    from riskmap.serve import disable_pages_folder_mode

    ADMIN = User("admin", "示意管理员", "admin")

    disable_pages_folder_mode()
    app = str(REPO / "app.py")
    pages = ["overview", "listing", "targets", "grid", "hazards", "parks", "model_info", "data_status"]
    rows = []
    for page in pages:
        at = AppTest.from_file(app, default_timeout=300)
        at.session_state["user"] = ADMIN
        at.run()
        first = timed(lambda at=at, page=page: at.switch_page(f"pages/screens/{page}.py").run())
        again = [timed(at.run) for _ in range(REPEATS)]
        assert not at.exception, (page, at.exception)
        rows.append((f"{page} (first load / rerun)", first, statistics.median(again)))
    interactions = {
        "overview: period 7 days": ("overview", lambda at: at.radio(key="period").set_value(7)),
        "overview: hexagons r9": ("overview", lambda at: at.radio(key="hex_res").set_value(9)),
        "overview: all five layers": ("overview", lambda at: at.multiselect(key="layers").set_value(
            ["grids", "parks", "enterprises", "hazards", "incidents"])),
        "targets: department = 消防救援": ("targets", lambda at: at.multiselect(key="f_department").set_value(
            ["消防救援"])),
        "targets: tier = 重大": ("targets", lambda at: at.multiselect(key="f_tier").set_value(["重大"])),
        "targets: industry = 制鞋": ("targets", lambda at: at.multiselect(key="f_industry").set_value(["制鞋"])),
        "hazards: department = 消防救援": ("hazards", lambda at: at.multiselect(key="hz_department").set_value(
            ["消防救援"])),
    }
    for label, (page, change) in interactions.items():
        times = []
        for _ in range(REPEATS):
            at = AppTest.from_file(app, default_timeout=300)
            at.session_state["user"] = ADMIN
            at.run()
            at.switch_page(f"pages/screens/{page}.py").run()
            times.append(timed(lambda at=at, change=change: change(at).run()))
            assert not at.exception, (label, at.exception)
        rows.append((label, float("nan"), statistics.median(times)))
    return rows


def main() -> int:
    os.environ.setdefault("RISKMAP_DATA_DIR", str(REPO / "var"))
    rows = measure()
    lines = [START, "", "## Page speed (demo city, 20,000 enterprises)", "",
             f"`python bench/pages.py`: server time of the page script in AppTest, median of {REPEATS}; "
             "targets: a page ≤ 1 s after its first load, a filter change ≤ 0.5 s.", "",
             "| page or change | first load s | after (median) s | target met |", "|---|---:|---:|---|"]
    for label, first, again in rows:
        target = 1.0 if "first load" in label else 0.5
        lines.append(f"| {label} | {'' if first != first else f'{first:.2f}'} | {again:.2f} | "
                     f"{'yes' if again <= target else 'NO'} |")
    lines += ["", END]
    from bench.results import replace_section

    replace_section(START, END, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
