"""Spreadsheet exports of lists."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: A spreadsheet treats a cell starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe
    (user-supplied names such as ``=HYPERLINK(...)`` must stay text)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def to_xlsx(df: pd.DataFrame, sheet: str) -> bytes:
    """One sheet with a bold header row, as xlsx bytes."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralise_formulas(df).to_excel(writer, sheet_name=sheet[:31], index=False)
        ws = writer.sheets[sheet[:31]]
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
    row. Returns the number of the last row written. Labels are ours (form headers); row
    labels and values may be user data and are written as values, never as formulas.
    """
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="666666")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    depth = _depth(tree)
    ncols = 1 + _width(tree)
    ws.cell(1, 1, title).font = Font(size=16, bold=True)
    ws.cell(1, 1).alignment = centre
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(2, 1, info)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    top = 3
    ws.cell(top, 1, first_header)
    if depth > 1:
        ws.merge_cells(start_row=top, start_column=1, end_row=top + depth - 1, end_column=1)

    def place(node: tuple, row: int, col: int) -> int:
        for label, child in node:
            width = _width(child)
            ws.cell(row, col, label)
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
        ws.cell(r, 1, _text(label)).border = box
        for c, key in enumerate(keys, start=2):
            v = values.get(key)
            cell = ws.cell(r, c, None if v is None or v != v else v)
            cell.border, cell.alignment = box, Alignment(horizontal="right")
            if isinstance(v, float):
                cell.number_format = "0.0" if key in percent_keys else ("0.00" if not float(v).is_integer() else "0")
        r += 1
    for line in footer or []:
        ws.cell(r, 1, line)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        r += 1
    ws.column_dimensions["A"].width = 18
    for c in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    for hr in range(top, top + depth):
        ws.row_dimensions[hr].height = 36
    return r - 1


def _text(v: object) -> object:
    return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
