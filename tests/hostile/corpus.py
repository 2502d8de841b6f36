"""The hostile corpus: bad or quirky inbox entries, each built in code from a valid workbook.

Every case is a function `build(kit, stem) -> name` that puts one entry (a file, a link, a
folder, a FIFO...) named from `stem` into `kit.inbox` and returns its name, plus the outcome
a user would expect for it. Most start from `kit.base`, a valid workbook of department
`kit.dept` for `kit.period` with no problem at all, and damage it at the zip or XML level
(`tests.hostile.zipparts`); nothing binary is committed.

Outcomes (`Expect`): the file is accepted; rejected with a given error code among its
problems; unreadable with a given code; or ignored with a stated reason. A case may allow
several outcomes when more than one is reasonable (the lead picks); it never allows a crash,
a hang or a silent disappearance.

`xfail` on a case states what happens today where that differs (the lead's work list); the
test marks it `xfail(strict=True)`, so fixing the reader turns it into a failure that asks
for the mark to go.
"""

from __future__ import annotations

import io
import os
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.config import Config
from tests.hostile import zipparts as zp
from tests.workbooks import make_workbook, sample_rows

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
MONTHS_FILLED = [f"2026-{m:02d}" for m in range(1, 11)]


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    kind: str  # accepted | rejected | unreadable | ignored
    code: str = ""  # rejected: one of the file's error codes; unreadable: its code

    def __str__(self) -> str:
        return f"{self.kind} ({self.code})" if self.code else self.kind


ACCEPTED = Expect("accepted")
IGNORED = Expect("ignored")


def rejected(code: str) -> Expect:
    return Expect("rejected", code)


def unreadable(code: str) -> Expect:
    return Expect("unreadable", code)


@dataclass(frozen=True)
class Seen:
    """What became of one inbox entry in a run."""

    kind: str  # accepted | superseded | rejected | unreadable | ignored | other period | absent
    codes: tuple[str, ...] = ()  # error codes (rejected, unreadable)
    reason: str = ""  # ignored

    def matches(self, expect: Expect) -> bool:
        if expect.kind == "accepted":
            return self.kind in ("accepted", "superseded")
        if expect.kind == "ignored":
            return self.kind == "ignored" and bool(self.reason.strip())
        return self.kind == expect.kind and expect.code in self.codes

    def __str__(self) -> str:
        detail = self.reason or ", ".join(self.codes)
        return f"{self.kind} ({detail})" if detail else self.kind


