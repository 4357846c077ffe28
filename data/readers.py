"""Read import files into string tables, keeping every record and its spreadsheet row number.

Everything is read as text; typing and validation happen in one place (``data.validate``)
so that a bad cell becomes a reported issue instead of a failed read.

Ledgers as district offices fill them in are not clean tables: a merged title row, a note
row (填报单位：…), blank rows, then the header (sometimes two rows: a merged group header
over sub-headers); inside the data blank rows, header rows repeated where pages were pasted
together, 合计/小计 rows, and footer lines (填表人：…　审核人：…). :func:`read_sheet` finds the
header, keeps every record with its real row number, and reports every other row it passed
over as a :class:`Skipped`, so that nothing disappears silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import geopandas as gpd

ROW = "_row"  # the record's real 1-based row number in the sheet (the header keeps its own)

#: How many rows from the top are searched for the header.
HEAD_ROWS = 30
#: Cells (rows x columns, from A1) spanned by a sheet's values above which calamine is not
#: used: it allocates the whole rectangle, so one value at XFD100000 would ask for 50 GB and
#: abort the process. Such a sheet is streamed by openpyxl instead.
MAX_CALAMINE_CELLS = 20_000_000
#: A sheet *declaring* more cells than this (``<dimension ref="A1:XFD100000"/>``) is refused
#: before anything reads it: no ledger is that large, a hostile or broken file is.
MAX_DECLARED_CELLS = MAX_CALAMINE_CELLS
#: A workbook whose first sheet holds more cells with a value than this is refused (larger
#: ledgers import as CSV, which is read by pyarrow without holding every cell in Python).
MAX_XLSX_CELLS = 10_000_000
#: A sheet or CSV whose real data goes beyond this many columns is refused.
MAX_COLUMNS = 500
#: A CSV line longer than this is refused while the file is streamed, before it is parsed
#: (a 49 MB file without a line break took 12 s and 2.3 GB to be refused otherwise).
MAX_LINE_BYTES = 1 << 20
#: Characters that are invisible or move text around, as code point ranges: C0 controls but
#: tab, line feed and carriage return (whitespace, see ``data.validate.strip_hidden``), DEL,
#: C1 controls, the Arabic letter mark, zero-width characters, LRM/RLM, the line and paragraph
#: separators, the bidi embeddings and overrides (U+202A-U+202E), invisible operators, the
#: bidi isolates (U+2066-U+2069) and the zero-width no-break space. No ledger means them; Word
#: and Excel writers choke on some (U+0000), and the bidi ones make a name display as another.
HIDDEN_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0x061C, 0x061C),
                 (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x2069), (0xFEFF, 0xFEFF))
#: The same as a character class for Python's ``re`` and for RE2 (pyarrow, DuckDB).
HIDDEN_CHARS = "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in HIDDEN_RANGES) + "]"
HIDDEN_RE2 = "[" + "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in HIDDEN_RANGES) + "]"
_HIDDEN = re.compile(HIDDEN_CHARS)


def without_hidden(text: str) -> str:
    """``text`` without :data:`HIDDEN_CHARS` (tab and line feed are kept)."""
    return _HIDDEN.sub("", text) if _HIDDEN.search(text) else text


def hidden_in(text: str) -> list[str]:
    """The distinct :data:`HIDDEN_CHARS` in ``text``, in order of appearance."""
    return list(dict.fromkeys(_HIDDEN.findall(text)))
#: A row repeats the header when it equals the header in this share of its non-empty cells.
REPEATED_HEADER_SHARE = 0.6

HeaderScore = Callable[[list[str | None]], int]


class ImportFileError(ValueError):
    """A file that cannot be imported at all (unreadable, missing required columns...)."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


@dataclass(frozen=True)
class Skipped:
    """A row of the sheet that is not a record.

    ``kind`` is ``"title"`` or ``"note"`` above the header; below it ``"blank"`` (a blank
    row before the last record; trailing blank rows are not reported), ``"repeated_header"``,
    ``"total"`` (合计/小计/总计/共计) or ``"footer"`` (填表人、审核人、注：…). ``text`` is the
    row's non-empty cells joined by `` | ``, at most 200 characters.
    """

    row: int
    kind: str
    text: str


@dataclass(frozen=True)
class Sheet:
    """A ledger as read: its records, where its header was, and the rows passed over."""

    table: pa.Table  # one string column per header cell (original text, stripped) + ``_row``
    header_row: int  # 1-based; for a two-row header the lower row
    detected: bool  # found by :func:`read_sheet` rather than declared by the caller
    skipped: list[Skipped]


#: Limits on what a zip file (a zipped Shapefile, or an xlsx workbook, which is a zip) may
#: unpack to: a zip bomb or a path that climbs out of the folder is refused before reading.
ZIP_MAX_BYTES = 512 << 20
ZIP_MAX_RATIO = 200
ZIP_MAX_FILES = 2000


