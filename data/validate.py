"""Row validation in SQL, generated from the table declarations.

A staged file is a DuckDB table of strings plus ``_row``. Every rule is one SQL predicate;
each hit becomes a row of ``import_issue`` naming file, row, column, value and reason.
A row with any error is rejected; warnings keep the row. Accepted + rejected always equals
rows read, because rejection is decided per row number and nothing else filters rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from data import uscc
from data.readers import ROW, ImportFileError
from data.tables import Column, Table
from geo import crs as geocrs

TRUE_WORDS = ("是", "1", "y", "yes", "true", "有", "√")
FALSE_WORDS = ("否", "0", "n", "no", "false", "无", "×")
DATE_FORMATS = ("%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d")
#: Plausible WGS-84 extent of mainland China and its islands, degrees.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + text.replace("'", "''") + "'"


def clean_expr(col: str) -> str:
    return f"NULLIF(trim({q(col)}), '')"


def value_expr(c: Column) -> str:
    """SQL turning the staged text of column ``c`` into its typed value (NULL if unparsable)."""
    x = clean_expr(c.name)
    if c.kind == "uscc":
        return f"upper({x})"
    if c.kind == "int":
        return f"TRY_CAST(TRY_CAST(replace({x}, ',', '') AS DECIMAL(18,3)) AS INTEGER)"
    if c.kind in ("float", "lon", "lat"):
        return f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"
    if c.kind == "date":
        alts = ", ".join(f"try_strptime({x}, {lit(f)})::DATE" for f in DATE_FORMATS)
        return f"coalesce(TRY_CAST({x} AS DATE), {alts})"
    if c.kind == "bool":
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"(CASE WHEN lower({x}) IN ({t}) THEN true WHEN lower({x}) IN ({f}) THEN false END)"
    return x


@dataclass(frozen=True)
class Rule:
    """One validation rule on one column: a SQL predicate that is true on a bad row."""

    column: Column
    predicate: str
    code: str
    reason: str
    severity: str = "error"


def column_rules(c: Column) -> list[Rule]:
    """The rules generated for a column from its declaration."""
    x = clean_expr(c.name)
    v = value_expr(c)
    rules: list[Rule] = []
    if c.required:
        rules.append(Rule(c, f"{x} IS NULL", "required", "必填项为空"))
    type_reason = {
        "int": "不是整数",
        "float": "不是数字",
        "lon": "经度不是数字",
        "lat": "纬度不是数字",
        "date": "日期无法识别（可写作 2021-07-01、2021/7/1 或 2021年7月1日）",
        "bool": "应填“是”或“否”",
    }
    if c.kind in type_reason:
        rules.append(Rule(c, f"{x} IS NOT NULL AND {v} IS NULL", "type", type_reason[c.kind]))
    if c.kind == "int":
        rules.append(
            Rule(c, f"{v} IS NOT NULL AND {v} < 0", "negative", "不能为负数")
        )
    if c.kind == "enum" and c.choices:
        allowed = ", ".join(lit(s) for s in c.choices)
        rules.append(
            Rule(c, f"{x} IS NOT NULL AND {x} NOT IN ({allowed})", "choice",
                 "取值不在允许范围内（" + "、".join(c.choices) + "）")
        )
    if c.kind == "code" and c.digits:
        rules.append(
            Rule(c, f"{x} IS NOT NULL AND NOT regexp_full_match({x}, '[0-9]{{{c.digits}}}')",
                 "digits", f"应为 {c.digits} 位数字")
        )
    if c.kind == "uscc":
        rules.append(
            Rule(c, f"{x} IS NOT NULL AND NOT regexp_full_match({v}, {lit(uscc.FORMAT_SQL)})",
                 "uscc_format", "统一社会信用代码格式错误（应为 18 位数字或大写字母，不含 I、O、S、V、Z）")
        )
    return rules


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
        c = lookup.get(h.strip().lower())
        if c is None:
            unknown.append(h)
            names.append(f"_unknown_{len(unknown)}")
            continue
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


def add_issues(
    con: duckdb.DuckDBPyConnection,
    stg: str,
    file: str,
    spec: Table,
    predicate: str,
    column: str,
    value_sql: str,
    code: str,
    reason: str,
    severity: str = "error",
) -> None:
    """Insert one ``import_issue`` row for each staged row where ``predicate`` holds."""
    con.execute(
        f"""INSERT INTO import_issue
        SELECT {lit(file)}, {lit(spec.name)}, {ROW}, {lit(column)}, CAST({value_sql} AS VARCHAR),
               {lit(severity)}, {lit(code)}, {lit(reason)}
        FROM {stg} WHERE {predicate}"""
    )


def issue_rows(con: duckdb.DuckDBPyConnection, file: str, rows: np.ndarray, column: str,
               values: list[str], code: str, reason: str, severity: str, table: str) -> None:
    """Insert issues for explicit row numbers (checks computed in numpy)."""
    if len(rows) == 0:
        return
    batch = pa.table({
        "file": pa.array([file] * len(rows)),
        "table_name": pa.array([table] * len(rows)),
        "row": pa.array(rows.astype(np.int32)),
        "column_name": pa.array([column] * len(rows)),
        "value": pa.array(values, type=pa.string()),
        "severity": pa.array([severity] * len(rows)),
        "code": pa.array([code] * len(rows)),
        "reason": pa.array([reason] * len(rows)),
    })
    con.register("_issue_batch", batch)
    con.execute("INSERT INTO import_issue SELECT * FROM _issue_batch")
    con.unregister("_issue_batch")


def validate_staged(
    con: duckdb.DuckDBPyConnection,
    stg: str,
    spec: Table,
    file: str,
    crs: str,
    unknown_headers: list[str],
) -> str:
    """Validate staged rows; return the name of a temp table of accepted, typed rows.

    The accepted table has ``_row`` and one typed column per imported column, with
    coordinates already converted to WGS-84.
    """
    for h in unknown_headers:
        con.execute(
            "INSERT INTO import_issue VALUES (?, ?, 1, ?, ?, 'warning', 'unknown_header', ?)",
            [file, spec.name, h, h, "未识别的列，已忽略"],
        )
    for c in spec.imported:
        for r in column_rules(c):
            add_issues(con, stg, file, spec, r.predicate, c.header, q(c.name), r.code, r.reason,
                       r.severity)
    cols = {c.name for c in spec.imported}
    if {"lon", "lat"} <= cols:
        _check_coordinates(con, stg, spec, file, crs)
    if "uscc" in cols:
        codes = con.execute(
            f"SELECT {ROW}, upper(trim(uscc)) FROM {stg} "
            f"WHERE regexp_full_match(upper(trim(uscc)), {lit(uscc.FORMAT_SQL)})"
        ).fetchnumpy()
        bad = ~uscc.checksum_ok(codes[codes_key(codes)])
        rows = codes[ROW][bad]
        issue_rows(con, file, rows, spec.column("uscc").header,
                   list(codes[codes_key(codes)][bad]), "uscc_checksum",
                   "统一社会信用代码校验位不符（仅提示，早期代码可能如此）", "warning", spec.name)

    _reject_duplicates(con, stg, spec, file)
    if spec.references_enterprise:
        ref = spec.references_enterprise
        add_issues(
            con, stg, file, spec,
            f"{clean_expr(ref)} IS NOT NULL AND upper({clean_expr(ref)}) NOT IN "
            f"(SELECT uscc FROM enterprise)"
            f" AND {ROW} NOT IN (SELECT row FROM import_issue WHERE file = {lit(file)}"
            f" AND severity = 'error')",
            spec.column(ref).header, q(ref), "unknown_enterprise",
            "企业不存在（该统一社会信用代码不在企业表中）",
        )

    select = ", ".join(
        f"{value_expr(c)} AS {q(c.name)}" for c in spec.imported if c.kind not in ("lon", "lat")
    )
    coord = ", c.lon AS lon, c.lat AS lat" if {"lon", "lat"} <= cols else ""
    join = f"LEFT JOIN _coords c ON c.{ROW} = s.{ROW}" if coord else ""
    out = f"_ok_{spec.name}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT s.{ROW}, {select}{coord} FROM {stg} s {join}
        WHERE s.{ROW} NOT IN (SELECT row FROM import_issue
                              WHERE file = {lit(file)} AND severity = 'error')
        ORDER BY s.{ROW}"""
    )
    return out


