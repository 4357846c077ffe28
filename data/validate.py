"""Row validation in SQL, generated from the table declarations.

A staged file is a DuckDB table of strings plus ``_row``. Validation is one pass that
materialises, per column, the cleaned text ``x``, the value ``p`` parsed as the column's
standard form, the typed value ``v``, and per rule a boolean "this row breaks it" column; each
hit then becomes a row of ``import_issue`` naming file, row, column, value and reason (reading
only that boolean column). A row with any error is rejected; warnings keep the row. Accepted +
rejected always equals rows read, because rejection is decided per row number and nothing else
filters rows.

Values as people write them. Where a cell does not parse as written, an unambiguous repair is
tried — only then, so the millions of cells in the standard form pay nothing for it: full-width
digits and letters (``５０``), blanks inside codes, a lower-case credit code, ``约50人`` /
``50余人`` / ``50人左右``, ``120.6度``, degree-minute-second text (``E120°39′22.5″``,
``120度39分22.5秒``, ``120:39:22.5``). A repaired cell is kept and reported as a warning naming
what it was and what it became. What is ambiguous is rejected with a reason: a range
(``50-100人``), ``若干``, minutes or seconds of 60 or more. Enum cells are read through the
synonyms and the user's value map (:mod:`data.valuemaps`); longitude and latitude swapped in a
row are put back by :func:`convert_coordinates` when only the swapped pair lies in the city.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data import uscc, valuemaps
from data.readers import HIDDEN_RANGES, HIDDEN_RE2, ROW, ImportFileError, hidden_in, without_hidden
from data.tables import Column, Table
from geo import crs as geocrs

TRUE_WORDS = ("是", "1", "y", "yes", "true", "有", "√", "✓", "✔", "涉及", "存在", "是的", "有的")
FALSE_WORDS = ("否", "0", "n", "no", "false", "无", "×", "✗", "✘", "不涉及", "未涉及", "不存在", "没有", "不是")
DATE_FORMATS = ("%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
                "%Y年%m月%d号")
#: Units a number may carry in a cell, by the unit in its column's header: suffix -> factor.
UNITS = {
    "万元": {"万元": 1.0, "万": 1.0, "元": 1e-4},
    "平方米": {"平方米": 1.0, "㎡": 1.0, "m²": 1.0, "m2": 1.0},
}
#: Counting words after a whole number (35人, 3家, 20名).
COUNT_WORDS = "人家个名"
#: Plausible WGS-84 extent of mainland China and its islands, degrees.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
#: How far outside the bounding box of its boundaries a point still counts as in the city.
CITY_BUFFER_M = 5000.0

#: Full-width ASCII (U+FF01-U+FF5E), the ideographic and the no-break space, and their
#: half-width forms: NFKC for what ledgers contain (DuckDB has NFC only), by a fixed offset.
FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0"
HALFWIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + "  "
#: Degree, minute and second marks as typed (° º ˚ 度; ′ ' ’ 分; ″ " ” 秒 or two primes).
_DEG, _MIN, _SEC = "[°º˚度]", "[′'’分]", "(?:[″\"”秒]|′′|''|’’)"
_NUM = "[0-9]+(?:\\.[0-9]+)?"
DMS_PATTERN = (f"([0-9]{{1,3}}){_DEG}([0-9]{{1,2}}(?:\\.[0-9]+)?)"
               f"(?:{_MIN}(?:([0-9]{{1,2}}(?:\\.[0-9]+)?){_SEC}?)?)?")
#: 120:39:22.5 (three parts only: 120:39 could be anything).
COLON_PATTERN = "([0-9]{1,3}):([0-9]{1,2}):([0-9]{1,2}(?:\\.[0-9]+)?)"
#: A number given as a range (50-100人, 10~20, 10至20) or in words that say no number.
RANGE_PATTERN = f"^{_NUM}[^0-9.]{{0,3}}[-~—–至到]{_NUM}"
VAGUE_PATTERN = "若干|不详|不清|未知|数十|数百|几十|几百|十几|上百|以上|以下|不足|不到|少于|多于|超过"
APPROX_PATTERN = "^(?:约为|大约|约)?([0-9.]+)(?:余|多)?(.*?)(?:左右|上下)?$"


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + text.replace("'", "''") + "'"


def one_of(x: str, words: Iterable[str]) -> str:
    """SQL: whether text ``x`` is one of ``words`` (NULL when ``x`` is NULL), as a scalar
    ``list_contains``. Not ``x IN (…)``: DuckDB rewrites an IN list of more than a few
    constants into a MARK join, which computes ``x`` for every row, so that a CASE no longer
    skips the rows an earlier WHEN answered (10 s instead of 2 for 200,000 enterprises)."""
    listed = ", ".join(lit(w) for w in words)
    return f"list_contains([{listed}]::VARCHAR[], {x})" if listed else f"({x} IS NULL AND NULL)"


#: Whitespace trimmed from both ends of every cell: ASCII blanks and the full-width space
#: (U+3000) that Chinese input methods leave in ledgers.
WHITESPACE = (" ", "\t", "\r", "\n", "\u3000")


def clean_sql(x: str) -> str:
    """SQL for a cell's text with surrounding whitespace removed, NULL when blank.

    Most cells need no trimming; testing the ends first (byte comparisons) halves the cost
    of a Unicode trim over millions of rows.
    """
    ends = " OR ".join(f"starts_with({x}, '{w}') OR ends_with({x}, '{w}')" for w in WHITESPACE)
    return (f"CASE WHEN {x} = '' THEN NULL WHEN {ends} "
            f"THEN NULLIF(trim({x}, '{''.join(WHITESPACE)}'), '') ELSE {x} END")


def halfwidth_sql(x: str) -> str:
    """SQL for ``x`` with full-width ASCII and blanks in their half-width form."""
    return f"translate({x}, {lit(FULLWIDTH)}, {lit(HALFWIDTH)})"


def unblank_sql(x: str) -> str:
    """SQL for ``x`` half-width, with every blank removed."""
    return f"regexp_replace({halfwidth_sql(x)}, '\\s', '', 'g')"


def x_col(c: Column) -> str:
    """Column of the validation table holding ``c``'s cleaned text (NULL when blank)."""
    return q("x_" + c.name)


