"""`scorecard watch`: feedback within seconds of a workbook landing in the inbox.

Most tests drive `Watcher.poll_once()` directly (no sleeping); one runs the loop in a
thread and one runs the command in a subprocess, stopped with Ctrl-C (SIGINT). Timing is
only ever bounded generously (10 s for what takes well under one).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import atomic, run, watch
from pipeline.atomic import exclusive
from pipeline.cli import ERROR_LOG, EXIT_INVALID, EXIT_UNEXPECTED, EXIT_USAGE, main
from pipeline.config import Config, load_config
from pipeline.watch import Checked, Watcher, status_words
from tests.workbooks import make_workbook, sample_rows

PERIOD = "2026-10"
BOUND = 10.0  # seconds: generous, what it bounds takes well under one

CONFIG_TOML = """\
[organisation]
name = "Test Org"
fiscal_year_start = 1
currency = "EUR"

[[departments]]
id = "CORP"
name = "Group strategy office"
corporate = true

[[departments]]
id = "FIN"
name = "Finance"
parent = "CORP"

[[departments]]
id = "OPS"
name = "Operations"
parent = "CORP"
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A configuration with an empty inbox; `staging/` holds workbooks before they're dropped."""
    (tmp_path / "scorecard.toml").write_text(CONFIG_TOML, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "staging").mkdir()
    return tmp_path


def _config(root: Path) -> Config:
    return load_config(root / "scorecard.toml")


def _good(
    root: Path, dept: str = "FIN", name: str | None = None, submitted_on: date | None = None
) -> Path:
    """A valid workbook for `dept`, written to staging."""
    return make_workbook(
        root / "staging", dept, PERIOD, filename=name, config=_config(root),
        submitted_on=submitted_on, **sample_rows(dept),
    )  # fmt: skip


def _bad(root: Path, dept: str = "OPS", name: str | None = None) -> Path:
    """A workbook with one error in a cell (a Target that is not a number)."""
    rows = sample_rows(dept)
    rows["kpis"][0]["Target"] = "forty"
    return make_workbook(
        root / "staging", dept, PERIOD, filename=name, config=_config(root), **rows
    )


def _drop(root: Path, source: Path, name: str | None = None) -> Path:
    """Copy into the inbox as a copy tool does: a temporary name, then a rename."""
    target = root / "inbox" / (name or source.name)
    temp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, temp)
    os.replace(temp, target)
    return target


def _feedback(root: Path, period: str = PERIOD) -> Path:
    return root / "reports" / period / "feedback"


def _entries(root: Path, period: str = PERIOD) -> list[dict]:
    index = _feedback(root, period) / "index.json"
    return json.loads(index.read_text(encoding="utf-8"))["entries"] if index.exists() else []


def _latest(root: Path, period: str = PERIOD) -> dict[str, dict]:
    """Each file's newest index entry."""
    latest: dict[str, dict] = {}
    for entry in _entries(root, period):
        latest.setdefault(entry["file"], entry)
    return latest


def _inbox_state(root: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted((root / "inbox").iterdir())
    }


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, f"not within {BOUND:g} s: {what}"
        time.sleep(0.05)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.startswith(atomic.TEMP_PREFIX)]


# --- the loop, in a thread --------------------------------------------------------------------


