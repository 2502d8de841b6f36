"""The command line: exit codes stated once, configuration errors versus unexpected ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import cli, run
from pipeline.cli import ERROR_LOG, EXIT_INVALID, EXIT_OK, exit_code_for, main

CONFIG = '[organisation]\nname = "Test Org"\n\n[[departments]]\nid = "FIN"\nname = "Finance"\n'


def _config(tmp_path: Path, inbox: bool = True) -> Path:
    path = tmp_path / "scorecard.toml"
    path.write_text(CONFIG, encoding="utf-8")
    if inbox:
        (tmp_path / "inbox").mkdir()
    return path


def test_exit_code_rule() -> None:
    """1 when any file was rejected or unreadable; superseded or other-period files are fine."""
    assert exit_code_for([]) == EXIT_OK
    assert exit_code_for(["accepted", "superseded", "other period"]) == EXIT_OK
    assert exit_code_for(["accepted", "rejected"]) == EXIT_INVALID
    assert exit_code_for(["unreadable"]) == EXIT_INVALID


def test_a_missing_inbox_is_a_configuration_error(tmp_path: Path) -> None:
    """No inbox folder: exit 2 and a message naming the [reporting] key and the folder."""
    path = _config(tmp_path, inbox=False)
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 2
    assert "[reporting] inbox folder not found" in result.output
    assert str(tmp_path / "inbox") in result.output


@pytest.mark.parametrize("command", ["validate", "score", "report"])
def test_an_unexpected_error_is_one_line_exit_3_and_a_logged_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A bug is not a usage error: one clear line, exit 3, the traceback in the log file."""
    path = _config(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(run, "check", broken)
    monkeypatch.setattr(run, "score_inbox", broken)
    monkeypatch.setattr(run, "build_report", broken)
    result = CliRunner().invoke(main, [command, "--config", str(path)])
    assert result.exit_code == cli.EXIT_UNEXPECTED == 3
    log = tmp_path / "reports" / ERROR_LOG
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: unexpected ValueError: boom (details: {log})"]
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "ValueError: boom" in text
    assert re.search(rf"^--- .* {command}$", text, re.MULTILINE)


def test_the_readme_documents_every_exit_code() -> None:
    """The README's exit-code list matches the constants in cli.py."""
    readme = Path("README.md").read_text(encoding="utf-8")
    codes = {name: value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert set(codes.values()) == {0, 1, 2, 3, 4}
    for name, code in codes.items():
        assert f"`{code}`" in readme, name
    assert ERROR_LOG in readme


def test_every_command_has_help_and_is_in_the_readme() -> None:
    """A command nobody can discover is a command nobody uses."""
    readme = Path("README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert command.help, name
        assert f"scorecard {name}" in readme, name
