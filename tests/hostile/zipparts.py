"""Zip and XML surgery on a valid workbook's bytes: the tools the hostile corpus is built with.

Everything works on `bytes` in memory. Rewritten zips get fixed timestamps, so a case builds
the same file on every run.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_STAMP = (2026, 10, 31, 12, 0, 0)

Part = tuple[str, bytes]


def parts(data: bytes) -> list[Part]:
    """Every member of a zip, in order, as (name, uncompressed bytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def build_zip(members: Iterable[Part], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of `members` in order; duplicate names are written as given."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name" is the point sometimes
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, body in members:
                info = zipfile.ZipInfo(name, date_time=_STAMP)
                info.compress_type = compression
                info.external_attr = 0o644 << 16
                archive.writestr(info, body)
    return buffer.getvalue()


Edit = bytes | Callable[[bytes], bytes]


def rewrite(
    data: bytes,
    replace: dict[str, Edit] | None = None,
    drop: Iterable[str] = (),
    add: Iterable[Part] = (),
) -> bytes:
    """Copy a zip, replacing (bytes, or a function of the old bytes), dropping and adding parts."""
    replace = replace or {}
    dropped = set(drop)
    out: list[Part] = []
    for name, body in parts(data):
        if name in dropped:
            continue
        edit = replace.get(name)
        if edit is not None:
            body = edit(body) if callable(edit) else edit
        out.append((name, body))
    missing = set(replace) - {name for name, _ in out}
    if missing:
        raise KeyError(f"no such part(s) to replace: {sorted(missing)}")
    return build_zip([*out, *add])


def read_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return dict(re.findall(rb'([\w:]+)="([^"]*)"', tag))


def sheet_part(data: bytes, sheet: str) -> str:
    """The zip member holding a sheet, found through workbook.xml and its relationships."""
    workbook = read_part(data, "xl/workbook.xml")
    rels = read_part(data, "xl/_rels/workbook.xml.rels")
    rid = None
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", workbook):
        attrs = _attrs(tag)
        if attrs.get(b"name") == sheet.encode():
            rid = attrs.get(b"r:id")
    if rid is None:
        raise KeyError(f"no sheet {sheet!r}")
    for tag in re.findall(rb"<Relationship\b[^>]*>", rels):
        attrs = _attrs(tag)
        if attrs.get(b"Id") == rid:
            target = attrs[b"Target"].decode()
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(f"no relationship {rid!r}")


def edit_sheet(data: bytes, sheet: str, edit: Callable[[bytes], bytes]) -> bytes:
    return rewrite(data, {sheet_part(data, sheet): edit})


def replace_once(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """An edit replacing exactly one occurrence of `old` (a test bug if it is not there)."""

    def edit(xml: bytes) -> bytes:
        if old not in xml:
            raise ValueError(f"{old[:60]!r} not found")
        return xml.replace(old, new, 1)

    return edit


def set_cell(ref: str, cell_xml: str) -> Callable[[bytes], bytes]:
    """An edit replacing the whole `<c r="REF" ...>...</c>` element of a sheet."""
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)

    def edit(xml: bytes) -> bytes:
        new, count = pattern.subn(cell_xml.encode(), xml, count=1)
        if count != 1:
            raise ValueError(f"cell {ref} not found")
        return new

    return edit


def append_rows(rows_xml: bytes) -> Callable[[bytes], bytes]:
    """An edit adding rows at the end of sheetData."""

    def edit(xml: bytes) -> bytes:
        if b"<sheetData/>" in xml:
            return xml.replace(b"<sheetData/>", b"<sheetData>" + rows_xml + b"</sheetData>")
        return replace_once(b"</sheetData>", rows_xml + b"</sheetData>")(xml)

    return edit


def shift_rows(by: int) -> Callable[[bytes], bytes]:
    """An edit moving every row and cell of sheetData down `by` rows."""

    def edit(xml: bytes) -> bytes:
        head, rest = xml.split(b"<sheetData>", 1)
        body, tail = rest.split(b"</sheetData>", 1)
        body = re.sub(rb'(<row r=")(\d+)"', lambda m: b'%s%d"' % (m[1], int(m[2]) + by), body)
        body = re.sub(rb'(<c r="[A-Z]+)(\d+)"', lambda m: b'%s%d"' % (m[1], int(m[2]) + by), body)
        return head + b"<sheetData>" + body + b"</sheetData>" + tail

    return edit


def with_shared_strings(data: bytes) -> bytes:
    """Move every inline string of every sheet into xl/sharedStrings.xml, as Excel writes it."""
    table: dict[bytes, int] = {}
    inline = re.compile(
        rb'<c r="([A-Z]+\d+)"((?:\s+s="\d+")?)\s+t="inlineStr"\s*>'
        rb"<is><t(?:\s+xml:space=\"preserve\")?>(.*?)</t></is></c>",
        re.S,
    )

    def to_shared(xml: bytes) -> bytes:
        def one(match: re.Match[bytes]) -> bytes:
            index = table.setdefault(match[3], len(table))
            return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], index)

        return inline.sub(one, xml)

    sheets = [name for name, _ in parts(data) if name.startswith("xl/worksheets/sheet")]
    converted = rewrite(data, {name: to_shared for name in sheets})
    strings = b"".join(
        b'<si><t xml:space="preserve">%s</t></si>' % text
        for text, _ in sorted(table.items(), key=lambda kv: kv[1])
    )
    sst = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
        % (MAIN_NS, len(table), len(table), strings)
    )
    rel = (
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    )
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return rewrite(
        converted,
        {
            "xl/_rels/workbook.xml.rels": replace_once(b"</Relationships>", rel),
            "[Content_Types].xml": replace_once(b"</Types>", override),
        },
        add=[("xl/sharedStrings.xml", sst)],
    )


