"""Inspection target lists: filters, reasons, spreadsheet export."""

import io

import pandas as pd
import pytest

from reports.spreadsheets import neutralise_formulas, to_xlsx
from scoring.model import load_model
from scoring.targets import filter_targets, main_factors

ROWS = pd.DataFrame({
    "uscc": ["A1", "B2", "C3", "D4"],
    "name": ["甲鞋业", "乙阀门", "丙鞋业（分厂）", "=HYPERLINK(x)"],
    "county_code": ["339902", "339902", "339903", "339903"],
    "township_code": ["339902001", "339902101", "339903001", "339903001"],
    "industry": ["制鞋", "阀门", "制鞋", "印刷"],
    "tier": ["重大", "一般", "较大", "低"],
    "park_id": ["P001", None, None, "P002"],
    "hazchem": [True, False, True, None],
    "mixed_use": [True, True, False, False],
    "departments": [["应急管理局", "消防救援"], ["消防救援"], [], ["市场监管局"]],
})


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["A1", "B2", "C3", "D4"]),
    ({"counties": ["339903"]}, ["C3", "D4"]),
    ({"industries": ["制鞋"], "tiers": ["较大"]}, ["C3"]),
    ({"parks": ["P001", "P002"]}, ["A1", "D4"]),
    ({"flags": ["hazchem", "mixed_use"]}, ["A1"]),
    ({"flags": ["hazchem"]}, ["A1", "C3"]),                  # unknown (None) is not a yes
    ({"text": "鞋业"}, ["A1", "C3"]),
    ({"text": "（分厂"}, ["C3"]),                              # literal, not a pattern
    ({"text": "b2"}, ["B2"]),                                # codes match case-insensitively
    ({"text": "'; DROP TABLE enterprise; --"}, []),
    ({"departments": ["消防救援"]}, ["A1", "B2"]),
    ({"departments": ["市场监管局", "应急管理局"]}, ["A1", "D4"]),   # any of them
    ({"departments": ["消防救援"], "tiers": ["一般"]}, ["B2"]),
])
def test_filters(kwargs, expected):
    assert filter_targets(ROWS, **kwargs)["uscc"].tolist() == expected


def test_unknown_flag_is_an_error():
    with pytest.raises(ValueError, match="unknown flag"):
        filter_targets(ROWS, flags=["nuclear"])


def test_main_factors_lists_the_largest_parts():
    model = load_model()
    row = {f.column: 0.0 for f in model.factors}
    row.update({"c_mixed_use": 12.0, "c_overdue": 10.0, "c_hazchem": 10.0, "c_employees": 2.34})
    got = main_factors(pd.DataFrame([row, {f.column: 0.0 for f in model.factors}]), model)
    # Ties (10 and 10) keep the model's order: 涉及危化品 comes before 逾期未整改隐患 in model.toml.
    assert got == ["三合一场所 12 + 涉及危化品 10 + 逾期未整改隐患 10", ""]


def test_spreadsheet_export_keeps_formulas_as_text():
    assert neutralise_formulas(ROWS)["name"].tolist()[3] == "'=HYPERLINK(x)"
    data = to_xlsx(ROWS[["uscc", "name"]], "检查清单")
    back = pd.read_excel(io.BytesIO(data), sheet_name="检查清单", dtype=str, engine="openpyxl")
    assert back["name"].tolist() == ["甲鞋业", "乙阀门", "丙鞋业（分厂）", "'=HYPERLINK(x)"]


def test_enterprise_departments_by_hand_rules(small_city):
    """Departments in hand = inspected in the last 365 days or owning an unrectified hazard."""
    import datetime as dt

    from data.build import connect
    from data.queries import enterprise_departments

    con = connect(small_city.db, read_only=True)
    as_of = dt.date(2026, 11, 20)
    expected: dict[str, set[str]] = {}
    for uscc, date, dept in con.execute("SELECT uscc, date, department FROM inspection").fetchall():
        if as_of - dt.timedelta(days=365) < date <= as_of:
            expected.setdefault(uscc, set()).add(dept)
    for uscc, found, fixed, dept in con.execute(
            "SELECT uscc, found_on, rectified_on, department FROM hazard").fetchall():
        if dept and found <= as_of and (fixed is None or fixed > as_of):
            expected.setdefault(uscc, set()).add(dept)
    got = enterprise_departments(con, as_of)
    assert {u: set(d) for u, d in zip(got["uscc"], got["departments"])} == expected
    assert len(expected) > 100
