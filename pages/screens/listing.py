"""乡镇挂牌: listed townships with their reasons, level and deadline, how robust each listing
is to the choice of weights, and the index map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import queries
from layers.maps import area_index_map
from layers.render import legend_html, selected_values, to_pydeck, view_for
from pages.screens.common import (
    audit,
    basemap,
    can,
    data_note_badge,
    db_version,
    lang,
    md,
    publish_layers,
    require_db,
    show,
    tr,
)
from scoring.measures import measures_as_of
from scoring.model import load_model
from scoring.run import default_as_of, listing_history, months_before
from scoring.uncertainty import township_robustness

if TYPE_CHECKING:
    from layers.basemap import Basemap
    from layers.render import FrozenDeck


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(version: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = require_db()
    return queries.township_areas(con), queries.township_listing(con), queries.township_geometries(con)


@st.cache_resource(max_entries=8, show_spinner=False)
def _robustness(version: str) -> pd.DataFrame:
    con = require_db()
    model = load_model()
    areas = queries.township_areas(con).rename(columns={"key": "township_code"})
    return township_robustness(measures_as_of(con, default_as_of(con)), areas, model).table


#: Quarters of listing history shown (this one and the four before).
HISTORY_QUARTERS = 4


@st.cache_resource(max_entries=8, show_spinner=False)
def _history(version: str) -> pd.DataFrame:
    con = require_db()
    as_of = default_as_of(con)
    dates = [months_before(as_of, 3 * k) for k in range(HISTORY_QUARTERS, -1, -1)]
    return listing_history(con, dates, load_model())


@st.cache_resource(max_entries=8, show_spinner=False)
def _deck(version: str, language: str, base: Basemap | None) -> tuple[FrozenDeck, str]:
    areas, listing, shapes = _load(version)
    frame = shapes.merge(areas[["key", "index", "index_rank"]], left_on="code", right_on="key")
    frame["listed"] = frame["code"].isin(listing["key"])
    bundle = area_index_map(frame, {"legend_title": tr("legend_index"), "tip": tr("tip_township_index")})
    return (to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points), base, publish=publish_layers()),
            legend_html(bundle.legend))


con = require_db()
version = db_version()
meta = queries.meta(con)
areas, listing, _ = _load(version)
st.title(tr("page_listing"))
data_note_badge(meta)
st.caption(f"{tr('as_of')} {md(meta.get('as_of', ''))}")
st.subheader(tr("listing_count", n=len(listing)))

robust = _robustness(version)
st.caption(tr("map_click_hint"))
deck, legend = _deck(version, lang(), basemap())
event = st.pydeck_chart(deck, height=600, key="listing_map", on_select="rerun", selection_mode="single-object")
st.markdown(legend, unsafe_allow_html=True)  # built from our own labels, each escaped
picked = [c for c in selected_values(event.selection if event else None, "area_index", "code")
          if c in set(areas["key"])]
if picked:
    row = areas[areas["key"] == picked[0]].iloc[0]
    st.info(tr("selected_township", name=md(row["name"]), index=float(row["index"]), rank=int(row["index_rank"])))
    listing = listing[listing["key"] == picked[0]]
    robust = robust[robust["township_code"] == picked[0]]
history = _history(version)
if picked:
    history = history[history["key"] == picked[0]]

shown = listing.merge(robust, left_on="key", right_on="township_code", how="left")
table = pd.DataFrame({
    tr("col_name"): shown["name"], tr("col_county"): shown["county_name"], tr("col_level"): shown["level"],
    tr("col_index"): shown["index"].round(1), tr("col_rank"): shown["index_rank"],
    tr("col_reasons"): shown["reasons"], tr("col_deadline"): pd.to_datetime(shown["deadline"]).dt.date,
    tr("col_p_listed"): shown["p_listed"], tr("col_robustness"): shown["robustness"],
})
show(table, hide_index=True, column_config={
    tr("col_p_listed"): st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent")})
if len(listing):
    st.caption(f"{tr('delisting')}：{listing['delisting'].iloc[0]}")
if can("decide") and not picked and len(listing) and st.button(tr("decide_listing"), key="decide_listing"):
    audit("listing_decision", as_of=meta.get("as_of", ""), townships=[
        {"code": k, "level": lv} for k, lv in zip(listing["key"], listing["level"])])
    st.success(tr("decided", n=len(listing)))

st.subheader(tr("robustness_title", **load_model().robustness.fields()))
borderline = robust.merge(areas[["key", "name"]], left_on="township_code", right_on="key")
borderline = borderline[borderline["p_listed"] > 0].sort_values("p_listed", ascending=False)
show(pd.DataFrame({
    tr("col_name"): borderline["name"], tr("col_p_listed"): borderline["p_listed"],
    tr("col_rank_range"): borderline["rank_p05"].astype(str) + "–" + borderline["rank_p95"].astype(str),
    tr("col_robustness"): borderline["robustness"],
}), hide_index=True)

st.subheader(tr("history_title"))
st.caption(tr("history_note", n=HISTORY_QUARTERS))
if len(history):
    names = dict(zip(areas["key"], areas["name"]))
    wide = history.pivot(index="key", columns="as_of", values="level")
    wide = wide.loc[wide.notna().sum(axis=1).sort_values(ascending=False, kind="mergesort").index]
    wide.columns = [str(c) for c in wide.columns]
    wide.insert(0, tr("col_times_listed"), wide.notna().sum(axis=1))
    wide.insert(0, tr("col_name"), [names.get(k, k) for k in wide.index])
    show(wide.fillna("—"), hide_index=True, key="history_table")
else:
    st.caption(tr("history_none"))
