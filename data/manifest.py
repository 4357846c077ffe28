"""The import folder's ``manifest.json``, declared once as data.

Every key a manifest may hold is listed here with its type, default and meaning; reading a
manifest checks it against these declarations (an unknown or mistyped key is named in the
error, not ignored), and ``docs/MANIFEST.md`` is generated from them
(``python -m riskmap manifest --write docs/MANIFEST.md``; a test keeps it current).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from data import tables as T

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Key:
    """One manifest key: its name, JSON type, default and what it means."""

    name: str
    type: str  # "string", "boolean", "date", "object", "integer"
    default: object
    help: str

    def check(self, value: object, where: str) -> str | None:
        """Why ``value`` is not acceptable for this key (None if it is)."""
        ok = {
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool) and value >= 1,
            "object": isinstance(value, dict),
            "date": isinstance(value, str),
        }[self.type]
        if ok and self.type == "date" and value:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                ok = False
        if ok:
            return None
        wanted = {"string": "文字", "boolean": "true 或 false", "integer": "正整数", "object": "对象 {…}",
                  "date": "日期 YYYY-MM-DD"}[self.type]
        return f"{where}“{self.name}”应为{wanted}，实际为 {json.dumps(value, ensure_ascii=False)}"


#: Keys of the manifest itself.
TOP_KEYS = (
    Key("city_name", "string", "", "The city's name, shown in titles, exports and briefings."),
    Key("name", "string", "the folder's name", "A short name of this set of files, recorded as the database's source."),
    Key("as_of", "date", "", "The date the ledgers are complete up to (YYYY-MM-DD). Empty: the latest record's date."),
    Key("illustrative", "boolean", False, "True for invented data: every screen then shows the 示意数据 note."),
    Key("data_note", "string", "", "A sentence about the data's source and limits, shown with illustrative data."),
    Key("files", "object", {}, "One entry per table (below). Without it, files with the default names are used."),
    Key("generator", "object", {}, "Free-form: how the files were made (the demo writes its settings here)."),
    Key("summary", "object", {}, "Free-form: counts written by the generator, not read by the build."),
)

#: Keys of one entry of ``files``.
FILE_KEYS = (
    Key("path", "string", "the default name", "The file, relative to the folder: xlsx or csv for ledgers; GeoJSON, "
        "zipped Shapefile or GeoPackage for boundaries."),
    Key("crs", "string", "ledgers: auto; boundaries: the file's own (.prj)",
        "Coordinate system: EPSG:4326 (wgs84), cgcs2000 (EPSG:4490), a Gauss-Kruger EPSG code (EPSG:4549, "
        "EPSG:4528 …), gcj02, bd09, or auto (told from the values and from a system named in the headers)."),
    Key("headers", "object", {}, "The file's own headers mapped to columns: {\"file header\": \"column name or "
        "standard header\"}; \"\" ignores a header. Keys are matched after normalisation (blanks, full-width forms, "
        "brackets)."),
    Key("values", "object", {}, "Values the importer cannot know, mapped to allowed ones, per column: "
        "{\"department\": {\"安监站\": \"应急管理局\"}}."),
    Key("header_row", "integer", "found automatically", "The spreadsheet row (from 1) holding the headers, when "
        "the title and note rows above it make automatic detection pick the wrong one."),
)

#: Which tables a folder may hold, and which it needs.
REQUIRED_ONE_OF = ("county", "township")

#: File names looked for when a folder has no manifest (or its ``files`` lacks a table).
DEFAULT_FILES = {
    "county": "county.geojson",
    "township": "township.geojson",
    "grid": "grid.geojson",
    "park": "park.geojson",
    "enterprise": "enterprise.csv",
    "inspection": "inspection.csv",
    "hazard": "hazard.csv",
    "enforcement": "enforcement.csv",
    "incident": "incident.csv",
    "inspector": "inspector.csv",
    "recheck": "recheck.csv",
}


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the key and what is wrong."""


def _check(keys: tuple[Key, ...], raw: dict, where: str) -> None:
    known = {k.name: k for k in keys}
    for name, value in raw.items():
        if name not in known:
            raise ManifestError(f"{MANIFEST}: {where}未知的键“{name}”（可用：{'、'.join(known)}）")
        problem = known[name].check(value, where)
        if problem:
            raise ManifestError(f"{MANIFEST}: {problem}")