def check_zip(path: Path) -> None:
    """Refuse a zip whose entries escape their folder, or that would unpack too far.

    Raises
    ------
    ImportFileError
        Naming the file and the problem.
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportFileError(path.name, f"不是有效的压缩文件：{exc}") from exc
    if len(infos) > ZIP_MAX_FILES:
        raise ImportFileError(path.name, f"压缩包内文件过多（{len(infos)} 个）")
    total = packed = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise ImportFileError(path.name, f"压缩包内的路径不安全：{info.filename}")
        total += info.file_size
        packed += info.compress_size
    if total > ZIP_MAX_BYTES:
        raise ImportFileError(path.name, f"解压后过大（{total / 2**20:,.0f} MB，上限 {ZIP_MAX_BYTES >> 20} MB）")
    if packed and total / packed > ZIP_MAX_RATIO and total > 10 << 20:
        raise ImportFileError(path.name, f"压缩比异常（{total / packed:,.0f} 倍），疑似压缩炸弹")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the first 1 MB decodes as UTF-8, else GB18030."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 1 MB boundary is still UTF-8.
        if exc.start < len(head) - 4:
            return "gb18030"
    return "utf-8"


# ------------------------------------------------------------------ cells and the header

_NUMBER = re.compile(r"[-+]?(?:\d[\d,，]*)?\.?\d+(?:[eE][-+]?\d+)?%?")
_DATE = re.compile(r"\d{4}(?:[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?|月)?|年)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                   r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_KEY_VALUE = re.compile(r"[^：:]{1,12}[：:]\s*\S")  # 填报单位：XX街道 — a note, not a header
_BOOLEANS = frozenset({"True", "False", "TRUE", "FALSE"})
_SERIAL_NAMES = frozenset({"序号", "序", "no", "no."})
_SPACE = re.compile(r"\s+")  # str patterns: also U+3000 and U+00A0


def _header_like(cell: str) -> bool:
    """Short text that is neither a number, a date nor a ``key：value`` note."""
    return (len(cell) <= 30 and cell not in _BOOLEANS and not _NUMBER.fullmatch(cell)
            and not _DATE.fullmatch(cell) and not _KEY_VALUE.match(cell))


def default_header_score(cells: list[str | None]) -> int:
    """How header-like a row is when the caller has no list of headers: its short text cells."""
    return sum(1 for c in cells if c and _header_like(c))


def _cell_to_str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and abs(value) >= 2**53:
        # A long code (a credit code, an ID) stored as a number: Excel kept 15 digits and made
        # the rest zeros. Written out in full it would pass for a real code; as 9.1331002e+17
        # it is seen for what it is and refused with its reason.
        return f"{value:.15g}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _stripped(row: Sequence[object]) -> list[str | None]:
    """A row's cells as stripped text, ``None`` for an empty cell."""
    out: list[str | None] = []
    for v in row:
        s = _cell_to_str(v)
        out.append((s.strip() or None) if s is not None else None)
    return out


def _text_of(cells: Sequence[str | None]) -> str:
    return without_hidden(" | ".join(c for c in cells if c))[:200]


def _filled(cells: Sequence[str | None]) -> int:
    return sum(1 for c in cells if c)


def _merge(upper: list[str | None], lower: list[str | None]) -> list[str | None]:
    """A two-row header read as one: the lower row, the upper row's text where it is empty."""
    n = max(len(upper), len(lower))
    return [(lower[j] if j < len(lower) else None) or (upper[j] if j < len(upper) else None) for j in range(n)]


def _two_row(upper: list[str | None], lower: list[str | None]) -> bool:
    """Whether ``upper`` over ``lower`` has the shape of a two-row header.

    The lower row is all header-like text; it fills a column the upper row leaves empty to
    the right of an upper cell (a group cell merged across, like 排查场所 over 出租分租 and
    三合一); and the upper row has header-like text where the lower row is empty (cells merged
    down over both rows, like 企业名称).
    """
    up = [j for j, c in enumerate(upper) if c]
    low = {j for j, c in enumerate(lower) if c}
    if len(up) < 2 or not low or not all(_header_like(lower[j] or "") for j in low):
        return False
    down = [j for j in up if j not in low]
    return (any(j > up[0] and (j >= len(upper) or not upper[j]) for j in low)
            and bool(down) and all(_header_like(upper[j] or "") for j in down))


@dataclass(frozen=True)
class _Header:
    index: int  # 0-based index of the header row (the lower one of a two-row header)
    upper: int | None  # index of the upper row of a two-row header
    names: list[str]  # one per column, original text stripped, "" when empty
    # Rows that repeat the header: (column, texts that count as equal) per reference row.
    references: list[list[tuple[int, frozenset[str]]]]
    titles: list[str]  # the one-cell rows above the header, whitespace removed
    serial: int | None  # the 序号 column, if any

    @property
    def width(self) -> int:
        return sum(1 for n in self.names if n)


