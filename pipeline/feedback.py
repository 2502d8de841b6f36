"""Feedback copies of problem workbooks: what to fix, where, and how, never the original.

Finance staff fix their workbook from this copy alone, so it opens on a "Problems" sheet
(first tab, the only one selected): a title with the file's name, the verdict ("3 errors
must be fixed before this workbook can be accepted; 2 warnings are worth a look"), counts
of errors and warnings per sheet, then one row per problem, errors first, then in sheet
order, row and column: Severity (in words), Sheet, Cell (a link that jumps to the cell),
What is wrong, How to fix it, and the problem code last, in small grey type, for the
analyst. Problems about a whole sheet or the whole workbook are listed without a link.
Every problem is listed, up to MAX_LISTED_PROBLEMS rows; a last line counts the rest.
If the workbook has a sheet called "Problems" already, ours is "Problems (scorecard)".

In the submitter's sheets, the first MAX_ANNOTATED_CELLS problem cells are filled and
bordered (errors red with a thick border, warnings orange with a dashed one: see ERROR_FILL)
and carry a comment "Error: <what is wrong>\\nHow to fix: <hint>\\n(code: <code>)".

Two ways to a copy:

- an .xlsx openpyxl can load is copied whole (formatting, dropdowns, comments) and annotated;
- a LibreOffice .ods workbook, or an .xlsx openpyxl cannot load or save, becomes a new .xlsx
  holding each sheet's values as python-calamine reads them (no formatting, no formulas),
  annotated the same way. The Problems sheet says the copy holds values only.

Every text that comes from a workbook or a problem goes through `pipeline.render.excel`
(`set_text`, `comment_text`): it is written as text, never as a formula, and characters an
.xlsx cannot hold are replaced. A source the reader could not read (its problems say so:
`not-xlsx`, `reader-crashed`, ...) is never opened here; neither is one whose parts unpack
to more than MAX_FEEDBACK_UNPACKED_BYTES, nor a Strict Open XML workbook (openpyxl sees no
sheets in it): those get no copy, `write_feedback` returns None, and the validation report
still lists every problem. Any failure building a copy means no copy. Only a feedback
folder that cannot be written raises (`pipeline.atomic.CannotWrite`).

The copy is named after the dropped file by `feedback_name`: a safe, bounded, distinct name
inside the feedback folder whatever the dropped file was called.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import warnings
import zipfile
from collections import Counter, defaultdict
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import absolute_coordinate, column_index_from_string
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.atomic import CannotWrite, replacing
from pipeline.problems import ERROR, WARNING, Problem
from pipeline.render.excel import comment_text, set_text

# A workbook full of mistakes gets its first cells annotated; the Problems sheet lists up to
# MAX_LISTED_PROBLEMS of them and the validation report all of them.
MAX_ANNOTATED_CELLS = 500
MAX_LISTED_PROBLEMS = 2_000
# openpyxl holds every cell as an object (hundreds of bytes each): a workbook whose parts
# unpack to more than this gets no copy rather than gigabytes of memory. The same bound
# holds for an .ods (its zip), and a values-only copy takes at most MAX_COPIED_CELLS cells.
MAX_FEEDBACK_UNPACKED_BYTES = 25 * 1024 * 1024
MAX_COPIED_CELLS = 2_000_000

# Colours. The template's input cells are light yellow (FFF2CC, relative luminance 0.89):
# a flagged cell must stand out from them, and an error from a warning, on screen, for the
# colour-blind and on a greyscale printout. So the two fills sit far apart in luminance,
# not only in hue (WCAG 2 contrast ratios, tested in tests/test_feedback.py):
#   error   E8484B red,    luminance 0.22: 3.4:1 against the input yellow, 3.8:1 against white
#   warning FF9933 orange, luminance 0.44: 1.9:1 against the input yellow, 1.8:1 against red
# and black text stays readable on both (5.5:1 and 9.9:1, over WCAG AA's 4.5:1). The borders
# tell them apart without colour at all: an error has a thick solid border, a warning a
# medium dashed one.
ERROR_COLOUR, WARNING_COLOUR = "FFE8484B", "FFFF9933"
ERROR_FILL = PatternFill("solid", start_color=ERROR_COLOUR, end_color=ERROR_COLOUR)
WARNING_FILL = PatternFill("solid", start_color=WARNING_COLOUR, end_color=WARNING_COLOUR)
_ERROR_SIDE = Side(style="thick", color="FF9C0006")
_WARNING_SIDE = Side(style="mediumDashed", color="FF7F3F00")
ERROR_BORDER = Border(left=_ERROR_SIDE, right=_ERROR_SIDE, top=_ERROR_SIDE, bottom=_ERROR_SIDE)
WARNING_BORDER = Border(
    left=_WARNING_SIDE, right=_WARNING_SIDE, top=_WARNING_SIDE, bottom=_WARNING_SIDE
)
_BLACK = "FF000000"

PROBLEMS_SHEET = "Problems"
PROBLEMS_SHEET_ALTERNATIVE = "Problems (scorecard)"  # when the workbook has a "Problems"
WHOLE_WORKBOOK = "Whole workbook"
TITLE = "What to fix in this workbook"
# The problem list: each column's header and width (in characters).
LIST_COLUMNS = (
    ("Severity", 12),
    ("Sheet", 16),
    ("Cell", 9),
    ("What is wrong", 62),
    ("How to fix it", 52),
    ("Code", 24),
)
SEVERITY_WORDS = {ERROR: "Error", WARNING: "Warning"}
# Codes of the reader's refusals: such a file was not read (it may be built to crash
# spreadsheet software), so it is not opened again here.
READER_REFUSALS = frozenset(
    {
        "unreadable-file",
        "encrypted-file",
        "not-xlsx",
        "not-ods",
        "xls-file",
        "xlsb-file",
        "numbers-file",
        "csv-file",
        "file-too-large",
        "reader-crashed",
        "too-slow",
        "sheet-too-large",
    }
)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
FONT = "Calibri"  # openpyxl's default; a Font without a name shows in a serif face elsewhere
_TITLE_FONT = Font(name=FONT, bold=True, size=14)
_BOLD = Font(name=FONT, bold=True)
_NOTE_FONT = Font(name=FONT, italic=True, color="FF595959")
_CODE_FONT = Font(name=FONT, size=8, color="FF808080")
_LINK_FONT = Font(name=FONT, color="FF0563C1", underline="single")
_HEADER_FILL = PatternFill("solid", start_color="FFDCE3EC", end_color="FFDCE3EC")
_THIN = Side(style="thin", color="FFBFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
LINE_POINTS = 15  # height of one line of 11-point text
_WRAP = Alignment(wrap_text=True, vertical="top")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")  # characters Excel forbids in a sheet name
MAX_TITLE_CHARS = 31

# File names: at most this many bytes of UTF-8 (file systems allow 255; shares and zip tools
# less), the ending that marks a copy, and the hash that keeps shortened names apart.
MAX_NAME_BYTES = 120
FEEDBACK_SUFFIX = "-feedback.xlsx"
HASH_CHARS = 12
# Never in a name: path separators, characters Windows forbids, control characters (C0,
# DEL, C1), and invisible format characters that could disguise a name (bidi overrides,
# zero-width characters, BOM); lone surrogates stand for bytes that were not UTF-8.
_UNSAFE = re.compile(
    '[\x00-\x1f\x7f-\x9f/\\\\:*?"<>|\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]'
)
_HASHED = re.compile(rf"-[0-9a-f]{{{HASH_CHARS}}}$")  # the tail a shortened name ends in
_CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384  # Excel's grid


def feedback_name(source_name: str) -> str:
    """The feedback copy's file name for a dropped file called `source_name`.

    `FIN-2026-10.xlsx` -> `FIN-2026-10-feedback.xlsx`. Any other name (another extension,
    characters that are not safe in a file name, too long, or one that ends like a hashed
    name) becomes `<safe stem>-<ext>-<hash>-feedback.xlsx`, the hash taken from the whole
    original name: `x.xlsm` -> `x-xlsm-1f0e…-feedback.xlsx`. So two different dropped files
    never share a copy (plain names are the stems themselves; hashed ones differ in the
    hash), and no name has a path separator, a control character, a leading dot or more
    than MAX_NAME_BYTES bytes.
    """
    stem, dot, ext = source_name.rpartition(".")
    if not dot:
        stem, ext = source_name, ""
    plain = stem + FEEDBACK_SUFFIX
    if (
        ext == "xlsx"
        and stem
        and _safe(stem) == stem
        and not _HASHED.search(stem)
        and len(plain.encode("utf-8")) <= MAX_NAME_BYTES
    ):
        return plain
    digest = hashlib.sha256(source_name.encode("utf-8", "surrogatepass")).hexdigest()
    tag = _safe(ext)[:10].strip("._ ")
    tail = (f"-{tag}" if tag else "") + f"-{digest[:HASH_CHARS]}{FEEDBACK_SUFFIX}"
    head = _cut_utf8(_safe(stem), MAX_NAME_BYTES - len(tail.encode("utf-8"))).rstrip(". ")
    return (head or "workbook") + tail


def feedback_path(source_name: str, out_dir: Path) -> Path:
    """`out_dir / feedback_name(source_name)`, checked to be a file directly inside `out_dir`."""
    name = feedback_name(source_name)
    target = out_dir / name
    if (
        name in ("", ".", "..")
        or Path(name).name != name
        or len(name.encode("utf-8")) > MAX_NAME_BYTES
        or target.parent.resolve() != Path(out_dir).resolve()
    ):  # cannot happen (see feedback_name); a bug here must not write elsewhere
        raise ValueError(f"unsafe feedback file name {name!r} for {source_name!r}")
    return target


def _safe(text: str) -> str:
    """Unsafe characters -> "_"; no leading dot, space or dash (hidden files, `..`, options)."""
    text = _UNSAFE.sub("_", text)
    return re.sub(r"^[. -]", "_", text)


def _cut_utf8(text: str, limit: int) -> str:
    """The longest prefix of `text` that is at most `limit` bytes of UTF-8."""
    return text.encode("utf-8")[: max(0, limit)].decode("utf-8", errors="ignore")


def write_feedback(source: Path, problems: list[Problem], out_dir: Path) -> Path | None:
    """Write the feedback copy of `source` (Problems sheet first, bad cells marked).

    Returns its path; None when there are no problems, when the reader could not read the
    file, or when no copy can be built (see the module docstring). Raises only when
    `out_dir` cannot be written (`CannotWrite`).
    """
    if not problems or any(p.code in READER_REFUSALS for p in problems):
        return None
    # The copy depends on the file's bytes and its problems only: a month's second run (one
    # department resubmitted) reuses the others' copies instead of rebuilding each (~1 s).
    key = _cache_key(source, problems)
    cached = out_dir / CACHE_FOLDER / f"{key}.xlsx"
    try:
        data: bytes | None = cached.read_bytes()
    except OSError:
        data = _feedback_bytes(source, problems)
        if data is None:
            return None
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with replacing(cached) as temp:
                temp.write_bytes(data)
        except (CannotWrite, OSError):
            pass  # a cache that cannot be written only costs time (the copy says why)
    target = feedback_path(source.name, out_dir)
    with replacing(target) as temp:
        temp.write_bytes(data)
    return target


CACHE_FOLDER = ".cache"  # in the feedback folder: copies by the hash of what made them


def _cache_key(source: Path, problems: list[Problem]) -> str:
    """The file's bytes, its problems, this module's code and openpyxl's version."""
    digest = hashlib.sha256(source.read_bytes())
    digest.update(_code_version())
    digest.update(repr((openpyxl.__version__, problems)).encode("utf-8"))
    return digest.hexdigest()


