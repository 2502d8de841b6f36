"""The template writer: the workbook contract as a finance person meets it in Excel."""

from __future__ import annotations

import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline import contract
from pipeline.config import Config
from pipeline.contract import Sheet, SubmissionField
from pipeline.read import read_workbook
from pipeline.workbook_templates import (
    INPUT_ROWS,
    LAST_INPUT_ROW,
    WorkbookContent,
    write_templates,
    write_workbook,
)
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"
MONTHS = tuple(f"2026-{m:02d}" for m in range(1, 13))
SPECS = {spec.name: spec for spec in contract.data_sheet_specs(MONTHS, contract.PERSPECTIVES)}
INPUT_YELLOW = "FFF2CC"


@pytest.fixture(scope="module")
def blank_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blank FIN template for 2026-10 (calendar fiscal year)."""
    tmp = tmp_path_factory.mktemp("blank")
    config = make_config(tmp)
    return write_workbook(tmp / "FIN.xlsx", config, config.department("FIN"), PERIOD)


@pytest.fixture(scope="module")
def book(blank_path: Path) -> Workbook:
    return load_workbook(blank_path)


def validation_at(ws: Worksheet, cell: str) -> DataValidation:
    """The one data validation covering `cell` (fails when none or several do)."""
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{cell}: {len(found)} validations"
    return found[0]


def list_values(wb: Workbook, formula: str) -> tuple[str, ...]:
    """The values a list validation's `Sheet!$A$2:$A$5` source holds."""
    sheet, ref = formula.split("!")
    cells = wb[sheet.strip("'")][ref.replace("$", "")]
    return tuple(row[0].value for row in cells if row[0].value is not None)


def letter(sheet: str, header: str) -> str:
    """The column letter of `header` on a data sheet."""
    return get_column_letter(SPECS[sheet].headers.index(header) + 1)


def test_sheets_are_in_contract_order(book: Workbook) -> None:
    """The workbook has exactly the contract's sheets, in the contract's order."""
    assert book.sheetnames == list(contract.SHEET_ORDER)


def test_every_data_sheet_has_the_contract_headers_as_text(book: Workbook) -> None:
    """Row 1 of each data sheet holds the exact header text, stored as strings."""
    for name, spec in SPECS.items():
        ws = book[name]
        cells = ws[1][: len(spec.columns)]
        assert tuple(c.value for c in cells) == spec.headers, name
        assert all(c.data_type == "s" for c in cells), name
        assert ws.max_column == len(spec.columns), name


def test_reader_sees_the_headers_in_column_order(blank_path: Path) -> None:
    """read_workbook maps every header of the template to consecutive column letters."""
    raw = read_workbook(blank_path)
    for name, spec in SPECS.items():
        sheet = raw.sheets[name]
        assert tuple(sheet.frame.columns) == spec.headers
        assert sheet.frame.empty
        assert sheet.letters == {h: get_column_letter(i) for i, h in enumerate(spec.headers, 1)}
    assert raw.sheets[Sheet.KPIS].letters["Target"] == "H"
    assert raw.sheets[Sheet.KPIS].letters["2026-01"] == "L"
    assert raw.sheets[Sheet.KPIS].letters["Commentary"] == "X"


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [("2026-10", "2026-04", "2027-03"), ("2027-02", "2026-04", "2027-03")],
)
def test_month_headers_follow_the_fiscal_year_start(
    tmp_path: Path, period: str, first: str, last: str
) -> None:
    """With fiscal_year_start = 4 the KPIs month columns run April to March, as text."""
    config = make_config(tmp_path, fiscal_year_start=4)
    path = write_workbook(tmp_path / "FIN.xlsx", config, config.department("FIN"), period)
    ws = load_workbook(path)[Sheet.KPIS]
    months = [
        c.value for c in ws[1][len(contract.KPI_BASE_COLUMNS) : -2]
    ]  # then Commentary, Definition
    assert months == list(contract.fiscal_year_months(period, 4))
    assert (months[0], months[-1]) == (first, last)
    assert all(isinstance(m, str) for m in months)
    assert list(read_workbook(path).sheets[Sheet.KPIS].frame.columns[11:23]) == months


