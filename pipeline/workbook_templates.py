"""Write blank or pre-filled department workbooks (.xlsx) that follow the contract.

The template is built to be hard to fill wrongly: exact header text on row 1 (frozen, with
a comment explaining each column), yellow unlocked input cells with the right number
format, a dropdown on every enumerated column (sources on the hidden `Lists` sheet),
range checks on confidence, weights, progress, dates and values, and a protected
`Submission` sheet whose template version cannot be typed over.

Output is deterministic: the same config, department, period and content give the same
bytes (fixed document dates and zip timestamps), so regenerating templates is a no-op.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from pipeline import contract
from pipeline.atomic import replacing
from pipeline.config import Config, Department
from pipeline.contract import Column, Sheet, SheetSpec, SubmissionField
from pipeline.render.excel import set_text
from pipeline.vocabulary import DATE_MAX, DATE_MIN, EXCEL_EPOCH

# Input area: rows 2..LAST_INPUT_ROW are styled as inputs; validations reach further down
# (cheap: one range per column) so a long sheet stays guarded past the yellow area.
FIRST_DATA_ROW = 2
INPUT_ROWS = 200
LAST_INPUT_ROW = FIRST_DATA_ROW + INPUT_ROWS - 1
LAST_VALIDATED_ROW = 1000

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: "type here"
FONT = "Calibri"
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
THIN_GREY = Side(style="thin", color="BFBFBF")
INPUT_BORDER = Border(left=THIN_GREY, right=THIN_GREY, top=THIN_GREY, bottom=THIN_GREY)
# KPIs sheet: the reporting month's column stands out; months after it are greyed and
# refuse a value (a data-validation rule, not sheet protection: rows can still be added).
THIS_MONTH_FILL = PatternFill("solid", fgColor="D9EAD3")  # light green: "this month"
_THIS_MONTH_SIDE = Side(style="medium", color="38761D")
THIS_MONTH_BORDER = Border(
    left=_THIS_MONTH_SIDE, right=_THIS_MONTH_SIDE, top=THIN_GREY, bottom=THIN_GREY
)
THIS_MONTH_HEADER_FILL = PatternFill("solid", fgColor="38761D")
FUTURE_FILL = PatternFill("solid", fgColor="E7E9ED")  # grey: "not yet"
FUTURE_HEADER_FILL = PatternFill("solid", fgColor="B7BCC4")
# Optional headers: light fill, dark italic text, so they read apart from required ones
# (white bold on the brand colour) in colour and in greyscale.
OPTIONAL_HEADER_FONT = Font(name=FONT, bold=False, italic=True, color="1D2430")
HELP_FONT = Font(name=FONT, italic=True, color="595959")

NUMBER_FORMATS = {
    "percent": "0%",
    "date": "yyyy-mm-dd",
    "number": "#,##0.00",
    "confidence": "0",
    # Text formats stop Excel turning an ID or a quarter into a date or a number.
    "id": "@",
    "ids": "@",
    "quarter": "@",
}
PERCENT_VALUE_FORMAT = "0.0%"
TEXT_FORMAT = "@"
# Sheet names usable unquoted in a formula (letters first, no spaces or punctuation).
_PLAIN_SHEET_NAME = re.compile(r"[A-Za-z_][A-Za-z_]*")

_CONTENT_FIELDS = {
    Sheet.OBJECTIVES: "objectives",
    Sheet.KPIS: "kpis",
    Sheet.OKRS: "okrs",
    Sheet.CHECKINS: "checkins",
    Sheet.INITIATIVES: "initiatives",
    Sheet.NARRATIVE: "narrative",
}
# Columns whose values take the row's unit (a "%" row is shown as a percentage).
_UNIT_HEADER = "Unit"


class Text(str):
    """Text copied from a workbook: written as text, never read as a formula (`=1+1`)."""


@dataclass
class WorkbookContent:
    """Rows to pre-fill, each a dict keyed by the contract's exact header text.

    KPIs rows use the month labels (`2026-03`) as keys for actuals. `submission` overrides
    Submission values by field label (e.g. {"Prepared by": "A. Jones"}). Values are written
    as given: a test can put `"42%"` text or `"#DIV/0!"` in a cell to exercise validation.
    """

    submission: dict[str, Any] = field(default_factory=dict)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    okrs: list[dict[str, Any]] = field(default_factory=list)
    checkins: list[dict[str, Any]] = field(default_factory=list)
    initiatives: list[dict[str, Any]] = field(default_factory=list)
    narrative: list[dict[str, Any]] = field(default_factory=list)
    # last quarter's OKRs, one line each, listed on the Instructions sheet for reference
    reference_okrs: list[str] = field(default_factory=list)
    prefilled_from: str = ""  # "FIN-2026-10.xlsx (2026-10)": said on the Instructions sheet


def write_workbook(
    path: Path,
    config: Config,
    department: Department,
    period: str,
    content: WorkbookContent | None = None,
    submitted_on: date | None = None,
) -> Path:
    """Write one department's workbook for `period` to `path`; return the path.

    Raises ValueError for a bad period, an unknown header in `content` rows or an unknown
    Submission label. The file appears atomically (atomic.replacing).
    """
    content = content or WorkbookContent()
    year, month = contract.parse_period(period)
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    specs = contract.data_sheet_specs(months, config.perspective_choices)
    _check_content(content, specs)
    stamp = datetime(year, month, 1)

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "scorecard"
    wb.properties.lastModifiedBy = "scorecard"
    wb.properties.title = f"{config.organisation.name} scorecard: {department.id} {period}"
    wb.properties.created = stamp
    wb.properties.modified = stamp

    sheets = {name: wb.create_sheet(name) for name in contract.SHEET_ORDER}
    lists = _write_lists(sheets[Sheet.LISTS], config, months)
    _write_instructions(sheets[Sheet.INSTRUCTIONS], config, department, period, months, content)
    _write_submission(
        sheets[Sheet.SUBMISSION],
        config,
        department,
        period,
        content.submission,
        submitted_on or contract.period_end(period),
        lists,
    )
    kr_units = {
        str(row.get("KR ID")).strip(): row.get(_UNIT_HEADER)
        for row in content.okrs
        if row.get("KR ID") is not None
    }
    for spec in specs:
        rows = getattr(content, _CONTENT_FIELDS[spec.name])
        _write_data_sheet(sheets[spec.name], spec, rows, lists, kr_units, config, period)
    wb.active = 0
    for ws in wb.worksheets:  # only the Instructions tab is selected when the file opens
        ws.sheet_view.tabSelected = ws.title == Sheet.INSTRUCTIONS

    return _save(wb, Path(path), stamp)


def template_name(department_id: str, period: str) -> str:
    """`FIN-2026-11.xlsx`: the name a department's workbook for a period is sent out as."""
    return f"{department_id}-{period}.xlsx"


