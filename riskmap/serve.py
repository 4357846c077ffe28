"""Start the app: ``python -m riskmap.serve [--workers N] [streamlit options]``.

``--workers N`` (default: the number of cores) runs N Streamlit processes behind nginx on one
port (``riskmap.workers``); ``--workers 1``, or a machine without nginx, runs one process
directly.

Runs ``riskmap.asgi:app`` — Streamlit's ``st.App`` on app.py with our login routes and session
gate (``riskmap.web``) — through Streamlit's own command line, so every ``--server.*`` option
works as with ``streamlit run``.

Streamlit treats a ``pages/`` folder beside the main script as its old automatic multipage
app, which would let a direct link such as ``/grid`` bypass ``app.py`` (its navigation,
language and settings). Our ``pages/`` is a package of page modules routed by
``st.navigation``, so that mode is switched off here, before the server opens a session.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
ASGI_APP = "riskmap.asgi:app"


def disable_pages_folder_mode() -> None:
    """Tell Streamlit not to run ``pages/*.py`` as an automatic multipage app."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def serve_our_asgi_app() -> None:
    """Make ``streamlit run app.py`` serve :data:`ASGI_APP` (Streamlit runs an ``st.App`` it
    finds in the main script; ours lives in ``riskmap.asgi`` so that app.py stays a script)."""
    from streamlit.web.server import app_discovery

    found = app_discovery.AppDiscoveryResult(is_asgi_app=True, app_name="app", import_string=ASGI_APP)

    def discover(path: Path, app_name: str | None = None) -> app_discovery.AppDiscoveryResult:
        return found

    app_discovery.discover_asgi_app = discover


def take_workers(args: list[str]) -> tuple[int, list[str]]:
    """``--workers N`` out of the options: (N, the rest). N defaults to the number of cores."""
    rest, n = [], os.cpu_count() or 1
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name == "--workers":
            raw = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            if not raw.isdigit() or int(raw) < 1:
                raise SystemExit(f"--workers 须为正整数，而不是 {raw!r}")
            n = int(raw)
            i += 1 if eq else 2
            continue
        rest.append(args[i])
        i += 1
    return n, rest


def sweep_layer_cache() -> None:
    """Remove map layer files no map has used for ``layers.store.KEEP_DAYS`` (each use touches
    its file, so a file a running worker's deck names is never that old)."""
    from data import paths
    from layers.store import LayerStore

    try:
        LayerStore(paths.layer_cache_dir()).sweep()
    except OSError as exc:  # a read-only or full disk must not stop the server
        print(f"未能清理地图图层缓存：{exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    n, args = take_workers(sys.argv[1:] if argv is None else argv)
    from riskmap.workers import WORKER_ENV

    if not os.environ.get(WORKER_ENV):  # the supervisor, or a single process: before any worker
        sweep_layer_cache()
    if n > 1:
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            from riskmap.workers import serve_workers

            raise SystemExit(serve_workers(n, args))
        print("未找到 nginx（bash scripts/install.sh 会安装）：以单个进程运行", file=sys.stderr)
    disable_pages_folder_mode()
    serve_our_asgi_app()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *args]
    cli.main()


if __name__ == "__main__":
    main()
