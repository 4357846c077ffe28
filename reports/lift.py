"""The lift of targeting as people read it: the table of 模型说明, the briefing's section and
the CLI's lines, all from :func:`scoring.lift.lift_report` with the model's ``[lift]``
settings — one computation, three ways of showing it."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd

from riskmap.i18n import t, value
from scoring.lift import ALL, inspection_outcomes, lift_report
from scoring.model import LiftConfig


def lift_rows(con: duckdb.DuckDBPyConnection, end: dt.date, settings: LiftConfig,
              start: dt.date | None = None) -> pd.DataFrame:
    """:func:`scoring.lift.lift_report` of the inspections dated in [start, end]."""
    return lift_report(inspection_outcomes(con, end, start), settings.confidence, settings.min_inspections)


def pct(settings: LiftConfig) -> str:
    """The confidence level in percent, as the labels write it ("95")."""
    return f"{settings.confidence * 100:g}"


def _rate(x: float) -> str:
    return "—" if x != x else f"{x:.1%}"


def _points(x: float) -> str:
    return "—" if x != x else f"{x * 100:+.1f}"


def _times(x: float) -> str:
    return "—" if x != x or math.isinf(x) else f"{x:.2f}"


def _texts(row: pd.Series) -> dict[str, str]:
    """The figures of one row of the report as text."""
    return {"nt": f"{row['n_targeted']:,}", "xt": f"{row['found_targeted']:,}", "rt": _rate(row["rate_targeted"]),
            "nc": f"{row['n_control']:,}", "xc": f"{row['found_control']:,}", "rc": _rate(row["rate_control"]),
            "diff": _points(row["diff"]), "lo": _points(row["diff_lo"]), "hi": _points(row["diff_hi"]),
            "ratio": _times(row["ratio"]), "rlo": _times(row["ratio_lo"]), "rhi": _times(row["ratio_hi"])}


def lift_view(rows: pd.DataFrame, settings: LiftConfig, lang: str = "zh") -> pd.DataFrame:
    """The report as a table with labels and vocabulary in ``lang``: counts as numbers, rates
    and intervals as text (percent, percentage points, times)."""
    p = pct(settings)
    texts = [_texts(r) for _, r in rows.iterrows()]

    def rng(lo: str, hi: str) -> str:
        return "—" if lo == "—" else t("lift_range", lang, lo=lo, hi=hi)

    return pd.DataFrame({
        t("col_quarter", lang): [value(q, lang) for q in rows["quarter"]],
        t("col_department", lang): [value(d, lang) for d in rows["department"]],
        t("lift_n", lang): rows["n"].to_numpy(),
        t("lift_n_targeted", lang): rows["n_targeted"].to_numpy(),
        t("lift_rate_targeted", lang): [x["rt"] for x in texts],
        t("lift_n_control", lang): rows["n_control"].to_numpy(),
        t("lift_rate_control", lang): [x["rc"] for x in texts],
        t("lift_diff", lang): [x["diff"] for x in texts],
        t("lift_diff_ci", lang, pct=p): [rng(x["lo"], x["hi"]) for x in texts],
        t("lift_ratio", lang): [x["ratio"] for x in texts],
        t("lift_ratio_ci", lang, pct=p): [rng(x["rlo"], x["rhi"]) for x in texts],
        t("lift_n_complaint", lang): rows["n_complaint"].to_numpy(),
        t("lift_n_other", lang): rows["n_other"].to_numpy(),
        t("lift_n_unknown", lang): rows["n_unknown"].to_numpy(),
        t("lift_note", lang): ["" if ok else t("lift_small", lang) for ok in rows["enough"]],
    })


def total_row(rows: pd.DataFrame) -> pd.Series | None:
    """The row adding up every quarter and department (None for no inspections)."""
    total = rows[(rows["quarter"] == ALL) & (rows["department"] == ALL)]
    return None if total.empty else total.iloc[0]


def lift_summary(rows: pd.DataFrame, settings: LiftConfig, lang: str = "zh", period: str | None = None) -> str:
    """One sentence on the total: both rates with their counts, the difference with its
    interval and the ratio with its; says so when there is nothing to compare."""
    total = total_row(rows)
    if total is None or not (total["n_targeted"] and total["n_control"]):
        return t("lift_none", lang)
    return t("lift_summary", lang, period=period or t("lift_all_time", lang), pct=pct(settings), **_texts(total))


def unknown_note(rows: pd.DataFrame, lang: str = "zh") -> str:
    """The sentence on inspections whose method is not recorded ("" when every one says)."""
    total = total_row(rows)
    n = 0 if total is None else int(total["n_unknown"])
    return t("lift_unknown", lang, n=f"{n:,}") if n else ""


def lift_lines(rows: pd.DataFrame, settings: LiftConfig, lang: str = "zh") -> list[str]:
    """One line per row of the report, for the CLI."""
    def label(r: pd.Series) -> str:  # "2026Q3 消防救援", "2026Q3 合计", "合计 消防救援"; the last row 总计
        if r["quarter"] == ALL and r["department"] == ALL:
            return t("lift_overall", lang)
        return f"{value(r['quarter'], lang)} {value(r['department'], lang)}"

    return [t("lift_line", lang, label=label(r), note="" if r["enough"] else t("lift_small", lang),
              **_texts(r)).rstrip() for _, r in rows.iterrows()]


def quarter_start(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the quarter holding ``day``, or of the ``back``-th quarter before it."""
    q = (day.year * 4 + (day.month - 1) // 3) - back
    return dt.date(q // 4, (q % 4) * 3 + 1, 1)


def briefing_lift(con: duckdb.DuckDBPyConnection, end: dt.date, settings: LiftConfig,
                  lang: str = "zh") -> tuple[pd.DataFrame, str]:
    """The briefing's section: the inspections of the four quarters up to ``end`` (the last
    one up to ``end`` only): each quarter added up, the latest quarter department by
    department, each department added up over the four, and the total; with the sentence
    saying so, the summary and the note on unrecorded methods."""
    start = quarter_start(end, 3)
    rows = lift_rows(con, end, settings, start)
    latest = f"{end.year}Q{(end.month - 1) // 3 + 1}"
    kept = rows[(rows["quarter"] == ALL) | (rows["department"] == ALL) | (rows["quarter"] == latest)]
    note = " ".join(x for x in (t("doc_lift_note", lang, start=start, end=end),
                                lift_summary(rows, settings, lang), unknown_note(rows, lang)) if x)
    view = lift_view(kept, settings, lang)
    dropped = [t(k, lang, pct=pct(settings)) for k in BRIEF_LEFT_OUT]
    return view.drop(columns=dropped), note


#: Columns of :func:`lift_view` the briefing leaves out, so its table fits an A4 page.
BRIEF_LEFT_OUT = ("lift_n", "lift_ratio_ci", "lift_n_complaint", "lift_n_other", "lift_n_unknown")