def _need(reference: list[tuple[int, frozenset[str]]]) -> int:
    """Equal cells that make a row a repeat of ``reference``: 60 % of it, at least two."""
    share = -int(-len(reference) * REPEATED_HEADER_SHARE // 1)  # ceil
    return max(min(2, len(reference)), share)


def _find_header(head: list[list[str | None]], raw: list[list[str | None]], file: str,
                 declared: int | None, score: HeaderScore | None) -> _Header:
    """The header among the first rows (``head``, stripped; ``raw``, as read).

    Detected: the highest-scoring row of the first :data:`HEAD_ROWS`, the first on a tie,
    scoring at least 2; a row with fewer than two non-empty cells (a title) is never a
    header. A two-row header (see :func:`_two_row`) wins over its rows alone when, read as
    one, it scores more than either.
    """
    rate = score or default_header_score
    if declared is not None:
        if declared < 1:
            raise ImportFileError(file, f"表头行号必须是正整数（收到 {declared}）")
        index = declared - 1
        if index >= len(head):
            raise ImportFileError(file, f"指定的表头行（第 {declared} 行）超出文件范围：文件只有 {len(head)} 行")
        if not _filled(head[index]):
            raise ImportFileError(file, f"指定的表头行（第 {declared} 行）是空行")
        upper = index - 1 if index and _two_row(head[index - 1], head[index]) else None
    else:
        best: tuple[int, int, int | None] | None = None  # score, index, upper
        for i, row in enumerate(head):
            if _filled(row) >= 2:
                s = rate(row)
                if best is None or s > best[0]:
                    best = (s, i, None)
            if i and _two_row(head[i - 1], row):
                s = rate(_merge(head[i - 1], row))
                if s > rate(head[i - 1]) and s > rate(row) and (best is None or s > best[0]):
                    best = (s, i, i - 1)
        if best is None or best[0] < 2:
            raise ImportFileError(file, f"前 {HEAD_ROWS} 行中没有找到表头行（需要至少 2 个可识别的列名）；"
                                        "请在导入设置中指定表头所在的行号")
        _, index, upper = best
    row = head[index]
    cells = _merge(head[upper], row) if upper is not None else row
    names = [without_hidden(c).strip() if c else "" for c in cells]  # shown in messages and issue lists

    def reference(stripped: list[str | None], as_read: list[str | None]) -> list[tuple[int, frozenset[str]]]:
        return [(j, frozenset({c, as_read[j] or c} if j < len(as_read) else {c}))
                for j, c in enumerate(stripped) if c]

    references = [reference(cells, raw[index])]
    if upper is not None:
        references += [reference(head[upper], raw[upper]), reference(row, raw[index])]
    titles = [_SPACE.sub("", c) for r in head[:index] if _filled(r) == 1 for c in r if c]
    serial = next((j for j, n in enumerate(names) if _SPACE.sub("", n).lower() in _SERIAL_NAMES), None)
    return _Header(index, upper, names, [r for r in references if r], titles, serial)


def _above(head: list[list[str | None]], header: _Header) -> list[Skipped]:
    """The non-empty rows above the header: one lone text a title, anything else a note
    (填报单位：…, and the upper row of a two-row header)."""
    out = []
    for i in range(header.index):
        cells = head[i]
        filled = [c for c in cells if c]
        if filled:
            kind = "title" if len(filled) == 1 and not _KEY_VALUE.match(filled[0]) else "note"
            out.append(Skipped(i + 1, kind, _text_of(cells)))
    return out


# ------------------------------------------------------------- rows that are not records

TOTAL_WORDS = ("合计", "小计", "总计", "共计")
#: Footer lines begin with one of these, then ： or : within four characters (填表人：, 制表日期：).
FOOTER_WORDS = ("填表", "填报", "制表", "审核", "审批", "负责人", "单位负责人", "主要负责人", "分管领导",
                "联系人", "联系电话", "注", "说明", "备注")
#: Rows whose first non-empty cell starts with the first character of one of those words (or
#: is only whitespace) are looked at one by one; every other row is a record or blank.
_SUSPECT = (r"^[\s\x{3000}\x{a0}]*(?:[" + "".join(sorted({w[0] for w in TOTAL_WORDS + FOOTER_WORDS})) + "]|$)")
_TOTAL = re.compile("(?:" + "|".join(TOTAL_WORDS) + r")(?:[：:（(\d]|$)")
_FOOTER = re.compile("(?:" + "|".join(FOOTER_WORDS) + r")(?:[^：:]{0,4}[：:]|$)")
_FOOTER_CELL = re.compile(r"[^：:]{1,8}[：:]")  # 审核人：李四 — every cell of a wide footer
#: A section heading alone on its row (一、椒江区（3家）, （二）黄岩区) or a subtotal named after
#: its section (椒江区小计).
_SECTION = re.compile(r"(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]).*")
_TOTAL_AFTER = re.compile(r".{1,20}(?:小计|合计)(?:[：:（(\d].*)?")
#: The row some forms put under the header to number its columns: 甲 乙 丙 … or 1 2 3 ….
_ORDINALS = "甲乙丙丁戊己庚辛壬癸"
_NUMBERING = re.compile(rf"[{_ORDINALS}]|[（(]?\d{{1,2}}[)）]?")
_SUMMARY = re.compile(r"[共计约]?[-+]?[\d,，.]*\d%?[\u4e00-\u9fff]{0,2}|[-—－/／\\无]+")  # 15, 3家, 12.5%, —


def _same_title(text: str, title: str) -> bool:
    """A page title repeated: the same text, or the same but for its end (（汇总） / （续）)."""
    if text == title:
        return True
    common = len(posixpath.commonprefix([text, title]))
    return common >= 8 and common >= 0.6 * max(len(text), len(title))


def _row_kind(cells: Sequence[str | None], header: _Header) -> str | None:
    """What a row below the header is when it is not a record, else ``None``.

    - ``blank``: no cell has more than whitespace; or ``template``: only a whole number in
      the 序号 column (a row numbered in advance and left empty; reported even after the
      last record, as ``blank``, since it is not empty on screen).
    - ``repeated_header``: its stripped cells equal the header's in at least 60 % of the
      header's non-empty columns (or of either row of a two-row header), at least two.
    - ``title``: one cell repeating a title row from above the header (the next page's
      title: the same text, or the same first 60 % and at least 8 characters).
    - ``total``: the first non-empty cell, whitespace removed, is 合计/小计/总计/共计 (alone or
      followed by ：, a bracket or a number: "合　计", "小计（3家）"), and the row is sparse
      (one cell, or fewer than half the header's columns filled) or its other cells are all
      sums (15, 3家, 12.5%, —).
    - ``footer``: the first non-empty cell, whitespace removed, is one of :data:`FOOTER_WORDS`
      (填表/填报/制表/审核/审批…, 负责人, 联系人, 联系电话, 注, 说明, 备注) alone or followed within
      four characters by ： or : ("填表人：张三", "注：", "说明：…"), and the row is sparse or
      every other cell is a ``key：value`` too (审核人：李四 | 联系电话：…).

    So a record is never lost to a name: "说明书印刷厂" and "联合计量仪器厂" match neither rule,
    and a filled-in record that begins "备注：…" stays a record.
    """
    filled = [(j, c.strip()) for j, c in enumerate(cells) if c is not None and c.strip()]
    if not filled:
        return "blank"
    by_column = dict(filled)
    for ref in header.references:
        if sum(1 for j, texts in ref if by_column.get(j) in texts) >= _need(ref):
            return "repeated_header"
    first = _SPACE.sub("", filled[0][1])
    if len(filled) == 1:
        if any(_same_title(first, t) for t in header.titles):
            return "title"
        if filled[0][0] == header.serial and first.isdigit():
            return "template"
        if header.width >= 3 and (_SECTION.fullmatch(first) or _TOTAL_AFTER.fullmatch(first)):
            return "section"
    if len(filled) >= 3 and all(_NUMBERING.fullmatch(_SPACE.sub("", c)) for _, c in filled) \
            and _SPACE.sub("", filled[0][1]) in ("甲", "1", "(1)", "（1）"):
        return "numbering"
    sparse = len(filled) == 1 or 2 * len(filled) < header.width
    rest = [_SPACE.sub("", c) for _, c in filled[1:]]
    if (_TOTAL.match(first) or _TOTAL_AFTER.fullmatch(first)) and (sparse or all(_SUMMARY.fullmatch(c) for c in rest)):
        return "total"
    if _FOOTER.match(first) and (sparse or all(_FOOTER_CELL.match(c) for c in rest)):
        return "footer"
    return None


def _split(raw: pa.Table, header: _Header) -> tuple[pa.Table, list[Skipped]]:
    """Records and passed-over rows of ``raw`` (string columns ``c0…`` and ``_row``, every
    row below the header).

    Vectorised tests pick the few rows worth a look (blank, first cell starting like a total
    or footer word, enough cells equal to the header); only those are read in Python.
    """
    width = raw.num_columns - 1
    skipped: list[Skipped] = []
    records = raw
    if raw.num_rows and width:
        records, skipped = _pass_over(raw, header)
    # Columns right of the header that no record fills (padding, a footer's stray cell) go.
    named = max((j + 1 for j, n in enumerate(header.names) if n), default=0)
    used = width
    while used > named and pc.all(pc.fill_null(pc.equal(records.column(used - 1), ""), True)).as_py() is not False:
        used -= 1
    return _named(records.select(list(range(used))), header.names, records.column(ROW)), skipped


def _pass_over(raw: pa.Table, header: _Header) -> tuple[pa.Table, list[Skipped]]:
    width = raw.num_columns - 1
    rows = raw.column(ROW)
    cols = [raw.column(j) for j in range(width)]
    empty = [pc.fill_null(pc.equal(c, ""), True) for c in cols]
    blank = functools.reduce(pc.and_, empty)
    null = pa.scalar(None, pa.string())
    if pc.any(empty[0]).as_py():  # the first filled cell of each row
        first = pc.coalesce(*[pc.if_else(e, null, c) for e, c in zip(empty, cols, strict=True)])
    else:  # the usual case, every first cell filled (序号, a code): no copy of every column
        first = cols[0]
    look = pc.fill_null(pc.match_substring_regex(first, _SUSPECT), False)
    filled = functools.reduce(pc.add, [pc.cast(pc.invert(e), pa.int16()) for e in empty])
    look = pc.or_(look, pc.equal(filled, 1))  # a section heading or subtotal alone on its row
    look = pc.or_(look, pc.fill_null(pc.is_in(first, value_set=pa.array(["甲", "1", "(1)", "（1）"])), False))
    look = pc.or_(look, pc.fill_null(pc.match_substring_regex(first, "(小计|合计)"), False))
    for title in header.titles:  # a page title repeated starts like the title
        look = pc.or_(look, pc.fill_null(pc.starts_with(first, title[:8]), False))
    if header.serial is not None and header.serial < width:  # only the 序号 filled
        others = [e for j, e in enumerate(empty) if j != header.serial]
        alone = functools.reduce(pc.and_, others, pc.invert(empty[header.serial]))
        look = pc.or_(look, alone)
    for ref in header.references:
        hits = [pc.cast(pc.fill_null(_equals(cols[j], texts), False), pa.int16()) for j, texts in ref if j < width]
        if hits:
            look = pc.or_(look, pc.greater_equal(functools.reduce(pc.add, hits), _need(ref)))
    look = pc.and_(look, pc.invert(blank))
    kinds: dict[int, tuple[str, str]] = {}
    picked = pc.indices_nonzero(look)
    if len(picked):
        sample = raw.take(picked)
        values = [sample.column(j).to_pylist() for j in range(width)]
        for k, i in enumerate(picked.to_pylist()):
            cells = [v[k] for v in values]
            kind = _row_kind(cells, header)
            if kind is not None:
                kinds[i] = (kind, _text_of([c.strip() if c else None for c in cells]))
    if not kinds and not pc.any(blank).as_py():
        return raw, []  # the usual case: nothing to pass over, no copy
    skip = blank
    if kinds:
        marks = [False] * raw.num_rows
        for i in kinds:
            marks[i] = True
        skip = pc.or_(skip, pa.array(marks))
    keep = pc.invert(skip)
    last = pc.max(pc.filter(rows, keep)).as_py()  # the last record's row: blank rows after it are trailing
    skipped: list[Skipped] = []
    if last is not None:
        skipped += [Skipped(r, "blank", "") for r in pc.filter(rows, pc.and_(blank, pc.less(rows, last))).to_pylist()]
    if kinds:
        numbers = pc.take(rows, pa.array(sorted(kinds), pa.int64())).to_pylist()
        for n, i in zip(numbers, sorted(kinds), strict=True):
            kind, text = kinds[i]
            if kind == "template":
                skipped.append(Skipped(n, "blank", text))
            elif kind != "blank" or (last is not None and n < last):
                skipped.append(Skipped(n, kind, text))
    skipped.sort(key=lambda s: s.row)
    return raw.filter(keep), skipped


def _equals(column: pa.ChunkedArray, texts: frozenset[str]) -> pa.ChunkedArray:
    if len(texts) == 1:
        return pc.equal(column, next(iter(texts)))
    return pc.is_in(column, value_set=pa.array(sorted(texts), pa.string()))


def _named(data: pa.Table, names: list[str], rows: pa.ChunkedArray | pa.Array) -> pa.Table:
    labels = [names[j] if j < len(names) else "" for j in range(data.num_columns)]
    columns = [data.column(j) for j in range(data.num_columns)] + [rows]
    return pa.Table.from_arrays(columns, names=[*labels, ROW])


def _rows_table(rows: Sequence[Sequence[object]], start: int, width: int, empty: str | None) -> pa.Table:
    """Rows ``start…`` of a sheet read into Python (``rows[i]`` is sheet row ``i + 1``) as
    string columns ``c0…`` plus ``_row``."""
    cols: list[list[str | None]] = [[] for _ in range(width)]
    for i in range(start, len(rows)):
        record = rows[i]
        n = min(len(record), width)
        for j in range(n):
            v = record[j]
            cols[j].append(empty if v is None or v == "" else _cell_to_str(v))
        for j in range(n, width):
            cols[j].append(empty)
    arrays = [pa.array(c, type=pa.string()) for c in cols]
    arrays.append(pa.array(range(start + 1, len(rows) + 1), type=pa.int32()))
    return pa.Table.from_arrays(arrays, names=[*(f"c{j}" for j in range(width)), ROW])


def _trimmed(row: Sequence[object]) -> list[object]:
    """A row without its trailing empty cells."""
    k = len(row)
    while k and (row[k - 1] is None or row[k - 1] == ""):
        k -= 1
    return list(row[:k])


def _sheet_from_rows(rows: list[list[object]], file: str, header_row: int | None,
                     header_score: HeaderScore | None, empty: str | None) -> Sheet:
    """A :class:`Sheet` from every row of a sheet read into Python (trailing cells trimmed)."""
    top = rows[: header_row if header_row is not None else HEAD_ROWS]
    raw_head: list[list[str | None]] = [[_cell_to_str(v) for v in r] for r in top]
    head = [_stripped(r) for r in top]
    header = _find_header(head, raw_head, file, header_row, header_score)
    width = max([len(header.names), *(len(r) for r in rows[header.index + 1:])])
    table, skipped = _split(_rows_table(rows, header.index + 1, width, empty), header)
    return Sheet(table, header.index + 1, header_row is None, _above(head, header) + skipped)
# ------------------------------------------------------------------------------- xlsx

def _first_sheet(z: zipfile.ZipFile) -> tuple[str, str]:
    """The zip member of the workbook's first sheet (as calamine and openpyxl take it) and the
    sheet's name (``""`` when the workbook does not say)."""
    name = ""
    try:
        with z.open("xl/workbook.xml") as f:
            workbook = f.read(1 << 18).decode("utf-8", "replace")
        with z.open("xl/_rels/workbook.xml.rels") as f:
            rels = f.read(1 << 18).decode("utf-8", "replace")
        sheet = re.search(r"<(?:\w+:)?sheet\b[^>]*>", workbook)
        if sheet:
            called = re.search(r"\sname\s*=\s*[\"']([^\"']*)[\"']", sheet.group(0))
            name = html.unescape(called.group(1)) if called else ""
            rid = re.search(r"\s\w+:id\s*=\s*[\"']([^\"']+)[\"']", sheet.group(0))
            wanted = re.escape(rid.group(1)) if rid else None
            for rel in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels) if wanted else ():
                tag = rel.group(0)
                target = re.search(r"\sTarget\s*=\s*[\"']([^\"']+)[\"']", tag)
                if target and re.search(rf"\sId\s*=\s*[\"']{wanted}[\"']", tag):
                    member = target.group(1)
                    return (member.lstrip("/") if member.startswith("/")
                            else posixpath.normpath("xl/" + member)), name
    except KeyError:
        pass
    return "xl/worksheets/sheet1.xml", name


