"""Configuration: a valid scorecard.toml loads; every kind of mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import ConfigError, load_config

VALID = """
[organisation]
name = "Northwind Components"
fiscal_year_start = 4
currency = "EUR"

[reporting]
inbox = "drop"

[[departments]]
id = "CORP"
name = "Group strategy office"
corporate = true

[[departments]]
id = "FIN"
name = "Finance"
parent = "CORP"

[scoring]
amber_tolerance = 0.05

[branding]
primary_colour = "#1f3a5f"
classification = "Board confidential"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scorecard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    return str(info.value)


def test_valid_config_loads_with_paths_relative_to_the_file(tmp_path):
    """Values are typed, defaults filled, and paths resolved beside the config file."""
    config = load_config(_write(tmp_path, VALID))
    assert config.organisation.fiscal_year_start == 4
    assert config.reporting.inbox == tmp_path / "drop"
    assert config.reporting.output == tmp_path / "reports"
    assert config.department_ids == ("CORP", "FIN")
    assert config.department("FIN").parent == "CORP"
    assert config.scoring.amber_tolerance == 0.05
    assert config.scoring.rollup_green_at == 0.90
    assert config.branding.page_size == "A4"


def test_unknown_key_is_named(tmp_path):
    """A typo such as `amber_tolerence` names the key and lists the allowed ones."""
    message = _error(tmp_path, VALID.replace("amber_tolerance", "amber_tolerence"))
    assert "unknown key scoring.amber_tolerence" in message
    assert "amber_tolerance" in message.split("allowed:")[1]


def test_unknown_table_is_named(tmp_path):
    """An unknown top-level table is an error."""
    assert "unknown key colours" in _error(tmp_path, VALID + "\n[colours]\nx = 1\n")


def test_no_departments(tmp_path):
    """A config with no [[departments]] says so."""
    text = VALID.split("[[departments]]")[0] + "[scoring]\n"
    assert "no [[departments]]" in _error(tmp_path, text)


def test_duplicate_department_id(tmp_path):
    """Two departments with one ID name the second one."""
    text = VALID.replace('id = "FIN"', 'id = "CORP"')
    assert _error(tmp_path, text) == (
        "scorecard.toml: departments[2].id 'CORP' is a duplicate department ID"
    )


def test_bad_colour(tmp_path):
    """A colour that is not #rrggbb names the key and the value."""
    message = _error(tmp_path, VALID.replace('"#1f3a5f"', '"navy"'))
    assert message == (
        "scorecard.toml: branding.primary_colour must be a colour like #1f3a5f, got 'navy'"
    )


def test_parent_that_does_not_exist(tmp_path):
    """A parent ID that is no department is named."""
    message = _error(tmp_path, VALID.replace('parent = "CORP"', 'parent = "HQ"'))
    assert message == "scorecard.toml: departments[2].parent 'HQ' is not a department ID"


def test_parent_cycle(tmp_path):
    """Parents that loop are shown as the cycle."""
    text = VALID.replace("corporate = true", 'corporate = true\nparent = "FIN"')
    assert "parent links make a cycle: CORP -> FIN -> CORP" in _error(tmp_path, text)


def test_fiscal_year_start_out_of_range(tmp_path):
    """fiscal_year_start must be a month number."""
    message = _error(tmp_path, VALID.replace("fiscal_year_start = 4", "fiscal_year_start = 13"))
    assert "organisation.fiscal_year_start must be a month number 1-12, got 13" in message


def test_threshold_outside_zero_to_one(tmp_path):
    """Scoring thresholds are fractions."""
    message = _error(tmp_path, VALID.replace("amber_tolerance = 0.05", "amber_tolerance = 10"))
    assert "scoring.amber_tolerance must be a number between 0 and 1, got 10" in message


def test_missing_department_name(tmp_path):
    """A department without a name names the missing key."""
    text = VALID.replace('name = "Finance"\n', "")
    assert "departments[2] is missing required key(s): departments[2].name" in _error(
        tmp_path, text
    )


def test_not_toml(tmp_path):
    """A file that is not TOML says so, with the parser's reason."""
    assert "not valid TOML" in _error(tmp_path, "[organisation\nname = 1")


def test_cli_config_error_exits_2_with_the_message(tmp_path):
    """Every command turns a config error into exit code 2 and the message."""
    path = _write(tmp_path, VALID.replace('"#1f3a5f"', '"navy"'))
    result = CliRunner().invoke(main, ["validate", "--config", str(path)])
    assert result.exit_code == 2
    assert "branding.primary_colour must be a colour like #1f3a5f" in result.output
    missing = CliRunner().invoke(main, ["validate", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2
    assert "configuration file not found" in missing.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "corporate = true",
            'corporate = "yes"',
            "departments[1].corporate must be true or false, got 'yes'",
        ),
        (
            'currency = "EUR"',
            "currency = 978",
            "organisation.currency must be text in quotes, got 978",
        ),
        ('parent = "CORP"', "parent = 1", "departments[2].parent must be text in quotes, got 1"),
        (
            "amber_tolerance = 0.05",
            "amber_tolerance = true",
            "scoring.amber_tolerance must be a number, got True",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named(tmp_path, old, new, message):
    """A mistyped value is a configuration error naming the key, never a traceback."""
    assert _error(tmp_path, VALID.replace(old, new)) == f"scorecard.toml: {message}"
