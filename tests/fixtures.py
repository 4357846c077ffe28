"""A tiny city built from literal rows, for query and ledger tests that need a database but not
the demo city: two square townships in one county, one grid each, one park, four enterprises,
six hazards, three inspections, two enforcement actions, one incident, three inspectors.

Every row is written out below, so a test can work its expected answer out by hand. Building
it (schema, spatial join, aggregates, scores) takes about a second; queries on it milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import shapely

from data import uscc

AS_OF = "2026-11-20"
COUNTY = "339902"
#: Two 0.1° squares side by side: 甲街道 (west) and 乙镇 (east).
TOWNSHIPS = {"339902001": ("甲街道", shapely.box(120.6, 27.8, 120.7, 27.9)),
             "339902101": ("乙镇", shapely.box(120.7, 27.8, 120.8, 27.9))}
PARK = ("P01", "甲园", shapely.box(120.62, 27.82, 120.64, 27.84))


def code(body17: str) -> str:
    """A credit code with its check character."""
    return body17 + uscc.check_char(body17)


E1, E2, E3, E4 = (code(f"9133990200000000{i}") for i in range(1, 5))
#: uscc, name, lon, lat, industry, employees, hazchem, mixed_use — E1 sits in 甲园.
ENTERPRISES = (
    (E1, "甲鞋厂", 120.63, 27.83, "制鞋", 40, "否", "是"),
    (E2, "乙阀门厂", 120.66, 27.85, "阀门", 12, "是", "否"),
    (E3, "丙印务", 120.75, 27.85, "印刷", 8, "否", "否"),
    (E4, "丁五金", 120.78, 27.81, "五金制品", 5, "否", "否"),
)
#: id, uscc, found_on, level, department, deadline, rectified_on — as of AS_OF:
#: H1 rectified; H2 open, overdue (deadline 2026-11-01); H3 open, not yet due; H4 重大, open and
#: overdue; H5 rectified after its deadline; H6 found after AS_OF (not there yet).
HAZARDS = (
    ("H1", E1, "2026-10-01", "一般", "消防救援", "2026-10-15", "2026-10-10"),
    ("H2", E1, "2026-10-20", "较大", "应急管理局", "2026-11-01", ""),
    ("H3", E2, "2026-11-10", "一般", "市场监管局", "2026-12-10", ""),
    ("H4", E3, "2026-09-01", "重大", "应急管理局", "2026-10-01", ""),
    ("H5", E4, "2026-08-01", "一般", "消防救援", "2026-08-10", "2026-09-01"),
    ("H6", E4, "2026-11-25", "一般", "消防救援", "2026-12-25", ""),
)
INSPECTIONS = (("I1", E1, "2026-10-01", "消防救援", "发现隐患"), ("I2", E2, "2026-11-10", "市场监管局", "发现隐患"),
               ("I3", E4, "2026-06-01", "应急管理局", "未发现问题"))
ENFORCEMENT = (("F1", E3, "2026-10-05", "立案查处", "2", "应急管理局"),
               ("F2", E3, "2026-10-06", "停产停业", "", "应急管理局"))
INCIDENTS = (("A1", "2026-07-01", 120.751, 27.851, E3, "火灾", "0", "1", "3"),)
INSPECTORS = (("SY00001", "王一", "应急管理局", "13900000001"), ("SY00002", "李二", "消防救援", "13900000002"),
              ("SY00003", "张三", "市场监管局", "13900000003"))


def _csv(path: Path, header: list[str], rows: tuple[tuple[object, ...], ...]) -> None:
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _geojson(path: Path, features: list[tuple[dict, object]]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        for props, geom in features]}, ensure_ascii=False), encoding="utf-8")


def write_townships(path: Path) -> None:
    """The two townships alone, as a township layer (code, name, county code)."""
    _geojson(path, [({"乡镇代码": c, "乡镇名称": n, "区县代码": COUNTY}, g) for c, (n, g) in TOWNSHIPS.items()])


def bare_enterprise_table(con: duckdb.DuckDBPyConnection) -> None:
    """An ``enterprise`` table of one enterprise E1 with every column the measures read, all
    empty: for hand-counted tests of a single measure (the test adds hazard, inspection… rows)."""
    con.execute("CREATE TABLE enterprise AS SELECT * FROM (VALUES ('E1')) t(uscc)")
    for col in ("name", "industry", "township_code", "grid_id", "park_id"):
        con.execute(f"ALTER TABLE enterprise ADD COLUMN {col} VARCHAR")
    for col in ("h3_r7", "h3_r8", "h3_r9"):
        con.execute(f"ALTER TABLE enterprise ADD COLUMN {col} UBIGINT")
    for col in ("hazchem", "dust", "ammonia", "confined_space", "spraying", "gas", "special_equipment",
                "high_fire_risk", "mixed_use", "rented"):
        con.execute(f"ALTER TABLE enterprise ADD COLUMN {col} BOOLEAN")
    con.execute("ALTER TABLE enterprise ADD COLUMN employees INTEGER")
    con.execute("ALTER TABLE enterprise ADD COLUMN illegal_building_m2 DOUBLE")


def write_tiny_city(folder: Path) -> Path:
    """The tiny city's import files (with a manifest) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    west, east = (g for _, g in TOWNSHIPS.values())
    _geojson(folder / "county.geojson", [({"区县代码": COUNTY, "区县名称": "示意区"}, west.union(east))])
    write_townships(folder / "township.geojson")
    _geojson(folder / "grid.geojson", [({"网格编号": f"{c}001", "网格名称": f"{n}一网格", "乡镇代码": c,
                                         "网格员": "赵六", "联系电话": "13800000000"}, g)
                                       for c, (n, g) in TOWNSHIPS.items()])
    _geojson(folder / "park.geojson", [({"园区编号": PARK[0], "园区名称": PARK[1], "园区类型": "小微企业园"}, PARK[2])])
    _csv(folder / "enterprise.csv", ["统一社会信用代码", "企业名称", "经度", "纬度", "行业", "从业人数", "涉及危化品",
                                     "三合一场所"], ENTERPRISES)
    _csv(folder / "hazard.csv", ["隐患编号", "统一社会信用代码", "发现日期", "隐患等级", "责任部门", "整改期限",
                                 "整改完成日期"], HAZARDS)
    _csv(folder / "inspection.csv", ["检查编号", "统一社会信用代码", "检查日期", "检查部门", "检查结果"], INSPECTIONS)
    _csv(folder / "enforcement.csv", ["执法编号", "统一社会信用代码", "执法日期", "执法措施", "罚款（万元）", "执法部门"],
         ENFORCEMENT)
    _csv(folder / "incident.csv", ["事故编号", "发生日期", "经度", "纬度", "统一社会信用代码", "类型", "死亡人数",
                                   "受伤人数", "直接经济损失（万元）"], INCIDENTS)
    _csv(folder / "inspector.csv", ["执法证号", "姓名", "部门", "联系电话"], INSPECTORS)
    (folder / "manifest.json").write_text(json.dumps({"city_name": "小城", "as_of": AS_OF}, ensure_ascii=False),
                                          encoding="utf-8")
    return folder


