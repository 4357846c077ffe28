"""隐患闭环: hazards by department, level and status; the overdue list; rectification month by
month; and the 五张清单 (inspection, hazard, assigned, rectified, supervised lists) to hand out."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from data import queries
from data.vocab import HAZARD_LEVELS
from pages.closures import closure_section, five_lists_now, survival_caption
from pages.screens.common import (
    KEPT,
    XLSX,
    export_button,
    from_url,
    lang,
    localise,
    rate_chart,
    require_db,
    show,
    show_rows,
    start_page,
    to_url,
    tr,
    tv_label,
)
from reports.figures import figure_text
from reports.ledgers import FIVE_LISTS, narrow
from reports.marks import Mark
from reports.spreadsheets import to_xlsx
from scoring import metrics
from scoring.metrics import HAZARD_KEYS
from scoring.report import HAZARD_FIGURES, hazard_figures, monthly_rectification
from scoring.run import default_as_of


@st.cache_resource(max_entries=8, show_spinner=False)
def _data(version: str, days: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = require_db()
    t = default_as_of(con)
    start = t - dt.timedelta(days=days - 1)
    return queries.hazards_between(con, start, t, t), queries.overdue_hazards(con, t), monthly_rectification(con, t)


@st.cache_resource(max_entries=8, show_spinner=False)
def _figures(version: str) -> pd.DataFrame:
    con = require_db()
    return hazard_figures(con, default_as_of(con))


@st.cache_resource(max_entries=64, show_spinner=False)
def _kpis(version: str, days: int, departments: tuple[str, ...], levels: tuple[str, ...]) -> dict[str, float]:
    con = require_db()
    t = default_as_of(con)
    return metrics.figures(con, t - dt.timedelta(days=days - 1), t, HAZARD_KEYS, departments=departments,
                           levels=levels)


def _xlsx(frame: pd.DataFrame, key: str, mark: Mark) -> bytes:
    """A list as a workbook (made when it is downloaded, with its mark)."""
    return to_xlsx(localise(frame), tr(key), mark)


con, version = start_page("page_hazards")
as_of = default_as_of(con)

HZ_PERIODS = (30, 90, 365)
from_url("hz_period", HZ_PERIODS)
days = st.radio(tr("period"), HZ_PERIODS, index=1, horizontal=True, key="hz_period",
                format_func=lambda d: tr(f"period_{d}"), **KEPT)
to_url("hz_period", HZ_PERIODS[1])
hazards, overdue, monthly = _data(version, days)
c1, c2 = st.columns(2)
for key, options in (("hz_department", sorted(hazards["department"].dropna().unique())), ("hz_level", HAZARD_LEVELS)):
    from_url(key, options, multi=True)
departments = c1.multiselect(tr("col_department"), sorted(hazards["department"].dropna().unique()), key="hz_department",
                             placeholder=tr("choose"), format_func=tv_label, select_all=False, **KEPT)
levels = c2.multiselect(tr("col_hz_level"), list(HAZARD_LEVELS), key="hz_level", placeholder=tr("choose"),
                        format_func=tv_label, select_all=False, **KEPT)
for key in ("hz_department", "hz_level"):
    to_url(key, [])


def keep(df: pd.DataFrame) -> pd.DataFrame:
    return df[(df["department"].isin(departments) | (not departments)) & (df["level"].isin(levels) | (not levels))]


hz, od = keep(hazards), keep(overdue)
start = as_of - dt.timedelta(days=days - 1)
st.caption(tr("weekly_title", start=start, end=as_of))
# The same figures, by the same definitions, as 城市总览 and the exports (scoring.metrics).
now = _kpis(version, days, tuple(departments), tuple(levels))
for col, key in zip(st.columns(len(HAZARD_KEYS)), HAZARD_KEYS):
    col.metric(metrics.metric(key).text(lang()), figure_text(key, now[key]), help=metrics.metric(key).help(lang()))

st.subheader(tr("hz_by_department"))
pivot = pd.crosstab(hz["department"], hz["status"]).reindex(columns=list(queries.HAZARD_STATUSES), fill_value=0)
pivot[tr("hz_rate")] = (pivot["已整改"] + pivot["已销号"]) / pivot.sum(axis=1)
show(pivot.rename_axis(tr("col_department")), key="hz_pivot",
             column_config={tr("hz_rate"): st.column_config.NumberColumn(format="percent")})

st.subheader(tr("hz_by_area", as_of=as_of))
figures = _figures(version)
show(pd.DataFrame({tr("col_name"): figures["name"], **{tr(f"hz_fig_{k}"): figures[k] for k in HAZARD_FIGURES}}),
     hide_index=True, key="hz_by_area", column_config={tr(f"hz_fig_{k}"): st.column_config.NumberColumn(
         format="percent") for k in ("rectification_rate", "recheck_survival_rate")})
survival_caption(figures, as_of)

st.subheader(tr("hz_monthly"))
rate_chart(monthly.assign(month=pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")), "month",
           {"on_time_rate": tr("hz_on_time"), "rectified_rate": tr("hz_by_now")}, tr("hz_month_found"), tr("hz_rate"))

st.subheader(tr("hz_overdue_list"))
overdue_table = od.assign(**{c: pd.to_datetime(od[c]).dt.date for c in ("found_on", "deadline")}).rename(columns={
    "uscc": tr("col_uscc"), "name": tr("col_ent_name"), "township_name": tr("col_name"), "grid_name": tr("col_grid"),
    "manager": tr("col_manager"), "found_on": tr("col_found"), "level": tr("col_hz_level"),
    "category": tr("col_category"), "department": tr("col_department"), "deadline": tr("col_deadline"),
    "days_overdue": tr("col_overdue_days")}).drop(columns=["id"])
show_rows(overdue_table, hide_index=True, key="hz_overdue")
export_button(st, tr("download", name=tr("hz_overdue_list")), partial(_xlsx, overdue_table, "hz_overdue_list"),
              key="dl_overdue", file_name=f"{tr('hz_overdue_list')}_{as_of}.xlsx", rows=len(overdue_table),
              mime=XLSX)

closure_section(version, as_of, departments, levels)

st.subheader(tr("five_lists"))
# The same lists as the Excel exports and `python -m riskmap export five` (reports/ledgers.py),
# narrowed by the department and level chosen above.
LIST_KEYS = dict(zip(FIVE_LISTS, ("list_inspection", "list_hazard", "list_assigned", "list_rectified",
                                  "list_supervised")))
# One list at a time: tabs would send all five tables to the browser (4.8 MB at 90 days).
lists = five_lists_now(version, days)
from_url("five_list", list(lists))
name = st.radio(tr("five_lists"), list(lists), key="five_list", horizontal=True,
               format_func=lambda n: tr(LIST_KEYS[n]), label_visibility="collapsed", **KEPT)
to_url("five_list", next(iter(lists)))
frame = narrow(lists[name], departments, levels)
key = LIST_KEYS[name]
show_rows(frame, hide_index=True, key=f"tbl_{key}")
export_button(st, tr("download", name=tr(key)), partial(_xlsx, frame, key),
              key=f"dl_{key}", file_name=f"{tr(key)}_{as_of}.xlsx", rows=len(frame),
              mime=XLSX)
