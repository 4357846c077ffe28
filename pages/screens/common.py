"""What every page shares: the database connection, the language, the data-note badge.

Pages cache their loaders with ``st.cache_resource`` keyed by :func:`db_version`: the frames
are shared, not copied on every run (copying the 20,000-row score table cost a third of the
检查目标 page's time under load), so a page never changes a loaded frame in place — it
filters or merges into new ones.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import streamlit as st

from data import paths
from riskmap.i18n import names_townships, set_unit_level, t, unit_level, unit_text, value

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.elements.arrow import DataframeState

    from layers.basemap import Basemap
    from reports.marks import Mark
    from riskmap.accounts import User

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$"})


#: Where the renderer would make a link of bare text (GFM autolinks: ``http://…``, ``www.…``,
#: ``name@host``), an invisible zero-width space breaks the pattern; the text reads the same.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?=@)")


def md(text: object) -> str:
    """User text made inert inside Markdown: every Markdown metacharacter is escaped, so an
    imported name cannot become a link, an image or a formula, and bare URLs, ``www.`` names
    and e-mail addresses are kept from being linked."""
    return _AUTOLINK.sub("\u200b", str(text if text is not None else "")).translate(_MD_SPECIAL)


def lang() -> str:
    return st.session_state.get("lang", "zh")


def tr(key: str, **fmt: object) -> str:
    return t(key, lang(), **fmt)


def tv(text: object) -> object:
    """A vocabulary value (tier, status, department…) in the chosen language."""
    return value(text, lang())


def tv_label(option: object) -> str:
    """:func:`tv` as a widget's ``format_func``, which must return text."""
    return str(tv(option))


