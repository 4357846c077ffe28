"""One definition per figure: the same figure for the same period and area is the same number on
城市总览, on 隐患闭环, in the weekly workbook, in the briefing and from the CLI — and each is
what an independent query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from riskmap.cli import main

from .conftest import City
from .test_app import run_app

AS_OF = dt.date(2026, 11, 20)  # the demo city's data date


def independent(con, days: int) -> dict[str, str]:
    """The figures as people read them, counted here from the tables, by the definitions'
    words (not their SQL)."""
    start = AS_OF - dt.timedelta(days=days - 1)
    found, major, fixed_in, fixed_major_in, found_fixed = con.execute(
        """SELECT count(*) FILTER (found_on BETWEEN $s AND $e),
                  count(*) FILTER (found_on BETWEEN $s AND $e AND level = '重大'),
                  count(*) FILTER (rectified_on BETWEEN $s AND $e),
                  count(*) FILTER (rectified_on BETWEEN $s AND $e AND level = '重大'),
                  count(*) FILTER (found_on BETWEEN $s AND $e AND rectified_on <= $e)
           FROM hazard""", {"s": start, "e": AS_OF}).fetchone()
    inspections = con.execute("SELECT count(*) FROM inspection WHERE date BETWEEN ? AND ?",
                              [start, AS_OF]).fetchone()[0]
    return {"发现隐患数（项）": f"{found:,}", "其中重大隐患数（项）": f"{major:,}",
            "已整改隐患数（项）": f"{fixed_in:,}", "其中已整改重大隐患数（项）": f"{fixed_major_in:,}",
            "整改率": f"{found_fixed / found:.1%}", "期内发现已整改（项）": f"{found_fixed:,}",
            "检查企业（家次）": f"{inspections:,}"}


def workbook_total(data: bytes) -> dict[str, str]:
    """The 合计 row of the weekly workbook's 周报表 sheet, by its header labels."""
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data))["周报表"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(r for r in rows if r and r[0] == "地区")
    total = next(r for r in rows if r and r[0] == "合计")
    return {str(h): v for h, v in zip(header, total) if h}


@pytest.mark.parametrize("days", [30, 90])
def test_the_same_figure_is_the_same_everywhere(city_env: City, capsys, days: int):
    from data.build import connect
    from reports.document import briefing_docx, build_briefing
    from reports.weekly import weekly_report_xlsx

    con = connect(city_env.db, read_only=True)
    want = independent(con, days)

    overview = run_app()
    overview = overview.radio(key="period").set_value(days).run()
    assert not overview.exception
    on_overview = {m.label: m.value for m in overview.metric}

    hazards = run_app("pages/screens/hazards.py")
    hazards = hazards.radio(key="hz_period").set_value(days).run()
    assert not hazards.exception
    on_hazards = {m.label: m.value for m in hazards.metric}

    assert main(["--db", str(city_env.db), "figures", "--days", str(days)]) == 0
    cli = dict(line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()[1:])

    briefing = build_briefing(con, days=days)
    in_briefing = dict(zip(briefing.kpis.iloc[:, 0], briefing.kpis.iloc[:, 1]))
    docx = briefing_docx(briefing)
    from docx import Document

    words = "\n".join(cell.text for table in Document(io.BytesIO(docx)).tables
                      for row in table.rows for cell in row.cells)

    workbook = workbook_total(weekly_report_xlsx(con, days=days))

    assert {"发现隐患数（项）", "已整改隐患数（项）"} <= set(workbook)
    for label, value in want.items():
        assert cli[label] == value, label
        if label in on_hazards or label == "期内发现已整改（项）":
            assert on_hazards[label] == value, label
        if label != "期内发现已整改（项）":  # the weekly form's figures
            assert on_overview[label] == value, label
            assert in_briefing[label] == value, label
            assert value in words, label
        if label in workbook:  # the form's counts (整改率 is not on the form)
            assert f"{workbook[label]:,.0f}" == value, label
    # 隐患闭环 shows the weekly form's 整改率 and hazards found, and its own, named, numerator.
    assert {"发现隐患数（项）", "期内发现已整改（项）", "整改率", "期末逾期未整改（项）"} <= set(on_hazards)


def test_every_figure_on_a_page_says_what_it_counts(city_env: City):
    """Each figure carries its definition as help, and the two 已整改 figures say how they differ."""
    from scoring.metrics import BY_KEY

    for page in (None, "pages/screens/hazards.py"):
        at = run_app(page)
        assert not at.exception
        for m in at.metric:
            assert m.help, m.label
            match = [x for x in BY_KEY.values() if x.label[0] == m.label]
            assert match and m.help == match[0].definition[0], m.label
    assert "不论何时发现" in BY_KEY["rectified"].definition[0]
    assert "整改率的分子" in BY_KEY["found_rectified"].definition[0]


def test_a_change_reads_as_people_write_it_and_none_is_zero():
    """Streamlit greys only the literal "0": an unchanged figure (a rate equal to 0.05 pp) says 0,
    counts are whole with thousands separators, fines keep two decimals."""
    from reports.figures import change_text

    assert change_text("hazards", 5, 5) == "0"
    assert change_text("rectification_rate", 0.7, 0.70000001) == "0"
    assert change_text("rectification_rate", 0.745, 0.7) == "+4.5 个百分点"
    assert change_text("inspections", 20_345, 8_000) == "+12,345"
    assert change_text("fines_10k", 3.5, 1.25) == "+2.25"
    assert change_text("enterprises", 10, 5) == ""  # a stock, not a flow
