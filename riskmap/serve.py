"""Start the app: ``python -m riskmap.serve [streamlit options]``.

Runs ``riskmap.asgi:app`` — Streamlit's ``st.App`` on app.py with our login routes and session
gate (``riskmap.web``) — through Streamlit's own command line, so every ``--server.*`` option
works as with ``streamlit run``.

Streamlit treats a ``pages/`` folder beside the main script as its old automatic multipage
app, which would let a direct link such as ``/grid`` bypass ``app.py`` (its navigation,
language and settings). Our ``pages/`` is a package of page modules routed by
``st.navigation``, so that mode is switched off here, before the server opens a session.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    disable_pages_folder_mode()
    serve_our_asgi_app()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
