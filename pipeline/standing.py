"""Validated frames in, each configured department's standing for the period out.

One answer to "who is in, who is not, and why", so the console, the JSON and HTML
validation reports, `scorecard status` and the board pack always count the same way:

- accepted: a workbook for this period was accepted (the newest that passed);
- rejected: workbooks for this period were received, none was accepted;
- missing: nothing was received for this period (files of other periods do not count).

A rejected or missing department may be shown *stale*, from its last accepted workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.config import Config
from pipeline.fallback import stale_departments
from pipeline.problems import ERROR
from pipeline.validate import Validated
from pipeline.vocabulary import FileStatus, is_blank


class State:
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MISSING = "missing"


@dataclass(frozen=True)
class Standing:
    department_id: str
    department: str
    state: str  # State.*
    file: str  # the accepted file; for a rejected department its newest rejected file
    prepared_by: str
    submitted_on: date | None
    reason: str  # the first error of the rejected file; "" otherwise
    errors: int  # errors in that file
    stale_as_of: str  # the period shown instead, when shown stale; "" otherwise
    other_files: tuple[str, ...]  # its other files for this period (rejected, superseded)


def standings(validated: Validated, config: Config) -> list[Standing]:
    """Every configured department, in configuration order."""
    subs = validated.submissions
    fresh = subs[~subs["stale"].astype(bool)] if len(subs) else subs
    accepted = {r["department_id"]: r for r in fresh.to_dict("records")}
    stale = {
        s.department_id: s.as_of_period or "an earlier period" for s in stale_departments(validated)
    }
    files = validated.files.to_dict("records")
    first_error: dict[str, str] = {}
    for prob in validated.problems:
        if prob.severity == ERROR and prob.file:
            first_error.setdefault(prob.file, prob.message)
    out = []
    for dept in config.departments:
        own = [f for f in files if f["department_id"] == dept.id]
        if dept.id in accepted:
            row = accepted[dept.id]
            state, file, reason, errors = State.ACCEPTED, row["file"], "", 0
            prepared, submitted = row.get("prepared_by") or "", row.get("submitted_on")
        elif dept.id in validated.rejected:
            rejected = [f for f in own if f["status"] == FileStatus.REJECTED]
            newest = max(rejected, key=lambda f: (str(f["submitted_on"] or ""), f["file"]))
            state, file = State.REJECTED, newest["file"]
            reason = first_error.get(file, "The workbook has errors.")
            errors, prepared = int(newest["errors"]), ""
            submitted = None if is_blank(newest["submitted_on"]) else newest["submitted_on"]
        else:
            state, file, reason, errors, prepared, submitted = State.MISSING, "", "", 0, "", None
        out.append(
            Standing(
                department_id=dept.id,
                department=dept.name,
                state=state,
                file=file,
                prepared_by=prepared,
                submitted_on=submitted,
                reason=reason,
                errors=errors,
                stale_as_of=stale.get(dept.id, "") if state != State.ACCEPTED else "",
                other_files=tuple(
                    f["file"]
                    for f in own
                    if f["file"] != file and f["status"] != FileStatus.OTHER_PERIOD
                ),
            )
        )
    return out


def counts(found: Sequence[Standing]) -> dict[str, int]:
    """expected, accepted, rejected, missing and stale: the same numbers everywhere."""
    return {
        "expected": len(found),
        "accepted": sum(s.state == State.ACCEPTED for s in found),
        "rejected": sum(s.state == State.REJECTED for s in found),
        "missing": sum(s.state == State.MISSING for s in found),
        "stale": sum(bool(s.stale_as_of) for s in found),
    }
