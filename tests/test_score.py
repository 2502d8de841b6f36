"""Scoring: every formula by hand, the roll-ups, OKRs, and the SaaS retention seed example."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import Scoring
from pipeline.formulas import (
    evaluate_kpi,
    expected_progress,
    kpi_status,
    kr_progress,
    okr_grade,
    roll_up,
    rollup_status,
    ytd_actual,
)
from pipeline.score import score
from tests.frames import NaN, make_config, make_validated, seed_rows

approx = pytest.approx


def kpi_score(actual, target, *, direction="Higher is better", red=NaN, target_max=NaN, tol=0.1):
    """Score a Last KPI whose reporting month (month 1) holds `actual`."""
    return evaluate_kpi(
        values=[actual],
        month_index=1,
        direction=direction,
        aggregation="Last",
        target=target,
        target_max=target_max,
        red_threshold=red,
        tolerance=tol,
    ).score


# --- Higher / Lower is better ---------------------------------------------------------------


def test_higher_is_better_between_red_and_target_is_linear():
    """Target 100, red 80, actual 90: (90 - 80) / (100 - 80) = 0.5, Amber."""
    assert kpi_score(90, 100, red=80) == approx(0.5)
    assert kpi_status(0.5) == "Amber"


def test_actual_exactly_at_red_scores_zero_and_is_red():
    """Actual = red threshold 80: score 0, status Red."""
    assert kpi_score(80, 100, red=80) == 0.0
    assert kpi_status(kpi_score(80, 100, red=80)) == "Red"


def test_actual_beyond_red_is_clamped_to_zero():
    """Actual 50 with red 80: (50 - 80) / 20 = -1.5, clamped to 0."""
    assert kpi_score(50, 100, red=80) == 0.0


def test_actual_exactly_at_target_scores_one_and_is_green():
    """Actual = target 100: score 1, Green; above target stays 1."""
    assert kpi_score(100, 100, red=80) == 1.0
    assert kpi_status(1.0) == "Green"
    assert kpi_score(130, 100, red=80) == 1.0


def test_target_equal_to_red_is_pass_or_fail():
    """Target = red = 100: 1 when met (>= for higher, <= for lower), else 0."""
    assert kpi_score(100, 100, red=100) == 1.0
    assert kpi_score(99.9, 100, red=100) == 0.0
    assert kpi_score(100, 100, red=100, direction="Lower is better") == 1.0
    assert kpi_score(100.1, 100, red=100, direction="Lower is better") == 0.0


def test_lower_is_better_uses_the_same_formula():
    """Target 5, red 10, actual 7.5: (7.5 - 10) / (5 - 10) = 0.5."""
    assert kpi_score(7.5, 5, red=10, direction="Lower is better") == approx(0.5)


def test_lower_is_better_with_actual_zero_is_green():
    """Target 5, red 10, actual 0: (0 - 10) / (5 - 10) = 2, clamped to 1 (zero defects)."""
    assert kpi_score(0, 5, red=10, direction="Lower is better") == 1.0


def test_default_red_is_target_minus_or_plus_tolerance():
    """No threshold, tol 10%: target 200 -> red 180 (higher) / 220 (lower)."""
    higher = evaluate_kpi(
        values=[190], month_index=1, direction="Higher is better", aggregation="Last", target=200
    )
    assert higher.red == approx(180)
    assert higher.score == approx(0.5)  # (190 - 180) / (200 - 180)
    lower = evaluate_kpi(
        values=[210], month_index=1, direction="Lower is better", aggregation="Last", target=200
    )
    assert lower.red == approx(220)
    assert lower.score == approx(0.5)  # (210 - 220) / (200 - 220)


def test_default_red_stays_on_the_right_side_of_a_negative_target():
    """Higher is better, target -50: red = -50 - 0.1 x 50 = -55 (below the target)."""
    result = evaluate_kpi(
        values=[-52.5], month_index=1, direction="Higher is better", aggregation="Last", target=-50
    )
    assert result.red == approx(-55)
    assert result.score == approx(0.5)  # (-52.5 + 55) / (-50 + 55)


def test_configured_tolerance_changes_the_default_red():
    """tol 20%: target 100 -> red 80, actual 90 -> 0.5."""
    assert kpi_score(90, 100, tol=0.2) == approx(0.5)


def test_variance_is_actual_minus_target_ytd():
    """Actual 90, target 100: variance -10, variance % -10%."""
    result = evaluate_kpi(
        values=[90], month_index=1, direction="Higher is better", aggregation="Last", target=100
    )
    assert (result.variance, result.variance_pct) == (approx(-10), approx(-0.1))


# --- Within range ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (15, 1.0),  # inside
        (10, 1.0),  # on the lower bound
        (20, 1.0),  # on the upper bound
        (9.5, 0.5),  # below: red distance 0.1 x 10 = 1; 1 - 0.5 / 1
        (9, 0.0),  # below, at the red distance
        (21, 0.5),  # above: red distance 0.1 x 20 = 2; 1 - 1 / 2
        (22, 0.0),  # above, at the red distance
        (25, 0.0),  # far above
    ],
)
def test_within_range_without_threshold(actual, expected):
    """Range [10, 20], tol 10%: 1 inside, linear to 0 at tol x |missed bound| outside."""
    assert kpi_score(actual, 10, direction="Within range", target_max=20) == approx(expected)


@pytest.mark.parametrize(("actual", "expected"), [(8, 0.5), (6, 0.0), (22, 0.5), (15, 1.0)])
def test_within_range_with_threshold_uses_its_distance_to_the_nearer_bound(actual, expected):
    """Range [10, 20], red 6: red distance min(|6-10|, |6-20|) = 4 on both sides."""
    got = kpi_score(actual, 10, direction="Within range", target_max=20, red=6)
    assert got == approx(expected)


def test_within_range_from_zero_uses_the_range_width():
    """Range [0, 10], actual -0.5: bound 0 -> red distance 0.1 x 10 = 1; 1 - 0.5 = 0.5."""
    assert kpi_score(-0.5, 0, direction="Within range", target_max=10) == approx(0.5)


def test_within_range_variance_is_distance_outside_the_range():
    """Range [10, 20]: actual 21 -> variance +1 (vs 20); actual 15 -> 0."""
    kw = {"month_index": 1, "direction": "Within range", "aggregation": "Last", "target": 10}
    assert evaluate_kpi(values=[21], target_max=20, **kw).variance == approx(1)
    assert evaluate_kpi(values=[15], target_max=20, **kw).variance == 0
    assert evaluate_kpi(values=[21], target_max=20, **kw).red_high == approx(22)


# --- aggregation and phasing ----------------------------------------------------------------


def test_sum_target_is_phased_in_month_one():
    """Full-year target 1200, month 1: target YTD 1200 x 1/12 = 100; actual 100 is Green."""
    result = evaluate_kpi(
        values=[100], month_index=1, direction="Higher is better", aggregation="Sum", target=1200
    )
    assert result.target_ytd == approx(100)
    assert result.red == approx(90)  # 1080 x 1/12
    assert result.score == 1.0


def test_sum_target_in_month_twelve_is_the_full_target():
    """Month 12: twelve months of 100 sum to 1200 = target 1200: score exactly 1."""
    result = evaluate_kpi(
        values=[100] * 12, month_index=12, direction="Higher is better", aggregation="Sum",
        target=1200,
    )  # fmt: skip
    assert (result.actual, result.target_ytd, result.score) == (1200, 1200, 1.0)


def test_sum_red_is_phased_like_the_target():
    """Month 6: actual 570, target 600, red 1080 x 6/12 = 540 -> (570 - 540) / 60 = 0.5."""
    result = evaluate_kpi(
        values=[95] * 6, month_index=6, direction="Higher is better", aggregation="Sum",
        target=1200,
    )  # fmt: skip
    assert (result.actual, result.red) == (approx(570), approx(540))
    assert result.score == approx(0.5)


def test_sum_of_tenths_that_meets_the_target_is_green_not_amber():
    """0.1 x 12 months = 1.2 = target 1.2; float noise must not make it Amber."""
    result = evaluate_kpi(
        values=[0.1] * 12, month_index=12, direction="Higher is better", aggregation="Sum",
        target=1.2,
    )  # fmt: skip
    assert kpi_status(result.score) == "Green"


def test_last_with_gaps_takes_the_reporting_month():
    """Last over [10, blank, 12] in month 3 = 12."""
    assert ytd_actual([10, NaN, 12], 3, "Last") == 12


def test_last_with_blank_reporting_month_is_no_data():
    """Last over [10, 12, blank] in month 3 = No data (not the stale 12)."""
    assert math.isnan(ytd_actual([10, 12, NaN], 3, "Last"))


def test_average_and_sum_skip_blank_months():
    """[10, blank, 14] in month 3: Average 12, Sum 24 (a blank is not zero)."""
    assert ytd_actual([10, NaN, 14], 3, "Average") == 12
    assert ytd_actual([10, NaN, 14], 3, "Sum") == 24


def test_months_after_the_period_are_ignored():
    """Sum in month 2 over [1, 2, 99] = 3."""
    assert ytd_actual([1, 2, 99], 2, "Sum") == 3


def test_missing_month_gives_no_data_status():
    """A blank reporting month: score NaN, status No data."""
    result = evaluate_kpi(
        values=[100, NaN], month_index=2, direction="Higher is better", aggregation="Sum",
        target=1200,
    )  # fmt: skip
    assert math.isnan(result.score)
    assert kpi_status(result.score) == "No data"


# --- KPI frame: history, trend, red months --------------------------------------------------


def test_kpi_frame_counts_red_months_and_trend():
    """Target 100 red 80; Jan-Apr 70, 90, 75, 70 -> Red, Amber, Red, Red: 2 red months."""
    v = make_validated(
        "2026-04",
        objectives=[{"department_id": "OPS", "objective_id": "O1", "perspective": "Financial"}],
        kpis=[
            {
                "department_id": "OPS",
                "kpi_id": "K1",
                "objective_id": "O1",
                "target": 100,
                "red_threshold": 80,
                "actuals": [70, 90, 75, 70],
            }
        ],
    )
    k = score(v, make_config([("OPS", None, False)])).kpis.iloc[0]
    assert (k["status"], k["red_months"], k["prev_status"]) == ("Red", 2, "Red")
    assert (k["trend"], k["months_reported"], k["prev_actual"]) == ("flat", 4, 75)
    assert k["series"][:5] == (70, 90, 75, 70, None)


def test_trend_up_down_new():
    """Scores 0.5 -> 1 is up, 1 -> 0.5 down, none -> 0.5 new, first fiscal month new."""
    rows = [
        ("UP", [90, 100]),
        ("DOWN", [100, 90]),
        ("NEW", [None, 90]),
    ]
    v = make_validated(
        "2026-02",
        kpis=[
            {"department_id": "OPS", "kpi_id": k, "target": 100, "red_threshold": 80, "actuals": a}
            for k, a in rows
        ],
    )
    kpis = score(v, make_config([("OPS", None, False)])).kpis.set_index("kpi_id")
    assert list(kpis["trend"]) == ["up", "down", "new"]


def test_fiscal_year_not_starting_in_january_phases_by_fiscal_month():
    """Fiscal year from April, period 2026-05 is fiscal month 2: target 1200 -> 200 YTD."""
    v = make_validated(
        "2026-05",
        fiscal_year_start=4,
        kpis=[
            {
                "department_id": "OPS",
                "kpi_id": "K1",
                "aggregation": "Sum",
                "target": 1200,
                "actuals": {"2026-04": 100, "2026-05": 100},
            }
        ],
    )
    k = score(v, make_config([("OPS", None, False)], fiscal_year_start=4)).kpis.iloc[0]
    assert (k["target_ytd"], k["actual"], k["score"]) == (approx(200), 200, 1.0)


# --- roll-ups -------------------------------------------------------------------------------


def test_roll_up_is_a_weighted_mean_with_no_data_excluded_and_counted():
    """K1 1.0 w2, K2 0.5 w1, K3 no data: (1.0 x 2 + 0.5 x 1) / 3 = 0.833."""
    r = roll_up([("K1", 1.0, 2), ("K2", 0.5, 1), ("K3", NaN, 1)])
    assert r.score == approx(2.5 / 3)
    assert (r.scored, r.no_data) == (2, 1)
    assert r.formula == "(K1 1.000×2 + K2 0.500×1) / 3 = 0.833; no data: K3"


def test_roll_up_with_equal_weights_shows_a_plain_mean():
    """0.8 and 0.6, weight 1 each: (0.8 + 0.6) / 2 = 0.7."""
    r = roll_up([("A", 0.8, 1), ("B", 0.6, 1)])
    assert r.formula == "(A 0.800 + B 0.600) / 2 = 0.700"


def test_roll_up_of_nothing_or_only_weight_zero_is_no_data():
    """No inputs, or only weight-0 inputs: No data."""
    assert math.isnan(roll_up([]).score)
    assert math.isnan(roll_up([("A", 1.0, 0)]).score)
    assert roll_up([("A", 1.0, 0), ("B", 0.5, 1)]).score == 0.5


def test_rollup_status_thresholds():
    """Defaults: Green >= 0.90, Amber >= 0.60, else Red."""
    s = Scoring()
    assert [rollup_status(x, s) for x in (0.9, 0.6, 0.5999, NaN)] == [
        "Green",
        "Amber",
        "Red",
        "No data",
    ]


def _tree_fixture(period="2026-03"):
    """CORP (corporate) <- SALES; CORP-F1 has KPI C1 and SALES-O1 contributes to it."""
    objectives = [
        {
            "department_id": "CORP",
            "objective_id": "CORP-F1",
            "perspective": "Financial",
            "corporate": True,
        },
        {
            "department_id": "SALES",
            "objective_id": "SALES-O1",
            "perspective": "Financial",
            "contributes_to": "CORP-F1",
            "weight": 2,
        },
        {
            "department_id": "SALES",
            "objective_id": "SALES-O2",
            "perspective": "Customer",
            "contributes_to": "SALES-O1",
        },
    ]
    # Target 100, red 80: 100 -> 1.0, 90 -> 0.5, 85 -> 0.25
    kpis = [
        {"department_id": "CORP", "kpi_id": "C1", "objective_id": "CORP-F1", "target": 100,
         "red_threshold": 80, "actuals": [85, 85, 85]},
        {"department_id": "SALES", "kpi_id": "S1", "objective_id": "SALES-O1", "target": 100,
         "red_threshold": 80, "actuals": [90, 90, 100]},
        {"department_id": "SALES", "kpi_id": "S2", "objective_id": "SALES-O1", "target": 100,
         "red_threshold": 80, "actuals": [90, 90, 90], "weight": 3},
        {"department_id": "SALES", "kpi_id": "S3", "objective_id": "SALES-O2",
         "perspective": "Customer", "target": 100, "red_threshold": 80, "actuals": [90, 90, 90]},
    ]  # fmt: skip
    return make_validated(period, objectives=objectives, kpis=kpis)


def test_corporate_objective_includes_contributing_objectives_at_their_weight():
    """SALES-O1 = (1.0 + 0.5 x 3) / 4 = 0.625; CORP-F1 = (0.25 x 1 + 0.625 x 2) / 3 = 0.5."""
    s = score(_tree_fixture(), make_config([("CORP", None, True), ("SALES", "CORP", False)]))
    o = s.objectives.set_index("objective_id")
    assert o.loc["SALES-O1", "score"] == approx(0.625)
    assert o.loc["CORP-F1", "own_score"] == approx(0.25)
    assert o.loc["CORP-F1", "score"] == approx(0.5)
    assert o.loc["CORP-F1", "contributors"] == ("SALES-O1",)
    assert o.loc["CORP-F1", "formula"] == "(C1 0.250×1 + SALES-O1 0.625×2) / 3 = 0.500"
    # a link inside one scorecard is cause and effect only: it does not feed the score
    assert o.loc["SALES-O1", "drivers"] == ("SALES-O2",)
    assert o.loc["SALES-O1", "contributors"] == ()


def test_department_tree_rolls_own_score_and_children():
    """SALES own = (Customer 0.5 + Financial 0.625) / 2 = 0.5625; CORP = (0.25 + 0.5625) / 2."""
    s = score(_tree_fixture(), make_config([("CORP", None, True), ("SALES", "CORP", False)]))
    d = s.departments.set_index("department_id")
    assert d.loc["SALES", "own_score"] == approx(0.5625)
    assert d.loc["SALES", "score"] == approx(0.5625)
    # CORP's own Financial perspective uses CORP-F1's own score 0.25 (SALES counts once)
    assert d.loc["CORP", "own_score"] == approx(0.25)
    assert d.loc["CORP", "score"] == approx((0.25 + 0.5625) / 2)
    assert s.organisation.iloc[0]["score"] == approx(0.40625)
    assert s.organisation.iloc[0]["status"] == "Red"


def test_org_perspective_is_the_mean_of_department_perspectives():
    """ORG Financial = (CORP 0.25 + SALES 0.625) / 2 = 0.4375; ORG Customer = SALES 0.5."""
    s = score(_tree_fixture(), make_config([("CORP", None, True), ("SALES", "CORP", False)]))
    p = s.perspectives.set_index(["department_id", "perspective"])
    assert p.loc[("ORG", "Financial"), "score"] == approx(0.4375)
    assert p.loc[("ORG", "Customer"), "score"] == approx(0.5)
    assert math.isnan(p.loc[("ORG", "Learning & Growth"), "score"])


def test_roll_up_trend_uses_last_month():
    """SALES-O1 in Feb: S1 0.5, S2 0.5 -> 0.5; in Mar 0.625: trend up."""
    s = score(_tree_fixture(), make_config([("CORP", None, True), ("SALES", "CORP", False)]))
    o = s.objectives.set_index("objective_id")
    assert (o.loc["SALES-O1", "prev_score"], o.loc["SALES-O1", "trend"]) == (approx(0.5), "up")


def test_missing_department_counts_as_no_data_in_its_parent():
    """FIN sent nothing: CORP = SALES... plus FIN no data, named in the formula."""
    v = _tree_fixture()
    v.missing = ("FIN",)
    cfg = make_config([("CORP", None, True), ("SALES", "CORP", False), ("FIN", "CORP", False)])
    d = score(v, cfg).departments.set_index("department_id")
    assert d.loc["FIN", "status"] == "No data"
    assert not d.loc["FIN", "submitted"]
    assert d.loc["CORP", "formula"].endswith("; no data: FIN")
    assert d.loc["CORP", "score"] == approx((0.25 + 0.5625) / 2)


def test_calculations_list_every_roll_up():
    """The appendix has objective, perspective, department and organisation rows."""
    s = score(_tree_fixture(), make_config([("CORP", None, True), ("SALES", "CORP", False)]))
    levels = set(s.calculations["level"])
    assert {"objective", "perspective", "department", "organisation"} <= levels
    org = s.calculations[s.calculations["level"] == "organisation"].iloc[0]
    assert org["formula"] == (
        "(CORP 0.406) / 1 = 0.406; covers 2 of 2 units (100% of their weight)"
    )


# --- OKRs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kr_type", "baseline", "target", "current", "expected"),
    [
        ("Increase to", 42, 55, 50, 8 / 13),
        ("Increase to", 42, 55, 60, 1.0),  # overshoot clamps
        ("Increase to", 42, 55, 40, 0.0),  # moved the wrong way
        ("Decrease to", 0.042, 0.028, 0.035, 0.5),
        ("Decrease to", 0.042, 0.028, 0.045, 0.0),  # wrong way
        ("Increase to", 50, 50, 50, 1.0),  # baseline = target, met
        ("Increase to", 50, 50, 49, 0.0),  # baseline = target, not met
        ("Decrease to", 50, 50, 51, 0.0),
        ("Stay at or above", NaN, 0.95, 0.96, 1.0),
        ("Stay at or above", NaN, 0.95, 0.76, 0.0),  # breached: a limit, not a distance
        ("Stay at or below", NaN, 10, 12.5, 0.0),  # breached
        ("Stay at or below", NaN, 10, 9, 1.0),
        ("Milestone", NaN, 1, 1, 1.0),
        ("Milestone", NaN, 1, 0.5, 0.0),
    ],
)
def test_kr_progress(kr_type, baseline, target, current, expected):
    """KR progress by type, computed by hand in the parameters."""
    assert kr_progress(kr_type, baseline, target, current) == approx(expected)


def test_kr_without_baseline_or_current_has_no_progress():
    """Increase to with no baseline, or no current at all: NaN, never a guess."""
    assert math.isnan(kr_progress("Increase to", NaN, 55, 50))
    assert math.isnan(kr_progress("Increase to", 42, 55, NaN))


def test_expected_progress_is_share_of_quarter_elapsed():
    """2026-11-30 in Q4 (92 days): 61 days elapsed -> 61/92; past quarter 1; future 0."""
    from datetime import date

    assert expected_progress("2026-Q4", date(2026, 11, 30)) == approx(61 / 92)
    assert expected_progress("2026-Q3", date(2026, 11, 30)) == 1.0
    assert expected_progress("2027-Q1", date(2026, 11, 30)) == 0.0


def test_okr_grade_thresholds():
    """Defaults: green >= 0.7, amber >= 0.4, else red."""
    s = Scoring()
    assert [okr_grade(x, s) for x in (0.7, 0.4, 0.39)] == ["Green", "Amber", "Red"]


def test_checkins_override_current_and_future_ones_are_ignored():
    """Check-ins Oct 45 (conf 6), Nov 49 (conf 7), Dec 55: current 49 in Nov, change +1."""
    v = make_validated(
        "2026-11",
        key_results=[
            {
                "department_id": "CS",
                "okr_objective_id": "CS-OKR1",
                "kr_id": "KR1",
                "type": "Increase to",
                "baseline": 42,
                "target": 55,
                "current": 44,
                "confidence": 5,
                "quarter": "2026-Q4",
            },
        ],  # fmt: skip
        checkins=[
            {
                "department_id": "CS",
                "kr_id": "KR1",
                "date": "2026-11-20",
                "value": 49,
                "confidence": 7,
            },
            {
                "department_id": "CS",
                "kr_id": "KR1",
                "date": "2026-10-15",
                "value": 45,
                "confidence": 6,
            },
            {
                "department_id": "CS",
                "kr_id": "KR1",
                "date": "2026-12-03",
                "value": 55,
                "confidence": 9,
            },
        ],  # fmt: skip
    )
    kr = score(v, make_config([("CS", None, False)])).key_results.iloc[0]
    assert (kr["current"], kr["current_source"]) == (49, "check-in")
    assert (kr["confidence"], kr["confidence_change"]) == (7, 1)
    assert kr["progress"] == approx(7 / 13)
    assert kr["days_since_checkin"] == 10
    assert kr["checkins"] == (("2026-10-15", 45, 6), ("2026-11-20", 49, 7))


def test_okr_objective_is_weighted_mean_of_krs():
    """KR1 1.0 w3, KR2 0.0 w1: (1.0 x 3 + 0 x 1) / 4 = 0.75, graded Green."""
    v = make_validated(
        "2026-11",
        key_results=[
            {
                "department_id": "CS",
                "okr_objective_id": "O",
                "kr_id": "KR1",
                "type": "Milestone",
                "target": 1,
                "current": 1,
                "quarter": "2026-Q4",
                "weight": 3,
            },
            {
                "department_id": "CS",
                "okr_objective_id": "O",
                "kr_id": "KR2",
                "type": "Milestone",
                "target": 1,
                "current": 0,
                "quarter": "2026-Q4",
            },
        ],  # fmt: skip
    )
    o = score(v, make_config([("CS", None, False)])).okr_objectives.iloc[0]
    assert (o["score"], o["grade"], o["krs"]) == (approx(0.75), "Green", 2)


# --- properties -----------------------------------------------------------------------------

scores = st.floats(min_value=0, max_value=1, allow_nan=False)
weights = st.floats(min_value=0.01, max_value=100, allow_nan=False)
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(s=scores, ws=st.lists(weights, min_size=1, max_size=8))
def test_roll_up_of_equal_scores_is_that_score(s, ws):
    """Whatever the weights, a roll-up of equal scores equals that score."""
    assert roll_up([(f"X{i}", s, w) for i, w in enumerate(ws)]).score == s


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(scores, weights), min_size=1, max_size=8))
def test_roll_up_lies_between_its_inputs(items):
    """A weighted mean is never below the lowest or above the highest input."""
    r = roll_up([(f"X{i}", s, w) for i, (s, w) in enumerate(items)]).score
    lo, hi = min(s for s, _ in items), max(s for s, _ in items)
    assert lo - 1e-12 <= r <= hi + 1e-12


@settings(max_examples=100, deadline=None)
@given(
    actual=values,
    target=values,
    spread=st.floats(min_value=0, max_value=1e5, allow_nan=False),
    red=st.one_of(st.just(NaN), values),
    direction=st.sampled_from(["Higher is better", "Lower is better", "Within range"]),
    aggregation=st.sampled_from(["Last", "Sum", "Average"]),
    month=st.integers(min_value=1, max_value=12),
)
def test_every_kpi_score_is_in_zero_one(actual, target, spread, red, direction, aggregation, month):
    """Any numbers, any direction and aggregation: the score is in [0, 1]."""
    result = evaluate_kpi(
        values=[actual] * month,
        month_index=month,
        direction=direction,
        aggregation=aggregation,
        target=target,
        target_max=target + spread,
        red_threshold=red,
    )
    assert 0.0 <= result.score <= 1.0


@settings(max_examples=100, deadline=None)
@given(
    kr_type=st.sampled_from(
        ["Increase to", "Decrease to", "Stay at or above", "Stay at or below", "Milestone"]
    ),
    baseline=values,
    target=values,
    current=values,
)
def test_every_kr_progress_is_in_zero_one(kr_type, baseline, target, current):
    """Any numbers, any type: KR progress is in [0, 1]."""
    assert 0.0 <= kr_progress(kr_type, baseline, target, current) <= 1.0


# --- the seed example: SaaS customer retention ----------------------------------------------


@pytest.fixture
def saas():
    """Customer Success at a SaaS company, November 2026: 8 KPIs, one OKR with three KRs."""
    v = make_validated("2026-11", **seed_rows())
    return score(v, make_config([("CS", None, False)]))


def test_saas_kpi_scores_by_hand(saas):
    """The eight KPIs, each computed by hand (see the comments)."""
    k = saas.kpis.set_index("kpi_id")
    expected = {
        "CS-K1": (0.5, "Amber"),  # (1.05 - 1.00) / (1.10 - 1.00)
        "CS-K2": (1.0, "Green"),  # 11 x 100k = 1.1M = 1.2M x 11/12
        "CS-K3": (0.6, "Amber"),  # (49 - 40) / (55 - 40)
        "CS-K4": (0.5, "Amber"),  # average 0.035: (0.035 - 0.042) / (0.028 - 0.042)
        "CS-K5": (0.0, "Red"),  # red 14 x 1.1 = 15.4; 15.5 is beyond it
        "CS-K6": (0.25, "Amber"),  # 0.3 above 4; red distance 0.1 x 4 = 0.4; 1 - 0.75
        "CS-K7": (NaN, "No data"),  # November blank
        "CS-K8": (1.0, "Green"),  # at target
    }
    for kpi_id, (s, status) in expected.items():
        assert k.loc[kpi_id, "status"] == status, kpi_id
        if math.isnan(s):
            assert math.isnan(k.loc[kpi_id, "score"])
        else:
            assert k.loc[kpi_id, "score"] == approx(s), kpi_id
    assert k.loc["CS-K5", "red"] == approx(15.4)
    assert k.loc["CS-K5", "red_months"] == 2  # October 16 was red too
    assert k.loc["CS-K3", "trend"] == "up"  # October 47: 7/15 = 0.467 -> 0.6
    assert k.loc["CS-K2", "target_ytd"] == approx(1_100_000)
    assert k.loc["CS-K7", "months_reported"] == 10


def test_saas_roll_ups_by_hand(saas):
    """Objectives F1 0.75, C1 0.55, P1 0.125, L1 1.0; department (sum 2.425) / 4 = 0.606."""
    o = saas.objectives.set_index("objective_id")
    assert o.loc["CS-F1", "score"] == approx(0.75)  # (0.5 + 1.0) / 2
    assert o.loc["CS-C1", "score"] == approx(0.55)  # (0.6 + 0.5) / 2
    assert o.loc["CS-P1", "score"] == approx(0.125)  # (0 + 0.25) / 2
    assert o.loc["CS-L1", "score"] == approx(1.0)  # K7 no data, K8 1.0
    assert (o.loc["CS-L1", "kpis_scored"], o.loc["CS-L1", "kpis_no_data"]) == (1, 1)
    assert list(o["status"]) == ["Amber", "Red", "Red", "Green"]
    d = saas.departments.set_index("department_id").loc["CS"]
    assert d["score"] == approx(0.60625)
    assert d["status"] == "Amber"
    assert d["framework"] == "BSC + OKR"
    assert saas.organisation.iloc[0]["score"] == approx(0.60625)


def test_saas_okr_by_hand(saas):
    """KR1 (49-42)/13 = 0.538, KR2 0.5, KR3 0.05/0.20 = 0.25: objective 1.288/3 = 0.429 Amber."""
    kr = saas.key_results.set_index("kr_id")
    assert kr.loc["CS-KR1", "progress"] == approx(7 / 13)  # check-in 49 beats Current 47
    assert kr.loc["CS-KR2", "progress"] == approx(0.5)
    assert kr.loc["CS-KR3", "progress"] == approx(0.25)
    # expected 61/92 = 0.663; behind pace below 0.7 x 0.663 = 0.464
    assert list(kr["behind_pace"]) == [False, False, True]
    o = saas.okr_objectives.iloc[0]
    assert o["score"] == approx((7 / 13 + 0.5 + 0.25) / 3)
    assert o["grade"] == "Amber"
    assert o["krs_behind_pace"] == 1


def test_saas_attention_by_hand(saas):
    """K5 red 2 months but an OKR is aligned to its objective; Financial, L&G have no OKR."""
    a = saas.attention
    assert list(zip(a["kind"], a["id"], strict=True)) == [
        ("red-kpi", "CS-K5"),
        ("perspective-without-okr", "Financial"),  # top lane first
        ("perspective-without-okr", "Learning & Growth"),
    ]
    assert a.iloc[0]["related"] == ("CS-OKR1",)


def test_driver_red_effect_green_is_found():
    """O-C is Green while its driver O-P (Contributes to O-C) is Red."""
    v = make_validated(
        "2026-11",
        objectives=[
            {"department_id": "OPS", "objective_id": "O-P", "perspective": "Internal Process",
             "contributes_to": "O-C"},
            {"department_id": "OPS", "objective_id": "O-C", "perspective": "Customer"},
        ],
        kpis=[
            {"department_id": "OPS", "kpi_id": "K-P", "objective_id": "O-P", "target": 10,
             "red_threshold": 8, "actuals": {"2026-11": 7}},
            {"department_id": "OPS", "kpi_id": "K-C", "objective_id": "O-C", "target": 10,
             "actuals": {"2026-11": 10}},
        ],
    )  # fmt: skip
    a = score(v, make_config([("OPS", None, False)])).attention
    row = a[a["kind"] == "driver-red-effect-green"].iloc[0]
    assert (row["id"], row["related"]) == ("O-C", ("O-P",))


def test_empty_organisation_scores_to_empty_frames():
    """No data at all: every frame exists with its columns, organisation is No data."""
    s = score(make_validated("2026-11"), make_config([("CORP", None, True)]))
    assert s.kpis.empty and s.key_results.empty and s.attention.empty
    assert "score" in s.kpis.columns
    assert s.organisation.iloc[0]["status"] == "No data"
    assert s.departments.iloc[0]["framework"] == "None"
