"""Every output is safe for every input, and costs stay bounded ("Hostile and broken workbooks").

Text written to Excel, the feedback copies' names, problems people read, the terminal,
folders that cannot be written and temporary files a killed run left behind.
"""

from __future__ import annotations

import errno
import io
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import cli, feedback, run
from pipeline.atomic import (
    STALE_TEMP_SECONDS,
    TEMP_NAME,
    CannotWrite,
    clean_stale_temps,
    replacing,
    write_text,
)
from pipeline.cli import EXIT_CANNOT_WRITE, main, plain, safe
from pipeline.feedback import (
    MAX_NAME_BYTES,
    feedback_name,
    feedback_path,
    write_feedback,
)
from pipeline.problems import ERROR, Problem
from pipeline.render import databook, excel
from pipeline.render import views_appendix as appendix_module
from pipeline.render.databook import write_databook
from pipeline.render.excel import MAX_CELL_CHARS, clean_text, set_text
from pipeline.render.validation import (
    PROBLEMS_SHOWN,
    ProblemCap,
    validation_summary,
    write_validation_html,
    write_validation_json,
)
from pipeline.render.views import pack_context
from pipeline.render.views_appendix import REJECTED_SHOWN
from pipeline.score import score
from tests import frames
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"
CONFIG_TOML = (
    '[organisation]\nname = "Test Org"\n\n'
    '[[departments]]\nid = "CORP"\nname = "Group strategy office"\ncorporate = true\n\n'
    '[[departments]]\nid = "FIN"\nname = "Finance"\nparent = "CORP"\n\n'
    '[[departments]]\nid = "OPS"\nname = "Operations"\nparent = "CORP"\n'
)


STRICT_NAMESPACES = (
    ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
     "http://purl.oclc.org/ooxml/spreadsheetml/main"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     "http://purl.oclc.org/ooxml/officeDocument/relationships"),
)  # fmt: skip


# --- helpers ---------------------------------------------------------------------------------


