"""Shared fixtures: a test Config and a LibreOffice converter (skipped when soffice is absent)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.config import Config
from tests.workbooks import make_config

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
