"""Scored frames in, the analysts' Excel data book (`scorecard-<period>.xlsx`) out.

One sheet per scored table, header row bold, frozen and filtered; scores as percentages.
Text from submitted workbooks is written as text, through `pipeline.render.excel.set_text`:
a value such as `=HYPERLINK(...)` can never become a formula (the cell is a string with
Excel's quote prefix), characters Excel cannot hold become "�" and text over Excel's cell
limit is cut with a "…"; a number too large to be finite reads "inf". The Restatements
sheet (past months changed since the last pack) shows old and new at full precision
(Excel's General format); a blank month is an empty cell, never 0. Every number is stored
with all its digits (openpyxl's default keeps 16, see `_keep_every_digit`); the number format
only decides what Excel shows.

Two tidy sheets hold the history at full precision, so an analyst can rebuild every figure:

- `KPI months`: one row per KPI and fiscal month up to and including the period, with the
  month's actual, the year-to-date actual as of that month (`formulas.ytd_actual`), and the
  phased target, red, score and status of that month (`formulas.evaluate_kpi`, the code the
  scoring runs). It replaces the KPIs sheet's old one-cell "series" text, which rounded to
  five significant digits.
- `KR check-ins`: one row per key result and check-in (dated on or before the period end,
  as scoring counts them), with the note. It replaces the Key results sheet's "checkins"
  text for the same reason.

Both need the validated frames and the scoring settings (`validated`, `scoring`); without
them the two sheets hold the header only. Numbers in the tidy sheets use General format.

Every sheet is also written as `data/<sheet-slug>.csv` beside the book (UTF-8, a header
row of column keys such as `department_id`, each file replaced atomically). Numbers are
written with every digit (`repr`: `float(field)` gives back the same float), blanks are
empty fields, dates ISO; text is cleaned as in the book, and text that a spreadsheet would
read as a formula (starting with = + - @ tab or CR, or an error literal) gets a leading
apostrophe, so it opens as text.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.atomic import replacing
from pipeline.config import Scoring
from pipeline.contract import period_end
from pipeline.formulas import as_float, evaluate_kpi, kpi_status, ytd_actual
from pipeline.render.excel import clean_text, looks_like_formula, set_text
from pipeline.restate import RESTATEMENT_COLUMNS
from pipeline.score import Scored
from pipeline.validate import Validated

PERCENT = "0.0%"
NUMBER = "#,##0.##"
FULL = "General"  # every digit the cell holds
MAX_WIDTH, MIN_WIDTH = 60, 8

# Columns that always hold a fraction 0..1.
PERCENT_COLUMNS = frozenset(
    {
        "score",
        "own_score",
        "prev_score",
        "progress",
        "expected",
        "variance_pct",
    }
)
# Columns shown at full precision: a restatement may be smaller than NUMBER's two decimals.
FULL_PRECISION_COLUMNS = frozenset({"old", "new"})
# Columns in the unit of their row: shown as % when the row's unit is "%".
UNIT_COLUMNS = frozenset(
    {
        "target",
        "target_max",
        "target_ytd",
        "target_max_ytd",
        "red",
        "red_low",
        "red_high",
        "actual",
        "variance",
        "prev_actual",
        "baseline",
        "current",
    }
)
_WORDS = {"id": "ID", "kpi": "KPI", "kpis": "KPIs", "okr": "OKR", "okrs": "OKRs", "kr": "KR"}
_WORDS |= {"krs": "KRs", "ytd": "YTD", "pct": "%"}

DATA_FOLDER = "data"  # the CSV twins of the sheets, beside the book
KPI_MONTH_COLUMNS = (
    "department_id", "kpi_id", "kpi", "unit", "aggregation", "month", "month_index",
    "actual", "ytd_actual", "target_phased", "red", "red_low", "red_high", "score", "status",
)  # fmt: skip
CHECKIN_COLUMNS = ("department_id", "kr_id", "key_result", "date", "value", "confidence", "note")
# The lossy list texts the tidy sheets replace.
DROPPED = {"KPIs": ("series",), "Key results": ("checkins",)}
# Sheets whose numbers are all shown in General format (every digit).
TIDY_SHEETS = frozenset({"KPI months", "KR check-ins"})

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DCE3EC")


def write_databook(
    scored: Scored,
    path: Path,
    validated: Validated | None = None,
    scoring: Scoring | None = None,
) -> Path:
    """Write every scored table to `path` and `data/*.csv` beside it (each atomically).

    `validated` and `scoring` (the run's `config.scoring`) feed the tidy `KPI months` and
    `KR check-ins` sheets; give both or neither.
    """
    if (validated is None) != (scoring is None):
        raise ValueError("write_databook needs both validated and scoring, or neither")
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"Scorecard data book {scored.period}"
    advice = pd.DataFrame(
        [p.as_dict() for p in scored.advice],
        columns=[
            "severity",
            "code",
            "department",
            "file",
            "sheet",
            "cell",
            "column",
            "value",
            "message",
            "hint",
        ],
    )
    tables = (
        ("KPIs", scored.kpis),
        ("KPI months", kpi_months(scored, validated, scoring)),
        ("Objectives", scored.objectives),
        ("Perspectives", scored.perspectives),
        ("Departments", scored.departments),
        ("Organisation", scored.organisation),
        ("OKRs", scored.okr_objectives),
        ("OKR departments", scored.okr_departments),
        ("Key results", scored.key_results),
        ("KR check-ins", kr_checkins(scored, validated)),
        ("Attention", scored.attention),
        ("Advice", advice),
        ("Calculations", scored.calculations),
        ("Restatements", scored.restatements.reindex(columns=list(RESTATEMENT_COLUMNS))),
    )
    folder = path.parent / DATA_FOLDER
    for title, frame in tables:
        frame = frame.drop(columns=[c for c in DROPPED.get(title, ()) if c in frame.columns])
        _write_sheet(book.create_sheet(title), frame, full=title in TIDY_SHEETS)
        write_csv(frame, folder / f"{sheet_slug(title)}.csv")
    with replacing(path) as temp:
        book.save(temp)
    return path


def kpi_months(
    scored: Scored, validated: Validated | None, scoring: Scoring | None
) -> pd.DataFrame:
    """One row per scored KPI and fiscal month up to the period (see the module docstring)."""
    if validated is None or scoring is None:
        return pd.DataFrame(columns=list(KPI_MONTH_COLUMNS))
    labels: dict[int, str] = dict(enumerate(validated.months, start=1))
    values: dict[tuple[str, str], list[float]] = {}
    actuals = validated.actuals
    for dept, kpi_id, month, idx, value in zip(
        actuals["department_id"],
        actuals["kpi_id"],
        actuals["month"],
        actuals["month_index"],
        actuals["value"],
        strict=True,
    ):
        i = int(idx)
        if 1 <= i <= 12:
            values.setdefault((dept, kpi_id), [math.nan] * 12)[i - 1] = as_float(value)
            labels.setdefault(i, str(month))
    period_index = next((i for i, m in labels.items() if m == scored.period), 0)
    red_thresholds = {
        (d, k): r
        for d, k, r in zip(
            validated.kpis["department_id"],
            validated.kpis["kpi_id"],
            validated.kpis["red_threshold"],
            strict=True,
        )
    }
    rows = []
    for kpi in scored.kpis.to_dict("records"):
        key = (kpi["department_id"], kpi["kpi_id"])
        series = values.get(key, [math.nan] * 12)
        for m in range(1, period_index + 1):
            result = evaluate_kpi(
                values=series,
                month_index=m,
                direction=kpi["direction"],
                aggregation=kpi["aggregation"],
                target=kpi["target"],
                target_max=kpi["target_max"],
                red_threshold=red_thresholds.get(key, math.nan),
                tolerance=scoring.amber_tolerance,
            )
            rows.append(
                {
                    "department_id": kpi["department_id"],
                    "kpi_id": kpi["kpi_id"],
                    "kpi": kpi["kpi"],
                    "unit": kpi["unit"],
                    "aggregation": kpi["aggregation"],
                    "month": labels.get(m, ""),
                    "month_index": m,
                    "actual": series[m - 1],
                    "ytd_actual": ytd_actual(series, m, kpi["aggregation"]),
                    "target_phased": result.target_ytd,
                    "red": result.red,
                    "red_low": result.red_low,
                    "red_high": result.red_high,
                    "score": result.score,
                    "status": kpi_status(result.score),
                }
            )
    return pd.DataFrame(rows, columns=list(KPI_MONTH_COLUMNS))


def kr_checkins(scored: Scored, validated: Validated | None) -> pd.DataFrame:
    """One row per scored KR and check-in dated on or before the period end, oldest first."""
    if validated is None or validated.checkins.empty or scored.key_results.empty:
        return pd.DataFrame(columns=list(CHECKIN_COLUMNS))
    as_of = period_end(scored.period)
    checkins = validated.checkins
    dates = pd.to_datetime(checkins["date"], errors="coerce")
    by_kr: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for position, (dept, kr_id, day, value, confidence, note) in enumerate(
        zip(
            checkins["department_id"],
            checkins["kr_id"],
            dates,
            checkins["value"],
            checkins.get("confidence", pd.Series([math.nan] * len(checkins))),
            checkins.get("note", pd.Series([""] * len(checkins))),
            strict=True,
        )
    ):
        if pd.isna(day) or day.date() > as_of:
            continue
        row = {
            "date": day.date(),
            "value": as_float(value),
            "confidence": as_float(confidence),
            "note": "" if note is None or (isinstance(note, float) and math.isnan(note)) else note,
            "_order": position,
        }
        by_kr.setdefault((dept, kr_id), []).append(row)
    rows = []
    for kr in scored.key_results.to_dict("records"):
        for c in sorted(
            by_kr.get((kr["department_id"], kr["kr_id"]), []),
            key=lambda c: (c["date"], c["_order"]),
        ):
            rows.append(
                {
                    "department_id": kr["department_id"],
                    "kr_id": kr["kr_id"],
                    "key_result": kr["key_result"],
                    **{k: v for k, v in c.items() if k != "_order"},
                }
            )
    return pd.DataFrame(rows, columns=list(CHECKIN_COLUMNS))


def sheet_slug(title: str) -> str:
    """`KR check-ins` -> `kr-check-ins`: the CSV file name of a sheet."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def csv_field(name: str, value: Any) -> str:
    """One CSV field: numbers with every digit, blank empty, text cleaned and never a formula."""
    plain = _plain(name, value)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "TRUE" if plain else "FALSE"
    if isinstance(plain, int | float):
        return repr(plain)
    if isinstance(plain, datetime) and plain.time() != datetime.min.time():
        return plain.isoformat()
    if isinstance(plain, date | datetime):
        return plain.date().isoformat() if isinstance(plain, datetime) else plain.isoformat()
    text = clean_text(str(plain))
    return "'" + text if looks_like_formula(text) else text


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """`frame` as UTF-8 CSV with a header row of column keys, replaced atomically."""
    columns = [str(c) for c in frame.columns]
    with replacing(path) as temp, temp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_field("", c) for c in columns])
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([csv_field(n, v) for n, v in zip(columns, row, strict=True)])
    return path