def codes_key(arrays: dict) -> str:
    """Name of the code column in a fetchnumpy() result (the one that is not ``_row``)."""
    return next(k for k in arrays if k != ROW)


def _check_coordinates(
    con: duckdb.DuckDBPyConnection, stg: str, spec: Table, file: str, crs: str
) -> None:
    """Convert coordinates to WGS-84 into temp table ``_coords`` and report bad ones."""
    lon_c, lat_c = spec.column("lon"), spec.column("lat")
    x_clean, y_clean = clean_expr("lon"), clean_expr("lat")
    add_issues(con, stg, file, spec, f"({x_clean} IS NULL) <> ({y_clean} IS NULL)",
               lon_c.header, f"coalesce({q('lon')}, '') || ',' || coalesce({q('lat')}, '')",
               "half_coordinate", "经纬度只填了一项")
    if not lon_c.required:
        add_issues(con, stg, file, spec, f"{x_clean} IS NULL AND {y_clean} IS NULL",
                   lon_c.header, "''", "no_coordinate", "缺少坐标，无法上图", "warning")
    arrays = con.execute(
        f"SELECT {ROW}, {value_expr(lon_c)} AS x, {value_expr(lat_c)} AS y FROM {stg} "
        f"WHERE {value_expr(lon_c)} IS NOT NULL AND {value_expr(lat_c)} IS NOT NULL"
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
    con.execute("CREATE OR REPLACE TEMP TABLE _coords AS SELECT * FROM _coords_arrow")
    con.unregister("_coords_arrow")


def _reject_duplicates(con: duckdb.DuckDBPyConnection, stg: str, spec: Table, file: str) -> None:
    """Reject every later row whose key repeats an earlier valid row of the same file."""
    key = spec.column(spec.key)
    k = value_expr(key)
    con.execute(
        f"""INSERT INTO import_issue
        SELECT {lit(file)}, {lit(spec.name)}, {ROW}, {lit(key.header)}, k, 'error', 'duplicate',
               '重复的' || {lit(key.header)} || '（与第 ' || first_row || ' 行重复）'
        FROM (
          SELECT {ROW}, {k} AS k,
                 min({ROW}) OVER (PARTITION BY {k}) AS first_row
          FROM {stg}
          WHERE {k} IS NOT NULL AND {ROW} NOT IN (
            SELECT row FROM import_issue WHERE file = {lit(file)} AND severity = 'error')
        ) WHERE {ROW} <> first_row"""
    )
