"""Pandera schemas for each data sheet, built from the contract so headers live in one place.

Each check is named after the problem code it reports, so a failure maps to the catalogue
without a lookup table. Schemas run on one frame per sheet type holding every workbook's
rows (columns `file`, `row` locate each row), after coerce.py has typed the values.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipeline.contract import SheetSpec
from pipeline.vocabulary import DATE_MAX, DATE_MIN

# Columns whose values must be unique across the whole organisation.
UNIQUE_KEYS = frozenset({"kpi_id", "objective_id@Objectives", "kr_id@OKRs", "initiative_id"})


def _isin(choices: tuple[str, ...]) -> pa.Check:
    return pa.Check(lambda s: s.isin(choices), name="not-in-list")


def _between(low: float, high: float) -> pa.Check:
    return pa.Check(lambda s: s.between(low, high), name="out-of-range")


def _plausible_date() -> pa.Check:
    low, high = pd.Timestamp(DATE_MIN), pd.Timestamp(DATE_MAX)
    return pa.Check(lambda s: s.between(low, high), name="implausible-date")


def _column(
    spec: SheetSpec, key: str, kind: str, required: bool, choices: tuple[str, ...]
) -> pa.Column:
    checks: list[pa.Check] = []
    dtype: object = object
    if kind == "enum" and choices:
        checks.append(_isin(choices))
    elif kind in ("number", "value"):
        dtype = float
    elif kind == "percent":
        dtype = float
        checks.append(_between(0.0, 1.0))
    elif kind == "confidence":
        dtype = float
        checks.append(_between(0.0, 10.0))
    elif kind == "weight":
        dtype = float
        checks.append(pa.Check(lambda s: s >= 0, name="out-of-range"))
    elif kind == "date":
        dtype = "datetime64[ns]"
        checks.append(_plausible_date())
    unique = key in UNIQUE_KEYS or f"{key}@{spec.name}" in UNIQUE_KEYS
    return pa.Column(
        dtype, checks=checks, nullable=not required, unique=unique, required=True, coerce=False
    )


def sheet_schema(spec: SheetSpec) -> pa.DataFrameSchema:
    """The schema of one data sheet's typed frame (keys as column names)."""
    columns = {c.key: _column(spec, c.key, c.kind, c.required, c.choices) for c in spec.columns}
    return pa.DataFrameSchema(columns, name=spec.name, strict=False, coerce=False)


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Run the schema lazily; return failure cases (column, check, failure_case, index)."""
    if frame.empty:
        return pd.DataFrame(columns=["column", "check", "failure_case", "index"])
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases[cases["index"].notna()][["column", "check", "failure_case", "index"]]
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


# pandera's built-in check names -> problem codes; our own checks are named by code already.
BUILTIN_CHECKS = {"not_nullable": "required-value", "field_uniqueness": "duplicate-id"}
