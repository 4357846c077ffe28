"""Shared fixtures. The small city is built by code (data.demo) into a temp folder; no network."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from data.build import BuildReport
from data.demo import DemoConfig, generate_city
from riskmap.pipeline import rebuild

SMALL = DemoConfig(seed=7, enterprises=3000, townships=24, counties=3, grids=240, parks=6,
                   as_of=dt.date(2026, 11, 20))


@dataclass
class City:
    source: Path
    data_dir: Path
    db: Path
    summary: dict
    report: BuildReport


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> City:
    """A 3,000-enterprise demo city generated and built once for the whole session."""
    data_dir = tmp_path_factory.mktemp("city")
    source = data_dir / "demo"
    summary = generate_city(SMALL, source)
    db = data_dir / "riskmap.duckdb"
    report = rebuild(source, db, progress=None)
    from riskmap.pipeline import create_demo_accounts

    create_demo_accounts(db)  # leader / office / grid / admin, as the README documents
    return City(source, data_dir, db, summary, report)


@pytest.fixture()
def city_env(small_city: City, monkeypatch: pytest.MonkeyPatch) -> City:
    """Point the app's data directory at the small city."""
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(small_city.data_dir))
    return small_city


def busiest(con: duckdb.DuckDBPyConnection, column: str) -> str:
    """The value of ``column`` (grid_id, park_id, township_code) with the most enterprises."""
    return con.execute(f"SELECT {column} FROM enterprise WHERE {column} IS NOT NULL "
                       "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The literal tiny city of tests/fixtures.py, built once: a database in about a second."""
    from .fixtures import build_tiny_city

    return build_tiny_city(tmp_path_factory.mktemp("tiny"))


#: Fixtures that build (or stand on) the 3,000-enterprise demo city.
CITY_FIXTURES = {"small_city", "city_env", "county_city"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that need the demo city ``city``: ``pytest -m "not city and not slow and not
    browser"`` is the fast subset (literal data only, under 30 s)."""
    for item in items:
        if CITY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.city)