def header_text(column: str) -> str:
    """`kpis_no_data` -> `KPIs no data`; `variance_pct` -> `Variance %`."""
    words = [_WORDS.get(w, w) for w in column.split("_")]
    first = words[0]
    words[0] = first if first in _WORDS.values() else first.capitalize()
    return " ".join(words)


def _write_sheet(ws: Worksheet, frame: pd.DataFrame, full: bool = False) -> None:
    columns = list(frame.columns)
    ws.append([header_text(c) for c in columns])
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [len(header_text(c)) for c in columns]
    units = list(frame["unit"]) if "unit" in frame.columns else None
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        percent_row = units is not None and str(units[r - 2]).strip() == "%"
        for c, (name, value) in enumerate(zip(columns, row, strict=True), start=1):
            plain = _plain(name, value)
            cell = ws.cell(row=r, column=c)
            if isinstance(plain, str):
                set_text(cell, plain)
            else:
                cell.value = plain
                if isinstance(plain, float):
                    _keep_every_digit(cell, plain)
                if isinstance(plain, float | int) and not isinstance(plain, bool):
                    if full or name in FULL_PRECISION_COLUMNS:
                        cell.number_format = FULL
                    elif name in PERCENT_COLUMNS or (percent_row and name in UNIT_COLUMNS):
                        cell.number_format = PERCENT
                    else:
                        cell.number_format = NUMBER
                elif isinstance(plain, date | datetime):
                    cell.number_format = "yyyy-mm-dd"
            widths[c - 1] = max(widths[c - 1], _display_width(plain))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{max(1, len(frame) + 1)}"


