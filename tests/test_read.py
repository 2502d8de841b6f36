"""The reader: raw frames keyed by Excel row, header -> letter maps, flags, unreadable files."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import read
from pipeline.contract import Sheet
from pipeline.read import UnreadableWorkbook, file_sha256, read_workbook
from tests.workbooks import make_workbook, sample_rows


def objective(n: int) -> dict[str, object]:
    return {"Objective ID": f"FIN-O{n}", "Perspective": "Financial", "Objective": f"Goal {n}"}


def rewrite_zip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    """Copy an xlsx, swapping the named parts."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


def code_of(path: Path) -> str:
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    return caught.value.code


def test_rows_keep_their_excel_numbers_and_empty_rows_are_dropped(tmp_path: Path) -> None:
    """Index = Excel row; blank rows in between and the 200 styled empty rows are skipped."""
    path = make_workbook(tmp_path, objectives=[objective(1), {}, {"Owner": "  "}, objective(4)])
    frame = read_workbook(path).sheets[Sheet.OBJECTIVES].frame
    assert list(frame.index) == [2, 5]
    assert frame.index.name == "row"
    assert list(frame["Objective ID"]) == ["FIN-O1", "FIN-O4"]
    assert frame.loc[5, "Owner"] is None  # a blank cell is None, never ""


def test_header_to_letter_map_names_cells(tmp_path: Path) -> None:
    """Each header maps to its column letter, so problems can name `KPIs!H7`."""
    sheet = read_workbook(make_workbook(tmp_path)).sheets[Sheet.KPIS]
    assert sheet.letters["KPI ID"] == "A"
    assert sheet.letters["Target"] == "H"
    assert sheet.letters["2026-01"] == "L"
    assert sheet.letters["2026-12"] == "W"
    assert sheet.letters["Commentary"] == "X"
    assert sheet.cell("Target", 7) == "KPIs!H7"
    assert sheet.cell("No such header", 7) == "KPIs!?7"


def test_values_keep_their_spreadsheet_types(tmp_path: Path) -> None:
    """Numbers are floats, dates are dates, text stays text ('42%' is not converted)."""
    rows = sample_rows()
    rows["kpis"][1]["Target"] = "42%"
    raw = read_workbook(make_workbook(tmp_path, **rows))
    kpis = raw.sheets[Sheet.KPIS].frame
    assert kpis.loc[2, "Target"] == 0.42 and kpis.loc[3, "Target"] == "42%"
    assert kpis.loc[3, "2026-01"] == 7.0
    initiative = raw.sheets[Sheet.INITIATIVES].frame.loc[2]
    assert initiative["Start"] == date(2026, 7, 1)
    assert initiative["Spent"] == 18250.5


def test_submission_values_come_with_their_cells(tmp_path: Path) -> None:
    """Submission is label -> (value, cell in column B)."""
    raw = read_workbook(make_workbook(tmp_path, dept_id="OPS", period="2026-11"))
    assert raw.submission["Department ID"] == ("OPS", "B1")
    assert raw.submission["Period (YYYY-MM)"] == ("2026-11", "B2")
    assert raw.submission["Submitted on"] == (date(2026, 11, 30), "B5")
    assert raw.submission_flags == {}
    assert raw.sha256 == file_sha256(raw.path) and len(raw.sha256) == 64


def test_sheets_are_found_by_name_whatever_their_order(tmp_path: Path) -> None:
    """Shuffled sheets (and a stray space in a sheet name) are still found by name."""
    original = make_workbook(tmp_path, **sample_rows())
    wb = load_workbook(original)
    wb._sheets.reverse()
    wb[Sheet.KPIS].title = "KPIs "
    shuffled = tmp_path / "shuffled.xlsx"
    wb.save(shuffled)
    before, after = read_workbook(original), read_workbook(shuffled)
    assert after.sheet_names[0] == Sheet.LISTS and after.sheet_names[-1] == Sheet.INSTRUCTIONS
    assert set(after.sheets) == set(before.sheets)
    for name, sheet in before.sheets.items():
        assert after.sheets[name].frame.equals(sheet.frame), name
    assert after.sheets[Sheet.KPIS].name == Sheet.KPIS
    assert after.submission == before.submission