ENUM_COLUMNS = [
    (name, col.header, col.choices)
    for name, spec in SPECS.items()
    for col in spec.columns
    if col.kind == "enum"
]


@pytest.mark.parametrize(("sheet", "header", "choices"), ENUM_COLUMNS)
def test_enumerated_columns_have_a_dropdown_of_the_contract_values(
    book: Workbook, sheet: str, header: str, choices: tuple[str, ...]
) -> None:
    """Each enumerated column offers exactly its contract values and rejects others."""
    col = letter(sheet, header)
    dv = validation_at(book[sheet], f"{col}2")
    assert dv.type == "list"
    assert dv.formula1.startswith(f"{Sheet.LISTS}!$")
    assert list_values(book, dv.formula1) == choices
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
    assert dv.allow_blank
    assert f"{col}{LAST_INPUT_ROW}" in dv.sqref and f"{col}1" not in dv.sqref


def test_enumerated_columns_are_all_covered() -> None:
    """Perspective, Direction, Aggregation, Type and Status are the enumerated columns."""
    assert {h for _, h, _ in ENUM_COLUMNS} == {
        "Perspective",
        "Direction",
        "Aggregation",
        "Type",
        "Status",
        "Section",
    }
    assert len(ENUM_COLUMNS) == 7  # Perspective on Objectives and KPIs


def test_department_id_dropdown_lists_the_configured_departments(book: Workbook) -> None:
    """Submission!B1 offers the configured department IDs and nothing else."""
    dv = validation_at(book[Sheet.SUBMISSION], "B1")
    assert dv.type == "list" and dv.showErrorMessage and dv.errorStyle in (None, "stop")
    assert list_values(book, dv.formula1) == ("CORP", "FIN", "OPS")


@pytest.mark.parametrize("sheet", [Sheet.KPIS, Sheet.OKRS])
def test_unit_dropdown_suggests_known_units_but_allows_others(book: Workbook, sheet: str) -> None:
    """Unit lists the known units with a warning (not a stop), so EUR-like codes still go in."""
    dv = validation_at(book[sheet], f"{letter(sheet, 'Unit')}2")
    assert dv.type == "list"
    assert list_values(book, dv.formula1) == contract.KNOWN_UNITS
    assert dv.errorStyle == "warning"


@pytest.mark.parametrize(
    ("sheet", "header", "source"),
    [
        (Sheet.KPIS, "Objective ID", "Objectives!$A$2:$A$201"),
        (Sheet.INITIATIVES, "Objective ID", "Objectives!$A$2:$A$201"),
        (Sheet.CHECKINS, "KR ID", "OKRs!$C$2:$C$201"),
    ],
)
def test_id_columns_offer_the_ids_of_the_sheet_they_refer_to(
    book: Workbook, sheet: str, header: str, source: str
) -> None:
    """Objective and KR IDs drop down from their home sheet, warning on anything else."""
    dv = validation_at(book[sheet], f"{letter(sheet, header)}5")
    assert (dv.type, dv.formula1, dv.errorStyle) == ("list", source, "warning")


def test_quarter_dropdown_offers_the_fiscal_year_quarters(book: Workbook) -> None:
    """OKRs Quarter suggests the calendar quarters of the fiscal year (warning only)."""
    dv = validation_at(book[Sheet.OKRS], f"{letter(Sheet.OKRS, 'Quarter')}2")
    assert list_values(book, dv.formula1) == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
    assert dv.errorStyle == "warning"


