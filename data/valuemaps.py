"""Values of enumerated columns as people write them, and the value maps users make.

An enum cell is read in three steps, all before the enum rule:

1. the canonical value itself (``一般``, ``消防救援`` …);
2. a value map the user made for this table (on the page, or ``--values map.json``), which
   says what their own words mean — accepted without a warning, the user said so;
3. the synonyms declared in :mod:`data.vocab` (``重大事故隐患`` → ``重大``, ``瓯海区消防救援大队``
   → ``消防救援``) — other correct ways of writing the value, accepted without a warning.

What maps to two canonical values is ambiguous and rejected with a reason naming them; what
maps to none is rejected by the enum rule, and listed by :func:`unknown_values` so the page
can ask the user what it means and save the answer (:func:`save_value_map`).

Matching is done in Python on the distinct values of a file (a few dozen, whatever the number
of rows); the SQL pass then only looks the cell up in a small literal map built once per
column (:func:`resolve_column`).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from data import vocab
from data.tables import TABLES_BY_NAME, Column, Table

#: Blanks and punctuation that do not change what a value says (依法关闭/取缔 = 依法关闭、取缔).
_DROP = re.compile(r"[\s、/，,;；。.·•\"'“”‘’「」]+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
#: Characters ending a place name a department may be prefixed with (温州市, 瓯海区, 景山街道).
_PLACE_ENDS = ("省", "市", "区", "县", "旗", "州", "镇", "乡", "街道")
#: Words naming a branch or unit of a bureau: 瓯海分局, 景山派出所, 某某大队.
_UNITS = ("派出所", "分局", "支队", "大队", "中队", "所", "站")
_CJK = re.compile(r"[\u3400-\u9fff]+")
#: How many synonyms the enum rule's reason shows.
REASON_SYNONYMS = 4


def fold(text: object) -> str:
    """The form in which values are compared: NFKC (full-width to half-width, Ⅱ to II), lower
    case, blanks and separating punctuation removed."""
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text)).lower())


@dataclass(frozen=True)
class Lexicon:
    """The ways of writing one family of values: folded form -> the canonical values it names."""

    choices: tuple[str, ...]
    forms: dict[str, frozenset[str]]
    place_named: bool

    def lookup(self, key: str) -> frozenset[str]:
        return self.forms.get(key, frozenset())


@cache
def lexicon(choices: tuple[str, ...]) -> Lexicon:
    """The lexicon of the enum family declaring ``choices``."""
    forms: dict[str, set[str]] = {}
    for canon in choices:
        forms.setdefault(fold(canon), set()).add(canon)
    for canon, words in vocab.SYNONYMS.get(choices, {}).items():
        if canon not in choices:
            raise ValueError(f"synonyms for {canon!r}, which is not one of {choices}")
        for w in words:
            forms.setdefault(fold(w), set()).add(canon)
    # A canonical value always means itself, even if a synonym elsewhere is written the same.
    for canon in choices:
        forms[fold(canon)] = {canon}
    return Lexicon(choices, {k: frozenset(v) for k, v in forms.items()}, choices in vocab.PLACE_NAMED)


def _place_stripped(key: str) -> list[str]:
    """``key`` and what is left after each place name at its front (温州市瓯海区… → 瓯海区…, …)."""
    out = [key]
    for i in range(1, len(key)):
        if any(key[:i].endswith(end) for end in _PLACE_ENDS) and key[i:]:
            out.append(key[i:])
    return out


def _is_branch(rest: str) -> bool:
    """``rest`` names a branch: a short place or name, then a unit (瓯海分局, 景山派出所)."""
    for unit in _UNITS:
        if rest.endswith(unit):
            head = rest[: -len(unit)]
            return 1 <= len(head) <= 6 and _CJK.fullmatch(head) is not None
    return False


def _unit_bearing(form: str) -> bool:
    """A form specific enough to be recognised behind a bare place name (瓯海 + 消防大队)."""
    return form.endswith(_UNITS) or (len(form) >= 5 and form.endswith("局"))


def _department(lex: Lexicon, key: str) -> frozenset[str]:
    for cand in _place_stripped(key):
        found = lex.lookup(cand)
        if found:
            return found
        # A branch of a bureau: 公安局瓯海分局, 消防救援支队瓯海大队, 应急管理局执法大队.
        heads = [f for f in lex.forms if len(f) < len(cand) and cand.startswith(f) and _is_branch(cand[len(f):])]
        if heads:
            return lex.forms[max(heads, key=len)]
        # A bureau behind a place name that does not end in 市/区 …: 瓯海公安分局, 瓯海应急管理局.
        tails = [f for f in lex.forms if _unit_bearing(f) and len(f) < len(cand) and cand.endswith(f)
                 and 1 <= len(cand) - len(f) <= 6 and _CJK.fullmatch(cand[: len(cand) - len(f)])]
        if tails:
            return lex.forms[max(tails, key=len)]
    return frozenset()


def resolve_value(choices: tuple[str, ...], value: object) -> tuple[str, ...]:
    """The canonical values ``value`` may mean, in the order of ``choices``: one when it is a
    canonical value or a synonym, two or more when it is ambiguous, none when unknown.

    >>> resolve_value(vocab.DEPARTMENTS, "温州市瓯海区消防救援大队")
    ('消防救援',)
    >>> resolve_value(vocab.DEPARTMENTS, "监管局")
    ('应急管理局', '市场监管局')
    """
    lex = lexicon(choices)
    key = fold(value)
    found = lex.lookup(key)
    if not found:
        unbracketed = _BRACKETED.sub("", key)
        found = lex.lookup(unbracketed)
        if not found and lex.place_named:
            found = _department(lex, unbracketed)
    return tuple(c for c in choices if c in found)


def choice_reason(c: Column) -> str:
    """Reason of the enum rule: the choices, and a few other ways of writing them."""
    text = "取值不在允许范围内（" + "、".join(c.choices) + "）"
    syn = vocab.SYNONYMS.get(c.choices, {})
    # One synonym of each canonical value in turn, so the examples cover the family; the values
    # whose other name is longest first (住房和城乡建设局 says more than 应急局). Ambiguous forms are
    # no examples.
    pools = [[w for w in syn.get(canon, ()) if len(resolve_value(c.choices, w)) == 1] for canon in c.choices]
    pools = sorted((p for p in pools if p), key=lambda p: -len(p[0]))
    examples: list[str] = []
    while len(examples) < REASON_SYNONYMS and any(pools):
        for pool in pools:
            if pool and len(examples) < REASON_SYNONYMS:
                examples.append(pool.pop(0))
    if examples:
        text += "（也可写作：" + "、".join(examples) + " 等）"
    return text


def ambiguous_reason(value: str, meanings: tuple[str, ...]) -> str:
    """Reason for a value naming two or more canonical values."""
    return (f"“{value}”可能指" + "或".join(f"“{m}”" for m in meanings)
            + "，无法确定，请写明（或在数据管理页对应取值）")


# --- a user's value maps ---------------------------------------------------------------------


def _enum_column(spec: Table, key: str) -> Column:
    """The enum column a map names by column name or standard header."""
    for c in spec.imported:
        if key in (c.name, c.header) or fold(key) in (fold(c.name), fold(c.header)):
            if c.kind != "enum" or not c.choices:
                raise ValueError(f"“{c.header}”不是有可选值的列，不能对应取值")
            return c
    raise ValueError(f"“{spec.title}”没有列“{key}”")


def column_value_maps(spec: Table, value_map: Mapping[str, Mapping[str, str]] | None
                      ) -> dict[str, dict[str, str]]:
    """A table's value map by column name, file values folded; every target checked.

    Raises
    ------
    ValueError
        A column that is not an enum column of ``spec``, or a target that is not one of its
        choices (the message is a Chinese sentence).
    """
    out: dict[str, dict[str, str]] = {}
    for key, mapping in (value_map or {}).items():
        c = _enum_column(spec, str(key))
        for file_value, canon in mapping.items():
            if canon not in c.choices:
                raise ValueError(f"“{file_value}”对应的“{canon}”不是“{c.header}”的可选值（"
                                 + "、".join(c.choices) + "）")
            out.setdefault(c.name, {})[fold(file_value)] = str(canon)
    return out


def load_value_maps(path: Path | str) -> dict[str, dict[str, dict[str, str]]]:
    """Saved value maps: {table: {column name: {file value: canonical value}}}; {} if none."""
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, dict[str, str]]] = {}
    for table, cols in (data.items() if isinstance(data, dict) else ()):
        if not isinstance(cols, dict):
            continue
        out[str(table)] = {str(col): {str(k): str(v) for k, v in m.items()}
                           for col, m in cols.items() if isinstance(m, dict)}
    return out


def save_value_map(path: Path | str, table: str, column: str, mapping: Mapping[str, str]) -> None:
    """Add ``mapping`` (file value -> canonical value) to the saved maps of ``table``'s enum
    ``column`` (column name or standard header), written atomically.

    Raises
    ------
    ValueError
        Unknown table, a column without choices, or a canonical value not among its choices.
    """
    path = Path(path)
    if table not in TABLES_BY_NAME:
        raise ValueError(f"没有数据表“{table}”")
    spec = TABLES_BY_NAME[table]
    c = _enum_column(spec, column)
    column_value_maps(spec, {c.name: mapping})  # checks every target
    maps = load_value_maps(path)
    cols = maps.setdefault(table, {})
    cols[c.name] = {**cols.get(c.name, {}), **{str(k): str(v) for k, v in mapping.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(maps, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


# --- the values of a staged file -------------------------------------------------------------


@dataclass
class Resolution:
    """How the distinct values of one enum column of a file are read."""

    #: Cleaned file value (other than a canonical one) -> canonical value.
    mapped: dict[str, str] = field(default_factory=dict)
    #: Cleaned file value -> the canonical values it may mean (two or more).
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Cleaned file values nobody recognises.
    unknown: list[str] = field(default_factory=list)
    #: Rows per non-canonical cleaned value.
    counts: dict[str, int] = field(default_factory=dict)


def _relation_name(con: duckdb.DuckDBPyConnection, stg: str | duckdb.DuckDBPyRelation) -> str:
    if isinstance(stg, str):
        return stg
    stg.create_view("_values_stg", replace=True)
    return "_values_stg"


def _staged_columns(con: duckdb.DuckDBPyConnection, name: str) -> set[str]:
    return {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()}


def resolve_column(con: duckdb.DuckDBPyConnection, stg: str, c: Column,
                   user_map: Mapping[str, str] | None = None) -> Resolution:
    """Read the distinct cleaned values of enum column ``c`` of staged relation ``stg`` that
    are not canonical: by the user's map (folded file value -> canonical), then the synonyms."""
    from data.validate import WHITESPACE, lit, q

    allowed = ", ".join(lit(s) for s in c.choices)
    # Distinct file values first (a cell equal to a choice needs nothing), cleaned here as
    # data.validate.clean_sql cleans them: blanks trimmed from both ends, empty is blank.
    raw = con.execute(
        f"SELECT {q(c.name)}, count(*) FROM {stg} WHERE {q(c.name)} NOT IN ({allowed}) GROUP BY ALL"
    ).fetchall()
    cleaned: dict[str, int] = {}
    for value, n in raw:
        x = str(value).strip("".join(WHITESPACE))
        if x and x not in c.choices:
            cleaned[x] = cleaned.get(x, 0) + int(n)
    rows = sorted(cleaned.items(), key=lambda kv: (-kv[1], kv[0]))
    res = Resolution()
    for value, n in rows:
        value = str(value)
        res.counts[value] = int(n)
        mine = (user_map or {}).get(fold(value))
        if mine is not None:
            res.mapped[value] = mine
            continue
        meanings = resolve_value(c.choices, value)
        if len(meanings) == 1:
            res.mapped[value] = meanings[0]
        elif meanings:
            res.ambiguous[value] = meanings
        else:
            res.unknown.append(value)
    return res


def unknown_values(con: duckdb.DuckDBPyConnection, stg: str | duckdb.DuckDBPyRelation, spec: Table,
                   value_map: Mapping[str, Mapping[str, str]] | None = None
                   ) -> dict[str, list[tuple[str, int]]]:
    """Per enum column of a staged file, the distinct cleaned values that are neither canonical
    nor a synonym (nor in ``value_map``), with their row counts, most frequent first — for the
    page to ask the user what they mean. Ambiguous values are listed too: the user's answer
    settles them. Columns without such values are left out.

    ``stg`` is a staged relation of strings with columns named by column names, as
    :func:`data.validate.validate_staged` receives it (a table or view name, or a relation).
    """
    name = _relation_name(con, stg)
    present = _staged_columns(con, name)
    maps = column_value_maps(spec, value_map)
    out: dict[str, list[tuple[str, int]]] = {}
    for c in spec.imported:
        if c.kind != "enum" or not c.choices or c.name not in present:
            continue
        res = resolve_column(con, name, c, maps.get(c.name))
        found = [*res.unknown, *res.ambiguous]
        if found:
            out[c.name] = sorted(((v, res.counts[v]) for v in found), key=lambda kv: (-kv[1], kv[0]))
    return out

