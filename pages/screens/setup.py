"""Start a city from the browser: its name, the boundary files it has (区县 alone is enough) and,
on a new installation, the first administrator. The same as ``python -m riskmap init``.

Shown only where nothing exists yet: in place of the login form while there are no accounts,
and on the page of an administrator whose installation has no database.
"""

from __future__ import annotations

from contextlib import ExitStack

import streamlit as st

from data import paths
from pages.screens.common import md, tr

#: Coordinate systems offered for the boundary files ("file": the file's own .prj, else told
#: from the vertices).
CRS_CHOICES = ("file", "EPSG:4326", "cgcs2000", "EPSG:4549", "EPSG:4528", "gcj02", "bd09")
LAYERS = ("county", "township", "grid", "park")
BOUNDARY_TYPES = ["geojson", "json", "zip", "gpkg"]


def start_city_form(need_admin: bool) -> None:
    """The form; on success the city is built, the administrator (if asked for) created, and
    the script reruns (on the login form, which sets the session cookie)."""
    from data.build import BuildError
    from data.importer import ImportError_
    from pages.importing import progress_to, staged
    from riskmap.accounts import AccountError, Accounts
    from riskmap.pipeline import init_city

    st.subheader(tr("setup_title"))
    st.caption(tr("setup_note"))
    with st.form("setup"):
        city = st.text_input(tr("setup_city"), key="setup_city", max_chars=40)
        uploads = {layer: st.file_uploader(tr(f"setup_{layer}"), type=BOUNDARY_TYPES, key=f"setup_{layer}")
                   for layer in LAYERS}
        crs = st.selectbox(tr("import_crs"), CRS_CHOICES, key="setup_crs",
                           format_func=lambda c: tr("crs_from_file") if c == "file" else tr(f"crs_{c}"),
                           placeholder=tr("choose_one"))
        if need_admin:
            username = st.text_input(tr("username"), key="setup_user", max_chars=40)
            password = st.text_input(tr("password"), type="password", key="setup_password")
            again = st.text_input(tr("setup_password_again"), type="password", key="setup_password_again")
        go = st.form_submit_button(tr("setup_go"), type="primary")
    if not go:
        return
    if not city.strip():
        st.error(tr("setup_need_city"))
        return
    if not uploads["county"] and not uploads["township"]:
        st.error(tr("setup_need_boundary"))
        return
    if need_admin:
        if not username.strip():
            st.error(tr("setup_need_user"))
            return
        if password != again:
            st.error(tr("setup_password_mismatch"))
            return
    accounts = Accounts(paths.security_path())
    bar = st.progress(0.0, text=tr("building"))
    try:
        if need_admin:  # the password rules are checked before anything is built
            accounts.check_password(password)
        with ExitStack() as stack:
            files = {layer: stack.enter_context(staged(upload, f"{layer}_"))
                     for layer, upload in uploads.items() if upload is not None}
            report = init_city(paths.db_path(), city, files, None if crs == "file" else dict.fromkeys(files, crs),
                               progress_to(bar))
        if need_admin:
            accounts.add(username.strip(), username.strip(), "admin", password, None, by="setup")
    except (BuildError, AccountError, ImportError_) as exc:
        st.error(tr("setup_failed", why=md(exc)))  # may quote a file's name or attributes
        return
    finally:
        bar.empty()
    by = username.strip() if need_admin else getattr(st.session_state.get("user"), "username", None)
    accounts.log(by, "init_city",
                 {"city": city, "layers": sorted(files), "unit_level": report.meta.get("unit_level", "")})
    st.cache_data.clear()
    st.rerun()