def p_col(c: Column) -> str:
    """Column holding ``c``'s value parsed as written (NULL where a repair may be needed)."""
    return q("p_" + c.name)


def v_col(c: Column) -> str:
    """Column of the validation table holding ``c``'s typed value (NULL when unparsable)."""
    return q("v_" + c.name)


#: What a cell holds to say "nothing applies": read as blank.
DASHES = ("/", "／", "-", "－", "--", "—", "——", "―", "\\")
#: What a date cell holds to say "no date yet" (not rectified, not closed): read as blank.
DATE_NOTHING = (*DASHES, "无", "暂无", "未整改", "整改中", "正在整改", "待整改", "未完成", "未销号", "未验收")
NOTHING = {"date": DATE_NOTHING, "bool": DASHES}


def nothing_sql(c: Column, x: str) -> str:
    """SQL for cleaned text ``x`` with the placeholders that mean "nothing" read as blank
    (date columns: ``/``, ``—``, ``无``, ``未整改`` …; yes/no columns: ``/``, ``—``); other
    columns unchanged."""
    words = NOTHING.get(c.kind)
    if not words:
        return x
    longest = max(len(w.encode()) for w in words)  # a byte count first: most cells are longer
    return f"CASE WHEN strlen({x}) <= {longest} AND {one_of(x, words)} THEN NULL ELSE {x} END"


#: How the reader writes a long code Excel stored as a number (data.readers._cell_to_str).
NUMBER_AS_CODE = "[0-9](\\.[0-9]+)?e\\+[0-9]+"


#: Kinds parsed as written first, then repaired where that fails (``p`` then ``v``).
REPAIRED_KINDS = ("int", "float", "lon", "lat", "date")


def plain_value_expr(c: Column, x: str) -> str:
    """SQL turning cleaned text ``x`` of column ``c`` into its typed value, as written."""
    if c.kind == "uscc":
        return x
    if c.kind == "int":
        n = f"regexp_replace(replace({x}, ',', ''), '\\s*[{COUNT_WORDS}]$', '')"  # "35人" is 35
        return f"TRY_CAST(TRY_CAST({n} AS DECIMAL(18,3)) AS INTEGER)"
    if c.kind in ("lon", "lat"):
        return f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"
    if c.kind == "float":
        return number_with_unit(c, x)
    if c.kind == "date":
        alts = ", ".join(f"try_strptime({x}, {lit(f)})::DATE" for f in DATE_FORMATS)
        # A date cell typed as a plain number in Excel arrives as its serial (days since 1899-12-30).
        serial = (f"CASE WHEN regexp_full_match({x}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') "
                  f"AND TRY_CAST({x} AS DOUBLE) BETWEEN 20000 AND 80000 "  # 1954-10-03 .. 2119-01-10
                  f"THEN DATE '1899-12-30' + CAST(floor(TRY_CAST({x} AS DOUBLE)) AS INTEGER) END")
        return f"coalesce(TRY_CAST({x} AS DATE), {serial}, {alts})"
    if c.kind == "bool":
        # 是/否 first: exact matches skip the Unicode lower() for nearly every cell. Otherwise
        # half-width, lower case, and a note in brackets after the answer dropped (是（液氨）).
        w = f"regexp_replace(lower({halfwidth_sql(x)}), '\\s*[(（].*[)）]$', '')"
        return (f"(CASE WHEN {x} = '是' THEN true WHEN {x} = '否' THEN false "
                f"WHEN {one_of(w, TRUE_WORDS)} THEN true WHEN {one_of(w, FALSE_WORDS)} THEN false END)")
    return x


def _numeric_text(x: str) -> str:
    """A number's text half-width, without blanks or thousands separators, approximation
    words dropped (约50人 -> 50人, 12.5万元左右 -> 12.5万元)."""
    return f"regexp_replace(regexp_replace({halfwidth_sql(x)}, '[\\s,]', '', 'g'), {lit(APPROX_PATTERN)}, '\\1\\2')"


def _degree_text(c: Column, x: str) -> str:
    """A coordinate's text half-width, without blanks, hemisphere marks (E, 东经 / N, 北纬) and
    with 120:39:22.5 written as 120°39′22.5″."""
    hemi = "^(?:E|东经)|E$" if c.kind == "lon" else "^(?:N|北纬)|N$"
    t = f"regexp_replace(upper({unblank_sql(x)}), {lit(hemi)}, '', 'g')"
    return f"regexp_replace({t}, {lit('^' + COLON_PATTERN + '$')}, '\\1°\\2′\\3″')"


def _dms_parts(t: str) -> tuple[str, str, str]:
    pattern = lit("^" + DMS_PATTERN + "$")
    d, m, s = (f"TRY_CAST(regexp_extract({t}, {pattern}, {i}) AS DOUBLE)" for i in (1, 2, 3))
    return d, m, f"coalesce({s}, 0)"


def _dms_invalid(c: Column, x: str) -> str:
    """SQL: ``x`` is degree-minute-second text whose minutes or seconds are 60 or more."""
    t = _degree_text(c, x)
    _, m, s = _dms_parts(t)
    return f"(regexp_full_match({t}, {lit(DMS_PATTERN)}) AND ({m} >= 60 OR {s} >= 60))"


def _coordinate_repaired(c: Column, x: str) -> str:
    t = _degree_text(c, x)
    d, m, s = _dms_parts(t)
    decimal = f"{_NUM}{_DEG}?"
    return (f"(CASE WHEN regexp_full_match({t}, {lit(decimal)}) THEN TRY_CAST(rtrim({t}, '°º˚度') AS DOUBLE) "
            f"WHEN regexp_full_match({t}, {lit(DMS_PATTERN)}) AND {m} < 60 AND {s} < 60 "
            f"THEN {d} + {m} / 60 + {s} / 3600 END)")


def repaired_value_expr(c: Column, x: str) -> str | None:
    """SQL for the typed value of a cell that does not parse as written, from its repaired
    text; None for kinds without repairs. Only evaluated where :func:`plain_value_expr` fails."""
    if c.kind == "int":
        return plain_value_expr(c, _numeric_text(x))
    if c.kind == "float":
        return number_with_unit(c, _numeric_text(x))
    if c.kind in ("lon", "lat"):
        return _coordinate_repaired(c, x)
    if c.kind == "date":
        t = f"trim(regexp_replace({halfwidth_sql(x)}, '\\s*([年月日号/.:-])\\s*', '\\1', 'g'))"
        return plain_value_expr(c, t)
    return None


