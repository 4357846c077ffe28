"""The methodology text, generated from the model config so that the two cannot disagree."""

from __future__ import annotations

from scoring.model import Model

KIND_TEXT = {
    "flag": "是 = 满分",
    "cap": "min(值, {cap:g}) / {cap:g}",
    "ramp": "({lo:g} 以下为 0，{hi:g} 以上满分，线性)",
    "log": "ln(1+值) / ln(1+{ref:g})，封顶 1",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def model_markdown(model: Model) -> str:
    """Markdown tables of factors, direct rules, tiers, the area index and listing rules."""
    lines = [f"# {model.title}（版本 {model.version}）", "",
             "企业得分 = 各因子得分之和；因子得分 = 权重 × 折算值（0–1）。本文件由 "
             "`python -m riskmap model` 从 `scoring/model.toml` 生成，请勿手改。", "",
             f"满分 {model.max_score:g} 分。", "",
             "## 因子", "", "| 类别 | 因子 | 权重 | 折算 | 定义 | 依据 |", "|---|---|---:|---|---|---|"]
    for f in model.factors:
        lines.append(f"| {f.group} | {f.name}（`{f.id}`） | {f.weight:g} | "
                     f"{KIND_TEXT[f.kind].format(**f.params)} | {_cell(f.definition)} | {_cell(f.source)} |")
    lines += ["", "## 直接判定", "", "不论得分，满足即定级。", "", "| 规则 | 条件 | 定为 | 依据 |", "|---|---|---|---|"]
    for r in model.direct_rules:
        lines.append(f"| {r.name} | `{r.measure}` ≥ {r.min:g} | {r.tier} | {_cell(r.source)} |")
    lines += ["", "## 风险等级与检查频次", "",
              "检查间隔为本地默认设置，并非国家统一规定，可在配置中调整。", "",
              "| 等级 | 颜色 | 得分下限 | 检查间隔（天） |", "|---|---|---:|---:|"]
    for t in model.tiers:
        lines.append(f"| {t.name} | {t.color} | {t.min_score:g} | {t.inspect_every_days} |")
    if model.area_index:
        a = model.area_index
        lines += ["", "## 区域风险指数（0–100）", "",
                  f"各指标在同级区域间按第 {a.winsorise[0]:.0%}、{a.winsorise[1]:.0%} 分位缩尾，"
                  "再线性归一到 0–10，按权重加权平均后乘以 10（OECD-JRC 综合指标手册、INFORM 方法）。"
                  f"企业少于 {a.min_enterprises} 家的区域标注“样本不足”。", "",
                  "| 指标 | 权重 | 定义 |", "|---|---:|---|"]
        for i in a.indicators:
            lines.append(f"| {i.name}（`{i.id}`） | {i.weight:g} | {_cell(i.definition)} |")
    for title, listing in (("乡镇挂牌督办", model.township_listing), ("企业重大隐患挂牌督办", model.enterprise_listing)):
        if listing is None:
            continue
        lines += ["", f"## {title}", "", f"满足任一条件即挂牌，级别取最高者；整改期限 {listing.deadline_days} 天。"
                  f"摘牌条件：{listing.delisting}", "", "| 条件 | 指标 | 阈值 | 级别 |", "|---|---|---|---|"]
        for rule in listing.rules:
            bound = f"≥ {rule.min:g}" if rule.min is not None else f"≤ {rule.max:g}"
            lines.append(f"| {rule.name} | `{rule.indicator}` | {bound} | {rule.level} |")
    return "\n".join(lines) + "\n"