@pytest.mark.parametrize(
    ("sheet", "header", "rule"),
    [
        (Sheet.OKRS, "Confidence", ("whole", "between", "0", "10")),
        (Sheet.CHECKINS, "Confidence", ("whole", "between", "0", "10")),
        (Sheet.OBJECTIVES, "Weight", ("decimal", "greaterThanOrEqual", "0", None)),
        (Sheet.KPIS, "Weight", ("decimal", "greaterThanOrEqual", "0", None)),
        (Sheet.OKRS, "Weight", ("decimal", "greaterThanOrEqual", "0", None)),
        (Sheet.INITIATIVES, "Progress %", ("decimal", "between", "0", "1")),
    ],
)
def test_numeric_columns_are_range_checked(
    book: Workbook, sheet: str, header: str, rule: tuple[str, str, str, str | None]
) -> None:
    """Confidence is a whole 0-10, weights are >= 0 and progress is 0-100%."""
    dv = validation_at(book[sheet], f"{letter(sheet, header)}2")
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == rule
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")


@pytest.mark.parametrize(
    ("sheet", "header"),
    [(Sheet.KPIS, "Target"), (Sheet.KPIS, "2026-10"), (Sheet.CHECKINS, "Value")],
)
def test_value_columns_refuse_text(book: Workbook, sheet: str, header: str) -> None:
    """Actuals and targets must be numbers: 'n/a' or 'tbc' is refused, blanks are allowed."""
    dv = validation_at(book[sheet], f"{letter(sheet, header)}2")
    assert dv.type == "decimal" and dv.allow_blank and dv.showErrorMessage


def test_lists_sheet_is_hidden(book: Workbook) -> None:
    """The dropdown sources live on a hidden Lists sheet; every other sheet is visible."""
    states = {ws.title: ws.sheet_state for ws in book.worksheets}
    assert states.pop(Sheet.LISTS) == "hidden"
    assert set(states.values()) == {"visible"}


def test_submission_is_prefilled_and_only_the_template_version_is_locked(
    book: Workbook,
) -> None:
    """Submission holds the contract labels; B cells are unlocked except the version."""
    ws = book[Sheet.SUBMISSION]
    labels = [ws.cell(row=r, column=1).value for r in range(1, 7)]
    assert labels == [f.header for f in contract.SUBMISSION_FIELDS]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(1, 7)}
    assert values[SubmissionField.DEPARTMENT_ID].value == "FIN"
    assert values[SubmissionField.PERIOD].value == PERIOD
    assert values[SubmissionField.PERIOD].number_format == "@"
    assert values[SubmissionField.TEMPLATE_VERSION].value == contract.TEMPLATE_VERSION
    submitted = values[SubmissionField.SUBMITTED_ON]
    assert submitted.value == datetime(2026, 10, 31)  # openpyxl reads dates as datetimes
    assert submitted.number_format == "yyyy-mm-dd"
    assert ws.protection.sheet is True
    assert values[SubmissionField.TEMPLATE_VERSION].protection.locked is True
    for label, cell in values.items():
        if label != SubmissionField.TEMPLATE_VERSION:
            assert cell.protection.locked is False, label
    assert ws["A1"].protection.locked is True


def test_every_header_has_a_comment_explaining_the_column(book: Workbook) -> None:
    """Hovering a header shows its help text and whether the column is required."""
    for name, spec in SPECS.items():
        for cell, col in zip(book[name][1], spec.columns, strict=True):
            assert cell.comment is not None, f"{name}!{cell.coordinate}"
            assert col.help in cell.comment.text
            assert ("Required." in cell.comment.text) == col.required


