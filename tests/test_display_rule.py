"""Thresholds and the display rule: a score on a threshold takes the higher band, and a
printed figure never falls in another band than the status printed next to it.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import Scoring
from pipeline.formulas import (
    PACE,
    at_least,
    behind_pace,
    expected_progress,
    kpi_status,
    kr_progress,
    okr_grade,
    roll_up,
    rollup_status,
    stay_breach,
)
from pipeline.render.format import (
    KPI_THRESHOLDS,
    fmt_breach,
    fmt_score,
    okr_thresholds,
    rollup_thresholds,
    trend_view,
)
from pipeline.render.views_department import _kr_result, _stay_limit

S = Scoring()  # defaults: roll-up 0.90 / 0.60, OKR 0.70 / 0.40
ROLLUP = rollup_thresholds(S)
OKR = okr_thresholds(S)


# --- 1. on a threshold is the higher band ---------------------------------------------------


def test_at_least_takes_float_noise_below_a_threshold_as_on_it():
    assert at_least(0.6, 0.6)
    assert at_least(0.5999999999999999, 0.6)  # 1.1e-16 below: noise
    assert not at_least(0.5999, 0.6)  # 1e-4 below: really below
    assert not at_least(math.nan, 0.6)


@pytest.mark.parametrize(
    ("score", "status"),
    [(0.9, "Green"), (0.8999999999, "Green"), (0.8999, "Amber"), (0.6, "Amber"), (0.5999, "Red")],
)
def test_rollup_boundaries(score, status):
    """Green at 0.90, Amber at 0.60; within 1e-9 below counts as on the threshold."""
    assert rollup_status(score, S) == status


@pytest.mark.parametrize(
    ("score", "grade"),
    [(0.7, "Green"), (0.6999999999, "Green"), (0.6999, "Amber"), (0.4, "Amber"), (0.3999, "Red")],
)
def test_okr_boundaries(score, grade):
    """Green at 0.70, Amber at 0.40."""
    assert okr_grade(score, S) == grade


@pytest.mark.parametrize(
    ("score", "status"),
    [(1.0, "Green"), (0.9999999999, "Green"), (0.999, "Amber"), (1e-6, "Amber"), (0.0, "Red")],
)
def test_kpi_boundaries(score, status):
    """Green when the target is met (1), Red at 0; 0 itself is Red, not the higher band."""
    assert kpi_status(score) == status


def test_five_kpis_averaging_to_the_amber_line_are_amber():
    """(0.5 + 0.5 + 1 + 0.5 + 0.5) / 5 = 3 / 5 = 0.60 -> Amber, however the sum is added."""
    result = roll_up([("K1", 0.5, 1), ("K2", 0.5, 1), ("K3", 1, 1), ("K4", 0.5, 1), ("K5", 0.5, 1)])
    assert result.score == pytest.approx(0.6)
    assert rollup_status(result.score, S) == "Amber"
    assert rollup_status(0.5999999999999999, S) == "Amber"  # the left-to-right float sum
    assert fmt_score(result.score, ROLLUP) == "60%"


def test_two_krs_averaging_to_the_okr_amber_line_are_amber():
    """(0.7 + 0.1) / 2 = 0.4 -> Amber; in floats the mean is 0.39999999999999997."""
    result = roll_up([("KR1", 0.7, 1), ("KR2", 0.1, 1)])
    assert result.score < 0.4  # the float noise is real
    assert okr_grade(result.score, S) == "Amber"
    assert fmt_score(result.score, OKR) == "40%"


def test_pace_boundary():
    """29 Jan 2026: 29 of Q1's 90 days, expected 29/90; the pace line is 0.7 × 29/90 = 0.2256.

    A KR from 0 to 90 at 29 × 0.7 sits exactly on the line; in floats it is 2e-17 below.
    """
    expected = expected_progress("2026-Q1", date(2026, 1, 29))
    assert expected == pytest.approx(29 / 90)
    on_line = kr_progress("Increase to", 0, 90, 29 * 0.7)
    assert on_line < PACE * expected  # float noise
    assert not behind_pace(on_line, expected)  # on the line is on pace
    assert behind_pace(0.2255, expected)  # really below
    assert not behind_pace(math.nan, expected)  # no progress figure: never behind


# --- 4. Stay key results: held 1, breached 0 ------------------------------------------------


@pytest.mark.parametrize(
    ("kr_type", "target", "current", "progress", "breach"),
    [
        ("Stay at or below", 1.01, 1.029, 0.0, 0.019),  # opex 102.9 % vs <= 101 %
        ("Stay at or below", 1.01, 1.01, 1.0, 0.0),  # on the limit: held
        ("Stay at or below", 1.01, 0.98, 1.0, 0.0),
        ("Stay at or above", 0.95, 0.93, 0.0, 0.02),
        ("Stay at or above", 0.95, 0.95, 1.0, 0.0),
    ],
)
def test_stay_krs_are_held_or_breached(kr_type, target, current, progress, breach):
    assert kr_progress(kr_type, math.nan, target, current) == progress
    assert stay_breach(kr_type, target, current) == pytest.approx(breach)


def _stay_text(row, unit):
    """The pack's current / target cell with the limit line beneath it, as one sentence."""
    return f"{_kr_result(row, unit)}: {_stay_limit(row, unit)}"


