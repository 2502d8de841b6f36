"""Feedback copies: a Problems sheet that opens first, cells that stand out, any source format.

Finance staff fix their workbook from the feedback copy alone, so these tests read the copy
as they would: which sheet opens, what the list says, where each link goes, what a cell's
comment says, whether the marked cells stand out (also in greyscale), and whether a real
spreadsheet program (LibreOffice) reads it all.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pypdf

from pipeline import feedback
from pipeline.feedback import (
    ERROR_BORDER,
    ERROR_COLOUR,
    WARNING_BORDER,
    WARNING_COLOUR,
    feedback_name,
    write_feedback,
)
from pipeline.problems import ERROR, WARNING, Problem
from pipeline.read import read_workbook
from pipeline.render.excel import REPLACEMENT, set_text
from pipeline.run import check
from pipeline.validate import validate
from pipeline.workbook_templates import INPUT_FILL
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"
HOSTILE = '=HYPERLINK("http://example.com/x","click me")'
# What validating `_broken_workbook` gives, in the order the Problems sheet lists it:
# errors first, then sheets in workbook order (a sheet the file lacks last), row, column.
EXPECTED = [
    ("Error", "Objectives", "B2", "not-in-list"),
    ("Error", "KPIs", "H2", "not-a-number"),
    ("Error", "KPIs", "U2", "percent-as-whole-number"),
    ("Error", "Check-ins", "D2", "out-of-range"),
    ("Error", "Initiatives", "", "missing-sheet"),
    ("Warning", "KPIs", "C2", "perspective-mismatch"),
]


# --- helpers ---------------------------------------------------------------------------------


def _rows() -> dict:
    """sample_rows with every month to October filled: a workbook that is accepted."""
    rows = sample_rows()
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def _broken_workbook(folder: Path, *, drop_initiatives: bool = True) -> Path:
    """A FIN workbook with five errors (one a missing sheet) and a warning; see EXPECTED."""
    rows = _rows()
    rows["objectives"][0]["Perspective"] = "Finance"  # not in the list; KPI C2 mismatch
    rows["kpis"][0]["Target"] = "forty"  # not a number
    rows["kpis"][0]["2026-10"] = 42  # 42 in a % KPI
    rows["checkins"][0]["Confidence"] = 14  # over 10
    path = make_workbook(folder, **rows)
    book = openpyxl.load_workbook(path)
    set_text(book["KPIs"]["X3"], HOSTILE)  # commentary text that looks like a formula
    if drop_initiatives:
        del book["Initiatives"]
    book.save(path)
    return path


def _problems_of(path: Path, tmp_path: Path) -> list[Problem]:
    """The file's own problems, as `pipeline.run` hands them to write_feedback."""
    validated = validate([read_workbook(path)], make_config(tmp_path), PERIOD)
    return [p for p in validated.problems if p.file == path.name]


def _feedback_for(tmp_path: Path, **kwargs) -> tuple[Path, list[Problem]]:
    source = _broken_workbook(tmp_path / "inbox-like", **kwargs)
    problems = _problems_of(source, tmp_path)
    copy = write_feedback(source, problems, tmp_path / "feedback")
    assert copy is not None
    return copy, problems


def _header_row(ws, first: str) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == first:
            return row
    raise AssertionError(f"no row starting {first!r}")


def _listing(ws) -> list[dict]:
    """The problem list of a Problems sheet: one dict per row, keyed by its header."""
    top = _header_row(ws, "Severity")
    headers = [ws.cell(row=top, column=c).value for c in range(1, 7)]
    assert headers == ["Severity", "Sheet", "Cell", "What is wrong", "How to fix it", "Code"]
    out = []
    for row in range(top + 1, ws.max_row + 1):
        cells = [ws.cell(row=row, column=c) for c in range(1, 7)]
        if cells[0].value in (None, "") or cells[0].value.startswith("…"):
            break
        entry = {h: (c.value or "") for h, c in zip(headers, cells, strict=True)}
        entry["link"] = cells[2].hyperlink
        out.append(entry)
    return out


