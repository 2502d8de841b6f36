"""Numbers in, a score, status, trend or progress out: the scalar formulas of the scorecard.

Pure Python on floats (NaN = blank), no frames and no I/O, so each formula can be tested
and checked by hand on its own; `pipeline.score` applies them to every row. The methodology
appendix and docs/scoring.md state the same formulas.

Decisions
---------
KPIs
- No data: a KPI whose reporting-month cell is blank is No data whatever its aggregation
  (Last does not fall back to an earlier month): a stale figure must not look current.
  `actual` is then NaN; `series` and `prev_actual` still show what was reported.
- Sum and Average use the non-blank months up to the period (blank is not zero); a gap is
  the validator's `month-gap` warning. Months after the period are ignored.
- Sum phasing: target, target max and the red value (threshold or tolerance) are all
  multiplied by months elapsed / 12, where months elapsed = the period's fiscal month.
- Default red (no Red threshold): target -/+ amber_tolerance x |target| (the |.| keeps the
  red on the correct side for negative targets). Target 0 without a threshold gives
  red = target: score 1 if the target is met, else 0 (the validator flags it).
- Within range [target, target max]: score 1 inside; outside, 1 - distance / red distance,
  clamped at 0. Red distance = with a Red threshold, its distance to the nearer bound
  (used on both sides); without, amber_tolerance x |the bound that was missed|, falling
  back to amber_tolerance x (target max - target) when that bound is 0.
- Scores within 1e-9 of 0 or 1 snap to 0 or 1, so float noise in Sum phasing cannot
  turn a met target Amber.
- Variance: actual - target_ytd; for Within range the distance outside the nearer bound
  (0 inside). variance_pct divides by |target_ytd| (or the bound missed); NaN for 0.
- red_months counts consecutive Red months ending at the period; a No data month ends
  the run. Trend compares the score with the previous fiscal month's (the first month
  of the fiscal year has no previous month: trend "new").

OKRs
- Current = the latest check-in dated on or before the period end, else Current.
- Increase/Decrease to with a blank Baseline has no progress (no data), never a guess.
- Stay at or above / Stay at or below: 1 while held (current >= / <= target), 0 when
  breached. A "stay" result is a limit, not a distance to travel: 102.9 % against "at or
  below 101 %" is a breach, not 98 % of the way there. The pack prints the breach.
- Milestone: 1 when current >= 1, else 0.
- Expected progress = days elapsed (inclusive) at the period end / days in the KR's own
  quarter, clamped 0..1; behind pace when progress < 0.7 x expected (a KR with no
  progress figure is never behind pace).

Thresholds
- Every comparison of a score with a threshold (roll-up status, OKR grade, KPI Green at 1,
  the pace line) goes through `at_least`: a score within 1e-9 of the threshold takes the
  higher band, so float noise (0.7 and 0.1 averaging to 0.39999999999999997) cannot grade
  a result one band too low. The KPI Red boundary is 0 itself: a score within 1e-9 of 0 is
  0 (Red), as `clamp01` snaps it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.config import Scoring
from pipeline.contract import quarter_bounds
from pipeline.vocabulary import Aggregation, Direction, KrType, Status, Trend, is_blank

PACE = 0.7  # a KR is behind pace when progress < PACE x expected progress
DERIVE_AFTER_MONTHS = 2  # a KPI red this long with no aligned OKR: "derive an OKR"
SNAP = _SNAP = 1e-9  # float noise: a score this close to a threshold is on it


# --- small numeric helpers ----------------------------------------------------------------


def as_float(x: Any) -> float:
    """A float from a cell value; NaN for a blank (never 0)."""
    return math.nan if is_blank(x) else float(x)


def clamp01(x: float) -> float:
    """Clamp to [0, 1], snapping float noise at the ends (NaN stays NaN)."""
    if math.isnan(x):
        return x
    if x >= 1 - _SNAP:
        return 1.0
    if x <= _SNAP:
        return 0.0
    return x


def at_least(score: float, threshold: float) -> bool:
    """score >= threshold, taking float noise within 1e-9 below the threshold as on it.

    NaN is never at least anything.
    """
    return not math.isnan(score) and score >= threshold - _SNAP


def round_half_up(x: float, decimals: int = 0) -> float:
    """Round half away from zero (0.5625 -> 0.563, as a reader rounds), not half to even."""
    factor = 10**decimals
    rounded = math.floor(abs(x) * factor + 0.5 + 1e-9) / factor
    return math.copysign(rounded, x) if rounded else 0.0  # never "-0"


def _sides(x: float, thresholds: Sequence[float]) -> tuple[bool, ...]:
    """Which side of every threshold `x` lies on (at or above: True); 0 means "above 0"."""
    return tuple(x > SNAP if t == 0 else at_least(x, t) for t in thresholds)


def round_in_band(x: float, decimals: int, thresholds: Sequence[float] = ()) -> tuple[float, int]:
    """`x` rounded half up to `decimals`, unless that lands across 1.0 or a threshold.

    Then more decimals, rounded towards `x`'s own side, until the shown value is on the
    same side of every threshold as `x` (0.8996 with threshold 0.9 at 3 decimals -> 0.8996,
    not 0.900). Returns (shown value, decimals used). The display rule of docs/scoring.md.
    """
    scale = (1.0, *thresholds)
    own = _sides(x, scale)
    first = round_half_up(x, decimals)
    if _sides(first, scale) == own:
        return first, decimals
    down = first > x  # rounding went up across a threshold: show lower, and vice versa
    for more in range(decimals + 1, decimals + 10):
        factor = 10**more
        shown = (
            math.floor(x * factor + 1e-7) / factor
            if down
            else math.ceil(x * factor - 1e-7) / factor
        )
        if _sides(shown, scale) == own:
            return shown, more
    return x, 17


def _num(x: float, thresholds: Sequence[float] = ()) -> str:
    shown, decimals = round_in_band(x, 3, (0.0, *thresholds))
    return f"{shown:.{decimals}f}"


def _weight_text(w: float) -> str:
    return f"{w:g}"


@dataclass(frozen=True)
class RollUp:
    """A weighted mean with its workings: score (NaN = No data), counts and formula text."""

    score: float
    scored: int
    no_data: int
    inputs: tuple[tuple[str, float, float], ...]
    formula: str


def roll_up(inputs: Iterable[tuple[str, float, float]], thresholds: Sequence[float] = ()) -> RollUp:
    """Weighted mean of (id, score, weight) inputs; No data inputs are excluded and counted.

    The formula names every input so the sum can be checked by hand, e.g.
    "(K1 1.000×2 + K2 0.500×1) / 3 = 0.833; no data: K3". Numbers are shown to 3 decimals
    rounded half up, with more where 3 would cross 0, 1 or one of `thresholds` (the grading
    scale of the result), so the text never disagrees with the status beside it.
    """
    items = tuple((str(i), as_float(s), 1.0 if is_blank(w) else float(w)) for i, s, w in inputs)
    scored = [(i, s, w) for i, s, w in items if not math.isnan(s)]
    missing = [i for i, s, _ in items if math.isnan(s)]
    counted = [(i, s, w) for i, s, w in scored if w > 0]
    total = sum(w for _, _, w in counted)
    if not counted or total <= 0:
        value = math.nan
    elif len({s for _, s, _ in counted}) == 1:
        value = counted[0][1]  # exact: a mean of equal scores is that score
    else:
        value = clamp01(math.fsum(s * w for _, s, w in counted) / total)
    if scored:
        plain = all(w == 1 for _, _, w in scored)
        terms = " + ".join(
            f"{i} {_num(s, thresholds)}"
            if plain
            else f"{i} {_num(s, thresholds)}×{_weight_text(w)}"
            for i, s, w in scored
        )
        shown = "no data" if math.isnan(value) else _num(value, thresholds)
        formula = f"({terms}) / {_weight_text(total)} = {shown}"
    else:
        formula = "no scored inputs"
    if missing:
        formula += f"; no data: {', '.join(missing)}"
    return RollUp(value, len(scored), len(missing), items, formula)


def _band(score: float, green_at: float, amber_at: float) -> str:
    if is_blank(score):
        return Status.NO_DATA
    if at_least(score, green_at):
        return Status.GREEN
    return Status.AMBER if at_least(score, amber_at) else Status.RED


def rollup_status(score: float, scoring: Scoring) -> str:
    """Green / Amber / Red by rollup_green_at / rollup_amber_at; No data for NaN."""
    return _band(score, scoring.rollup_green_at, scoring.rollup_amber_at)


def okr_grade(score: float, scoring: Scoring) -> str:
    """Green / Amber / Red by okr_green_at / okr_amber_at; No data for NaN."""
    return _band(score, scoring.okr_green_at, scoring.okr_amber_at)


def trend(score: float, prev_score: float) -> str:
    """up / down / flat versus last month; new when last month had no score; '' when now none."""
    if is_blank(score):
        return Trend.NONE
    if is_blank(prev_score):
        return Trend.NEW
    if abs(score - prev_score) <= _SNAP:
        return Trend.FLAT
    return Trend.UP if score > prev_score else Trend.DOWN


# --- KPIs ---------------------------------------------------------------------------------


def ytd_actual(values: Sequence[float], month_index: int, aggregation: str) -> float:
    """The fiscal-year-to-date actual at fiscal month `month_index` (1..12).

    NaN (No data) when that month itself is blank, whatever the aggregation.
    """
    if month_index < 1 or month_index > len(values):
        return math.nan
    upto = [as_float(v) for v in values[:month_index]]
    if math.isnan(upto[-1]):
        return math.nan
    filled = [v for v in upto if not math.isnan(v)]
    if aggregation == Aggregation.SUM:
        return math.fsum(filled)
    if aggregation == Aggregation.AVERAGE:
        return math.fsum(filled) / len(filled)
    return upto[-1]  # Last


def default_red(target: float, direction: str, tolerance: float) -> float:
    """The red value when no Red threshold is given: target -/+ tolerance x |target|."""
    if direction == Direction.LOWER:
        return target + tolerance * abs(target)
    return target - tolerance * abs(target)


def directional_score(actual: float, target: float, red: float, direction: str) -> float:
    """clamp((actual - red) / (target - red), 0, 1); target == red: 1 if met, else 0."""
    if is_blank(actual) or is_blank(target) or is_blank(red):
        return math.nan
    if target == red:
        met = actual <= target if direction == Direction.LOWER else actual >= target
        return 1.0 if met else 0.0
    return clamp01(max(0.0, min(1.0, (actual - red) / (target - red))))


def range_red_distances(
    low: float, high: float, red_threshold: float, tolerance: float
) -> tuple[float, float]:
    """How far below `low` and above `high` the KPI turns Red (see Decisions)."""
    if not is_blank(red_threshold):
        d = min(abs(red_threshold - low), abs(red_threshold - high))
        return d, d
    width = tolerance * (high - low)
    below = tolerance * abs(low) if low != 0 else width
    above = tolerance * abs(high) if high != 0 else width
    return below, above


def range_score(actual: float, low: float, high: float, below: float, above: float) -> float:
    """1 inside [low, high]; outside, linear down to 0 at the red distance from the bound."""
    if is_blank(actual) or is_blank(low) or is_blank(high):
        return math.nan
    if low <= actual <= high:
        return 1.0
    distance, red_distance = (low - actual, below) if actual < low else (actual - high, above)
    if red_distance <= 0:
        return 0.0
    return clamp01(max(0.0, 1.0 - distance / red_distance))


def kpi_status(score: float) -> str:
    """Green when the target is met (1), Red at or beyond red (0), Amber between."""
    if is_blank(score):
        return Status.NO_DATA
    if at_least(score, 1.0):
        return Status.GREEN
    if score <= _SNAP:  # 0 within float noise is 0: at or beyond red
        return Status.RED
    return Status.AMBER


@dataclass(frozen=True)
class KpiResult:
    actual: float
    target_ytd: float
    target_max_ytd: float
    red: float
    red_low: float
    red_high: float
    score: float
    variance: float
    variance_pct: float


def evaluate_kpi(
    *,
    values: Sequence[float],
    month_index: int,
    direction: str,
    aggregation: str,
    target: float,
    target_max: float = math.nan,
    red_threshold: float = math.nan,
    tolerance: float = 0.10,
) -> KpiResult:
    """Score one KPI at fiscal month `month_index` from its 12 monthly values."""
    target, target_max, red_threshold = (
        as_float(target),
        as_float(target_max),
        as_float(red_threshold),
    )
    phase = month_index / 12 if aggregation == Aggregation.SUM else 1.0
    actual = ytd_actual(values, month_index, aggregation)
    target_ytd, target_max_ytd = target * phase, target_max * phase
    red = red_low = red_high = math.nan
    if direction == Direction.RANGE:
        below, above = range_red_distances(
            target_ytd, target_max_ytd, red_threshold * phase, tolerance
        )
        red_low, red_high = target_ytd - below, target_max_ytd + above
        score = range_score(actual, target_ytd, target_max_ytd, below, above)
        if is_blank(actual) or is_blank(target_ytd):
            variance = reference = math.nan
        elif actual < target_ytd:
            variance, reference = actual - target_ytd, target_ytd
        elif not is_blank(target_max_ytd) and actual > target_max_ytd:
            variance, reference = actual - target_max_ytd, target_max_ytd
        else:
            variance, reference = 0.0, target_ytd
    else:
        full_red = (
            red_threshold
            if not is_blank(red_threshold)
            else default_red(target, direction, tolerance)
        )
        red = full_red * phase
        score = directional_score(actual, target_ytd, red, direction)
        variance, reference = actual - target_ytd, target_ytd
    variance_pct = (
        variance / abs(reference)
        if not is_blank(variance) and reference not in (0, 0.0)
        else math.nan
    )
    return KpiResult(
        actual, target_ytd, target_max_ytd, red, red_low, red_high, score, variance, variance_pct
    )


def kr_progress(kr_type: str, baseline: float, target: float, current: float) -> float:
    """Progress of one key result, 0..1 (NaN when it cannot be computed)."""
    baseline, target, current = as_float(baseline), as_float(target), as_float(current)
    if math.isnan(current) or math.isnan(target):
        return math.nan
    if kr_type == KrType.MILESTONE:
        return 1.0 if current >= 1 else 0.0
    if kr_type == KrType.STAY_ABOVE:
        return 1.0 if current >= target else 0.0  # held or breached
    if kr_type == KrType.STAY_BELOW:
        return 1.0 if current <= target else 0.0
    if math.isnan(baseline):
        return math.nan
    if baseline == target:
        met = current <= target if kr_type == KrType.DECREASE else current >= target
        return 1.0 if met else 0.0
    return clamp01(max(0.0, min(1.0, (current - baseline) / (target - baseline))))


def stay_breach(kr_type: str, target: float, current: float) -> float:
    """How far a Stay key result is past its limit (> 0 when breached, else 0; NaN if blank)."""
    target, current = as_float(target), as_float(current)
    if math.isnan(target) or math.isnan(current):
        return math.nan
    if kr_type == KrType.STAY_ABOVE:
        return max(0.0, target - current)
    if kr_type == KrType.STAY_BELOW:
        return max(0.0, current - target)
    return math.nan


def behind_pace(progress: float, expected: float) -> bool:
    """progress < PACE x expected (with `at_least`); never behind without both figures."""
    if is_blank(progress) or is_blank(expected):
        return False
    return not at_least(float(progress), PACE * float(expected))


def expected_progress(quarter: str, as_of: date) -> float:
    """Share of the quarter elapsed on `as_of` (inclusive days), 0..1."""
    try:
        first, last = quarter_bounds(quarter)
    except ValueError:
        return math.nan
    elapsed = (as_of - first).days + 1
    total = (last - first).days + 1
    return max(0.0, min(1.0, elapsed / total))
