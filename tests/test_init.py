"""`scorecard init`: a new organisation's commented scorecard.toml and folders, and the
warning for a configuration without a corporate unit."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pipeline import config as config_module
from pipeline.cli import main
from pipeline.config import (
    DEFAULT_PERSPECTIVES,
    Config,
    Department,
    config_warnings,
    load_config,
    parse_config,
)
from pipeline.starter import config_text, toml_string

FOLDERS = ("inbox", "reports", "archive", "workbook_templates")


def _init(tmp_path: Path, *args: str) -> tuple[Path, typing.Any]:
    folder = tmp_path / "acme"
    result = CliRunner().invoke(main, ["init", str(folder), *args])
    return folder, result


def _defaults(path: Path, name: str) -> Config:
    """What the loader gives when only the required keys are set."""
    raw = {"organisation": {"name": name}, "departments": [{"id": "X", "name": "X"}]}
    return parse_config(raw, path.resolve())


def _uncommented(text: str) -> str:
    """The file with every commented-out key and section header switched on."""
    key = re.compile(r"^# (\[\[?[a-z]+\]\]?|[a-z_]+ = .*)$")
    return "\n".join(
        match.group(1) if (match := key.match(line)) else line for line in text.splitlines()
    )


def test_init_writes_a_loadable_configuration_and_the_folders(tmp_path: Path) -> None:
    folder, result = _init(tmp_path, "--name", "Acme Ltd")
    assert result.exit_code == 0, result.output
    path = folder / "scorecard.toml"
    assert path.is_file()
    for name in FOLDERS:
        assert (folder / name).is_dir(), name
    config = load_config(path)
    assert config.organisation.name == "Acme Ltd"
    assert not config_warnings(config)
    # What it created, then the next steps with the commands to run.
    out = result.stdout
    assert f"Created {path}" in out
    for name in FOLDERS:
        assert f"{folder / name}/ (created)" in out
    assert "Next steps:" in out
    assert f"scorecard templates --config {path}" in out
    assert f"scorecard report --config {path}" in out
    assert f"{folder / 'inbox'}/" in out and f"{folder / 'reports'}/<period>/" in out


def test_the_file_gives_the_documented_defaults_and_an_example_tree(tmp_path: Path) -> None:
    """Everything but the name and the example departments is at the loader's defaults."""
    folder, result = _init(tmp_path, "--name", "Acme Ltd")
    assert result.exit_code == 0, result.output
    path = folder / "scorecard.toml"
    config = load_config(path)
    assert config == replace(_defaults(path, "Acme Ltd"), departments=config.departments)
    assert config.perspectives == DEFAULT_PERSPECTIVES
    assert config.reporting.inbox == folder.resolve() / "inbox"

    (corporate,) = [d for d in config.departments if d.corporate]
    assert corporate.parent is None
    children = [d for d in config.departments if d.parent == corporate.id]
    assert 2 <= len(children) <= 3 and len(children) == len(config.departments) - 1
    assert any(d.weight != 1 for d in children)


def test_every_default_shown_in_a_comment_is_the_real_one(tmp_path: Path) -> None:
    """Switching on every commented-out key (and the perspectives) changes nothing but the
    keys that have no default value to show (date_order, logo, the example [[packs]])."""
    text = config_text("Acme Ltd")
    raw = tomllib.loads(_uncommented(text))
    assert raw["organisation"].pop("date_order") in ("DMY", "MDY")
    assert raw["branding"].pop("logo")
    assert raw.pop("packs")
    path = tmp_path / "scorecard.toml"
    everything = parse_config(raw, path)
    plain = parse_config(tomllib.loads(text), path)
    assert everything == plain
    assert len(raw["perspectives"]) == len(DEFAULT_PERSPECTIVES)


def _section_dataclasses() -> dict[str, type]:
    """Each section of scorecard.toml and the dataclass its keys fill, from Config's fields."""
    sections: dict[str, type] = {}
    for name, hint in typing.get_type_hints(Config).items():
        if name == "path":  # where the file is, not a key in it
            continue
        cls = next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), hint)
        assert dataclasses.is_dataclass(cls), f"Config.{name} is not a section"
        sections[name] = cls
    return sections


def _explained(text: str, key: str) -> bool:
    """A comment explains the key: in its paragraph, or a `#   key   meaning` list line."""
    if re.search(rf"^#\s+{key}\s{{2,}}\S", text, re.MULTILINE):
        return True
    for paragraph in text.split("\n\n"):
        lines = paragraph.splitlines()
        if any(re.match(rf"^(# )?{key} = ", line) for line in lines):
            return any(
                line.startswith("#") and not re.match(r"^# [a-z_]+ = ", line) for line in lines
            )
    return False


