"""一企一档: an enterprise's file as people read it — headers in words, dates as dates, empty
cells empty, figures to one decimal — on screen and on one printed page.

The formatting (:func:`cell_text`, :func:`profile_table`, :func:`table_html`) is pure; only
:func:`show_file` draws with Streamlit. Tables are our own escaped HTML (``st.html``): no cell
is read as Markdown or HTML, and they print as plain tables.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scoring.model import Model

#: The Streamlit container key of the file: print CSS and the scroll after a tap find it by it.
FILE_KEY = "grid_file"

#: Each table of the file: its query columns (``data.queries.enterprise_profile``) in the order
#: shown, each with the translation key of its header.
PROFILE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "hazards": (("found_on", "col_found"), ("status", "col_status"), ("deadline", "col_deadline"),
                ("level", "col_hz_level"), ("category", "col_category"), ("rectified_on", "col_rectified_on"),
                ("closed_on", "col_closed_on"), ("department", "col_hz_department"),
                ("description", "col_description"), ("id", "col_id")),
    "inspections": (("date", "col_inspected_on"), ("department", "col_inspected_by"), ("result", "col_result"),
                    ("id", "col_id")),
    "enforcement": (("date", "col_enforced_on"), ("action", "col_enf_action"), ("fine_10k_cny", "col_fine_10k"),
                    ("department", "col_enf_department"), ("id", "col_id")),
    "incidents": (("date", "col_incident_on"), ("kind", "col_incident_kind"), ("deaths", "col_deaths"),
                  ("injuries", "col_injuries"), ("loss_10k_cny", "col_loss_10k"), ("id", "col_id")),
}


def cell_text(value: Any) -> str:
    """One cell as shown: a date as YYYY-MM-DD (no time of day), a missing value as nothing,
    a number to one decimal without a trailing ``.0``; text as it is."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime, np.datetime64)):
        stamp = pd.Timestamp(value)
        return "" if pd.isna(stamp) else stamp.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return ""
        text = f"{float(value):.1f}".removesuffix(".0")
        return "0" if text == "-0" else text
    return str(value)


#: HTML's special characters as ``html.escape`` writes them, and the characters Markdown would
#: act on as numeric character references: text made by :func:`html_text` reads the same and
#: stays inert even where HTML is read as Markdown (a link, an image, emphasis, a formula or a
#: bare URL needs one of them). One pass, so no reference is escaped twice.
_INERT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                        **{c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~$:@"}})


def html_text(value: Any) -> str:
    """A value as HTML text (:func:`cell_text`), escaped, Markdown made inert."""
    return cell_text(value).translate(_INERT)


def _flag(value: Any) -> bool:
    """A yes/no attribute that may be missing (NA counts as no)."""
    return bool(pd.notna(value) and value)


def profile_table(df: pd.DataFrame, table: str, header: Callable[[str], str]) -> pd.DataFrame:
    """One table of the file (``hazards``, ``inspections``, ``enforcement``, ``incidents``) as
    text: its columns in :data:`PROFILE_COLUMNS` order under ``header(key)`` (``tr``)."""
    columns = PROFILE_COLUMNS[table]
    return pd.DataFrame({header(key): [cell_text(v) for v in df[col]] if col in df else []
                         for col, key in columns}, index=range(len(df)))


#: Columns of free text, which may wrap (dates, levels and ids keep to one line).
WRAPPED = ("col_category", "col_description")


def table_html(df: pd.DataFrame, wrap: Collection[object] = ()) -> str:
    """``df`` as an HTML table, every header and cell escaped (no index); cells of the columns
    named in ``wrap`` may break across lines."""
    head = "".join(f"<th>{html_text(c)}</th>" for c in df.columns)
    opening = ['<td class="rm-wrap">' if c in wrap else "<td>" for c in df.columns]
    rows = "".join("<tr>" + "".join(f"{o}{html_text(v)}</td>" for o, v in zip(opening, row)) + "</tr>"
                   for row in df.itertuples(index=False))
    return (f'<div class="rm-table-wrap"><table class="rm-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def tel_link(phone: object) -> str | None:
    """A ``tel:`` address of a phone number as written (digits, ``+`` and ``-`` kept; spaces
    dropped), or None when it does not read as one."""
    if not isinstance(phone, str):
        return None
    number = re.sub(r"[\s()（）]", "", phone)
    return f"tel:{number}" if re.fullmatch(r"\+?[0-9][0-9-]{2,19}", number) else None


def contact_html(principal: Any, phone: Any, say: Callable[..., str]) -> str:
    """The enterprise's principal and phone, the phone a tap-to-call link when it is a number
    (escaped text; "" when the ledger gives neither)."""
    import html

    parts = []
    if isinstance(principal, str) and principal.strip():
        parts.append(html_text(say("profile_principal", name=cell_text(principal))))
    if isinstance(phone, str) and phone.strip():
        tel = tel_link(phone)
        text = html_text(say("profile_phone", phone=cell_text(phone)))
        parts.append(f'<a href="{html.escape(tel)}">{text}</a>' if tel else text)
    return f'<div class="rm-contact">{" · ".join(parts)}</div>' if parts else ""


def show_file(p: dict[str, pd.DataFrame], model: Model, back: Callable[[], None] | None = None) -> None:
    """Draw the file of ``data.queries.enterprise_profile`` in a container keyed
    :data:`FILE_KEY`; ``back``: a "back to the grid" button on top calls it."""
    import streamlit as st

    from pages.screens.common import localise, md, tr, tv
    from scoring.targets import score_parts

    e, s = p["enterprise"].iloc[0], p["score"]
    with st.container(key=FILE_KEY):
        if back is not None:
            st.button(tr("grid_back"), key="grid_back", on_click=back)
        st.subheader(f"{tr('profile')} · {md(cell_text(e['name']))}", anchor=False)
        flags = [f.name for f in model.factors if f.kind == "flag" and f.measure in e and _flag(e[f.measure])]
        facts = (cell_text(e.get("industry")),
                 f"{tr('col_employees')} {cell_text(e['employees'])}" if pd.notna(e.get("employees")) else "",
                 tr("founded_on", date=cell_text(e.get("founded_on"))) if pd.notna(e.get("founded_on")) else "",
                 tr("list_sep").join(flags))
        st.markdown(md(cell_text(e.get("address"))))
        contact = contact_html(e.get("principal"), e.get("phone"), tr)
        if contact:
            st.html(contact)
        st.caption(md(" · ".join(x for x in facts if x)))
        if len(s):
            row = s.iloc[0]
            parts = " + ".join(f"{part.name} {cell_text(part.points)}" for part in score_parts(row, model))
            st.markdown(f"**{md(tv(row['tier']))} · {md(cell_text(float(row['score'])))}** = {md(parts)}")
        site = p.get("site")
        if site is not None and len(site):  # the building or plot it shares (issue 17)
            from pages.sites import show_site

            here = site.iloc[0]
            st.markdown(f"**{md(tr('profile_site', name=here['name'], n=int(here['tenants'])))}**")
            show_site(here, p["site_tenants"], leave_out=e["uscc"], title=tr("profile_site_others"), printable=True)
        for key in PROFILE_COLUMNS:
            st.markdown(f"**{tr('with_count', name=tr('profile_' + key), n=len(p[key]))}**")
            if len(p[key]):
                st.html(table_html(localise(profile_table(p[key], key, tr)), wrap={tr(k) for k in WRAPPED}))
            else:
                st.caption(tr("profile_none"))
    st.caption(tr("profile_print"))  # outside the file: not printed