def localise(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with vocabulary values, index and column labels in the chosen language (a no-op
    in Chinese). Names, addresses and other free text are left as they are."""
    if lang() == "zh":
        if unit_level() == "county" and any(isinstance(c, str) and names_townships(c) for c in df.columns):
            # The ledgers' own headers (乡镇（街道）) read 区县 where counties stand in; a column that
            # would then repeat another is left out.
            out = df.rename(columns=lambda c: unit_text(c) if isinstance(c, str) else c)
            return out.loc[:, ~out.columns.duplicated()]
        return df
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(tv)
    out.index = out.index.map(tv)
    out.columns = out.columns.map(tv)
    return out


def show(df: pd.DataFrame, **kwargs: Any) -> DeltaGenerator | DataframeState:
    """``st.dataframe`` of :func:`localise` (df): every table goes through here. A missing
    value is an empty cell (Streamlit would write "None", in English)."""
    return st.dataframe(localise(df), **{"placeholder": "", **kwargs})


def rate_chart(frame: pd.DataFrame, x: str, series: dict[str, str], x_title: str, y_title: str) -> None:
    """A line chart of shares (0–1) on a percent axis, one line per column of ``series``
    (column: label), over the text column ``x`` (months as "2026-09": the browser would name
    months in English); every title in the chosen language."""
    long = frame.melt(id_vars=[x], value_vars=list(series), var_name="series", value_name="rate")
    long["series"] = long["series"].map(series)
    legend = tr("hz_series")
    st.vega_lite_chart(long, {"mark": {"type": "line", "point": True}, "encoding": {
        "x": {"field": x, "type": "ordinal", "title": x_title, "axis": {"labelAngle": 0, "labelOverlap": True}},
        "y": {"field": "rate", "type": "quantitative", "title": y_title, "scale": {"domain": [0, 1]},
              "axis": {"format": ".0%"}},
        "color": {"field": "series", "type": "nominal", "title": legend, "legend": {"orient": "bottom"}},
        "tooltip": [{"field": x, "title": x_title}, {"field": "series", "title": legend},
                    {"field": "rate", "type": "quantitative", "title": y_title, "format": ".1%"}]}}, width="stretch")


#: The media type of an Excel workbook download.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Most rows a long list shows on the page (the whole list is in its Excel download): a
#: table travels to the browser whole, and 10,000 rows of 检查清单 were 1.6 MB.
TABLE_ROWS = 500


def show_rows(df: pd.DataFrame, cap: int = TABLE_ROWS, **kwargs: Any) -> None:
    """:func:`show` of the first ``cap`` rows of a long list, saying so when there are more."""
    show(df.head(cap), **kwargs)
    if len(df) > cap:
        st.caption(tr("rows_shown", n=cap, total=len(df)))


@st.cache_resource(max_entries=2)
def _connect(path: str, mtime: float) -> duckdb.DuckDBPyConnection:
    from data.build import open_snapshot

    # Read-only, on this version of the file: a rebuild or an import writes a new file and
    # swaps it in; sessions move to it on their next run, and this one stays readable.
    return open_snapshot(path)


def current_user() -> User | None:
    """The logged-in user (``riskmap.accounts.User``), or None."""
    return st.session_state.get("user")


def can(permission: str) -> bool:
    user = current_user()
    return bool(user and user.can(permission))


def audit(action: str, **detail: object) -> None:
    """Write an entry of the audit log for the logged-in user."""
    from riskmap.accounts import Accounts

    user = current_user()
    Accounts(paths.security_path()).log(user.username if user else None, action, detail)


def export_button(where: DeltaGenerator | ModuleType, label: str, make: Callable[[Mark], bytes], *, file_name: str,
                  rows: int | None = None, **kwargs: Any) -> bool | None:
    """A download button in ``where`` (``st`` or a column) for users allowed to export; each
    file made is written to the audit log with its user, kind, page, scope and row count
    (``rows``, else the rows below the header of a workbook's sheets). Others see nothing.

    ``make`` is given the file's mark (``reports.marks.Mark``: 内部资料, who, when — the
    minute of the click), which every PNG, PDF, Word file and workbook carries; the audit
    entry holds the same line (``riskmap.marked``).

    The file is made when the button is clicked, outside this run (no session state then):
    who is exporting, from where and with which login are taken now; a login that has ended
    by the click (logout, disabled, expired) makes nothing and is logged as refused."""
    if not can("export"):
        return None
    from riskmap.web import browser_token, browser_user

    user = current_user()
    assert user is not None  # can() holds only for a logged-in user
    token = browser_token()
    refused = tr("export_session_ended")  # said when clicked, outside any run
    language = lang()
    detail: dict[str, object] = {
        "kind": file_name.rsplit(".", 1)[-1].lower() if "." in file_name else "file", "file": file_name,
        "page": st.session_state.get("_page", ""), "scope": f"grid {user.grid_id}" if user.grid_id else "city"}
    security = paths.security_path()

    def data() -> bytes:
        from riskmap.accounts import Accounts
        from riskmap.marked import mark_of, record_export

        if browser_user(token) is None:  # logged out, disabled or expired since the button was drawn
            Accounts(security).log(user.username, "export_refused", {**detail, "why": "session ended"})
            raise PermissionError(refused)
        mark = mark_of(user, language)
        content = make(mark)
        counted = rows if rows is not None else workbook_rows(content) if detail["kind"] == "xlsx" else None
        record_export(Accounts(security), mark, file_name, content, **detail, rows=counted)
        return content

    return where.download_button(label, data, file_name=file_name, **kwargs)


def workbook_rows(content: bytes) -> int | None:
    """Rows below the header row, summed over a workbook's sheets (from each sheet's declared
    extent: no cell is read). None if it is not a workbook we can open."""
    import io
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    try:
        return sum(max((ws.max_row or 1) - 1, 0) for ws in wb.worksheets)
    finally:
        wb.close()


def connection() -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to the current database as the logged-in user may see it
    (a 网格员: only their grid; roles without the "people" permission: names and phones
    masked — enforced in the connection itself, see ``data.access``), or None if there is
    no database yet."""
    path = paths.db_path()
    if not path.exists():
        return None
    mtime = os.path.getmtime(path)
    base = _connect(str(path), mtime)
    from data.access import user_scope

    grid, mask = user_scope(current_user())
    if grid is None and not mask:
        return base.cursor()
    # One scoped connection per session and database version (a session runs in one thread).
    key = (str(path), mtime, grid, mask)
    cached = st.session_state.get("_scoped")
    if cached is None or cached[0] != key:
        from data.access import scope_connection

        cached = (key, scope_connection(base, grid, mask))
        st.session_state["_scoped"] = cached
    return cached[1]


def db_version() -> str:
    """The cache key of every page's loaders: changes when the database file is replaced, and
    differs between what users may see (a grid, masked people), so a cached result computed
    for one user is never served to a user who may see less."""
    from data.access import data_scope

    path = paths.db_path()
    mtime = os.path.getmtime(path) if path.exists() else 0.0
    version = f"{mtime}|{data_scope(current_user())}"
    st.session_state["_drawn_version"] = version  # what this run's page is drawn from (live_fragment)
    return version


#: What a filter or map control is created with: kept for the session (back from another page,
#: or after switching the language, the filters are as they were). Its value also goes to the
#: URL (:func:`from_url` before the widget, :func:`to_url` after): the option itself, not its
#: label, so a link opens the same view in either language.
KEPT: dict[str, Any] = {"persist_state": "session"}
#: The session's set of the keys of such widgets.
KEPT_KEYS = "_kept_keys"


