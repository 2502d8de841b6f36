"""Raw workbooks in, typed frames of the accepted submissions and every Problem out."""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import contract
from pipeline.cells import (
    CellLocator,
    concat_frames,
    message_fields,
    specs_by_name,
    type_workbook,
)
from pipeline.coerce import (
    Parsed,
    clean_text,
    parse_date,
)
from pipeline.config import Config
from pipeline.contract import Sheet, SheetSpec, SubmissionField
from pipeline.forked import in_shares
from pipeline.inbox import department_from_name, period_from_name
from pipeline.problems import ERROR, Problem, problem, shown_value
from pipeline.read import RawWorkbook
from pipeline.rules import CorporateMap, cross_sheet_problems, workbook_problems
from pipeline.schemas import BUILTIN_CHECKS, failures, sheet_schema
from pipeline.vocabulary import DATE_MAX, DATE_MIN, FileStatus


@dataclass
class Validated:
    """What scoring needs: typed frames over all accepted departments, and all problems.

    Every frame has a `department_id` column. Text is stripped ('' when blank); numbers are
    float (NaN when blank: a blank is never zero); percentages are fractions (0.42) except a
    whole number typed in a % KPI, which stays as typed and carries a warning.

    - submissions: department_id, department, period, prepared_by, approved_by,
      submitted_on (date), template_version, file, sha256, stale (bool: an earlier accepted
      submission standing in for a rejected or missing one), as_of_period
    - objectives: department_id, objective_id, perspective, objective, owner,
      contributes_to (tuple[str, ...]), weight (blank -> 1.0), corporate (bool)
    - kpis: department_id, kpi_id, objective_id, perspective, kpi, unit, direction,
      aggregation, target, target_max, red_threshold, weight (blank -> 1.0), commentary
    - actuals: long form, one row per KPI and fiscal month: department_id, kpi_id,
      month ("YYYY-MM"), month_index (1..12 within the fiscal year), value (NaN = blank)
    - key_results: department_id, okr_objective_id, okr_objective, kr_id, key_result, type,
      unit, baseline, target, current, confidence, owner, quarter ("YYYY-Qn"), aligned_to
      ('' when blank), weight (blank -> 1.0), reflection
    - checkins: department_id, kr_id, date (Timestamp), value, confidence, note
    - initiatives: department_id, initiative_id, initiative, objective_id, owner, start, end
      (Timestamp or NaT), progress (fraction), budget, spent, status, note
    - files: one row per file seen: file, sha256, department_id, period, submitted_on,
      status (a `vocabulary.FileStatus`: accepted / rejected / superseded / unreadable /
      other period), errors, warnings. An unreadable file (or one in a format that is not
      read) has the department and period its *name* gives (`FIN-2026-10.xlsx`: FIN,
      2026-10; `inbox.department_from_name`, `inbox.period_from_name`), '' for none.

    Configured departments with no accepted workbook, in configuration order, in exactly
    one of two lists that never overlap:

    - missing: nothing received for this period. Files for other periods do not count.
    - rejected: received and rejected: files for this period came, none was accepted. An
      unreadable file counts for the department its name gives, for this period unless
      its name gives another one (`FIN-2026-09.xlsx` in an October run does not count).

    `not_accepted` is both lists; `no_data` those of them not shown stale either. Either
    kind may be shown stale (`submissions.stale`) and stays in its list when it is.
    """

    period: str
    months: tuple[str, ...]
    submissions: pd.DataFrame
    objectives: pd.DataFrame
    kpis: pd.DataFrame
    actuals: pd.DataFrame
    key_results: pd.DataFrame
    checkins: pd.DataFrame
    initiatives: pd.DataFrame
    files: pd.DataFrame
    missing: tuple[str, ...] = ()  # configured departments that sent nothing this period
    rejected: tuple[str, ...] = ()  # those that sent something and had none of it accepted
    problems: list[Problem] = field(default_factory=list)
    # the Narrative sheet's rows: department_id, section, title, text, owner, due
    narrative: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the organisation's perspectives, top lane first (scorecard.toml [[perspectives]])
    perspectives: tuple[str, ...] = tuple(reversed(contract.PERSPECTIVES))

    @property
    def not_accepted(self) -> tuple[str, ...]:
        """Missing or rejected: no accepted workbook this period (missing ones first)."""
        return self.missing + tuple(d for d in self.rejected if d not in self.missing)

    @property
    def no_data(self) -> tuple[str, ...]:
        """Of `not_accepted`, those not shown stale either: nothing of theirs is scored."""
        subs = self.submissions
        stale = (
            set(subs.loc[subs["stale"].astype(bool), "department_id"])
            if len(subs) and "stale" in subs
            else set()
        )
        return tuple(d for d in self.not_accepted if d not in stale)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreadable:
    """A file the reader could not open; `code` is a problem code."""

    path: Path
    sha256: str
    code: str
    fields: dict[str, str] = field(default_factory=dict)  # the code's message placeholders


