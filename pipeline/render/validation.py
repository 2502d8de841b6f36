"""Validation results in, a JSON report for tools and an HTML report for people out.

The JSON lists every problem. What people read (this HTML report, the console, the pack's
appendix) lists the first PROBLEMS_SHOWN of each file and counts the rest by code
(`ProblemCap`): one workbook can carry tens of thousands of problems, and a reader needs
the first few to see what is wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from pipeline.atomic import write_text
from pipeline.config import Config
from pipeline.standing import State, counts, standings
from pipeline.validate import Validated
from pipeline.vocabulary import FileStatus

TEMPLATES = Path(__file__).parent / "templates"
# Files counted in the summary, in this order (a stale department is not a file's verdict).
COUNTED = (
    FileStatus.ACCEPTED,
    FileStatus.REJECTED,
    FileStatus.SUPERSEDED,
    FileStatus.UNREADABLE,
    FileStatus.OTHER_PERIOD,
)
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)
# Problems listed per file where people read them; the rest are counted by code.
PROBLEMS_SHOWN = 200


@dataclass(frozen=True)
class MoreProblems:
    """One file's problems of one code past the first PROBLEMS_SHOWN: counted, not listed."""

    file: str
    severity: str
    code: str
    count: int
    first_cell: str  # where the first of them is ("KPIs!H207"), or its sheet

    @property
    def text(self) -> str:
        """`and 55,500 more not-a-number, the first in KPIs!H207`."""
        where = f", the first in {self.first_cell}" if self.first_cell else ""
        return f"and {self.count:,} more {self.code}{where}"


class ProblemCap:
    """Admit each file's first `limit` problems; count the rest by (severity, code).

    Streaming, so a caller builds a row only for what is admitted: memory stays flat
    whatever the number of problems.
    """

    def __init__(self, limit: int = PROBLEMS_SHOWN) -> None:
        self.limit = limit
        self._seen: Counter[str] = Counter()
        self._more: dict[tuple[str, str, str], list[Any]] = {}  # -> [count, first cell]

    def admit(self, file: str, severity: str, code: str, cell: str) -> bool:
        """True when this problem is among its file's first `limit`; else it is counted."""
        self._seen[file] += 1
        if self._seen[file] <= self.limit:
            return True
        entry = self._more.setdefault((file, severity, code), [0, cell])
        entry[0] += 1
        return False

    def more(self, file: str | None = None) -> list[MoreProblems]:
        """The counted problems (of one file, or all), in the order first met."""
        return [
            MoreProblems(f, severity, code, count, cell)
            for (f, severity, code), (count, cell) in self._more.items()
            if file is None or f == file
        ]


def validation_summary(
    validated: Validated,
    ignored: list[tuple[Path, str]],
    config: Config,
    shown: int | None = None,
) -> dict[str, Any]:
    """Plain data: each department's standing, each file's status and problems.

    Every problem is listed unless `shown` is given: then each file lists its first `shown`
    and says how many more of each code in `more_problems` (`organisation_more` for
    problems of no file), and only the listed ones are turned into dicts.
    """
    cap = ProblemCap(shown) if shown is not None else None
    by_file: dict[str, list[dict]] = {}
    for prob in validated.problems:
        if cap is None or cap.admit(prob.file, prob.severity, prob.code, prob.cell or prob.sheet):
            by_file.setdefault(prob.file, []).append(prob.as_dict())
    files = []
    for row in validated.files.to_dict("records"):
        files.append(
            {
                "file": row["file"],
                "department_id": row["department_id"],
                "period": row["period"],
                "status": row["status"],
                "errors": int(row["errors"]),
                "warnings": int(row["warnings"]),
                "sha256": row["sha256"],
                "problems": by_file.get(row["file"], []),
            }
        )
        if cap is not None:
            files[-1]["more_problems"] = cap.more(row["file"])
    counted = Counter(f["status"] for f in files)
    found = standings(validated, config)
    summary: dict[str, Any] = {
        "organisation": config.organisation.name,
        "period": validated.period,
        "summary": {
            "files": len(files),
            **{status.value: counted.get(status, 0) for status in COUNTED},
            "departments": counts(found),
            "missing_departments": [s.department_id for s in found if s.state == State.MISSING],
            "rejected_departments": [s.department_id for s in found if s.state == State.REJECTED],
            "stale_departments": [s.department_id for s in found if s.stale_as_of],
        },
        "departments": [
            {
                "department_id": s.department_id,
                "department": s.department,
                "state": s.state,
                "file": s.file,
                "prepared_by": s.prepared_by,
                "submitted_on": s.submitted_on.isoformat() if s.submitted_on else None,
                "reason": s.reason,
                "stale_as_of": s.stale_as_of,
                "other_files": list(s.other_files),
            }
            for s in found
        ],
        "files": files,
        "organisation_problems": by_file.get("", []),
        "ignored": [{"file": p.name, "reason": reason} for p, reason in ignored],
    }
    if cap is not None:
        summary["organisation_more"] = cap.more("")
    return summary


def write_validation_json(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config)
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def write_validation_html(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config, shown=PROBLEMS_SHOWN)
    html = _ENV.get_template("validation.html.j2").render(
        data=data, colour=config.branding.primary_colour
    )
    return write_text(path, html)
