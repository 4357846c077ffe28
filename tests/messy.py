"""A corpus of messy ledgers and boundary files, kept the way Chinese district offices keep them.

Every file is made by code from a fixed seed (numpy ``default_rng(SEED)``) and every data row
carries its expected outcome, written here before anything is imported. The files follow the
forms of the source documents (the 一企一档 enterprise ledger, the park hazard list, the
五张清单 / 六个清单 hazard ledgers): a merged title row, a 填报单位 / 填报时间 note row, header
variants and units, footers (填表人 / 审核人 / 合计), pages pasted together, and the values
people type (是/否, √, 有/无, 约50人, full-width digits, degree-minute-second text, dates in
many notations). They are modelled on how offices fill the forms, not on what any importer
accepts today.

The city: four fictitious counties (prefecture code 3399, no townships) that tile the box
120.4–120.9°E, 27.6–28.1°N with exactly shared edges, written in four forms (GeoJSON WGS-84,
GeoJSON GCJ-02, zipped GBK Shapefile in EPSG:4549, GeoPackage in EPSG:4528). Every enterprise
has a known WGS-84 point at least 50 m inside its county (one is deliberately outside all of
them), written in the ledgers as WGS-84, GCJ-02 or Gauss-Kruger metres.

Outcome rules assumed for each row (the product contract, decided before importing):

- ``accepted``: every value in a standard notation for its kind — numbers, Excel date cells,
  full dates written 2021-07-01 / 2021/7/1 / 2021年7月1日 / 2021.7.1 / 20210701, yes/no as
  是/否, 有/无, √ (a blank in a √ column is not asserted), vocabulary synonyms (一般隐患,
  XX区消防救援大队, 市场监督管理局 ...), surrounding blanks, a thousands separator, "/" for
  "nothing" in a date column, the column's own unit after a number (50人 under 从业人数,
  860万元 under 营业收入（万元）: nothing is changed, so nothing is fixed — decided after the
  first run, where the corpus had expected a warning).
- ``warned``: kept after an unambiguous fix — full-width digits or letters, spaces inside or
  lower case in a credit code, 约 in a number cell (约50人), 度 / °
  after a coordinate, degree-minute-second text, longitude and latitude swapped in one row (or
  easting and northing swapped against the rest of the file), a credit code of the right form
  whose check character fails, a point outside every county (kept, township_code NULL).
- ``rejected``: ambiguous or impossible — a code that is not 18 characters, a missing required
  value, 50-100人 or 若干, a date that does not exist, a hazard level outside the vocabulary
  (特大), an unknown department (安监站, unless mapped), a hazard whose enterprise does not
  exist, a duplicate key (the first is kept).
- ``skipped``: not a record — title, note, a blank row inside the data, a repeated header, a
  footer (填表人 / 审核人 / 合计 / 备注), template rows holding only a 序号. Rows above the header
  that are blank, and the header row itself, carry no expectation.

Judgement calls a reviewer may dispute are kept to a few and marked "judgement" in the row
comments: "1,250.5" accepted; "/" in a date column read as empty; a whole file in the
surveyors' X=northing convention accepted without warning; 序号-only rows skipped.

Run ``python -m tests.messy`` to write the corpus to a folder and print the counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import shapely
from openpyxl.styles import Alignment, Border, Font, Side
from shapely.geometry import Point, Polygon

from data.uscc import ALPHABET, check_char, is_valid, org_code_check
from geo import crs as gcrs

SEED = 20240315
#: The as-of date of the hazard figures (hazards found on or before it count).
AS_OF = dt.date(2024, 6, 30)
CITY = "示意市"
#: The day the hazard ledgers were filled in: nothing is rectified or closed after it.
FILLED = dt.date(2024, 9, 5)

ACCEPTED, WARNED, REJECTED, SKIPPED = "accepted", "warned", "rejected", "skipped"
OUTCOMES = (ACCEPTED, WARNED, REJECTED, SKIPPED)


# ---------------------------------------------------------------------------------------------
# Ground truth and expectations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str
    name: str
    polygon: Polygon  # WGS-84 lon/lat, densified (a vertex at least every 0.01°)


@dataclass
class Enterprise:
    """What an enterprise really is; the ledgers write it in their own ways."""

    uscc: str
    name: str
    address: str
    industry: str
    lon: float  # WGS-84
    lat: float
    county: str | None  # the county the point lies in (None: outside every county)
    employees: int | None
    revenue: float | None  # 万元
    hazchem: bool | None
    rented: bool | None
    mixed_use: bool | None
    founded_on: dt.date


@dataclass
class Hazard:
    id: str
    uscc: str
    found_on: dt.date
    category: str | None
    description: str | None
    level: str  # canonical: 一般 / 较大 / 重大
    department: str | None  # canonical (data/vocab.py DEPARTMENTS)
    deadline: dt.date | None
    rectified_on: dt.date | None
    closed_on: dt.date | None
    county: str | None = None


@dataclass(frozen=True)
class Expect:
    """The expected outcome of one sheet row or CSV line."""

    outcome: str
    why: str
    #: For accepted / warned rows: the stored values, by column name (data/tables.py). Keys
    #: absent are not checked; lon/lat are checked to 1 m.
    record: dict[str, Any] | None = None
    #: For warned / rejected rows: the standard header (Column.header) the issue names.
    column: str | None = None


@dataclass
class Row:
    number: int  # 1-based sheet row (counting title rows) or CSV line
    expect: Expect
    #: The outcome when the ledger is imported with ``Ledger.mapped_values`` (None: same).
    mapped: Expect | None = None


@dataclass
class Ledger:
    key: str
    path: Path
    table: str  # enterprise / hazard
    rows: list[Row]
    what: str
    crs: str = "auto"
    header_row: int | None = None
    encoding: str | None = None  # CSV only
    #: A ``values=`` mapping under which some rows change outcome (Row.mapped).
    mapped_values: dict[str, dict[str, str]] | None = None

    def expected(self, mapped: bool = False) -> dict[int, Expect]:
        return {r.number: (r.mapped if mapped and r.mapped else r.expect) for r in self.rows}

    def counts(self, mapped: bool = False) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for e in self.expected(mapped).values():
            out[e.outcome] += 1
        return out


@dataclass
class BoundaryFile:
    form: str
    path: Path
    crs: str | None  # what init_city is told (None: the file's own)
    what: str


@dataclass
class Corpus:
    folder: Path
    counties: list[County]
    #: Enterprises expected in the database after every enterprise ledger is imported.
    enterprises: dict[str, Enterprise]
    #: Hazards expected in the database after every hazard ledger is imported (no mapping).
    hazards: dict[str, Hazard]
    ledgers: dict[str, Ledger]
    boundaries: dict[str, BoundaryFile]
    #: An enterprise ledger whose coordinate columns are headed 位置1 / 位置2.
    no_coordinates: Path

    def enterprise_ledgers(self) -> list[Ledger]:
        return [lg for lg in self.ledgers.values() if lg.table == "enterprise"]

    def hazard_ledgers(self) -> list[Ledger]:
        return [lg for lg in self.ledgers.values() if lg.table == "hazard"]

    def hazard_figures(self, as_of: dt.date = AS_OF) -> dict[str, dict[str, Any]]:
        """Per county: total, rectified, open, overdue, major, rectification_rate (plain Python)."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.counties:
            found = [h for h in self.hazards.values() if h.county == c.code and h.found_on <= as_of]
            rectified = [h for h in found if h.rectified_on is not None and h.rectified_on <= as_of]
            still_open = [h for h in found if not (h.rectified_on is not None and h.rectified_on <= as_of)]
            overdue = [h for h in still_open if h.deadline is not None and h.deadline < as_of]
            out[c.code] = {
                "total": len(found),
                "rectified": len(rectified),
                "open": len(still_open),
                "overdue": len(overdue),
                "major": sum(h.level == "重大" for h in found),
                "rectification_rate": len(rectified) / len(found) if found else None,
            }
        return out


# ---------------------------------------------------------------------------------------------
# Geography: four counties sharing edges exactly
# ---------------------------------------------------------------------------------------------

_NW, _NE, _SE, _SW = (120.40, 28.10), (120.90, 28.10), (120.90, 27.60), (120.40, 27.60)
_N, _E, _S, _W = (120.66, 28.10), (120.90, 27.88), (120.61, 27.60), (120.40, 27.83)
_C = (120.63, 27.86)
# The four inner boundaries, each with a kink, from the centre outwards.
_C_N = [_C, (120.62, 27.98), _N]
_C_E = [_C, (120.77, 27.84), _E]
_C_S = [_C, (120.67, 27.72), _S]
_C_W = [_C, (120.52, 27.87), _W]

COUNTIES = (  # code, name, towns (for addresses)
    ("339902", "示意区", ("东城街道", "西山街道", "滨江街道")),
    ("339903", "样板区", ("新桥街道", "北湖街道", "梧田镇")),
    ("339921", "模拟县", ("城关镇", "塘头镇", "溪口乡")),
    ("339922", "虚构县", ("江南街道", "海城镇", "石门乡")),
)


