"""The briefing document (周通报 / 月会商材料) as Word (docx) and PDF.

Both are built from one :class:`Briefing`: title and date, the weekly-report figures with the
change against the previous period, the city map, the listed townships with their reasons,
the top inspection targets and a trend chart — every part as of the period's last day, a past
period too (``reports.asof``); what has no history (the enterprise register, the boundaries)
is said so in one note with its own date. Both walk one list of sections (:data:`SECTIONS`),
so Word and PDF carry the same headings in the same order, and both number their pages. The
PDF is drawn with matplotlib (the map as vectors, the CJK font embedded); the docx with
python-docx, naming common Chinese fonts for Word to use (no font file is shipped).

An exported file carries its mark (``reports.marks``: 内部资料, who exported it, when): the
Word file in every section's header, the PDF along the top of every page.

Names come from imported files (and the mark's from an account): matplotlib draws every text
as given (no mathtext, ``layers.png.literal_text``), and every string written into the docx
loses the control characters XML cannot carry (``reports.spreadsheets.xml_text``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from data import queries
from reports.asof import outputs_as_of
from reports.figures import change_text, figure_text
from reports.ledgers import fired_columns
from reports.lift import briefing_lift
from reports.views import View, ViewRequest, build_view, view_png
from riskmap.i18n import t, value
from scoring.fired import with_hits
from scoring.metrics import BY_KEY
from scoring.model import load_model
from scoring.report import WEEKLY_COLUMNS, monthly_rectification, period_bounds, previous_period, weekly_figures
from scoring.run import default_as_of
from scoring.targets import main_factors

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run
    from matplotlib.figure import Figure

    from reports.marks import Mark

TOP_TARGETS = 20

#: The briefing's sections in order, by the key of their heading: Word and PDF both walk this
#: list (one heading each, in this order).
SECTIONS = ("doc_kpis", "doc_map", "doc_listed", "doc_targets", "doc_trend", "doc_lift")


def section_headings(lang: str = "zh") -> dict[str, str]:
    """The heading of each of :data:`SECTIONS`, in ``lang``."""
    return {key: t(key, lang, n=TOP_TARGETS) for key in SECTIONS}


@dataclass
class Briefing:
    title: str
    period: str
    note: str                # the data note of an illustrative city ("" for real data)
    undated: str             # the note: all as of the end, what is not (with its date), when made
    kpis: pd.DataFrame       # label, value (text), change (text)
    listed: pd.DataFrame     # township listing with reasons (display columns)
    targets: pd.DataFrame    # the top of the inspection list (display columns)
    trend: pd.DataFrame      # month, found, rectified_rate
    map_png: bytes
    trend_png: bytes
    view: View               # the city map (drawn as vectors in the PDF)
    lang: str
    #: The lift of targeting over the last four quarters (``reports.lift.briefing_lift``).
    lift: pd.DataFrame = field(default_factory=pd.DataFrame)
    lift_note: str = ""


def trend_figure(trend: pd.DataFrame, lang: str = "zh", size: tuple[float, float] = (8.0, 3.2)) -> Figure:
    """Hazards found per month (bars) and the share rectified by now (line), the legend below
    the chart, outside the data (inside it covered a bar)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from layers.png import literal_text, use_cjk_font

    use_cjk_font()
    fig = Figure(figsize=size, dpi=200, layout="constrained")
    ax = fig.add_subplot()
    labels = [m.strftime("%Y-%m") for m in pd.to_datetime(trend["month"])]
    bars = ax.bar(labels, trend["found"], color="#fdae61", label=t("doc_found", lang))
    ax.set_ylabel(t("doc_found", lang))
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax2 = ax.twinx()
    (line,) = ax2.plot(labels, trend["rectified_rate"] * 100, color="#d7191c", marker="o", label=t("hz_by_now", lang))
    ax2.set_ylabel(t("hz_by_now", lang) + " (%)")
    ax2.set_ylim(0, 105)
    ax.set_title(t("hz_monthly", lang))
    fig.legend(handles=[bars, line], loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    return literal_text(fig)


def trend_png(trend: pd.DataFrame, lang: str = "zh", size: tuple[float, float] = (8.0, 3.2)) -> bytes:
    """:func:`trend_figure` as PNG bytes (200 dpi)."""
    buf = io.BytesIO()
    trend_figure(trend, lang, size).savefig(buf, format="png")
    return buf.getvalue()


def build_briefing(con: duckdb.DuckDBPyConnection, end: dt.date | None = None, days: int = 7,
                   lang: str = "zh") -> Briefing:
    """Everything the briefing shows, for the ``days`` ending ``end`` (default: the as-of
    date), each part as of ``end``: the figures of the period, and the map, the listed
    townships and the top targets from the model's outputs of that day (``reports.asof``)."""
    data_as_of = default_as_of(con)
    start, end = period_bounds(end or data_as_of, days)
    meta = queries.meta(con)
    model = load_model()
    now = weekly_figures(con, start, end)
    before = weekly_figures(con, *previous_period(start, end))
    kpis = pd.DataFrame({
        t("doc_item", lang): [BY_KEY[k].text(lang) for k, _, _ in WEEKLY_COLUMNS],
        t("doc_value", lang): [figure_text(k, now[k]) for k, _, _ in WEEKLY_COLUMNS],
        t("doc_change", lang): [change_text(k, now[k], before[k], lang) for k, _, _ in WEEKLY_COLUMNS],
    })
    with outputs_as_of(con, end) as dated:
        listing = queries.township_listing(dated)
        scores = with_hits(queries.score_table(dated).head(TOP_TARGETS), queries.rule_hits(dated))
        view = build_view(dated, ViewRequest(lang=lang), end)
    # The map's credit without the day it was drawn: the note below says when all was made.
    view.frame = replace(view.frame, credit=t("snap_source", lang, version=model.version))
    listed = pd.DataFrame({
        t("col_name", lang): listing["name"], t("col_county", lang): listing["county_name"],
        t("col_level", lang): [value(v, lang) for v in listing["level"]],
        t("col_reasons", lang): listing["reasons"],
        t("col_deadline", lang): pd.to_datetime(listing["deadline"]).dt.date.astype(str),
    })
    targets = pd.DataFrame({
        t("col_rank", lang): range(1, len(scores) + 1), t("col_ent_name", lang): scores["name"],
        t("col_name", lang): scores["township_name"], t("col_tier", lang): [value(v, lang) for v in scores["tier"]],
        t("col_score", lang): scores["score"].round(1), t("col_main", lang): main_factors(scores, model),
        **fired_columns(scores, lang, clauses=False),
    })
    trend = monthly_rectification(con, end, months=12)
    lift, lift_note = briefing_lift(con, end, model.lift, lang)
    city = meta.get("city_name") or ""
    return Briefing(
        title=t("doc_title", lang, city=city),
        period=t("doc_period", lang, start=start, end=end),
        note=meta.get("data_note", "") if meta.get("illustrative") == "1" else "",
        undated=t("doc_undated" if end < data_as_of else "doc_dated", lang, end=end, as_of=data_as_of,
                  made=dt.date.today()),
        kpis=kpis, listed=listed, targets=targets, trend=trend,
        map_png=view_png(view, "slide"), trend_png=trend_png(trend, lang), view=view, lang=lang,
        lift=lift, lift_note=lift_note,
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


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) in ``paragraph``, showing ``shown`` until Word
    updates it (which it does when it lays out the pages)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    char("separate")
    _east_asian(paragraph.add_run(shown), "宋体")
    char("end")


def _page_numbers(doc: Document, lang: str) -> None:
    """Every section's footer: "第 {PAGE} 页，共 {NUMPAGES} 页", centred."""
    from string import Formatter

    from docx.enum.text import WD_ALIGN_PARAGRAPH

    fields = {"n": "PAGE", "total": "NUMPAGES"}
    for section in doc.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for literal, name, _, _ in Formatter().parse(t("doc_page", lang)):
            if literal:
                _east_asian(paragraph.add_run(literal), "宋体")
            if name:
                _field(paragraph, fields[name], "1")


def _mark_header(doc: Document, mark: Mark) -> None:
    """``mark`` as the header of every section: one centred line of plain text, small and grey."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    for section in doc.sections:
        paragraph = section.header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(_text(mark.text))
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor.from_string("595959")
        _east_asian(run, "宋体")


def briefing_docx(b: Briefing, mark: Mark | None = None) -> bytes:
    """The briefing as a Word document, with ``mark`` (who exported it, when) in its header."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    doc.core_properties.title = _text(b.title)
    doc.core_properties.created = dt.datetime.now()
    heading = doc.add_heading(level=0)
    _east_asian(heading.add_run(_text(b.title)), "黑体")
    _east_asian(doc.add_paragraph().add_run(_text(b.period)), "宋体")
    for line, colour in ((b.note, None), (b.undated, "595959")):
        if line:
            run = doc.add_paragraph().add_run(_text(line))
            run.italic = True
            run.font.size = Pt(9)
            if colour:
                from docx.shared import RGBColor

                run.font.color.rgb = RGBColor.from_string(colour)
            _east_asian(run, "宋体")
    tables = {"doc_kpis": b.kpis, "doc_listed": b.listed, "doc_targets": b.targets, "doc_lift": b.lift}
    notes = {"doc_lift": b.lift_note}
    pictures = {"doc_map": (b.map_png, Cm(17)), "doc_trend": (b.trend_png, Cm(16))}
    for key, text in section_headings(b.lang).items():
        h = doc.add_heading(level=1)
        _east_asian(h.add_run(_text(text)), "黑体")
        if notes.get(key):
            _east_asian(doc.add_paragraph().add_run(_text(notes[key])), "宋体")
        if key in pictures:
            png, width = pictures[key]
            doc.add_picture(io.BytesIO(png), width=width)
        elif len(tables[key]):
            _table(doc, tables[key])
        else:
            _east_asian(doc.add_paragraph().add_run(_text(t("doc_none", b.lang))), "宋体")
    _page_numbers(doc, b.lang)
    if mark is not None:
        _mark_header(doc, mark)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- PDF --------------------------------------------------------------------------------

A4 = (8.27, 11.69)
#: Text lines on a page of a listing.
LINES_PER_PAGE = 52


def _text_pages(heading: str, lines: list[str], lang: str, size: float = 9) -> list[Figure]:
    """A section of text lines on as many A4 pages as it takes, the heading on each (marked
    continued after the first)."""
    from matplotlib.figure import Figure

    pages = []
    for k in range(0, max(len(lines), 1), LINES_PER_PAGE):
        fig = Figure(figsize=A4)
        fig.text(0.07, 0.95, heading + (t("doc_continued", lang) if k else ""), fontsize=15, va="top")
        y = 0.91
        for line in lines[k:k + LINES_PER_PAGE] or [t("doc_none", lang)]:
            fig.text(0.07, y, line, fontsize=size, va="top")
            y -= 0.0165
        pages.append(fig)
    return pages


def _rows_as_lines(df: pd.DataFrame, widths: dict[str, int]) -> list[str]:
    """A table as wrapped text lines: ``a · b · c``, the cells of ``widths`` wrapped under the
    row to that width (``layers.png.text_width``: a CJK character counts 2)."""
    from layers.png import wrap_text

    out: list[str] = []
    for row in df.itertuples(index=False):
        cells = [str(v) for v in row]
        head = " · ".join(c for c, col in zip(cells, df.columns) if col not in widths)
        out.append(head)
        for c, col in zip(cells, df.columns):
            if col in widths:
                out.extend("    " + part for part in wrap_text(c, widths[col]) if part)
    return out


def cover_figure(b: Briefing, heading: str) -> Figure:
    """The PDF's first page: title, period, notes and the first section, the figures table."""
    from matplotlib.figure import Figure

    from layers.png import wrap_text

    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, b.title, fontsize=20, va="top")
    fig.text(0.07, 0.915, b.period, fontsize=10, va="top", color="#444444")
    y = 0.895
    for line, colour in ((b.note, "#a01010"), (b.undated, "#595959")):
        if line:
            wrapped = wrap_text(line, 118)
            fig.text(0.07, y, "\n".join(wrapped), fontsize=8, va="top", color=colour, linespacing=1.4)
            y -= 0.0135 * len(wrapped) + 0.004
    fig.text(0.07, y - 0.01, heading, fontsize=14, va="top")
    ax = fig.add_axes((0.07, 0.12, 0.86, y - 0.16))
    ax.set_axis_off()
    table = ax.table(cellText=b.kpis.values.tolist(), colLabels=list(b.kpis.columns), loc="upper center",
                     colWidths=[0.6, 0.2, 0.2], cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(1, 1.6)
    return fig


def _picture_page(heading: str, png: bytes) -> Figure:
    """An A4 page with a heading and a picture under it, as wide as the text."""
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, heading, fontsize=15, va="top")
    image = mpimg.imread(io.BytesIO(png), format="png")
    height = 0.86 * A4[0] * image.shape[0] / image.shape[1] / A4[1]
    ax = fig.add_axes((0.07, 0.92 - height, 0.86, height))
    ax.set_axis_off()
    ax.imshow(image)
    return fig