def valid_rows(dept: str = "FIN") -> dict:
    """sample_rows with every month to October filled: a workbook that is accepted."""
    rows = sample_rows(dept)
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def patch_xml(path: Path, old: str, new: str) -> Path:
    """Replace `old` by `new` in every XML part: how text openpyxl refuses gets into a file.

    `_x0001_` is how Excel itself stores a control character in a cell; every reader
    decodes it.
    """
    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename.endswith(".xml"):
                body = body.replace(old.encode(), new.encode())
            zout.writestr(item, body)
    path.write_bytes(out.getvalue())
    return path


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "scorecard.toml"
    path.write_text(CONFIG_TOML + extra, encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return path


def calamine_cell(path: Path, sheet: str, row: int, column: int):
    """A cell as another reader (python-calamine, like Excel) decodes it."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(sheet).to_python()
    return rows[row - 1][column - 1] if len(rows) >= row and len(rows[0]) >= column else ""


def columns(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1]}


def scored_with(commentary: str, kpi: str = "Cost per order"):
    v = frames.make_validated(
        "2026-11",
        objectives=[{"department_id": "OPS", "objective_id": "O1", "perspective": "Financial"}],
        kpis=[
            {"department_id": "OPS", "kpi_id": "K1", "objective_id": "O1", "kpi": kpi,
             "target": 10, "actuals": {"2026-11": 9}, "commentary": commentary},
        ],
    )  # fmt: skip
    return score(v, frames.make_config([("OPS", None, False)]))


def many_problems(n: int, file: str = "OPS-2026-11.xlsx", code: str = "not-a-number"):
    """`n` errors in one file: the first in KPIs!H2, then one row further each."""
    return [
        Problem(ERROR, code, file, "KPIs", f"KPIs!H{i + 2}", "Target", "lots",
                f"KPIs!H{i + 2}: 'lots' is not a number.", "Type a number.", "OPS")
        for i in range(n)
    ]  # fmt: skip


# --- 1. text written to Excel ----------------------------------------------------------------


def test_a_control_character_in_a_kpi_name_no_longer_stops_the_data_book(tmp_path):
    """A KPI name with U+0001 passes validation; the data book writes it as "�", no crash."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = valid_rows()
    rows["kpis"][0]["KPI"] = "Gross CTRL margin"
    patch_xml(make_workbook(inbox, **rows), "CTRL", "_x0001_")
    result = run.score_inbox(make_config(tmp_path), PERIOD)
    ws = openpyxl.load_workbook(result.databook)["KPIs"]
    names = [ws.cell(row=r, column=columns(ws)["KPI"]).value for r in range(2, ws.max_row + 1)]
    assert "Gross \ufffd margin" in names


def test_databook_text_is_cleaned_capped_and_never_a_formula_or_error(tmp_path):
    """Control characters, U+FFFE, 40,000 characters, `#DIV/0!`, `_x0041_`: all plain text."""
    long = "x" * 40_000
    for text, expected in (
        ("a\x01b\x1fc\ufffed", "a\ufffdb\ufffdc\ufffdd"),
        (long, "x" * (MAX_CELL_CHARS - 1) + "…"),
        ("#DIV/0!", "#DIV/0!"),
        ("-1+2", "-1+2"),
        ("_x0041_ stays", "_x0041_ stays"),
    ):
        path = write_databook(scored_with(text), tmp_path / "book.xlsx")
        ws = openpyxl.load_workbook(path)["KPIs"]
        col = columns(ws)["Commentary"]
        cell = ws.cell(row=2, column=col)
        assert cell.data_type == "s", text[:20]
        assert calamine_cell(path, "KPIs", 2, col) == expected, text[:20]
        if text.startswith(("#", "-")):
            assert cell.quotePrefix


def test_every_excel_writer_uses_the_one_text_helper():
    """The data book and the feedback copies share pipeline.render.excel."""
    assert databook.set_text is excel.set_text
    assert feedback.comment_text is excel.comment_text
    assert not hasattr(databook, "FORMULA_START")  # the rule lives in one place


def test_text_longer_than_the_cell_counts_as_excel_counts():
    """Characters outside the BMP are two UTF-16 units in Excel's 32,767 limit."""
    text = "😀" * 20_000  # 40,000 units
    cut = clean_text(text)
    assert cut.endswith("…")
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert clean_text("😀" * 100) == "😀" * 100


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_round_trips_through_an_excel_cell(tmp_path_factory, text):
    """Whatever the text, writing never raises, the file opens, the cell reads as cleaned."""
    book = openpyxl.Workbook()
    set_text(book.active["A1"], text)
    path = tmp_path_factory.mktemp("cell") / "cell.xlsx"
    book.save(path)
    assert openpyxl.load_workbook(path).active["A1"].data_type in ("s", "inlineStr")
    read = calamine_cell(path, book.active.title, 1, 1)

    def lines(x: object) -> str:
        return str(x).replace("\r\n", "\n").replace("\r", "\n")

    expected = lines(clean_text(text))
    if not expected.strip():  # a whitespace-only text may come back blank or trimmed
        assert not lines(read).strip()  # ("\n\xa0" reads as "\xa0"): never as a value
    else:
        assert lines(read) == expected


def test_feedback_comments_with_control_characters_give_a_file_excel_opens(tmp_path):
    """A message quoting '\\x01' and U+FFFE made a corrupt comment part; now it is cleaned."""
    source = make_workbook(tmp_path, **valid_rows())
    message = "Target must be a number, got 'a\x01b\ufffe'."
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "a\x01b",
                   message, "Type a number.")  # fmt: skip
    copy = write_feedback(source, [prob], tmp_path / "feedback")
    comment = openpyxl.load_workbook(copy)["KPIs"]["H2"].comment.text
    assert "got 'a\ufffdb\ufffd'" in comment


# --- 2. feedback copies: names and odd workbooks -------------------------------------------


def test_a_255_byte_file_name_gets_a_short_feedback_copy(tmp_path):
    """A dropped file named with 255 bytes gave ENAMETOOLONG; now a name of <= 120 bytes."""
    source = make_workbook(tmp_path, filename="x" * 250 + ".xlsx", **valid_rows())
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "forty")
    copy = write_feedback(source, [prob], tmp_path / "feedback")
    assert copy is not None and copy.parent == tmp_path / "feedback"
    assert len(copy.name.encode("utf-8")) <= MAX_NAME_BYTES
    assert copy.name.startswith("xxxxxxxx") and copy.name.endswith("-feedback.xlsx")
    assert openpyxl.load_workbook(copy)["KPIs"]["H2"].comment is not None