def _counts(ws) -> dict[str, tuple[int, int]]:
    """The per-sheet counts table: sheet -> (errors, warnings), with the Total line."""
    top = _header_row(ws, "Sheet")
    assert [ws.cell(row=top, column=c).value for c in (2, 3)] == ["Errors", "Warnings"]
    out = {}
    row = top + 1
    while ws.cell(row=row, column=1).value:
        out[ws.cell(row=row, column=1).value] = (
            ws.cell(row=row, column=2).value,
            ws.cell(row=row, column=3).value,
        )
        row += 1
    return out


def _luminance(rgb: str) -> float:
    """WCAG 2 relative luminance of an "RRGGBB" or "AARRGGBB" colour."""
    rgb = rgb[-6:]

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(rgb[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _sheet_xml(path: Path, title: str) -> str:
    """The worksheet XML of the sheet called `title` in an .xlsx."""
    book = openpyxl.load_workbook(path)
    index = book.sheetnames.index(title) + 1  # openpyxl writes sheets as sheet1.xml, ...
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


# --- the Problems sheet ----------------------------------------------------------------------


def test_the_copy_opens_on_the_problems_sheet_alone(tmp_path):
    """First tab, active, and the only selected tab (no grouped sheets)."""
    source = _broken_workbook(tmp_path / "in")
    before = openpyxl.load_workbook(source)
    assert before.active.title == "Instructions" and before.active.sheet_view.tabSelected
    copy = write_feedback(source, _problems_of(source, tmp_path), tmp_path / "feedback")
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "Problems"
    assert book.sheetnames[1:] == before.sheetnames  # the submitter's sheets, in order
    assert book.active.title == "Problems"
    selected = [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected]
    assert selected == ["Problems"]
    assert book.views[0].activeTab == 0 and book.views[0].firstSheet == 0


def test_the_problems_sheet_lists_every_problem_in_order(tmp_path):
    """Errors first, then sheets in workbook order, row, column; words, not codes, up front."""
    copy, problems = _feedback_for(tmp_path)
    ws = openpyxl.load_workbook(copy)["Problems"]
    assert ws["A1"].value == "What to fix in this workbook"
    assert ws["A2"].value == "File: FIN-2026-10.xlsx"
    listed = _listing(ws)
    assert [(e["Severity"], e["Sheet"], e["Cell"], e["Code"]) for e in listed] == EXPECTED
    by_code = {p.code: p for p in problems}
    assert len(listed) == len(problems)
    for entry in listed:
        prob = by_code[entry["Code"]]
        assert entry["What is wrong"] == prob.message
        assert entry["How to fix it"] == prob.hint
        assert prob.cell == (f"{entry['Sheet']}!{entry['Cell']}" if entry["Cell"] else "")
    # The header stays in view and on every printed page; the page is one page wide.
    top = _header_row(ws, "Severity")
    assert ws.freeze_panes == f"A{top + 1}"
    assert ws.print_title_rows == f"${top}:${top}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(row=top + 1, column=4).alignment.wrap_text


def test_each_cell_link_jumps_to_its_cell(tmp_path):
    """An internal link (a location, no external target) to the problem's sheet and cell."""
    copy, _ = _feedback_for(tmp_path)
    book = openpyxl.load_workbook(copy)
    for entry in _listing(book["Problems"]):
        link = entry["link"]
        if not entry["Cell"]:
            assert link is None  # a missing sheet: nothing to jump to
            continue
        column, row = re.fullmatch(r"([A-Z]+)([0-9]+)", entry["Cell"]).groups()
        assert link.location == f"'{entry['Sheet']}'!${column}${row}"
        assert not link.target  # not an external relationship: the file's own cell
        target = book[entry["Sheet"]][entry["Cell"]]
        assert target.comment.text.endswith(f"(code: {entry['Code']})")


def test_counts_per_sheet_and_the_verdict(tmp_path):
    copy, _ = _feedback_for(tmp_path)
    ws = openpyxl.load_workbook(copy)["Problems"]
    assert _counts(ws) == {
        "Objectives": (1, 0),
        "KPIs": (2, 1),
        "Check-ins": (1, 0),
        "Initiatives": (1, 0),
        "Total": (5, 1),
    }
    assert ws["A3"].value == (
        "5 errors must be fixed before this workbook can be accepted; 1 warning is worth a look."
    )


def test_a_superseded_workbook_gets_a_copy_for_its_whole_workbook_warning(tmp_path):
    """No cell named, no errors: still a copy, the warning listed for the whole workbook."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox, filename="FIN-old.xlsx", submitted_on=date(2026, 10, 30), **_rows())
    make_workbook(inbox, filename="FIN-new.xlsx", submitted_on=date(2026, 10, 31), **_rows())
    outputs = check(make_config(tmp_path), PERIOD)
    (copy,) = outputs.feedback
    assert copy.name == "FIN-old-feedback.xlsx"
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "Problems" and book.active.title == "Problems"
    ws = book["Problems"]
    (entry,) = _listing(ws)
    assert (entry["Severity"], entry["Sheet"], entry["Cell"], entry["Code"]) == (
        "Warning",
        "Whole workbook",
        "",
        "duplicate-file",
    )
    assert entry["link"] is None
    assert "FIN-new.xlsx" in entry["What is wrong"]
    assert _counts(ws) == {"Whole workbook": (0, 1), "Total": (0, 1)}
    assert ws["A3"].value == (
        "No errors: this workbook passes validation and can be accepted as it is; "
        "1 warning is worth a look."
    )


def test_a_users_problems_sheet_is_never_overwritten(tmp_path):
    source = make_workbook(tmp_path, **_rows())
    book = openpyxl.load_workbook(source)
    book.create_sheet("problems")["A1"] = "my own notes"  # Excel ignores case in sheet names
    book.save(source)
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "x",
                   "Target must be a number, got 'x'.", "Type a number.")  # fmt: skip
    copy = openpyxl.load_workbook(write_feedback(source, [prob], tmp_path / "feedback"))
    assert copy.sheetnames[0] == "Problems (scorecard)"
    assert copy.active.title == "Problems (scorecard)"
    assert copy["problems"]["A1"].value == "my own notes"
    assert _listing(copy["Problems (scorecard)"])[0]["Cell"] == "H2"


def test_text_from_problems_is_written_as_text_never_a_formula(tmp_path):
    """A message or hint quoting a formula, or holding control characters, stays plain text."""
    source = make_workbook(tmp_path, **_rows())
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", HOSTILE,
                   HOSTILE, "@SUM(A1)\x01", "FIN")  # fmt: skip
    copy = write_feedback(source, [prob], tmp_path / "feedback")
    ws = openpyxl.load_workbook(copy)["Problems"]
    (entry,) = _listing(ws)
    assert entry["What is wrong"] == HOSTILE
    assert entry["How to fix it"] == f"@SUM(A1){REPLACEMENT}"
    row = _header_row(ws, "Severity") + 1
    for column in (4, 5):
        assert ws.cell(row=row, column=column).data_type == "s"
        assert ws.cell(row=row, column=column).quotePrefix
    assert "<f>" not in _sheet_xml(copy, "Problems")


def test_a_long_list_is_cut_with_a_count_of_the_rest(tmp_path, monkeypatch):
    """Counts cover every problem; the list stops at MAX_LISTED_PROBLEMS and says so."""
    monkeypatch.setattr(feedback, "MAX_LISTED_PROBLEMS", 3)
    source = make_workbook(tmp_path, **_rows())
    problems = [
        Problem(WARNING, "text-too-long", source.name, "KPIs", f"KPIs!X{row}", "Commentary",
                "", f"Commentary on row {row} is long.", "Keep it short.")
        for row in range(2, 7)
    ]  # fmt: skip
    ws = openpyxl.load_workbook(write_feedback(source, problems, tmp_path / "fb"))["Problems"]
    assert [e["Cell"] for e in _listing(ws)] == ["X2", "X3", "X4"]
    last = ws.cell(row=_header_row(ws, "Severity") + 4, column=1).value
    assert last == "… and 2 more problems: see the validation report for the full list."
    assert _counts(ws) == {"KPIs": (0, 5), "Total": (0, 5)}


# --- cells: comments and fills ---------------------------------------------------------------


def test_comments_say_what_and_how_first_and_the_code_last(tmp_path):
    copy, _ = _feedback_for(tmp_path)
    book = openpyxl.load_workbook(copy)
    error = book["KPIs"]["H2"].comment.text
    assert error == (
        "Error: Target must be a number, got 'forty'.\n"
        "How to fix: Type a plain number such as 1234.5 or 42%; no words or units.\n"
        "(code: not-a-number)"
    )
    warning = book["KPIs"]["C2"].comment.text
    assert warning.startswith("Warning: The KPI is in perspective 'Financial'")
    assert "\nHow to fix: Use the objective's perspective.\n" in warning
    assert warning.endswith("(code: perspective-mismatch)")


def test_a_cell_with_an_error_and_a_warning_shows_the_error_first(tmp_path):
    source = make_workbook(tmp_path, **_rows())
    warn = Problem(WARNING, "text-too-long", source.name, "KPIs", "KPIs!X2", "Commentary", "",
                   "Commentary is long.", "Keep it short.")  # fmt: skip
    err = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!X2", "Commentary", "",
                  "Commentary must be a number.", "Type a number.")  # fmt: skip
    book = openpyxl.load_workbook(write_feedback(source, [warn, err], tmp_path / "fb"))
    cell = book["KPIs"]["X2"]
    assert cell.comment.text.startswith("Error: Commentary must be a number.")
    assert "\n\nWarning: Commentary is long." in cell.comment.text
    assert cell.fill.fgColor.rgb == ERROR_COLOUR


def test_marked_cells_stand_out_from_input_cells_and_from_each_other(tmp_path):
    """In colour and in greyscale (WCAG contrast of the fills), and by their borders."""
    input_colour = INPUT_FILL.fgColor.rgb
    assert input_colour[-6:] == "FFF2CC"
    # An error against the yellow input cells: WCAG's 3:1 for graphical objects.
    assert _contrast(ERROR_COLOUR, input_colour) >= 3.0
    # A warning sits between the two, far enough from both to tell apart in grey.
    assert _contrast(WARNING_COLOUR, input_colour) >= 1.7
    assert _contrast(ERROR_COLOUR, WARNING_COLOUR) >= 1.7
    # Black text stays readable on both (WCAG AA for text).
    assert _contrast(ERROR_COLOUR, "000000") >= 4.5
    assert _contrast(WARNING_COLOUR, "000000") >= 4.5
    # Without any colour at all, the borders differ.
    assert ERROR_BORDER.left.style == "thick"
    assert WARNING_BORDER.left.style == "mediumDashed"

    copy, _ = _feedback_for(tmp_path)
    kpis = openpyxl.load_workbook(copy)["KPIs"]
    assert kpis["H2"].fill.fgColor.rgb == ERROR_COLOUR
    assert kpis["H2"].border.top.style == "thick"
    assert kpis["C2"].fill.fgColor.rgb == WARNING_COLOUR
    assert kpis["C2"].border.top.style == "mediumDashed"
    assert kpis["H3"].fill.fgColor.rgb[-6:] == "FFF2CC"  # an untouched input cell
    assert kpis["H3"].comment is None


# --- sources openpyxl cannot annotate --------------------------------------------------------


def test_an_ods_workbook_gets_an_xlsx_copy_with_its_values(tmp_path, soffice_convert):
    """LibreOffice's format: a new .xlsx, the Problems sheet first, values marked and safe."""
    xlsx = _broken_workbook(tmp_path / "made", drop_initiatives=False)
    problems = _problems_of(xlsx, tmp_path)
    ods = soffice_convert(xlsx, "ods", tmp_path / "inbox")
    assert ods.name == "FIN-2026-10.ods"
    copy = write_feedback(ods, problems, tmp_path / "feedback")
    assert copy is not None and copy.name == feedback_name("FIN-2026-10.ods")
    assert copy.name.endswith("-feedback.xlsx")
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames == ["Problems", *openpyxl.load_workbook(xlsx).sheetnames]
    assert book.active.title == "Problems"
    assert [ws.title for ws in book.worksheets if ws.sheet_view.tabSelected] == ["Problems"]
    ws = book["Problems"]
    assert ws["A2"].value == "File: FIN-2026-10.ods"
    assert any("values only" in str(ws.cell(row=r, column=1).value) for r in range(3, 8))
    listed = [(e["Severity"], e["Sheet"], e["Cell"], e["Code"]) for e in _listing(ws)]
    assert listed == [e for e in EXPECTED if e[3] != "missing-sheet"]
    kpis = book["KPIs"]
    assert [kpis[ref].value for ref in ("A2", "D2", "H2", "U2")] == [
        "FIN-K1",
        "Gross margin",
        "forty",
        42,
    ]
    assert kpis["H2"].fill.fgColor.rgb == ERROR_COLOUR
    assert kpis["H2"].comment.text.endswith("(code: not-a-number)")
    assert book["Check-ins"]["B2"].value == datetime(2026, 10, 9)
    assert book["Submission"]["B1"].value == "FIN"
    assert kpis["X3"].value == HOSTILE and kpis["X3"].data_type == "s"  # text, not a formula
    for title in book.sheetnames:
        assert "<f>" not in _sheet_xml(copy, title)


def test_an_ods_too_large_to_unpack_gets_no_copy(tmp_path, soffice_convert, monkeypatch):
    xlsx = _broken_workbook(tmp_path / "made", drop_initiatives=False)
    problems = _problems_of(xlsx, tmp_path)
    ods = soffice_convert(xlsx, "ods", tmp_path / "inbox")
    with zipfile.ZipFile(ods) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(feedback, "MAX_FEEDBACK_UNPACKED_BYTES", unpacked - 1)
    assert write_feedback(ods, problems, tmp_path / "feedback") is None
    assert not (tmp_path / "feedback").exists()


def test_an_xlsx_openpyxl_cannot_load_gets_a_values_copy(tmp_path, monkeypatch):
    """openpyxl refuses the file (an odd part): python-calamine's values make the copy."""
    source = _broken_workbook(tmp_path / "in", drop_initiatives=False)
    problems = _problems_of(source, tmp_path)

    def refuse(*args, **kwargs):
        raise ValueError("openpyxl cannot read some part of this workbook")

    monkeypatch.setattr(feedback.openpyxl, "load_workbook", refuse)
    copy = write_feedback(source, problems, tmp_path / "feedback")
    monkeypatch.undo()
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames[0] == "Problems" and book.active.title == "Problems"
    assert book["KPIs"]["H2"].value == "forty"
    assert book["KPIs"]["H2"].comment.text.startswith("Error: Target must be a number")


def test_a_file_the_reader_refused_is_never_opened(tmp_path, monkeypatch):
    """It may be built to crash spreadsheet software: no copy, and no attempt at one."""
    source = make_workbook(tmp_path, **_rows())

    def must_not_open(*args, **kwargs):
        raise AssertionError("opened a file the reader refused")

    monkeypatch.setattr(feedback, "_feedback_bytes", must_not_open)
    for code in ("reader-crashed", "too-slow", "not-xlsx", "unreadable-file"):
        prob = Problem(ERROR, code, source.name, message="The reader stopped.")
        assert write_feedback(source, [prob], tmp_path / "feedback") is None
    assert write_feedback(source, [], tmp_path / "feedback") is None


# --- a real spreadsheet program --------------------------------------------------------------


def test_libreoffice_opens_the_copy_on_the_problems_sheet_with_live_links(
    tmp_path, soffice_convert
):
    """LibreOffice reads the copy: the list prints, Problems comes first, links are internal.

    (Which sheet a program opens on is the file's activeTab and tabSelected, checked in
    test_the_copy_opens_on_the_problems_sheet_alone: a headless LibreOffice has no view.)
    """
    copy, problems = _feedback_for(tmp_path)
    csv_rows = soffice_convert(copy, "csv", tmp_path / "csv").read_text("utf-8").splitlines()
    assert csv_rows[0].startswith("What to fix in this workbook")  # the first sheet
    for severity, sheet, ref, code in EXPECTED:
        assert any(row.startswith(f"{severity},{sheet},{ref},") and row.endswith(f",{code}")
                   for row in csv_rows), (severity, sheet, ref, code)  # fmt: skip
    pdf = soffice_convert(copy, "pdf", tmp_path / "pdf")
    first_page = " ".join(pypdf.PdfReader(pdf).pages[0].extract_text().split())
    assert "What to fix in this workbook" in first_page
    assert "5 errors must be fixed before this workbook can be accepted" in first_page
    for prob in problems:
        assert " ".join(prob.message.split()) in first_page
        assert prob.code in first_page

    ods = soffice_convert(copy, "ods", tmp_path / "ods")
    with zipfile.ZipFile(ods) as archive:
        content = archive.read("content.xml").decode("utf-8")
    tables = re.findall(r'<table:table table:name="([^"]+)"', content)
    assert tables[0] == "Problems"
    # LibreOffice turned each link into its own internal form, "#'KPIs'.$H$2".
    links = re.findall(r'<text:a xlink:href="([^"]+)"[^>]*>([^<]*)</text:a>', content)
    expected = {(f"#&apos;{sheet}&apos;.${ref[0]}${ref[1:]}", ref)
                for _, sheet, ref, _ in EXPECTED if ref}  # fmt: skip
    assert set(links) == expected


def test_values_copied_from_calamine_are_safe_in_excel(tmp_path):
    """Text stays text, numbers stay numbers; what Excel cannot hold is written as text."""
    book = openpyxl.Workbook()
    ws = book.active
    first = ["=1+1", "@cmd", "a\x01b", 42, 0.5, True]
    second = [float("inf"), date(1850, 1, 1), date(2026, 10, 9), datetime(2026, 10, 9, 8, 30)]
    feedback._write_values(ws, [first, [*second, "", None]])
    path = tmp_path / "values.xlsx"
    book.save(path)
    back = openpyxl.load_workbook(path).active
    assert [back.cell(row=1, column=c).value for c in range(1, 7)] == [
        "=1+1", "@cmd", f"a{REPLACEMENT}b", 42, 0.5, True,
    ]  # fmt: skip
    assert all(back.cell(row=1, column=c).data_type == "s" for c in (1, 2, 3))
    assert back["A2"].value == "inf" and back["B2"].value == "1850-01-01"
    assert back["C2"].value == datetime(2026, 10, 9)
    assert back["D2"].value == datetime(2026, 10, 9, 8, 30)
    assert back["E2"].value is None and back["F2"].value is None
    assert "<f>" not in _sheet_xml(path, back.title)


def test_a_second_run_reuses_the_copy_built_for_the_same_file_and_problems(tmp_path, monkeypatch):
    """Same bytes and problems: the copy is not built again; a new problem rebuilds it."""
    source = _broken_workbook(tmp_path / "in")
    problems = _problems_of(source, tmp_path)
    first = write_feedback(source, problems, tmp_path / "feedback").read_bytes()
    built = []
    original = feedback._feedback_bytes
    monkeypatch.setattr(feedback, "_feedback_bytes", lambda s, p: built.append(s) or original(s, p))
    again = write_feedback(source, problems, tmp_path / "feedback")
    assert again.read_bytes() == first and built == []
    write_feedback(source, problems[:1], tmp_path / "feedback")
    assert built == [source]
