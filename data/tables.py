"""The data model, declared once as data.

Each table lists its columns with the Chinese header users see in import files and
templates, the type they are validated and stored as, and whether they are required.
The DuckDB DDL, the importer's header mapping and its validation rules are all generated
from these declarations, so adding a column is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from data import vocab

SCHEMA_VERSION = 3  # 2: enterprise.small_scattered (小散乱污); 3: imported_at on every record

#: Column kinds and the DuckDB type each is stored as.
KIND_SQL = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "uscc": "VARCHAR",
    "int": "INTEGER",
    "float": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
    "enum": "VARCHAR",
    "lon": "DOUBLE",
    "lat": "DOUBLE",
    "h3": "UBIGINT",
    "geom": "GEOMETRY",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    """One column: its name in the database, header in files, kind and rules."""

    name: str
    header: str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    #: Derived columns are computed by the pipeline, never read from files.
    derived: bool = False
    #: For ``code`` columns: the number of digits.
    digits: int | None = None
    #: SQL default of a derived column (e.g. the import time).
    default: str | None = None

    @property
    def sql_type(self) -> str:
        return KIND_SQL[self.kind]

    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column in an import file."""
        return (self.header, self.name, *self.aliases)


@dataclass(frozen=True)
class Table:
    """A table of the data model."""

    name: str
    title: str
    key: str
    columns: tuple[Column, ...]
    #: Boundary tables come as GeoJSON/SHP/GPKG; the rest as xlsx/csv.
    spatial: bool = False
    #: The column holding an enterprise reference that must exist (hazards etc.).
    references_enterprise: str | None = None
    extra: tuple[Column, ...] = field(default=())

    @property
    def imported(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived and c.kind != "geom")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _flag(name: str, header: str, *aliases: str) -> Column:
    return Column(name, header, "bool", aliases=aliases)


GEOM = Column("geom", "几何", "geom", derived=True)
PROVENANCE = (
    Column("source_file", "来源文件", derived=True),
    Column("source_row", "来源行号", "int", derived=True),
    Column("imported_at", "导入时间", "timestamp", derived=True, default="current_timestamp"),
)
PROVENANCE_NAMES = tuple(c.name for c in PROVENANCE)
#: The unified social credit code: the enterprise key, and the reference from every ledger.
USCC = Column("uscc", "统一社会信用代码", "uscc", required=True, aliases=("社会信用代码", "信用代码"))
PLACEMENT = (
    Column("township_code", "所属乡镇代码", "code", derived=True),
    Column("grid_id", "所属网格编号", "code", derived=True),
    Column("h3_r7", "H3-7", "h3", derived=True),
    Column("h3_r8", "H3-8", "h3", derived=True),
    Column("h3_r9", "H3-9", "h3", derived=True),
)

COUNTY = Table(
    "county",
    "区县",
    "code",
    (
        Column("code", "区县代码", "code", required=True, digits=6, aliases=("行政区划代码",)),
        Column("name", "区县名称", required=True, aliases=("名称",)),
        GEOM,
    ),
    spatial=True,
)

TOWNSHIP = Table(
    "township",
    "乡镇（街道）",
    "code",
    (
        Column("code", "乡镇代码", "code", required=True, digits=9, aliases=("乡镇街道代码",)),
        Column("name", "乡镇名称", required=True, aliases=("乡镇（街道）", "名称")),
        Column("county_code", "区县代码", "code", required=True, digits=6),
        Column("kind", "类型", derived=True),
        GEOM,
    ),
    spatial=True,
)

GRID = Table(
    "grid",
    "网格",
    "grid_id",
    (
        Column("grid_id", "网格编号", "code", required=True, aliases=("网格代码",)),
        Column("name", "网格名称", required=True),
        Column("township_code", "乡镇代码", "code", required=True, digits=9),
        Column("manager", "网格员", aliases=("网格长", "负责人")),
        Column("phone", "联系电话", aliases=("电话", "手机")),
        GEOM,
    ),
    spatial=True,
)

PARK = Table(
    "park",
    "园区",
    "park_id",
    (
        Column("park_id", "园区编号", "code", required=True),
        Column("name", "园区名称", required=True),
        Column("kind", "园区类型", "enum", choices=vocab.PARK_KINDS),
        Column("operator", "运营单位", aliases=("运营管理单位",)),
        GEOM,
    ),
    spatial=True,
)

