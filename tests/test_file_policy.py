"""Which file counts for a department, which period is reported, and what reports nothing."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from pipeline.read import read_workbook
from pipeline.run import Intake, default_period
from pipeline.validate import validate
from tests.workbooks import make_config, make_workbook, sample_rows

PERIOD = "2026-10"
TODAY = date(2026, 11, 20)


def _rows(dept: str = "FIN") -> dict:
    rows = sample_rows(dept)
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def _validate(tmp_path: Path, *paths: Path):
    config = make_config(tmp_path)
    return validate([read_workbook(p) for p in paths], config, PERIOD, today=TODAY)


def _statuses(v) -> dict[str, str]:
    return dict(zip(v.files["file"], v.files["status"], strict=True))


def _codes(v, file: str) -> list[str]:
    return [p.code for p in v.problems if p.file == file]


def test_a_newer_file_with_a_mistake_never_displaces_an_accepted_one(tmp_path):
    """FIN's good file stays in; the newer broken one is rejected and told which one counts."""
    good = make_workbook(tmp_path, filename="FIN-good.xlsx", submitted_on=date(2026, 11, 3),
                         **_rows())  # fmt: skip
    broken_rows = _rows()
    broken_rows["kpis"][0]["Target"] = "forty"
    broken = make_workbook(tmp_path, filename="FIN-newer.xlsx", submitted_on=date(2026, 11, 5),
                           **broken_rows)  # fmt: skip
    v = _validate(tmp_path, good, broken)
    assert _statuses(v) == {"FIN-good.xlsx": "accepted", "FIN-newer.xlsx": "rejected"}
    assert _codes(v, "FIN-newer.xlsx") == ["earlier-file-used", "not-a-number"]
    (note,) = [p for p in v.problems if p.code == "earlier-file-used"]
    assert note.message == (
        "Because this workbook was rejected, FIN's workbook FIN-good.xlsx is used for 2026-10."
    )
    assert v.submissions["file"].tolist() == ["FIN-good.xlsx"]
    assert (v.missing, v.rejected) == (("CORP", "OPS"), ())


def test_among_accepted_files_the_latest_submitted_on_wins_and_the_rule_is_named(tmp_path):
    """Same Submitted on: the later file time decides, and the message says so."""
    first = make_workbook(tmp_path, filename="FIN-a.xlsx", submitted_on=date(2026, 11, 3),
                          **_rows())  # fmt: skip
    second = make_workbook(tmp_path, filename="FIN-b.xlsx", submitted_on=date(2026, 11, 3),
                           **_rows())  # fmt: skip
    os.utime(first, (1_800_000_000, 1_800_000_000))
    os.utime(second, (1_700_000_000, 1_700_000_000))
    v = _validate(tmp_path, first, second)
    assert _statuses(v) == {"FIN-a.xlsx": "accepted", "FIN-b.xlsx": "superseded"}
    (note,) = [p for p in v.problems if p.code == "duplicate-file"]
    assert note.file == "FIN-b.xlsx"
    assert note.message == (
        "Another workbook for FIN 2026-10 (FIN-a.xlsx) is used instead of this one: it has "
        "the same Submitted on date and a later file time."
    )


def test_a_copy_of_another_department_rejects_only_the_copy(tmp_path):
    """A copy of OPS's workbook labelled FIN: FIN's own file and OPS both stay accepted."""
    fin = make_workbook(tmp_path, filename="FIN.xlsx", submitted_on=date(2026, 11, 2), **_rows())
    ops = make_workbook(tmp_path, "OPS", filename="OPS.xlsx", **_rows("OPS"))
    copy = make_workbook(tmp_path, "FIN", filename="FIN-copy.xlsx",
                         submitted_on=date(2026, 11, 9), **_rows("OPS"))  # fmt: skip
    v = _validate(tmp_path, fin, ops, copy)
    assert _statuses(v) == {
        "FIN-copy.xlsx": "rejected",
        "FIN.xlsx": "accepted",
        "OPS.xlsx": "accepted",
    }
    assert "foreign-ids" in _codes(v, "FIN-copy.xlsx")
    assert "duplicate-id" not in [p.code for p in v.problems]
    assert sorted(v.submissions["department_id"]) == ["FIN", "OPS"]


def test_a_blank_template_reports_nothing_and_is_rejected(tmp_path):
    """Only the Submission sheet filled: rejected, so the cover never counts it as in."""
    path = make_workbook(tmp_path)
    v = _validate(tmp_path, path)
    assert _codes(v, "FIN-2026-10.xlsx") == ["nothing-reported"]
    assert v.problems[0].message == (
        "The workbook has no KPI value for 2026-10 and no key-result check-in or current value "
        "for 2026-Q4: there is nothing to report."
    )
    assert v.rejected == ("FIN",)


def test_a_value_100_times_off_its_target_and_history_is_rejected(tmp_path):
    """Days to close typed as 500 (target 5, months of 5): a slip, not a figure for the board."""
    rows = _rows()
    rows["kpis"][1]["2026-10"] = 500
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    (prob,) = [p for p in v.problems if p.code == "implausible-value"]
    assert (prob.cell, prob.severity) == ("KPIs!U3", "error")
    assert prob.message == (
        "2026-10 is '500', over 100 times above the KPI's target (5) and earlier months "
        "(typically 5): probably a slip in units or the decimal point."
    )
    rows["kpis"][1]["2026-10"] = 50  # ten times: unusual, but not refused
    v = _validate(tmp_path, make_workbook(tmp_path, **rows))
    assert "implausible-value" not in [p.code for p in v.problems]


