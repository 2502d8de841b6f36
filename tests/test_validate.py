"""Validation: every problem named by cell and code, tolerant of how people type values."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.read import read_workbook
from pipeline.run import check
from pipeline.validate import validate
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"


def _validate(tmp_path: Path, *paths: Path):
    config = make_config(tmp_path)
    return validate([read_workbook(p) for p in paths], config, PERIOD)


def _cells(validated, severity: str | None = None) -> list[tuple[str, str]]:
    return [
        (p.cell, p.code)
        for p in validated.problems
        if p.file and (severity is None or p.severity == severity)
    ]


def _full_months(value: float, upto: int = 10) -> dict[str, float]:
    return {f"2026-{m:02d}": value for m in range(1, upto + 1)}


def _valid_rows(dept: str = "FIN") -> dict:
    rows = sample_rows(dept)
    for kpi in rows["kpis"]:
        kpi.update(_full_months(kpi["Target"]))
    return rows


def test_valid_workbook_is_accepted_without_problems(tmp_path):
    """A correctly filled workbook is accepted and yields typed frames."""
    v = _validate(tmp_path, make_workbook(tmp_path, **_valid_rows()))
    assert _cells(v) == []
    assert v.files["status"].tolist() == ["accepted"]
    assert v.kpis["kpi_id"].tolist() == ["FIN-K1", "FIN-K2"]
    assert v.kpis["target"].tolist() == [0.42, 5.0]
    assert v.objectives["weight"].tolist() == [2.0, 1.0]
    assert v.actuals.query("kpi_id == 'FIN-K1' and month == '2026-10'")["value"].item() == 0.42
    assert math.isnan(v.actuals.query("kpi_id == 'FIN-K1' and month == '2026-11'")["value"].item())


def test_many_mistakes_in_one_workbook_are_each_named_by_cell(tmp_path):
    """One fixture with many kinds of error reports every (cell, code), in sheet order."""
    rows = _valid_rows()
    rows["objectives"][1]["Perspective"] = "Money"  # B3
    rows["objectives"].append(dict(rows["objectives"][0]))  # A4: duplicate FIN-O1
    rows["kpis"][0]["Target"] = "forty"  # H2
    rows["kpis"][0]["2026-03"] = "#DIV/0!"  # N2
    rows["kpis"][0]["2026-04"] = "=1/0"  # O2
    rows["kpis"][1]["Objective ID"] = "FIN-O9"  # B3
    rows["kpis"][1]["Red threshold"] = 3  # J3: below a lower-is-better target
    rows["kpis"][1]["2026-11"] = 4  # V3: future month
    rows["okrs"][0]["Confidence"] = 11  # J2
    rows["okrs"][0]["Quarter"] = "Q4"  # L2
    rows["checkins"][0]["KR ID"] = "FIN-KR9"  # A2
    rows["initiatives"][0]["Progress %"] = 40  # G2: 40 % typed without its sign
    rows["initiatives"][0]["Status"] = "Late"  # J2
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v, "error") == [
        ("Objectives!A2", "duplicate-id"),
        ("Objectives!B3", "not-in-list"),
        ("Objectives!A4", "duplicate-id"),
        ("KPIs!H2", "not-a-number"),
        ("KPIs!N2", "error-value"),
        ("KPIs!O2", "formula-without-value"),
        ("KPIs!B3", "unknown-objective"),
        ("KPIs!J3", "red-wrong-side"),
        ("KPIs!V3", "future-actual"),
        ("OKRs!J2", "out-of-range"),
        ("OKRs!L2", "bad-quarter"),
        ("Check-ins!A2", "unknown-kr"),
        ("Initiatives!G2", "percent-as-whole-number"),
        ("Initiatives!J2", "not-in-list"),
    ]
    assert v.files["status"].tolist() == ["rejected"]
    assert v.kpis.empty


def test_problem_message_and_hint_tell_the_submitter_what_to_do(tmp_path):
    """A problem's message names the column and value; its hint says how to fix it."""
    rows = _valid_rows()
    rows["kpis"][0]["Direction"] = "Upwards"
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    (prob,) = [p for p in v.problems if p.code == "not-in-list"]
    assert prob.cell == "KPIs!F2"
    assert prob.message == (
        "Direction must be one of: Higher is better, Lower is better, Within range; got 'Upwards'."
    )
    assert prob.hint == "Pick a value from the cell's dropdown list."
    assert prob.department == "FIN"