def _column_name(number: int) -> str:
    """The spreadsheet letters of a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_DIMENSION = re.compile(r"<(?:\w+:)?dimension\b[^>]*?\sref\s*=\s*[\"']([^\"']*)[\"']")
_WIDE_CELL = re.compile(rb' r="([A-Z]{2,3})[0-9]')  # a cell reference beyond column Z
#: A cell beyond column Z that holds something (a value, a formula, a non-empty inline string),
#: not an empty styled ``<c r="XFD1" s="1"/>`` nor an empty ``<is><t></t></is>``.
_WIDE_VALUE = re.compile(rb' r="([A-Z]{2,3})([0-9]+)"[^>]*(?<!/)>\s*'
                         rb'(?:<(?:\w+:)?v>[^<]|<(?:\w+:)?f\b|<(?:\w+:)?is>\s*(?:<(?:\w+:)?r>|<(?:\w+:)?t\b[^>]*>[^<]))')
_ROW_NUMBER = re.compile(rb'row r="([0-9]+)"')
#: The sheet's root element, with the namespace prefix its tags use, if any (``<x:worksheet``).
#: A cell's value is then ``<v>`` (numbers, shared strings, formulas' results) or ``<is>``
#: (inline text), prefixed the same way.
_ROOT = re.compile(rb"<(?:(\w+):)?worksheet\b")


def _declared(path: Path) -> tuple[str, str, int] | None:
    """The first sheet's name, its declared range (``A1:XFD100000``) and the rows x columns
    that range spans counted from A1, read from the first 16 KB of its XML; ``None`` when it
    declares nothing readable."""
    with zipfile.ZipFile(path) as z:
        member, name = _first_sheet(z)
        try:
            with z.open(member) as f:
                head = f.read(16 << 10).decode("utf-8", "replace")
        except KeyError:
            return None
    m = _DIMENSION.search(head)
    end = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})", m.group(1).split(":")[-1].strip()) if m else None
    if not m or not end:
        return None
    return name, m.group(1).strip(), int(end.group(2)) * _column_number(end.group(1))


def declared_cells(path: Path) -> int | None:
    """Rows x columns the first sheet declares (``<dimension ref="A1:XFD100000"/>``, counted
    from A1); ``None`` when it declares nothing."""
    found = _declared(path)
    return found[2] if found else None


@dataclass(frozen=True)
class _Scan:
    span: int  # rows x columns calamine would allocate: last row x last column beyond Z, else 26
    values: int  # cells holding a value
    value_columns: int = 0  # the last column beyond Z that holds a value (0: none beyond Z)
    value_row: int = 0  # the first row with a value in that column


def _scan(path: Path) -> _Scan:
    """One streaming pass over the first sheet's XML (about a fifth of calamine's own read).

    A sheet may declare a small dimension, or none, and still hold one value at XFD1048576:
    calamine sizes its grid from the cells, and aborts the process just the same.
    """
    rows = columns = values = value_columns = value_row = 0
    tail = b""
    tags: tuple[bytes, ...] = ()
    with zipfile.ZipFile(path) as z:
        member, _ = _first_sheet(z)
        try:
            f = z.open(member)
        except KeyError:
            return _Scan(0, 0)
        with f:
            while chunk := f.read(1 << 20):
                text = tail + chunk
                wide = set(_WIDE_CELL.findall(text))
                if wide:
                    columns = max(columns, *(_column_number(c.decode()) for c in wide))
                    for letters, row in set(_WIDE_VALUE.findall(text)):
                        col, r = _column_number(letters.decode()), int(row)
                        if col > value_columns or (col == value_columns and r < value_row):
                            value_columns, value_row = col, r
                numbers = _ROW_NUMBER.findall(text)
                if numbers:
                    rows = max(rows, *map(int, numbers))
                if not tags:  # <v> and <is>, or <x:v> and <x:is> when the sheet's XML uses a prefix
                    root = _ROOT.search(text)
                    prefix = root.group(1) + b":" if root and root.group(1) else b""
                    tags = (b"<" + prefix + b"v>", b"<" + prefix + b"is>")
                # A value tag inside the carried-over tail was counted with the previous chunk.
                values += sum(text.count(t) - tail.count(t) for t in tags)
                tail = text[-64:]
    return _Scan(rows * max(columns, 26), values, value_columns, value_row)


def _calamine_rows(path: Path) -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    # From A1 (skip_empty_area=False) so that list index i is sheet row i + 1.
    return [_trimmed(r) for r in sheet.to_python(skip_empty_area=False)]


def _openpyxl_rows(path: Path, max_col: int | None = None) -> list[list[object]]:
    """Every row of the first sheet, streamed (read-only), each cut after its last value, and
    read no further right than ``max_col``.

    The declared dimension is ignored: with it openpyxl pads every row to its width (and an
    empty styled cell at XFD in every row pads each to 16,384 cells without ``max_col``).
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        return [_trimmed(r) for r in ws.iter_rows(values_only=True, max_col=max_col)]
    finally:
        wb.close()