def _dense(points: list[tuple[float, float]], step: float = 0.01) -> list[tuple[float, float]]:
    """The polyline with extra vertices so that no segment is longer than ``step`` degrees."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(np.ceil(max(abs(x1 - x0), abs(y1 - y0)) / step)))
        out += [(round(x0 + (x1 - x0) * i / n, 9), round(y0 + (y1 - y0) * i / n, 9)) for i in range(1, n + 1)]
    return out


def _ring(*parts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Join densified polylines end to start (each part starts where the last ended)."""
    ring: list[tuple[float, float]] = []
    for p in parts:
        d = _dense(p)
        ring += d if not ring else d[1:]
    assert ring[0] == ring[-1], "ring not closed"
    return ring


def _rev(p: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return list(reversed(p))


def make_counties() -> list[County]:
    rings = {
        "339902": _ring(_C_N, [_N, _NW, _W], _rev(_C_W)),  # north-west
        "339903": _ring(_C_E, [_E, _NE, _N], _rev(_C_N)),  # north-east
        "339921": _ring(_C_W, [_W, _SW, _S], _rev(_C_S)),  # south-west
        "339922": _ring(_C_S, [_S, _SE, _E], _rev(_C_E)),  # south-east
    }
    counties = [County(code, name, Polygon(rings[code])) for code, name, _ in COUNTIES]
    box = shapely.box(_SW[0], _SW[1], _NE[0], _NE[1])
    union = shapely.union_all([c.polygon for c in counties])
    assert all(c.polygon.is_valid for c in counties)
    assert abs(union.area - box.area) < 1e-12, "counties do not tile the box"
    assert abs(sum(c.polygon.area for c in counties) - box.area) < 1e-12, "counties overlap"
    return counties


def _project(geom: Any, crs: str = "EPSG:4549") -> Any:
    """A WGS-84 geometry in Gauss-Kruger metres (for distances)."""
    return shapely.transform(geom, lambda xy: np.column_stack(gcrs.from_wgs84(xy[:, 0], xy[:, 1], crs)))


def county_of(counties: list[County], lon: float, lat: float) -> str | None:
    hits = [c.code for c in counties if c.polygon.contains(Point(lon, lat))]
    assert len(hits) <= 1
    return hits[0] if hits else None


# ---------------------------------------------------------------------------------------------
# Text mess: how people type values
# ---------------------------------------------------------------------------------------------

_FULL = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in
                       "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-"})


def fullwidth(s: str) -> str:
    """Digits, letters, '.' and '-' typed in the IME's full-width mode (５０, ＭＡ２, ．)."""
    return s.translate(_FULL)