def write_templates(
    config: Config,
    period: str,
    out_dir: Path,
    contents: dict[str, WorkbookContent] | None = None,
) -> list[Path]:
    """One workbook per configured department: `<out_dir>/<DEPT>-<period>.xlsx`.

    `contents` pre-fills some departments (`pipeline.prefill`); the others are blank.
    """
    out_dir = Path(out_dir)
    contents = contents or {}
    return [
        write_workbook(
            out_dir / template_name(dept.id, period), config, dept, period, contents.get(dept.id)
        )
        for dept in config.departments
    ]


# --- content checks ------------------------------------------------------------------------


def _check_content(content: WorkbookContent, specs: Iterable[SheetSpec]) -> None:
    labels = {f.header for f in contract.SUBMISSION_FIELDS}
    unknown = [k for k in content.submission if k not in labels]
    if unknown:
        raise ValueError(
            f"Submission: unknown field(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(labels))})"
        )
    for spec in specs:
        headers = set(spec.headers)
        for number, row in enumerate(getattr(content, _CONTENT_FIELDS[spec.name]), start=1):
            bad = [k for k in row if k not in headers]
            if bad:
                raise ValueError(
                    f"{spec.name} row {number}: unknown column(s) "
                    f"{', '.join(map(repr, bad))} (headers: {', '.join(spec.headers)})"
                )


# --- Lists (hidden dropdown sources) -------------------------------------------------------


def _fiscal_quarters(months: tuple[str, ...]) -> tuple[str, ...]:
    seen: list[str] = []
    for label in months:
        quarter = contract.quarter_of(label)
        if quarter not in seen:
            seen.append(quarter)
    return tuple(seen)