def _sheet_label(name: str) -> str:
    return f"工作表“{without_hidden(name)}”" if name else "第一个工作表"


def _xlsx_rows(path: Path) -> list[list[object]]:
    """The first sheet's rows: calamine (about ten times faster), or openpyxl (streaming)
    when calamine fails or the sheet's values span more than :data:`MAX_CALAMINE_CELLS`
    (calamine would allocate them all and abort the process).

    Refused before anything reads the sheet: a zip bomb (:func:`check_zip`), a sheet declaring
    more than :data:`MAX_DECLARED_CELLS` cells, one holding more than :data:`MAX_XLSX_CELLS`
    values; after reading, data beyond :data:`MAX_COLUMNS` columns.
    """
    check_zip(path)  # an xlsx is a zip: refuse a bomb before anything unpacks it
    declared = _declared(path)
    sheet = _sheet_label(declared[0] if declared else "")
    if declared and declared[2] > MAX_DECLARED_CELLS:
        name, ref, cells = declared
        raise ImportFileError(path.name, f"{sheet}声明的范围为 {ref}（约 {cells:,} 个单元格），超过 "
                                         f"{MAX_DECLARED_CELLS:,} 个单元格的上限，未读取。请把有内容的区域复制到"
                                         "新的工作簿（或另存为 CSV）后再导入")
    scan = _scan(path)
    if scan.values > MAX_XLSX_CELLS:
        raise ImportFileError(path.name, f"{sheet}有 {scan.values:,} 个有内容的单元格，超过 {MAX_XLSX_CELLS:,} 个的"
                                         "上限，未读取。请另存为 CSV（逗号分隔）后导入，或分成几个文件")
    if scan.value_columns > MAX_COLUMNS:  # refused before reading: nothing right of it is dropped unseen
        raise ImportFileError(path.name, f"{sheet}第 {scan.value_row} 行第 {scan.value_columns} 列"
                                         f"（{_column_name(scan.value_columns)} 列）有内容，超过 {MAX_COLUMNS} 列的"
                                         "上限，未读取；请删除表格右侧多余的内容后再导入")
    rows: list[list[object]] | None = None
    if scan.span <= MAX_CALAMINE_CELLS:
        try:
            rows = _calamine_rows(path)
        except Exception:  # calamine refuses some files openpyxl reads
            rows = None
    if rows is None:  # every value lies within MAX_COLUMNS (the scan): no need to read further right
        rows = _openpyxl_rows(path, max_col=max(MAX_COLUMNS, 26) + 1)
    for i, r in enumerate(rows):
        if len(r) > MAX_COLUMNS:
            raise ImportFileError(path.name, f"{sheet}第 {i + 1} 行第 {len(r)} 列仍有内容，"
                                             f"超过 {MAX_COLUMNS} 列的上限；请删除表格右侧多余的内容后再导入")
    return rows


