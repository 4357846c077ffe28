"""The product on the messy corpus (tests/messy.py): every row's outcome, as written beforehand.

Each test starts a county-only city from boundary files (riskmap.pipeline.init_city), imports
ledgers (import_file) and compares, row by row, what the database and the import report hold
with the expectation the generator wrote before any import ran: accepted / warned / rejected /
skipped, the normalised record of kept rows, the standard header named by a row's issue, and
that rows which are not records are reported as info "skipped_row" with their row numbers.
Every mismatch is listed (file, row, expected, got); the share of rows right is printed.

The county-only city: every stored point within 1 m of its WGS-84 truth and in its true county,
whichever of the four boundary forms the counties came in; hazard figures per county equal to
the count made in plain Python from the generator's rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import shutil
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from geo.crs import haversine_m
from tests import messy

if TYPE_CHECKING:
    import duckdb

    from data.build import BuildReport
    from data.importer import ImportResult

pytestmark = pytest.mark.slow  # builds the corpus and four cities: ~35 s; not in the fast subset


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> messy.Corpus:
    return messy.build(tmp_path_factory.mktemp("messy"))


# ---------------------------------------------------------------------------------------------
# Running the product
# ---------------------------------------------------------------------------------------------


def _pipeline() -> tuple[Callable[..., BuildReport], Callable[..., ImportResult]]:
    """The product API (imported here so a missing function fails the test, not collection)."""
    from riskmap.pipeline import import_file, init_city

    return init_city, import_file


def _connect(db: Path) -> closing[duckdb.DuckDBPyConnection]:
    from data.build import connect

    return closing(connect(db, read_only=True))


def new_city(tmp_path: Path, corpus: messy.Corpus, form: str = "geojson_wgs84") -> Path:
    init_city, _ = _pipeline()
    b = corpus.boundaries[form]
    db = tmp_path / "city.duckdb"
    if b.crs:
        init_city(db, messy.CITY, {"county": b.path}, crs={"county": b.crs}, progress=None)
    else:
        init_city(db, messy.CITY, {"county": b.path}, progress=None)
    return db


def run(db: Path, lg: messy.Ledger, mapped: bool = False) -> ImportResult:
    _, import_file = _pipeline()
    return import_file(db, lg.path, lg.table, crs=lg.crs, headers=None, progress=None,
                       values=lg.mapped_values if mapped else None, header_row=lg.header_row)


@dataclass
class Loaded:
    """A WGS-84 county city with every enterprise ledger imported, and each import's report."""

    db: Path
    reports: dict[str, Any]  # ledger key -> report, or the exception the import raised

    def copy(self, tmp_path: Path) -> Path:
        """A private copy of the database for one test."""
        db = tmp_path / self.db.name
        for src in (self.db, self.db.with_name(self.db.name + ".wal")):
            if src.exists():
                shutil.copy2(src, db.with_name(src.name))
        return db


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, corpus: messy.Corpus) -> Loaded:
    """Enterprises imported once for the hazard tests (hazards must refer to them)."""
    db = new_city(tmp_path_factory.mktemp("loaded"), corpus)
    reports: dict[str, Any] = {}
    for lg in corpus.enterprise_ledgers():
        try:
            reports[lg.key] = run(db, lg)
        except Exception as exc:  # reported by the tests that need it
            reports[lg.key] = exc
    return Loaded(db, reports)


def with_enterprises(tmp_path: Path, loaded: Loaded) -> Path:
    failed = {k: r for k, r in loaded.reports.items() if isinstance(r, Exception)}
    assert not failed, f"enterprise imports failed: {failed}"
    unbalanced = [k for k, r in loaded.reports.items() if not r.balanced]
    assert not unbalanced, f"accepted + rejected != rows_read: {unbalanced}"
    return loaded.copy(tmp_path)


# ---------------------------------------------------------------------------------------------
# Comparing row by row
# ---------------------------------------------------------------------------------------------


@dataclass
class Check:
    ledger: messy.Ledger
    right: int = 0
    total: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 1.0

    def line(self) -> str:
        return f"[messy corpus] {self.ledger.path.name}: {self.right}/{self.total} rows right ({self.share:.1%})"


def _issues_by_row(report: Any) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    issues = getattr(report, "issues", None)
    if issues is None or len(issues) == 0:
        return out
    for rec in issues.to_dict("records"):
        row = rec.get("row")
        if row is None or (isinstance(row, float) and math.isnan(row)):
            continue  # a file-level issue
        out.setdefault(int(row), []).append(rec)
    return out


