"""Key results and check-ins in; KR progress, OKR objective and department scores out.

Pure pandas, no I/O. The formulas (progress by KR type, expected progress, pace) are in
`pipeline.formulas`; the decisions are stated there and in docs/scoring.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import pandas as pd

from pipeline.config import Scoring
from pipeline.contract import period_end, quarter_of
from pipeline.formulas import (
    as_float,
    behind_pace,
    expected_progress,
    kr_progress,
    okr_grade,
    roll_up,
)
from pipeline.vocabulary import is_blank

KEY_RESULT_COLUMNS = (
    "department_id", "okr_objective_id", "okr_objective", "kr_id", "key_result", "type",
    "unit", "quarter", "baseline", "target", "current", "current_source", "progress",
    "confidence", "confidence_change", "expected", "behind_pace", "last_checkin",
    "days_since_checkin", "checkins", "aligned_to", "weight", "owner", "reflection",
    "current_quarter",
)  # fmt: skip
OKR_OBJECTIVE_COLUMNS = (
    "department_id", "okr_objective_id", "okr_objective", "quarter", "current_quarter", "krs",
    "krs_behind_pace", "aligned_to", "score", "grade", "expected", "confidence", "inputs",
    "formula",
)  # fmt: skip
OKR_DEPARTMENT_COLUMNS = (
    "department_id", "okr_objectives", "krs", "krs_behind_pace", "score", "grade", "formula",
)  # fmt: skip


def score_key_results(
    key_results: pd.DataFrame, checkins: pd.DataFrame, period: str
) -> pd.DataFrame:
    """One row per KR: current value, progress, confidence, pace and check-in history."""
    as_of = period_end(period)
    this_quarter = quarter_of(period)
    history: dict[str, list[tuple[date, float, float]]] = defaultdict(list)
    if not checkins.empty:
        for kr_id, when, value, confidence in zip(
            checkins["kr_id"],
            checkins["date"],
            checkins["value"],
            checkins.get("confidence", pd.Series([math.nan] * len(checkins))),
            strict=True,
        ):
            if is_blank(when):
                continue
            day = pd.Timestamp(when).date()
            if day <= as_of:
                history[kr_id].append((day, as_float(value), as_float(confidence)))
    rows = []
    for kr in key_results.to_dict("records"):
        checks = sorted(history.get(kr["kr_id"], []), key=lambda c: c[0])  # stable
        usable = [c for c in checks if not math.isnan(c[1])]
        if usable:
            current, source = usable[-1][1], "check-in"
        elif not is_blank(kr.get("current")):
            current, source = float(kr["current"]), "sheet"
        else:
            current, source = math.nan, ""
        confidences = [c[2] for c in checks if not math.isnan(c[2])]
        confidence = confidences[-1] if confidences else as_float(kr.get("confidence"))
        change = confidences[-1] - confidences[-2] if len(confidences) >= 2 else math.nan
        progress = kr_progress(kr["type"], kr.get("baseline"), kr["target"], current)
        expected = expected_progress(kr["quarter"], as_of)
        last = checks[-1][0] if checks else None
        rows.append(
            {
                "department_id": kr["department_id"],
                "okr_objective_id": kr["okr_objective_id"],
                "okr_objective": kr.get("okr_objective", ""),
                "kr_id": kr["kr_id"],
                "key_result": kr.get("key_result", ""),
                "type": kr["type"],
                "unit": kr.get("unit", ""),
                "quarter": kr["quarter"],
                "baseline": as_float(kr.get("baseline")),
                "target": as_float(kr["target"]),
                "current": current,
                "current_source": source,
                "progress": progress,
                "confidence": confidence,
                "confidence_change": change,
                "expected": expected,
                "behind_pace": behind_pace(progress, expected),
                "last_checkin": last,
                "days_since_checkin": (as_of - last).days if last else math.nan,
                "checkins": tuple(
                    (d.isoformat(), v, None if math.isnan(c) else c) for d, v, c in checks
                ),
                "aligned_to": kr.get("aligned_to", "") or "",
                "weight": 1.0 if is_blank(kr.get("weight")) else float(kr["weight"]),
                "owner": kr.get("owner", "") or "",
                "reflection": kr.get("reflection", "") or "",
                "current_quarter": kr["quarter"] == this_quarter,
            }
        )
    return pd.DataFrame(rows, columns=list(KEY_RESULT_COLUMNS))


def score_okr_objectives(key_results: pd.DataFrame, scoring: Scoring) -> pd.DataFrame:
    """One row per OKR objective: weighted mean of its KRs' progress, graded."""
    rows = []
    if key_results.empty:
        return pd.DataFrame(rows, columns=list(OKR_OBJECTIVE_COLUMNS))
    groups = key_results.groupby(["department_id", "okr_objective_id"], sort=False)
    for (dept, okr_id), krs in groups:
        result = roll_up(
            zip(krs["kr_id"], krs["progress"], krs["weight"], strict=True), _thresholds(scoring)
        )
        confidences = [c for c in krs["confidence"] if not is_blank(c)]
        rows.append(
            {
                "department_id": dept,
                "okr_objective_id": okr_id,
                "okr_objective": krs["okr_objective"].iloc[0],
                "quarter": krs["quarter"].iloc[0],
                "current_quarter": bool(krs["current_quarter"].iloc[0]),
                "krs": len(krs),
                "krs_behind_pace": int(krs["behind_pace"].sum()),
                "aligned_to": tuple(dict.fromkeys(a for a in krs["aligned_to"] if a)),
                "score": result.score,
                "grade": okr_grade(result.score, scoring),
                "expected": as_float(krs["expected"].iloc[0]),
                "confidence": sum(confidences) / len(confidences) if confidences else math.nan,
                "inputs": result.inputs,
                "formula": result.formula,
            }
        )
    return pd.DataFrame(rows, columns=list(OKR_OBJECTIVE_COLUMNS))


def score_okr_departments(okr_objectives: pd.DataFrame, scoring: Scoring) -> pd.DataFrame:
    """One row per department with OKRs this quarter: mean of its objectives' scores."""
    rows = []
    current = okr_objectives[okr_objectives["current_quarter"].astype(bool)]
    for dept, objs in current.groupby("department_id", sort=False):
        result = roll_up(
            zip(objs["okr_objective_id"], objs["score"], [1.0] * len(objs), strict=True),
            _thresholds(scoring),
        )
        rows.append(
            {
                "department_id": dept,
                "okr_objectives": len(objs),
                "krs": int(objs["krs"].sum()),
                "krs_behind_pace": int(objs["krs_behind_pace"].sum()),
                "score": result.score,
                "grade": okr_grade(result.score, scoring),
                "formula": result.formula,
            }
        )
    return pd.DataFrame(rows, columns=list(OKR_DEPARTMENT_COLUMNS))


def _thresholds(scoring: Scoring) -> tuple[float, float]:
    return (scoring.okr_green_at, scoring.okr_amber_at)
