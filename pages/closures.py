"""The part of 隐患闭环 about closures that are checked (issue 17, part 3): the re-check
survival rate beside 整改率, the closures that look wrong with their reasons, the
re-inspection sample (drawn and audited by a user who may draw), and the escalation ladder
(confirmed, step by step, by a user who may decide). Rendered by ``pages/screens/hazards.py``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data.vocab import RECHECK_OUTCOMES
from pages.screens.common import KEPT, can, current_user, lang, md, require_db, show, show_rows, tr
from reports.closures import flag_table, flagged_closures, ladder_table, rule_counts, sample_table
from reports.ledgers import five_lists
from riskmap.closures import (
    ClosureError,
    confirm_step,
    confirmations,
    ladder,
    log_mtime,
    record_recheck,
    sample_and_record,
)
from riskmap.i18n import value
from scoring.closures import closures_count
from scoring.model import Model, load_model
from scoring.run import default_as_of


@st.cache_resource(max_entries=8, show_spinner=False)
def _flagged(version: str) -> pd.DataFrame:
    con = require_db()
    return flagged_closures(con, load_model(), default_as_of(con))


@st.cache_resource(max_entries=8, show_spinner=False)
def _ladder(version: str, log_mtime: float) -> pd.DataFrame:
    con = require_db()
    return ladder(con, load_model(), default_as_of(con))


@st.cache_resource(max_entries=8, show_spinner=False)
def _five_lists(version: str, days: int, log_mtime: float) -> dict[str, pd.DataFrame]:
    con = require_db()
    t = default_as_of(con)
    return five_lists(con, t - dt.timedelta(days=days - 1), t, confirmations())


def five_lists_now(version: str, days: int) -> dict[str, pd.DataFrame]:
    """The 五张清单 of the ``days`` ending on the as-of date, the 交办清单 with the escalation
    steps confirmed so far (cached until the next confirmation)."""
    return _five_lists(version, days, log_mtime())


def _keep(df: pd.DataFrame, departments: list[str], levels: list[str]) -> pd.DataFrame:
    return df[(df["department"].isin(departments) | (not departments)) & (df["level"].isin(levels) | (not levels))]


def survival_caption(figures: pd.DataFrame, as_of: dt.date) -> None:
    """The city's closures re-checked and surviving, beside 整改率 (from ``hazard_figures``)."""
    n, k = int(figures["rechecked"].sum()), int(figures["recheck_survived"].sum())
    total, rect = int(figures["total"].sum()), int(figures["rectified"].sum())
    if n:
        st.caption(tr("cl_survival", as_of=as_of, n=n, k=k, rate=f"{k / n:.1%}",
                      rect=f"{rect / total:.1%}" if total else "—"))
    else:
        st.caption(tr("cl_survival_none", as_of=as_of))


def _entry_form(sampled: list[str]) -> None:
    """A re-check outcome entered by hand: imported as a one-row 复查记录 and audited
    (``riskmap.closures.record_recheck``); the hazards of the sample drawn are offered first."""
    with st.expander(tr("cl_enter")):
        c1, c2, c3, c4 = st.columns(4)
        if sampled:
            hazard = c1.selectbox(tr("cl_enter_hazard"), sampled, key="cl_enter_hazard", placeholder=tr("choose_one"))
        else:
            hazard = c1.text_input(tr("cl_enter_hazard"), key="cl_enter_hazard_text")
        today = dt.date.today()
        day = c2.selectbox(tr("cl_enter_date"), [today - dt.timedelta(days=i) for i in range(120)],
                           format_func=dt.date.isoformat, key="cl_enter_date", placeholder=tr("choose_one"))
        outcome = c3.selectbox(tr("cl_enter_outcome"), RECHECK_OUTCOMES, format_func=lambda v: str(value(v, lang())),
                               key="cl_enter_outcome", placeholder=tr("choose_one"))
        user = current_user()
        checker = c4.text_input(tr("cl_enter_checker"), value=user.name if user else "", key="cl_enter_checker")
        if st.button(tr("cl_enter_go"), key="cl_enter_go", disabled=not hazard or not day or not outcome):
            try:
                rid = record_recheck(user, str(hazard), day, str(outcome), checker)
            except ClosureError as exc:
                st.error(md(exc))  # it quotes the id typed: made inert
            else:
                st.success(tr("cl_entered", id=md(rid)))


