"""数据管理: import a ledger (template, header mapping, coordinate system, progress, result),
what has been imported, and every rejected or flagged row with its reason."""

from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from data import paths, queries
from data import tables as T
from data.importer import (BOUNDARIES, IMPORTABLE, ImportError_, load_header_maps, safe_upload_name, save_header_map,
                           unknown_values_of)
from data.valuemaps import load_value_maps, save_value_map
from data.headers import header_score, match_headers, normalise_header
from data.readers import ImportFileError, read_sheet
from data.templates import template_xlsx
from reports.spreadsheets import to_xlsx
from pages.screens.common import (audit, build_demo_with_progress, can, data_note_badge, export_button, localise, md,
                                  require_db, show, tr, tv)
from reports.ledgers import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Coordinate systems offered for ledgers with coordinates ("auto": told from the values).
CRS_CHOICES = ("auto", "EPSG:4326", "cgcs2000", "EPSG:4549", "EPSG:4528", "gcj02", "bd09")

def severity_label(severity: str) -> str:
    return tr({"error": "sev_error", "warning": "sev_warning"}.get(severity, "sev_info"))


con = require_db()
meta = queries.meta(con)
st.title(tr("page_data"))
data_note_badge(meta)

# --- import a ledger (administrators) -----------------------------------------------------


def import_section() -> None:
    st.subheader(tr("import_title"))
    titles = {name: T.TABLES_BY_NAME[name].title for name in IMPORTABLE}
    c1, c2 = st.columns([2, 1])
    table = c1.selectbox(tr("import_table"), IMPORTABLE, format_func=titles.get, key="import_table")
    c2.download_button(tr("template", name=titles[table]), lambda: template_xlsx(table),
                       file_name=f"{tr('template_file', name=titles[table])}.xlsx", mime=XLSX, key="dl_template")
    spec = T.TABLES_BY_NAME[table]
    has_xy = any(c.kind == "lon" for c in spec.columns)
    crs = st.selectbox(tr("import_crs"), CRS_CHOICES, key="import_crs", format_func=lambda c: tr(f"crs_{c}")) \
        if has_xy else "EPSG:4326"
    upload = st.file_uploader(tr("import_file"), type=["xlsx", "csv"],
                              key=f"import_upload_{st.session_state.get('_upload_round', 0)}")

    if upload is not None:
        folder = paths.uploads_dir() / st.session_state.setdefault("_upload_dir", uuid.uuid4().hex)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe_upload_name(upload.name)
        path.write_bytes(upload.getvalue())
        header_row = st.number_input(tr("header_row"), min_value=0, max_value=1000, value=0, step=1,
                                     key="import_header_row", help=tr("header_row_help")) or None
        try:
            sheet = read_sheet(path, header_row, header_score(spec))
            names = [n for n in sheet.table.column_names if n != "_row"]
            match = match_headers(names, spec)
        except ImportFileError as exc:
            st.error(md(exc.message))  # the message quotes the file's own headers: made inert
            st.stop()
        st.caption(tr("header_found", row=sheet.header_row, how=tr("header_auto" if sheet.detected else "header_given"),
                      n=sheet.table.num_rows, skipped=len(sheet.skipped)))
        saved = {normalise_header(k): v for k, v in load_header_maps(paths.header_maps_path()).get(table, {}).items()}
        known = match.known
        choices = {"": tr("ignore_column"), **{c.name: c.header for c in spec.imported if c.name not in known.values()}}
        mapping: dict[str, str] = {}
        if match.unknown:
            st.caption(tr("map_unknown", n=len(match.unknown)))
            cols = st.columns(3)
            for i, header in enumerate(match.unknown):
                default = saved.get(normalise_header(header), "")
                options = list(choices)
                # A label is Markdown: the file's header is made inert.
                mapping[header] = cols[i % 3].selectbox(
                    md(header), options, index=options.index(default) if default in options else 0,
                    format_func=choices.get, key=f"map_{table}_{i}_{header}")  # a header may repeat
        mapping = {h: c for h, c in mapping.items() if c}
        have = set(known.values()) | set(mapping.values())
        still_missing = [c.header for c in spec.imported if c.required and c.name not in have]
        if has_xy and not {"lon", "lat"} <= have:
            still_missing += [spec.column(c).header for c in ("lon", "lat") if c not in have and
                              spec.column(c).header not in still_missing]
        st.caption(tr("map_known", n=len(known), cols="、".join(f"{md(h)}→{spec.column(c).header}" for h, c in known.items()
                                                               if h != spec.column(c).header) or "—"))
        if still_missing:
            st.error(tr("map_missing", cols="、".join(still_missing)))
        values = value_mapping(spec, sheet.table, mapping)
        remember = st.checkbox(tr("map_save"), value=True, key="map_save")
        if st.button(tr("import_go"), type="primary", disabled=bool(still_missing), key="import_go"):
            from riskmap.pipeline import import_file

            bar = st.progress(0.0, text=tr("importing"))
            try:
                result = import_file(paths.db_path(), path, table, crs, mapping,
                                     lambda stage, f: bar.progress(min(max(f, 0.0), 1.0), text=stage),
                                     values=values, header_row=header_row)
            except ImportError_ as exc:
                bar.empty()
                st.error(tr("import_failed", why=md(exc)))
            else:
                bar.empty()
                if remember and mapping:
                    save_header_map(paths.header_maps_path(), table, mapping)
                for column, answers in values.items() if remember else ():
                    save_value_map(paths.value_maps_path(), table, column, answers)
                audit("import", file=result.file, table=table, read=result.rows_read, accepted=result.accepted,
                      rejected=result.rejected, inserted=result.inserted, updated=result.updated)
                st.session_state["last_import"] = result
                st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1  # a fresh uploader
                st.cache_data.clear()  # every page reads the new database on its next run
            finally:
                path.unlink(missing_ok=True)
            if "last_import" in st.session_state and st.session_state["last_import"].file == path.name:
                st.rerun()


