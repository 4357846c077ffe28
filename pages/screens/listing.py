"""乡镇挂牌: listed townships with their reasons, level and deadline, how robust each listing
is to the choice of weights, and the index map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from data import queries
from layers.maps import area_index_map
from layers.render import legend_html, on_map, selected_values, to_pydeck, view_for
from pages.screens.common import audit, basemap, can, lang, md, publish_layers, require_db, show, start_page, tr
from scoring.listing import distance_texts, history_wide, listing_changes, listing_distance, reasons_in
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
def _rules(version: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Every township against every rule, and 新挂牌 / 继续挂牌 / 摘牌 since last quarter's end."""
    (areas, listing, _), history, rules = _load(version), _history(version), load_model().township_listing
    before = months_before(default_as_of(require_db()), 3)  # the history's column before this one
    assert rules is not None  # the stored listing came from them
    return (distance_texts(listing_distance(areas, rules)),
            listing_changes(areas["key"], history.loc[history["as_of"] == before, "key"], listing["key"]), str(before))


@st.cache_resource(max_entries=8, show_spinner=False)
def _deck(version: str, language: str, base: Basemap | None) -> tuple[FrozenDeck, str]:
    areas, listing, shapes = _load(version)
    frame = shapes.merge(areas[["key", "index", "index_rank"]], left_on="code", right_on="key")
    frame["listed"] = frame["code"].isin(listing["key"])
    bundle = area_index_map(frame, {"legend_title": tr("legend_index"), "tip": tr("tip_township_index")})
    return (to_pydeck(bundle.specs, bundle.datasets, view_for(*bundle.view_points), base, publish=publish_layers()),
            legend_html(bundle.legend))


con, version = start_page("page_listing")
meta = queries.meta(con)
areas, listing, _ = _load(version)
st.caption(f"{tr('as_of')} {md(meta.get('as_of', ''))}")
st.subheader(tr("listing_count", n=len(listing)))

robust, (rules, changes, before) = _robustness(version), _rules(version)
gone = changes.loc[changes["status"] == "摘牌", "key"]
st.caption(tr("map_click_hint"))
deck, legend = _deck(version, lang(), basemap())
event = st.pydeck_chart(deck, height=600, key="listing_map", on_select="rerun", selection_mode="single-object")
st.markdown(on_map(legend), unsafe_allow_html=True)  # our own labels, each escaped; over the map
picked = [c for c in selected_values(event.selection if event else None, "area_index", "code")
          if c in set(areas["key"])]
history = _history(version)
if picked:
    row = areas[areas["key"] == picked[0]].iloc[0]
    st.info(tr("selected_township", name=md(row["name"]), index=float(row["index"]), rank=int(row["index_rank"])))
    listing = listing[listing["key"] == picked[0]]
    robust, rules = robust[robust["township_code"] == picked[0]], rules[rules["key"] == picked[0]]
    history = history[history["key"] == picked[0]]

shown = listing.merge(robust, left_on="key", right_on="township_code", how="left").merge(changes, on="key", how="left")
table = pd.DataFrame({
    tr("col_name"): shown["name"], tr("col_county"): shown["county_name"], tr("col_level"): shown["level"],
    tr("col_index"): shown["index"].round(1), tr("col_rank"): shown["index_rank"],
    tr("col_reasons"): reasons_in(shown, load_model().township_listing, lang()),
    tr("col_deadline"): pd.to_datetime(shown["deadline"]).dt.date,
    tr("col_p_listed"): shown["p_listed"], tr("col_robustness"): shown["robustness"], tr("col_change"): shown["status"],
})
if len(listing) or not picked:  # a township not listed is shown the rules below, not an empty table
    show(table, hide_index=True, column_config={
        tr("col_p_listed"): st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent")})
if len(listing):
    st.caption(tr("labelled", label=tr("delisting"), text=listing["delisting"].iloc[0]))
if set(rules.loc[rules["met"], "key"]) != set(listing["key"]):  # the model changed since the scores were written
    st.warning(tr("rules_stale"))
if not picked:
    n = changes["status"].value_counts()
    st.caption(tr("changes", date=before, new=n.get("新挂牌", 0), still=n.get("继续挂牌", 0), gone=len(gone),
                  names=tr("list_sep").join(md(x) for x in areas.set_index("key").loc[gone, "name"]) or "—"))
else:
    st.subheader(tr("rules_title"))
    st.caption(" ".join([tr("picked_delisted", date=before)] * (picked[0] in set(gone))
                        + [tr("rules_listed", n=rules["met"].sum()) if len(listing) else tr("rules_unlisted")]))
    show(pd.DataFrame({
        tr("col_rule"): rules["name"], tr("col_level"): rules["level"], tr("col_threshold"): rules["threshold"],
        tr("col_this_area"): rules["shown"],
        tr("col_met"): [tr("rule_met" if m else "rule_not_met") for m in rules["met"]],
        tr("col_gap"): [tr(f"gap_{r.kind}", gap=r.gap_text, last=r.last, cutoff=r.cutoff_index, index=r.index)
                        for r in rules.itertuples()],
    }), hide_index=True, key="rules_table")
    st.caption(tr("rules_note"))
if can("decide") and not picked and len(listing) and st.button(tr("decide_listing"), key="decide_listing"):
    audit("listing_decision", as_of=meta.get("as_of", ""), townships=[
        {"code": k, "level": lv} for k, lv in zip(listing["key"], listing["level"])])
    st.success(tr("decided", n=len(listing)))

st.subheader(tr("robustness_title", **load_model().robustness.fields()))
borderline = robust.merge(areas[["key", "name"]], left_on="township_code", right_on="key")
borderline = borderline[borderline["p_listed"] > 0].sort_values("p_listed", ascending=False)
if len(borderline) or not picked:
    show(pd.DataFrame({
        tr("col_name"): borderline["name"], tr("col_p_listed"): borderline["p_listed"],
        tr("col_rank_range"): borderline["rank_p05"].astype(str) + "–" + borderline["rank_p95"].astype(str),
        tr("col_robustness"): borderline["robustness"],
    }), hide_index=True)
else:
    st.caption(tr("robustness_none"))

st.subheader(tr("history_title"))
st.caption(tr("history_note", n=HISTORY_QUARTERS))
if len(history):
    show(history_wide(history, dict(zip(areas["key"], areas["name"]))).rename(
        columns={"name": tr("col_name"), "times": tr("col_times_listed")}), hide_index=True, key="history_table")
else:
    st.caption(tr("history_none"))
