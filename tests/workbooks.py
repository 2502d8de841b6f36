"""Build small test workbooks in one line, on top of `pipeline.workbook_templates.write_workbook`.

    from tests.workbooks import make_workbook, sample_rows

    path = make_workbook(tmp_path)                        # blank FIN workbook for 2026-10
    path = make_workbook(tmp_path, **sample_rows())       # a small, valid, filled workbook
    rows = sample_rows()
    rows["kpis"][0]["Target"] = "42%"                     # break one thing
    path = make_workbook(tmp_path, **rows)
    path = make_workbook(tmp_path, submission={"Template version": "1999.1"})

Sheet rows are lists of dicts keyed by the contract's exact header text (KPIs months by
their `YYYY-MM` label); keyword names are the `WorkbookContent` fields: submission,
objectives, kpis, okrs, checkins, initiatives. Values are written exactly as given, so
`"42%"` stays text, `"#DIV/0!"` becomes an error cell and `"=1/0"` a formula without a
cached value. The Submission sheet gets "Prepared by" and "Approved by" unless overridden
(pass None to blank one).
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Config, Department, parse_config
from pipeline.workbook_templates import WorkbookContent, write_workbook

# A tiny organisation: CORP on top, FIN and OPS below it.
CONFIG_DICT: dict[str, Any] = {
    "organisation": {"name": "Test Org", "fiscal_year_start": 1, "currency": "EUR"},
    "departments": [
        {"id": "CORP", "name": "Group strategy office", "corporate": True},
        {"id": "FIN", "name": "Finance", "parent": "CORP"},
        {"id": "OPS", "name": "Operations", "parent": "CORP"},
    ],
}


def make_config(
    tmp_path: Path | None = None, fiscal_year_start: int = 1, **overrides: Any
) -> Config:
    """The test Config; `overrides` replace top-level tables (e.g. departments=[...])."""
    raw = copy.deepcopy(CONFIG_DICT)
    raw["organisation"]["fiscal_year_start"] = fiscal_year_start
    raw.update(overrides)
    base = Path(tmp_path) if tmp_path is not None else Path.cwd()
    return parse_config(raw, base / "scorecard.toml")


def make_workbook(
    tmp_path: Path,
    dept_id: str = "FIN",
    period: str = "2026-10",
    *,
    filename: str | None = None,
    config: Config | None = None,
    submitted_on: date | None = None,
    **sheet_rows: Any,
) -> Path:
    """Write `<tmp_path>/<filename or DEPT-PERIOD.xlsx>` and return its path.

    `dept_id` need not be configured (the workbook then names an unknown department).
    """
    config = config or make_config(tmp_path)
    department = config.department(dept_id) or Department(dept_id, dept_id)
    submission = {"Prepared by": "Alex Example", "Approved by": "Sam Example"}
    submission.update(sheet_rows.pop("submission", None) or {})
    content = WorkbookContent(submission=submission, **sheet_rows)
    path = Path(tmp_path) / (filename or f"{dept_id}-{period}.xlsx")
    return write_workbook(path, config, department, period, content, submitted_on)


def sample_rows(dept_id: str = "FIN") -> dict[str, list[dict[str, Any]]]:
    """A small valid content set for period 2026-10 (calendar fiscal year): fresh copies."""
    d = dept_id
    return {
        "objectives": [
            {
                "Objective ID": f"{d}-O1",
                "Perspective": "Financial",
                "Objective": "Grow margin",
                "Owner": "Alex Example",
                "Weight": 2,
            },
            {
                "Objective ID": f"{d}-O2",
                "Perspective": "Internal Process",
                "Objective": "Close the books faster",
                "Owner": "Sam Example",
                "Contributes to": f"{d}-O1",
            },
        ],
        "kpis": [
            {
                "KPI ID": f"{d}-K1",
                "Objective ID": f"{d}-O1",
                "Perspective": "Financial",
                "KPI": "Gross margin",
                "Unit": "%",
                "Direction": "Higher is better",
                "Aggregation": "Last",
                "Target": 0.42,
                "Red threshold": 0.38,
                "2026-01": 0.40,
                "2026-02": 0.41,
                "2026-03": 0.415,
                "Commentary": "Price rise recovers a point.",
            },
            {
                "KPI ID": f"{d}-K2",
                "Objective ID": f"{d}-O2",
                "Perspective": "Internal Process",
                "KPI": "Days to close",
                "Unit": "days",
                "Direction": "Lower is better",
                "Aggregation": "Average",
                "Target": 5,
                "Red threshold": 8,
                "Weight": 1.5,
                "2026-01": 7,
                "2026-02": 6,
            },
        ],
        "okrs": [
            {
                "Objective ID": f"{d}-OKR1",
                "Objective": "Close the books faster",
                "KR ID": f"{d}-KR1",
                "Key result": "Cut month-end close from 8 to 5 days",
                "Type": "Decrease to",
                "Unit": "days",
                "Baseline": 8,
                "Target": 5,
                "Current": 6,
                "Confidence": 7,
                "Owner": "Sam Example",
                "Quarter": "2026-Q4",
                "Aligned to": f"{d}-O2",
            }
        ],
        "checkins": [
            {
                "KR ID": f"{d}-KR1",
                "Date": date(2026, 10, 9),
                "Value": 7,
                "Confidence": 6,
                "Note": "New checklist in place.",
            },
        ],
        "initiatives": [
            {
                "Initiative ID": f"{d}-I1",
                "Initiative": "Automate bank reconciliations",
                "Objective ID": f"{d}-O2",
                "Owner": "Sam Example",
                "Start": date(2026, 7, 1),
                "End": date(2026, 12, 31),
                "Progress %": 0.4,
                "Budget": 50000,
                "Spent": 18250.5,
                "Status": "On track",
            }
        ],
    }