def test_error_values_and_uncached_formulas_are_flagged_at_their_cell(tmp_path: Path) -> None:
    """`#DIV/0!` and a formula with no cached result read as blank but land in flags."""
    kpis = [
        {"KPI ID": "FIN-K1", "Target": 5, "2026-01": "#DIV/0!", "2026-02": "=1/0"},
        {"Target": "=1/0"},  # a row holding nothing but a broken formula is still a row
    ]
    raw = read_workbook(make_workbook(tmp_path, kpis=kpis, submission={"Prepared by": "#N/A"}))
    sheet = raw.sheets[Sheet.KPIS]
    assert sheet.flags == {
        "L2": "#DIV/0!",
        "M2": "formula-without-value",
        "H3": "formula-without-value",
    }
    assert list(sheet.frame.index) == [2, 3]
    assert sheet.frame.loc[2, "2026-01"] is None and sheet.frame.loc[2, "2026-02"] is None
    assert raw.submission_flags == {"B3": "#N/A"}


def test_a_broken_formula_beside_the_table_makes_no_row(tmp_path: Path) -> None:
    """A flagged cell in a column without a header is reported but adds no data row."""
    path = make_workbook(tmp_path, kpis=[{"KPI ID": "FIN-K1"}])
    wb = load_workbook(path)
    wb[Sheet.KPIS]["Z5"] = "=1/0"
    wb.save(path)
    sheet = read_workbook(path).sheets[Sheet.KPIS]
    assert sheet.flags == {"Z5": "formula-without-value"}
    assert list(sheet.frame.index) == [2]


def test_header_text_is_normalised(tmp_path: Path) -> None:
    """Headers are matched on collapsed whitespace; a month header turned date is YYYY-MM."""
    path = make_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb[Sheet.KPIS]
    ws["A1"] = " KPI\u00a0 ID "
    ws["L1"] = datetime(2026, 1, 1)
    wb.save(path)
    letters = read_workbook(path).sheets[Sheet.KPIS].letters
    assert letters["KPI ID"] == "A"
    assert letters["2026-01"] == "L"


def test_a_text_file_is_not_xlsx(tmp_path: Path) -> None:
    """A CSV renamed .xlsx is refused as not-xlsx."""
    path = tmp_path / "fin.xlsx"
    path.write_text("KPI ID,Target\nFIN-K1,0.42\n", encoding="utf-8")
    assert code_of(path) == "not-xlsx"


def test_a_legacy_xls_is_not_xlsx(tmp_path: Path) -> None:
    """An OLE2 file without an encrypted package is a legacy .xls: not-xlsx."""
    path = tmp_path / "fin.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024 + "Workbook".encode("utf-16-le")
    )
    assert code_of(path) == "not-xlsx"


def test_a_truncated_xlsx_is_unreadable(tmp_path: Path) -> None:
    """Half a workbook (an interrupted copy) is unreadable-file."""
    data = make_workbook(tmp_path).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert code_of(path) == "unreadable-file"


def test_a_password_protected_workbook_is_encrypted(tmp_path: Path) -> None:
    """Excel's encrypted OLE container (an EncryptedPackage stream) is encrypted-file."""
    path = tmp_path / "fin.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedInfo".encode("utf-16-le")
        + b"\x00" * 64
        + "EncryptedPackage".encode("utf-16-le")
    )
    assert code_of(path) == "encrypted-file"


def test_a_zip_that_is_not_a_workbook_is_not_xlsx(tmp_path: Path) -> None:
    """A zip without xl/workbook.xml (e.g. a .docx) is not-xlsx."""
    path = tmp_path / "fin.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert code_of(path) == "not-xlsx"


def test_xml_entity_declarations_are_refused(tmp_path: Path) -> None:
    """A workbook.xml declaring entities (billion laughs) is refused before any parsing."""
    good = make_workbook(tmp_path)
    with zipfile.ZipFile(good) as archive:
        workbook_xml = archive.read("xl/workbook.xml")
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    ) + workbook_xml.split(b"?>", 1)[-1]
    path = rewrite_zip(good, tmp_path / "bomb.xlsx", {"xl/workbook.xml": bomb})
    with pytest.raises(UnreadableWorkbook, match="declares XML entities") as caught:
        read_workbook(path)
    assert caught.value.code == "unreadable-file"


