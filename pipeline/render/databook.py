"""Scored frames in, the analysts' Excel data book (`scorecard-<period>.xlsx`) out.

One sheet per scored table, header row bold, frozen and filtered; scores as percentages.
Text from submitted workbooks is written as text, through `pipeline.render.excel.set_text`:
a value such as `=HYPERLINK(...)` can never become a formula (the cell is a string with
Excel's quote prefix), characters Excel cannot hold become "�" and text over Excel's cell
limit is cut with a "…"; a number too large to be finite reads "inf". The Restatements
sheet (past months changed since the last pack) shows old and new at full precision
(Excel's General format); a blank month is an empty cell, never 0.
"""

from __future__ import annotations

import math
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
from pipeline.render.excel import set_text
from pipeline.restate import RESTATEMENT_COLUMNS
from pipeline.score import Scored

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

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DCE3EC")


def write_databook(scored: Scored, path: Path) -> Path:
    """Write every scored table to `path` (via a temporary file, then an atomic move)."""
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
        ("Objectives", scored.objectives),
        ("Perspectives", scored.perspectives),
        ("Departments", scored.departments),
        ("Organisation", scored.organisation),
        ("OKRs", scored.okr_objectives),
        ("OKR departments", scored.okr_departments),
        ("Key results", scored.key_results),
        ("Attention", scored.attention),
        ("Advice", advice),
        ("Calculations", scored.calculations),
        ("Restatements", scored.restatements.reindex(columns=list(RESTATEMENT_COLUMNS))),
    )
    for title, frame in tables:
        _write_sheet(book.create_sheet(title), frame)
    with replacing(path) as temp:
        book.save(temp)
    return path


def header_text(column: str) -> str:
    """`kpis_no_data` -> `KPIs no data`; `variance_pct` -> `Variance %`."""
    words = [_WORDS.get(w, w) for w in column.split("_")]
    first = words[0]
    words[0] = first if first in _WORDS.values() else first.capitalize()
    return " ".join(words)


def _write_sheet(ws: Worksheet, frame: pd.DataFrame) -> None:
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
                if isinstance(plain, float | int) and not isinstance(plain, bool):
                    if name in FULL_PRECISION_COLUMNS:
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
