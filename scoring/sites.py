"""Sites shared by several enterprises (出租分租, 厂中厂, 多业态混合生产经营场所): who shares a
site, the site's own open hazards, and the site score rolled up from its tenants.

Who shares a site (``[site]`` of ``model.toml``; docs/MODEL.md):

- enterprises giving the same 场所编号 (``enterprise.site_id``) share that site, whatever their
  addresses say;
- with ``group_by_address``, enterprises without one share a site when their addresses name the
  same building: the address, blanks dropped and full-width digits folded, up to its first house
  number ``…N号`` (``N号路``, ``N号街`` … are roads and read on). An address without a house number
  groups nothing; a group of more than ``address_max_tenants`` is taken for a registration
  address, not a building. Only groups of two or more make an address site.

An enterprise in neither is a site of one: its site score would be its own score, so it is not
stored. A site's own hazards are the hazard rows carrying its 场所编号 (``hazard.site_id``): the
shared fire lane, the charging point, the gas line — recorded against the enterprise where they
were found (a hazard must name one) and counted again, once, for the whole site.

The score (:func:`site_scores`) is a pure function of literal frames; :func:`site_outputs`
reads them from the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from scoring.model import HAZARD_LEVEL_IDS, HAZARD_LEVELS, Model, SiteConfig
from scoring.sql import hazard_open

#: Characters after ``N号`` that make it part of a road's name (1号路, 2号街, 3号大道 …), not a house number.
ROAD_WORDS = "路街道巷弄线"
#: The prefix of a site key made from an address (a 场所编号 is used as it is).
ADDRESS_PREFIX = "地址:"


def _unblanked_sql(a: str) -> str:
    """SQL: ``a`` without blanks (only addresses holding one are rewritten)."""
    blank = " OR ".join(f"contains({a}, {c})" for c in ("' '", "'\u3000'", "chr(9)"))
    return f"CASE WHEN {blank} THEN regexp_replace({a}, '[\\s\\x{{3000}}]+', '', 'g') ELSE {a} END"


def _building_sql(a: str, p: str) -> str:
    """SQL: the building of an address ``a`` without blanks whose first 号 is at ``p``.

    Most addresses have one ``N号`` with ASCII digits: their key is the address up to it, by
    plain string functions; only the others go through the regular expression (at a million
    enterprises the expression alone took seconds)."""
    after_char = f"substr({a}, {p} + 1, 1)"
    fast = (f"{p} > 1 AND substr({a}, {p} - 1, 1) BETWEEN '0' AND '9' "
            f"AND ({after_char} = '' OR NOT contains('{ROAD_WORDS}大', {after_char}))")
    after = f"(?:[^{ROAD_WORDS}大]|大[^道]|大$|$)"  # 3号大道 is a road, 3号大楼 a house number
    slow = f"regexp_extract(translate({a}, '０１２３４５６７８９', '0123456789'), '^(.*?[0-9]+号){after}', 1)"
    return f"nullif(CASE WHEN {p} = 0 THEN '' WHEN {fast} THEN left({a}, {p}) ELSE {slow} END, '')"


def address_key_sql(column: str) -> str:
    """SQL: the building an address names (see the module text), or NULL (one expression;
    :func:`site_members` computes the same in stages)."""
    a = f"({_unblanked_sql(column)})"
    return _building_sql(a, f"strpos({a}, '号')")


def site_members(con: duckdb.DuckDBPyConnection, config: SiteConfig) -> pd.DataFrame:
    """Every enterprise in a site: ``uscc``, ``site_key``, ``site_id`` (the 场所编号, NULL for an
    address site), ``basis`` (``site_id`` or ``address``)."""
    explicit = con.execute("""SELECT uscc, trim(site_id) AS site_key, trim(site_id) AS site_id, 'site_id' AS basis
                              FROM enterprise WHERE nullif(trim(site_id), '') IS NOT NULL""").df()
    if not config.group_by_address:
        return explicit.sort_values(["site_key", "uscc"], kind="mergesort").reset_index(drop=True)
    # In stages, each column computed once (DuckDB repeated the long expression in its filters).
    by_address = con.execute(f"""
        WITH a AS MATERIALIZED (SELECT uscc, {_unblanked_sql('address')} AS a FROM enterprise
                                WHERE nullif(trim(site_id), '') IS NULL AND address IS NOT NULL),
        p AS MATERIALIZED (SELECT uscc, a, strpos(a, '号') AS p FROM a),
        k AS MATERIALIZED (SELECT uscc, {_building_sql('a', 'p')} AS akey FROM p WHERE p > 0),
        shared AS (SELECT akey FROM k WHERE akey IS NOT NULL GROUP BY akey
                   HAVING count(*) BETWEEN 2 AND {int(config.address_max_tenants)})
        SELECT k.uscc, '{ADDRESS_PREFIX}' || k.akey AS site_key, NULL::VARCHAR AS site_id, 'address' AS basis
        FROM k SEMI JOIN shared USING (akey)""").df()
    out = pd.concat([explicit, by_address], ignore_index=True) if len(by_address) else explicit
    return out.sort_values(["site_key", "uscc"], kind="mergesort").reset_index(drop=True)


def site_tenants(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The members with what a site reads of each tenant: its score and tier (``scores``:
    ``uscc``, ``score``, ``tier``), name, industry, place and the site columns of the ledger."""
    con.register("_members", members[["uscc"]])
    try:
        own = con.execute("""SELECT e.uscc, e.name, e.industry, e.site_name, e.landlord, e.landlord_uscc,
                                    e.park_id, e.township_code, e.grid_id, e.lon, e.lat
                             FROM enterprise e SEMI JOIN _members m USING (uscc)""").df()
    finally:
        con.unregister("_members")
    return members.merge(own, on="uscc").merge(scores[["uscc", "score", "tier"]], on="uscc")


