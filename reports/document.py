"""The briefing document (周通报 / 月会商材料) as Word (docx) and PDF.

Both are built from one :class:`Briefing`: title and date, the weekly-report figures with the
change against the previous period, the city map, the listed townships with their reasons,
the top inspection targets and a trend chart. The PDF is drawn with matplotlib (the map as
vectors, the CJK font embedded); the docx with python-docx, naming common Chinese fonts for
Word to use (no font file is shipped).

Names come from imported files: matplotlib draws every text as given (no mathtext,
``layers.png.literal_text``), and every string written into the docx loses the control
characters XML cannot carry (``reports.spreadsheets.xml_text``).
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from data import queries
from layers.png import render_png
from reports.figures import change_text, figure_text
from reports.views import View, ViewRequest, build_view
from riskmap.i18n import t, value
from scoring.metrics import BY_KEY
from scoring.model import load_model
from scoring.report import WEEKLY_COLUMNS, monthly_rectification, period_bounds, previous_period, weekly_figures
from scoring.run import default_as_of
from scoring.targets import main_factors

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.run import Run
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

TOP_TARGETS = 20


@dataclass
class Briefing:
    title: str
    period: str
    note: str
    kpis: pd.DataFrame       # label, value (text), change (text)
    listed: pd.DataFrame     # township listing with reasons (display columns)
    targets: pd.DataFrame    # the top of the inspection list (display columns)
    trend: pd.DataFrame      # month, found, rectified_rate
    map_png: bytes
    trend_png: bytes
    view: View               # the city map (drawn as vectors in the PDF)
    lang: str


def trend_png(trend: pd.DataFrame, lang: str = "zh", size: tuple[float, float] = (8.0, 3.2)) -> bytes:
    """Hazards found per month (bars) and the share rectified by now (line)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from layers.png import literal_text, use_cjk_font

    use_cjk_font()
    fig = Figure(figsize=size, dpi=200)
    ax = fig.add_subplot()
    labels = [m.strftime("%Y-%m") for m in pd.to_datetime(trend["month"])]
    ax.bar(labels, trend["found"], color="#fdae61", label=t("doc_found", lang))
    ax.set_ylabel(t("doc_found", lang))
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax2 = ax.twinx()
    ax2.plot(labels, trend["rectified_rate"] * 100, color="#d7191c", marker="o", label=t("hz_by_now", lang))
    ax2.set_ylabel(t("hz_by_now", lang) + " (%)")
    ax2.set_ylim(0, 105)
    ax.set_title(t("hz_monthly", lang))
    fig.legend(loc="upper left", fontsize=7, bbox_to_anchor=(0.08, 0.88))
    literal_text(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def build_briefing(con: duckdb.DuckDBPyConnection, end: dt.date | None = None, days: int = 7,
                   lang: str = "zh") -> Briefing:
    """Everything the briefing shows, for the ``days`` ending ``end`` (default: the as-of date)."""
    start, end = period_bounds(end or default_as_of(con), days)
    meta = queries.meta(con)
    now = weekly_figures(con, start, end)
    before = weekly_figures(con, *previous_period(start, end))
    kpis = pd.DataFrame({
        t("doc_item", lang): [BY_KEY[k].text(lang) for k, _, _ in WEEKLY_COLUMNS],
        t("doc_value", lang): [figure_text(k, now[k]) for k, _, _ in WEEKLY_COLUMNS],
        t("doc_change", lang): [change_text(k, now[k], before[k], lang) for k, _, _ in WEEKLY_COLUMNS],
    })
    listing = queries.township_listing(con)
    listed = pd.DataFrame({
        t("col_name", lang): listing["name"], t("col_county", lang): listing["county_name"],
        t("col_level", lang): [value(v, lang) for v in listing["level"]],
        t("col_reasons", lang): listing["reasons"],
        t("col_deadline", lang): pd.to_datetime(listing["deadline"]).dt.date.astype(str),
    })
    scores = queries.score_table(con).head(TOP_TARGETS)
    targets = pd.DataFrame({
        t("col_rank", lang): range(1, len(scores) + 1), t("col_ent_name", lang): scores["name"],
        t("col_name", lang): scores["township_name"], t("col_tier", lang): [value(v, lang) for v in scores["tier"]],
        t("col_score", lang): scores["score"].round(1), t("col_main", lang): main_factors(scores, load_model()),
    })
    trend = monthly_rectification(con, end, months=12)
    view = build_view(con, ViewRequest(lang=lang))
    city = meta.get("city_name") or ""
    return Briefing(
        title=t("doc_title", lang, city=city),
        period=t("doc_period", lang, start=start, end=end, made=dt.date.today()),
        note=meta.get("data_note", "") if meta.get("illustrative") == "1" else "",
        kpis=kpis, listed=listed, targets=targets, trend=trend,
        map_png=render_png(view.bundle.specs, view.bundle.datasets, view.frame, "slide"),
        trend_png=trend_png(trend, lang), view=view, lang=lang,
    )


# --- Word -------------------------------------------------------------------------------

def _east_asian(run: Run, font: str) -> None:
    """Name the font Word uses for Chinese characters in this run."""
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), font)


