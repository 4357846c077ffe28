"""Reading a file's headers as people write them.

Offices do not type the template's headers: they write ``从业人员数`` for 从业人数,
``是否使用危化品`` for 涉及危化品, ``经度(GCJ-02) `` with the coordinate system and a trailing
blank, ``X坐标``/``Y坐标`` for Gauss-Kruger metres, and break long headers over two lines in the
cell. Every header — of the file, of the declarations and of a saved header map — is therefore
normalised the same way before matching (:func:`normalise_header`): NFKC (full-width forms to
half-width), every kind of blank removed (incl. U+3000 and line breaks), what is in brackets
taken out (units, coordinate systems, notes), quotes, ``/`` and a leading ``是否`` dropped,
lower case. What the brackets said is not thrown away: a unit (``营业收入(元)``) or a coordinate
system (``经度(GCJ-02)``, ``X坐标(2000)``) becomes a hint (:class:`Hints`).

Projected coordinates come as a pair of headers whose names do not say which is the easting
(in Chinese surveying ``X`` is the northing, in GIS the easting); :func:`orient_coordinates`
tells them apart by magnitude.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from data.readers import ROW, HeaderScore, ImportFileError, without_hidden
from data.tables import Column, Table

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》")
_DROP = re.compile(r"[\s\"'“”‘’「」『』*/、·•:：]+")
#: Words that name a coordinate system inside a header, and the system they name. Looked for
#: in the whole header (with or without brackets), longest first.
CRS_WORDS: tuple[tuple[str, str], ...] = (
    ("gcj-02", "gcj02"), ("gcj02", "gcj02"), ("火星", "gcj02"), ("高德", "gcj02"), ("腾讯", "gcj02"),
    ("bd-09", "bd09"), ("bd09", "bd09"), ("百度", "bd09"),
    ("cgcs2000", "cgcs2000"), ("cgcs", "cgcs2000"), ("2000国家大地", "cgcs2000"), ("国家2000", "cgcs2000"),
    ("国家大地", "cgcs2000"), ("2000坐标", "cgcs2000"), ("天地图", "cgcs2000"),
    ("wgs-84", "EPSG:4326"), ("wgs84", "EPSG:4326"), ("gps", "EPSG:4326"),
)
#: Bracketed numbers that name a system: 经度(84), X坐标(2000).
CRS_BRACKET_NUMBERS = {"84": "EPSG:4326", "2000": "cgcs2000"}
#: Units a header may name (in brackets or as a suffix), longest first.
UNITS = ("平方米", "万元", "㎡", "m²", "m2", "元", "人", "家", "个")
#: Words that say only "where": 坐标（经度） and 位置(纬度) are named by what is in their brackets.
CONTAINER_WORDS = frozenset({"坐标", "位置", "定位", "gps坐标", "地理坐标"})
#: Headers that only number the rows: ignored without a warning.
ROW_NUMBER_HEADERS = frozenset({"序号", "编号序号", "no", "no.", "行号"})


def _fold(text: object) -> str:
    """NFKC and lower case: full-width letters, digits and brackets become half-width;
    invisible characters (``data.readers.HIDDEN_CHARS``) dropped."""
    return unicodedata.normalize("NFKC", without_hidden(str(text))).lower()


def normalise_header(text: object) -> str:
    """The form in which headers are compared.

    >>> normalise_header(" 经度（GCJ-02） ")
    '经度'
    >>> normalise_header("是否出租/分租")
    '出租分租'
    >>> normalise_header("从业\\n人员数（人）")
    '从业人员数'
    """
    s = _fold(text)
    prev = None
    while prev != s:  # nested brackets: innermost first
        prev, s = s, _BRACKETS.sub("", s)
    if _DROP.sub("", s) in CONTAINER_WORDS:  # 坐标（经度）: the brackets hold the name itself
        s = _fold(text).replace("(", "").replace(")", "")
    for word, _ in CRS_WORDS:
        s = s.replace(word, "")
    s = _DROP.sub("", s)
    s = s.replace("(", "").replace(")", "")  # an unbalanced bracket
    if s.startswith("是否") and len(s) > 2:
        s = s[2:]
    return s


@dataclass(frozen=True)
class Hints:
    """What a header says besides the column's name."""

    crs: str | None = None
    unit: str | None = None