def _printable(name: str) -> str:
    """A name with undecodable bytes shown as U+FFFD, as a report may list it."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def seen(result: dict[str, Any], name: str) -> Seen:
    """The outcome of entry `name` in a `harness.summarise` result."""
    for shown in (name, _printable(name)):
        if shown in result["ignored"]:
            return Seen("ignored", reason=result["ignored"][shown])
    row = result["files"].get(name)
    if row is None:
        return Seen("absent")
    return Seen(row["status"], tuple(row["errors"]))


# --- the kit each case builds from --------------------------------------------------------------


def full_rows(dept: str) -> dict[str, list[dict[str, Any]]]:
    """`sample_rows` with every month up to the period filled: a workbook with no problem."""
    rows = sample_rows(dept)
    for kpi, values in zip(rows["kpis"], ([0.40, 0.43], [7, 5]), strict=True):
        for i, month in enumerate(MONTHS_FILLED):
            kpi[month] = values[i % 2]
    return rows


_WORKBOOKS: dict[tuple[Any, ...], bytes] = {}  # full-rows workbooks, built once per process


def _cache_key(config: Config, dept: str, period: str) -> tuple[Any, ...]:
    """What a workbook's bytes depend on (not the config file's folder)."""
    departments = tuple((d.id, d.name) for d in config.departments)
    org = config.organisation
    return (dept, period, org.name, org.fiscal_year_start, departments)


@dataclass
class Kit:
    """Where a case writes (`inbox`), scratch room, and the valid workbooks to start from."""

    inbox: Path
    scratch: Path
    config: Config
    dept: str = "OPS"
    period: str = "2026-10"
    _count: int = field(default=0, repr=False)

    def workbook(self, rows: dict[str, Any] | None = None, dept: str = "", **kwargs: Any) -> bytes:
        """The bytes of a workbook of `dept` (default `self.dept`; full rows unless given)."""
        dept = dept or self.dept
        key = _cache_key(self.config, dept, self.period) if rows is None and not kwargs else None
        if key in _WORKBOOKS:
            return _WORKBOOKS[key]
        self._count += 1
        folder = self.scratch / f"wb{self._count}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = full_rows(dept) if rows is None else rows
        path = make_workbook(folder, dept, self.period, config=self.config, **rows, **kwargs)
        data = path.read_bytes()
        if key is not None:
            _WORKBOOKS[key] = data
        return data

    @cached_property
    def base(self) -> bytes:
        return self.workbook()

    @cached_property
    def shared(self) -> bytes:
        """`base` with its strings in sharedStrings.xml, as Excel writes them."""
        return zp.with_shared_strings(self.base)

    def put(self, name: str, data: bytes) -> str:
        (self.inbox / name).write_bytes(data)
        return name


Build = Callable[[Kit, str], str]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    expect: tuple[Expect, ...]
    xfail: str = ""  # what happens today, when it is not what is expected
    skip: str = ""  # a reason to skip here and now
    fresh: bool = False  # keep the file's modification time "just now" (default: an hour ago)
    check: Callable[[dict[str, Any], str], None] | None = None  # more asserts on the result


CASES: list[Case] = []


def case(
    id: str,
    *expect: Expect,
    xfail: str = "",
    skip: str = "",
    fresh: bool = False,
    check: Callable[[dict[str, Any], str], None] | None = None,
) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CASES.append(Case(id, build, expect, xfail, skip, fresh, check))
        return build

    return register


def _sheet(
    kit: Kit, stem: str, sheet: str, edit: Callable[[bytes], bytes], base: bytes = b""
) -> str:
    return kit.put(f"{stem}.xlsx", zp.edit_sheet(base or kit.base, sheet, edit))


def _part(kit: Kit, stem: str, part: str, edit: zp.Edit, base: bytes = b"") -> str:
    return kit.put(f"{stem}.xlsx", zp.rewrite(base or kit.base, {part: edit}))


KPIS, OBJECTIVES, SUBMISSION = "KPIs", "Objectives", "Submission"
WORKBOOK, RELS, SHARED = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml"
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


# --- sizes and cell references ------------------------------------------------------------------


@case("cell-at-XFD1048576", unreadable("sheet-too-large"))
def _(kit: Kit, stem: str) -> str:
    row = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return _sheet(kit, stem, KPIS, zp.append_rows(row))


@case("cell-ref-ZZZZZ99999999", unreadable("sheet-too-large"), unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    row = b'<row r="99999999"><c r="ZZZZZ99999999"><v>1</v></c></row>'
    return _sheet(kit, stem, KPIS, zp.append_rows(row))


@case("dimension-lie-A1-XFD1048576", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return _sheet(
        kit,
        stem,
        KPIS,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
    )


@case("6000-real-rows", unreadable("sheet-too-large"))
def _(kit: Kit, stem: str) -> str:
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>OPS-X%d</t></is></c>'
        b'<c r="B%d" t="inlineStr"><is><t>Financial</t></is></c></row>' % (n, n, n, n)
        for n in range(202, 6202)
    )
    return _sheet(kit, stem, OBJECTIVES, zp.append_rows(rows))


# --- malformed XML -----------------------------------------------------------------------------


@case("malformed-workbook-xml", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return _part(kit, stem, WORKBOOK, zp.replace_once(b"</sheets>", b"</sheet>"))


@case("malformed-workbook-rels", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return _part(kit, stem, RELS, zp.replace_once(b"</Relationships>", b"</Relationship"))


@case(
    "malformed-sheet-xml",
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.replace_once(b"</row>", b"</rwo>"))


@case(
    "malformed-shared-strings",
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    return _part(kit, stem, SHARED, zp.replace_once(b"</si>", b"</s>"), base=kit.shared)


@case("shared-strings-as-excel-writes", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", kit.shared)


@case("shared-string-index-out-of-range", unreadable("unreadable-file"), rejected("required-value"))
def _(kit: Kit, stem: str) -> str:
    """KPIs!A2 (the KPI ID) points at shared string 99999, which does not exist."""
    part = zp.sheet_part(kit.shared, KPIS)
    return _part(
        kit, stem, part, zp.set_cell("A2", '<c r="A2" s="12" t="s"><v>99999</v></c>'), kit.shared
    )


# --- broken zips -------------------------------------------------------------------------------


@case("corrupt-deflate-stream", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", zp.flip_compressed(kit.base, zp.sheet_part(kit.base, KPIS)))


@case("truncated-zip", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", kit.base[: len(kit.base) // 2])


@case("truncated-zip-just-copied", IGNORED, fresh=True)
def _(kit: Kit, stem: str) -> str:
    """Half a file changed a second ago: still being copied, read next run (README)."""
    return kit.put(f"{stem}.xlsx", kit.base[: len(kit.base) // 2])


@case("central-directory-lies-file-size-small", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    part = zp.sheet_part(kit.base, KPIS)
    return kit.put(f"{stem}.xlsx", zp.patch_headers(kit.base, part, file_size=100, local=False))


@case(
    "central-directory-lies-file-size-huge",
    unreadable("file-too-large"),
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    part = zp.sheet_part(kit.base, KPIS)
    return kit.put(
        f"{stem}.xlsx", zp.patch_headers(kit.base, part, file_size=0xF000_0000, local=False)
    )


@case("central-directory-lies-compressed-size", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    part = zp.sheet_part(kit.base, KPIS)
    start, end = zp.compressed_span(kit.base, part)
    return kit.put(
        f"{stem}.xlsx",
        zp.patch_headers(kit.base, part, compressed_size=(end - start) // 2, local=False),
    )


@case("unsupported-compression-method", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    part = zp.sheet_part(kit.base, KPIS)
    return kit.put(f"{stem}.xlsx", zp.patch_headers(kit.base, part, method=99))


@case("unsupported-zip-version", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    """`NotImplementedError: zip file version 25.5` in zipfile."""
    part = zp.sheet_part(kit.base, KPIS)
    return kit.put(f"{stem}.xlsx", zp.patch_headers(kit.base, part, version=255))


@case("empty-zip", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", zp.build_zip([]))


@case("zip-with-directory-entry-only", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", zp.build_zip([("xl/", b"")]))


@case(
    "duplicate-member-names",
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    """Two `KPIs` sheet parts of the same name: readers disagree on which one counts."""
    part = zp.sheet_part(kit.base, KPIS)
    second = zp.set_cell("U2", '<c r="U2" s="15" t="e"><v>#DIV/0!</v></c>')(
        zp.read_part(kit.base, part)
    )
    return kit.put(f"{stem}.xlsx", zp.rewrite(kit.base, add=[(part, second)]))


@case("sheet-part-missing-from-zip", rejected("missing-sheet"), unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", zp.rewrite(kit.base, drop=[zp.sheet_part(kit.base, KPIS)]))


# --- XML entities ------------------------------------------------------------------------------


@case("billion-laughs-in-sheet", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    def edit(xml: bytes) -> bytes:
        return LAUGHS + zp.replace_once(b"Gross margin", b"&lol9;")(xml)

    return _sheet(kit, stem, KPIS, edit)


@case("billion-laughs-in-shared-strings", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    def edit(xml: bytes) -> bytes:
        decl, rest = xml.split(b"\n", 1)
        return decl + b"\n" + LAUGHS + zp.replace_once(b"Gross margin", b"&lol9;")(rest)

    return _part(kit, stem, SHARED, edit, base=kit.shared)


@case("billion-laughs-after-4KB-comment", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    """The DOCTYPE comes after a 5 KB comment, past a scan of the first 4 KB."""

    def edit(xml: bytes) -> bytes:
        pad = b'<?xml version="1.0"?><!--' + b"padding " * 640 + b"-->"
        return pad + LAUGHS + zp.replace_once(b"Gross margin", b"&lol9;")(xml)

    return _sheet(kit, stem, KPIS, edit)


@case("external-entity-etc-passwd", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    def edit(xml: bytes) -> bytes:
        decl, rest = xml.split(b"\n", 1)
        doctype = b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        return decl + b"\n" + doctype + zp.replace_once(b"Gross margin", b"&xxe;")(rest)

    return _part(kit, stem, SHARED, edit, base=kit.shared)


# --- zip bombs ---------------------------------------------------------------------------------

BOMB_BYTES = 210 * 1024 * 1024  # over read.MAX_UNPACKED_BYTES (200 MB)


def _zip_with_streamed_member(
    base: bytes, name: str, head: bytes, filler: bytes, tail: bytes, size: int = BOMB_BYTES
) -> bytes:
    """`base` with member `name` = head + `size` bytes of `filler` + tail, written in chunks."""
    buffer = io.BytesIO()
    chunk = filler * (1024 * 1024 // len(filler))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, body in zp.parts(base):
            if part != name:
                archive.writestr(
                    zipfile.ZipInfo(part, (2026, 10, 31, 12, 0, 0)), body, zipfile.ZIP_DEFLATED
                )
        info = zipfile.ZipInfo(name, (2026, 10, 31, 12, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            member.write(head)
            for _ in range(size // len(chunk)):
                member.write(chunk)
            member.write(tail)
    return buffer.getvalue()


@case("zip-bomb-over-200MB", unreadable("file-too-large"))
def _(kit: Kit, stem: str) -> str:
    data = _zip_with_streamed_member(kit.base, "xl/media/padding.bin", b"", b"\0", b"")
    return kit.put(f"{stem}.xlsx", data)


@case(
    "zip-bomb-with-lying-sizes",
    unreadable("file-too-large"),
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    """sharedStrings.xml inflates to 210 MB of spaces while its headers claim 5 MB."""
    sst = zp.read_part(kit.shared, SHARED)
    head, tail = sst.rsplit(b"</sst>", 1)
    data = _zip_with_streamed_member(kit.shared, SHARED, head, b" ", b"</sst>" + tail)
    return kit.put(f"{stem}.xlsx", zp.patch_headers(data, SHARED, file_size=5_000_000))


# --- not a workbook ----------------------------------------------------------------------------


@case("renamed-csv", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", b"KPI ID,Target\nOPS-K1,0.42\n")


@case("renamed-html", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    html = b"<html><body><table><tr><td>KPI ID</td><td>OPS-K1</td></tr></table></body></html>"
    return kit.put(f"{stem}.xlsx", html)


@case("renamed-pdf", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


@case("legacy-xls", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024 + "Workbook".encode("utf-16-le")
    return kit.put(f"{stem}.xlsx", ole)


@case("encrypted-ole-package", unreadable("encrypted-file"))
def _(kit: Kit, stem: str) -> str:
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedInfo".encode("utf-16-le")
        + b"\x00" * 64
        + "EncryptedPackage".encode("utf-16-le")
    )
    return kit.put(f"{stem}.xlsx", ole)


@case("ods-saved-as-xlsx", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "content.xml",
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
            'office:1.0"><office:body><office:spreadsheet/></office:body>'
            "</office:document-content>",
            zipfile.ZIP_DEFLATED,
        )
        archive.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
    return kit.put(f"{stem}.xlsx", buffer.getvalue())


@case("zero-byte-file", IGNORED)
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", b"")


@case("random-bytes", unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", random.Random(7).randbytes(8192).replace(b"PK", b"pk"))


@case("random-bytes-after-PK", unreadable("unreadable-file"), unreadable("not-xlsx"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", b"PK\x03\x04" + random.Random(8).randbytes(8192))


# --- what is typed in cells --------------------------------------------------------------------


@case("control-char-reference-in-kpi-name", ACCEPTED, unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    """`&#x1;` is not allowed in XML 1.0; Excel writes `_x0001_` instead (next case)."""
    return _sheet(kit, stem, KPIS, zp.replace_once(b"Gross margin", b"Gross&#x1; margin"))


@case("excel-escaped-control-char-in-kpi-name", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.replace_once(b"Gross margin", b"Gross_x0001_ margin"))


@case("40000-character-cell", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    rows = full_rows(kit.dept)
    rows["kpis"][0]["Commentary"] = "Long story. " * 3334  # 40,008 characters
    return kit.put(f"{stem}.xlsx", kit.workbook(rows))


@case(
    "invisible-characters-around-an-id",
    ACCEPTED,
)
def _(kit: Kit, stem: str) -> str:
    """A zero-width space before and a BOM after an Objective ID the KPIs refer to."""
    rows = full_rows(kit.dept)
    rows["objectives"][0]["Objective ID"] = f"\u200b{kit.dept}-O1\ufeff"
    return kit.put(f"{stem}.xlsx", kit.workbook(rows))


@case("period-in-full-width-digits", ACCEPTED, rejected("bad-period"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", kit.workbook(submission={"Period (YYYY-MM)": "２０２６-１０"}))


@case("period-in-arabic-indic-digits", ACCEPTED, rejected("bad-period"))
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", kit.workbook(submission={"Period (YYYY-MM)": "٢٠٢٦-١٠"}))


@case(
    "nan-in-a-number-cell",
    rejected("not-a-number"),
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    """`<v>NaN</v>` in the reporting month: must never read as a blank month."""
    return _sheet(kit, stem, KPIS, zp.set_cell("U2", '<c r="U2" s="15" t="n"><v>NaN</v></c>'))


@case("infinity-in-a-number-cell", rejected("not-a-number"), unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.set_cell("U2", '<c r="U2" s="15" t="n"><v>1e999</v></c>'))


# --- workbook structure ------------------------------------------------------------------------


def _sheet_state(sheet: str, state: bytes) -> Callable[[bytes], bytes]:
    def edit(xml: bytes) -> bytes:
        pattern = rb'(<sheet name="' + sheet.encode() + rb'"[^>]*?state=")visible"'
        new, count = re.subn(pattern, rb"\1" + state + b'"', xml)
        assert count == 1
        return new

    return edit


@case("hidden-sheet", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return _part(kit, stem, WORKBOOK, _sheet_state(KPIS, b"hidden"))


@case("very-hidden-sheet", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return _part(kit, stem, WORKBOOK, _sheet_state(KPIS, b"veryHidden"))


@case("hidden-rows", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.replace_once(b'<row r="2">', b'<row r="2" hidden="1">'))


@case("merged-cells-in-kpi-data", rejected("required-value"))
def _(kit: Kit, stem: str) -> str:
    """KPIs!B2:B3 merged (Objective ID): Excel keeps only B2's value."""

    def edit(xml: bytes) -> bytes:
        xml = zp.set_cell("B3", '<c r="B3" s="12"/>')(xml)
        merge = b'<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>'
        protection = re.search(rb"<sheetProtection[^>]*/>", xml)
        at = protection.end() if protection else xml.index(b"</sheetData>") + len(b"</sheetData>")
        return xml[:at] + merge + xml[at:]

    return _sheet(kit, stem, KPIS, edit)