@dataclass
class _Candidate:
    raw: RawWorkbook
    file: str
    department_id: str | None
    period: str | None
    submitted_on: date | None
    meta: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)  # its own: Submission, cells, whole
    set_problems: list[Problem] = field(default_factory=list)  # checked with other files
    typed: dict[str, pd.DataFrame] = field(default_factory=dict)
    status: str = ""


@dataclass
class TypingMemo:
    """Each workbook's typed sheets and cell problems, kept between validations of one
    period and configuration. `assess` validates twice when this period's corporate
    workbook is not accepted (departments are then checked against the stand-in map);
    typing a workbook does not depend on the map, and it is most of validation's time."""

    # (file name, SHA-256) -> typed sheets, the problems typing found, the cell letters
    entries: dict[
        tuple[str, str],
        tuple[dict[str, pd.DataFrame], list[Problem], dict[tuple[str, str], dict[str, str]]],
    ] = field(default_factory=dict)


@dataclass(frozen=True)
class _Run:
    """What every check of one validation run shares."""

    config: Config
    period: str
    months: tuple[str, ...]
    specs: dict[str, SheetSpec]  # data sheets by name, with the configured perspectives
    locator: CellLocator
    known_ids: frozenset[str]
    corporate: CorporateMap | None
    submitted_ids: frozenset[str] = frozenset()  # objective IDs of every file of the period


def validate(
    workbooks: Sequence[RawWorkbook],
    config: Config,
    period: str,
    unreadable: Sequence[Unreadable] = (),
    known_ids: frozenset[str] = frozenset(),
    corporate: CorporateMap | None = None,
    today: date | None = None,
    memo: TypingMemo | None = None,
) -> Validated:
    """Check every workbook against the contract and each other; keep the accepted ones.

    Which file counts for a department (README "Several files from one department"): files
    of other periods are ignored for this one; a rejected file never displaces an accepted
    one; among the files that pass, the latest Submitted on wins (then the later file
    time, then the later file name). `known_ids` are objective and KPI IDs of other
    submissions that references may name (used when an earlier workbook is re-checked on
    its own); `corporate` stands in for a corporate workbook not accepted this period.
    A `memo` shared by validations of the same period and configuration types each
    workbook once.
    """
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    run = _Run(
        config, period, months, specs_by_name(months, config.perspective_choices),
        CellLocator(), known_ids, corporate,
    )  # fmt: skip
    candidates = [_check_submission(raw, config) for raw in workbooks]
    queues = _queues(candidates, period, _month(today or date.today()))
    memo = memo if memo is not None else TypingMemo()
    queued = [c for queue in queues.values() for c in queue]
    _type_ahead(queued, run, memo)
    for cand in queued:
        _type(cand, run, memo)
    # A Contributes-to link to an objective that a workbook of this period holds is a real
    # link, even when that workbook is rejected for its own mistakes: one department's typo
    # must not reject the departments that link to it (its objectives just do not score).
    run = replace(run, submitted_ids=_submitted_ids(queues))
    chosen = _choose(queues, run)
    for queue in queues.values():
        _settle(queue, chosen, period)
    accepted = sorted(
        (c for c in chosen.values() if c.status == FileStatus.ACCEPTED), key=lambda c: c.file
    )
    accepted_files = {c.file for c in accepted}
    frames = _frames(accepted, run.specs)
    frames = {name: f[f["file"].isin(accepted_files)] for name, f in frames.items()}

    for cand in candidates:
        cand.problems = [_with_department(p, cand.department_id) for p in cand.problems]
    problems = [p for c in candidates for p in c.problems]
    claims = _claimed(unreadable, config)  # an unreadable file's department is its name's
    problems += [
        problem(u.code, u.path.name, department=dept, **u.fields)
        for u, (dept, _) in zip(unreadable, claims, strict=True)
    ]
    received = {c.department_id for q in queues.values() for c in q}
    received |= {c.department_id for c in candidates if c.status == FileStatus.REJECTED}
    received |= {dept for dept, named in claims if dept and named in ("", period)}
    not_received = tuple(d for d in config.department_ids if d not in received)
    problems += [problem("missing-submission", "", department=d) for d in not_received]
    problems.sort(key=problem_order)
    accepted_depts = {c.department_id for c in accepted}
    return Validated(
        period=period,
        months=months,
        submissions=_submissions_frame(accepted, config),
        objectives=_finish(frames[Sheet.OBJECTIVES], config),
        kpis=_finish(frames[Sheet.KPIS].drop(columns=[f"m{i:02d}" for i in range(1, 13)]), config),
        actuals=_actuals(frames[Sheet.KPIS], months),
        key_results=_finish(frames[Sheet.OKRS], config),
        checkins=_finish(frames[Sheet.CHECKINS], config),
        initiatives=_finish(frames[Sheet.INITIATIVES], config),
        narrative=_finish(frames[Sheet.NARRATIVE], config),
        files=_files_frame(candidates, unreadable, claims),
        missing=not_received,
        rejected=tuple(
            d for d in config.department_ids if d in received and d not in accepted_depts
        ),
        problems=problems,
        perspectives=config.perspective_names,
    )


