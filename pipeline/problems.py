"""Problem records and the one catalogue of stable problem codes, messages and hints."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from string import Formatter
from typing import Any

import pandas as pd

ERROR = "error"
WARNING = "warning"


# Placeholders every message may use; the rest are named per code (see `Kind.fields`).
COMMON_FIELDS = frozenset({"sheet", "column", "value", "department"})


@dataclass(frozen=True)
class Kind:
    severity: str
    title: str
    message: str  # str.format template with named placeholders
    hint: str  # the fix, in the submitter's words; may name placeholders too ("Type {percent}")

    @property
    def fields(self) -> frozenset[str]:
        """The code's own placeholders: what `problem(...)` must be given as keywords."""
        names = {
            name
            for template in (self.message, self.hint)
            for _, name, _, _ in Formatter().parse(template)
            if name
        }
        return frozenset(names - COMMON_FIELDS)


# Stable codes: tools and people rely on them. Add, never rename.
CATALOGUE: dict[str, Kind] = {
    # --- files -----------------------------------------------------------------------------
    "unreadable-file": Kind(
        ERROR,
        "File cannot be read",
        "The file could not be opened as a workbook: {reason}",
        "Open it and save it again as 'Excel Workbook (.xlsx)' (or in LibreOffice as "
        "'ODF Spreadsheet (.ods)'), then re-submit; if it will not open, send your own copy "
        "again.",
    ),
    "encrypted-file": Kind(
        ERROR,
        "File is password-protected",
        "The workbook is encrypted or password-protected.",
        "Remove the password (Excel: File > Info > Protect Workbook; LibreOffice: File > "
        "Save As without 'Save with password') and re-submit.",
    ),
    "not-xlsx": Kind(
        ERROR,
        "Not an .xlsx workbook",
        "The file is not an .xlsx workbook ({what}).",
        "Open it and Save As 'Excel Workbook (.xlsx)', then submit that file.",
    ),
    "not-ods": Kind(
        ERROR,
        "Not an .ods spreadsheet",
        "The file is not an .ods spreadsheet ({what}).",
        "Open it and save it again as 'ODF Spreadsheet (.ods)' in LibreOffice or as "
        "'Excel Workbook (.xlsx)' in Excel, then submit that file.",
    ),
    # Spreadsheet formats that are never read: each says what to do, in the submitter's words.
    "xls-file": Kind(
        ERROR,
        "Old Excel format (.xls)",
        "The file is an .xls file, the old Excel 97-2003 format, which is not read.",
        "Open it and Save As 'Excel Workbook (.xlsx)', then submit the .xlsx file.",
    ),
    "xlsb-file": Kind(
        ERROR,
        "Excel binary format (.xlsb)",
        "The file is an .xlsb file (Excel Binary Workbook), which is not read.",
        "Open it in Excel and Save As 'Excel Workbook (.xlsx)', then submit the .xlsx file.",
    ),
    "numbers-file": Kind(
        ERROR,
        "Apple Numbers file (.numbers)",
        "The file is an Apple Numbers spreadsheet (.numbers), which is not read.",
        "In Numbers choose File > Export To > Excel, then submit the .xlsx file.",
    ),
    "csv-file": Kind(
        ERROR,
        "CSV file (.csv)",
        "The file is a .csv text file: it holds one sheet at most, not the workbook's "
        "sheets, and is not read.",
        "Submit the scorecard workbook itself (.xlsx or .ods), not a sheet saved as CSV.",
    ),
    "file-too-large": Kind(
        ERROR,
        "File too large",
        "The file is too large: {size}.",
        "Remove pasted images or extra sheets; the template is well under 1 MB.",
    ),
    "reader-crashed": Kind(
        ERROR,
        "Reader stopped on this file",
        "The spreadsheet reader stopped while reading this file ({how}): it is damaged, or "
        "built to crash spreadsheet software.",
        "Open it in Excel, save it again as Excel Workbook (.xlsx) and re-submit.",
    ),
    "too-slow": Kind(
        ERROR,
        "File took too long to read",
        "Reading the file took longer than {seconds} seconds, so it was stopped.",
        "Remove pasted images, extra sheets and unused formatted rows; then re-submit.",
    ),
    "sheet-too-large": Kind(
        ERROR,
        "Sheet too large",
        "Sheet {sheet} has {rows} rows x {columns} columns, over the limit of {limit}.",
        "Delete unused rows and columns below and right of your data.",
    ),
    "missing-sheet": Kind(
        ERROR,
        "Sheet missing",
        "The workbook has no sheet named {sheet!r}.",
        "Use the latest template; do not rename or delete its sheets.",
    ),
    "missing-column": Kind(
        ERROR,
        "Column missing",
        "Sheet {sheet} has no column {column!r} in row 1.",
        "Restore the header row from the template; do not rename headers.",
    ),
    "unknown-column": Kind(
        WARNING,
        "Unexpected column",
        "Sheet {sheet} has a column {column!r} that the template does not have; it is ignored.",
        "Remove the column, or put notes in the Commentary/Note column.",
    ),
    "duplicate-file": Kind(
        WARNING,
        "Superseded submission",
        "Another workbook for {department} {period} ({newer_file}) is used instead of this "
        "one: it has {rule}.",
        "Nothing to do if the newer file is the right one.",
    ),
    "earlier-file-used": Kind(
        WARNING,
        "Earlier workbook used instead",
        "Because this workbook was rejected, {department}'s workbook {used_file} is used "
        "for {period}.",
        "Fix the errors and submit again; until then the earlier workbook counts.",
    ),
    "stale-submission": Kind(
        WARNING,
        "Stale data shown",
        "No accepted workbook this period: the pack shows the last accepted "
        "submission of {department} (period {as_of_period}), file {value}, marked stale.",
        "Re-submit a corrected workbook for this period.",
    ),
    "missing-submission": Kind(
        WARNING,
        "No submission",
        "No workbook received from department {department} for this period.",
        "Ask the department to submit its workbook.",
    ),
    # --- submission sheet ---------------------------------------------------------------------
    "unknown-department": Kind(
        ERROR,
        "Unknown department",
        "Department ID {value!r} is not in the configuration.",
        "Pick your department ID from the dropdown.",
    ),
    "ambiguous-date": Kind(
        WARNING,
        "Date that reads two ways",
        "{column} is {value!r}: read as {read} (day first), but it could be {other}.",
        "If {read} is right, nothing to do; to be sure, type dates as YYYY-MM-DD (e.g. {iso}). "
        "The analyst can set the organisation's date order (date_order) in scorecard.toml.",
    ),
    "period-behind-file": Kind(
        ERROR,
        "Period not updated",
        "Period is {value!r}, but the file name says {named} and the KPIs sheet has actuals "
        "for {named}: the Period was probably copied from last month's workbook.",
        "Set Period on the Submission sheet to {named}.",
    ),
    "future-period": Kind(
        ERROR,
        "Period in the future",
        "The workbook is for period {value!r}, a month that has not ended yet (this month is "
        "{this_month}).",
        "Set Period to the month the figures are for, e.g. last month.",
    ),
    "foreign-ids": Kind(
        ERROR,
        "Workbook of another department",
        "Department ID says {department}, but the workbook's IDs belong to {owner}: "
        "{examples}. It looks like a copy of {owner}'s workbook.",
        "Start from your own department's workbook, or set Department ID and the IDs to your "
        "own department's.",
    ),
    "nothing-reported": Kind(
        ERROR,
        "Workbook reports nothing",
        "The workbook has no KPI value for {period} and no key-result check-in or current "
        "value for {quarter}: there is nothing to report.",
        "Fill in this month's KPI actuals (KPIs sheet) or your key results' progress.",
    ),
    "unknown-template-version": Kind(
        ERROR,
        "Unknown template version",
        "Template version {value!r} is not known.",
        "Download the current template and copy your data into it.",
    ),
    # --- cell values ------------------------------------------------------------------------
    "required-value": Kind(ERROR, "Value required", "{column} is required.", "Fill in this cell."),
    "not-a-number": Kind(
        ERROR,
        "Not a number",
        "{column} must be a number, got {value!r}.",
        "Type a plain number such as 1234.5 or 42%; no words or units.",
    ),
    "not-a-date": Kind(
        ERROR,
        "Not a date",
        "{column} must be a date, got {value!r}.",
        "Type the date as YYYY-MM-DD (e.g. 2026-10-31) or pick it from a calendar.",
    ),
    "bad-period": Kind(
        ERROR,
        "Bad period",
        "{column} must look like YYYY-MM, got {value!r}.",
        "Type the month as e.g. 2026-10.",
    ),
    "bad-quarter": Kind(
        ERROR,
        "Bad quarter",
        "{column} must look like YYYY-Qn, got {value!r}.",
        "Type the quarter as e.g. 2026-Q4.",
    ),
    "formula-without-value": Kind(
        ERROR,
        "Formula with no value",
        "{column} holds a formula with no saved result.",
        "Open the file in Excel, let it calculate, save, and re-submit; or type the value.",
    ),
    "error-value": Kind(
        ERROR,
        "Spreadsheet error",
        "{column} holds the spreadsheet error {value}.",
        "Fix the formula so it gives a number, or type the value.",
    ),
    "not-in-list": Kind(
        ERROR,
        "Not one of the allowed values",
        "{column} must be one of: {allowed}; got {value!r}.",
        "Pick a value from the cell's dropdown list.",
    ),
    "out-of-range": Kind(
        ERROR,
        "Value out of range",
        "{column} must be {expected}, got {value!r}.",
        "Correct the value.",
    ),
    "implausible-date": Kind(
        ERROR, "Implausible date", "{column} {value!r} is outside {years}.", "Check the year."
    ),
    "percent-as-whole-number": Kind(
        ERROR,
        "Percentage typed as a whole number",
        "{column} is {value!r} in a percentage: probably meant {percent}.",
        "Type {percent} with the % sign, or {fraction}.",
    ),
    "rows-below-table": Kind(
        ERROR,
        "A total or a note below the table",
        "{rows} below the table: a total or a note, not a {item} (first cell: {value!r}).",
        "Delete {which}, or move the note into the Commentary or Note column.",
    ),
    "decimal-comma": Kind(
        ERROR,
        "Number written with a decimal comma",
        "{column} is {value!r}, written the European way: did you mean {meant}?",
        "Type {meant}: a point for decimals and no thousands separators.",
    ),
    "point-as-thousands": Kind(
        ERROR,
        "Point typed as a thousands separator",
        "{column} is {value!r}, about 1,000 times below the KPI's {reference}: the point "
        "was probably meant to separate thousands.",
        "Did you mean {meant}? Type {meant} with no separators (a point is a decimal point).",
    ),
    "implausible-value": Kind(
        ERROR,
        "Value far from the KPI's own scale",
        "{column} is {value!r}, over 100 times {direction} the KPI's {reference}: probably "
        "a slip in units or the decimal point.",
        "Check the units and the decimal point. If the figure is right, ask the analyst.",
    ),
    "duplicate-id": Kind(
        ERROR,
        "Duplicate ID",
        "{column} {value!r} is used more than once ({places}).",
        "Give every row its own ID; IDs are unique across the organisation.",
    ),
    "text-too-long": Kind(
        WARNING,
        "Text too long",
        "{column} is longer than {limit} characters; the pack shows the first {limit}.",
        "Keep it short; put the detail in a separate document.",
    ),
    # --- cross-sheet ------------------------------------------------------------------------
    "unknown-objective": Kind(
        ERROR,
        "Unknown objective",
        "{column} {value!r} names no objective on the Objectives sheet "
        "(or the corporate strategy map).",
        "Use an Objective ID from the Objectives sheet.",
    ),
    "unknown-alignment": Kind(
        ERROR,
        "Unknown alignment",
        "Aligned to {value!r} names no BSC objective or KPI.",
        "Use an Objective ID or KPI ID of your scorecard or the corporate one.",
    ),
    "unknown-kr": Kind(
        ERROR,
        "Unknown key result",
        "Check-in for {value!r}: no such KR ID on the OKRs sheet.",
        "Use a KR ID from the OKRs sheet.",
    ),
    "perspective-mismatch": Kind(
        WARNING,
        "Perspective differs from objective",
        "The KPI is in perspective {value!r} but its objective is in {objective_perspective}.",
        "Use the objective's perspective.",
    ),
    "okr-objective-inconsistent": Kind(
        ERROR,
        "OKR objective text differs",
        "OKR objective {okr_objective} has different texts on its rows.",
        "Repeat the same objective text on every key result row.",
    ),
    "corporate-map-missing": Kind(
        WARNING,
        "Corporate objective not checked",
        "{column} {value!r} cannot be checked: {reason}.",
        "Nothing to do now; it is checked once the strategy office's workbook is accepted.",
    ),
    # --- KPI definitions --------------------------------------------------------------------
    "range-without-max": Kind(
        ERROR,
        "Range needs Target max",
        "A Within range KPI needs Target max greater than Target ({target}).",
        "Fill Target max with the upper bound of the range.",
    ),
    "red-wrong-side": Kind(
        ERROR,
        "Red threshold on the wrong side",
        "Red threshold {value!r} is on the wrong side of the target for {direction}.",
        "For Higher is better the red threshold is below the target; for "
        "Lower is better, above it.",
    ),
    "zero-target-no-red": Kind(
        WARNING,
        "Zero target without a red threshold",
        "Target is 0 and no Red threshold is given: the KPI is Green when the target is met "
        "and Red otherwise, with no amber band.",
        "Fill Red threshold with the value at which the KPI turns red to get an amber band.",
    ),
    "sum-of-non-additive": Kind(
        WARNING,
        "Sum of a non-additive unit",
        "Aggregation Sum on a KPI in {value!r}: percentages and scores do not add up over months.",
        "Use Last or Average.",
    ),
    "decision-without-owner": Kind(
        WARNING,
        "Decision without an owner",
        "The decision {title!r} names no Owner: the board cannot tell who brings it.",
        "Type who brings the decision in Owner (and a Due date).",
    ),
    "month-gap": Kind(
        WARNING,
        "Blank month before a filled month",
        "{column} is blank but a later month is filled.",
        "Fill the missing month, or explain in Commentary.",
    ),
    "future-actual": Kind(
        ERROR,
        "Actual in a future month",
        "{column} is after the reporting period {period} but holds a value.",
        "If this is the {column} report, set Period on the Submission sheet to {column}; "
        "otherwise clear this cell (only months up to the period can have actuals).",
    ),
    "missing-current-actual": Kind(
        WARNING,
        "No actual for the reporting month",
        "{column} (the reporting month) is blank; the KPI shows No data.",
        "Fill in this month's actual.",
    ),
    # --- goal-quality advice (warnings, from advice.py) ----------------------------------------
    "too-many-okr-objectives": Kind(
        WARNING,
        "Too many OKR objectives",
        "{count} OKR objectives in {value}; focus works best with at most 4.",
        "Keep the 2-4 objectives that matter most.",
    ),
    "kr-count": Kind(
        WARNING,
        "Objective with too few or too many KRs",
        "OKR objective {value!r} has {count} key results; 2-5 is the norm.",
        "Give each objective 2-5 measurable key results.",
    ),
    "kr-is-task": Kind(
        WARNING,
        "Key result reads like a task",
        "Key result {value!r} describes an activity, not an outcome.",
        "State the measurable result the task should produce.",
    ),
    "too-many-kpis": Kind(
        WARNING,
        "Too many KPIs",
        "{count} KPIs in one scorecard; more than 20 dilutes attention.",
        "Keep the vital few; move the rest to operational reporting.",
    ),
    "perspective-without-kpi": Kind(
        WARNING,
        "Perspective without a KPI",
        "No KPI in perspective {value!r}.",
        "Add at least one measure for every perspective.",
    ),
    "kpi-without-objective": Kind(
        WARNING,
        "KPI linked to no objective",
        "KPI {value!r} has no objective.",
        "Link every KPI to an objective.",
    ),
    "objective-without-kpi": Kind(
        WARNING,
        "Objective without a KPI",
        "Objective {value!r} has no KPI measuring it.",
        "Add a KPI, or remove the objective.",
    ),
    "objective-without-link": Kind(
        WARNING,
        "Objective without a link",
        "Objective {value!r} drives nothing and nothing drives it.",
        "Link it into the strategy map (Contributes to).",
    ),
    "downward-link": Kind(
        WARNING,
        "Cause-and-effect link runs downward",
        "Objective {value!r} contributes to {target}, a lower perspective.",
        "Links run upward: Learning & Growth -> Internal Process -> Customer -> Financial.",
    ),
    "stale-checkin": Kind(
        WARNING,
        "No recent check-in",
        "Key result {value!r} has had no check-in for {days} days.",
        "Check in weekly, even when nothing moved.",
    ),
    "missing-reflection": Kind(
        WARNING,
        "No reflection at quarter end",
        "Key result {value!r} has no reflection in the quarter's last month.",
        "Write what you learnt in the Reflection column.",
    ),
    "red-without-commentary": Kind(
        WARNING,
        "Red KPI without commentary",
        "KPI {value!r} is red and has no commentary.",
        "Explain why and what is being done, in Commentary.",
    ),
    "derive-an-okr": Kind(
        WARNING,
        "Red KPI with no OKR",
        "KPI {value!r} has been red for {months} months and no OKR is aligned to it.",
        "Consider an OKR this quarter aimed at this KPI.",
    ),
    "okr-aligned-to-nothing": Kind(
        WARNING,
        "OKR aligned to nothing",
        "OKR objective {value!r} is aligned to no BSC objective or KPI.",
        "Fill Aligned to with the objective or KPI the OKR moves.",
    ),
    "perspective-without-okr": Kind(
        WARNING,
        "Perspective without an OKR",
        "No OKR this quarter is aligned to perspective {value!r}.",
        "Fine if deliberate; otherwise consider one.",
    ),
    "driver-red-effect-green": Kind(
        WARNING,
        "Green objective driven by a red one",
        "Objective {value!r} is green while its driver {driver} is red: the result may not last.",
        "Look at the driver before celebrating the result.",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning), located to a cell where possible."""

    severity: str
    code: str
    file: str
    sheet: str = ""
    cell: str = ""  # "KPIs!H7"; blank when the problem is about a whole file or sheet
    column: str = ""
    value: str = ""
    message: str = ""
    hint: str = ""
    department: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cell_ref(sheet: str, ref: str) -> str:
    """The Excel reference of a cell: `cell_ref("KPIs", "H7")` -> "KPIs!H7".

    A reference that already names its sheet, or a blank one, is returned as it is.
    """
    if not ref or not sheet or "!" in ref:
        return ref
    return f"{sheet}!{ref}"


def problem(
    code: str,
    file: str,
    *,
    sheet: str = "",
    cell: str = "",
    column: str = "",
    value: Any = "",
    department: str = "",
    severity: str | None = None,
    **fields: Any,
) -> Problem:
    """Build a Problem from the catalogue; the message and hint come from the code.

    `fields` fill the code's own placeholders (`Kind.fields`); a missing or unexpected one
    is a programming error, caught by the catalogue test, never a half-filled message.
    """
    kind = CATALOGUE[code]
    if set(fields) != kind.fields:
        raise TypeError(
            f"problem {code!r} takes fields {sorted(kind.fields)}, got {sorted(fields)}"
        )
    shown = _short(value)
    named = {"sheet": sheet, "column": column, "value": shown, "department": department}
    message = kind.message.format(**named, **fields)
    hint = kind.hint.format(**named, **fields)
    return Problem(
        severity=severity or kind.severity,
        code=code,
        file=file,
        sheet=sheet,
        cell=cell_ref(sheet, cell),
        column=column,
        value=shown,
        message=message,
        hint=hint,
        department=department,
    )


def shown_value(value: Any) -> str:
    """A cell value as a message shows it: dates as ISO, whole floats without .0."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _short(value: Any, limit: int = 80) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