def closure_section(version: str, as_of: dt.date, departments: list[str], levels: list[str]) -> None:
    model: Model = load_model()
    cfg = model.closures
    if cfg is None:
        return
    st.subheader(tr("cl_flags_title", days=cfg.window_days))
    flagged = _flagged(version)
    n_closed = closures_count(require_db(), as_of, cfg.window_days)
    rules = tr("list_sep").join(f"{tr('cl_rule_' + r)} {c}" for r, c in rule_counts(flagged).items())
    st.caption(tr("cl_flags_count", days=cfg.window_days, n=n_closed, k=len(flagged), rules=rules))
    shown = _keep(flagged, departments, levels) if len(flagged) else flagged
    show_rows(flag_table(shown, lang()), hide_index=True, key="cl_flags")

    st.subheader(tr("cl_sample_title"))
    per = tr("list_sep").join(f"{md(value(lv, lang()))} {n}"
                              for lv, n in cfg.per_stratum.items())
    st.caption(tr("cl_sample_rule", days=cfg.window_days, per=per))
    seed = st.number_input(tr("cl_seed"), min_value=0, value=int(dt.date.today().strftime("%Y%m%d")), key="cl_seed")
    if st.button(tr("cl_draw"), key="cl_draw", disabled=not can("draw")):
        user = current_user()
        assert user is not None  # the button is enabled only for a user who may draw
        st.session_state["cl_sample"] = sample_and_record(require_db(), model, as_of, int(seed), user.username)
    if "cl_sample" in st.session_state:
        s = st.session_state["cl_sample"]
        st.success(tr("cl_drawn", n=len(s.rows), seed=s.seed))
        show(pd.DataFrame({tr("cl_col_stratum"): s.strata["level"] + "·" + s.strata["department"],
                           tr("cl_col_closures"): s.strata["closures"], tr("cl_col_drawn"): s.strata["drawn"]}),
             hide_index=True, key="cl_strata")
        show_rows(sample_table(s.rows, lang()), hide_index=True, key="cl_sample_rows")
    if can("decide"):
        _entry_form(st.session_state["cl_sample"].rows["id"].tolist() if "cl_sample" in st.session_state else [])

    st.subheader(tr("cl_ladder_title", as_of=as_of))
    st.caption(tr("cl_ladder_rule", steps=tr("list_sep").join(
        tr("cl_ladder_step", days=s.overdue_days, name=value(s.name, lang()))
        for s in cfg.escalation)))
    rows = _ladder(version, log_mtime())
    mine = _keep(rows, departments, levels)
    on = mine[mine["step"].notna()]
    waiting = on[on["proposed"]]
    st.caption(tr("cl_ladder_proposed", n=len(mine), k=len(waiting)))
    show_rows(ladder_table(on, lang()), hide_index=True, key="cl_ladder")
    if not can("decide"):
        return
    if waiting.empty:
        st.caption(tr("cl_none_proposed"))
        return
    options = [f"{i}|{s}" for i, s in zip(waiting["id"], waiting["step"])]
    names = dict(zip(options, (f"{i} · {value(n, lang())}"
                               for i, n in zip(waiting["id"], waiting["step_name"]))))
    pick = st.selectbox(tr("cl_pick"), options, format_func=names.__getitem__, key="cl_pick",
                        placeholder=tr("choose_one"), **KEPT)
    if pick and st.button(tr("cl_confirm"), key="cl_confirm"):
        hazard_id, step = pick.split("|", 1)
        try:
            r = confirm_step(current_user(), hazard_id, step, model, rows)
        except ClosureError as exc:
            st.error(md(exc))  # it quotes the hazard id: made inert
        else:
            st.success(tr("cl_confirmed", id=md(r["hazard_id"]), step=value(r["step_name"],
                                                                            lang())))