def test_x_xlsx_and_x_xlsm_get_their_own_feedback_copies(tmp_path):
    """`x.xlsx` and `x.xlsm` overwrote each other's copy; the extension now stays in the name."""
    made = make_workbook(tmp_path, filename="x.xlsx", **valid_rows())
    macro = tmp_path / "x.xlsm"
    macro.write_bytes(made.read_bytes())
    out = tmp_path / "feedback"
    copies = []
    for source in (made, macro):
        prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "?")
        copies.append(write_feedback(source, [prob], out))
    assert copies[0].name == "x-feedback.xlsx"
    assert copies[1].name.startswith("x-xlsm-") and copies[1].name.endswith("-feedback.xlsx")
    shown = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))  # not .cache
    assert shown == sorted(c.name for c in copies)
    openpyxl.load_workbook(copies[1])  # an .xlsx, whatever the source was


TRICKY_NAMES = [
    "FIN-2026-10.xlsx",
    "x.xlsx",
    "x.xlsm",
    "x.XLSX",
    "x-xlsm.xlsx",
    "x-xlsx.xlsx",
    "noext",
    ".xlsx",
    "..xlsx",
    "...xlsx",
    ".hidden.xlsx",
    "-rf.xlsx",
    "a\\b.xlsx",
    "a:b.xlsx",
    'a"<>|?*.xlsx',
    "FIN\x1b[2J.xlsx",
    "FIN\x00.xlsx",
    "FIN\u202egnp.xlsx",
    "caf\udce9.xlsx",  # a name that was not UTF-8 on disk
    "é" * 130 + ".xlsx",
    "x" * 250 + ".xlsx",
    "x" * 250 + ".xlsm",
    "x" * 249 + "y.xlsx",
    "😀" * 60 + ".xlsx",
    "a-0123456789ab.xlsx",  # looks like a shortened name
    "x-" + feedback_name("x.xlsm").removesuffix("-feedback.xlsx") + ".xlsx",
]


def _assert_safe(name: str) -> None:
    assert name.endswith("-feedback.xlsx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert not re.search(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u202a-\u202e\ud800-\udfff]', name)
    assert not name.startswith((".", "-", " "))
    assert name not in (".", "..")


def test_feedback_names_are_safe_bounded_and_distinct():
    """No separators or control characters, <= 120 bytes, and no two inputs share a name."""
    names = [feedback_name(n) for n in TRICKY_NAMES]
    for name in names:
        _assert_safe(name)
    assert len(set(names)) == len(names)
    assert feedback_name("FIN-2026-10.xlsx") == "FIN-2026-10-feedback.xlsx"  # plain stays plain


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_any_two_file_names_give_safe_distinct_feedback_names(tmp_path_factory, a, b):
    first, second = feedback_name(a), feedback_name(b)
    _assert_safe(first)
    assert (first == second) == (a == b)
    out = tmp_path_factory.mktemp("fb")
    assert feedback_path(a, out).parent == out


def test_a_strict_or_unloadable_workbook_gets_no_copy_and_no_exception(tmp_path, monkeypatch):
    """Strict OOXML, a broken zip, or a save that fails: write_feedback returns None."""
    source = make_workbook(tmp_path, **valid_rows())
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "?")
    strict = tmp_path / "strict.xlsx"
    strict.write_bytes(source.read_bytes())
    for transitional, strict_ns in STRICT_NAMESPACES:
        patch_xml(strict, transitional, strict_ns)
    out = tmp_path / "feedback"
    assert write_feedback(strict, [prob], out) is None
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert write_feedback(broken, [prob], out) is None

    def refuse(self, filename):
        raise TypeError("openpyxl cannot serialise something in this workbook")

    monkeypatch.setattr(openpyxl.Workbook, "save", refuse)
    assert write_feedback(source, [prob], out) is None
    assert not out.exists() or list(out.iterdir()) == []


def test_feedback_to_a_folder_that_cannot_be_written_says_so(tmp_path):
    """An output problem is not the workbook's: CannotWrite, naming the folder."""
    source = make_workbook(tmp_path, **valid_rows())
    prob = Problem(ERROR, "not-a-number", source.name, "KPIs", "KPIs!H2", "Target", "?")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CannotWrite) as caught:
        write_feedback(source, [prob], blocker / "feedback")
    assert str(caught.value).startswith(f"cannot write to {blocker / 'feedback'}: ")


# --- 3. bounded problems ---------------------------------------------------------------------


