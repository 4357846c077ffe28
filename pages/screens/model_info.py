"""模型说明: the factor table generated from the config, and the backtest on this database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data import queries
from pages.screens.common import data_note_badge, db_version, lang, md, require_db, show, tr, tv_label
from reports.lift import lift_rows, lift_summary, lift_view, pct, unknown_note
from riskmap.i18n import unit_text
from scoring.backtest import backtest
from scoring.docs import model_markdown
from scoring.lift import ALL
from scoring.model import load_model
from scoring.run import default_as_of


@st.cache_resource(max_entries=8, show_spinner=False)
def _backtest(version: str) -> dict:
    con = require_db()
    as_of = default_as_of(con) - dt.timedelta(days=365)
    r = backtest(con, load_model(), as_of)
    return {"as_of": r.as_of, "auc": r.auc, "base": r.base_rate, "top": r.share_of_incidents_in_top,
            "n": r.enterprises_with_incident}


@st.cache_resource(max_entries=8, show_spinner=False)
def _lift(version: str) -> pd.DataFrame:
    con = require_db()
    return lift_rows(con, default_as_of(con), load_model().lift)


con = require_db()
st.title(tr("page_model"))
data_note_badge(queries.meta(con))
st.caption(tr("model_intro"))
# Generated from our own config file, not user input; its rules name the city's own areas.
st.markdown(unit_text(model_markdown(load_model(), lang(), tv_label), lang()))

st.subheader(tr("backtest_title"))
bt = _backtest(db_version())
cols = st.columns(5)
cols[0].metric(tr("backtest_auc"), f"{bt['auc']:.3f}")
cols[1].metric(tr("backtest_base"), f"{bt['base']:.2%}")
for col, (share, value) in zip(cols[2:], bt["top"].items()):
    col.metric(tr("backtest_top", p=share), f"{value:.0%}")
st.caption(f"{bt['as_of']} · {tr('backtest_note')}")

st.subheader(tr("lift_title"))
settings = load_model().lift
lift = _lift(db_version())
st.caption(tr("lift_intro", pct=pct(settings), min=settings.min_inspections))
st.markdown(md(lift_summary(lift, settings, lang())))
if unknown_note(lift, lang()):
    st.caption(unknown_note(lift, lang()))
departments = [ALL, *sorted(d for d in lift["department"].unique() if d != ALL)]
dept = st.selectbox(tr("col_department"), departments, format_func=tv_label, key="lift_department",
                    placeholder=tr("choose_one"))
show(lift_view(lift[lift["department"] == dept], settings, lang()), hide_index=True, key="lift_table")