def _keep_every_digit(cell: Any, value: float) -> None:
    """Store `value` with the digits `repr` gives, so reading the .xlsx gives it back exactly.

    openpyxl writes numbers as "%.16g", which drops the 17th significant digit some floats
    need (0.1 + 0.2 would read back as 0.3). A numeric cell whose stored value is already
    text is written as is; only such floats are changed.
    """
    if float(f"{value:.16g}") != value:
        cell._value = repr(value)  # still a number cell (data type "n")


def _plain(name: str, value: Any) -> Any:
    """A cell value: numbers, dates, booleans, text; lists joined as text; NaN blank."""
    if isinstance(value, tuple | list):
        return _LISTS.get(name, _join)(value)
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return str(value)  # "inf": openpyxl would write an empty number Excel cannot read
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        item = value.item()
        return _plain(name, item) if type(item) is not type(value) else str(value)
    if isinstance(value, bool | int | float | date | datetime | str):
        return value
    return str(value)


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:g}" if isinstance(x, int | float) else str(x)


def _join(items: tuple | list) -> str:
    return ", ".join(_num(i) if not isinstance(i, tuple | list) else _join(i) for i in items)


def _inputs(items: tuple | list) -> str:
    """((id, score, weight), ...) -> 'K1 1.000×2; K2 no data×1'."""
    parts = []
    for ident, score, weight in items:
        shown = "no data" if score is None or math.isnan(score) else f"{score:.3f}"
        parts.append(f"{ident} {shown}×{weight:g}")
    return "; ".join(parts)


def _checkins(items: tuple | list) -> str:
    """((date, value, confidence), ...) -> '2026-10-02: 45 (confidence 7); ...'."""
    parts = []
    for day, value, confidence in items:
        extra = f" (confidence {confidence:g})" if confidence is not None else ""
        parts.append(f"{day}: {_num(value)}{extra}")
    return "; ".join(parts)


def _series(items: tuple | list) -> str:
    """Twelve monthly values, blanks kept so the months stay in place: '100; ; 95'."""
    return "; ".join(_num(v) for v in items)


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return 10
    return len(str(value))


_LISTS: dict[str, Callable[[tuple | list], str]] = {
    "inputs": _inputs,
    "checkins": _checkins,
    "series": _series,
}