def text_value_expr(c: Column, x: str) -> str:
    """SQL for the value of a code or credit code: as written, or with full-width forms and
    blanks repaired (a credit code also upper-cased) — repaired only where needed."""
    # Only cells with a blank or a non-ASCII character can need more than upper case (a byte
    # count and a byte search: a third of the cost of a regular expression).
    needs = f"strlen({x}) <> length({x}) OR contains({x}, ' ')"
    if c.kind == "uscc":
        return f"CASE WHEN {needs} THEN upper({unblank_sql(x)}) ELSE upper({x}) END"
    return f"CASE WHEN {needs} THEN {unblank_sql(x)} ELSE {x} END"


def value_expr(c: Column, x: str) -> str:
    """SQL turning cleaned text ``x`` of column ``c`` into its typed value, repairs included
    (for callers outside the validation pass: coordinate conversion, system detection)."""
    if c.kind in ("code", "uscc"):
        return text_value_expr(c, x)
    fixed = repaired_value_expr(c, x)
    plain = plain_value_expr(c, x)
    return plain if fixed is None else f"coalesce({plain}, CASE WHEN {x} IS NOT NULL THEN {fixed} END)"


def number_with_unit(c: Column, x: str) -> str:
    """SQL for a number that may carry its column's unit ("12.5万元", "3,000元" in a 万元
    column, "200㎡"), converted to the column's unit; thousands separators ignored."""
    plain = f"replace({x}, ',', '')"
    units = next((u for unit, u in UNITS.items() if f"（{unit}）" in c.header), None)
    if not units:
        return f"TRY_CAST({plain} AS DOUBLE)"
    cases = " ".join(
        f"WHEN ends_with({plain}, {lit(suffix)}) THEN TRY_CAST(trim(left({plain}, length({plain}) - {len(suffix)})) "
        f"AS DOUBLE) * {factor!r}"
        for suffix, factor in sorted(units.items(), key=lambda kv: -len(kv[0])))  # 万元 before 元
    return f"(CASE {cases} ELSE TRY_CAST({plain} AS DOUBLE) END)"


def _fill(template: str, **parts: str) -> str:
    """``template`` with ``{name}`` placeholders replaced (no other braces are touched, so
    templates may hold regular expressions)."""
    for k, v in parts.items():
        template = template.replace("{" + k + "}", v)
    return template


@dataclass(frozen=True)
class Rule:
    """One rule on one column: SQL over ``{x}`` (clean text), ``{p}`` (value as written, for
    repaired kinds) and ``{v}`` (typed value) that is true on a bad row.

    ``code_sql`` and ``reason_sql``, when given, compute the issue's code and reason per cell
    from ``{raw}``, the file's text (a repair names what it did, an ambiguous value its
    meanings); only the cells that break the rule are read for them.
    """

    column: Column
    template: str
    code: str
    reason: str
    severity: str = "error"
    code_sql: str | None = None
    reason_sql: str | None = None

    def predicate(self) -> str:
        return _fill(self.template, x=x_col(self.column), v=v_col(self.column), p=p_col(self.column))

    def code_expr(self, raw: str) -> str:
        return _fill(self.code_sql, raw=raw) if self.code_sql else lit(self.code)

    def reason_expr(self, raw: str) -> str:
        return _fill(self.reason_sql, raw=raw) if self.reason_sql else lit(self.reason)


#: Repairs, in the order of precedence for the warning's code: (code, label, test over the
#: cleaned text ``{t}`` of the file), per column kind.
_FULLWIDTH_ANY = "[\\x{FF01}-\\x{FF5E}]"
#: Full-width characters other than those of a number (digits, ＋ ， － ．).
_FULLWIDTH_NON_DIGIT = "[\\x{FF01}-\\x{FF0A}\\x{FF0F}\\x{FF1A}-\\x{FF5E}]"
REPAIRS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("fixed_dms", "度分秒已换算为度", f"regexp_matches({{h}}, '{_DEG}[0-9]|[0-9]:[0-9]')", ("lon", "lat")),
    ("fixed_degree", "已去掉度的符号",
     f"regexp_matches({{h}}, '[0-9.]{_DEG}') AND NOT regexp_matches({{h}}, '{_DEG}[0-9]|[0-9]:[0-9]')", ("lon", "lat")),
    ("fixed_degree", "已去掉东经、北纬标记", "regexp_matches(upper({h}), '东经|北纬|^[EN]|[EN]$')", ("lon", "lat")),
    ("fixed_approximate", "约数已按确数记录", "regexp_matches({h}, '约|余|多|左右|上下')", ("int", "float")),
    ("fixed_case", "小写字母已转为大写", "regexp_matches({h}, '[a-z]')", ("uscc",)),
    ("fixed_blanks", "已去掉中间的空格", "regexp_matches({h}, '\\s')",
     ("int", "float", "lon", "lat", "date", "code", "uscc")),
    ("fixed_fullwidth", "全角字符已转为半角", f"regexp_matches({{t}}, '{_FULLWIDTH_NON_DIGIT}')",
     ("int", "float", "lon", "lat", "date", "code", "uscc")),
    ("fixed_fullwidth", "全角数字已转为半角",
     f"regexp_matches({{t}}, '{_FULLWIDTH_ANY}') AND NOT regexp_matches({{t}}, '{_FULLWIDTH_NON_DIGIT}')",
     ("int", "float", "lon", "lat", "date", "code", "uscc")),
)


def _shown(c: Column, v: str) -> str:
    """SQL showing typed value ``v`` in a reason."""
    if c.kind in ("lon", "lat"):
        return f"CAST(round({v}, 7) AS VARCHAR)"
    if c.kind == "float":
        unit = next((u for u in UNITS if f"（{u}）" in c.header), "")
        return f"regexp_replace(CAST(round({v}, 6) AS VARCHAR), '\\.0$', '') || {lit(unit)}"
    if c.kind == "date":
        return f"strftime({v}, '%Y-%m-%d')"
    return f"CAST({v} AS VARCHAR)"


