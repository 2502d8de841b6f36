"""Next month's workbook pre-filled from the last accepted one, through the command line.

October: the demo organisation submits and `validate` accepts (and archives) its files.
Then `templates --prefill` for November: each workbook carries October's definitions and
actuals, leaves November to type, opens in LibreOffice with its values, and is accepted
once November's figures are typed in. At the year and quarter change (January) only the
definitions carry over and last quarter's OKRs are listed for reference.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.demo import demo_content
from pipeline.read import read_workbook
from pipeline.workbook_templates import write_workbook

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
MONTHS_TO_OCT = [f"2026-{m:02d}" for m in range(1, 11)]


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo configuration with October accepted for everyone but IT (no history)."""
    root = tmp_path_factory.mktemp("org")
    shutil.copy(DEMO / "scorecard.toml", root / "scorecard.toml")
    shutil.copy(DEMO / "logo.svg", root / "logo.svg")
    (root / "inbox").mkdir()
    config = load_config(root / "scorecard.toml")
    for dept, content in demo_content(config, "2026-10").items():
        if dept == "IT":
            continue
        department = config.department(dept)
        write_workbook(root / "inbox" / f"{dept}-2026-10.xlsx", config, department, "2026-10",
                       content, content.submission.get("Submitted on"))  # fmt: skip
    code, out = _cli("validate", "--config", str(root / "scorecard.toml"), "--period", "2026-10")
    assert code in (0, 1), out
    code, out = _cli("templates", "--config", str(root / "scorecard.toml"), "--prefill",
                     "--period", "2026-11")  # fmt: skip
    assert code == 0, out
    (root / "templates-output.txt").write_text(out)
    return root


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[1]]
    return [
        dict(zip(header, (c.value for c in row), strict=False))
        for row in ws.iter_rows(min_row=2)
        if any(c.value is not None for c in row)
    ]


def test_the_command_says_which_period_and_where_each_workbook_came_from(org: Path) -> None:
    out = (org / "templates-output.txt").read_text()
    assert "Period 2026-11: given with --period" in out
    assert "FIN: pre-filled from FIN-2026-10.xlsx (2026-10)" in out
    assert "IT: blank (no accepted workbook before 2026-11)" in out
    assert "Wrote 10 workbook(s) for 2026-11" in out
    names = sorted(p.name for p in (org / "workbook_templates").iterdir())
    assert "FIN-2026-11.xlsx" in names and len(names) == 10


def test_the_prefilled_workbook_carries_octobers_definitions_and_actuals(org: Path) -> None:
    config = load_config(org / "scorecard.toml")
    october = demo_content(config, "2026-10")["FIN"]
    path = org / "workbook_templates" / "FIN-2026-11.xlsx"
    kpis = _sheet_rows(path, "KPIs")
    assert [k["KPI ID"] for k in kpis] == [k["KPI ID"] for k in october.kpis]
    for new, old in zip(kpis, october.kpis, strict=True):
        for header in ("Objective ID", "Perspective", "KPI", "Unit", "Direction", "Target"):
            assert new[header] == old[header], (new["KPI ID"], header)
        for month in MONTHS_TO_OCT:
            assert new[month] == pytest.approx(old.get(month)) if old.get(month) is not None \
                else new[month] is None, (new["KPI ID"], month)  # fmt: skip
        assert new["2026-11"] is None and new["2026-12"] is None
        assert new["Commentary"] is None
    objectives = _sheet_rows(path, "Objectives")
    assert [o["Objective ID"] for o in objectives] == [
        o["Objective ID"] for o in october.objectives
    ]
    submission = {
        r[0].value: r[1].value for r in openpyxl.load_workbook(path)["Submission"].iter_rows()
    }
    assert submission["Department ID"] == "FIN"
    assert submission["Period (YYYY-MM)"] == "2026-11"
    assert submission["Prepared by"] is None and submission["Approved by"] is None
    instructions = " ".join(
        str(c.value)
        for row in openpyxl.load_workbook(path)["Instructions"].iter_rows()
        for c in row
    )
    assert "This workbook starts from FIN-2026-10.xlsx (2026-10)" in instructions


