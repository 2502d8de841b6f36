"""The Excel data book: every scored table, readable formats, and text that stays text."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipeline.advice import advise
from pipeline.render.databook import header_text, write_databook
from pipeline.score import Scored, score
from tests.frames import make_config, make_validated

SHEETS = [
    "KPIs",
    "Objectives",
    "Perspectives",
    "Departments",
    "Organisation",
    "OKRs",
    "OKR departments",
    "Key results",
    "Attention",
    "Advice",
    "Calculations",
    "Restatements",
]
FORMULA_TEXT = '=HYPERLINK("http://evil.example/x","click me")'


@pytest.fixture
def scored() -> Scored:
    """One department, two KPIs (one in %, one red with formula-looking commentary), one OKR."""
    v = make_validated(
        "2026-11",
        objectives=[{"department_id": "OPS", "objective_id": "O1", "perspective": "Financial"}],
        kpis=[
            {"department_id": "OPS", "kpi_id": "K1", "objective_id": "O1", "unit": "%",
             "target": 0.4, "red_threshold": 0.2, "actuals": {"2026-11": 0.3}},
            {"department_id": "OPS", "kpi_id": "K2", "objective_id": "O1", "target": 10,
             "actuals": {"2026-10": 1, "2026-11": 1}, "commentary": FORMULA_TEXT},
        ],
        key_results=[
            {"department_id": "OPS", "okr_objective_id": "OKR1", "kr_id": "KR1",
             "key_result": "-5% cost (was +3%)", "type": "Increase to", "baseline": 1,
             "target": 2, "current": 1.5, "quarter": "2026-Q4", "aligned_to": "K1"},
        ],
        checkins=[
            {"department_id": "OPS", "kr_id": "KR1", "date": "2026-11-20", "value": 1.5,
             "confidence": 6, "note": "@channel"},
        ],
    )  # fmt: skip
    result = score(v, make_config([("OPS", None, False)]))
    result.advice = advise(v, result)
    return result


def _columns(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


def test_workbook_has_every_sheet(scored, tmp_path: Path):
    """One sheet per scored table, in a fixed order, headers bold, frozen and filtered."""
    path = write_databook(scored, tmp_path / "scorecard-2026-11.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.bold
    assert book["KPIs"].max_row == 3  # header + 2 KPIs
    assert book["Advice"].max_row > 1


def test_formula_looking_text_stays_text(scored, tmp_path: Path):
    """Commentary '=HYPERLINK(...)' is written as a string (quote prefix), never a formula."""
    path = write_databook(scored, tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)["KPIs"]
    cell = ws.cell(row=3, column=_columns(ws)["Commentary"])
    assert cell.value == FORMULA_TEXT
    assert cell.data_type == "s"
    assert cell.quotePrefix
    kr = openpyxl.load_workbook(path)["Key results"]
    assert kr.cell(row=2, column=_columns(kr)["Key result"]).data_type == "s"


def test_no_cell_in_the_book_is_a_formula(scored, tmp_path: Path):
    """Whatever the text, nothing in the data book is a formula."""
    path = write_databook(scored, tmp_path / "book.xlsx")
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_scores_are_percentages(scored, tmp_path: Path):
    """Score columns use a % format; a % KPI's actual and target are shown in % too."""
    path = write_databook(scored, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    kpis = book["KPIs"]
    cols = _columns(kpis)
    assert kpis.cell(row=2, column=cols["Score"]).number_format == "0.0%"
    assert kpis.cell(row=2, column=cols["Score"]).value == pytest.approx(0.5)  # (0.3-0.2)/0.2
    assert kpis.cell(row=2, column=cols["Actual"]).number_format == "0.0%"  # unit %
    assert kpis.cell(row=3, column=cols["Actual"]).number_format != "0.0%"  # unit count
    objectives = book["Objectives"]
    assert objectives.cell(row=2, column=_columns(objectives)["Score"]).number_format == "0.0%"
    krs = book["Key results"]
    assert krs.cell(row=2, column=_columns(krs)["Progress"]).number_format == "0.0%"


def test_lists_are_written_as_text(scored, tmp_path: Path):
    """Series, inputs and check-in history become readable text."""
    path = write_databook(scored, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    kpis = book["KPIs"]
    series = kpis.cell(row=3, column=_columns(kpis)["Series"]).value
    assert series == "; ; ; ; ; ; ; ; ; 1; 1; "  # Oct and Nov reported, Dec blank
    objectives = book["Objectives"]
    inputs = objectives.cell(row=2, column=_columns(objectives)["Inputs"]).value
    assert inputs == "K1 0.500×1; K2 0.000×1"
    krs = book["Key results"]
    assert krs.cell(row=2, column=_columns(krs)["Checkins"]).value == (
        "2026-11-20: 1.5 (confidence 6)"
    )


def test_write_is_atomic_and_leaves_no_temporary_file(scored, tmp_path: Path):
    """The book is replaced in place; no temporary file is left beside it."""
    path = tmp_path / "out" / "book.xlsx"
    write_databook(scored, path)
    write_databook(scored, path)
    assert [p.name for p in path.parent.iterdir()] == ["book.xlsx"]


def test_header_text():
    """Column keys become readable headers."""
    assert header_text("kpis_no_data") == "KPIs no data"
    assert header_text("variance_pct") == "Variance %"
    assert header_text("okr_objective_id") == "OKR objective ID"
