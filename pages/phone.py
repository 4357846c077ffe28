"""我的网格 as a 网格员's phone shows it: a one-line KPI strip, hazard cards, the page's CSS
(touch, cards, print) and the scroll after a tap. Pure: HTML text built from escaped values
only (``st.html`` draws it, never as Markdown); no Streamlit here."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from pages.profile import FILE_KEY, cell_text, html_text, tel_link

#: Most cards of one kind drawn (all open hazards are in the table below them).
CARDS = 10

#: The page's own stylesheet. Constant, no user text.
PAGE_CSS = f"""<style>
.rm-strip {{display: flex; flex-wrap: wrap; gap: 0 .9em; font-size: .9rem; line-height: 1.5; color: #555;}}
.rm-strip .rm-n {{color: #111; font-weight: 600; margin-left: .2em;}}
.rm-cards {{display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .5rem;}}
.rm-card {{border: 1px solid #ddd; border-left: 4px solid #d7191c; border-radius: 6px; padding: .4rem .6rem;
  background: #fff; font-size: .9rem; line-height: 1.45; overflow-wrap: anywhere;}}
.rm-card.rm-open {{border-left-color: #fdae61;}}
.rm-card-head {{display: flex; justify-content: space-between; gap: .6em; font-weight: 600;}}
.rm-days {{color: #b2182b; white-space: nowrap;}}
.rm-open .rm-days {{color: #8a5a00;}}
.rm-card-sub {{color: #555;}}
.rm-card a {{text-decoration: none; white-space: nowrap;}}
.rm-more {{color: #666; font-size: .85rem; margin-top: .3rem;}}
.rm-table-wrap {{overflow-x: auto;}}
.rm-table {{border-collapse: collapse; font-size: .85rem; margin: 0;}}
.rm-table th, .rm-table td {{border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top;
  white-space: nowrap;}}
.rm-table th {{background: #f3f3f3; font-weight: 600;}}
.st-key-{FILE_KEY}, [data-testid="stDeckGlJsonChart"] {{scroll-margin-top: 4rem;}}  /* below the header */
.st-key-{FILE_KEY} h3 {{font-size: 1.35rem;}}
@media (max-width: 640px) {{
  h1 {{font-size: 1.9rem !important;}}
  [data-testid="stMainBlockContainer"] {{padding-top: 4rem !important;}}
}}
/* deck.gl puts touch-action: none on its map, so a finger on the map never scrolls the page
   (Streamlit's chart hands deck.gl no touchAction). On a touch screen the browser takes the
   vertical swipe (the page scrolls), the map still gets a sideways drag, two fingers and taps. */
@media (pointer: coarse) {{
  [data-testid="stDeckGlJsonChart"], [data-testid="stDeckGlJsonChart"] * {{touch-action: pan-y !important;}}
}}
/* Printing while a file is shown prints the file alone (and the illustrative-data note). */
@media print {{
  @page {{size: A4; margin: 12mm;}}
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stSidebarCollapsedControl"], .st-key-{FILE_KEY} [data-testid="stButton"],
  .st-key-{FILE_KEY} [data-testid="stSelectbox"], .st-key-{FILE_KEY} [class*="st-key-hist_days"]
    {{display: none !important;}}  /* the days compared: in the caption; the list of days: on the screen */
  .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{overflow: visible !important;
    height: auto !important; position: static !important;}}
  [data-testid="stMainBlockContainer"] {{padding: 0 !important; max-width: none !important;}}
  body:has(.st-key-{FILE_KEY}) [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] >
    :not(:has(.st-key-{FILE_KEY})):not(:has([data-testid="stAlert"])) {{display: none !important;}}
  .st-key-{FILE_KEY}, .st-key-{FILE_KEY} [data-testid="stVerticalBlock"] {{gap: .35rem !important;}}
  .st-key-{FILE_KEY} h3 {{font-size: 1.1rem !important; padding: 0 0 .2rem !important;}}
  .st-key-{FILE_KEY} p, .st-key-{FILE_KEY} [data-testid="stCaptionContainer"] {{font-size: 9.5pt !important;
    margin: 0 !important;}}
  .rm-table-wrap {{overflow: visible;}}
  .rm-table {{font-size: 8pt;}}
  .rm-table th, .rm-table td {{padding: 1px 4px; line-height: 1.3;}}
  .rm-table td.rm-wrap {{white-space: normal; min-width: 6em;}}
}}
</style>"""

#: Where the page may scroll to after a run (constant selectors, no user text).
SCROLL_TARGETS = {"file": f".st-key-{FILE_KEY}", "map": '[data-testid="stDeckGlJsonChart"]'}

Say = Callable[..., str]


def is_phone(user_agent: str | None) -> bool:
    """Whether a browser says it is a phone: "Mobi" in its user agent (MDN's advice; tablets
    and desktops leave it out)."""
    return "Mobi" in (user_agent or "")


def strip_items(enterprises: pd.DataFrame, hazards: pd.DataFrame, overdue: pd.DataFrame,
                high_tiers: Sequence[str], say: Say, value: Callable[[object], object]) -> list[tuple[str, int]]:
    """The strip's figures of a grid: enterprises, open hazards, of them overdue, enterprises
    in the high tiers."""
    return [(say("strip_enterprises"), len(enterprises)), (say("strip_open"), len(hazards)),
            (say("strip_overdue"), len(overdue)),
            (say("strip_high", high="、".join(str(value(t)) for t in high_tiers)),
             int(enterprises["tier"].isin(list(high_tiers)).sum()))]


def kpi_strip(items: Iterable[tuple[str, int]]) -> str:
    """One line of small figures, ``label figure`` side by side (wrapping only if it must)."""
    spans = "".join(f'<span>{html_text(label)}<span class="rm-n">{int(n):,}</span></span>' for label, n in items)
    return f'<div class="rm-strip">{spans}</div>'


def hazard_card(*, name: object, days_overdue: object, deadline: object, level: object, category: object,
                address: object, phone: object, say: Say) -> str:
    """One hazard as a card: enterprise and how late (or how long left), deadline, level and
    category, address, and a tap-to-call link when the enterprise has a phone number."""
    late = None if days_overdue is None or pd.isna(days_overdue) else int(days_overdue)  # type: ignore[call-overload]
    when = ("" if late is None else say("card_overdue", n=late) if late > 0 else
            say("card_due_today") if late == 0 else say("card_days_left", n=-late))
    due = say("card_deadline", date=cell_text(deadline)) if cell_text(deadline) else ""
    sub = " · ".join(html_text(x) for x in (due, cell_text(level), cell_text(category)) if x)
    tel = tel_link(phone)
    call = f' · <a href="{html.escape(tel)}">{html_text(say("card_call", phone=cell_text(phone)))}</a>' if tel else ""
    where = html_text(address)
    kind = "rm-card" if late is not None and late > 0 else "rm-card rm-open"
    return (f'<div class="{kind}"><div class="rm-card-head"><span>{html_text(name)}</span>'
            f'<span class="rm-days">{html_text(when)}</span></div>'
            f'<div class="rm-card-sub">{sub}</div>'
            f'<div class="rm-card-sub">{where}{call}</div></div>')


def hazard_cards(hazards: pd.DataFrame, say: Say, value: Callable[[object], object], limit: int = CARDS) -> str:
    """Cards of the first ``limit`` rows of ``data.queries.grid_hazards`` (in their order),
    vocabulary through ``value`` (``tv``); a line saying how many more there are."""
    cards = "".join(
        hazard_card(name=r["name"], days_overdue=r.get("days_overdue"), deadline=r.get("deadline"),
                    level=value(r.get("level")), category=r.get("category"), address=r.get("address"),
                    phone=r.get("phone"), say=say)
        for r in hazards.head(limit).to_dict("records"))
    more = f'<div class="rm-more">{html_text(say("cards_more", n=len(hazards) - limit))}</div>' \
        if len(hazards) > limit else ""
    return f'<div class="rm-cards">{cards}</div>{more}'


def overdue_and_others(hazards: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open hazards split: overdue (longest overdue first), then the others (earliest deadline
    first, no deadline last); ties by hazard id."""
    late = hazards["status"] == "逾期"
    overdue = hazards[late].sort_values(["days_overdue", "id"], ascending=[False, True], na_position="last")
    others = hazards[~late].sort_values(["deadline", "id"], na_position="last")
    return overdue, others


def scroll_script(target: str, nonce: int) -> str:
    """A script that scrolls the page to ``target`` (a key of :data:`SCROLL_TARGETS`) once it
    is drawn; ``nonce`` makes each one a new element, so that it runs again."""
    selector = json.dumps(SCROLL_TARGETS[target])
    return (f'<script data-run="{int(nonce)}">(() => {{ const go = () => {{ const el = document.querySelector('
            f'{selector}); if (el) el.scrollIntoView({{block: "start"}}); }}; requestAnimationFrame(go); '
            "setTimeout(go, 400); })();</script>")


def columns_as_text(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``df`` with ``columns`` as shown text (dates as YYYY-MM-DD, empty as nothing)."""
    return df.assign(**{c: df[c].map(cell_text) for c in columns if c in df})