def open_site_hazards(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Open hazards (as of ``as_of``) carrying a 场所编号: ``site_id``, ``level``, ``n``."""
    return con.execute(f"""SELECT trim(site_id) AS site_id, level, count(*) AS n FROM hazard
                           WHERE nullif(trim(site_id), '') IS NOT NULL AND {hazard_open('$t')}
                           GROUP BY ALL ORDER BY ALL""", {"t": as_of}).df()


def _mode(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Per key, the most frequent non-empty value (ties: the smallest), NaN where there is none."""
    df = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy()})
    df = df[df["v"].notna() & (df["v"].astype(str).str.strip() != "")]
    if df.empty:
        return pd.Series(dtype=object)
    counts = df.groupby(["k", "v"]).size().reset_index(name="n")
    counts = counts.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("k").set_index("k")["v"]


def site_scores(tenants: pd.DataFrame, hazards: pd.DataFrame, model: Model,
                names: dict[str, str] | None = None, operators: dict[str, str] | None = None) -> pd.DataFrame:
    """The score of each site from its tenants and its own open hazards.

    Parameters
    ----------
    tenants : DataFrame
        One row per tenant: ``site_key``, ``site_id``, ``basis``, ``uscc``, ``name``,
        ``industry``, ``score``, ``tier``, and (optional) ``site_name``, ``landlord``,
        ``landlord_uscc``, ``park_id``, ``township_code``, ``grid_id``, ``lon``, ``lat``.
    hazards : DataFrame
        Open site hazards: ``site_id``, ``level`` (一般/较大/重大), ``n``.
    names : enterprise names by credit code (a landlord given only by its code is named by it).
    operators : park operators by park id (the coordinator of a park site without a landlord).

    Returns
    -------
    DataFrame
        One row per site, highest score first: ``site_key``, ``site_id``, ``basis``, ``name``,
        ``tenants``, ``industries``, ``top_uscc``, ``top_name``, ``tenant_max`` (points of the
        highest tenant), ``c_crowding``, ``c_mixed``, ``c_hazards`` (points each term adds),
        ``score`` (their sum), ``points_tier``, ``top_tier``, ``tier``, ``tier_from`` (what set
        the tier: ``points``, ``tenant``, ``site_major_hazard``, ";" joined), ``open_site_hazards``,
        ``open_site_major``, ``landlord``, ``landlord_uscc``, ``coordinator``,
        ``coordinator_basis`` (``landlord``, ``park_operator`` or ``none``), ``park_id``,
        ``township_code``, ``grid_id``, ``lon``, ``lat``.
    """
    cfg = model.site
    assert cfg is not None, "the model has no [site]"
    names, operators = names or {}, operators or {}
    t = tenants.copy()
    for col in ("site_name", "landlord", "landlord_uscc", "park_id", "township_code", "grid_id", "industry"):
        if col not in t:
            t[col] = None
    for col in ("lon", "lat"):
        if col not in t:
            t[col] = np.nan
    rank = {tier.name: i for i, tier in enumerate(model.tiers)}  # 0 = highest
    t["_rank"] = t["tier"].map(rank).fillna(len(model.tiers) - 1).astype(int)
    # The highest tenant: highest score, then highest tier, then the smallest credit code.
    t = t.sort_values(["site_key", "score", "_rank", "uscc"], ascending=[True, False, True, True], kind="mergesort")
    g = t.groupby("site_key", sort=True)
    top = g.head(1).set_index("site_key")
    out = pd.DataFrame(index=top.index)
    out["site_id"] = top["site_id"]
    out["basis"] = top["basis"]
    out["tenants"] = g.size()
    industry = t["industry"].where(t["industry"].notna() & (t["industry"].astype(str).str.strip() != ""))
    out["industries"] = industry.groupby(t["site_key"]).nunique().reindex(out.index).fillna(0).astype(int)
    out["top_uscc"], out["top_name"] = top["uscc"], top["name"]
    out["tenant_max"] = top["score"].astype(float)
    out["top_tier"] = g["_rank"].min().map(lambda i: model.tiers[i].name)
    out["c_crowding"] = np.minimum(cfg.crowding_cap, cfg.per_extra_tenant * (out["tenants"] - 1))
    out["c_mixed"] = np.minimum(cfg.mixed_cap, cfg.per_extra_industry * np.maximum(out["industries"] - 1, 0))

    h = hazards[hazards["level"].isin(HAZARD_LEVELS)] if len(hazards) else hazards
    by_id = {}
    major = {}
    total = {}
    for sid, part in (h.groupby("site_id") if len(h) else []):
        by_id[sid] = float(sum(cfg.hazard_points[lv] * n for lv, n in zip(part["level"], part["n"])))
        major[sid] = int(part.loc[part["level"] == "重大", "n"].sum())
        total[sid] = int(part["n"].sum())
    sid = out["site_id"]
    out["c_hazards"] = np.minimum(cfg.hazard_cap, sid.map(by_id).fillna(0.0).astype(float))
    out["open_site_hazards"] = sid.map(total).fillna(0).astype(int)
    out["open_site_major"] = sid.map(major).fillna(0).astype(int)
    parts = ["tenant_max", "c_crowding", "c_mixed", "c_hazards"]
    out[parts[1:]] = out[parts[1:]].round(6)
    out["score"] = out[parts].sum(axis=1).round(6)

    by_points = np.full(len(out), len(model.tiers) - 1)
    for i, tier in reversed(list(enumerate(model.tiers))):
        by_points = np.where(out["score"].to_numpy() >= tier.min_score, i, by_points)
    top_rank = out["top_tier"].map(rank).to_numpy()
    hazard_rank = np.where(out["open_site_major"].to_numpy() > 0, rank[cfg.major_hazard_tier], len(model.tiers))
    final = np.minimum(np.minimum(by_points, top_rank), hazard_rank)
    tiers = np.array([tier.name for tier in model.tiers], dtype=object)
    out["points_tier"] = tiers[by_points]
    out["tier"] = tiers[final]
    out["tier_from"] = [";".join(w for w, r in (("points", p), ("tenant", tr), ("site_major_hazard", hr)) if r == f)
                        for p, tr, hr, f in zip(by_points, top_rank, hazard_rank, final)]

    place = out.index.to_series()
    for col in ("site_name", "landlord", "landlord_uscc", "park_id", "township_code", "grid_id"):
        out[col] = _mode(t[col], t["site_key"]).reindex(out.index)
    given = out["site_name"]
    out["name"] = given.where(given.notna(), place.str.removeprefix(ADDRESS_PREFIX))
    out["lon"] = g["lon"].mean()
    out["lat"] = g["lat"].mean()
    landlord = out["landlord"].where(out["landlord"].notna(), out["landlord_uscc"].map(names))
    operator = out["park_id"].map(operators)
    out["coordinator"] = landlord.where(landlord.notna(), operator)
    out["coordinator_basis"] = np.where(landlord.notna(), "landlord",
                                        np.where(operator.notna(), "park_operator", "none"))
    out = out.reset_index().rename(columns={"index": "site_key"})
    order = ["site_key", "site_id", "basis", "name", "tenants", "industries", "top_uscc", "top_name", "tenant_max",
             "c_crowding", "c_mixed", "c_hazards", "score", "points_tier", "top_tier", "tier", "tier_from",
             "open_site_hazards", "open_site_major", "landlord", "landlord_uscc", "coordinator",
             "coordinator_basis", "park_id", "township_code", "grid_id", "lon", "lat"]
    out = out[order].sort_values(["score", "site_key"], ascending=[False, True], kind="mergesort")
    return _typed(out.reset_index(drop=True))


