"""Start the app: ``python -m riskmap.serve [streamlit options]``.

Streamlit treats a ``pages/`` folder beside the main script as its old automatic multipage
app, which would let a direct link such as ``/grid`` bypass ``app.py`` (its navigation,
language and settings). Our ``pages/`` is a package of page modules routed by
``st.navigation``, so that mode is switched off here, before the server opens a session.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def disable_pages_folder_mode() -> None:
    """Tell Streamlit not to run ``pages/*.py`` as an automatic multipage app."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def main(argv: list[str] | None = None) -> None:
    disable_pages_folder_mode()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
