"""The weekly-report figures as people read them, the same on screen and in the briefing."""

from __future__ import annotations

from riskmap.i18n import t


def figure_text(key: str, v: float) -> str:
    """A figure of ``scoring.report.WEEKLY_COLUMNS``: 整改率 as a percentage, fines with two
    decimals, counts whole; "—" when there is none (a rate of nothing)."""
    if v != v:
        return "—"
    return f"{v:.1%}" if key == "rectification_rate" else f"{v:,.2f}" if key == "fines_10k" else f"{v:,.0f}"


def change_text(key: str, now: float, before: float, lang: str = "zh") -> str:
    """The change against the period before ("" when either is missing, and for the number of
    enterprises, which is a stock, not a flow): percentage points for 整改率."""
    if key == "enterprises" or now != now or before != before:
        return ""
    d = now - before
    if key == "rectification_rate":
        d = round(d * 100, 1)
        return "0" if d == 0 else t("pp", lang, v=d)  # Streamlit shows "0" as no change, in grey
    d = round(d, 2)
    return "0" if d == 0 else f"{d:+,.2f}" if key == "fines_10k" else f"{d:+,.0f}"