def _read_xlsx(path: Path, header_row: int | None, header_score: HeaderScore | None) -> Sheet:
    rows = _xlsx_rows(path)
    if not any(rows):
        raise ImportFileError(path.name, "工作表为空")
    return _sheet_from_rows(rows, path.name, header_row, header_score, None)


# -------------------------------------------------------------------------------- CSV

def check_lines(path: Path) -> None:
    """Refuse a text file with a line longer than :data:`MAX_LINE_BYTES`, found by streaming it
    in blocks before anything parses it (numpy over the bytes: about 0.1 s for 50 MB). CR, LF
    and CRLF each end a line, as the CSV readers take them.

    Raises
    ------
    ImportFileError
        Naming the line and the limit.
    """
    if _lines_short_by_memchr(path):
        return
    import numpy as np

    def refuse(line: int) -> ImportFileError:
        return ImportFileError(path.name, f"第 {line} 行超过 {MAX_LINE_BYTES >> 20} MB（每行的上限），未读取："
                                          "这不像是逐行填写的台账，请确认文件是逗号分隔的文本（CSV）")

    start = offset = 0  # where the current line starts; where the block starts
    line = 1  # the current line's number
    after_cr = False  # the previous block ended with CR (its LF may open this block)
    with open(path, "rb") as f:
        while block := f.read(8 << 20):
            a = np.frombuffer(block, dtype=np.uint8)
            has_cr = b"\r" in block  # memchr: most files end their lines with LF alone
            if has_cr or after_cr:
                lf, cr = a == 10, a == 13
                ends = lf | cr
                ends[:-1] &= ~(cr[:-1] & lf[1:])  # CRLF ends its line once, at the LF
                if after_cr and lf[0]:
                    ends[0] = False
                    start = offset + 1
                pos = np.flatnonzero(ends) + offset
            else:
                pos = np.flatnonzero(a == 10) + offset
            if len(pos):
                starts = np.concatenate(([start], pos[:-1] + 1))
                too = np.flatnonzero(pos - starts > MAX_LINE_BYTES)
                if len(too):
                    raise refuse(line + int(too[0]))
                line += len(pos)
                start = int(pos[-1]) + 1
            offset += len(block)
            if offset - start > MAX_LINE_BYTES:  # the line under way is already too long
                raise refuse(line)
            after_cr = has_cr and block.endswith(b"\r")


