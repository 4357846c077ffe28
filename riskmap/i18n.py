"""The UI's one translation table: every string a user reads, in Chinese and English."""

from __future__ import annotations

LANGS = {"zh": "中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("风险一张图", "Risk Map"),
    "language": ("语言 / Language", "语言 / Language"),
    "page_overview": ("城市总览", "City overview"),
    "page_data": ("数据管理", "Data"),
    "illustrative": ("示意数据", "Illustrative data"),
    "no_db": ("还没有数据库。请在项目目录运行：", "No database yet. From the project folder run:"),
    "build_demo": ("生成示意城市并建库", "Build the demo city"),
    "building": ("正在建库……", "Building the database…"),
    "built": ("建库完成，用时 {s:.1f} 秒", "Built in {s:.1f} s"),
    "as_of": ("数据截至", "Data as of"),
    "kpi_enterprises": ("小微企业", "Enterprises"),
    "kpi_townships": ("乡镇（街道）", "Townships"),
    "kpi_grids": ("网格", "Grids"),
    "kpi_parks": ("园区", "Parks"),
    "kpi_hazards": ("隐患记录", "Hazard records"),
    "kpi_incidents": ("事故（含火灾）", "Incidents"),
    "unplaced": ("{n} 家企业坐标不在任何乡镇边界内，{m} 家缺少坐标（已保留，见“数据管理”）",
                 "{n} enterprises fall outside every township and {m} lack coordinates (kept; see Data)"),
    "hex_res": ("六边形网格级别", "Hexagon resolution"),
    "hex_res_opt": ("H3 {r} 级（约 {a:.2f} 平方公里）", "H3 res {r} (≈{a:.2f} km²)"),
    "show_names": ("显示乡镇名称", "Show township names"),
    "legend_hex": ("每个六边形内的企业数（家）", "Enterprises per hexagon"),
    "legend_note": ("边框为乡镇（街道）边界；无底图，离线可用", "Lines are township boundaries; no basemap (offline)"),
    "tip_hex": ("本格企业 {n} 家", "{n} enterprises in this cell"),
    "tip_township": ("{name}\n企业 {n} 家", "{name}\n{n} enterprises"),
    "map_title": ("企业分布热力图", "Enterprise density"),
    "top_townships": ("企业最多的乡镇（街道）", "Townships with the most enterprises"),
    "col_code": ("乡镇代码", "Code"),
    "col_name": ("乡镇（街道）", "Township"),
    "col_county": ("区县", "County"),
    "col_kind": ("类型", "Kind"),
    "col_enterprises": ("企业数", "Enterprises"),
    "col_high_fire": ("高火灾风险行业", "High fire-risk trades"),
    "col_in_park": ("园区内", "In parks"),
    "col_density": ("密度（家/平方公里）", "Density (/km²)"),
    "col_area": ("面积（平方公里）", "Area (km²)"),
    "col_grids": ("网格数", "Grids"),
    "data_files": ("导入文件", "Imported files"),
    "data_issues": ("导入问题（错误的行已拒绝，提示的行已保留）", "Import issues (errors rejected, warnings kept)"),
    "col_file": ("文件", "File"),
    "col_table": ("数据表", "Table"),
    "col_crs": ("坐标系", "CRS"),
    "col_read": ("读取行数", "Rows read"),
    "col_accepted": ("接受", "Accepted"),
    "col_rejected": ("拒绝", "Rejected"),
    "col_warnings": ("提示", "Warnings"),
    "col_row": ("行号", "Row"),
    "col_column": ("列", "Column"),
    "col_value": ("值", "Value"),
    "col_severity": ("级别", "Severity"),
    "col_reason": ("原因", "Reason"),
    "sev_error": ("错误", "Error"),
    "sev_warning": ("提示", "Warning"),
    "rebuild": ("从示意数据文件重建数据库", "Rebuild from the demo files"),
    "db_meta": ("数据库信息", "Database"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The string ``key`` in ``lang`` ("zh" or "en"), formatted with ``fmt``."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text
