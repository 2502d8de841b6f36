"""Validated and scored frames in, typed data-quality views out: submissions, problems, files.

Also the restated months: past months this period's workbooks changed since the last pack
(`Scored.restatements`, see `pipeline.restate`), old -> new in the KPI's unit.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd

from pipeline.config import Config, Scoring
from pipeline.fallback import StaleDepartment
from pipeline.problems import ERROR, Problem
from pipeline.render.format import (
    StatusView,
    fmt_date,
    fmt_number,
    fmt_score,
    fmt_text,
    fmt_value,
    okr_thresholds,
    period_label,
    rollup_thresholds,
    status_view,
    unit_kind,
)
from pipeline.render.validation import PROBLEMS_SHOWN, MoreProblems, ProblemCap
from pipeline.restate import RESTATEMENT_COLUMNS
from pipeline.score import Scored
from pipeline.standing import State, counts, standings
from pipeline.validate import Validated
from pipeline.vocabulary import ORG, FileStatus, is_blank

BLANK_MONTH = "blank"  # a restated month that was (or became) blank: never shown as 0
SUMMARY_NOTES = 5  # submission lines on the executive summary; the rest are in Appendix A
REJECTED_SHOWN = 5  # a rejected department's first errors on its page; the rest in Appendix A
# Appendix E is laid out in parts of this many rows (about 25 pages), each beginning a
# page: a long pack's calculations are laid out on every core, none holding all of them.
CALC_ROWS_PER_PART = 600
# The analyst annex's advice, when longer than ADVICE_ROWS_INLINE rows (about two pages),
# is laid out apart from sections 1-4, in runs of ADVICE_ROWS_PER_PART (about 12 pages),
# each beginning a page; the input files then begin a page of their own. A resubmission
# changes the files' hashes and often the warnings, seldom the advice: its pages are kept.
ADVICE_ROWS_INLINE = 40
ADVICE_ROWS_PER_PART = 300
LEVEL_TITLES = {
    "organisation": "Organisation",
    "department": "Departments",
    "department-own": "Departments' own scorecards",
    "perspective": "Perspectives",
    "objective": "Strategy-map objectives",
    "okr-department": "OKRs by department",
    "okr-objective": "OKR objectives",
}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts ([] for an empty frame)."""
    return frame.to_dict("records") if len(frame) else []


T = TypeVar("T")


def per_frame(build: Callable[[pd.DataFrame], T]) -> Callable[[pd.DataFrame], T]:
    """`build(frame)`, made once per frame while that frame lives. Every department's page
    asks for its own rows of the same frames: converted once per frame, not once per
    department (that was quadratic: 50 s of 160 at 50 departments)."""
    made: dict[int, tuple[weakref.ref, T]] = {}

    def cached(frame: pd.DataFrame) -> T:
        key = id(frame)
        hit = made.get(key)
        if hit is None or hit[0]() is not frame:
            hit = (weakref.ref(frame, lambda _ref, k=key: made.pop(k, None)), build(frame))
            made[key] = hit
        return hit[1]

    return cached