def test_a_good_and_a_bad_file_get_feedback_within_seconds(root: Path) -> None:
    """Dropped while the watcher runs: copy, result page and index line for each, in seconds;
    the inbox is untouched and nothing that belongs to `report` is written."""
    config = _config(root)
    good, bad = _good(root), _bad(root)
    seen: list[Checked] = []
    stop = threading.Event()
    watcher = Watcher(config, on_checked=seen.append)
    thread = threading.Thread(target=watcher.run, args=(stop, 0.2), daemon=True)
    thread.start()
    try:
        _drop(root, good)
        _drop(root, bad)
        before = _inbox_state(root)
        _wait_for(lambda: {"FIN-2026-10.xlsx", "OPS-2026-10.xlsx"} <= set(_latest(root)), "index")
    finally:
        stop.set()
        thread.join(BOUND)
    assert not thread.is_alive()

    latest = _latest(root)
    assert latest["FIN-2026-10.xlsx"]["status"] == "accepted"
    assert latest["FIN-2026-10.xlsx"]["words"].startswith("Accepted")
    assert latest["OPS-2026-10.xlsx"]["words"] == "Rejected — 1 error"
    folder = _feedback(root)
    copy = folder / "OPS-2026-10-feedback.xlsx"
    assert copy.is_file() and latest["OPS-2026-10.xlsx"]["copy"] == copy.name
    page = (folder / "OPS-2026-10-feedback.html").read_text(encoding="utf-8")
    assert (
        "Rejected — 1 error" in page
        and "forty" in page
        and 'href="OPS-2026-10-feedback.xlsx"' in page
    )
    assert (folder / "FIN-2026-10-feedback.html").is_file()
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "FIN-2026-10.xlsx" in index and "OPS-2026-10.xlsx" in index
    assert "Rejected — 1 error" in index and "Finance (FIN)" in index
    assert {c.file for c in seen} >= {"FIN-2026-10.xlsx", "OPS-2026-10.xlsx"}

    assert _inbox_state(root) == before  # byte-identical, same times, nothing added or removed
    assert not (root / "archive").exists()  # no ledger, no archive copy, no lock file
    assert sorted(p.name for p in (root / "reports" / PERIOD).iterdir()) == ["feedback"]
    assert _no_temp_files(root / "reports")


# --- settling ---------------------------------------------------------------------------------


