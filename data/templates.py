"""Import templates: one xlsx per table, with the standard Chinese headers, required ones
marked, drop-down lists for enumerations, and a sheet explaining every column.

Generated from the table declarations (``data.tables``), so a template always matches what
the importer accepts.
"""

from __future__ import annotations

import io

from data import tables as T
from data.importer import IMPORTABLE

KIND_TEXT = {
    "text": "文字", "code": "编码", "uscc": "18 位统一社会信用代码", "int": "整数", "float": "数字",
    "date": "日期（2021-07-01、2021/7/1、2021年7月1日均可）", "bool": "是 / 否", "enum": "从下拉列表选择",
    "lon": "经度（或平面横坐标）", "lat": "纬度（或平面纵坐标）",
}

EXAMPLES = {
    "uscc": "91330100716105852F", "name": "某某鞋业有限公司", "address": "某区某街道某路 1 号", "lon": "120.65",
    "lat": "27.85", "founded_on": "2015-03-20", "industry": "制鞋", "employees": "35", "revenue_10k_cny": "800",
    "illegal_building_m2": "0",
    "id": "YH0001", "date": "2026-07-01", "found_on": "2026-07-01", "deadline": "2026-07-31",
    "category": "消防", "description": "安全出口堵塞", "fine_10k_cny": "1.5", "deaths": "0", "injuries": "0",
}


def template_columns(table: str) -> list[T.Column]:
    return list(T.TABLES_BY_NAME[table].imported)


def template_xlsx(table: str) -> bytes:
    """The import template of ``table`` (one of :data:`data.importer.IMPORTABLE`)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if table not in IMPORTABLE:
        raise ValueError(f"no template for {table!r}")
    spec = T.TABLES_BY_NAME[table]
    cols = template_columns(table)
    wb = Workbook()
    ws = wb.active
    ws.title = spec.title[:31]
    required = PatternFill("solid", fgColor="FDE2E2")
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(1, i, c.header)
        cell.font = Font(bold=True, color="B00000" if c.required else "000000")
        if c.required:
            cell.fill = required
        cell.comment = Comment(_explain(c), "风险一张图")
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(c.header) * 2 + 2)
        if c.kind in ("enum", "bool"):
            options = c.choices if c.kind == "enum" else ("是", "否")
            dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=not c.required)
            dv.error, dv.errorTitle = "请从下拉列表中选择", c.header
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}100000")
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["表头", "必填", "内容", "示例", "也接受的表头"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for c in cols:
        example = EXAMPLES.get(c.name) or (c.choices[0] if c.choices else ("否" if c.kind == "bool" else ""))
        notes.append([c.header, "是" if c.required else "", _explain(c), example, "、".join(c.aliases)])
    notes.append([])
    notes.append(["红色表头为必填项。每行一条记录，从第 2 行填起；表头可用“也接受的表头”中的写法。"])
    for letter, width in zip("ABCDE", (22, 6, 60, 22, 40)):
        notes.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _explain(c: T.Column) -> str:
    text = KIND_TEXT.get(c.kind, "文字")
    if c.kind == "enum" and c.choices:
        text = "可选：" + "、".join(c.choices)
    if c.kind == "code" and c.digits:
        text = f"{' 或 '.join(map(str, c.digits))} 位数字编码"
    if "（万元）" in c.header:
        text += "；可写“12.5万元”或“3000元”，自动换算为万元"
    return text
