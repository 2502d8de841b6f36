"""Validated frames in, scored KPI / objective / perspective / department / OKR frames out.

Pure pandas: no I/O. Every roll-up keeps its inputs and a formula string so a director can
check it by hand (the `calculations` frame feeds the methodology appendix).

Decisions (docs/scoring.md states them for readers; the methodology appendix says the same;
the scalar KPI and OKR formulas and their decisions live in `pipeline.formulas`)
-----------------------------------------------------------------------------------------
Roll-ups (weighted mean of scored inputs; No data inputs excluded and counted)
- Weight 0 inputs are shown but do not count; a roll-up whose scored inputs all weigh 0
  is No data.
- Objective own score = its KPIs (KPI weights), whichever department reports the KPI (a
  KPI naming a corporate objective counts in that objective, not in its own department).
- Corporate objective score = its own KPIs plus every departmental (non-corporate)
  objective whose Contributes to names it, each at its own weight. Links between
  objectives of the same scorecard are cause and effect only: they feed driver
  analysis, not scores.
- Perspective (per department) = the department's objectives in that perspective at
  their weights, using *own* scores, plus any KPI whose objective is unknown (so no KPI
  is dropped). Own scores keep every KPI counted once in department and organisation
  roll-ups: contributions already count in the contributing department.
- Department own score = weighted mean of its perspectives that hold an objective or a
  KPI (the "balanced" in BSC), at the perspectives' configured weights (default 1; the
  perspectives themselves are configured in scorecard.toml, default the BSC four).
  Department score = weighted mean of its own score (weight 1) and each child's
  department score at the child's configured `weight` (default 1: the roll-up through the
  parent tree). Organisation = weighted mean of the root departments' scores, likewise.
- Organisation-wide perspective = the same roll-up through the department tree, at the
  same department weights, of each department's score in that perspective (each department
  counts once however many objectives it has).
- Roll-up status: Green >= rollup_green_at, Amber >= rollup_amber_at, else Red.

OKRs
- okr_departments scores this quarter's OKR objectives only, equal weights.

BSC <-> OKR
- A KPI counts as having an OKR when a KR of this quarter is aligned to the KPI or to the
  KPI's objective.
- "Perspective without OKR" and "OKR aligned to nothing" are only raised when the
  organisation runs both frameworks (an OKR-only organisation has nothing to align to).
- A Red KPI appears once in `attention`: kind "derive-an-okr" when Red for 2+ months with
  no aligned OKR, else "red-kpi".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.config import Config, Scoring
from pipeline.contract import (
    fiscal_year_months,
    quarter_of,
)
from pipeline.formulas import (
    DERIVE_AFTER_MONTHS,
    KpiResult,
    RollUp,
    as_float,
    evaluate_kpi,
    kpi_status,
    rollup_status,
    trend,
)
from pipeline.okrs import score_key_results, score_okr_departments, score_okr_objectives
from pipeline.problems import Problem
from pipeline.rollup import Rolled, Tree, roll_up_all
from pipeline.validate import Validated
from pipeline.vocabulary import (
    ORG,
    Status,
    ids,
    is_blank,
)


@dataclass
class Scored:
    """Everything the pack shows, as frames. Scores are fractions 0..1 (NaN = No data).

    Statuses are "Green" / "Amber" / "Red" / "No data". Trends compare with the previous
    month of the same fiscal year: "up" / "down" / "flat" / "new" (no score last month)
    / "" (no score now). Lists are tuples so frames stay hashable-friendly.

    - kpis: one row per KPI: department_id, kpi_id, kpi, objective_id, perspective, unit,
      direction, aggregation, target (full year), target_max, target_ytd (Sum: phased),
      target_max_ytd, red (effective red for the YTD comparison: threshold or tolerance,
      phased for Sum; NaN for Within range), red_low / red_high (Within range only: the
      values at which the KPI turns Red below / above the range), actual (YTD aggregate;
      NaN when No data), months_reported (non-blank months up to the period), score,
      status, variance (actual - target_ytd; Within range: distance outside the nearer
      bound, 0 inside), variance_pct (variance / |target_ytd|, or / |the bound
      missed| for Within range; NaN when that is 0),
      prev_actual, prev_score, prev_status, trend, red_months (consecutive months Red up to
      and including the period), series (tuple of 12 monthly values, None for blank),
      commentary, weight, aligned_okrs (tuple of this quarter's OKR objective IDs aligned to
      the KPI or to its objective)
    - objectives: department and corporate strategy-map objectives: department_id,
      objective_id, perspective, objective, owner, corporate, contributes_to (tuple),
      weight, own_score (its KPIs only), score (own KPIs + contributing departmental
      objectives, for corporate objectives; = own_score otherwise), status, prev_score,
      prev_status, trend, kpis_scored, kpis_no_data, contributors (tuple of objective IDs
      feeding the score), drivers (tuple of objective IDs whose Contributes to names this
      one), inputs (tuple of (id, score, weight)), formula
    - perspectives: one row per department and perspective, plus department_id "ORG" rows
      for the organisation: department_id, perspective, score, status, prev_score,
      prev_status, trend, objectives_scored, objectives_no_data (for "ORG" rows: departments
      scored / no data), kpis, okrs (this quarter's
      key results aligned to an objective or KPI in the perspective), inputs, formula
    - departments: every configured department (missing ones too): department_id,
      department, parent, corporate, depth (0 = root), framework ("BSC + OKR" / "BSC" /
      "OKR" / "None"), submitted, stale, kpis, kpis_no_data, okr_objectives, own_score
      (its perspectives, equal weights), score (own + children, the tree roll-up), status,
      prev_score, prev_status, trend, inputs, formula
    - organisation: one row: department_id ("ORG"), name, score, status, prev_score,
      prev_status, trend, departments_scored, departments_no_data, inputs, formula
    - key_results: department_id, okr_objective_id, okr_objective, kr_id, key_result, type,
      unit, quarter, baseline, target, current (latest check-in up to the period end, else
      Current), current_source ("check-in" / "sheet" / ""), progress (0..1, NaN = no data),
      confidence (latest check-in's, else the sheet's), confidence_change (vs the previous
      check-in), expected (share of the quarter elapsed), behind_pace, last_checkin (date
      or None), days_since_checkin, checkins (tuple of (ISO date, value, confidence)),
      aligned_to, weight, owner, reflection, current_quarter (bool)
    - okr_objectives: department_id, okr_objective_id, okr_objective, quarter,
      current_quarter, krs, krs_behind_pace, aligned_to (tuple), score, grade ("Green" /
      "Amber" / "Red" / "No data" by okr_green_at / okr_amber_at), expected, confidence
      (mean of the KRs' latest), inputs, formula
    - okr_departments: department_id, okr_objectives, krs, krs_behind_pace, score (mean of
      this quarter's objective scores), grade, formula
    - attention: what the board should look at, worst first: kind ("red-kpi", or the
      advice code of the finding: "derive-an-okr", "perspective-without-okr",
      "okr-aligned-to-nothing", "driver-red-effect-green"), department_id, id, name,
      perspective, status, score, red_months, related (tuple of IDs: aligned OKRs, or the
      red driver), detail (one line of plain text)
    - calculations: level ("objective" / "perspective" / "department" / "organisation" /
      "okr-objective" / "okr-department"), department_id, id, name, formula, score, status
    - advice: goal-quality warnings. pipeline.advice and pipeline.score are independent
      layers, so the caller fills it: `scored.advice = advise(validated, scored)`
    - restatements: past months this period's workbooks changed since the last pack
      (`pipeline.restate`; the caller fills it like advice): department_id, kpi_id, kpi,
      month, old, new (NaN = blank), old_file, old_period
    """

    period: str
    quarter: str
    kpis: pd.DataFrame
    objectives: pd.DataFrame
    perspectives: pd.DataFrame
    departments: pd.DataFrame
    organisation: pd.DataFrame
    key_results: pd.DataFrame
    okr_objectives: pd.DataFrame
    okr_departments: pd.DataFrame
    attention: pd.DataFrame
    calculations: pd.DataFrame
    advice: list[Problem] = field(default_factory=list)
    restatements: pd.DataFrame = field(default_factory=pd.DataFrame)


# --- column orders (so empty frames still have every column) ------------------------------

KPI_COLUMNS = (
    "department_id", "kpi_id", "kpi", "objective_id", "perspective", "unit", "direction",
    "aggregation", "target", "target_max", "target_ytd", "target_max_ytd", "red", "red_low",
    "red_high", "actual", "months_reported", "score", "status", "variance", "variance_pct",
    "prev_actual", "prev_score", "prev_status", "trend", "red_months", "series",
    "commentary", "weight", "aligned_okrs",
)  # fmt: skip
OBJECTIVE_COLUMNS = (
    "department_id", "objective_id", "perspective", "objective", "owner", "corporate",
    "contributes_to", "weight", "own_score", "score", "status", "prev_score", "prev_status",
    "trend", "kpis_scored", "kpis_no_data", "contributors", "drivers", "inputs", "formula",
    "own_formula",
)  # fmt: skip
PERSPECTIVE_COLUMNS = (
    "department_id", "perspective", "score", "status", "prev_score", "prev_status", "trend",
    "objectives_scored", "objectives_no_data", "kpis", "okrs", "inputs", "formula",
)  # fmt: skip
DEPARTMENT_COLUMNS = (
    "department_id", "department", "parent", "corporate", "depth", "framework", "submitted",
    "stale", "kpis", "kpis_no_data", "okr_objectives", "own_score", "score", "status",
    "prev_score", "prev_status", "trend", "inputs", "formula", "own_formula",
)  # fmt: skip
ORGANISATION_COLUMNS = (
    "department_id", "name", "score", "status", "prev_score", "prev_status", "trend",
    "departments_scored", "departments_no_data", "inputs", "formula", "coverage",
)  # fmt: skip
ATTENTION_COLUMNS = (
    "kind", "department_id", "id", "name", "perspective", "status", "score", "red_months",
    "related", "detail",
)  # fmt: skip
CALCULATION_COLUMNS = ("level", "department_id", "id", "name", "formula", "score", "status")


def _monthly_values(actuals: pd.DataFrame) -> dict[tuple[str, str], list[float]]:
    series: dict[tuple[str, str], list[float]] = defaultdict(lambda: [math.nan] * 12)
    if actuals.empty:
        return series
    for dept, kpi_id, idx, value in zip(
        actuals["department_id"],
        actuals["kpi_id"],
        actuals["month_index"],
        actuals["value"],
        strict=True,
    ):
        i = int(idx)
        if 1 <= i <= 12:
            series[(dept, kpi_id)][i - 1] = as_float(value)
    return series


def score_kpis(
    kpis: pd.DataFrame, actuals: pd.DataFrame, month_index: int, tolerance: float
) -> pd.DataFrame:
    """One row per KPI with its YTD actual, score, status, trend and red-month run."""
    series_by_kpi = _monthly_values(actuals)
    rows = []
    for kpi in kpis.to_dict("records"):
        values = series_by_kpi[(kpi["department_id"], kpi["kpi_id"])]

        def at(m: int, kpi: dict[str, Any] = kpi, values: list[float] = values) -> KpiResult:
            return evaluate_kpi(
                values=values,
                month_index=m,
                direction=kpi["direction"],
                aggregation=kpi["aggregation"],
                target=kpi["target"],
                target_max=kpi.get("target_max", math.nan),
                red_threshold=kpi.get("red_threshold", math.nan),
                tolerance=tolerance,
            )

        history = [at(m) for m in range(1, month_index + 1)]
        now = history[-1] if history else at(month_index)
        prev = history[-2] if len(history) >= 2 else None
        red_months = 0
        for result in reversed(history):
            if kpi_status(result.score) != Status.RED:
                break
            red_months += 1
        prev_score = prev.score if prev else math.nan
        rows.append(
            {
                "department_id": kpi["department_id"],
                "kpi_id": kpi["kpi_id"],
                "kpi": kpi.get("kpi", ""),
                "objective_id": kpi.get("objective_id", ""),
                "perspective": kpi.get("perspective", ""),
                "unit": kpi.get("unit", ""),
                "direction": kpi["direction"],
                "aggregation": kpi["aggregation"],
                "target": as_float(kpi["target"]),
                "target_max": as_float(kpi.get("target_max")),
                "target_ytd": now.target_ytd,
                "target_max_ytd": now.target_max_ytd,
                "red": now.red,
                "red_low": now.red_low,
                "red_high": now.red_high,
                "actual": now.actual,
                "months_reported": sum(not math.isnan(v) for v in values[:month_index]),
                "score": now.score,
                "status": kpi_status(now.score),
                "variance": now.variance,
                "variance_pct": now.variance_pct,
                "prev_actual": prev.actual if prev else math.nan,
                "prev_score": prev_score,
                "prev_status": kpi_status(prev_score) if prev else "",
                "trend": trend(now.score, prev_score),
                "red_months": red_months,
                "series": tuple(None if math.isnan(v) else v for v in values),
                "commentary": kpi.get("commentary", "") or "",
                "weight": 1.0 if is_blank(kpi.get("weight")) else float(kpi["weight"]),
                "aligned_okrs": (),
            }
        )
    return _frame(rows, KPI_COLUMNS)


# --- the whole scoring run ----------------------------------------------------------------


def score(validated: Validated, config: Config) -> Scored:
    """Score every KPI, roll scores up the strategy map and the department tree, score OKRs."""
    scoring = config.scoring
    period = validated.period
    months = validated.months or fiscal_year_months(period, config.organisation.fiscal_year_start)
    month_index = months.index(period) + 1
    quarter = quarter_of(period)

    objectives = _objectives_input(validated.objectives)
    kpi_input = validated.kpis.copy()
    kpi_input["weight"] = kpi_input["weight"].fillna(1.0) if len(kpi_input) else []
    kpis = score_kpis(kpi_input, validated.actuals, month_index, scoring.amber_tolerance)

    key_results = score_key_results(validated.key_results, validated.checkins, period)
    okr_objectives = score_okr_objectives(key_results, scoring)
    okr_departments = score_okr_departments(okr_objectives, scoring)

    # Which BSC element each KR of this quarter moves, and in which perspective.
    kpi_perspective = dict(zip(kpis["kpi_id"], kpis["perspective"], strict=True))
    obj_perspective = dict(zip(objectives["objective_id"], objectives["perspective"], strict=True))
    current_krs = key_results[key_results["current_quarter"].astype(bool)]
    okrs_by_target: dict[str, list[str]] = defaultdict(list)
    okrs_by_perspective: dict[tuple[str, str], int] = defaultdict(int)
    for dept, okr_id, target in zip(
        current_krs["department_id"],
        current_krs["okr_objective_id"],
        current_krs["aligned_to"],
        strict=True,
    ):
        if not target:
            continue
        okrs_by_target[target].append(okr_id)
        persp = kpi_perspective.get(target) or obj_perspective.get(target)
        if persp:
            okrs_by_perspective[(dept, persp)] += 1
            okrs_by_perspective[(ORG, persp)] += 1
    kpis["aligned_okrs"] = [
        tuple(dict.fromkeys(okrs_by_target.get(k, []) + okrs_by_target.get(o, [])))
        for k, o in zip(kpis["kpi_id"], kpis["objective_id"], strict=True)
    ]

    data_departments = set(kpis["department_id"]) | set(objectives["department_id"])
    tree = Tree.build(config, sorted(data_departments | set(key_results["department_id"])))
    bsc_departments = [d for d in tree.ids if d in data_departments]
    absent = set(validated.no_data)
    now = roll_up_all(objectives, kpis, kpis["score"], tree, bsc_departments, absent)
    before = roll_up_all(objectives, kpis, kpis["prev_score"], tree, bsc_departments, absent)
    versus = _Versus(scoring, has_previous=month_index > 1)
    objective_frame = _objective_frame(objectives, now, before, versus)
    perspective_frame = _perspective_frame(now, before, versus, kpis, okrs_by_perspective)
    department_frame = _department_frame(
        validated, tree, now, before, versus, kpis, okr_objectives, quarter
    )
    organisation = _frame(
        [
            {
                "department_id": ORG,
                "name": config.organisation.name,
                **versus.fields(now.organisation, before.organisation),
                "departments_scored": now.organisation.scored,
                "departments_no_data": now.organisation.no_data,
                "inputs": now.organisation.inputs,
                "formula": now.organisation.formula,
                "coverage": _coverage(config, validated.no_data),
            }
        ],
        ORGANISATION_COLUMNS,
    )
    attention = _attention(kpis, objective_frame, okr_objectives, perspective_frame, objectives)
    calculations = _calculations(
        objective_frame, perspective_frame, department_frame, organisation,
        okr_objectives, okr_departments, tree, scoring,
    )  # fmt: skip
    return Scored(
        period=period,
        quarter=quarter,
        kpis=kpis,
        objectives=objective_frame,
        perspectives=perspective_frame,
        departments=department_frame,
        organisation=organisation,
        key_results=key_results,
        okr_objectives=okr_objectives,
        okr_departments=okr_departments,
        attention=attention,
        calculations=calculations,
    )


def _coverage(config: Config, absent: Sequence[str]) -> str:
    """Which configured units the organisation score covers, by count and by weight.

    A unit with no data this period (nothing accepted, nothing to show stale) is left out of
    the mean, so the score could rise when a weak unit is missing: the coverage says so.
    """
    units = config.departments
    missing = [d for d in units if d.id in absent]
    total = sum(d.weight for d in units)
    covered = total - sum(d.weight for d in missing)
    share = f"{covered / total:.0%}" if total else "0%"
    text = f"{len(units) - len(missing)} of {len(units)} units ({share} of their weight)"
    if missing:
        text += "; no data from " + ", ".join(d.name for d in missing)
    return text


def _objectives_input(objectives: pd.DataFrame) -> pd.DataFrame:
    frame = objectives.copy()
    for col, default in (("weight", 1.0), ("corporate", False), ("owner", "")):
        if col not in frame:
            frame[col] = default
    if len(frame):
        frame["weight"] = frame["weight"].fillna(1.0)
        frame["contributes_to"] = [ids(c) for c in frame["contributes_to"]]
    return frame


@dataclass(frozen=True)
class _Versus:
    """A roll-up's status, last month's score and status, and the trend: one rule for all."""

    scoring: Scoring
    has_previous: bool  # False in the first month of the fiscal year

    def fields(self, now: RollUp, before: RollUp) -> dict[str, Any]:
        if self.has_previous:
            prev_score, prev_status = before.score, rollup_status(before.score, self.scoring)
        else:
            prev_score, prev_status = math.nan, ""
        return {
            "score": now.score,
            "status": rollup_status(now.score, self.scoring),
            "prev_score": prev_score,
            "prev_status": prev_status,
            "trend": trend(now.score, prev_score),
        }


def _objective_frame(
    objectives: pd.DataFrame, now: Rolled, before: Rolled, versus: _Versus
) -> pd.DataFrame:
    drivers: dict[str, list[str]] = defaultdict(list)
    for oid, targets in zip(objectives["objective_id"], objectives["contributes_to"], strict=True):
        for t in targets:
            drivers[t].append(oid)
    rows = []
    for o in objectives.to_dict("records"):
        oid = o["objective_id"]
        entry = now.objectives[oid]
        full, own = entry.full, entry.own
        rows.append(
            {
                "department_id": o["department_id"],
                "objective_id": oid,
                "perspective": o["perspective"],
                "objective": o.get("objective", ""),
                "owner": o.get("owner", "") or "",
                "corporate": bool(o.get("corporate")),
                "contributes_to": o["contributes_to"],
                "weight": float(o["weight"]),
                "own_score": own.score,
                "own_formula": own.formula,
                **versus.fields(full, before.objectives[oid].full),
                "kpis_scored": own.scored,
                "kpis_no_data": own.no_data,
                "contributors": entry.contributors,
                "drivers": tuple(drivers.get(oid, ())),
                "inputs": full.inputs,
                "formula": full.formula,
            }
        )
    return _frame(rows, OBJECTIVE_COLUMNS)


def _perspective_frame(
    now: Rolled,
    before: Rolled,
    versus: _Versus,
    kpis: pd.DataFrame,
    okrs_by_perspective: dict[tuple[str, str], int],
) -> pd.DataFrame:
    kpi_count = kpis.groupby(["department_id", "perspective"]).size().to_dict()
    rows = []
    for (dept, persp), r in now.perspectives.items():
        kpis_in = (
            int((kpis["perspective"] == persp).sum())
            if dept == ORG
            else int(kpi_count.get((dept, persp), 0))
        )
        rows.append(
            {
                "department_id": dept,
                "perspective": persp,
                **versus.fields(r, before.perspectives[(dept, persp)]),
                "objectives_scored": r.scored,
                "objectives_no_data": r.no_data,
                "kpis": kpis_in,
                "okrs": okrs_by_perspective.get((dept, persp), 0),
                "inputs": r.inputs,
                "formula": r.formula,
            }
        )
    return _frame(rows, PERSPECTIVE_COLUMNS)


def _department_frame(
    validated: Validated,
    tree: Tree,
    now: Rolled,
    before: Rolled,
    versus: _Versus,
    kpis: pd.DataFrame,
    okr_objectives: pd.DataFrame,
    quarter: str,
) -> pd.DataFrame:
    subs = validated.submissions
    submitted = set(subs["department_id"]) if len(subs) else set()
    stale = (
        set(subs.loc[subs["stale"].astype(bool), "department_id"])
        if len(subs) and "stale" in subs
        else set()
    )
    has_bsc = set(kpis["department_id"]) | set(validated.objectives["department_id"])
    has_okr = set(okr_objectives["department_id"])
    current_okrs = okr_objectives[okr_objectives["quarter"] == quarter]
    rows = []
    for dept in tree.ids:
        r = now.departments[dept]
        dept_kpis = kpis[kpis["department_id"] == dept]
        bsc, okr = dept in has_bsc, dept in has_okr
        rows.append(
            {
                "department_id": dept,
                "department": tree.names[dept],
                "parent": tree.walk.parent[dept] or "",
                "corporate": dept in tree.corporate,
                "depth": tree.walk.depth(dept),
                "framework": {
                    (True, True): "BSC + OKR",
                    (True, False): "BSC",
                    (False, True): "OKR",
                    (False, False): "None",
                }[(bsc, okr)],
                "submitted": dept in submitted and dept not in validated.no_data,
                "stale": dept in stale,
                "kpis": len(dept_kpis),
                "kpis_no_data": int((dept_kpis["status"] == Status.NO_DATA).sum()),
                "okr_objectives": int((current_okrs["department_id"] == dept).sum()),
                "own_score": now.own[dept].score,
                "own_formula": now.own[dept].formula,
                **versus.fields(r, before.departments[dept]),
                "inputs": r.inputs,
                "formula": r.formula,
            }
        )
    return _frame(rows, DEPARTMENT_COLUMNS)


def _attention(
    kpis: pd.DataFrame,
    objective_frame: pd.DataFrame,
    okr_objectives: pd.DataFrame,
    perspective_frame: pd.DataFrame,
    objectives: pd.DataFrame,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    red = kpis[kpis["status"] == Status.RED].sort_values(
        ["red_months", "score"], ascending=[False, True], kind="stable"
    )
    for k in red.to_dict("records"):
        derive = k["red_months"] >= DERIVE_AFTER_MONTHS and not k["aligned_okrs"]
        months = f"Red for {k['red_months']} month{'s' if k['red_months'] != 1 else ''}"
        okrs = (
            f"addressed by {', '.join(k['aligned_okrs'])}"
            if k["aligned_okrs"]
            else "no OKR addresses it"
        )
        rows.append(
            {
                "kind": "derive-an-okr" if derive else "red-kpi",
                "department_id": k["department_id"],
                "id": k["kpi_id"],
                "name": k["kpi"],
                "perspective": k["perspective"],
                "status": Status.RED,
                "score": k["score"],
                "red_months": k["red_months"],
                "related": k["aligned_okrs"],
                "detail": f"{months}; {okrs}.",
            }
        )
    status = dict(zip(objective_frame["objective_id"], objective_frame["status"], strict=True))
    for o in objective_frame.to_dict("records"):
        if o["status"] != Status.GREEN:
            continue
        red_drivers = tuple(d for d in o["drivers"] if status.get(d) == Status.RED)
        if red_drivers:
            rows.append(
                {
                    "kind": "driver-red-effect-green",
                    "department_id": o["department_id"],
                    "id": o["objective_id"],
                    "name": o["objective"],
                    "perspective": o["perspective"],
                    "status": Status.GREEN,
                    "score": o["score"],
                    "red_months": 0,
                    "related": red_drivers,
                    "detail": f"Green, but its driver {', '.join(red_drivers)} is Red.",
                }
            )
    runs_bsc = len(objectives) > 0 or len(kpis) > 0
    current = okr_objectives[okr_objectives["current_quarter"].astype(bool)]
    if runs_bsc and len(current):
        for o in current.to_dict("records"):
            if not o["aligned_to"]:
                rows.append(
                    {
                        "kind": "okr-aligned-to-nothing",
                        "department_id": o["department_id"],
                        "id": o["okr_objective_id"],
                        "name": o["okr_objective"],
                        "perspective": "",
                        "status": o["grade"],
                        "score": o["score"],
                        "red_months": 0,
                        "related": (),
                        "detail": "No key result is aligned to a BSC objective or KPI.",
                    }
                )
        org = perspective_frame[perspective_frame["department_id"] == ORG]
        for p in org.to_dict("records"):
            if p["okrs"] == 0 and p["objectives_scored"] + p["objectives_no_data"] > 0:
                rows.append(
                    {
                        "kind": "perspective-without-okr",
                        "department_id": ORG,
                        "id": p["perspective"],
                        "name": p["perspective"],
                        "perspective": p["perspective"],
                        "status": p["status"],
                        "score": p["score"],
                        "red_months": 0,
                        "related": (),
                        "detail": "No OKR this quarter is aligned to this perspective.",
                    }
                )
    return _frame(rows, ATTENTION_COLUMNS)


def _calculations(
    objectives: pd.DataFrame,
    perspectives: pd.DataFrame,
    departments: pd.DataFrame,
    organisation: pd.DataFrame,
    okr_objs: pd.DataFrame,
    okr_depts: pd.DataFrame,
    tree: Tree,
    scoring: Scoring,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for o in objectives.to_dict("records"):
        formula = o["formula"]
        if o["contributors"]:  # say which of its two scores feeds what
            formula += (
                f"; with contributors, as shown on the strategy map. Its own KPIs alone: "
                f"{o['own_formula']}, the score its department's perspective uses, so no KPI "
                "counts twice"
            )
        rows.append(
            {
                "level": "objective",
                "department_id": o["department_id"],
                "id": o["objective_id"],
                "name": o["objective"],
                "formula": formula,
                "score": o["score"],
                "status": o["status"],
            }
        )
    for p in perspectives.to_dict("records"):
        rows.append(
            {
                "level": "perspective",
                "department_id": p["department_id"],
                "id": p["perspective"],
                "name": p["perspective"],
                "formula": p["formula"],
                "score": p["score"],
                "status": p["status"],
            }
        )
    for d in departments.to_dict("records"):
        rows.append(
            {
                "level": "department",
                "department_id": d["department_id"],
                "id": d["department_id"],
                "name": d["department"],
                "formula": d["formula"],
                "score": d["score"],
                "status": d["status"],
            }
        )
    for d in departments.to_dict("records"):
        if pd.isna(d["own_score"]) and d["own_formula"] == "no scored inputs":
            continue  # no scorecard of its own (OKRs only, or a parent of units only)
        rows.append(
            {
                "level": "department-own",
                "department_id": d["department_id"],
                "id": f"{d['department_id']} own",
                "name": f"{d['department']}: own scorecard (mean of its perspectives)",
                "formula": d["own_formula"],
                "score": d["own_score"],
                "status": rollup_status(d["own_score"], scoring),
            }
        )
    for o in organisation.to_dict("records"):
        rows.append(
            {
                "level": "organisation",
                "department_id": ORG,
                "id": ORG,
                "name": o["name"],
                "formula": f"{o['formula']}; covers {o['coverage']}",
                "score": o["score"],
                "status": o["status"],
            }
        )
    for o in okr_objs.to_dict("records"):
        rows.append(
            {
                "level": "okr-objective",
                "department_id": o["department_id"],
                "id": o["okr_objective_id"],
                "name": o["okr_objective"],
                "formula": o["formula"],
                "score": o["score"],
                "status": o["grade"],
            }
        )
    for d in okr_depts.to_dict("records"):
        rows.append(
            {
                "level": "okr-department",
                "department_id": d["department_id"],
                "id": d["department_id"],
                "name": tree.names.get(d["department_id"], d["department_id"]),
                "formula": d["formula"],
                "score": d["score"],
                "status": d["grade"],
            }
        )
    return _frame(rows, CALCULATION_COLUMNS)


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))
