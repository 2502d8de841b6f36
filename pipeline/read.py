"""Read one workbook file into raw frames per sheet, each row keyed by its Excel row number.

Values stay as the spreadsheet holds them (str, float, bool, date/datetime, None for blank);
typing happens in validation. Every frame carries a header -> column-letter map so any later
problem can name its cell (`KPIs!H7`).

Engine: python-calamine (Rust) reads the cached values about 10x faster than openpyxl on our
workbooks (see `make bench`). Calamine turns error values (`#DIV/0!`) and formulas without
a cached result into blanks, so a cheap scan of the sheet XML finds those cells and records
them in `RawSheet.flags`: a blank is never silently a failed formula.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pandas as pd
import python_calamine

from pipeline.contract import SHEET_ORDER, Sheet
from pipeline.problems import problem

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # zip-bomb guard: total uncompressed size
MAX_ROWS = 5_000  # rows and columns holding values, as the reader sees them
MAX_COLUMNS = 200
# The pre-flight gate counts every cell element, empty formatted ones too, so it allows ten
# times more: it exists to stop a library allocating a million-row range, not to judge.
MAX_EXTENT_ROWS = 10 * MAX_ROWS
MAX_EXTENT_COLUMNS = 10 * MAX_COLUMNS
DATA_SHEETS = tuple(s for s in SHEET_ORDER if s not in (Sheet.INSTRUCTIONS, Sheet.LISTS))

_ROW_OR_CELL = re.compile(
    rb"<(?:\w+:)?row\b([^>]*)>|<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S
)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook; `code` is a stable problem code."""

    def __init__(self, code: str, **fields: str) -> None:
        super().__init__(problem(code, "", **fields).message)
        self.code = code
        self.fields = fields  # the placeholders of the code's catalogue message


@dataclass
class RawSheet:
    """One sheet: `frame` indexed by Excel row number, columns = header text of row 1."""

    name: str
    frame: pd.DataFrame
    letters: dict[str, str]  # header -> column letter ("KPI ID" -> "A")
    # cell ("H7") -> "formula-without-value" or the error text ("#DIV/0!")
    flags: dict[str, str] = field(default_factory=dict)

    def cell(self, header: str, row: int) -> str:
        """The sheet-qualified cell of a header and row: `KPIs!H7`."""
        return f"{self.name}!{self.letters.get(header, '?')}{row}"


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    sheet_names: tuple[str, ...]
    sheets: dict[str, RawSheet]  # data sheets that are present, by name
    # Submission sheet: label in column A (stripped) -> (value in column B, "B3")
    submission: dict[str, tuple[Any, str]]
    submission_flags: dict[str, str] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    """The file's SHA-256; "" when it is over the size limit (never hashed) or unreadable."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return ""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every contract sheet of an .xlsx file; raise UnreadableWorkbook if it can't.

    Nothing but UnreadableWorkbook leaves this function: the pre-flight gate checks the
    bytes before python-calamine sees them, and anything the libraries raise afterwards
    becomes `unreadable-file` with the reason.
    """
    try:
        return _read(Path(path))
    except UnreadableWorkbook:
        raise
    except MemoryError:
        raise UnreadableWorkbook("unreadable-file", reason="it needs too much memory") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a library's surprise (even a Rust panic) is this file's
        raise UnreadableWorkbook("unreadable-file", reason=_clean(exc)) from None