def spaced(code: str) -> str:
    """A credit code typed in groups of four, as it is printed on a licence."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def dms(deg: float, ascii_marks: bool = False) -> str:
    """Degree-minute-second text with seconds to 0.01″ (≈ 0.3 m)."""
    cs = int(round(deg * 360000))  # hundredths of a second
    d, rest = divmod(cs, 360000)
    m, s = divmod(rest, 6000)
    if ascii_marks:
        return f"{d}°{m}'{s / 100:05.2f}\""
    return f"{d}°{m}′{s / 100:05.2f}″"


def dms_value(text: str) -> float:
    """Inverse of :func:`dms` (used only to check the generator)."""
    t = text.replace("′", "'").replace("″", '"')
    d, rest = t.split("°")
    m, rest = rest.split("'")
    return int(d) + int(m) / 60 + float(rest.rstrip('"')) / 3600


def date_text(d: dt.date, form: str) -> str:
    """A date in one of the notations offices use."""
    return {
        "iso": f"{d:%Y-%m-%d}",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "cn": f"{d.year}年{d.month}月{d.day}日",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "compact": f"{d:%Y%m%d}",
    }[form]


# ---------------------------------------------------------------------------------------------
# Making enterprises
# ---------------------------------------------------------------------------------------------

_TRADE = ("鑫达", "华盛", "永固", "恒丰", "明远", "东升", "海川", "金诚", "宏泰", "瑞丰", "联创", "博远",
          "德润", "新亚", "天晟", "振宇", "嘉禾", "隆昌", "卓越", "汇通", "百川", "信泰", "华泽", "同创",
          "锦程", "开元", "广源", "立新", "丰瑞", "启航", "荣信", "安和", "成康", "方圆", "顺发", "兴旺",
          "佳美", "利群", "凯达", "宇航", "正和", "长青", "美嘉", "中洲", "万达源", "奥新", "欣悦", "浩森")
_SUFFIX = {
    "服装": "服饰有限公司", "制鞋": "鞋业有限公司", "袜业": "袜业有限公司", "玩具": "玩具有限公司",
    "眼镜": "眼镜有限公司", "箱包": "箱包有限公司", "印刷": "印刷有限公司", "工艺品": "工艺品厂",
    "竹木加工": "竹木制品厂", "汽摩配件": "汽摩配件有限公司", "阀门": "阀门有限公司", "泵业": "泵业有限公司",
    "电气机械": "电气有限公司", "五金制品": "五金制品厂", "塑料制品": "塑业有限公司",
    "金属表面处理": "表面处理有限公司", "食品加工": "食品有限公司", "家具制造": "家具有限公司",
    "包装材料": "包装有限公司", "电子元件": "电子有限公司",
}
_ROADS = ("工业路", "兴业路", "创新大道", "前进路", "塘下路", "园区一路", "纬三路", "经二路", "滨海大道", "振兴路")
_ORG_CHARS = list(ALPHABET)  # characters of the organisation-code part (a subset of GB 11714's)


class Factory:
    """Draws enterprises with unique codes, names and points; all randomness from one rng."""

    def __init__(self, rng: np.random.Generator, counties: list[County]) -> None:
        self.rng = rng
        self.counties = counties
        self.by_code = {c.code: c for c in counties}
        self.towns = {code: towns for code, _, towns in COUNTIES}
        self.projected = {c.code: _project(c.polygon) for c in counties}
        # Each county's edges shared with a neighbour (metres), for points placed near them.
        self.shared = {
            c.code: shapely.union_all([self.projected[c.code].boundary.intersection(self.projected[o.code].boundary)
                                       for o in counties if o.code != c.code])
            for c in counties
        }
        self.codes: set[str] = set()
        self.names: set[str] = set()

    def uscc(self, county: str, kind: str = "91") -> str:
        while True:
            org8 = "MA2" + "".join(self.rng.choice(_ORG_CHARS, 5))  # MA2…: codes issued since 2016
            first17 = kind + county + org8 + org_code_check(org8)
            code = first17 + check_char(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def point(self, county: str, near_edge: bool = False) -> tuple[float, float]:
        """A WGS-84 point inside ``county``: ≥ 300 m from its boundary, or, if near_edge,
        55–120 m from an edge shared with a neighbour (and ≥ 55 m from every edge)."""
        poly = self.by_code[county].polygon
        proj = self.projected[county]
        x0, y0, x1, y1 = poly.bounds
        while True:
            lon = round(float(self.rng.uniform(x0, x1)), 7)
            lat = round(float(self.rng.uniform(y0, y1)), 7)
            if not poly.contains(Point(lon, lat)):
                continue
            e, n = gcrs.from_wgs84(lon, lat, "EPSG:4549")
            p = Point(float(e), float(n))
            d = proj.exterior.distance(p)
            if near_edge and d >= 55 and self.shared[county].distance(p) <= 120:
                return lon, lat
            if not near_edge and d >= 300:
                return lon, lat

    def enterprise(self, county: str | None, near_edge: bool = False, point: tuple[float, float] | None = None,
                   home: str | None = None, **fixed: Any) -> Enterprise:
        """A new enterprise in ``county`` (None: at ``point``, outside; named after ``home``)."""
        rng = self.rng
        home = county or home or "339902"
        industry = str(rng.choice(list(_SUFFIX)))
        while True:
            name = f"{self.by_code[home].name}{rng.choice(_TRADE)}{_SUFFIX[industry]}"
            if name not in self.names:
                self.names.add(name)
                break
        lon, lat = point if point else self.point(home, near_edge)
        e = Enterprise(
            uscc=self.uscc(home, "92" if rng.random() < 0.1 else "91"),
            name=name,
            address=f"{self.by_code[home].name}{rng.choice(self.towns[home])}{rng.choice(_ROADS)}{int(rng.integers(1, 400))}号",
            industry=industry,
            lon=lon,
            lat=lat,
            county=county_of(self.counties, lon, lat),
            employees=int(rng.integers(3, 280)),
            revenue=round(float(rng.uniform(30, 1950)), 1),
            hazchem=bool(rng.random() < 0.3),
            rented=bool(rng.random() < 0.4),
            mixed_use=bool(rng.random() < 0.15),
            founded_on=dt.date(2003, 1, 1) + dt.timedelta(days=int(rng.integers(0, 7300))),
        )
        for k, v in fixed.items():
            setattr(e, k, v)
        assert e.county == county, (e, county)
        return e


# ---------------------------------------------------------------------------------------------
# Sheets: rows as they will be written, each with its expectation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Line:
    cells: list[Any]
    expect: Expect | None
    mapped: Expect | None = None
    merge: int = 0  # merge the first cell across this many columns (title / note / footer)
    header: bool = False


@dataclass
class Sheet:
    ncols: int
    lines: list[_Line] = field(default_factory=list)

    def title(self, text: str) -> None:
        self.lines.append(_Line([text] + [None] * (self.ncols - 1), skip("title row"), merge=self.ncols))

    def note(self, cells: dict[int, str], why: str = "填报单位 / 填报时间 note") -> None:
        row: list[Any] = [None] * self.ncols
        for i, v in cells.items():
            row[i] = v
        self.lines.append(_Line(row, skip(why)))

    def blank(self, expected: bool = True) -> None:
        """An empty row; asserted as skipped only inside the data (``expected``)."""
        self.lines.append(_Line([None] * self.ncols, skip("blank row inside the data") if expected else None))

    def header(self, headers: list[str], expect: Expect | None = None) -> None:
        """The header row (no expectation), or a repeated header (``expect`` = skipped)."""
        self.lines.append(_Line(list(headers), expect, header=True))

    def footer(self, text: str, why: str = "footer") -> None:
        self.lines.append(_Line([text] + [None] * (self.ncols - 1), skip(why), merge=min(self.ncols, 8)))

    def data(self, cells: list[Any], expect: Expect, mapped: Expect | None = None) -> None:
        assert len(cells) == self.ncols
        self.lines.append(_Line(cells, expect, mapped))

    def rows(self) -> list[Row]:
        return [Row(i, ln.expect, ln.mapped) for i, ln in enumerate(self.lines, start=1) if ln.expect]

    @property
    def next_row(self) -> int:
        return len(self.lines) + 1


def skip(why: str) -> Expect:
    return Expect(SKIPPED, why)


def reject(column: str | None, why: str) -> Expect:
    return Expect(REJECTED, why, column=column)


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_xlsx(path: Path, sheet: Sheet, sheet_name: str = "Sheet1", date_format: str | None = None,
               extra_sheet: tuple[str, list[str]] | None = None) -> None:
    """Write a sheet as an office would: merged bold title, bordered table, wrapped headers."""
    wb = openpyxl.Workbook()
    wb.properties.created = dt.datetime(2024, 3, 15, 9, 0)
    wb.properties.creator = "示意区应急管理局"
    ws = wb.active
    ws.title = sheet_name
    for r, ln in enumerate(sheet.lines, start=1):
        for c, v in enumerate(ln.cells, start=1):
            if ln.merge and c > 1:
                continue  # the rest of a merged title / footer
            cell = ws.cell(r, c, v)
            if not ln.merge:
                cell.border = _BOX  # the table is ruled; titles and signatures are not
            if ln.header:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
            if isinstance(v, dt.date) and date_format:
                cell.number_format = date_format
        if ln.merge:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ln.merge)
            is_title = ln.merge == sheet.ncols
            ws.cell(r, 1).font = Font(bold=is_title, size=14 if is_title else 11)
            ws.cell(r, 1).alignment = Alignment(horizontal="center" if is_title else "left")
    if extra_sheet:
        ws2 = wb.create_sheet(extra_sheet[0])
        for r, text in enumerate(extra_sheet[1], start=1):
            ws2.cell(r, 1, text)
    wb.save(path)


def _csv_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.10g}" if abs(v) < 1e6 else f"{v:.3f}"
    if isinstance(v, dt.date):
        return date_text(v, "iso")
    return str(v)


def write_csv(path: Path, sheet: Sheet, encoding: str = "gbk") -> None:
    """Write a sheet as Excel / WPS "save as CSV" does: every line has every field, CRLF."""
    with open(path, "w", encoding=encoding, newline="", errors="strict") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for ln in sheet.lines:
            cells = [_csv_text(v) for v in ln.cells]
            assert not any("\n" in c for c in cells), "a CSV line must stay one line (row = line number)"
            w.writerow(cells)


# ---------------------------------------------------------------------------------------------
# Enterprise rows: standard cells from the truth, then the row's own mess as overrides
# ---------------------------------------------------------------------------------------------

#: Layout key -> column name in data/tables.py.
_COLUMN = {"uscc": "uscc", "name": "name", "address": "address", "industry": "industry",
           "employees": "employees", "revenue": "revenue_10k_cny", "hazchem": "hazchem",
           "rented": "rented", "mixed_use": "mixed_use", "founded_on": "founded_on"}
_HEADER = {"uscc": "统一社会信用代码", "name": "企业名称", "employees": "从业人数", "founded_on": "成立日期",
           "revenue": "营业收入（万元）", "lon": "经度", "lat": "纬度", "hazchem": "涉及危化品"}

Coords = Callable[[Enterprise], dict[str, Any]]


def wgs_cells(csv_text: bool = False) -> Coords:
    def f(e: Enterprise) -> dict[str, Any]:
        if csv_text:
            return {"lon": f"{e.lon:.6f}", "lat": f"{e.lat:.6f}"}
        return {"lon": round(e.lon, 6), "lat": round(e.lat, 6)}
    return f


def gcj_cells(e: Enterprise) -> dict[str, Any]:
    glon, glat = gcrs.wgs84_to_gcj02(e.lon, e.lat)
    return {"lon": f"{float(glon):.6f}", "lat": f"{float(glat):.6f}"}


def gk(e: Enterprise, crs: str) -> tuple[float, float]:
    east, north = gcrs.from_wgs84(e.lon, e.lat, crs)
    return round(float(east), 3), round(float(north), 3)


def gk_cells(crs: str, north_first: bool, csv_text: bool = False) -> Coords:
    """Gauss-Kruger metres in columns x, y; surveyors put the northing in X (north_first)."""
    def f(e: Enterprise) -> dict[str, Any]:
        east, north = gk(e, crs)
        x, y = (north, east) if north_first else (east, north)
        return {"x": f"{x:.3f}", "y": f"{y:.3f}"} if csv_text else {"x": x, "y": y}
    return f


def ent_cells(e: Enterprise, layout: list[tuple[str, str]], seq: int | str | None, coords: Coords,
              bools: str = "是否", dates: str | None = None, **over: Any) -> list[Any]:
    """The cells of one enterprise row in ``layout`` order, written in the file's standard way.

    bools: "是否", "有无" or "√" (a tick for yes, blank for no). dates: None for Excel date cells,
    else a :func:`date_text` form. ``over``: this row's own mess, by layout key.
    """
    yes_no = {"是否": ("是", "否"), "有无": ("有", "无"), "√": ("√", None)}[bools]

    def b(v: bool | None) -> str | None:
        return None if v is None else yes_no[0] if v else yes_no[1]

    vals: dict[str, Any] = {
        "seq": seq, "uscc": e.uscc, "name": e.name, "address": e.address, "industry": e.industry,
        "employees": e.employees, "revenue": e.revenue, "hazchem": b(e.hazchem), "rented": b(e.rented),
        "mixed_use": b(e.mixed_use),
        "founded_on": e.founded_on if dates is None else date_text(e.founded_on, dates),
    }
    vals.update(coords(e))
    vals.update(over)
    return [vals.get(k) for _, k in layout]


def ent_record(e: Enterprise, layout: list[tuple[str, str]], unasserted: tuple[str, ...] = ()) -> dict[str, Any]:
    """The normalised record the database should hold for ``e`` (the columns the file has)."""
    keys = {k for _, k in layout}
    rec: dict[str, Any] = {_COLUMN[k]: getattr(e, k) for k in _COLUMN if k in keys and k not in unasserted}
    if keys & {"lon", "lat", "x", "y"}:
        rec["lon"], rec["lat"] = e.lon, e.lat
    rec["township_code"] = e.county
    return rec


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rng = np.random.default_rng(SEED)
        self.counties = make_counties()
        self.f = Factory(self.rng, self.counties)
        self.stored: dict[str, Enterprise] = {}  # enterprises expected in the database
        self.pools: dict[str, list[Enterprise]] = {}  # ledger key -> its stored enterprises
        self.unstored: dict[str, str] = {}  # codes of rejected enterprise rows, by what was wrong
        self.hazards: dict[str, Hazard] = {}
        self.ledgers: dict[str, Ledger] = {}

    # -- helpers ------------------------------------------------------------------------------

    def keep(self, key: str, e: Enterprise) -> Enterprise:
        assert e.uscc not in self.stored
        self.stored[e.uscc] = e
        self.pools.setdefault(key, []).append(e)
        return e

    def ok(self, key: str, e: Enterprise, layout: list[tuple[str, str]], why: str,
           unasserted: tuple[str, ...] = ()) -> Expect:
        self.keep(key, e)
        return Expect(ACCEPTED, why, ent_record(e, layout, unasserted))

    def warn(self, key: str, e: Enterprise, layout: list[tuple[str, str]], column: str | None, why: str,
             unasserted: tuple[str, ...] = ()) -> Expect:
        self.keep(key, e)
        return Expect(WARNED, why, ent_record(e, layout, unasserted), column)

    def add_ledger(self, lg: Ledger) -> None:
        self.ledgers[lg.key] = lg

    # -- 1. xlsx enterprise ledger: the 一企一档 base ledger of 示意区, WGS-84 degrees ---------

    def enterprise_xlsx(self) -> None:
        key, county = "enterprise_xlsx", "339902"
        layout = [("序号", "seq"), ("统一社会信用代码", "uscc"), ("企业名称", "name"), ("经营地址", "address"),
                  ("所属行业", "industry"), ("经度", "lon"), ("纬度", "lat"), ("从业\n人数", "employees"),
                  ("营业收入(万元)", "revenue"), ("是否使用危化品", "hazchem"), ("是否出租/分租", "rented"),
                  ("“三合一”场所", "mixed_use"), ("成立日期", "founded_on")]
        s = Sheet(len(layout))
        s.title("示意区小微企业安全生产基本情况台账（一企一档）")
        s.note({0: "填报单位：示意区应急管理局（盖章）", 9: "填报时间：2024年3月15日"})
        s.blank(expected=False)  # blank row above the header: no expectation
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        coords = wgs_cells()
        seq = iter(range(1, 100))

        def row(e: Enterprise, expect: Expect, **over: Any) -> None:
            s.data(ent_cells(e, layout, next(seq), coords, **over), expect)

        # Plain rows: numbers as number cells, 是/否, 成立日期 as an Excel date cell.
        first = c(county)
        row(first, self.ok(key, first, layout, "plain row"))
        for _ in range(3):
            e = c(county)
            row(e, self.ok(key, e, layout, "plain row"))
        # 成立日期 as a datetime cell at midnight (what a date picker stores).
        e = c(county)
        row(e, self.ok(key, e, layout, "date as a datetime cell"),
            founded_on=dt.datetime.combine(e.founded_on, dt.time()))
        # Revenue left blank: optional, stored NULL.
        e = c(county, revenue=None)
        row(e, self.ok(key, e, layout, "blank revenue"))
        # Credit code with a trailing blank and a line feed pasted from a web page: trimmed.
        e = c(county)
        row(e, self.ok(key, e, layout, "surrounding whitespace in code"), uscc=e.uscc + " \n")
        # Name padded with blanks and a full-width space: trimmed.
        e = c(county)
        row(e, self.ok(key, e, layout, "surrounding whitespace in name"), name=f"  {e.name}\u3000")
        # 成立日期 typed as ISO text in a text cell.
        e = c(county)
        row(e, self.ok(key, e, layout, "ISO date text"), founded_on=date_text(e.founded_on, "iso"))
        # Two points 55-120 m from the boundary with 样板区 / 模拟县.
        for _ in range(2):
            e = c(county, near_edge=True)
            row(e, self.ok(key, e, layout, "point 55-120 m from the county edge"))
        # Check character wrong, right form (an early code typed with a slip): kept, warned.
        e = c(county)
        bad = e.uscc[:17] + next(ch for ch in "0123456789" if ch != e.uscc[17])
        e.uscc = bad
        row(e, self.warn(key, e, layout, "统一社会信用代码", "checksum fails"))
        # A workshop across the city line (east of every county): kept, township NULL, warned.
        e = c(None, point=(120.95, 27.95), home=county)
        row(e, self.warn(key, e, layout, None, "point outside every county"))
        s.blank()  # an empty bordered row left between entries
        e = c(county)
        row(e, self.ok(key, e, layout, "plain row after a blank row"))
        # No name: 企业名称 is required.
        e = c(county)
        self.unstored["name missing"] = e.uscc
        row(e, reject("企业名称", "name missing"), name=None)
        # 17 characters (last one lost when copying): neither 18 nor fixable.
        e = c(county)
        row(e, reject("统一社会信用代码", "17-character code"), uscc=e.uscc[:17])
        # The first enterprise entered again by a second inspector: duplicate, rejected.
        dup = c(county)
        row(dup, reject("统一社会信用代码", "duplicate of the first row"), uscc=first.uscc)
        e = c(county)
        row(e, self.ok(key, e, layout, "plain row"))
        # 成立日期 30 February: not a date.
        e = c(county)
        row(e, reject("成立日期", "2021-02-30 is not a date"), founded_on="2021-02-30")
        e = c(county)
        row(e, self.ok(key, e, layout, "plain row"))
        s.footer("填表人：王晓明　　　审核人：陈建国　　　联系电话：0577-65123456")
        path = self.folder / "示意区小微企业安全生产基本情况台账.xlsx"
        write_xlsx(path, s, "企业台账", date_format="yyyy/m/d",
                   extra_sheet=("填表说明", ["1. 统一社会信用代码填写18位。", "2. 经纬度采用WGS-84坐标。",
                                         "3. 是否类字段填写“是”或“否”。"]))
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "xlsx 一企一档 of 示意区: merged title, note, WGS-84 degrees, date cells, "
                               "a 填表说明 second sheet"))

    # -- 2. GBK CSV enterprise ledger: 样板区, coordinates picked on Amap (GCJ-02) ---------------

    def enterprise_csv(self) -> None:
        key, county = "enterprise_csv", "339903"
        layout = [("序号", "seq"), ("社会信用代码", "uscc"), ("单位名称", "name"), ("经营地址", "address"),
                  ("经度(GCJ-02) ", "lon"), ("纬度（GCJ-02）", "lat"), ("从业人员数", "employees"),
                  ("营业收入（万元）", "revenue"), ("是否涉及危化品", "hazchem"), ("出租分租情况", "rented"),
                  ("三合一", "mixed_use"), ("成立日期", "founded_on")]
        s = Sheet(len(layout))
        s.title("样板区小微企业安全生产基本情况台账")
        s.note({0: "填报单位：样板区经济和信息化局", 6: "填报时间：2024/3/18"})
        s.blank(expected=False)
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        seq = iter(range(1, 100))

        def row(e: Enterprise, expect: Expect, dates: str = "slash", bools: str = "是否", **over: Any) -> None:
            cells = ent_cells(e, layout, next(seq), gcj_cells, bools=bools, dates=dates, **over)
            s.data([_csv_text(v) for v in cells], expect)

        # Plain rows, each 成立日期 in another notation.
        for form in ("slash", "cn", "dot", "compact", "iso", "slash"):
            e = c(county)
            row(e, self.ok(key, e, layout, f"plain row, date {form}"), dates=form)
        # 有/无 for the flags.
        for _ in range(2):
            e = c(county)
            row(e, self.ok(key, e, layout, "flags written 有/无"), bools="有无")
        # Revenue with a thousands separator (judgement: standard notation).
        e = c(county, revenue=1250.5)
        row(e, self.ok(key, e, layout, "revenue 1,250.5"), revenue="1,250.5")
        # Staff count left blank.
        e = c(county, employees=None)
        row(e, self.ok(key, e, layout, "blank staff count"))
        # Two points near the edge with 示意区 / 虚构县: the 540 m GCJ offset would cross it.
        for _ in range(2):
            e = c(county, near_edge=True)
            row(e, self.ok(key, e, layout, "GCJ-02 point 55-120 m from the edge"))
        # Credit code in lower case (typed on a phone).
        e = c(county)
        row(e, self.warn(key, e, layout, "统一社会信用代码", "lower-case code"), uscc=e.uscc.lower())
        # Credit code in groups of four.
        e = c(county)
        row(e, self.warn(key, e, layout, "统一社会信用代码", "code with spaces"), uscc=spaced(e.uscc))
        s.blank()
        # Staff "若干" (several): no number.
        e = c(county)
        self.unstored["staff 若干"] = e.uscc
        row(e, reject("从业人数", "staff 若干"), employees="若干")
        # Staff "50-100人": a range, ambiguous.
        e = c(county)
        row(e, reject("从业人数", "staff 50-100人"), employees="50-100人")
        e = c(county)
        row(e, self.ok(key, e, layout, "plain row"))
        s.footer("填报人：李娜", why="footer 填报人 / 联系电话 / 审核领导")
        s.lines[-1].cells[3] = "联系电话：13805771234"
        s.lines[-1].cells[7] = "审核领导：周伟"
        s.lines[-1].merge = 0
        path = self.folder / "样板区企业基本信息台账.csv"
        write_csv(path, s, "gbk")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "GBK CSV of 样板区: GCJ-02 coordinates told by the header, dates in five "
                               "notations, 有/无 flags, footer with three fields", encoding="gbk"))

    # -- 3. value-variant ledger: townships' returns merged by hand, every way of typing -------

    def enterprise_values(self) -> None:
        key = "enterprise_values"
        layout = [("信用代码（统一）", "uscc"), ("企业名称　", "name"), ("经营地址", "address"), ("经度", "lon"),
                  ("纬度", "lat"), ("员工人数（人）", "employees"), ("营业收入(万元)", "revenue"),
                  ("是否使用危化品", "hazchem"), ("是否出租/分租", "rented"), ("三合一", "mixed_use"),
                  ("成立日期", "founded_on")]
        s = Sheet(len(layout))
        s.title("各乡镇（街道）报送企业信息汇总表")
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        coords = wgs_cells()
        rot = iter(["339902", "339903", "339921", "339922"] * 10)

        def row(e: Enterprise, expect: Expect, **over: Any) -> None:
            s.data(ent_cells(e, layout, None, coords, bools="√", dates="cn", **over), expect)

        # √ for yes, blank for no: blanks are not asserted (an unticked box may mean 否 or 未填).
        ticks = ("hazchem", "rented", "mixed_use")

        def unticked(e: Enterprise) -> tuple[str, ...]:
            return tuple(k for k in ticks if not getattr(e, k))

        def ok(e: Enterprise, why: str) -> Expect:
            return self.ok(key, e, layout, why, unticked(e))

        def warn(e: Enterprise, column: str | None, why: str) -> Expect:
            return self.warn(key, e, layout, column, why, unticked(e))

        e = c(next(rot))
        row(e, ok(e, "plain row, √ flags, date 2021年7月1日 form"))
        # Dates in the other notations.
        for form in ("dot", "compact", "slash"):
            e = c(next(rot))
            row(e, ok(e, f"date {form}"), founded_on=date_text(e.founded_on, form))
        # Staff as text with blanks around.
        e = c(next(rot))
        row(e, ok(e, "staff ' 35 ' text"), employees=f" {e.employees} ")
        # Staff "50人": the column's own unit in the cell (nothing to fix).
        e = c(next(rot), employees=50)
        row(e, ok(e, "staff 50人"), employees="50人")
        # Staff "约50人": approximate.
        e = c(next(rot), employees=50)
        row(e, warn(e, "从业人数", "staff 约50人"), employees="约50人")
        # Staff "５０": full-width digits.
        e = c(next(rot), employees=50)
        row(e, warn(e, "从业人数", "staff ５０"), employees=fullwidth("50"))
        # Revenue "860万元": the column's own unit in the cell (nothing to fix).
        e = c(next(rot), revenue=860.0)
        row(e, ok(e, "revenue 860万元"), revenue="860万元")
        # Code in groups of four.
        e = c(next(rot))
        row(e, warn(e, "统一社会信用代码", "code with spaces"), uscc=spaced(e.uscc))
        # Code in lower case.
        lower = c(next(rot))
        row(lower, warn(lower, "统一社会信用代码", "lower-case code"), uscc=lower.uscc.lower())
        # Code in full-width letters and digits.
        e = c(next(rot))
        row(e, warn(e, "统一社会信用代码", "full-width code"), uscc=fullwidth(e.uscc))
        # Coordinates with full-width digits and point.
        e = c(next(rot))
        row(e, warn(e, "经度", "full-width coordinates"), lon=fullwidth(f"{e.lon:.6f}"), lat=fullwidth(f"{e.lat:.6f}"))
        # Coordinates with 度 after them.
        e = c(next(rot))
        row(e, warn(e, "经度", "coordinates with 度"), lon=f"{e.lon:.6f}度", lat=f"{e.lat:.6f}度")
        # Coordinates with ° after them.
        e = c(next(rot))
        row(e, warn(e, "经度", "coordinates with °"), lon=f"{e.lon:.6f}°", lat=f"{e.lat:.6f}°")
        # Degree-minute-second, with the proper prime marks.
        e = c(next(rot))
        row(e, warn(e, "经度", "DMS ′ ″"), lon=dms(e.lon), lat=dms(e.lat))
        # Degree-minute-second typed with ' and ".
        e = c(next(rot))
        row(e, warn(e, "经度", "DMS ' \""), lon=dms(e.lon, True), lat=dms(e.lat, True))
        # Longitude and latitude swapped in this row only.
        e = c(next(rot))
        row(e, warn(e, "经度", "lon/lat swapped"), lon=round(e.lat, 6), lat=round(e.lon, 6))
        # Spaces and a failed check character together.
        e = c(next(rot))
        e.uscc = e.uscc[:17] + next(ch for ch in "ABCDEFGH" if ch != e.uscc[17])
        row(e, warn(e, "统一社会信用代码", "spaces and failed checksum"), uscc=spaced(e.uscc))
        # Staff "50-100人": a range.
        e = c(next(rot))
        row(e, reject("从业人数", "staff 50-100人"), employees="50-100人")
        # 成立日期 2020年13月5日: no 13th month.
        e = c(next(rot))
        row(e, reject("成立日期", "month 13"), founded_on="2020年13月5日")
        # The lower-case enterprise again, now in capitals: duplicate after normalising.
        e = c(next(rot))
        row(e, reject("统一社会信用代码", "duplicate of the lower-case row"), uscc=lower.uscc)
        # A 15-digit business registration number (工商注册号) instead of the credit code.
        e = c(next(rot))
        row(e, reject("统一社会信用代码", "15-digit 注册号"), uscc="330302000" + f"{int(self.rng.integers(100000, 999999))}")
        # Name left blank by the township.
        e = c(next(rot))
        row(e, reject("企业名称", "name missing"), name=None)
        e = c(next(rot))
        row(e, ok(e, "plain row"))
        path = self.folder / "各乡镇报送企业信息汇总.xlsx"
        write_xlsx(path, s, "汇总")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "xlsx merged from townships' returns: every way of typing codes, staff, "
                               "coordinates (full-width, 度, DMS, swapped), √ flags, bad values"))

    # -- 4. projected ledger: 模拟县, CGCS2000 GK metres, surveyors' X = northing --------------

    def enterprise_xy_4549(self) -> None:
        key, county = "enterprise_xy_4549", "339921"
        layout = [("序号", "seq"), ("统一社会信用代码", "uscc"), ("企业名称", "name"), ("经营地址", "address"),
                  ("X坐标", "x"), ("Y坐标", "y"), ("从业人数", "employees"), ("成立日期", "founded_on")]
        s = Sheet(len(layout))
        s.title("模拟县规上以下工业企业位置台账")
        s.note({0: "坐标系统：2000国家大地坐标系，高斯-克吕格3度带，中央子午线120°，单位：米"},
               why="note row naming the coordinate system")
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        coords = gk_cells("EPSG:4549", north_first=True)
        seq = iter(range(1, 100))

        def row(e: Enterprise, expect: Expect, **over: Any) -> None:
            s.data(ent_cells(e, layout, next(seq), coords, **over), expect)

        # The whole file: X = northing (7 digits), Y = easting (6 digits), the surveying
        # convention; judgement: not a fix, so no warning.
        for _ in range(8):
            e = c(county)
            row(e, self.ok(key, e, layout, "X northing / Y easting (surveying convention)"))
        for _ in range(2):
            e = c(county, near_edge=True)
            row(e, self.ok(key, e, layout, "projected point 55-120 m from the edge"))
        # Coordinates as text cells with a trailing blank (pasted from a report).
        e = c(county)
        x, y = coords(e)["x"], coords(e)["y"]
        row(e, self.ok(key, e, layout, "coordinates as text"), x=f"{x:.3f} ", y=f"{y:.3f} ")
        # One clerk put easting in X, against the rest of the file: told apart by magnitude.
        e = c(county)
        east, north = gk(e, "EPSG:4549")
        row(e, self.warn(key, e, layout, None, "easting/northing swapped against the file"), x=east, y=north)
        e = c(county)
        row(e, self.ok(key, e, layout, "plain row"))
        path = self.folder / "模拟县企业位置台账（2000坐标）.xlsx"
        write_xlsx(path, s, "位置台账")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "xlsx of 模拟县 in EPSG:4549 metres, X = northing as surveyors write, one "
                               "row the other way round"))

    # -- 5. projected CSV with zone prefix: 虚构县, EPSG:4528, UTF-8 with BOM ----------------------

    def enterprise_xy_4528(self) -> None:
        key, county = "enterprise_xy_4528", "339922"
        layout = [("序号", "seq"), ("统一社会信用代码", "uscc"), ("企业名称", "name"), ("横坐标", "x"),
                  ("纵坐标", "y"), ("从业人数", "employees"), ("是否使用危化品", "hazchem"), ("成立日期", "founded_on")]
        s = Sheet(len(layout))
        s.title("虚构县重点企业清单（平面坐标）")
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        coords = gk_cells("EPSG:4528", north_first=False, csv_text=True)
        seq = iter(range(1, 100))

        def row(e: Enterprise, expect: Expect, **over: Any) -> None:
            cells = ent_cells(e, layout, next(seq), coords, dates="iso", **over)
            s.data([_csv_text(v) for v in cells], expect)

        # Easting with the zone number 40 in front (40 5xx xxx.xxx).
        for _ in range(7):
            e = c(county)
            row(e, self.ok(key, e, layout, "easting with zone prefix 40"))
        e = c(county, near_edge=True)
        row(e, self.ok(key, e, layout, "zone-prefixed point 55-120 m from the edge"))
        # Failed check character.
        e = c(county)
        e.uscc = e.uscc[:17] + next(ch for ch in "0123456789" if ch != e.uscc[17])
        row(e, self.warn(key, e, layout, "统一社会信用代码", "checksum fails"))
        # 约20人.
        e = c(county, employees=20)
        row(e, self.warn(key, e, layout, "从业人数", "staff 约20人"), employees="约20人")
        path = self.folder / "虚构县重点企业清单.csv"
        write_csv(path, s, "utf-8-sig")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "UTF-8-BOM CSV of 虚构县 in EPSG:4528 (zone 40 in the easting), 横坐标/纵坐标",
                               encoding="utf-8-sig"))

    # -- 6. footer / repeated-header ledger: two printed pages pasted into one sheet ---------

    def enterprise_footer(self) -> None:
        key = "enterprise_footer"
        layout = [("序号", "seq"), ("统一社会信用代码", "uscc"), ("企业名称", "name"), ("经营地址", "address"),
                  ("经　　度", "lon"), ("纬　　度", "lat"), ("从业人数", "employees"),
                  ("是否涉及危化品", "hazchem"), ("成立日期", "founded_on")]
        headers = [h for h, _ in layout]
        s = Sheet(len(layout))
        s.title("示意区、模拟县小微企业安全生产台账（汇总）")
        s.header(headers)
        c = self.f.enterprise
        coords = wgs_cells()
        seq = iter(range(1, 100))
        page: list[Enterprise] = []

        def row(e: Enterprise, expect: Expect, **over: Any) -> None:
            page.append(e)
            s.data(ent_cells(e, layout, next(seq), coords, **over), expect)

        # Page one: 示意区.
        for _ in range(6):
            e = c("339902")
            row(e, self.ok(key, e, layout, "page one, plain row"))
        s.footer("填表人：张三　　审核人：李四　　联系电话：0577-65128888", why="page footer 填表人 / 审核人")
        s.blank()
        # Page two starts with its own title and the header again.
        s.title("示意区、模拟县小微企业安全生产台账（续）")
        s.lines[-1].expect = skip("page title repeated")
        s.header(headers, expect=skip("repeated header row"))
        for _ in range(5):
            e = c("339921")
            row(e, self.ok(key, e, layout, "page two, plain row"))
        # Staff count typed with a trailing 人 on the second page (the column's own unit).
        e = c("339921", employees=12)
        row(e, self.ok(key, e, layout, "staff 12人"), employees="12人")
        # Template rows numbered in advance and left empty (judgement: not records).
        for n in (next(seq), next(seq)):
            s.data([n] + [None] * (len(layout) - 1), skip("template row holding only 序号"))
        # 合计 row: totals under the staff column.
        total: list[Any] = [None] * len(layout)
        total[0] = "合计"
        total[6] = sum(x.employees or 0 for x in page)
        s.data(total, skip("合计 row"))
        s.footer("填表人：张三　　审核人：李四　　联系电话：0577-65128888", why="footer 填表人 / 审核人")
        s.footer("备注：坐标为WGS-84经纬度；危化品指列入《危险化学品目录》的物质。", why="备注 footer")
        path = self.folder / "示意区模拟县企业台账（汇总）.xlsx"
        write_xlsx(path, s, "汇总", date_format="yyyy年m月d日")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "xlsx of two pages pasted together: page footer, blank row, page title and "
                               "header repeated, 序号-only rows, 合计, 填表人, 备注; headers 经　　度 with U+3000"))

    # -- 7. declared header row: a platform export with the office's own header below it -------

    def enterprise_header_row(self) -> None:
        key, county = "enterprise_header_row", "339922"
        layout = [("统一社会信用代码", "uscc"), ("企业名称", "name"), ("经营地址", "address"), ("东坐标", "x"),
                  ("北坐标", "y"), ("从业人数", "employees")]
        s = Sheet(len(layout))
        s.title("虚构县企业名录（“浙里安全”平台导出）")
        s.note({0: "导出时间：2024-03-20 16:42:05　导出人：admin"}, why="export note")
        # The platform's own header; the office typed its header underneath and filled below.
        s.header(["企业统一社会信用代码", "企业名称", "企业地址", "X坐标(米)", "Y坐标(米)", "从业人员数量"],
                 expect=skip("platform header above the declared header row"))
        header_row = s.next_row
        s.header([h for h, _ in layout])
        c = self.f.enterprise
        coords = gk_cells("EPSG:4549", north_first=False)
        for _ in range(5):
            e = c(county)
            s.data(ent_cells(e, layout, None, coords), self.ok(key, e, layout, "plain row (east, north in metres)"))
        e = c(county, near_edge=True)
        s.data(ent_cells(e, layout, None, coords), self.ok(key, e, layout, "point 55-120 m from the edge"))
        path = self.folder / "虚构县企业名录（平台导出）.xlsx"
        write_xlsx(path, s, "企业名录")
        self.add_ledger(Ledger(key, path, "enterprise", s.rows(),
                               "xlsx with two header-like rows (platform's and office's); header_row declared",
                               header_row=header_row))

    # -- 8. coordinates under headers nobody can read: the import must fail as a whole -------

    def enterprise_no_coordinates(self) -> Path:
        s = Sheet(5)
        s.title("乡镇报送企业名单")
        s.header(["统一社会信用代码", "企业名称", "位置1", "位置2", "从业人数"])
        for _ in range(4):
            e = self.f.enterprise("339902")
            s.data([e.uscc, e.name, round(e.lon, 6), round(e.lat, 6), e.employees], Expect(REJECTED, "file fails"))
        path = self.folder / "乡镇报送企业名单.xlsx"
        write_xlsx(path, s, "名单")
        return path

    # -- 9. xlsx hazard ledger: 示意区 五张清单 (检查/隐患/整改), 检查部门 by official name -------

    def hazard_xlsx(self) -> None:
        key = "hazard_xlsx"
        headers = ["序号", "隐患编号", "企业名称", "统一社会信用代码", "检查日期", "隐患类别", "隐患描述", "隐患等级",
                   "检查部门", "整改\n期限", "整改完成日期", "验收销号\n日期", "整改情况"]
        s = Sheet(len(headers))
        s.title("示意区小微企业安全隐患排查整改台账")
        s.note({0: "填报单位：示意区安全生产委员会办公室", 8: "填报时间：2024年9月5日"})
        s.header(headers)
        pool = self.pools["enterprise_xlsx"] + self.pools["enterprise_footer"] + self.pools["enterprise_values"]
        # Hazards on enterprises whose code passes its check (a failed one would warn again here).
        pool = [e for e in pool if e.county is not None and is_valid(e.uscc)]
        outside = next(e for e in self.pools["enterprise_xlsx"] if e.county is None)
        seq = iter(range(1, 200))
        ids = iter(f"SY-YH-2024-{n:03d}" for n in range(1, 200))

        def row(h: Hazard, level_text: str, dept_text: str | None, expect: Expect | None = None,
                **over: Any) -> None:
            e = self.stored.get(h.uscc)
            vals = {"seq": next(seq), "id": h.id, "ename": e.name if e else "某某加工厂", "uscc": h.uscc,
                    "found": h.found_on, "category": h.category, "description": h.description,
                    "level": level_text, "dept": dept_text, "deadline": h.deadline, "rect": h.rectified_on,
                    "closed": h.closed_on, "progress": "已整改" if h.rectified_on else "整改中"}
            vals.update(over)
            order = ["seq", "id", "ename", "uscc", "found", "category", "description", "level", "dept",
                     "deadline", "rect", "closed", "progress"]
            s.data([vals[k] for k in order], expect or self.hazard_ok(h))

        # Plain rows over the pool, each level and department written the way offices write them.
        levels = [("一般隐患", "一般"), ("较大隐患", "较大"), ("重大隐患", "重大"), ("一般", "一般"),
                  ("重大事故隐患", "重大"), ("较大", "较大")]
        depts = [("市消防救援支队", "消防救援"), ("示意区消防救援大队", "消防救援"), ("市场监督管理局", "市场监管局"),
                 ("综合行政执法局", "综合执法局"), ("住房和城乡建设局", "建设局"), ("应急管理局", "应急管理局"),
                 ("经济和信息化局", "经信局"), ("示意区应急管理局", "应急管理局"), ("公安局", "公安局"),
                 ("交通运输局", "交通运输局")]
        for i in range(18):
            lt, lv = levels[i % len(levels)]
            dt_, dv = depts[i % len(depts)]
            h = self.hazard(next(ids), pool[i % len(pool)], lv, dv)
            row(h, lt, dt_)
        # 检查日期 typed as text 2024.3.5 instead of a date cell.
        h = self.hazard(next(ids), pool[3], "一般", "消防救援")
        row(h, "一般隐患", "示意区消防救援大队", found=date_text(h.found_on, "dot"))
        # 统一社会信用代码 in lower case: warned, the hazard still finds its enterprise.
        h = self.hazard(next(ids), pool[5], "较大", "应急管理局")
        row(h, "较大隐患", "应急管理局", self.hazard_warn(h, "统一社会信用代码", "lower-case code"), uscc=h.uscc.lower())
        # Department left blank: optional.
        h = self.hazard(next(ids), pool[6], "一般", None)
        row(h, "一般隐患", None)
        # A hazard at the workshop outside every county: stored, counted in no county.
        h = self.hazard(next(ids), outside, "较大", "消防救援")
        row(h, "较大隐患", "市消防救援支队")
        # Level 特大: not a hazard level (特大 is for accidents).
        h = self.hazard(next(ids), pool[7], "重大", "应急管理局", keep=False)
        row(h, "特大", "应急管理局", reject("隐患等级", "level 特大"))
        # Level left blank: required.
        h = self.hazard(next(ids), pool[8], "一般", "消防救援", keep=False)
        row(h, "", "市消防救援支队", reject("隐患等级", "level missing"))
        # The enterprise whose ledger row was rejected (no name): unknown enterprise.
        h = self.hazard(next(ids), pool[0], "一般", "消防救援", keep=False)
        h.uscc = self.unstored["name missing"]
        row(h, "一般隐患", "市消防救援支队", reject("统一社会信用代码", "enterprise not in the database"))
        # The same hazard number typed twice: the second is rejected.
        dup_of = next(hz for hz in self.hazards.values() if hz.id.startswith("SY-"))
        h = self.hazard(next(ids), pool[9], "一般", "消防救援", keep=False)
        row(h, "一般隐患", "市消防救援支队", reject("隐患编号", "duplicate hazard number"), id=dup_of.id)
        # 检查日期 31 April.
        h = self.hazard(next(ids), pool[10], "一般", "消防救援", keep=False)
        row(h, "一般隐患", "市消防救援支队", reject("发现日期", "2024-04-31 is not a date"), found="2024-04-31")
        # 合计 line and signatures.
        total: list[Any] = [None] * len(headers)
        total[0] = "合计"
        total[6] = f"共排查隐患{len(s.lines) - 3}项"
        s.data(total, skip("合计 row"))
        s.footer("填表人：陈静　　审核人：林海　　联系电话：0577-65127777")
        path = self.folder / "示意区隐患排查整改台账.xlsx"
        write_xlsx(path, s, "隐患台账", date_format="yyyy-mm-dd")
        self.add_ledger(Ledger(key, path, "hazard", s.rows(),
                               "xlsx 五张清单 of 示意区: levels as 一般隐患/重大事故隐患…, departments by official "
                               "name, date cells, wrapped headers, 合计 and signatures"))

    # -- 10. GBK CSV hazard ledger: the park hazard list (附件4 style), 样板区/模拟县/虚构县 -------

    def hazard_csv(self) -> None:
        key = "hazard_csv"
        headers = ["序号", "园区名称", "发生位置（企业名称）", "隐患编号", "统一社会信用代码", "发现日期", "隐患类型",
                   "问题描述", "隐患等级", "责任部门", "计划完成时间", "完成整改时间", "验收销号日期", "整治进度", "存在困难"]
        s = Sheet(len(headers))
        s.title("小微企业园安全隐患整治清单")
        s.note({0: "单位（公章）：样板区经济和信息化局", 9: "填报时间：2024年9月6日"}, why="单位 / 填报时间 note")
        s.header(headers)
        pool = (self.pools["enterprise_csv"] + self.pools["enterprise_xy_4549"] + self.pools["enterprise_xy_4528"]
                + self.pools["enterprise_header_row"])
        pool = [e for e in pool if is_valid(e.uscc)]
        parks = ("新桥小微企业园", "塘头智造园", "江南创业园", "北湖科技园")
        seq = iter(range(1, 200))
        ids = iter(f"XW{n:04d}" for n in range(1, 200))

        def row(h: Hazard, level_text: str, dept_text: str | None, expect: Expect | None = None,
                mapped: Expect | None = None, dates: str = "slash", **over: Any) -> None:
            e = self.stored.get(h.uscc)

            def d(v: dt.date | None) -> str:
                return "" if v is None else date_text(v, dates)

            vals = {"seq": next(seq), "park": parks[len(s.lines) % len(parks)], "ename": e.name if e else "",
                    "id": h.id, "uscc": h.uscc, "found": d(h.found_on), "category": h.category or "",
                    "description": h.description or "", "level": level_text, "dept": dept_text or "",
                    "deadline": d(h.deadline), "rect": d(h.rectified_on), "closed": d(h.closed_on),
                    "progress": "已完成" if h.rectified_on else "整改中", "difficulty": ""}
            vals.update(over)
            order = ["seq", "park", "ename", "id", "uscc", "found", "category", "description", "level", "dept",
                     "deadline", "rect", "closed", "progress", "difficulty"]
            s.data([vals[k] for k in order], expect or self.hazard_ok(h), mapped)

        levels = [("一般", "一般"), ("较大隐患", "较大"), ("一般隐患", "一般"), ("重大事故隐患", "重大"),
                  ("较大", "较大"), ("重大", "重大")]
        depts = [("样板区消防救援大队", "消防救援"), ("样板区市场监督管理局", "市场监管局"), ("综合行政执法局", "综合执法局"),
                 ("应急管理局", "应急管理局"), ("市生态环境局样板分局", "生态环境局"), ("经济和信息化局", "经信局"),
                 ("住房和城乡建设局", "建设局")]
        forms = ("slash", "cn", "iso", "compact", "dot")
        for i in range(16):
            lt, lv = levels[i % len(levels)]
            dt_, dv = depts[i % len(depts)]
            h = self.hazard(next(ids), pool[(3 * i) % len(pool)], lv, dv)
            row(h, lt, dt_, dates=forms[i % len(forms)])
        # Not rectified yet, "/" in the completion columns (judgement: "/" means nothing here).
        h = self.hazard(next(ids), pool[1], "一般", "消防救援", rectified=False)
        row(h, "一般隐患", "样板区消防救援大队", Expect(ACCEPTED, "'/' in 完成整改时间", self.hazard_record(h)),
            rect="/", closed="/")
        # Credit code in groups of four.
        h = self.hazard(next(ids), pool[2], "较大", "应急管理局")
        row(h, "较大隐患", "应急管理局", self.hazard_warn(h, "统一社会信用代码", "code with spaces"), uscc=spaced(h.uscc))
        # Township safety station (安监站): not a department of the vocabulary; with the mapping
        # 安监站 -> 应急管理局 the same rows are accepted.
        for p in (pool[4], pool[7]):
            h = self.hazard(next(ids), p, "一般", "应急管理局", keep=False)
            mapped = Expect(ACCEPTED, "安监站 mapped to 应急管理局", self.hazard_record(h))
            row(h, "一般隐患", "安监站", reject("责任部门", "department 安监站"), mapped)
        # A code nobody registered (made up by the park manager).
        h = self.hazard(next(ids), pool[5], "一般", "消防救援", keep=False)
        h.uscc = self.f.uscc("339903")
        row(h, "一般隐患", "样板区消防救援大队", reject("统一社会信用代码", "enterprise not in the database"))
        # An enterprise whose ledger row was rejected (staff 若干).
        h = self.hazard(next(ids), pool[6], "一般", "消防救援", keep=False)
        h.uscc = self.unstored["staff 若干"]
        row(h, "一般隐患", "样板区消防救援大队", reject("统一社会信用代码", "enterprise not in the database"))
        # 隐患编号 missing: required.
        h = self.hazard(next(ids), pool[8], "一般", "消防救援", keep=False)
        row(h, "一般隐患", "样板区消防救援大队", reject("隐患编号", "hazard number missing"), id="")
        s.blank()
        h = self.hazard(next(ids), pool[9], "重大", "消防救援")
        row(h, "重大隐患", "样板区消防救援大队")
        s.footer("填报人：周敏", why="footer 填报人 / 联系电话")
        s.lines[-1].cells[5] = "联系电话：0577-65139999"
        s.lines[-1].merge = 0
        path = self.folder / "小微企业园安全隐患整治清单.csv"
        write_csv(path, s, "gbk")
        self.add_ledger(Ledger(key, path, "hazard", s.rows(),
                               "GBK CSV shaped like the park hazard list (园区名称, 发生位置, 整治进度, 存在困难) "
                               "with 发现日期/隐患类型/问题描述/计划完成时间/完成整改时间; 安监站 rows",
                               mapped_values={"department": {"安监站": "应急管理局"}}, encoding="gbk"))

    # -- hazards ------------------------------------------------------------------------------

    _CATEGORIES = (
        ("消防通道", "厂区消防车通道被货物占用"), ("疏散通道", "二楼车间疏散通道堆放成品纸箱"),
        ("消防设施器材", "灭火器压力不足，共3具"), ("电动车充电", "电动自行车在楼梯间停放充电"),
        ("违规加层、夹层", "车间内违规搭建钢结构夹层作仓库"), ("危化品管理", "稀释剂未存放于专用仓库"),
        ("燃气安全", "液化气钢瓶与明火作业区未分隔"), ("喷涂作业", "喷漆间使用非防爆照明灯具"),
        ("涉爆粉尘", "打磨工位除尘器未按期清灰"), ("有限空间", "污水池未设置警示标识和作业审批"),
        ("特种设备", "叉车超期未检验"), ("三合一场所", "员工宿舍设在生产车间内"),
        ("电气线路", "车间电线私拉乱接"), ("日常管理", "未建立消防安全巡查记录"),
    )

    def hazard(self, hid: str, e: Enterprise, level: str, dept: str | None, keep: bool = True,
               rectified: bool | None = None) -> Hazard:
        rng = self.rng
        found = dt.date(2024, 2, 1) + dt.timedelta(days=int(rng.integers(0, 200)))  # Feb–Aug 2024
        deadline = found + dt.timedelta(days=int(rng.choice([7, 15, 30, 60])))
        if rectified is None:
            rectified = bool(rng.random() < 0.65)
        rect = found + dt.timedelta(days=int(rng.integers(1, 80))) if rectified else None
        rect = rect if rect and rect <= FILLED else None  # not done by the day the ledger was filled
        closed = rect + dt.timedelta(days=int(rng.integers(1, 10))) if rect and rng.random() < 0.7 else None
        closed = closed if closed and closed <= FILLED else None
        cat, desc = self._CATEGORIES[int(rng.integers(0, len(self._CATEGORIES)))]
        h = Hazard(hid, e.uscc, found, cat, desc, level, dept, deadline, rect, closed, e.county)
        if keep:
            assert hid not in self.hazards
            self.hazards[hid] = h
        return h

    @staticmethod
    def hazard_record(h: Hazard) -> dict[str, Any]:
        return {"id": h.id, "uscc": h.uscc, "found_on": h.found_on, "category": h.category,
                "description": h.description, "level": h.level, "department": h.department,
                "deadline": h.deadline, "rectified_on": h.rectified_on, "closed_on": h.closed_on}

    def hazard_ok(self, h: Hazard) -> Expect:
        return Expect(ACCEPTED, "plain hazard row", self.hazard_record(h))

    def hazard_warn(self, h: Hazard, column: str, why: str) -> Expect:
        return Expect(WARNED, why, self.hazard_record(h), column)

    # -- boundaries ---------------------------------------------------------------------------

    def boundaries(self) -> dict[str, BoundaryFile]:
        folder = self.folder
        out: dict[str, BoundaryFile] = {}
        feats = []
        for c in self.counties:
            feats.append({"type": "Feature", "properties": {"区县代码": c.code, "区县名称": c.name},
                          "geometry": shapely.geometry.mapping(c.polygon)})
        p = folder / "示意市区县界_WGS84.geojson"
        p.write_text(json.dumps({"type": "FeatureCollection", "name": "区县界", "features": feats},
                                ensure_ascii=False), encoding="utf-8")
        out["geojson_wgs84"] = BoundaryFile("geojson_wgs84", p, None, "GeoJSON in WGS-84, 区县代码/区县名称")

        def gcj(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(gcrs.wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

        feats = []
        for c in self.counties:  # code as a number, as GIS tools write it
            feats.append({"type": "Feature", "properties": {"行政区划代码": int(c.code), "名称": c.name},
                          "geometry": shapely.geometry.mapping(shapely.transform(c.polygon, gcj))})
        p = folder / "示意市区县界_高德.geojson"
        p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
        out["geojson_gcj02"] = BoundaryFile("geojson_gcj02", p, "gcj02",
                                            "GeoJSON traced on Amap (GCJ-02), 行政区划代码 as a number, 名称")

        import geopandas as gpd

        polys = [c.polygon for c in self.counties]
        tmp = Path(tempfile.mkdtemp(dir=folder))
        g = gpd.GeoDataFrame({"区县代码": [c.code for c in self.counties], "区县名称": [c.name for c in self.counties],
                              "面积": [round(_project(c.polygon).area / 1e6, 2) for c in self.counties]},
                             geometry=[_project(pl, "EPSG:4549") for pl in polys], crs="EPSG:4549")
        g.to_file(tmp / "区县界.shp", engine="pyogrio", encoding="GBK")
        (tmp / "区县界.cpg").write_text("GBK", encoding="ascii")
        p = folder / "示意市区县界_CGCS2000.zip"
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
            for ext in ("shp", "shx", "dbf", "prj", "cpg"):
                z.write(tmp / f"区县界.{ext}", f"区县界.{ext}")
        shutil.rmtree(tmp)
        out["shapefile_4549"] = BoundaryFile("shapefile_4549", p, None,
                                             "zipped Shapefile in EPSG:4549, GBK attributes (.cpg GBK), 区县代码/区县名称")

        g = gpd.GeoDataFrame({"BSM": [f"33990000{i:04d}" for i in range(1, 5)],
                              "XZQDM": [c.code for c in self.counties], "XZQMC": [c.name for c in self.counties]},
                             geometry=[_project(pl, "EPSG:4528") for pl in polys], crs="EPSG:4528")
        p = folder / "示意市行政区_4528.gpkg"
        g.to_file(p, layer="XZQ", driver="GPKG", engine="pyogrio")
        out["geopackage_4528"] = BoundaryFile("geopackage_4528", p, None,
                                              "GeoPackage in EPSG:4528 (zone 40), XZQDM/XZQMC as 三调 data names them")
        return out


def build(folder: Path | str) -> Corpus:
    """Write the corpus into ``folder`` (created) and return it with its ground truth."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    b = _Builder(folder)
    b.enterprise_xlsx()
    b.enterprise_csv()
    b.enterprise_values()
    b.enterprise_xy_4549()
    b.enterprise_xy_4528()
    b.enterprise_footer()
    b.enterprise_header_row()
    no_coords = b.enterprise_no_coordinates()
    b.hazard_xlsx()
    b.hazard_csv()
    boundaries = b.boundaries()
    for h in b.hazards.values():
        h.county = b.stored[h.uscc].county
    corpus = Corpus(folder, b.counties, b.stored, b.hazards, b.ledgers, boundaries, no_coords)
    self_check(corpus)
    return corpus


