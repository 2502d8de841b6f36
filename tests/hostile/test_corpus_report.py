"""The demo organisation's inbox with the whole hostile corpus beside it, through `report`.

One run of the real command in a subprocess (a hang or an abort fails this test, not the
suite): some files are rejected (exit 1), the pack is still built, and every one of the ten
demo departments is still accepted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pipeline.config import load_config
from tests.hostile.corpus import CASES, Kit

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
PERIOD = "2026-10"
REPORT_TIMEOUT = 600  # seconds; the demo alone takes about 25
_SCRIPT = Path(sys.executable).parent / "scorecard"  # the venv's console script
SCORECARD = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pipeline"]


def build_inbox(root: Path) -> list[str]:
    """Copy the demo config and inbox to `root`, add every runnable case; return their names."""
    for name in ("scorecard.toml", "logo.svg"):
        shutil.copy(DEMO / name, root / name)
    inbox = root / "inbox"
    shutil.copytree(DEMO / "inbox", inbox)
    kit = Kit(inbox, root / "scratch", load_config(root / "scorecard.toml"), dept="OPS")
    names, fresh = [], set()
    for case in CASES:
        if case.skip:
            continue
        name = case.build(kit, f"zz-{case.id}")
        names.append(name)
        if case.fresh:
            fresh.add(name)
    an_hour_ago = time.time() - 3600
    for entry in os.listdir(os.fsencode(inbox)):
        if os.fsdecode(entry) not in fresh:
            path = os.fsencode(inbox) + b"/" + entry
            os.utime(path, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    return names


def test_the_demo_survives_the_whole_corpus(tmp_path: Path) -> None:
    names = build_inbox(tmp_path)
    assert len(names) >= 40
    result = subprocess.run(
        [*SCORECARD, "report", "--config", str(tmp_path / "scorecard.toml")],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=REPORT_TIMEOUT,
        cwd=ROOT,
        check=False,
    )
    output = f"{result.stdout}\n{result.stderr}"[-4000:]
    assert result.returncode == 1, output
    reports = tmp_path / "reports" / PERIOD
    assert (reports / f"board-pack-{PERIOD}.pdf").stat().st_size > 0, output
    summary = json.loads((reports / f"validation-{PERIOD}.json").read_text(encoding="utf-8"))
    states = {d["department_id"]: d["state"] for d in summary["departments"]}
    demo = load_config(DEMO / "scorecard.toml").department_ids
    assert {d: states.get(d) for d in demo} == dict.fromkeys(demo, "accepted"), output
    assert not (tmp_path / "reports" / "scorecard-error.log").exists(), output
