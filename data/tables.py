"""The data model, declared once as data.

Each table lists its columns with the Chinese header users see in import files and
templates, the type they are validated and stored as, and whether they are required.
The DuckDB DDL, the importer's header mapping and its validation rules are all generated
from these declarations, so adding a column is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from data import vocab

#: 2: enterprise.small_scattered (小散乱污); 3: imported_at on every record; 4: enterprise.founded_on (成立日期);
#: 6: enterprise.principal and enterprise.phone (主要负责人, 联系电话);
#: 7: inspection.method (检查方式: how the inspection was chosen), the model's direct_rule_hit
#:    table (issue 17)
#:    the shared site (enterprise.site_id, site_name, landlord, landlord_uscc; hazard.site_id) and the
#:    recheck ledger (复查记录)
SCHEMA_VERSION = 7

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
    #: For ``code`` columns: the numbers of digits allowed (a code keeps the length its source
    #: uses: 6-digit 区县, 9-digit 乡镇, 12-digit 统计用区划代码).
    digits: tuple[int, ...] = ()
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
    #: The column holding an enterprise reference that must exist (hazards etc.).
    references_enterprise: str | None = None
    #: The column holding a hazard id that must exist in the hazard table (re-checks).
    references_hazard: str | None = None
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
USCC = Column("uscc", "统一社会信用代码", "uscc", required=True,
              aliases=("社会信用代码", "信用代码", "统一信用代码", "社会统一信用代码", "统一代码", "统一社会信用代码证号",
                       "企业统一社会信用代码", "单位统一社会信用代码",
                       "企业信用代码", "统一社会信用代码注册号", "组织机构代码统一社会信用代码", "uscc"))
PLACEMENT = (
    Column("township_code", "所属乡镇代码", "code", derived=True),
    Column("grid_id", "所属网格编号", "code", derived=True),
    Column("h3_r7", "H3-7", "h3", derived=True),
    Column("h3_r8", "H3-8", "h3", derived=True),
    Column("h3_r9", "H3-9", "h3", derived=True),
)

#: The site an enterprise works in (all optional): enterprises giving the same 场所编号 share a
#: site; without one, those whose addresses name the same building do (scoring.sites).
SITE_ID = Column("site_id", "场所编号", "code",
                 aliases=("建筑编号", "楼宇编号", "厂房编号", "所在建筑编号", "所在场所编号", "出租厂房编号", "场所代码"))
SITE_COLUMNS = (
    SITE_ID,
    Column("site_name", "所在建筑", aliases=("所在厂房", "所在楼宇", "所在场所", "建筑名称", "厂房名称", "楼宇名称")),
    Column("landlord", "房东（产权单位）", aliases=("房东", "产权单位", "出租方", "出租人", "产权人", "厂房业主", "业主单位",
                                             "房东姓名", "产权单位名称")),
    Column("landlord_uscc", "产权单位统一社会信用代码", "uscc",
           aliases=("房东统一社会信用代码", "出租方统一社会信用代码", "产权单位信用代码")),
)

COUNTY = Table(
    "county",
    "区县",
    "code",
    (
        Column("code", "区县代码", "code", required=True, digits=(6, 12),
               aliases=("行政区划代码", "区划代码", "行政区代码", "县级代码", "代码", "adcode", "code", "xzqdm", "qhdm",
                        "xzqhdm", "pac", "qxdm")),
        Column("name", "区县名称", required=True,
               aliases=("名称", "区县", "行政区名称", "区划名称", "name", "xzqmc", "qhmc", "qxmc")),
        GEOM,
    ),
)

TOWNSHIP = Table(
    "township",
    "乡镇（街道）",
    "code",
    (
        Column("code", "乡镇代码", "code", required=True, digits=(9, 12),
               aliases=("乡镇街道代码", "街道代码", "乡镇（街道）代码", "行政区划代码", "区划代码", "代码", "adcode", "code",
                        "xzdm", "xzqdm", "qhdm")),
        Column("name", "乡镇名称", required=True,
               aliases=("乡镇（街道）", "乡镇街道名称", "街道名称", "乡镇", "名称", "行政区名称", "name", "xzmc", "xzqmc",
                        "qhmc")),
        # Left out, it is taken from the code's first 6 digits or from the county polygon.
        Column("county_code", "区县代码", "code", digits=(6, 12), aliases=("所属区县代码", "县级代码", "qxdm")),
        Column("kind", "类型", derived=True),
        GEOM,
    ),
)

GRID = Table(
    "grid",
    "网格",
    "grid_id",
    (
        Column("grid_id", "网格编号", "code", required=True,
               aliases=("网格代码", "网格编码", "编号", "code", "wgbm", "wgdm", "wgbh")),
        Column("name", "网格名称", required=True, aliases=("名称", "name", "wgmc")),
        # Left out, it is taken from the township (or county) polygon holding the grid.
        Column("township_code", "乡镇代码", "code", digits=(6, 9, 12),
               aliases=("所属乡镇代码", "乡镇街道代码", "街道代码", "所属乡镇（街道）代码")),
        Column("manager", "网格员", aliases=("网格长", "负责人", "专职网格员", "网格管理员")),
        Column("phone", "联系电话", aliases=("电话", "手机", "联系方式", "手机号码", "手机号")),
        GEOM,
    ),
)

PARK = Table(
    "park",
    "园区",
    "park_id",
    (
        Column("park_id", "园区编号", "code", required=True, aliases=("园区代码", "编号", "code")),
        Column("name", "园区名称", required=True, aliases=("名称", "name")),
        Column("kind", "园区类型", "enum", choices=vocab.PARK_KINDS, aliases=("类型",)),
        Column("operator", "运营单位", aliases=("运营管理单位", "管理单位", "运营主体", "运营方")),
        GEOM,
    ),
)

ENTERPRISE = Table(
    "enterprise",
    "企业",
    "uscc",
    (
        USCC,
        Column("name", "企业名称", required=True,
               aliases=("单位名称", "名称", "企业全称", "公司名称", "场所名称", "主体名称", "经营主体名称", "市场主体名称",
                        "生产经营单位名称", "企业名", "单位名", "厂名")),
        Column("address", "地址", aliases=("经营地址", "生产经营地址", "详细地址", "企业地址", "单位地址", "所在地址", "场所地址",
                                          "实际经营地址", "生产地址", "注册地址", "住所", "经营场所地址", "经营场所")),
        Column("founded_on", "成立日期", "date", aliases=("注册日期", "成立时间", "登记日期")),
        # The seeds' enterprise forms ask for 主要负责人 and 联系电话 (a 联系人 is someone else: unknown).
        Column("principal", "主要负责人", aliases=("负责人", "单位负责人", "企业负责人", "法定代表人", "法人代表")),
        Column("phone", "联系电话", aliases=("电话", "手机", "联系方式", "手机号码", "手机号", "负责人电话", "联系人电话",
                                          "企业电话", "负责人手机", "联系手机")),
        # Projected pairs (X坐标/Y坐标 …) are told apart by magnitude, see data.headers.orient_coordinates.
        Column("lon", "经度", "lon", aliases=("X", "x", "横坐标", "x坐标", "东坐标", "东向坐标", "坐标x", "经度坐标", "坐标经度",
                                          "位置经度", "中心点经度", "东经", "lng", "lon", "longitude")),
        Column("lat", "纬度", "lat", aliases=("Y", "y", "纵坐标", "y坐标", "北坐标", "北向坐标", "坐标y", "纬度坐标", "坐标纬度",
                                          "位置纬度", "中心点纬度", "北纬", "lat", "latitude")),
        Column("industry", "行业", aliases=("所属行业", "行业类别", "行业类型", "行业分类", "主营行业", "行业门类", "国民经济行业")),
        Column("employees", "从业人数", "int", aliases=("员工人数", "职工人数", "从业人员数", "从业人员", "从业人员数量", "员工数",
                                                    "职工数", "人数", "用工人数", "在岗人数", "雇员人数", "员工")),
        Column("revenue_10k_cny", "营业收入（万元）", "float",
               aliases=("营业收入", "年营业收入", "营业额", "年营业额", "销售收入", "年销售收入", "主营业务收入")),
        _flag("hazchem", "涉及危化品", "危化品", "使用危化品", "涉危化品", "危险化学品", "涉及危险化学品", "使用危险化学品",
              "危化品使用", "涉及使用危化品"),
        _flag("special_equipment", "特种设备", "使用特种设备", "涉及特种设备", "有特种设备"),
        _flag("dust", "涉爆粉尘", "粉尘涉爆", "涉及粉尘涉爆", "涉粉尘", "可燃性粉尘", "涉爆粉尘作业", "粉尘爆炸危险"),
        _flag("spraying", "喷涂作业", "喷涂", "涉及喷涂", "涉及喷涂作业", "喷漆", "喷涂喷漆"),
        _flag("ammonia", "液氨制冷", "涉氨制冷", "氨制冷", "涉氨", "涉及液氨制冷"),
        _flag("confined_space", "有限空间", "有限空间作业", "涉及有限空间", "涉及有限空间作业"),
        _flag("gas", "使用燃气", "燃气", "涉及燃气", "燃气使用", "使用液化气", "使用液化石油气", "使用天然气"),
        _flag("rented", "出租分租", "出租厂房", "出租分租情况", "厂房出租", "出租转租", "分租转租", "出租或分租", "存在出租分租"),
        _flag("mixed_use", "三合一场所", "合用场所", "三合一", "三合一现象", "住人", "生产经营储存住宿合用"),
        _flag("small_scattered", "小散乱污场所", "小散乱污", "“小散乱污”场所", "小散乱污企业"),
        Column("illegal_building_m2", "违法建筑面积（平方米）", "float",
               aliases=("违法建筑面积", "违建面积", "违章建筑面积", "两违面积", "违法建筑")),
        # The shared site (issue 17, tenants rolled up; docs/MODEL.md): the building or plot several
        # enterprises share (出租分租, 厂中厂, 多业态混合), its name, and the landlord who answers for it.
        *SITE_COLUMNS,
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
        Column("id", "检查编号", "code", required=True, aliases=("编号", "记录编号", "检查记录编号")),
        USCC,
        Column("date", "检查日期", "date", required=True, aliases=("检查时间", "日期")),
        Column("department", "检查部门", "enum", required=True, choices=vocab.DEPARTMENTS,
               aliases=("检查单位", "部门", "监管部门")),
        Column("result", "检查结果", "enum", choices=vocab.INSPECTION_RESULTS, aliases=("结果", "检查结论")),
        # How it was chosen (双随机 / 风险清单 / 投诉举报 / 其他); optional: older ledgers lack it
        # and import with it empty, which the lift counts as 未注明 (scoring.lift).
        Column("method", "检查方式", "enum", choices=vocab.INSPECTION_METHODS,
               aliases=("选取方式", "检查类型", "检查类别", "检查来源", "任务来源", "抽查方式", "检查形式", "检查任务来源")),
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

HAZARD = Table(
    "hazard",
    "隐患",
    "id",
    (
        Column("id", "隐患编号", "code", required=True, aliases=("编号", "隐患id", "隐患代码", "记录编号")),
        USCC,
        Column("found_on", "发现日期", "date", required=True,
               aliases=("检查日期", "发现时间", "检查时间", "排查日期", "排查时间", "上报日期", "登记日期")),
        Column("category", "隐患类别", aliases=("隐患类型", "类别", "类型", "隐患分类", "问题类型", "问题类别")),
        Column("description", "隐患描述", aliases=("隐患内容", "问题描述", "存在问题", "隐患情况", "具体问题", "隐患问题",
                                                     "问题内容", "主要问题", "隐患问题描述", "检查发现问题", "存在的问题")),
        Column("level", "隐患等级", "enum", required=True, choices=vocab.HAZARD_LEVELS,
               aliases=("隐患级别", "等级", "级别", "隐患程度")),
        Column("department", "责任部门", "enum", choices=vocab.DEPARTMENTS,
               aliases=("检查部门", "监管部门", "主管部门", "行业主管部门", "交办部门", "牵头部门", "检查单位", "整改责任部门")),
        Column("deadline", "整改期限", "date", aliases=("计划完成时间", "计划完成日期", "整改时限", "限期整改日期", "整改截止日期",
                                                  "计划整改完成时间", "要求整改时间", "限改日期")),
        Column("rectified_on", "整改完成日期", "date", aliases=("完成整改日期", "整改完成时间", "完成整改时间", "实际完成时间",
                                                         "实际完成日期", "已整改日期", "整改日期", "完成时间", "完成日期")),
        Column("closed_on", "验收销号日期", "date", aliases=("销号日期", "验收日期", "销号时间", "验收时间", "验收销号时间")),
        # A hazard of a shared site's own parts (消防通道, 电动车充电, 燃气): its 场所编号 (scoring.sites).
        SITE_ID,
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

ENFORCEMENT = Table(
    "enforcement",
    "执法记录",
    "id",
    (
        Column("id", "执法编号", "code", required=True, aliases=("案件编号", "编号", "执法记录编号")),
        USCC,
        Column("date", "执法日期", "date", required=True, aliases=("处罚日期", "立案日期", "立案时间", "处罚时间", "决定日期", "日期")),
        Column("action", "执法措施", "enum", required=True, choices=vocab.ENFORCEMENT_ACTIONS,
               aliases=("处罚类型", "执法类型", "处理措施", "处罚种类", "措施")),
        Column("fine_10k_cny", "罚款（万元）", "float", aliases=("罚款金额（万元）", "罚款金额", "罚款", "处罚金额")),
        Column("department", "执法部门", "enum", choices=vocab.DEPARTMENTS, aliases=("执法单位", "处罚机关")),
        *PROVENANCE,
    ),
    references_enterprise="uscc",
)

INCIDENT = Table(
    "incident",
    "事故",
    "id",
    (
        Column("id", "事故编号", "code", required=True, aliases=("编号",)),
        Column("date", "发生日期", "date", required=True, aliases=("发生时间", "事故日期", "事故时间", "日期")),
        Column("lon", "经度", "lon", required=True, aliases=("X", "x", "x坐标", "东坐标", "横坐标", "lng", "lon")),
        Column("lat", "纬度", "lat", required=True, aliases=("Y", "y", "y坐标", "北坐标", "纵坐标", "lat")),
        replace(USCC, required=False),  # fires with no enterprise are recorded too
        Column("kind", "类型", "enum", required=True, choices=vocab.INCIDENT_KINDS, aliases=("事故类型", "类别", "事故类别")),
        Column("deaths", "死亡人数", "int", aliases=("死亡",)),
        Column("injuries", "受伤人数", "int", aliases=("受伤", "伤人数")),
        Column("loss_10k_cny", "直接经济损失（万元）", "float", aliases=("直接经济损失",)),
        *PLACEMENT,
        *PROVENANCE,
    ),
)

INSPECTOR = Table(
    "inspector",
    "检查人员",
    "badge",
    (
        # The roster the 双随机 draw picks inspectors from (执法检查人员名录库).
        Column("badge", "执法证号", "code", required=True, aliases=("执法证件号", "执法证编号", "证件号", "工号", "编号")),
        Column("name", "姓名", required=True, aliases=("检查人员", "执法人员", "人员姓名")),
        Column("department", "部门", "enum", required=True, choices=vocab.DEPARTMENTS,
               aliases=("所属部门", "单位", "所在单位", "执法部门")),
        Column("phone", "联系电话", aliases=("电话", "手机", "联系方式", "手机号码")),
        *PROVENANCE,
    ),
)

# Re-checks of closed hazards (issue 17, part 3): who went back, when, and what they found.
RECHECK = Table(
    "recheck",
    "复查记录",
    "id",
    (
        Column("id", "复查编号", "code", required=True, aliases=("编号", "复查记录编号", "记录编号")),
        Column("hazard_id", "隐患编号", "code", required=True, aliases=("隐患id", "隐患代码", "被复查隐患编号")),
        Column("date", "复查日期", "date", required=True, aliases=("复查时间", "复核日期", "回头看日期", "日期")),
        Column("outcome", "复查结果", "enum", required=True, choices=vocab.RECHECK_OUTCOMES,
               aliases=("复查结论", "复核结果", "结果")),
        Column("checker", "复查人", aliases=("复查人员", "检查人员", "复核人")),
        Column("department", "复查部门", "enum", choices=vocab.DEPARTMENTS, aliases=("复核部门", "检查部门", "部门")),
        *PROVENANCE,
    ),
    references_hazard="hazard_id",
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
    INSPECTOR,
    RECHECK,
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
