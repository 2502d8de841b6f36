"""Write blank or pre-filled department workbooks (.xlsx) that follow the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Config, Department


@dataclass
class WorkbookContent:
    """Rows to pre-fill, each a dict keyed by the contract's exact header text.

    KPIs rows use the month labels (`2026-03`) as keys for actuals. `submission` overrides
    Submission values by field label (e.g. {"Prepared by": "A. Jones"}). Values are written
    as given: a test can put `"42%"` text or `"#DIV/0!"` in a cell to exercise validation.
    """

    submission: dict[str, Any] = field(default_factory=dict)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    okrs: list[dict[str, Any]] = field(default_factory=list)
    checkins: list[dict[str, Any]] = field(default_factory=list)
    initiatives: list[dict[str, Any]] = field(default_factory=list)


def write_workbook(
    path: Path,
    config: Config,
    department: Department,
    period: str,
    content: WorkbookContent | None = None,
    submitted_on: date | None = None,
) -> Path:
    """Write one department's workbook for `period` to `path`; return the path."""
    raise NotImplementedError  # being implemented (helper T)


def write_templates(config: Config, period: str, out_dir: Path) -> list[Path]:
    """One blank template per configured department: `<out_dir>/<DEPT>.xlsx`."""
    raise NotImplementedError  # being implemented (helper T)
