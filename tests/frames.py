"""Build `Validated` frames and a `Config` from plain lists of dicts, for scoring tests.

The columns are the ones validation produces (see pipeline.validate.Validated); defaults
fill what a test does not care about, so each test shows only the data it depends on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import Config, Department, Organisation, Reporting, Scoring
from pipeline.contract import fiscal_year_months
from pipeline.validate import Validated

NaN = math.nan

OBJECTIVE_DEFAULTS: dict[str, Any] = {
    "owner": "",
    "contributes_to": (),
    "weight": 1.0,
    "corporate": False,
}
KPI_DEFAULTS: dict[str, Any] = {
    "objective_id": "",
    "perspective": "Financial",
    "unit": "count",
    "direction": "Higher is better",
    "aggregation": "Last",
    "target_max": NaN,
    "red_threshold": NaN,
    "weight": 1.0,
    "commentary": "",
}
KR_DEFAULTS: dict[str, Any] = {
    "okr_objective": "",
    "unit": "",
    "baseline": NaN,
    "current": NaN,
    "confidence": NaN,
    "owner": "",
    "aligned_to": "",
    "weight": 1.0,
    "reflection": "",
}

COLUMNS = {
    "submissions": (
        "department_id", "department", "period", "prepared_by", "approved_by", "submitted_on",
        "template_version", "file", "sha256", "stale", "as_of_period",
    ),
    "objectives": (
        "department_id", "objective_id", "perspective", "objective", "owner", "contributes_to",
        "weight", "corporate",
    ),
    "kpis": (
        "department_id", "kpi_id", "objective_id", "perspective", "kpi", "unit", "direction",
        "aggregation", "target", "target_max", "red_threshold", "weight", "commentary",
    ),
    "actuals": ("department_id", "kpi_id", "month", "month_index", "value"),
    "key_results": (
        "department_id", "okr_objective_id", "okr_objective", "kr_id", "key_result", "type",
        "unit", "baseline", "target", "current", "confidence", "owner", "quarter",
        "aligned_to", "weight", "reflection",
    ),
    "checkins": ("department_id", "kr_id", "date", "value", "confidence", "note"),
    "initiatives": (
        "department_id", "initiative_id", "initiative", "objective_id", "owner", "start", "end",
        "progress", "budget", "spent", "status", "note",
    ),
    "files": (
        "file", "sha256", "department_id", "period", "submitted_on", "status", "errors",
        "warnings",
    ),
}  # fmt: skip


def make_config(
    departments: Sequence[tuple[str, str | None, bool]] = (("CORP", None, True),),
    fiscal_year_start: int = 1,
    **scoring: float,
) -> Config:
    """A Config with (id, parent, corporate) departments and optional scoring overrides."""
    base = Path("/nonexistent/scorecard.toml")
    return Config(
        path=base,
        organisation=Organisation("Test Org", fiscal_year_start=fiscal_year_start),
        reporting=Reporting(base.parent / "inbox", base.parent / "reports", base.parent / "a"),
        departments=tuple(Department(d, f"Dept {d}", p, c) for d, p, c in departments),
        scoring=Scoring(**scoring),
    )


def make_validated(
    period: str = "2026-11",
    *,
    objectives: Iterable[Mapping[str, Any]] = (),
    kpis: Iterable[Mapping[str, Any]] = (),
    key_results: Iterable[Mapping[str, Any]] = (),
    checkins: Iterable[Mapping[str, Any]] = (),
    submitted: Iterable[str] | None = None,
    stale: Iterable[str] = (),
    missing: Iterable[str] = (),
    fiscal_year_start: int = 1,
) -> Validated:
    """Validated frames from rows of dicts.

    A KPI row may carry `actuals`: a list of monthly values by fiscal month (None = blank)
    or a dict {"2026-03": value}. `contributes_to` may be a tuple or a comma string. Every
    department in the data counts as submitted unless `submitted` says otherwise.
    """
    months = fiscal_year_months(period, fiscal_year_start)
    objective_rows = []
    for o in objectives:
        row = {**OBJECTIVE_DEFAULTS, "objective": o["objective_id"], **o}
        if isinstance(row["contributes_to"], str):
            row["contributes_to"] = tuple(
                c.strip() for c in row["contributes_to"].split(",") if c.strip()
            )
        row["contributes_to"] = tuple(row["contributes_to"])
        objective_rows.append(row)
    kpi_rows, actual_rows = [], []
    for k in kpis:
        row = {**KPI_DEFAULTS, "kpi": k["kpi_id"], **k}
        values = row.pop("actuals", [])
        if isinstance(values, Mapping):
            values = [values.get(m) for m in months]
        values = list(values) + [None] * (12 - len(values))
        for i, (month, value) in enumerate(zip(months, values, strict=True), start=1):
            actual_rows.append(
                {
                    "department_id": row["department_id"],
                    "kpi_id": row["kpi_id"],
                    "month": month,
                    "month_index": i,
                    "value": NaN if value is None else float(value),
                }
            )
        kpi_rows.append(row)
    kr_rows = [{**KR_DEFAULTS, "key_result": k["kr_id"], **k} for k in key_results]
    checkin_rows = [
        {"confidence": NaN, "note": "", **c, "date": pd.Timestamp(c["date"])} for c in checkins
    ]
    if submitted is None:
        found = [r["department_id"] for r in (*objective_rows, *kpi_rows, *kr_rows)]
        submitted = list(dict.fromkeys(found))
    stale = set(stale)
    submission_rows = [
        {
            "department_id": d,
            "department": f"Dept {d}",
            "period": period,
            "prepared_by": "A. Tester",
            "approved_by": "",
            "submitted_on": pd.Timestamp(period + "-28").date(),
            "template_version": "2026.1",
            "file": f"{d}.xlsx",
            "sha256": "0" * 64,
            "stale": d in stale,
            "as_of_period": period,
        }
        for d in submitted
    ]
    return Validated(
        period=period,
        months=months,
        submissions=_frame(submission_rows, "submissions"),
        objectives=_frame(objective_rows, "objectives"),
        kpis=_frame(kpi_rows, "kpis"),
        actuals=_frame(actual_rows, "actuals"),
        key_results=_frame(kr_rows, "key_results"),
        checkins=_frame(checkin_rows, "checkins"),
        initiatives=_frame([], "initiatives"),
        files=_frame([], "files"),
        missing=tuple(missing),
    )


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    columns = COLUMNS[name]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))


def seed_rows() -> dict[str, list[dict]]:
    """The seed example \"SaaS customer retention\": Customer success, November 2026.

    8 KPIs across the four perspectives and one OKR objective with three KRs (NPS 42 -> 55,
    churn 4.2 % -> 2.8 %, 90-day adoption 25 % -> 45 %); hand-computed scores are in
    tests/test_score.py, and tests/test_pack.py checks they reach the PDF.
    """
    months = [f"2026-{m:02d}" for m in range(1, 13)]

    def nov(value, oct_value=None):
        return {"2026-10": oct_value, "2026-11": value}

    objectives = [
        {"objective_id": "CS-F1", "perspective": "Financial",
         "objective": "Grow net revenue retention"},
        {"objective_id": "CS-C1", "perspective": "Customer", "objective": "Keep customers longer",
         "contributes_to": "CS-F1"},
        {"objective_id": "CS-P1", "perspective": "Internal Process",
         "objective": "Onboard customers fast", "contributes_to": "CS-C1"},
        {"objective_id": "CS-L1", "perspective": "Learning & Growth",
         "objective": "A skilled success team", "contributes_to": "CS-P1"},
    ]  # fmt: skip
    kpis = [
        {"kpi_id": "CS-K1", "objective_id": "CS-F1", "perspective": "Financial",
         "kpi": "Net revenue retention", "unit": "%", "target": 1.10, "red_threshold": 1.00,
         "actuals": nov(1.05)},
        {"kpi_id": "CS-K2", "objective_id": "CS-F1", "perspective": "Financial",
         "kpi": "Expansion revenue", "unit": "EUR", "aggregation": "Sum", "target": 1_200_000,
         "actuals": {m: 100_000 for m in months[:11]}},
        {"kpi_id": "CS-K3", "objective_id": "CS-C1", "perspective": "Customer",
         "kpi": "Net Promoter Score", "unit": "score", "target": 55, "red_threshold": 40,
         "actuals": nov(49, 47)},
        {"kpi_id": "CS-K4", "objective_id": "CS-C1", "perspective": "Customer",
         "kpi": "Monthly logo churn", "unit": "%", "direction": "Lower is better",
         "aggregation": "Average", "target": 0.028, "red_threshold": 0.042,
         "actuals": {m: 0.035 for m in months[:11]}},
        {"kpi_id": "CS-K5", "objective_id": "CS-P1", "perspective": "Internal Process",
         "kpi": "Days to first value", "unit": "days", "direction": "Lower is better",
         "target": 14, "actuals": nov(15.5, 16), "commentary": "Two large go-lives slipped."},
        {"kpi_id": "CS-K6", "objective_id": "CS-P1", "perspective": "Internal Process",
         "kpi": "Support tickets per new customer", "direction": "Within range", "target": 2,
         "target_max": 4, "actuals": nov(4.3)},
        {"kpi_id": "CS-K7", "objective_id": "CS-L1", "perspective": "Learning & Growth",
         "kpi": "Training hours per CSM", "unit": "hours", "aggregation": "Sum", "target": 48,
         "actuals": {m: 4 for m in months[:10]}},
        {"kpi_id": "CS-K8", "objective_id": "CS-L1", "perspective": "Learning & Growth",
         "kpi": "Certified CSMs", "unit": "%", "target": 0.8, "red_threshold": 0.5,
         "actuals": nov(0.8)},
    ]  # fmt: skip
    key_results = [
        {"okr_objective_id": "CS-OKR1", "okr_objective": "Customers love us and stay",
         "kr_id": "CS-KR1", "key_result": "Raise NPS from 42 to 55", "type": "Increase to",
         "unit": "score", "baseline": 42, "target": 55, "current": 47, "aligned_to": "CS-K3"},
        {"okr_objective_id": "CS-OKR1", "okr_objective": "Customers love us and stay",
         "kr_id": "CS-KR2", "key_result": "Cut monthly churn from 4.2% to 2.8%",
         "type": "Decrease to", "unit": "%", "baseline": 0.042, "target": 0.028,
         "current": 0.035, "confidence": 5, "aligned_to": "CS-K4"},
        {"okr_objective_id": "CS-OKR1", "okr_objective": "Customers love us and stay",
         "kr_id": "CS-KR3", "key_result": "Lift 90-day adoption from 25% to 45%",
         "type": "Increase to", "unit": "%", "baseline": 0.25, "target": 0.45,
         "current": 0.30, "confidence": 4, "aligned_to": "CS-P1"},
    ]  # fmt: skip
    checkins = [
        {"kr_id": "CS-KR1", "date": "2026-10-15", "value": 45, "confidence": 6},
        {"kr_id": "CS-KR1", "date": "2026-11-20", "value": 49, "confidence": 7},
    ]
    return {
        "objectives": [{"department_id": "CS", **o} for o in objectives],
        "kpis": [{"department_id": "CS", **k} for k in kpis],
        "key_results": [{"department_id": "CS", "quarter": "2026-Q4", **k} for k in key_results],
        "checkins": [{"department_id": "CS", **c} for c in checkins],
    }