def test_required_columns_have_the_dark_header(book: Workbook) -> None:
    """Required headers: white bold on the primary colour; optional ones dark italic on a
    light tint, so the two read apart in colour and in greyscale. The reporting month's
    header is green and later months grey (see the KPIs month test)."""
    for name, spec in SPECS.items():
        for cell, col in zip(book[name][1], spec.columns, strict=True):
            if name == Sheet.KPIS and col.header in MONTHS and col.header >= PERIOD:
                continue
            dark = cell.fill.fgColor.rgb.endswith("1F3A5F")
            assert dark == col.required, f"{name}!{cell.coordinate}"
            if col.required:
                assert cell.font.b and cell.font.color.rgb.endswith("FFFFFF")
            else:
                assert cell.font.i and not cell.font.b and cell.font.color.rgb.endswith("1D2430")


def test_header_row_is_frozen(book: Workbook) -> None:
    """Row 1 is frozen everywhere; KPIs also keeps ID, objective, perspective and name in view."""
    panes = {name: book[name].freeze_panes for name in SPECS}
    kpis = book[Sheet.KPIS].sheet_view.pane
    assert (kpis.xSplit, kpis.ySplit, kpis.state) == (4, 1, "frozen")
    panes[Sheet.KPIS] = "E2"  # the right pane opens scrolled to the reporting month
    assert panes == {
        Sheet.OBJECTIVES: "A2",
        Sheet.KPIS: "E2",
        Sheet.OKRS: "A2",
        Sheet.CHECKINS: "A2",
        Sheet.INITIATIVES: "A2",
        Sheet.NARRATIVE: "A2",
    }


def test_input_cells_are_yellow_unlocked_and_formatted_by_kind(book: Workbook) -> None:
    """Rows 2..201 are styled inputs with the number format of the column's kind."""
    expected = {"percent": "0%", "date": "yyyy-mm-dd", "number": "#,##0.00"}
    for name, spec in SPECS.items():
        ws = book[name]
        for index, col in enumerate(spec.columns, start=1):
            month = name == Sheet.KPIS and col.header in MONTHS
            for row in (2, 1 + INPUT_ROWS):
                cell = ws.cell(row=row, column=index)
                if month and col.header == PERIOD:
                    assert cell.fill.fgColor.rgb.endswith("D9EAD3"), cell.coordinate  # green
                elif month and col.header > PERIOD:
                    assert cell.fill.fgColor.rgb.endswith("E7E9ED"), cell.coordinate  # grey
                else:
                    assert cell.fill.fgColor.rgb.endswith(INPUT_YELLOW), cell.coordinate
                assert cell.protection.locked is False, cell.coordinate
                if col.kind in expected:
                    assert cell.number_format == expected[col.kind], cell.coordinate
                elif col.kind == "value":
                    assert cell.number_format == "General", cell.coordinate
            assert ws.column_dimensions[letter(name, col.header)].width == col.width
        assert ws.cell(row=LAST_INPUT_ROW + 1, column=1).fill.fgColor.rgb == "00000000"


def test_percent_rows_show_values_as_percentages(tmp_path: Path) -> None:
    """Pre-filled rows whose Unit is % format their value cells as 0.0%, others stay general."""
    rows = sample_rows()
    rows["okrs"][0]["Unit"] = "%"
    path = make_workbook(tmp_path, **rows)
    wb = load_workbook(path)
    kpis = wb[Sheet.KPIS]
    for header in ("Target", "Target max", "Red threshold", "2026-01", "2026-12"):
        assert kpis[f"{letter(Sheet.KPIS, header)}2"].number_format == "0.0%", header
        assert kpis[f"{letter(Sheet.KPIS, header)}3"].number_format == "General", header
    assert kpis["A2"].number_format == "@"
    okrs = wb[Sheet.OKRS]
    assert okrs[f"{letter(Sheet.OKRS, 'Target')}2"].number_format == "0.0%"
    # A check-in takes the unit of its key result.
    assert wb[Sheet.CHECKINS][f"{letter(Sheet.CHECKINS, 'Value')}2"].number_format == "0.0%"


