"""Shared fixtures: a test Config and a LibreOffice converter (skipped when soffice is absent)."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from pipeline.config import Config
from tests.workbooks import make_config

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
DEMO_PACKS = """
[[packs]]
name = "commercial"
title = "Commercial directorate pack"
root = "COMM"
"""

SOFFICE_TIMEOUT = 120  # seconds per conversion


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The tiny test organisation (CORP > FIN, OPS), calendar fiscal year."""
    return make_config(tmp_path)


@pytest.fixture(scope="session")
def soffice_convert(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path, str, Path], Path]:
    """`convert(src, fmt, outdir) -> output path`: one headless LibreOffice conversion.

    One private user profile per test session, so parallel or concurrent LibreOffice runs
    never fight over the profile lock. Skips the test when `soffice` is not installed.
    """
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed; round-trip checks need it")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(src: Path, fmt: str, outdir: Path) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                exe,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                str(src),
            ],
            capture_output=True,
            text=True,
            timeout=SOFFICE_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, f"soffice failed: {result.stdout}\n{result.stderr}"
        # A csv export of one sheet is named `<stem>-<Sheet>.csv`, anything else `<stem>.<ext>`.
        ext = fmt.split(":")[0]
        outputs = sorted(outdir.glob(f"{src.stem}*.{ext}"))
        assert outputs, f"soffice wrote no .{ext} file: {result.stdout}\n{result.stderr}"
        return outputs[0]

    return convert


@dataclass(frozen=True)
class DemoReport:
    """A copy of the demo (with a [[packs]] for Commercial) after `scorecard report` and
    `scorecard report --pack commercial`: what each command printed and its exit code."""

    root: Path
    report_output: str
    report_exit: int
    pack_output: str
    pack_exit: int

    @property
    def config(self) -> Path:
        return self.root / "scorecard.toml"


@contextmanager
def shared_by_workers(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str
) -> Iterator[Path]:
    """A folder every pytest-xdist worker of this run sees (the session's own without
    xdist), held under the lock `name` while the body runs: the first worker to ask makes
    what the tests only read, the others wait for it and find it made."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # xdist: this run's root
    with (shared / f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DemoReport:
    """The demo's whole report, made once per test run for the tests that only read it
    (the full report lays out 49 pages, an annex and ten one-pagers)."""
    with shared_by_workers(tmp_path_factory, worker_id, "demo-report") as shared:
        made = shared / "demo-report" / "made.json"
        if not made.exists():
            report = _demo_report(made.parent)
            made.write_text(json.dumps({**asdict(report), "root": str(report.root)}))
        fields = json.loads(made.read_text())
        return DemoReport(**{**fields, "root": Path(fields["root"])})


def _demo_report(folder: Path) -> DemoReport:
    from click.testing import CliRunner

    from pipeline.cli import main

    root = folder / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("reports", "archive"))
    config = root / "scorecard.toml"
    config.write_text(config.read_text(encoding="utf-8") + DEMO_PACKS, encoding="utf-8")
    full = CliRunner().invoke(main, ["report", "--config", str(config)])
    pack = CliRunner().invoke(main, ["report", "--config", str(config), "--pack", "commercial"])
    return DemoReport(root, full.output, full.exit_code, pack.output, pack.exit_code)
