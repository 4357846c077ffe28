"""The methodology text, generated from the model config so that the two cannot disagree.

Every section names the table of ``model.toml`` it comes from and every key it reads, in
backticks (a test checks that no key of the file is left out). The text is written in Chinese
(``docs/MODEL.md``) or English (the 模型说明 page in English); the config's own names and
definitions are quoted as they are, and ``term`` may put its controlled words (tiers, levels)
into the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from scoring.model import SOURCES, Measure, Model
from scoring.sites import site_markdown

#: How each ``kind`` scales its measure to 0–1: (Chinese, English).
KIND_TEXT = {
    "flag": ("是 = 满分", "yes = full weight"),
    "cap": ("min(值, {cap:g}) / {cap:g}", "min(value, {cap:g}) / {cap:g}"),
    "ramp": ("({lo:g} 以下为 0，{hi:g} 以上满分，线性)", "(0 below {lo:g}, full above {hi:g}, linear)"),
    "log": ("ln(1+值) / ln(1+{ref:g})，封顶 1", "ln(1+value) / ln(1+{ref:g}), at most 1"),
}
STATUS_TEXT = {"open": ("未整改", "open"), "overdue": ("逾期未整改", "overdue"), "rectified": ("已整改", "rectified")}
#: The ledgers of :data:`scoring.model.SOURCES` in English.
LEDGER_EN = {"hazard": "hazard ledger", "inspection": "inspection ledger", "enforcement": "enforcement ledger",
             "incident": "incident ledger"}
#: How a measure aggregates its records, in words: (Chinese, English).
RULE_TEXT = {
    "count": ("{records}条数", "number of {records}"),
    "sum": ("{records}的 `{column}` 之和", "sum of `{column}` over the {records}"),
    "latest": ("最近一条{records}的日期", "date of the latest {record}"),
    "days_since": ("距最近一条{records}的天数，没有记录为 {never}",
                   "days since the latest {record}; {never} when there is none"),
    "repeats": ("`{by}` 相同的{records}不少于 {min_count} 条的 `{by}` 个数",
                "number of `{by}` values shared by at least {min_count} {records}"),
    "covered": ("最近一条{records}距评估日不超过 {window_days} 天的企业占比",
                "share of enterprises whose latest {record} is at most {window_days} days before the assessment date"),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _pick(lang: str) -> Callable[[str, str], str]:
    """The text of a (Chinese, English) pair in ``lang``."""
    return (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)


def measure_rule(m: Measure, lang: str = "zh", term: Callable[[str], str] = str) -> str:
    """How a measure is computed, in words, from its declaration."""
    w = _pick(lang)
    status = STATUS_TEXT.get(m.status or "")
    if lang == "en":  # "open records of level Major"
        level = f" of level {term(m.level)}" if m.level else ""
        record, records = (" ".join(x for x in (status and status[1], noun) if x) + level
                           for noun in ("record", "records"))
    else:
        kept = "、".join(x for x in (status and status[0], m.level and f"{m.level}级") if x)
        record = records = f"{kept}的记录" if kept else "记录"
    text = w(*RULE_TEXT[m.aggregate]).format(records=records, record=record, column=m.column, never=m.never, by=m.by,
                                             min_count=m.min_count, window_days=m.window_days)
    return w(f"{text}（`{m.aggregate}`）", f"{text} (`{m.aggregate}`)")


def _window(m: Measure, lang: str) -> str:
    w = _pick(lang)
    if m.window_days is None:
        return "—"
    d = m.window_days
    if m.aggregate == "covered":
        text = w(f"{d} 天", f"{d} days")
    else:
        text = w(f"评估日前 {d} 天", f"{d} days before the assessment date")
    return w(f"{text}（同 `{m.window_of}`）", f"{text} (as `{m.window_of}`)") if m.window_of else text


def model_markdown(model: Model, lang: str = "zh", term: Callable[[str], str] = str) -> str:
    """Markdown tables of factors, measures, direct rules, tiers, the area index, the listing
    rules, the inspection plan and the robustness analysis, in ``lang`` ("zh" or "en");
    ``term`` gives a controlled word of the config (a tier, a level) in that language."""
    w = _pick(lang)

    def keys(*names: str) -> str:
        return w("、", ", ").join(f"`{k}`" for k in names)

    def named(name: str, key: str) -> str:
        return w(f"{name}（`{key}`）", f"{name} (`{key}`)")

    lines = [w(f"# {model.title}（版本 {model.version}）", f"# {model.title} (version {model.version})"), "",
             w("企业得分 = 各因子得分之和；因子得分 = 权重 × 折算值（0–1）。本文件由 "
               "`python -m riskmap model` 从 `scoring/model.toml` 生成，请勿手改；反引号内为配置文件中的表名和键名"
               "（模型名称 `title`，版本号 `version`，写入每张结果表）。",
               "Enterprise score = sum of the factor points; factor points = weight × scaled value (0–1). This text is "
               "generated from `scoring/model.toml` by `python -m riskmap model`; do not edit it by hand. Names in "
               "backticks are the tables and keys of the configuration file (model name `title`, version `version`, "
               "written into every result table)."), "",
             w(f"满分 {model.max_score:g} 分。", f"Maximum score: {model.max_score:g} points."), "",
             w("## 因子（`[[factor]]`）", "## Factors (`[[factor]]`)"), "",
             w(f"每个因子：{keys('id', 'name', 'group', 'kind', 'measure', 'weight', 'definition', 'source')}。"
               "折算方式 `kind`：`flag` 是 = 满分；`cap` min(值, `cap`) / `cap`；"
               "`ramp` (值 − `lo`) / (`hi` − `lo`)，截在 0–1；`log` ln(1+值) / ln(1+`ref`)，封顶 1。",
               f"Each factor: {keys('id', 'name', 'group', 'kind', 'measure', 'weight', 'definition', 'source')}. "
               "Scaling `kind`: `flag` yes = full weight; `cap` min(value, `cap`) / `cap`; `ramp` (value − `lo`) / "
               "(`hi` − `lo`), clipped to 0–1; `log` ln(1+value) / ln(1+`ref`), at most 1."), "",
             w("| 类别 | 因子 | 指标 | 权重 | 折算 | 定义 | 依据 |",
               "| Group | Factor | Measure | Weight | Scaling | Definition | Source |"),
             "|---|---|---|---:|---|---|---|"]
    for f in model.factors:
        lines.append(f"| {term(f.group)} | {named(f.name, f.id)} | `{f.measure}` | {f.weight:g} | "
                     f"{w(*KIND_TEXT[f.kind]).format(**f.params)} | {_cell(f.definition)} | {_cell(f.source)} |")

    lines += ["", w("## 指标（`[[measure]]`）", "## Measures (`[[measure]]`)"), "",
              w("从台账按评估日计算，SQL 由下列声明生成：每条记录只在其自身日期（隐患为发现日期 `found_on`，"
                "检查、执法、事故为 `date`）不晚于评估日时计入；有时间窗 `window_days` 的，只计评估日前 "
                "`window_days` 天内（含评估日）的记录。隐患在评估日未整改：整改完成日期为空或晚于评估日；"
                "逾期：未整改且整改期限早于评估日。企业自身的属性（危化品、粉尘、从业人数、违法建筑面积、是否在园区等）"
                "按台账原值读取。",
                "Computed from the ledgers as of the assessment date, by SQL generated from the declarations below: a "
                "record counts only when its own date (for a hazard the date found, `found_on`; for inspections, "
                "enforcement and incidents `date`) is not after the assessment date; with a window `window_days`, only "
                "the records of the `window_days` days up to and including the assessment date count. A hazard is open "
                "at the assessment date when its rectification date is empty or later; overdue when it is open and its "
                "deadline is before the assessment date. The enterprise's own attributes (hazardous chemicals, dust, "
                "employees, illegal-building area, whether in a park and so on) are read from the ledger as they "
                "are."), "",
              w(f"每个指标：{keys('id', 'name', 'source', 'aggregate', 'window_days', 'definition')}；"
                f"隐患可按状态 `status`（`open` 未整改、`overdue` 逾期未整改、`rectified` 已整改）和等级 `level` 筛选；"
                f"`sum` 求和的列 `column`；`days_since` 没有记录时的天数 `never`；`repeats` 分组的列 `by` 和最少条数 "
                f"`min_count`；`window_of` 与前面某个指标共用时间窗（如整改率的分子与分母、事故起数与死亡人数）；"
                f"`per` 为 `area` 的按区域计算（含未关联企业的记录），默认 `enterprise` 按企业。"
                "文字中的 {指标.window_years} 等写法引用指标的时间窗，改时间窗只需改一处。",
                f"Each measure: {keys('id', 'name', 'source', 'aggregate', 'window_days', 'definition')}; hazards can "
                "be kept by status `status` (`open`, `overdue`, `rectified`) and level `level`; `sum` adds up the "
                "column `column`; `days_since` gives `never` days when there is no record; `repeats` groups by the "
                "column `by` "
                "with at least `min_count` records; `window_of` shares the window of an earlier measure (the numerator "
                "and denominator of a rectification rate, incidents and their deaths); `per` = `area` counts per area "
                "(records not linked to an enterprise included), the default `enterprise` per enterprise. A text may "
                "quote a measure's window as {measure.window_years} and the like, so a window is changed in one "
                "place."),
              "", w("| 指标 | 台账 | 计算 | 时间窗 | 按 | 定义 |",
                    "| Measure | Ledger | Computation | Window | Per | Definition |"),
              "|---|---|---|---|---|---|"]
    for m in model.declared_measures:
        ledger = w(SOURCES[m.source][1], LEDGER_EN.get(m.source, m.source))
        per = w("区域", "area") if m.per == "area" else w("企业", "enterprise")
        lines.append(f"| {named(m.name, m.id)} | {named(ledger, m.source)} | {_cell(measure_rule(m, lang, term))} | "
                     f"{_window(m, lang)} | {per} | {_cell(m.definition)} |")

    lines += ["", w("## 直接判定（`[[direct_rule]]`）", "## Direct determination (`[[direct_rule]]`)"), "",
              w("不论得分，满足即定级。", "Whatever the score, an enterprise that meets a rule is given its tier."), "",
              w(f"每条规则：{keys('id', 'name', 'measure', 'min', 'tier', 'source', 'clause')}（`clause` 为所依据的"
                "条款，必填）。",
                f"Each rule: {keys('id', 'name', 'measure', 'min', 'tier', 'source', 'clause')} (`clause`, the "
                "clause the rule stands on, is required)."), "",
              w("| 规则 | 条件 | 定为 | 依据 | 条款 |", "| Rule | Condition | Tier | Source | Clause |"),
              "|---|---|---|---|---|"]
    for r in model.direct_rules:
        lines.append(f"| {named(r.name, r.id)} | `{r.measure}` ≥ {r.min:g} | {term(r.tier)} | {_cell(r.source)} | "
                     f"{_cell(r.clause)} |")
    lines += fired_section(model, lang)

    high = w("、", ", ").join(map(term, model.high_tiers))
    lines += ["", w("## 风险等级与检查频次（`[[tier]]`）", "## Tiers and inspection intervals (`[[tier]]`)"), "",
              w("检查间隔为本地默认设置，并非国家统一规定，可在配置中调整。",
                "The inspection intervals are local defaults, not a national rule, and can be changed in the "
                "configuration."),
              "",
              w(f"每个等级：{keys('id', 'name', 'color', 'rgb', 'high', 'min_score', 'inspect_every_days')}"
                "（`id` 为区域表中该等级企业数的列名 `n_<id>`，`rgb` 为地图颜色，`high` 的等级计入“"
                f"{high}风险企业”）。",
                f"Each tier: {keys('id', 'name', 'color', 'rgb', 'high', 'min_score', 'inspect_every_days')} "
                "(`id` names the area tables' column `n_<id>` of the tier's enterprises, `rgb` is its colour on the "
                f"map; the `high` tiers, {high}, are the high-risk enterprises)."), "",
              w("| 等级 | 颜色 | 地图颜色（RGB） | 高风险 | 得分下限 | 检查间隔（天） |",
                "| Tier | Colour | Map colour (RGB) | High | Lowest score | Inspection interval (days) |"),
              "|---|---|---|---|---:|---:|"]
    for t in model.tiers:
        lines.append(f"| {named(term(t.name), t.id)} | {term(t.color)} | {', '.join(map(str, t.rgb))} | "
                     f"{w('是', 'yes') if t.high else w('否', 'no')} | {t.min_score:g} | {t.inspect_every_days} |")

    if model.area_index:
        a = model.area_index
        lines += ["", w("## 区域风险指数（0–100，`[area_index]`）", "## Area risk index (0–100, `[area_index]`)"), "",
                  w(f"各指标在同级区域间按第 {a.winsorise[0]:.0%}、{a.winsorise[1]:.0%} 分位缩尾（`winsorise`），"
                    "再线性归一到 0–10，按权重加权平均后乘以 10（OECD-JRC 综合指标手册、INFORM 方法）。"
                    f"企业少于 {a.min_enterprises} 家（`min_enterprises`）的区域标注“样本不足”。",
                    f"Each indicator is winsorised across the areas of one level at the {a.winsorise[0]:.0%} and "
                    f"{a.winsorise[1]:.0%} percentiles (`winsorise`), scaled linearly to 0–10, averaged with the "
                    "weights and multiplied by 10 (the OECD-JRC Handbook on Constructing Composite Indicators; the "
                    f"INFORM method). An area of fewer than {a.min_enterprises} enterprises (`min_enterprises`) is "
                    "marked “small sample”."), "",
                  w(f"指标（`[[area_index.indicator]]`）：{keys('id', 'name', 'weight', 'definition')}。",
                    f"Indicators (`[[area_index.indicator]]`): {keys('id', 'name', 'weight', 'definition')}."), "",
                  w("| 指标 | 权重 | 定义 |", "| Indicator | Weight | Definition |"), "|---|---:|---|"]
        for i in a.indicators:
            lines.append(f"| {named(i.name, i.id)} | {i.weight:g} | {_cell(i.definition)} |")
    for title, section, listing in ((w("乡镇挂牌督办", "Township listing"), "township_listing", model.township_listing),
                                    (w("企业重大隐患挂牌督办", "Enterprise listing for major hazards"),
                                     "enterprise_listing", model.enterprise_listing)):
        if listing is None:
            continue
        lines += ["", w(f"## {title}（`[{section}]`）", f"## {title} (`[{section}]`)"), "",
                  w(f"满足任一条件即挂牌，级别取最高者；整改期限 {listing.deadline_days} 天（`deadline_days`）。"
                    f"摘牌条件（`delisting`）：{listing.delisting}",
                    "Listed when any rule is met, at the highest level met; the deadline for rectification is "
                    f"{listing.deadline_days} days (`deadline_days`). Delisting condition (`delisting`): "
                    f"{listing.delisting}"),
                  "",
                  w(f"条件（`[[{section}.rule]]`）：{keys('id', 'name', 'indicator', 'min', 'max', 'level')}"
                    "（`min` 为不低于、`max` 为不高于即挂牌）。",
                    f"Rules (`[[{section}.rule]]`): {keys('id', 'name', 'indicator', 'min', 'max', 'level')} "
                    "(listed at `min` or above, or at `max` or below)."), "",
                  w("| 条件 | 指标 | 阈值 | 级别 |", "| Rule | Indicator | Threshold | Level |"), "|---|---|---|---|"]
        for rule in listing.rules:
            bound = f"≥ {rule.min:g}" if rule.min is not None else f"≤ {rule.max:g}"
            lines.append(f"| {named(rule.name, rule.id)} | `{rule.indicator}` | {bound} | {term(rule.level)} |")

    p, rb = model.plan, model.robustness
    lines += ["", w("## 检查计划（`[plan]`）", "## Inspection plan (`[plan]`)"), "",
              w(f"交办的检查任务限 {p.assign_days} 天内完成（`assign_days`）；双随机抽查每户派检查人员 "
                f"{p.inspectors_per_target} 名（`inspectors_per_target`）。",
                f"An assigned inspection is due within {p.assign_days} days (`assign_days`); a double-random draw "
                f"sends {p.inspectors_per_target} inspectors to each enterprise drawn (`inspectors_per_target`)."),
              "", w("## 权重稳健性（`[robustness]`）", "## Robustness of the weights (`[robustness]`)"), "",
              w(f"每次模拟把每个因子的权重乘以 [1 − {rb.spread:g}, 1 + {rb.spread:g}] 内独立均匀抽取的系数"
                f"（`spread`，即 ±{rb.spread:.0%}），重算企业得分、乡镇指数和挂牌，共 {rb.draws} 次（`draws`），"
                f"随机种子 {rb.seed}（`seed`）。挂牌频率不低于 {rb.stable_listed:.0%}（`stable_listed`）为“稳定挂牌”，"
                f"不高于 {rb.stable_unlisted:.0%}（`stable_unlisted`）为“稳定不挂牌”，其间为“临界”。",
                "Each simulation multiplies every factor's weight by a coefficient drawn independently and uniformly "
                f"from [1 − {rb.spread:g}, 1 + {rb.spread:g}] (`spread`, that is ±{rb.spread:.0%}) and recomputes the "
                f"enterprise scores, the township index and the listing; {rb.draws} draws (`draws`), random seed "
                f"{rb.seed} (`seed`). A township listed in at least {rb.stable_listed:.0%} of the draws "
                f"(`stable_listed`) is “robustly listed”, in at most {rb.stable_unlisted:.0%} (`stable_unlisted`) "
                "“robustly not listed”, and “borderline” in between.")]
    lines += lift_section(model, lang)
    lines += site_markdown(model, lang, term)  # issue 17, tenants rolled up
    lines += closures_lines(model, lang, term)
    return "\n".join(lines) + "\n" + rules_and_snapshots_markdown(model, lang)


def lift_section(model: Model, lang: str = "zh") -> list[str]:
    """The section on the measured lift of targeting (``[lift]``, :mod:`scoring.lift`)."""
    w = _pick(lang)
    lf = model.lift
    share, conf = f"{lf.control_share:.0%}", f"{lf.confidence:.0%}"
    return ["", w("## 检查选取成效（`[lift]`）", "## Measured lift of targeting (`[lift]`)"), "",
            w("检查台账的“检查方式”列（`method`）记录每次检查是怎样选中的：双随机抽查、风险清单、投诉举报、其他（专项、日常等）；"
              "旧台账没有这一列的，按“未注明”计入检查次数，不参与比较。",
              "The inspection ledger records how each inspection was chosen (column `method`): by the random draw, "
              "from the risk list, on a complaint, or otherwise (campaigns, routine patrols and the like); an older "
              "ledger without the column counts its inspections as not recorded: counted, not compared."), "",
            w("**一次检查发现隐患**：检查结果为“发现隐患”或“责令整改”；为“未发现问题”则没有；检查结果为空时，"
              "看隐患台账中同一企业、发现日期等于检查日期、责任部门为该检查部门（或未填部门）的隐患，有则算发现。"
              "**隐患发现率** = 发现隐患的检查次数 ÷ 检查次数，按检查日期所在季度和检查部门分组，另有各季度合计、"
              "各部门合计和总计。",
              "**An inspection found a hazard** when its result is “hazards found” or “ordered to fix”, and did "
              "not when it is “no problem found”; when the result is blank, it found one if the hazard ledger has"
              " a hazard of the same enterprise found on the inspection date by the inspecting department (or by "
              "no department named). **Hazard-finding rate** = inspections that found a hazard ÷ inspections, by "
              "quarter of the inspection date and inspecting department, with each quarter, each department and "
              "the whole added up."), "",
            w(f"**比较**：风险清单组（p₁ = x₁/n₁）对双随机抽查组（p₂ = x₂/n₂，随机对照）。差值 p₁ − p₂ 的 {conf} "
              f"置信区间（`confidence`）按 Newcombe 混合得分法（1998 年方法 10）：两组各取 Wilson 得分区间 [l, u]，"
              "下限 = 差值 − √((p₁ − l₁)² + (u₂ − p₂)²)，上限 = 差值 + √((u₁ − p₁)² + (p₂ − l₂)²)。"
              "倍数 p₁/p₂ 的区间按对数法（Katz）：exp(ln 倍数 ± z·√(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂))，"
              "任一组发现数为 0 时不给区间。每个比较都列出两组的检查次数；任一组少于 "
              f"{lf.min_inspections} 次（`min_inspections`）标“样本不足”。",
              f"**Comparison**: the risk-list group (p₁ = x₁/n₁) against the random-draw group (p₂ = x₂/n₂, the "
              f"random control). The {conf} interval (`confidence`) of the difference p₁ − p₂ is Newcombe's hybrid "
              "score interval (1998, method 10): with each group's Wilson score interval [l, u], lower = difference − "
              "√((p₁ − l₁)² + (u₂ − p₂)²), upper = difference + √((u₁ − p₁)² + (p₂ − l₂)²). The interval of the ratio "
              "p₁/p₂ is the log (Katz) interval exp(ln ratio ± z·√(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂)), none when either "
              "group found nothing. Every comparison shows both groups' numbers of inspections; fewer than "
              f"{lf.min_inspections} in either (`min_inspections`) is marked “too few”."), "",
            w(f"**随机对照**：双随机抽查从抽取数中留出 {share}（`control_share`，四舍五入）作为随机对照，"
              "先从全部候选企业中等概率抽取（不分等级），检查方式记为“双随机抽查”；其余按等级分层抽取，记为“风险清单”。"
              "同一随机种子得到同一结果，对照企业写入抽查记录和审计日志。分层抽取本身按风险加权，所以只有对照组是"
              "真正的随机样本：只有这样记录，差值才是按风险选取带来的提升。",
              f"**Random control**: the double-random draw keeps {share} of its targets (`control_share`, rounded)"
              " as the random control, drawn first with equal chance from every candidate whatever its tier and "
              "recorded as chosen by random draw; the rest are drawn by tier and recorded as risk list. The same "
              "seed gives the same draw; the control's enterprises are written to the draw log and the audit log."
              " The tiered draw is itself weighted by risk, so only the control is a truly random sample: "
              "recorded so, the difference is the lift that choosing by risk brings.")]


def fired_section(model: Model, lang: str = "zh") -> list[str]:
    """The finer clauses of the direct rules by the triggering hazard's category
    (``[[direct_rule.by_category]]``), as lines of the direct-determination section."""
    w = _pick(lang)
    rows = [(r, c) for r in model.direct_rules for c in r.by_category]
    if not rows:
        return []
    lines = ["", w("按触发隐患的类别细化条款（`[[direct_rule.by_category]]`：`contains` 中任一词出现在隐患类别中，"
                   "类别为空时看隐患描述；取第一条匹配的 `clause`，都不匹配则用规则自己的 `clause`）：",
                   "Finer clauses by the triggering hazard's category (`[[direct_rule.by_category]]`: any word of "
                   "`contains` in the hazard's category, or in its description when the category is blank; the first "
                   "match's `clause` is cited, else the rule's own `clause`):"), "",
             w("| 规则 | 类别含 | 条款 |", "| Rule | Category contains | Clause |"), "|---|---|---|"]
    for r, c in rows:
        lines.append(f"| `{r.id}` | {_cell(w('、', ', ').join(c.contains))} | {_cell(c.clause)} |")
    return lines


def rules_and_snapshots_markdown(model: Model, lang: str = "zh") -> str:
    """The section of issue 17, part 1: the fired-rule record (``direct_rule_hit``), the score
    snapshots (``[snapshots]``), "what changed" between two days, and how
    the clauses were checked."""
    w = _pick(lang)
    q = model.snapshots.max_quarters
    return "\n".join([
        "", w("## 直接判定记录与评分快照（`[snapshots]`）", "## Fired rules and score snapshots (`[snapshots]`)"), "",
        w("**直接判定记录**（表 `direct_rule_hit`，每次计算评分时写入）：评估日满足的每条直接判定规则，每家企业、"
          "每条规则、每条触发记录一行——规则（`rule_id`、`rule_name`）、所定等级、所读指标及其值、引用的条款"
          "（`clause`）、触发记录的台账与编号（`record_source`、`record_id`，如隐患编号）、记录日期、隐患等级和"
          "类别。触发记录就是该规则的指标在评估日所计的记录，用同一套 SQL 条件选出（例如“存在未整改的重大事故"
          "隐患”的触发记录是评估日未整改的重大隐患），所以记录条数与指标值一致。一条隐患按其类别引用细化条款，"
          "见上表。一企一档、检查目标清单及其 Excel、交办清单和通报的重点检查对象都据此写明触发的规则和记录编号。",
          "**Fired-rule record** (table `direct_rule_hit`, written whenever the scores are computed): every direct "
          "rule that holds on the assessment date, one row per enterprise, rule and triggering record — the rule "
          "(`rule_id`, `rule_name`), the tier it sets, the measure it reads and its value, the clause cited "
          "(`clause`), the ledger and id of the triggering record (`record_source`, `record_id`, e.g. the hazard "
          "id), the record's date, the hazard's level and category. The triggering records are exactly the "
          "records the rule's measure counts on the assessment date, selected by the same SQL conditions (for "
          "“open major hazard” the major hazards not rectified on that day), so their number is the measure's "
          "value. A hazard is cited under the finer clause of its category (table above). The enterprise file, "
          "the target list and its workbook, the assignment list and the briefing's targets name the rule and the "
          "record ids from it."), "",
        w(f"**评分快照**（打开一企一档时按该企业的台账现算，不另存表）：每家企业在以下各日的各因子得分、"
          "总分、按分数的等级、"
          f"满足的直接判定规则和最终等级：评估日前最近 {q} 个季末（`max_quarters`），该企业在这些季度内的每个"
          "检查日，以及评估日本身（列 `quarter_end`、`inspected`、`is_as_of` 标明原因）。某日的快照就是以该日为"
          "评估日重算的结果：晚于该日的记录一概不计，隐患按该日是否已整改判断，所以是该日办公室本会看到的得分"
          "（模型和企业登记信息用现在的）。一家企业的所有快照日用一次查询算出，每条记录只与本企业不早于它的日期"
          "相连，按台账各分组一次；全市每家约 20 个快照日，若都存下来，百万家企业的省份就是两千万行，"
          "重建时间多出四分之三。",
          f"**Score snapshots** (computed from the enterprise's own records when its file is opened, not "
          "stored): each enterprise's "
          f"factor points, score, tier by points, direct rules met and tier on these days: the last {q} "
          "quarter-ends up to the assessment date (`max_quarters`), each of the enterprise's inspection dates "
          "within those quarters, and the assessment date itself (columns `quarter_end`, `inspected`, `is_as_of` "
          "say why). A snapshot on a day is the model recomputed with that day as the assessment date: records "
          "dated later are left out and a hazard counts as open if it was not rectified by that day, so it is the "
          "score the office would have seen then (with today's model and enterprise register). All of an "
          "enterprise's days are computed in one query, each record joined to the days on or after it, one "
          "grouped pass per ledger. With about 20 days an enterprise, storing them for every enterprise would be "
          "20 million rows for a province of a million and three quarters again of a rebuild's time."), "",
        w("**两日之间的变化**：一企一档中选两个快照日，逐项列出各因子在两日的得分及差值（后日减前日），"
          "各项差值之和等于总分之差。",
          "**What changed between two days**: on the enterprise file, two snapshot days are chosen and each "
          "factor's points on both days and their difference (the later minus the earlier) are listed; the "
          "differences add up to the change of the score."), "",
        w("**条款的核实**：工贸企业重大事故隐患判定标准（应急管理部令第10号，2023年5月15日起施行）的第二条"
          "（危险化学品、消防、燃气、特种设备另有规定的从其规定）、第三条（各行业通用的管理类情形）、第四条、"
          "第六条、第七条已对照网上转载的全文核实；第十一条（粉尘爆炸）、第十三条（有限空间）依据第三方按条号整理的"
          "材料，第十二条（液氨制冷）依据专项类三条的排列顺序，均未见原文逐字核对。GB 35181-2025 重大火灾隐患"
          "判定规则（2025年11月1日起施行）仅核实了前言：第3章新增劳动密集型企业、多业态混合生产经营场所等术语，"
          "第5章为直接判定要素，第6章为综合判定要素，附录A为火灾自动报警系统和固定灭火设施不能正常运行的判定；"
          "第5章、第6章内各条的条号未能从可检索的来源核实，因此只引到章，待核对正式文本后细化到条。",
          "**How the clauses were checked**: of the criteria for major accident hazards in industry and "
          "trade enterprises (Order No. 10 of the Ministry of Emergency "
          "Management, in force since 15 May 2023), articles 2 (hazardous chemicals, fire, gas and special "
          "equipment follow their own rules), 3 (management cases common to all trades), 4, 6 and 7 were "
          "checked against the text as republished online; article 11 (dust explosion) and 13 (confined spaces)"
          " rest on third-party material arranged by article number, article 12 (liquid-ammonia refrigeration) "
          "on the order of the three special-subject articles, none compared word for word. Of GB 35181-2025 "
          "(in force since 1 November 2025) only the foreword was checked: chapter 3 adds terms such as "
          "labour-intensive enterprise and mixed-use premises, chapter 5 holds the direct-determination "
          "elements, chapter 6 the comprehensive ones, annex A the rules for fire-alarm and fixed extinguishing"
          " systems that do not work. The clause numbers inside chapters 5 and 6 could not be verified from the"
          " sources we could search, so the rules cite the chapter, to be refined to the clause against the "
          "official text."),
    ]) + "\n"


def closures_lines(model: Model, lang: str = "zh", term: Callable[[str], str] = str) -> list[str]:
    """The section on closures that are checked (``[closures]``, issue 17 part 3): the
    re-inspection sample, the flags, the survival rate and the escalation ladder."""
    c = model.closures
    if c is None:
        return []
    w = _pick(lang)
    sep = w("、", ", ")
    per = sep.join(f"{term(lv)} {n}" for lv, n in c.per_stratum.items())
    levels = sep.join(map(term, c.same_day_levels))
    step_keys = sep.join(f"`{k}`" for k in ("id", "action", "level", "overdue_days"))
    lines = [
        "", w("## 销号复查与逾期升级（`[closures]`）",
              "## Closures that are checked, and escalation (`[closures]`)"), "",
        w("销号：验收销号日期（`closed_on`）不晚于评估日的隐患。抽样与异常规则只看评估日前 "
          f"{c.window_days} 天内（含评估日，`window_days`）的销号。",
          "A closure is a hazard whose acceptance date (`closed_on`) is on or before the assessment date. The "
          f"sample and the flags look at the closures of the {c.window_days} days up to and including it "
          "(`window_days`)."), "",
        w("**复查抽样**（`[closures.sample]`）：按“隐患等级 × 责任部门”分层，每层按等级抽取 "
          "`[[closures.sample.per_stratum]]` 所列项数（每项 `level` 等级、`count` 项数："
          f"{per}；不足则全取，未列的等级不抽）。"
          "候选按隐患编号排序，各层依等级（重大在先）、部门的顺序，从同一随机种子依次不放回抽取："
          "同样的数据和种子得到同样的样本；每次抽样的种子、样本与各层数目写入抽样记录"
          "（`recheck_sample_log.jsonl`）和审计日志。",
          "**Re-inspection sample** (`[closures.sample]`): strata are hazard level × responsible department; "
          "from each, the number `[[closures.sample.per_stratum]]` gives for its level is drawn (each entry a "
          f"`level` and a `count`: {per}; all of them where fewer, none of a level not listed). Candidates are "
          "put in hazard-id order and the strata visited by level (major first) then department, drawing "
          "without replacement from one seeded generator: the same data and seed give the same sample. "
          "Each draw's seed, sample and stratum counts go to the sample log (`recheck_sample_log.jsonl`) and "
          "the audit log."), "",
        w("**疑似异常销号**（`[closures.flags]`），每条规则及其阈值：",
          "**Closures that look wrong** (`[closures.flags]`), each a rule with its threshold:"), "",
        w("| 规则 | 条件 | 阈值 |", "| Rule | Condition | Threshold |"), "|---|---|---|",
        w("| 当天销号（`[closures.flags.same_day]`） | 发现后不超过 `max_days` 天即验收销号，"
          f"限于 `levels` 所列等级 | {c.same_day_max_days} 天；{levels} |",
          "| Closed the day found (`[closures.flags.same_day]`) | closed at most `max_days` days after it "
          f"was found, for the levels `levels` | {c.same_day_max_days} days; {levels} |"),
        w("| 集中销号（`[closures.flags.batch]`） | 同一责任部门同一天销号的项数不少于 `min_count`，且不少于该部门"
          "窗口内日均销号的 `times_usual` 倍（向上取整） | "
          f"{c.batch_min_count} 项；{c.batch_times_usual:g} 倍 |",
          "| Closed in a batch (`[closures.flags.batch]`) | at least `min_count` hazards closed on one day by "
          "one responsible department, and at least `times_usual` times the department's closures per day of "
          f"the window (rounded up) | {c.batch_min_count}; {c.batch_times_usual:g} times |")]
    for by, n, share in c.deadline_exact:
        who = w("同一企业", "one enterprise") if by == "enterprise" else w("同一责任部门", "one department")
        lines.append(w(f"| 屡次踩线（`[[closures.flags.deadline_exact]]`，`by` = `{by}`） | 窗口内{who}"
                       "恰在整改期限当天完成整改的隐患不少于 `min_count` 项，且占其窗口内销号的比例不低于 "
                       f"`min_share`；这些隐患均标记 | {n} 项；{share:.0%} |",
                       f"| Deadline met to the day (`[[closures.flags.deadline_exact]]`, `by` = `{by}`) | at "
                       f"least `min_count` closures of the window by {who} rectified exactly on their deadline, "
                       f"and at least `min_share` of its closures of the window; each of them is flagged | {n}; "
                       f"{share:.0%} |"))
    lines += [
        w("| 销号时风险分上升（`[closures.flags.score_rose]`） | 企业在销号当天的得分（全部因子按当天计算）"
          f"比发现当天高出不少于 `min_points` 分 | {c.score_rose_min_points:g} 分 |",
          "| Score rose while open (`[closures.flags.score_rose]`) | the enterprise's score on the closing day "
          "(every factor as of that day) exceeds its score on the day found by at least `min_points` | "
          f"{c.score_rose_min_points:g} points |"), "",
        w("**复查属实率**：截至评估日已销号、且销号当天或之后有复查记录（复查记录表 `recheck`，"
          "复查结果为属实整改、未整改或复发）的隐患中，首次复查结果为“属实整改”的比例；同一天两次复查"
          "取编号小者。与整改率并列（`scoring.report.hazard_figures` 按区域，隐患闭环按统计期："
          "首次复查落在期内的销号）；没有复查记录时不计（不是 0%）。",
          "**Closures surviving re-check**: of the hazards closed by the assessment date that have a re-check "
          "on or after the closing day (the `recheck` ledger; outcome truly rectified, not rectified or "
          "recurred), the share whose first such re-check found them truly rectified; of two on one day, the "
          "lower id counts. Shown beside the rectification rate (per area in "
          "`scoring.report.hazard_figures`; per period on the Hazard closure page: the closures whose first "
          "re-check falls in it); with no re-check there is no rate (not 0 %)."), "",
        w(f"**逾期升级**（`[[closures.escalation]]`）：每级 {step_keys}。未整改隐患超过整改期限 "
          "`overdue_days` 天（期限次日为逾期 1 天）即达到该级，日期为整改期限加 `overdue_days` 天；"
          "建议的是已达到的最高一级，除非该级或更高一级已确认。确认由有决定权限的人（安委办、管理员）"
          "在隐患闭环逐项点击，写入升级记录（`escalation_log.jsonl`）和审计日志；交办清单列出每项的"
          "升级建议、日期与确认状态。",
          f"**Escalation** (`[[closures.escalation]]`): each step {step_keys}. An open hazard "
          "`overdue_days` days past its deadline (the day after the deadline is 1 day over) has reached the "
          "step, on the deadline plus `overdue_days`; the proposal is the highest step reached unless it or a "
          "higher one is confirmed. A person allowed to decide (the safety office, an administrator) confirms "
          "it, hazard by hazard, on the Hazard closure page; the escalation log (`escalation_log.jsonl`) and "
          "the audit log keep it, and the assigned list shows each hazard's step, its date and whether it is "
          "confirmed."), "",
        w("| 级别 | 措施 | 层级 | 逾期天数 |", "| Step | Action | Level | Days overdue |"), "|---|---|---|---:|"]
    for step in c.escalation:
        name = w(f"{step.name}（`{step.id}`）", f"{term(step.name)} (`{step.id}`)")
        lines.append(f"| {name} | {term(step.action)} | {term(step.level)} | {step.overdue_days} |")
    return lines