def briefing_pages(b: Briefing, mark: Mark | None = None) -> list[Figure]:
    """The PDF's pages in order, one or more per section of :data:`SECTIONS`, numbered, each
    with ``mark`` (who exported it, when) along its top edge."""
    import matplotlib

    matplotlib.use("Agg")
    from layers.png import literal_text, render_figure, use_cjk_font

    use_cjk_font()
    headings = section_headings(b.lang)
    view = b.view
    pages: list[Figure] = []
    for key, heading in headings.items():
        if key == "doc_kpis":
            pages.append(cover_figure(b, heading))
        elif key == "doc_map":
            pages.append(render_figure(view.bundle.specs, view.bundle.datasets, replace(view.frame, heading=heading),
                                       "a4"))
        elif key == "doc_listed":
            pages += _text_pages(heading, _rows_as_lines(b.listed, {t("col_reasons", b.lang): 104}), b.lang)
        elif key == "doc_targets":
            pages += _text_pages(heading, _rows_as_lines(b.targets, {t("col_main", b.lang): 104}), b.lang)
        elif key == "doc_lift":
            from layers.png import wrap_text

            pages += _text_pages(heading, [*wrap_text(b.lift_note, 118), "", *_rows_as_lines(b.lift, {})], b.lang)
        else:
            pages.append(_picture_page(heading, b.trend_png))
    for n, fig in enumerate(pages, start=1):
        fig.text(0.5, 0.012, t("doc_page", b.lang, n=n, total=len(pages)), fontsize=8, ha="center", va="center",
                 color="#444444")
        if mark is not None:
            fig.text(0.5, 0.984, mark.text, fontsize=7.5, ha="center", va="center", color="#595959", gid="export_mark")
        literal_text(fig)
    return pages


def briefing_pdf(b: Briefing, mark: Mark | None = None) -> bytes:
    """The briefing as a PDF, with ``mark`` (who exported it, when) atop every page."""
    from matplotlib.backends.backend_pdf import PdfPages

    pages = briefing_pages(b, mark)
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Title": b.title, "Creator": "风险一张图"}) as pdf:
        for fig in pages:
            pdf.savefig(fig)
    return buf.getvalue()
