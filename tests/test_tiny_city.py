"""Queries, closed-loop figures and ledgers on the literal tiny city (tests/fixtures.py): every
expected answer is worked out by hand from the rows written there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from data.build import connect

from . import fixtures as F

AS_OF = dt.date.fromisoformat(F.AS_OF)


@pytest.fixture()
def con(tiny_city: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(tiny_city, read_only=True)
    yield c
    c.close()


def test_enterprises_are_placed_in_their_township_grid_and_park(con):
    got = {u: (t, g, p) for u, t, g, p in con.execute(
        "SELECT uscc, township_code, grid_id, park_id FROM enterprise").fetchall()}
    assert got == {F.E1: ("339902001", "339902001001", "P01"), F.E2: ("339902001", "339902001001", None),
                   F.E3: ("339902101", "339902101001", None), F.E4: ("339902101", "339902101001", None)}


def test_hazard_status_at_the_as_of_date(con):
    from data.queries import HAZARD_STATUS_SQL

    got = dict(con.execute(f"SELECT id, {HAZARD_STATUS_SQL} FROM hazard WHERE found_on <= $t",
                           {"t": AS_OF}).fetchall())
    assert got == {"H1": "已整改", "H2": "逾期", "H3": "整改中", "H4": "逾期", "H5": "已整改"}


def test_hazard_figures_per_township(con):
    from scoring.report import hazard_figures

    got = hazard_figures(con, AS_OF).set_index("code")
    # 甲街道: H1 rectified, H2 open and overdue, H3 open and not yet due; 乙镇: H4 重大 open and
    # overdue, H5 rectified; H6 is found after the as-of date.
    assert got.loc["339902001", ["total", "rectified", "open", "overdue", "major"]].tolist() == [3, 1, 2, 1, 0]
    assert got.loc["339902101", ["total", "rectified", "open", "overdue", "major"]].tolist() == [2, 1, 1, 1, 1]
    assert got["rectification_rate"].tolist() == pytest.approx([1 / 3, 1 / 2])


def test_the_five_lists(con):
    from reports.ledgers import five_lists

    lists = five_lists(con, dt.date(2026, 8, 23), AS_OF)  # the 90 days ending on the as-of date
    assert lists["检查清单"]["检查编号"].tolist() == ["I1", "I2"]  # I3 (June) falls before the period
    assert sorted(lists["交办清单"]["隐患编号"]) == ["H2", "H3", "H4"]  # open on the as-of date
    assert sorted(lists["整改清单"]["隐患编号"]) == ["H1", "H5"]  # rectified within the period
    assert sorted(lists["隐患清单"]["隐患编号"]) == ["H1", "H2", "H3", "H4"]  # found within the period


def test_weekly_figures_of_thirty_days(con):
    from scoring.report import period_bounds, weekly_figures

    got = weekly_figures(con, *period_bounds(AS_OF, 30))  # 2026-10-22 … 2026-11-20
    assert (got["enterprises"], got["inspections"], got["hazards"], got["rectified"]) == (4, 1, 1, 0)
    assert got["cases"] == 0 and got["suspended"] == 0  # F1, F2 are in early October


def test_the_roster_and_a_grid_managers_view(con):
    from data.access import scope_connection
    from riskmap.draws import roster

    # by department (市场监管局, 应急管理局, 消防救援 in code-point order), then name
    assert roster(con)["badge"].tolist() == ["SY00003", "SY00001", "SY00002"]
    grid = scope_connection(con, "339902001001")
    assert roster(grid).empty  # a 网格员 sees no roster
    masked = scope_connection(con, None, mask_people=True)
    assert roster(masked)["name"].tolist() == ["张*", "王*", "李*"]
    assert roster(masked)["phone"].tolist() == ["139****0003", "139****0001", "139****0002"]
