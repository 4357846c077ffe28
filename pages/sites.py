"""A site shared by several enterprises (``scoring.sites``) as 园区 and the 一企一档 show it: the
sites as a table, one site's score as the sum of its parts, what set its tier, who coordinates
it, and its tenants. Imported text (names, landlords) is Markdown-escaped wherever it is read
as Markdown; tables are data frames (never interpreted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from pages.profile import cell_text

Say = Callable[..., str]


def site_rows(sites: pd.DataFrame, say: Say) -> pd.DataFrame:
    """The site table: name, number, tier, score, tenants, industries, highest tenant, open site
    hazards, coordinator, park."""
    coordinator = [who if isinstance(who, str) else "" for who in sites["coordinator"]]
    return pd.DataFrame({
        say("col_site"): sites["name"], say("col_site_id"): sites["site_id"], say("col_tier"): sites["tier"],
        say("col_site_score"): sites["score"].round(1), say("col_tenants"): sites["tenants"],
        say("col_industries"): sites["industries"], say("col_top_tenant"): sites["top_name"],
        say("col_site_hazards"): sites["open_site_hazards"], say("col_coordinator"): coordinator,
        say("col_park"): sites["park_name"],
    })


def breakdown(site: Any, say: Say, term: Callable[[object], object], md: Callable[[object], str]) -> str:
    """``**tier · score** = highest tenant + crowding + mixed use + site hazards`` (Markdown)."""
    return say("site_breakdown", tier=md(term(site["tier"])), score=cell_text(float(site["score"])),
               top=md(site["top_name"]), top_score=cell_text(float(site["tenant_max"])), n=int(site["tenants"]),
               crowding=cell_text(float(site["c_crowding"])), k=int(site["industries"]),
               mixed=cell_text(float(site["c_mixed"])), h=int(site["open_site_hazards"]),
               hazards=cell_text(float(site["c_hazards"])))


def tier_from(site: Any, say: Say) -> str:
    """What set the site's tier, in words."""
    why = [say(f"site_from_{w}") for w in str(site["tier_from"]).split(";") if w]
    return say("site_tier_from", why=say("list_sep").join(why))


def coordinator(site: Any, say: Say) -> str:
    """Who answers for coordinating the site, and on what ground (plain text)."""
    who = site["coordinator"]
    if not isinstance(who, str) or not who.strip():
        return say("site_coordinator_none")
    return say("site_coordinator", who=who, basis=say(f"site_basis_{site['coordinator_basis']}"))


def tenant_rows(tenants: pd.DataFrame, say: Say, leave_out: str | None = None) -> pd.DataFrame:
    """The tenants (but ``leave_out``) with tier, score and industry."""
    t = tenants[tenants["uscc"] != leave_out] if leave_out else tenants
    return pd.DataFrame({say("col_ent_name"): t["name"], say("col_tier"): t["tier"],
                         say("col_score"): t["score"].round(1), say("col_industry"): t["industry"],
                         say("col_uscc"): t["uscc"]})


def show_site(site: Any, tenants: pd.DataFrame, leave_out: str | None = None, key: str = "site_tenants",
              title: str | None = None, printable: bool = False) -> None:
    """One site: its score as a sum, what set its tier, its coordinator, its tenants (but
    ``leave_out``, under ``title``; ``printable``: as the 一企一档's own escaped HTML table)."""
    import streamlit as st

    from pages.profile import table_html
    from pages.screens.common import localise, md, show, tr, tv

    st.markdown(breakdown(site, tr, tv, md))
    note = [tier_from(site, tr), coordinator(site, tr)]
    if site["basis"] == "address":
        note.append(tr("site_by_address"))
    st.caption(md(" · ".join(note)))
    if title:
        st.markdown(f"**{md(title)}**")
    rows = tenant_rows(tenants, tr, leave_out)
    if printable:
        st.html(table_html(localise(rows)))
    else:
        show(rows, hide_index=True, key=key)
