"""大屏: the city on one meeting-room screen, without scrolling, from 1366×768 to 3840×2160.

The period comes from the link (``?screen=1&days=7``; 7, 30 or 90, default 30). The figures are
the weekly form's, by the definitions of :mod:`scoring.metrics`, each with its change coloured
by which direction is better; the map is the overview's, with every hexagon opaque over a
neutral fill of the city (so an empty cell reads as "no enterprises", not as a data class) and
its legend on the map; the listed townships come with their reasons and deadline; the trend is
daily hazards found and rectified over the period. Every size is a share of the viewport, so
the same page fits every screen. A timer checks every few minutes for a newer database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from layers.render import fit_view, to_pydeck
from layers.spec import LayerSpec, Legend, LegendEntry
from pages.loaders import listed_townships, meta_and_counts, weekly
from pages.profile import html_text
from pages.screens.common import db_version, lang, live_fragment, publish_layers, require_db, tr, tv
from reports.figures import change_text, figure_text
from reports.views import ViewRequest, build_view
from scoring import metrics
from scoring.metrics import BY_KEY, WEEKLY_KEYS
from scoring.report import period_bounds
from scoring.run import default_as_of

if TYPE_CHECKING:
    from layers.render import FrozenDeck

#: The periods a link may ask for.
SCREEN_DAYS = (7, 30, 90)
#: How often the screen looks for a newer database.
REFRESH = dt.timedelta(minutes=5)
#: The screen's colours: paper, the city's fill where a cell has no enterprise, text.
PAPER = "#0e1117"
EMPTY_CELL = (58, 64, 78)
#: The map's box on a 1366×768 screen (CSS pixels; 944×982 on 1920×1080): what its first
#: view is fitted to.
MAP_BOX_PX = (672, 692)
#: Listed townships shown at most (the rest counted): what fits the column on every screen.
MAX_LISTED = 6

BETTER, WORSE, NEUTRAL = "#3fbf6f", "#ff5a4e", "#9aa3b2"

# Sizes in vw/vh: one layout from 1366×768 to 3840×2160. The deck's own element gets its
# height here too (Streamlit sets it in pixels).
CSS = f"""<style>
[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"] {{display: none !important;}}
html {{font-size: clamp(10px, 0.83vw, 40px);}}
.stApp {{background: {PAPER}; color: #f0f0f0;}}
.stMain {{overflow: hidden !important;}}
.block-container {{max-width: 100% !important; padding: 1.2vh 1.2vw 0 1.2vw !important;}}
[data-testid="stVerticalBlock"] {{gap: 0.8vh !important;}}
[data-testid="stHorizontalBlock"] {{gap: 1vw !important;}}
[data-testid="stDeckGlJsonChart"], [data-testid="stDeckGlJsonChart"] > div {{
  height: calc(100vh - 10vh) !important;}}
[data-testid="stElementContainer"]:has([data-testid="stDeckGlJsonChart"]),
[data-testid="stFullScreenFrame"]:has([data-testid="stDeckGlJsonChart"]) {{height: auto !important;
  flex: 0 0 auto !important; min-height: 0 !important;}}
.bs-head {{display: flex; align-items: baseline; gap: 1.5vw; height: 5.5vh; white-space: nowrap; overflow: hidden;}}
.bs-head .bs-title {{font-size: 2.4rem; color: #fff; font-weight: 700;}}
.bs-head span {{font-size: 1.2rem; color: #c8ccd4;}}
.bs-head a {{color: #c8ccd4; text-decoration: none; border: 1px solid #5a6170; border-radius: 4px;
  padding: 0 .6em; font-size: 1.1rem;}}
.bs-head .bs-note {{color: #ffd866; border: 1px solid #ffd866; border-radius: 4px; padding: 0 .5em;}}
.bs-head a.on {{color: {PAPER}; background: #ffd866; border-color: #ffd866;}}
.bs-kpis {{display: grid; grid-template-columns: 1fr 1fr; grid-auto-rows: calc((100vh - 10vh - 6 * 0.8vh) / 6);
  gap: 0.8vh 0.6vw;}}
.bs-kpi {{background: #171c26; border-radius: 6px; padding: .6vh .6vw; overflow: hidden;
  display: flex; flex-direction: column; justify-content: space-between;}}
.bs-kpi .l {{font-size: 1.05rem; color: #c8ccd4; line-height: 1.25;}}
.bs-kpi .v {{font-size: 2.4rem; color: #ffd866; font-weight: 600; line-height: 1.1; white-space: nowrap;}}
.bs-kpi .d {{font-size: 1.05rem; white-space: nowrap;}}
.bs-side .bs-h {{font-size: 1.35rem; margin: 0 0 .5vh 0; color: #fff; font-weight: 600;}}
.bs-list {{height: 52vh; overflow: hidden;}}
.bs-item {{border-left: 4px solid #c00000; background: #171c26; margin-bottom: .6vh; padding: .4vh .5vw;}}
.bs-item b {{font-size: 1.1rem; color: #fff;}}
.bs-item .m {{font-size: .95rem; color: #c8ccd4;}}
.bs-item .r {{font-size: .95rem; color: #e8e8e8; display: -webkit-box; -webkit-line-clamp: 2;
  -webkit-box-orient: vertical; overflow: hidden;}}
.bs-more {{font-size: .95rem; color: #9aa3b2;}}
svg.bs-chart {{width: 100%; height: 24vh; display: block;}}
.bs-legend {{position: fixed; left: 25.6vw; bottom: 3.5vh; z-index: 10; background: rgba(14,17,23,.88);
  border: 1px solid #3a4150; border-radius: 6px; padding: .6vh .6vw; font-size: 1.05rem; color: #e8e8e8;}}
.bs-legend .t {{font-weight: 600; margin-bottom: .3vh;}}
.bs-legend i {{display: inline-block; width: 1.4em; height: 1em; margin: 0 .4em -.1em 0; border: 1px solid #888;}}
.bs-legend div {{line-height: 1.5;}}
</style>"""


def esc(value: object) -> str:
    """Text for the screen's HTML: whitespace runs (a blank line would end the HTML block and
    start Markdown) made one space, then escaped with Markdown made inert — names, levels and
    reasons are imported text."""
    return html_text(" ".join(str(value).split()))


def screen_days() -> int:
    """The period the link asks for (``days``), 30 when it asks for none or another."""
    try:
        days = int(st.query_params.get("days", "30"))
    except ValueError:
        return 30
    return days if days in SCREEN_DAYS else 30


def change_colour(key: str, now: float, before: float) -> str:
    """Green when the figure moved the better way, red the worse way, grey otherwise."""
    better = BY_KEY[key].better
    if better is None or now != now or before != before or now == before:
        return NEUTRAL
    return BETTER if (now > before) == (better == "up") else WORSE


def kpi_cards(now: dict[str, float], before: dict[str, float], language: str) -> str:
    """The weekly form's figures as cards; labels are ours, numbers formatted here."""
    cards = []
    for key in WEEKLY_KEYS:
        m = BY_KEY[key]
        change = change_text(key, now[key], before[key], language)
        same = change == "0"  # no change at the precision shown
        arrow = "" if not change or same else "▲ " if now[key] > before[key] else "▼ "
        colour = NEUTRAL if same else change_colour(key, now[key], before[key])
        delta = (f'<div class="d" style="color:{colour}">{arrow}'
                 f"{esc(change)}</div>") if change else '<div class="d">&nbsp;</div>'
        cards.append(f'<div class="bs-kpi" title="{esc(m.help(language))}">'
                     f'<div class="l">{esc(m.text(language))}</div>'
                     f'<div class="v">{esc(figure_text(key, now[key]))}</div>{delta}</div>')
    return f'<div class="bs-kpis">{"".join(cards)}</div>'


def listed_html(listed: pd.DataFrame) -> str:
    """The listed townships with level, deadline and reasons (imported names: escaped)."""
    from scoring.listing import reasons_in
    from scoring.model import load_model

    items = []
    listed = listed.assign(reasons=reasons_in(listed, load_model().township_listing, lang()))
    for _, r in listed.head(MAX_LISTED).iterrows():
        deadline = pd.Timestamp(r["deadline"]).date() if pd.notna(r["deadline"]) else "—"
        items.append(f'<div class="bs-item"><b>{esc(str(r["name"]))}</b> '
                     f'<span class="m">{esc(tv(r["level"]))} · {esc(tr("col_deadline"))} '
                     f'{deadline}</span><div class="r">{esc(str(r["reasons"]))}</div></div>')
    more = len(listed) - MAX_LISTED
    tail = f'<div class="bs-more">{esc(tr("bs_more", n=more))}</div>' if more > 0 else ""
    head = tr("with_count", name=tr("listed_now"), n=len(listed))
    return (f'<div class="bs-side"><div class="bs-h">{esc(head)}</div>'
            f'<div class="bs-list">{"".join(items)}{tail}</div></div>')


def trend_svg(daily: pd.DataFrame, title: str, labels: tuple[str, str]) -> str:
    """Daily hazards found and rectified as two lines, drawn as SVG from numbers only."""
    w, h, pad = 400.0, 200.0, 24.0
    top = max(1.0, float(daily[["hazards", "rectified"]].to_numpy().max()))
    n = max(1, len(daily) - 1)

    def path(column: str) -> str:
        pts = [(pad + i * (w - 2 * pad) / n, h - pad - v / top * (h - 2 * pad)) for i, v in enumerate(daily[column])]
        return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(pts))

    first, last = daily["day"].iloc[0], daily["day"].iloc[-1]
    return (f'<div class="bs-side bs-trend"><div class="bs-h">{esc(title)}</div>'
            f'<svg class="bs-chart" viewBox="0 0 {w:g} {h:g}" preserveAspectRatio="none" role="img">'
            f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#5a6170"/>'
            f'<path d="{path("hazards")}" fill="none" stroke="#fdae61" stroke-width="2.5"/>'
            f'<path d="{path("rectified")}" fill="none" stroke="#3fbf6f" stroke-width="2.5"/>'
            f'<text x="{pad}" y="{h - 6}" fill="#9aa3b2" font-size="12">{first:%m-%d}</text>'
            f'<text x="{w - pad}" y="{h - 6}" fill="#9aa3b2" font-size="12" text-anchor="end">{last:%m-%d}</text>'
            f'<text x="{pad}" y="14" fill="#9aa3b2" font-size="12">{top:,.0f}</text>'
            f'<text x="{w - pad}" y="14" fill="#fdae61" font-size="13" text-anchor="end">'
            f'{esc(labels[0])}</text>'
            f'<text x="{w - pad}" y="30" fill="#3fbf6f" font-size="13" text-anchor="end">'
            f'{esc(labels[1])}</text></svg></div>')


def legend_on_map(legend: Legend) -> str:
    """The map's legend, drawn over the map's lower left corner (the page does not scroll, so
    a fixed place in viewport units is the map's corner on every screen); swatches are the
    colours as drawn (the hexagons are opaque here)."""
    rows = "".join(f'<div><i style="background:rgb{tuple(e.color)}"></i>{esc(e.label)}</div>'
                   for e in legend.entries)
    return f'<div class="bs-legend"><div class="t">{esc(legend.title)}</div>{rows}</div>'


@st.cache_resource(max_entries=16, show_spinner=False)
def _daily(version: str, days: int) -> pd.DataFrame:
    con = require_db()
    start, end = period_bounds(default_as_of(con), days)
    rows = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        rows.append({"day": day, **metrics.figures(con, day, day, ("hazards", "rectified"))})
    return pd.DataFrame(rows)


@st.cache_resource(max_entries=32, show_spinner=False)
def _deck(version: str, days: int, language: str) -> tuple[FrozenDeck, Legend]:
    """The overview's map for the screen: hexes by area index, opaque, over the city filled
    with the colour of "no enterprises"; the legend says both."""
    view = build_view(require_db(), ViewRequest("city", res=8, colour="index", names=False,
                                                overlays=("incidents",), days=days, lang=language))
    bundle = view.bundle
    specs: list[LayerSpec] = []
    for spec in bundle.specs:
        if spec.id == "townships":  # the invisible pickable fill: here the city's neutral fill
            spec = dataclasses.replace(spec, vis={**spec.vis, "get_fill_color": list(EMPTY_CELL)}, pickable=False)
        elif spec.type == "h3":
            spec = dataclasses.replace(spec, vis={**spec.vis, "opacity": 1.0}, pickable=False)
        else:
            spec = dataclasses.replace(spec, pickable=False)
        specs.append(spec)
    legend = Legend(bundle.legend.title, (*bundle.legend.entries, LegendEntry(EMPTY_CELL, tr("bs_no_enterprise"))))
    # The whole city in the map's box as laid out on the smallest screen (the zoom is in CSS
    # pixels: on larger screens the city fills less of its box, but is never cut).
    ring = [p for r in bundle.datasets.get("township_polygons", []) for p in r["polygon"]]
    xs, ys = ([p[0] for p in ring], [p[1] for p in ring]) if ring else bundle.view_points
    deck = to_pydeck(specs, bundle.datasets, fit_view(xs, ys, *MAP_BOX_PX), None, background=PAPER,
                     publish=publish_layers())
    return deck, legend


def render() -> None:
    """The whole screen; a timer reruns it to pick up a newer database."""
    st.markdown(CSS, unsafe_allow_html=True)  # constant CSS of ours, no user text
    _screen(screen_days())


@live_fragment(run_every=REFRESH)
def _screen(days: int) -> None:
    version, language = db_version(), lang()
    meta, _ = meta_and_counts(version)
    start, end, now, before = weekly(version, days)
    deck, legend = _deck(version, days, language)
    # Illustrative data is marked wherever it is shown, the screen included.
    note = (f'<span class="bs-note" title="{esc(str(meta.get("data_note", "")))}">⚠ '
            f'{esc(tr("illustrative"))}</span>' if meta.get("illustrative") == "1" else "")
    links = "".join(f'<a href="?screen=1&days={d}" target="_self" class="{"on" if d == days else ""}">'
                    f"{esc(tr(f'period_{d}'))}</a>" for d in SCREEN_DAYS)
    st.markdown(  # the legend is fixed over the map's corner: it takes no room of its own here
        f'<div class="bs-head"><span class="bs-title">'
        f'{esc(tr("city_title", city=str(meta.get("city_name") or ""), page=tr("app_title")))}</span>'
        f'<span>{esc(tr("weekly_title", start=start, end=end))}</span>{links}'
        f'<span>{esc(tr("bs_updated", t=dt.datetime.now().strftime("%H:%M")))}</span>{note}</div>'
        f"{legend_on_map(legend)}",
        unsafe_allow_html=True)  # every value escaped
    left, middle, right = st.columns([1.15, 2.45, 1.2])
    with left:
        st.markdown(kpi_cards(now, before, language), unsafe_allow_html=True)
    with middle:
        st.pydeck_chart(deck, height=720, key="screen_map")
    with right:
        st.markdown(listed_html(listed_townships(version)), unsafe_allow_html=True)
        st.markdown(trend_svg(_daily(version, days), tr("bs_trend", n=days),
                              (BY_KEY["hazards"].text(language), BY_KEY["rectified"].text(language))),
                    unsafe_allow_html=True)
