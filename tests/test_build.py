"""End to end: generate a small city, build it, and re-check the build by independent means
(plain json + shapely for townships, csv + h3-py for cells, the generator's truth for GCJ-02)."""

from __future__ import annotations

import csv
import hashlib
import json

import h3
import numpy as np
import pytest
import shapely

from data import tables as T
from data.build import connect
from data.demo import DemoConfig, generate_city
from geo.crs import haversine_m

from .conftest import SMALL, City


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_every_file_accounts_for_every_row(small_city: City):
    con = connect(small_city.db, read_only=True)
    for f in small_city.report.files:
        assert f.accepted + f.rejected == f.rows_read
        assert con.execute(f"SELECT count(*) FROM {f.table}").fetchone()[0] == f.accepted
    by_table = {f.table: f for f in small_city.report.files}
    assert by_table["enterprise"].rows_read == SMALL.enterprises
    assert by_table["hazard"].rejected == 3  # the injected 特大 levels
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(T.SCHEMA_VERSION)
    assert con.execute("SELECT value FROM meta WHERE key = 'illustrative'").fetchone()[0] == "1"


def test_townships_match_an_independent_point_in_polygon(small_city: City):
    features = json.loads((small_city.source / "township.geojson").read_text(encoding="utf-8"))["features"]
    codes = [f["properties"]["乡镇代码"] for f in features]
    polys = [shapely.geometry.shape(f["geometry"]) for f in features]
    rows = [r for r in read_csv(small_city.source / "enterprise.csv") if r["经度"]]
    rng = np.random.default_rng(3)
    sample = [rows[i] for i in rng.choice(len(rows), 600, replace=False)]
    con = connect(small_city.db, read_only=True)
    db = dict(con.execute("SELECT uscc, township_code FROM enterprise").fetchall())
    for r in sample:
        pt = shapely.Point(float(r["经度"]), float(r["纬度"]))
        hits = [c for c, p in zip(codes, polys) if p.covers(pt)]
        expected = min(hits) if hits else None
        assert db[r["统一社会信用代码"]] == expected, r


def test_h3_cells_match_h3_py(small_city: City):
    rows = [r for r in read_csv(small_city.source / "enterprise.csv") if r["经度"]][:500]
    con = connect(small_city.db, read_only=True)
    db = {u: (a, b, c) for u, a, b, c in con.execute("SELECT uscc, h3_r7, h3_r8, h3_r9 FROM enterprise").fetchall()}
    for r in rows:
        lat, lon = float(r["纬度"]), float(r["经度"])
        got = db[r["统一社会信用代码"]]
        assert [format(c, "x") for c in got] == [h3.latlng_to_cell(lat, lon, res) for res in (7, 8, 9)]


def test_grids_nest_in_their_townships(small_city: City):
    con = connect(small_city.db, read_only=True)
    mismatched = con.execute("SELECT count(*) FROM enterprise e JOIN grid g USING (grid_id) "
                             "WHERE g.township_code <> e.township_code").fetchone()[0]
    assert mismatched == 0
    assert con.execute("SELECT count(*) FROM enterprise WHERE township_code IS NOT NULL "
                       "AND grid_id IS NULL").fetchone()[0] == 0


def test_points_outside_every_township_are_kept_and_reported(small_city: City):
    con = connect(small_city.db, read_only=True)
    injected = small_city.summary["injected_errors"]
    unplaced = con.execute("SELECT count(*) FROM enterprise WHERE lon IS NOT NULL AND township_code IS NULL").fetchone()[0]
    reported = con.execute("SELECT count(*) FROM import_issue WHERE code = 'outside_townships' "
                           "AND table_name = 'enterprise'").fetchone()[0]
    assert unplaced == reported == injected["enterprise_outside_city"] == small_city.report.unplaced_enterprises
    missing = con.execute("SELECT count(*) FROM enterprise WHERE lon IS NULL").fetchone()[0]
    assert missing == injected["enterprise_missing_coordinates"]


