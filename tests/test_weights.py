"""Department weights from scorecard.toml, hand-computed through the parent tree."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.score import score
from tests.frames import make_config
from tests.test_score import _tree_fixture

approx = pytest.approx


def _config(sales_weight: float):
    config = make_config([("CORP", None, True), ("SALES", "CORP", False)])
    departments = tuple(
        replace(d, weight=sales_weight) if d.id == "SALES" else d for d in config.departments
    )
    return replace(config, departments=departments)


def test_a_child_weighs_its_configured_weight_in_its_parent():
    """CORP own 0.25 (weight 1), SALES 0.5625 at weight 3: (0.25 + 0.5625 x 3) / 4 = 0.484375."""
    s = score(_tree_fixture(), _config(3))
    d = s.departments.set_index("department_id")
    assert d.loc["CORP", "score"] == approx((0.25 + 0.5625 * 3) / 4)
    assert d.loc["CORP", "formula"] == "(CORP own 0.250×1 + SALES 0.563×3) / 4 = 0.484"
    assert s.organisation.iloc[0]["score"] == approx(0.484375)


def test_weight_zero_shows_a_unit_without_counting_it():
    """SALES at weight 0: CORP's score is its own scorecard alone; SALES is still scored."""
    s = score(_tree_fixture(), _config(0))
    d = s.departments.set_index("department_id")
    assert d.loc["CORP", "score"] == approx(0.25)
    assert d.loc["SALES", "score"] == approx(0.5625)


def test_default_weight_one_keeps_the_equal_mean():
    """Without a weight the roll-up is the plain mean, as before: (0.25 + 0.5625) / 2."""
    s = score(_tree_fixture(), _config(1))
    assert s.departments.set_index("department_id").loc["CORP", "score"] == approx(0.40625)


def test_the_calculation_appendix_has_a_row_for_every_own_score():
    """SALES's own scorecard: (Financial 0.625 + Customer 0.500) / 2 = 0.5625, shown 0.563
    (half up); CORP-F1 says which of its two scores the perspective uses."""
    calc = score(_tree_fixture(), _config(1)).calculations
    own = calc[calc["level"] == "department-own"].set_index("department_id")
    assert own.loc["SALES", "formula"] == "(Financial 0.625 + Customer 0.500) / 2 = 0.563"
    assert own.loc["SALES", "score"] == approx(0.5625)
    assert own.loc["SALES", "status"] == "Red"
    f1 = calc[(calc["level"] == "objective") & (calc["id"] == "CORP-F1")].iloc[0]
    assert f1["formula"].startswith("(C1 0.250×1 + SALES-O1 0.625×2) / 3 = 0.500; with ")
    assert "Its own KPIs alone: (C1 0.250) / 1 = 0.250, the score its department's" in f1["formula"]


def test_the_organisation_score_states_its_coverage():
    """FIN sent nothing: 2 of 3 units, 67 % of their weight, FIN named; never silent."""
    from tests.frames import make_config as frames_config

    v = _tree_fixture()
    v.missing = ("FIN",)
    cfg = frames_config([("CORP", None, True), ("SALES", "CORP", False), ("FIN", "CORP", False)])
    s = score(v, cfg)
    assert s.organisation.iloc[0]["coverage"] == (
        "2 of 3 units (67% of their weight); no data from Dept FIN"
    )
    org = s.calculations[s.calculations["level"] == "organisation"].iloc[0]
    assert org["formula"].endswith(
        "; covers 2 of 3 units (67% of their weight); no data from Dept FIN"
    )


def test_perspective_tiles_roll_up_through_the_tree_like_the_organisation_score():
    """ORG Financial = CORP's tree: (CORP own 0.25 x1 + SALES 0.625 x3) / 4 = 0.53125."""
    s = score(_tree_fixture(), _config(3))
    p = s.perspectives.set_index(["department_id", "perspective"])
    assert p.loc[("ORG", "Financial"), "score"] == approx((0.25 + 0.625 * 3) / 4)
    assert p.loc[("ORG", "Customer"), "score"] == approx(0.5)  # SALES alone: CORP has none
