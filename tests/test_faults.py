"""kill -9 at any moment: no half-written output under a final name, a sound ledger, and
the next run gives the same pack, byte for byte."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.atomic import exclusive

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
PERIOD = "2026-10"


def _organisation(root: Path) -> Path:
    root.mkdir()
    shutil.copy(DEMO / "scorecard.toml", root / "scorecard.toml")
    shutil.copy(DEMO / "logo.svg", root / "logo.svg")
    shutil.copytree(DEMO / "inbox", root / "inbox")
    return root / "scorecard.toml"


def _report(config: Path, kill_after: float | None = None) -> int | None:
    command = [sys.executable, "-m", "pipeline", "report", "--config", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is None:
        return process.wait(timeout=300)
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return None


def _whole(path: Path) -> bool:
    """Is a file under a final name complete for its kind?"""
    data = path.read_bytes()
    if path.suffix == ".pdf":
        return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    if path.suffix == ".json":
        json.loads(data)
        return True
    if path.suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    if path.suffix in (".xlsx", ".xlsm"):
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    return True


@pytest.mark.parametrize("kill_after", [1.5, 5.0])
def test_a_killed_run_leaves_only_whole_files_and_a_sound_ledger(
    tmp_path: Path, kill_after: float
) -> None:
    """Whatever the moment of the kill, every output is whole and the ledger is intact."""
    config = _organisation(tmp_path / "org")
    _report(config, kill_after)
    finals = [
        p
        for p in (tmp_path / "org").rglob("*")
        if p.is_file() and not p.name.startswith(".") and "inbox" not in p.parts
    ]
    assert all(_whole(p) for p in finals), [p.name for p in finals if not _whole(p)]
    ledger = tmp_path / "org" / "archive" / "ledger.sqlite"
    if ledger.exists():
        with sqlite3.connect(ledger) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert _report(config) == 0  # the lock died with the killed run


def test_after_a_kill_the_next_run_gives_the_same_pack(tmp_path: Path, demo_report) -> None:
    """A run killed mid-way changes nothing: the pack after it equals a clean run's pack
    (the shared demo report's: same workbooks and logo, so the same bytes)."""
    assert demo_report.report_exit == 0, demo_report.report_output
    killed = _organisation(tmp_path / "killed")
    _report(killed, kill_after=7.0)
    assert _report(killed) == 0
    name = f"reports/{PERIOD}/board-pack-{PERIOD}.pdf"
    assert (tmp_path / "killed" / name).read_bytes() == (demo_report.root / name).read_bytes()


def test_a_killed_runs_forked_workers_do_not_keep_its_lock(tmp_path: Path) -> None:
    """Layout workers are forked while the run holds its lock; with the run killed, a
    worker still busy must not keep the next run out."""
    lock = tmp_path / "archive" / ".lock"
    script = (
        "import os, signal, time\n"
        "from pathlib import Path\n"
        "from pipeline.atomic import exclusive\n"
        f"with exclusive(Path({str(lock)!r})):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(20)\n"
        "        os._exit(0)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL
    with exclusive(lock):  # the orphaned worker is still sleeping: the lock is free anyway
        pass