@case("header-row-moved-to-row-3", rejected("missing-column"))
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.shift_rows(2))


def _submitted_on(day: str) -> Callable[[dict[str, Any], str], None]:
    """A check: the file is shown for its department, with this Submitted on date."""

    def check(result: dict[str, Any], name: str) -> None:
        depts = {d: v for d, v in result["departments"].items() if v["file"] == name}
        assert depts, f"{name} is not the file shown for any department"
        for dept, standing in depts.items():
            assert standing["submitted_on"] == day, (dept, standing)

    return check


_submitted_on_kept = _submitted_on("2026-10-31")


@case(
    "date-1904-system",
    ACCEPTED,
    check=_submitted_on_kept,
)
def _(kit: Kit, stem: str) -> str:
    """Saved with the 1904 date system: serials are 1,462 days smaller; dates must not move."""
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = load_workbook(io.BytesIO(kit.base))
    assert isinstance(book[SUBMISSION]["B5"].value, datetime)
    book.epoch = CALENDAR_MAC_1904
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    assert b'date1904="1"' in zp.read_part(data, WORKBOOK)
    return kit.put(f"{stem}.xlsx", data)


@case(
    "date-1904-flag-on-1900-serials",
    ACCEPTED,
    check=_submitted_on("2030-11-01"),
)
def _(kit: Kit, stem: str) -> str:
    """Only the flag set, as when the 1904 option is ticked after typing: dates move 4 years.

    Excel then shows every date four years later; so must the reader (2030-11-01).
    """
    return _part(
        kit, stem, WORKBOOK, zp.replace_once(b"<workbookPr />", b'<workbookPr date1904="1"/>')
    )


