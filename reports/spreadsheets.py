"""Spreadsheet exports of lists, and the one guard every cell of every workbook goes through.

Names, addresses, file names… come from users. A cell is written through :func:`cell_value`
— titles, headers, row labels and values alike — and a sheet is named by :func:`sheet_name`:
no control character (openpyxl refuses them, as XML does), and nothing a spreadsheet would
run (``=HYPERLINK(…)``, ``+``, ``-``, ``@``, tab, CR) or read as an error value (``#N/A``).

Every sheet of every workbook is laid out by :func:`print_setup` (A4 landscape, one page wide,
the header frozen and repeated on each printed page, numbered pages, and an exported file's
mark — 内部资料, who, when — in the printed header) with its columns as wide as their text
(:func:`fitted_widths`, a CJK character counting two).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from layers.png import text_width

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from reports.marks import Mark

#: Column widths in Excel's unit (about one Latin character): the narrowest and the widest.
WIDTH_RANGE = (8.0, 60.0)
#: The footer of every printed page (``&P`` the page, ``&N`` the pages: Excel's codes).
PAGE_FOOTER = "第 &P 页，共 &N 页"

#: A spreadsheet treats a cell starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text a spreadsheet stores as an error value rather than as text (openpyxl's ERROR_CODES).
ERROR_VALUES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
#: What XML 1.0 cannot carry (openpyxl raises IllegalCharacterError, lxml under python-docx
#: ValueError): C0 controls but tab, LF and CR; DEL; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters an xlsx or docx file cannot hold (see :data:`_NOT_XML`)."""
    return _NOT_XML.sub("", text)


def cell_value(v: object) -> object:
    """A value as a cell may hold it: text without control characters and, when a spreadsheet
    would run it as a formula or read it as an error value, kept as text behind an apostrophe;
    any other value as it is."""
    if not isinstance(v, str):
        return v
    v = xml_text(v)
    return "'" + v if v.startswith(FORMULA_START) or v in ERROR_VALUES else v


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of []:*?/\\, no control
    characters, no apostrophe first or last), remembered in ``used``."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in xml_text(name)).strip("'")[:31] or "表"
    out, k = clean, 2
    while out in used:
        out = f"{clean[:28]}({k})"
        k += 1
    used.add(out)
    return out


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell and column label through :func:`cell_value` (user-supplied
    names such as ``=HYPERLINK(...)`` stay text)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(cell_value)
    out.columns = [cell_value(c) for c in out.columns]
    return out


def _widest(texts: Iterable[str]) -> int:
    """The largest :func:`~layers.png.text_width` of any line of ``texts``, reading few of
    them: a text is at most twice as wide as it is long, so the longest come first and the
    rest cannot be wider once twice their length is reached."""
    best = 0
    for text in sorted(set(texts), key=len, reverse=True):
        if 2 * len(text) <= best:
            break
        best = max(best, *(text_width(line) for line in text.split("\n")))
    return best


def fitted_widths(columns: Iterable[Iterable[Any]]) -> list[float]:
    """For each column (an iterable of its cells' values, the header among them), the width
    that shows its widest text: :func:`~layers.png.text_width` (a CJK character counts 2, as
    it takes two character widths) plus a margin, within :data:`WIDTH_RANGE`."""
    low, high = WIDTH_RANGE
    return [min(high, max(low, _widest(str(v) for v in values if v is not None and v == v) + 2.0))
            for values in columns]


def set_widths(ws: Any, widths: Iterable[float]) -> None:
    """Columns A, B, … of ``ws`` to ``widths`` (before the first row of a streaming sheet)."""
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = round(width, 1)


def print_setup(ws: Any, header_rows: tuple[int, int], freeze: str, mark: Mark | None = None) -> None:
    """Lay ``ws`` out for print and screen: A4 landscape, one page wide; the rows
    ``header_rows`` (first, last) repeated atop every printed page; the panes frozen at
    ``freeze`` (the first cell that scrolls: ``A2`` keeps row 1 in view); the page numbers in
    the footer and ``mark`` (who exported the file, when) in the header of every printed page,
    as text (``reports.marks.excel_header_text``). A streaming (write-only) sheet takes this
    before its first row."""
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet as Sheet

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Sheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    ws.freeze_panes = freeze
    ws.oddFooter.center.text = PAGE_FOOTER
    if mark is not None:
        from reports.marks import excel_header_text

        ws.oddHeader.center.text = excel_header_text(xml_text(mark.text))
        ws.oddHeader.center.size = 8


