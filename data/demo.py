"""The built-in demo city: a fictitious city generated from a seed.

Everything is invented here — outline, counties, townships, grids, parks, enterprises and
their records — so the files are licence-clean; they are marked 示意数据 in the manifest and
wherever the app shows them. The city sits around 120.4-120.9°E, 27.6-28.1°N at roughly the
scale of the grid platform described in the Ruian feature (≈150 townships, ≈2,000 grids,
20,000+ enterprises).

Geometry is drawn in a local kilometre plane. Townships are Voronoi cells of seeds that
crowd around county seats; their edges are densified and pushed by a smooth displacement
field (a domain warp) so that boundaries look organic while neighbours still share every
vertex. Grids subdivide each township the same way.

Incidents depend on a hidden risk that the generator knows (``truth/hidden_risk.csv``, not
imported): partly the flags an importer sees, partly a hidden management quality that shows
only through hazards and their rectification — so a backtest has something real to find.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from shapely.geometry import MultiPoint, Polygon

from data import tables as T
from data import uscc as U
from data import vocab
from geo.crs import wgs84_to_gcj02

LON0, LAT0 = 120.65, 27.85
KM_PER_DEG_LON = 111.32 * np.cos(np.radians(LAT0))
KM_PER_DEG_LAT = 110.57
BOX_KM = (-0.25 * KM_PER_DEG_LON, -0.25 * KM_PER_DEG_LAT, 0.25 * KM_PER_DEG_LON, 0.25 * KM_PER_DEG_LAT)
DATA_NOTE = "示意数据：虚构城市，边界、企业与记录均由程序随机生成，不对应任何真实地区与单位"

Progress = Callable[[str, float], object]  # what it returns is not used


@dataclass(frozen=True)
class DemoConfig:
    """Size and shape of the generated city."""

    seed: int = 20261123
    enterprises: int = 20_000
    townships: int = 150
    counties: int = 9
    grids: int = 2_000
    parks: int = 40
    years: int = 3
    as_of: dt.date = dt.date(2026, 11, 20)
    inspections_per_year: float = 2.0
    hazards_per_enterprise: float = 3.0
    incidents_per_1000_per_year: float = 6.0
    city_name: str = "示意市"
    #: A few deliberately bad rows so the import report has something to show.
    inject_errors: bool = True


# --- names -----------------------------------------------------------------------------

_SYL1 = list("安宝滨昌东丰凤福海和湖华江锦丽临龙鹿梅南平浦青瑞三山上塘桐湾溪仙新阳玉云"
              "仁泽竹白碧岑翠大峰港桂鹤横金莲林茂宁盘岐秋沙石双泰潭万文西霞象雁永樟")
_SYL2 = list("岙坑浦岭溪源田埠口桥头山湾岩洋阁亭垟塘门川里坪城港屿林社岗湖江滩墩")
_GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红林晓斌海燕")
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏"
                 "卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
_BRAND = list("恒鑫达利隆盛兴源泰丰华宏瑞康昌顺通嘉诚信德永欣凯旭耀辉宇豪伟晟")
_INDUSTRY_WORD = {
    "服装": "服饰", "制鞋": "鞋业", "袜业": "袜业", "玩具": "玩具", "眼镜": "眼镜", "箱包": "箱包",
    "化纤": "化纤", "印刷": "印务", "日用化工": "日化", "医药化工": "药化", "工艺品": "工艺品",
    "竹木加工": "竹木制品", "汽摩配件": "汽摩配件", "阀门": "阀门", "泵业": "泵业",
    "电气机械": "电气", "五金制品": "五金", "塑料制品": "塑业", "金属表面处理": "表面处理",
    "食品加工": "食品", "冷链仓储": "冷链物流", "家具制造": "家具", "包装材料": "包装",
    "电子元件": "电子", "纺织": "纺织", "商贸仓储": "仓储",
}

#: Relative weight of each industry in the city's mix.
_INDUSTRY_WEIGHT = {
    "服装": 6, "制鞋": 9, "袜业": 2, "玩具": 2, "眼镜": 3, "箱包": 3, "化纤": 2, "印刷": 4,
    "日用化工": 2, "医药化工": 1, "工艺品": 3, "竹木加工": 2, "汽摩配件": 9, "阀门": 7,
    "泵业": 4, "电气机械": 8, "五金制品": 8, "塑料制品": 6, "金属表面处理": 2, "食品加工": 4,
    "冷链仓储": 1, "家具制造": 3, "包装材料": 4, "电子元件": 4, "纺织": 3, "商贸仓储": 5,
}

# Probability of each flag by industry; anything not listed uses the default.
_FLAG_DEFAULT = {"hazchem": 0.05, "dust": 0.03, "spraying": 0.05, "ammonia": 0.0,
                 "confined_space": 0.05, "gas": 0.15, "special_equipment": 0.35}
_FLAG_BY_INDUSTRY = {
    "日用化工": {"hazchem": 0.8, "confined_space": 0.25},
    "医药化工": {"hazchem": 0.9, "confined_space": 0.3},
    "金属表面处理": {"hazchem": 0.6, "confined_space": 0.3},
    "印刷": {"hazchem": 0.3},
    "塑料制品": {"hazchem": 0.15},
    "竹木加工": {"dust": 0.5, "spraying": 0.2},
    "家具制造": {"dust": 0.4, "spraying": 0.6},
    "五金制品": {"dust": 0.2, "spraying": 0.3, "special_equipment": 0.5},
    "阀门": {"dust": 0.15, "spraying": 0.25, "special_equipment": 0.6},
    "汽摩配件": {"spraying": 0.3, "special_equipment": 0.6},
    "泵业": {"spraying": 0.2, "special_equipment": 0.6},
    "电气机械": {"special_equipment": 0.5},
    "工艺品": {"spraying": 0.35},
    "玩具": {"spraying": 0.2},
    "眼镜": {"spraying": 0.3},
    "食品加工": {"dust": 0.1, "ammonia": 0.2, "confined_space": 0.3, "gas": 0.6},
    "冷链仓储": {"ammonia": 0.4, "confined_space": 0.2, "special_equipment": 0.8},
    "商贸仓储": {"special_equipment": 0.7},
    "纺织": {"dust": 0.1},
    "服装": {"gas": 0.1},
}
_FLAGS = ("hazchem", "dust", "spraying", "ammonia", "confined_space", "gas", "special_equipment")

#: Hazard categories by department (ordinary ones), written for this product.
_CATEGORIES = {
    "应急管理局": ("安全管理制度不健全", "安全培训教育不到位", "粉尘清扫不及时", "有限空间作业未审批",
                  "危化品储存不规范", "设备防护装置缺失"),
    "经信局": ("园区安全管理制度缺失", "园区消防设施配套不全"),
    "公安局": ("易制爆化学品台账不全", "流动人口登记不全"),
    "生态环境局": ("危险废物贮存不规范", "危险废物台账不全"),
    "建设局": ("厂房未经消防验收", "使用易燃彩钢板"),
    "交通运输局": ("违规委托运输危化品",),
    "市场监管局": ("特种设备超期未检", "特种作业人员无证上岗", "安全附件失效"),
    "综合执法局": ("违法搭建", "燃气使用不规范"),
    "消防救援": ("消防通道堵塞", "疏散通道不畅", "消防设施损坏", "电动车违规充电",
                "电气线路私拉乱接", "生产经营储存场所住人"),
}
#: Categories that make a hazard major (重大), keyed by the flag that makes them possible.
_MAJOR = {
    "dust": ("应急管理局", "粉尘防爆措施缺失"),
    "ammonia": ("应急管理局", "液氨制冷车间人员密集"),
    "confined_space": ("应急管理局", "有限空间作业未辨识"),
    "hazchem": ("应急管理局", "危化品超量存放"),
    "spraying": ("消防救援", "喷涂作业场所未分隔"),
    "mixed_use": ("消防救援", "三合一场所未分隔"),
    "special_equipment": ("市场监管局", "特种设备判废仍在使用"),
    "default": ("消防救援", "疏散通道严重不足"),
}
_PLACES = ("车间一楼", "车间二楼", "仓库", "办公区", "宿舍区", "配电间", "厂区通道", "楼梯间", "原料堆场")


def _warp(xy: np.ndarray, amp: float, wavelength: float, phases: np.ndarray) -> np.ndarray:
    """Smooth displacement field (km); with amp/wavelength < 0.5 it keeps topology."""
    x, y = xy[:, 0], xy[:, 1]
    k = 2 * np.pi / wavelength
    dx = amp * (np.sin(k * y + phases[0]) * 0.6 + np.sin(0.53 * k * (x + y) + phases[1]) * 0.4)
    dy = amp * (np.sin(k * x + phases[2]) * 0.6 + np.sin(0.61 * k * (x - y) + phases[3]) * 0.4)
    return np.column_stack([x + dx, y + dy])


def _km_to_deg(xy: np.ndarray) -> np.ndarray:
    return np.column_stack([LON0 + xy[:, 0] / KM_PER_DEG_LON, LAT0 + xy[:, 1] / KM_PER_DEG_LAT])


def _sample_in(rng: np.random.Generator, poly: shapely.Geometry, n: int) -> np.ndarray:
    """n uniform points inside a polygon (rejection sampling, vectorised)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        m = max(64, 2 * (n - len(out)))
        pts = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        out = np.vstack([out, pts[shapely.contains_xy(poly, pts[:, 0], pts[:, 1])]])
    return out[:n]