@case("uncached-formula", rejected("formula-without-value"))
def _(kit: Kit, stem: str) -> str:
    rows = full_rows(kit.dept)
    rows["kpis"][0]["2026-10"] = "=1/0"
    return kit.put(f"{stem}.xlsx", kit.workbook(rows))


@case("error-cell-div0", rejected("error-value"))
def _(kit: Kit, stem: str) -> str:
    rows = full_rows(kit.dept)
    rows["kpis"][0]["2026-10"] = "#DIV/0!"
    return kit.put(f"{stem}.xlsx", kit.workbook(rows))


@case("no-dimension-element", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    """As Google Sheets writes: no <dimension> in any sheet."""
    sheets = [n for n, _ in zp.parts(kit.base) if n.startswith("xl/worksheets/sheet")]
    drop = {n: (lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml)) for n in sheets}
    return kit.put(f"{stem}.xlsx", zp.rewrite(kit.base, drop))


def _strict(data: bytes) -> bytes:
    xml_parts = [n for n, _ in zp.parts(data) if n.endswith((".xml", ".rels"))]
    return zp.rewrite(
        data, {n: (lambda xml: xml.replace(zp.MAIN_NS, zp.STRICT_NS)) for n in xml_parts}
    )


STRICT_OUTCOMES = (unreadable("not-xlsx"), unreadable("unreadable-file"))