@per_frame
def _rows_by_department(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    split: dict[str, list[dict[str, Any]]] = {}
    for row in records(frame):
        split.setdefault(row["department_id"], []).append(row)
    return split


def department_rows(frame: pd.DataFrame, department_id: str) -> list[dict[str, Any]]:
    """`records(frame)` of one department (fresh dicts: callers may change them)."""
    return [dict(row) for row in _rows_by_department(frame).get(department_id, ())]


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemView:
    severity: str
    code: str
    file: str
    sheet: str
    cell: str  # the cell, or the sheet when the problem is about a whole sheet
    message: str
    hint: str
    department: str


@dataclass(frozen=True)
class AdviceView(ProblemView):
    department_name: str


@dataclass(frozen=True)
class RejectedView:
    """A workbook rejected for errors: the department has no data from it this period."""

    department_id: str
    department: str
    file: str
    errors: int
    reason: str  # the first error's message
    problems: tuple[ProblemView, ...]  # the first REJECTED_SHOWN errors
    more: int  # errors of the file not in `problems`


@dataclass(frozen=True)
class MissingView:
    department_id: str
    department: str


@dataclass(frozen=True)
class StaleView:
    department: str
    as_of: str  # "October 2026", or "an earlier period"


@dataclass(frozen=True)
class UnreadableView:
    file: str
    sha256: str


@dataclass(frozen=True)
class OtherPeriodView:
    file: str
    department: str
    period: str


@dataclass(frozen=True)
class Note:
    """One short line of the executive summary's submissions box: "<who>: <what>"."""

    who: str
    what: str


@dataclass(frozen=True)
class SubmissionsView:
    """Which departments were received, and what became of the rest."""

    expected: int
    received: int
    missing: tuple[MissingView, ...]
    rejected: tuple[RejectedView, ...]
    stale: tuple[StaleView, ...]
    unreadable: tuple[UnreadableView, ...]
    other_period: tuple[OtherPeriodView, ...]
    complete: bool
    notes: tuple[Note, ...]  # at most SUMMARY_NOTES
    notes_more: int


@dataclass(frozen=True)
class CalcRow:
    department: str
    id: str
    name: str
    formula: str
    score: str
    status: StatusView


@dataclass(frozen=True)
class CalcGroup:
    title: str
    rows: tuple[CalcRow, ...]
    continued: bool = False  # the rest of a group begun in the part before


@dataclass(frozen=True)
class FileRow:
    file: str
    department: str
    period: str
    submitted_on: str
    status: FileStatus | str
    errors: int
    warnings: int
    sha256: str


@dataclass(frozen=True)
class RestatedRow:
    """A past month this period's workbook changed since the last pack: old -> new."""

    department: str
    kpi: str
    kpi_id: str
    month: str  # "September 2026"
    old: str  # in the KPI's unit; "blank" for a blank month
    new: str
    old_file: str  # the earlier submission compared with
    old_period: str  # its period, "September 2026"


@dataclass(frozen=True)
class AppendixView:
    """Problems and advice list each file's first PROBLEMS_SHOWN; `*_more` count the rest."""

    errors: tuple[ProblemView, ...]
    warnings: tuple[ProblemView, ...]
    advice: tuple[AdviceView, ...]
    advice_runs: tuple[tuple[AdviceView, ...], ...]  # the annex's parts (at least one)
    advice_apart: bool  # the annex's advice and files are parts of their own
    errors_more: tuple[MoreProblems, ...]
    warnings_more: tuple[MoreProblems, ...]
    advice_more: tuple[MoreProblems, ...]
    errors_total: int
    warnings_total: int
    advice_total: int
    calculations: tuple[CalcGroup, ...]
    calculation_parts: tuple[tuple[CalcGroup, ...], ...]  # each begins a page of its own
    files: tuple[FileRow, ...]
    restated: tuple[RestatedRow, ...]


# --- builders --------------------------------------------------------------------------------


def runs(items: Sequence[T], size: int) -> tuple[tuple[T, ...], ...]:
    """`items` in runs of at most `size`, in order; at least one run (empty if no items)."""
    return tuple(tuple(items[i : i + size]) for i in range(0, len(items), size)) or ((),)


ANNEX_FILES_PART = "annex-files-part"  # the long annex's last part: its input files


def advice_part_anchor(number: int) -> str:
    """The anchor of the analyst annex's advice part `number` (from 1)."""
    return f"annex-advice-part-{number}"


def calc_part_anchor(number: int) -> str:
    """The anchor of Appendix E's part `number` (from 1)."""
    return f"calculations-part-{number}"


def in_parts(groups: Sequence[CalcGroup], per_part: int) -> tuple[tuple[CalcGroup, ...], ...]:
    """`groups` cut into runs of at most `per_part` rows, in order (at least one run); a
    group cut in two goes on in the next run as `continued`."""
    parts: list[tuple[CalcGroup, ...]] = []
    current: list[CalcGroup] = []
    room = per_part
    for group in groups:
        rows, continued = group.rows, False
        while rows:
            if room == 0:
                parts.append(tuple(current))
                current, room = [], per_part
            taken = rows[:room]
            current.append(CalcGroup(group.title, taken, continued))
            rows, room, continued = rows[len(taken) :], room - len(taken), True
    parts.append(tuple(current))  # at least one: section E is there when nothing was scored
    return tuple(parts)


def problem_view(p: Problem) -> ProblemView:
    return ProblemView(
        severity=p.severity,
        code=p.code,
        file=p.file,
        sheet=p.sheet,
        cell=p.cell or p.sheet,
        message=p.message,
        hint=p.hint,
        department=p.department,
    )


def submissions_view(
    validated: Validated,
    config: Config,
    names: Mapping[str, str],
    stale: Sequence[StaleDepartment],
) -> SubmissionsView:
    files = records(validated.files)
    errors: dict[str, list[Problem]] = {}
    for p in validated.problems:
        if p.severity == ERROR:
            errors.setdefault(p.file, []).append(p)
    found = standings(validated, config)
    tally = counts(found)

    def rejected_view(dept: str, name: str, file: str, n_errors: int) -> RejectedView:
        problems = errors.get(file, [])
        return RejectedView(
            department_id=dept,
            department=name,
            file=file,
            errors=n_errors,
            reason=problems[0].message if problems else "The workbook has errors.",
            problems=tuple(problem_view(p) for p in problems[:REJECTED_SHOWN]),
            more=max(0, len(problems) - REJECTED_SHOWN),
        )

    rejected = [
        rejected_view(s.department_id, s.department, s.file, s.errors)
        for s in found
        if s.state == State.REJECTED
    ]
    rejected += [  # files no configured department claims: someone still has to hear of it
        rejected_view("", "Unknown department", fmt_text(f["file"]), int(f["errors"] or 0))
        for f in files
        if f["status"] == FileStatus.REJECTED and not fmt_text(f["department_id"])
    ]
    stale_views = [
        StaleView(
            department=names.get(s.department_id, s.department_id),
            as_of=period_label(s.as_of_period) if s.as_of_period else "an earlier period",
        )
        for s in stale
    ]
    unreadable = [
        UnreadableView(file=fmt_text(f["file"]), sha256=fmt_text(f["sha256"]))
        for f in files
        if f["status"] == FileStatus.UNREADABLE
    ]
    other_period = [
        OtherPeriodView(
            file=fmt_text(f["file"]),
            department=names.get(fmt_text(f["department_id"]), fmt_text(f["department_id"])),
            period=fmt_text(f["period"]),
        )
        for f in files
        if f["status"] == FileStatus.OTHER_PERIOD
    ]
    missing = [
        MissingView(
            department_id=s.department_id, department=names.get(s.department_id, s.department)
        )
        for s in found
        if s.state == State.MISSING
    ]
    notes = _summary_notes(missing, rejected, stale_views)
    return SubmissionsView(
        expected=tally["expected"],
        received=tally["accepted"],
        missing=tuple(missing),
        rejected=tuple(rejected),
        stale=tuple(stale_views),
        unreadable=tuple(unreadable),
        other_period=tuple(other_period),
        complete=not (missing or rejected or stale_views),
        notes=tuple(notes[:SUMMARY_NOTES]),
        notes_more=max(0, len(notes) - SUMMARY_NOTES),
    )


def _summary_notes(
    missing: Sequence[MissingView],
    rejected: Sequence[RejectedView],
    stale: Sequence[StaleView],
) -> list[Note]:
    """One short line per submission problem (the caller caps them to keep one page)."""
    # One line per department; files of other months (last month's, usually) are not news
    # for the board: Appendix A lists them.
    shown = {s.department: s.as_of for s in stale}

    # Plain words: the board needs what is shown instead, not the first error message
    # (that, with its cell, is in the validation report and the analyst annex).
    def since(department: str) -> str:
        if department in shown:
            return f" Showing figures from {shown[department]}."
        return " Not scored this month."

    notes = [Note(m.department, "no workbook received." + since(m.department)) for m in missing]
    for r in rejected:
        errors = f"{r.errors} error{'s' if r.errors != 1 else ''}"
        notes.append(
            Note(
                r.department, f"workbook sent back for correction ({errors}).{since(r.department)}"
            )
        )
    listed = {n.who for n in notes}
    notes += [
        Note(s.department, f"no new workbook; showing figures from {s.as_of}.")
        for s in stale
        if s.department not in listed
    ]
    return notes


def latest_submission(validated: Validated) -> date | None:
    """The newest Submitted on date of the submissions shown; None when there is none."""
    dates = [
        s["submitted_on"]
        for s in records(validated.submissions)
        if not is_blank(s.get("submitted_on"))
    ]
    return max((_as_date(d) for d in dates), default=None)


def _as_date(d: Any) -> date:
    if isinstance(d, pd.Timestamp | datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return date.fromisoformat(str(d)[:10])


def old_new(old: Any, new: Any, unit: Any) -> tuple[str, str]:
    """Old and new in the unit as the pack shows numbers; more digits when they'd look alike.

    A blank month reads "blank" (never 0). A change smaller than the pack's rounding is
    shown with as many decimals as it takes (up to 10), so the two never read the same.
    """
    shown = [BLANK_MONTH if is_blank(x) else fmt_value(x, unit) for x in (old, new)]
    if shown[0] != shown[1]:
        return shown[0], shown[1]
    for decimals in range(1, 11):
        shown = [_precise(float(x), unit, decimals) for x in (old, new)]
        if shown[0] != shown[1]:
            break
    return shown[0], shown[1]


def _precise(x: float, unit: Any, decimals: int) -> str:
    """`x` in its unit's style (prefix, suffix, % as points) with `decimals` decimals."""
    u = fmt_text(unit).strip()
    kind = unit_kind(u)
    if kind == "percent":
        return fmt_number(x * 100, decimals) + "%"
    number = fmt_number(x, decimals)
    if kind == "currency":
        return f"{u} {number}"
    if kind in ("duration", "other"):
        return f"{number} {u}"
    return number


def restated_rows(scored: Scored, names: Mapping[str, str]) -> list[RestatedRow]:
    """The restated months, in the frame's order, each value in its KPI's unit."""
    frame = scored.restatements
    if not len(frame):
        return []
    frame = frame.reindex(columns=list(RESTATEMENT_COLUMNS))
    kpis = scored.kpis
    units = (
        {
            (d, k): u
            for d, k, u in zip(kpis["department_id"], kpis["kpi_id"], kpis["unit"], strict=True)
        }
        if len(kpis)
        else {}
    )
    out = []
    for r in records(frame):
        dept, kpi_id = fmt_text(r["department_id"]), fmt_text(r["kpi_id"])
        old, new = old_new(r["old"], r["new"], units.get((dept, kpi_id), ""))
        out.append(
            RestatedRow(
                department=names.get(dept, dept),
                kpi=fmt_text(r["kpi"]),
                kpi_id=kpi_id,
                month=period_label(fmt_text(r["month"])),
                old=old,
                new=new,
                old_file=fmt_text(r["old_file"]),
                old_period=period_label(fmt_text(r["old_period"])),
            )
        )
    return out


def appendix_view(
    scored: Scored,
    validated: Validated,
    names: Mapping[str, str],
    stale: Sequence[StaleDepartment],
    scoring: Scoring | None = None,
) -> AppendixView:
    cap = ProblemCap(PROBLEMS_SHOWN)
    problems = [
        problem_view(p)
        for p in validated.problems
        if cap.admit(p.file, p.severity, p.code, p.cell or p.sheet)
    ]
    advice_cap = ProblemCap(PROBLEMS_SHOWN)
    advice = [
        AdviceView(
            **vars(problem_view(p)),
            department_name=names.get(p.department, p.department) if p.department else "",
        )
        for p in scored.advice
        if advice_cap.admit(p.file, p.severity, p.code, p.cell or p.sheet)
    ]
    more = cap.more()
    n_errors = sum(1 for p in validated.problems if p.severity == ERROR)
    calc = scored.calculations
    groups = []
    for level, title in LEVEL_TITLES.items():
        rows = calc[calc["level"] == level] if len(calc) else calc
        if not len(rows):
            continue
        # A printed score never crosses its own grading threshold (format.fmt_score).
        scale: tuple[float, ...] = ()
        if scoring is not None:
            okr = level.startswith("okr-")
            scale = okr_thresholds(scoring) if okr else rollup_thresholds(scoring)
        groups.append(
            CalcGroup(
                title=title,
                rows=tuple(
                    CalcRow(
                        department="Organisation"
                        if r["department_id"] == ORG
                        else names.get(r["department_id"], r["department_id"]),
                        id=fmt_text(r["id"]),
                        name=fmt_text(r["name"]),
                        formula=fmt_text(r["formula"]),
                        score=fmt_score(r["score"], scale),
                        status=status_view(r["status"]),
                    )
                    for r in records(rows)
                ),
            )
        )
    files = [
        FileRow(
            file=fmt_text(f["file"]),
            department=names.get(fmt_text(f["department_id"]), fmt_text(f["department_id"])),
            period=fmt_text(f["period"]),
            submitted_on=fmt_date(f["submitted_on"]),
            status=fmt_text(f["status"]),
            errors=int(f["errors"] or 0),
            warnings=int(f["warnings"] or 0),
            sha256=fmt_text(f["sha256"]),
        )
        for f in records(validated.files)
    ]
    known = {f.file for f in files}
    stale_ids = {s.department_id for s in stale}
    for s in records(validated.submissions):  # stale stand-ins come from earlier files
        if fmt_text(s["file"]) not in known:
            files.append(
                FileRow(
                    file=fmt_text(s["file"]),
                    department=names.get(s["department_id"], s["department_id"]),
                    period=fmt_text(s["period"]),
                    submitted_on=fmt_date(s["submitted_on"]),
                    status=FileStatus.STALE
                    if s["department_id"] in stale_ids
                    else FileStatus.ACCEPTED,
                    errors=0,
                    warnings=0,
                    sha256=fmt_text(s["sha256"]),
                )
            )
    return AppendixView(
        errors=tuple(p for p in problems if p.severity == ERROR),
        warnings=tuple(p for p in problems if p.severity != ERROR),
        advice=tuple(advice),
        advice_runs=runs(advice, ADVICE_ROWS_PER_PART),
        advice_apart=len(advice) > ADVICE_ROWS_INLINE,
        errors_more=tuple(m for m in more if m.severity == ERROR),
        warnings_more=tuple(m for m in more if m.severity != ERROR),
        advice_more=tuple(advice_cap.more()),
        errors_total=n_errors,
        warnings_total=len(validated.problems) - n_errors,
        advice_total=len(scored.advice),
        calculations=tuple(groups),
        calculation_parts=in_parts(groups, CALC_ROWS_PER_PART),
        files=tuple(files),
        restated=tuple(restated_rows(scored, names)),
    )