def keep_through_language_change() -> None:
    """The language selector's callback: a widget whose labels change is cleared by the browser
    (every radio showed nothing selected), so each kept widget's value is set again, as if
    chosen now — the browser then shows it under its new label."""
    for key in st.session_state.get(KEPT_KEYS, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def from_url(key: str, options: Sequence[Any] | None = None, multi: bool = False) -> None:
    """Before the widget ``key``: on its first run in this session (a reload, a bookmark, a shared
    link), the URL's ``key`` becomes its value — each value that is one of ``options`` (any text
    when ``options`` is None); anything else in the URL is ignored."""
    st.session_state.setdefault(KEPT_KEYS, set()).add(key)
    if key in st.session_state or key not in st.query_params:
        return
    raw = st.query_params.get_all(key)
    if options is None:
        st.session_state[key] = raw[0][:200]
        return
    by_text = {str(o): o for o in options}
    chosen = [by_text[r] for r in raw if r in by_text]
    if multi and (chosen or raw == [""]):  # "" is an empty choice; nothing valid: the default
        st.session_state[key] = list(dict.fromkeys(chosen))
    elif chosen:
        st.session_state[key] = chosen[0]


def to_url(key: str, default: Any) -> None:
    """After the widget ``key``: its value in the URL, or no parameter while it is ``default``."""
    value = st.session_state.get(key, default)
    if value == default or value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif isinstance(value, list | tuple):  # an empty choice is "" (no parameter would be the default)
        st.query_params[key] = [str(v) for v in value] or ""
    else:
        st.query_params[key] = str(value)


def live_fragment(fn: Callable[..., Any] | None = None, *,
                  run_every: dt.timedelta | None = None) -> Any:
    """``st.fragment`` for the part of a page a click changes (a map and its controls): a
    control reruns only it. A fragment's rerun skips app.py, which checks the login on every
    full run, so the fragment checks it first, and that the database is still the version
    the page was drawn from; if either changed, the whole app reruns (to the login form, or
    to the new figures). ``run_every``: also rerun on a timer (the big screen)."""
    if fn is None:
        return functools.partial(live_fragment, run_every=run_every)

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        from riskmap.accounts import token_hash
        from riskmap.web import browser_token, browser_user, unexpected_error

        token = browser_token()
        drawn = st.session_state.get("_drawn_version")
        if (browser_user(token) is None or st.session_state.get("_login") != (token and token_hash(token))
                or (drawn is not None and drawn != db_version())):
            st.rerun(scope="app")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # as app.py does for a page: an error id, the traceback in the log
            return unexpected_error(exc)

    return st.fragment(checked, run_every=run_every)


def publish_layers() -> Callable[[list[Any]], str]:
    """What ``layers.render.to_pydeck`` stores a map's layer rows with: files every worker
    shares (``layers.store``), fetched by the browser and served only to users of the current
    user's data scope. Call it inside a loader cached by :func:`db_version`, which names the
    same scope."""
    from data.access import data_scope
    from layers.store import LayerStore

    store, scope = LayerStore(paths.layer_cache_dir()), data_scope(current_user())
    return lambda rows: store.put(rows, scope)


def require_db() -> duckdb.DuckDBPyConnection:
    """Return a connection, or explain how to build the demo and stop the page. A database
    file that cannot be opened (damaged, or not a database) is said so — never a traceback."""
    import duckdb

    try:
        con = connection()
    except duckdb.Error as exc:
        import logging

        logging.getLogger("riskmap").error("database %s unreadable: %s", paths.db_path(), exc)
        st.error(tr("db_unreadable"))
        if can("import"):
            st.code(f"python -m riskmap build <{tr('import_folder')}>", language="bash")
        st.stop()
    if con is not None:
        from data.build import schema_is_current, schema_version
        from data.tables import SCHEMA_VERSION

        if schema_is_current(con):
            use_units_of(con)
            return con
        st.warning(tr("old_schema", found=schema_version(con) or "—", current=SCHEMA_VERSION))
        demo = con.execute("SELECT value FROM meta WHERE key = 'illustrative'").fetchone()
        if not (demo and demo[0] == "1"):  # real data: rebuild from its own files, never from the demo
            st.code(f"python -m riskmap build <{tr('import_folder')}>", language="bash")
            st.stop()
    else:
        if can("import"):  # an administrator of an installation without a city: start one here
            from pages.screens.setup import start_city_form

            start_city_form(need_admin=False)
            st.divider()
        st.info(tr("no_db"))
    st.code("python -m riskmap demo", language="bash")
    if st.button(tr("build_demo"), type="primary"):
        build_demo_with_progress()
        st.rerun()
    st.stop()


def use_units_of(con: duckdb.DuckDBPyConnection) -> None:
    """Make this run's labels name the areas of the database behind ``con`` (乡镇, or 区县 where
    the city has only county outlines)."""
    level = con.execute("SELECT value FROM meta WHERE key = 'unit_level'").fetchone()
    set_unit_level(level[0] if level else "township")


def counties_stand_in() -> bool:
    """True when the city has only county outlines and its counties stand in for townships
    (tables then leave out the county column, which would repeat the area's name)."""
    return unit_level() == "county"


def build_demo_with_progress() -> None:
    from data.build import BuildError
    from data.demo import DemoConfig, generate_city
    from riskmap.pipeline import rebuild

    bar = st.progress(0.0, text=tr("building"))
    t0 = time.perf_counter()
    try:
        generate_city(DemoConfig(), paths.demo_source_dir(),
                      lambda s, f: bar.progress(min(f * 0.4, 1.0), text=s))
        rebuild(paths.demo_source_dir(), paths.db_path(),
                lambda s, f: bar.progress(min(0.4 + f * 0.6, 1.0), text=s))
    except BuildError as exc:  # e.g. another import still holds the database
        bar.empty()
        st.error(md(exc))
        st.stop()
    bar.empty()
    st.success(tr("built", s=time.perf_counter() - t0))
    st.cache_data.clear()


def data_note_badge(meta: dict[str, str]) -> None:
    """Mark illustrative data wherever it is shown (every page opens with this, so it also
    puts Streamlit's own controls into Chinese: :func:`framework_in_chinese`)."""
    framework_in_chinese()
    if meta.get("illustrative") == "1":
        note = str(meta.get("data_note", "")).removeprefix(t("illustrative", "zh")).lstrip("：: ")  # said once
        if note == t("demo_note", "zh"):  # the demo's own note, not a city's: in the reader's language
            note = tr("demo_note")
        st.warning(f"**{tr('illustrative')}** · {md(note)}", icon="⚠️")


def framework_in_chinese() -> None:
    """In Chinese, no English of Streamlit's own. What cannot be translated is hidden: a table's
    search ("3 results") and show/hide columns ("Select all") and its column menus (sort, pin,
    format), a chart's toolbar (its data view names our columns in English); a table leaves the
    app through our Excel buttons. The fullscreen buttons of tables and maps stay, without their
    English tooltips; the file uploader's button and size note read in Chinese. English is left
    as Streamlit writes it."""
    if lang() != "zh":
        return
    mb = st.get_option("server.maxUploadSize")
    drop = '[data-testid="stFileUploaderDropzone"]'
    # Constant CSS of ours; the two texts are our own strings, without quotes or backslashes.
    st.html(f"""<style>
[data-testid="stElementToolbarButton"]:has(button[aria-label="Show/hide columns"], button[aria-label="Search"]),
[data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) [data-testid="stElementToolbar"],
[data-testid="stDataFrameColumnMenu"], [data-testid="stDataFrameColumnVisibilityMenu"] {{display: none !important;}}
body:has([data-testid="stElementToolbarButton"]:hover) [role="tooltip"] {{display: none !important;}}
{drop} button [data-testid="stMarkdownContainer"] p,
{drop} [data-testid="stFileUploaderDropzoneInstructions"] > div > span {{display: none !important;}}
{drop} button [data-testid="stMarkdownContainer"]::after {{content: "{tr('upload_button')}";}}
{drop} [data-testid="stFileUploaderDropzoneInstructions"] > div::after
  {{content: "{tr('upload_limit', mb=mb)}"; font-size: .875rem;}}
</style>""")


def basemap() -> Basemap | None:
    """The basemap chosen in the sidebar, or None (offline). A bad setting is shown, not raised."""
    from layers.basemap import BasemapError, tianditu, xyz

    kind = st.session_state.get("basemap_kind", "none")
    try:
        if kind == "tianditu" and st.session_state.get("basemap_tk"):
            return tianditu(st.session_state["basemap_tk"])
        if kind == "xyz" and st.session_state.get("basemap_url"):
            return xyz(st.session_state["basemap_url"], st.session_state.get("basemap_crs", "wgs84"))
    except BasemapError as exc:
        st.sidebar.error(str(exc))
    return None


def start_page(title_key: str) -> tuple[duckdb.DuckDBPyConnection, str]:
    """Open a page: the database (or how to build it), its title and the data note.

    Returns the connection and the database version (the cache key of the page's loaders).
    """
    con = require_db()
    st.title(tr(title_key))
    from data import queries

    data_note_badge(queries.meta(con))
    return con, db_version()