def test_every_key_of_every_config_dataclass_is_in_the_file() -> None:
    """A new key in pipeline/config.py must be explained in the starter file too."""
    text = config_text("Acme Ltd")
    keys: dict[str, set[str]] = {"": set()}
    section = ""
    for line in text.splitlines():
        if header := re.match(r"^(?:# )?\[\[?([a-z_]+)\]\]?", line):
            section = header.group(1)
            keys.setdefault(section, set())
        elif key := re.match(r"^(?:# )?([a-z_]+) = ", line):
            keys[section].add(key.group(1))
    sections = _section_dataclasses()
    assert set(sections) == set(keys) - {""}
    for section, cls in sections.items():
        names = {f.name for f in dataclasses.fields(cls)}
        assert names == keys[section], section
        for name in names:
            assert _explained(text, name), f"{section}.{name} has no explanation"
    # Every dataclass of the configuration is one of those sections.
    classes = {
        obj
        for obj in vars(config_module).values()
        if isinstance(obj, type)
        and dataclasses.is_dataclass(obj)
        and obj.__module__ == config_module.__name__
    }
    assert classes == {Config, *sections.values()}


@pytest.mark.parametrize(
    "name",
    ['Ann "Quote" & Co\\', "Back\\slash \"and\" 'both'", "Two\nlines\tand\x00nul", "Ünïcødé 🚀"],
)
def test_a_name_with_quotes_backslashes_or_newlines_round_trips(tmp_path: Path, name: str) -> None:
    folder, result = _init(tmp_path, "--name", name)
    assert result.exit_code == 0, result.output
    assert load_config(folder / "scorecard.toml").organisation.name == name


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_toml_string_reads_back_as_the_same_text(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_an_empty_or_undecodable_name_is_a_usage_error(tmp_path: Path) -> None:
    for name in ("", "   ", "bad\udcffbytes"):
        folder, result = _init(tmp_path, "--name", name)
        assert result.exit_code == 2, name
        assert "--name" in result.output
        assert not folder.exists()


def test_it_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "inbox").mkdir()
    (folder / "inbox" / "FIN-2026-10.xlsx").write_bytes(b"kept")
    path = folder / "scorecard.toml"
    path.write_text("# mine\n", encoding="utf-8")

    _, result = _init(tmp_path, "--name", "Other")
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert not (folder / "reports").exists()  # nothing is done on a refusal

    _, result = _init(tmp_path, "--name", "Other", "--force")
    assert result.exit_code == 0, result.output
    assert load_config(path).organisation.name == "Other"
    assert f"Replaced {path}" in result.stdout
    assert f"{folder / 'inbox'}/ (already there)" in result.stdout
    assert (folder / "inbox" / "FIN-2026-10.xlsx").read_bytes() == b"kept"


def test_without_a_name_the_placeholder_is_used_and_named(tmp_path: Path) -> None:
    folder, result = _init(tmp_path)
    assert result.exit_code == 0, result.output
    assert load_config(folder / "scorecard.toml").organisation.name == "My organisation"
    assert "Set organisation.name too" in result.stdout


def test_a_folder_that_cannot_be_written_is_exit_4(tmp_path: Path) -> None:
    blocked = tmp_path / "acme"
    blocked.mkdir()
    (blocked / "reports").write_text("a file where a folder should be", encoding="utf-8")
    _, result = _init(tmp_path)
    assert result.exit_code == 4, result.output
    assert result.output.strip() == (
        f"Error: cannot write to {blocked.resolve() / 'reports'}: "
        "not a folder (a file of that name is there)"
    )
    assert not (blocked / "scorecard.toml").exists()  # nothing written when a folder is blocked


def test_templates_work_on_the_fresh_organisation(tmp_path: Path) -> None:
    folder, result = _init(tmp_path, "--name", "Acme Ltd")
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        main, ["templates", "--config", str(folder / "scorecard.toml"), "--period", "2026-11"]
    )
    assert result.exit_code == 0, result.output
    assert list((folder / "workbook_templates").rglob("*.xlsx"))
    assert "Warning:" not in result.output


TWO_UNITS = """
[organisation]
name = "Test Org"

[[departments]]
id = "FIN"
name = "Finance"
{corporate}
[[departments]]
id = "OPS"
name = "Operations"
"""


@pytest.mark.parametrize("corporate", [False, True])
def test_no_corporate_unit_is_a_warning_that_says_what_is_lost(
    tmp_path: Path, corporate: bool
) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text(
        TWO_UNITS.format(corporate="corporate = true\n" if corporate else ""), encoding="utf-8"
    )
    (tmp_path / "inbox").mkdir()
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    if corporate:
        assert not warnings
        return
    assert warnings == [f"Warning: {w}" for w in config_warnings(load_config(path))]
    (warning,) = warnings
    assert "Warning:" not in result.stdout  # on stderr only, once
    for lost in ("no corporate strategy map", "cannot link", "cannot contribute"):
        assert lost in warning
    assert "corporate = true" in warning


def test_a_single_department_needs_no_corporate_unit(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text(TWO_UNITS.split("{corporate}")[0].format(), encoding="utf-8")
    config = load_config(path)
    assert config.departments == (Department("FIN", "Finance"),)
    assert config_warnings(config) == []


def test_the_configuration_reference_quotes_the_warning(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text(TWO_UNITS.format(corporate=""), encoding="utf-8")
    (warning,) = config_warnings(load_config(path))
    doc = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(
        encoding="utf-8"
    )
    assert f"    Warning: {warning}\n" in doc
    assert "scorecard init" in doc
