"""Importing real ledgers into an existing database: a messy ledger written by hand that
breaks every rule, GBK CSV, Excel serial dates, 万元 units, GCJ-02 and Gauss-Kruger
coordinates, upsert by key, and atomicity (a failed or killed import changes nothing)."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.build import connect
from data.importer import ImportError_
from geo.crs import from_wgs84, haversine_m, wgs84_to_gcj02
from riskmap.pipeline import import_file

from .conftest import City

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def db(small_city: City, tmp_path) -> Path:
    """A private copy of the small city's database."""
    path = tmp_path / "riskmap.duckdb"
    shutil.copyfile(small_city.db, path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inside_points(db: Path, n: int) -> list[tuple[float, float, str]]:
    """``n`` WGS-84 points that lie in a township of the city, with that township's code."""
    con = connect(db, read_only=True)
    rows = con.execute("SELECT lon, lat, township_code FROM enterprise WHERE township_code IS NOT NULL "
                       "ORDER BY uscc LIMIT ?", [n]).fetchall()
    con.close()
    return rows


def valid_uscc(body17: str) -> str:
    from data.uscc import check_char

    return body17 + check_char(body17)


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def messy_enterprises(db: Path, path: Path) -> dict[str, object]:
    """A hand-written enterprise ledger in GCJ-02 with a header alias, an unknown header, a
    header only a saved mapping explains, and one broken rule per row (rows 6-12)."""
    (lon1, lat1, tw1), (lon2, lat2, tw2) = inside_points(db, 2)
    g1 = wgs84_to_gcj02(np.array([lon1]), np.array([lat1]))
    g2 = wgs84_to_gcj02(np.array([lon2]), np.array([lat2]))
    good1, good2 = valid_uscc("91339901MA2ABCDE1"), valid_uscc("92339901300000001")
    dup = valid_uscc("91339901MA2ABCDE2")
    bad_checksum = good2[:17] + ("0" if good2[17] != "0" else "1")
    header = ["社会信用代码", "单位名称", "经营地址", "X", "Y", "所属行业", "职工数", "营业收入（万元）",
              "危化品", "三合一", "联系人"]
    rows = [
        # row 2: fine; revenue with its unit, staff with 人
        [good1, "甲鞋业有限公司", "某路 1 号", float(g1[0][0]), float(g1[1][0]), "制鞋", "35人", "12.5万元", "是", "否", "张三"],
        # row 3: fine; revenue in 元 in a 万元 column, √/× flags
        [good2, "乙阀门厂", "某路 2 号", float(g2[0][0]), float(g2[1][0]), "阀门", 12, "3,000元", "×", "√", "李四"],
        # row 4: checksum fails — a warning, the row is kept (some early codes fail it)
        [bad_checksum, "丙五金店", None, float(g2[0][0]), float(g2[1][0]), "五金制品", 5, 80, "否", "否", None],
        # rows 5 and 6: the same code twice — the second is rejected, pointing at the first
        [dup, "丁一", None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, 10, "否", "否", None],
        [dup, "丁二", None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, 10, "否", "否", None],
        # row 7: name missing
        [valid_uscc("91339901MA2ABCDE3"), None, None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, 1, "否", "否", None],
        # row 8: code of the wrong form
        ["1234", "戊厂", None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, 1, "否", "否", None],
        # row 9: staff not a number
        [valid_uscc("91339901MA2ABCDE4"), "己厂", None, float(g1[0][0]), float(g1[1][0]), "印刷", "很多", 1, "否", "否", None],
        # row 10: only a longitude
        [valid_uscc("91339901MA2ABCDE5"), "庚厂", None, float(g1[0][0]), None, "印刷", 3, 1, "否", "否", None],
        # row 11: flag neither yes nor no
        [valid_uscc("91339901MA2ABCDE6"), "辛厂", None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, 1, "也许", "否", None],
        # row 12: negative revenue
        [valid_uscc("91339901MA2ABCDE7"), "壬厂", None, float(g1[0][0]), float(g1[1][0]), "印刷", 3, "-5", "否", "否", None],
        # row 13: far outside the city: kept, reported as placed in no township
        [valid_uscc("91339901MA2ABCDE8"), "癸厂", None, float(g1[0][0]) + 1.5, float(g1[1][0]), "印刷", 3, 1, "否", "否", None],
    ]
    write_xlsx(path, header, rows)
    return {"good1": good1, "good2": good2, "bad_checksum": bad_checksum, "truth": [(lon1, lat1, tw1), (lon2, lat2, tw2)],
            "far": valid_uscc("91339901MA2ABCDE8")}


def test_messy_enterprise_ledger(db: Path, tmp_path):
    path = tmp_path / "企业台账（某镇）.xlsx"
    facts = messy_enterprises(db, path)
    before = connect(db, read_only=True).execute("SELECT count(*) FROM enterprise").fetchone()[0]
    r = import_file(db, path, "enterprise", crs="gcj02", headers={"职工数": "employees"}, progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (12, 5, 7) and r.balanced
    assert (r.inserted, r.updated, r.unchanged) == (5, 0, 0)
    assert r.accepted_rows["row"].tolist() == [2, 3, 4, 5, 13] and set(r.accepted_rows["action"]) == {"新增"}
    errors = r.issues[r.issues["severity"] == "error"]
    found = {(int(row), col, code) for row, col, code in zip(errors["row"], errors["column_name"], errors["code"])}
    assert {(6, "统一社会信用代码", "duplicate"),  # the first of two keeps its place, the second is named
            (7, "企业名称", "required"), (8, "统一社会信用代码", "uscc_format"),
            (9, "从业人数", "type"), (10, "经度", "half_coordinate"), (11, "涉及危化品", "type"),
            (12, "营业收入（万元）", "negative")} <= found
    assert set(errors["row"].astype(int)) == {6, 7, 8, 9, 10, 11, 12}  # rejected rows, each named
    warnings = r.issues[r.issues["severity"] == "warning"]
    assert {"联系人"} <= set(warnings.loc[warnings["code"] == "unknown_header", "column_name"])
    assert 4 in set(warnings.loc[warnings["code"] == "uscc_checksum", "row"].astype(int))
    assert all(r.issues["file"] == path.name) and all(r.issues["reason"].str.len() > 0)

    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM enterprise").fetchone()[0] == before + 5
    got = con.execute("SELECT uscc, employees, revenue_10k_cny, hazchem, mixed_use, lon, lat, township_code, "
                      "source_file, source_row FROM enterprise WHERE uscc IN (?, ?, ?) ORDER BY source_row",
                      [facts["good1"], facts["good2"], facts["bad_checksum"]]).fetchall()
    assert [g[:5] for g in got] == [(facts["good1"], 35, 12.5, True, False), (facts["good2"], 12, 0.3, False, True),
                                     (facts["bad_checksum"], 5, 80.0, False, False)]
    # GCJ-02 in, WGS-84 stored: back within half a metre of the known points, in their townships.
    for (_uscc, *_, lon, lat, tw, src, _row), (tlon, tlat, ttw) in zip(got[:2], facts["truth"]):
        assert haversine_m(lon, lat, tlon, tlat) < 0.5 and tw == ttw and src == path.name
    far = con.execute("SELECT township_code FROM enterprise WHERE uscc = ?", [facts["far"]]).fetchone()
    assert far == (None,)  # kept, not placed
    assert con.execute("SELECT count(*) FROM import_issue WHERE file = ? AND code = 'outside_townships'",
                       [path.name]).fetchone()[0] == 1
    # The scores were refreshed in the same swap: the new enterprises are scored.
    assert con.execute("SELECT count(*) FROM enterprise_score WHERE uscc = ?", [facts["good1"]]).fetchone()[0] == 1


def hazard_rows(db: Path, n: int = 4) -> tuple[list[str], list[list[str]]]:
    con = connect(db, read_only=True)
    ents = [u for (u,) in con.execute("SELECT uscc FROM enterprise ORDER BY uscc LIMIT ?", [n]).fetchall()]
    header = ["隐患编号", "统一社会信用代码", "检查日期", "隐患类别", "隐患描述", "隐患等级", "责任部门", "计划完成时间",
              "整改完成日期"]
    rows = [
        ["NEW-1", ents[0], "2026年7月1日", "消防", "通道堵塞", "一般", "消防救援", "2026/7/15", ""],
        ["NEW-2", ents[1], "46204", "用电", "私拉电线", "较大", "应急管理局", "46234", "46220"],  # Excel serials
        ["NEW-3", ents[2], "2026-7-3", "燃气", "软管老化", "重大", "综合执法局", "2026-08-01", ""],
        ["NEW-4", "913399000000000000", "2026-07-04", "消防", "x", "一般", "消防救援", "", ""],  # no such enterprise
        ["NEW-5", ents[3], "2026-07-05", "消防", "x", "特大", "消防救援", "", ""],  # no such level
        ["NEW-6", ents[3], "明天", "消防", "x", "一般", "消防救援", "", ""],  # not a date
    ]
    return header, rows


def write_gbk_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def table(db: Path, name: str) -> pd.DataFrame:
    con = connect(db, read_only=True)
    df = con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
    con.close()
    return df


def test_gbk_hazard_ledger_with_every_date_style(db: Path, tmp_path):
    import datetime as dt

    header, rows = hazard_rows(db)
    path = tmp_path / "隐患台账.csv"
    write_gbk_csv(path, header, rows)
    r = import_file(db, path, "hazard", progress=None)
    assert (r.rows_read, r.accepted, r.rejected) == (6, 3, 3)
    codes = dict(zip(r.issues.loc[r.issues["severity"] == "error", "row"].astype(int),
                     r.issues.loc[r.issues["severity"] == "error", "code"]))
    assert codes == {5: "unknown_enterprise", 6: "choice", 7: "type"}
    con = connect(db, read_only=True)
    got = dict(con.execute("SELECT id, struct_pack(found_on, deadline, rectified_on) FROM hazard "
                           "WHERE id LIKE 'NEW-%'").fetchall())
    assert got["NEW-1"] == {"found_on": dt.date(2026, 7, 1), "deadline": dt.date(2026, 7, 15), "rectified_on": None}
    serial = lambda n: dt.date(1899, 12, 30) + dt.timedelta(days=n)  # noqa: E731 — Excel's day zero
    assert got["NEW-2"] == {"found_on": serial(46204), "deadline": serial(46234), "rectified_on": serial(46220)}
    assert serial(46204) == dt.date(2026, 7, 1)
    assert got["NEW-3"]["found_on"] == dt.date(2026, 7, 3)


def test_same_file_twice_changes_nothing_and_an_update_changes_only_its_row(db: Path, tmp_path):
    header, rows = hazard_rows(db)
    path = tmp_path / "隐患台账.csv"
    write_gbk_csv(path, header, rows[:3])
    first = import_file(db, path, "hazard", progress=None)
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    after_first = table(db, "hazard")
    second = import_file(db, path, "hazard", progress=None)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    pd.testing.assert_frame_equal(table(db, "hazard"), after_first)  # provenance included

    time.sleep(1.1)
    rows[1][8] = "2026-07-20"  # NEW-2 rectified on another day
    write_gbk_csv(path, header, rows[:3])
    third = import_file(db, path, "hazard", progress=None)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    assert dict(zip(third.accepted_rows["key"], third.accepted_rows["action"])) == {
        "NEW-1": "未变", "NEW-2": "更新", "NEW-3": "未变"}
    now = table(db, "hazard").set_index("id")
    was = after_first.set_index("id")
    assert str(now.loc["NEW-2", "rectified_on"])[:10] == "2026-07-20"
    assert now.loc["NEW-2", "imported_at"] > was.loc["NEW-2", "imported_at"]
    untouched = now.index.difference(["NEW-2"])
    pd.testing.assert_frame_equal(now.loc[untouched], was.loc[untouched])


def test_a_failed_import_leaves_the_database_byte_for_byte(db: Path, tmp_path):
    path = tmp_path / "缺列.csv"
    write_gbk_csv(path, ["隐患编号", "隐患描述"], [["X-1", "无企业列"]])
    before = sha(db)
    with pytest.raises(ImportError_, match="缺"):
        import_file(db, path, "hazard", progress=None)
    assert sha(db) == before
    assert not list(db.parent.glob("*.importing-*"))
    with pytest.raises(ImportError_, match="可导入的表"):
        import_file(db, path, "township", progress=None)


def test_viewers_keep_reading_during_an_import(db: Path, tmp_path):
    header, rows = hazard_rows(db)
    path = tmp_path / "隐患台账.csv"
    write_gbk_csv(path, header, rows[:3])
    from data.build import open_snapshot

    viewer = open_snapshot(db)  # as the app opens it
    n = viewer.execute("SELECT count(*) FROM hazard").fetchone()[0]
    import_file(db, path, "hazard", progress=None)
    assert viewer.execute("SELECT count(*) FROM hazard").fetchone()[0] == n  # the old file, still consistent
    assert open_snapshot(db).execute("SELECT count(*) FROM hazard").fetchone()[0] == n + 3  # a new session


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from riskmap.pipeline import import_file

def progress(stage, fraction):
    if fraction >= 0.75:  # merged into the copy, not yet swapped in: stop here to be killed
        Path(sys.argv[3]).write_text("ready")
        time.sleep(120)

import_file(sys.argv[1], sys.argv[2], "hazard", progress=progress)
"""


def test_an_import_killed_midway_leaves_the_database_unchanged(db: Path, tmp_path):
    header, rows = hazard_rows(db)
    path = tmp_path / "隐患台账.csv"
    write_gbk_csv(path, header, rows[:3])
    before = sha(db)
    marker = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db), str(path), str(marker)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "the import never reached the merge"
            time.sleep(0.1)
        assert list(db.parent.glob("*.importing-*")), "the import works on a copy"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sha(db) == before
    # The next import clears the dead copy and goes through.
    r = import_file(db, path, "hazard", progress=None)
    assert r.inserted == 3 and not list(db.parent.glob("*.importing-*"))


def test_gauss_kruger_with_zone_prefix_is_detected(db: Path, tmp_path):
    (lon, lat, tw), = inside_points(db, 1)
    x, y = from_wgs84(np.array([lon]), np.array([lat]), "EPSG:4528")  # zone 40, with prefix
    code = valid_uscc("91339901MA2GK0NE1")
    path = tmp_path / "企业台账.xlsx"
    write_xlsx(path, ["统一社会信用代码", "企业名称", "经度", "纬度"], [[code, "高斯厂", float(x[0]), float(y[0])]])
    r = import_file(db, path, "enterprise", crs="auto", progress=None)
    assert r.crs == "EPSG:4528" and r.accepted == 1
    note = r.issues[r.issues["code"] == "crs_detected"]["reason"].iloc[0]
    assert "40 号带" in note
    slon, slat, stw = connect(db, read_only=True).execute(
        "SELECT lon, lat, township_code FROM enterprise WHERE uscc = ?", [code]).fetchone()
    assert haversine_m(slon, slat, lon, lat) < 0.01 and stw == tw


def test_numbers_no_system_can_explain_are_refused(db: Path, tmp_path):
    path = tmp_path / "企业台账.xlsx"
    write_xlsx(path, ["统一社会信用代码", "企业名称", "经度", "纬度"], [[valid_uscc("91339901MA2NXWHER"), "无名厂", 5.0, 7.0]])
    before = sha(db)
    with pytest.raises(ImportError_, match="无法从数值判断坐标系"):
        import_file(db, path, "enterprise", crs="auto", progress=None)
    assert sha(db) == before


@pytest.mark.parametrize("name", ["enterprise", "inspection", "hazard", "enforcement", "incident"])
def test_a_filled_template_imports(db: Path, tmp_path, name: str):
    """Every template has the headers the importer wants; filled with one valid row it imports."""
    import io

    import openpyxl

    from data import tables as T
    from data.templates import template_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx(name)))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in T.TABLES_BY_NAME[name].imported]
    assert ws.max_row == 1  # no example rows that could be imported by mistake
    assert wb.sheetnames[1] == "填写说明"
    required = {c.header for c in T.TABLES_BY_NAME[name].imported if c.required}
    assert {ws.cell(1, i + 1).value for i, c in enumerate(ws[1]) if c.font.color.rgb.endswith("B00000")} == required
    con = connect(db, read_only=True)
    (lon, lat, _), = inside_points(db, 1)
    ent = con.execute("SELECT min(uscc) FROM enterprise").fetchone()[0]
    con.close()
    value = {"uscc": valid_uscc("91339901MA2TEMPL1") if name == "enterprise" else ent, "name": "模板厂",
             "lon": lon, "lat": lat, "id": "TPL-1", "date": "2026-07-01", "found_on": "2026-07-01"}
    for c in T.TABLES_BY_NAME[name].imported:
        if c.required and c.name not in value:
            value[c.name] = c.choices[0] if c.choices else "1"
    row = [value.get(c.name) for c in T.TABLES_BY_NAME[name].imported]
    for i, v in enumerate(row, start=1):
        ws.cell(2, i, v)
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    r = import_file(db, path, name, progress=None)
    assert (r.rows_read, r.accepted, r.inserted) == (1, 1, 1), r.issues.to_string()


def rebuild_with(src: Path, table: str, path: str, crs: str, db: Path) -> Path:
    """Build ``src`` with ``table`` read from ``path`` in ``crs`` instead of its GeoJSON."""
    import json

    from riskmap.pipeline import rebuild

    (src / f"{table}.geojson").unlink()
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][table] = {"path": path, "crs": crs}
    (src / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    rebuild(src, db, progress=None, with_scores=False)
    return db


def test_zipped_gbk_shapefile_in_gauss_kruger_builds_the_same_townships(small_city: City, tmp_path):
    """Township boundaries as a zipped Shapefile with GBK attributes (.cpg) in CGCS2000
    Gauss-Kruger CM 120E: names read correctly and shapes back where they were."""
    import zipfile

    import geopandas as gpd

    src = tmp_path / "src"
    shutil.copytree(small_city.source, src)
    towns = gpd.read_file(src / "township.geojson")
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    towns.set_crs(4326, allow_override=True).to_crs(4549).to_file(shp_dir / "乡镇.shp", encoding="GBK")
    assert (shp_dir / "乡镇.cpg").read_text().strip().upper() == "GBK"
    with zipfile.ZipFile(src / "township.zip", "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, f.name)
    db = rebuild_with(src, "township", "township.zip", "EPSG:4549", tmp_path / "zip.duckdb")
    ours = connect(db, read_only=True).execute(
        "SELECT code, name, ST_AsText(ST_Centroid(geom)) FROM township ORDER BY code").fetchall()
    theirs = connect(small_city.db, read_only=True).execute(
        "SELECT code, name, ST_AsText(ST_Centroid(geom)) FROM township ORDER BY code").fetchall()
    assert [(c, n) for c, n, _ in ours] == [(c, n) for c, n, _ in theirs]  # GBK names intact
    import shapely

    for (_, _, a), (_, _, b) in zip(ours, theirs):
        pa_, pb = shapely.from_wkt(a), shapely.from_wkt(b)
        assert haversine_m(pa_.x, pa_.y, pb.x, pb.y) < 0.01
    placed = connect(db, read_only=True).execute(
        "SELECT count(*) FILTER (township_code IS NOT NULL) FROM enterprise").fetchone()[0]
    assert placed == connect(small_city.db, read_only=True).execute(
        "SELECT count(*) FILTER (township_code IS NOT NULL) FROM enterprise").fetchone()[0]


def test_geopackage_boundaries_build_the_same_parks(small_city: City, tmp_path):
    import geopandas as gpd

    src = tmp_path / "src"
    shutil.copytree(small_city.source, src)
    gpd.read_file(src / "park.geojson").set_crs(4326, allow_override=True).to_crs(4490).to_file(
        src / "园区.gpkg", driver="GPKG")
    db = rebuild_with(src, "park", "园区.gpkg", "cgcs2000", tmp_path / "gpkg.duckdb")
    sql = "SELECT park_id, name, count(*) FILTER (TRUE) FROM park GROUP BY ALL ORDER BY 1"
    assert connect(db, read_only=True).execute(sql).fetchall() == connect(small_city.db, read_only=True).execute(sql).fetchall()
    in_parks = "SELECT park_id, count(*) FROM enterprise WHERE park_id IS NOT NULL GROUP BY 1 ORDER BY 1"
    assert connect(db, read_only=True).execute(in_parks).fetchall() == \
        connect(small_city.db, read_only=True).execute(in_parks).fetchall()


def test_replacing_the_township_layer_places_everyone_again(db: Path, tmp_path):
    """Two neighbouring townships merged into one: their enterprises now belong to it, nobody
    else moves, and the scores follow — checked with plain shapely."""
    import json

    import shapely

    from riskmap.pipeline import import_boundary_file

    con = connect(db, read_only=True)
    towns = con.execute("SELECT code, name, county_code, ST_AsText(geom) FROM township ORDER BY code").fetchall()
    before = dict(con.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    points = con.execute("SELECT uscc, lon, lat FROM enterprise WHERE lon IS NOT NULL").fetchall()
    con.close()
    geoms = {code: shapely.from_wkt(wkt) for code, _, _, wkt in towns}
    a = towns[0][0]
    b = next(code for code, *_ in towns[1:] if geoms[code].touches(geoms[a]) or geoms[code].intersects(geoms[a]))
    merged = shapely.union(geoms[a], geoms[b])
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(merged if code == a else geoms[code]),
                 "properties": {"乡镇代码": code, "乡镇名称": name, "区县代码": county}}
                for code, name, county, _ in towns if code != b]
    path = tmp_path / "乡镇边界（合并后）.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    r = import_boundary_file(db, path, "township", progress=None)
    assert (r.rows_read, r.accepted, r.replaced) == (len(towns) - 1, len(towns) - 1, len(towns))
    con = connect(db, read_only=True)
    after = dict(con.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    assert con.execute("SELECT count(*) FROM township").fetchone()[0] == len(towns) - 1
    for uscc, lon, lat in points[::7]:  # an independent check on every 7th enterprise
        p = shapely.Point(lon, lat)
        inside = [code for code, *_ in towns if code != b and (merged if code == a else geoms[code]).covers(p)]
        assert after[uscc] == (min(inside) if inside else None)
    moved = {u for u in after if after[u] != before[u]}
    assert moved == {u for u, t in before.items() if t == b}  # exactly the merged township's enterprises
    assert con.execute("SELECT count(*) FROM area_township WHERE key = ?", [b]).fetchone()[0] == 0  # scores follow


def test_a_layer_with_nothing_usable_is_refused(db: Path, tmp_path):
    import json

    from riskmap.pipeline import import_boundary_file

    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.6, 27.9]},
         "properties": {"乡镇代码": "339901001", "乡镇名称": "点", "区县代码": "339901"}}]}), encoding="utf-8")
    before = sha(db)
    with pytest.raises(ImportError_, match="没有一个可用的面要素"):
        import_boundary_file(db, path, "township", progress=None)
    assert sha(db) == before


def test_the_seed_forms_principal_and_phone_columns_are_kept(db: Path, tmp_path):
    """The seeds' enterprise form asks for 主要负责人 and 联系电话 (headers wrapped over two
    lines, as the form prints them); an office's 联系人 is someone else and stays unknown."""
    path = tmp_path / "企业名单.xlsx"
    (lon, lat, _), = inside_points(db, 1)
    code = valid_uscc("91339901MA2PHYNE1")
    write_xlsx(path, ["统一社会信用代码", "生产经营单位名称", "单位\n地址", "主要\n负责人", "联系电话", "联系人", "经度", "纬度"],
               [[code, "甲厂", "某路1号", "王建国", "0577-6512 3456", "李四", lon, lat]])
    r = import_file(db, path, "enterprise", progress=None)
    assert (r.accepted, r.rejected) == (1, 0)
    unknown = set(r.issues.loc[r.issues["code"] == "unknown_header", "column_name"])
    assert unknown == {"联系人"}
    row = connect(db, read_only=True).execute(
        "SELECT name, address, principal, phone FROM enterprise WHERE uscc = ?", [code]).fetchone()
    assert row == ("甲厂", "某路1号", "王建国", "0577-6512 3456")
