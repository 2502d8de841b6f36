"""`scorecard --help` starts quickly: the heavy libraries load only in the commands that use them.

Proved by what is imported, never by timing (timing belongs in `make bench`): a fresh
interpreter imports the command line and asks for help; none of the heavy modules may be
in `sys.modules` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# What makes a start slow: the data stack and everything behind pipeline.run.
HEAVY = ("pandas", "pandera", "weasyprint", "openpyxl", "numpy", "pipeline.run")
COMMANDS = ("init", "templates", "validate", "demo", "score", "report", "status", "watch")

_PROBE = """
import json, sys
from click.testing import CliRunner

import pipeline.cli
from pipeline.cli import main

runner = CliRunner()
helps = {"": runner.invoke(main, ["--help"])}
for name in sorted(main.commands):
    helps[name] = runner.invoke(main, [name, "--help"])
heavy = sorted(
    m for m in sys.modules for h in HEAVY if m == h or m.startswith(h + ".")
)
print(json.dumps({
    "commands": sorted(main.commands),
    "helps": {k: [r.exit_code, r.output] for k, r in helps.items()},
    "heavy": heavy,
}))
"""


def _probe() -> dict:
    root = Path(__file__).resolve().parent.parent
    code = f"HEAVY = {HEAVY!r}\n{_PROBE}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_help_loads_no_heavy_library_and_lists_every_command() -> None:
    found = _probe()
    assert found["heavy"] == [], f"--help imported {found['heavy']}"
    assert set(COMMANDS) <= set(found["commands"])
    code, text = found["helps"][""]
    assert code == 0
    assert "Scorecard: validate department workbooks and build the board pack." in text
    for name in found["commands"]:
        assert f"  {name} " in text, f"{name} missing from --help"
    for name in found["commands"]:
        code, text = found["helps"][name]
        assert code == 0, text
        assert f"Usage: main {name} [OPTIONS]" in text