def test_percent_text_is_converted_to_a_fraction(tmp_path):
    """`42%` typed as text becomes 0.42, with no problem."""
    rows = _valid_rows()
    rows["kpis"][0].update({"Target": "42%", "Red threshold": " 38 % "})
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == []
    assert v.kpis.loc[0, ["target", "red_threshold"]].tolist() == [0.42, 0.38]


def test_whole_number_in_a_percent_kpi_is_an_error_never_a_conversion(tmp_path):
    """`42` in a % KPI is rejected with 'probably meant 42%': never guessed, never shown."""
    rows = _valid_rows()
    rows["kpis"][0]["2026-10"] = 42
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v, "error") == [("KPIs!U2", "percent-as-whole-number")]
    (prob,) = [p for p in v.problems if p.code == "percent-as-whole-number"]
    assert "probably meant 42%" in prob.message
    assert prob.hint == "Type 42% with the % sign, or 0.42."
    assert v.files["status"].tolist() == ["rejected"]
    assert v.actuals.empty


def test_thousands_separators_and_bracketed_negatives_are_numbers(tmp_path):
    """`1,234.5` is 1234.5 and `(1,234)` is -1234, as accountants type them."""
    rows = _valid_rows()
    rows["initiatives"][0].update({"Budget": "1,234.5", "Spent": "(1,234)"})
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == []
    assert v.initiatives.loc[0, ["budget", "spent"]].tolist() == [1234.5, -1234.0]


def test_dates_typed_as_text_in_iso_or_day_month_year(tmp_path):
    """Dates typed as `2026-10-09` or `16/10/2026` text are read as dates."""
    rows = _valid_rows()
    rows["checkins"] = [
        {"KR ID": "FIN-KR1", "Date": "2026-10-09", "Value": 7},
        {"KR ID": "FIN-KR1", "Date": "16/10/2026", "Value": 6},
        {"KR ID": "FIN-KR1", "Date": datetime(2026, 10, 23, 9, 30), "Value": 6},
    ]
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == []
    assert [d.date() for d in v.checkins["date"]] == [
        date(2026, 10, 9),
        date(2026, 10, 16),
        date(2026, 10, 23),
    ]


def test_a_date_that_is_not_a_date_is_named(tmp_path):
    """Text that is no date (`next week`) is an error at its cell."""
    rows = _valid_rows()
    rows["checkins"][0]["Date"] = "next week"
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == [("Check-ins!B2", "not-a-date")]


def test_enumerations_tolerate_case_and_spaces_and_are_normalised(tmp_path):
    """`higher is better ` and `LAST` are accepted and stored in the contract's spelling."""
    rows = _valid_rows()
    rows["kpis"][0].update(
        {"Direction": " higher is better ", "Aggregation": "LAST", "Perspective": "financial"}
    )
    rows["okrs"][0]["Type"] = "decrease  to"
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == []
    assert v.kpis.loc[0, ["direction", "aggregation", "perspective"]].tolist() == [
        "Higher is better",
        "Last",
        "Financial",
    ]
    assert v.key_results.loc[0, "type"] == "Decrease to"


def test_non_breaking_and_surrounding_spaces_are_stripped(tmp_path):
    """IDs and texts with leading, trailing or non-breaking spaces match their references."""
    rows = _valid_rows()
    rows["kpis"][0]["Objective ID"] = "\u00a0FIN-O1 "
    rows["kpis"][0]["KPI"] = "Gross\u00a0margin  "
    rows["kpis"][0]["2026-10"] = "\u00a00.42\u00a0"
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == []
    assert v.kpis.loc[0, ["objective_id", "kpi"]].tolist() == ["FIN-O1", "Gross margin"]


def test_blank_month_is_not_zero_and_a_gap_is_a_warning(tmp_path):
    """A blank month stays blank (NaN) and a hole before a filled month warns."""
    rows = _valid_rows()
    rows["kpis"][1]["2026-05"] = None
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == [("KPIs!P3", "month-gap")]
    may = v.actuals.query("kpi_id == 'FIN-K2' and month == '2026-05'")["value"].item()
    assert math.isnan(may)


def test_kpi_definition_checks(tmp_path):
    """Within range needs Target max; a zero target without red warns; Sum of % warns."""
    rows = _valid_rows()
    rows["kpis"][0].update({"Direction": "Within range", "Red threshold": None})
    rows["kpis"][1].update(
        {"Target": 0, "Red threshold": None, "Aggregation": "Sum", "Unit": "%", **_full_months(0.0)}
    )
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == [
        ("KPIs!I2", "range-without-max"),
        ("KPIs!G3", "sum-of-non-additive"),
        ("KPIs!J3", "zero-target-no-red"),
    ]
    assert _cells(v, "error") == [("KPIs!I2", "range-without-max")]


