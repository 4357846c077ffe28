"""Sites shared by several enterprises (issue 17, part 4: tenants rolled up): who shares a site,
the site score from literal tenants worked out by hand, and the site on 园区, in the 一企一档 and
through a 网格员's scope (the tiny city with sites, tests/fixtures.py: write_site_city)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scoring.model import ModelConfigError, load_model, model_from_dict
from scoring.sites import address_key_sql, site_members, site_scores

from . import fixtures as F
from .test_model_config import edited

MODEL = load_model()


def tenant(site: str, uscc: str, score: float, tier: str, industry: str | None, basis: str = "site_id",
           **more: object) -> dict[str, object]:
    return {"site_key": site, "site_id": site if basis == "site_id" else None, "basis": basis, "uscc": uscc,
            "name": f"企业{uscc}", "industry": industry, "score": score, "tier": tier, **more}


def literal_sites() -> pd.DataFrame:
    tenants = pd.DataFrame([
        # S1: three tenants, two industries, 房东 written two ways (the more frequent wins).
        tenant("S1", "A", 27.5, "一般", "制鞋", landlord="甲村股份经济合作社"),
        tenant("S1", "B", 12.0, "低", "服装", landlord="甲村股份经济合作社"),
        tenant("S1", "C", 8.0, "低", "制鞋", landlord="甲村经济合作社"),
        # S2: eight tenants in eight industries; no landlord's name, its credit code only.
        *(tenant("S2", f"S2{i}", 10.0 + i, "低", f"行业{i}", landlord_uscc="L1") for i in range(8)),
        # S3 by address: a 重大 tenant (direct rule) and one without an industry; in park P01.
        tenant("地址:丙路8号", "D", 50.0, "重大", "印刷", basis="address", park_id="P01"),
        tenant("地址:丙路8号", "E", 5.0, "低", None, basis="address", park_id="P01"),
        # S4: a tie on points, broken by the tier (G's open 重大 hazard made it 重大).
        tenant("S4", "F", 20.0, "低", "五金制品"),
        tenant("S4", "G", 20.0, "重大", "五金制品"),
    ])
    hazards = pd.DataFrame({"site_id": ["S1", "S1", "S2", "S2", "X9"], "level": ["一般", "较大", "重大", "较大", "较大"],
                            "n": [1, 1, 1, 2, 3]})
    return site_scores(tenants, hazards, MODEL, names={"L1": "乙实业有限公司"}, operators={"P01": "甲园运营公司"})


def test_the_shipped_site_settings():
    """The hand answers below are worked out with these numbers of model.toml."""
    s = MODEL.site
    assert s is not None
    assert (s.per_extra_tenant, s.crowding_cap, s.per_extra_industry, s.mixed_cap, s.hazard_cap) == (1, 6, 1, 4, 12)
    assert s.hazard_points == {"一般": 2, "较大": 4, "重大": 8} and s.major_hazard_tier == "重大"
    assert [(t.name, t.min_score) for t in MODEL.tiers] == [("重大", 45), ("较大", 30), ("一般", 15), ("低", 0)]


def test_a_site_score_from_literal_tenants_by_hand():
    out = literal_sites().set_index("site_key")
    # S1 = 27.5 (A) + 1 × 2 + 1 × (2 − 1) + (2 + 4) = 36.5: 较大 by points (A alone is 一般).
    # S2 = 17 (S27) + min(6, 1 × 7) + min(4, 1 × 7) + min(12, 8 + 2 × 4) = 17 + 6 + 4 + 12 = 39: 较大 by
    #      points, 重大 for its open 重大 site hazard.
    # S3 = 50 (D) + 1 + 0 (one industry named) + 0 (an address site carries no site hazards) = 51.
    # S4 = 20 (G: the same points as F, the higher tier) + 1 + 0 + 0 = 21: 一般 by points, 重大 as G.
    expected = {
        "S1": (3, 2, "A", 27.5, 2.0, 1.0, 6.0, 36.5, "较大", "较大", "points", 2, 0),
        "S2": (8, 8, "S27", 17.0, 6.0, 4.0, 12.0, 39.0, "较大", "重大", "site_major_hazard", 3, 1),
        "地址:丙路8号": (2, 1, "D", 50.0, 1.0, 0.0, 0.0, 51.0, "重大", "重大", "points;tenant", 0, 0),
        "S4": (2, 1, "G", 20.0, 1.0, 0.0, 0.0, 21.0, "一般", "重大", "tenant", 0, 0),
    }
    cols = ["tenants", "industries", "top_uscc", "tenant_max", "c_crowding", "c_mixed", "c_hazards", "score",
            "points_tier", "tier", "tier_from", "open_site_hazards", "open_site_major"]
    got = {k: tuple(r[c] for c in cols) for k, r in out[cols].iterrows()}
    assert got == expected
    assert list(literal_sites()["site_key"]) == ["地址:丙路8号", "S2", "S1", "S4"]  # highest score first
    assert "X9" not in set(out["site_id"].dropna())  # a hazard naming no enterprise's site adds to none


def test_who_answers_for_each_site():
    out = literal_sites().set_index("site_key")
    assert out.loc["S1", ["coordinator", "coordinator_basis"]].tolist() == ["甲村股份经济合作社", "landlord"]
    assert out.loc["S2", ["coordinator", "coordinator_basis"]].tolist() == ["乙实业有限公司", "landlord"]
    assert out.loc["地址:丙路8号", ["coordinator", "coordinator_basis"]].tolist() == ["甲园运营公司", "park_operator"]
    assert pd.isna(out.loc["S4", "coordinator"]) and out.loc["S4", "coordinator_basis"] == "none"
    assert out.loc["地址:丙路8号", "name"] == "丙路8号"  # an address site is named by its building


def test_no_site_at_all():
    empty = site_scores(pd.DataFrame(columns=["site_key", "site_id", "basis", "uscc", "name", "industry", "score",
                                              "tier"]), pd.DataFrame(columns=["site_id", "level", "n"]), MODEL)
    assert empty.empty and empty["score"].dtype == "float64" and empty["name"].dtype == "string"


@pytest.mark.parametrize("address, building", [
    ("示意区乙镇丙路8号2楼301室", "示意区乙镇丙路8号"),
    ("示意区乙镇丙路 8 号", "示意区乙镇丙路8号"),  # blanks dropped
    ("示意区乙镇丙路８号", "示意区乙镇丙路8号"),  # full-width digits folded
    ("工业区1号路8号3幢", "工业区1号路8号"),  # 1号路 is a road's name
    ("工业区2号大道", None),  # only a road: no house number
    ("工业区2号大道6号大楼", "工业区2号大道6号"),
    ("某村", None),
    (None, None),
])
def test_the_building_an_address_names(address: str | None, building: str | None):
    con = duckdb.connect()
    assert con.execute(f"SELECT {address_key_sql('$a')}", {"a": address}).fetchone()[0] == building


def members_of(rows: list[tuple[str, str | None, str | None]], model_text: tuple[str, str] | None = None) -> dict:
    con = duckdb.connect()
    con.execute("CREATE TABLE enterprise (uscc VARCHAR, site_id VARCHAR, address VARCHAR)")
    con.executemany("INSERT INTO enterprise VALUES (?, ?, ?)", rows)
    model = model_from_dict(edited(*model_text)) if model_text else MODEL
    assert model.site is not None
    m = site_members(con, model.site)
    return {u: (k, b) for u, k, b in zip(m["uscc"], m["site_key"], m["basis"])}


def test_who_shares_a_site():
    rows = [("A", "CS1", "丙路8号"), ("B", " CS1 ", "丁路1号"),  # the 场所编号 wins over the address
            ("C", None, "丙路8号"), ("D", "", "丙路8号101室"),  # no 场所编号: the same building
            ("E", None, "戊路2号"),  # alone at its address: a site of one, not stored
            ("F", None, "某村"), ("G", None, "某村")]  # no house number: nothing grouped
    assert members_of(rows) == {"A": ("CS1", "site_id"), "B": ("CS1", "site_id"),
                                "C": ("地址:丙路8号", "address"), "D": ("地址:丙路8号", "address")}
    many = [(f"R{i:02d}", None, "注册路1号") for i in range(31)]  # more than address_max_tenants = 30
    assert members_of(many) == {}
    assert len(members_of(many[:30])) == 30
    off = ("group_by_address = true", "group_by_address = false")
    assert members_of(rows, off) == {"A": ("CS1", "site_id"), "B": ("CS1", "site_id")}


@pytest.mark.parametrize("old, new, says", [
    ('hazard_points = { general = 2, serious = 4, major = 8 }', 'hazard_points = { general = 2, serious = 4 }',
     "hazard_points"),
    ('hazard_points = { general = 2,', 'hazard_points = { general = -2,', "general（一般）"),
    ('major_hazard_tier = "重大"', 'major_hazard_tier = "特大"', "特大"),
    ("per_extra_tenant = 1\n", "per_extra_tenant = -1\n", "per_extra_tenant"),
    ("crowding_cap = 6", "crowding_cap = 6\ncrowding = 1", "crowding"),
])
def test_a_bad_site_setting_is_named(old: str, new: str, says: str):
    with pytest.raises(ModelConfigError, match="site") as err:
        model_from_dict(edited(old, new))
    assert says in str(err.value)


# --- the tiny city with sites -----------------------------------------------------------------

@pytest.fixture(scope="module")
def site_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of the tiny city with sites (built once for this module)."""
    folder = tmp_path_factory.mktemp("sites")
    F.build_site_city(folder)
    return folder


