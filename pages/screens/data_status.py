"""数据管理: what was imported, and every rejected or flagged row with its reason."""

from __future__ import annotations

import streamlit as st

from data import queries
from pages.screens.common import build_demo_with_progress, data_note_badge, require_db, show, tr

con = require_db()
meta = queries.meta(con)
st.title(tr("page_data"))
data_note_badge(meta)

st.subheader(tr("data_files"))
files = queries.import_files(con)[["file", "table_name", "crs", "rows_read", "accepted", "rejected",
                                   "warnings"]]
files.columns = [tr(k) for k in ("col_file", "col_table", "col_crs", "col_read", "col_accepted",
                                 "col_rejected", "col_warnings")]
show(files, hide_index=True)

st.subheader(tr("data_issues"))
issues = queries.import_issues(con)
issues["severity"] = issues["severity"].map({"error": tr("sev_error"), "warning": tr("sev_warning")})
issues.columns = [tr(k) for k in ("col_file", "col_row", "col_column", "col_value", "col_severity",
                                  "col_reason")]
show(issues, hide_index=True)

with st.expander(tr("db_meta")):
    st.json({k: v for k, v in meta.items()})
    if meta.get("illustrative") == "1" and st.button(tr("rebuild")):
        build_demo_with_progress()
        st.rerun()