# ---------------------------------------------------------------------------------------------
# Self-check: the generator's own arithmetic, independent of the product
# ---------------------------------------------------------------------------------------------


def self_check(corpus: Corpus) -> None:
    """Raise if the corpus contradicts itself (coordinates, files, row numbers)."""
    counties = corpus.counties
    projected = {c.code: _project(c.polygon) for c in counties}
    for e in corpus.enterprises.values():
        assert county_of(counties, e.lon, e.lat) == e.county
        if e.county:  # at least 50 m inside its county
            east, north = gk(e, "EPSG:4549")
            assert projected[e.county].exterior.distance(Point(east, north)) >= 50
        # GCJ-02 and Gauss-Kruger round trips (< 1 cm before writing; written values < 0.2 m).
        glon, glat = gcrs.wgs84_to_gcj02(e.lon, e.lat)
        assert gcrs.haversine_m(*gcrs.gcj02_to_wgs84(glon, glat), e.lon, e.lat) < 0.01
        assert gcrs.haversine_m(*gcrs.to_wgs84(round(float(glon), 6), round(float(glat), 6), "gcj02"),
                                e.lon, e.lat) < 0.2
        for crs in ("EPSG:4549", "EPSG:4528"):
            east, north = gk(e, crs)
            assert gcrs.haversine_m(*gcrs.to_wgs84(east, north, crs), e.lon, e.lat) < 0.01
        assert abs(dms_value(dms(e.lon)) - e.lon) <= 0.006 / 3600
    east, _ = gk(next(iter(corpus.enterprises.values())), "EPSG:4528")
    assert 40_000_000 < east < 41_000_000
    for lg in corpus.ledgers.values():
        numbers = [r.number for r in lg.rows]
        assert numbers == sorted(set(numbers))
        if lg.path.suffix == ".xlsx":
            ws = openpyxl.load_workbook(lg.path).worksheets[0]
            assert ws.max_row >= numbers[-1]
        else:
            with open(lg.path, encoding=lg.encoding, newline="") as f:
                lines = list(csv.reader(f))
            assert len(lines) == numbers[-1]
        for r in lg.rows:
            for ex in filter(None, (r.expect, r.mapped)):
                assert ex.outcome in OUTCOMES
                assert (ex.record is not None) == (ex.outcome in (ACCEPTED, WARNED)), (lg.key, r.number)
    for h in corpus.hazards.values():
        assert h.uscc in corpus.enterprises


def summary(corpus: Corpus) -> str:
    lines = [f"{'ledger':24} {'rows':>4} " + " ".join(f"{o:>8}" for o in OUTCOMES)]
    for lg in corpus.ledgers.values():
        n = lg.counts()
        lines.append(f"{lg.key:24} {len(lg.rows):>4} " + " ".join(f"{n[o]:>8}" for o in OUTCOMES))
    lines.append(f"stored enterprises {len(corpus.enterprises)}, hazards {len(corpus.hazards)}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    c = build(target)
    print(target)
    print(summary(c))
    for code, fig in c.hazard_figures().items():
        print(code, fig)