def repair_rule(c: Column) -> Rule | None:
    """The warning on a repaired cell: one per cell, naming every repair made, what the file
    said and what it became (``全角数字已转为半角：５０ → 50``)."""
    repairs = [r for r in REPAIRS if c.kind in r[3]]
    if not repairs:
        return None
    t = clean_sql("{raw}")
    h = halfwidth_sql(t)

    def test(sql: str) -> str:
        return _fill(sql, t=t, h=h)

    code = ("CASE " + " ".join(f"WHEN {test(sql)} THEN {lit(code)}" for code, _, sql, _ in repairs)
            + " ELSE 'fixed_value' END")
    labels = "concat_ws('，', " + ", ".join(f"CASE WHEN {test(sql)} THEN {lit(label)} END"
                                           for _, label, sql, _ in repairs) + ")"
    became = _shown(c, value_expr(c, t))
    reason = (f"coalesce(NULLIF({labels}, ''), '写法已规范') || '：' || {t} || ' → ' || {became}")
    when = "{v} <> {x}" if c.kind in ("code", "uscc") else "{p} IS NULL AND {v} IS NOT NULL"
    return Rule(c, when, "fixed", "写法已规范", "warning", code_sql=code, reason_sql=reason)


def _enum_value(c: Column, res: valuemaps.Resolution | None) -> str:
    """SQL for an enum cell's canonical value: itself, or what the user's map or the
    synonyms make of it (a literal map of this file's own values), else NULL."""
    x = x_col(c)
    if res is None or not res.mapped:
        return f"CASE WHEN {one_of(x, c.choices)} THEN {x} END"
    pairs = ", ".join(f"{lit(k)}: {lit(v)}" for k, v in res.mapped.items())
    return (f"CASE WHEN {one_of(x, c.choices)} THEN {x} WHEN {one_of(x, res.mapped)} "
            f"THEN MAP {{{pairs}}}[{x}] END")


def typed_sql(c: Column, res: valuemaps.Resolution | None = None) -> str:
    """SQL of ``v`` in the validation pass (over ``x`` and, for repaired kinds, ``p``)."""
    x, p = x_col(c), p_col(c)
    if c.kind in REPAIRED_KINDS:
        fixed = repaired_value_expr(c, x)
        return f"CASE WHEN {p} IS NULL AND {x} IS NOT NULL THEN {fixed} ELSE {p} END"
    if c.kind in ("code", "uscc"):
        return text_value_expr(c, x)
    if c.kind == "enum" and c.choices:
        return _enum_value(c, res)
    return plain_value_expr(c, x)


def column_rules(c: Column, res: valuemaps.Resolution | None = None) -> list[Rule]:
    """The rules generated for a column from its declaration (and, for an enum column, from
    how the file's own values were resolved)."""
    rules: list[Rule] = []
    if c.required:
        rules.append(Rule(c, "{x} IS NULL", "required", "必填项为空"))
    type_reason = {
        "int": "不是整数",
        "float": "不是数字",
        "lon": "经度不是数字",
        "lat": "纬度不是数字",
        "date": "日期无法识别（可写作 2021-07-01、2021/7/1、2021年7月1日或 Excel 日期）",
        "bool": "应填“是”或“否”",
    }
    # What is ambiguous gets its own reason instead of the type's (tested only on cells that
    # did not parse).
    ambiguous = None
    if c.kind in ("int", "float"):
        h = unblank_sql("{x}")
        ambiguous = f"(regexp_matches({h}, {lit(RANGE_PATTERN)}) OR regexp_matches({h}, {lit(VAGUE_PATTERN)}))"
        reason = (f"CASE WHEN regexp_matches({unblank_sql(clean_sql('{raw}'))}, {lit(RANGE_PATTERN)}) "
                  "THEN '是一个范围，不是确定的数，请填写一个数' "
                  "ELSE '不是确定的数（如“若干”“几十”），请填写一个数' END")
        rules.append(Rule(c, f"CASE WHEN {{x}} IS NOT NULL AND {{v}} IS NULL THEN {ambiguous} ELSE false END",
                          "ambiguous_number", "不是确定的数，请填写一个数", reason_sql=reason))
    if c.kind in ("lon", "lat"):
        ambiguous = _dms_invalid(c, "{x}")
        rules.append(Rule(c, f"CASE WHEN {{x}} IS NOT NULL AND {{v}} IS NULL THEN {ambiguous} ELSE false END",
                          "dms_invalid", "度分秒写法有误：分、秒应小于 60，无法换算"))
    if c.kind in type_reason:
        unless = f" AND NOT coalesce({ambiguous}, false)" if ambiguous else ""
        rules.append(Rule(c, f"CASE WHEN {{x}} IS NOT NULL AND {{v}} IS NULL THEN true{unless} ELSE false END",
                          "type", type_reason[c.kind]))
    if c.kind == "int":
        rules.append(Rule(c, "{v} < 0", "negative", "不能为负数"))
    if c.kind == "float":
        rules.append(Rule(c, "{v} < 0", "negative", "不能为负数"))
    if c.kind == "date":
        rules.append(Rule(c, "{v} < DATE '1950-01-01' OR {v} > DATE '2100-12-31'", "date_range",
                          "日期不合理（应在 1950 年至 2100 年之间）"))
    if c.kind == "enum" and c.choices:
        ambiguous_values = dict(res.ambiguous) if res else {}
        unless = ""
        if ambiguous_values:
            listed = one_of("{x}", ambiguous_values)
            reason = ("CASE " + clean_sql("{raw}") + " "
                      + " ".join(f"WHEN {lit(k)} THEN {lit(valuemaps.ambiguous_reason(k, m))}"
                                 for k, m in ambiguous_values.items()) + " END")
            rules.append(Rule(c, listed, "ambiguous_value", "取值有歧义，无法确定", reason_sql=reason))
            unless = f" AND NOT {listed}"
        rules.append(Rule(c, "{x} IS NOT NULL AND {v} IS NULL" + unless, "choice", valuemaps.choice_reason(c)))
    if c.kind == "code" and c.digits:
        pattern = "|".join(f"[0-9]{{{n}}}" for n in c.digits)
        rules.append(Rule(c, f"NOT regexp_full_match({{v}}, '{pattern}')", "digits",
                          f"应为 {' 或 '.join(map(str, c.digits))} 位数字"))
    if c.kind in ("uscc", "code"):
        rules.append(Rule(c, f"regexp_full_match({{x}}, {lit(NUMBER_AS_CODE)})", "code_as_number",
                          f"{c.header}被存成了数字，超过 15 位的部分已被 Excel 改成 0，无法恢复："
                          "请把该列设为“文本”格式后重新填写"))
    if c.kind == "uscc":
        rules.append(Rule(c, f"NOT regexp_full_match({{v}}, {lit(uscc.FORMAT_SQL)}) "
                             f"AND NOT regexp_full_match({{x}}, {lit(NUMBER_AS_CODE)})", "uscc_format",
                          "统一社会信用代码格式错误（应为 18 位数字或大写字母，不含 I、O、S、V、Z）"))
    repair = repair_rule(c)
    if repair:
        rules.append(repair)
    return rules