def build_tiny_city(folder: Path) -> Path:
    """The tiny city's database (aggregates and scores included); returns its path."""
    from riskmap.pipeline import rebuild

    db = folder / "riskmap.duckdb"
    rebuild(write_tiny_city(folder / "src"), db, progress=None)
    return db


# --- the tiny city with shared sites (issue 17, tenants rolled up) ------------------------------

E5, E6 = code("91339902000000005"), code("91339902000000006")
#: The tiny city's enterprises with an address and the site columns, and two more tenants of
#: 甲园's building CS01 beside 甲鞋厂: uscc, name, lon, lat, industry, employees, hazchem, mixed_use,
#: address, 场所编号, 所在建筑, 房东. CS01: E1, E5, E6 (房东 given by two of them); 丙印务 and 丁五金
#: share the building 示意区乙镇丙路8号 by their addresses alone; 乙阀门厂 shares nothing.
SITE_ENTERPRISES = (
    (*ENTERPRISES[0], "示意区甲街道甲园路1号", "CS01", "甲园3号厂房", "甲村股份经济合作社"),
    (*ENTERPRISES[1], "示意区甲街道1号路5号", "", "", ""),
    (*ENTERPRISES[2], "示意区乙镇丙路8号2楼", "", "", ""),
    (*ENTERPRISES[3], "示意区乙镇丙路 8号", "", "", ""),
    (E5, "戊服饰", 120.631, 27.831, "服装", 10, "否", "否", "示意区甲街道甲园路1号", "CS01", "甲园3号厂房",
     "甲村股份经济合作社"),
    (E6, "己电子", 120.632, 27.832, "电子元件", 6, "否", "否", "示意区甲街道甲园路1号", "CS01", "", ""),
)
#: The hazards of the tiny city (no 场所编号) and H7, CS01's blocked fire lane: open, 较大, recorded
#: against 戊服饰 where it was found.
SITE_HAZARDS = (*((*h, "") for h in HAZARDS),
                ("H7", E5, "2026-11-01", "较大", "消防救援", "2026-12-01", "", "CS01"))


def write_site_city(folder: Path) -> Path:
    """The tiny city's import files with :data:`SITE_ENTERPRISES` and :data:`SITE_HAZARDS`."""
    write_tiny_city(folder)
    _csv(folder / "enterprise.csv", ["统一社会信用代码", "企业名称", "经度", "纬度", "行业", "从业人数", "涉及危化品",
                                     "三合一场所", "地址", "场所编号", "所在建筑", "房东（产权单位）"], SITE_ENTERPRISES)
    _csv(folder / "hazard.csv", ["隐患编号", "统一社会信用代码", "发现日期", "隐患等级", "责任部门", "整改期限",
                                 "整改完成日期", "场所编号"], SITE_HAZARDS)
    return folder


def build_site_city(folder: Path) -> Path:
    """The database of :func:`write_site_city` (aggregates and scores included); returns its path."""
    from riskmap.pipeline import rebuild

    db = folder / "riskmap.duckdb"
    rebuild(write_site_city(folder / "src"), db, progress=None)
    return db