@case("strict-ooxml-namespace", ACCEPTED, *STRICT_OUTCOMES)
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"{stem}.xlsx", _strict(kit.base))


@case("strict-ooxml-namespace-with-error-cell", rejected("error-value"), *STRICT_OUTCOMES)
def _(kit: Kit, stem: str) -> str:
    """Strict namespaces hide a #DIV/0! from a scan that only knows the transitional one."""
    part = zp.sheet_part(kit.base, KPIS)
    broken = zp.rewrite(
        kit.base, {part: zp.set_cell("U2", '<c r="U2" s="15" t="e"><v>#DIV/0!</v></c>')}
    )
    return kit.put(f"{stem}.xlsx", _strict(broken))


@case("prefixed-namespace-with-error-cell", rejected("error-value"))
def _(kit: Kit, stem: str) -> str:
    """`<x:worksheet xmlns:x=...>` as some .NET writers produce, with a #DIV/0! cell."""

    def edit(xml: bytes) -> bytes:
        xml = zp.set_cell("U2", '<c r="U2" s="15" t="e"><v>#DIV/0!</v></c>')(xml)
        xml = re.sub(rb"<(/?)([A-Za-z][\w.]*)(?=[\s/>])", rb"<\1x:\2", xml)
        return xml.replace(b'xmlns="' + zp.MAIN_NS, b'xmlns:x="' + zp.MAIN_NS, 1)

    return _sheet(kit, stem, KPIS, edit)