def test_content_is_written_as_given(tmp_path: Path) -> None:
    """Text like '42%', error values and uncached formulas reach the file untouched."""
    kpi = {"KPI ID": "FIN-K1", "Unit": "%", "Target": "42%", "2026-01": "#DIV/0!"}
    kpi["2026-02"] = "=1/0"
    raw = read_workbook(make_workbook(tmp_path, kpis=[kpi]))
    sheet = raw.sheets[Sheet.KPIS]
    assert sheet.frame.loc[2, "Target"] == "42%"
    assert sheet.flags == {"L2": "#DIV/0!", "M2": "formula-without-value"}


def test_submission_overrides_and_submitted_on(tmp_path: Path) -> None:
    """`submission` overrides any field by label; submitted_on defaults to the period end."""
    path = make_workbook(
        tmp_path,
        submission={"Template version": "1999.1", "Approved by": None},
        submitted_on=date(2026, 11, 3),
    )
    values = {k: v for k, (v, _) in read_workbook(path).submission.items()}
    assert values == {
        "Department ID": "FIN",
        "Period (YYYY-MM)": "2026-10",
        "Prepared by": "Alex Example",
        "Approved by": None,
        "Submitted on": date(2026, 11, 3),
        "Template version": "1999.1",
    }


def test_unknown_headers_and_labels_are_refused(tmp_path: Path, config: Config) -> None:
    """A content key that is not a contract header (or Submission label) is a ValueError."""
    dept = config.department("FIN")
    with pytest.raises(ValueError, match=r"KPIs row 1: unknown column\(s\) 'Targt'"):
        write_workbook(
            tmp_path / "x.xlsx", config, dept, PERIOD, WorkbookContent(kpis=[{"Targt": 1}])
        )
    with pytest.raises(ValueError, match="Submission: unknown field"):
        write_workbook(
            tmp_path / "x.xlsx", config, dept, PERIOD, WorkbookContent(submission={"Period": 1})
        )
    with pytest.raises(ValueError, match="YYYY-MM"):
        write_workbook(tmp_path / "x.xlsx", config, dept, "2026/10")
    assert list(tmp_path.iterdir()) == []


def test_regenerating_gives_identical_bytes(tmp_path: Path) -> None:
    """Same inputs, same bytes (fixed dates and zip times), replaced atomically in place."""
    first = make_workbook(tmp_path, **sample_rows())
    data = first.read_bytes()
    second = make_workbook(tmp_path, **sample_rows())  # replaces the file in place
    assert second == first and second.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp file left behind
    props = load_workbook(first).properties
    assert props.creator == "scorecard"
    assert props.created == props.modified == datetime(2026, 10, 1)
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 10, 1, 0, 0, 0)}


def test_write_templates_writes_one_small_file_per_department(
    tmp_path: Path, config: Config
) -> None:
    """`<DEPT>-<period>.xlsx` per configured department, each with its own ID, < 200 KB."""
    out = tmp_path / "templates"
    paths = write_templates(config, PERIOD, out)
    names = [f"{d}-{PERIOD}.xlsx" for d in ("CORP", "FIN", "OPS")]
    assert [p.name for p in paths] == names
    assert sorted(p.name for p in out.iterdir()) == names
    umask = os.umask(0)
    os.umask(umask)
    for path in paths:
        assert path.stat().st_size < 200_000
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # like any saved file, not 0600
        dept = read_workbook(path).submission[SubmissionField.DEPARTMENT_ID][0]
        assert dept == path.stem.removesuffix(f"-{PERIOD}")