def test_this_quarters_okrs_and_check_ins_carry_over_without_reflections(org: Path) -> None:
    config = load_config(org / "scorecard.toml")
    october = demo_content(config, "2026-10")["CS"]
    path = org / "workbook_templates" / "CS-2026-11.xlsx"
    okrs = _sheet_rows(path, "OKRs")
    assert len(okrs) == len(october.okrs) > 0
    assert [o["KR ID"] for o in okrs] == [o["KR ID"] for o in october.okrs]
    assert [o["Current"] for o in okrs] == [o.get("Current") for o in october.okrs]
    assert all(o["Reflection"] is None for o in okrs)
    assert len(_sheet_rows(path, "Check-ins")) == len(october.checkins) > 0


def test_a_department_without_history_gets_the_blank_template(org: Path) -> None:
    path = org / "workbook_templates" / "IT-2026-11.xlsx"
    assert _sheet_rows(path, "KPIs") == []


def test_the_reporting_month_is_highlighted_and_later_months_refuse_values(org: Path) -> None:
    ws = openpyxl.load_workbook(org / "workbook_templates" / "FIN-2026-11.xlsx")["KPIs"]
    header = {c.value: c for c in ws[1]}
    november, december, october = header["2026-11"], header["2026-12"], header["2026-10"]
    assert november.fill.fgColor.rgb != october.fill.fgColor.rgb != december.fill.fgColor.rgb
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.type == "custom"}
    dec = december.column_letter
    assert f"{dec}2:{dec}1000" in rules
    assert rules[f"{dec}2:{dec}1000"].formula1 == f"LEN({dec}2)=0"
    assert rules[f"{dec}2:{dec}1000"].errorStyle == "stop"
    assert not any(november.column_letter + "2:" in key for key in rules)  # typed as usual
    pane = ws.sheet_view.pane
    assert (pane.xSplit, pane.ySplit, pane.state) == (4, 1, "frozen")  # ID to name, header
    # opens scrolled so that November is on screen next to the frozen ID and name
    assert pane.topLeftCell == f"{header['2026-09'].column_letter}2"


def test_libreoffice_keeps_the_prefilled_values(org: Path, soffice_convert, tmp_path) -> None:
    source = org / "workbook_templates" / "FIN-2026-11.xlsx"
    saved = soffice_convert(source, "xlsx", tmp_path / "lo")
    before, after = read_workbook(source), read_workbook(saved)
    for sheet in ("Objectives", "KPIs", "OKRs", "Initiatives"):
        a = before.sheets[sheet].frame.dropna(how="all")
        b = after.sheets[sheet].frame.dropna(how="all")
        assert list(a.columns) == list(b.columns), sheet
        assert a.astype(str).values.tolist() == b.astype(str).values.tolist(), sheet


def test_the_prefilled_workbook_is_accepted_once_november_is_typed(org: Path) -> None:
    path = org / "workbook_templates" / "FIN-2026-11.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["KPIs"]
    header = [c.value for c in ws[1]]
    oct_col, nov_col = header.index("2026-10") + 1, header.index("2026-11") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value:
            ws.cell(row=row, column=nov_col).value = ws.cell(row=row, column=oct_col).value
    sub = wb["Submission"]
    for row in sub.iter_rows():
        if row[0].value == "Prepared by":
            row[1].value = "Alex Example"
        if row[0].value == "Submitted on":
            row[1].value = date(2026, 12, 1)
    inbox_file = org / "inbox" / "FIN-2026-11.xlsx"
    wb.save(inbox_file)
    code, out = _cli("validate", "--config", str(org / "scorecard.toml"), "--period", "2026-11")
    assert "ACCEPTED FIN-2026-11.xlsx" in out or "accepted" in out.lower(), out
    import json

    data = json.loads((org / "reports" / "2026-11" / "validation-2026-11.json").read_text())
    fin = next(f for f in data["files"] if f["file"] == "FIN-2026-11.xlsx")
    assert fin["status"] == "accepted", fin["problems"]
    assert fin["errors"] == 0