def issue_rows(con: duckdb.DuckDBPyConnection, file: str, rows: np.ndarray, column: str,
               values: list[str], code: str, reason: str, severity: str, table: str) -> None:
    """Insert issues for explicit row numbers (checks computed in numpy)."""
    issue_rows_each(con, file, rows, column, values, code, [reason] * len(rows), severity, table)


def issue_rows_each(con: duckdb.DuckDBPyConnection, file: str, rows: np.ndarray, column: str,
                    values: list[str], code: str, reasons: list[str], severity: str, table: str) -> None:
    """Like :func:`issue_rows`, with a reason per row."""
    if len(rows) == 0:
        return
    batch = pa.table({
        "file": pa.array([file] * len(rows)),
        "table_name": pa.array([table] * len(rows)),
        "row": pa.array(np.asarray(rows).astype(np.int32)),
        "column_name": pa.array([column] * len(rows)),
        "value": pa.array(values, type=pa.string()),
        "severity": pa.array([severity] * len(rows)),
        "code": pa.array([code] * len(rows)),
        "reason": pa.array(reasons, type=pa.string()),
    })
    con.register("_issue_batch", batch)
    con.execute("INSERT INTO import_issue SELECT * FROM _issue_batch")
    con.unregister("_issue_batch")


#: What the invisible characters removed by :func:`strip_hidden` are called in its warnings
#: (ranges of code points; anything else of ``data.readers.HIDDEN_RANGES`` is a 控制字符).
HIDDEN_NAMES = (((0x202A, 0x202E), "文字方向控制符"), ((0x2066, 0x2069), "文字方向控制符"),
                ((0x200E, 0x200F), "文字方向标记"), ((0x061C, 0x061C), "文字方向标记"),
                ((0x2028, 0x2029), "行、段分隔符"), ((0x200B, 0x200D), "零宽字符"), ((0x2060, 0x2064), "零宽字符"),
                ((0xFEFF, 0xFEFF), "零宽字符"))


def hidden_reason(text: str) -> str:
    """The warning on a cell :func:`strip_hidden` cleaned: which characters went (at most 8)."""
    chars = hidden_in(text)

    def name(ch: str) -> str:
        return next((n for (a, b), n in HIDDEN_NAMES if a <= ord(ch) <= b), "控制字符")

    listed = "、".join(f"U+{ord(ch):04X}（{name(ch)}）" for ch in chars[:8])
    return f"已去掉看不见的字符：{listed}{' 等' if len(chars) > 8 else ''}"


