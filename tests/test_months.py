"""Three months of the demo organisation in one shared inbox, as real people fill it.

October: everyone submits. November: the strategy office (CORP) and Engineering are late,
Finance sends a good file and then a newer one with a mistake, someone sends a copy of
Sales's workbook labelled Finance, People sends a blank template, IT types `42` for 42 %.
December: everything is fixed. Last month's files stay in the inbox throughout.
At every step: who is accepted, rejected, missing or stale, and why, agrees between the
console, the JSON and HTML validation reports and the board pack, and no good department
ever disappears.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.demo import demo_content
from pipeline.workbook_templates import WorkbookContent, write_workbook

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
ALL = ("CORP", "FIN", "COMM", "SALES", "MKT", "CS", "OPS", "ENG", "PPL", "IT")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo configuration with an empty inbox, reused month after month."""
    root = tmp_path_factory.mktemp("shared")
    shutil.copy(DEMO / "scorecard.toml", root / "scorecard.toml")
    shutil.copy(DEMO / "logo.svg", root / "logo.svg")
    (root / "inbox").mkdir()
    return root


def _drop(
    root: Path,
    period: str,
    dept: str,
    name: str | None = None,
    *,
    label: str | None = None,
    content: WorkbookContent | None = None,
    submitted_on: date | None = None,
) -> Path:
    """Write `dept`'s demo workbook for `period` into the inbox, as `label` says it is."""
    config = load_config(root / "scorecard.toml")
    content = content or demo_content(config, period)[dept]
    submitted = submitted_on or content.submission.get("Submitted on")
    path = root / "inbox" / (name or f"{dept}-{period}.xlsx")
    department = config.department(label or dept)
    assert department is not None
    return write_workbook(path, config, department, period, content, submitted)