def _partition(seeds: np.ndarray, region: shapely.Geometry, amp: float, wavelength: float, phases: np.ndarray,
               segment_km: float) -> list:
    """Warped Voronoi partition of ``region``: one (Multi)Polygon per seed (None if lost)."""
    env = shapely.box(*region.buffer(5 * wavelength).bounds)
    # GEOS computes each Voronoi edge separately; snapping to a 1 mm grid makes edges that
    # meet at a vertex share it exactly, so polygonize sees closed rings.
    edges = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=env, only_edges=True)
    edges = shapely.segmentize(shapely.set_precision(edges, 1e-6), segment_km)
    edges = shapely.transform(edges, lambda c: _warp(c, amp, wavelength, phases))
    lines = shapely.union_all(
        [shapely.intersection(edges, region, grid_size=1e-6), region.boundary], grid_size=1e-6
    )
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    warped = _warp(seeds, amp, wavelength, phases)
    tree = shapely.STRtree(faces)
    owner = np.full(len(faces), -1)
    seed_idx, face_hit = tree.query(shapely.points(warped), predicate="within")
    owner[face_hit] = seed_idx
    orphans = np.flatnonzero(owner < 0)
    if len(orphans):
        reps = shapely.point_on_surface(faces[orphans])
        rep_xy = shapely.get_coordinates(reps)
        d = ((rep_xy[:, None, :] - warped[None, :, :]) ** 2).sum(-1)
        owner[orphans] = d.argmin(1)
    out = []
    for s in range(len(seeds)):
        parts = faces[owner == s]
        out.append(shapely.union_all(parts) if len(parts) else None)
    return out


def _outline(rng: np.random.Generator) -> Polygon:
    theta = np.linspace(0, 2 * np.pi, 721)[:-1]
    ph = rng.uniform(0, 2 * np.pi, 4)
    r = 21.0 * (1 + 0.12 * np.sin(2 * theta + ph[0]) + 0.08 * np.sin(3 * theta + ph[1])
                + 0.05 * np.sin(5 * theta + ph[2]) + 0.02 * np.sin(11 * theta + ph[3]))
    blob = Polygon(np.column_stack([1.5 + r * np.cos(theta), r * np.sin(theta)]))
    minx, miny, maxx, maxy = BOX_KM
    return blob.intersection(shapely.box(minx + 0.3, miny + 0.3, maxx - 0.3, maxy - 0.3))


def _spaced_points(rng: np.random.Generator, region: shapely.Geometry, n: int, centres: np.ndarray,
                   fixed: np.ndarray) -> np.ndarray:
    """Seeds denser near ``centres``; ``fixed`` seeds come first and are kept."""
    pts = [tuple(p) for p in fixed]
    inner = region.buffer(-1.2)
    shapely.prepare(inner)
    tries = 0
    scale = 1.0
    while len(pts) < n:
        tries += 1
        if tries % 4000 == 0:
            scale *= 0.9  # relax spacing if the region is full
        if rng.random() < 0.5:
            c = centres[rng.integers(len(centres))]
            p = c + rng.normal(0, 5.0, 2)
        else:
            p = np.array([rng.uniform(inner.bounds[0], inner.bounds[2]),
                          rng.uniform(inner.bounds[1], inner.bounds[3])])
        if not shapely.contains_xy(inner, p[0], p[1]):
            continue
        d_centre = np.min(np.hypot(*(centres - p).T))
        d_min = scale * (1.6 + 2.4 * min(d_centre / 12.0, 1.0))
        arr = np.asarray(pts)
        if np.min(np.hypot(*(arr - p).T)) >= d_min:
            pts.append(tuple(p))
    return np.asarray(pts)


def _unique_names(rng: np.random.Generator, n: int, suffixes: list[str], taken: set[str]) -> list[str]:
    out = []
    for s in suffixes[:n]:
        while True:
            base = rng.choice(_SYL1) + rng.choice(_SYL2)
            if base not in taken:
                taken.add(base)
                out.append(base + s)
                break
    return out


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    sur = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(_GIVEN, n), "")
    return np.char.add(np.char.add(sur, g1), g2)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    head = rng.choice(["138", "139", "158", "159", "187", "135", "136", "150", "151", "188"], n)
    return np.char.add(head, np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))