def _org_with_problems(tmp_path: Path, n: int):
    from tests.test_pack import organisation

    v, config = organisation(tmp_path)
    v.problems = many_problems(n) + [
        Problem(ERROR, "missing-column", "OPS-2026-11.xlsx", "KPIs", "", "Unit", "",
                "Sheet KPIs has no column 'Unit'.", "Restore the header.", "OPS"),
    ]  # fmt: skip
    v.files.loc[v.files["file"] == "OPS-2026-11.xlsx", "errors"] = n + 1
    return v, config


def test_the_html_report_lists_the_first_problems_and_counts_the_rest(tmp_path):
    """1,001 problems: the HTML lists 200 and says "and 800 more not-a-number"; JSON has all."""
    v, config = _org_with_problems(tmp_path, 1_000)
    html = write_validation_html(v, [], config, tmp_path / "v.html").read_text(encoding="utf-8")
    assert html.count("<code>not-a-number</code>") == PROBLEMS_SHOWN + 1  # + the summary row
    assert "and 800 more not-a-number, the first in KPIs!H202" in html
    assert "and 1 more missing-column, the first in KPIs" in html
    data = write_validation_json(v, [], config, tmp_path / "v.json").read_text(encoding="utf-8")
    assert data.count('"code": "not-a-number"') == 1_000


def test_the_pack_builds_views_only_for_the_problems_it_shows(tmp_path, monkeypatch):
    """56,000 problems: 200 views in Appendix A, 5 on the department page, the rest counted."""
    v, config = _org_with_problems(tmp_path, 56_000)
    built = 0
    original = appendix_module.problem_view

    def counting(p):
        nonlocal built
        built += 1
        return original(p)

    monkeypatch.setattr(appendix_module, "problem_view", counting)
    ctx = pack_context(score(v, config), v, config)
    assert built <= PROBLEMS_SHOWN + REJECTED_SHOWN
    app = ctx.appendix
    assert len(app.errors) == PROBLEMS_SHOWN
    assert app.errors_total == 56_001
    assert [m.text for m in app.errors_more] == [
        "and 55,800 more not-a-number, the first in KPIs!H202",
        "and 1 more missing-column, the first in KPIs",
    ]
    ops = ctx.submissions.rejected[0]
    assert len(ops.problems) == REJECTED_SHOWN and ops.more == 56_001 - REJECTED_SHOWN


def test_the_pdf_appendix_summarises_the_rest_by_code(tmp_path):
    """The analyst annex says how many more there are, and stays short; the board pack
    gives the count and names the annex."""
    from pypdf import PdfReader

    from pipeline.render.editions import write_annex
    from tests.test_pack import flat, render_pack

    v, config = _org_with_problems(tmp_path, 1_000)
    scored = score(v, config)
    out = render_pack(scored, v, config, tmp_path / "out")
    annex = write_annex(pack_context(scored, v, config), config, tmp_path / "annex")
    text = flat("".join(page.extract_text() for page in PdfReader(annex.pdf).pages))
    assert flat("Errors (1,001)") in text
    assert flat("and 800 more not-a-number, the first in KPIs!H202") in text
    assert flat("KPIs!H201:") in text  # the 200th problem
    assert flat("KPIs!H202:") not in text  # and none after it
    assert flat("Rejected: the workbook has 1,001 errors") in flat(out.text)
    assert flat("The analyst annex (analyst-annex-2026-11.pdf) lists each") in flat(out.text)


def test_the_console_lists_the_first_problems_and_counts_the_rest(tmp_path):
    """`scorecard validate` with 300 bad targets: 200 rows, then one line per code."""
    config_path = write_config(tmp_path)
    rows = valid_rows()
    kpi = rows["kpis"][1]
    rows["kpis"] = [{**kpi, "KPI ID": f"FIN-K{i:03d}", "Target": "lots"} for i in range(1, 301)]
    make_workbook(tmp_path / "inbox", config=make_config(tmp_path), **rows)
    result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    assert result.exit_code == 1, result.output
    assert result.output.count("not-a-number") == PROBLEMS_SHOWN + 1
    assert re.search(r"and 100 more not-a-number, the first in KPIs!H202", result.output)