#: Column types of ``site_score`` that pandas cannot tell from an empty frame (stored as written).
INT_COLUMNS = ("tenants", "industries", "open_site_hazards", "open_site_major")
FLOAT_COLUMNS = ("tenant_max", "c_crowding", "c_mixed", "c_hazards", "score", "lon", "lat")


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Text as text, counts as integers, points as floats, also with no row (an empty table
    stored with NULL-typed columns would break every query that sorts or compares them)."""
    return df.astype({c: "int64" if c in INT_COLUMNS else "float64" if c in FLOAT_COLUMNS else "string"
                      for c in df.columns})


def site_outputs(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model,
                 scores: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``site_score`` (:func:`site_scores`) and ``site_tenant`` (``site_key``, ``uscc``) for the
    enterprises of ``con`` scored in ``scores`` (``uscc``, ``score``, ``tier``)."""
    assert model.site is not None
    members = site_members(con, model.site)
    tenants = site_tenants(con, members, scores)
    names = dict(con.execute("""SELECT e.uscc, e.name FROM enterprise e
                                WHERE e.uscc IN (SELECT landlord_uscc FROM enterprise)""").fetchall())
    operators = dict(con.execute("SELECT park_id, operator FROM park WHERE operator IS NOT NULL").fetchall())
    sites = site_scores(tenants, open_site_hazards(con, as_of), model, names, operators)
    return {"site_score": sites, "site_tenant": _typed(tenants[["site_key", "uscc"]].reset_index(drop=True))}


