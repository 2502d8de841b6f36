"""Raw workbooks in, typed frames of the accepted submissions and every Problem out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.problems import Problem


@dataclass
class Validated:
    """What scoring needs: typed frames over all accepted departments, and all problems.

    Every frame has a `department_id` column. Text is stripped ('' when blank); numbers are
    float (NaN when blank: a blank is never zero); percentages are fractions (0.42) except a
    whole number typed in a % KPI, which stays as typed and carries a warning.

    - submissions: department_id, department, period, prepared_by, approved_by,
      submitted_on (date), template_version, file, sha256, stale (bool: an earlier accepted
      submission standing in for a rejected or missing one), as_of_period
    - objectives: department_id, objective_id, perspective, objective, owner,
      contributes_to (tuple[str, ...]), weight (blank -> 1.0), corporate (bool)
    - kpis: department_id, kpi_id, objective_id, perspective, kpi, unit, direction,
      aggregation, target, target_max, red_threshold, weight (blank -> 1.0), commentary
    - actuals: long form, one row per KPI and fiscal month: department_id, kpi_id,
      month ("YYYY-MM"), month_index (1..12 within the fiscal year), value (NaN = blank)
    - key_results: department_id, okr_objective_id, okr_objective, kr_id, key_result, type,
      unit, baseline, target, current, confidence, owner, quarter ("YYYY-Qn"), aligned_to
      ('' when blank), weight (blank -> 1.0), reflection
    - checkins: department_id, kr_id, date (Timestamp), value, confidence, note
    - initiatives: department_id, initiative_id, initiative, objective_id, owner, start, end
      (Timestamp or NaT), progress (fraction), budget, spent, status, note
    - files: one row per file seen: file, sha256, department_id, period, submitted_on,
      status (accepted / rejected / superseded / unreadable), errors, warnings
    """

    period: str
    months: tuple[str, ...]
    submissions: pd.DataFrame
    objectives: pd.DataFrame
    kpis: pd.DataFrame
    actuals: pd.DataFrame
    key_results: pd.DataFrame
    checkins: pd.DataFrame
    initiatives: pd.DataFrame
    files: pd.DataFrame
    missing: tuple[str, ...] = ()  # configured departments with no usable submission
    problems: list[Problem] = field(default_factory=list)
