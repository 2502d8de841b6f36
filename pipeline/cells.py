"""Raw sheets in, typed frames out: every cell parsed by its column's kind, problems by cell.

The first half of validation, one workbook at a time: headers matched to the contract
(case-insensitive), each cell typed (numbers, percentages, dates, enumerations, IDs),
broken formulas and error values named at their cell. `pipeline.validate` then checks
the typed frames of all workbooks together.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline import contract
from pipeline.coerce import (
    Parsed,
    clean_text,
    date_readings,
    european_number,
    normalise_choice,
    parse_date,
    parse_ids,
    parse_number,
)
from pipeline.contract import SheetSpec
from pipeline.problems import ERROR, Problem, problem, shown_value
from pipeline.read import RawSheet, RawWorkbook
from pipeline.vocabulary import DATE_MAX, DATE_MIN, NUMERIC_KINDS, ColumnKind


class CellLocator:
    """Maps (file, sheet, key, row) to an Excel cell, through each file's header letters."""

    def __init__(self) -> None:
        self.letters: dict[tuple[str, str], dict[str, str]] = {}

    def add(self, file: str, sheet: str, key_letters: dict[str, str]) -> None:
        self.letters[(file, sheet)] = key_letters

    def cell(self, file: str, sheet: str, key: str, row: int) -> str:
        letter = self.letters.get((file, sheet), {}).get(key, "")
        return f"{sheet}!{letter}{int(row)}" if letter else f"{sheet}!{int(row)}:{int(row)}"


def specs_by_name(months: tuple[str, ...], perspectives: tuple[str, ...]) -> dict[str, SheetSpec]:
    """The data sheets' specs for a fiscal year's months and the configured perspectives."""
    return {spec.name: spec for spec in contract.data_sheet_specs(months, perspectives)}