def _lines_short_by_memchr(path: Path) -> bool:
    """True when the file surely has no line longer than :data:`MAX_LINE_BYTES`, told without
    copying or counting it: no CR anywhere, and an LF in every window of half the limit (so
    two LFs are never a limit apart). The mapped file is searched
    by memchr at memory speed. False leaves it to the exact count, which names the line."""
    import mmap

    half = MAX_LINE_BYTES // 2
    size = path.stat().st_size
    if size <= MAX_LINE_BYTES:  # no line is longer than the file
        return True
    with open(path, "rb") as f:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m.find(b"\r") >= 0:
                return False
            # A line longer than the limit would cover a whole window: the unaligned tail is
            # shorter than one.
            return all(m.find(b"\n", i, i + half) >= 0 for i in range(0, size - size % half, half))


def _too_wide(path: Path, line: int, width: int) -> ImportFileError:
    return ImportFileError(path.name, f"第 {line} 行有 {width:,} 列，超过 {MAX_COLUMNS} 列的上限，未读取；"
                                      "请删除表格右侧多余的列后再导入")


def _csv_error(path: Path, line: int, exc: csv.Error) -> ImportFileError:
    text = str(exc)
    why = (f"有单元格超过 {csv.field_size_limit() // 1024} KB" if "field limit" in text
           else "含有空字符" if "NUL" in text else "引号或换行不成对")
    return ImportFileError(path.name, f"第 {line} 行无法按 CSV 读取：{why}")


_EOL = re.compile(rb"\r\n|\r|\n")


def _csv_head(path: Path, encoding: str, limit: int) -> tuple[list[list[str]], list[int]]:
    """The first ``limit`` records (csv module) and the byte offset where each one ends.

    Lines end at CR, LF or CRLF (never inside a UTF-8 or GB18030 character); a record wider
    than :data:`MAX_COLUMNS` is refused, naming its line.
    """
    records: list[list[str]] = []
    ends: list[int] = []
    consumed = lines_read = 0
    with open(path, "rb") as f:

        def lines() -> Iterator[str]:
            nonlocal consumed, lines_read
            buf, eof = b"", False
            while True:
                m = _EOL.search(buf)
                # A CR at the end of what was read may be the first half of a CRLF.
                if m and (m.end() < len(buf) or eof or m.group() != b"\r"):
                    line, buf = buf[:m.end()], buf[m.end():]
                elif eof:
                    if not buf:
                        return
                    line, buf = buf, b""
                else:
                    more = f.read(1 << 16)
                    eof = not more
                    buf += more
                    continue
                consumed += len(line)
                if lines_read == 0 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                lines_read += 1
                yield line.decode(encoding, errors="replace")

        # The reader asks for one more line only while a record is unfinished, so after each
        # record ``consumed`` is where the next one starts.
        first = 1
        reader = csv.reader(lines())
        try:
            for record in reader:
                if len(_trimmed(record)) > MAX_COLUMNS:
                    raise _too_wide(path, first, len(_trimmed(record)))
                records.append(record)
                ends.append(consumed)
                first = lines_read + 1
                if len(records) >= limit:
                    break
        except csv.Error as exc:
            raise _csv_error(path, first, exc) from exc
    return records, ends


def _csv_arrow(path: Path, encoding: str, offset: int, width: int, first_row: int) -> pa.Table | None:
    """Records from byte ``offset`` on, read by pyarrow, numbered from ``first_row``;
    ``None`` when pyarrow refuses (ragged rows, an undecodable byte…)."""
    import pyarrow.csv as pacsv

    names = [f"c{j}" for j in range(width)]
    if offset >= path.stat().st_size:
        return _rows_table([], 0, width, "")
    try:
        with pa.memory_map(str(path)) as f:
            f.seek(offset)
            table = pacsv.read_csv(
                f,
                read_options=pacsv.ReadOptions(encoding=encoding, block_size=16 << 20, column_names=names),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                                 invalid_row_handler=lambda row: "error"),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                      strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
    except (pa.ArrowInvalid, ValueError):
        return None
    # Empty lines are kept as rows (ignore_empty_lines=False): record i is row first_row + i.
    import numpy as np

    numbers = pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int32))
    return table.append_column(ROW, numbers)