def _write_lists(ws: Worksheet, config: Config, months: tuple[str, ...]) -> dict[str, str]:
    """Write one list per dropdown column; return list name -> absolute range formula.

    An enumerated column's list is named after its header (data sheets' `enum` columns).
    """
    sources: dict[str, tuple[str, ...]] = {
        "Perspective": config.perspective_choices,
        "Direction": contract.DIRECTIONS,
        "Aggregation": contract.AGGREGATIONS,
        "Type": contract.KR_TYPES,
        "Status": contract.INITIATIVE_STATUSES,
        "Section": contract.NARRATIVE_SECTIONS,
        "Unit": contract.KNOWN_UNITS,
        "Department ID": config.department_ids,
        "Quarter": _fiscal_quarters(months),
    }
    ranges: dict[str, str] = {}
    for index, (name, values) in enumerate(sources.items(), start=1):
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=name).font = Font(name=FONT, bold=True)
        for offset, value in enumerate(values, start=2):
            ws.cell(row=offset, column=index, value=value).number_format = TEXT_FORMAT
        ws.column_dimensions[letter].width = max([14, *(len(v) + 2 for v in values)])
        ranges[name] = _absolute_range(Sheet.LISTS, letter, 2, len(values) + 1)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    return ranges


def _absolute_range(sheet: str, letter: str, first: int, last: int) -> str:
    """`Lists!$A$2:$A$5`; the sheet name is quoted only when Excel needs it."""
    name = sheet if _PLAIN_SHEET_NAME.fullmatch(sheet) else quote_sheetname(sheet)
    return f"{name}!${letter}${first}:${letter}${last}"


# --- Instructions --------------------------------------------------------------------------


