"""A real city's first day: ``init`` from county outlines only, ledgers imported one by one,
every page and every export on that county-only city, townships added later, and the
command line's answers to bad input (a sentence, never a traceback).

The counties and ledgers are the small demo city's own files (written by data.demo), used the
way a new city would: no township layer, no manifest. Answers are re-derived independently:
county membership with plain json + shapely, hazard figures in plain Python over the CSV rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from streamlit.testing.v1 import AppTest

from data.build import connect
from data.manifest import FILE_KEYS, TOP_KEYS, ManifestError, check_manifest, manifest_markdown
from riskmap.accounts import Accounts, User
from riskmap.cli import main
from riskmap.pipeline import import_boundary_file, import_file, init_city

from .conftest import City

REPO = Path(__file__).resolve().parent.parent
PAGES = ["overview", "listing", "targets", "grid", "hazards", "parks", "briefing", "model_info", "data_status", "admin"]
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def county_city(small_city: City, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A city started from the small city's county outlines alone, then its enterprise and
    hazard ledgers imported one by one (through the CLI, as a new user would)."""
    data_dir = tmp_path_factory.mktemp("county_city")
    db = data_dir / "riskmap.duckdb"
    src = small_city.source
    assert main(["--db", str(db), "init", "--city", "某某市", "--county", str(src / "county.geojson")]) == 0
    for table in ("enterprise", "inspection", "hazard", "enforcement"):
        assert main(["--db", str(db), "import", str(src / f"{table}.csv"), "--table", table]) == 0
    assert main(["--db", str(db), "import", str(src / "incident.csv"), "--table", "incident", "--crs", "gcj02"]) == 0
    Accounts(data_dir / "security.sqlite").add("admin", "管理员", "admin", "first-admin-2026")
    return data_dir, db


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_counties_stand_in_for_townships_and_every_enterprise_is_in_its_own_county(small_city: City, county_city):
    _, db = county_city
    con = connect(db, read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'unit_level'").fetchone() == ("county",)
    counties = json.loads((small_city.source / "county.geojson").read_text(encoding="utf-8"))["features"]
    polys = {f["properties"]["区县代码"]: shape(f["geometry"]) for f in counties}
    # The areas every screen shows are the counties, with their own 6-digit codes: none invented.
    assert dict(con.execute("SELECT code, kind FROM township").fetchall()) == dict.fromkeys(polys, "区县")
    placed = con.execute("SELECT uscc, lon, lat, township_code FROM enterprise WHERE lon IS NOT NULL").fetchall()
    assert len(placed) > 2900
    for uscc, lon, lat, code in placed:
        inside = [c for c, p in polys.items() if p.contains(shapely.Point(lon, lat))]
        assert [code] == inside or (code is None and not inside), uscc


def test_hazard_figures_per_county_equal_a_count_in_plain_python(small_city: City, county_city):
    from scoring.report import hazard_figures

    _, db = county_city
    con = connect(db, read_only=True)
    county_of = dict(con.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    got = hazard_figures(con, AS_OF).set_index("code")
    want: dict[str, Counter] = defaultdict(Counter)
    levels = {"一般", "较大", "重大"}
    for r in read_csv(small_city.source / "hazard.csv"):
        found = dt.date.fromisoformat(r["发现日期"])
        code = county_of.get(r["统一社会信用代码"])
        if code is None or r["隐患等级"] not in levels or found > AS_OF:  # rejected rows, unplaced or later
            continue
        done = bool(r["整改完成日期"]) and dt.date.fromisoformat(r["整改完成日期"]) <= AS_OF
        late = bool(r["整改期限"]) and dt.date.fromisoformat(r["整改期限"]) < AS_OF
        want[code].update(total=1, rectified=done, open=not done, overdue=not done and late,
                          major=r["隐患等级"] == "重大")
    assert set(got.index) == set(want)
    for code, c in want.items():
        row = got.loc[code]
        assert [int(row[k]) for k in ("total", "rectified", "open", "overdue", "major")] == \
               [c["total"], c["rectified"], c["open"], c["overdue"], c["major"]], code
        assert row["rectification_rate"] == pytest.approx(c["rectified"] / c["total"])


def run_page(data_dir: Path, page: str, monkeypatch, lang: str = "zh") -> AppTest:
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(data_dir))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state["user"] = User("admin", "管理员", "admin")
    at.session_state["lang"] = lang
    # Straight to the page (AppTest cannot re-format another page's widgets in another language).
    return at.switch_page(f"pages/screens/{page}.py").run()


def page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "info", "warning", "markdown") for e in at.get(kind)]
    parts += [m.label for m in at.metric] + [s.label for s in at.selectbox] + [s.label for s in at.multiselect]
    parts += [str(c) for df in at.dataframe for c in df.value.columns]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_county_only_city_and_names_counties(county_city, page: str, monkeypatch):
    data_dir, _ = county_city
    at = run_page(data_dir, page, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    text = page_text(at)
    assert "乡镇" not in text, page  # the counties stand in: no screen speaks of townships
    if page == "listing":
        assert "区县挂牌" in at.title[0].value
    if page == "hazards":
        table = next(df.value for df in at.dataframe if "隐患总数" in df.value.columns)
        assert list(table.columns[:2]) == ["区县", "隐患总数"] and len(table) == 3


def test_pages_in_english_name_counties_too(county_city, monkeypatch):
    data_dir, _ = county_city
    at = run_page(data_dir, "listing", monkeypatch, lang="en")
    assert not at.exception and "County listing" == at.title[0].value
    assert "ownship" not in page_text(at)


@pytest.mark.parametrize("kind", ["png", "html", "weekly", "five", "six", "parks", "docx", "pdf"])
def test_every_export_on_a_county_only_city(county_city, kind: str, tmp_path, capsys):
    import io
    import zipfile

    _, db = county_city
    out = tmp_path / kind
    assert main(["--db", str(db), "export", kind, "--days", "90", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert len(data) > 1000
    if kind in ("weekly", "five", "six", "parks"):
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data))
        cells = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert not any("乡镇" in c for c in cells)
        if kind == "weekly":  # one row per county, then 合计
            con = connect(db, read_only=True)
            names = [n for (n,) in con.execute("SELECT name FROM county ORDER BY code").fetchall()]
            first = [r[0] for r in wb["周报表"].iter_rows(values_only=True) if r and r[0] in (*names, "合计")]
            assert first == [*names, "合计"]
    if kind == "docx":
        xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
        assert "乡镇" not in xml and "区县" in xml
    if kind == "html":
        assert "乡镇" not in data.decode("utf-8")


def test_townships_added_later_replace_the_counties_and_everyone_is_placed_again(small_city: City, county_city,
                                                                               tmp_path):
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    r = import_boundary_file(mine, small_city.source / "township.geojson", "township", progress=None)
    assert r.accepted == 24 and r.replaced == 3  # the three stand-in counties gave way
    con = connect(mine, read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'unit_level'").fetchone() == ("township",)
    assert con.execute("SELECT count(*) FROM township WHERE kind = '区县'").fetchone()[0] == 0
    built = connect(small_city.db, read_only=True)  # the same files built at once, with townships
    want = dict(built.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    got = dict(con.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    assert got == want


def test_init_refuses_to_overwrite_and_keeps_a_copy_when_asked(small_city: City, tmp_path, capsys):
    db = tmp_path / "riskmap.duckdb"
    county = str(small_city.source / "county.geojson")
    assert main(["--db", str(db), "init", "--city", "甲市", "--county", county]) == 0
    first = hashlib.sha256(db.read_bytes()).hexdigest()
    assert main(["--db", str(db), "init", "--city", "乙市", "--county", county]) == 2
    assert "已有数据库" in capsys.readouterr().err and hashlib.sha256(db.read_bytes()).hexdigest() == first
    assert main(["--db", str(db), "init", "--city", "乙市", "--county", county, "--replace"]) == 0
    kept = list(tmp_path.glob("riskmap.duckdb.replaced-*"))
    assert len(kept) == 1 and hashlib.sha256(kept[0].read_bytes()).hexdigest() == first


def test_init_creates_the_first_administrator(small_city: City, tmp_path, monkeypatch, capsys):
    import io

    db = tmp_path / "riskmap.duckdb"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--db", str(db), "init", "--city", "甲市", "--county", str(small_city.source / "county.geojson"),
                 "--admin", "boss", "--password-stdin"]) == 2
    assert "密码至少" in capsys.readouterr().err and not db.exists()  # checked before anything is built
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["--db", str(db), "init", "--city", "甲市", "--county", str(small_city.source / "county.geojson"),
                 "--admin", "boss", "--password-stdin"]) == 0
    assert Accounts(tmp_path / "security.sqlite").login("boss", "a-long-enough-password").role == "admin"


@pytest.mark.parametrize("argv, says", [
    (["import", "{src}/enterprise.csv", "--table", "enterprise", "--crs", "mars"], "无法识别的坐标系“mars”"),
    (["import", "{src}/enterprise.csv", "--table", "enterprise", "--headers", "{src}/nothing.json"], "文件不存在"),
    (["import", "{src}/enterprise.csv", "--table", "enterprise", "--headers", "{src}/enterprise.csv"], "不是有效的 JSON"),
    (["import", "{src}/county.geojson", "--table", "county", "--crs", "EPSG:0"], "无法识别的坐标系"),
    (["import", "{src}/county.geojson", "--table", "county", "--header-row", "3"], "只用于台账"),
    (["init", "--city", "甲市"], "至少需要一个行政区边界"),
    (["init", "--city", "甲市", "--county", "{src}/enterprise.csv"], "无法读取边界文件"),
])
def test_bad_input_gets_a_sentence_not_a_traceback(small_city: City, county_city, tmp_path, argv, says, capsys):
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    before = hashlib.sha256(mine.read_bytes()).hexdigest()
    args = [a.format(src=small_city.source) for a in argv]
    if args[0] == "init":
        mine = tmp_path / "new.duckdb"
    assert main(["--db", str(mine), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    if args[0] == "import":
        assert hashlib.sha256(mine.read_bytes()).hexdigest() == before


def test_a_boundary_layer_with_crs_auto_and_header_maps(county_city, tmp_path):
    """Counties as a GeoJSON in Gauss-Kruger metres with its own attribute names: ``--crs auto``
    tells the zone from the vertices, a header map (keys as written, trailing blank included)
    names the columns."""
    import geopandas as gpd

    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    con = connect(mine, read_only=True)
    rows = con.execute("SELECT code, name, ST_AsWKB(geom) FROM county ORDER BY code").fetchall()
    con.close()
    gdf = gpd.GeoDataFrame({"QX_BM ": [r[0] for r in rows], "QX_MC": [r[1] for r in rows]},
                           geometry=shapely.from_wkb([bytes(r[2]) for r in rows]), crs="EPSG:4326").to_crs("EPSG:4528")
    path = tmp_path / "区县.gpkg"
    gdf.to_file(path, driver="GPKG")
    # A GeoPackage carries its system; a bare GeoJSON in metres does not, and claims WGS-84.
    bare = tmp_path / "区县.geojson"
    bare.write_text(gdf.to_json(), encoding="utf-8")
    for file in (path, bare):
        r = import_boundary_file(mine, file, "county", "auto", progress=None,
                                 headers={"QX_BM ": "code", "QX_MC": "区县名称"})
        assert (r.accepted, r.rejected, r.crs) == (3, 0, "EPSG:4528"), r.issues
        new = connect(mine, read_only=True)
        moved = new.execute("SELECT max(ST_Distance(ST_Centroid(a.geom), ST_Centroid(b.geom))) FROM county a "
                            "JOIN (SELECT * FROM township) b USING (code)").fetchone()[0]
        assert moved < 1e-7  # degrees: the counties (and their stand-ins) came back where they were
        new.close()


def test_a_ledger_whose_coordinates_cannot_be_found_is_refused_whole(small_city: City, county_city, tmp_path):
    from data.importer import ImportError_

    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    before = hashlib.sha256(mine.read_bytes()).hexdigest()
    rows = read_csv(small_city.source / "enterprise.csv")[:20]
    path = tmp_path / "企业.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "位置1", "位置2"])
        w.writerows([r["统一社会信用代码"], r["企业名称"], r["经度"], r["纬度"]] for r in rows)
    with pytest.raises(ImportError_) as err:
        import_file(mine, path, "enterprise", progress=None)
    assert "没有找到坐标列" in str(err.value) and "位置1、位置2" in str(err.value)
    assert hashlib.sha256(mine.read_bytes()).hexdigest() == before
    # Mapped, the same file gets in, every row located.
    r = import_file(mine, path, "enterprise", headers={"位置1": "lon", "位置2": "纬度"}, progress=None)
    assert (r.rows_read, r.accepted) == (20, 20)


def test_headers_as_people_write_them(county_city, small_city: City, tmp_path):
    """Units, blanks, brackets, 是否 and / in headers; a header naming GCJ-02; revenue in 元."""
    import numpy as np

    from geo.crs import haversine_m, wgs84_to_gcj02

    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    src = read_csv(small_city.source / "enterprise.csv")
    rows = [r for r in src if r["经度"]][:5]
    glon, glat = wgs84_to_gcj02(np.array([float(r["经度"]) for r in rows]), np.array([float(r["纬度"]) for r in rows]))
    path = tmp_path / "企业（从业人员）.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(["序号", "统一社会信用代码\u3000", "企业（单位）名称", "经度（GCJ-02） ", "纬度(GCJ-02)",
                    "从业\n人员数（人）", "营业收入(元)", "是否使用危化品", "是否出租/分租", "“三合一”场所"])
        for i, (r, x, y) in enumerate(zip(rows, glon, glat), start=1):
            w.writerow([i, r["统一社会信用代码"], r["企业名称"], f"{x:.8f}", f"{y:.8f}", "12", "250000", "是", "否", "是"])
    result = import_file(mine, path, "enterprise", progress=None)
    assert (result.rows_read, result.accepted) == (5, 5)
    issues = result.issues
    assert not (issues["code"] == "unknown_header").any()  # 序号 only numbers the rows
    detected = issues.loc[issues["code"] == "crs_detected", "reason"].tolist()
    assert len(detected) == 1 and "gcj02" in detected[0] and "经度（GCJ-02）" in detected[0]
    assert (issues["code"] == "unit_converted").sum() == 1
    con = connect(mine, read_only=True)
    for r in rows:
        lon, lat, emp, rev, hz, rented, mixed = con.execute(
            "SELECT lon, lat, employees, revenue_10k_cny, hazchem, rented, mixed_use FROM enterprise WHERE uscc = ?",
            [r["统一社会信用代码"]]).fetchone()
        assert haversine_m(lon, lat, float(r["经度"]), float(r["纬度"])) < 0.01
        assert (emp, rev, hz, rented, mixed) == (12, 25.0, True, False, True)


def test_manifest_documentation_is_generated_from_the_declarations():
    text = (REPO / "docs" / "MANIFEST.md").read_text(encoding="utf-8")
    assert text == manifest_markdown(), "docs/MANIFEST.md is stale: python -m riskmap manifest --write docs/MANIFEST.md"
    for key in (*TOP_KEYS, *FILE_KEYS):
        assert f"| `{key.name}` |" in text


@pytest.mark.parametrize("manifest, says", [
    ({"city": "甲市", "files": {"county": "c.geojson"}}, "未知的键“city”"),
    ({"files": {"county": {"path": "c.geojson", "cr": "gcj02"}}}, "files.county 的未知的键“cr”"),
    ({"files": {"towns": "t.geojson"}}, "未知的数据表“towns”"),
    ({"files": {"county": "c.geojson", "hazard": {"path": "h.xlsx", "header_row": "3"}}}, "“header_row”应为正整数"),
    ({"as_of": "2026-13-01", "files": {"county": "c.geojson"}}, "“as_of”应为日期"),
    ({"files": {"enterprise": "e.csv"}}, "至少需要一个行政区边界文件"),
])
def test_a_manifest_is_checked_against_its_declarations(manifest, says, tmp_path):
    with pytest.raises(ManifestError, match=says):
        check_manifest(manifest, tmp_path)


def test_a_manifest_with_counties_alone_is_enough(tmp_path):
    got = check_manifest({"city_name": "甲市", "files": {"county": "区县.zip"}}, tmp_path)
    assert got["files"] == {"county": {"path": "区县.zip"}}


@pytest.mark.parametrize("command", [["score"], ["listing"], ["report"], ["info"], ["due"], ["export", "weekly"],
                                     ["import", "x.csv", "--table", "hazard"]])
def test_commands_without_a_database_say_how_to_start_one(command, tmp_path, capsys):
    assert main(["--db", str(tmp_path / "none.duckdb"), *command]) == 2
    err = capsys.readouterr().err
    assert "python -m riskmap init" in err and "Traceback" not in err
    assert not (tmp_path / "none.duckdb").exists()  # nothing created by asking


def test_header_and_value_maps_from_the_command_line(small_city: City, county_city, tmp_path, capsys):
    """A header-map key written as the file has it (trailing blank, full-width brackets) and a
    value map for a word no table knows, both from JSON files."""
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    usccs = [r["统一社会信用代码"] for r in read_csv(small_city.source / "enterprise.csv")[:3]]
    path = tmp_path / "检查.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(["记录号（系统） ", "统一社会信用代码", "检查日期", "执法单位"])
        w.writerows([[f"JC-{i}", u, "2026-10-0" + str(i + 1), "安监站"] for i, u in enumerate(usccs)])
    (tmp_path / "headers.json").write_text(json.dumps({"记录号（系统） ": "id", "执法单位": "检查部门"},
                                                      ensure_ascii=False), encoding="utf-8")
    (tmp_path / "values.json").write_text(json.dumps({"检查部门": {"安监站": "应急管理局"}}, ensure_ascii=False),
                                          encoding="utf-8")
    assert main(["--db", str(mine), "import", str(path), "--table", "inspection"]) == 2  # neither map: refused
    assert "检查编号" in capsys.readouterr().err
    assert main(["--db", str(mine), "import", str(path), "--table", "inspection", "--headers",
                 str(tmp_path / "headers.json")]) == 0
    assert "拒绝 3" in capsys.readouterr().out  # 安监站 is no department the tables know
    assert main(["--db", str(mine), "import", str(path), "--table", "inspection", "--headers",
                 str(tmp_path / "headers.json"), "--values", str(tmp_path / "values.json")]) == 0
    assert "接受 3 + 拒绝 0" in capsys.readouterr().out
    got = connect(mine, read_only=True).execute(
        "SELECT id, department FROM inspection WHERE id LIKE 'JC-%' ORDER BY id").fetchall()
    assert got == [("JC-0", "应急管理局"), ("JC-1", "应急管理局"), ("JC-2", "应急管理局")]


def test_township_codes_keep_the_length_the_source_uses(small_city: City, tmp_path):
    """12-digit 统计用区划代码 stay 12 digits; a township file without county codes gets them
    from the code's first six digits."""
    layer = json.loads((small_city.source / "township.geojson").read_text(encoding="utf-8"))
    for f in layer["features"]:
        p = f["properties"]
        f["properties"] = {"XZQDM": p["乡镇代码"] + "000", "XZQMC": p["乡镇名称"]}
    path = tmp_path / "乡镇界.geojson"
    path.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "riskmap.duckdb"
    init_city(db, "某某市", {"county": small_city.source / "county.geojson", "township": path}, progress=None)
    con = connect(db, read_only=True)
    rows = con.execute("SELECT code, county_code, kind FROM township ORDER BY code").fetchall()
    assert len(rows) == 24 and all(len(code) == 12 and cc == code[:6] for code, cc, _ in rows)
    built = dict(connect(small_city.db, read_only=True).execute("SELECT code || '000', kind FROM township").fetchall())
    assert {code: kind for code, _, kind in rows} == built  # 街道/镇/乡 from digits 7-9, as for 9-digit codes
    assert con.execute("SELECT value FROM meta WHERE key = 'unit_level'").fetchone() == ("township",)


# --- found by an independent review of a new city's first day ----------------------------------


@pytest.mark.parametrize("code, name", [("区县代码", "区县名称"), ("XZQDM", "XZQMC")])
def test_a_gbk_shapefile_without_cpg_keeps_its_chinese_names(small_city: City, tmp_path, code: str, name: str):
    """GDAL reads a Shapefile without a .cpg as Latin-1; offices write GBK. The names must come
    out as written, whether the field names are Chinese too or ASCII (XZQDM/XZQMC, where only
    the values are GBK and pandas keeps them as its str dtype), and the city start from them."""
    import zipfile

    import geopandas as gpd

    counties = gpd.read_file(small_city.source / "county.geojson").to_crs("EPSG:4549")
    counties = counties.rename(columns={"区县代码": code, "区县名称": name})
    folder = tmp_path / "shp"
    folder.mkdir()
    counties.to_file(folder / "区县界.shp", encoding="gbk")
    (folder / "区县界.cpg").unlink()
    archive = tmp_path / "区县界.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    db = tmp_path / "riskmap.duckdb"
    init_city(db, "某某市", {"county": archive}, progress=None)
    got = dict(connect(db, read_only=True).execute("SELECT code, name FROM county").fetchall())
    assert got == dict(zip(counties[code], counties[name]))


def test_a_township_only_city(small_city: City, tmp_path, monkeypatch):
    """Townships without a county layer: every page runs, the weekly report has a row per township."""
    import io

    import openpyxl

    data_dir = tmp_path / "data"
    db = data_dir / "riskmap.duckdb"
    init_city(db, "某某市", {"township": small_city.source / "township.geojson"}, progress=None)
    import_file(db, small_city.source / "enterprise.csv", "enterprise", progress=None)
    for page in ("targets", "overview", "listing"):
        at = run_page(data_dir, page, monkeypatch)
        assert not at.exception, (page, [e.message for e in at.exception])
    from reports.exports import ExportRequest, export

    data, _ = export(connect(db, read_only=True), "weekly", ExportRequest(days=30))
    names = {n for (n,) in connect(db, read_only=True).execute("SELECT name FROM township").fetchall()}
    rows = [r[0] for r in openpyxl.load_workbook(io.BytesIO(data))["周报表"].iter_rows(values_only=True)]
    assert names <= set(rows) and "合计" in rows


@pytest.mark.parametrize("kind", ["png", "html"])
def test_a_county_map_in_a_city_without_parks(county_city, kind, tmp_path):
    _, db = county_city
    key = connect(db, read_only=True).execute("SELECT min(code) FROM county").fetchone()[0]
    out = tmp_path / kind
    assert main(["--db", str(db), "export", kind, "--scope", "county", "--key", key, "--out", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_grids_follow_when_townships_replace_the_counties(small_city: City, county_city, tmp_path):
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    import_boundary_file(mine, small_city.source / "grid.geojson", "grid", progress=None)
    con = connect(mine, read_only=True)
    assert con.execute("SELECT count(*) FROM grid WHERE length(township_code) = 6").fetchone()[0] > 0
    con.close()
    import_boundary_file(mine, small_city.source / "township.geojson", "township", progress=None)
    con = connect(mine, read_only=True)
    got = dict(con.execute("SELECT grid_id, township_code FROM grid").fetchall())
    want = dict(connect(small_city.db, read_only=True).execute("SELECT grid_id, township_code FROM grid").fetchall())
    assert got == want  # placed again in the townships, as the city built at once has them


def test_blank_coordinates_are_not_zeros_when_the_system_is_told_from_values(small_city: City, county_city, tmp_path):
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    rows = [r for r in read_csv(small_city.source / "enterprise.csv") if r["经度"]][:10]
    path = tmp_path / "半数无坐标.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "经度", "纬度"])
        w.writerows([r["统一社会信用代码"], r["企业名称"], r["经度"] if i < 4 else "", r["纬度"] if i < 4 else ""]
                    for i, r in enumerate(rows))
    r = import_file(mine, path, "enterprise", "auto", progress=None)
    assert (r.rows_read, r.accepted) == (10, 10)
    assert (r.issues["code"] == "no_coordinate").sum() == 6 and (r.issues["code"] == "crs_detected").sum() == 1


def test_an_update_keeps_the_columns_the_file_does_not_have(small_city: City, county_city, tmp_path):
    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    con = connect(mine, read_only=True)
    before = con.execute("SELECT uscc, name, lon, lat, employees, industry, high_fire_risk, hazchem FROM enterprise "
                         "WHERE employees IS NOT NULL AND lon IS NOT NULL ORDER BY uscc LIMIT 5").fetchall()
    con.close()
    path = tmp_path / "名称坐标.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "经度", "纬度"])
        w.writerows([u, n + "（新名）", lon, lat] for u, n, lon, lat, *_ in before)
    r = import_file(mine, path, "enterprise", progress=None)
    assert (r.updated, r.inserted) == (5, 0)
    kept = r.issues[r.issues["code"] == "columns_kept"]
    assert len(kept) == 1 and "从业人数" in kept["reason"].iloc[0]
    con = connect(mine, read_only=True)
    after = con.execute("SELECT uscc, name, lon, lat, employees, industry, high_fire_risk, hazchem FROM enterprise "
                        "WHERE uscc IN (SELECT unnest(?)) ORDER BY uscc", [[b[0] for b in before]]).fetchall()
    assert [a[1] for a in after] == [b[1] + "（新名）" for b in before]
    assert [a[4:] for a in after] == [b[4:] for b in before]  # staff, industry, its fire-risk flag, hazchem


def test_a_header_map_naming_no_column_is_refused(small_city: City, county_city, tmp_path):
    from data.importer import ImportError_

    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    with pytest.raises(ImportError_, match="对应到“职工总数”，但企业表没有这一列"):
        import_file(mine, small_city.source / "enterprise.csv", "enterprise", headers={"从业人数": "职工总数"},
                    progress=None)


def test_credit_codes_excel_stored_as_numbers_are_refused_with_their_reason(county_city, tmp_path):
    from openpyxl import Workbook

    _, db = county_city
    mine = tmp_path / "riskmap.duckdb"
    shutil.copyfile(db, mine)
    lon, lat = connect(mine, read_only=True).execute("SELECT lon, lat FROM enterprise WHERE lon IS NOT NULL "
                                                     "LIMIT 1").fetchone()
    wb = Workbook()
    wb.active.append(["统一社会信用代码", "企业名称", "经度", "纬度"])
    wb.active.append([913310020000000001, "甲厂", lon, lat])  # 18 digits typed into a number cell
    wb.active.append([913310020000000002, "乙厂", lon, lat])
    path = tmp_path / "数字代码.xlsx"
    wb.save(path)
    r = import_file(mine, path, "enterprise", progress=None)
    assert (r.accepted, r.rejected) == (0, 2)
    errors = r.issues[r.issues["severity"] == "error"]
    assert set(errors["code"]) == {"code_as_number"} and errors["reason"].str.contains("文本").all()


@pytest.mark.parametrize("argv, says", [
    (["score", "--as-of", "2025-13-01"], "日期“2025-13-01”无法识别"),
    (["listing", "--compare", "yesterday"], "日期“yesterday”无法识别"),
    (["export", "weekly", "--end", "2025/10/31"], "日期“2025/10/31”无法识别"),
])
def test_bad_dates_on_the_command_line(county_city, argv, says, capsys):
    _, db = county_city
    with pytest.raises(SystemExit) as stop:  # argparse's own usage error: exit 2, a sentence
        main(["--db", str(db), *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_value_map_of_the_wrong_shape_gets_a_sentence(small_city: City, county_city, tmp_path, capsys):
    _, db = county_city
    bad = tmp_path / "v.json"
    bad.write_text('{"level": "重大"}', encoding="utf-8")
    assert main(["--db", str(db), "import", str(small_city.source / "hazard.csv"), "--table", "hazard",
                 "--values", str(bad)]) == 2
    assert "应为 {文件中的取值: 标准取值}" in capsys.readouterr().err


def test_the_city_name_is_shown_as_text(small_city: City, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    init_city(data_dir / "riskmap.duckdb", "[某市](http://evil.example)", {"county": small_city.source / "county.geojson"},
              progress=None)
    at = run_page(data_dir, "overview", monkeypatch)
    assert not at.exception
    # escaped: no link (and the bare URL kept from being linked by an invisible break)
    assert at.title[0].value.startswith("\\[某市\\]\\(http:\u200b//evil\\.example\\)")
