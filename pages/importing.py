"""The import forms of 数据管理: a ledger (template, header row, header and value mapping,
coordinate system, progress) and a boundary layer; and the result of the last import.

Widgets and rendering only: reading, matching and importing are ``data.readers``,
``data.headers``, ``data.importer`` and ``riskmap.pipeline``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from data import paths
from data import tables as T
from data.headers import header_score, match_headers, normalise_header
from data.importer import (
    BOUNDARIES,
    IMPORTABLE,
    ImportError_,
    ImportResult,
    load_header_maps,
    safe_upload_name,
    save_header_map,
    unknown_values_of,
    upload_failed,
)
from data.readers import ImportFileError, read_sheet
from data.templates import template_xlsx
from data.valuemaps import load_value_maps, save_value_map
from pages.screens.common import XLSX, audit, export_button, localise, md, show, tr, tv_label
from reports.ledgers import workbook

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.runtime.uploaded_file_manager import UploadedFile

#: Coordinate systems offered ("auto": told from the values and the headers).
CRS_CHOICES = ("auto", "EPSG:4326", "cgcs2000", "EPSG:4549", "EPSG:4528", "gcj02", "bd09")
#: At most this many unknown values of one column are asked about (the rest are reported).
ASK_VALUES = 20


#: Staged uploads older than this are left over (a server killed mid-import): the next upload
#: removes them. No preview or import of one upload takes that long.
STALE_UPLOAD_S = 3600


def sweep_uploads(now: float | None = None) -> None:
    """Remove staged uploads (one folder per upload) untouched for :data:`STALE_UPLOAD_S`."""
    import shutil
    import time

    root = paths.uploads_dir()
    limit = (time.time() if now is None else now) - STALE_UPLOAD_S
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            newest = max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.rglob("*"))])
        except OSError:  # removed meanwhile by its own session
            continue
        if newest < limit:
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)


@contextmanager
def staged(upload: UploadedFile, prefix: str = "") -> Iterator[Path]:
    """An uploaded file written under the data directory for the length of the block, then
    removed whatever happens (a failed write included): uploads are kept only while they are
    read or imported. Leftovers of a server that died meanwhile are swept first."""
    import shutil
    import uuid

    sweep_uploads()
    folder = paths.uploads_dir() / uuid.uuid4().hex
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{prefix}{safe_upload_name(upload.name)}"
            path.write_bytes(upload.getvalue())
        except OSError as exc:
            raise upload_failed(exc, folder.parent) from exc
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def progress_to(bar: DeltaGenerator | Any) -> Callable[[str, float], None]:
    """A progress callback drawing on ``bar``: the stage's text names the user's file, and
    progress text is Markdown, so it is made inert."""
    def say(stage: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=md(stage))

    return say


def severity_label(severity: str) -> str:
    return tr({"error": "sev_error", "warning": "sev_warning"}.get(severity, "sev_info"))


def _fresh_uploaders() -> None:
    """After an import: new uploader widgets (the old file is gone) and new data on every page."""
    st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
    st.cache_data.clear()


def _header_mapping(spec: T.Table, table: pa.Table) -> tuple[dict[str, str], list[str]]:
    """Ask which column each unknown header is (saved answers offered first); the answers given
    and the standard headers still missing (required ones, coordinates of a located table)."""
    match = match_headers(table.column_names[:-1], spec)  # the last column is the reader's row numbers
    saved = {normalise_header(k): v for k, v in load_header_maps(paths.header_maps_path()).get(spec.name, {}).items()}
    known = match.known
    choices = {"": tr("ignore_column"), **{c.name: c.header for c in spec.imported if c.name not in known.values()}}
    mapping: dict[str, str] = {}
    if match.unknown:
        st.caption(tr("map_unknown", n=len(match.unknown)))
        cols = st.columns(3)
        for i, header in enumerate(match.unknown):
            default = saved.get(normalise_header(header), "")
            options = list(choices)
            # A label is Markdown: the file's header is made inert; a header may repeat.
            mapping[header] = cols[i % 3].selectbox(
                md(header), options, index=options.index(default) if default in options else 0,
                format_func=choices.__getitem__, key=f"map_{spec.name}_{i}_{header}", placeholder=tr("choose_one"))
    mapping = {h: c for h, c in mapping.items() if c}
    st.caption(tr("map_known", n=len(known), cols="、".join(f"{md(h)}→{spec.column(c).header}" for h, c in known.items()
                                                           if h != spec.column(c).header) or "—"))
    missing = match.missing_after(spec, mapping)
    if missing:
        st.error(tr("map_missing", cols="、".join(missing)))
    return mapping, missing


def _value_mapping(spec: T.Table, table: pa.Table, mapping: dict[str, str]) -> dict[str, dict[str, str]]:
    """Ask what the values the importer does not know mean (saved answers offered first)."""
    saved = load_value_maps(paths.value_maps_path()).get(spec.name, {})
    answers: dict[str, dict[str, str]] = {}
    for column, found in unknown_values_of(table, spec, mapping).items():
        c = spec.column(column)
        st.caption(tr("values_unknown", col=c.header, n=len(found)))
        options = ["", *c.choices]
        cols = st.columns(3)
        for i, (value, rows) in enumerate(found[:ASK_VALUES]):
            default = saved.get(column, {}).get(value, "")
            picked = cols[i % 3].selectbox(tr("values_option", value=md(value), n=rows), options,
                                           index=options.index(default) if default in options else 0,
                                           format_func=lambda o: tv_label(o) if o else tr("values_reject"),
                                           key=f"val_{spec.name}_{column}_{value}", placeholder=tr("choose_one"))
            if picked:
                answers.setdefault(column, {})[value] = picked
    return answers


def import_form() -> None:
    """Import a ledger into the running city (administrators)."""
    st.subheader(tr("import_title"))
    titles = {name: tr(f"table_{name}") for name in IMPORTABLE}  # data.tables' titles, in the reader's language
    c1, c2 = st.columns([2, 1])
    table = c1.selectbox(tr("import_table"), IMPORTABLE, format_func=titles.__getitem__, key="import_table",
                         placeholder=tr("choose_one"))
    c2.download_button(tr("template", name=titles[table]), lambda: template_xlsx(table),
                       file_name=f"{tr('template_file', name=titles[table])}.xlsx", mime=XLSX, key="dl_template")
    spec = T.TABLES_BY_NAME[table]
    has_xy = any(c.kind == "lon" for c in spec.columns)
    crs = st.selectbox(tr("import_crs"), CRS_CHOICES, key="import_crs", format_func=lambda c: tr(f"crs_{c}"),
                       placeholder=tr("choose_one")) if has_xy else "auto"
    upload = st.file_uploader(tr("import_file"), type=["xlsx", "csv"],
                              key=f"import_upload_{st.session_state.get('_upload_round', 0)}")
    if upload is None:
        return
    with ExitStack() as stack:
        try:
            path = stack.enter_context(staged(upload))
        except ImportError_ as exc:  # the upload could not be written (a full disk)
            st.error(tr("import_failed", why=md(exc)))
            return
        header_row = st.number_input(tr("header_row"), min_value=0, max_value=1000, value=0, step=1,
                                     key="import_header_row", help=tr("header_row_help")) or None
        try:
            sheet = read_sheet(path, header_row, header_score(spec))
            st.caption(tr("header_found", row=sheet.header_row, n=sheet.table.num_rows, skipped=len(sheet.skipped),
                          how=tr("header_auto" if sheet.detected else "header_given")))
            mapping, missing = _header_mapping(spec, sheet.table)
        except ImportFileError as exc:
            st.error(md(exc))  # names the file and quotes its own headers: made inert
            return
        values = {} if missing else _value_mapping(spec, sheet.table, mapping)
        remember = st.checkbox(tr("map_save"), value=True, key="map_save")
        if not st.button(tr("import_go"), type="primary", disabled=bool(missing), key="import_go"):
            return
        from riskmap.pipeline import import_file

        bar = st.progress(0.0, text=tr("importing"))
        try:
            result = import_file(paths.db_path(), path, table, crs, mapping, progress_to(bar),
                                 values=values, header_row=header_row)
        except ImportError_ as exc:
            st.error(tr("import_failed", why=md(exc)))
            return
        finally:
            bar.empty()
    if remember:
        if mapping:
            save_header_map(paths.header_maps_path(), table, mapping)
        for column, answers in values.items():
            save_value_map(paths.value_maps_path(), table, column, answers)
    audit("import", file=result.file, table=table, read=result.rows_read, accepted=result.accepted,
          rejected=result.rejected, inserted=result.inserted, updated=result.updated)
    st.session_state["last_import"] = result
    _fresh_uploaders()
    st.rerun()


def boundary_form() -> None:
    """Replace a boundary layer; every enterprise and incident is placed again."""
    from riskmap.pipeline import import_boundary_file

    st.subheader(tr("boundary_title"))
    st.caption(tr("boundary_note"))
    layers = {name: tr(f"table_{name}") for name in BOUNDARIES}
    c1, c2 = st.columns(2)
    layer = c1.selectbox(tr("boundary_layer"), BOUNDARIES, index=1, format_func=layers.__getitem__,
                         key="boundary_layer", placeholder=tr("choose_one"))
    crs = c2.selectbox(tr("import_crs"), ("file", *CRS_CHOICES[1:]), key="boundary_crs",
                       format_func=lambda c: tr("crs_from_file") if c == "file" else tr(f"crs_{c}"),
                       placeholder=tr("choose_one"))
    upload = st.file_uploader(tr("boundary_file"), type=["geojson", "json", "zip", "gpkg"],
                              key=f"boundary_upload_{st.session_state.get('_upload_round', 0)}")
    if upload is None or not st.button(tr("boundary_go"), type="primary", key="boundary_go"):
        return
    bar = st.progress(0.0, text=tr("importing"))
    try:
        with staged(upload) as path:
            result = import_boundary_file(paths.db_path(), path, layer, None if crs == "file" else crs,
                                          progress_to(bar))
    except ImportError_ as exc:
        st.error(tr("import_failed", why=md(exc)))
        return
    finally:
        bar.empty()
    audit("import_boundaries", file=result.file, table=layer, features=result.accepted, replaced=result.replaced)
    st.session_state["last_import"] = result
    _fresh_uploaders()
    st.rerun()


def issues_frame(issues: pd.DataFrame) -> pd.DataFrame:
    """Import issues with the page's column labels."""
    return pd.DataFrame({
        tr("col_file"): issues["file"], tr("col_row"): issues["row"], tr("col_column"): issues["column_name"],
        tr("col_value"): issues["value"], tr("col_severity"): issues["severity"].map(severity_label),
        tr("col_reason"): issues["reason"]})


def last_result(r: ImportResult) -> None:
    """What the last import did: counts, every issue, and both as one workbook."""
    st.success(tr("import_done", file=md(r.file), read=r.rows_read, ok=r.accepted, bad=r.rejected, new=r.inserted,
                  upd=r.updated, same=r.unchanged, s=r.seconds))
    rows = issues_frame(r.issues) if len(r.issues) else pd.DataFrame()
    if len(rows):
        show(rows, hide_index=True, key="last_issues")
    sheets = {tr("issue_list"): localise(rows)} if len(rows) else {}
    if len(r.accepted_rows):  # ledgers: what became of each accepted row (a boundary layer is replaced whole)
        sheets[tr("accepted_list")] = localise(pd.DataFrame({
            tr("col_row"): r.accepted_rows["row"], tr("col_key"): r.accepted_rows["key"],
            tr("col_action"): r.accepted_rows["action"]}))
    if sheets:
        export_button(st, tr("download", name=tr("import_result")),
                      lambda mark: workbook(sheets, r.file, tr("import_result"), mark),
                      file_name=f"{r.file}_{tr('import_result')}.xlsx", mime=XLSX, key="dl_last_result")