def test_at_the_year_and_quarter_change_only_definitions_carry_over(org: Path) -> None:
    code, out = _cli("templates", "--config", str(org / "scorecard.toml"), "--prefill",
                     "--period", "2027-01", "--out", str(org / "january"))  # fmt: skip
    assert code == 0, out
    path = org / "january" / "CS-2027-01.xlsx"
    kpis = _sheet_rows(path, "KPIs")
    assert kpis and all(k["Target"] is not None for k in kpis)
    assert all(k[m] is None for k in kpis for m in [f"2027-{i:02d}" for i in range(1, 13)])
    assert _sheet_rows(path, "OKRs") == []
    instructions = " ".join(
        str(c.value)
        for row in openpyxl.load_workbook(path)["Instructions"].iter_rows()
        for c in row
    )
    assert "Last quarter's OKRs, for reference" in instructions
    assert "2026-Q4 CS-OKR1" in instructions


def test_from_init_to_a_prefilled_second_month(tmp_path: Path) -> None:
    """A new organisation through the command line only: init, templates, October filled
    and accepted, then November's workbooks pre-filled from it and accepted once typed."""
    from tests.workbooks import sample_rows

    root = tmp_path / "acme"
    code, out = _cli("init", str(root), "--name", "Acme Ltd")
    assert code == 0, out
    config_path = str(root / "scorecard.toml")
    code, out = _cli("templates", "--config", config_path, "--period", "2026-10")
    assert code == 0, out
    blank = root / "workbook_templates" / "FIN-2026-10.xlsx"
    assert blank.is_file()

    # Finance fills October's workbook (the rows a submitter types) and drops it.
    config = load_config(config_path)
    rows = sample_rows("FIN")
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    from pipeline.workbook_templates import WorkbookContent

    content = WorkbookContent(submission={"Prepared by": "Alex Example"}, **rows)
    write_workbook(root / "inbox" / "FIN-2026-10.xlsx", config, config.department("FIN"),
                   "2026-10", content, date(2026, 11, 3))  # fmt: skip
    code, out = _cli("validate", "--config", config_path, "--period", "2026-10")
    assert "FIN-2026-10.xlsx" in out

    code, out = _cli("templates", "--config", config_path, "--period", "2026-11", "--prefill")
    assert code == 0, out
    assert "FIN: pre-filled from FIN-2026-10.xlsx (2026-10)" in out
    assert "OPS: blank (no accepted workbook before 2026-11)" in out
    november = root / "workbook_templates" / "FIN-2026-11.xlsx"
    kpis = _sheet_rows(november, "KPIs")
    assert [k["KPI ID"] for k in kpis] == ["FIN-K1", "FIN-K2"]
    assert kpis[0]["2026-10"] == pytest.approx(0.42) and kpis[0]["2026-11"] is None

    wb = openpyxl.load_workbook(november)
    ws = wb["KPIs"]
    header = [c.value for c in ws[1]]
    for row in (2, 3):
        ws.cell(row=row, column=header.index("2026-11") + 1).value = ws.cell(
            row=row, column=header.index("2026-10") + 1
        ).value
    for row in wb["Submission"].iter_rows():
        if row[0].value == "Prepared by":
            row[1].value = "Alex Example"
    wb.save(root / "inbox" / "FIN-2026-11.xlsx")
    _cli("validate", "--config", config_path, "--period", "2026-11")
    import json

    data = json.loads((root / "reports" / "2026-11" / "validation-2026-11.json").read_text())
    fin = next(f for f in data["files"] if f["file"] == "FIN-2026-11.xlsx")
    assert fin["status"] == "accepted", fin["problems"]
