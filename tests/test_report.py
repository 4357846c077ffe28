"""Weekly-report figures on a hand-built ledger."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from scoring.report import WEEKLY_COLUMNS, previous_period, weekly_figures


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE enterprise AS SELECT * FROM (VALUES ('A', 'T1'), ('B', 'T1'), ('C', 'T2')) t(uscc, township_code)")
    c.execute("""CREATE TABLE inspection AS SELECT * FROM (VALUES
        ('A', DATE '2026-11-02'), ('A', DATE '2026-11-09'), ('C', DATE '2026-11-05'), ('B', DATE '2026-10-20')
        ) t(uscc, date)""")
    c.execute("""CREATE TABLE hazard AS SELECT * FROM (VALUES
        ('A', DATE '2026-11-02', '重大', DATE '2026-11-06'),   -- found and fixed in the week
        ('A', DATE '2026-11-03', '一般', NULL::DATE),          -- found, still open
        ('C', DATE '2026-11-05', '一般', DATE '2026-11-20'),   -- found, fixed after the week
        ('B', DATE '2026-10-01', '较大', DATE '2026-11-04')    -- found before, fixed in the week
        ) t(uscc, found_on, level, rectified_on)""")
    c.execute("""CREATE TABLE enforcement AS SELECT * FROM (VALUES
        ('A', DATE '2026-11-03', '立案查处', 2.5), ('A', DATE '2026-11-04', '停产停业', NULL),
        ('A', DATE '2026-11-05', '停产停业', NULL), ('C', DATE '2026-11-06', '行政处罚', 1.0),
        ('C', DATE '2026-11-07', '移送公安', NULL), ('B', DATE '2026-10-01', '依法关闭/取缔', NULL)
        ) t(uscc, date, action, fine_10k_cny)""")
    return c


def test_weekly_figures_by_hand(con):
    got = weekly_figures(con, dt.date(2026, 11, 2), dt.date(2026, 11, 8))
    assert got == {
        "enterprises": 3, "inspections": 2, "hazards": 3, "hazards_major": 1, "rectified": 2,
        "rectified_major": 1, "rectification_rate": 1 / 3, "cases": 1, "fines_10k": 3.5,
        "suspended": 1,  # two actions, one enterprise
        "closed": 0, "referred": 1,
    }
    assert list(got) == [k for k, _, _ in WEEKLY_COLUMNS]


def test_weekly_figures_for_one_township(con):
    got = weekly_figures(con, dt.date(2026, 11, 2), dt.date(2026, 11, 8), townships=["T2"])
    assert (got["enterprises"], got["inspections"], got["hazards"], got["fines_10k"], got["referred"]) == (1, 1, 1, 1.0, 1)


def test_previous_period():
    assert previous_period(dt.date(2026, 11, 2), dt.date(2026, 11, 8)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))


def test_monthly_rectification_by_hand():
    from scoring.report import monthly_rectification

    c = duckdb.connect()
    c.execute("""CREATE TABLE hazard AS SELECT * FROM (VALUES
        (DATE '2026-10-03', DATE '2026-10-10', DATE '2026-10-08'),  -- on time
        (DATE '2026-10-20', DATE '2026-10-27', DATE '2026-11-02'),  -- late, done by now
        (DATE '2026-11-01', DATE '2026-11-08', NULL::DATE),        -- open
        (DATE '2026-11-10', DATE '2026-11-17', DATE '2026-11-15')  -- on time
        ) t(found_on, deadline, rectified_on)""")
    got = monthly_rectification(c, dt.date(2026, 11, 20), months=2)
    assert [m.date() for m in pd.to_datetime(got["month"])] == [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert got["found"].tolist() == [2, 2]
    assert got["on_time_rate"].tolist() == [0.5, 0.5]
    assert got["rectified_rate"].tolist() == [1.0, 0.5]
