"""用户与审计 (管理员): accounts — add, disable, enable, end their logins — and the audit log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import paths
from pages.screens.common import current_user, show, start_page, tr, tv
from riskmap.accounts import ROLE_NAMES, ROLES, AccountError, Accounts

user = current_user()
if user is None or not user.can("users"):
    st.stop()  # the navigation shows this page to administrators only; never render it otherwise
accounts = Accounts(paths.security_path())
start_page("page_admin")

st.subheader(tr("users_title"))
users = pd.DataFrame(accounts.users())
show(pd.DataFrame({
    tr("username"): users["username"], tr("display_name"): users["name"],
    tr("role"): users["role"].map(lambda r: tv(ROLE_NAMES[r])), tr("grid_of_user"): users["grid_id"],
    tr("col_disabled"): users["disabled"].astype(bool), tr("col_created"): users["created_at"],
    tr("col_sessions"): users["username"].map(accounts.open_sessions),
}), hide_index=True, key="users_table")

with st.form("add_user", clear_on_submit=True):
    st.markdown(f"**{tr('user_add')}**")
    c = st.columns(5)
    username = c[0].text_input(tr("username"), key="new_username")
    name = c[1].text_input(tr("display_name"), key="new_name")
    role = c[2].selectbox(tr("role"), list(ROLES), format_func=lambda r: str(tv(ROLE_NAMES[r])), key="new_role",
                          placeholder=tr("choose_one"))
    grid = c[3].text_input(tr("grid_of_user"), key="new_grid")
    password = c[4].text_input(tr("password"), type="password", key="new_password")
    if st.form_submit_button(tr("user_add")):
        try:
            accounts.add(username, name or username, role, password, grid or None, by=user.username)
        except AccountError as exc:
            st.error(str(exc))
        else:
            st.success(tr("user_added", u=username))
            st.rerun()

c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
who = c1.selectbox(tr("user_toggle"), [u for u in users["username"] if u != user.username], key="toggle_user",
                   placeholder=tr("choose_one"))
if who and c2.button(tr("disable"), key="disable_user"):
    accounts.set_disabled(who, True, by=user.username)
    st.rerun()
if who and c3.button(tr("enable"), key="enable_user"):
    accounts.set_disabled(who, False, by=user.username)
    st.rerun()
if who and c4.button(tr("end_sessions"), key="end_sessions"):  # e.g. a lost phone: every login of it ends
    st.success(tr("sessions_ended", u=who, n=accounts.end_sessions(who, by=user.username)))

st.subheader(tr("audit_title"))
log = pd.DataFrame(accounts.audit_log(1000), columns=["at", "username", "action", "detail"])
show(log.rename(columns={"at": tr("col_at"), "username": tr("col_user"), "action": tr("col_event"),
                         "detail": tr("col_detail")}), hide_index=True, key="audit_table")