#: At most this many unknown values of one column are asked about (the rest are reported).
ASK_VALUES = 20


def value_mapping(spec: T.Table, table, mapping: dict[str, str]) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Ask what the values the importer does not know mean (saved answers offered first);
    returns {column: {file value: allowed value}} for the answers given."""
    saved = load_value_maps(paths.value_maps_path()).get(spec.name, {})
    unknown = unknown_values_of(table, spec, mapping)
    answers: dict[str, dict[str, str]] = {}
    for column, found in unknown.items():
        c = spec.column(column)
        st.caption(tr("values_unknown", col=c.header, n=len(found)))
        options = ["", *c.choices]
        cols = st.columns(3)
        for i, (value, rows) in enumerate(found[:ASK_VALUES]):
            default = saved.get(column, {}).get(value, "")
            picked = cols[i % 3].selectbox(tr("values_option", value=md(value), n=rows), options,
                                           index=options.index(default) if default in options else 0,
                                           format_func=lambda o: tv(o) if o else tr("values_reject"),
                                           key=f"val_{spec.name}_{column}_{value}")
            if picked:
                answers.setdefault(column, {})[value] = picked
    return answers


def boundary_section() -> None:
    """Replace a boundary layer; every enterprise and incident is placed again."""
    from riskmap.pipeline import import_boundary_file

    st.subheader(tr("boundary_title"))
    st.caption(tr("boundary_note"))
    layers = {name: T.TABLES_BY_NAME[name].title for name in BOUNDARIES}
    c1, c2 = st.columns(2)
    layer = c1.selectbox(tr("boundary_layer"), BOUNDARIES, index=1, format_func=layers.get, key="boundary_layer")
    crs = c2.selectbox(tr("import_crs"), ("file", *CRS_CHOICES[1:]), key="boundary_crs",
                       format_func=lambda c: tr("crs_from_file") if c == "file" else tr(f"crs_{c}"))
    upload = st.file_uploader(tr("boundary_file"), type=["geojson", "json", "zip", "gpkg"],
                              key=f"boundary_upload_{st.session_state.get('_upload_round', 0)}")
    if upload is None or not st.button(tr("boundary_go"), type="primary", key="boundary_go"):
        return
    folder = paths.uploads_dir() / st.session_state.setdefault("_upload_dir", uuid.uuid4().hex)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_upload_name(upload.name)
    path.write_bytes(upload.getvalue())
    bar = st.progress(0.0, text=tr("importing"))
    try:
        result = import_boundary_file(paths.db_path(), path, layer, None if crs == "file" else crs,
                                      lambda stage, f: bar.progress(min(max(f, 0.0), 1.0), text=stage))
    except ImportError_ as exc:
        st.error(tr("import_failed", why=md(exc)))
        return
    finally:
        bar.empty()
        path.unlink(missing_ok=True)
    audit("import_boundaries", file=result.file, table=layer, features=result.accepted, replaced=result.replaced)
    st.session_state["last_import"] = result
    st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1
    st.cache_data.clear()
    st.rerun()


if can("import"):
    import_section()
    boundary_section()

if "last_import" in st.session_state:
    r = st.session_state["last_import"]
    st.success(tr("import_done", file=md(r.file), read=r.rows_read, ok=r.accepted, bad=r.rejected, new=r.inserted,
                  upd=r.updated, same=r.unchanged, s=r.seconds))
    rows = pd.DataFrame()
    if len(r.issues):
        rows = pd.DataFrame({
            tr("col_file"): r.issues["file"], tr("col_row"): r.issues["row"], tr("col_column"): r.issues["column_name"],
            tr("col_value"): r.issues["value"],
            tr("col_severity"): r.issues["severity"].map(severity_label),
            tr("col_reason"): r.issues["reason"]})
        show(rows, hide_index=True, key="last_issues")
    sheets = {tr("issue_list"): localise(rows)} if len(rows) else {}
    if len(r.accepted_rows):  # ledgers: what became of each accepted row (a boundary layer is replaced whole)
        sheets[tr("accepted_list")] = localise(pd.DataFrame({
            tr("col_row"): r.accepted_rows["row"], tr("col_key"): r.accepted_rows["key"],
            tr("col_action"): r.accepted_rows["action"]}))
    if sheets:
        export_button(st, tr("download", name=tr("import_result")),
                      lambda: workbook(sheets, r.file, tr("import_result")),
                      file_name=f"{r.file}_{tr('import_result')}.xlsx", mime=XLSX, key="dl_last_result")

# --- what is in the database -------------------------------------------------------------
st.subheader(tr("data_files"))
files = queries.import_files(con)[["file", "table_name", "crs", "rows_read", "accepted", "rejected",
                                   "warnings"]]
files["table_name"] = files["table_name"].map(lambda n: T.TABLES_BY_NAME[n].title if n in T.TABLES_BY_NAME else n)
files.columns = [tr(k) for k in ("col_file", "col_table", "col_crs", "col_read", "col_accepted",
                                 "col_rejected", "col_warnings")]
show(files, hide_index=True)

st.subheader(tr("data_issues"))
issues = queries.import_issues(con)
issues["severity"] = issues["severity"].map(severity_label)
issues.columns = [tr(k) for k in ("col_file", "col_row", "col_column", "col_value", "col_severity",
                                  "col_reason")]
show(issues, hide_index=True)


def _all_issues() -> bytes:
    everything = queries.import_issues(con, limit=None)
    everything["severity"] = everything["severity"].map(severity_label)
    everything.columns = issues.columns
    return to_xlsx(localise(everything), tr("issue_list"))


export_button(st, tr("download", name=tr("issue_list")), _all_issues, file_name=f"{tr('issue_list')}.xlsx",
                   mime=XLSX, key="dl_issues")

with st.expander(tr("db_meta")):
    st.json({k: v for k, v in meta.items()})
    if meta.get("illustrative") == "1" and st.button(tr("rebuild")):
        build_demo_with_progress()
        st.rerun()
