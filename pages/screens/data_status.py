"""数据管理: import a ledger or a boundary layer (administrators), what has been imported, and
every rejected or flagged row with its reason."""

from __future__ import annotations

import streamlit as st

from data import queries
from data import tables as T
from pages.importing import XLSX, boundary_form, import_form, issues_frame, last_result
from pages.screens.common import (
    build_demo_with_progress,
    can,
    data_note_badge,
    export_button,
    localise,
    require_db,
    show,
    tr,
)
from reports.spreadsheets import to_xlsx

con = require_db()
meta = queries.meta(con)
st.title(tr("page_data"))
data_note_badge(meta)

if can("import"):
    import_form()
    boundary_form()
if "last_import" in st.session_state:
    last_result(st.session_state["last_import"])

st.subheader(tr("data_files"))
files = queries.import_files(con)[["file", "table_name", "crs", "rows_read", "accepted", "rejected", "warnings"]]
files["table_name"] = files["table_name"].map(lambda n: T.TABLES_BY_NAME[n].title if n in T.TABLES_BY_NAME else n)
files.columns = [tr(k) for k in ("col_file", "col_table", "col_crs", "col_read", "col_accepted",
                                 "col_rejected", "col_warnings")]
show(files, hide_index=True)

st.subheader(tr("data_issues"))
show(issues_frame(queries.import_issues(con)), hide_index=True)
export_button(st, tr("download", name=tr("issue_list")), lambda mark: to_xlsx(
                  localise(issues_frame(queries.import_issues(con, limit=None))), tr("issue_list"), mark),
              file_name=f"{tr('issue_list')}.xlsx", mime=XLSX, key="dl_issues")

with st.expander(tr("db_meta")):
    st.json({k: v for k, v in meta.items()})
    if meta.get("illustrative") == "1" and st.button(tr("rebuild")):
        build_demo_with_progress()
        st.rerun()
