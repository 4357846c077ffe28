"""Row validation in SQL, generated from the table declarations.

A staged file is a DuckDB table of strings plus ``_row``. Validation is one pass that
materialises, per column, the cleaned text ``x`` and the typed value ``v``, and per rule a
boolean "this row breaks it" column; each hit then becomes a row of ``import_issue`` naming
file, row, column, value and reason (reading only that boolean column). A row with any error
is rejected; warnings keep the row. Accepted + rejected always equals rows read, because
rejection is decided per row number and nothing else filters rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from data import uscc
from data.readers import ROW, ImportFileError
from data.tables import Column, Table
from geo import crs as geocrs

TRUE_WORDS = ("是", "1", "y", "yes", "true", "有", "√")
FALSE_WORDS = ("否", "0", "n", "no", "false", "无", "×")
DATE_FORMATS = ("%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S")
#: Units a number may carry in a cell, by the unit in its column's header: suffix -> factor.
UNITS = {
    "万元": {"万元": 1.0, "万": 1.0, "元": 1e-4},
    "平方米": {"平方米": 1.0, "㎡": 1.0, "m²": 1.0, "m2": 1.0},
}
#: Plausible WGS-84 extent of mainland China and its islands, degrees.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + text.replace("'", "''") + "'"


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


def x_col(c: Column) -> str:
    """Column of the validation table holding ``c``'s cleaned text (NULL when blank)."""
    return q("x_" + c.name)


def v_col(c: Column) -> str:
    """Column of the validation table holding ``c``'s typed value (NULL when unparsable)."""
    return q("v_" + c.name)


def value_expr(c: Column, x: str) -> str:
    """SQL turning cleaned text ``x`` of column ``c`` into its typed value."""
    if c.kind == "uscc":
        return f"upper({x})"
    if c.kind == "int":
        n = f"regexp_replace(replace({x}, ',', ''), '\\s*[人家个]$', '')"  # "35人" is 35
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
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        # 是/否 first: exact matches skip the Unicode lower() for nearly every cell.
        return (f"(CASE WHEN {x} = '是' THEN true WHEN {x} = '否' THEN false "
                f"WHEN lower({x}) IN ({t}) THEN true WHEN lower({x}) IN ({f}) THEN false END)")
    return x


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


@dataclass(frozen=True)
class Rule:
    """One rule on one column: SQL over ``{x}`` (clean text) and ``{v}`` (typed value) that is
    true on a bad row."""

    column: Column
    template: str
    code: str
    reason: str
    severity: str = "error"

    def predicate(self) -> str:
        return self.template.format(x=x_col(self.column), v=v_col(self.column))


def column_rules(c: Column) -> list[Rule]:
    """The rules generated for a column from its declaration."""
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
    if c.kind in type_reason:
        rules.append(Rule(c, "{x} IS NOT NULL AND {v} IS NULL", "type", type_reason[c.kind]))
    if c.kind == "int":
        rules.append(Rule(c, "{v} < 0", "negative", "不能为负数"))
    if c.kind == "float":
        rules.append(Rule(c, "{v} < 0", "negative", "不能为负数"))
    if c.kind == "date":
        rules.append(Rule(c, "{v} < DATE '1950-01-01' OR {v} > DATE '2100-12-31'", "date_range",
                          "日期不合理（应在 1950 年至 2100 年之间）"))
    if c.kind == "enum" and c.choices:
        allowed = ", ".join(lit(s) for s in c.choices).replace("{", "{{").replace("}", "}}")
        rules.append(Rule(c, f"{{x}} NOT IN ({allowed})", "choice",
                          "取值不在允许范围内（" + "、".join(c.choices) + "）"))
    if c.kind == "code" and c.digits:
        pattern = "|".join(f"[0-9]{{{{{n}}}}}" for n in c.digits)
        rules.append(Rule(c, f"NOT regexp_full_match({{x}}, '{pattern}')", "digits",
                          f"应为 {' 或 '.join(map(str, c.digits))} 位数字"))
    if c.kind == "uscc":
        pattern = lit(uscc.FORMAT_SQL).replace("{", "{{").replace("}", "}}")
        rules.append(Rule(c, f"NOT regexp_full_match({{v}}, {pattern})", "uscc_format",
                          "统一社会信用代码格式错误（应为 18 位数字或大写字母，不含 I、O、S、V、Z）"))
    return rules


