"""File formats and files that cannot be read, as a submitter meets them.

- LibreOffice's own .ods is read like an .xlsx: the same checks before any library sees it,
  the same values (dates, 42 %, blanks), problems at the same cells.
- .xls, .xlsb, .numbers and .csv are refused with a code that says what to do.
- A file that cannot be read at all counts for the department its name gives:
  "received, unreadable" (rejected), never "no workbook received" (missing).

Real LibreOffice files come from `soffice` (the `soffice_convert` fixture, skipped without
it); hostile .ods files are built here, in code, from a valid workbook's values.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
import pytest
import python_calamine
from click.testing import CliRunner

from pipeline import read, sandbox
from pipeline.cli import main
from pipeline.contract import Sheet
from pipeline.inbox import department_from_name, discover, period_from_name
from pipeline.read import ODS_MIMETYPE, UnreadableWorkbook, read_workbook
from pipeline.run import assess, check
from pipeline.standing import State, Words, standings
from pipeline.validate import validate
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"
TODAY = date(2026, 11, 20)
AN_HOUR_AGO = time.time() - 3600
FRAMES = ("objectives", "kpis", "actuals", "key_results", "checkins", "initiatives")


def _rows(dept: str = "FIN") -> dict[str, Any]:
    """A valid workbook's rows: every month to October filled, 42 % typed as a percentage."""
    rows = sample_rows(dept)
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def _age(*paths: Path) -> None:
    """An hour old: not a file still being copied."""
    for path in paths:
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))


def _validate(config, *paths: Path):
    return validate([read_workbook(p) for p in paths], config, PERIOD, today=TODAY)


def _same_values(a, b) -> None:
    """Every frame of two validations equal, but for the file's name and content hash."""
    for name in ("submissions", *FRAMES):
        left, right = getattr(a, name), getattr(b, name)
        drop = [c for c in ("file", "sha256") if c in left.columns]
        pd.testing.assert_frame_equal(left.drop(columns=drop), right.drop(columns=drop), obj=name)


def _problems(v) -> list[tuple[str, str, str]]:
    return [(p.code, p.cell, p.message) for p in v.problems if p.file]


# --- a small .ods writer, for files LibreOffice would never write --------------------------------

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "{extra}</manifest:manifest>"
)
# A million empty formatted rows and 16,000 empty cells, as LibreOffice ends every sheet.
LIBREOFFICE_TAIL = (
    '<table:table-row table:number-rows-repeated="1048000">'
    '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        word = str(value).lower()
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{word}"/>'
    if isinstance(value, float | int):
        return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'
    if isinstance(value, datetime | date):
        iso = value.isoformat()
        return f'<table:table-cell office:value-type="date" office:date-value="{iso}"/>'
    text = escape(str(value))
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


def _ref(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters) :]) - 1, read.column_number(letters) - 1