def to_xlsx(df: pd.DataFrame, sheet: str, mark: Mark | None = None) -> bytes:
    """One sheet with a bold header row, as xlsx bytes, laid out by :func:`print_setup` (with
    ``mark``, who exported it and when, in its printed header)."""
    buf = io.BytesIO()
    name = sheet_name(sheet, set())
    safe = neutralise_formulas(df)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=name, index=False)
        ws = writer.sheets[name]
        from openpyxl.styles import Font

        for cell in ws[1]:
            cell.font = Font(bold=True)
        set_widths(ws, fitted_widths([col, *safe[col].tolist()] for col in safe.columns))
        print_setup(ws, (1, 1), "A2", mark)
    return buf.getvalue()


def tree_keys(tree: tuple) -> list[str]:
    """The data keys of a header tree ``((label, key or subtree), ...)``, left to right."""
    out: list[str] = []
    for _, child in tree:
        out.extend(tree_keys(child) if isinstance(child, tuple) else [child])
    return out


def _depth(tree: tuple) -> int:
    return 1 + max((_depth(c) if isinstance(c, tuple) else 0) for _, c in tree) if tree else 0


def _width(node: object) -> int:
    return sum(_width(c) for _, c in node) if isinstance(node, tuple) else 1


def _leaf_labels(tree: tuple) -> list[str]:
    """The labels of a header tree's leaves (one per data column), left to right."""
    out: list[str] = []
    for label, child in tree:
        out.extend(_leaf_labels(child) if isinstance(child, tuple) else [label])
    return out


def write_form(ws: Worksheet, title: str, info: str, first_header: str, tree: tuple, rows: list[tuple[str, dict]],
               footer: list[str] | None = None, percent_keys: tuple[str, ...] = (), mark: Mark | None = None) -> int:
    """Write one form onto worksheet ``ws``: a title row, an info row (填报单位, 时间…), the
    header tree as merged multi-row headers, one row per (label, values) and footer lines.

    ``tree`` is ``((label, key or subtree), ...)``; a leaf's cell spans down to the last header
    row. Returns the number of the last row written. The title and info name the area (user
    data), row labels and values may be user data: every cell goes through :func:`cell_value`.
    Laid out by :func:`print_setup`: the header rows repeat on each printed page and stay in
    view with the label column; each column is as wide as its label and values (a header
    label may wrap onto two lines); ``mark`` (who exported it, when) in its printed header.
    """
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="666666")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    depth = _depth(tree)
    ncols = 1 + _width(tree)
    ws.cell(1, 1, cell_value(title)).font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = centre
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(2, 1, cell_value(info))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    top = 3
    ws.cell(top, 1, cell_value(first_header))
    if depth > 1:
        ws.merge_cells(start_row=top, start_column=1, end_row=top + depth - 1, end_column=1)

    def place(node: tuple, row: int, col: int) -> int:
        for label, child in node:
            width = _width(child)
            ws.cell(row, col, cell_value(label))
            last_row = row if isinstance(child, tuple) else top + depth - 1
            if width > 1 or last_row > row:
                ws.merge_cells(start_row=row, start_column=col, end_row=last_row, end_column=col + width - 1)
            if isinstance(child, tuple):
                place(child, row + 1, col)
            col += width
        return col

    place(tree, top, 2)
    for r in range(top, top + depth):
        for c in range(1, ncols + 1):
            cell = ws.cell(r, c)
            cell.alignment, cell.border, cell.font = centre, box, Font(bold=True)
    keys = tree_keys(tree)
    r = top + depth
    for label, values in rows:
        ws.cell(r, 1, cell_value(label)).border = box
        for c, key in enumerate(keys, start=2):
            v = values.get(key)
            cell = ws.cell(r, c, None if v is None or v != v else cell_value(v))
            cell.border, cell.alignment = box, Alignment(horizontal="right")
            if isinstance(v, float):
                cell.number_format = "0.0" if key in percent_keys else ("0.00" if not float(v).is_integer() else "0")
        r += 1
    for line in footer or []:
        ws.cell(r, 1, cell_value(line))
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        r += 1
    labels = [first_header, *(label for label, _ in rows)]
    shown = [[None if v is None or v != v else (f"{v:.2f}" if isinstance(v, float) else v)
              for v in (values.get(key) for _, values in rows)] for key in keys]
    headers = [label[:(len(label) + 1) // 2] for label in _leaf_labels(tree)]  # wrapped onto two lines
    set_widths(ws, fitted_widths([labels, *([h, *col] for h, col in zip(headers, shown))]))
    for hr in range(top, top + depth):
        ws.row_dimensions[hr].height = 36
    print_setup(ws, (top, top + depth - 1), f"B{top + depth}", mark)
    return r - 1