def test_a_file_still_growing_is_checked_only_once_it_settles(root: Path) -> None:
    """Checked on the first poll that sees the same size and time as the one before."""
    data = _good(root).read_bytes()
    target = root / "inbox" / "FIN-2026-10.xlsx"
    watcher = Watcher(_config(root))
    target.write_bytes(data[: len(data) // 3])
    assert watcher.poll_once() == []  # first sight
    with target.open("ab") as handle:
        handle.write(data[len(data) // 3 : 2 * len(data) // 3])
    assert watcher.poll_once() == []  # it grew
    with target.open("ab") as handle:
        handle.write(data[2 * len(data) // 3 :])
    assert watcher.poll_once() == []  # it grew again
    assert not _feedback(root).exists()
    [checked] = watcher.poll_once()  # the same as last time: settled
    assert checked.file == "FIN-2026-10.xlsx" and checked.status == "accepted"
    assert watcher.poll_once() == []  # checked once, not on every poll


def test_a_copy_that_stalls_half_way_is_held_not_rejected(root: Path) -> None:
    """A fresh, incomplete zip that stops growing is 'still being copied', not unreadable."""
    data = _good(root).read_bytes()
    target = root / "inbox" / "FIN-2026-10.xlsx"
    notes: list[str] = []
    watcher = Watcher(_config(root), on_trouble=lambda what, exc: notes.append(what))
    target.write_bytes(data[: len(data) // 2])
    assert watcher.poll_once() == []
    assert watcher.poll_once() == []  # settled, but run.read_inbox sees a half zip
    assert notes == [f"FIN-2026-10.xlsx: {watch.ARRIVING}"]
    assert watcher.poll_once() == []  # held: not read again while unchanged
    assert not _entries(root)
    target.write_bytes(data)
    assert watcher.poll_once() == []
    [checked] = watcher.poll_once()
    assert checked.status == "accepted"


# --- what is written, and where -------------------------------------------------------------


def test_a_hostile_file_name_is_escaped_everywhere(root: Path) -> None:
    """`<script>.xlsx` is text on every page, and its outputs get safe names."""
    _drop(root, _bad(root), "<script>.xlsx")
    [checked] = Watcher(_config(root)).poll_once(settle_all=True)
    assert checked.status == "rejected"
    assert checked.copy is not None and "<" not in checked.copy.name
    assert checked.page.parent == _feedback(root) and "<" not in checked.page.name
    for page in (_feedback(root) / "index.html", checked.page):
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html
        assert "&lt;script&gt;.xlsx" in html
    index = (_feedback(root) / "index.html").read_text(encoding="utf-8")
    assert f'href="{checked.page.name}"' in index  # the link is the page's safe name


def test_results_go_to_the_month_the_file_is_for(root: Path) -> None:
    """A file for another month than the one most files are for is checked for its own."""
    config = _config(root)
    _drop(root, _good(root, "FIN"))
    _drop(root, _good(root, "OPS"))
    september = make_workbook(
        root / "staging", "CORP", "2026-09", config=config, **sample_rows("CORP")
    )
    _drop(root, september)
    checked = {c.file: c for c in Watcher(config).poll_once(settle_all=True)}
    assert checked["CORP-2026-09.xlsx"].period == "2026-09"
    assert checked["FIN-2026-10.xlsx"].period == "2026-10"
    assert set(_latest(root, "2026-09")) == {"CORP-2026-09.xlsx"}
    assert set(_latest(root)) == {"FIN-2026-10.xlsx", "OPS-2026-10.xlsx"}
    assert checked["CORP-2026-09.xlsx"].status != "other period"  # a real verdict


def test_a_restart_keeps_the_history_and_checks_only_what_changed(root: Path) -> None:
    config = _config(root)
    _drop(root, _bad(root, "FIN", name="FIN-2026-10.xlsx"))
    assert [c.status for c in Watcher(config).poll_once(settle_all=True)] == ["rejected"]

    again = Watcher(config)  # a new process: the history is read back from index.json
    assert again.poll_once(settle_all=True) == []
    _drop(root, _good(root, "FIN"))  # the fix, same name
    [fixed] = again.poll_once(settle_all=True)
    assert fixed.status == "accepted"
    entries = _entries(root)
    assert [(e["file"], e["status"]) for e in entries] == [
        ("FIN-2026-10.xlsx", "accepted"),
        ("FIN-2026-10.xlsx", "rejected"),
    ]  # newest first
    index = (_feedback(root) / "index.html").read_text(encoding="utf-8")
    assert index.index("Accepted") < index.index("Rejected — 1 error")


def test_a_newer_file_changes_the_result_of_an_older_one(root: Path) -> None:
    """A file that did not change but whose verdict did (superseded) gets a new line."""
    config = _config(root)
    watcher = Watcher(config)
    _drop(root, _good(root, "FIN", name="FIN-first.xlsx", submitted_on=date(2026, 11, 2)))
    assert [c.status for c in watcher.poll_once(settle_all=True)] == ["accepted"]
    _drop(root, _good(root, "FIN", name="FIN-second.xlsx", submitted_on=date(2026, 11, 3)))
    checked = {c.file: c for c in watcher.poll_once(settle_all=True)}
    assert checked["FIN-second.xlsx"].status == "accepted"
    assert checked["FIN-first.xlsx"].status == "superseded"
    assert checked["FIN-first.xlsx"].why == watch.KNOCK_ON
    assert watcher.poll_once(settle_all=True) == []


def test_the_watcher_never_needs_the_run_lock(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It works while another run holds the lock, and never asks for it."""
    config = _config(root)

    def no_lock(*args: object) -> None:
        raise AssertionError("the watcher took the run lock")

    _drop(root, _good(root))
    with exclusive(config.reporting.archive / ".scorecard.lock"):  # `report` is running
        monkeypatch.setattr(run, "_one_run_at_a_time", no_lock)
        monkeypatch.setattr(atomic, "exclusive", no_lock)
        [checked] = Watcher(config).poll_once(settle_all=True)
    assert checked.status == "accepted"


def test_status_words() -> None:
    assert status_words("accepted", 0, 0) == "Accepted"
    assert status_words("accepted", 0, 2) == "Accepted with 2 warnings"
    assert status_words("accepted", 0, 1) == "Accepted with 1 warning"
    assert status_words("rejected", 3, 1) == "Rejected — 3 errors"
    assert status_words("rejected", 1, 0) == "Rejected — 1 error"
    assert status_words("unreadable", 1, 0) == "Unreadable"


# --- the command ------------------------------------------------------------------------------


def _watch(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["watch", "--config", str(root / "scorecard.toml"), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_once_checks_every_file_then_exits(root: Path) -> None:
    """One line per file (time, name, verdict, where the feedback is); exit 1 on a rejection."""
    _drop(root, _good(root))
    _drop(root, _bad(root))
    _drop(root, root / "inbox" / "FIN-2026-10.xlsx", "notes.xls")  # not an .xlsx
    code, output = _watch(root, "--once")
    assert code == EXIT_INVALID
    assert f"Watching {root / 'inbox'}" in output and "index.html" in output
    copy = _feedback(root) / "OPS-2026-10-feedback.xlsx"
    assert re.search(
        rf"^\d\d:\d\d:\d\d OPS-2026-10\.xlsx: rejected, 1 error → {re.escape(str(copy))}$",
        output,
        re.MULTILINE,
    ), output
    assert re.search(r"^\d\d:\d\d:\d\d FIN-2026-10\.xlsx: accepted", output, re.MULTILINE)
    assert re.search(r"^\d\d:\d\d:\d\d notes\.xls: unreadable → ", output, re.MULTILINE)
    assert "Checked 3 file(s)." in output
    assert _latest(root)["notes.xls"]["words"] == "Unreadable"

    code, output = _watch(root, "--once")  # nothing new: nothing checked, all fine
    assert code == 0 and "Checked 0 file(s)." in output and "checked before" in output


def test_an_unexpected_error_on_one_file_is_logged_and_the_rest_go_on(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = watch.write_feedback

    def broken(source: Path, problems: list, out_dir: Path) -> Path | None:
        if source.name.startswith("OPS"):
            raise ValueError("boom\nsecond line")
        return real(source, problems, out_dir)

    monkeypatch.setattr(watch, "write_feedback", broken)
    _drop(root, _bad(root, "FIN", name="FIN-2026-10.xlsx"))
    _drop(root, _bad(root, "OPS"))
    code, output = _watch(root, "--once")
    log = root / "reports" / ERROR_LOG
    assert code == EXIT_UNEXPECTED
    assert "Traceback" not in output
    assert re.search(
        rf"OPS-2026-10\.xlsx: could not be checked: unexpected ValueError: boom "
        rf"\(details: {re.escape(str(log))}\)",
        output,
    ), output
    assert "FIN-2026-10.xlsx: rejected, 1 error" in output  # the other file went on
    assert "ValueError: boom" in log.read_text(encoding="utf-8")
    assert set(_latest(root)) == {"FIN-2026-10.xlsx"}


def test_a_missing_inbox_is_a_configuration_error(root: Path) -> None:
    (root / "inbox").rmdir()
    code, output = _watch(root, "--once")
    assert code == EXIT_USAGE and "[reporting] inbox folder not found" in output


def test_ctrl_c_stops_cleanly_and_report_runs_alongside(root: Path) -> None:
    """The real command in a subprocess: files dropped are checked, `scorecard report` runs
    meanwhile (the lock is free), and SIGINT ends it with exit 0 and 'Stopped watching.'"""
    out, err = root / "watch.out", root / "watch.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "watch", "--config", "scorecard.toml"]
            + ["--interval", "0.2"],
            cwd=root,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        _wait_for(lambda: "Press Ctrl-C" in out.read_text(encoding="utf-8"), "start-up")
        _drop(root, _good(root))
        _drop(root, _bad(root))
        _wait_for(lambda: len(_latest(root)) == 2, "both files checked")
        before = _inbox_state(root)

        result = CliRunner().invoke(main, ["report", "--config", str(root / "scorecard.toml")])
        assert result.exit_code in (0, 1), result.output  # not 2: another run holds the lock
        assert (root / "reports" / PERIOD / f"board-pack-{PERIOD}.pdf").is_file()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=BOUND) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.read_text(encoding="utf-8")
    assert text.rstrip().endswith("Stopped watching.")
    assert re.search(r"\d\d:\d\d:\d\d OPS-2026-10\.xlsx: rejected, 1 error → reports/", text)
    assert "Traceback" not in err.read_text(encoding="utf-8")
    assert _inbox_state(root) == before
    assert _no_temp_files(root / "reports")
