"""Raw workbooks in, typed frames of the accepted submissions and every Problem out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import contract
from pipeline.coerce import (
    Parsed,
    clean_text,
    normalise_choice,
    parse_date,
    parse_ids,
    parse_number,
)
from pipeline.config import Config
from pipeline.contract import Sheet, SheetSpec, SubmissionField
from pipeline.problems import ERROR, Problem, problem, shown_value
from pipeline.read import RawSheet, RawWorkbook
from pipeline.rules import cross_sheet_problems
from pipeline.schemas import BUILTIN_CHECKS, failures, sheet_schema
from pipeline.vocabulary import DATE_MAX, DATE_MIN, NUMERIC_KINDS, ColumnKind, FileStatus


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
      other period), errors, warnings
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
    missing: tuple[str, ...] = ()  # configured departments with no usable submission
    problems: list[Problem] = field(default_factory=list)


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
    problems: list[Problem] = field(default_factory=list)
    status: str = ""


class _Locator:
    """Maps (file, sheet, key, row) to an Excel cell, through each file's header letters."""

    def __init__(self) -> None:
        self.letters: dict[tuple[str, str], dict[str, str]] = {}

    def add(self, file: str, sheet: str, key_letters: dict[str, str]) -> None:
        self.letters[(file, sheet)] = key_letters

    def cell(self, file: str, sheet: str, key: str, row: int) -> str:
        letter = self.letters.get((file, sheet), {}).get(key, "")
        return f"{sheet}!{letter}{int(row)}" if letter else f"{sheet}!{int(row)}:{int(row)}"


def validate(
    workbooks: Sequence[RawWorkbook],
    config: Config,
    period: str,
    unreadable: Sequence[Unreadable] = (),
    known_ids: frozenset[str] = frozenset(),
) -> Validated:
    """Check every workbook against the contract and each other; keep the accepted ones.

    `known_ids` are objective and KPI IDs of other submissions that references may name
    (used when one department's earlier workbook is re-checked on its own).
    """
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    candidates = [_check_submission(raw, config) for raw in workbooks]
    current = _select_current(candidates, config, period)
    locator = _Locator()
    typed: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for cand in current:
        for sheet_name, frame in _typed_sheets(cand, months, locator).items():
            typed[sheet_name].append(frame)
    frames = {name: _concat(typed.get(name, []), spec) for name, spec in _specs(months).items()}
    cross: list[Problem] = []
    cross += _schema_problems(frames, months, locator, current)
    cross += cross_sheet_problems(frames, config, period, months, locator.cell, known_ids)
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for prob in cross:
        by_file[prob.file].append(prob)
    for cand in current:
        cand.problems.extend(by_file.get(cand.file, []))
        cand.status = (
            FileStatus.REJECTED
            if any(p.severity == ERROR for p in cand.problems)
            else FileStatus.ACCEPTED
        )
    accepted = [c for c in current if c.status == FileStatus.ACCEPTED]
    accepted_files = {c.file for c in accepted}
    frames = {name: f[f["file"].isin(accepted_files)] for name, f in frames.items()}

    problems = [p for c in candidates for p in c.problems]
    problems += [problem(u.code, u.path.name, **u.fields) for u in unreadable]
    submitted = {c.department_id for c in current}
    missing = tuple(d.id for d in config.departments if d.id not in submitted)
    problems += [problem("missing-submission", "", department=d) for d in missing]
    problems.sort(key=problem_order)

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
        files=_files_frame(candidates, unreadable),
        missing=tuple(
            d for d in config.department_ids if d not in {c.department_id for c in accepted}
        ),
        problems=problems,
    )


def latest_period(workbooks: Sequence[RawWorkbook]) -> str | None:
    """The newest well-formed Period found in the workbooks: the default reporting month."""
    periods = []
    for raw in workbooks:
        value, _ = raw.submission.get(SubmissionField.PERIOD, (None, ""))
        text = _period_text(value)
        if text:
            periods.append(text)
    return max(periods) if periods else None


# --- Submission sheet ---------------------------------------------------------------------------