def _write_instructions(
    ws: Worksheet,
    config: Config,
    department: Department,
    period: str,
    months: tuple[str, ...],
    content: WorkbookContent,
) -> None:
    corporate = next((d for d in config.departments if d.corporate), None)
    owner = f"the {corporate.name} ({corporate.id})" if corporate else "the strategy office"
    inbox = config.reporting.inbox.name or "inbox"
    example_month = months[0]
    d = department.id
    blocks: list[tuple[str, str]] = [
        ("title", f"{config.organisation.name}: monthly scorecard workbook"),
        (
            "p",
            f"This workbook is for {department.name} ({department.id}), reporting month "
            f"{period}. The fiscal year runs {months[0]} to {months[-1]}: those are the month "
            "columns on the KPIs sheet. Fill in the yellow cells only; do not rename, "
            "reorder or delete sheets or header cells, do not insert columns and do not "
            "merge cells. Hover over a header to see what its column means. Columns with a "
            "dark header are required on every row you fill; light headers are optional.",
        ),
        ("h", "Sheet by sheet"),
        (
            "p",
            "Submission: check your Department ID and the Period (YYYY-MM), then type who "
            "prepared and who approved the workbook and the date you submit it. The template "
            "version is filled in for you and locked.",
        ),
        (
            "p",
            "Objectives: one row per strategic objective of your unit, with a unique ID "
            f"(e.g. {department.id}-O1), its Balanced Scorecard perspective and, under "
            "'Contributes to', the IDs of the objectives it drives (yours or corporate ones), "
            "comma-separated. Weights are relative; blank means 1.",
        ),
        (
            "p",
            "KPIs: one row per measure. Give it an ID, the objective it measures, its unit, "
            "direction and aggregation, the target and (optionally) the red threshold, then "
            "type each month's actual under its month. Leave months you do not know yet "
            "blank. Explain red KPIs in Commentary.",
        ),
        (
            "p",
            "OKRs: one row per key result. Repeat the objective's ID and text on each of its "
            "key results. Give the type, baseline, target, latest value (Current), your "
            "confidence (0-10) and the quarter (YYYY-Qn). At quarter end, add a Reflection.",
        ),
        (
            "p",
            "Check-ins: optional weekly updates of a key result: its KR ID, the date, the "
            "value on that date and your confidence. The latest check-in overrides Current.",
        ),
        (
            "p",
            "Initiatives: the projects behind your objectives, with dates, progress (0% to "
            "100%), budget and spend in the organisation's currency "
            f"({config.organisation.currency}), and a status.",
        ),
        (
            "p",
            "Narrative: (optional) your words for the board, one row each. Headline: the "
            "month in two or three sentences (it heads your page in the pack). Decisions "
            "required: what you ask the board to decide, with an Owner and a Due date. Risks "
            "and issues: what could go wrong, who manages it, by when. Outlook: what comes "
            "next. On the KPIs sheet, the Definition column (optional) says what each KPI "
            "measures; the pack prints it in its KPI glossary.",
        ),
        ("h", "Worked example"),
        (
            "p",
            f"A KPI row (sheet KPIs): KPI ID = {d}-K1, Objective ID = {d}-O1, Perspective = "
            f"{config.perspective_names[0]}, KPI = Gross margin, Unit = %, "
            "Direction = Higher is better, "
            f"Aggregation = Last, Target = 42%, Red threshold = 38%, {example_month} = 41.5%, "
            "Commentary = 'Price rise from March recovers 1 point.'",
        ),
        (
            "p",
            f"An OKR key result row (sheet OKRs): Objective ID = {d}-OKR1, Objective = Close "
            f"the books faster, KR ID = {d}-KR1, Key result = Cut month-end close from 8 to 5 "
            "days, Type = Decrease to, Unit = days, Baseline = 8, Target = 5, Current = 6, "
            f"Confidence = 7, Quarter = {contract.quarter_of(period)}, Aligned to = {d}-O2.",
        ),
        ("h", "The dropdown values"),
        ("li", "Perspective: " + ", ".join(config.perspective_choices) + "."),
        (
            "li",
            "Direction: Higher is better; Lower is better; Within range (on target between "
            "Target and Target max).",
        ),
        (
            "li",
            "Aggregation (how months make the year to date): Last = the latest month; Sum = "
            "the total, with a full-year target; Average = the mean of the months filled in.",
        ),
        (
            "li",
            "Type (key results): Increase to; Decrease to; Stay at or above; Stay at or "
            "below; Milestone (type 1 when done, 0 when not).",
        ),
        ("li", "Status (initiatives): " + ", ".join(contract.INITIATIVE_STATUSES) + "."),
        (
            "li",
            "Unit: " + ", ".join(contract.KNOWN_UNITS) + ", or any other currency code or "
            "count (e.g. tickets).",
        ),
        ("li", "Confidence: a whole number from 0 (no chance) to 10 (certain)."),
        ("h", "Numbers"),
        (
            "li",
            "Percentages: type 42% or 0.42 (both mean forty-two percent). A plain 42 in a % "
            "row would mean 4200%, so it is queried.",
        ),
        (
            "li",
            "A blank is not zero: leave a cell empty when the number is not known yet, and "
            "type 0 only when the value really is zero.",
        ),
        ("li", "Dates: type them as dates (e.g. 2026-10-31), not as text."),
        (
            "li",
            "Formulas are fine inside this workbook; links to other files are not. Error "
            "values such as #DIV/0! are reported as errors.",
        ),
        ("h", "When you are done"),
        (
            "p",
            f"Save the file as .xlsx (e.g. {department.id}-{period}.xlsx) and drop it into "
            f"the shared '{inbox}' folder run by {owner}. To correct it, drop a new version "
            "with a later 'Submitted on' date: the newest one counts. If a problem is found, "
            "you get a note naming the sheet, the cell and how to fix it.",
        ),
    ]
    if content.prefilled_from:
        blocks[2:2] = [
            ("h", "Pre-filled from your last accepted workbook"),
            (
                "p",
                f"This workbook starts from {content.prefilled_from}: objectives, KPI "
                "definitions, targets, thresholds, weights, earlier months' actuals, this "
                "quarter's OKRs and check-ins, and initiatives are filled in. Commentary is "
                f"cleared. Type {period}'s actuals in the highlighted column and update "
                "anything that changed. Earlier months can still be corrected: a change is "
                "reported to the board as a restatement.",
            ),
        ]
    if content.reference_okrs:
        blocks.append(("h", "Last quarter's OKRs, for reference (not part of this workbook)"))
        blocks += [("li", line) for line in content.reference_okrs]
    ws.column_dimensions["A"].width = 100
    ws.sheet_view.showGridLines = False
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1
    for kind, text in blocks:
        if kind == "h":
            row += 1  # a blank line before each heading
        cell = ws.cell(row=row, column=1, value=("\u2022 " + text) if kind == "li" else text)
        cell.alignment = wrap
        if kind == "title":
            cell.font = Font(name=FONT, bold=True, size=16)
            ws.row_dimensions[row].height = 26
        elif kind == "h":
            cell.font = Font(name=FONT, bold=True, size=12)
            ws.row_dimensions[row].height = 20
        else:
            ws.row_dimensions[row].height = _text_height(cell.value)
        row += 1
    # An explicit scale: LibreOffice ignores fit-to-width on this one-column sheet.
    _page_setup(ws, config, "portrait", scale=80)