def match_headers(names: list[str], spec: Table) -> tuple[dict[str, str], list[str], list[str]]:
    """How a file's headers would be read, before importing it (for the mapping screen).

    Returns ``(known, unknown, missing)``: file header -> column name for the recognised
    headers, the headers nobody recognises, and the standard headers of required columns
    the file lacks.
    """
    lookup: dict[str, Column] = {}
    for c in spec.imported:
        for h in c.headers():
            lookup.setdefault(h.strip().lower(), c)
    known: dict[str, str] = {}
    unknown: list[str] = []
    for h in names:
        if h == ROW:
            continue
        found = lookup.get(str(h).strip().lower())
        if found is None or found.name in known.values():
            unknown.append(h)
        else:
            known[h] = found.name
    missing = [c.header for c in spec.imported if c.required and c.name not in known.values()]
    return known, unknown, missing


def map_headers(table: pa.Table, spec: Table, file: str) -> tuple[pa.Table, list[str]]:
    """Rename file headers to column names; return the renamed table and unknown headers.

    Raises
    ------
    ImportFileError
        When a required column is missing or two headers map to the same column.
    """
    lookup: dict[str, Column] = {}
    for c in spec.imported:
        for h in c.headers():
            lookup.setdefault(h.strip().lower(), c)
    names: list[str] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for h in table.column_names:
        if h == ROW:
            names.append(ROW)
            continue
        found = lookup.get(h.strip().lower())
        if found is None:
            unknown.append(h)
            names.append(f"_unknown_{len(unknown)}")
            continue
        c = found
        if c.name in seen:
            raise ImportFileError(file, f"列“{h}”与“{seen[c.name]}”都对应“{c.header}”，请只保留一列")
        seen[c.name] = h
        names.append(c.name)
    missing = [c.header for c in spec.imported if c.required and c.name not in seen]
    if missing:
        raise ImportFileError(file, "缺少必需的列：" + "、".join(missing))
    renamed = table.rename_columns(names)
    # Optional columns absent from the file are added empty, so every rule can run.
    for c in spec.imported:
        if c.name not in seen:
            renamed = renamed.append_column(c.name, pa.nulls(renamed.num_rows, pa.string()))
    return renamed, unknown


def issue_rows(con: duckdb.DuckDBPyConnection, file: str, rows: np.ndarray, column: str,
               values: list[str], code: str, reason: str, severity: str, table: str) -> None:
    """Insert issues for explicit row numbers (checks computed in numpy)."""
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
        "reason": pa.array([reason] * len(rows)),
    })
    con.register("_issue_batch", batch)
    con.execute("INSERT INTO import_issue SELECT * FROM _issue_batch")
    con.unregister("_issue_batch")


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

    # One scan over the staged rows: typed values, then one boolean per rule. A referring
    # code's form is checked later, only on codes missing from the enterprise table.
    rules = [r for c in cols for r in column_rules(c) if not (c.name == refs and r.code == "uscc_format")]
    clean = ", ".join(f"{clean_sql(q(c.name))} AS {x_col(c)}" for c in cols)
    typed = ", ".join(f"{value_expr(c, x_col(c))} AS {v_col(c)}" for c in cols)
    flags = ", ".join(f"coalesce({r.predicate()}, false) AS _e{i}" for i, r in enumerate(rules))
    errors = " OR ".join(f"_e{i}" for i, r in enumerate(rules) if r.severity == "error") or "false"
    flag_cols = [f"_e{i}" for i in range(len(rules))] + ["_err"]
    source = f"""FROM (SELECT *, {flags} FROM (
            SELECT {ROW}, {", ".join(x_col(c) for c in cols)}, {typed}
            FROM (SELECT {ROW}, {clean} FROM {stg})))"""
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
            con.execute(
                f"""INSERT INTO import_issue
                SELECT {lit(file)}, {lit(spec.name)}, s.{ROW}, {lit(r.column.header)}, s.{q(r.column.name)},
                       {lit(r.severity)}, {lit(r.code)}, {lit(r.reason)}
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
    checks that need both values or the conversion.
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
    lon, lat = geocrs.to_wgs84(x, y, crs)
    bad = ~(
        np.isfinite(lon) & np.isfinite(lat)
        & (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1])
        & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])
    )
    rows = np.asarray(arrays[ROW])
    issue_rows(con, file, rows[bad], lon_c.header,
               [f"{a},{b}" for a, b in zip(x[bad], y[bad])], "out_of_range",
               f"坐标换算为 WGS-84 后不在中国范围内（声明的坐标系：{crs}）", "error", spec.name)
    coords = pa.table({ROW: pa.array(rows, pa.int32()), "lon": lon, "lat": lat})
    con.register("_coords_arrow", coords)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _coords_{spec.name} AS SELECT * FROM _coords_arrow")
    con.unregister("_coords_arrow")
    return rows, lon, lat


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
