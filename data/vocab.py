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

#: Township kind from the 3 digits after the county code in a 9-digit township code.
def township_kind(code: str) -> str:
    """Kind of a township-level unit from its 9-digit code (街道 / 镇 / 乡 / 其他)."""
    n = int(code[6:9])
    if 1 <= n <= 99:
        return "街道"
    if 100 <= n <= 199:
        return "镇"
    if 200 <= n <= 399:
        return "乡"
    return "其他"
