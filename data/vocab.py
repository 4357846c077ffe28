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

#: How an inspection was chosen (issue 17): by the 双随机 draw, from the risk list, on a
#: complaint or report, or otherwise (campaigns, routine patrols, re-checks).
INSPECTION_METHODS = ("双随机抽查", "风险清单", "投诉举报", "其他")
#: What a re-check of a closed hazard found (issue 17, part 3): the closure holds (属实整改), the
#: hazard was never fixed (未整改), or it was fixed and has come back (复发).
RECHECK_OUTCOMES = ("属实整改", "未整改", "复发")

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

# ---------------------------------------------------------------------------------------------
# Synonyms: other correct ways of writing a value, accepted without a warning.
#
# Each table maps a canonical value to the ways offices write it. Matching (data.valuemaps)
# compares after NFKC (full-width forms to half-width) with every blank removed and letters in
# lower case, so these are written in one plain form. Departments may in addition carry a place
# name in front (温州市、瓯海区、某某街道) and be a branch of the bureau (…局瓯海分局, …支队某某大队);
# see data.valuemaps.resolve_value. A form listed under two canonical values is ambiguous: a cell
# written that way is rejected with a reason naming both (e.g. 监管局 — 市场监管局 or the former
# 安全生产监督管理局, now 应急管理局).
# ---------------------------------------------------------------------------------------------

HAZARD_LEVEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Roman or Arabic grades (Ⅰ级, 1级 …) are left out: cities number them in both directions.
    "一般": ("一般隐患", "一般事故隐患", "一般安全隐患", "一般安全生产隐患", "一般火灾隐患", "一般级", "一般等级"),
    "较大": ("较大隐患", "较大事故隐患", "较大安全隐患", "较大火灾隐患", "较大级", "较大等级"),
    "重大": ("重大隐患", "重大事故隐患", "重大安全隐患", "重大安全生产隐患", "重大火灾隐患", "重大级", "重大等级"),
}

DEPARTMENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    # 安全生产监督管理局 became 应急管理局 in the 2018 reform.
    "应急管理局": ("应急局", "应急管理", "应急管理分局", "应急管理部门", "应急管理执法大队", "应急管理行政执法大队",
                 "安监局", "安全生产监督管理局", "安全生产监管局", "安全监管局", "监管局", "执法大队"),
    # 工业和信息化局 (工信局) is the same bureau where it is so named; 经济商务局 where 经信 and
    # 商务 are merged (no other department of the list does 商务).
    "经信局": ("经济和信息化局", "经济与信息化局", "经济信息化局", "经济和信息化委员会", "经信委", "经信",
              "工业和信息化局", "工信局", "经济商务局", "经济和信息化商务局"),
    "公安局": ("公安分局", "公安", "公安机关", "派出所", "公安派出所", "治安大队", "治安管理大队", "交警大队",
              "交通警察大队"),
    "生态环境局": ("生态环境分局", "生态环境", "生态环境保护局", "环境保护局", "环保局", "环保分局", "生态环境执法大队",
                "环境监察大队"),
    "建设局": ("住房和城乡建设局", "住房城乡建设局", "住房与城乡建设局", "住房和城乡建设委员会", "住建局", "住建委",
              "城乡建设局", "住房和建设局", "住建"),
    "交通运输局": ("交通局", "交通运输", "交通运输分局", "交通运输执法大队", "交通运输行政执法大队", "交通执法大队",
                "运管所", "道路运输管理所", "运输管理所", "执法大队"),
    # 工商 and 质监 (which inspected special equipment) were merged into 市场监管 in 2018.
    "市场监管局": ("市场监督管理局", "市场监督管理分局", "市场监管分局", "市场监督管理所", "市场监管所", "市场监管",
                "市监局", "市场局", "市场监管执法大队", "质量技术监督局", "质监局", "工商行政管理局", "工商局",
                "监管局", "执法大队"),
    "综合执法局": ("综合行政执法局", "综合行政执法分局", "综合执法分局", "综合行政执法大队", "综合执法大队",
                "综合行政执法中队", "综合执法中队", "综合行政执法队", "综合执法队", "综合执法", "行政执法局",
                "城市管理局", "城市管理行政执法局", "城管局", "城管执法局", "城管执法大队", "城管", "执法大队"),
    "消防救援": ("消防救援支队", "消防救援大队", "消防救援中队", "消防救援站", "消防救援局", "消防救援总队",
              "消防救援机构", "消防救援部门", "消防支队", "消防大队", "消防中队", "消防站", "消防局", "消防",
              "公安消防支队", "公安消防大队", "公安消防中队"),
}