def test_instructions_explain_how_to_fill_it_in(book: Workbook) -> None:
    """Instructions: a bold title, wrapped 100-wide text, an example and the rules that bite."""
    ws = book[Sheet.INSTRUCTIONS]
    assert ws.column_dimensions["A"].width == 100
    assert ws["A1"].font.b and "scorecard workbook" in ws["A1"].value
    cells = [c for c in ws["A"] if c.value]
    assert all(c.alignment.wrap_text for c in cells)
    text = "\n".join(c.value for c in cells)
    for phrase in (
        "type 42% or 0.42",
        "A blank is not zero",
        "Gross margin",
        "Target = 42%",
        "Red threshold = 38%",
        "KR ID = FIN-KR1",
        "Group strategy office",
        "'inbox' folder",
        "Finance (FIN)",
        "2026-01 to 2026-12",
    ):
        assert phrase in text, phrase
    for sheet in SPECS:
        assert f"{sheet}:" in text, sheet
    for value in (*contract.PERSPECTIVES, *contract.DIRECTIONS, *contract.AGGREGATIONS):
        assert value in text, value
    for value in (*contract.KR_TYPES, *contract.INITIATIVE_STATUSES):
        assert value in text, value


def test_no_merged_cells(book: Workbook) -> None:
    """No sheet merges cells (merged cells break copy-paste and reading)."""
    assert all(not ws.merged_cells.ranges for ws in book.worksheets)


# --- LibreOffice -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory, soffice_convert) -> tuple[Path, Path]:
    """A filled workbook and the copy LibreOffice re-saved as .xlsx."""
    tmp = tmp_path_factory.mktemp("round-trip")
    narrative = [
        {"Section": "Headline", "Title": "A good month", "Text": "Margin up a point."},
        {"Section": "Decisions required", "Title": "Approve the budget",
         "Owner": "Sam Example", "Due date": date(2026, 11, 20)},
    ]  # fmt: skip
    original = make_workbook(tmp, **sample_rows(), narrative=narrative)
    return original, soffice_convert(original, "xlsx", tmp / "resaved")


def test_libreoffice_resave_keeps_every_value(round_trip: tuple[Path, Path]) -> None:
    """A workbook re-saved by LibreOffice reads back to the same frames and Submission."""
    before, after = (read_workbook(p) for p in round_trip)
    assert after.sheet_names == before.sheet_names == contract.SHEET_ORDER
    assert after.submission == before.submission
    assert set(after.sheets) == set(before.sheets) == set(SPECS)
    for name, sheet in before.sheets.items():
        assert not sheet.frame.empty, name
        pd.testing.assert_frame_equal(after.sheets[name].frame, sheet.frame)
        assert after.sheets[name].letters == sheet.letters
        assert after.sheets[name].flags == sheet.flags == {}


def test_libreoffice_resave_keeps_the_guards(round_trip: tuple[Path, Path]) -> None:
    """Dropdowns, protection, hidden Lists and header comments survive a LibreOffice save."""
    wb = load_workbook(round_trip[1])
    assert wb[Sheet.LISTS].sheet_state == "hidden"
    dv = validation_at(wb[Sheet.KPIS], "C2")
    assert list_values(wb, dv.formula1) == contract.PERSPECTIVES
    submission = wb[Sheet.SUBMISSION]
    assert submission.protection.sheet is True
    assert submission["B6"].protection.locked is True
    assert submission["B3"].protection.locked is False
    assert wb[Sheet.KPIS]["H1"].comment is not None
    # Not asserted: frozen panes. Headless LibreOffice has no view, so it drops every
    # sheet's view settings (panes, selection) on save; a desktop save keeps them.


def test_libreoffice_opens_a_blank_template(
    tmp_path: Path, blank_path: Path, soffice_convert
) -> None:
    """A blank template converts to PDF (Instructions first) and its KPIs sheet to CSV."""
    from pypdf import PdfReader

    pdf = soffice_convert(blank_path, "pdf", tmp_path / "pdf")
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    assert "monthly scorecard workbook" in reader.pages[0].extract_text()

    kpi_sheet = contract.SHEET_ORDER.index(Sheet.KPIS) + 1
    csv_filter = (
        f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{kpi_sheet}"
    )
    csv = soffice_convert(blank_path, csv_filter, tmp_path / "csv")
    header = csv.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(SPECS[Sheet.KPIS].headers)