@case("xlsm-with-vba-project", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(3).randbytes(4096)
    macro = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

    def types(xml: bytes) -> bytes:
        xml = zp.replace_once(main, macro)(xml)
        return zp.replace_once(
            b"</Types>",
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
            b"</Types>",
        )(xml)

    rel = (
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin"/></Relationships>'
    )
    data = zp.rewrite(
        kit.base,
        {"[Content_Types].xml": types, RELS: zp.replace_once(b"</Relationships>", rel)},
        add=[("xl/vbaProject.bin", vba)],
    )
    return kit.put(f"{stem}.xlsm", data)


@case("workbook-with-no-sheets", rejected("missing-sheet"), unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return _part(
        kit, stem, WORKBOOK, lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml)
    )


# --- the file system ---------------------------------------------------------------------------


@case("directory-named-xlsx", IGNORED)
def _(kit: Kit, stem: str) -> str:
    (kit.inbox / f"{stem}.xlsx").mkdir()
    return f"{stem}.xlsx"


@case("symlink-to-a-good-workbook", ACCEPTED, IGNORED)
def _(kit: Kit, stem: str) -> str:
    target = kit.scratch / "elsewhere" / "linked.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(kit.base)
    (kit.inbox / f"{stem}.xlsx").symlink_to(target)
    return f"{stem}.xlsx"


@case("dangling-symlink", IGNORED)
def _(kit: Kit, stem: str) -> str:
    (kit.inbox / f"{stem}.xlsx").symlink_to(kit.scratch / "nowhere.xlsx")
    return f"{stem}.xlsx"


@case("symlink-loop", IGNORED)
def _(kit: Kit, stem: str) -> str:
    (kit.inbox / f"{stem}.xlsx").symlink_to(kit.inbox / f"{stem}-other.xlsx")
    (kit.inbox / f"{stem}-other.xlsx").symlink_to(kit.inbox / f"{stem}.xlsx")
    return f"{stem}.xlsx"


@case("symlink-to-proc-self-mem", IGNORED, unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    (kit.inbox / f"{stem}.xlsx").symlink_to("/proc/self/mem")
    return f"{stem}.xlsx"


@case("symlink-to-dev-zero", IGNORED, unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    (kit.inbox / f"{stem}.xlsx").symlink_to("/dev/zero")
    return f"{stem}.xlsx"


@case("fifo-named-xlsx", IGNORED)
def _(kit: Kit, stem: str) -> str:
    os.mkfifo(kit.inbox / f"{stem}.xlsx")
    return f"{stem}.xlsx"


@case(
    "file-mode-000",
    unreadable("unreadable-file"),
    IGNORED,
    skip="running as root: mode 000 does not stop root reading" if ROOT_USER else "",
)
def _(kit: Kit, stem: str) -> str:
    path = kit.inbox / f"{stem}.xlsx"
    path.write_bytes(kit.base)
    path.chmod(0)
    return path.name


@case("255-byte-file-name", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    """A 255-byte name (the Linux maximum) on a workbook with warnings, so feedback is due."""
    name = (stem + "-" + "n" * 255)[:250] + ".xlsx"
    assert len(name.encode()) == 255
    return kit.put(name, kit.workbook(sample_rows(kit.dept)))


@case("non-utf8-file-name", ACCEPTED, IGNORED)
def _(kit: Kit, stem: str) -> str:
    """A name with bytes 0xFF 0xFE (a Latin-1 share), on a workbook with warnings."""
    raw = stem.encode() + b"-\xff\xfe.xlsx"
    with open(os.fsencode(kit.inbox) + b"/" + raw, "wb") as handle:
        handle.write(kit.workbook(sample_rows(kit.dept)))
    return os.fsdecode(raw)


# --- more that a reader can trip on ------------------------------------------------------------


def _no_cell_refs(xml: bytes) -> bytes:
    return re.sub(rb'<c r="[A-Z]+\d+"', b"<c", xml)


@case("cells-without-r-attributes", ACCEPTED)
def _(kit: Kit, stem: str) -> str:
    """Cell references are optional in OOXML: each cell then follows the one before."""
    return _sheet(kit, stem, KPIS, _no_cell_refs)


@case(
    "error-cell-without-r-attribute",
    rejected("error-value"),
)
def _(kit: Kit, stem: str) -> str:
    """A #DIV/0! in a cell with no reference must not read as a blank month."""
    error = zp.set_cell("U2", '<c r="U2" s="15" t="e"><v>#DIV/0!</v></c>')
    return _sheet(kit, stem, KPIS, lambda xml: _no_cell_refs(error(xml)))


@case("iso-date-cell-type-d", ACCEPTED, check=_submitted_on_kept)
def _(kit: Kit, stem: str) -> str:
    """Submitted on as an ISO date cell (`t="d"`), as some writers save dates."""
    cell = '<c r="B5" s="8" t="d"><v>2026-10-31T00:00:00</v></c>'
    return _sheet(kit, stem, SUBMISSION, zp.set_cell("B5", cell))


@case("row-zero-reference", unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    """Row and cell references start at 1; `A0` is no cell at all."""
    return _sheet(
        kit,
        stem,
        KPIS,
        zp.replace_once(b"<sheetData>", b'<sheetData><row r="0"><c r="A0"><v>1</v></c></row>'),
    )


@case("text-in-a-number-cell", rejected("not-a-number"), unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    return _sheet(kit, stem, KPIS, zp.set_cell("U2", '<c r="U2" s="15" t="n"><v>abc</v></c>'))


@case(
    "100MB-string-in-a-cell",
    unreadable("file-too-large"),
    unreadable("sheet-too-large"),
    unreadable("unreadable-file"),
    unreadable("too-slow"),
    unreadable("reader-crashed"),
)
def _(kit: Kit, stem: str) -> str:
    """A 100-million-character Commentary (Excel's cell limit is 32,767): never to the board."""
    part = zp.sheet_part(kit.base, KPIS)
    head, tail = zp.read_part(kit.base, part).split(b"Price rise recovers a point.", 1)
    data = _zip_with_streamed_member(kit.base, part, head, b"a", tail, size=100 * 1024 * 1024)
    return kit.put(f"{stem}.xlsx", data)


@case("deeply-nested-xml", ACCEPTED, unreadable("unreadable-file"))
def _(kit: Kit, stem: str) -> str:
    """100,000 nested elements in an extension list: a recursive parser runs out of stack."""
    nest = b'<extLst><ext uri="{x}">' + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</ext></extLst>"
    return _sheet(kit, stem, KPIS, zp.replace_once(b"</worksheet>", nest + b"</worksheet>"))


@case(
    "20000-zip-members",
    ACCEPTED,
    unreadable("unreadable-file"),
    unreadable("file-too-large"),
)
def _(kit: Kit, stem: str) -> str:
    junk = [(f"xl/junk/part{i}.xml", b"<a/>") for i in range(20_000)]
    return kit.put(f"{stem}.xlsx", zp.rewrite(kit.base, add=junk))


def _name_escaped_in_html(result: dict[str, Any], name: str) -> None:
    assert name not in result["html_raw"], "the validation HTML shows the file name unescaped"


@case("html-in-file-name", ACCEPTED, IGNORED, check=_name_escaped_in_html)
def _(kit: Kit, stem: str) -> str:
    """A name that is markup, on a workbook with warnings (so the report lists it)."""
    return kit.put(f"<img src=x onerror=alert(1)>{stem}.xlsx", kit.workbook(sample_rows(kit.dept)))


@case("newline-in-file-name", ACCEPTED, IGNORED)
def _(kit: Kit, stem: str) -> str:
    return kit.put(f"line\nbreak-{stem}.xlsx", kit.workbook(sample_rows(kit.dept)))


@case(
    "negative-infinity-in-a-date-cell",
    rejected("not-a-date"),
    rejected("implausible-date"),
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    """Submitted on (a date-formatted cell) holding -inf: calamine's date conversion panics."""
    cell = '<c r="B5" s="8" t="n"><v>-inf</v></c>'
    return _sheet(kit, stem, SUBMISSION, zp.set_cell("B5", cell))


@case(
    "nan-in-a-date-cell",
    rejected("not-a-date"),
    rejected("implausible-date"),
    unreadable("unreadable-file"),
)
def _(kit: Kit, stem: str) -> str:
    """Submitted on holding NaN: must not become 1899-12-30 (day 0 of Excel's calendar)."""
    cell = '<c r="B5" s="8" t="n"><v>NaN</v></c>'
    return _sheet(kit, stem, SUBMISSION, zp.set_cell("B5", cell))
