"""Next month's workbook, pre-filled from the department's last accepted submission.

Finance staff otherwise re-key objectives, KPI definitions, targets and every earlier
month, or copy last month's file (which is how stale Periods and wrong Department IDs get
in). `prefilled_content` reads the archived copy of the department's latest accepted
workbook for an earlier period (`inbox.last_accepted_before`) and returns the rows to write:

- Objectives, KPI definitions (targets, thresholds, weights), Initiatives: as they were;
- KPI months: every month of the new period's fiscal year *before* the new period, as
  accepted (a new fiscal year starts with empty months: only definitions carry over);
  the reporting month and later months stay blank; Commentary is cleared;
- OKRs and their check-ins: the key results of the new period's quarter, Reflection
  cleared. At a quarter change last quarter's OKRs are left out and listed, for reference,
  in `reference` (the Instructions sheet shows them);
- Submission: nothing but what the template writes itself (Department ID, Period, Template
  version): who prepared, approved and submitted it is this month's to type.

Reading goes through `read.read_workbook` (the same pre-flight gate as the inbox), so an
archive file that can no longer be read gives a blank template, never a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline import contract
from pipeline.config import Config
from pipeline.contract import Sheet
from pipeline.inbox import last_accepted_before
from pipeline.read import RawSheet, UnreadableWorkbook, read_workbook
from pipeline.render.excel import clean_text
from pipeline.workbook_templates import Text, WorkbookContent

# Cells that are this month's words, not last month's: left blank in the pre-filled copy.
_CLEARED = {Sheet.KPIS: {"Commentary"}, Sheet.OKRS: {"Reflection"}}
_FIELDS = {
    Sheet.OBJECTIVES: "objectives",
    Sheet.KPIS: "kpis",
    Sheet.OKRS: "okrs",
    Sheet.CHECKINS: "checkins",
    Sheet.INITIATIVES: "initiatives",
}


@dataclass(frozen=True)
class Prefill:
    """What to write, and where it came from (for the command's report)."""

    content: WorkbookContent
    source_file: str  # the file name as it was dropped
    source_period: str
    reference: tuple[str, ...] = ()  # last quarter's OKRs, one line each


def prefilled_content(config: Config, department_id: str, period: str) -> Prefill | None:
    """The department's workbook content for `period`, or None when it has no history."""
    row = last_accepted_before(config.reporting.archive, department_id, period)
    if row is None:
        return None
    archived = sorted(config.reporting.archive.glob(f"{row['sha256']}.*"))
    if not archived:
        return None
    try:
        raw = read_workbook(archived[0])
    except UnreadableWorkbook:
        return None
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    specs = {s.name: s for s in contract.data_sheet_specs(months, config.perspective_choices)}
    rows = {name: _rows(raw.sheets.get(name), spec) for name, spec in specs.items()}

    kpis = []
    for kpi in rows[Sheet.KPIS]:
        kept = {
            header: value
            for header, value in kpi.items()
            if not contract_month(header) or (header in months and header < period)
        }
        kpis.append(kept)
    quarter = contract.quarter_of(period)
    okrs = [r for r in rows[Sheet.OKRS] if str(r.get("Quarter", "")).strip().upper() == quarter]
    earlier = [r for r in rows[Sheet.OKRS] if r not in okrs]
    kr_ids = {str(r.get("KR ID", "")).strip().upper() for r in okrs}
    checkins = [
        r for r in rows[Sheet.CHECKINS] if str(r.get("KR ID", "")).strip().upper() in kr_ids
    ]
    reference = _reference(earlier)
    content = WorkbookContent(
        reference_okrs=list(reference),
        objectives=rows[Sheet.OBJECTIVES],
        kpis=kpis,
        okrs=okrs,
        checkins=checkins,
        initiatives=rows[Sheet.INITIATIVES],
    )
    return Prefill(content, row["file"], row["period"], reference)


def contract_month(header: str) -> bool:
    """A KPIs month column header (`2026-10`)."""
    try:
        contract.parse_period(header)
    except ValueError:
        return False
    return True


def _rows(sheet: RawSheet | None, spec: contract.SheetSpec) -> list[dict[str, Any]]:
    """The sheet's rows keyed by the contract's exact headers; blank cells left out."""
    if sheet is None:
        return []
    by_fold = {c.header.casefold(): c.header for c in spec.columns}
    cleared = _CLEARED.get(spec.name, set())
    out = []
    for _, raw_row in sheet.frame.iterrows():
        row = {}
        for typed, value in raw_row.items():
            header = by_fold.get(str(typed).strip().casefold())
            if header is None or header in cleared or _blank(value):
                continue
            if isinstance(value, datetime):
                value = value.date()
            elif isinstance(value, str):
                value = Text(value)  # "=1+1" typed as text stays text
            row[header] = value
        if row:
            out.append(row)
    return out


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _reference(okrs: list[dict[str, Any]]) -> tuple[str, ...]:
    """Last quarter's key results, one readable line each."""
    lines = []
    for r in okrs:
        parts = [str(r.get(h, "")).strip() for h in ("Quarter", "Objective ID", "Objective")]
        kr = f"{r.get('KR ID', '')} {r.get('Key result', '')}".strip()
        target = r.get("Target")
        tail = f" (target {target})" if target is not None else ""
        lines.append(clean_text(f"{' '.join(p for p in parts if p)}: {kr}{tail}", 500))
    return tuple(lines)