def _text_height(text: str, chars_per_line: int = 110, line_height: float = 15.0) -> float:
    """A row height that shows wrapped text in a 100-wide column (Excel does not autofit)."""
    lines = sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n"))
    return lines * line_height + 3


# --- Submission ----------------------------------------------------------------------------


def _write_submission(
    ws: Worksheet,
    config: Config,
    department: Department,
    period: str,
    overrides: dict[str, Any],
    submitted_on: date,
    lists: dict[str, str],
) -> None:
    values: dict[str, Any] = {
        SubmissionField.DEPARTMENT_ID: department.id,
        SubmissionField.PERIOD: period,
        SubmissionField.PREPARED_BY: None,
        SubmissionField.APPROVED_BY: None,
        SubmissionField.SUBMITTED_ON: submitted_on,
        SubmissionField.TEMPLATE_VERSION: contract.TEMPLATE_VERSION,
    }
    values.update(overrides)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 60
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, spec in enumerate(contract.SUBMISSION_FIELDS, start=1):
        label = ws.cell(row=row, column=1, value=spec.header)
        label.font = Font(name=FONT, bold=True)
        label.alignment = wrap
        value = ws.cell(row=row, column=2)
        value.border = INPUT_BORDER
        value.alignment = Alignment(horizontal="left", vertical="top")
        if spec.kind == "date":
            value.number_format = NUMBER_FORMATS["date"]
        elif spec.kind == "text":
            value.number_format = TEXT_FORMAT
        value.value = values[spec.header]
        if spec.header == SubmissionField.TEMPLATE_VERSION:
            value.protection = LOCKED
            value.fill = PatternFill("solid", fgColor="E7E6E6")
        else:
            value.protection = UNLOCKED
            value.fill = INPUT_FILL
        if spec.header == SubmissionField.TEMPLATE_VERSION:
            required = "Locked. "
        else:
            required = "Required. " if spec.required else "Optional. "
        note = ws.cell(row=row, column=3, value=required + spec.help)
        note.font = HELP_FONT
        note.alignment = wrap
        ws.row_dimensions[row].height = _text_height(note.value, chars_per_line=68)

    rows = {spec.header: n for n, spec in enumerate(contract.SUBMISSION_FIELDS, start=1)}
    dept = DataValidation(
        type="list",
        formula1=lists["Department ID"],
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="Unknown department",
        error="Pick your department's ID from the list.",
    )
    dept.add(f"B{rows[SubmissionField.DEPARTMENT_ID]}")
    period_check = DataValidation(
        type="textLength",
        operator="equal",
        formula1="7",
        showErrorMessage=True,
        errorTitle="Period",
        error="Type the reporting month as YYYY-MM, e.g. 2026-10.",
    )
    period_check.add(f"B{rows[SubmissionField.PERIOD]}")
    when = _date_validation()
    when.add(f"B{rows[SubmissionField.SUBMITTED_ON]}")
    for dv in (dept, period_check, when):
        ws.add_data_validation(dv)
    ws.sheet_properties.tabColor = config.branding.accent_colour.lstrip("#").upper()
    _page_setup(ws, config, "landscape", scale=90)
    ws.protection.sheet = True
    ws.sheet_view.selection[0].activeCell = "B1"
    ws.sheet_view.selection[0].sqref = "B1"


# --- data sheets ---------------------------------------------------------------------------


