"""Hints that name the real fix, for workbooks typed the way people type them.

Each test builds a workbook through the template writer with one habit of real submitters
(a TOTAL row under the table, a Period left at last month, 60 in a % column, a European
number, a day/month date, a KPI reported quarterly) and checks the problem, its cell and
the words of its fix.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import ConfigError
from pipeline.read import read_workbook
from pipeline.validate import validate
from tests.workbooks import make_config, make_workbook, sample_rows


def _rows() -> dict:
    """sample_rows with every month up to October filled: a clean workbook."""
    rows = sample_rows()
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def _problems(tmp_path: Path, path: Path, period: str = "2026-10", **config_overrides):
    config = make_config(tmp_path, **config_overrides)
    return validate([read_workbook(path)], config, period, today=date(2026, 12, 1)).problems


def _only(problems, code):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [(p.cell, p.code) for p in problems]
    return found[0]


# --- rows under the table --------------------------------------------------------------------


def test_a_total_and_a_note_under_the_kpi_table_are_one_problem_with_the_fix(tmp_path):
    rows = _rows()
    rows["kpis"].append({"KPI ID": "TOTAL", "2026-10": 12.42})  # row 4
    rows["kpis"].append({"KPI": "Note: October figures are provisional"})  # row 5
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    assert [(p.cell, p.code) for p in problems if p.severity == "error"] == [
        ("KPIs!A4", "rows-below-table")
    ]
    stray = problems[0]
    assert stray.message == (
        "Rows 4–5 below the table: a total or a note, not a KPI (first cell: 'TOTAL')."
    )
    assert stray.hint == "Delete rows 4–5, or move the note into the Commentary or Note column."


def test_an_incomplete_entry_with_its_id_is_still_reported_cell_by_cell(tmp_path):
    rows = _rows()
    rows["kpis"].append({"KPI ID": "FIN-K3", "KPI": "Invoices paid late"})  # row 4
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    required = {p.cell for p in problems if p.code == "required-value"}
    assert {"KPIs!B4", "KPIs!C4", "KPIs!E4", "KPIs!F4", "KPIs!G4", "KPIs!H4"} <= required
    assert not [p for p in problems if p.code == "rows-below-table"]


# --- a Period left at last month -------------------------------------------------------------


def test_a_november_file_with_octobers_period_says_set_period(tmp_path):
    """Named FIN-2026-11.xlsx, November actuals filled, Period still 2026-10."""
    rows = _rows()
    for kpi in rows["kpis"]:
        kpi["2026-11"] = kpi["Target"]
    path = make_workbook(tmp_path, period="2026-10", filename="FIN-2026-11.xlsx", **rows)
    problems = _problems(tmp_path, path, period="2026-11")
    assert [(p.cell, p.code) for p in problems if p.severity == "error"] == [
        ("Submission!B2", "period-behind-file")
    ]
    wrong = problems[0]
    assert "Period is '2026-10', but the file name says 2026-11" in wrong.message
    assert wrong.hint == "Set Period on the Submission sheet to 2026-11."
    assert not [p for p in problems if p.code == "future-actual"]


def test_a_future_month_without_other_evidence_offers_both_fixes(tmp_path):
    rows = _rows()
    rows["kpis"][0]["2026-11"] = 0.43
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    future = _only(problems, "future-actual")
    assert future.cell == "KPIs!V2"
    assert future.hint.startswith(
        "If this is the 2026-11 report, set Period on the Submission sheet to 2026-11; "
        "otherwise clear this cell"
    )


# --- percentages typed without their sign ----------------------------------------------------


def test_sixty_in_progress_percent_says_type_sixty_percent(tmp_path):
    rows = _rows()
    rows["initiatives"][0]["Progress %"] = 60
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    wrong = _only(problems, "percent-as-whole-number")
    assert wrong.cell == "Initiatives!G2"
    assert wrong.message == "Progress % is '60' in a percentage: probably meant 60%."
    assert wrong.hint == "Type 60% with the % sign, or 0.6."


def test_a_fraction_or_a_percent_text_in_progress_is_fine(tmp_path):
    rows = _rows()
    rows["initiatives"][0]["Progress %"] = "60%"
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    assert not [p for p in problems if p.severity == "error"]


# --- European numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("12.345,5", "12345.5"), ("12 345,50", "12345.5"), ("1,5", "1.5"), ("1.234.567", "1234567")],
)
def test_a_european_number_gets_did_you_mean(tmp_path, typed, meant):
    rows = _rows()
    rows["initiatives"][0]["Budget"] = typed
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    wrong = _only(problems, "decimal-comma")
    assert wrong.cell == "Initiatives!H2"
    assert wrong.message.endswith(f"written the European way: did you mean {meant}?")
    assert wrong.hint == f"Type {meant}: a point for decimals and no thousands separators."


def test_an_english_thousands_separator_is_read_as_typed(tmp_path):
    rows = _rows()
    rows["initiatives"][0]["Budget"] = "12,345.5"
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    assert not [p for p in problems if p.severity == "error"]


def test_a_point_typed_for_thousands_in_a_thousands_kpi(tmp_path):
    """Tickets run at about 1,200 a month; October typed 1.234 (meaning 1,234)."""
    rows = _rows()
    tickets = {
        "KPI ID": "FIN-K3",
        "Objective ID": "FIN-O2",
        "Perspective": "Internal Process",
        "KPI": "Invoices processed",
        "Unit": "count",
        "Direction": "Higher is better",
        "Aggregation": "Last",
        "Target": 1200,
        "Red threshold": 1000,
        **{f"2026-{m:02d}": 1150 + 10 * m for m in range(1, 10)},
        "2026-10": 1.234,
    }
    rows["kpis"].append(tickets)
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    wrong = _only(problems, "point-as-thousands")
    assert wrong.cell == "KPIs!U4"
    assert (
        wrong.hint
        == "Did you mean 1234? Type 1234 with no separators (a point is a decimal point)."
    )
    assert not [p for p in problems if p.code == "implausible-value"]


# --- dates that read two ways ----------------------------------------------------------------


def test_an_ambiguous_date_names_both_readings(tmp_path):
    rows = _rows()
    rows["checkins"][0]["Date"] = "09/10/2026"
    path = make_workbook(tmp_path, **rows)
    problems = _problems(tmp_path, path)
    wrong = _only(problems, "ambiguous-date")
    assert wrong.severity == "warning" and wrong.cell == "Check-ins!B2"
    assert wrong.message == (
        "Date is '09/10/2026': read as 9 October 2026 (day first), but it could be "
        "10 September 2026."
    )
    assert "type dates as YYYY-MM-DD (e.g. 2026-10-09)" in wrong.hint


def test_a_configured_date_order_reads_without_a_warning(tmp_path):
    rows = _rows()
    rows["checkins"][0]["Date"] = "10/09/2026"  # month first: 9 October
    path = make_workbook(tmp_path, **rows)
    config = make_config(tmp_path, organisation={"name": "Test Org", "date_order": "MDY"})
    validated = validate([read_workbook(path)], config, "2026-10", today=date(2026, 12, 1))
    assert not [p for p in validated.problems if p.code == "ambiguous-date"]
    assert validated.checkins["date"].iloc[0].date() == date(2026, 10, 9)


def test_a_date_that_reads_one_way_only_has_no_warning(tmp_path):
    rows = _rows()
    rows["checkins"][0]["Date"] = "25/10/2026"
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    assert not [p for p in problems if p.code in ("ambiguous-date", "not-a-date")]


def test_date_order_must_be_dmy_or_mdy(tmp_path):
    with pytest.raises(ConfigError, match='organisation.date_order must be "DMY"'):
        make_config(tmp_path, organisation={"name": "X", "date_order": "YMD"})


# --- KPIs reported quarterly ----------------------------------------------------------------


def _quarterly(months: dict[str, float]) -> dict:
    rows = sample_rows()
    rows["kpis"][0].update({f"2026-{m:02d}": 0.42 for m in range(1, 11)})
    rows["kpis"][1] = {**rows["kpis"][1], "2026-01": None, "2026-02": None, **months}
    return rows


def test_a_quarterly_kpi_raises_no_month_gap_and_no_missing_actual(tmp_path):
    rows = _quarterly({"2026-03": 6, "2026-06": 5, "2026-09": 5})
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    assert not [p for p in problems if p.code in ("month-gap", "missing-current-actual")]


def test_a_monthly_kpi_with_a_hole_still_gets_month_gap(tmp_path):
    rows = _quarterly({"2026-03": 6, "2026-05": 5, "2026-06": 5, "2026-09": 5})
    problems = _problems(tmp_path, make_workbook(tmp_path, **rows))
    gaps = sorted(p.cell for p in problems if p.code == "month-gap")
    assert gaps == ["KPIs!O3", "KPIs!R3", "KPIs!S3"]


# --- as LibreOffice saves them ---------------------------------------------------------------


def test_hints_survive_a_libreoffice_round_trip(tmp_path, soffice_convert):
    """Text typed in LibreOffice stays text: the same hints at the same cells."""
    rows = _rows()
    rows["initiatives"][0]["Budget"] = "12.345,5"
    rows["checkins"][0]["Date"] = "09/10/2026"
    rows["kpis"].append({"KPI ID": "TOTAL", "2026-10": 12.42})
    source = make_workbook(tmp_path / "src", **rows)
    saved = soffice_convert(source, "xlsx", tmp_path / "lo")
    problems = _problems(tmp_path, saved)
    assert {(p.cell, p.code) for p in problems} >= {
        ("Initiatives!H2", "decimal-comma"),
        ("Check-ins!B2", "ambiguous-date"),
        ("KPIs!A4", "rows-below-table"),
    }
