"""Validated frames in, each configured department's standing for the period out.

One answer to "who is in, who is not, and why", so the console, the JSON and HTML
validation reports, `scorecard status` and the board pack always count the same way:

- accepted: a workbook for this period was accepted (the newest that passed);
- rejected: files for this period were received, none was accepted: workbooks with errors,
  or files that could not be read at all, which count for the department their *name*
  gives (`FIN-2026-10.xlsx`, "received, unreadable");
- missing: nothing was received for this period (files of other periods do not count).

Rejected and missing never mix: a department that sent anything for the period is never
"no workbook received". Either may be shown *stale*, from its last accepted workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.config import Config
from pipeline.fallback import stale_departments
from pipeline.problems import ERROR
from pipeline.validate import Validated
from pipeline.vocabulary import FAILED_FILE_STATUSES, FileStatus, is_blank


class State:
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MISSING = "missing"


class Words:
    """A standing in words, for people: which of these a department is, and why."""

    ACCEPTED = "accepted"
    REJECTED = "received, rejected"  # its newest file for the period has errors
    UNREADABLE = "received, unreadable"  # its newest file for the period cannot be read
    MISSING = "no workbook received"


@dataclass(frozen=True)
class Standing:
    department_id: str
    department: str
    state: str  # State.*
    words: str  # Words.*: the state as people read it ("received, unreadable")
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
        own = [f for f in files if f["department_id"] == dept.id and _this_period(f, validated)]
        failed = [f for f in own if f["status"] in FAILED_FILE_STATUSES]
        if dept.id in accepted:
            row = accepted[dept.id]
            state, words, file, reason, errors = State.ACCEPTED, Words.ACCEPTED, row["file"], "", 0
            prepared, submitted = row.get("prepared_by") or "", row.get("submitted_on")
        elif dept.id in validated.rejected:
            # A readable workbook first (its errors can be fixed cell by cell), then newest.
            newest = max(
                failed,
                key=lambda f: (
                    f["status"] == FileStatus.REJECTED,
                    str(f["submitted_on"] or ""),
                    f["file"],
                ),
                default={"file": "", "status": FileStatus.REJECTED, "errors": 0},
            )
            unreadable = newest["status"] == FileStatus.UNREADABLE
            state, file = State.REJECTED, newest["file"]
            words = Words.UNREADABLE if unreadable else Words.REJECTED
            reason = first_error.get(file, "The workbook has errors.")
            errors, prepared = int(newest["errors"]), ""
            submitted = newest.get("submitted_on")
            submitted = None if is_blank(submitted) else submitted
        else:
            state, words, file, reason, errors, prepared, submitted = (
                State.MISSING, Words.MISSING, "", "", 0, "", None
            )  # fmt: skip
        out.append(
            Standing(
                department_id=dept.id,
                department=dept.name,
                state=state,
                words=words,
                file=file,
                prepared_by=prepared,
                submitted_on=submitted,
                reason=reason,
                errors=errors,
                stale_as_of=stale.get(dept.id, "") if state != State.ACCEPTED else "",
                other_files=tuple(f["file"] for f in own if f["file"] != file),
            )
        )
    return out


def _this_period(file: dict, validated: Validated) -> bool:
    """Whether a `files` row counts for the reporting period: not another period's file,
    nor an unreadable file whose name gives another period."""
    if file["status"] == FileStatus.OTHER_PERIOD:
        return False
    named = "" if is_blank(file["period"]) else str(file["period"])
    return file["status"] != FileStatus.UNREADABLE or named in ("", validated.period)


def counts(found: Sequence[Standing]) -> dict[str, int]:
    """expected, accepted, rejected, missing and stale: the same numbers everywhere."""
    return {
        "expected": len(found),
        "accepted": sum(s.state == State.ACCEPTED for s in found),
        "rejected": sum(s.state == State.REJECTED for s in found),
        "missing": sum(s.state == State.MISSING for s in found),
        "stale": sum(bool(s.stale_as_of) for s in found),
    }
