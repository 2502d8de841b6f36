"""The mutation fuzzer (pipeline/fuzz.py): it runs, counts every mutant, and is repeatable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pipeline import fuzz

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "examples" / "demo" / "scorecard.toml"
KINDS = ("accepted", "other period", "rejected", "unreadable", "crash", "hang", "killed")


def test_twenty_mutants_of_the_demo_are_read_without_a_crash(tmp_path: Path) -> None:
    """`python -m pipeline.fuzz -n 20 --seed 1` finishes, counts 20 verdicts, and exits 0."""
    keep = tmp_path / "kept"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.fuzz", "--config", str(DEMO_CONFIG)]
        + ["-n", "20", "--seed", "1", "--keep", str(keep)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    out = result.stdout
    assert out.startswith("fuzz: 20 mutants of 10 workbooks (seed 1)"), out + result.stderr
    assert "unmutated, 10 of 10 pass" in out, out
    counts = {}
    for kind in KINDS:
        match = re.search(rf"^  {kind}\s+(\d+)", out, re.M)
        assert match, f"no count for {kind!r}:\n{out}"
        counts[kind] = int(match.group(1))
    assert sum(counts.values()) == 20, out
    assert result.returncode == 0, out  # no crash, hang or killed worker in these 20
    assert not keep.exists()  # nothing worth keeping


def test_mutants_are_repeatable_from_seed_and_index() -> None:
    """Mutant i of seed s is the same bytes every time, so any finding can be rebuilt alone."""
    inbox = DEMO_CONFIG.parent / "inbox"
    sources = [(p.name, p.read_bytes()) for p in sorted(inbox.glob("*.xlsx"))]
    first = [fuzz.mutant(sources, 7, i) for i in range(12)]
    assert first == [fuzz.mutant(sources, 7, i) for i in range(12)]
    assert first != [fuzz.mutant(sources, 8, i) for i in range(12)]
    assert len({data for _, data, _ in first}) == 12
    assert all(data != dict(sources)[name] for name, data, _ in first)


def test_a_dead_worker_is_told_by_its_signal() -> None:
    assert fuzz._exit_text(-6) == "exit 134 (SIGABRT)"
    assert fuzz._exit_text(-9) == "exit 137 (SIGKILL)"
    assert fuzz._exit_text(70) == "exit 70"