def header_hints(text: object) -> Hints:
    """The coordinate system and unit a header names, if any.

    >>> header_hints("经度(GCJ-02)")
    Hints(crs='gcj02', unit=None)
    >>> header_hints("营业收入（元）")
    Hints(crs=None, unit='元')
    """
    s = re.sub(r"\s+", "", _fold(text))
    crs = next((name for word, name in CRS_WORDS if word in s), None)
    unit = None
    for inner in re.findall(r"\(([^()]*)\)", s):
        crs = crs or CRS_BRACKET_NUMBERS.get(inner)
        unit = unit or next((u for u in UNITS if inner == u or inner.endswith("单位" + u)
                             or inner == "单位:" + u or inner == "单位" + u), None)
    if unit is None:
        bare = _BRACKETS.sub("", s)
        unit = next((u for u in UNITS[:4] if bare.endswith(u) and len(bare) > len(u)), None)
    return Hints(crs, unit)


@cache
def _lookup(spec: Table) -> dict[str, tuple[Column, int]]:
    """Normalised header -> (column, rank): 0 the standard header, 1 the column name, 2 an alias."""
    out: dict[str, tuple[Column, int]] = {}
    for c in spec.imported:
        for rank, h in enumerate(c.headers()):
            key = normalise_header(h)
            if key and (key not in out or out[key][1] > min(rank, 2)):
                out[key] = (c, min(rank, 2))
    return out


def header_score(spec: Table) -> HeaderScore:
    """A function counting the cells of a row that are headers of ``spec`` (to find the header row)."""
    lookup = _lookup(spec)

    def score(cells: Iterable[object]) -> int:
        return len({lookup[k][0].name for k in (normalise_header(c) for c in cells if c not in (None, ""))
                    if k in lookup})

    return score


def _mapping_lookup(spec: Table, mapping: Mapping[str, str] | None) -> dict[str, str | None]:
    """A saved header map, keys normalised; values resolved to column names ("" or None: ignore)."""
    by_key = {c.name: c.name for c in spec.imported} | {c.header: c.name for c in spec.imported}
    by_key |= {normalise_header(c.header): c.name for c in spec.imported}
    out: dict[str, str | None] = {}
    for k, v in (mapping or {}).items():
        target = by_key.get(str(v).strip(), by_key.get(normalise_header(v))) if v else None
        if v and target is None:  # a typo in the map must not drop the column in silence
            raise ImportFileError("", f"表头对应把“{k}”对应到“{v}”，但{spec.title}表没有这一列（可用："
                                      + "、".join(c.header for c in spec.imported) + "；留空则忽略该列）")
        out[normalise_header(k)] = target
    return out


