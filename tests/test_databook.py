"""The Excel data book: every scored table, readable formats, and text that stays text."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import openpyxl
import pytest

from pipeline.advice import advise
from pipeline.config import Scoring, load_config
from pipeline.render.databook import (
    csv_field,
    header_text,
    kpi_months,
    sheet_slug,
    write_databook,
)
from pipeline.run import read_inbox
from pipeline.score import Scored, score
from pipeline.validate import Validated, validate
from tests.frames import make_config, make_validated

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "examples" / "demo" / "scorecard.toml"
SHEETS = [
    "KPIs",
    "KPI months",
    "Objectives",
    "Perspectives",
    "Departments",
    "Organisation",
    "OKRs",
    "OKR departments",
    "Key results",
    "KR check-ins",
    "Attention",
    "Advice",
    "Calculations",
    "Restatements",
]
FORMULA_TEXT = '=HYPERLINK("http://evil.example/x","click me")'


@pytest.fixture
def validated() -> Validated:
    """One department, two KPIs (one in %, one red with formula-looking commentary), one OKR."""
    return make_validated(
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
            {"department_id": "OPS", "kr_id": "KR1", "date": "2026-10-02", "value": 1.2,
             "note": FORMULA_TEXT},
            {"department_id": "OPS", "kr_id": "KR1", "date": "2026-12-05", "value": 9,
             "note": "after the period end: not counted"},
        ],
    )  # fmt: skip


@pytest.fixture
def scored(validated) -> Scored:
    result = score(validated, make_config([("OPS", None, False)]))
    result.advice = advise(validated, result)
    return result


def _book(scored: Scored, validated: Validated, path: Path) -> Path:
    return write_databook(scored, path, validated, Scoring())


def _columns(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


def test_workbook_has_every_sheet(scored, validated, tmp_path: Path):
    """One sheet per scored table, in a fixed order, headers bold, frozen and filtered."""
    path = _book(scored, validated, tmp_path / "scorecard-2026-11.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.bold
    assert book["KPIs"].max_row == 3  # header + 2 KPIs
    assert book["KPI months"].max_row == 1 + 2 * 11  # January to the period, November
    assert book["KR check-ins"].max_row == 3  # the December check-in is after the period
    assert book["Advice"].max_row > 1


def test_without_validated_frames_the_tidy_sheets_hold_the_header_only(scored, tmp_path):
    """Callers that only have the scored frames still get every sheet."""
    book = openpyxl.load_workbook(write_databook(scored, tmp_path / "book.xlsx"))
    assert book.sheetnames == SHEETS
    assert book["KPI months"].max_row == book["KR check-ins"].max_row == 1
    with pytest.raises(ValueError):
        write_databook(scored, tmp_path / "book.xlsx", scoring=Scoring())


def test_formula_looking_text_stays_text(scored, validated, tmp_path: Path):
    """Commentary '=HYPERLINK(...)' is written as a string (quote prefix), never a formula."""
    path = _book(scored, validated, tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)["KPIs"]
    cell = ws.cell(row=3, column=_columns(ws)["Commentary"])
    assert cell.value == FORMULA_TEXT
    assert cell.data_type == "s"
    assert cell.quotePrefix
    kr = openpyxl.load_workbook(path)["Key results"]
    assert kr.cell(row=2, column=_columns(kr)["Key result"]).data_type == "s"
    checkins = openpyxl.load_workbook(path)["KR check-ins"]
    notes = [c for c in next(checkins.iter_cols(min_col=7, max_col=7, min_row=2))]
    assert [c.value for c in notes] == [FORMULA_TEXT, "@channel"]  # oldest first
    assert all(c.data_type == "s" and c.quotePrefix for c in notes)


def test_no_cell_in_the_book_is_a_formula(scored, validated, tmp_path: Path):
    """Whatever the text, nothing in the data book is a formula."""
    path = _book(scored, validated, tmp_path / "book.xlsx")
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_scores_are_percentages(scored, validated, tmp_path: Path):
    """Score columns use a % format; a % KPI's actual and target are shown in % too."""
    path = _book(scored, validated, tmp_path / "book.xlsx")
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


