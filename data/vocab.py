"""Domain enumerations shared by the importer, the demo generator and the model.

Departments and enforcement actions are the ones the city work-safety plans name; industries
marked high-fire-risk are the labour-intensive trades that Zhejiang's small-enterprise
campaigns single out.
"""

DEPARTMENTS = (
    "应急管理局",
    "经信局",
    "公安局",
    "生态环境局",
    "建设局",
    "交通运输局",
    "市场监管局",
    "综合执法局",
    "消防救援",
)

HAZARD_LEVELS = ("一般", "较大", "重大")

ENFORCEMENT_ACTIONS = (
    "立案查处",
    "行政处罚",
    "限期整改",
    "停产停业",
    "查封",
    "依法关闭/取缔",
    "移送公安",
    "行政拘留",
    "刑事拘留",
)

INCIDENT_KINDS = ("火灾", "事故")

INSPECTION_RESULTS = ("未发现问题", "发现隐患", "责令整改")

PARK_KINDS = ("小微企业园", "工业园区", "集聚点")

HIGH_FIRE_RISK_INDUSTRIES = (
    "服装",
    "制鞋",
    "袜业",
    "玩具",
    "眼镜",
    "箱包",
    "化纤",
    "印刷",
    "日用化工",
    "医药化工",
    "工艺品",
    "竹木加工",
)

OTHER_INDUSTRIES = (
    "汽摩配件",
    "阀门",
    "泵业",
    "电气机械",
    "五金制品",
    "塑料制品",
    "金属表面处理",
    "食品加工",
    "冷链仓储",
    "家具制造",
    "包装材料",
    "电子元件",
    "纺织",
    "商贸仓储",
)

INDUSTRIES = HIGH_FIRE_RISK_INDUSTRIES + OTHER_INDUSTRIES

#: Township kinds by the 3 digits after the county code in a 9-digit township code
#: (统计用区划代码): (kind, first, last), in code order.
TOWNSHIP_KIND_RANGES = (("街道", 1, 99), ("镇", 100, 199), ("乡", 200, 399), ("其他", 400, 999))


def township_kind_sql(code_sql: str) -> str:
    """SQL giving the kind (街道 / 镇 / 乡 / 其他) of the 9-digit township code in ``code_sql``."""
    n = f"TRY_CAST(substr({code_sql}, 7, 3) AS INTEGER)"
    whens = " ".join(f"WHEN {n} BETWEEN {lo} AND {hi} THEN '{kind}'" for kind, lo, hi in TOWNSHIP_KIND_RANGES)
    return f"CASE {whens} ELSE '其他' END"