@functools.cache
def _code_version() -> bytes:
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


# --- building the copy -----------------------------------------------------------------------


def _feedback_bytes(source: Path, problems: list[Problem]) -> bytes | None:
    """The feedback copy's bytes; None when none can be built for this file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about parts it drops
            kind = _package_kind(source)
            if kind == "xlsx":
                try:
                    return _whole_copy(source, problems)
                except _NoSheets:
                    return None  # Strict Open XML: openpyxl reads no sheet from it
                except Exception:  # an odd part openpyxl cannot load or save
                    pass
            if kind is not None:
                return _values_copy(source, problems)
    except Exception:  # any failure is this copy's, never the run's
        return None
    return None


class _NoSheets(Exception):
    """openpyxl opened the file but found no worksheet in it."""


def _package_kind(source: Path) -> str | None:
    """The package's kind: "xlsx" (Office Open XML) or "ods"; None if other or too large."""
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > MAX_FEEDBACK_UNPACKED_BYTES:
            return None
        names = {info.filename for info in infos}
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
            return "ods"
    return None


def _whole_copy(source: Path, problems: list[Problem]) -> bytes:
    """The submitter's workbook as openpyxl loads it, annotated, with the Problems sheet."""
    with source.open("rb") as handle:  # a handle: openpyxl would judge a path by its ending
        book = openpyxl.load_workbook(handle)
    if not book.worksheets:
        raise _NoSheets
    book.template = False  # saved as a workbook (.xlsx), even if it came as a template
    titles = _titles_by_name(book.sheetnames)
    return _finish(book, source.name, problems, titles, values_only=False)