def test_a_sheet_over_the_row_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet with more rows than read.MAX_ROWS is sheet-too-large, naming the sheet."""
    path = make_workbook(tmp_path, objectives=[objective(n) for n in range(1, 31)])
    monkeypatch.setattr(read, "MAX_ROWS", 20)
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(path)
    assert caught.value.code == "sheet-too-large"
    assert str(caught.value) == (
        "Sheet Objectives has 31 rows x 6 columns, over the limit of 20 x 200."
    )


def test_oversized_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too many bytes on disk, or too many once unpacked (a zip bomb), is file-too-large."""
    path = make_workbook(tmp_path)
    monkeypatch.setattr(read, "MAX_FILE_BYTES", 1000)
    assert code_of(path) == "file-too-large"
    monkeypatch.undo()
    monkeypatch.setattr(read, "MAX_UNPACKED_BYTES", 10_000)
    assert code_of(path) == "file-too-large"


def test_sheet_extent_counts_every_cell_not_the_dimension() -> None:
    """Addresses come from <row r> and <c r>; unaddressed ones follow the previous one."""
    from pipeline.read import sheet_extent

    assert sheet_extent(b'<dimension ref="A1:XFD1048576"/><row r="2"><c r="C2"/></row>') == (2, 3)
    assert sheet_extent(b'<row r="3"><c r="ZZZZZ99999999"/></row>') == (99_999_999, 12_356_630)
    assert sheet_extent(b"<row><c/><c/><c/></row><row><c/></row>") == (2, 3)
    assert sheet_extent(b'<x:row r="7"><x:c r="B7"><x:v>1</x:v></x:c></x:row>') == (7, 2)


def test_an_address_in_single_quotes_or_with_spaces_counts_too() -> None:
    """XML allows r='XFD1' and r = "AAA1"; the reader honours them, so the extent does."""
    from pipeline.read import sheet_extent

    assert sheet_extent(b"<row r='1'><c r='XFD1'/></row>") == (1, 16_384)
    assert sheet_extent(b'<row r = "1"><c r = "AAA1"/></row>') == (1, 703)


def test_the_fast_extent_bound_never_clears_a_sheet_over_the_limit() -> None:
    """`extent_surely_within` may send a small sheet to the walk, never pass a large one."""
    import random

    from pipeline.read import column_letter, extent_surely_within, sheet_extent

    tricky = [
        b'<row r="3"><c r="ZZZZZ99999999"/></row>',
        b'<row r="60000"><c r="A60000"/></row>',
        b"<row r='1'><c r='XFD1'/></row>",
        b'<row r="1"><c r="&#88;FD1"/></row>',
        b'<row r = "1"><c r = "AAA1"/></row>',
        b'<row r="99999"/>',
        b'<!-- <row r="1"/> --><row r="99999"/>',
    ]
    for xml in tricky:
        assert not extent_surely_within(xml, 50_000, 2_000), xml
    assert extent_surely_within(
        b'<worksheet xmlns:r="http://x"><row r="2"><c r="B2"/></row>', 50_000, 2_000
    )
    assert extent_surely_within(b"<row><c/><c/><c/></row>", 50_000, 2_000)
    rng = random.Random(15)
    cleared = 0
    for _ in range(5_000):
        rows = []
        for _ in range(rng.randint(0, 5)):
            row = rng.choice(
                [
                    "<row>",
                    f'<row r="{rng.randint(1, 120_000)}">',
                    f"<x:row r='{rng.randint(1, 99)}'>",
                ]
            )
            cells = "".join(
                rng.choice(
                    [
                        "<c/>",
                        "<c t='s'/>",
                        f'<c r="{column_letter(rng.randint(0, 3_000))}{rng.randint(1, 70_000)}"/>',
                    ]
                )
                for _ in range(rng.randint(0, 4))
            )
            rows.append(f"{row}{cells}</row>")
        xml = "".join(rows).encode()
        if extent_surely_within(xml, 50_000, 2_000):
            cleared += 1
            last_row, last_column = sheet_extent(xml)
            assert last_row <= 50_000 and last_column <= 2_000, xml
    assert cleared > 500  # the fast path is taken, not just always refused


def test_a_cell_at_the_last_excel_address_is_refused_before_the_reader_sees_it(
    tmp_path: Path,
) -> None:
    """XFD1048576 would make the reader allocate 17 billion cells: sheet-too-large instead."""
    import zipfile

    path = make_workbook(tmp_path, kpis=[])
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet4.xml":  # the KPIs sheet
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>',
                )
            out.writestr(info, data)
    with pytest.raises(UnreadableWorkbook) as caught:
        read_workbook(bad)
    assert caught.value.code == "sheet-too-large"
    assert str(caught.value).startswith("Sheet KPIs has 1048576 rows x 16384 columns")
