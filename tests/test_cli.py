"""The command line gives the same numbers as the functions, on the small city."""

from __future__ import annotations

from pathlib import Path

from riskmap.cli import main
from scoring.docs import model_markdown
from scoring.model import load_model

from .conftest import City

REPO = Path(__file__).resolve().parent.parent


def test_methodology_document_is_generated_from_the_config():
    assert (REPO / "docs" / "MODEL.md").read_text(encoding="utf-8") == model_markdown(load_model()), (
        "docs/MODEL.md is stale: python -m riskmap model --write docs/MODEL.md")


def test_score_listing_backtest_and_draw_commands(city_env: City, capsys):
    db = str(city_env.db)
    assert main(["--db", db, "score", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "评估日 2026-11-20，企业 3000 家" in out and "重大（红）" in out

    assert main(["--db", db, "listing", "--compare", "2026-05-20"]) == 0
    out = capsys.readouterr().out
    assert "乡镇挂牌督办" in out and "与 2026-05-20 相比" in out

    assert main(["--db", db, "due", "--top", "3"]) == 0
    assert "到期应检" in capsys.readouterr().out

    assert main(["--db", db, "backtest", "--horizon", "365"]) == 0
    assert "AUC" in capsys.readouterr().out

    log = city_env.data_dir / "draw_log.jsonl"
    logged = log.read_text(encoding="utf-8").count('"seed": 7') if log.exists() else 0  # other tests draw too
    assert main(["--db", db, "draw", "--size", "5", "--seed", "7"]) == 0  # inspectors from the roster table
    first = capsys.readouterr().out
    assert "随机种子 7" in first
    main(["--db", db, "draw", "--size", "5", "--seed", "7"])
    again = capsys.readouterr().out
    assert first.split("\n", 1)[1] == again.split("\n", 1)[1]  # same seed, same draw
    assert log.read_text(encoding="utf-8").count('"seed": 7') == logged + 2


def test_build_failure_is_reported_and_exits_nonzero(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    assert main(["--db", str(tmp_path / "x.duckdb"), "build", str(tmp_path / "src")]) == 2
    assert "数据库未改动" in capsys.readouterr().err


def test_export_command_writes_the_same_files_as_the_buttons(city_env: City, tmp_path, capsys):
    """The CLI and the app's buttons both call reports.exports.export: same content."""
    import io

    import openpyxl
    from PIL import Image

    from data.build import connect
    from reports.exports import ExportRequest, export

    db = str(city_env.db)
    con = connect(city_env.db, read_only=True)
    assert main(["--db", db, "export", "weekly", "--out", str(tmp_path), "--days", "30"]) == 0
    written = next(tmp_path.glob("周报表_*.xlsx"))
    assert "已写入" in capsys.readouterr().out and not list(tmp_path.glob("*.part"))
    ours = openpyxl.load_workbook(written)
    theirs = openpyxl.load_workbook(io.BytesIO(export(con, "weekly", ExportRequest(days=30))[0]))
    assert ours.sheetnames == theirs.sheetnames
    for a, b in zip(ours, theirs):
        assert list(a.iter_rows(values_only=True)) == list(b.iter_rows(values_only=True))

    out = tmp_path / "a4.png"
    assert main(["--db", db, "export", "png", "--scope", "township", "--key",
                 con.execute("SELECT min(code) FROM township").fetchone()[0], "--size", "a4", "--out", str(out)]) == 0
    assert Image.open(out).size == (2480, 3508)
    assert main(["--db", db, "export", "png", "--scope", "grid", "--key", "no-such-grid", "--out", str(out)]) == 2
    assert "no grid" in capsys.readouterr().err