def _uscc_codes(rng: np.random.Generator, county_codes: np.ndarray) -> np.ndarray:
    """Unique, valid-checksum codes: 9 (工商) 1 (enterprise) + county + org code + check."""
    n = len(county_codes)
    bodies: np.ndarray = np.unique(rng.integers(0, 10**8, int(n * 1.1) + 16))
    while len(bodies) < n:
        bodies = np.unique(np.concatenate([bodies, rng.integers(0, 10**8, n)]))
    bodies = rng.permutation(bodies)[:n]
    body = np.char.zfill(bodies.astype(str), 8)
    digits = body.astype("S8").view(np.uint8).reshape(-1, 8) - ord("0")
    c9 = 11 - (digits @ np.array([3, 7, 9, 10, 5, 8, 4, 2])) % 11
    check9 = np.where(c9 == 10, "X", np.where(c9 == 11, "0", c9.astype(str)))
    first17 = np.char.add(np.char.add(np.char.add("91", county_codes.astype(str)), body), check9)
    raw = first17.astype("S17").view(np.uint8).reshape(-1, 17)
    values = U._VALUE[raw]
    check = (31 - (values @ U.WEIGHTS) % 31) % 31
    return np.char.add(first17, np.array(list(U.ALPHABET))[check])


def _dates(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 → 'YYYY-MM-DD' strings (None for NaN/negative sentinel)."""
    d = np.asarray(days)
    ok = d >= 0
    out = np.full(d.shape, None, dtype=object)
    out[ok] = np.datetime_as_string(d[ok].astype("int64").astype("datetime64[D]"))
    return out


def _write_csv(path: Path, columns: Mapping[str, Any], spec: T.Table) -> int:
    import pyarrow.csv as pacsv

    names = [spec.column(k).header for k in columns]
    table = pa.table([pa.array(np.asarray(v, dtype=object) if not isinstance(v, pa.Array) else v)
                      for v in columns.values()], names=names)
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf")  # Excel opens UTF-8 Chinese correctly only with a BOM
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return table.num_rows


def _write_geojson(path: Path, props: dict[str, list], geoms_km: list, spec: T.Table) -> None:
    import geopandas as gpd

    geoms = shapely.transform(np.asarray(geoms_km, dtype=object), _km_to_deg)
    gdf = gpd.GeoDataFrame({spec.column(k).header: v for k, v in props.items()},
                           geometry=list(geoms), crs="EPSG:4326")
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 6})


# --- shared sites (issue 17, tenants rolled up) --------------------------------------------------

#: One site in this many enterprises; its tenants, 2 to this many.
_ENTERPRISES_PER_SITE, _MOST_TENANTS = 100, 8
_SITE_WORDS = ("标准厂房", "工业楼", "出租厂房", "综合楼", "厂区")
#: A site's own hazards (shared fire lanes, charging, gas, passages, wiring): category, department.
_SITE_HAZARDS = (("消防通道堵塞", "消防救援"), ("电动车违规充电", "消防救援"), ("燃气使用不规范", "综合执法局"),
                 ("疏散通道不畅", "消防救援"), ("电气线路私拉乱接", "消防救援"))


def _shared_sites(rng: np.random.Generator, xy: np.ndarray, home: np.ndarray, rented: np.ndarray,
                  flawed: np.ndarray, place: np.ndarray, county_code: np.ndarray) -> dict[str, Any]:
    """Buildings let to several tenants: each a rented enterprise and its nearest rented
    neighbours of the same township (none of the rows with injected faults). One in five has no
    场所编号 (its tenants share only the address). Returns the groups (first: the building's own
    place) and the ledger's columns 场所编号, 所在建筑, 房东, 产权单位统一社会信用代码 (None where blank)."""
    n = len(xy)
    out: dict[str, Any] = {c: np.full(n, None, dtype=object) for c in ("site_id", "site_name", "landlord",
                                                                        "landlord_uscc")}
    candidates = np.setdiff1d(np.flatnonzero(rented), flawed)
    taken = np.zeros(n, dtype=bool)
    groups: list[np.ndarray] = []
    for anchor in rng.permutation(candidates):
        if len(groups) >= n // _ENTERPRISES_PER_SITE:
            break
        size = int(rng.integers(2, _MOST_TENANTS + 1))
        if taken[anchor]:
            continue
        pool = candidates[(home[candidates] == home[anchor]) & ~taken[candidates] & (candidates != anchor)]
        if len(pool) < size - 1:
            continue
        near = pool[np.argsort(np.hypot(*(xy[pool] - xy[anchor]).T), kind="stable")[: size - 1]]
        group = np.concatenate([[anchor], near])
        taken[group] = True
        groups.append(group)
    for k, group in enumerate(groups):
        kind = rng.random()
        brand = "".join(rng.choice(_BRAND, 2))
        if kind < 0.45:
            landlord, code = f"{place[group[0]]}{rng.choice(_SYL1)}{rng.choice(_SYL2)}村股份经济合作社", None
        elif kind < 0.75:
            landlord, code = f"{place[group[0]]}{brand}实业有限公司", str(_uscc_codes(rng, county_code[group[:1]])[0])
        elif kind < 0.9:
            landlord, code = str(_person_names(rng, 1)[0]), None
        else:
            landlord, code = None, None  # not recorded: the park's operator, or nobody, answers
        filled = rng.random(len(group)) < 0.8  # not every tenant's row names the landlord
        out["landlord"][group[filled]] = landlord
        out["landlord_uscc"][group[filled]] = code
        if rng.random() < 0.8:
            out["site_id"][group] = f"CS{k + 1:04d}"
            out["site_name"][group] = f"{brand}{rng.choice(_SITE_WORDS)}"
    out["groups"] = groups
    return out


def _site_addresses(rng: np.random.Generator, address: np.ndarray, groups: list[np.ndarray], county_idx: np.ndarray,
                    county_names: list[str], street: np.ndarray, house_no: np.ndarray) -> np.ndarray:
    """Each site's tenants at its first tenant's address (some with a floor), and every other
    address made unique (a later namesake gets house number + 1000), so that no two enterprises
    share a building by chance."""
    tenant = np.zeros(len(address), dtype=bool)
    for group in groups:
        tenant[group] = True
        floors = rng.choice(["", "", "2楼", "3楼", "1楼东侧", "A幢"], len(group))
        address[group] = [f"{address[group[0]]}{f}" for f in floors]
    used = {str(a).split("号")[0] for a in address[tenant]}
    for i in np.flatnonzero(~tenant):
        k, base = 0, str(address[i])
        while base.split("号")[0] in used:
            k += 1
            base = f"{county_names[county_idx[i]]}{street[i]}{house_no[i] + 1000 * k}号"
        used.add(base.split("号")[0])
        address[i] = base
    return address


def _site_hazards(rng: np.random.Generator, sites: dict[str, Any], codes: np.ndarray, start_day: int, end: int,
                  first_id: int) -> dict[str, np.ndarray]:
    """Hazards of the sites' shared parts, each carrying its 场所编号 and recorded against one
    tenant: about 2 per site with a number over the years, a third of them never rectified."""
    rows: list[tuple] = []
    for group in sites["groups"]:
        sid = sites["site_id"][group[0]]
        if sid is None:
            continue
        for _ in range(int(rng.poisson(2.0))):
            cat, dep = _SITE_HAZARDS[int(rng.integers(len(_SITE_HAZARDS)))]
            level = int(rng.choice(3, p=[0.7, 0.25, 0.05]))
            day = int(rng.integers(start_day, end + 1))
            deadline = day + (7, 30, 90)[level]
            # Shared parts are nobody's own: slower to fix, and more often left (a reason to roll sites up).
            rect = day + int(round(rng.exponential(1.5 * (7, 30, 90)[level])))
            rect = -1 if rng.random() < 0.3 or rect > end else rect
            close = rect + int(rng.integers(1, 16)) if rect >= 0 else -1
            rows.append((codes[group[int(rng.integers(len(group)))]], day, cat, vocab.HAZARD_LEVELS[level], dep,
                         deadline, rect, -1 if close > end else close, sid))
    m = len(rows)
    col = list(zip(*rows)) if rows else [()] * 9
    days = {k: np.array(col[i], dtype=int) for k, i in (("found_on", 1), ("deadline", 5), ("rectified_on", 6),
                                                          ("closed_on", 7))}
    return {"id": np.char.add("YH", np.char.zfill(np.arange(first_id, first_id + m).astype(str), 8)).astype(object),
            "uscc": np.array(col[0], dtype=object), "category": np.array(col[2], dtype=object),
            "description": np.array([f"共用部位：{c}" for c in col[2]], dtype=object),
            "level": np.array(col[3], dtype=object), "department": np.array(col[4], dtype=object),
            "site_id": np.array(col[8], dtype=object), **{k: _dates(v) for k, v in days.items()}}


def generate_city(cfg: DemoConfig, out_dir: Path | str, progress: Progress | None = None) -> dict:
    """Write the demo city's import files into ``out_dir``; return a summary of counts.

    Deterministic: the same config writes byte-identical files.
    """
    say = progress or (lambda s, f: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    taken: set[str] = set()

    say("生成城市轮廓与区县", 0.0)
    outline = _outline(rng)
    inner = outline.buffer(-6.0)
    # County seats are spread widely; the spacing relaxes if the city is full.
    seats = np.array([[8.0, 0.0]])
    spacing = 10.0
    while len(seats) < cfg.counties:
        p = _sample_in(rng, inner, 1)[0]
        if np.min(np.hypot(*(seats - p).T)) > spacing:
            seats = np.vstack([seats, p])
        else:
            spacing *= 0.995

    say("生成乡镇（街道）边界", 0.05)
    seeds = _spaced_points(rng, outline, cfg.townships, seats, seats)
    tw_phase = rng.uniform(0, 2 * np.pi, 4)
    tw_geoms = _partition(seeds, outline, 0.55, 2.6, tw_phase, 0.25)
    keep = [i for i, g in enumerate(tw_geoms) if g is not None and not g.is_empty]
    seeds, tw_geoms = seeds[keep], [tw_geoms[i] for i in keep]
    n_tw = len(seeds)
    county_of = np.argmin(((seeds[:, None, :] - seats[None, :, :]) ** 2).sum(-1), axis=1)
    dist_seat = np.hypot(*(seeds - seats[county_of]).T)

    county_suffix = ["区", "区", "区", "县", "县", "市", "县", "市", "县", "县", "市", "县"]
    # Prefecture 3399: no real one uses it, so the codes are fictitious by construction.
    county_codes = ["339902", "339903", "339904", "339921", "339922", "339981", "339923",
                    "339982", "339924", "339925", "339983", "339926"][: cfg.counties]
    county_names = _unique_names(rng, cfg.counties, county_suffix, taken)

    # Township kind by distance to its county seat; a couple of development zones (code 4xx).
    # Townships nearest their county seat are urban 街道, the farthest rural 乡.
    q_street, q_rural = np.quantile(dist_seat, [0.25, 0.75])
    kind = np.where((dist_seat < q_street) | ((county_of == 0) & (dist_seat < 1.5 * q_street)), "街道",
                    np.where(dist_seat > q_rural, "乡", "镇"))
    for c in range(min(2, cfg.counties)):
        members = np.flatnonzero((county_of == c) & (kind == "镇"))
        if len(members) > 1:
            kind[members[np.argsort(dist_seat[members])[0]]] = "其他"
    start = {kind: first for kind, first, _ in vocab.TOWNSHIP_KIND_RANGES}
    suffix = {"街道": "街道", "镇": "镇", "乡": "乡", "其他": "经济开发区"}
    tw_code = np.empty(n_tw, dtype=object)
    order = np.lexsort((dist_seat, county_of))
    counters: dict[tuple[int, str], int] = {}
    for i in order:
        key = (int(county_of[i]), str(kind[i]))
        k = counters.get(key, 0)
        counters[key] = k + 1
        tw_code[i] = f"{county_codes[county_of[i]]}{start[kind[i]] + k:03d}"
    tw_name = np.array(_unique_names(rng, n_tw, [suffix[k] for k in kind], taken), dtype=object)
    county_geoms = [shapely.union_all([tw_geoms[i] for i in np.flatnonzero(county_of == c)])
                    for c in range(cfg.counties)]

    say("生成网格", 0.12)
    urban = np.select([kind == "街道", kind == "其他", kind == "镇"], [3.0, 2.5, 1.6], 0.5)
    tw_area = np.array([g.area for g in tw_geoms])
    weight = 0.5 * tw_area / tw_area.sum() + 0.5 * urban * tw_area ** 0.3 / (urban * tw_area ** 0.3).sum()
    n_grid_tw = np.maximum(3, np.round(cfg.grids * weight)).astype(int)
    grid_rows: dict[str, list] = {"grid_id": [], "name": [], "township_code": [], "manager": [], "phone": []}
    grid_geoms: list = []
    grid_phase = rng.uniform(0, 2 * np.pi, 4)
    for i in range(n_tw):
        pts = _sample_in(rng, tw_geoms[i], int(n_grid_tw[i]))
        parts = _partition(pts, tw_geoms[i], 0.12, 0.9, grid_phase, 0.1)
        parts = [p for p in parts if p is not None and not p.is_empty]
        for j, g in enumerate(parts):
            grid_rows["grid_id"].append(f"{tw_code[i]}{j + 1:03d}")
            grid_rows["name"].append(f"{tw_name[i]}第{j + 1}网格")
            grid_rows["township_code"].append(tw_code[i])
            grid_geoms.append(g)
    n_grid = len(grid_geoms)
    grid_rows["manager"] = list(_person_names(rng, n_grid))
    grid_rows["phone"] = list(_phones(rng, n_grid))

    say("生成园区", 0.2)
    park_kinds = np.array(["小微企业园"] * round(cfg.parks * 0.5) + ["工业园区"] * round(cfg.parks * 0.2))
    park_kinds = np.concatenate([park_kinds, ["集聚点"] * (cfg.parks - len(park_kinds))])[: cfg.parks]
    park_size = {"小微企业园": ((0.8, 1.4), (0.5, 0.9)), "工业园区": ((1.2, 2.2), (0.8, 1.4)),
            "集聚点": ((0.4, 0.7), (0.3, 0.5))}
    tw_weight = np.select([kind == "街道", kind == "其他", kind == "镇"], [1.0, 3.0, 2.0], 0.3)
    tw_weight = tw_weight / tw_weight.sum()
    inside = outline.buffer(-0.3)
    parks: list[dict] = []
    attempts = 0
    while len(parks) < cfg.parks and attempts < 20000:
        attempts += 1
        pk = park_kinds[len(parks)]
        t = rng.choice(n_tw, p=tw_weight)
        (w0, w1), (h0, h1) = park_size[pk]
        w, h = rng.uniform(w0, w1), rng.uniform(h0, h1)
        c = seeds[t] + rng.normal(0, 1.5, 2)
        ang = rng.uniform(0, np.pi)
        rect = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        poly = Polygon(rect @ rot.T + c)
        if not inside.contains(poly) or any(poly.distance(p["geom"]) < 0.3 for p in parks):
            continue
        parks.append({"geom": poly, "kind": str(pk), "township": int(t), "centre": c,
                      "w": w, "h": h, "rot": rot})
    park_names, seen_names = [], set()
    for p in parks:
        base = tw_name[p["township"]].removesuffix("经济开发区").removesuffix("街道").rstrip("镇乡")
        name = f"{base}{p['kind']}"
        k = 2
        while name in seen_names:
            name = f"{base}{'二三四五六七八九'[k - 2]}号{p['kind']}" if k < 10 else f"{base}{p['kind']}{k}"
            k += 1
        seen_names.add(name)
        park_names.append(name)
    park_operator = [f"{n}运营管理有限公司" if p["kind"] != "集聚点" else f"{tw_name[p['township']]}人民政府"
                     for n, p in zip(park_names, parks)]

    say("生成企业", 0.28)
    n = cfg.enterprises
    home = np.empty(n, dtype=int)
    xy = np.empty((n, 2))
    in_park_gen = np.zeros(n, dtype=bool)
    u = rng.random(n)
    park_sel = np.flatnonzero(u < 0.40) if parks else np.array([], dtype=int)
    town_sel = np.flatnonzero((u >= 0.40) & (u < 0.80)) if parks else np.flatnonzero(u < 0.8)
    scat_sel = np.flatnonzero(u >= 0.80)
    if len(park_sel):
        areas = np.array([p["w"] * p["h"] for p in parks])
        which = rng.choice(len(parks), len(park_sel), p=areas / areas.sum())
        for k, p in enumerate(parks):
            idx = park_sel[which == k]
            local = np.column_stack([rng.uniform(-0.47, 0.47, len(idx)) * p["w"],
                                     rng.uniform(-0.47, 0.47, len(idx)) * p["h"]])
            xy[idx] = local @ p["rot"].T + p["centre"]
            home[idx] = p["township"]
        in_park_gen[park_sel] = True
    tw_pull = urban * np.sqrt(tw_area)
    which = rng.choice(n_tw, len(town_sel), p=tw_pull / tw_pull.sum())
    sigma = np.select([kind == "街道", kind == "镇"], [0.8, 1.2], 1.5)[which]
    warped_seeds = _warp(seeds, 0.55, 2.6, tw_phase)
    pts = warped_seeds[which] + rng.normal(0, 1, (len(town_sel), 2)) * sigma[:, None]
    shapely.prepare(outline)
    bad = ~shapely.contains_xy(outline, pts[:, 0], pts[:, 1])
    pts[bad] = warped_seeds[which[bad]]
    xy[town_sel], home[town_sel] = pts, which
    xy[scat_sel] = _sample_in(rng, outline, len(scat_sel))
    home[scat_sel] = np.argmin(((xy[scat_sel, None, :] - warped_seeds[None]) ** 2).sum(-1), axis=1)

    industries = np.array(list(_INDUSTRY_WEIGHT))
    iw = np.array(list(_INDUSTRY_WEIGHT.values()), dtype=float)
    specialty = rng.choice(len(industries), n_tw, p=iw / iw.sum())
    ind = np.where(rng.random(n) < 0.35, specialty[home], rng.choice(len(industries), n, p=iw / iw.sum()))
    industry = industries[ind]
    flags = {}
    for f in _FLAGS:
        prob = np.array([_FLAG_BY_INDUSTRY.get(i, {}).get(f, _FLAG_DEFAULT[f]) for i in industries])
        flags[f] = rng.random(n) < prob[ind]
    flags["rented"] = rng.random(n) < np.where(in_park_gen, 0.15, 0.30)
    rural = np.isin(kind[home], ["镇", "乡"])
    flags["mixed_use"] = rng.random(n) < np.where(in_park_gen, 0.01, np.where(rural, 0.12, 0.04))
    # 小散乱污 from a generator of its own, so adding it left every other draw of the city as it was.
    flags["small_scattered"] = np.random.default_rng([cfg.seed, 404]).random(n) < np.where(in_park_gen, 0.01, 0.08)
    illegal = np.where(rng.random(n) < np.where(in_park_gen, 0.05, 0.16),
                       np.round(rng.lognormal(np.log(200), 0.8, n)), 0.0)
    # 小微: fewer than 300 staff; park tenants run a little larger.
    staff = rng.lognormal(np.log(18), 0.9, n) * np.where(in_park_gen, 1.4, 1.0)
    employees = np.clip(np.round(staff), 2, 299).astype(int)
    revenue = np.round(employees * 25 * rng.lognormal(0, 0.5, n), 1)
    high_fire = np.isin(industry, vocab.HIGH_FIRE_RISK_INDUSTRIES)

    # Hidden risk: observable flags plus hidden management quality and a township effect.
    mgmt = rng.normal(0, 0.7, n)  # > 0 is worse management
    tw_effect = rng.normal(0, 0.35, n_tw)[home]
    z = (-1.0 + 0.6 * flags["hazchem"] + 0.7 * flags["dust"] + 0.4 * flags["spraying"]
         + 0.6 * flags["ammonia"] + 0.3 * flags["confined_space"] + 0.3 * flags["gas"]
         + 0.2 * flags["special_equipment"] + 0.5 * high_fire + 0.5 * flags["rented"]
         + 0.9 * flags["mixed_use"] + 0.3 * np.log1p(illegal / 100) + 0.25 * np.log(employees / 20)
         - 0.3 * in_park_gen + mgmt + tw_effect)

    county_idx = county_of[home]
    codes = _uscc_codes(rng, np.array(county_codes)[county_idx])
    lonlat = _km_to_deg(xy)
    lon, lat = np.round(lonlat[:, 0], 6), np.round(lonlat[:, 1], 6)
    brand = np.char.add(rng.choice(_BRAND, n), rng.choice(_BRAND, n))
    place = np.array([str(x).removesuffix("经济开发区").removesuffix("街道").rstrip("镇乡") for x in tw_name])[home]
    ind_word = np.array([_INDUSTRY_WORD[i] for i in industries])[ind]
    names = np.char.add(np.char.add(np.char.add(place, brand), ind_word), "有限公司")
    # Same place, brand and trade: number the later ones so names stay unique.
    names = names.astype(object)
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        k = seen.get(nm, 0)
        seen[nm] = k + 1
        if k:
            names[i] = f"{nm.removesuffix('有限公司')}{k + 1}号厂有限公司"
    road = np.array([rng.choice(_SYL1) + rng.choice(_SYL1) + rng.choice(["路", "街", "大道"]) for _ in range(64)])
    street = np.char.add(np.array(tw_name, dtype=str)[home], road[rng.integers(0, 64, n)])
    house_no = rng.integers(1, 999, n)
    address = np.char.add(np.char.add(street, house_no.astype(str)), "号")
    address = np.char.add(np.array(county_names)[county_idx], address)

    lon_out, lat_out = lon.astype(object), lat.astype(object)
    codes_out = codes.astype(object)
    injected: dict[str, int] = {}
    if cfg.inject_errors and n >= 1000:
        k_out = max(2, n // 4000)
        far = rng.choice(n, k_out, replace=False)
        lon_out[far] = np.round(lon[far] + 0.8, 6)  # typed wrong: lands outside the city
        k_missing = max(2, n // 5000)
        missing = rng.choice(np.setdiff1d(np.arange(n), far), k_missing, replace=False)
        lon_out[missing] = None
        lat_out[missing] = None
        k_bad = max(2, n // 2000)
        badc = rng.choice(n, k_bad, replace=False)
        codes_out[badc] = [c[:17] + U.ALPHABET[(U.ALPHABET.index(c[17]) + 1) % 31] for c in codes[badc]]
        injected = {"enterprise_outside_city": int(k_out), "enterprise_missing_coordinates": int(k_missing),
                    "enterprise_bad_checksum": int(k_bad)}
        flawed = np.concatenate([far, missing, badc])
    else:
        flawed = np.array([], dtype=int)
    # Shared sites (出租分租, 厂中厂) from a generator of their own, so every other draw stays as it was.
    site_rng = np.random.default_rng([cfg.seed, 17])
    sites = _shared_sites(site_rng, xy, home, flags["rented"], flawed, place, np.array(county_codes)[county_idx])
    for group in sites["groups"]:  # the tenants move into the first one's building, metres apart
        xy[group[1:]] = xy[group[0]] + site_rng.normal(0, 0.01, (len(group) - 1, 2))
    moved = np.concatenate([g[1:] for g in sites["groups"]]) if sites["groups"] else np.array([], dtype=int)
    lonlat[moved] = _km_to_deg(xy[moved])
    lon[moved], lat[moved] = np.round(lonlat[moved, 0], 6), np.round(lonlat[moved, 1], 6)
    lon_out[moved], lat_out[moved] = lon[moved], lat[moved]
    address = _site_addresses(site_rng, address.astype(object), sites["groups"], county_idx, county_names,
                              street, house_no)

    say("写入边界文件", 0.4)
    _write_geojson(out / "county.geojson", {"code": county_codes, "name": county_names},
                   county_geoms, T.COUNTY)
    _write_geojson(out / "township.geojson",
                   {"code": list(tw_code), "name": list(tw_name),
                    "county_code": [county_codes[c] for c in county_of]}, tw_geoms, T.TOWNSHIP)
    _write_geojson(out / "grid.geojson", grid_rows, grid_geoms, T.GRID)
    _write_geojson(out / "park.geojson",
                   {"park_id": [f"P{i + 1:03d}" for i in range(len(parks))], "name": park_names,
                    "kind": [p["kind"] for p in parks], "operator": park_operator},
                   [p["geom"] for p in parks], T.PARK)

    say("写入企业表", 0.45)
    yes_no = lambda a: np.where(a, "是", "否")  # noqa: E731
    ent_cols = {
        "uscc": codes_out, "name": names, "address": address, "lon": lon_out, "lat": lat_out,
        "industry": industry, "employees": employees.astype(str), "revenue_10k_cny": revenue.astype(str),
        **{f: yes_no(flags[f]) for f in ("hazchem", "special_equipment", "dust", "spraying", "ammonia",
                                         "confined_space", "gas", "rented", "mixed_use", "small_scattered")},
        "illegal_building_m2": illegal.astype(str),
        # A principal and a made-up phone for each (a generator of their own: nothing else changes).
        "principal": _person_names(np.random.default_rng(cfg.seed + 1), len(codes_out)),
        "phone": np.array([f"13800{i % 10**6:06d}" for i in range(len(codes_out))], dtype=object),
        **{c: sites[c] for c in ("site_id", "site_name", "landlord", "landlord_uscc")},
    }
    _write_csv(out / "enterprise.csv", ent_cols, T.ENTERPRISE)

    say("生成检查记录", 0.55)
    end = (cfg.as_of - dt.date(1970, 1, 1)).days
    start_day = end - 365 * cfg.years
    obs = (flags["hazchem"] + flags["dust"] + flags["ammonia"] + high_fire + flags["mixed_use"]).astype(float)
    lam_insp = cfg.inspections_per_year * cfg.years * np.exp(0.15 * (obs - obs.mean()))
    rel = np.exp(0.8 * (z - z.mean()))
    n_haz = rng.poisson(cfg.hazards_per_enterprise * rel / rel.mean())
    n_insp = np.maximum(rng.poisson(lam_insp), (n_haz > 0).astype(int))
    ins_ent = np.repeat(np.arange(n), n_insp)
    ins_day = rng.integers(start_day, end + 1, len(ins_ent))
    order = np.lexsort((ins_day, ins_ent))
    ins_ent, ins_day = ins_ent[order], ins_day[order]
    deps = list(vocab.DEPARTMENTS)
    dep_w = np.zeros((n, len(deps)))
    dep_w[:, deps.index("应急管理局")] = 3.0
    dep_w[:, deps.index("经信局")] = 0.3 + 1.2 * in_park_gen
    dep_w[:, deps.index("公安局")] = 0.6 + 1.5 * flags["hazchem"]
    dep_w[:, deps.index("生态环境局")] = 0.3 + 1.0 * flags["hazchem"]
    dep_w[:, deps.index("建设局")] = 0.3 + 1.0 * (illegal > 0)
    dep_w[:, deps.index("交通运输局")] = 0.1 + 0.5 * flags["hazchem"]
    dep_w[:, deps.index("市场监管局")] = 0.5 + 2.0 * flags["special_equipment"]
    dep_w[:, deps.index("综合执法局")] = 0.4 + 2.0 * (illegal > 0) + 1.0 * flags["gas"]
    dep_w[:, deps.index("消防救援")] = 2.5 + 1.0 * high_fire + 2.0 * flags["mixed_use"]
    cw = np.cumsum(dep_w, axis=1)
    cw /= cw[:, -1:]
    ins_dep = (rng.random(len(ins_ent))[:, None] > cw[ins_ent]).sum(1)
    first_insp = np.searchsorted(ins_ent, np.arange(n))

    say("生成隐患记录", 0.62)
    hz_ent = np.repeat(np.arange(n), n_haz)
    pick = first_insp[hz_ent] + (rng.random(len(hz_ent)) * n_insp[hz_ent]).astype(int)
    hz_day, hz_dep = ins_day[pick], ins_dep[pick]
    p_major = np.clip(0.015 * np.exp(0.6 * (z - z.mean())), 0, 0.25)[hz_ent]
    r = rng.random(len(hz_ent))
    level = np.where(r < p_major, 2, np.where(r < p_major + 0.14, 1, 0))
    cats = np.empty(len(hz_ent), dtype=object)
    dep_cats = [np.array(_CATEGORIES[d], dtype=object) for d in deps]
    for d in range(len(deps)):
        m = hz_dep == d
        cats[m] = dep_cats[d][rng.integers(0, len(dep_cats[d]), int(m.sum()))]
    major_idx = np.flatnonzero(level == 2)
    for i in major_idx:
        e = hz_ent[i]
        options = [f for f in ("dust", "ammonia", "confined_space", "hazchem", "spraying", "mixed_use",
                               "special_equipment") if flags[f][e]] or ["default"]
        dep_name, cats[i] = _MAJOR[options[rng.integers(len(options))]]
        hz_dep[i] = deps.index(dep_name)
    deadline_days = np.array([7, 30, 90])[level]
    late = np.exp(0.5 * mgmt[hz_ent])
    delay = np.round(rng.exponential(deadline_days * 0.6 * late)).astype(int)
    p_never = np.where(hz_day < end - 365, 0.005, 0.05 * late)
    never = rng.random(len(hz_ent)) < p_never
    rect_day = np.where(never | (hz_day + delay > end), -1, hz_day + delay)
    close_day = np.where(rect_day >= 0, rect_day + rng.integers(1, 16, len(hz_ent)), -1)
    close_day = np.where(close_day > end, -1, close_day)
    hz_id = np.char.add("YH", np.char.zfill(np.arange(1, len(hz_ent) + 1).astype(str), 8))
    desc = np.char.add(np.char.add(np.array(_PLACES)[rng.integers(0, len(_PLACES), len(hz_ent))], "："),
                       cats.astype(str))
    levels = np.array(vocab.HAZARD_LEVELS, dtype=object)[level]
    ins_result = np.full(len(ins_ent), "未发现问题", dtype=object)
    ins_result[pick] = "发现隐患"
    ins_result[pick[level >= 1]] = "责令整改"
    if cfg.inject_errors and len(hz_ent) >= 1000:
        bad_level = rng.choice(len(hz_ent), 3, replace=False)
        levels[bad_level] = "特大"  # not a level the standards define: rejected with a reason
        injected["hazard_invalid_level"] = 3

    # How each inspection was chosen (issue 17), from a generator of its own so that nothing
    # else changes: a fixed share by the 双随机 draw, whatever the enterprise; the rest from the
    # risk list, on complaints or otherwise, the risk list (and complaints, less so) going to
    # the enterprises of higher hidden risk — so risk-chosen inspections find more.
    method_rng = np.random.default_rng(cfg.seed + 2)
    zc = (z - z.mean())[ins_ent]
    targeted_w = np.column_stack([1.2 * np.exp(2.0 * zc), 0.15 * np.exp(0.6 * zc), np.full(len(ins_ent), 0.5)])
    chosen_p = np.column_stack([np.full(len(ins_ent), 0.35), 0.65 * targeted_w / targeted_w.sum(1, keepdims=True)])
    which = (method_rng.random(len(ins_ent))[:, None] > np.cumsum(chosen_p, axis=1)).sum(1)
    ins_method = np.array(vocab.INSPECTION_METHODS, dtype=object)[np.minimum(which, len(vocab.INSPECTION_METHODS) - 1)]

    _write_csv(out / "inspection.csv", {
        "id": np.char.add("JC", np.char.zfill(np.arange(1, len(ins_ent) + 1).astype(str), 8)),
        "uscc": codes_out[ins_ent], "date": _dates(ins_day),
        "department": np.array(deps, dtype=object)[ins_dep], "result": ins_result, "method": ins_method,
    }, T.INSPECTION)
    hazard_cols = {
        "id": hz_id, "uscc": codes_out[hz_ent], "found_on": _dates(hz_day), "category": cats,
        "description": desc, "level": levels, "department": np.array(deps, dtype=object)[hz_dep],
        "deadline": _dates(hz_day + deadline_days), "rectified_on": _dates(rect_day),
        "closed_on": _dates(close_day), "site_id": np.full(len(hz_ent), None, dtype=object),
    }
    shared = _site_hazards(site_rng, sites, codes_out, start_day, end, len(hz_ent) + 1)
    _write_csv(out / "hazard.csv", {k: np.concatenate([np.asarray(v, dtype=object), shared[k]])
                                    for k, v in hazard_cols.items()}, T.HAZARD)

    say("生成执法与事故记录", 0.8)
    overdue_like = (rect_day < 0) & (hz_day + deadline_days < end) | (rect_day - hz_day > deadline_days)
    p_enf = np.where(level == 2, 0.7, np.where(overdue_like, 0.3, 0.01))
    enf = np.flatnonzero(rng.random(len(hz_ent)) < p_enf)
    enf_day = np.minimum(hz_day[enf] + np.where(level[enf] == 2, rng.integers(0, 10, len(enf)),
                                                 deadline_days[enf] + rng.integers(0, 20, len(enf))), end)
    actions = np.array(vocab.ENFORCEMENT_ACTIONS, dtype=object)
    p_major_act = np.array([0.3, 0.25, 0.1, 0.2, 0.08, 0.02, 0.03, 0.015, 0.005])
    p_other_act = np.array([0.2, 0.25, 0.5, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0])
    a_major = rng.choice(len(actions), len(enf), p=p_major_act / p_major_act.sum())
    a_other = rng.choice(len(actions), len(enf), p=p_other_act / p_other_act.sum())
    act = np.where(level[enf] == 2, a_major, a_other)
    fined = np.isin(act, [0, 1])
    fine = np.where(fined, np.round(np.clip(rng.lognormal(np.log(1.5), 0.8, len(enf)), 0.1, 50), 2), 0.0)
    _write_csv(out / "enforcement.csv", {
        "id": np.char.add("ZF", np.char.zfill(np.arange(1, len(enf) + 1).astype(str), 7)),
        "uscc": codes_out[hz_ent[enf]], "date": _dates(enf_day), "action": actions[act],
        "fine_10k_cny": np.where(fined, fine.astype(str).astype(object), np.full(len(enf), None)),
        "department": np.array(deps, dtype=object)[hz_dep[enf]],
    }, T.ENFORCEMENT)

    ez = np.exp(z)
    c = cfg.incidents_per_1000_per_year / 1000 * n / ez.sum()
    n_inc = rng.poisson(c * ez * cfg.years)
    inc_ent = np.repeat(np.arange(n), n_inc)
    inc_xy_km = xy[inc_ent] + rng.normal(0, 0.015, (len(inc_ent), 2))
    n_free = max(1, len(inc_ent) // 6)
    free_xy = warped_seeds[rng.integers(0, n_tw, n_free)] + rng.normal(0, 1.0, (n_free, 2))
    free_xy = np.where(shapely.contains_xy(outline, free_xy[:, 0], free_xy[:, 1])[:, None], free_xy,
                       warped_seeds[rng.integers(0, n_tw, n_free)])
    all_xy = np.vstack([inc_xy_km, free_xy])
    inc_wgs = _km_to_deg(all_xy)
    g_lon, g_lat = wgs84_to_gcj02(inc_wgs[:, 0], inc_wgs[:, 1])
    m = len(all_xy)
    fire_p = np.concatenate([0.7 + 0.2 * high_fire[inc_ent] + 0.1 * flags["mixed_use"][inc_ent],
                             np.full(n_free, 0.9)])
    inc_kind = np.where(rng.random(m) < np.clip(fire_p, 0, 0.98), "火灾", "事故").astype(object)
    inc_day = rng.integers(start_day, end + 1, m)
    order = np.argsort(inc_day, kind="stable")
    inc_uscc = np.concatenate([codes_out[inc_ent], np.full(n_free, None, dtype=object)])
    _write_csv(out / "incident.csv", {
        "id": np.char.add("SG", np.char.zfill(np.arange(1, m + 1).astype(str), 6)),
        "date": _dates(inc_day[order]),
        "lon": np.round(g_lon[order], 6).astype(str), "lat": np.round(g_lat[order], 6).astype(str),
        "uscc": inc_uscc[order], "kind": inc_kind[order],
        "deaths": rng.poisson(0.03, m).astype(str), "injuries": rng.poisson(0.4, m).astype(str),
        "loss_10k_cny": np.round(rng.lognormal(np.log(5), 1.0, m), 2).astype(str),
    }, T.INCIDENT)
    # A fictitious roster of inspectors for the 双随机 draw: three per department, with made-up
    # badge numbers and phones (not drawn from the generator, so nothing else changes).
    roster_dep = np.repeat(np.array(deps, dtype=object), 3)
    n_ins = len(roster_dep)
    _write_csv(out / "inspector.csv", {
        "badge": np.array([f"SY{i + 1:05d}" for i in range(n_ins)], dtype=object),
        "name": _person_names(rng, n_ins), "department": roster_dep,
        "phone": np.array([f"1390000{i + 1:04d}" for i in range(n_ins)], dtype=object),
    }, T.INSPECTOR)
    # Re-checks of closed hazards (issue 17, part 3): a tenth of the last year's closures are
    # visited again 3-44 days after closing; a closure fails more often where management is poor.
    # From a generator of their own, so nothing above changes.
    rc_rng = np.random.default_rng(cfg.seed + 17)
    valid = np.ones(len(hz_ent), dtype=bool)
    if "hazard_invalid_level" in injected:
        valid[bad_level] = False
    closed_idx = np.flatnonzero(valid & (close_day >= 0) & (close_day > end - 365))
    rc = np.sort(rc_rng.choice(closed_idx, len(closed_idx) // 10, replace=False)) if len(closed_idx) else closed_idx
    rc_day = close_day[rc] + rc_rng.integers(3, 45, len(rc))
    rc, rc_day = rc[rc_day <= end], rc_day[rc_day <= end]
    p_fail = np.clip(0.08 * late[rc], 0, 0.5)
    u = rc_rng.random(len(rc))
    outcome = np.where(u < p_fail * 0.6, "未整改", np.where(u < p_fail, "复发", "属实整改")).astype(object)
    _write_csv(out / "recheck.csv", {
        "id": np.array([f"FC{i + 1:07d}" for i in range(len(rc))], dtype=object), "hazard_id": hz_id[rc],
        "date": _dates(rc_day), "outcome": outcome, "checker": _person_names(rc_rng, len(rc)),
        "department": np.array(deps, dtype=object)[hz_dep[rc]],
    }, T.RECHECK)
    truth = pa.table({"uscc": codes, "hidden_risk": np.round(z, 4), "management": np.round(mgmt, 4),
                      "lon_wgs84": np.round(lonlat[:, 0], 6), "lat_wgs84": np.round(lonlat[:, 1], 6)})
    import pyarrow.csv as pacsv

    pacsv.write_csv(truth, out / "truth" / "hidden_risk.csv")
    inc_truth = pa.table({"id": np.char.add("SG", np.char.zfill(np.arange(1, m + 1).astype(str), 6)),
                          "lon_wgs84": inc_wgs[order, 0], "lat_wgs84": inc_wgs[order, 1]})
    pacsv.write_csv(inc_truth, out / "truth" / "incident_wgs84.csv")

    summary = {
        "counties": cfg.counties, "townships": n_tw, "grids": n_grid, "parks": len(parks),
        "enterprises": n, "inspections": int(len(ins_ent)), "hazards": int(len(hz_ent)) + len(shared["id"]),
        "enforcement": int(len(enf)), "incidents": int(m), "rechecks": int(len(rc)), "injected_errors": injected,
        "shared_sites": len(sites["groups"]), "site_hazards": len(shared["id"]),
    }
    manifest = {
        "name": f"demo-{cfg.seed}",
        "city_name": cfg.city_name,
        "illustrative": True,
        "data_note": DATA_NOTE,
        "as_of": cfg.as_of.isoformat(),
        "generator": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(cfg).items()},
        "summary": summary,
        "files": {
            "county": {"path": "county.geojson", "crs": "EPSG:4326"},
            "township": {"path": "township.geojson", "crs": "EPSG:4326"},
            "grid": {"path": "grid.geojson", "crs": "EPSG:4326"},
            "park": {"path": "park.geojson", "crs": "EPSG:4326"},
            "enterprise": {"path": "enterprise.csv", "crs": "EPSG:4326"},
            "inspection": {"path": "inspection.csv"},
            "hazard": {"path": "hazard.csv"},
            "enforcement": {"path": "enforcement.csv"},
            # Fire-department records come from a web map in GCJ-02.
            "incident": {"path": "incident.csv", "crs": "gcj02"},
            "inspector": {"path": "inspector.csv"},
            "recheck": {"path": "recheck.csv"},
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    say("示意数据已生成", 1.0)
    return summary