def _write_data_sheet(
    ws: Worksheet,
    spec: SheetSpec,
    rows: list[dict[str, Any]],
    lists: dict[str, str],
    kr_units: dict[str, Any],
    config: Config,
    period: str,
) -> None:
    primary = config.branding.primary_colour
    required_fill = PatternFill("solid", fgColor=primary.lstrip("#").upper())
    optional_fill = PatternFill("solid", fgColor=_tint(primary, 0.8))
    last_row = max(LAST_INPUT_ROW, FIRST_DATA_ROW + len(rows) - 1)
    for index, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index, value=col.header)  # always text, never a date
        month = col.kind == "value" and spec.name == Sheet.KPIS and _is_month(col.header)
        header.font = HEADER_FONT if col.required else OPTIONAL_HEADER_FONT
        header.fill = required_fill if col.required else optional_fill
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.number_format = TEXT_FORMAT
        header.comment = _comment(col)
        ws.column_dimensions[letter].width = col.width
        fmt = NUMBER_FORMATS.get(col.kind, "General")
        wrap = col.kind == "text" and col.width >= 30
        alignment = Alignment(wrap_text=True, vertical="top") if wrap else None
        first = ws.cell(row=FIRST_DATA_ROW, column=index)
        first.fill = INPUT_FILL
        first.protection = UNLOCKED
        first.border = INPUT_BORDER
        validations = _validations(spec, col, lists)
        if month and col.header == period:
            header.fill, header.font = THIS_MONTH_HEADER_FILL, HEADER_FONT
            first.fill, first.border = THIS_MONTH_FILL, THIS_MONTH_BORDER
        elif month and col.header > period:
            header.fill = FUTURE_HEADER_FILL
            first.fill = FUTURE_FILL
            validations = [_blank_only(letter, col.header, period)]
        first.number_format = fmt
        if alignment is not None:
            first.alignment = alignment
        for row in range(FIRST_DATA_ROW + 1, last_row + 1):
            # Copying the style array is what openpyxl's copy_worksheet does: ~20x faster
            # than assigning four style objects to each of the ~12,000 input cells.
            ws.cell(row=row, column=index)._style = copy(first._style)
        for dv in validations:
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{max(LAST_VALIDATED_ROW, last_row)}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 30

    value_columns = [i for i, c in enumerate(spec.columns, start=1) if c.kind == "value"]
    for offset, values in enumerate(rows):
        row = FIRST_DATA_ROW + offset
        for header, value in values.items():
            index = spec.headers.index(header) + 1
            if isinstance(value, Text):
                set_text(ws.cell(row=row, column=index), value)
            else:
                ws.cell(row=row, column=index).value = value
        unit = values.get(_UNIT_HEADER)
        if unit is None and spec.name == Sheet.CHECKINS:
            unit = kr_units.get(str(values.get("KR ID")).strip())
        if isinstance(unit, str) and unit.strip() == contract.PERCENT_UNIT:
            for index in value_columns:
                cell = ws.cell(row=row, column=index)
                if not isinstance(cell.value, date):  # a date stays a date, as given
                    cell.number_format = PERCENT_VALUE_FORMAT

    if spec.name == Sheet.KPIS:
        _kpi_view(ws, spec, period)
    else:
        ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _page_setup(ws, config, "landscape", fit_width=True)


def _is_month(header: str) -> bool:
    return len(header) == 7 and header[4] == "-" and header.replace("-", "").isdigit()


def _blank_only(letter: str, month: str, period: str) -> DataValidation:
    """A month after the reporting month refuses a value; no sheet protection needed."""
    return DataValidation(
        type="custom",
        formula1=f"LEN({letter}{FIRST_DATA_ROW})=0",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Future month",
        error=f"{month} is after the reporting month {period}: leave it blank for now.",
    )


def _kpi_view(ws: Worksheet, spec: SheetSpec, period: str) -> None:
    """Freeze the KPI's ID and description columns; open scrolled to the reporting month.

    The right-hand pane starts two months before the reporting month, so on a laptop at
    100 % zoom the month to fill in is on screen without scrolling.
    """
    ws.freeze_panes = "E2"
    headers = spec.headers
    if period in headers:
        start = max(headers.index(period) - 2, headers.index("Unit"))
        pane = ws.sheet_view.pane
        pane.topLeftCell = f"{get_column_letter(start + 1)}2"
        ws.sheet_view.selection[-1].activeCell = f"{get_column_letter(headers.index(period) + 1)}2"
        ws.sheet_view.selection[-1].sqref = ws.sheet_view.selection[-1].activeCell