def _values_copy(source: Path, problems: list[Problem]) -> bytes | None:
    """A new workbook holding each sheet's values as python-calamine reads them."""
    reader = python_calamine.CalamineWorkbook.from_path(str(source))
    try:
        sheets = [
            (meta.name, reader.get_sheet_by_name(meta.name), meta.visible)
            for meta in reader.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not sheets or sum(s.height * s.width for _, s, _ in sheets) > MAX_COPIED_CELLS:
            return None
        book = openpyxl.Workbook()
        book.remove(book.active)
        titles: dict[str, str] = {}
        for name, sheet, visible in sheets:
            ws = book.create_sheet(_fresh_title(name, book.sheetnames))
            titles.setdefault(name, ws.title)
            titles.setdefault(name.strip(), ws.title)
            _write_values(ws, sheet.to_python(skip_empty_area=False))
            _landscape_fit_to_width(ws)
            if visible != python_calamine.SheetVisibleEnum.Visible:
                ws.sheet_state = "hidden"
    finally:
        reader.close()
    return _finish(book, source.name, problems, titles, values_only=True)


def _finish(
    book: openpyxl.Workbook,
    file_name: str,
    problems: list[Problem],
    titles: dict[str, str],
    values_only: bool,
) -> bytes:
    """Annotate the cells, put the Problems sheet first and active, return the file's bytes."""
    order = {title: i for i, title in enumerate(book.sheetnames)}
    for (title, ref), probs in _located(problems, titles).items():
        _annotate(book[title], ref, probs)
    sheet = book.create_sheet(_fresh_title(PROBLEMS_SHEET, book.sheetnames), 0)
    _write_problems_sheet(sheet, file_name, _ordered(problems, titles, order), values_only)
    _open_on(book, sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _titles_by_name(sheetnames: list[str]) -> dict[str, str]:
    """Sheet name as problems give it -> the sheet's title in the copy.

    The reader strips spaces around sheet names (" KPIs " is read as "KPIs"); the first
    sheet with a name wins, as in the reader.
    """
    titles: dict[str, str] = {}
    for title in sheetnames:
        titles.setdefault(title, title)
    for title in sheetnames:
        titles.setdefault(title.strip(), title)
    return titles


def _fresh_title(wanted: str, taken: list[str]) -> str:
    """A sheet title Excel accepts, unlike any in `taken` (Excel ignores case in titles)."""
    base = _BAD_TITLE.sub("_", wanted).strip().strip("'")[:MAX_TITLE_CHARS] or "Sheet"
    used = {t.casefold() for t in taken}
    if wanted == PROBLEMS_SHEET and base.casefold() in used:
        base = PROBLEMS_SHEET_ALTERNATIVE
    title, n = base, 1
    while title.casefold() in used:
        n += 1
        tail = f" ({n})"
        title = base[: MAX_TITLE_CHARS - len(tail)] + tail
    return title


def _open_on(book: openpyxl.Workbook, sheet: Worksheet) -> None:
    """Make `sheet` the first tab, the active sheet and the only selected one.

    Two selected tabs would open as a group, and typing would change both sheets.
    """
    for other in book.worksheets:
        for view in other.views.sheetView:
            view.tabSelected = False
    for chart in book.chartsheets:
        for view in chart.sheetViews.sheetView:
            view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = sheet
    for view in book.views:
        view.firstSheet = 0
        view.activeTab = 0


# --- values from python-calamine -------------------------------------------------------------

_DATE_FORMATS = {
    datetime: "yyyy-mm-dd hh:mm:ss",
    date: "yyyy-mm-dd",
    time: "hh:mm:ss",
    timedelta: "[h]:mm:ss",
}
MAX_COLUMN_WIDTH = 50
EXCEL_FIRST_YEAR = 1900  # Excel shows no date before 1900-01-01


def _write_values(ws: Worksheet, rows: list[list[Any]]) -> None:
    """Write calamine's values: text as text (never a formula), numbers and dates as such."""
    widths: dict[int, int] = defaultdict(int)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c)
            _put_value(cell, value)
            widths[c] = max(widths[c], min(MAX_COLUMN_WIDTH, len(str(cell.value)) + 2))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(8, width)


def _put_value(cell: Any, value: Any) -> None:
    if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
        cell.value = value
    elif isinstance(value, time | timedelta) or (
        isinstance(value, date) and value.year >= EXCEL_FIRST_YEAR
    ):
        cell.value = value
        cell.number_format = _DATE_FORMATS.get(type(value), "yyyy-mm-dd hh:mm:ss")
    else:  # text, and a date Excel cannot show (before 1900), written as text
        set_text(cell, str(value))


# --- cells: fill, border and comment ----------------------------------------------------------


def _located(
    problems: list[Problem], titles: dict[str, str]
) -> dict[tuple[str, str], list[Problem]]:
    """Problems by (sheet title in the copy, cell), for the first MAX_ANNOTATED_CELLS cells."""
    located: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for prob in problems:
        place = _place(prob, titles)
        if place is None:
            continue
        if place in located or len(located) < MAX_ANNOTATED_CELLS:
            located[place].append(prob)
    return located


def _place(prob: Problem, titles: dict[str, str]) -> tuple[str, str] | None:
    """(sheet title in the copy, cell) of a problem that names a cell of a sheet we have."""
    if not prob.cell or "!" not in prob.cell:
        return None
    sheet, ref = prob.cell.rsplit("!", 1)
    title = titles.get(sheet)
    if title is None or _position(ref) is None:
        return None
    return title, ref


def _position(ref: str) -> tuple[int, int] | None:
    """(row, column) of a cell reference such as "H7"; None for anything else."""
    match = _CELL_REF.fullmatch(ref)
    if not match:
        return None
    row, column = int(match[2]), column_index_from_string(match[1])
    return (row, column) if row <= MAX_ROW and column <= MAX_COLUMN else None


def _annotate(ws: Any, ref: str, probs: list[Problem]) -> bool:
    """Fill, border and comment one cell; False when the sheet or cell can't take it."""
    try:
        cell = ws[ref]
        error = any(p.severity == ERROR for p in probs)
        ordered = sorted(probs, key=lambda p: p.severity != ERROR)
        text = "\n\n".join(cell_comment(p) for p in ordered)
        comment = Comment(comment_text(text), "scorecard")
        lines = sum(1 + len(line) // 45 for line in text.splitlines())
        comment.width, comment.height = 360, min(480, 30 + 16 * lines)
        cell.comment = comment
        cell.fill = ERROR_FILL if error else WARNING_FILL
        cell.border = ERROR_BORDER if error else WARNING_BORDER
        font = copy(cell.font)
        font.color = _BLACK  # the template's white header text is unreadable on orange
        cell.font = font
        if ws.sheet_state != "visible":
            ws.sheet_state = "visible"  # a problem on a hidden sheet must be seen
    except Exception:  # a chart sheet, a merged cell: skip this cell
        return False
    return True


def cell_comment(prob: Problem) -> str:
    """A cell's comment for one problem: what is wrong and how to fix it, the code last."""
    word = SEVERITY_WORDS.get(prob.severity, prob.severity.capitalize())
    return f"{word}: {prob.message}\nHow to fix: {prob.hint}\n(code: {prob.code})"


# --- the Problems sheet -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One problem as the Problems sheet lists it."""

    severity: str
    sheet: str  # as shown: the sheet's name, or WHOLE_WORKBOOK
    title: str | None  # the sheet's title in the copy, when it has one
    ref: str  # "H7", or "" for a problem about a whole sheet or workbook
    link: bool  # True when the cell exists in the copy and can be jumped to
    key: tuple[int, int, int, int]
    prob: Problem


def _ordered(
    problems: list[Problem], titles: dict[str, str], order: dict[str, int]
) -> list[_Entry]:
    """Problems as listed: errors first, then whole workbook, sheets in workbook order, row,
    column; sheets the copy does not have (a missing sheet) after the others."""
    entries = []
    late = len(order)
    for prob in problems:
        sheet, ref = prob.sheet, ""
        if prob.cell and "!" in prob.cell:
            sheet, ref = prob.cell.rsplit("!", 1)
        elif prob.cell:
            ref = prob.cell
        title = titles.get(sheet) if sheet else None
        position = -1 if not sheet else order.get(title, late) if title else late
        position_in_sheet = _position(ref)
        row, col = position_in_sheet or (0, 0)
        link = position_in_sheet is not None and title is not None
        rank = 0 if prob.severity == ERROR else 1 if prob.severity == WARNING else 2
        entries.append(
            _Entry(
                prob.severity,
                sheet or WHOLE_WORKBOOK,
                title,
                ref,
                link,
                (rank, position, row, col),
                prob,
            )
        )
    entries.sort(key=lambda e: e.key)  # stable: same cell keeps the validation order
    return entries


def verdict(errors: int, warns: int) -> str:
    """The Problems sheet's one-line summary of what stands between the file and acceptance."""

    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    if errors:
        text = f"{count(errors, 'error')} must be fixed before this workbook can be accepted"
        if warns:
            text += f"; {count(warns, 'warning')} {'is' if warns == 1 else 'are'} worth a look"
        return text + "."
    if warns:
        return (
            "No errors: this workbook passes validation and can be accepted as it is; "
            f"{count(warns, 'warning')} {'is' if warns == 1 else 'are'} worth a look."
        )
    return "No errors and no warnings."


def _write_problems_sheet(
    ws: Worksheet, file_name: str, entries: list[_Entry], values_only: bool
) -> None:
    for letter_index, (_, width) in enumerate(LIST_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(letter_index)].width = width
    set_text(ws["A1"], TITLE)
    ws["A1"].font = _TITLE_FONT
    set_text(ws["A2"], f"File: {file_name}")
    ws["A2"].font = _BOLD
    errors = sum(e.severity == ERROR for e in entries)
    warns = sum(e.severity == WARNING for e in entries)
    set_text(ws["A3"], verdict(errors, warns))
    ws["A3"].font = Font(name=FONT, bold=True, color="FF9C0006" if errors else "FF7F3F00")
    notes = [
        "Click a cell reference in the Cell column to jump to that cell.",
        "In the sheets, cells with an error are filled red with a thick border, cells with a "
        "warning orange with a dashed border; point at a cell to read its comment.",
    ]
    if values_only:
        notes.append(
            "This copy holds your workbook's values only (no formatting or formulas): make "
            "the fixes in your own workbook and submit it again."
        )
    row = 4
    for note in notes:
        set_text(ws.cell(row=row, column=1), note)
        ws.cell(row=row, column=1).font = _NOTE_FONT
        row += 1
    row = _write_counts(ws, row + 1, entries) + 1
    _write_list(ws, row, entries)
    _landscape_fit_to_width(ws)


def _landscape_fit_to_width(ws: Worksheet) -> None:
    """Print landscape, as many pages long as needed but one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_counts(ws: Worksheet, row: int, entries: list[_Entry]) -> int:
    """The per-sheet counts table from `row`; returns the first row after it."""
    by_sheet: dict[str, Counter[str]] = {}
    for entry in sorted(entries, key=lambda e: e.key[1:]):  # sheet order, whatever severity
        by_sheet.setdefault(entry.sheet, Counter())[entry.severity] += 1
    _header(ws, row, ("Sheet", "Errors", "Warnings"))
    for sheet, counts in by_sheet.items():
        row += 1
        set_text(ws.cell(row=row, column=1), sheet)
        ws.cell(row=row, column=2, value=counts[ERROR])
        ws.cell(row=row, column=3, value=counts[WARNING])
        for col in (1, 2, 3):
            ws.cell(row=row, column=col).border = _GRID
    row += 1
    set_text(ws.cell(row=row, column=1), "Total")
    ws.cell(row=row, column=2, value=sum(c[ERROR] for c in by_sheet.values()))
    ws.cell(row=row, column=3, value=sum(c[WARNING] for c in by_sheet.values()))
    for col in (1, 2, 3):
        ws.cell(row=row, column=col).font = _BOLD
        ws.cell(row=row, column=col).border = _GRID
    return row + 1


def _write_list(ws: Worksheet, row: int, entries: list[_Entry]) -> None:
    """The problem list: header at `row` (frozen, repeated on every printed page)."""
    _header(ws, row, tuple(name for name, _ in LIST_COLUMNS))
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    ws.print_title_rows = f"{row}:{row}"
    for entry in entries[:MAX_LISTED_PROBLEMS]:
        row += 1
        _write_entry(ws, row, entry)
    if len(entries) > MAX_LISTED_PROBLEMS:
        more = len(entries) - MAX_LISTED_PROBLEMS
        set_text(
            ws.cell(row=row + 1, column=1),
            f"… and {more:,} more problem{'s' if more > 1 else ''}: see the validation report "
            "for the full list.",
        )
        ws.cell(row=row + 1, column=1).font = _BOLD


def _write_entry(ws: Worksheet, row: int, entry: _Entry) -> None:
    prob = entry.prob
    texts = (
        SEVERITY_WORDS.get(prob.severity, prob.severity.capitalize()),
        entry.sheet,
        entry.ref,
        prob.message,
        prob.hint,
        prob.code,
    )
    for col, text in enumerate(texts, start=1):
        cell = ws.cell(row=row, column=col)
        set_text(cell, text)
        cell.alignment = _WRAP
        cell.border = _GRID
    severity = ws.cell(row=row, column=1)
    severity.font = _BOLD
    if prob.severity == ERROR:
        severity.fill, severity.border = ERROR_FILL, ERROR_BORDER
    elif prob.severity == WARNING:
        severity.fill, severity.border = WARNING_FILL, WARNING_BORDER
    ws.cell(row=row, column=6).font = _CODE_FONT
    ws.row_dimensions[row].height = _row_height(texts)
    if entry.link and entry.title is not None:
        link = ws.cell(row=row, column=3)
        link.hyperlink = Hyperlink(
            ref=link.coordinate,
            # Absolute ("$C$2"): LibreOffice takes a relative "C2" for an R1C1 reference
            # ("column 2") and leaves the link dead; Excel reads both forms.
            location=f"{quote_sheetname(entry.title)}!{absolute_coordinate(entry.ref)}",
            tooltip=comment_text(f"Go to {entry.sheet} {entry.ref}", 255),
        )
        link.font = _LINK_FONT


def _row_height(texts: tuple[str, ...]) -> float:
    """Points for a list row whose wrapped texts fit their columns.

    Set explicitly: LibreOffice keeps the default height of an .xlsx row that has none, and
    a wrapped message would then be cut off. Counts a column's width in characters, which
    over-estimates a little for ordinary text: a line too many, never one too few.
    """
    lines = 1
    for text, (_, width) in zip(texts, LIST_COLUMNS, strict=True):
        wrapped = sum(max(1, math.ceil(len(line) / width)) for line in text.split("\n"))
        lines = max(lines, wrapped)
    return LINE_POINTS * lines


def _header(ws: Worksheet, row: int, names: tuple[str, ...]) -> None:
    for col, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=col)
        set_text(cell, name)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _GRID
        cell.alignment = Alignment(vertical="top")