def test_references_to_a_late_strategy_office_are_warnings_naming_the_cause(tmp_path):
    """CORP has not submitted and never has: FIN's link to CORP-F1 is accepted, with why."""
    from pipeline.rules import CorporateMap

    rows = _rows()
    rows["objectives"][0]["Contributes to"] = "CORP-F1"
    path = make_workbook(tmp_path, **rows)
    config = make_config(tmp_path)
    raw = [read_workbook(path)]
    first = validate(raw, config, PERIOD, today=TODAY)
    assert [p.code for p in first.problems if p.severity == "error"] == ["unknown-objective"]
    why = "CORP has not submitted for 2026-10 yet and no earlier corporate workbook was accepted"
    v = validate(raw, config, PERIOD, today=TODAY, corporate=CorporateMap(frozenset(), why))
    (prob,) = [p for p in v.problems if p.code == "corporate-map-missing"]
    assert prob.message == f"Contributes to 'CORP-F1' cannot be checked: {why}."
    assert v.files["status"].tolist() == ["accepted"]


def test_the_default_period_is_the_one_most_departments_submitted_for(tmp_path):
    """FIN in October, OPS in October and November (its newest counts), a 2027 stray: a tie
    of one department each goes to the newer period, November; 2027 is never chosen."""
    paths = [
        make_workbook(tmp_path, "FIN", filename="a.xlsx", **_rows()),
        make_workbook(tmp_path, "OPS", filename="b.xlsx", **_rows("OPS")),
        make_workbook(
            tmp_path,
            "OPS",
            filename="c.xlsx",
            submission={"Period (YYYY-MM)": "2026-11"},
            **_rows("OPS"),
        ),  # fmt: skip
        make_workbook(
            tmp_path,
            "CORP",
            filename="d.xlsx",
            submission={"Period (YYYY-MM)": "2027-01"},
            **_rows("CORP"),
        ),  # fmt: skip
    ]
    intake = Intake(workbooks=[read_workbook(p) for p in paths])
    choice = default_period(intake, today=TODAY)
    assert choice.period == "2026-11"
    assert choice.reason == (
        "the period most departments submitted for (1 department; 1 still on another "
        "period); ignored future period(s) 2027-01"
    )
    assert default_period(Intake(), today=TODAY).period == "2026-10"  # empty inbox: last month


def test_a_file_still_being_copied_is_skipped_this_run_and_read_the_next(tmp_path):
    """A fresh zip without its end is passed over with a note; once old, it is unreadable."""
    from pipeline.run import check

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox, **_rows())
    whole = make_workbook(tmp_path, "OPS", **_rows("OPS")).read_bytes()
    (inbox / "OPS-2026-10.xlsx").write_bytes(whole[: len(whole) // 2])
    outputs = check(make_config(tmp_path), PERIOD)
    assert [(p.name, why) for p, why in outputs.intake.ignored] == [
        ("OPS-2026-10.xlsx", "still being copied (not a whole file yet); it will be read next run"),
    ]  # fmt: skip
    assert outputs.validated.files["file"].tolist() == ["FIN-2026-10.xlsx"]
    os.utime(inbox / "OPS-2026-10.xlsx", (1_700_000_000, 1_700_000_000))
    outputs = check(make_config(tmp_path), PERIOD)
    assert dict(zip(outputs.validated.files["file"], outputs.validated.files["status"],
                    strict=True))["OPS-2026-10.xlsx"] == "unreadable"  # fmt: skip


def test_two_runs_at_once_are_refused_with_a_clear_message(tmp_path):
    """The second run on one configuration stops (exit 2) instead of racing the ledger."""
    from click.testing import CliRunner

    from pipeline.atomic import exclusive
    from pipeline.cli import main

    (tmp_path / "inbox").mkdir()
    (tmp_path / "scorecard.toml").write_text(
        '[organisation]\nname = "Test Org"\n\n[[departments]]\nid = "FIN"\nname = "Finance"\n'
    )
    with exclusive(tmp_path / "archive" / ".scorecard.lock"):
        result = CliRunner().invoke(
            main, ["validate", "--config", str(tmp_path / "scorecard.toml")]
        )
    assert result.exit_code == 2
    assert "another scorecard run is using this configuration (pid " in result.output
    again = CliRunner().invoke(main, ["validate", "--config", str(tmp_path / "scorecard.toml")])
    assert again.exit_code == 0, again.output  # the lock goes with the run that held it


def test_one_departments_typo_does_not_reject_the_departments_that_link_to_it(tmp_path):
    """Commercial types a word in a Target: Commercial is rejected for that alone. Sales,
    Marketing and Customer success, whose objectives contribute to Commercial's, stay
    accepted, and Commercial's own links to corporate objectives are not reported as
    unknown (they are checked once every department's file is chosen)."""
    from pipeline.config import load_config as _load
    from pipeline.demo import demo_content
    from pipeline.read import read_workbook as _read
    from pipeline.validate import validate as _validate
    from pipeline.workbook_templates import write_workbook as _write

    demo = Path(__file__).resolve().parent.parent / "examples" / "demo" / "scorecard.toml"
    config = _load(demo)
    contents = demo_content(config, "2026-10")
    contents["COMM"].kpis[0]["Target"] = "forty"
    paths = [
        _write(tmp_path / f"{dept}.xlsx", config, config.department(dept), "2026-10", content)
        for dept, content in contents.items()
    ]
    v = _validate([_read(p) for p in paths], config, "2026-10")
    status = dict(zip(v.files["department_id"], v.files["status"], strict=True))
    assert status.pop("COMM") == "rejected"
    assert set(status.values()) == {"accepted"}
    comm = [(p.cell, p.code) for p in v.problems if p.file == "COMM.xlsx" and p.severity == "error"]
    assert comm == [("KPIs!H2", "not-a-number")]