ENFORCEMENT_ACTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "立案查处": ("立案", "立案调查", "立案处理", "立案侦查", "立案查办", "立案处罚"),
    "行政处罚": ("处罚", "行政罚款", "罚款", "经济处罚", "警告", "警告并处罚款", "罚款处罚", "立案处罚"),
    "限期整改": ("责令限期整改", "责令整改", "限期改正", "责令限期改正", "责令改正", "整改"),
    "停产停业": ("责令停产停业", "停产停业整顿", "责令停产停业整顿", "停产整顿", "责令停产整顿", "停业整顿", "停产",
              "停业", "关停"),
    "查封": ("查封扣押", "查封、扣押", "查封设施设备", "扣押", "扣押设备"),
    "依法关闭/取缔": ("依法关闭", "依法取缔", "关闭", "取缔", "关闭取缔", "取缔关闭", "依法关闭取缔", "关闭、取缔",
                "提请关闭", "关停"),
    "移送公安": ("移送公安机关", "移交公安", "移交公安机关", "移送公安处理"),
    "行政拘留": ("行拘", "治安拘留"),
    "刑事拘留": ("刑拘",),
}

INCIDENT_KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "火灾": ("火灾事故", "火情", "火警", "失火", "起火", "着火", "火灾爆炸"),
    "事故": ("生产安全事故", "安全生产事故", "生产事故", "安全事故", "工伤事故", "工矿事故", "火灾爆炸"),
}

INSPECTION_RESULT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "未发现问题": ("无问题", "没有问题", "未发现隐患", "未发现安全隐患", "无隐患", "无", "合格", "检查合格", "正常",
                "符合要求"),
    "发现隐患": ("有隐患", "存在隐患", "发现问题", "存在问题", "有问题", "发现安全隐患", "存在安全隐患"),
    "责令整改": ("责令限期整改", "限期整改", "已责令整改", "责令改正", "下达整改通知", "下达责令整改通知书"),
}

PARK_KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "小微企业园": ("小微园", "小微园区", "小微企业创业园", "小微企业园区", "小微产业园"),
    "工业园区": ("工业园", "工业区", "工业功能区", "产业园", "产业园区", "集聚区"),
    "集聚点": ("企业集聚点", "工业集聚点", "集中点", "集聚区"),
}

INSPECTION_METHOD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "双随机抽查": ("双随机", "双随机一公开", "双随机一公开抽查", "双随机检查", "双随机抽检", "随机抽查", "随机检查",
               "随机抽取", "抽查", "随机"),
    "风险清单": ("风险", "按风险", "风险检查", "风险分级", "风险分级检查", "分级分类", "分级分类检查", "风险名单",
             "风险清单检查", "重点检查", "重点监管", "精准检查", "靶向检查", "风险预警", "预警"),
    "投诉举报": ("投诉", "举报", "举报投诉", "投诉举报核查", "举报核查", "群众举报", "信访", "信访件", "来信来访",
             "12345", "12350", "热线", "热线交办", "12345交办"),
    "其他": ("其它", "专项", "专项检查", "专项整治", "专项行动", "日常", "日常检查", "日常巡查", "巡查", "复查",
           "联合检查", "督查", "节前检查", "执法检查"),
}
RECHECK_OUTCOME_SYNONYMS: dict[str, tuple[str, ...]] = {
    "属实整改": ("已整改", "整改属实", "整改到位", "属实", "合格", "通过"),
    "未整改": ("未整改到位", "整改不到位", "不属实", "虚假整改", "假整改", "不合格"),
    "复发": ("反弹", "重复出现", "再次出现", "隐患复发", "回潮"),
}

#: Synonyms by the choices of an enum column (a column's family is the tuple it declares).
SYNONYMS: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {
    HAZARD_LEVELS: HAZARD_LEVEL_SYNONYMS,
    DEPARTMENTS: DEPARTMENT_SYNONYMS,
    ENFORCEMENT_ACTIONS: ENFORCEMENT_ACTION_SYNONYMS,
    INCIDENT_KINDS: INCIDENT_KIND_SYNONYMS,
    INSPECTION_RESULTS: INSPECTION_RESULT_SYNONYMS,
    PARK_KINDS: PARK_KIND_SYNONYMS,
    INSPECTION_METHODS: INSPECTION_METHOD_SYNONYMS,
    RECHECK_OUTCOMES: RECHECK_OUTCOME_SYNONYMS,
}
#: Families whose values may carry a place name in front and a branch after (departments).
PLACE_NAMED = (DEPARTMENTS,)

#: Township kinds by the 3 digits after the county code in a 9-digit township code
#: (统计用区划代码): (kind, first, last), in code order.
TOWNSHIP_KIND_RANGES = (("街道", 1, 99), ("镇", 100, 199), ("乡", 200, 399), ("其他", 400, 999))


def township_kind_sql(code_sql: str) -> str:
    """SQL giving the kind (街道 / 镇 / 乡 / 其他) of the 9-digit township code in ``code_sql``."""
    n = f"TRY_CAST(substr({code_sql}, 7, 3) AS INTEGER)"
    whens = " ".join(f"WHEN {n} BETWEEN {lo} AND {hi} THEN '{kind}'" for kind, lo, hi in TOWNSHIP_KIND_RANGES)
    return f"CASE {whens} ELSE '其他' END"