def _read_csv(path: Path, header_row: int | None, header_score: HeaderScore | None) -> Sheet:
    """Header from the first records (csv module), then the data by pyarrow from the line
    after the header; the csv module for the whole file when pyarrow refuses it."""
    check_lines(path)
    encoding = detect_encoding(path)
    records, ends = _csv_head(path, encoding, header_row if header_row is not None else HEAD_ROWS)
    if not any(any(c.strip() for c in r) for r in records):
        raise ImportFileError(path.name, "文件为空")
    as_read: list[list[str | None]] = [list(r) for r in records]
    head = [_stripped(r) for r in records]
    header = _find_header(head, as_read, path.name, header_row, header_score)
    width = max(len(header.names), 1)
    raw = _csv_arrow(path, encoding, ends[header.index], width, header.index + 2)
    if raw is None:
        rows: list[list[object]] = []
        with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
            reader = csv.reader(f)
            try:
                for r in reader:
                    rows.append(_trimmed(r))
                    if len(rows[-1]) > MAX_COLUMNS:
                        raise _too_wide(path, reader.line_num, len(rows[-1]))
            except csv.Error as exc:
                raise _csv_error(path, reader.line_num + 1, exc) from exc
        width = max([len(header.names), *(len(r) for r in rows[header.index + 1:])])
        raw = _rows_table(rows, header.index + 1, width, "")
    table, skipped = _split(raw, header)
    return Sheet(table, header.index + 1, header_row is None, _above(head, header) + skipped)


# ------------------------------------------------------------------------------ entry points

def read_sheet(path: Path, header_row: int | None = None, header_score: HeaderScore | None = None) -> Sheet:
    """Read a CSV or xlsx ledger (its first sheet) as strings, finding its header.

    Parameters
    ----------
    header_row
        The header's 1-based row, when the caller knows it; found otherwise: among the
        first 30 rows the one ``header_score`` rates highest (the first on a tie), at
        least 2; a row with a single filled cell (a title) never. A two-row header (a
        merged group cell over sub-headers) is read as its lower row, each empty cell of it
        taking the upper row's text.
    header_score
        How many of a row's cells (stripped, ``None`` when empty) are headers the caller
        recognises; by default its short texts that are not numbers, dates or ``key：value``.

    Every row below the header is a record unless it is blank, repeats the header (60 % of
    its cells), is a 合计/小计 row or a footer; those, and the non-empty rows above the
    header, are listed in :attr:`Sheet.skipped`. A total or footer row is one whose first
    non-empty cell starts with 合计/小计/总计/共计, or with a footer word followed by ：
    (填表人：, 审核人：, 注：, 说明：…), AND that does not look like a record: fewer than half
    the header's columns filled (or a single cell), or every other cell a sum / a
    ``key：value``. So "说明书印刷厂" or "联合计量仪器厂" stay records (details in
    :func:`_row_kind`). A record with bad values is kept: judging it is the validator's job.

    Raises
    ------
    ImportFileError
        Unreadable, empty, no header found in the first 30 rows, a declared header row that
        is empty or beyond the file, data beyond :data:`MAX_COLUMNS` columns.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return _read_csv(path, header_row, header_score)
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, header_row, header_score)
    except ImportFileError:
        raise
    except Exception as exc:  # any parser failure is the file's problem
        raise ImportFileError(path.name, f"无法读取：{exc}") from exc
    raise ImportFileError(path.name, f"不支持的文件类型 {suffix}（支持 csv、xlsx）")


def read_csv_strings(path: Path) -> pa.Table:
    """Read a CSV file as a table of strings plus ``_row`` (header found automatically)."""
    return _read_csv(path, None, None).table


def read_xlsx_strings(path: Path) -> pa.Table:
    """Read the first sheet of an xlsx workbook as strings plus ``_row`` (header found
    automatically)."""
    return _read_xlsx(path, None, None).table


def read_table_file(path: Path) -> pa.Table:
    """Read a CSV or xlsx ledger as strings; raise :class:`ImportFileError` if unreadable."""
    return read_sheet(path).table


def _looks_gbk_read_as_latin1(gdf: gpd.GeoDataFrame) -> bool:
    """True when text attributes are Chinese (GBK) bytes decoded as Latin-1: every character
    below U+0100, some above U+007F, and the bytes decode as GB18030 into CJK characters."""
    texts = [v for col in gdf.columns if col != getattr(gdf, "_geometry_column_name", None)
             for v in gdf[col].head(200) if isinstance(v, str)]  # text columns, whatever their dtype
    texts += [c for c in gdf.columns if isinstance(c, str)]
    suspect = [t for t in texts if any(ord(ch) > 0x7F for ch in t)]
    if not suspect or any(ord(ch) > 0xFF for t in suspect for ch in t):
        return False
    try:
        decoded = [t.encode("latin-1").decode("gb18030") for t in suspect]
    except UnicodeError:
        return False
    return all(any("\u4e00" <= ch <= "\u9fff" for ch in d) for d in decoded)


def read_boundary_file(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON / Shapefile / GeoPackage as a GeoDataFrame with string attributes."""
    import geopandas as gpd

    if path.suffix.lower() == ".zip":
        check_zip(path)
    try:
        gdf = gpd.read_file(path)
        if _looks_gbk_read_as_latin1(gdf):
            # A Shapefile without a .cpg: GDAL takes its attributes as Latin-1, but Chinese
            # offices write them in GBK. Read again, telling it so.
            gdf = gpd.read_file(path, encoding="gb18030")
    except Exception as exc:
        raise ImportFileError(path.name, f"无法读取边界文件：{exc}") from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf._geometry_column_name not in gdf.columns:
        # e.g. a CSV ledger given as a boundary layer: geopandas reads it as a plain table
        raise ImportFileError(path.name, "无法读取边界文件：没有几何图形"
                                         "（边界应为 GeoJSON、zip 打包的 Shapefile 或 GeoPackage）")
    for col in gdf.columns:
        if col != gdf.geometry.name:
            gdf[col] = gdf[col].map(_cell_to_str).astype(object)
    # Attribute names as shown and matched: without invisible characters; one called like our
    # row numbers keeps its data under another name (and is reported as unknown).
    taken = {ROW, gdf.geometry.name}
    renamed = {}
    for c in gdf.columns:
        if isinstance(c, str) and c != gdf.geometry.name:
            name = base = without_hidden(c)
            n = 1
            while name in taken:
                n += 1
                name = f"{base}_" if n == 2 else f"{base}_{n - 1}"
            taken.add(name)
            renamed[c] = name
    gdf = gdf.rename(columns={c: n for c, n in renamed.items() if c != n})
    gdf[ROW] = range(1, len(gdf) + 1)  # features are numbered from 1
    return gdf
