"""Annotated copies of problem workbooks: bad cells filled and commented, never the original.

The copy is named after the dropped file by `feedback_name`: a safe, bounded, distinct name
inside the feedback folder whatever the dropped file was called. A workbook openpyxl cannot
open, annotate or save (Strict Open XML, an odd part, one too large to load) gets no copy:
`write_feedback` returns None and the validation report still lists every problem. Only a
feedback folder that cannot be written raises (`pipeline.atomic.CannotWrite`).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import column_index_from_string

from pipeline.atomic import replacing
from pipeline.problems import ERROR, Problem
from pipeline.render.excel import comment_text

# A workbook full of mistakes gets its first cells annotated; the report lists them all.
MAX_ANNOTATED_CELLS = 500
# openpyxl holds every cell as an object (hundreds of bytes each): a workbook whose parts
# unpack to more than this gets no annotated copy rather than gigabytes of memory.
MAX_FEEDBACK_UNPACKED_BYTES = 25 * 1024 * 1024
ERROR_FILL = PatternFill("solid", start_color="FFF4B6B6", end_color="FFF4B6B6")
WARNING_FILL = PatternFill("solid", start_color="FFFFE3A3", end_color="FFFFE3A3")

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
    """Copy `source` to `out_dir` with each problem cell highlighted and commented.

    Returns None when no problem names a cell or the workbook can't be opened, annotated or
    saved by openpyxl; raises only when `out_dir` cannot be written (`CannotWrite`).
    """
    located = _located(problems)
    if not located:
        return None
    data = _annotated(source, located)
    if data is None:
        return None
    target = feedback_path(source.name, out_dir)
    with replacing(target) as temp:
        temp.write_bytes(data)
    return target


def _located(problems: list[Problem]) -> dict[tuple[str, str], list[Problem]]:
    """Problems by (sheet, cell), for the first MAX_ANNOTATED_CELLS cells named."""
    located: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for prob in problems:
        if prob.cell and "!" in prob.cell:
            sheet, ref = prob.cell.rsplit("!", 1)
            if _is_cell(ref) and ((sheet, ref) in located or len(located) < MAX_ANNOTATED_CELLS):
                located[(sheet, ref)].append(prob)
    return located


def _is_cell(ref: str) -> bool:
    match = _CELL_REF.fullmatch(ref)
    return bool(match) and (
        column_index_from_string(match[1]) <= MAX_COLUMN and int(match[2]) <= MAX_ROW
    )


def _annotated(source: Path, located: dict[tuple[str, str], list[Problem]]) -> bytes | None:
    """The annotated workbook's bytes; None when openpyxl cannot do it for this file."""
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_FEEDBACK_UNPACKED_BYTES:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about parts it drops
            book = openpyxl.load_workbook(source)
            annotated = sum(
                _annotate(book, sheet, ref, probs) for (sheet, ref), probs in located.items()
            )
            if not annotated:  # none of the cells exists in what openpyxl read (Strict XML)
                return None
            buffer = io.BytesIO()
            book.save(buffer)
    except Exception:  # any failure is this copy's, never the run's
        return None
    return buffer.getvalue()


def _annotate(book: openpyxl.Workbook, sheet_name: str, ref: str, probs: list[Problem]) -> bool:
    """Fill and comment one cell; False when the sheet or cell can't take it."""
    if sheet_name not in book.sheetnames:
        return False
    try:
        cell = book[sheet_name][ref]
        worst = ERROR if any(p.severity == ERROR for p in probs) else "warning"
        text = "\n".join(
            f"{p.severity.upper()} {p.code}: {p.message}\nFix: {p.hint}" for p in probs
        )
        comment = Comment(comment_text(text), "scorecard")
        comment.width, comment.height = 320, 160
        cell.comment = comment
        cell.fill = ERROR_FILL if worst == ERROR else WARNING_FILL
    except Exception:  # a chart sheet, a merged cell: skip this cell
        return False
    return True