def _read(path: Path) -> RawWorkbook:
    xml_parts = preflight(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise UnreadableWorkbook("encrypted-file") from None
    except Exception as exc:  # calamine raises several types for corrupt files
        raise UnreadableWorkbook("unreadable-file", reason=_clean(exc)) from None
    try:
        names = tuple(book.sheet_names)
        sheet_flags = _scan_flags(xml_parts)
        sheets: dict[str, RawSheet] = {}
        submission: dict[str, tuple[Any, str]] = {}
        submission_flags: dict[str, str] = {}
        for name in names:
            stripped = name.strip()
            if stripped == Sheet.SUBMISSION:
                rows = _rows(book, name)
                submission = _key_values(rows)
                submission_flags = sheet_flags.get(name, {})
            elif stripped in DATA_SHEETS and stripped not in sheets:
                rows = _rows(book, name)
                sheets[stripped] = _to_raw_sheet(stripped, rows, sheet_flags.get(name, {}))
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        raise UnreadableWorkbook("unreadable-file", reason=_clean(exc)) from None
    finally:
        book.close()
    return RawWorkbook(
        path,
        file_sha256(path),
        tuple(n.strip() for n in names),
        sheets,
        submission,
        submission_flags,
    )


def _rows(book: Any, name: str) -> list[list[Any]]:
    sheet = book.get_sheet_by_name(name)
    if sheet.height > MAX_ROWS or sheet.width > MAX_COLUMNS:
        raise UnreadableWorkbook(
            "sheet-too-large",
            sheet=name,
            rows=str(sheet.height),
            columns=str(sheet.width),
            limit=f"{MAX_ROWS} x {MAX_COLUMNS}",
        )
    rows = sheet.to_python(skip_empty_area=False)
    return [[_plain(v) for v in row] for row in rows]


def _plain(value: Any) -> Any:
    """Calamine gives '' for an empty cell: that is a blank (None), never an empty text."""
    return None if isinstance(value, str) and value == "" else value


def _to_raw_sheet(name: str, rows: list[list[Any]], flags: dict[str, str]) -> RawSheet:
    header_row = rows[0] if rows else []
    headers: list[str] = []
    letters: dict[str, str] = {}
    keep: list[int] = []
    for i, value in enumerate(header_row):
        text = _header_text(value)
        if text and text not in letters:
            letters[text] = column_letter(i)
            headers.append(text)
            keep.append(i)
    records = []
    index = []
    # Flags in columns without a header (scratch work beside the table) make no data row.
    kept_letters = set(letters.values())
    flagged_rows = {_row_of(ref) for ref in flags if ref.rstrip("0123456789") in kept_letters}
    # Calamine's range ends at the last cell with a value, so a trailing row holding only a
    # broken formula lies beyond `rows`: walk far enough to keep it.
    last_row = max(len(rows), max(flagged_rows, default=0))
    for offset in range(2, last_row + 1):
        row = rows[offset - 1] if offset <= len(rows) else []
        values = [row[i] if i < len(row) else None for i in keep]
        # A row is data if any kept cell holds something, or a flagged cell sits on it.
        if offset in flagged_rows or any(
            v is not None and not (isinstance(v, str) and not v.strip()) for v in values
        ):
            records.append(values)
            index.append(offset)
    frame = pd.DataFrame(records, columns=headers, index=pd.Index(index, name="row"), dtype=object)
    return RawSheet(name, frame, letters, flags)


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        # A month header LibreOffice or Excel turned into a date: keep the contract's label.
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\u00a0", " ").split())


def _key_values(rows: list[list[Any]]) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    for number, row in enumerate(rows, start=1):
        if not row:
            continue
        label = _header_text(row[0])
        if label and label not in out:
            out[label] = (row[1] if len(row) > 1 else None, f"B{number}")
    return out


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _row_of(ref: str) -> int:
    return int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def preflight(path: Path) -> dict[str, bytes]:
    """The pre-flight gate: is this file safe to hand to a spreadsheet library?

    Checks, before any library parses it: the size on disk (a stat, before hashing), the
    magic bytes (zip, or OLE for encrypted and legacy files), every zip member inflated
    for real with a running budget (declared sizes can lie), DTD or entity declarations in
    any XML part, the workbook's own XML, and the real cell extent of every worksheet
    (every `<row r=...>` and `<c r=...>`, never the `dimension` element) against the row
    and column caps. Returns the XML of each sheet the reader needs, by sheet name.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook(
            "file-too-large", size=f"{size / 1e6:.1f} MB (limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
        )
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        # OLE2 container: either an encrypted xlsx or a legacy .xls.
        if _is_encrypted_ole(path):
            raise UnreadableWorkbook("encrypted-file")
        raise UnreadableWorkbook("not-xlsx", what="legacy .xls format")
    if not magic.startswith(b"PK"):
        raise UnreadableWorkbook("not-xlsx", what="not a zip-based Office file")
    try:
        with zipfile.ZipFile(path) as archive:
            return _check_members(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"corrupt or truncated file ({_clean(exc)})"
        ) from None


def _check_members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    infos = archive.infolist()
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook("file-too-large", size="over 200 MB when unpacked")
    names = {i.filename for i in infos}
    if len(names) < len(infos):  # two readers could each take a different one
        twice = sorted(n for n, count in Counter(i.filename for i in infos).items() if count > 1)
        raise UnreadableWorkbook("unreadable-file", reason=f"it holds two parts named {twice[0]}")
    if "EncryptedPackage" in names:
        raise UnreadableWorkbook("encrypted-file")
    if "xl/workbook.xml" not in names:
        raise UnreadableWorkbook("not-xlsx", what="no xl/workbook.xml: not an Excel workbook")
    parts: dict[str, bytes] = {}
    budget = MAX_UNPACKED_BYTES
    for info in infos:
        if info.is_dir():
            continue
        data = _inflate(archive, info, budget)
        budget -= len(data)
        if info.filename.endswith((".xml", ".rels", ".vml")):
            if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                raise UnreadableWorkbook(
                    "unreadable-file", reason=f"{info.filename} declares XML entities"
                )
            _well_formed(info.filename, data)
            parts[info.filename] = data
    if STRICT_NAMESPACE in parts["xl/workbook.xml"][:4096]:
        raise UnreadableWorkbook(
            "not-xlsx", what="Strict Open XML; save it again as Excel Workbook (.xlsx)"
        )
    wanted = (Sheet.SUBMISSION, *DATA_SHEETS)
    sheets = {n: part for n, part in _sheet_parts(parts).items() if n.strip() in wanted}
    for name, part in sheets.items():  # only the sheets calamine will be asked to load
        rows, columns = sheet_extent(parts[part])
        if rows > MAX_EXTENT_ROWS or columns > MAX_EXTENT_COLUMNS:
            raise UnreadableWorkbook(
                "sheet-too-large",
                sheet=name,
                rows=str(rows),
                columns=str(columns),
                limit=f"{MAX_EXTENT_ROWS} x {MAX_EXTENT_COLUMNS}",
            )
    return {name: parts[part] for name, part in sheets.items()}


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """One member, inflated in chunks against what is left of the unpacked-size budget."""
    out = bytearray()
    try:
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                out += chunk
                if len(out) > budget:
                    raise UnreadableWorkbook("file-too-large", size="over 200 MB when unpacked")
    except UnreadableWorkbook:
        raise
    except Exception as exc:  # zlib.error, EOFError, NotImplementedError, CRC errors...
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"damaged part {info.filename} ({_clean(exc)})"
        ) from None
    return bytes(out)


_LONG_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>[^<]{32768}")


def _well_formed(name: str, data: bytes) -> None:
    """Expat's strict check (C speed): calamine forgives broken XML by guessing, and a
    guess can give a cell another cell's text. Also: no cell text over Excel's limit."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"damaged XML in {name} ({_clean(exc)})"
        ) from None
    if _LONG_TEXT.search(data):
        raise UnreadableWorkbook(
            "unreadable-file",
            reason=f"{name} holds a text over 32,767 characters, more than Excel allows",
        )


STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its worksheet part, from workbook.xml and its relationships."""
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
        rels = ElementTree.fromstring(parts.get("xl/_rels/workbook.xml.rels", b"<x/>"))
    except Exception as exc:  # ParseError, ExpatError, defusedxml's refusals
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"damaged workbook.xml or its relationships ({_clean(exc)})"
        ) from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG}Relationship")}
    out: dict[str, str] = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        part = part.replace("xl/./", "xl/")
        if part in parts:
            out[sheet.get("name", "")] = part
    return out


_EXTENT_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_EXTENT_REF = re.compile(rb'(?:^|\s)r="([A-Za-z]*)([0-9]*)"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\b")
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]+)"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Za-z]+)([0-9]+)"')


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """The last row and column that hold a cell, from every `<row>` and `<c>` of the XML.

    A cell or row without an `r` attribute follows the previous one, as spreadsheet
    programs read it; the `dimension` element is never trusted.
    """
    rows, cells = _ROW_REF.findall(xml), _CELL_REF.findall(xml)
    if len(rows) != len(_ROW_TAG.findall(xml)) or len(cells) != len(_CELL_TAG.findall(xml)):
        return _walk_extent(xml)  # some row or cell has no address: count them in order
    max_row = max((int(r) for r in {*rows, *(digits for _, digits in cells)}), default=0)
    max_col = max((column_number(c.decode("ascii")) for c in {c for c, _ in cells}), default=0)
    return max_row, max_col


def _walk_extent(xml: bytes) -> tuple[int, int]:
    max_row = max_col = row = col = 0
    for match in _EXTENT_TAG.finditer(xml):
        ref = _EXTENT_REF.search(match.group(2))
        letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
        if match.group(1) == b"row":
            row = int(digits) if digits else row + 1
            col = 0
        else:
            col = column_number(letters.decode("ascii")) if letters else col + 1
            if digits:
                row = max(row, int(digits))
            max_col = max(max_col, col)
        max_row = max(max_row, row)
    return max_row, max_col


def column_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27 (the inverse of `column_letter`, 1-based)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ord(ch) - 64)
    return number


def _scan_flags(xml_by_sheet: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Cells holding an error value or a formula with no cached result, per sheet."""
    flags: dict[str, dict[str, str]] = {}
    for name, xml in xml_by_sheet.items():
        # One C-speed search first: most sheets hold no formula and no error value (a bare
        # `<f` test would also match data validation's `<formula1>`).
        if b't="e"' not in xml and not _FORMULA.search(xml):
            continue
        found: dict[str, str] = {}
        row = col = 0
        for match in _ROW_OR_CELL.finditer(xml):
            if match.group(1) is not None:  # a <row>: cells that follow count from its number
                ref = _EXTENT_REF.search(match.group(1))
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                col = 0
                continue
            attrs, body = match.group(2), match.group(3) or b""
            ref = _REF.search(attrs)
            if ref:  # addressed cell
                cell = ref.group(1).decode()
                col = column_number(cell.rstrip("0123456789"))
            else:  # an address is optional in the format: the next cell of the row
                col += 1
                cell = f"{column_letter(col - 1)}{row}"
            value = _VALUE.search(body)
            if _ERROR_TYPE.search(attrs):
                found[cell] = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
            elif _FORMULA.search(body) and (value is None or not value.group(1).strip()):
                found[cell] = "formula-without-value"
        if found:
            flags[name] = found
    return flags


def _is_encrypted_ole(path: Path) -> bool:
    with path.open("rb") as handle:
        data = handle.read(1 << 16)
    return "EncryptedPackage".encode("utf-16-le") in data or b"E\x00n\x00c\x00r" in data


def _clean(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
