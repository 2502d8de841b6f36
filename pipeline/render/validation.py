"""Validation results in, a JSON report for tools and an HTML report for people out."""

from __future__ import annotations

import json
from collections import Counter
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


def validation_summary(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config
) -> dict[str, Any]:
    """Plain data: each department's standing, each file's status and problems."""
    by_file: dict[str, list[dict]] = {}
    for prob in validated.problems:
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
    counted = Counter(f["status"] for f in files)
    found = standings(validated, config)
    return {
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


def write_validation_json(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config)
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def write_validation_html(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config)
    html = _ENV.get_template("validation.html.j2").render(
        data=data, colour=config.branding.primary_colour
    )
    return write_text(path, html)