def _text(v: object) -> str:
    """A value as text a Word document can hold (no control characters; blank for none)."""
    from reports.spreadsheets import xml_text

    return "" if v is None or (isinstance(v, float) and v != v) else xml_text(str(v))


def _table(doc: Document, df: pd.DataFrame) -> None:
    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Table Grid"
    for cell, col in zip(table.rows[0].cells, df.columns):
        cell.text = _text(col)
        for run in cell.paragraphs[0].runs:
            run.bold = True
            _east_asian(run, "黑体")
    for row in df.itertuples(index=False):
        cells = table.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = _text(v)
            for run in cell.paragraphs[0].runs:
                _east_asian(run, "宋体")


def briefing_docx(b: Briefing) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    heading = doc.add_heading(level=0)
    _east_asian(heading.add_run(_text(b.title)), "黑体")
    _east_asian(doc.add_paragraph().add_run(_text(b.period)), "宋体")
    if b.note:
        run = doc.add_paragraph().add_run(_text(b.note))
        run.italic = True
        _east_asian(run, "宋体")
    for key, body in (("doc_kpis", b.kpis), ("doc_map", None), ("doc_listed", b.listed),
                      ("doc_targets", b.targets), ("doc_trend", None)):
        h = doc.add_heading(level=1)
        _east_asian(h.add_run(_text(t(key, b.lang, n=TOP_TARGETS))), "黑体")
        if key == "doc_map":
            doc.add_picture(io.BytesIO(b.map_png), width=Cm(17))
        elif key == "doc_trend":
            doc.add_picture(io.BytesIO(b.trend_png), width=Cm(16))
        elif body is not None:
            if len(body):
                _table(doc, body)
            else:
                _east_asian(doc.add_paragraph().add_run(_text(t("doc_none", b.lang))), "宋体")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- PDF --------------------------------------------------------------------------------

A4 = (8.27, 11.69)


def _text_page(pdf: PdfPages, title: str, lines: list[str], size: float = 9) -> None:
    from matplotlib.figure import Figure

    from layers.png import literal_text

    per_page = 52
    for k in range(0, max(len(lines), 1), per_page):
        fig = Figure(figsize=A4)
        fig.text(0.07, 0.95, title, fontsize=15, va="top")
        y = 0.91
        for line in lines[k:k + per_page]:
            fig.text(0.07, y, line, fontsize=size, va="top")
            y -= 0.0165
        pdf.savefig(literal_text(fig))


def _rows_as_lines(df: pd.DataFrame, widths: dict[str, int]) -> list[str]:
    """A table as wrapped text lines: ``a · b · c``, long cells wrapped under the row."""
    out: list[str] = []
    for row in df.itertuples(index=False):
        cells = [str(v) for v in row]
        head = " · ".join(c for c, col in zip(cells, df.columns) if col not in widths)
        out.append(head)
        for c, col in zip(cells, df.columns):
            if col in widths:
                out.extend("    " + part for part in textwrap.wrap(c, widths[col]))
    return out


def cover_figure(b: Briefing) -> Figure:
    """The PDF's first page: title, period, note, the figures table and the trend chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure

    from layers.png import literal_text, use_cjk_font

    use_cjk_font()
    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, b.title, fontsize=20, va="top")
    fig.text(0.07, 0.915, b.period, fontsize=10, va="top", color="#444444")
    if b.note:
        fig.text(0.07, 0.895, b.note, fontsize=8, va="top", color="#a01010")
    fig.text(0.07, 0.86, t("doc_kpis", b.lang), fontsize=14, va="top")
    ax = fig.add_axes((0.07, 0.40, 0.86, 0.44))
    ax.set_axis_off()
    table = ax.table(cellText=b.kpis.values.tolist(), colLabels=list(b.kpis.columns), loc="upper center",
                     colWidths=[0.6, 0.2, 0.2], cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.6)
    img = fig.add_axes((0.07, 0.10, 0.86, 0.38))
    img.set_axis_off()
    img.imshow(mpimg.imread(io.BytesIO(b.trend_png), format="png"))
    return literal_text(fig)


def briefing_pdf(b: Briefing) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages

    from layers.png import render_figure, use_cjk_font

    use_cjk_font()
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": b.title, "Creator": "风险一张图"}) as pdf:
        pdf.savefig(cover_figure(b))
        view = b.view
        pdf.savefig(render_figure(view.bundle.specs, view.bundle.datasets, view.frame, "a4"))
        _text_page(pdf, t("doc_listed", b.lang), _rows_as_lines(b.listed, {t("col_reasons", b.lang): 60}))
        _text_page(pdf, t("doc_targets", b.lang, n=TOP_TARGETS), _rows_as_lines(b.targets, {t("col_main", b.lang): 60}))
    return buf.getvalue()