def _stored(db: Path, table: str, file_name: str) -> tuple[dict[int, list[dict[str, Any]]], str | None]:
    try:
        with _connect(db) as con:
            cur = con.execute(f"SELECT * FROM {table} WHERE source_file = ?", [file_name])
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
    except Exception as exc:  # reported as a mismatch of every row
        return {}, f"cannot read {table}: {exc}"
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(int(r["source_row"]), []).append(r)
    return out, None


def _as_date(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.date()
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().date()
    return v


def _compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Differences between an expected record and a stored row, one phrase each."""
    diffs = []
    if "lon" in expected:
        lon, lat = got.get("lon"), got.get("lat")
        if lon is None or lat is None:
            diffs.append(f"lon/lat expected ({expected['lon']:.6f}, {expected['lat']:.6f}), got ({lon}, {lat})")
        else:
            d = float(haversine_m(lon, lat, expected["lon"], expected["lat"]))
            if not d <= 1.0:
                diffs.append(f"point {d:.1f} m from its truth ({expected['lon']:.6f}, {expected['lat']:.6f}), "
                             f"got ({lon:.6f}, {lat:.6f})")
    for col, want in expected.items():
        if col in ("lon", "lat"):
            continue
        if col not in got:
            diffs.append(f"no column {col} in the table")
            continue
        have = got[col]
        if isinstance(want, dt.date):
            ok = _as_date(have) == want
        elif isinstance(want, float):
            ok = have is not None and abs(float(have) - want) <= 1e-6 * max(1.0, abs(want))
        elif isinstance(want, bool) or want is None:
            ok = have is want or (want is None and have is None)
        else:
            ok = have == want
        if not ok:
            diffs.append(f"{col} expected {want!r}, got {have!r}")
    return diffs


def _brief(issues: list[dict[str, Any]]) -> str:
    if not issues:
        return "no issues"
    return "; ".join(f"{i.get('severity')}/{i.get('code')} [{i.get('column_name')}] {i.get('value')!r}: "
                     f"{i.get('reason')}" for i in issues)


def check(db: Path, lg: messy.Ledger, report: Any, mapped: bool = False) -> Check:
    """Every expected row of ``lg`` against the import report and the stored rows."""
    res = Check(lg)
    name = lg.path.name
    issues = _issues_by_row(report)
    stored, err = _stored(db, lg.table, name)
    expected = lg.expected(mapped)
    for number, ex in expected.items():
        res.total += 1
        row_issues = issues.get(number, [])
        severities = {i.get("severity") for i in row_issues}
        skipped = any(i.get("severity") == "info" and i.get("code") == "skipped_row" for i in row_issues)
        kept = stored.get(number, [])
        if "error" in severities:
            got = messy.REJECTED
        elif "warning" in severities:
            got = messy.WARNED
        elif skipped:
            got = messy.SKIPPED
        elif kept:
            got = messy.ACCEPTED
        else:
            got = "neither stored nor reported"
        problems = []
        if got != ex.outcome:
            problems.append(f"expected {ex.outcome}, got {got}")
        if ex.outcome in (messy.ACCEPTED, messy.WARNED):
            if err:
                problems.append(err)
            elif len(kept) != 1:
                problems.append(f"stored {len(kept)} times")
            else:
                problems += _compare(ex.record or {}, kept[0])
        elif kept:
            problems.append(f"{ex.outcome} row stored in {lg.table}")
        if ex.column and ex.outcome in (messy.WARNED, messy.REJECTED):
            severity = "warning" if ex.outcome == messy.WARNED else "error"
            if not any(i.get("severity") == severity and i.get("column_name") == ex.column for i in row_issues):
                problems.append(f"no {severity} naming column {ex.column}")
        if problems:
            res.mismatches.append(f"{name} row {number} ({ex.why}): " + "; ".join(problems)
                                  + f" — issues: {_brief(row_issues)}")
        else:
            res.right += 1
    for number in sorted(set(stored) - set(expected)):
        res.mismatches.append(f"{name} row {number}: stored, but that row was not expected to be a record")
    # The report's counts: skipped rows are not read; warned rows are accepted.
    n = lg.counts(mapped)
    want = {"rows_read": n[messy.ACCEPTED] + n[messy.WARNED] + n[messy.REJECTED],
            "accepted": n[messy.ACCEPTED] + n[messy.WARNED], "rejected": n[messy.REJECTED]}
    for attr, value in want.items():
        have = getattr(report, attr, None)
        if have != value:
            res.mismatches.append(f"{name}: report.{attr} expected {value}, got {have}")
    if getattr(report, "balanced", None) is not True:
        res.mismatches.append(f"{name}: report.balanced is {getattr(report, 'balanced', None)!r}")
    return res


def assert_all_right(*checks: Check) -> None:
    right = sum(c.right for c in checks)
    total = sum(c.total for c in checks)
    for c in checks:
        print(c.line())
    print(f"[messy corpus] together: {right}/{total} rows right ({right / total:.1%})")
    mismatches = [m for c in checks for m in c.mismatches]
    assert not mismatches, f"{len(mismatches)} mismatches ({right}/{total} rows right):\n" + "\n".join(mismatches)


# ---------------------------------------------------------------------------------------------
# The generator itself (no product): files open, coordinates round-trip, boundaries read back
# ---------------------------------------------------------------------------------------------


def test_generator_is_deterministic_and_self_consistent(tmp_path: Path, corpus: messy.Corpus) -> None:
    import geopandas as gpd
    import shapely

    again = messy.build(tmp_path / "again")
    assert messy.summary(again) == messy.summary(corpus)
    assert {k: v.counts() for k, v in again.ledgers.items()} == {k: v.counts() for k, v in corpus.ledgers.items()}
    assert again.enterprises.keys() == corpus.enterprises.keys()
    truth = {c.code: c.polygon for c in corpus.counties}
    names = {c.code: c.name for c in corpus.counties}
    for form, b in corpus.boundaries.items():
        path = f"zip://{b.path}" if b.path.suffix == ".zip" else b.path
        g = gpd.read_file(path, engine="pyogrio")
        code_col = next(c for c in g.columns if c in ("区县代码", "行政区划代码", "XZQDM"))
        name_col = next(c for c in g.columns if c in ("区县名称", "名称", "XZQMC"))
        crs = b.crs or g.crs.to_string()
        from geo.crs import geometries_to_wgs84

        geoms = geometries_to_wgs84(g.geometry.values, crs)
        for code, name, geom in zip(g[code_col], g[name_col], geoms):
            code = str(code)
            assert names[code] == name, (form, code, name)  # GBK attributes decoded
            assert shapely.hausdorff_distance(geom, truth[code]) < 1e-7, (form, code)  # < 1 cm
    # Every county has hazards before the as-of date, some rectified after it, some overdue.
    figures = corpus.hazard_figures()
    assert all(f["total"] > 0 for f in figures.values())
    assert any(f["overdue"] > 0 for f in figures.values())
    assert any(h.found_on <= messy.AS_OF < h.rectified_on for h in corpus.hazards.values() if h.rectified_on)
    assert any(h.found_on > messy.AS_OF for h in corpus.hazards.values())
    print("\n" + messy.summary(corpus))


# ---------------------------------------------------------------------------------------------
# One test per ledger shape
# ---------------------------------------------------------------------------------------------


def _loaded_check(loaded: Loaded, lg: messy.Ledger) -> None:
    report = loaded.reports[lg.key]
    if isinstance(report, Exception):
        raise report
    assert_all_right(check(loaded.db, lg, report))


# The enterprise ledgers are imported once into the module's city (``loaded``); each test checks
# its own file's rows there (rows are told apart by source_file, and no code repeats across files).


def test_enterprise_xlsx(corpus: messy.Corpus, loaded: Loaded) -> None:
    """一企一档 xlsx: merged title, note, blank, header with a line break, date cells, footer."""
    _loaded_check(loaded, corpus.ledgers["enterprise_xlsx"])


def test_enterprise_gbk_csv(corpus: messy.Corpus, loaded: Loaded) -> None:
    """GBK CSV, GCJ-02 told from the header 经度(GCJ-02) , dates in five notations, 有/无."""
    _loaded_check(loaded, corpus.ledgers["enterprise_csv"])


def test_enterprise_value_variants(corpus: messy.Corpus, loaded: Loaded) -> None:
    """约50人, ５０, spaced / lower-case / full-width codes, 度, DMS, swapped lon/lat, √, bad values."""
    _loaded_check(loaded, corpus.ledgers["enterprise_values"])


@pytest.mark.parametrize("key", ["enterprise_xy_4549", "enterprise_xy_4528"])
def test_enterprise_projected_xy(corpus: messy.Corpus, loaded: Loaded, key: str) -> None:
    """Gauss-Kruger metres: X = northing (EPSG:4549, no zone) and 横坐标 with zone 40 (EPSG:4528)."""
    _loaded_check(loaded, corpus.ledgers[key])


def test_enterprise_footer_and_repeated_header(corpus: messy.Corpus, loaded: Loaded) -> None:
    """Two pages pasted together: footers, a page title and header again, 序号-only rows, 合计."""
    _loaded_check(loaded, corpus.ledgers["enterprise_footer"])


def test_header_row_declared(corpus: messy.Corpus, loaded: Loaded) -> None:
    """Two header-like rows (the platform's, the office's); header_row names the office's."""
    lg = corpus.ledgers["enterprise_header_row"]
    assert lg.header_row == 4
    _loaded_check(loaded, lg)


def test_hazards_xlsx(tmp_path: Path, corpus: messy.Corpus, loaded: Loaded) -> None:
    """五张清单 xlsx: levels 一般隐患 / 重大事故隐患 / 特大, departments by official name, duplicates."""
    db = with_enterprises(tmp_path, loaded)
    lg = corpus.ledgers["hazard_xlsx"]
    assert_all_right(check(db, lg, run(db, lg)))


def test_hazards_csv(tmp_path: Path, corpus: messy.Corpus, loaded: Loaded) -> None:
    """Park hazard list (GBK CSV): 发现日期 / 问题描述 / 完成整改时间, 安监站, unknown enterprises."""
    db = with_enterprises(tmp_path, loaded)
    lg = corpus.ledgers["hazard_csv"]
    assert_all_right(check(db, lg, run(db, lg)))


def test_value_mapping_turns_rejected_into_accepted(tmp_path: Path, corpus: messy.Corpus, loaded: Loaded) -> None:
    """values={"department": {"安监站": "应急管理局"}}: the 安监站 rows are kept as 应急管理局."""
    db = with_enterprises(tmp_path, loaded)
    lg = corpus.ledgers["hazard_csv"]
    assert lg.mapped_values == {"department": {"安监站": "应急管理局"}}
    changed = [r for r in lg.rows if r.mapped]
    assert changed and all(r.expect.outcome == messy.REJECTED for r in changed)
    assert all(r.mapped.outcome == messy.ACCEPTED and r.mapped.record["department"] == "应急管理局"
               for r in changed if r.mapped and r.mapped.record)
    assert_all_right(check(db, lg, run(db, lg, mapped=True), mapped=True))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_located_table_without_coordinate_columns_fails_whole_import(tmp_path: Path, corpus: messy.Corpus) -> None:
    """位置1 / 位置2: no coordinate column found -> the import fails, the database is untouched."""
    db = new_city(tmp_path, corpus)
    _, import_file = _pipeline()
    wal = db.with_name(db.name + ".wal")
    had_wal = wal.exists()
    before = _sha256(db)
    message = None
    try:
        import_file(db, corpus.no_coordinates, "enterprise", crs="auto", headers=None, progress=None,
                    values=None, header_row=None)
    except Exception as exc:  # any exception, as long as it says what it saw
        message = str(exc)
    assert message is not None, "an enterprise ledger without coordinate columns was imported"
    assert "位置1" in message and "位置2" in message, f"the message does not name the headers it saw: {message}"
    assert _sha256(db) == before, "the database file changed"
    assert wal.exists() == had_wal, "a write-ahead log was left next to the database"


# ---------------------------------------------------------------------------------------------
# The county-only city in each boundary form
# ---------------------------------------------------------------------------------------------

FORMS = ["geojson_wgs84", "geojson_gcj02", "shapefile_4549", "geopackage_4528"]


@pytest.mark.parametrize("form", FORMS)
def test_county_only_city(tmp_path: Path, corpus: messy.Corpus, loaded: Loaded, form: str) -> None:
    problems: list[str] = []
    if form == "geojson_wgs84":  # the module's city already has every enterprise ledger imported
        db = with_enterprises(tmp_path, loaded)
    else:
        db = new_city(tmp_path, corpus, form)
    with _connect(db) as con:
        counties = dict(con.execute("SELECT code, name FROM county").fetchall())
        meta = {str(v) for (v,) in con.execute("SELECT value FROM meta").fetchall()}
    assert counties == {c.code: c.name for c in corpus.counties}, f"{form}: counties read {counties}"
    assert messy.CITY in meta, f"{form}: the city name is not in meta"

    if form != "geojson_wgs84":
        for lg in corpus.enterprise_ledgers():
            r = run(db, lg)
            if not r.balanced:
                problems.append(f"{lg.path.name}: report not balanced")
    with _connect(db) as con:
        rows = con.execute("SELECT uscc, lon, lat, township_code, source_file FROM enterprise").fetchall()
    got = {u: (lon, lat, code, f) for u, lon, lat, code, f in rows}
    for uscc in sorted(corpus.enterprises.keys() - got.keys()):
        problems.append(f"{uscc} ({corpus.enterprises[uscc].name}) not stored")
    for uscc in sorted(got.keys() - corpus.enterprises.keys()):
        problems.append(f"{uscc} from {got[uscc][3]} stored but not expected")
    for uscc in sorted(corpus.enterprises.keys() & got.keys()):
        e = corpus.enterprises[uscc]
        lon, lat, code, file = got[uscc]
        if lon is None or lat is None:
            problems.append(f"{file}: {uscc} stored without a point")
            continue
        d = float(haversine_m(lon, lat, e.lon, e.lat))
        if not d <= 1.0:
            problems.append(f"{file}: {uscc} stored {d:.1f} m from its truth")
        if code != e.county:
            problems.append(f"{file}: {uscc} in county {code}, truth {e.county}")

    for lg in corpus.hazard_ledgers():
        r = run(db, lg)
        if not r.balanced:
            problems.append(f"{lg.path.name}: report not balanced")
    with _connect(db) as con:
        stored_ids = {i for (i,) in con.execute("SELECT id FROM hazard").fetchall()}
        try:
            from scoring.report import hazard_figures

            fig = hazard_figures(con, messy.AS_OF)
        except Exception as exc:  # reported with the placement problems above
            fig = None
            problems.append(f"scoring.report.hazard_figures failed: {exc!r}")
    missing, extra = sorted(set(corpus.hazards) - stored_ids), sorted(stored_ids - set(corpus.hazards))
    if missing:
        problems.append(f"{len(missing)} expected hazards not stored: {', '.join(missing[:8])}"
                        + (" …" if len(missing) > 8 else ""))
    if extra:
        problems.append(f"{len(extra)} hazards stored but not expected: {', '.join(extra[:8])}")
    want = corpus.hazard_figures(messy.AS_OF)
    have = {} if fig is None else {str(r["code"]): r for r in fig.to_dict("records")}
    if fig is not None and set(have) != set(want):
        problems.append(f"hazard_figures areas {sorted(have)}, expected {sorted(want)}")
    for code, w in want.items():
        h = have.get(code)
        if h is None:
            continue
        for k in ("total", "rectified", "open", "overdue", "major"):
            if int(h[k]) != w[k]:
                problems.append(f"county {code}: {k} expected {w[k]}, got {h[k]}")
        if not math.isclose(float(h["rectification_rate"]), w["rectification_rate"], abs_tol=1e-9):
            problems.append(f"county {code}: rectification_rate expected {w['rectification_rate']:.4f}, "
                            f"got {h['rectification_rate']}")
    assert not problems, f"{form}: {len(problems)} problems:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The whole corpus in one city: the share of rows right (quoted in the closing note)
# ---------------------------------------------------------------------------------------------


def test_corpus_share_of_rows_right(tmp_path: Path, corpus: messy.Corpus, loaded: Loaded) -> None:
    """Every ledger into one city (enterprises, then hazards); the share printed is the corpus score."""
    db = loaded.copy(tmp_path)
    reports = dict(loaded.reports)
    for lg in corpus.hazard_ledgers():
        try:
            reports[lg.key] = run(db, lg)
        except Exception as exc:  # a failed import is every row wrong, not a stop
            reports[lg.key] = exc
    checks = []
    for lg in corpus.enterprise_ledgers() + corpus.hazard_ledgers():
        report = reports[lg.key]
        if isinstance(report, Exception):
            checks.append(Check(lg, 0, len(lg.rows), [f"{lg.path.name}: import failed: {report!r}"]))
        else:
            checks.append(check(db, lg, report))
    assert_all_right(*checks)
