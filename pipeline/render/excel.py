"""Text from workbooks in, text any .xlsx we write can hold, shown as typed and never run.

Every Excel writer (the data book, the annotated feedback copies) puts text through here:

- characters an .xlsx cannot hold (XML 1.0: control characters other than tab, line feed
  and carriage return; lone surrogates; U+FFFE and U+FFFF) become a visible U+FFFD "�",
  where openpyxl would raise `IllegalCharacterError` or write a file Excel must repair;
- text longer than Excel's cell limit (32,767 characters, counted as Excel counts them, in
  UTF-16 units) is cut and ends in "…", so a cut never passes unseen;
- `_x0041_`-style sequences, which Excel decodes as escaped characters, are escaped in turn
  so Excel shows them exactly as typed;
- text stays text: a value starting with = + - @ tab or carriage return, or one that reads
  as an error literal (`#DIV/0!`), is written as a string cell with Excel's quote prefix, so
  it is neither a formula when the book is opened nor when the cell is edited.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import ERROR_CODES

MAX_CELL_CHARS = 32_767  # Excel's limit on the characters in one cell
MAX_COMMENT_CHARS = 2_000  # a comment longer than this is unreadable in Excel's pop-up
CUT_MARK = "…"
REPLACEMENT = "\ufffd"
# A leading character that makes Excel (or LibreOffice) read text as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def clean_text(text: str, limit: int = MAX_CELL_CHARS) -> str:
    """`text` with characters an .xlsx cannot hold replaced by "�", at most `limit` long.

    The length is counted in UTF-16 units, as Excel counts; a cut text ends in "…".
    """
    text = _NOT_XML.sub(REPLACEMENT, str(text))
    if _utf16_len(text) <= limit:
        return text
    keep = limit - len(CUT_MARK)
    cut = text[:keep]
    excess = _utf16_len(cut) - keep
    while excess > 0:  # a character outside the BMP counts twice: drop enough to fit
        cut = cut[:-excess]
        excess = _utf16_len(cut) - keep
    return cut + CUT_MARK


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def looks_like_formula(text: str) -> bool:
    """True when Excel would read `text` as a formula or an error value, not as text."""
    return text.startswith(FORMULA_START) or text.strip() in ERROR_CODES


def set_text(cell: Any, text: str, limit: int = MAX_CELL_CHARS) -> None:
    """Write `text` into an openpyxl cell as a plain string cell, whatever it contains."""
    shown = clean_text(text, limit)
    value = _escape(shown)
    while len(value) > MAX_CELL_CHARS:  # openpyxl would cut the escaped text, and the "…"
        limit -= len(value) - MAX_CELL_CHARS
        shown = clean_text(text, limit)
        value = _escape(shown)
    cell.value = value
    cell.data_type = "s"  # openpyxl types "=..." as a formula and "#N/A" as an error
    if looks_like_formula(shown):
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def comment_text(text: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """Text for a cell comment (openpyxl `Comment`): cleaned and escaped like a cell's."""
    return _escape(clean_text(text, limit))


def _escape(text: str) -> str:
    """`_x0041_` -> `_x005F_x0041_`: Excel decodes the first, and shows the second as typed."""
    return _EXCEL_ESCAPE.sub(r"_x005F_\1", text)