@pytest.fixture()
def con(site_city: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    from data.build import connect

    c = connect(site_city / "riskmap.duckdb", read_only=True)
    yield c
    c.close()


def shoe_factory_score() -> float:
    """甲鞋厂 (E1) as of 2026-11-20, from its literal rows: 制鞋 is a high-fire-risk trade (6), 三合一
    (12), 40 employees (6 × ln 41 / ln 301), H2 open 较大 (8 × 1/2) and overdue (10 × 1/3); in 甲园,
    inspected 50 days before: nothing else."""
    return 6 + 12 + 6 * math.log(41) / math.log(301) + 4 + 10 / 3


def test_the_sites_of_the_tiny_city_by_hand(con: duckdb.DuckDBPyConnection):
    sites = con.execute("SELECT * FROM site_score ORDER BY site_key").df().set_index("site_key")
    assert list(sites.index) == ["CS01", "地址:示意区乙镇丙路8号"]
    cs = sites.loc["CS01"]
    e1 = shoe_factory_score()
    assert cs["top_uscc"] == F.E1 and cs["tenant_max"] == pytest.approx(e1, abs=1e-5)
    # 3 tenants (1 × 2), 3 industries 制鞋/服装/电子元件 (1 × 2), H7 open 较大 (4).
    assert (cs["tenants"], cs["industries"], cs["c_crowding"], cs["c_mixed"], cs["c_hazards"]) == (3, 3, 2, 2, 4)
    assert cs["score"] == pytest.approx(e1 + 8, abs=1e-5) and e1 + 8 > 30 > e1  # 较大, though 甲鞋厂 is 一般
    assert (cs["tier"], cs["tier_from"], cs["name"], cs["park_id"]) == ("较大", "points", "甲园3号厂房", "P01")
    assert (cs["coordinator"], cs["coordinator_basis"]) == ("甲村股份经济合作社", "landlord")
    tenants = set(con.execute("SELECT uscc FROM site_tenant WHERE site_key = 'CS01'").fetchnumpy()["uscc"])
    assert tenants == {F.E1, F.E5, F.E6}
    by_address = sites.loc["地址:示意区乙镇丙路8号"]
    assert (by_address["tenants"], by_address["basis"], by_address["top_uscc"], by_address["tier"]) == (
        2, "address", F.E3, "重大")
    assert by_address["coordinator_basis"] == "none" and pd.isna(by_address["site_id"])


def test_a_grid_manager_sees_the_sites_of_their_grid(site_city: Path):
    from data.access import scope_connection
    from data.build import connect
    from data.queries import enterprise_site, site_table

    base = connect(site_city / "riskmap.duckdb", read_only=True)
    west = scope_connection(base, "339902001001")
    assert list(site_table(west)["site_key"]) == ["CS01"]
    assert set(enterprise_site(west, F.E5)["site_tenants"]["uscc"]) == {F.E1, F.E5, F.E6}
    east = scope_connection(base, "339902101001")
    assert list(site_table(east)["site_key"]) == ["地址:示意区乙镇丙路8号"]
    assert enterprise_site(east, F.E5)["site"].empty


def run_page(site_city: Path, page: str, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    from .test_app import ADMIN, APP

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(site_city))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user"] = ADMIN
    at.run()
    at = at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def frames_with(at, column: str) -> list[pd.DataFrame]:
    """The tables shown whose columns include ``column`` (AppTest keeps no key of a table)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


#: The columns of a site's tenant table (pages.sites.tenant_rows).
TENANT_COLUMNS = ["企业名称", "风险等级", "得分", "行业", "统一社会信用代码"]


def tenant_tables(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe if list(d.value.columns) == TENANT_COLUMNS]


def site_tables(at) -> list[list[list[str]]]:
    """The rows (cells as text) of each HTML table headed as a site's tenant table."""
    import html
    import re

    out = []
    for body in (h.proto.body for h in at.get("html")):
        for table in re.findall(r"<table.*?</table>", body, flags=re.S):
            heads = [html.unescape(x) for x in re.findall(r"<th>(.*?)</th>", table)]
            if heads == TENANT_COLUMNS:
                rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], flags=re.S)
                out.append([[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows])
    return out


def test_the_parks_page_shows_the_park_site_and_the_city_sites(site_city: Path, monkeypatch: pytest.MonkeyPatch):
    at = run_page(site_city, "pages/screens/parks.py", monkeypatch)
    [table] = frames_with(at, "场所得分")
    assert list(table["场所"]) == ["甲园3号厂房"] and list(table["风险等级"]) == ["较大"]
    assert table["场所得分"].iloc[0] == round(shoe_factory_score() + 8, 1)
    assert list(table["协调责任单位"]) == ["甲村股份经济合作社"] and list(table["租户数"]) == [3]
    body = " ".join(m.value for m in at.markdown)
    assert "最高租户“甲鞋厂” 29.2 + 多租户（3 家）2 + 多业态（3 个行业）2 + 场所隐患（1 项未整改）4" in body
    assert "**较大 · 37.2**" in body
    [tenants] = tenant_tables(at)
    assert set(tenants["企业名称"]) == {"甲鞋厂", "戊服饰", "己电子"}
    captions = " ".join(c.value for c in at.caption)
    assert "协调责任：甲村股份经济合作社（房东（产权单位））" in captions
    at = at.segmented_control(key="site_scope").set_value("city").run()
    assert not at.exception
    assert list(frames_with(at, "场所得分")[0]["场所"]) == ["示意区乙镇丙路8号", "甲园3号厂房"]
    at = at.selectbox(key="site").set_value("地址:示意区乙镇丙路8号").run()
    [tenants] = tenant_tables(at)
    assert set(tenants["企业名称"]) == {"丙印务", "丁五金"}
    captions = " ".join(c.value for c in at.caption)
    assert "未登记房东" in captions and "按地址归并" in captions


def test_the_file_of_a_tenant_names_its_site_and_the_other_tenants(site_city: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    at = run_page(site_city, "pages/screens/grid.py", monkeypatch)
    at = at.selectbox(key="grid").set_value("339902001001").run()
    at = at.selectbox(key="profile").set_value(F.E5).run()
    assert not at.exception
    body = " ".join(m.value for m in at.markdown)
    assert "所在场所：甲园3号厂房（3 家企业共用）" in body and "**较大 · 37.2**" in body
    [others] = site_tables(at)  # printed with the file: our escaped HTML table
    assert [row[0] for row in others] == ["甲鞋厂", "己电子"]  # highest first, the file's own left out
    assert [row[-1] for row in others] == [F.E1, F.E6]
    at = at.selectbox(key="profile").set_value(F.E2).run()  # 乙阀门厂 shares no site
    assert not at.exception and "所在场所" not in " ".join(m.value for m in at.markdown)
    assert site_tables(at) == []


def test_a_site_text_reads_imported_names_as_text():
    """A landlord or tenant named like Markdown stays text in the breakdown and the caption."""
    from pages.screens.common import md
    from pages.sites import breakdown, coordinator
    from riskmap.i18n import t

    link = "[点此](http://127.0.0.1:9/x)"
    site = literal_sites().iloc[0].copy()
    site["top_name"], site["coordinator"], site["coordinator_basis"] = f"*{link}*", link, "landlord"
    text = breakdown(site, lambda key, **f: t(key, "zh", **f), str, md)
    assert md(f"*{link}*") in text and "](http" not in text.replace("\\]\\(", "")
    assert text.startswith("**重大 · 51** = 最高租户“")
    assert coordinator(site, lambda key, **f: t(key, "zh", **f)) == f"协调责任：{link}（房东（产权单位））"  # md() at the page