def _utf8_forms() -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The UTF-8 bytes of the hidden characters and of tab and CR: a table of the single bytes,
    and per lead byte of a longer form the continuations (as one integer) that complete one."""
    single = np.zeros(256, dtype=bool)
    longer: dict[int, set[int]] = {}
    points = [cp for a, b in HIDDEN_RANGES for cp in range(a, b + 1)] + [0x09, 0x0D]
    for cp in points:
        form = chr(cp).encode("utf-8")
        if len(form) == 1:
            single[form[0]] = True
        else:
            longer.setdefault(form[0], set()).add(int.from_bytes(form[1:], "big"))
    return single, {lead: np.array(sorted(rest)) for lead, rest in longer.items()}


_SINGLE_HIDDEN, _LONGER_HIDDEN = _utf8_forms()


def has_hidden_or_space(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether any cell of a string column holds a hidden character, a tab or a CR: read from
    the column's UTF-8 bytes with numpy (a lead byte is never a continuation byte, so a match is
    that character), about four times the speed of the RE2 scan it replaces."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        if not len(chunk):
            continue
        _, offsets, data = chunk.buffers()
        if data is None:
            continue
        wide = pa.types.is_large_string(chunk.type)
        off = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        b = np.frombuffer(data, dtype=np.uint8)[off[0]:off[-1]]
        if _SINGLE_HIDDEN[b].any():
            return True
        for lead, rest in _LONGER_HIDDEN.items():
            at = np.flatnonzero(b == lead)
            if not len(at):
                continue
            width = 2 if lead < 0xE0 else 3
            at = at[at + width <= len(b)]
            tail = b[at + 1].astype(np.int32)
            if width == 3:
                tail = tail * 256 + b[at + 2]
            if np.isin(tail, rest).any():
                return True
    return False


def strip_hidden(con: duckdb.DuckDBPyConnection, table: pa.Table, spec: Table, file: str) -> pa.Table:
    """The staged ``table`` (columns named as ``spec``'s, plus ``_row``) with the invisible
    characters of ``data.readers.HIDDEN_CHARS`` removed from every imported column, so that
    nothing downstream (the database, the screens, the Word and Excel writers) ever sees them.
    Each cell cleaned is a warning naming file, row, column, what is kept and what was removed.

    Inside a cell a tab becomes a space and CR LF or a lone CR a line feed, without a warning
    (a line break typed with Alt+Enter is kept). A column without any of them costs one scan
    of its bytes (:func:`has_hidden_or_space`); the rare one with some is cleaned by RE2.
    """
    rows = table.column(ROW)
    texts = [c for c in spec.imported if c.name in table.column_names
             and (pa.types.is_string(table.column(c.name).type) or pa.types.is_large_string(table.column(c.name).type))]

    found = [c for c in texts if has_hidden_or_space(table.column(c.name))]
    for c in found:  # the rare column that has any
        i = table.column_names.index(c.name)
        col = table.column(i)
        hit = pc.fill_null(pc.match_substring_regex(col, HIDDEN_RE2), False)
        if pc.any(hit).as_py():
            picked = pc.indices_nonzero(hit)
            values = pc.take(col, picked).to_pylist()
            issue_rows_each(con, file, np.asarray(pc.take(rows, picked).to_pylist()), c.header,
                            [without_hidden(v) for v in values], "control_chars",
                            [hidden_reason(v) for v in values], "warning", spec.name)
            col = pc.replace_substring_regex(col, HIDDEN_RE2, "")
        if pc.any(pc.fill_null(pc.match_substring_regex(col, "[\\t\\r]"), False)).as_py():
            col = pc.replace_substring(pc.replace_substring_regex(col, "\\r\\n?", "\n"), "\t", " ")
        table = table.set_column(i, c.name, col)
    return table


@dataclass(frozen=True)
class Extra:
    """Columns a direct insert takes from a join rather than from the file."""

    join: str = ""
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Checked:
    """Where the checked rows live: a temp table (``_row``, ``v_*`` columns) or, for ledgers
    written straight into their final table, that table (``source_row``, plain names)."""

    table: str
    row: str
    direct: bool

    def val(self, c: Column) -> str:
        return q(c.name) if self.direct else v_col(c)


def validate_staged(
    con: duckdb.DuckDBPyConnection,
    stg: str,
    spec: Table,
    file: str,
    crs: str,
    unknown_headers: list[str],
    checksum_warnings: bool | None = None,
    direct: bool = False,
    extra: Extra | None = None,
    value_map: Mapping[str, Mapping[str, str]] | None = None,
) -> str | None:
    """Validate staged rows in one typed pass.

    With ``direct=False`` returns the name of a temp view of accepted, typed rows (``_row``
    plus one column per imported column). With ``direct=True`` the rows are typed straight
    into the final table ``spec.name`` together with their rule flags; rejected rows are then
    deleted and the flag columns dropped — one copy instead of two — and None is returned.

    Tables with coordinates need :func:`convert_coordinates` first: its WGS-84 values (in
    ``_coords_<table>``, or the ``extra`` join, which must then carry ``lon``/``lat``)
    replace the file's. ``extra`` adds derived columns to a direct insert (placement).
    Credit-code checksum warnings are given where the code identifies the row's own
    enterprise, unless ``checksum_warnings`` says otherwise; codes that refer to an
    enterprise are checked against the enterprise table instead.

    ``value_map`` is the user's map for this table's enum columns: column name (or standard
    header) -> file value -> canonical value, applied after cleaning, before the enum rule,
    without a warning (file values compared after NFKC, blanks removed).

    Raises
    ------
    ImportFileError
        The value map names a column without choices or a value not among them.
    """
    for h in unknown_headers:
        con.execute(
            "INSERT INTO import_issue VALUES (?, ?, 1, ?, ?, 'warning', 'unknown_header', ?)",
            [file, spec.name, h, h, "未识别的列，已忽略"],
        )
    cols = spec.imported
    names = {c.name for c in cols}
    has_xy = {"lon", "lat"} <= names
    refs = spec.references_enterprise

    # Enum cells: this file's own distinct values read once, by the user's map and the synonyms.
    try:
        maps = valuemaps.column_value_maps(spec, value_map)
    except ValueError as exc:
        raise ImportFileError(file, f"取值对应有误：{exc}") from exc
    resolved = {c.name: valuemaps.resolve_column(con, stg, c, maps.get(c.name))
                for c in cols if c.kind == "enum" and c.choices}

    # One scan over the staged rows: cleaned text, the value as written, the typed value (a
    # repair only where the value as written fails), then one boolean per rule. A referring
    # code's form is checked later, only on codes missing from the enterprise table.
    rules = [r for c in cols for r in column_rules(c, resolved.get(c.name))
             if not (c.name == refs and r.code == "uscc_format")]
    clean = ", ".join(f"{clean_sql(q(c.name))} AS {x_col(c)}" for c in cols)
    xs = ", ".join(x_col(c) for c in cols)
    nothing = ", ".join(f"{nothing_sql(c, x_col(c))} AS {x_col(c)}" for c in cols)
    repaired = [c for c in cols if c.kind in REPAIRED_KINDS]
    parsed = "".join(f", {plain_value_expr(c, x_col(c))} AS {p_col(c)}" for c in repaired)
    ps = "".join(f", {p_col(c)}" for c in repaired)
    typed = ", ".join(f"{typed_sql(c, resolved.get(c.name))} AS {v_col(c)}" for c in cols)
    flags = ", ".join(f"coalesce({r.predicate()}, false) AS _e{i}" for i, r in enumerate(rules))
    errors = " OR ".join(f"_e{i}" for i, r in enumerate(rules) if r.severity == "error") or "false"
    flag_cols = [f"_e{i}" for i in range(len(rules))] + ["_err"]
    source = f"""FROM (SELECT *, {flags} FROM (
            SELECT {ROW}, {xs}{ps}, {typed} FROM (
            SELECT {ROW}, {nothing}{parsed}
            FROM (SELECT {ROW}, {clean} FROM {stg}))))"""
    if direct:
        ck = _Checked(spec.name, "source_row", True)
        for f in flag_cols:
            con.execute(f"ALTER TABLE {spec.name} ADD COLUMN {f} BOOLEAN")
        extra = extra or Extra()
        if has_xy and not extra.join:
            extra = Extra(f"LEFT JOIN _coords_{spec.name} x ON x.{ROW} = t.{ROW}",
                          {"lon": "x.lon", "lat": "x.lat"})
        plain = [c for c in cols if c.name not in extra.columns]
        targets = [*(q(c.name) for c in plain), *extra.columns, "source_file", "source_row", *flag_cols]
        values = [*(f"t.{v_col(c)}" for c in plain), *extra.columns.values(), lit(file), f"t.{ROW}",
                  *(f"t.{f}" for f in flag_cols[:-1]), f"({errors.replace('_e', 't._e')})"]
        con.execute(
            f"""INSERT INTO {spec.name} ({", ".join(targets)})
            SELECT {", ".join(values)} {source} t {extra.join}"""
        )
    else:
        ck = _Checked(f"_checked_{spec.name}", ROW, False)
        keep = ", ".join([ROW, *(v_col(c) for c in cols), *flag_cols[:-1]])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ck.table} AS SELECT {keep}, ({errors}) AS _err {source}")

    hits = (con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (_e{i})" for i in range(len(rules))) + f" FROM {ck.table}"
    ).fetchone() or ()) if rules else ()
    for i, (r, n) in enumerate(zip(rules, hits)):
        if n:
            # The value reported is what the file says, read back from the staged rows.
            raw = f"s.{q(r.column.name)}"
            con.execute(
                f"""INSERT INTO import_issue
                SELECT {lit(file)}, {lit(spec.name)}, s.{ROW}, {lit(r.column.header)}, {raw},
                       {lit(r.severity)}, {r.code_expr(raw)}, {r.reason_expr(raw)}
                FROM {stg} s SEMI JOIN (SELECT {ck.row} AS r FROM {ck.table} WHERE _e{i}) k
                  ON k.r = s.{ROW}"""
            )
    if has_xy:
        # Coordinate errors found outside the main pass reject their rows too.
        con.execute(f"""UPDATE {ck.table} SET _err = true WHERE {ck.row} IN (
            SELECT row FROM import_issue WHERE file = {lit(file)} AND severity = 'error'
              AND code IN ('out_of_range', 'half_coordinate'))""")

    if "uscc" in names and (checksum_warnings if checksum_warnings is not None
                            else spec.key == "uscc" or not refs):
        _checksum_warnings(con, ck, spec, file)
    _reject_duplicates(con, ck, spec, file)
    if refs:
        ref = spec.column(refs)
        where = (f"NOT _err AND {ck.val(ref)} IS NOT NULL AND {ck.val(ref)} NOT IN "
                 f"(SELECT uscc FROM enterprise)")
        bad_form = f"NOT regexp_full_match({ck.val(ref)}, {lit(uscc.FORMAT_SQL)})"
        format_rule = next(r for r in column_rules(ref) if r.code == "uscc_format")
        con.execute(
            f"""INSERT INTO import_issue
            SELECT {lit(file)}, {lit(spec.name)}, {ck.row}, {lit(ref.header)}, {ck.val(ref)}, 'error',
                   CASE WHEN {bad_form} THEN 'uscc_format' ELSE 'unknown_enterprise' END,
                   CASE WHEN {bad_form} THEN {lit(format_rule.reason)}
                        ELSE '企业不存在（该统一社会信用代码不在企业表中）' END
            FROM {ck.table} WHERE {where}"""
        )
        con.execute(f"UPDATE {ck.table} SET _err = true WHERE {where}")

    if spec.references_hazard:
        ref = spec.column(spec.references_hazard)
        where = f"NOT _err AND {ck.val(ref)} IS NOT NULL AND {ck.val(ref)} NOT IN (SELECT id FROM hazard)"
        con.execute(
            f"""INSERT INTO import_issue
            SELECT {lit(file)}, {lit(spec.name)}, {ck.row}, {lit(ref.header)}, {ck.val(ref)}, 'error',
                   'unknown_hazard', '隐患不存在（该隐患编号不在隐患表中）'
            FROM {ck.table} WHERE {where}"""
        )
        con.execute(f"UPDATE {ck.table} SET _err = true WHERE {where}")

    if direct:
        con.execute(f"DELETE FROM {spec.name} WHERE _err")
        for f in flag_cols:
            con.execute(f"ALTER TABLE {spec.name} DROP COLUMN {f}")
        return None
    # Accepted rows as a view: consumers read them once each, nothing is copied again.
    select = ", ".join(f"k.{v_col(c)} AS {q(c.name)}" for c in cols if c.kind not in ("lon", "lat"))
    coord = ", c.lon AS lon, c.lat AS lat" if has_xy else ""
    join = f"LEFT JOIN _coords_{spec.name} c ON c.{ROW} = k.{ROW}" if has_xy else ""
    out = f"_ok_{spec.name}"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {out} AS
        SELECT k.{ROW}, {select}{coord} FROM {ck.table} k {join} WHERE NOT k._err"""
    )
    return out