def test_problem_cap_counts_by_code_per_file():
    cap = ProblemCap(2)
    admitted = [cap.admit(f, "error", c, cell) for f, c, cell in (
        ("a", "x", "S!A1"), ("a", "x", "S!A2"), ("a", "y", "S!A3"), ("a", "x", "S!A4"),
        ("b", "x", "S!B1"), ("a", "y", "S!A5"),
    )]  # fmt: skip
    assert admitted == [True, True, False, False, True, False]
    assert [(m.file, m.code, m.count, m.first_cell) for m in cap.more()] == [
        ("a", "y", 2, "S!A3"),
        ("a", "x", 1, "S!A4"),
    ]
    assert cap.more("b") == []


def test_the_json_summary_is_never_capped():
    v = frames.make_validated("2026-11")
    v.problems = many_problems(PROBLEMS_SHOWN + 5, file="")
    config = frames.make_config([("OPS", None, False)])
    assert len(validation_summary(v, [], config)["organisation_problems"]) == PROBLEMS_SHOWN + 5
    capped = validation_summary(v, [], config, shown=PROBLEMS_SHOWN)
    assert len(capped["organisation_problems"]) == PROBLEMS_SHOWN
    assert capped["organisation_more"][0].count == 5


# --- 4. the terminal -------------------------------------------------------------------------


def test_plain_strips_escape_sequences_and_control_characters():
    assert plain("a\x1b[31mred\x1b[0m") == "ared"
    assert plain("x\x1b]0;pwned\x07y") == "xy"  # window title
    assert plain("x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\y") == "xlinky"  # hyperlink
    assert plain("\x9b31mC1\x7f\x00\x08") == "31mC1"
    assert plain("two\nlines\tand\rreturn") == "two lines and return"
    assert plain("abc\u202egnp.exe") == "abcgnp.exe"
    assert plain("caf\udce9") == "caf\ufffd"
    assert safe("[bold red]x[/]") == "\\[bold red]x\\[/]"


def test_workbook_text_reaches_the_terminal_without_escapes_or_markup(tmp_path):
    """A file named with ESC and `[bold]`, a value with an ANSI colour: printed inert."""
    config_path = write_config(tmp_path)
    rows = valid_rows()
    rows["kpis"][0]["Target"] = "forty ESC[31m [link=x]red[/link]"
    name = "FIN\x1b[2J [bold]x.xlsx"  # a file name may hold anything but "/"
    path = make_workbook(tmp_path / "inbox", filename=name, config=make_config(tmp_path), **rows)
    patch_xml(path, "ESC", "_x001B_")
    result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output
    assert "FIN [bold]x.xlsx" in result.output
    assert "forty  [link=x]red[/link]" in result.output


# --- 5. folders that cannot be written ------------------------------------------------------


def _inbox_with_one_workbook(tmp_path: Path) -> Path:
    config_path = write_config(tmp_path)
    make_workbook(tmp_path / "inbox", config=make_config(tmp_path), **valid_rows())
    return config_path


@pytest.mark.parametrize("command", ["validate", "score", "report"])
def test_an_output_folder_under_a_file_is_exit_4_naming_it(tmp_path, command):
    """--out below a regular file (fails for root too): one line, exit 4, no traceback."""
    config_path = _inbox_with_one_workbook(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "reports"
    result = CliRunner().invoke(
        main, [command, "--config", str(config_path), "--period", PERIOD, "--out", str(out)]
    )
    assert result.exit_code == EXIT_CANNOT_WRITE == 4
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: cannot write to {out / PERIOD}: Not a directory"]


def test_an_archive_folder_under_a_file_is_exit_4_naming_it(tmp_path):
    config_path = write_config(tmp_path)
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace(
            "[organisation]\n", '[reporting]\narchive = "a-file/archive"\n\n[organisation]\n'
        ),
        encoding="utf-8",
    )
    (tmp_path / "a-file").write_text("not a folder")
    make_workbook(tmp_path / "inbox", config=make_config(tmp_path), **valid_rows())
    result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    assert result.exit_code == 4, result.output
    assert f"cannot write to {tmp_path / 'a-file' / 'archive'}: Not a directory" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_output_folder_is_exit_4(tmp_path):
    config_path = _inbox_with_one_workbook(tmp_path)
    out = tmp_path / "reports"
    (out / PERIOD).mkdir(parents=True)
    (out / PERIOD).chmod(0o500)
    try:
        result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    finally:
        (out / PERIOD).chmod(0o700)
    assert result.exit_code == 4, result.output
    assert f"cannot write to {out / PERIOD}: Permission denied" in result.output


