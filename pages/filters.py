"""The widgets that choose what a screen shows: the filters of 检查目标 (county, township, tier,
industry, park, features, department, name) and the map controls of 城市总览."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from data.vocab import DEPARTMENTS
from geo.h3cells import RESOLUTIONS, cell_area_km2
from layers.colors import TIER_COLORS
from pages.screens.common import KEPT, counties_stand_in, from_url, lang, to_url, tr, tv_label
from reports.views import OVERLAYS, ViewRequest
from scoring.model import Model
from scoring.targets import FLAG_COLUMNS, filter_targets

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator


def target_filters(scores: pd.DataFrame, model: Model) -> pd.DataFrame:
    """Draw the filters over ``scores`` (the score table with names and departments) and return
    the rows every chosen filter keeps (an empty filter keeps all)."""
    flag_names = {f.measure: f.name for f in model.factors if f.measure in FLAG_COLUMNS}
    county_names, township_names, park_names = (
        dict(scores[[code, name]].drop_duplicates(code).itertuples(index=False))
        for code, name in (("county_code", "county_name"), ("township_code", "township_name"),
                           ("park_id", "park_name")))

    def pick(col: DeltaGenerator, label: str, options: list[Any], names: Mapping[Any, str] | None = None) -> list[Any]:
        # a code without a name is shown as the code
        from_url(label, options, multi=True)
        chosen = col.multiselect(tr(label), options=options, key=label, placeholder=tr("choose"), select_all=False,
                                 format_func=(lambda v: names.get(v) or str(v)) if names else tv_label, **KEPT)
        to_url(label, [])
        return chosen

    c1, c2, c3 = st.columns(3)
    # Where counties stand in for townships, the township filter already picks counties.
    counties = [] if counties_stand_in() else pick(c1, "f_county", sorted(scores["county_code"].dropna().unique()),
                                                     county_names)
    tw_pool = scores if not counties else scores[scores["county_code"].isin(counties)]
    townships = pick(c2, "f_township", sorted(tw_pool["township_code"].dropna().unique()), township_names)
    tiers = pick(c3, "f_tier", [t.name for t in model.tiers])
    c4, c5, c6 = st.columns(3)
    industries = pick(c4, "f_industry", sorted(scores["industry"].dropna().unique()))
    parks = pick(c5, "f_park", sorted(scores["park_id"].dropna().unique()), park_names)
    flags = pick(c6, "f_flags", list(flag_names), flag_names)
    c7, c8 = st.columns([1, 2])
    departments = pick(c7, "f_department", list(DEPARTMENTS))
    from_url("f_text")
    text = c8.text_input(tr("f_text"), key="f_text", **KEPT)
    to_url("f_text", "")
    return filter_targets(scores, counties, townships, industries, tiers, parks, flags, text, departments)


#: The overlays of the city map before anyone chooses.
DEFAULT_OVERLAYS = ("parks", "incidents")


def describe_filters(scores: pd.DataFrame, model: Model) -> str:
    """The filters of :func:`target_filters` as chosen, in words ("风险等级：较大；乡镇（街道）：…"),
    for the caption of a snapshot of the chosen enterprises; "" when none is chosen."""
    names: dict[str, Mapping[Any, str]] = {
        key: dict(scores[[code, name]].drop_duplicates(code).itertuples(index=False))
        for key, code, name in (("f_county", "county_code", "county_name"),
                                ("f_township", "township_code", "township_name"), ("f_park", "park_id", "park_name"))}
    names["f_flags"] = {f.measure: f.name for f in model.factors if f.measure in FLAG_COLUMNS}
    parts = []
    for key in ("f_county", "f_township", "f_tier", "f_industry", "f_park", "f_flags", "f_department"):
        chosen = st.session_state.get(key) or []
        if chosen:
            shown = [str(names[key].get(v) or v) if key in names else str(tv_label(v)) for v in chosen]
            parts.append(tr("labelled", label=tr(key), text=tr("list_sep").join(shown)))
    if text := (st.session_state.get("f_text") or "").strip():
        parts.append(tr("labelled", label=tr("f_text"), text=text))
    return tr("clause_sep").join(parts)


def city_view_controls(model: Model, days: int) -> ViewRequest:
    """Draw the city map's controls and return the map they ask for, over the last ``days`` days."""
    for key, options, multi in (("hex_res", RESOLUTIONS, False), ("color_by", (False, True), False),
                                ("show_names", (False, True), False), ("layers", OVERLAYS, True),
                                ("ent_tiers", list(TIER_COLORS), True)):
        from_url(key, options, multi)
    res = st.radio(tr("hex_res"), RESOLUTIONS, index=1, key="hex_res",
                   format_func=lambda r: tr("hex_res_opt", r=r, a=cell_area_km2(r)), **KEPT)
    by_index = st.radio(tr("color_by"), (False, True), key="color_by", horizontal=True,
                        format_func=lambda b: tr("color_index" if b else "color_count"), **KEPT)
    show_names = st.toggle(tr("show_names"), value=False, key="show_names", **KEPT)
    overlays = tuple(st.multiselect(tr("layers"), OVERLAYS, default=list(DEFAULT_OVERLAYS), key="layers",
                                    format_func=lambda k: tr(f"layer_{k}"), placeholder=tr("choose_one"),
                                    select_all=False, **KEPT))
    tiers = tuple(st.multiselect(tr("ent_tiers"), list(TIER_COLORS), default=list(model.high_tiers),
                                 key="ent_tiers", format_func=tv_label, placeholder=tr("choose_one"),
                                 select_all=False, **KEPT)
                  if "enterprises" in overlays else ())
    for key, default in (("hex_res", RESOLUTIONS[1]), ("color_by", False), ("show_names", False),
                         ("layers", list(DEFAULT_OVERLAYS)), ("ent_tiers", list(model.high_tiers))):
        to_url(key, default)
    return ViewRequest("city", res=res, colour="index" if by_index else "count", names=show_names,
                       overlays=overlays, tiers=tiers, days=days, lang=lang())
