"""Read one workbook file into raw frames per sheet, each row keyed by its Excel row number.

Values stay as the spreadsheet holds them (str, float, bool, date/datetime, None for blank);
typing happens in validation. Every frame carries a header -> column-letter map so any later
problem can name its cell (`KPIs!H7`).

Engine: python-calamine (Rust) reads the cached values about 10x faster than openpyxl on our
workbooks (see `make bench`). Calamine turns error values (`#DIV/0!`) and formulas without
a cached result into blanks, so a cheap scan of the sheet XML finds those cells and records
them in `RawSheet.flags`: a blank is never silently a failed formula.

Formats: Excel's .xlsx / .xlsm, and LibreOffice's OpenDocument spreadsheet .ods (chosen by
the file name's ending). Both pass the same kind of pre-flight gate and give the same
values: an .ods saved from a good template reads exactly like the .xlsx (dates, 42% as
0.42, blanks as None); the one difference calamine has, a tab or line break inside an .ods
text cell read as nothing, is put right from the XML (`OdsScan.texts`).
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

import numpy as np
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
WANTED_SHEETS = (Sheet.SUBMISSION, *DATA_SHEETS)  # the sheets the reader loads
ODS_SUFFIX = ".ods"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# An .ods repeats a row or cell with one attribute (`table:number-rows-repeated="1000000"`)
# and calamine loads every sheet of it when it opens the file, so its gate counts the cells
# holding a value in every sheet against the reader's own caps for the sheets it reads,
# the 10x caps for the others, and one budget of cells for the whole file (~0.6 GB).
ODS_MAX_CELLS = 10 * MAX_ROWS * MAX_COLUMNS

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


def is_ods(path: str | Path) -> bool:
    """Whether the file is read as an OpenDocument spreadsheet (by its name's ending)."""
    return Path(path).suffix.lower() == ODS_SUFFIX


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every contract sheet of an .xlsx, .xlsm or .ods file; raise UnreadableWorkbook if
    it can't.

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
    cleared = preflight(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise UnreadableWorkbook("encrypted-file") from None
    except Exception as exc:  # calamine raises several types for corrupt files
        raise UnreadableWorkbook("unreadable-file", reason=_clean(exc)) from None
    try:
        names = tuple(book.sheet_names)
        sheet_flags = cleared.flags
        sheets: dict[str, RawSheet] = {}
        submission: dict[str, tuple[Any, str]] = {}
        submission_flags: dict[str, str] = {}
        for name in names:
            stripped = name.strip()
            if stripped == Sheet.SUBMISSION:
                rows = _rows(book, name, cleared.texts.get(name))
                submission = _key_values(rows)
                submission_flags = sheet_flags.get(name, {})
            elif stripped in DATA_SHEETS and stripped not in sheets:
                rows = _rows(book, name, cleared.texts.get(name))
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


def _rows(book: Any, name: str, texts: dict[tuple[int, int], str] | None = None) -> list[list[Any]]:
    """The sheet's values from A1; `texts` (0-based row, column) replace calamine's text."""
    sheet = book.get_sheet_by_name(name)
    if sheet.height > MAX_ROWS or sheet.width > MAX_COLUMNS:
        raise UnreadableWorkbook(
            "sheet-too-large",
            sheet=name,
            rows=str(sheet.height),
            columns=str(sheet.width),
            limit=f"{MAX_ROWS} x {MAX_COLUMNS}",
        )
    rows = [[_plain(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    for (r, c), text in (texts or {}).items():
        if r < len(rows) and c < len(rows[r]) and isinstance(rows[r][c], str | None):
            rows[r][c] = _plain(text)
    return rows


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
    # One 2-D object block: a frame from a list of row lists infers every column's type.
    grid = np.empty((len(records), len(headers)), dtype=object)
    for i, values in enumerate(records):
        grid[i, :] = values
    frame = pd.DataFrame(grid, columns=headers, index=pd.Index(index, name="row"), copy=False)
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


@dataclass
class Cleared:
    """What the pre-flight gate hands the reader, per sheet name as calamine names it.

    `flags`: cells calamine reads as blank that hold an error value or a formula with no
    saved result (`RawSheet.flags`). `texts` (.ods only): (0-based row, column) -> the text
    of a cell holding a tab or line break, which calamine drops from an .ods.
    """

    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def preflight(path: Path) -> Cleared:
    """The pre-flight gate: is this file safe to hand to a spreadsheet library?

    Checks, before any library parses it: the size on disk (a stat, before hashing), the
    magic bytes (zip, or OLE for encrypted and legacy files), every zip member inflated
    for real with a running budget (declared sizes can lie), DTD or entity declarations in
    any XML part, the workbook's own XML, and the real cell extent of every worksheet
    (every `<row r=...>` and `<c r=...>`, never the `dimension` element) against the row
    and column caps. An .ods gets the same checks in its own terms (`_check_ods_members`).
    Returns the flagged cells (and .ods texts) of the sheets the reader needs.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook(
            "file-too-large", size=f"{size / 1e6:.1f} MB (limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
        )
    with path.open("rb") as handle:
        magic = handle.read(8)
    ods = is_ods(path)
    code, name = ("not-ods", ".ods") if ods else ("not-xlsx", ".xlsx")
    if magic.startswith(_OLE_MAGIC):
        # OLE2 container: either an encrypted xlsx or a legacy .xls.
        if _is_encrypted_ole(path):
            raise UnreadableWorkbook("encrypted-file")
        raise UnreadableWorkbook(code, what=f"it is an old Excel 97-2003 .xls file named {name}")
    if not magic.startswith(b"PK"):
        raise UnreadableWorkbook(code, what="it is not a spreadsheet file at all")
    try:
        with zipfile.ZipFile(path) as archive:
            if ods:
                return _check_ods_members(archive)
            parts = _check_members(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"corrupt or truncated file ({_clean(exc)})"
        ) from None
    return Cleared(_scan_flags(parts))


def _package_members(archive: zipfile.ZipFile) -> tuple[list[zipfile.ZipInfo], set[str]]:
    """The zip's members and their names, once the package-level limits hold (.xlsx, .ods):
    the unpacked total, and no two members of one name (two readers could take either)."""
    infos = archive.infolist()
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook("file-too-large", size="over 200 MB when unpacked")
    names = {i.filename for i in infos}
    if len(names) < len(infos):
        twice = sorted(n for n, count in Counter(i.filename for i in infos).items() if count > 1)
        raise UnreadableWorkbook("unreadable-file", reason=f"it holds two parts named {twice[0]}")
    return infos, names


def _check_members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    infos, names = _package_members(archive)
    if "EncryptedPackage" in names:
        raise UnreadableWorkbook("encrypted-file")
    if "xl/workbook.xml" not in names:
        if _mimetype(archive) == ODS_MIMETYPE:
            raise UnreadableWorkbook(
                "not-xlsx",
                what="it is a LibreOffice (.ods) spreadsheet named .xlsx; renaming it to end "
                "in .ods also works",
            )
        raise UnreadableWorkbook("not-xlsx", what="no xl/workbook.xml: not an Excel workbook")
    parts: dict[str, bytes] = {}
    budget = MAX_UNPACKED_BYTES
    for info in infos:
        if info.is_dir():
            continue
        data = _inflate(archive, info, budget)
        budget -= len(data)
        if info.filename.endswith((".xml", ".rels", ".vml")):
            _no_entities(info.filename, data)
            _well_formed(info.filename, data)
            parts[info.filename] = data
    if STRICT_NAMESPACE in parts["xl/workbook.xml"][:4096]:
        raise UnreadableWorkbook(
            "not-xlsx", what="Strict Open XML; save it again as Excel Workbook (.xlsx)"
        )
    wanted = (Sheet.SUBMISSION, *DATA_SHEETS)
    sheets = {n: part for n, part in _sheet_parts(parts).items() if n.strip() in wanted}
    for name, part in sheets.items():  # only the sheets calamine will be asked to load
        if extent_surely_within(parts[part], MAX_EXTENT_ROWS, MAX_EXTENT_COLUMNS):
            continue
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


def _no_entities(name: str, data: bytes) -> None:
    """No DTD and no entity declaration, ever: refused before any parser sees the part."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnreadableWorkbook("unreadable-file", reason=f"{name} declares XML entities")


_LONG_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>[^<]{32768}")
MAX_TEXT = 32_767  # characters in one cell, as Excel allows


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
_EXTENT_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\b")
_ROW_REF = re.compile(rb"""<(?:\w+:)?row\b[^>]*?\sr\s*=\s*["']([0-9]+)["']""")
_CELL_REF = re.compile(rb"""<(?:\w+:)?c\b[^>]*?\sr\s*=\s*["']([A-Za-z]+)([0-9]+)["']""")


# An `r` attribute, in any quoting or spacing XML allows, of 5+ characters or 3+ before a
# digit: every address past row 9,999 or column 702 (ZZ) is one, and so is one spelled
# with character references. Shorter ones cannot reach the extent limits. The search has
# no look-behind (it would be 5x slower): a match counts when whitespace precedes it, so
# `xmlns:r="http...` and `error="Pick one..."` do not.
_LONG_ADDRESS = re.compile(rb"""r\s*=\s*["'](?:[^"']{5}|[^"'0-9]{3})""")
_XML_SPACE = (b" ", b"\t", b"\n", b"\r")


def extent_surely_within(xml: bytes, max_rows: int, max_columns: int) -> bool:
    """A fast, conservative `sheet_extent(xml) <= (max_rows, max_columns)`: True only when
    counting bytes proves it; False means "walk the sheet" (`sheet_extent`).

    The proof, for a sheet whose every address is within row 9,999 and column 702: a row
    or cell without an address lands one past the previous one, so the last row is at most
    9,999 plus the row tags (every one holds the bytes `row`), and the last column at most
    702 plus the cells without `<c r="` (every cell tag holds `<c` or `:c`). Comments,
    CDATA, a DTD or a processing instruction could hide or fake tags: those take the walk.
    """
    if b"<!" in xml or xml.find(b"<?", 6) >= 0:
        return False
    if any(xml[m.start() - 1 : m.start()] in _XML_SPACE for m in _LONG_ADDRESS.finditer(xml)):
        return False
    row_tags = xml.count(b"row")
    unaddressed_cells = xml.count(b"<c") + xml.count(b":c") - xml.count(b'<c r="')
    return 9_999 + row_tags <= max_rows and 702 + unaddressed_cells <= max_columns


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


# --- OpenDocument spreadsheets (.ods) -----------------------------------------------------------


def _mimetype(archive: zipfile.ZipFile) -> bytes:
    """The `mimetype` member of an OpenDocument package, stripped; b"" when it has none."""
    try:
        info = archive.getinfo("mimetype")
    except KeyError:
        return b""
    if info.file_size > 256:  # an OpenDocument mimetype is one short line
        return b""
    try:
        return _inflate(archive, info, 256).strip()
    except UnreadableWorkbook:  # it inflates to more than it says: not a mimetype
        return b""


_MANIFEST = "META-INF/manifest.xml"
# LibreOffice 24.2's "wholesome" encryption keeps the whole document in this one member.
_ODS_ENCRYPTED_PACKAGE = "encrypted-package"


def _check_ods_members(archive: zipfile.ZipFile) -> Cleared:
    """The .ods side of the gate: the same budget and XML checks, in OpenDocument's terms.

    The package must say it is a spreadsheet (`mimetype`), must not be encrypted (the
    manifest's `encryption-data`), and must have `content.xml`, whose one streamed parse
    checks it is well formed, counts the cells that hold a value in every sheet with
    their repeats (`OdsScan`), and finds error values and formulas with no saved result.
    Every other XML member (`.xml`, `.rdf`) is checked as an .xlsx part is.
    """
    infos, names = _package_members(archive)
    if "xl/workbook.xml" in names:
        raise UnreadableWorkbook(
            "not-ods",
            what="it is an Excel workbook named .ods; renaming it to end in .xlsx also works",
        )
    mimetype = _mimetype(archive)
    if mimetype != ODS_MIMETYPE:
        shown = mimetype.decode("ascii", "replace")[:80]
        what = (
            f"it is an OpenDocument file of another kind ({shown}), not a spreadsheet"
            if mimetype.startswith(b"application/vnd.oasis.opendocument.")
            else "it has no OpenDocument spreadsheet mimetype"
        )
        raise UnreadableWorkbook("not-ods", what=what)
    if _ODS_ENCRYPTED_PACKAGE in names:
        raise UnreadableWorkbook("encrypted-file")
    if _MANIFEST not in names:
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"it has no {_MANIFEST}, which every .ods has"
        )
    budget = MAX_UNPACKED_BYTES
    manifest = _inflate(archive, archive.getinfo(_MANIFEST), budget)
    budget -= len(manifest)
    _no_entities(_MANIFEST, manifest)
    _well_formed(_MANIFEST, manifest)
    if b"encryption-data" in manifest:  # its parts are encrypted: not XML we could read
        raise UnreadableWorkbook("encrypted-file")
    if "content.xml" not in names:
        raise UnreadableWorkbook("not-ods", what="it has no content.xml, so no sheets")
    scan = OdsScan()
    for info in infos:
        if info.is_dir() or info.filename in ("mimetype", _MANIFEST):
            continue
        data = _inflate(archive, info, budget)
        budget -= len(data)
        if info.filename == "content.xml":
            _no_entities(info.filename, data)
            scan.parse(data)
        elif info.filename.lower().endswith((".xml", ".rdf")):
            _no_entities(info.filename, data)
            _well_formed(info.filename, data)
    return Cleared(scan.flags, scan.texts)


# An error value written without LibreOffice's calcext:value-type="error": the text shown.
_ODS_ERROR_TEXT = re.compile(r"#[A-Z0-9/]+[!?]?|#N/A|Err:[0-9]{3}")
_ODS_CELLS = frozenset({"table-cell", "covered-table-cell"})


class _OdsCell:
    __slots__ = ("types", "formula", "string_value", "parts", "length", "paragraphs", "special")

    def __init__(self, types: tuple[str, ...], formula: bool, string_value: str | None) -> None:
        self.types = types  # office:value-type and calcext:value-type
        self.formula = formula
        self.string_value = string_value  # office:string-value, which calamine prefers
        self.parts: list[str] = []
        self.length = 0
        self.paragraphs = 0
        self.special = False  # holds a tab or a line break, which calamine drops


class _OdsTable:
    __slots__ = (
        "name", "wanted", "max_rows", "max_columns", "row", "row_repeat", "col",
        "last_row", "last_col", "cell", "first_col", "skip",
    )  # fmt: skip

    def __init__(self, name: str, wanted: bool, max_rows: int, max_columns: int) -> None:
        self.name = name
        self.wanted = wanted  # a sheet the reader loads: flags and texts kept, tight caps
        self.max_rows, self.max_columns = max_rows, max_columns
        self.row = 0  # rows before the current one
        self.row_repeat = 1
        self.col = 0  # columns before the current cell
        self.last_row = self.last_col = 0  # the extent of the cells holding a value (1-based)
        self.cell: _OdsCell | None = None  # the open cell holding a value, if any
        self.first_col = 0  # its first column (0-based)
        self.skip = 0  # depth inside an annotation (a comment): its text is not the value


class OdsScan:
    """One streamed pass over an .ods `content.xml`, with expat (so also its well-formedness).

    For every sheet (calamine loads them all) it counts the rows and columns up to the last
    cell holding a value or a formula (cells with neither are empty to calamine, however
    formatted), with `table:number-rows-repeated` and `table:number-columns-repeated`
    applied by arithmetic, never by expanding them: LibreOffice writes a million empty
    formatted rows as one element, which costs nothing, while one *filled* row repeated a
    million times is refused as soon as it is seen (`sheet-too-large`). The reader's sheets
    are held to the reader's caps (`MAX_ROWS` x `MAX_COLUMNS`), other sheets to the 10x
    caps, the whole file to `ODS_MAX_CELLS`. For the reader's sheets it records, by cell,
    error values (`calcext:value-type="error"`, or a formula showing `#DIV/0!` over an
    empty value) and formulas with no saved value (no value type), as `_scan_flags` does
    for an .xlsx, and the text of cells holding a tab or a line break. No cell text may
    pass MAX_TEXT characters. Elements and attributes are matched by local name whatever
    their prefix, so a renamed prefix cannot hide a row from the count.
    """

    def __init__(self) -> None:
        self.flags: dict[str, dict[str, str]] = {}
        self.texts: dict[str, dict[tuple[int, int], str]] = {}
        self.cells_before = 0  # the area of the sheets already closed
        self._tables: list[_OdsTable] = []  # open tables, innermost last
        self._table: _OdsTable | None = None  # the innermost open table

    def parse(self, data: bytes, name: str = "content.xml") -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise UnreadableWorkbook(
                "unreadable-file", reason=f"damaged XML in {name} ({_clean(exc)})"
            ) from None

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _LOCAL_NAMES.get(tag) or _local(tag)
        table = self._table
        if local in _ODS_CELLS:
            if table is not None:
                self._start_cell(table, attrs)
        elif local == "table-row":
            if table is not None:
                table.row_repeat = _repeat(attrs, "number-rows-repeated")
                table.col = 0
        elif local == "table":
            name = next((v for k, v in attrs.items() if _local(k) == "name"), "")
            wanted = name.strip() in WANTED_SHEETS and not self._tables
            caps = (MAX_ROWS, MAX_COLUMNS) if wanted else (MAX_EXTENT_ROWS, MAX_EXTENT_COLUMNS)
            self._table = _OdsTable(name, wanted, *caps)
            self._tables.append(self._table)
        elif table is None or table.cell is None:
            return
        elif local == "annotation":
            table.skip += 1
        elif table.skip:
            return
        elif local == "p":
            if table.cell.paragraphs:
                table.cell.parts.append("\n")
            table.cell.paragraphs += 1
        elif local == "s":
            self._add(table.cell, " " * min(_repeat(attrs, "c"), MAX_TEXT + 1))
        elif local == "tab" or local == "line-break":
            self._add(table.cell, "\t" if local == "tab" else "\n")
            table.cell.special = True

    def _start_cell(self, table: _OdsTable, attrs: dict[str, str]) -> None:
        repeat, types, formula, string_value = 1, (), False, None
        names = _LOCAL_NAMES
        for key, value in attrs.items():  # one pass: most cells carry only a style
            name = names.get(key) or _local(key)
            if name == "number-columns-repeated":
                repeat = max(repeat, _count(value, name)) if repeat > 1 else _count(value, name)
            elif name == "value-type":
                types = (*types, value)
            elif name == "formula":
                formula = True
            elif name == "string-value":
                string_value = value
        table.first_col = table.col
        table.col += repeat
        if not (types or formula):
            return  # an empty (perhaps formatted) cell: calamine allocates nothing for it
        last_row, last_col = table.row + table.row_repeat, table.col
        if last_row > table.max_rows or last_col > table.max_columns:
            raise UnreadableWorkbook(
                "sheet-too-large",
                sheet=table.name,
                rows=str(max(last_row, table.last_row)),
                columns=str(max(last_col, table.last_col)),
                limit=f"{table.max_rows} x {table.max_columns}",
            )
        table.last_row, table.last_col = (
            max(table.last_row, last_row),
            max(table.last_col, last_col),
        )
        if self.cells_before + table.last_row * table.last_col > ODS_MAX_CELLS:
            raise UnreadableWorkbook(
                "sheet-too-large",
                sheet=table.name,
                rows=str(table.last_row),
                columns=str(table.last_col),
                limit=f"{ODS_MAX_CELLS:,} cells in all sheets",
            )
        table.cell = _OdsCell(types, formula, string_value)

    def _text(self, data: str) -> None:
        table = self._table
        if table is not None and table.cell is not None and not table.skip:
            self._add(table.cell, data)

    def _add(self, cell: _OdsCell, text: str) -> None:
        cell.parts.append(text)
        cell.length += len(text)
        if cell.length > MAX_TEXT:
            raise UnreadableWorkbook(
                "unreadable-file",
                reason="content.xml holds a text over 32,767 characters, more than Excel allows",
            )

    def _end(self, tag: str) -> None:
        table = self._table
        if table is None:
            return
        local = _LOCAL_NAMES.get(tag) or _local(tag)
        if local in _ODS_CELLS:
            if table.cell is not None:
                cell, table.cell = table.cell, None
                if table.wanted:
                    self._record(table, cell)
        elif local == "table-row":
            table.row += table.row_repeat
            table.row_repeat = 1
            table.col = 0
        elif local == "table":
            self._tables.pop()
            self._table = self._tables[-1] if self._tables else None
            self.cells_before += table.last_row * table.last_col
        elif local == "annotation" and table.skip:
            table.skip -= 1

    def _record(self, table: _OdsTable, cell: _OdsCell) -> None:
        """A cell of the reader's sheets, at every place it repeats to: flag, own text."""
        flag, text = _ods_flag(cell), None
        if cell.special and set(cell.types) <= {"string"} and cell.string_value is None:
            text = "".join(cell.parts)
        if flag is None and text is None:
            return
        for row in range(table.row, table.row + table.row_repeat):
            for col in range(table.first_col, table.col):
                if flag is not None:
                    self.flags.setdefault(table.name, {})[f"{column_letter(col)}{row + 1}"] = flag
                if text is not None:
                    self.texts.setdefault(table.name, {})[(row, col)] = text


def _ods_flag(cell: _OdsCell) -> str | None:
    """ "formula-without-value", the error text ("#DIV/0!"), or None for a good cell."""
    if "error" in cell.types:
        return "".join(cell.parts).strip() or "#ERROR"
    if cell.formula and not cell.types:
        return "formula-without-value"
    if cell.formula and cell.string_value == "":
        shown = "".join(cell.parts).strip()
        if _ODS_ERROR_TEXT.fullmatch(shown):
            return shown
    return None


_LOCAL_NAMES: dict[str, str] = {}


def _local(name: str) -> str:
    """`table:table-row` -> "table-row": the name whatever its prefix (remembered)."""
    local = _LOCAL_NAMES.get(name)
    if local is None:
        local = name.rpartition(":")[2]
        if len(_LOCAL_NAMES) < 10_000:  # a hostile file's made-up names are not kept
            _LOCAL_NAMES[name] = local
    return local


def _repeat(attrs: dict[str, str], local: str) -> int:
    """A repeat count (the largest, if given twice under two prefixes); 1 when absent."""
    counts = [_count(v, local) for k, v in attrs.items() if _local(k) == local]
    return max(counts, default=1)


def _count(value: str, local: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise UnreadableWorkbook(
            "unreadable-file", reason=f"content.xml has a bad {local} count ({value[:20]!r})"
        )
    return count


def _is_encrypted_ole(path: Path) -> bool:
    with path.open("rb") as handle:
        data = handle.read(1 << 16)
    return "EncryptedPackage".encode("utf-16-le") in data or b"E\x00n\x00c\x00r" in data


def _clean(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