def write_ods(
    source: Path,
    target: Path,
    *,
    cells: dict[tuple[str, str], str] | None = None,
    tail: dict[str, str] | None = None,
    content_head: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
    mimetype: bytes = ODS_MIMETYPE,
    manifest_extra: str = "",
) -> Path:
    """`source` (.xlsx) as an .ods holding its values; `cells` ((sheet, "H2") -> raw cell
    XML) replace cells, `tail` (sheet -> raw rows) is added after each sheet's rows."""
    cells, tail = cells or {}, tail or {}
    book = python_calamine.CalamineWorkbook.from_path(str(source))
    tables = []
    for name in book.sheet_names:
        grid = [[_cell(v) for v in row] for row in book.get_sheet_by_name(name).to_python()]
        for (sheet, ref), xml in cells.items():
            if sheet == name:
                r, c = _ref(ref)
                while len(grid) <= r:
                    grid.append([])
                grid[r] += ["<table:table-cell/>"] * (c + 1 - len(grid[r]))
                grid[r][c] = xml
        rows = "".join(f"<table:table-row>{''.join(row)}</table:table-row>" for row in grid)
        tables.append(
            f'<table:table table:name="{escape(name)}">{rows}{tail.get(name, "")}</table:table>'
        )
    content = (
        f"{content_head}<office:document-content {NS}><office:body><office:spreadsheet>"
        f"{''.join(tables)}</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        manifest = MANIFEST.format(extra=manifest_extra)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    target.write_bytes(buffer.getvalue())
    return target


def _code(path: Path) -> str:
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    return caught.value.code


# --- .ods saved by LibreOffice ------------------------------------------------------------------


def test_an_ods_saved_by_libreoffice_is_accepted_with_the_same_values_as_the_xlsx(
    tmp_path: Path, soffice_convert
) -> None:
    """Dates, 42 % (0.42), blanks and text come back as from the .xlsx: equal frames."""
    config = make_config(tmp_path)
    rows = _rows()
    rows["kpis"][1]["Commentary"] = "Closing in five days\nby year end"  # two lines
    xlsx = make_workbook(tmp_path / "xlsx", **rows)
    ods = soffice_convert(xlsx, "ods", tmp_path / "ods")
    assert ods.suffix == ".ods" and zipfile.ZipFile(ods).read("mimetype") == ODS_MIMETYPE

    a, b = _validate(config, xlsx), _validate(config, ods)
    assert b.files["status"].tolist() == ["accepted"]
    assert _problems(a) == _problems(b)
    _same_values(a, b)
    fin_k1 = b.actuals.query("kpi_id == 'FIN-K1' and month == '2026-10'")["value"].item()
    assert fin_k1 == 0.42  # a 42% cell
    assert pd.isna(b.kpis.set_index("kpi_id").loc["FIN-K1", "target_max"])  # a blank
    assert b.submissions["submitted_on"].item() == date(2026, 10, 31)  # a date
    two_lines = read_workbook(ods).sheets[Sheet.KPIS].frame.loc[3, "Commentary"]
    assert two_lines == rows["kpis"][1]["Commentary"]  # as typed, before validation tidies it


def test_an_ods_with_mistakes_names_the_right_cells(tmp_path: Path, soffice_convert) -> None:
    """Blank rows in between keep their numbers; a #DIV/0! in LibreOffice is error-value."""
    config = make_config(tmp_path)
    rows = _rows()
    rows["objectives"][1:1] = [{}, {}]  # two blank rows: FIN-O2 moves to row 5
    rows["objectives"][3]["Perspective"] = "Money"
    rows["kpis"][1]["Target"] = "forty"
    rows["kpis"][0]["2026-10"] = "=1/0"  # LibreOffice calculates it: #DIV/0!
    xlsx = make_workbook(tmp_path / "xlsx", **rows)
    ods = soffice_convert(xlsx, "ods", tmp_path / "ods")
    v = _validate(config, ods)
    assert v.files["status"].tolist() == ["rejected"]
    found = {(p.code, p.cell, p.value) for p in v.problems if p.severity == "error"}
    assert found == {
        ("not-in-list", "Objectives!B5", "Money"),
        ("not-a-number", "KPIs!H3", "forty"),
        ("error-value", "KPIs!U2", "#DIV/0!"),
    }
    # The same cells as the .xlsx (where the formula was never calculated: no saved value).
    in_xlsx = {(p.code, p.cell) for p in _validate(config, xlsx).problems if p.severity == "error"}
    assert {cell for _, cell in in_xlsx} == {cell for _, cell, _ in found}
    assert ("formula-without-value", "KPIs!U2") in in_xlsx


def test_an_ods_department_is_archived_as_ods_and_stands_in_stale_next_month(
    tmp_path: Path, soffice_convert
) -> None:
    """The whole path: accepted, archived under its own ending, read back as a stand-in."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    ods = soffice_convert(make_workbook(tmp_path / "xlsx", **_rows()), "ods", inbox)
    make_workbook(inbox, "OPS", config=config, **_rows("OPS"))
    _age(*inbox.iterdir())
    october = check(config, PERIOD).validated
    assert dict(zip(october.files["file"], october.files["status"], strict=True)) == {
        ods.name: "accepted",
        "OPS-2026-10.xlsx": "accepted",
    }
    sha = october.files.set_index("file").loc[ods.name, "sha256"]
    assert (config.reporting.archive / f"{sha}.ods").is_file()

    november = assess(config, "2026-11").validated  # nobody has sent November yet
    assert november.missing == ("CORP", "FIN", "OPS") and november.rejected == ()
    subs = november.submissions.set_index("department_id")
    assert subs.loc["FIN", ["stale", "as_of_period", "file"]].tolist() == [True, PERIOD, ods.name]


# --- the .ods gate --------------------------------------------------------------------------------


@pytest.fixture
def good_xlsx(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "src", **_rows())


def test_an_ods_built_from_a_good_workbook_reads_as_the_xlsx(tmp_path: Path, good_xlsx: Path):
    """The hand-built .ods of these tests is a fair stand-in for LibreOffice's: accepted,
    with LibreOffice's million empty formatted rows at the end of each sheet."""
    tails = {name: LIBREOFFICE_TAIL for name in (*read.WANTED_SHEETS, "Lists", "Instructions")}
    ods = write_ods(good_xlsx, tmp_path / "FIN-2026-10.ods", tail=tails)
    config = make_config(tmp_path)
    a, b = _validate(config, good_xlsx), _validate(config, ods)
    assert b.files["status"].tolist() == ["accepted"]
    _same_values(a, b)


def test_ods_error_cells_and_formulas_without_value_are_flagged(tmp_path: Path, good_xlsx: Path):
    """What calamine reads as blank is flagged at its cell, as in an .xlsx; a tab and a line
    break inside a text (which calamine drops) are kept."""
    cells = {
        ("KPIs", "U2"): (
            '<table:table-cell table:formula="of:=1/0" office:value-type="string" '
            'office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p>'
            "</table:table-cell>"
        ),
        ("KPIs", "T3"): '<table:table-cell table:formula="of:=[.A1]"/>',
        ("KPIs", "X3"): (
            '<table:table-cell office:value-type="string">'
            "<text:p>Five days<text:tab/>by<text:line-break/>year end</text:p></table:table-cell>"
        ),
        (Sheet.SUBMISSION, "B3"): (
            '<table:table-cell table:formula="of:=NA()" office:value-type="string" '
            'office:string-value=""><text:p>#N/A</text:p></table:table-cell>'
        ),
    }
    raw = read_workbook(write_ods(good_xlsx, tmp_path / "FIN.ods", cells=cells))
    kpis = raw.sheets[Sheet.KPIS]
    assert kpis.flags == {"U2": "#DIV/0!", "T3": "formula-without-value"}
    assert raw.submission_flags == {"B3": "#N/A"}
    assert kpis.frame.loc[3, "Commentary"] == "Five days\tby\nyear end"
    v = _validate(make_config(tmp_path), raw.path)
    assert {(p.code, p.cell) for p in v.problems if p.severity == "error"} == {
        ("error-value", "KPIs!U2"),
        ("formula-without-value", "KPIs!T3"),
        ("error-value", "Submission!B3"),
    }


FILLED_ROW = (
    '<table:table-row table:number-rows-repeated="{rows}">'
    '<table:table-cell office:value-type="float" office:value="1" '
    'table:number-columns-repeated="{columns}"/></table:table-row>'
)


@pytest.mark.parametrize(
    ("sheet", "rows", "columns", "message"),
    [
        ("KPIs", 1_000_000, 24, r"Sheet KPIs has 100000\d rows x \d+ columns, over the limit "
         r"of 5000 x 200\."),
        ("KPIs", 1, 100_000, r"Sheet KPIs has \d rows x 100000 columns, over the limit of "
         r"5000 x 200\."),
        ("Lists", 1_000_000, 1_000, r"Sheet Lists has 10000\d\d rows x 1000 columns, over the "
         r"limit of 50000 x 2000\."),
        ("Lists", 40_000, 1_000, r"Sheet Lists has 400\d\d rows x 1000 columns, over the limit "
         r"of 10,000,000 cells in all sheets\."),  # within 50,000 x 2,000: the cell budget
    ],
)  # fmt: skip
def test_repeated_filled_rows_are_refused_before_the_reader_allocates_them(
    tmp_path: Path, good_xlsx: Path, sheet: str, rows: int, columns: int, message: str
) -> None:
    """One row element repeated a million times is a million rows: refused by arithmetic,
    in the gate, in a split second, in any sheet (calamine loads them all)."""
    tail = {sheet: FILLED_ROW.format(rows=rows, columns=columns)}
    path = write_ods(good_xlsx, tmp_path / "FIN-2026-10.ods", tail=tail)
    started = time.monotonic()
    (outcome,) = sandbox.read_all([path])
    assert time.monotonic() - started < 20
    assert outcome.code == "sheet-too-large", outcome
    with pytest.raises(UnreadableWorkbook, match=message):
        read_workbook(path)


MANIFEST_ENCRYPTED = (
    '<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml">'
    '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
    '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
    'manifest:initialisation-vector="x"/></manifest:encryption-data></manifest:file-entry>'
)
LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'


def _hostile(kind: str, good_xlsx: Path, target: Path) -> Path:
    if kind == "entity-declaration":
        return write_ods(good_xlsx, target, content_head=f'<?xml version="1.0"?>\n{LAUGHS}')
    if kind == "not-a-zip":
        target.write_bytes(b"KPI ID,Target\nFIN-K1,0.42\n")
    elif kind == "old-xls-named-ods":
        target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    elif kind == "xlsx-named-ods":
        target.write_bytes(good_xlsx.read_bytes())
    elif kind == "text-document":
        return write_ods(good_xlsx, target, mimetype=b"application/vnd.oasis.opendocument.text")
    elif kind == "encrypted":
        return write_ods(good_xlsx, target, manifest_extra=MANIFEST_ENCRYPTED)
    elif kind == "damaged-xml":
        return write_ods(good_xlsx, target, tail={"KPIs": "<table:table-row><oops>"})
    elif kind == "bad-repeat-count":
        rows = (
            '<table:table-row table:number-rows-repeated="-5"><table:table-cell/></table:table-row>'
        )
        return write_ods(good_xlsx, target, tail={"KPIs": rows})
    elif kind == "huge-run-of-spaces":
        cell = (
            '<table:table-cell office:value-type="string">'
            '<text:p><text:s text:c="999999999"/></text:p></table:table-cell>'
        )
        return write_ods(good_xlsx, target, cells={("KPIs", "X2"): cell})
    return target


HOSTILE = {
    "entity-declaration": ("unreadable-file", "content.xml declares XML entities"),
    "not-a-zip": ("not-ods", "it is not a spreadsheet file at all"),
    "old-xls-named-ods": ("not-ods", "it is an old Excel 97-2003 .xls file named .ods"),
    "xlsx-named-ods": ("not-ods", "it is an Excel workbook named .ods"),
    "text-document": ("not-ods", "application/vnd.oasis.opendocument.text"),
    "encrypted": ("encrypted-file", "encrypted or password-protected"),
    "damaged-xml": ("unreadable-file", "damaged XML in content.xml"),
    "bad-repeat-count": ("unreadable-file", "bad number-rows-repeated count"),
    "huge-run-of-spaces": ("unreadable-file", "a text over 32,767 characters"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_ods_is_refused_with_a_stable_code(tmp_path: Path, good_xlsx: Path, kind: str):
    code, words = HOSTILE[kind]
    path = _hostile(kind, good_xlsx, tmp_path / "FIN-2026-10.ods")
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    assert caught.value.code == code
    assert words in str(caught.value)


def test_hostile_ods_files_in_the_inbox_never_stop_the_run(tmp_path: Path, good_xlsx: Path):
    """Through the command line: each is unreadable with its code, no traceback, and the
    good workbook beside them is still accepted."""
    root = _toml(tmp_path)
    inbox = root.parent / "inbox"
    for kind in HOSTILE:
        _hostile(kind, good_xlsx, inbox / f"{kind}.ods")
    tail = {"KPIs": FILLED_ROW.format(rows=1_000_000, columns=24)}
    write_ods(good_xlsx, inbox / "million-rows.ods", tail=tail)
    make_workbook(inbox, "OPS", config=make_config(root.parent), **_rows("OPS"))
    _age(*inbox.iterdir())
    result = CliRunner().invoke(main, ["validate", "--config", str(root), "--period", PERIOD])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    data = json.loads((root.parent / "reports" / PERIOD / f"validation-{PERIOD}.json").read_text())
    files = {f["file"]: (f["status"], [p["code"] for p in f["problems"]]) for f in data["files"]}
    expected = {f"{kind}.ods": ("unreadable", [code]) for kind, (code, _) in HOSTILE.items()}
    expected["million-rows.ods"] = ("unreadable", ["sheet-too-large"])
    expected["OPS-2026-10.xlsx"] = ("accepted", [])
    assert {
        f: (s, [c for c in codes if c != "missing-current-actual"])
        for f, (s, codes) in files.items()
    } == expected


def test_an_ods_named_xlsx_says_what_it_is(tmp_path: Path, good_xlsx: Path) -> None:
    path = write_ods(good_xlsx, tmp_path / "FIN-2026-10.xlsx")
    with pytest.raises(UnreadableWorkbook, match=r"LibreOffice \(\.ods\) spreadsheet named \.xlsx"):
        read_workbook(path)
    assert _code(path) == "not-xlsx"


# --- formats that are not read -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "code", "hint"),
    [
        (".xls", "xls-file", "Open it and Save As 'Excel Workbook (.xlsx)'"),
        (".XLSB", "xlsb-file", "Save As 'Excel Workbook (.xlsx)'"),
        (".numbers", "numbers-file", "File > Export To > Excel"),
        (".csv", "csv-file", "not a sheet saved as CSV"),
    ],
)
def test_other_formats_say_what_to_do_and_count_as_received(
    tmp_path: Path, suffix: str, code: str, hint: str
) -> None:
    """FIN sent an .xls: told to Save As .xlsx, and FIN is "received, unreadable"."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    inbox.mkdir()
    path = inbox / f"FIN-2026-10{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert discover(inbox).wrong_format == (path,)
    v = check(config, PERIOD).validated
    (prob,) = [p for p in v.problems if p.file == path.name]
    assert (prob.code, prob.severity) == (code, "error")
    assert hint in prob.hint
    if code == "xls-file":
        assert prob.message == (
            "The file is an .xls file, the old Excel 97-2003 format, which is not read."
        )
        assert prob.hint == (
            "Open it and Save As 'Excel Workbook (.xlsx)', then submit the .xlsx file."
        )
    fin = {s.department_id: s for s in standings(v, config)}["FIN"]
    assert (fin.state, fin.words, fin.file) == (State.REJECTED, Words.UNREADABLE, path.name)
    assert v.missing == ("CORP", "OPS") and v.rejected == ("FIN",)


def test_ods_is_a_workbook_in_the_inbox(tmp_path: Path) -> None:
    for name in ("a.ods", "b.xls", "c.xlsx", ".~lock.a.ods#"):
        (tmp_path / name).write_bytes(b"x")
    found = discover(tmp_path)
    assert [p.name for p in found.workbooks] == ["a.ods", "c.xlsx"]
    assert [p.name for p in found.wrong_format] == ["b.xls"]
    assert [p.name for p, _ in found.ignored] == [".~lock.a.ods#"]


# --- unreadable files count for the department their name gives ---------------------------------


@pytest.mark.parametrize(
    ("name", "dept", "period"),
    [
        ("FIN-2026-10.xlsx", "FIN", "2026-10"),
        ("FIN_scorecard.ods", "FIN", ""),
        ("fin october.xlsx", "FIN", ""),
        ("Fin.xlsx", "FIN", ""),
        ("FIN-AP_2026_09.xlsx", "FIN-AP", "2026-09"),  # the longest ID that fits
        ("FIN-APX.xlsx", "FIN", ""),
        ("FINANCE-2026-10.xlsx", "", "2026-10"),  # FIN is not a leading token of FINANCE
        ("FIN2026-10.xlsx", "", "2026-10"),
        ("scorecard FIN 2026-10.xlsx", "", "2026-10"),
        ("OPS 2026-10 (copy 2026-11).xlsx", "OPS", ""),  # two months: none
        ("FIN-2026-13.xlsx", "FIN", ""),
        ("FIN-202610.xlsx", "FIN", ""),
    ],
)
def test_department_and_period_from_a_file_name(name: str, dept: str, period: str) -> None:
    assert department_from_name(name, ("CORP", "FIN", "FIN-AP", "OPS")) == dept
    assert period_from_name(name) == period


def _toml(tmp_path: Path) -> Path:
    """The test organisation (CORP > FIN, OPS) as a scorecard.toml, with an empty inbox."""
    path = tmp_path / "scorecard.toml"
    path.write_text(
        '[organisation]\nname = "Test Org"\nfiscal_year_start = 1\ncurrency = "EUR"\n\n'
        '[[departments]]\nid = "CORP"\nname = "Group strategy office"\ncorporate = true\n\n'
        '[[departments]]\nid = "FIN"\nname = "Finance"\nparent = "CORP"\n\n'
        '[[departments]]\nid = "OPS"\nname = "Operations"\nparent = "CORP"\n',
        encoding="utf-8",
    )
    (tmp_path / "inbox").mkdir()
    return path


def _garbage(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 8)  # no zip, no OLE: nothing a reader can open
    _age(path)
    return path


def test_an_unreadable_file_makes_its_department_received_unreadable_not_missing(
    tmp_path: Path,
) -> None:
    """FIN-2026-10.xlsx is garbage: FIN is rejected ("received, unreadable") in the standing,
    the JSON report and the chase list; CORP sent nothing and is the only one missing."""
    toml = _toml(tmp_path)
    inbox = tmp_path / "inbox"
    _garbage(inbox / "FIN-2026-10.xlsx")
    make_workbook(inbox, "OPS", config=make_config(tmp_path), **_rows("OPS"))
    _age(inbox / "OPS-2026-10.xlsx")

    config = make_config(tmp_path)
    v = check(config, PERIOD).validated
    assert (v.missing, v.rejected, v.not_accepted) == (("CORP",), ("FIN",), ("CORP", "FIN"))
    assert [p.department for p in v.problems if p.code == "missing-submission"] == ["CORP"]
    row = v.files.set_index("file").loc["FIN-2026-10.xlsx"]
    assert (row["department_id"], row["period"], row["status"]) == ("FIN", PERIOD, "unreadable")
    found = {s.department_id: s for s in standings(v, config)}
    assert [(s.state, s.words) for s in found.values()] == [
        (State.MISSING, Words.MISSING),
        (State.REJECTED, Words.UNREADABLE),
        (State.ACCEPTED, Words.ACCEPTED),
    ]
    assert found["FIN"].file == "FIN-2026-10.xlsx"
    assert found["FIN"].reason == (
        "The file is not an .xlsx workbook (it is not a spreadsheet file at all)."
    )

    runner = CliRunner()
    result = runner.invoke(main, ["validate", "--config", str(toml), "--period", PERIOD, "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    summary = data["summary"]
    assert (summary["missing_departments"], summary["rejected_departments"]) == (["CORP"], ["FIN"])
    assert summary["departments"]["missing"] == 1 and summary["departments"]["rejected"] == 1
    fin = next(d for d in data["departments"] if d["department_id"] == "FIN")
    assert (fin["state"], fin["file"]) == ("rejected", "FIN-2026-10.xlsx")
    (file,) = [f for f in data["files"] if f["file"] == "FIN-2026-10.xlsx"]
    assert (file["department_id"], file["status"]) == ("FIN", "unreadable")
    assert [p["code"] for p in file["problems"]] == ["not-xlsx"]
    written = json.loads((tmp_path / "reports" / PERIOD / f"validation-{PERIOD}.json").read_text())
    assert written["departments"] == data["departments"]

    console = runner.invoke(main, ["validate", "--config", str(toml), "--period", PERIOD])
    assert console.exit_code == 1, console.output
    assert "Departments: 1 accepted, 1 rejected, 1 missing of 3" in console.output
    assert "rejected FIN FIN-2026-10.xlsx: The file is not an .xlsx workbook" in console.output
    chase = runner.invoke(main, ["status", "--config", str(toml), "--period", PERIOD, "--json"])
    listed = {d["department_id"]: d["state"] for d in json.loads(chase.output)["departments"]}
    assert listed == {"CORP": "missing", "FIN": "rejected", "OPS": "accepted"}


def test_a_rejected_department_still_gets_its_stale_stand_in(tmp_path: Path) -> None:
    """FIN was accepted in September; October's FIN file is garbage: rejected, shown stale."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    september = _rows()
    september["kpis"] = [
        {k: v for k, v in kpi.items() if k != "2026-10"} for kpi in september["kpis"]
    ]
    sept = make_workbook(inbox, period="2026-09", config=config, **september)
    _age(sept)
    assert check(config, "2026-09").validated.files["status"].tolist() == ["accepted"]
    _garbage(inbox / "FIN-2026-10.xlsx")
    v = check(config, PERIOD).validated
    assert (v.missing, v.rejected, v.no_data) == (("CORP", "OPS"), ("FIN",), ("CORP", "OPS"))
    subs = v.submissions.set_index("department_id")
    assert subs.loc["FIN", ["stale", "as_of_period"]].tolist() == [True, "2026-09"]
    fin = {s.department_id: s for s in standings(v, config)}["FIN"]
    assert (fin.state, fin.words, fin.stale_as_of) == (State.REJECTED, Words.UNREADABLE, "2026-09")


def test_an_unreadable_file_of_another_period_or_no_department_does_not_count(
    tmp_path: Path,
) -> None:
    """FIN-2026-09.xlsx in an October run is not October's: FIN stays missing. A name without
    a period counts for this one; a name without a department for nobody."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    inbox.mkdir()
    _garbage(inbox / "FIN-2026-09.xlsx")
    _garbage(inbox / "ops scorecard.xlsx")
    _garbage(inbox / "scorecard.xlsx")
    v = check(config, PERIOD).validated
    assert (v.missing, v.rejected) == (("CORP", "FIN"), ("OPS",))
    rows = v.files.set_index("file")[["department_id", "period", "status"]]
    assert rows.to_dict("index") == {
        "FIN-2026-09.xlsx": {"department_id": "FIN", "period": "2026-09", "status": "unreadable"},
        "ops scorecard.xlsx": {"department_id": "OPS", "period": "", "status": "unreadable"},
        "scorecard.xlsx": {"department_id": "", "period": "", "status": "unreadable"},
    }
    found = {s.department_id: s for s in standings(v, config)}
    assert (found["FIN"].state, found["FIN"].words, found["FIN"].other_files) == (
        State.MISSING,
        Words.MISSING,
        (),
    )
    assert (found["OPS"].state, found["OPS"].file) == (State.REJECTED, "ops scorecard.xlsx")
    assert sorted(p.department for p in v.problems if p.code == "missing-submission") == [
        "CORP",
        "FIN",
    ]


def test_a_readable_rejected_workbook_is_shown_before_an_unreadable_one(tmp_path: Path) -> None:
    """FIN sent a workbook with a mistake and a broken copy: the one it can fix is named."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    rows = _rows()
    rows["kpis"][0]["Target"] = "forty"
    make_workbook(inbox, config=config, **rows)
    _garbage(inbox / "FIN-2026-10 (2).xlsx")
    _age(*inbox.iterdir())
    v = check(config, PERIOD).validated
    fin = {s.department_id: s for s in standings(v, config)}["FIN"]
    assert (fin.state, fin.words, fin.file) == (State.REJECTED, Words.REJECTED, "FIN-2026-10.xlsx")
    assert fin.other_files == ("FIN-2026-10 (2).xlsx",)