def _period_text(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = clean_text(value)
    if text is None:
        return None
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

    def report(code: str, label: str, value: Any = "") -> None:
        cell = raw.submission.get(label, (None, ""))[1]
        fields = message_fields(code, None)
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
            parsed = parse_date(value)
            if parsed.code:
                report(parsed.code, label, value)
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
    version = meta.get("template_version")
    if version is not None and version not in contract.KNOWN_TEMPLATE_VERSIONS:
        report("unknown-template-version", SubmissionField.TEMPLATE_VERSION, version)
    return _Candidate(raw, file, dept, period, meta.get("submitted_on"), meta, found)


def _select_current(candidates: list[_Candidate], config: Config, period: str) -> list[_Candidate]:
    """Files for this period, newest per department; mark the rest superseded or ignored."""
    by_dept: dict[str, list[_Candidate]] = defaultdict(list)
    for cand in candidates:
        if cand.department_id is None:
            cand.status = FileStatus.REJECTED
            continue
        by_dept[cand.department_id].append(cand)
    current: list[_Candidate] = []
    for dept, cands in by_dept.items():
        this_period = [c for c in cands if c.period == period]
        others = [c for c in cands if c.period != period]
        for cand in others:
            cand.status = FileStatus.OTHER_PERIOD
        if not this_period:
            # A department whose only files carry another period probably mislabelled one.
            newest = max(others, key=_newest_key)
            if newest.period is not None:
                newest.problems.append(
                    problem(
                        "wrong-period",
                        newest.file,
                        sheet=Sheet.SUBMISSION,
                        cell=newest.raw.submission.get(SubmissionField.PERIOD, (None, ""))[1],
                        column=SubmissionField.PERIOD,
                        value=newest.period,
                        period=period,
                        department=dept,
                    )
                )
            newest.status = FileStatus.REJECTED
            continue
        this_period.sort(key=_newest_key, reverse=True)
        winner = this_period[0]
        current.append(winner)
        for loser in this_period[1:]:
            loser.status = FileStatus.SUPERSEDED
            loser.problems.append(
                problem(
                    "duplicate-file",
                    loser.file,
                    department=dept,
                    period=period,
                    newer_file=winner.file,
                )
            )
    for cand in candidates:
        for i, prob in enumerate(cand.problems):
            if not prob.department and cand.department_id:
                cand.problems[i] = _with_department(prob, cand.department_id)
    return sorted(current, key=lambda c: c.file)


def _newest_key(cand: _Candidate) -> tuple:
    return (cand.submitted_on or date.min, cand.raw.path.stat().st_mtime, cand.file)


def _with_department(prob: Problem, dept: str) -> Problem:
    return Problem(**{**prob.as_dict(), "department": dept})


# --- Typing each sheet ---------------------------------------------------------------------------


def _specs(months: tuple[str, ...]) -> dict[str, SheetSpec]:
    return {spec.name: spec for spec in contract.data_sheet_specs(months)}


def _typed_sheets(
    cand: _Candidate, months: tuple[str, ...], locator: _Locator
) -> dict[str, pd.DataFrame]:
    """Type every data sheet of one workbook; record cell-level problems on the candidate."""
    out: dict[str, pd.DataFrame] = {}
    for name, spec in _specs(months).items():
        raw_sheet = cand.raw.sheets.get(name)
        if raw_sheet is None:
            cand.problems.append(
                problem("missing-sheet", cand.file, sheet=name, department=cand.department_id or "")
            )
            continue
        header_of = _match_headers(raw_sheet, spec, cand)
        locator.add(cand.file, name, {key: raw_sheet.letters[h] for key, h in header_of.items()})
        if len(header_of) < len(spec.columns):
            continue  # missing columns already reported; the sheet can't be read safely
        out[name] = _type_sheet(raw_sheet, spec, header_of, cand)
    return out


def _match_headers(raw_sheet: RawSheet, spec: SheetSpec, cand: _Candidate) -> dict[str, str]:
    """Contract key -> header as typed in this file (case-insensitive)."""
    typed = {h.casefold(): h for h in raw_sheet.frame.columns}
    header_of: dict[str, str] = {}
    for col in spec.columns:
        actual = typed.pop(col.header.casefold(), None)
        if actual is None:
            cand.problems.append(
                problem(
                    "missing-column",
                    cand.file,
                    sheet=spec.name,
                    column=col.header,
                    department=cand.department_id or "",
                )
            )
        else:
            header_of[col.key] = actual
    for leftover in typed.values():
        cand.problems.append(
            problem(
                "unknown-column",
                cand.file,
                sheet=spec.name,
                cell=f"{spec.name}!{raw_sheet.letters[leftover]}1",
                column=leftover,
                department=cand.department_id or "",
            )
        )
    return header_of


def _type_sheet(
    raw_sheet: RawSheet, spec: SheetSpec, header_of: dict[str, str], cand: _Candidate
) -> pd.DataFrame:
    frame = raw_sheet.frame
    data: dict[str, list[Any]] = {"file": [], "row": [], "department_id": []}
    percent_text: dict[str, list[bool]] = {}
    for col in spec.columns:
        data[col.key] = []
        percent_text[col.key] = []
    dept = cand.department_id or ""
    for row_number, row in frame.iterrows():
        data["file"].append(cand.file)
        data["row"].append(int(row_number))
        data["department_id"].append(dept)
        for col in spec.columns:
            header = header_of[col.key]
            letter = raw_sheet.letters[header]
            ref = f"{letter}{row_number}"
            flag = raw_sheet.flags.get(ref)
            if flag is not None:
                code = "formula-without-value" if flag == "formula-without-value" else "error-value"
                cand.problems.append(
                    problem(
                        code,
                        cand.file,
                        sheet=spec.name,
                        cell=ref,
                        column=col.header,
                        value="" if code == "formula-without-value" else flag,
                        department=dept,
                    )
                )
                parsed = Parsed(None)
            else:
                parsed = _parse(row[header], col)
                if parsed.code:
                    cand.problems.append(
                        problem(
                            parsed.code,
                            cand.file,
                            sheet=spec.name,
                            cell=ref,
                            column=col.header,
                            value=row[header],
                            department=dept,
                        )
                    )
            data[col.key].append(parsed.value)
            percent_text[col.key].append(parsed.from_percent_text)
    typed = pd.DataFrame(data)
    for col in spec.columns:
        if col.kind in NUMERIC_KINDS:
            typed[col.key] = pd.to_numeric(typed[col.key], errors="coerce").astype(float)
        elif col.kind == "date":
            typed[col.key] = pd.to_datetime(typed[col.key], errors="coerce")
        typed[f"pct_text__{col.key}"] = percent_text[col.key]
    # Cells that failed to parse are already reported: don't report them again as blank.
    reported = {p.cell for p in cand.problems}
    letter_of = {col.key: raw_sheet.letters[header_of[col.key]] for col in spec.columns}
    typed["unusable_cells"] = [
        {key for key, letter in letter_of.items() if f"{spec.name}!{letter}{r}" in reported}
        for r in typed["row"]
    ]
    return typed


def _parse(raw: Any, col: contract.Column) -> Parsed:
    if col.kind in NUMERIC_KINDS:
        return parse_number(raw)
    if col.kind == "date":
        return parse_date(raw)
    if col.kind == "enum":
        return normalise_choice(raw, col.choices)
    if col.kind == "ids":
        return parse_ids(raw)
    if col.kind == "quarter":
        text = clean_text(raw)
        if text is None:
            return Parsed(None)
        try:
            contract.quarter_bounds(text)
        except ValueError:
            return Parsed(None, "bad-quarter")
        return Parsed(text.upper())
    text = clean_text(raw)
    if col.kind == "id" and text is not None:
        text = text.upper()
    return Parsed(text)


def _concat(frames: list[pd.DataFrame], spec: SheetSpec) -> pd.DataFrame:
    if frames:
        return pd.concat(frames, ignore_index=True)
    columns = ["file", "row", "department_id"] + [c.key for c in spec.columns]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    for col in spec.columns:
        if col.kind in NUMERIC_KINDS:
            empty[col.key] = empty[col.key].astype(float)
        elif col.kind == "date":
            empty[col.key] = pd.to_datetime(empty[col.key])
        empty[f"pct_text__{col.key}"] = pd.Series(dtype=bool)
    empty["unusable_cells"] = pd.Series(dtype=object)
    return empty


# --- Schema checks over all workbooks at once ---------------------------------------------


def _schema_problems(
    frames: dict[str, pd.DataFrame],
    months: tuple[str, ...],
    locator: _Locator,
    current: list[_Candidate],
) -> list[Problem]:
    dept_of = {c.file: c.department_id or "" for c in current}
    out: list[Problem] = []
    for name, spec in _specs(months).items():
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


def message_fields(code: str, col: contract.Column | None) -> dict[str, str]:
    """The placeholders a cell-value problem's message needs, from the column's contract."""
    if code == "not-in-list":
        return {"allowed": ", ".join(col.choices) if col else ""}
    if code == "out-of-range":
        expected = {
            ColumnKind.PERCENT: "between 0% and 100%",
            ColumnKind.CONFIDENCE: "between 0 and 10",
            ColumnKind.WEIGHT: "0 or more",
        }
        return {"expected": expected.get(col.kind, "in range") if col else "in range"}
    if code == "implausible-date":
        return {"years": f"{DATE_MIN.year}-{DATE_MAX.year}"}
    return {}


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


def _files_frame(candidates: list[_Candidate], unreadable: Sequence[Unreadable]) -> pd.DataFrame:
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
    for item in unreadable:
        rows.append(
            {
                "file": item.path.name,
                "sha256": item.sha256,
                "department_id": "",
                "period": "",
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