def test_a_zero_target_without_red_is_accepted_and_scored_green_or_red(tmp_path):
    """'Zero lost-time injuries': accepted with a warning; met is Green, missed is Red."""
    from pipeline.score import score

    rows = _valid_rows()
    rows["kpis"][1].update({"Target": 0, "Red threshold": None, **_full_months(0.0)})
    rows["kpis"][1]["2026-10"] = 1
    config = make_config(tmp_path)
    v = validate([read_workbook(make_workbook(tmp_path, **rows))], config, PERIOD)
    assert _cells(v) == [("KPIs!J3", "zero-target-no-red")]
    assert v.files["status"].tolist() == ["accepted"]
    k2 = score(v, config).kpis.set_index("kpi_id").loc["FIN-K2"]
    assert (k2["score"], k2["status"]) == (0.0, "Red")  # average 1/10 = 0.1 > 0: missed


def test_newest_submission_wins_and_older_one_is_superseded(tmp_path):
    """Two files for one department and period: the later Submitted on wins."""
    older = make_workbook(
        tmp_path, filename="FIN-old.xlsx", submitted_on=date(2026, 11, 2), **_valid_rows()
    )
    newer_rows = _valid_rows()
    newer_rows["kpis"][0]["KPI"] = "Gross margin (restated)"
    newer = make_workbook(
        tmp_path, filename="FIN-new.xlsx", submitted_on=date(2026, 11, 5), **newer_rows
    )
    v = _validate(tmp_path, older, newer)
    assert dict(zip(v.files["file"], v.files["status"], strict=True)) == {
        "FIN-new.xlsx": "accepted",
        "FIN-old.xlsx": "superseded",
    }
    assert v.kpis.loc[0, "kpi"] == "Gross margin (restated)"
    assert [(p.file, p.code) for p in v.problems if p.file] == [("FIN-old.xlsx", "duplicate-file")]


def test_missing_department_is_reported_and_others_still_accepted(tmp_path):
    """CORP and OPS sent nothing: both reported missing; FIN is accepted."""
    v = _validate(tmp_path, make_workbook(tmp_path, **_valid_rows()))
    assert [(p.code, p.department) for p in v.problems if not p.file] == [
        ("missing-submission", "CORP"),
        ("missing-submission", "OPS"),
    ]
    assert v.missing == ("CORP", "OPS")
    assert v.submissions["department_id"].tolist() == ["FIN"]


def test_ids_must_be_unique_across_the_organisation(tmp_path):
    """Two departments defining one unprefixed ID: both files rejected, each place named."""
    fin_rows = _valid_rows()
    fin_rows["kpis"][0]["KPI ID"] = "K-SHARED"
    fin = make_workbook(tmp_path, **fin_rows)
    ops_rows = _valid_rows("OPS")
    ops_rows["kpis"][0]["KPI ID"] = "K-SHARED"
    ops = make_workbook(tmp_path, "OPS", **ops_rows)
    v = _validate(tmp_path, fin, ops)
    dups = [p for p in v.problems if p.code == "duplicate-id"]
    assert [(p.file, p.cell) for p in dups] == [
        ("FIN-2026-10.xlsx", "KPIs!A2"),
        ("OPS-2026-10.xlsx", "KPIs!A2"),
    ]
    assert "FIN-2026-10.xlsx row 2; OPS-2026-10.xlsx row 2" in dups[0].message


def test_an_id_of_another_department_rejects_only_the_borrower(tmp_path):
    """OPS defining FIN's KPI ID is the mistake of OPS's file: FIN stays accepted."""
    fin = make_workbook(tmp_path, **_valid_rows())
    ops_rows = _valid_rows("OPS")
    ops_rows["kpis"][0]["KPI ID"] = "FIN-K1"
    ops = make_workbook(tmp_path, "OPS", **ops_rows)
    v = _validate(tmp_path, fin, ops)
    assert _cells(v, "error") == [("KPIs!A2", "foreign-ids")]
    (prob,) = [p for p in v.problems if p.code == "foreign-ids"]
    assert prob.file == "OPS-2026-10.xlsx"
    assert prob.message == (
        "Department ID says OPS, but the workbook's IDs belong to Finance (FIN): FIN-K1. "
        "It looks like a copy of Finance (FIN)'s workbook."
    )
    assert dict(zip(v.files["file"], v.files["status"], strict=True)) == {
        "FIN-2026-10.xlsx": "accepted",
        "OPS-2026-10.xlsx": "rejected",
    }
    assert (v.missing, v.rejected) == (("CORP",), ("OPS",))  # rejected is never missing