def test_stay_kr_shows_its_breach():
    row = {"type": "Stay at or below", "target": 1.01, "current": 1.029}
    assert _stay_text(row, "%") == "102.9% against ≤ 101.0%: breached by 1.9 pp"
    row = {"type": "Stay at or below", "target": 2, "current": 2.5}
    assert _stay_text(row, "hours") == "2.5 hours against ≤ 2 hours: breached by 0.5 hours"
    row = {"type": "Stay at or above", "target": 0.95, "current": 0.96}
    assert _stay_text(row, "%") == "96.0% against ≥ 95.0%: held"
    assert _stay_limit({"type": "Increase to", "target": 1, "current": 0}, "%") == ""
    assert fmt_breach(0.019, "%") == "1.9 pp"


# --- 2. the display rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "thresholds", "shown"),
    [
        (0.8993, ROLLUP, "89.9%"),  # Amber: 90 % would read Green
        (0.8993, (), "90%"),  # no grading threshold at 0.9: plain whole percent
        (0.5999, ROLLUP, "59.9%"),  # Red: 60 % would read Amber
        (0.9995, ROLLUP, "99.9%"),  # 100 % is only for a score of 1
        (0.9995, KPI_THRESHOLDS, "99.9%"),  # an Amber KPI never prints 100 %
        (1.0, KPI_THRESHOLDS, "100%"),
        (0.9, ROLLUP, "90%"),
        (0.6, ROLLUP, "60%"),
        (0.7, OKR, "70%"),
        (0.4, OKR, "40%"),
        (0.6999, OKR, "69.9%"),
        (0.3999, OKR, "39.9%"),
        (0.0, KPI_THRESHOLDS, "0%"),
        (0.002, KPI_THRESHOLDS, "0.2%"),  # Amber KPI: never "0%" (Red)
        (0.002, ROLLUP, "0%"),  # a Red roll-up may print 0 %
        (0.8333, ROLLUP, "83%"),
        (0.125, ROLLUP, "13%"),  # half up
        (math.nan, ROLLUP, "—"),
    ],
)
def test_display_rule(score, thresholds, shown):
    assert fmt_score(score, thresholds) == shown


def test_trend_flattens_when_printed_percentages_are_equal():
    """0.742 vs 0.738 both print 74 %: drawn flat, as the methodology says."""
    view = trend_view("up", 0.738, 0.742, ROLLUP)
    assert view.arrow == "→" and view.text == "→ from 74%"
    view = trend_view("up", 0.8993, 0.91, ROLLUP)  # 89.9 % -> 91 %: a real move
    assert view.arrow == "↑" and view.text == "↑ from 89.9%"


def _read_back(text: str) -> float:
    return float(text.rstrip("%")) / 100


SCALES = [
    ("roll-up", ROLLUP, lambda x: rollup_status(x, S)),
    ("OKR", OKR, lambda x: okr_grade(x, S)),
    ("KPI", KPI_THRESHOLDS, kpi_status),
]


@pytest.mark.parametrize(("name", "thresholds", "grade"), SCALES, ids=[s[0] for s in SCALES])
@given(score=st.floats(min_value=0.0, max_value=1.0))
def test_printed_score_reads_back_in_its_own_band(name, thresholds, grade, score):
    shown = fmt_score(score, thresholds)
    assert grade(_read_back(shown)) == grade(score), (name, score, shown)


@given(
    score=st.floats(min_value=0.0, max_value=1.0),
    amber=st.floats(min_value=0.01, max_value=0.98),
    gap=st.floats(min_value=0.001, max_value=0.5),
)
def test_printed_score_respects_any_configured_bands(score, amber, gap):
    scoring = Scoring(rollup_green_at=min(0.99, amber + gap), rollup_amber_at=amber)
    shown = fmt_score(score, rollup_thresholds(scoring))
    assert rollup_status(_read_back(shown), scoring) == rollup_status(score, scoring), shown


# --- 4. printed actuals, targets and reds rebuild the printed score --------------------------


