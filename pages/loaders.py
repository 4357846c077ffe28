"""Loaders the pages share the results of: each cached per :func:`db_version` (the database
version and the user's data scope), read-only — a page filters or merges into new frames, never
changes these in place (``pages.screens.common``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from data import queries
from pages.screens.common import require_db
from scoring.backtest import due_for_inspection
from scoring.closures import survival_by
from scoring.fired import with_hits
from scoring.measures import measures_as_of
from scoring.model import load_model
from scoring.report import period_bounds, previous_period, weekly_figures
from scoring.run import default_as_of
from scoring.targets import main_factors

# --- 城市总览 ------------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def top_townships(version: str) -> pd.DataFrame:
    """Townships by area index (most at risk first) with their listing level, if listed."""
    con = require_db()
    listed = queries.township_listing(con)[["key", "level"]]
    kept = survival_by(con, default_as_of(con), "township_code")[["key", "recheck_survival_rate"]]  # beside 整改率
    return queries.township_areas(con).merge(listed, on="key", how="left").merge(kept, on="key", how="left")


@st.cache_resource(max_entries=4, show_spinner=False)
def listed_townships(version: str) -> pd.DataFrame:
    return queries.township_listing(require_db())


@st.cache_resource(max_entries=8, show_spinner=False)
def meta_and_counts(version: str) -> tuple[dict, dict]:
    con = require_db()
    return queries.meta(con), queries.counts(con)


@st.cache_resource(max_entries=16, show_spinner=False)
def weekly(version: str, days: int) -> tuple[dt.date, dt.date, dict, dict]:
    con = require_db()
    start, end = period_bounds(default_as_of(con), days)
    return start, end, weekly_figures(con, start, end), weekly_figures(con, *previous_period(start, end))


# --- 检查目标 ------------------------------------------------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)  # read-only: no copy per run
def target_scores(version: str) -> pd.DataFrame:
    con = require_db()
    df = with_hits(queries.score_table(con), queries.rule_hits(con))  # the rule behind each red, its records
    model = load_model()
    df["main_factors"] = main_factors(df, model)
    df["rank"] = range(1, len(df) + 1)
    depts = queries.enterprise_departments(con, default_as_of(con))
    df = df.merge(depts, on="uscc", how="left")
    df["departments"] = df["departments"].map(lambda d: list(d) if isinstance(d, (list, np.ndarray)) else [])
    return df


@st.cache_resource(max_entries=8, show_spinner=False)
def target_measures(version: str) -> pd.DataFrame:
    con = require_db()
    return measures_as_of(con, default_as_of(con))


@st.cache_resource(max_entries=8, show_spinner=False)
def due_list(version: str) -> pd.DataFrame:
    """Every enterprise due for inspection (a filter keeps its rows of this, in this order)."""
    return due_for_inspection(target_scores(version), target_measures(version), default_as_of(require_db()))
