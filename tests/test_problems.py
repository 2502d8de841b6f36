"""The problem catalogue: every code renders a whole message from named placeholders."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from pipeline.problems import CATALOGUE, COMMON_FIELDS, Problem, cell_ref, problem

# A distinct sample per placeholder, so a message that printed one twice would show it.
SAMPLE = {
    "sheet": "KPIs",
    "column": "Target",
    "value": "forty",
    "department": "FIN",
}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_renders_with_every_placeholder_filled(code: str) -> None:
    """Each code's own fields are required; the message has no empty slot, no doubled sheet."""
    kind = CATALOGUE[code]
    fields = {name: f"<{name}>" for name in kind.fields}
    made = problem(code, "FIN.xlsx", cell="H7", **SAMPLE, **fields)
    assert "{" not in made.message and "}" not in made.message
    assert "  " not in made.message and "''" not in made.message
    assert not re.search(r"\s[,;:]|\s\.(\s|$)", made.message), made.message
    assert "{" not in made.hint and "}" not in made.hint
    for name in fields:
        assert f"<{name}>" in made.message + made.hint
    assert made.message.count("KPIs") <= 1, made.message
    assert made.cell == "KPIs!H7"
    assert made.hint and made.severity in ("error", "warning")


@pytest.mark.parametrize("code", sorted(c for c in CATALOGUE if CATALOGUE[c].fields))
def test_a_missing_field_is_a_programming_error_not_a_half_message(code: str) -> None:
    """Leaving out a code's own placeholder raises, so a call site cannot print a blank."""
    with pytest.raises(TypeError, match=code):
        problem(code, "FIN.xlsx", **SAMPLE)


def test_unknown_fields_are_refused() -> None:
    """A field the message does not use is a typo at the call site."""
    with pytest.raises(TypeError, match="required-value"):
        problem("required-value", "FIN.xlsx", column="Target", detail="x")


def test_sheet_too_large_names_the_sheet_once() -> None:
    """The message that used to print 'Sheet  has KPIs: 6000 rows' reads properly."""
    made = problem(
        "sheet-too-large", "FIN.xlsx", sheet="KPIs", rows=6000, columns=40, limit="5000 x 200"
    )
    assert made.message == "Sheet KPIs has 6000 rows x 40 columns, over the limit of 5000 x 200."


def test_cell_reference_is_built_in_one_place() -> None:
    """cell_ref qualifies a bare cell with its sheet and leaves a full reference alone."""
    assert cell_ref("KPIs", "H7") == "KPIs!H7"
    assert cell_ref("KPIs", "Objectives!B3") == "Objectives!B3"
    assert cell_ref("KPIs", "") == ""
    assert cell_ref("", "H7") == "H7"


def test_common_fields_are_problem_attributes() -> None:
    """The shared placeholders are Problem fields, so every message can quote them."""
    assert COMMON_FIELDS.issubset(f.name for f in fields(Problem))


def test_every_code_raised_in_the_pipeline_is_in_the_catalogue() -> None:
    """A code typed at a call site but missing from the catalogue would crash at run time."""
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in Path("pipeline").rglob("*.py")
        if p.name != "problems.py"
    )
    raised = set(re.findall(r'problem\(\s*"([a-z-]+)"', source))
    raised |= set(re.findall(r'UnreadableWorkbook\(\s*"([a-z-]+)"', source))
    assert raised, "found no call sites: the pattern is stale"
    assert raised <= set(CATALOGUE), raised - set(CATALOGUE)
