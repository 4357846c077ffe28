"""The methodology text, generated from the model config so that the two cannot disagree.

Every section names the table of ``model.toml`` it comes from and every key it reads, in
backticks (a test checks that no key of the file is left out).
"""

from __future__ import annotations

from scoring.model import SOURCES, Measure, Model

KIND_TEXT = {
    "flag": "是 = 满分",
    "cap": "min(值, {cap:g}) / {cap:g}",
    "ramp": "({lo:g} 以下为 0，{hi:g} 以上满分，线性)",
    "log": "ln(1+值) / ln(1+{ref:g})，封顶 1",
}
STATUS_TEXT = {"open": "未整改", "overdue": "逾期未整改", "rectified": "已整改"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _keys(*keys: str) -> str:
    return "、".join(f"`{k}`" for k in keys)


def measure_rule(m: Measure) -> str:
    """How a measure is computed, in words, from its declaration."""
    kept = "、".join(x for x in (STATUS_TEXT.get(m.status or ""), m.level and f"{m.level}级") if x)
    records = f"{kept}的记录" if kept else "记录"
    if m.aggregate == "count":
        text = f"{records}条数"
    elif m.aggregate == "sum":
        text = f"{records}的 `{m.column}` 之和"
    elif m.aggregate == "latest":
        text = f"最近一条{records}的日期"
    elif m.aggregate == "days_since":
        text = f"距最近一条{records}的天数，没有记录为 {m.never}"
    elif m.aggregate == "repeats":
        text = f"`{m.by}` 相同的{records}不少于 {m.min_count} 条的 `{m.by}` 个数"
    else:  # covered
        text = f"最近一条{records}距评估日不超过 {m.window_days} 天的企业占比"
    return f"{text}（`{m.aggregate}`）"


def _window(m: Measure) -> str:
    if m.window_days is None:
        return "—"
    text = f"{m.window_days} 天" if m.aggregate == "covered" else f"评估日前 {m.window_days} 天"
    return f"{text}（同 `{m.window_of}`）" if m.window_of else text


def model_markdown(model: Model) -> str:
    """Markdown tables of factors, measures, direct rules, tiers, the area index, the listing
    rules, the inspection plan and the robustness analysis."""
    lines = [f"# {model.title}（版本 {model.version}）", "",
             "企业得分 = 各因子得分之和；因子得分 = 权重 × 折算值（0–1）。本文件由 "
             "`python -m riskmap model` 从 `scoring/model.toml` 生成，请勿手改；反引号内为配置文件中的表名和键名"
             "（模型名称 `title`，版本号 `version`，写入每张结果表）。", "",
             f"满分 {model.max_score:g} 分。", "",
             "## 因子（`[[factor]]`）", "",
             f"每个因子：{_keys('id', 'name', 'group', 'kind', 'measure', 'weight', 'definition', 'source')}。"
             "折算方式 `kind`：`flag` 是 = 满分；`cap` min(值, `cap`) / `cap`；"
             "`ramp` (值 − `lo`) / (`hi` − `lo`)，截在 0–1；`log` ln(1+值) / ln(1+`ref`)，封顶 1。", "",
             "| 类别 | 因子 | 指标 | 权重 | 折算 | 定义 | 依据 |", "|---|---|---|---:|---|---|---|"]
    for f in model.factors:
        lines.append(f"| {f.group} | {f.name}（`{f.id}`） | `{f.measure}` | {f.weight:g} | "
                     f"{KIND_TEXT[f.kind].format(**f.params)} | {_cell(f.definition)} | {_cell(f.source)} |")

    lines += ["", "## 指标（`[[measure]]`）", "",
              "从台账按评估日计算，SQL 由下列声明生成：每条记录只在其自身日期（隐患为发现日期 `found_on`，"
              "检查、执法、事故为 `date`）不晚于评估日时计入；有时间窗 `window_days` 的，只计评估日前 "
              "`window_days` 天内（含评估日）的记录。隐患在评估日未整改：整改完成日期为空或晚于评估日；"
              "逾期：未整改且整改期限早于评估日。企业自身的属性（危化品、粉尘、从业人数、违法建筑面积、是否在园区等）"
              "按台账原值读取。", "",
              f"每个指标：{_keys('id', 'name', 'source', 'aggregate', 'window_days', 'definition')}；"
              f"隐患可按状态 `status`（`open` 未整改、`overdue` 逾期未整改、`rectified` 已整改）和等级 `level` 筛选；"
              f"`sum` 求和的列 `column`；`days_since` 没有记录时的天数 `never`；`repeats` 分组的列 `by` 和最少条数 "
              f"`min_count`；`window_of` 与前面某个指标共用时间窗（如整改率的分子与分母、事故起数与死亡人数）；"
              f"`per` 为 `area` 的按区域计算（含未关联企业的记录），默认 `enterprise` 按企业。"
              "文字中的 {指标.window_years} 等写法引用指标的时间窗，改时间窗只需改一处。", "",
              "| 指标 | 台账 | 计算 | 时间窗 | 按 | 定义 |", "|---|---|---|---|---|---|"]
    for m in model.declared_measures:
        lines.append(f"| {m.name}（`{m.id}`） | {SOURCES[m.source][1]}（`{m.source}`） | {_cell(measure_rule(m))} | "
                     f"{_window(m)} | {'区域' if m.per == 'area' else '企业'} | {_cell(m.definition)} |")

    lines += ["", "## 直接判定（`[[direct_rule]]`）", "", "不论得分，满足即定级。", "",
              f"每条规则：{_keys('id', 'name', 'measure', 'min', 'tier', 'source')}。", "",
              "| 规则 | 条件 | 定为 | 依据 |", "|---|---|---|---|"]
    for r in model.direct_rules:
        lines.append(f"| {r.name}（`{r.id}`） | `{r.measure}` ≥ {r.min:g} | {r.tier} | {_cell(r.source)} |")

    lines += ["", "## 风险等级与检查频次（`[[tier]]`）", "",
              "检查间隔为本地默认设置，并非国家统一规定，可在配置中调整。", "",
              f"每个等级：{_keys('id', 'name', 'color', 'rgb', 'high', 'min_score', 'inspect_every_days')}"
              "（`id` 为区域表中该等级企业数的列名 `n_<id>`，`rgb` 为地图颜色，`high` 的等级计入“"
              f"{'、'.join(model.high_tiers)}风险企业”）。", "",
              "| 等级 | 颜色 | 地图颜色（RGB） | 高风险 | 得分下限 | 检查间隔（天） |", "|---|---|---|---|---:|---:|"]
    for t in model.tiers:
        lines.append(f"| {t.name}（`{t.id}`） | {t.color} | {', '.join(map(str, t.rgb))} | "
                     f"{'是' if t.high else '否'} | {t.min_score:g} | {t.inspect_every_days} |")

    if model.area_index:
        a = model.area_index
        lines += ["", "## 区域风险指数（0–100，`[area_index]`）", "",
                  f"各指标在同级区域间按第 {a.winsorise[0]:.0%}、{a.winsorise[1]:.0%} 分位缩尾（`winsorise`），"
                  "再线性归一到 0–10，按权重加权平均后乘以 10（OECD-JRC 综合指标手册、INFORM 方法）。"
                  f"企业少于 {a.min_enterprises} 家（`min_enterprises`）的区域标注“样本不足”。", "",
                  f"指标（`[[area_index.indicator]]`）：{_keys('id', 'name', 'weight', 'definition')}。", "",
                  "| 指标 | 权重 | 定义 |", "|---|---:|---|"]
        for i in a.indicators:
            lines.append(f"| {i.name}（`{i.id}`） | {i.weight:g} | {_cell(i.definition)} |")
    for title, section, listing in (("乡镇挂牌督办", "township_listing", model.township_listing),
                                    ("企业重大隐患挂牌督办", "enterprise_listing", model.enterprise_listing)):
        if listing is None:
            continue
        lines += ["", f"## {title}（`[{section}]`）", "",
                  f"满足任一条件即挂牌，级别取最高者；整改期限 {listing.deadline_days} 天（`deadline_days`）。"
                  f"摘牌条件（`delisting`）：{listing.delisting}", "",
                  f"条件（`[[{section}.rule]]`）：{_keys('id', 'name', 'indicator', 'min', 'max', 'level')}"
                  "（`min` 为不低于、`max` 为不高于即挂牌）。", "",
                  "| 条件 | 指标 | 阈值 | 级别 |", "|---|---|---|---|"]
        for rule in listing.rules:
            bound = f"≥ {rule.min:g}" if rule.min is not None else f"≤ {rule.max:g}"
            lines.append(f"| {rule.name}（`{rule.id}`） | `{rule.indicator}` | {bound} | {rule.level} |")

    p, rb = model.plan, model.robustness
    lines += ["", "## 检查计划（`[plan]`）", "",
              f"交办的检查任务限 {p.assign_days} 天内完成（`assign_days`）；双随机抽查每户派检查人员 "
              f"{p.inspectors_per_target} 名（`inspectors_per_target`）。",
              "", "## 权重稳健性（`[robustness]`）", "",
              f"每次模拟把每个因子的权重乘以 [1 − {rb.spread:g}, 1 + {rb.spread:g}] 内独立均匀抽取的系数"
              f"（`spread`，即 ±{rb.spread:.0%}），重算企业得分、乡镇指数和挂牌，共 {rb.draws} 次（`draws`），"
              f"随机种子 {rb.seed}（`seed`）。挂牌频率不低于 {rb.stable_listed:.0%}（`stable_listed`）为“稳定挂牌”，"
              f"不高于 {rb.stable_unlisted:.0%}（`stable_unlisted`）为“稳定不挂牌”，其间为“临界”。"]
    return "\n".join(lines) + "\n"