def test_a_full_disk_is_exit_4_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    config_path = _inbox_with_one_workbook(tmp_path)

    def full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    assert result.exit_code == 4, result.output
    folder = tmp_path / "reports" / PERIOD
    assert f"cannot write to {folder}: No space left on device" in result.output
    assert [p.name for p in folder.iterdir()] == []


def test_an_error_reading_another_file_is_not_reported_as_an_output_problem(tmp_path):
    """replacing() names its own folder only; an OSError about a source passes through."""
    with pytest.raises(FileNotFoundError), replacing(tmp_path / "out" / "x.txt") as temp:
        temp.write_bytes((tmp_path / "no-such-source").read_bytes())
    with pytest.raises(CannotWrite), replacing(tmp_path / "out" / "y.txt") as temp:
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list((tmp_path / "out").iterdir()) == []


def test_html_outputs_survive_file_names_that_are_not_utf8(tmp_path):
    """A lone surrogate (an undecodable file name) is written as "?", not a crash."""
    path = write_text(tmp_path / "x.html", "caf\udce9")
    assert path.read_bytes() == b"caf?"


def test_the_readme_documents_exit_code_4():
    readme = Path("README.md").read_text(encoding="utf-8")
    assert "`4` the outputs cannot be written" in readme
    assert cli.EXIT_CANNOT_WRITE == 4


# --- 6. leftover temporary files -------------------------------------------------------------


def _age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def test_replacing_names_its_temporary_files_as_the_cleaner_expects(tmp_path):
    seen = []
    for name in ("a.xlsx", "b.pdf", "c.html", "noext"):
        with replacing(tmp_path / name) as temp:
            seen.append(temp.name)
            temp.write_text("x")
    assert all(TEMP_NAME.fullmatch(n) for n in seen), seen


def test_clean_stale_temps_removes_only_old_files_of_the_exact_pattern(tmp_path):
    old = STALE_TEMP_SECONDS + 60
    stale = tmp_path / ".tmp-ab_3xyz9.xlsx"
    stale.write_text("x")
    _age(stale, old)
    fresh = tmp_path / ".tmp-freshone.pdf"
    fresh.write_text("x")  # a concurrent run may still be writing it
    keep = []
    for name in (".tmp-short.xlsx", ".tmp-UPPERCAS.xlsx", "x.tmp-abcdefgh.xlsx", ".tmp-abcdefghi",
                 "board-pack.pdf", ".scorecard.lock"):  # fmt: skip
        keep.append(tmp_path / name)
        keep[-1].write_text("x")
        _age(keep[-1], old)
    folder = tmp_path / ".tmp-folder01"
    folder.mkdir()
    _age(folder, old)
    link = tmp_path / ".tmp-symlink1.xlsx"
    link.symlink_to(tmp_path / "board-pack.pdf")
    _age(link, old)
    removed = clean_stale_temps(tmp_path, tmp_path / "missing")
    assert removed == [stale]
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {fresh.name, folder.name, link.name, *(k.name for k in keep)}


def test_a_run_removes_what_a_killed_run_left_behind(tmp_path):
    """Temporary files older than 10 minutes in the period's folder, feedback/ and archive/."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = valid_rows()
    rows["kpis"][0]["Target"] = "forty"
    make_workbook(inbox, **rows)
    folders = [tmp_path / "reports" / PERIOD, tmp_path / "reports" / PERIOD / "feedback",
               tmp_path / "archive"]  # fmt: skip
    leftovers = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        leftovers.append(folder / ".tmp-k1ll3d_1.xlsx")
        leftovers[-1].write_bytes(b"half a workbook")
        _age(leftovers[-1], STALE_TEMP_SECONDS + 1)
    live = folders[0] / ".tmp-stillgo1.json"
    live.write_text("{")
    run.check(make_config(tmp_path), PERIOD)
    assert not any(p.exists() for p in leftovers)
    assert live.exists()


def test_infinity_is_written_as_text_in_the_data_book():
    """Infinity (a typed `1e400`) is written as the text "inf", not an empty number."""
    frame = pd.DataFrame({"actual": [float("inf")], "kpi": ["x"]})
    book = openpyxl.Workbook()
    databook._write_sheet(book.active, frame)
    assert book.active["A2"].value == "inf"