def test_submission_sheet_checks(tmp_path):
    """Unknown department, wrong template version and missing Prepared by are named."""
    path = make_workbook(
        tmp_path, "XYZ", submission={"Template version": "1999.1", "Prepared by": None}
    )
    v = _validate(tmp_path, path)
    assert _cells(v) == [
        ("Submission!B1", "unknown-department"),
        ("Submission!B3", "required-value"),
        ("Submission!B6", "unknown-template-version"),
    ]
    assert v.files["status"].tolist() == ["rejected"]


def test_workbook_for_another_period_is_ignored_not_rejected(tmp_path):
    """Last month's file left in the inbox is ignored for this month: FIN is missing."""
    path = make_workbook(tmp_path, period="2026-09", **_valid_rows())
    v = _validate(tmp_path, path)
    assert _cells(v) == []
    assert v.files["status"].tolist() == ["other period"]
    assert (v.missing, v.rejected) == (("CORP", "FIN", "OPS"), ())


def test_workbook_for_a_month_not_yet_ended_is_rejected(tmp_path):
    """A Period after this month is a typing slip: rejected with the reason."""
    path = make_workbook(tmp_path, submission={"Period (YYYY-MM)": "2027-01"}, **_valid_rows())
    config = make_config(tmp_path)
    v = validate([read_workbook(path)], config, PERIOD, today=date(2026, 11, 15))
    assert _cells(v) == [("Submission!B2", "future-period")]
    assert "a month that has not ended yet (this month is 2026-11)" in v.problems[0].message
    assert v.rejected == ("FIN",)