def type_workbook(
    raw: RawWorkbook,
    file: str,
    dept: str,
    specs: dict[str, SheetSpec],
    locator: CellLocator,
    found: list[Problem],
    date_order: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Type every data sheet of one workbook; append its cell-level problems to `found`.

    `date_order` is the organisation's ("DMY" / "MDY"), for dates typed as text.
    """
    out: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():
        raw_sheet = raw.sheets.get(name)
        if raw_sheet is None:
            if not spec.added_in:  # a sheet newer than the workbook's template is optional
                found.append(problem("missing-sheet", file, sheet=name, department=dept))
            continue
        header_of = _match_headers(raw_sheet, spec, file, dept, found)
        locator.add(file, name, {key: raw_sheet.letters[h] for key, h in header_of.items()})
        if any(c.key not in header_of and not c.added_in for c in spec.columns):
            continue  # missing columns already reported; the sheet can't be read safely
        out[name] = _type_sheet(raw_sheet, spec, header_of, file, dept, found, date_order)
    return out


def _match_headers(
    raw_sheet: RawSheet, spec: SheetSpec, file: str, dept: str, found: list[Problem]
) -> dict[str, str]:
    """Contract key -> header as typed in this file (case-insensitive)."""
    typed = {h.casefold(): h for h in raw_sheet.frame.columns}
    header_of: dict[str, str] = {}
    for col in spec.columns:
        actual = typed.pop(col.header.casefold(), None)
        if actual is None and col.added_in:
            continue  # a column newer than the workbook's template: read as blank
        if actual is None:
            found.append(
                problem(
                    "missing-column",
                    file,
                    sheet=spec.name,
                    column=col.header,
                    department=dept,
                )
            )
        else:
            header_of[col.key] = actual
    for leftover in typed.values():
        found.append(
            problem(
                "unknown-column",
                file,
                sheet=spec.name,
                cell=f"{spec.name}!{raw_sheet.letters[leftover]}1",
                column=leftover,
                department=dept,
            )
        )
    return header_of


def _type_sheet(
    raw_sheet: RawSheet,
    spec: SheetSpec,
    header_of: dict[str, str],
    file: str,
    dept: str,
    found: list[Problem],
    date_order: str | None = None,
) -> pd.DataFrame:
    frame = raw_sheet.frame
    stray = _rows_below_table(frame, spec, header_of)
    if stray:
        first = stray[0]
        which = f"row {first}" if len(stray) == 1 else f"rows {first}–{stray[-1]}"
        found.append(
            problem(
                "rows-below-table",
                file,
                sheet=spec.name,
                cell=f"A{first}",
                value=_first_text(frame.loc[first]),
                department=dept,
                rows=which[0].upper() + which[1:],
                which=which,
                item=_ITEM_NAMES.get(spec.name, "data row"),
            )
        )
        frame = frame.drop(index=stray)
    start = len(found)  # this sheet's problems: `found` holds every workbook's so far
    numbers = [int(r) for r in frame.index]
    data: dict[str, list[Any]] = {
        "file": [file] * len(numbers),
        "row": numbers,
        "department_id": [dept] * len(numbers),
    }
    percent_text: dict[str, list[bool]] = {}
    # Plain lists per column: a pandas row per cell (iterrows) cost most of validation.
    columns = {header: frame[header].tolist() for header in header_of.values()}
    flags = raw_sheet.flags
    for col in spec.columns:
        header = header_of.get(col.key)
        if header is None:  # an `added_in` column the workbook does not have
            data[col.key] = [None] * len(numbers)
            percent_text[col.key] = [False] * len(numbers)
            continue
        letter = raw_sheet.letters[header]
        values: list[Any] = []
        from_text: list[bool] = []
        blank = parse_cell(None, col)  # the commonest cell, typed once per column
        fast = _FAST_PATHS.get(col.kind)
        for row_number, raw in zip(numbers, columns[header], strict=True):
            if not flags:  # the common cells, typed without a Parsed (as parse_cell would)
                if raw is None:
                    values.append(blank.value)
                    from_text.append(False)
                    continue
                if fast is not None and (value := fast(raw)) is not _SLOW:
                    values.append(value)
                    from_text.append(False)
                    continue
            ref = f"{letter}{row_number}"
            flag = flags.get(ref) if flags else None
            if flag is not None:
                code = "formula-without-value" if flag == "formula-without-value" else "error-value"
                found.append(
                    problem(
                        code,
                        file,
                        sheet=spec.name,
                        cell=ref,
                        column=col.header,
                        value="" if code == "formula-without-value" else flag,
                        department=dept,
                    )
                )
                parsed = Parsed(None)
            else:
                parsed = parse_cell(raw, col, date_order)
                if parsed.code:
                    found.append(
                        problem(
                            parsed.code,
                            file,
                            sheet=spec.name,
                            cell=ref,
                            column=col.header,
                            value=shown_value(raw),
                            department=dept,
                            **message_fields(parsed.code, col, raw),
                        )
                    )
            values.append(parsed.value)
            from_text.append(parsed.from_percent_text)
        data[col.key] = values
        percent_text[col.key] = from_text
    # The problems are appended column by column; they are reported in row order.
    found[start:] = sorted(found[start:], key=_row_then_column(raw_sheet, header_of, spec))
    # Typed arrays, so pandas infers nothing: building 300 small frames this way (50
    # workbooks) costs a third of what lists of objects did.
    columns_out: dict[str, Any] = dict(data)
    for col in spec.columns:
        if col.kind in NUMERIC_KINDS:
            columns_out[col.key] = np.array(data[col.key], dtype=float)  # None -> NaN
            columns_out[f"pct_text__{col.key}"] = np.array(percent_text[col.key], dtype=bool)
        elif col.kind == "date":
            columns_out[col.key] = pd.to_datetime(
                pd.Series(data[col.key], dtype=object), errors="coerce"
            )
    columns_out["unusable_cells"] = _unusable_cells(found[start:], numbers, raw_sheet, header_of)
    return pd.DataFrame(columns_out, index=range(len(numbers)))


_NONE_UNUSABLE: frozenset[str] = frozenset()


def _unusable_cells(
    sheet_problems: list[Problem],
    numbers: list[int],
    raw_sheet: RawSheet,
    header_of: dict[str, str],
) -> list[frozenset[str]]:
    """Per row, the columns whose cell failed to parse: already reported, so the schema
    must not report them again as blank."""
    key_of = {raw_sheet.letters[header]: key for key, header in header_of.items()}
    by_row: dict[int, set[str]] = {}
    for prob in sheet_problems:
        letters, row = _letters_and_row(prob.cell)
        if prob.severity == ERROR and letters in key_of and row:
            by_row.setdefault(row, set()).add(key_of[letters])
    return [frozenset(by_row[r]) if r in by_row else _NONE_UNUSABLE for r in numbers]


def _row_then_column(
    raw_sheet: RawSheet, header_of: dict[str, str], spec: SheetSpec
) -> Callable[[Problem], tuple[int, int]]:
    """Sort key of a sheet's cell problems: row, then the contract's column order."""
    order = {
        raw_sheet.letters[h]: i
        for i, h in enumerate(header_of[c.key] for c in spec.columns if c.key in header_of)
    }

    def key(p: Problem) -> tuple[int, int]:
        letters, row = _letters_and_row(p.cell)
        return (row, order.get(letters, len(order)))

    return key


def _letters_and_row(cell: str | None) -> tuple[str, int]:
    """`KPIs!H7` (or `H7`) -> ("H", 7); a problem without a cell -> ("", 0)."""
    ref = cell.split("!")[-1] if cell else ""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    return letters, int(digits) if digits else 0


def percent_fields(value: float) -> dict[str, str]:
    """What `percent-as-whole-number` suggests for a plain 60: "60%", or the fraction 0.6."""
    return {"percent": f"{value:g}%", "fraction": f"{value / 100:g}"}


_ITEM_NAMES = {
    contract.Sheet.OBJECTIVES: "objective",
    contract.Sheet.KPIS: "KPI",
    contract.Sheet.OKRS: "key result",
    contract.Sheet.CHECKINS: "check-in",
    contract.Sheet.INITIATIVES: "initiative",
}
# First-cell words of a row people add under a table: a total, a sum, a note.
_SUMMARY_WORDS = re.compile(
    r"^\s*(grand\s+total|sub-?total|total|totals|sum|average|mean|notes?|n\.?b\.?|comments?)\b",
    re.IGNORECASE,
)


def _rows_below_table(frame: pd.DataFrame, spec: SheetSpec, header_of: dict[str, str]) -> list[int]:
    """Rows at the bottom of a sheet that are a total or a note, not entries of the table.

    From the last row upwards, while a row either starts with a summary word (TOTAL, Sum,
    Note…) or has no ID and fills fewer than half of the sheet's required columns: one
    block, so the submitter gets one "delete rows 9-11" instead of a "required" error per
    empty cell. A row with its ID is an entry, however incomplete.
    """
    required = [header_of[c.key] for c in spec.columns if c.required]
    id_header = header_of[spec.columns[0].key]
    stray: list[int] = []
    for row_number in reversed(frame.index):
        row = frame.loc[row_number]
        filled = sum(clean_text(row[h]) is not None for h in required)
        summary = bool(_SUMMARY_WORDS.match(_first_text(row)))
        no_id = clean_text(row[id_header]) is None
        if summary or (no_id and filled * 2 < len(required)):
            stray.append(int(row_number))
        else:
            break
    if len(stray) == len(frame.index):
        return []  # nothing above it: these are incomplete entries, reported cell by cell
    return sorted(stray)


def _first_text(row: pd.Series) -> str:
    """The first non-blank cell of a row, as text."""
    for value in row:
        text = clean_text(value)
        if text is not None:
            return text
    return ""


_SLOW = object()  # a fast path's "ask parse_cell"


def _plain_number(raw: Any) -> Any:
    return raw if type(raw) is float and math.isfinite(raw) else _SLOW


def _plain_fraction(raw: Any) -> Any:
    # 1 < x <= 100 in a % column is `percent-as-whole-number`: parse_cell says so
    return raw if type(raw) is float and math.isfinite(raw) and not 1 < raw <= 100 else _SLOW


def _verbatim(raw: Any) -> bool:
    """Text that `clean_text` would give back unchanged: printable ASCII, no edge or
    doubled spaces, within the length limit."""
    return (
        type(raw) is str
        and raw.isascii()
        and raw.isprintable()
        and 0 < len(raw) <= MAX_TEXT_CHARS
        and raw[0] != " "
        and raw[-1] != " "
        and "  " not in raw
    )


# Per column kind: a cell's typed value when it is plainly one, else _SLOW. Measured on 50
# generated workbooks: four cells in five take one, and typing costs half what it did.
_FAST_PATHS: dict[str, Callable[[Any], Any]] = {
    ColumnKind.NUMBER: _plain_number,
    ColumnKind.VALUE: _plain_number,
    ColumnKind.CONFIDENCE: _plain_number,
    ColumnKind.WEIGHT: _plain_number,
    ColumnKind.PERCENT: _plain_fraction,
    ColumnKind.TEXT: lambda raw: raw if _verbatim(raw) else _SLOW,
    ColumnKind.ID: lambda raw: raw.upper() if _verbatim(raw) else _SLOW,
}


def parse_cell(raw: Any, col: contract.Column, date_order: str | None = None) -> Parsed:
    """One cell value typed by its column's kind (blank is None, never zero)."""
    if col.kind == ColumnKind.PERCENT:
        parsed = parse_number(raw)
        if parsed.value is not None and not parsed.from_percent_text and 1 < parsed.value <= 100:
            # 60 in "Progress %" is 60 %, typed without its sign: say so, don't guess
            return Parsed(None, "percent-as-whole-number")
        return parsed
    if col.kind in NUMERIC_KINDS:
        return parse_number(raw)
    if col.kind == "date":
        return parse_date(raw, date_order)
    if col.kind == "enum":
        return normalise_choice(raw, col.choices)
    if col.kind == "ids":
        return parse_ids(raw)
    if col.kind == "quarter":
        text = clean_text(raw)
        if text is None:
            return Parsed(None)
        try:
            contract.quarter_bounds(text)
        except ValueError:
            return Parsed(None, "bad-quarter")
        return Parsed(text.upper())
    text = clean_text(raw)
    if col.kind == "id" and text is not None:
        text = text.upper()
    if text is not None and len(text) > MAX_TEXT_CHARS:
        return Parsed(text[: MAX_TEXT_CHARS - 1] + "…", "text-too-long")
    return Parsed(text)


MAX_TEXT_CHARS = 2_000  # a pasted essay in Commentary would push the pack's pages apart


def concat_frames(frames: list[pd.DataFrame], spec: SheetSpec) -> pd.DataFrame:
    if frames:
        return pd.concat(frames, ignore_index=True)
    columns = ["file", "row", "department_id"] + [c.key for c in spec.columns]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    for col in spec.columns:
        if col.kind in NUMERIC_KINDS:
            empty[col.key] = empty[col.key].astype(float)
            empty[f"pct_text__{col.key}"] = pd.Series(dtype=bool)
        elif col.kind == "date":
            empty[col.key] = pd.to_datetime(empty[col.key])
    empty["unusable_cells"] = pd.Series(dtype=object)
    return empty


def message_fields(code: str, col: contract.Column | None, raw: Any = None) -> dict[str, str]:
    """The placeholders a cell-value problem's message needs, from the column's contract."""
    if code == "not-in-list":
        return {"allowed": ", ".join(col.choices) if col else ""}
    if code == "out-of-range":
        expected = {
            ColumnKind.PERCENT: "between 0% and 100%",
            ColumnKind.CONFIDENCE: "between 0 and 10",
            ColumnKind.WEIGHT: "0 or more",
        }
        return {"expected": expected.get(col.kind, "in range") if col else "in range"}
    if code == "implausible-date":
        return {"years": f"{DATE_MIN.year}-{DATE_MAX.year}"}
    if code == "text-too-long":
        return {"limit": f"{MAX_TEXT_CHARS:,}"}
    if code == "percent-as-whole-number":
        return percent_fields(float(parse_number(raw).value))
    if code == "ambiguous-date":
        return date_readings(raw)
    if code == "decimal-comma":
        return {"meant": european_number(raw)}
    return {}
