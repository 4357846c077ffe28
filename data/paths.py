"""Where the app keeps its files: one configurable data directory.

``RISKMAP_DATA_DIR`` overrides the default ``var/`` inside the repository (git-ignored).
Nothing is written at import time; callers create directories when they write.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data directory (not created here)."""
    return Path(os.environ.get("RISKMAP_DATA_DIR") or REPO_ROOT / "var")


def db_path() -> Path:
    """The DuckDB database file the app reads."""
    return data_dir() / "riskmap.duckdb"


def demo_source_dir() -> Path:
    """Where the demo generator writes its import files."""
    return data_dir() / "demo"


def header_maps_path() -> Path:
    """Saved mappings from the headers of a city's own ledgers to columns, per table."""
    return data_dir() / "header_maps.json"


def value_maps_path() -> Path:
    """Saved mappings from the values of a city's own ledgers to the allowed choices, per
    table and column (``data.valuemaps``)."""
    return data_dir() / "value_maps.json"


def uploads_dir() -> Path:
    """Where uploaded ledgers wait while they are imported."""
    return data_dir() / "uploads"


def layer_cache_dir() -> Path:
    """Map layer data the browser fetches beside a page (``layers.store``), shared by every
    worker process."""
    return data_dir() / "cache" / "layers"


def security_path() -> Path:
    """Accounts and the audit log (kept apart from the database, which rebuilds replace)."""
    return db_path().parent / "security.sqlite"