def _type(cand: _Candidate, run: _Run, memo: TypingMemo) -> None:
    """Type one candidate's sheets and check it as a whole, or take both from the memo."""
    key = _memo_key(cand)
    if key not in memo.entries:
        memo.entries[key] = _typing(cand, run)
    typed, found, letters = memo.entries[key]
    cand.typed = typed
    cand.problems += found
    run.locator.letters.update(letters)


def _memo_key(cand: _Candidate) -> tuple[str, str]:
    """A `TypingMemo` key: the file's name and SHA-256."""
    return cand.file, cand.raw.sha256


def _typing(
    cand: _Candidate, run: _Run
) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[tuple[str, str], dict[str, str]]]:
    """One candidate typed and checked as a whole: its typed sheets, its problems and the
    column letters of its sheets (a `TypingMemo` entry)."""
    dept = cand.department_id or ""
    found: list[Problem] = []
    typed = type_workbook(
        cand.raw, cand.file, dept, run.specs, run.locator, found,
        run.config.organisation.date_order,
    )  # fmt: skip
    found += workbook_problems(
        cand.file, dept, typed, run.config, run.period, run.months, run.locator.cell
    )
    located = ((cand.file, name) for name in run.specs)
    letters = {k: run.locator.letters[k] for k in located if k in run.locator.letters}
    return typed, found, letters


TYPED_PER_CHILD = 24  # fewer workbooks than this to a core: typed here, not worth a fork