def site_markdown(model: Model, lang: str = "zh", term: Callable[[str], str] = str) -> list[str]:
    """The methodology section of ``[site]`` (lines of Markdown), in ``lang``."""
    cfg = model.site
    if cfg is None:
        return []
    zh = lang != "en"
    hp = cfg.hazard_points
    ids = {lv: k for k, lv in HAZARD_LEVEL_IDS.items()}
    points = "、".join(f"{lv}（`{ids[lv]}`）{hp[lv]:g} 分" for lv in HAZARD_LEVELS) if zh else \
        ", ".join(f"{term(lv)} (`{ids[lv]}`) {hp[lv]:g}" for lv in HAZARD_LEVELS)
    if zh:
        return ["", f"## {cfg.name}（`[site]`）", "",
                "一栋厂房、一个地块由多家企业共用（出租分租、厂中厂、多业态混合生产经营场所）时，"
                "场所的风险不等于任何一家企业的风险。场所得分按下式在每次计算评分时算出，存入 `site_score` 表"
                "（租户名单在 `site_tenant`），在“园区”页和每家租户的一企一档中显示：", "",
                "场所得分 = 最高的租户得分 + 多租户分 + 多业态分 + 场所隐患分", "",
                f"- 多租户分 = min(`crowding_cap` {cfg.crowding_cap:g}，`per_extra_tenant` {cfg.per_extra_tenant:g} "
                "× (租户数 − 1))：经营者越多，消防通道、疏散和用电越难统一管理；",
                f"- 多业态分 = min(`mixed_cap` {cfg.mixed_cap:g}，`per_extra_industry` {cfg.per_extra_industry:g} "
                "× (行业数 − 1))：不同行业的火灾和事故危险叠加在同一建筑内（GB 35181-2025 把多业态混合生产经营场所"
                "列为判定重大火灾隐患时要考虑的场所）；",
                f"- 场所隐患分 = min(`hazard_cap` {cfg.hazard_cap:g}，未整改场所隐患按等级计分之和)，"
                f"分值见 `hazard_points`（即 `[site.hazard_points]`：{points}）。",
                "",
                "取最高的租户得分而不取平均：火灾会沿共用的结构和通道蔓延，一家高风险租户危及全楼，"
                "取平均会把它稀释在低风险租户之中——这正是要单独评估场所的原因。"
                "三项附加分只计任何一家企业得分都看不到的部分，并各有上限，"
                f"最多在最高租户得分之上再加 {cfg.max_extra:g} 分。",
                "",
                "风险等级：按得分套用上面的等级下限；不低于最高租户的等级；有未整改的重大场所隐患时定为"
                f"{term(cfg.major_hazard_tier)}（`major_hazard_tier`）。",
                "",
                "哪些企业同在一个场所：企业台账填写了相同“场所编号”的（可选列，另有“所在建筑”“房东（产权单位）”"
                "“产权单位统一社会信用代码”）；没有场所编号的，按地址归并（`group_by_address`）——去掉空格、"
                "全角数字转半角后，取到第一个门牌号“……N号”为止（“N号路”“N号街”等是路名，不算门牌）；"
                "没有门牌号的地址不归并；同一门牌下超过 "
                f"{cfg.address_max_tenants} 家（`address_max_tenants`）的视为注册地址而不是一栋建筑，也不归并。"
                "两种办法都不属于的企业自成一个场所，场所得分即其自身得分，不另行存储；没有这些列的台账照常导入。",
                "",
                "场所自身的隐患（共用消防通道、电动车充电、燃气等）：隐患台账中填写了“场所编号”的隐患。"
                "隐患仍须记在发现它的企业名下（计入该企业得分），并为整个场所再计一次，因为它危及每一家租户。",
                "",
                "协调责任：房东（产权单位）负责统一协调场所的消防和安全管理；租户未填房东的，"
                "按产权单位信用代码对应的企业名称；仍没有的，园区内的场所列园区运营单位；否则显示“未登记”。",
                "", f"依据（`source`）：{cfg.source}"]
    return ["", "## Sites shared by several enterprises (`[site]`)", "",
            "When several enterprises share one building or plot (sub-let factories, a factory inside a factory, "
            "mixed-use premises), the site's risk is not the risk of any one of them. The site score is computed "
            "with every scoring run into the table `site_score` (its tenants in `site_tenant`) and shown on the "
            "Parks page and in each tenant's enterprise file:", "",
            "site score = highest tenant score + crowding + mixed use + site hazards", "",
            f"- crowding = min(`crowding_cap` {cfg.crowding_cap:g}, `per_extra_tenant` {cfg.per_extra_tenant:g} "
            "× (tenants − 1)): the more operators, the harder fire lanes, evacuation and wiring are to keep in hand;",
            f"- mixed use = min(`mixed_cap` {cfg.mixed_cap:g}, `per_extra_industry` {cfg.per_extra_industry:g} "
            "× (industries − 1)): the fire and accident hazards of different trades add up in one building "
            "(GB 35181-2025 names mixed-use production and business premises among the places its major fire "
            "hazard rules look at);",
            f"- site hazards = min(`hazard_cap` {cfg.hazard_cap:g}, the points of the site's open hazards by "
            f"level), the points in `hazard_points` (`[site.hazard_points]`: {points}).",
            "",
            "The highest tenant score, not the mean: fire spreads through a shared structure and its passages, so "
            "one high-risk tenant endangers the whole building, and a mean would dilute it among harmless "
            "neighbours — the reason a site is assessed at all. The three terms count only what no tenant's own "
            f"score sees, each capped: at most {cfg.max_extra:g} points above the highest tenant.",
            "",
            "Tier: by points on the thresholds above; never below the highest tenant's tier; "
            f"{term(cfg.major_hazard_tier)} (`major_hazard_tier`) while a major site hazard is open.",
            "",
            "Who shares a site: enterprises whose ledger rows give the same site number (an optional column, with "
            "the building's name, the landlord and the landlord's credit code); those without one by their address "
            "(`group_by_address`): blanks dropped and full-width digits folded, up to the first house number "
            "(a number followed by a road word is a road's name, not a house number). An address without a house "
            f"number groups nothing; more than {cfg.address_max_tenants} enterprises at one house number "
            "(`address_max_tenants`) are taken for a registration address, not a building. An enterprise in "
            "neither is a site of one, whose site score is its own score, not stored again; ledgers without these "
            "columns import as before.",
            "",
            "A site's own hazards (shared fire lanes, electric-bike charging, gas): the hazard rows that give its "
            "site number. Such a hazard still names the enterprise where it was found (and counts in its score) "
            "and counts once more for the whole site, since it endangers every tenant.",
            "",
            "Coordination: the landlord answers for coordinating the site's fire and work safety; without a "
            "landlord's name, the enterprise its credit code names; without either, the park's operator for a site "
            "in a park; otherwise none is recorded.",
            "", f"Source (`source`): {cfg.source}"]
