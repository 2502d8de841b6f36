"""Annotated copies of problem workbooks: bad cells filled and commented, never the original."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from pipeline.atomic import replacing
from pipeline.problems import ERROR, Problem

# A workbook full of mistakes gets its first cells annotated; the report lists them all.
MAX_ANNOTATED_CELLS = 500
ERROR_FILL = PatternFill("solid", start_color="FFF4B6B6", end_color="FFF4B6B6")
WARNING_FILL = PatternFill("solid", start_color="FFFFE3A3", end_color="FFFFE3A3")


def write_feedback(source: Path, problems: list[Problem], out_dir: Path) -> Path | None:
    """Copy `source` to `out_dir` with each problem cell highlighted and commented.

    Returns None when no problem names a cell or the file can't be opened for annotation.
    """
    located: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for prob in problems:
        if prob.cell and "!" in prob.cell:
            sheet, ref = prob.cell.split("!", 1)
            is_cell = ":" not in ref and ref[-1:].isdigit()
            if is_cell and ((sheet, ref) in located or len(located) < MAX_ANNOTATED_CELLS):
                located[(sheet, ref)].append(prob)
    if not located:
        return None
    try:
        book = openpyxl.load_workbook(source)
    except Exception:  # an odd file the reader accepted but openpyxl cannot re-open
        return None
    for (sheet_name, ref), probs in located.items():
        if sheet_name not in book.sheetnames:
            continue
        sheet = book[sheet_name]
        cell = sheet[ref]
        worst = ERROR if any(p.severity == ERROR for p in probs) else "warning"
        cell.fill = ERROR_FILL if worst == ERROR else WARNING_FILL
        text = "\n".join(
            f"{p.severity.upper()} {p.code}: {p.message}\nFix: {p.hint}" for p in probs
        )
        comment = Comment(text[:2000], "scorecard")
        comment.width, comment.height = 320, 160
        cell.comment = comment
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}-feedback.xlsx"
    with replacing(target) as temp:
        book.save(temp)
    return target