ENTERPRISE = Table(
    "enterprise",
    "企业",
    "uscc",
    (
        USCC,
        Column("name", "企业名称", required=True, aliases=("单位名称", "名称")),
        Column("address", "地址", aliases=("经营地址", "生产经营地址")),
        Column("lon", "经度", "lon", aliases=("X", "x", "横坐标")),
        Column("lat", "纬度", "lat", aliases=("Y", "y", "纵坐标")),
        Column("industry", "行业", aliases=("所属行业", "行业类别")),
        Column("employees", "从业人数", "int", aliases=("员工人数", "职工人数")),
        Column("revenue_10k_cny", "营业收入（万元）", "float", aliases=("营业收入",)),
        _flag("hazchem", "涉及危化品", "危化品"),
        _flag("special_equipment", "特种设备", "使用特种设备"),
        _flag("dust", "涉爆粉尘", "粉尘涉爆"),
        _flag("spraying", "喷涂作业", "喷涂"),
        _flag("ammonia", "液氨制冷", "涉氨制冷"),
        _flag("confined_space", "有限空间", "有限空间作业"),
        _flag("gas", "使用燃气", "燃气"),
        _flag("rented", "出租分租", "出租厂房"),
        _flag("mixed_use", "三合一场所", "合用场所", "三合一"),
        _flag("small_scattered", "小散乱污场所", "小散乱污", "“小散乱污”场所"),
        Column("illegal_building_m2", "违法建筑面积（平方米）", "float", aliases=("违法建筑面积",)),
        Column("high_fire_risk", "高火灾风险行业", "bool", derived=True),
        Column("park_id", "所属园区编号", "code", derived=True),
        *PLACEMENT,
        *PROVENANCE,
    ),
)

INSPECTION = Table(
    "inspection",
    "检查记录",
    "id",
    (
        Column("id", "检查编号", "code", required=True),
        USCC,
        Column("date", "检查日期", "date", required=True),
        Column("department", "检查部门", "enum", required=True, choices=vocab.DEPARTMENTS),
        Column("result", "检查结果", "enum", choices=vocab.INSPECTION_RESULTS),
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

HAZARD = Table(
    "hazard",
    "隐患",
    "id",
    (
        Column("id", "隐患编号", "code", required=True),
        USCC,
        Column("found_on", "发现日期", "date", required=True, aliases=("检查日期",)),
        Column("category", "隐患类别", aliases=("隐患类型",)),
        Column("description", "隐患描述", aliases=("隐患内容", "问题描述")),
        Column("level", "隐患等级", "enum", required=True, choices=vocab.HAZARD_LEVELS),
        Column("department", "责任部门", "enum", choices=vocab.DEPARTMENTS, aliases=("检查部门",)),
        Column("deadline", "整改期限", "date", aliases=("计划完成时间",)),
        Column("rectified_on", "整改完成日期", "date", aliases=("完成整改日期",)),
        Column("closed_on", "验收销号日期", "date", aliases=("销号日期",)),
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

ENFORCEMENT = Table(
    "enforcement",
    "执法记录",
    "id",
    (
        Column("id", "执法编号", "code", required=True),
        USCC,
        Column("date", "执法日期", "date", required=True),
        Column("action", "执法措施", "enum", required=True, choices=vocab.ENFORCEMENT_ACTIONS),
        Column("fine_10k_cny", "罚款（万元）", "float", aliases=("罚款金额（万元）",)),
        Column("department", "执法部门", "enum", choices=vocab.DEPARTMENTS),
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

INCIDENT = Table(
    "incident",
    "事故",
    "id",
    (
        Column("id", "事故编号", "code", required=True),
        Column("date", "发生日期", "date", required=True),
        Column("lon", "经度", "lon", required=True, aliases=("X", "x")),
        Column("lat", "纬度", "lat", required=True, aliases=("Y", "y")),
        replace(USCC, required=False),  # fires with no enterprise are recorded too
        Column("kind", "类型", "enum", required=True, choices=vocab.INCIDENT_KINDS, aliases=("事故类型",)),
        Column("deaths", "死亡人数", "int"),
        Column("injuries", "受伤人数", "int"),
        Column("loss_10k_cny", "直接经济损失（万元）", "float", aliases=("直接经济损失",)),
        *PLACEMENT,
        *PROVENANCE,
    ),
)

#: Boundaries first (enterprises are placed in them), enterprises before what refers to them.
TABLES: tuple[Table, ...] = (
    COUNTY,
    TOWNSHIP,
    GRID,
    PARK,
    ENTERPRISE,
    INSPECTION,
    HAZARD,
    ENFORCEMENT,
    INCIDENT,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


def table_ddl(table: Table) -> str:
    """``CREATE TABLE`` statement for a table of the data model."""
    # No PRIMARY KEY: keys are made unique by validation (duplicates are rejected and
    # reported), and an index would cost more than a third of the build at 1M rows.
    cols = ",\n  ".join(f"{c.name} {c.sql_type}" + (f" DEFAULT {c.default}" if c.default else "")
                        for c in table.columns)
    return f"CREATE TABLE {table.name} (\n  {cols}\n)"


META_DDL = (
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE import_file (
  file VARCHAR, table_name VARCHAR, crs VARCHAR, rows_read INTEGER, accepted INTEGER,
  rejected INTEGER, warnings INTEGER, imported_at TIMESTAMP)""",
    """CREATE TABLE import_issue (
  file VARCHAR, table_name VARCHAR, row INTEGER, column_name VARCHAR, value VARCHAR,
  severity VARCHAR, code VARCHAR, reason VARCHAR)""",
)