@dataclass
class HeaderMatch:
    """How a file's headers are read."""

    #: Per position of the file's columns: the column name it is read as, or None.
    columns: list[str | None]
    headers: list[str]
    unknown: list[str] = field(default_factory=list)
    #: Headers that lost to a better header for the same column: (header, winner, column).
    shadowed: list[tuple[str, str, str]] = field(default_factory=list)
    #: Standard headers of required columns the file lacks.
    missing: list[str] = field(default_factory=list)
    hints: dict[str, Hints] = field(default_factory=dict)
    #: Header of the file per column name.
    source: dict[str, str] = field(default_factory=dict)

    @property
    def known(self) -> dict[str, str]:
        """File header -> column name, for the recognised headers."""
        return {h: c for h, c in zip(self.headers, self.columns) if c}

    def missing_after(self, spec: Table, mapping: Mapping[str, str]) -> list[str]:
        """The standard headers still missing once the unknown headers are mapped by
        ``mapping`` (file header -> column name): required columns, and both coordinates of a
        table that has them."""
        have = {c for c in self.columns if c} | set(mapping.values())
        need = [c for c in spec.imported if c.required or (c.kind in ("lon", "lat"))]
        return [c.header for c in need if c.name not in have]

    def coordinate_problem(self, spec: Table) -> str | None:
        """Why this file's coordinates cannot be read (a located table without both columns), or None."""
        if not any(c.kind == "lon" for c in spec.imported):
            return None
        have = {c for c in self.columns if c in ("lon", "lat")}
        if have == {"lon", "lat"}:
            return None
        seen = "、".join(h for h in self.headers if h) or "（无）"
        lack = "、".join(spec.column(c).header for c in ("lon", "lat") if c not in have)
        return (f"没有找到坐标列（缺少：{lack}）。需要“经度”和“纬度”两列，或“X坐标”和“Y坐标”等平面坐标列。"
                f"文件中的表头为：{seen}。请对应表头后再导入（页面上选择，或命令行 --headers）；"
                "没有坐标的企业无法上图，不按“无坐标”接收")


def match_headers(names: list[str], spec: Table, mapping: Mapping[str, str] | None = None) -> HeaderMatch:
    """Match a file's headers to the columns of ``spec``.

    ``names`` are the file's own headers only (not the reader's ``_row`` column: a file may
    have a header of that name, which is then unknown like any other).

    A saved ``mapping`` (file header -> column name or standard header; "" ignores the header)
    comes first; then the declarations, where the standard header beats the column name, which
    beats an alias. Two headers for the same column with the same rank are refused by
    :func:`map_headers`; a worse one is kept out and reported (``shadowed``).
    """
    lookup, saved = _lookup(spec), _mapping_lookup(spec, mapping)
    cand: list[tuple[Column, int] | None] = []
    for h in names:
        key = normalise_header(h)
        if key in saved:
            target = saved[key]
            cand.append((spec.column(target), -1) if target else None)
        else:
            cand.append(lookup.get(key))
    best: dict[str, int] = {}  # column -> the index of its best header
    best_rank: dict[str, int] = {}  # column -> that header's rank
    for i, found in enumerate(cand):
        if found and (found[0].name not in best or best_rank[found[0].name] > found[1]):
            best[found[0].name], best_rank[found[0].name] = i, found[1]
    m = HeaderMatch(columns=[None] * len(names), headers=[str(h) for h in names])
    for i, (h, found) in enumerate(zip(names, cand)):
        if found is None:
            if normalise_header(h) not in ROW_NUMBER_HEADERS and normalise_header(h) not in saved and str(h).strip():
                m.unknown.append(str(h))
            continue
        col, rank = found
        winner = best[col.name]
        if winner == i:
            m.columns[i] = col.name
            m.source[col.name] = str(h)
            m.hints[col.name] = header_hints(h)
        elif best_rank[col.name] == rank:
            raise ImportFileError("", f"列“{h}”与“{names[winner]}”都对应“{col.header}”，请只保留一列，或对应表头时指定")
        else:
            m.shadowed.append((str(h), str(names[winner]), col.name))
    m.missing = [c.header for c in spec.imported if c.required and c.name not in m.source]
    return m


