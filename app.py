"""风险一张图 — Streamlit entry point: page config, navigation, shared sidebar."""

from __future__ import annotations

import streamlit as st

from riskmap.i18n import LANGS, t
from riskmap.serve import disable_pages_folder_mode

disable_pages_folder_mode()  # `python -m riskmap.serve` does this before the first session too

st.set_page_config(page_title=t("app_title", st.session_state.get("lang", "zh")), layout="wide")

lang = st.sidebar.selectbox(t("language"), list(LANGS), format_func=LANGS.get, key="lang")
st.sidebar.markdown(f"### {t('app_title', lang)}")
with st.sidebar.expander(t("basemap", lang)):
    kind = st.radio(t("basemap", lang), ("none", "tianditu", "xyz"), key="basemap_kind", label_visibility="collapsed",
                    format_func=lambda k: t(f"basemap_{k}", lang))
    if kind == "tianditu":
        st.text_input(t("basemap_tk", lang), key="basemap_tk", type="password")
    elif kind == "xyz":
        st.text_input(t("basemap_url", lang), key="basemap_url")
        st.radio(t("basemap_crs", lang), ("wgs84", "gcj02"), key="basemap_crs", horizontal=True,
                 format_func={"wgs84": "WGS-84 / CGCS2000", "gcj02": "GCJ-02"}.get)
    if kind != "none":
        st.caption(t("basemap_note", lang))

nav = st.navigation([
    st.Page("pages/screens/overview.py", title=t("page_overview", lang), default=True),
    st.Page("pages/screens/listing.py", title=t("page_listing", lang)),
    st.Page("pages/screens/targets.py", title=t("page_targets", lang)),
    st.Page("pages/screens/grid.py", title=t("page_grid", lang)),
    st.Page("pages/screens/hazards.py", title=t("page_hazards", lang)),
    st.Page("pages/screens/parks.py", title=t("page_parks", lang)),
    st.Page("pages/screens/briefing.py", title=t("page_briefing", lang)),
    st.Page("pages/screens/model_info.py", title=t("page_model", lang)),
    st.Page("pages/screens/data_status.py", title=t("page_data", lang)),
])
nav.run()