def read_manifest(source_dir: Path) -> dict:
    """The folder's manifest, checked against the declarations, with default file names filled in.

    Raises
    ------
    ManifestError
        Not JSON, an unknown key or table, a value of the wrong type, or neither a county nor
        a township layer (every city needs its outline at one administrative level at least).
    """
    path = source_dir / MANIFEST
    manifest: dict = {}
    if path.exists():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{MANIFEST}: 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from exc
    return check_manifest(manifest, source_dir)


def check_manifest(manifest: object, source_dir: Path, defaults: bool = True) -> dict:
    """A manifest (as read from JSON) checked against the declarations, default file names of
    ``source_dir`` filled in (unless ``defaults`` is false). Raises :class:`ManifestError` as
    :func:`read_manifest` does."""
    if not isinstance(manifest, dict):
        raise ManifestError(f"{MANIFEST}: 应为一个对象 {{…}}")
    manifest = {**manifest, "files": dict(manifest.get("files") or {})}
    _check(TOP_KEYS, manifest, "")
    files = manifest.setdefault("files", {})
    for table, entry in files.items():
        if table not in T.TABLES_BY_NAME:
            raise ManifestError(f"{MANIFEST}: 未知的数据表“{table}”（可用：{'、'.join(T.TABLES_BY_NAME)}）")
        if isinstance(entry, str):
            files[table] = entry = {"path": entry}
        if not isinstance(entry, dict) or not entry.get("path"):
            raise ManifestError(f"{MANIFEST}: files.{table} 应为 {{\"path\": 文件名, …}}")
        _check(FILE_KEYS, entry, f"files.{table} 的")
    for table, name in DEFAULT_FILES.items() if defaults else ():
        if table not in files and (source_dir / name).exists():
            files[table] = {"path": name}
    if not any(t in files for t in REQUIRED_ONE_OF):
        raise ManifestError(f"{source_dir.name}: 至少需要一个行政区边界文件（区县 county 或乡镇 township）")
    return manifest


def manifest_markdown() -> str:
    """The manifest's documentation, generated from the declarations."""

    def table(keys: tuple[Key, ...]) -> list[str]:
        rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
        for k in keys:
            default = json.dumps(k.default, ensure_ascii=False) if not isinstance(k.default, str) or not k.default \
                else k.default
            rows.append(f"| `{k.name}` | {k.type} | {default} | {k.help} |")
        return rows

    tables = ", ".join(f"`{t.name}` ({t.title})" for t in T.TABLES)
    defaults = ", ".join(f"`{t}` → `{n}`" for t, n in DEFAULT_FILES.items())
    lines = [
        "# manifest.json",
        "",
        "<!-- Generated from data/manifest.py by `python -m riskmap manifest --write docs/MANIFEST.md`. -->",
        "",
        "An import folder (`python -m riskmap build DIR`) holds the city's files and, optionally, a",
        "`manifest.json` saying what each file is. Unknown keys are refused with their name, so a",
        "misspelt key never goes unnoticed.",
        "",
        "## Top-level keys",
        "",
        *table(TOP_KEYS),
        "",
        "## One entry of `files`",
        "",
        f"`files` maps a table to its file. Tables: {tables}. An entry may also be just the path.",
        "",
        *table(FILE_KEYS),
        "",
        f"At least one of {' or '.join(f'`{t}`' for t in REQUIRED_ONE_OF)} is needed: the finest administrative "
        "level present stands in for townships on every screen. Without a manifest, or for tables its `files` "
        f"does not name, these default names are used: {defaults}.",
        "",
        "## Example",
        "",
        "```json",
        json.dumps({"city_name": "某市", "as_of": "2026-11-30", "files": {
            "county": {"path": "区县界.zip", "crs": "EPSG:4549"},
            "enterprise": {"path": "企业台账.xlsx", "crs": "auto", "headers": {"单位名": "name"}},
            "hazard": {"path": "隐患台账.xlsx", "header_row": 3, "values": {"department": {"安监站": "应急管理局"}}},
        }}, ensure_ascii=False, indent=2),
        "```",
        "",
    ]
    return "\n".join(lines)
