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


@pytest.fixture(autouse=True)
def browser_of_the_test_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest cannot send cookies, so this plays the browser of the user a test puts in
    ``session_state["user"]`` before a run: it holds a real session token of that account
    (created in the data directory's accounts file if missing, opened with
    ``Accounts.open_session``), and every run still resolves the user from the token — so
    logging out, disabling the account or changing its password ends the session in AppTest as
    in a browser. ``tests/test_sessions.py`` tests the real cookie on the real server."""
    import secrets

    import riskmap.web
    from data import paths
    from riskmap.accounts import DEMO_ACCOUNTS, Accounts

    tokens: dict[tuple[str, str], str] = {}

    def token() -> str | None:
        import streamlit as st

        user = st.session_state.get("user")
        if user is None:
            return None
        key = (str(paths.security_path()), user.username)
        if key not in tokens:
            accounts = Accounts(paths.security_path())
            if user.username not in {u["username"] for u in accounts.users()}:
                # A demo account gets its documented password: a browser test may log in with it later.
                password = next((p for u, _, _, p in DEMO_ACCOUNTS if u == user.username), secrets.token_urlsafe(12))
                accounts.add(user.username, user.name, user.role, password, user.grid_id, by="test")
            tokens[key] = accounts.open_session(user)
        return tokens[key]

    monkeypatch.setattr(riskmap.web, "browser_token", token)