def map_headers(table: pa.Table, spec: Table, file: str,
                mapping: Mapping[str, str] | None = None) -> tuple[pa.Table, HeaderMatch]:
    """Rename a file's columns to column names; unknown ones become ``_unknown_<n>``.

    Raises
    ------
    ImportFileError
        A required column is missing, two headers claim one column, or a table with
        coordinates has no coordinate columns (rows would otherwise be taken as unlocated).
    """
    # The reader's row numbers are the last column, whatever the file's own headers are called
    # (a header "_row" is the file's, and unknown).
    names = list(table.column_names)
    numbered = bool(names) and names[-1] == ROW
    headers = names[:-1] if numbered else names
    try:
        m = match_headers(headers, spec, mapping)
    except ImportFileError as exc:
        raise ImportFileError(file, exc.message) from exc
    if m.missing:
        seen = "、".join(h for h in m.headers if h)
        raise ImportFileError(file, "缺少必需的列：" + "、".join(m.missing) + f"（文件中的表头为：{seen}）")
    problem = m.coordinate_problem(spec)
    if problem:
        raise ImportFileError(file, problem)
    out_names, n_unknown = [], 0
    for name in m.columns:
        if name:
            out_names.append(name)
        else:
            n_unknown += 1
            out_names.append(f"_unknown_{n_unknown}")
    renamed = table.rename_columns(out_names + ([ROW] if numbered else []))
    for c in spec.imported:  # optional columns the file lacks are added empty, so every rule can run
        if c.name not in m.source:
            renamed = renamed.append_column(c.name, pa.nulls(renamed.num_rows, pa.string()))
    return renamed, m


def _median_number(values: pa.ChunkedArray | pa.Array, sample: int = 2000) -> float | None:
    import numpy as np

    nums = []
    for v in values.slice(0, sample).to_pylist():
        if v is None:
            continue
        s = re.sub(r"[\s,]", "", _fold(v))
        try:
            nums.append(float(s))
        except ValueError:
            continue
    return float(np.median(nums)) if nums else None


def _looks_easting(v: float) -> bool:
    return 1e5 <= v < 1e6 or 1.3e7 <= v < 4.6e7  # without, or with, the zone number in front


def _looks_northing(v: float) -> bool:
    return 1e6 <= v < 6.2e6


def orient_coordinates(table: pa.Table) -> tuple[pa.Table, str | None]:
    """Swap the ``lon``/``lat`` columns when their values say the file has them the other way
    round: a northing (7 digits) read as the easting, or latitudes as longitudes.

    Returns the table and, if swapped, a sentence for the import report.
    """
    if "lon" not in table.column_names or "lat" not in table.column_names:
        return table, None
    x, y = _median_number(table["lon"]), _median_number(table["lat"])
    if x is None or y is None:
        return table, None
    why = None
    if _looks_northing(x) and _looks_easting(y):
        why = f"两列坐标按数值判断：中位数 {x:,.0f} 为北坐标（纵向），{y:,.0f} 为东坐标（横向），已对调"
    elif 3 <= x <= 54 and 73 <= y <= 136 and not (73 <= x <= 136):
        why = f"两列坐标按数值判断：中位数 {x:g} 为纬度，{y:g} 为经度，已对调"
    if why is None:
        return table, None
    names = ["lat" if n == "lon" else "lon" if n == "lat" else n for n in table.column_names]
    return table.rename_columns(names), why


def apply_units(table: pa.Table, spec: Table, match: HeaderMatch) -> tuple[pa.Table, list[str]]:
    """Bare numbers of a column whose header names a unit other than the column's get that unit
    written after them ("30000" under 营业收入(元) is read as 30000元, i.e. 3 万元), so that the
    validator converts them. Returns the table and one sentence per converted column."""
    notes = []
    for name, hints in match.hints.items():
        c = spec.column(name)
        if not hints.unit or c.kind != "float" or f"（{hints.unit}）" in c.header:
            continue
        own = re.search(r"（(.+)）", c.header)
        if not own:
            continue
        same = {"㎡": "平方米", "m²": "平方米", "m2": "平方米"}
        if same.get(hints.unit, hints.unit) == own.group(1):
            continue
        col = table[name]
        bare = pc.match_substring_regex(col, r"^\s*-?[0-9][0-9,]*(\.[0-9]+)?\s*$")
        table = table.set_column(table.column_names.index(name), name,
                                 pc.if_else(bare, pc.binary_join_element_wise(col, hints.unit, ""), col))
        notes.append(f"“{match.source[name]}”的单位为{hints.unit}，已换算为{own.group(1)}")
    return table, notes
