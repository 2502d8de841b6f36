"""This period's actuals and each department's previous submission in, restated months out.

A restatement is a past month whose actual this month's accepted workbook changes compared
with what the last pack used. Pure: the caller looks the previous submissions up in the
ledger (`pipeline.inbox.last_accepted_before` and `accepted_values`) and passes them in.

Definitions (docs/scoring.md "Restatements" states the same for readers)
-------------------------------------------------------------------------
- What the last pack used, for a department: the actuals of its most recent accepted
  submission for an *earlier* period (the ledger's accepted row with the greatest period
  before the current one; ties by the time it was seen). A submission for this period or
  a later one is never the comparison, so recording this run's values changes nothing.
- Compared: months of the current fiscal year strictly before the current period
  (`validated.months`, `validated.period`) and not after the previous submission's period
  (a month the last pack had no report for is late, not restated: a department shown
  stale last month fills it in now), for KPIs present in both.
- Restated: both are numbers and |new - old| > 1e-9 x max(1, |old|); or one is blank and
  the other a number ("blank -> 12", "12 -> blank"). A blank is never zero: blank and
  blank is not a change.
- Departments shown stale (submissions column `stale` True) are never compared: the data
  shown for them is the old data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from pipeline.validate import Validated
from pipeline.vocabulary import is_blank

RESTATEMENT_COLUMNS = (
    "department_id", "kpi_id", "kpi", "month", "old", "new", "old_file", "old_period",
)  # fmt: skip
RELATIVE_TOLERANCE = 1e-9  # of max(1, |old|): differences below it are float noise


@dataclass(frozen=True)
class PreviousSubmission:
    """A department's most recent accepted submission for an earlier period."""

    file: str
    period: str
    sha256: str = ""
    # (kpi_id, month "YYYY-MM") -> the accepted value; NaN (or None) for a blank month.
    values: Mapping[tuple[str, str], float | None] = field(default_factory=dict)


def is_restated(old: float | None, new: float | None) -> bool:
    """Whether `old` -> `new` is a change: blank and a number differ, blank == blank."""
    old_blank, new_blank = is_blank(old), is_blank(new)
    if old_blank or new_blank:
        return old_blank != new_blank
    return abs(float(new) - float(old)) > RELATIVE_TOLERANCE * max(1.0, abs(float(old)))


def restatements(validated: Validated, previous: Mapping[str, PreviousSubmission]) -> pd.DataFrame:
    """One row per restated month (old / new NaN for blank), by department, KPI, month."""
    subs = validated.submissions
    stale = (
        set(subs.loc[subs["stale"].astype(bool), "department_id"])
        if len(subs) and "stale" in subs
        else set()
    )
    past = {m for m in validated.months if m < validated.period}
    actuals = validated.actuals
    names = _kpi_names(validated.kpis)
    rows = []
    if len(actuals):
        for dept, kpi_id, month, value in zip(
            actuals["department_id"],
            actuals["kpi_id"],
            actuals["month"],
            actuals["value"],
            strict=True,
        ):
            prev = previous.get(dept)
            if (
                prev is None
                or dept in stale
                or month not in past
                or month > prev.period  # never reported before: late, not restated
                or prev.period >= validated.period
            ):
                continue
            key = (kpi_id, month)
            if key not in prev.values:
                continue  # the old submission did not cover this KPI or month
            old = prev.values[key]
            if is_restated(old, value):
                rows.append(
                    (
                        dept,
                        kpi_id,
                        names.get((dept, kpi_id), ""),
                        month,
                        _number(old),
                        _number(value),
                        prev.file,
                        prev.period,
                    )
                )
    frame = pd.DataFrame(rows, columns=list(RESTATEMENT_COLUMNS))
    frame = frame.sort_values(["department_id", "kpi_id", "month"], kind="stable")
    frame[["old", "new"]] = frame[["old", "new"]].astype(float)
    return frame.reset_index(drop=True)


def _number(x: float | None) -> float:
    return math.nan if is_blank(x) else float(x)


def _kpi_names(kpis: pd.DataFrame) -> dict[tuple[str, str], str]:
    if not len(kpis):
        return {}
    return {
        (d, k): str(n)
        for d, k, n in zip(kpis["department_id"], kpis["kpi_id"], kpis["kpi"], strict=True)
    }