def _kpi_row(actual, target, red, unit, direction="Higher is better", **extra):
    from pipeline.formulas import directional_score

    score = extra.pop("score", None)
    if score is None:
        score = directional_score(actual, target, red, direction)
    return {
        "kpi_id": "K1",
        "kpi": "Measure",
        "objective_id": "O1",
        "perspective": "Financial",
        "trend": "new",
        "prev_score": math.nan,
        "red_months": 0,
        "series": (),
        "commentary": "",
        "aligned_okrs": (),
        "unit": unit,
        "direction": direction,
        "aggregation": "Last",
        "actual": actual,
        "prev_actual": math.nan,
        "target": target,
        "target_ytd": target,
        "target_max": math.nan,
        "target_max_ytd": math.nan,
        "red": red,
        "red_low": math.nan,
        "red_high": math.nan,
        "score": score,
        "status": kpi_status(score),
        "variance": actual - target,
        "variance_pct": math.nan,
        **extra,
    }


def _number(text: str) -> float:
    """The number in a printed value: "99.774%" -> 0.99774, "1.605 hours" -> 1.605."""
    import re

    digits = re.search(r"[0-9][0-9,]*(?:\.[0-9]+)?", text)
    assert digits, text
    value = float(digits.group().replace(",", ""))
    return value / 100 if text.strip().endswith("%") else value


def test_an_actual_just_below_its_target_prints_the_digits_that_make_its_score():
    """Availability 99.76 % against >= 99.8 %, red 99.5 %: (99.76 - 99.5) / 0.3 = 87 %.

    One decimal printed "99.8% >= 99.8%" beside 87 % Amber; two decimals rebuild 87 %."""
    from pipeline.render.views_department import kpi_view, value_precision

    row = _kpi_row(0.9976, 0.998, 0.995, "%")
    assert value_precision(row) == 1
    view = kpi_view(row, None, spark=False)
    assert (view.actual, view.target, view.red) == ("99.76%", "≥ 99.80%", "red at 99.50%")
    assert view.score == "87%"
    assert view.variance == "−0.04 pp"


def test_a_duration_near_its_red_prints_the_digits_that_make_its_score():
    """Response 1.605 h against <= 1.5 h, red at 1.65 h: (1.605 - 1.65) / (1.5 - 1.65) = 30 %.

    One decimal printed "1.6 hours ... red at 1.7 hours", which a reader rebuilds as 50 %."""
    from pipeline.render.views_department import kpi_view

    view = kpi_view(_kpi_row(1.605, 1.5, 1.65, "hours", "Lower is better"), None, spark=False)
    assert (view.actual, view.target, view.red) == (
        "1.605 hours",
        "≤ 1.5 hours",
        "red at 1.65 hours",
    )
    assert view.score == "30%"


def test_round_values_keep_their_usual_digits():
    from pipeline.render.views_department import kpi_view

    view = kpi_view(_kpi_row(1_150_000, 1_200_000, 1_000_000, "EUR"), None, spark=False)
    assert (view.actual, view.target, view.red, view.score) == (
        "EUR 1,150,000", "≥ EUR 1,200,000", "red at EUR 1,000,000", "75%"
    )  # fmt: skip


@given(
    target=st.floats(min_value=0.5, max_value=0.999),
    spread=st.floats(min_value=0.0005, max_value=0.3),
    position=st.floats(min_value=-0.2, max_value=1.2),
    unit=st.sampled_from(["%", "hours", "count", "EUR", "score", "ratio", "tickets"]),
    lower=st.booleans(),
)
def test_printed_values_rebuild_the_printed_score(target, spread, position, unit, lower):
    """Property: plug the printed actual, target and red into the formula, print the result:
    it is the printed score (or the values were already printed at the maximum precision)."""
    from pipeline.formulas import directional_score
    from pipeline.render.views_department import kpi_view, value_precision

    direction = "Lower is better" if lower else "Higher is better"
    red = target + spread if lower else target - spread
    actual = red + position * (target - red)
    row = _kpi_row(actual, target, red, unit, direction)
    view = kpi_view(row, None, spark=False)
    rebuilt = directional_score(
        _number(view.actual), _number(view.target), _number(view.red), direction
    )
    assert fmt_score(rebuilt, KPI_THRESHOLDS) == view.score or value_precision(row) == 4, (
        view.actual, view.target, view.red, view.score
    )  # fmt: skip


def test_formula_text_rounds_half_up_and_never_onto_a_threshold():
    """0.5625 prints 0.563 (not banker's 0.562); an Amber 0.8996 prints 0.8996, not 0.900."""
    assert roll_up([("A", 0.5, 1), ("B", 0.625, 1)]).formula == "(A 0.500 + B 0.625) / 2 = 0.563"
    text = roll_up([("A", 0.8996, 1)], ROLLUP).formula
    assert text == "(A 0.8996) / 1 = 0.8996"
    assert roll_up([("A", 0.9996, 1)]).formula.endswith("= 0.9996")  # below 1, never "1.000"
