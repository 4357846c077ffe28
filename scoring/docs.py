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
              w(f"每条规则：{keys('id', 'name', 'measure', 'min', 'tier', 'source')}。",
                f"Each rule: {keys('id', 'name', 'measure', 'min', 'tier', 'source')}."), "",
              w("| 规则 | 条件 | 定为 | 依据 |", "| Rule | Condition | Tier | Source |"), "|---|---|---|---|"]
    for r in model.direct_rules:
        lines.append(f"| {named(r.name, r.id)} | `{r.measure}` ≥ {r.min:g} | {term(r.tier)} | {_cell(r.source)} |")

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
    lines += closures_lines(model, lang, term)
    return "\n".join(lines) + "\n"


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
