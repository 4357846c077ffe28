"""The validation outcome is the same, row for row, as before the rebuild was made fast (issue
16): every issue (file, row, column, severity, code, value, reason) and every count of the
messy corpus's imports, compared with the list the code gave before any of that work
(tests/golden/messy_issues.json, written by commit 9496466 with ``python -m
tests.test_issue_lists --write``). A change that means to alter an outcome rewrites the file
in the same commit and says why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden" / "messy_issues.json"

pytestmark = pytest.mark.slow


def issue_lists(folder: Path) -> dict[str, Any]:
    """Import the messy corpus into a county city (enterprises, then hazards) and return, per
    ledger, its counts and its sorted issues."""
    from data.build import connect
    from riskmap.pipeline import import_file, init_city
    from tests import messy

    corpus = messy.build(folder / "corpus")
    b = corpus.boundaries["geojson_wgs84"]
    db = folder / "city.duckdb"
    init_city(db, messy.CITY, {"county": b.path}, **({"crs": {"county": b.crs}} if b.crs else {}), progress=None)
    out: dict[str, Any] = {}
    for lg in [*corpus.enterprise_ledgers(), *corpus.hazard_ledgers()]:
        try:
            r = import_file(db, lg.path, lg.table, crs=lg.crs, headers=None, progress=None, header_row=lg.header_row)
        except Exception as exc:  # an import refused whole: its message is the outcome
            out[lg.key] = {"refused": str(exc)}
            continue
        issues = r.issues[["row", "column_name", "severity", "code", "value", "reason"]]
        rows = sorted([-1 if x["row"] is None or x["row"] != x["row"] else int(x["row"]), str(x["column_name"]),
                       str(x["severity"]),
                       str(x["code"]), str(x["value"]), str(x["reason"])] for x in issues.to_dict("records"))
        out[lg.key] = {"rows_read": int(r.rows_read), "accepted": int(r.accepted), "rejected": int(r.rejected),
                       "issues": rows}
    con = connect(db, read_only=True)
    out["_tables"] = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in ("enterprise", "hazard")}
    con.close()
    out["_demo_build"] = demo_build_issues(folder)
    return out


def demo_build_issues(folder: Path) -> dict[str, Any]:
    """A whole rebuild (the direct path: rows typed straight into their tables) of a small
    demo city, whose ledgers carry the generator's faults (bad check digits, duplicates,
    coordinates outside, unknown codes…): every issue and every table's row count."""
    import datetime as dt

    from data.build import connect
    from data.demo import DemoConfig, generate_city
    from riskmap.pipeline import rebuild

    src = folder / "demo"
    generate_city(DemoConfig(seed=11, enterprises=1500, townships=12, counties=2, grids=60, parks=3,
                             as_of=dt.date(2026, 11, 20)), src)
    db = folder / "demo.duckdb"
    rebuild(src, db, progress=None)
    con = connect(db, read_only=True)
    issues = [[str(f), str(t), -1 if r is None else int(r), str(c), str(v), str(s), str(k), str(why)]
              for f, t, r, c, v, s, k, why in con.execute("SELECT * FROM import_issue").fetchall()]
    tables = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
              for t in ("enterprise", "inspection", "hazard", "enforcement", "incident", "listing_township",
                        "listing_enterprise")}
    tiers = dict(con.execute("SELECT tier, count(*) FROM enterprise_score GROUP BY 1 ORDER BY 1").fetchall())
    scores = round(float(con.execute("SELECT sum(score) FROM enterprise_score").fetchone()[0]), 3)
    listed = [list(map(str, r)) for r in con.execute(
        "SELECT key, level, rules, reasons FROM listing_township ORDER BY key").fetchall()]
    areas = [[str(k), round(float(i), 3), int(r)] for k, i, r in con.execute(
        "SELECT key, index, index_rank FROM area_township ORDER BY key").fetchall()]
    cells = [[str(k), int(n), round(float(i), 3)] for k, n, i in con.execute(
        "SELECT key::VARCHAR, enterprises, index FROM area_h3_r8 ORDER BY key").fetchall()]
    types = [list(map(str, r)) for r in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name IN ('enterprise_score', 'area_township', 'area_h3_r8', 'listing_township') "
        "ORDER BY table_name, ordinal_position").fetchall()]
    con.close()
    return {"issues": sorted(issues), "tables": tables, "tiers": tiers, "score_sum": scores, "listed": listed,
            "township_index": areas, "h3_r8": cells, "output_types": types}


def test_the_messy_corpus_gives_the_same_issues_row_for_row(tmp_path: Path):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(issue_lists(tmp_path)))  # the same JSON types as the file
    assert set(got) == set(expected)
    differ = {k: (len(expected[k].get("issues", [])), len(got[k].get("issues", [])))
              for k in expected if got[k] != expected[k]}
    assert differ == {}, differ
    assert got == expected


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.write_text(json.dumps(issue_lists(Path(tmp)), ensure_ascii=False, indent=0, sort_keys=True),
                          encoding="utf-8")
    print(f"written {GOLDEN}")
