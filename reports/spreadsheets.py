"""Spreadsheet exports of lists, and the one guard every cell of every workbook goes through.

Names, addresses, file names… come from users. A cell is written through :func:`cell_value`
— titles, headers, row labels and values alike — and a sheet is named by :func:`sheet_name`:
no control character (openpyxl refuses them, as XML does), and nothing a spreadsheet would
run (``=HYPERLINK(…)``, ``+``, ``-``, ``@``, tab, CR) or read as an error value (``#N/A``).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

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


def to_xlsx(df: pd.DataFrame, sheet: str) -> bytes:
    """One sheet with a bold header row, as xlsx bytes."""
    buf = io.BytesIO()
    name = sheet_name(sheet, set())
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralise_formulas(df).to_excel(writer, sheet_name=name, index=False)
        ws = writer.sheets[name]
        from openpyxl.styles import Font

        for cell in ws[1]:
            cell.font = Font(bold=True)
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col[:200])
            ws.column_dimensions[col[0].column_letter].width = min(60, max(8, width * 1.6))
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


def write_form(ws: Worksheet, title: str, info: str, first_header: str, tree: tuple, rows: list[tuple[str, dict]],
               footer: list[str] | None = None, percent_keys: tuple[str, ...] = ()) -> int:
    """Write one form onto worksheet ``ws``: a title row, an info row (填报单位, 时间…), the
    header tree as merged multi-row headers, one row per (label, values) and footer lines.

    ``tree`` is ``((label, key or subtree), ...)``; a leaf's cell spans down to the last header
    row. Returns the number of the last row written. The title and info name the area (user
    data), row labels and values may be user data: every cell goes through :func:`cell_value`.
    """
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

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
    ws.column_dimensions["A"].width = 18
    for c in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    for hr in range(top, top + depth):
        ws.row_dimensions[hr].height = 36
    return r - 1