def test_lists_are_written_as_text_and_the_lossy_series_are_gone(scored, validated, tmp_path):
    """Inputs stay readable text; the rounded series and check-in texts are not written
    (the tidy sheets hold them at full precision)."""
    path = _book(scored, validated, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    assert "Series" not in _columns(book["KPIs"])
    assert "Checkins" not in _columns(book["Key results"])
    objectives = book["Objectives"]
    inputs = objectives.cell(row=2, column=_columns(objectives)["Inputs"]).value
    assert inputs == "K1 0.500×1; K2 0.000×1"


def test_tidy_months_keep_blanks_empty_and_every_digit(scored, validated, tmp_path):
    """K2 reported October and November only: the other months are empty cells, never 0."""
    validated.actuals.loc[validated.actuals["kpi_id"] == "K2", "value"] = [
        math.nan] * 9 + [0.1 + 0.2, 1 / 3, math.nan]  # fmt: skip
    scored = score(validated, make_config([("OPS", None, False)]))
    path = _book(scored, validated, tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)["KPI months"]
    cols = _columns(ws)
    rows = [
        {name: ws.cell(row=r, column=c).value for name, c in cols.items()}
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=cols["KPI ID"]).value == "K2"
    ]
    assert [r["Month"] for r in rows] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert [r["Actual"] for r in rows] == [None] * 9 + [0.1 + 0.2, 1 / 3]
    assert [r["YTD actual"] for r in rows] == [None] * 9 + [0.1 + 0.2, 1 / 3]  # Last
    assert rows[-1]["Target phased"] == 10 and rows[-1]["Status"] == "Red"
    assert ws.cell(row=2, column=cols["Actual"]).number_format == "General"
    fields = _csv_rows(path.parent / "data" / "kpi-months.csv")
    k2 = [r for r in fields if r["kpi_id"] == "K2"]
    assert [r["actual"] for r in k2[:9]] == [""] * 9
    assert [float(r["actual"]) for r in k2[9:]] == [0.1 + 0.2, 1 / 3]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_sheet_has_a_csv_twin_that_round_trips(scored, validated, tmp_path):
    """data/<slug>.csv per sheet, same rows, header of column keys, numbers exact."""
    path = _book(scored, validated, tmp_path / "reports" / "2026-11" / "book.xlsx")
    folder = path.parent / "data"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{sheet_slug(s)}.csv" for s in SHEETS
    )
    book = openpyxl.load_workbook(path)
    for title in SHEETS:
        with (folder / f"{sheet_slug(title)}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        ws = book[title]
        assert len(rows) == ws.max_row, title
        assert [header_text(k) for k in rows[0]] == [c.value for c in ws[1]], title
    months = kpi_months(scored, validated, Scoring())
    fields = _csv_rows(folder / "kpi-months.csv")
    for name in ("actual", "ytd_actual", "target_phased", "red", "score"):
        for field, value in zip((r[name] for r in fields), months[name], strict=True):
            assert (field == "") if math.isnan(value) else float(field) == value, name
    kpis = _csv_rows(folder / "kpis.csv")
    assert [float(r["actual"]) for r in kpis] == list(scored.kpis["actual"])
    assert kpis[1]["commentary"] == "'" + FORMULA_TEXT  # text, never a formula
    krs = _csv_rows(folder / "key-results.csv")
    assert krs[0]["key_result"] == "'-5% cost (was +3%)"
    checkins = _csv_rows(folder / "kr-check-ins.csv")
    assert [(c["date"], c["value"], c["note"]) for c in checkins] == [
        ("2026-10-02", "1.2", "'" + FORMULA_TEXT),
        ("2026-11-20", "1.5", "'@channel"),
    ]
    assert checkins[0]["confidence"] == "" and checkins[1]["confidence"] == "6.0"


def test_csv_fields():
    """Numbers keep every digit and their sign; hostile or illegal text is defused."""
    assert csv_field("x", 0.1 + 0.2) == "0.30000000000000004"
    assert float(csv_field("x", 1 / 3)) == 1 / 3
    assert csv_field("x", -1.5) == "-1.5"  # a number, not text: no apostrophe
    assert csv_field("x", math.nan) == "" and csv_field("x", None) == ""
    assert csv_field("x", "-1+2") == "'-1+2"
    assert csv_field("x", "\tcmd") == "'\tcmd"
    assert csv_field("x", "#DIV/0!") == "'#DIV/0!"
    assert csv_field("x", "a\x01b") == "a\ufffdb"
    assert csv_field("x", "plain = fine") == "plain = fine"
    assert csv_field("x", True) == "TRUE"


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    intake = read_inbox(config)
    validated = validate(intake.workbooks, config, "2026-10", intake.unreadable)
    return config, validated, score(validated, config)


def test_tidy_months_rebuild_every_demo_kpi_actual_exactly(demo, tmp_path):
    """For every demo KPI, the period month's YTD actual is scored.kpis.actual to the last bit,
    and recomputing Sum / Average / Last from the tidy monthly actuals gives the same number;
    the month's score, status and red are the scored ones."""
    config, validated, scored = demo
    path = write_databook(scored, tmp_path / "book.xlsx", validated, config.scoring)
    ws = openpyxl.load_workbook(path)["KPI months"]
    cols = _columns(ws)
    reported: dict[tuple[str, str], list[float]] = {}
    for d, k, i, v in validated.actuals[
        ["department_id", "kpi_id", "month_index", "value"]
    ].itertuples(index=False):
        if i <= 10:
            reported.setdefault((d, k), [math.nan] * 10)[i - 1] = v
    assert any(math.isnan(v) for values in reported.values() for v in values)
    by_kpi: dict[tuple[str, str], list[dict]] = {}
    for r in range(2, ws.max_row + 1):
        row = {name: ws.cell(row=r, column=c).value for name, c in cols.items()}
        by_kpi.setdefault((row["Department ID"], row["KPI ID"]), []).append(row)
    assert len(by_kpi) == len(scored.kpis)
    aggregations = set()
    for kpi in scored.kpis.to_dict("records"):
        rows = by_kpi[(kpi["department_id"], kpi["kpi_id"])]
        assert [r["Month index"] for r in rows] == list(range(1, 11))
        last = rows[-1]
        assert last["Month"] == "2026-10"
        months = [r["Actual"] for r in rows]
        typed = reported[(kpi["department_id"], kpi["kpi_id"])]
        assert months == [None if math.isnan(v) else v for v in typed]  # blank: empty, not 0
        filled = [m for m in months if m is not None]
        if math.isnan(kpi["actual"]):
            assert last["YTD actual"] is None and last["Status"] == "No data"
            continue
        aggregations.add(kpi["aggregation"])
        rebuilt = {
            "Sum": math.fsum(filled),
            "Average": math.fsum(filled) / len(filled) if filled else None,
            "Last": months[-1],
        }[kpi["aggregation"]]
        assert last["YTD actual"] == kpi["actual"] == rebuilt, kpi["kpi_id"]
        assert last["Score"] == kpi["score"] and last["Status"] == kpi["status"]
        assert last["Target phased"] == kpi["target_ytd"]
        assert last["Red"] == (None if math.isnan(kpi["red"]) else kpi["red"])
    assert aggregations == {"Sum", "Average", "Last"}
    fields = _csv_rows(tmp_path / "data" / "kpi-months.csv")
    period_rows = {(f["department_id"], f["kpi_id"]): f for f in fields if f["month"] == "2026-10"}
    for kpi in scored.kpis.to_dict("records"):
        field = period_rows[(kpi["department_id"], kpi["kpi_id"])]["ytd_actual"]
        if not math.isnan(kpi["actual"]):
            assert float(field) == kpi["actual"]


def test_write_is_atomic_and_leaves_no_temporary_file(scored, tmp_path: Path):
    """The book is replaced in place; no temporary file is left beside it."""
    path = tmp_path / "out" / "book.xlsx"
    write_databook(scored, path)
    write_databook(scored, path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["book.xlsx", "data"]
    assert sorted(p.name for p in (path.parent / "data").iterdir()) == sorted(
        f"{sheet_slug(s)}.csv" for s in SHEETS
    )


def test_header_text():
    """Column keys become readable headers."""
    assert header_text("kpis_no_data") == "KPIs no data"
    assert header_text("variance_pct") == "Variance %"
    assert header_text("okr_objective_id") == "OKR objective ID"
