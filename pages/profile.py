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
    import duckdb

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


def _records_text(rows: pd.DataFrame, say: Callable[..., str], term: Callable[[object], object]) -> str:
    """The records behind one rule and clause, e.g. "隐患H4（2026-09-01发现，重大）"."""
    parts = []
    for r in rows.itertuples(index=False):
        if not isinstance(r.record_id, str) or not r.record_id:
            parts.append(say("fired_no_record"))
            continue
        fields = {"source": say(f"fired_source_{r.record_source}") if isinstance(r.record_source, str) else "",
                  "id": r.record_id, "date": cell_text(r.record_on)}
        level = r.record_level if isinstance(r.record_level, str) and r.record_level else None
        parts.append(say("fired_record", level=term(level), **fields) if level else say("fired_record_bare", **fields))
    return say("list_sep").join(dict.fromkeys(parts))


def fired_lines(hits: pd.DataFrame, say: Callable[..., str], term: Callable[[object], object] = str) -> list[str]:
    """One sentence per direct rule that fired and clause it cites (rows of ``direct_rule_hit``
    of one enterprise, in their order): the rule, the tier it sets, the clause and the records
    that made it hold. ``say`` is ``tr``, ``term`` puts a tier or level in the reader's language."""
    out = []
    ordered = hits.sort_values("hit_no") if "hit_no" in hits else hits
    for (_, clause), rows in ordered.groupby(["rule_id", "clause"], sort=False):
        first = rows.iloc[0]
        out.append(say("fired_line", rule=cell_text(first["rule_name"]), tier=term(first["tier"]),
                       clause=cell_text(clause), records=_records_text(rows, say, term)))
    return out


def snapshot_label(row: Any, say: Callable[..., str]) -> str:
    """A snapshot's day as a choice reads: "2026-09-30（季末）", "2026-10-01（检查日）"."""
    why = [say(key) for key, flag in (("hist_quarter", "quarter_end"), ("hist_inspected", "inspected"),
                                      ("hist_as_of", "is_as_of")) if _flag(row.get(flag))]
    day = cell_text(row["snapshot_date"])
    return say("hist_day", date=day, why=say("list_sep").join(why)) if why else day


def change_table(change: pd.DataFrame, say: Callable[..., str]) -> pd.DataFrame:
    """The factors whose points differ between the two days (``scoring.snapshots.score_change``
    through ``changed_factors``) and the total, as text under ``say(key)`` headers."""
    rows = change.assign(name=[say("hist_total") if f == "score" else n for f, n in zip(change["factor"],
                                                                                         change["name"])])
    return pd.DataFrame({say("col_group"): rows["group"], say("col_factor"): rows["name"],
                         say("col_points_a"): [cell_text(v) for v in rows["at_a"]],
                         say("col_points_b"): [cell_text(v) for v in rows["at_b"]],
                         say("col_points_change"): [("+" if v > 0 else "") + cell_text(v) for v in rows["change"]]})


def show_changes(snaps: pd.DataFrame, model: Model, key: str) -> None:
    """Two selectboxes of the enterprise's snapshot days and what changed between them, factor
    by factor (from the last quarter-end before the as-of date to the as-of date at first)."""
    import streamlit as st

    from pages.screens.common import localise, md, tr, tv
    from scoring.snapshots import changed_factors, score_change

    st.markdown(f"**{tr('hist_title')}**")
    if snaps.empty:
        st.caption(tr("hist_none"))
        return
    days = [d.date() for d in pd.to_datetime(snaps["snapshot_date"])]
    labels = {d: snapshot_label(r, tr) for d, r in zip(days, snaps.to_dict("records"))}
    quarters = [i for i, q in enumerate(snaps["quarter_end"].to_numpy()) if q and i < len(days) - 1]
    left, right = st.columns(2)
    a = left.selectbox(tr("hist_from"), days, index=quarters[-1] if quarters else 0, format_func=labels.__getitem__,
                       key=f"hist_a_{key}", placeholder=tr("choose_one"))
    b = right.selectbox(tr("hist_to"), days, index=len(days) - 1, format_func=labels.__getitem__,
                        key=f"hist_b_{key}", placeholder=tr("choose_one"))
    assert a is not None and b is not None  # an index is given: a day is always chosen
    change = score_change(snaps, model, a, b)
    row_a, row_b = (snaps.iloc[days.index(d)] for d in (a, b))
    st.caption(md(tr("hist_scores", a=a, b=b, score_a=cell_text(float(row_a["score"])), tier_a=tv(row_a["tier"]),
                     score_b=cell_text(float(row_b["score"])), tier_b=tv(row_b["tier"]))))
    moved = changed_factors(change)
    if len(moved) <= 1:
        st.caption(tr("hist_same"))
    else:
        st.html(table_html(localise(change_table(moved, tr))))
    # Every snapshot day, and what a past day is: today's model over the records dated by then
    # (on the screen; a printed file keeps to its page, the two days compared in the caption).
    with st.container(key=f"hist_days_{key}"):
        st.caption(md(tr("hist_model_note", version=model.version)))
        st.html(table_html(localise(snapshot_table(snaps, tr, tv))))


def snapshot_table(snaps: pd.DataFrame, say: Callable[..., str], term: Callable[[object], object]) -> pd.DataFrame:
    """Each snapshot day of one enterprise (oldest first): the day and why it is one, the score
    and the tier, as text under ``say(key)`` headers."""
    records = snaps.to_dict("records")
    return pd.DataFrame({say("col_date"): [snapshot_label(r, say) for r in records],
                         say("col_score"): [cell_text(float(r["score"])) for r in records],
                         say("col_tier"): [term(r["tier"]) for r in records]})


def file_of(db: duckdb.DuckDBPyConnection, uscc: str) -> dict[str, pd.DataFrame]:
    """The 一企一档 of one enterprise as of the data's date: ``data.queries.enterprise_profile``
    and its score snapshots, computed now from its own records
    (``scoring.snapshots.enterprise_snapshots``)."""
    from data import queries
    from scoring.model import load_model
    from scoring.run import default_as_of
    from scoring.snapshots import enterprise_snapshots

    as_of = default_as_of(db)
    return {**queries.enterprise_profile(db, uscc, as_of),
            "snapshots": enterprise_snapshots(db, uscc, as_of, load_model())}


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
        hits = p.get("rule_hits")
        if hits is not None and len(hits):  # the rule behind the red, its clause and records
            st.warning("\n\n".join(md(line) for line in fired_lines(hits, tr, tv)))
        if "snapshots" in p:
            show_changes(p["snapshots"], model, str(e["uscc"]))
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
