"""A native abort, runaway memory or a hang while reading one file rejects only that file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline import sandbox
from pipeline.read import read_workbook
from tests.workbooks import make_workbook, sample_rows


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_workbook(tmp_path, **sample_rows())


def test_outcomes_come_back_in_order_with_the_workbooks(good: Path, tmp_path: Path) -> None:
    """The sandboxed read gives the same workbook as an in-process read."""
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    first, second = sandbox.read_all([good, junk])
    assert first.workbook is not None and first.code == ""
    assert first.workbook.submission == read_workbook(good).submission
    assert (second.workbook, second.code) == (None, "not-xlsx")


def test_a_native_abort_is_that_files_rejection(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader dying with SIGABRT (as calamine does on a huge allocation) is reader-crashed."""
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(good.read_bytes())
    real = sandbox.read_workbook

    def aborting(path: Path):
        if path.name == "bomb.xlsx":
            os.abort()
        return real(path)

    monkeypatch.setattr(sandbox, "read_workbook", aborting)  # the forked child inherits it
    outcomes = sandbox.read_all([bomb, good])
    assert (outcomes[0].code, outcomes[0].fields) == (
        "reader-crashed",
        {"how": "signal 6 (SIGABRT)"},
    )
    assert outcomes[1].workbook is not None


def test_runaway_memory_is_stopped_by_the_limit(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that wants gigabytes hits the child's address-space cap, not the machine."""
    hog = tmp_path / "hog.xlsx"
    hog.write_bytes(good.read_bytes())

    def hungry(path: Path):
        return bytearray(8 * 1024**3)  # 8 GiB: over the child's headroom

    monkeypatch.setattr(sandbox, "read_workbook", hungry)
    (outcome,) = sandbox.read_all([hog])
    assert outcome.workbook is None
    assert outcome.code in ("reader-crashed", "unreadable-file")


def test_a_hang_is_stopped_at_the_deadline(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that never finishes is too-slow after the time limit; the others still read."""
    slow = tmp_path / "slow.xlsx"
    slow.write_bytes(good.read_bytes())
    real = sandbox.read_workbook

    def hanging(path: Path):
        if path.name == "slow.xlsx":
            time.sleep(3600)
        return real(path)

    monkeypatch.setattr(sandbox, "read_workbook", hanging)
    started = time.monotonic()
    outcomes = sandbox.read_all([slow, good], time_limit=1.5)
    assert time.monotonic() - started < 20
    assert outcomes[0].code == "too-slow"
    assert outcomes[1].workbook is not None


def test_a_child_reads_file_after_file_and_a_crash_costs_only_its_file(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children are reused (a fork costs more than a read); one dying takes only its file,
    a fresh child reads the rest, and a spent child retires without losing a file."""
    paths = []
    for i in range(7):
        path = tmp_path / f"f{i}.xlsx"
        path.write_bytes(good.read_bytes())
        paths.append(path)

    def pid_or_abort(path: Path):
        if path.name == "f3.xlsx":
            os.abort()
        return os.getpid()  # stands in for the workbook: which child read it

    monkeypatch.setattr(sandbox, "read_workbook", pid_or_abort)
    monkeypatch.setattr(sandbox, "RETIRE_AFTER_FILES", 2)
    outcomes = sandbox.read_all(paths, workers=1)
    assert [o.code for o in outcomes] == ["", "", "", "reader-crashed", "", "", ""]
    readers = [o.workbook for o in outcomes]
    assert readers[0] == readers[1] != readers[2]  # two files each, then a fresh child
    assert readers[4] == readers[5] != readers[6]
    assert os.getpid() not in readers