def drop_validation(con: duckdb.DuckDBPyConnection, spec: Table) -> None:
    """Drop the temporary tables behind :func:`validate_staged`'s view once it is consumed."""
    con.execute(f"DROP VIEW IF EXISTS _ok_{spec.name}")
    con.execute(f"DROP TABLE IF EXISTS _checked_{spec.name}")
    con.execute(f"DROP TABLE IF EXISTS _coords_{spec.name}")


def _checksum_warnings(con: duckdb.DuckDBPyConnection, ck: _Checked, spec: Table, file: str) -> None:
    c = spec.column("uscc")
    arrays = con.execute(
        f"SELECT {ck.row} AS {ROW}, {ck.val(c)} AS code FROM {ck.table} WHERE {ck.val(c)} IS NOT NULL "
        f"AND regexp_full_match({ck.val(c)}, {lit(uscc.FORMAT_SQL)})"
    ).fetchnumpy()
    codes = np.asarray(arrays["code"], dtype=object)
    bad = ~uscc.checksum_ok(codes)
    issue_rows(con, file, np.asarray(arrays[ROW])[bad], c.header, list(codes[bad]), "uscc_checksum",
               "统一社会信用代码校验位不符（仅提示，早期代码可能如此）", "warning", spec.name)


def convert_coordinates(
    con: duckdb.DuckDBPyConnection, stg: str, spec: Table, file: str, crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert a staged file's coordinates to WGS-84; report the bad ones.

    Writes temp table ``_coords_<table>(_row, lon, lat)`` and returns the same as arrays
    (row numbers, lon, lat) so callers can index them without reading them back.
    Type errors (a longitude that is not a number) are rules of the main pass; here are the
    checks that need both values or the conversion. Longitude and latitude swapped in a row
    are put back (a warning) when only the swapped pair lies in the city (:func:`_unswap`);
    a point outside the city is otherwise kept where it is, never snapped.
    """
    lon_c, lat_c = spec.column("lon"), spec.column("lat")
    xc, yc = clean_sql(q("lon")), clean_sql(q("lat"))
    xv, yv = value_expr(lon_c, xc), value_expr(lat_c, yc)
    con.execute(
        f"""INSERT INTO import_issue
        SELECT {lit(file)}, {lit(spec.name)}, {ROW}, {lit(lon_c.header)},
               coalesce({q('lon')}, '') || ',' || coalesce({q('lat')}, ''),
               CASE WHEN ({xc} IS NULL) <> ({yc} IS NULL) THEN 'error' ELSE 'warning' END,
               CASE WHEN ({xc} IS NULL) <> ({yc} IS NULL) THEN 'half_coordinate' ELSE 'no_coordinate' END,
               CASE WHEN ({xc} IS NULL) <> ({yc} IS NULL) THEN '经纬度只填了一项' ELSE '缺少坐标，无法上图' END
        FROM {stg} WHERE {xc} IS NULL OR {yc} IS NULL"""
        + ("" if not lon_c.required else f" AND NOT ({xc} IS NULL AND {yc} IS NULL)")
    )
    arrays = con.execute(
        f"SELECT {ROW}, {xv} AS x, {yv} AS y FROM {stg} WHERE {xv} IS NOT NULL AND {yv} IS NOT NULL"
    ).fetchnumpy()
    x = np.asarray(arrays["x"], dtype=np.float64)
    y = np.asarray(arrays["y"], dtype=np.float64)
    rows = np.asarray(arrays[ROW])
    lon, lat = geocrs.to_wgs84(x, y, crs)
    x, y, lon, lat = _unswap(con, spec, file, crs, rows, x, y, lon, lat)
    bad = ~_in_box(lon, lat, CHINA_BOX)
    issue_rows(con, file, rows[bad], lon_c.header,
               [f"{a},{b}" for a, b in zip(x[bad], y[bad])], "out_of_range",
               f"坐标换算为 WGS-84 后不在中国范围内（声明的坐标系：{crs}）", "error", spec.name)
    coords = pa.table({ROW: pa.array(rows, pa.int32()), "lon": lon, "lat": lat})
    con.register("_coords_arrow", coords)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _coords_{spec.name} AS SELECT * FROM _coords_arrow")
    con.unregister("_coords_arrow")
    return rows, lon, lat


#: China's extent as a box (min lon, max lon, min lat, max lat).
CHINA_BOX = (*CHINA_LON, *CHINA_LAT)


def _in_box(lon: np.ndarray, lat: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (np.isfinite(lon) & np.isfinite(lat) & (lon >= box[0]) & (lon <= box[1])
                & (lat >= box[2]) & (lat <= box[3]))


def city_extent(con: duckdb.DuckDBPyConnection, buffer_m: float = CITY_BUFFER_M
                ) -> tuple[float, float, float, float] | None:
    """The bounding box of the city's county and township boundaries, buffered by
    ``buffer_m`` (min lon, max lon, min lat, max lat); None when there are none."""
    try:
        found = con.execute(
            """SELECT min(ST_XMin(geom)), max(ST_XMax(geom)), min(ST_YMin(geom)), max(ST_YMax(geom))
            FROM (SELECT geom FROM county UNION ALL SELECT geom FROM township) WHERE geom IS NOT NULL"""
        ).fetchone()
    except duckdb.Error:  # no boundary tables (a bare connection)
        return None
    if not found or found[0] is None:
        return None
    x0, x1, y0, y1 = (float(v) for v in found)
    dlat = buffer_m / 111_320.0
    dlon = buffer_m / (111_320.0 * max(0.1, float(np.cos(np.radians(max(abs(y0), abs(y1)))))))
    return x0 - dlon, x1 + dlon, y0 - dlat, y1 + dlat


def _unswap(con: duckdb.DuckDBPyConnection, spec: Table, file: str, crs: str, rows: np.ndarray,
            x: np.ndarray, y: np.ndarray, lon: np.ndarray, lat: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Put back longitude and latitude written the other way round in a row: when the pair as
    given lies outside the city (outside China if the city has no boundaries yet) and the
    swapped pair inside it. Each swap is a warning. Nothing else moves: a point outside the
    city whose swap is outside too stays where it is (and is reported as outside)."""
    box = city_extent(con) or CHINA_BOX
    suspect = ~_in_box(lon, lat, box) & np.isfinite(x) & np.isfinite(y)
    if not suspect.any():
        return x, y, lon, lat
    idx = np.flatnonzero(suspect)
    slon, slat = geocrs.to_wgs84(y[idx], x[idx], crs)
    ok = _in_box(slon, slat, box)
    if not ok.any():
        return x, y, lon, lat
    idx, slon, slat = idx[ok], slon[ok], slat[ok]
    given = [f"{a:.10g},{b:.10g}" for a, b in zip(x[idx], y[idx])]
    reasons = [f"经度与纬度填反，已对调：{g} → {b:.10g},{a:.10g}" for g, a, b in zip(given, x[idx], y[idx])]
    issue_rows_each(con, file, rows[idx], spec.column("lon").header, given, "fixed_swapped", reasons,
                    "warning", spec.name)
    x, y, lon, lat = x.copy(), y.copy(), lon.copy(), lat.copy()
    x[idx], y[idx] = y[idx].copy(), x[idx].copy()
    lon[idx], lat[idx] = slon, slat
    return x, y, lon, lat


def _reject_duplicates(con: duckdb.DuckDBPyConnection, ck: _Checked, spec: Table, file: str) -> None:
    """Reject every later row whose key repeats an earlier valid row of the same file.

    Duplicated keys are found by aggregation first, so the window runs only over them.
    """
    key = spec.column(spec.key)
    k, r = ck.val(key), ck.row
    dups = con.execute(
        f"""SELECT r, k, first_row FROM (
          SELECT {r} AS r, {k} AS k, min({r}) OVER (PARTITION BY {k}) AS first_row
          FROM {ck.table}
          WHERE NOT _err AND {k} IN (SELECT {k} FROM {ck.table} WHERE NOT _err AND {k} IS NOT NULL
                                     GROUP BY {k} HAVING count(*) > 1)
        ) WHERE r <> first_row"""
    ).fetchnumpy()
    rows = np.asarray(dups["r"])
    if len(rows) == 0:
        return
    firsts = np.asarray(dups["first_row"])
    for first in np.unique(firsts):
        sel = firsts == first
        issue_rows(con, file, rows[sel], key.header, [str(v) for v in np.asarray(dups["k"], dtype=object)[sel]],
                   "duplicate", f"重复的{key.header}（与第 {first} 行重复）", "error", spec.name)
    con.register("_dup_rows", pa.table({"r": pa.array(rows, pa.int32())}))
    con.execute(f"UPDATE {ck.table} SET _err = true WHERE {r} IN (SELECT r FROM _dup_rows)")
    con.unregister("_dup_rows")