def _tint(colour: str, amount: float) -> str:
    """`#1f3a5f` mixed with `amount` of white, as openpyxl's RRGGBB."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def _page_setup(
    ws: Worksheet, config: Config, orientation: str, scale: int = 100, fit_width: bool = False
) -> None:
    setup = ws.page_setup
    setup.orientation = orientation
    setup.paperSize = ws.PAPERSIZE_A4 if config.branding.page_size == "A4" else ws.PAPERSIZE_LETTER
    ws.page_margins.left = ws.page_margins.right = 0.5
    if fit_width:
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        setup.scale = scale


def _comment(col: Column) -> Comment:
    text = f"{col.header}\n{'Required. ' if col.required else 'Optional. '}{col.help}"
    lines = sum(max(1, -(-len(part) // 40)) for part in text.split("\n"))
    return Comment(text, "scorecard", height=20 + 15 * lines, width=280)


def _objective_ids() -> str:
    letter = get_column_letter(contract.OBJECTIVES.headers.index("Objective ID") + 1)
    return _absolute_range(Sheet.OBJECTIVES, letter, FIRST_DATA_ROW, LAST_INPUT_ROW)


def _kr_ids() -> str:
    letter = get_column_letter(contract.OKRS.headers.index("KR ID") + 1)
    return _absolute_range(Sheet.OKRS, letter, FIRST_DATA_ROW, LAST_INPUT_ROW)


def _validations(spec: SheetSpec, col: Column, lists: dict[str, str]) -> list[DataValidation]:
    """The data validations of one column (usually zero or one)."""
    if col.kind == "enum":
        return [
            _list(
                lists[col.header],
                "stop",
                col.header,
                f"Pick one from the list: {', '.join(col.choices)}.",
            )
        ]
    if col.header == _UNIT_HEADER:
        return [
            _list(
                lists["Unit"],
                "warning",
                "Unit",
                "Not one of the usual units (%, count, hours, days, score, ratio, a "
                "currency code). Click Yes to keep it if it is right.",
            )
        ]
    if col.key == "objective_id" and spec.name in (Sheet.KPIS, Sheet.INITIATIVES):
        return [
            _list(
                _objective_ids(),
                "warning",
                "Objective ID",
                "This ID is not on the Objectives sheet. Click Yes to keep it only if it is "
                "a corporate objective.",
            )
        ]
    if col.key == "kr_id" and spec.name == Sheet.CHECKINS:
        return [
            _list(
                _kr_ids(),
                "warning",
                "KR ID",
                "This KR ID is not on the OKRs sheet. Check the spelling.",
            )
        ]
    if col.kind == "quarter":
        return [
            _list(
                lists["Quarter"],
                "warning",
                "Quarter",
                "Type the quarter as YYYY-Qn, e.g. 2026-Q4. Click Yes to keep an "
                "earlier or later quarter.",
            )
        ]
    if col.kind == "confidence":
        return [_range("whole", "0", "10", "Confidence", "Type a whole number from 0 to 10.")]
    if col.kind == "weight":
        return [
            DataValidation(
                type="decimal",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Weight",
                error="Type a number of 0 or more (blank counts as 1).",
            )
        ]
    if col.kind == "percent":
        return [_range("decimal", "0", "1", col.header, "Type a percentage from 0% to 100%.")]
    if col.kind == "date":
        return [_date_validation()]
    if col.kind in ("value", "number"):
        return [
            _range(
                "decimal",
                "-1000000000000",
                "1000000000000",
                col.header,
                "Type a number (a percentage as 42% or 0.42). Leave the cell blank when the "
                "value is not known: a blank is not zero.",
            )
        ]
    return []


def _list(source: str, style: str, title: str, error: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle=style,
        errorTitle=title[:32],
        error=error[:255],
    )


def _range(kind: str, low: str, high: str, title: str, error: str) -> DataValidation:
    return DataValidation(
        type=kind,
        operator="between",
        formula1=low,
        formula2=high,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title[:32],
        error=error[:255],
    )


def _date_validation() -> DataValidation:
    return _range(
        "date",
        str((DATE_MIN - EXCEL_EPOCH).days),
        str((DATE_MAX - EXCEL_EPOCH).days),
        "Date",
        "Type a date, e.g. 2026-10-31.",
    )


# --- saving --------------------------------------------------------------------------------


def _save(wb: Workbook, path: Path, stamp: datetime) -> Path:
    """Save deterministically and atomically: fixed dates, fixed zip times, atomic.replacing."""
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps `modified` with the current time: put ours back
    wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    data = _normalise_zip(buffer.getvalue(), {"docProps/core.xml": core}, stamp)

    with replacing(path) as temp:
        temp.write_bytes(data)
    return path


def _normalise_zip(data: bytes, replace: dict[str, bytes], stamp: datetime) -> bytes:
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, replace.get(info.filename, src.read(info)))
    return out.getvalue()
