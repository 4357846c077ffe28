"""风险一张图 — Streamlit entry point: page config, login, navigation by role, shared sidebar."""

from __future__ import annotations

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data import paths
from pages.screens.common import connection, keep_through_language_change, md, use_units_of
from riskmap.accounts import ROLE_NAMES, Accounts, User, token_hash
from riskmap.i18n import LANGS, t, value
from riskmap.serve import disable_pages_folder_mode
from riskmap.web import LOGIN_PATH, bind_session, browser_token, browser_user, unexpected_error

disable_pages_folder_mode()  # `python -m riskmap.serve` does this before the first session too

st.set_page_config(page_title=t("app_title", st.session_state.get("lang", "zh")), layout="wide")

lang = st.sidebar.selectbox(t("language"), list(LANGS), format_func=LANGS.__getitem__, key="lang",
                            on_change=keep_through_language_change)
st.sidebar.markdown(f"### {t('app_title', lang)}")


def login() -> None:
    """No live session in this browser: the login form (a page of the server, which sets the
    session cookie), or, on a new installation (no account, no database), the form that starts
    a city and creates its first administrator. Stops the script."""
    accounts = Accounts(paths.security_path())
    st.title(t("app_title", lang))
    if not accounts.users():
        if not paths.db_path().exists():
            from pages.screens.setup import start_city_form

            st.info(t("setup_first_admin", lang))
            start_city_form(need_admin=True)
        else:
            st.info(t("no_accounts", lang))
            st.code("python -m riskmap users add admin --role admin", language="bash")
        st.stop()
    # No session reached this run (it ended in an open tab, or the city was just started): to
    # the login form, which comes back to this page. Constant markup of ours, no user text.
    st.info(t("please_log_in", lang))
    st.markdown(f'<a href="{LOGIN_PATH}?lang={lang}" target="_self">{t("login", lang)}</a>', unsafe_allow_html=True)
    st.html(f"""<script>window.location.replace("{LOGIN_PATH}?lang={lang}&next=" +
            encodeURIComponent(window.location.pathname + window.location.search));</script>""",
            unsafe_allow_javascript=True)
    st.stop()


def signed_in_user() -> User | None:
    """The user of this browser's session cookie, checked on every run (a Streamlit session
    id alone proves nothing). The session's state belongs to one login: when the cookie that
    reaches it changes (someone else's websocket on this session, a new login), it is cleared."""
    token = browser_token()
    user = browser_user(token)
    owner = token_hash(token) if user and token else None
    if "_login" in st.session_state and st.session_state["_login"] != owner:
        for k in list(st.session_state):
            if k != "lang":
                del st.session_state[k]
    if owner:
        st.session_state["_login"] = owner
        ctx = get_script_run_ctx()
        if ctx is not None:  # only this login may rejoin this Streamlit session (riskmap.web)
            bind_session(ctx.session_id, owner)
    if user is None:
        st.session_state.pop("user", None)
    else:
        st.session_state["user"] = user
    return user


user = signed_in_user()
if user is None:
    login()
    st.stop()

st.sidebar.caption(t("logged_in_as", lang, name=md(user.name), role=value(ROLE_NAMES.get(user.role, user.role), lang)))
if st.sidebar.button(t("logout", lang), key="logout"):
    Accounts(paths.security_path()).end_session(browser_token())  # every page of this browser logs out
    for k in list(st.session_state):
        if k != "lang":
            del st.session_state[k]
    st.rerun()

with st.sidebar.expander(t("basemap", lang)):
    kind = st.radio(t("basemap", lang), ("none", "tianditu", "xyz"), key="basemap_kind", label_visibility="collapsed",
                    format_func=lambda k: t(f"basemap_{k}", lang))
    if kind == "tianditu":
        st.text_input(t("basemap_tk", lang), key="basemap_tk", type="password")
    elif kind == "xyz":
        st.text_input(t("basemap_url", lang), key="basemap_url")
        st.radio(t("basemap_crs", lang), ("wgs84", "gcj02"), key="basemap_crs", horizontal=True,
                 format_func={"wgs84": "WGS-84 / CGCS2000", "gcj02": "GCJ-02"}.__getitem__)
    if kind != "none":
        st.caption(t("basemap_note", lang))

#: (script, title key, roles that see it); a 网格员 sees only their own grid; a 大屏 account
#: (a meeting-room screen) only the big screen.
PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("overview", "page_overview", ("leader", "office", "admin", "display")),
    ("listing", "page_listing", ("leader", "office", "admin")),
    ("targets", "page_targets", ("leader", "office", "admin")),
    ("grid", "page_grid", ("leader", "office", "grid", "admin")),
    ("hazards", "page_hazards", ("leader", "office", "admin")),
    ("parks", "page_parks", ("leader", "office", "admin")),
    ("nearby", "page_nearby", ("leader", "office", "admin")),
    ("briefing", "page_briefing", ("office", "admin")),
    ("model_info", "page_model", ("leader", "office", "grid", "admin")),
    ("data_status", "page_data", ("leader", "office", "admin")),
    ("admin", "page_admin", ("admin",)),
)
if user.role == "display":
    st.query_params["screen"] = "1"
mine = [p for p in PAGES if user.role in p[2]]
try:
    _con = connection()
    if _con is not None:
        use_units_of(_con)  # the page titles name the city's own areas (乡镇挂牌, or 区县挂牌)
except duckdb.Error:  # an old or unreadable file: the page says so (common.require_db)
    pass
nav = st.navigation([st.Page(f"pages/screens/{script}.py", title=t(title, lang), default=i == 0)
                     for i, (script, title, _) in enumerate(mine)])
st.session_state["_page"] = nav.url_path or mine[0][0]  # for the audit log of exports
try:
    nav.run()
except Exception as exc:  # unexpected: a Chinese message with an error id; the traceback only in the server log
    unexpected_error(exc)
