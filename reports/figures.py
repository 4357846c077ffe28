"""The weekly-report figures as people read them, the same on screen and in the briefing."""

from __future__ import annotations

from riskmap.i18n import t
from scoring.metrics import BY_KEY


def _rate(key: str) -> bool:
    """A share (整改率, 复查属实率): shown as a percentage, changed by percentage points."""
    return key in BY_KEY and BY_KEY[key].kind == "rate"


def figure_text(key: str, v: float) -> str:
    """A figure of ``scoring.report.WEEKLY_COLUMNS``: 整改率 as a percentage, fines with two
    decimals, counts whole; "—" when there is none (a rate of nothing)."""
    if v != v:
        return "—"
    return f"{v:.1%}" if _rate(key) else f"{v:,.2f}" if key == "fines_10k" else f"{v:,.0f}"


def change_text(key: str, now: float, before: float, lang: str = "zh") -> str:
    """The change against the period before ("" when either is missing, and for the number of
    enterprises, which is a stock, not a flow): percentage points for 整改率."""
    if key == "enterprises" or now != now or before != before:
        return ""
    d = now - before
    if _rate(key):
        d = round(d * 100, 1)
        return "0" if d == 0 else t("pp", lang, v=d)  # Streamlit shows "0" as no change, in grey
    d = round(d, 2)
    return "0" if d == 0 else f"{d:+,.2f}" if key == "fines_10k" else f"{d:+,.0f}"
