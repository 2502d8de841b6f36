"""The demo organisation end to end, and the command line as a newcomer meets it."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.advice import advise
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.run import read_inbox
from pipeline.score import score
from pipeline.validate import validate

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "examples" / "demo" / "scorecard.toml"


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    intake = read_inbox(config)
    validated = validate(intake.workbooks, config, "2026-10", intake.unreadable)
    scored = score(validated, config)
    return config, validated, scored


def test_demo_inbox_is_accepted_with_only_the_planted_warnings(demo):
    """Every demo department is accepted; the only warnings are the ones planted on purpose."""
    config, validated, _ = demo
    assert sorted(validated.submissions["department_id"]) == sorted(config.department_ids)
    assert not [p for p in validated.problems if p.severity == "error"]
    assert Counter(p.code for p in validated.problems) == {
        "missing-current-actual": 2,
        "month-gap": 1,
    }


def test_advice_fires_on_the_demo_only_where_the_demo_means_it(demo):
    """Goal-quality advice on the demo is exactly the planted cases."""
    _, validated, scored = demo
    found = sorted((p.code, p.value.split(" ")[0]) for p in advise(validated, scored))
    assert found == [
        ("derive-an-okr", "CORP-K11"),
        ("derive-an-okr", "FIN-K01"),
        ("derive-an-okr", "MKT-K11"),
        ("driver-red-effect-green", "IT-O2"),
        ("kr-is-task", "CS-KR4"),
        ("kr-is-task", "ENG-KR1"),
        ("okr-aligned-to-nothing", "MKT-OKR2"),
        ("red-without-commentary", "SALES-K05"),
        ("stale-checkin", "CS-KR4"),
        ("stale-checkin", "ENG-KR1"),
        ("stale-checkin", "PPL-KR5"),
    ]


def test_demo_status_mix_has_every_colour(demo):
    """Green, Amber, Red and No data all occur among the demo's KPIs."""
    _, _, scored = demo
    assert set(scored.kpis["status"]) == {"Green", "Amber", "Red", "No data"}


def _commands() -> list[str]:
    return sorted(main.commands)


def test_every_command_has_help_and_is_in_the_readme():
    """Each CLI command explains itself and the README or Makefile mentions it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for name in _commands():
        command = main.commands[name]
        assert command.help and len(command.help) > 20, name
        assert re.search(rf"scorecard {name}\b", readme + makefile), name


def test_readme_shows_the_two_commands_and_ci_runs_the_test_command():
    """The README's two commands exist as make targets, and .ci/run runs `make test`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make report" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"


def test_templates_command_writes_one_workbook_per_department(tmp_path):
    """`scorecard templates` writes <DEPT>-<period>.xlsx for every configured department."""
    result = CliRunner().invoke(
        main,
        ["templates", "--config", str(DEMO_CONFIG), "--period", "2026-10", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    config = load_config(DEMO_CONFIG)
    assert sorted(p.stem for p in tmp_path.glob("*.xlsx")) == sorted(
        f"{d}-2026-10" for d in config.department_ids
    )
    assert "Period 2026-10: given with --period" in result.output


def test_demo_command_regenerates_the_same_data(tmp_path):
    """`scorecard demo` into a copy of the demo folder writes byte-identical workbooks."""
    copy = tmp_path / "demo"
    shutil.copytree(DEMO_CONFIG.parent, copy, ignore=shutil.ignore_patterns("reports", "archive"))
    result = CliRunner().invoke(main, ["demo", "--config", str(copy / "scorecard.toml")])
    assert result.exit_code == 0, result.output
    for original in sorted((DEMO_CONFIG.parent / "inbox").glob("*.xlsx")):
        assert (copy / "inbox" / original.name).read_bytes() == original.read_bytes()


def test_report_command_builds_every_output_for_the_demo(demo_report):
    """`scorecard report` on a copy of the demo writes the pack, data book and validation."""
    copy = demo_report.root
    assert demo_report.report_exit == 0, demo_report.report_output
    output = demo_report.report_output
    out = copy / "reports" / "2026-10"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "analyst-annex-2026-10.pdf",
        "board-pack-2026-10.html",
        "board-pack-2026-10.pdf",
        "scorecard-2026-10.xlsx",
        "validation-2026-10.html",
        "validation-2026-10.json",
    ]
    assert "Board pack:" in output and "pages)" in output
    archived = sorted(p.name for p in (copy / "archive").iterdir())
    assert len([n for n in archived if n.endswith(".xlsx")]) == 10
    assert "ledger.sqlite" in archived
    status = CliRunner().invoke(main, ["status", "--config", str(copy / "scorecard.toml")])
    assert status.exit_code == 0 and "CORP-2026-10.xlsx" in status.output


def test_mistakes_typed_into_a_demo_workbook_are_named_and_the_rest_accepted(tmp_path):
    """Wrong perspective, text in a number, unknown objective, duplicate KPI ID: each named."""
    copy = tmp_path / "demo"
    shutil.copytree(DEMO_CONFIG.parent, copy, ignore=shutil.ignore_patterns("reports", "archive"))
    fin = copy / "inbox" / "FIN-2026-10.xlsx"
    book = openpyxl.load_workbook(fin)
    kpis = book["KPIs"]
    kpis["C2"] = "Finance"  # not a perspective
    kpis["H3"] = "twelve million"  # text in a number cell
    kpis["B4"] = "FIN-O99"  # no such objective
    kpis["A5"] = "FIN-K01"  # duplicate KPI ID
    book.save(fin)
    result = CliRunner().invoke(
        main, ["validate", "--config", str(copy / "scorecard.toml"), "--json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    by_file = {f["file"]: f for f in data["files"]}
    assert by_file["FIN-2026-10.xlsx"]["status"] == "rejected"
    errors = [
        (p["cell"], p["code"])
        for p in by_file["FIN-2026-10.xlsx"]["problems"]
        if p["severity"] == "error"
    ]
    assert errors == [
        ("KPIs!A2", "duplicate-id"),
        ("KPIs!C2", "not-in-list"),
        ("KPIs!H3", "not-a-number"),
        ("KPIs!B4", "unknown-objective"),
        ("KPIs!A5", "duplicate-id"),
    ]
    hints = {p["code"]: p["hint"] for p in by_file["FIN-2026-10.xlsx"]["problems"]}
    assert hints["unknown-objective"] == "Use an Objective ID from the Objectives sheet."
    others = [f for name, f in by_file.items() if name != "FIN-2026-10.xlsx"]
    assert len(others) == 9 and all(f["status"] == "accepted" for f in others)
    feedback = copy / "reports" / "2026-10" / "feedback" / "FIN-2026-10-feedback.xlsx"
    assert "not-a-number" in openpyxl.load_workbook(feedback)["KPIs"]["H3"].comment.text
