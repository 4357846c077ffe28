"""检查目标: the ranked list with each row's reasons, filters, the due list and the 双随机 draw."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data import queries
from pages.filters import describe_filters, target_filters
from pages.loaders import due_list, target_scores
from pages.screens.common import (
    XLSX,
    can,
    current_user,
    data_note_badge,
    db_version,
    export_button,
    lang,
    localise,
    md,
    require_db,
    show,
    tr,
)
from reports.exports import ExportRequest, export
from reports.ledgers import assignment_list, target_list
from reports.marks import Mark
from reports.spreadsheets import to_xlsx
from reports.views import ViewRequest
from riskmap.draws import DrawError, draw_and_record
from scoring.model import load_model
from scoring.targets import direct_reasons, score_parts

#: Rows of a list sent to the browser; the Excel download has them all. (Sending all 20,000
#: on every rerun made this page the slowest under load: bench/load.py.)
SHOWN_ROWS = 2000


con = require_db()
version = db_version()
model = load_model()
meta = queries.meta(con)
scores = target_scores(version)
st.title(tr("page_targets"))
data_note_badge(meta)

chosen = target_filters(scores, model)
said = describe_filters(scores, model) or tr("no_filter")  # on screen, and in a snapshot's caption
st.caption(f"{tr('n_targets', n=len(chosen))} · {md(said)}")

if len(chosen):
    def snapshot(mark: Mark) -> bytes:  # the request names every chosen enterprise: made when clicked
        selection = ViewRequest("enterprises", usccs=tuple(chosen["uscc"]), lang=lang(),
                                label=said)
        return export(con, "png", ExportRequest(view=selection), mark)[0]

    export_button(st, tr("snapshot_filters"), snapshot,
        file_name=f"{tr('export_png')}_{meta.get('as_of', '')}.png", mime="image/png", key="dl_snapshot",
        rows=len(chosen))

ranked, due_tab, draw_tab = st.tabs([tr("tab_ranked"), tr("tab_due"), tr("tab_draw")])
with ranked:
    view = target_list(chosen, lang())  # with the direct rule that fired, its records and clause
    show(view.head(SHOWN_ROWS), hide_index=True, key="ranked_table")
    if len(view) > SHOWN_ROWS:
        st.caption(tr("shown_rows", n=SHOWN_ROWS, total=len(view)))
    # Built when clicked (a 20,000-row workbook takes seconds), not on every rerun.
    export_button(st, tr("download", name=tr("list_targets")),
                  lambda mark: to_xlsx(localise(view), tr("list_targets"), mark),
                  file_name=f"{tr('list_targets')}_{meta.get('as_of', '')}.xlsx", mime=XLSX, rows=len(view))
    if len(chosen):
        first = chosen.head(300)
        names = dict(zip(first["uscc"], first["name"]))
        pick = st.selectbox(tr("breakdown_pick"), first["uscc"], key="pick", format_func=lambda u: f"{u} {names[u]}",
                            placeholder=tr("choose_one"))
        row = chosen[chosen["uscc"] == pick].iloc[0]
        parts = score_parts(row, model)
        show(pd.DataFrame([(p.group, p.name, p.points) for p in parts],
                          columns=[tr("col_group"), tr("col_factor"), tr("col_points")]),
             hide_index=True, key="breakdown")
        st.caption(f"{tr('col_score')} {row['score']:.1f} = " + " + ".join(f"{p.points:g}" for p in parts))
        if direct_reasons(row, model):
            st.warning(tr("direct_rule", rules=md(tr("list_sep").join(direct_reasons(row, model)))))

with due_tab:
    due = due_list(version)
    if len(chosen) < len(scores):  # a filter chose some: the due list of those
        due = due[due["uscc"].isin(chosen["uscc"])]
    if len(due) > SHOWN_ROWS:
        st.caption(tr("shown_rows", n=SHOWN_ROWS, total=len(due)))
    show(pd.DataFrame({
        tr("col_uscc"): due["uscc"], tr("col_ent_name"): due["name"], tr("col_tier"): due["tier"],
        tr("col_score"): due["score"].round(1), tr("col_next_due"): due["next_due"],
        tr("col_overdue_days"): due["days_overdue"].astype("Int64"),
        tr("never"): due["never_inspected"],
    }).head(SHOWN_ROWS), hide_index=True, key="due_table")

with draw_tab:
    d1, d2 = st.columns(2)
    size = d1.number_input(tr("draw_size"), min_value=1, max_value=max(1, len(chosen)),
                           value=min(20, max(1, len(chosen))), key="draw_size")
    seed = d2.number_input(tr("draw_seed"), min_value=0, value=int(dt.date.today().strftime("%Y%m%d")), key="draw_seed")
    if st.button(tr("draw_button"), key="draw_button", disabled=not len(chosen) or not can("draw")):
        user = current_user()
        assert user is not None  # the button is enabled only for a user who may draw
        try:
            d = draw_and_record(con, chosen, model, int(size), int(seed), user.username)
        except DrawError as exc:
            st.error(md(exc))
        else:
            st.session_state["last_draw"] = (d, dt.date.today())
    if "last_draw" in st.session_state:
        d, drawn_on = st.session_state["last_draw"]
        alloc = "，".join(f"{k} {v}" for k, v in d.allocation.items())
        st.success(tr("draw_done", n=d.size, seed=d.seed, alloc=md(alloc)))
        if d.control:
            share = f"{model.lift.control_share:.0%}"
            st.caption(tr("draw_control", n=d.control, share=share, rest=d.size - d.control))
        assigned = assignment_list(d, scores, drawn_on, model.plan.assign_days, lang())
        show(assigned, hide_index=True, key="draw_table")
        export_button(st, tr("download", name=tr("list_assigned")),
                      lambda mark: to_xlsx(localise(assigned), tr("list_assigned"), mark),
                      file_name=f"{tr('list_assigned')}_{drawn_on}_{d.seed}.xlsx", key="dl_assigned", mime=XLSX,
                      rows=len(assigned))
        st.caption(tr("assign_note", days=model.plan.assign_days))