def test_gcj02_incidents_are_stored_in_wgs84(small_city: City):
    truth = {r["id"]: (float(r["lon_wgs84"]), float(r["lat_wgs84"]))
             for r in read_csv(small_city.source / "truth" / "incident_wgs84.csv")}
    con = connect(small_city.db, read_only=True)
    rows = con.execute("SELECT id, lon, lat FROM incident").fetchall()
    assert len(rows) == len(truth) > 0
    ids = [r[0] for r in rows]
    lon = np.array([r[1] for r in rows])
    lat = np.array([r[2] for r in rows])
    tl = np.array([truth[i][0] for i in ids])
    tt = np.array([truth[i][1] for i in ids])
    # 6-decimal GCJ-02 in the file (±0.06 m) plus the inverse iteration: well under 0.5 m.
    assert haversine_m(lon, lat, tl, tt).max() < 0.5


def test_township_codes_follow_the_division_code_ranges(small_city: City):
    con = connect(small_city.db, read_only=True)
    ranges = {"街道": (1, 99), "镇": (100, 199), "乡": (200, 399), "其他": (400, 999)}
    for code, county, kind in con.execute("SELECT code, county_code, kind FROM township").fetchall():
        assert len(code) == 9 and code.startswith(county)
        lo, hi = ranges[kind]
        assert lo <= int(code[6:]) <= hi


def test_aggregates_add_up(small_city: City):
    con = connect(small_city.db, read_only=True)
    placed = con.execute("SELECT count(*) FROM enterprise WHERE lon IS NOT NULL").fetchone()[0]
    for res in (7, 8, 9):
        assert con.execute("SELECT sum(enterprises) FROM agg_hex WHERE res = ?", [res]).fetchone()[0] == placed
    in_township = con.execute("SELECT count(township_code) FROM enterprise").fetchone()[0]
    assert con.execute("SELECT sum(enterprises) FROM agg_township").fetchone()[0] == in_township


def test_incidents_depend_on_the_hidden_risk(small_city: City):
    truth = {r["uscc"]: float(r["hidden_risk"]) for r in read_csv(small_city.source / "truth" / "hidden_risk.csv")}
    con = connect(small_city.db, read_only=True)
    hit = {u for (u,) in con.execute("SELECT DISTINCT uscc FROM incident WHERE uscc IS NOT NULL").fetchall()}
    risk_hit = np.mean([truth[u] for u in hit if u in truth])
    risk_all = np.mean(list(truth.values()))
    assert risk_hit > risk_all + 0.5


def test_generator_is_deterministic(tmp_path):
    cfg = DemoConfig(seed=11, enterprises=400, townships=8, counties=2, grids=40, parks=3)
    generate_city(cfg, tmp_path / "a")
    generate_city(cfg, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) >= 10
    for f in files:
        digest = [hashlib.sha256((tmp_path / d / f).read_bytes()).hexdigest() for d in ("a", "b")]
        assert digest[0] == digest[1], f


@pytest.mark.slow
def test_default_demo_city_has_the_promised_scale(tmp_path):
    summary = generate_city(DemoConfig(), tmp_path)
    assert 6 <= summary["counties"] <= 12
    assert 140 <= summary["townships"] <= 160
    assert 1800 <= summary["grids"] <= 2200
    assert 35 <= summary["parks"] <= 45
    assert summary["enterprises"] >= 20_000
    features = json.loads((tmp_path / "township.geojson").read_text(encoding="utf-8"))["features"]
    minx, miny, maxx, maxy = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features]).bounds
    assert 120.4 <= minx and maxx <= 120.9 and 27.6 <= miny and maxy <= 28.1
    kinds = {f["properties"]["乡镇代码"][6:7] for f in features}
    assert {"0", "1", "2"} <= kinds  # 街道, 镇 and 乡 all present
    rows = read_csv(tmp_path / "enterprise.csv")
    industries = {r["行业"] for r in rows}
    assert {"服装", "制鞋", "眼镜", "印刷", "竹木加工"} <= industries
    for flag in ("涉及危化品", "特种设备", "涉爆粉尘", "喷涂作业", "液氨制冷", "有限空间", "使用燃气",
                 "出租分租", "三合一场所"):
        assert any(r[flag] == "是" for r in rows), flag