def _report(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", "--config", str(root / "scorecard.toml"), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _json(root: Path, period: str) -> dict:
    return json.loads((root / "reports" / period / f"validation-{period}.json").read_text())


def _pack_text(root: Path, period: str) -> str:
    html = (root / "reports" / period / f"board-pack-{period}.html").read_text()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _annex_text(root: Path, period: str) -> str:
    reader = PdfReader(root / "reports" / period / f"analyst-annex-{period}.pdf")
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _states(data: dict) -> dict[str, str]:
    return {
        d["department_id"]: d["state"] + (" stale" if d["stale_as_of"] else "")
        for d in data["departments"]
    }


def test_october_everyone_submits(shared: Path) -> None:
    """The first month: ten workbooks, ten departments accepted."""
    for dept in ALL:
        _drop(shared, "2026-10", dept)
    code, out = _report(shared, "--period", "2026-10")
    assert code == 0, out
    assert "Departments: 10 accepted, 0 rejected, 0 missing of 10" in out
    assert set(_states(_json(shared, "2026-10")).values()) == {"accepted"}


def test_november_a_bad_month_removes_no_good_department(shared: Path) -> None:
    """Late, copied, blank, broken and mistyped files: each costs only its own department."""
    period = "2026-11"
    config = load_config(shared / "scorecard.toml")
    nov = demo_content(config, period)
    for dept in ("FIN", "COMM", "SALES", "MKT", "CS", "OPS"):
        _drop(shared, period, dept)  # CORP and ENG are late
    broken = nov["FIN"]
    broken_kpis = [dict(k) for k in broken.kpis]
    broken_kpis[0]["Target"] = "forty"
    _drop(shared, period, "FIN", "FIN-2026-11-v2.xlsx",
          content=replace(broken, kpis=broken_kpis), submitted_on=date(2026, 12, 9))  # fmt: skip
    _drop(shared, period, "SALES", "FIN-2026-11-from-sales.xlsx", label="FIN",
          submitted_on=date(2026, 12, 10))  # fmt: skip
    _drop(shared, period, "PPL", content=WorkbookContent(submission=dict(nov["PPL"].submission)))
    it_kpis = [dict(k) for k in nov["IT"].kpis]
    it_kpis[0][period] = 42  # IT-K01 is a % KPI: 42 means 42 %, typed as a whole number
    _drop(shared, period, "IT", content=replace(nov["IT"], kpis=it_kpis))

    code, out = _report(shared)  # no --period: the month most departments moved on to
    assert code == 1, out  # some files were rejected; the pack is still built
    assert f"{config.organisation.name} - {period}" in out
    assert "Period: the period most departments submitted for (8 departments; 2 still on" in out
    assert "Departments: 6 accepted, 2 rejected, 2 missing of 10; 4 shown from earlier data" in out
    data = _json(shared, period)
    assert _states(data) == {
        "CORP": "missing stale", "FIN": "accepted", "COMM": "accepted", "SALES": "accepted",
        "MKT": "accepted", "CS": "accepted", "OPS": "accepted", "ENG": "missing stale",
        "PPL": "rejected stale", "IT": "rejected stale",
    }  # fmt: skip
    assert data["summary"]["departments"] == {
        "expected": 10, "accepted": 6, "rejected": 2, "missing": 2, "stale": 4
    }  # fmt: skip
    files = {f["file"]: f["status"] for f in data["files"]}
    assert files["FIN-2026-11.xlsx"] == "accepted"
    assert files["FIN-2026-11-v2.xlsx"] == "rejected"
    assert files["FIN-2026-11-from-sales.xlsx"] == "rejected"
    assert files["SALES-2026-11.xlsx"] == "accepted"
    assert all(files[f"{d}-2026-10.xlsx"] == "other period" for d in ALL)
    codes = {f["file"]: {p["code"] for p in f["problems"]} for f in data["files"]}
    assert "foreign-ids" in codes["FIN-2026-11-from-sales.xlsx"]
    assert "earlier-file-used" in codes["FIN-2026-11-v2.xlsx"]
    assert codes["PPL-2026-11.xlsx"] >= {"nothing-reported"}
    assert "percent-as-whole-number" in codes["IT-2026-11.xlsx"]
    assert not any("unknown-objective" in c for c in codes.values())  # CORP's map: October's

    pack = _pack_text(shared, period)
    assert (
        "Received and accepted 6 of 10 Missing 2 Rejected 2 Earlier month's figures shown 4" in pack
    )
    assert "Missing (no workbook) 2 Group strategy office, Engineering" in pack
    assert "Rejected (errors) 2 People, IT" in pack  # which files: the analyst annex
    assert "PPL-2026-11.xlsx" not in pack and "IT-2026-11.xlsx" not in pack
    annex = _annex_text(shared, period)
    assert "Rejected (errors) 2 People (PPL-2026-11.xlsx), IT (IT-2026-11.xlsx)" in annex
    # The board reads what is shown instead; the error itself, with its cell, is the annex's.
    assert (
        "IT : workbook sent back for correction (1 error). Showing figures from October 2026."
        in pack
    )
    assert "'42' in a percentage" not in pack
    assert "2026-11 is '42' in a percentage: probably meant" in annex
    for dept in ("Group strategy office", "Engineering", "People", "IT"):
        assert f"{dept}: October 2026" in pack  # shown stale, never silently dropped
    assert "4,200" not in pack and "4200" not in pack  # 42 typed for 42 % never reaches the board
    assert (
        "Group strategy office : no workbook received. Showing figures from October 2026." in pack
    )
    assert "Covers 10 of 10 units (100% of their weight)." in pack  # all shown, 4 stale

    chase = CliRunner().invoke(
        main, ["status", "--config", str(shared / "scorecard.toml"), "--json"]
    )
    assert chase.exit_code == 0, chase.output
    listed = json.loads(chase.output)
    assert listed["period"] == period  # the same default as the report
    assert listed["counts"] == data["summary"]["departments"]
    fin = next(d for d in listed["departments"] if d["department_id"] == "FIN")
    assert (fin["file"], fin["other_files"]) == (
        "FIN-2026-11.xlsx", ["FIN-2026-11-from-sales.xlsx", "FIN-2026-11-v2.xlsx"]
    )  # fmt: skip
    assert pack.count("No workbook for November 2026 was accepted; the figures below") == 4


def test_december_everything_fixed(shared: Path) -> None:
    """Every department back, nothing stale, old files still there; OPS restates September."""
    config = load_config(shared / "scorecard.toml")
    dec = demo_content(config, "2026-12")
    ops_kpis = [dict(k) for k in dec["OPS"].kpis]
    old = ops_kpis[0]["2026-09"]
    ops_kpis[0]["2026-09"] = old + 1000
    for dept in ALL:
        content = replace(dec[dept], kpis=ops_kpis) if dept == "OPS" else None
        _drop(shared, "2026-12", dept, content=content)
    code, out = _report(shared, "--period", "2026-12")
    assert code == 0, out
    assert "Departments: 10 accepted, 0 rejected, 0 missing of 10" in out
    data = _json(shared, "2026-12")
    assert set(_states(data).values()) == {"accepted"}
    assert sum(f["status"] == "other period" for f in data["files"]) == 10 + 10
    pack = _pack_text(shared, "2026-12")
    # OPS's September, and the October blanks IT and PPL fill in now (the demo's planted
    # No-data months); November, which CORP, ENG, PPL and IT never reported, is late, not
    # restated.
    assert "Restated since the last pack (3)" in pack
    assert (
        "Operations Manufacturing cost per unit OPS-K01 September 2026 EUR 41.61 → EUR 1,042 "
        "November 2026"
    ) in pack
    assert "IT Backup restore tests passed IT-K10 October 2026 blank → 100.0%" in pack