# --- raw zip records ----------------------------------------------------------------------------


def _central_entries(data: bytes) -> dict[str, int]:
    """Offset of each member's central-directory record (no zip64, no archive comment)."""
    end = data.rindex(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HII", data, end + 10)
    entries: dict[str, int] = {}
    pos = offset
    for _ in range(count):
        assert data[pos : pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        name = data[pos + 46 : pos + 46 + name_len].decode("utf-8")
        entries.setdefault(name, pos)
        pos += 46 + name_len + extra_len + comment_len
    return entries


def _local_offset(data: bytes, name: str) -> int:
    central = _central_entries(data)[name]
    (offset,) = struct.unpack_from("<I", data, central + 42)
    assert data[offset : offset + 4] == b"PK\x03\x04"
    return offset


def compressed_span(data: bytes, name: str) -> tuple[int, int]:
    """(start, end) of a member's compressed bytes in the file."""
    local = _local_offset(data, name)
    (compressed,) = struct.unpack_from("<I", data, _central_entries(data)[name] + 20)
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    return start, start + compressed


def patch_headers(
    data: bytes,
    name: str,
    *,
    version: int | None = None,
    method: int | None = None,
    compressed_size: int | None = None,
    file_size: int | None = None,
    local: bool = True,
    central: bool = True,
) -> bytes:
    """Overwrite fields of a member's local header and/or central-directory record."""
    out = bytearray(data)
    if local:
        at = _local_offset(data, name)
        for value, offset, fmt in (
            (version, 4, "<H"),
            (method, 8, "<H"),
            (compressed_size, 18, "<I"),
            (file_size, 22, "<I"),
        ):
            if value is not None:
                struct.pack_into(fmt, out, at + offset, value)
    if central:
        at = _central_entries(data)[name]
        for value, offset, fmt in (
            (version, 6, "<H"),
            (method, 10, "<H"),
            (compressed_size, 20, "<I"),
            (file_size, 24, "<I"),
        ):
            if value is not None:
                struct.pack_into(fmt, out, at + offset, value)
    return bytes(out)


def flip_compressed(data: bytes, name: str, count: int = 16) -> bytes:
    """Invert `count` bytes in the middle of a member's deflate stream (CRC left as it was)."""
    start, end = compressed_span(data, name)
    middle = (start + end) // 2
    out = bytearray(data)
    for i in range(middle, min(middle + count, end)):
        out[i] ^= 0xFF
    return bytes(out)