def test_annotated_copy_comments_each_bad_cell_and_leaves_the_original(tmp_path):
    """The feedback copy fills and comments each problem cell; the dropped file is untouched."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    rows = _valid_rows()
    rows["kpis"][0]["Target"] = "forty"
    rows["kpis"][0]["2026-10"] = 42
    path = make_workbook(inbox, **rows)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    config = make_config(tmp_path)
    outputs = check(config, PERIOD)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    (copy,) = outputs.feedback
    assert copy.parent == tmp_path / "reports" / PERIOD / "feedback"
    sheet = openpyxl.load_workbook(copy)["KPIs"]
    assert sheet["H2"].comment.text.startswith("Error: Target must be a number, got 'forty'.")
    assert "How to fix: Type a plain number" in sheet["H2"].comment.text
    assert sheet["H2"].comment.text.endswith("not-a-number)")
    assert "percent-as-whole-number" in sheet["U2"].comment.text
    assert sheet["U2"].fill.start_color.rgb == sheet["H2"].fill.start_color.rgb  # both errors
    assert sheet["U2"].fill.start_color.rgb not in ("00000000", "FFFFF2CC")  # not the input fill
    assert sheet["H3"].comment is None


def test_unreadable_file_is_rejected_and_the_rest_still_reported(tmp_path):
    """A corrupt file gets a code; the good workbook beside it is still accepted."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox, **_valid_rows())
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    os.utime(inbox / "broken.xlsx", (1_700_000_000, 1_700_000_000))  # not still arriving
    (inbox / "~$FIN-2026-10.xlsx").write_bytes(b"lock")
    (inbox / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    outputs = check(make_config(tmp_path), PERIOD)
    files = outputs.validated.files
    assert dict(zip(files["file"], files["status"], strict=True)) == {
        "FIN-2026-10.xlsx": "accepted",
        "broken.xlsx": "unreadable",
        "old.xls": "unreadable",
    }
    codes = {p.file: p.code for p in outputs.validated.problems if p.file}
    assert codes == {"broken.xlsx": "unreadable-file", "old.xls": "xls-file"}
    assert [str(p) for p, _ in outputs.intake.ignored] == [str(inbox / "~$FIN-2026-10.xlsx")]


def _write_config(tmp_path: Path) -> Path:
    path = tmp_path / "scorecard.toml"
    path.write_text(
        '[organisation]\nname = "Test Org"\n\n'
        '[[departments]]\nid = "FIN"\nname = "Finance"\n\n'
        '[[departments]]\nid = "OPS"\nname = "Operations"\n',
        encoding="utf-8",
    )
    (tmp_path / "inbox").mkdir()
    return path


def test_cli_exit_codes_and_json(tmp_path):
    """validate exits 0 when all accepted, 1 with errors, 2 on a bad config; --json parses."""
    config_path = _write_config(tmp_path)
    config = make_config(
        tmp_path,
        departments=[{"id": "FIN", "name": "Finance"}, {"id": "OPS", "name": "Operations"}],
    )
    make_workbook(tmp_path / "inbox", config=config, **_valid_rows())
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "--config", str(config_path), "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["summary"]["accepted"] == 1
    assert data["summary"]["missing_departments"] == ["OPS"]
    assert data["files"][0]["status"] == "accepted"

    bad = _valid_rows("OPS")
    bad["kpis"][0]["Perspective"] = "Money"
    make_workbook(tmp_path / "inbox", "OPS", config=config, **bad)
    failed = runner.invoke(main, ["validate", "--config", str(config_path), "--json"])
    assert failed.exit_code == 1
    data = json.loads(failed.stdout)
    ops = next(f for f in data["files"] if f["department_id"] == "OPS")
    assert [(p["cell"], p["code"]) for p in ops["problems"]] == [("KPIs!C2", "not-in-list")]
    assert (tmp_path / "reports" / PERIOD / f"validation-{PERIOD}.json").exists()
    assert (tmp_path / "reports" / PERIOD / f"validation-{PERIOD}.html").exists()

    (tmp_path / "broken.toml").write_text("[organisation]\nname = 'X'\ncolour = 1\n")
    usage = runner.invoke(main, ["validate", "--config", str(tmp_path / "broken.toml")])
    assert usage.exit_code == 2
    assert "unknown key organisation.colour" in usage.output


def test_cli_table_names_cell_and_fix(tmp_path):
    """Without --json the console shows the file, its status, the cell and the fix."""
    config_path = _write_config(tmp_path)
    config = make_config(
        tmp_path,
        departments=[{"id": "FIN", "name": "Finance"}, {"id": "OPS", "name": "Operations"}],
    )
    rows = _valid_rows()
    rows["kpis"][1]["KPI ID"] = "FIN-K1"
    make_workbook(tmp_path / "inbox", config=config, **rows)
    result = CliRunner().invoke(main, ["validate", "--config", str(config_path)])
    assert result.exit_code == 1
    assert "REJECTED FIN-2026-10.xlsx (FIN)" in result.output
    assert "KPIs!A3" in result.output and "duplicate-id" in result.output


def soffice_convert(path: Path, out_dir: Path) -> Path:
    """Re-save an .xlsx through LibreOffice headless, as a submitter's LibreOffice would."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = f"-env:UserInstallation=file://{out_dir.parent / 'lo-profile'}"
    subprocess.run(
        [
            "soffice",
            profile,
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out_dir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / path.name


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_resaved_workbook_validates_like_the_original(tmp_path):
    """A workbook re-saved by LibreOffice gives the same problems and typed frames."""
    rows = _valid_rows()
    rows["kpis"][0]["Target"] = "42%"
    rows["kpis"][1]["2026-10"] = "n/a"
    original = make_workbook(tmp_path, **rows)
    resaved = soffice_convert(original, tmp_path / "lo")
    first, second = _validate(tmp_path, original), _validate(tmp_path, resaved)
    assert _cells(first) == _cells(second) == [("KPIs!U3", "not-a-number")]
    rows = _valid_rows()
    a = _validate(tmp_path, make_workbook(tmp_path / "a", **rows))
    b = _validate(
        tmp_path, soffice_convert(make_workbook(tmp_path / "b", **rows), tmp_path / "lo2")
    )
    for name in ("objectives", "kpis", "actuals", "key_results", "checkins", "initiatives"):
        left = getattr(a, name).drop(columns=["file"], errors="ignore")
        right = getattr(b, name).drop(columns=["file"], errors="ignore")
        assert left.equals(right), name


def test_rejected_department_falls_back_to_its_last_accepted_submission_marked_stale(tmp_path):
    """FIN's October file is rejected: September's archived data is used, marked stale."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = make_config(tmp_path)
    for dept in ("FIN", "OPS"):
        rows = _valid_rows(dept)
        for kpi in rows["kpis"]:
            kpi.pop("2026-10")
        make_workbook(inbox, dept, "2026-09", config=config, **rows)
    september = check(config, "2026-09")
    assert set(september.validated.submissions["department_id"]) == {"FIN", "OPS"}

    broken = _valid_rows("FIN")
    broken["kpis"][0]["Perspective"] = "Money"
    make_workbook(inbox, "FIN", "2026-10", config=config, **broken)
    make_workbook(inbox, "OPS", "2026-10", config=config, **_valid_rows("OPS"))
    v = check(config, "2026-10").validated
    subs = v.submissions.set_index("department_id")
    assert subs.loc["FIN", ["stale", "period", "file"]].tolist() == [
        True,
        "2026-09",
        "FIN-2026-09.xlsx",
    ]
    assert not subs.loc["OPS", "stale"]
    assert "FIN" not in v.missing
    (stale,) = [p for p in v.problems if p.code == "stale-submission"]
    assert stale.department == "FIN" and "period 2026-09" in stale.message
    fin = v.actuals[v.actuals["kpi_id"] == "FIN-K1"].set_index("month")["value"]
    assert fin["2026-09"] == 0.42
    assert math.isnan(fin["2026-10"])
    assert len(fin) == 12


def test_id_lists_are_upper_cased_like_id_columns():
    """`corp-f1` in Contributes to names CORP-F1, as `corp-f1` in an ID column would."""
    from pipeline.coerce import parse_ids

    assert parse_ids(" corp-f1; Fin-O2 ,\n").value == ("CORP-F1", "FIN-O2")
    assert parse_ids(None).value == ()


def test_an_essay_pasted_in_commentary_is_cut_with_a_warning(tmp_path):
    """40,000 characters in Commentary: accepted, cut to 2,000, and the submitter is told."""
    rows = _valid_rows()
    rows["kpis"][0]["Commentary"] = "word " * 8_000
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert _cells(v) == [("KPIs!X2", "text-too-long")]
    assert v.problems[0].message == (
        "Commentary is longer than 2,000 characters; the pack shows the first 2,000."
    )
    assert len(v.kpis.loc[0, "commentary"]) == 2_000
    assert v.files["status"].tolist() == ["accepted"]


def test_the_typing_fast_paths_agree_with_parse_cell() -> None:
    """A cell typed on a fast path gets exactly what parse_cell gives it, and no problem."""
    from pipeline import cells
    from pipeline.contract import Column

    zoo = [0.0, 1.0, 0.5, 1.5, 100.0, 100.5, -3.0, float("nan"), float("inf"), 1e308, 42]
    zoo += [True, "abc", "ABC def", " lead", "trail ", "dou  ble", "tab\there", "new\nline"]
    zoo += ["ümlaut", "x" * 2000, "x" * 2001, "", "fin-k1", "a\u00a0b", "zero\u200bwidth"]
    zoo += ["12", "1,234", "50%"]
    taken = 0
    for kind, fast in cells._FAST_PATHS.items():
        col = Column("Header", "key", kind, "")
        for raw in zoo:
            value = fast(raw)
            if value is cells._SLOW:
                continue
            taken += 1
            parsed = cells.parse_cell(raw, col)
            assert (parsed.code, parsed.from_percent_text) == ("", False), (kind, raw)
            assert parsed.value == value and type(parsed.value) is type(value), (kind, raw)
    assert taken > 20


def test_typing_shared_out_to_forked_children_gives_what_typing_here_gives(monkeypatch):
    """A large organisation's workbooks are typed in forked children, a share per core
    (`validate._type_ahead`): the demo's ten, two to a child, give exactly the problems,
    cells and frames that typing them all in this process gives."""
    from pipeline import forked
    from pipeline import validate as validate_module
    from pipeline.config import load_config
    from pipeline.run import read_inbox

    config = load_config(Path(__file__).parents[1] / "examples" / "demo" / "scorecard.toml")
    intake = read_inbox(config)
    here = validate(intake.workbooks, config, "2026-10", intake.unreadable)
    started = []
    real = forked.beside

    def counted(work):
        started.append(work)
        return real(work)

    monkeypatch.setattr(forked, "beside", counted)
    monkeypatch.setattr(validate_module, "TYPED_PER_CHILD", 2)
    monkeypatch.setattr(validate_module.os, "cpu_count", lambda: 3)
    shared = validate(intake.workbooks, config, "2026-10", intake.unreadable)
    assert len(started) == 2  # three shares: this process and two children
    assert [p.as_dict() for p in shared.problems] == [p.as_dict() for p in here.problems]
    assert any(p.cell for p in shared.problems)  # cells located from the children's letters
    for name in ("objectives", "kpis", "actuals", "key_results", "checkins", "initiatives"):
        assert getattr(shared, name).equals(getattr(here, name)), name