def _type_ahead(cands: Sequence[_Candidate], run: _Run, memo: TypingMemo) -> None:
    """Type the candidates the memo does not hold yet, shared out to forked children (one
    per core, this process taking the first share): typing is per workbook and the
    largest part of validating a large organisation."""
    todo = [c for c in cands if _memo_key(c) not in memo.entries]
    n = min(os.cpu_count() or 1, len(todo) // TYPED_PER_CHILD)
    if n < 2:
        return
    typed = in_shares(todo, n, lambda share: [_typing(c, run) for c in share])
    memo.entries.update((_memo_key(c), entry) for c, entry in zip(todo, typed, strict=True))


def _submitted_ids(queues: dict[str, list[_Candidate]]) -> frozenset[str]:
    """Every objective ID typed in a workbook for this period, accepted or not."""
    found: set[str] = set()
    for cand in (c for queue in queues.values() for c in queue):
        frame = cand.typed.get(Sheet.OBJECTIVES)
        if frame is not None:
            found |= {str(i) for i in frame["objective_id"].dropna() if str(i)}
    return frozenset(found)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _queues(
    candidates: list[_Candidate], period: str, this_month: str
) -> dict[str, list[_Candidate]]:
    """Each department's files for this period, newest first; mark every other file."""
    queues: dict[str, list[_Candidate]] = defaultdict(list)
    for cand in candidates:
        if cand.department_id is None or cand.period is None:
            cand.status = FileStatus.REJECTED  # its Submission problems say why
        elif cand.period == period:
            queues[cand.department_id].append(cand)
        elif cand.period > max(this_month, period):
            cand.status = FileStatus.REJECTED
            cand.problems.append(
                problem(
                    "future-period",
                    cand.file,
                    sheet=Sheet.SUBMISSION,
                    cell=cand.raw.submission.get(SubmissionField.PERIOD, (None, ""))[1],
                    column=SubmissionField.PERIOD,
                    value=cand.period,
                    this_month=this_month,
                )
            )
        else:
            cand.status = FileStatus.OTHER_PERIOD
    for queue in queues.values():
        queue.sort(key=_newest_key, reverse=True)
    return dict(sorted(queues.items()))


def _choose(queues: dict[str, list[_Candidate]], run: _Run) -> dict[str, _Candidate]:
    """One file per department that passes every check, trying newer files first.

    The chosen files are checked together (duplicate IDs and references run across the
    organisation); a department whose file fails falls back to its next file, and the set
    is checked again until it is stable. A file with errors of its own is checked alone,
    so its submitter still gets every problem, without its rows touching other files.
    """
    position = {dept: 0 for dept in queues}
    chosen: dict[str, _Candidate] = {}
    failed_alone: list[_Candidate] = []
    while True:
        for dept, queue in queues.items():
            while dept not in chosen and position[dept] < len(queue):
                cand = queue[position[dept]]
                if _has_errors(cand.problems):
                    failed_alone.append(cand)
                    cand.status = FileStatus.REJECTED
                    position[dept] += 1
                else:
                    chosen[dept] = cand
        members = list(chosen.values())
        _check_set(members, run)
        failed = [c for c in members if _has_errors(c.problems + c.set_problems)]
        if not failed:
            break
        for cand in failed:
            cand.status = FileStatus.REJECTED
            del chosen[cand.department_id or ""]
            position[cand.department_id or ""] += 1
    for cand in members:
        cand.status = FileStatus.ACCEPTED
    # Checked once every department's file is chosen, so its references see them all.
    for cand in failed_alone:
        _check_set([cand], run, context=chosen.values())
    for cand in (c for queue in queues.values() for c in queue):
        cand.problems = cand.problems + cand.set_problems
        cand.set_problems = []
    return chosen


def _check_set(members: list[_Candidate], run: _Run, context: Iterable[_Candidate] = ()) -> None:
    """Schema and cross-sheet checks over `members` together; `context` only for references."""
    if not members:
        return
    frames = _frames(members, run.specs)
    seen = set(run.known_ids)
    for other in context:
        for name in (Sheet.OBJECTIVES, Sheet.KPIS):
            frame = other.typed.get(name)
            key = "objective_id" if name == Sheet.OBJECTIVES else "kpi_id"
            if frame is not None:
                seen |= set(frame[key].dropna())
    found = _schema_problems(frames, run.specs, run.locator, members)
    found += cross_sheet_problems(
        frames, run.config, run.period, run.months, run.locator.cell, frozenset(seen),
        run.corporate, run.submitted_ids,
    )  # fmt: skip
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for prob in found:
        by_file[prob.file].append(prob)
    for cand in members:
        cand.set_problems = by_file.get(cand.file, [])


def _frames(members: Iterable[_Candidate], specs: dict[str, SheetSpec]) -> dict[str, pd.DataFrame]:
    typed: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for cand in members:
        for name, frame in cand.typed.items():
            typed[name].append(frame)
    return {name: concat_frames(typed.get(name, []), spec) for name, spec in specs.items()}


def _settle(queue: list[_Candidate], chosen: dict[str, _Candidate], period: str) -> None:
    """Name what happened to each of a department's other files for this period."""
    if not queue:
        return
    winner = chosen.get(queue[0].department_id or "")
    for cand in queue:
        if winner is None or cand is winner:
            continue
        if cand.status == FileStatus.REJECTED:
            cand.problems.append(
                problem(
                    "earlier-file-used",
                    cand.file,
                    department=cand.department_id or "",
                    used_file=winner.file,
                    period=period,
                )
            )
        else:
            cand.status = FileStatus.SUPERSEDED
            cand.problems.append(
                problem(
                    "duplicate-file",
                    cand.file,
                    department=cand.department_id or "",
                    period=period,
                    newer_file=winner.file,
                    rule=_tie_rule(winner, cand),
                )
            )


def _tie_rule(winner: _Candidate, loser: _Candidate) -> str:
    """Which part of the newest-first rule put `winner` before `loser`, in words."""
    if (winner.submitted_on or date.min) != (loser.submitted_on or date.min):
        return "a later Submitted on date"
    if winner.raw.path.stat().st_mtime != loser.raw.path.stat().st_mtime:
        return "the same Submitted on date and a later file time"
    return "the same Submitted on date and file time, and a file name later in A-Z order"


def _has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


@dataclass(frozen=True)
class PeriodChoice:
    """The reporting month picked when none is given, and why, in words for the console."""

    period: str
    reason: str


def choose_period(workbooks: Sequence[RawWorkbook], today: date) -> PeriodChoice:
    """The period most departments submitted for, never a month after today's.

    Each department counts once, for the newest period it submitted (so last month's files
    left in the inbox do not outvote this month's); ties go to the newer period. With no
    usable Period in the inbox: the month before today.
    """
    this_month = _month(today)
    newest: dict[str, str] = {}
    future: set[str] = set()
    for raw in workbooks:
        value, _ = raw.submission.get(SubmissionField.PERIOD, (None, ""))
        period = _period_text(value)
        dept = clean_text(raw.submission.get(SubmissionField.DEPARTMENT_ID, (None, ""))[0])
        if period is None:
            continue
        if period > this_month:
            future.add(period)
            continue
        key = (dept or raw.path.name).upper()
        newest[key] = max(newest.get(key, period), period)
    ignored = f"; ignored future period(s) {', '.join(sorted(future))}" if future else ""
    if not newest:
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return PeriodChoice(
            f"{year:04d}-{month:02d}", f"no workbook names a usable period: last month{ignored}"
        )
    votes = Counter(newest.values())
    period = max(votes, key=lambda p: (votes[p], p))
    n, behind = votes[period], sum(v for p, v in votes.items() if p != period)
    reason = f"the period most departments submitted for ({n} department{'s' * (n != 1)}"
    reason += f"; {behind} still on another period" if behind else ""
    return PeriodChoice(period, reason + ")" + ignored)


# --- Submission sheet ---------------------------------------------------------------------------


def _period_text(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = clean_text(value)
    if text is None:
        return None
    text = contract.normalise_period(text)
    try:
        contract.parse_period(text)
    except ValueError:
        return None
    return text


def _check_submission(raw: RawWorkbook, config: Config) -> _Candidate:
    file = raw.path.name
    sheet = Sheet.SUBMISSION
    found: list[Problem] = []
    meta: dict[str, Any] = {}

    def report(code: str, label: str, value: Any = "", **extra: str) -> None:
        cell = raw.submission.get(label, (None, ""))[1]
        fields = message_fields(code, None, value) | extra
        found.append(
            problem(code, file, sheet=sheet, cell=cell, column=label, value=value, **fields)
        )

    if Sheet.SUBMISSION not in raw.sheet_names:
        found.append(problem("missing-sheet", file, sheet=sheet))
    for field_spec in contract.SUBMISSION_FIELDS:
        label = field_spec.header
        value, cell = raw.submission.get(label, (None, ""))
        flag = raw.submission_flags.get(cell)
        if flag:
            code = "formula-without-value" if flag == "formula-without-value" else "error-value"
            report(code, label, value=flag if code == "error-value" else "")
            meta[field_spec.key] = None
            continue
        if field_spec.kind == "date":
            parsed = parse_date(value, config.organisation.date_order)
            if parsed.code:
                report(parsed.code, label, value)
            elif parsed.value is not None and not DATE_MIN <= parsed.value <= DATE_MAX:
                report("implausible-date", label, parsed.value)  # year 9999, 1904 slips
                parsed = Parsed(None, "implausible-date")
            meta[field_spec.key] = parsed.value
        else:
            meta[field_spec.key] = clean_text(value)
        if (
            field_spec.required
            and meta[field_spec.key] is None
            and not (field_spec.kind == "date" and parsed.code)
        ):
            report("required-value", label)

    dept = meta.get("department_id")
    if dept is not None:
        dept = dept.upper()
        meta["department_id"] = dept
        if config.department(dept) is None:
            report("unknown-department", SubmissionField.DEPARTMENT_ID, dept)
            dept = None
    raw_period = raw.submission.get(SubmissionField.PERIOD, (None, ""))[0]
    period = _period_text(raw_period)
    if raw_period is not None and period is None and meta.get("period") is not None:
        report("bad-period", SubmissionField.PERIOD, raw_period)
    if period is not None:
        period = _period_from_evidence(raw, file, period, report)
    version = meta.get("template_version")
    if version is not None and version not in contract.KNOWN_TEMPLATE_VERSIONS:
        report("unknown-template-version", SubmissionField.TEMPLATE_VERSION, version)
    return _Candidate(raw, file, dept, period, meta.get("submitted_on"), meta, found)


_PERIOD_IN_NAME = re.compile(r"(?<![0-9])(20[0-9]{2})[-_. ]?(0[1-9]|1[0-2])(?![0-9])")


def _period_from_evidence(raw: RawWorkbook, file: str, period: str, report: Any) -> str:
    """The period a file is for, when its Period cell was left at an earlier month.

    A November file copied from October often keeps "2026-10": when the file name says a
    later month and the KPIs sheet holds actuals for it, the file is November's, rejected
    with "set Period to 2026-11", not October's with an error per November cell.
    """
    match = _PERIOD_IN_NAME.search(file)
    named = f"{match[1]}-{match[2]}" if match else None
    latest = _latest_actual_month(raw)
    if named is None or latest is None or not period < named <= latest:
        return period
    report("period-behind-file", SubmissionField.PERIOD, period, named=named)
    return named


def _latest_actual_month(raw: RawWorkbook) -> str | None:
    """The last month column of the KPIs sheet that holds any value, as typed."""
    sheet = raw.sheets.get(Sheet.KPIS)
    if sheet is None:
        return None
    filled = [
        str(header)
        for header in sheet.frame.columns
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", str(header))
        and any(clean_text(v) is not None for v in sheet.frame[header])
    ]
    return max(filled, default=None)


def _newest_key(cand: _Candidate) -> tuple:
    return (cand.submitted_on or date.min, cand.raw.path.stat().st_mtime, cand.file)


def _with_department(prob: Problem, dept: str | None) -> Problem:
    if prob.department or not dept:
        return prob
    return Problem(**{**prob.as_dict(), "department": dept})


# --- Schema checks over all workbooks at once ---------------------------------------------


def _schema_problems(
    frames: dict[str, pd.DataFrame],
    specs: dict[str, SheetSpec],
    locator: CellLocator,
    current: list[_Candidate],
) -> list[Problem]:
    dept_of = {c.file: c.department_id or "" for c in current}
    out: list[Problem] = []
    for name, spec in specs.items():
        frame = frames[name]
        cases = failures(sheet_schema(spec), frame)
        if cases.empty:
            continue
        # Plain lists: one positional lookup per failure, not a pandas row per failure.
        files, rows = frame["file"].tolist(), frame["row"].tolist()
        unusable = frame["unusable_cells"].tolist()
        columns = {c.key: c for c in spec.columns}
        places: dict[str, dict[Any, list[str]]] = {}
        for case in cases.itertuples(index=False):
            i, key = int(case.index), str(case.column)
            if key in unusable[i]:
                continue
            code = BUILTIN_CHECKS.get(str(case.check), str(case.check))
            col = columns[key]
            if code == "duplicate-id":
                if key not in places:
                    places[key] = defaultdict(list)
                    for value, f, r in zip(frame[key], files, rows, strict=True):
                        places[key][value].append(f"{f} row {r}")
                fields = {"places": _places(places[key][frame[key].iat[i]])}
            else:
                fields = message_fields(code, col)
            out.append(
                problem(
                    code,
                    files[i],
                    sheet=name,
                    cell=locator.cell(files[i], name, key, rows[i]),
                    column=col.header,
                    value=shown_value(case.failure_case if code != "required-value" else ""),
                    **fields,
                    department=dept_of.get(files[i], ""),
                )
            )
    return out


def _places(places: list[str], limit: int = 5) -> str:
    shown = "; ".join(sorted(places)[:limit])
    return shown + (f"; and {len(places) - limit} more" if len(places) > limit else "")


# --- Assembling the result ----------------------------------------------------------------


def _finish(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Drop the bookkeeping columns; blank text becomes '', blank weights 1."""
    out = frame[
        [c for c in frame.columns if not c.startswith("pct_text__") and c != "unusable_cells"]
    ].copy()
    for col in out.columns:
        if out[col].dtype == object and col != "contributes_to":
            out[col] = out[col].where(out[col].notna(), "")
    if "weight" in out.columns:
        out["weight"] = out["weight"].fillna(1.0)
    if "contributes_to" in out.columns:
        out["contributes_to"] = out["contributes_to"].apply(
            lambda v: tuple(v) if isinstance(v, tuple | list) else ()
        )
        corporate = {d.id for d in config.departments if d.corporate}
        out["corporate"] = out["department_id"].isin(corporate)
    return out.reset_index(drop=True)


def _actuals(kpis: pd.DataFrame, months: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for row in kpis.itertuples():
        for i, month in enumerate(months, start=1):
            rows.append((row.department_id, row.kpi_id, month, i, getattr(row, f"m{i:02d}")))
    frame = pd.DataFrame(rows, columns=["department_id", "kpi_id", "month", "month_index", "value"])
    frame["value"] = frame["value"].astype(float)
    frame["month_index"] = frame["month_index"].astype(int)
    return frame


def _submissions_frame(accepted: list[_Candidate], config: Config) -> pd.DataFrame:
    rows = []
    for cand in accepted:
        dept = config.department(cand.department_id or "")
        rows.append(
            {
                "department_id": cand.department_id,
                "department": dept.name if dept else "",
                "period": cand.period,
                "prepared_by": cand.meta.get("prepared_by") or "",
                "approved_by": cand.meta.get("approved_by") or "",
                "submitted_on": cand.submitted_on,
                "template_version": cand.meta.get("template_version") or "",
                "file": cand.file,
                "sha256": cand.raw.sha256,
                "stale": False,
                "as_of_period": cand.period,
            }
        )
    columns = [
        "department_id",
        "department",
        "period",
        "prepared_by",
        "approved_by",
        "submitted_on",
        "template_version",
        "file",
        "sha256",
        "stale",
        "as_of_period",
    ]
    return pd.DataFrame(rows, columns=columns)


def _claimed(unreadable: Sequence[Unreadable], config: Config) -> list[tuple[str, str]]:
    """(department, period) each unreadable file's name gives; '' where it gives none."""
    return [
        (department_from_name(u.path.name, config.department_ids), period_from_name(u.path.name))
        for u in unreadable
    ]


def _files_frame(
    candidates: list[_Candidate],
    unreadable: Sequence[Unreadable],
    claims: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """One row per file; an unreadable file's department and period are its name's."""
    rows = []
    for cand in candidates:
        rows.append(
            {
                "file": cand.file,
                "sha256": cand.raw.sha256,
                "department_id": cand.department_id or cand.meta.get("department_id") or "",
                "period": cand.period or "",
                "submitted_on": cand.submitted_on,
                "status": cand.status or FileStatus.REJECTED,
                "errors": sum(p.severity == ERROR for p in cand.problems),
                "warnings": sum(p.severity != ERROR for p in cand.problems),
            }
        )
    claims = list(claims) or [("", "")] * len(unreadable)
    for item, (dept, named) in zip(unreadable, claims, strict=True):
        rows.append(
            {
                "file": item.path.name,
                "sha256": item.sha256,
                "department_id": dept,
                "period": named,
                "submitted_on": None,
                "status": FileStatus.UNREADABLE,
                "errors": 1,
                "warnings": 0,
            }
        )
    columns = [
        "file",
        "sha256",
        "department_id",
        "period",
        "submitted_on",
        "status",
        "errors",
        "warnings",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("file").reset_index(drop=True)


_SHEET_RANK = {name: i for i, name in enumerate(contract.SHEET_ORDER)}


def problem_order(prob: Problem) -> tuple:
    """Sort key: file, then sheet in workbook order, then row and column of the cell."""
    sheet_rank = _SHEET_RANK.get(prob.sheet, -1)
    ref = prob.cell.split("!")[-1]
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (
        not prob.file,
        prob.file,
        sheet_rank,
        int(digits) if digits else 0,
        len(letters),
        letters,
        prob.code,
    )
