"""Validation results in, a JSON report for tools and an HTML report for people out.

The JSON lists every problem. What people read (this HTML report, the console, the pack's
appendix) lists the first PROBLEMS_SHOWN of each file and counts the rest by code
(`ProblemCap`): one workbook can carry tens of thousands of problems, and a reader needs
the first few to see what is wrong.

The HTML report is written for the person who sent the workbook: a summary and a contents
list, then one section per department in configuration order (its state in words, the
files it sent, its problems grouped by sheet in workbook order, each with the fix first),
then organisation-wide problems and the files passed over. `report_view` turns the JSON's
data into that shape; the template only lays it out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from pipeline.atomic import write_text
from pipeline.config import Config
from pipeline.contract import SHEET_ORDER
from pipeline.problems import ERROR, WARNING
from pipeline.render.format import fmt_date, period_label
from pipeline.standing import State, counts, standings
from pipeline.validate import Validated
from pipeline.vocabulary import FileStatus, is_blank

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
    view = report_view(data, config, json_name=path.with_suffix(".json").name)
    html = _ENV.get_template("validation.html.j2").render(
        data=data, view=view, colour=config.branding.primary_colour
    )
    return write_text(path, html)


# --- the HTML report's view ---------------------------------------------------------------
# CSS classes and symbols come from these fixed tables, never from input text. Every meaning
# is carried by a word as well as by colour and symbol, so a black-and-white print reads.


@dataclass(frozen=True)
class Look:
    """How a state is shown: CSS class (colour), symbol and word."""

    css: str
    symbol: str
    word: str


SEVERITY_LOOK = {
    ERROR: Look("bad", "\u2717", "Error"),  # ✗
    WARNING: Look("warn", "\u26a0", "Warning"),  # ⚠
}
_OTHER_SEVERITY = Look("note", "\u2022", "Note")
ACCEPTED_LOOK = Look("ok", "\u2713", "Accepted")  # ✓
REJECTED_LOOK = Look("bad", "\u2717", "Rejected")  # ✗
MISSING_LOOK = Look("none", "\u25cb", "Missing")  # ○
# A file's status, as its department reads it.
FILE_LOOK = {
    FileStatus.ACCEPTED: Look("ok", "\u2713", "Accepted: used in the report"),
    FileStatus.SUPERSEDED: Look("muted", "\u21bb", "Superseded: a newer accepted workbook is used"),
    FileStatus.REJECTED: Look("bad", "\u2717", "Rejected"),
    FileStatus.UNREADABLE: Look("bad", "\u2717", "Received, unreadable"),
    FileStatus.OTHER_PERIOD: Look("muted", "\u2192", "For another period: not used this month"),
}
# This period's files that were received but are not the one used.
_NOT_USED = (FileStatus.REJECTED, FileStatus.UNREADABLE, FileStatus.SUPERSEDED)
WHOLE_FILE = "The file as a whole"
DEPARTMENT_NOTES = "The department as a whole"
ORGANISATION = "Organisation-wide"
_SEVERITY_RANK = {ERROR: 0, WARNING: 1}
_SHEET_RANK = {name: i for i, name in enumerate(SHEET_ORDER)}
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")


@dataclass(frozen=True)
class ProblemRow:
    """One problem as the submitter reads it: the fix, where, what is wrong, how bad, code."""

    fix: str
    cell: str  # "H7"; "" for a whole sheet or file
    column: str  # the column's header, when known
    what: str
    severity: Look
    code: str


@dataclass(frozen=True)
class SheetGroup:
    """The problems of one sheet (or of the whole file), errors first, then by cell."""

    title: str  # "Sheet KPIs", or WHOLE_FILE
    sheet: str  # the sheet's name; "" for the whole file
    rows: tuple[ProblemRow, ...]

    @property
    def counted(self) -> str:
        return _counted(r.severity for r in self.rows)


@dataclass(frozen=True)
class FileView:
    name: str
    department_id: str
    period: str
    status: str
    look: Look
    errors: int
    warnings: int
    groups: tuple[SheetGroup, ...]
    more: tuple[MoreProblems, ...]  # past PROBLEMS_SHOWN: counted, all in the JSON

    @property
    def counted(self) -> str:
        """ "2 errors, 1 warning"; "none" when it has neither."""
        tally = ((self.errors, "error"), (self.warnings, "warning"))
        return ", ".join(_plural(n, word) for n, word in tally if n) or "none"

    @property
    def more_count(self) -> int:
        return sum(m.count for m in self.more)

    @property
    def shown_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def has_problems(self) -> bool:
        return bool(self.groups or self.more)


@dataclass(frozen=True)
class DepartmentView:
    anchor: str
    department_id: str
    name: str
    look: Look
    headline: str  # "Rejected: 3 errors to fix"
    details: tuple[str, ...]  # plain sentences under the headline
    file: str  # the file that decides its state ("" when none)
    files: tuple[FileView, ...]
    notes: tuple[SheetGroup, ...]  # problems about the department, not one of its files


@dataclass(frozen=True)
class ReportView:
    period: str  # "November 2026"
    expected: int
    accepted: int
    rejected: int
    missing: int
    stale: int
    departments: tuple[DepartmentView, ...]
    unmatched: tuple[FileView, ...]  # files of no configured department
    organisation: tuple[SheetGroup, ...]  # problems of no file and no department
    organisation_more: tuple[MoreProblems, ...]
    ignored: tuple[dict, ...]
    json_name: str

    @property
    def looks(self) -> dict[str, Look]:
        """The looks the summary and the key use."""
        return {
            "accepted": ACCEPTED_LOOK,
            "rejected": REJECTED_LOOK,
            "missing": MISSING_LOOK,
            "error": SEVERITY_LOOK[ERROR],
            "warning": SEVERITY_LOOK[WARNING],
        }


def report_view(data: dict[str, Any], config: Config, json_name: str = "") -> ReportView:
    """The validation summary (`validation_summary(..., shown=...)`) shaped for people."""
    known = {d.id for d in config.departments}
    files = [_file_view(f) for f in data["files"]]
    by_name = {f.name: f for f in files}
    notes: dict[str, list[dict]] = {}
    organisation: list[dict] = []
    for prob in data["organisation_problems"]:
        if prob.get("department") in known:
            notes.setdefault(prob["department"], []).append(prob)
        else:
            organisation.append(prob)
    anchors: set[str] = set()
    departments = []
    for standing in data["departments"]:
        dept_id = standing["department_id"]
        own = [f for f, row in zip(files, data["files"], strict=True) if _dept(row) == dept_id]
        departments.append(
            _department_view(
                standing,
                _ordered_files(own, standing["file"]),
                by_name.get(standing["file"]),
                _groups(notes.get(dept_id, []), DEPARTMENT_NOTES),
                _anchor(dept_id, anchors),
            )
        )
    counts = data["summary"]["departments"]
    return ReportView(
        period=period_label(data["period"]),
        expected=counts["expected"],
        accepted=counts["accepted"],
        rejected=counts["rejected"],
        missing=counts["missing"],
        stale=counts["stale"],
        departments=tuple(departments),
        unmatched=tuple(
            f for f, row in zip(files, data["files"], strict=True) if _dept(row) not in known
        ),
        organisation=_groups(organisation, ORGANISATION),
        organisation_more=tuple(data.get("organisation_more", ())),
        ignored=tuple(data["ignored"]),
        json_name=json_name,
    )


def _department_view(
    standing: dict[str, Any],
    files: list[FileView],
    decides: FileView | None,
    notes: tuple[SheetGroup, ...],
    anchor: str,
) -> DepartmentView:
    """Its state in words, why, and what to do next."""
    state, file, details = standing["state"], standing["file"], []
    if state == "accepted":
        warnings = decides.warnings if decides else 0
        look = ACCEPTED_LOOK
        headline = "Accepted" + (f" with {_plural(warnings, 'warning')}" if warnings else "")
        who = f", prepared by {standing['prepared_by']}" if standing["prepared_by"] else ""
        when = (
            f", submitted on {fmt_date(standing['submitted_on'])}"
            if standing["submitted_on"]
            else ""
        )
        details.append(f"Workbook used: {file}{who}{when}.")
        if warnings:
            details.append("Warnings do not stop the workbook; look at them before next month.")
    elif state == "rejected":
        look = REJECTED_LOOK
        if decides is not None and decides.status == FileStatus.UNREADABLE:
            headline = "Received, unreadable"
            details.append(f"{file} could not be read at all: see what to do below.")
        else:
            errors = decides.errors if decides else 0
            headline = f"Rejected: {_plural(errors, 'error')} to fix" if errors else "Rejected"
            details.append(
                f"Fix each error listed for {file} and send the workbook again."
                if file
                else "Fix the errors listed below and send the workbook again."
            )
    else:
        look = MISSING_LOOK
        headline = "No workbook received"
        details.append("Nothing was received for this period: send your workbook.")
    if standing["stale_as_of"]:
        details.append(
            "Until a workbook is accepted, the board pack shows this department's figures "
            f"from {period_label(standing['stale_as_of'])}, marked as earlier data."
        )
    unused = [f for f in files if f.status in _NOT_USED]
    if unused and state == "accepted":
        details.append(f"{_plural(len(unused), 'other file')} for this period not used: see below.")
    return DepartmentView(
        anchor=anchor,
        department_id=standing["department_id"],
        name=standing["department"],
        look=look,
        headline=headline,
        details=tuple(details),
        file=file,
        files=tuple(files),
        notes=notes,
    )


def _file_view(row: dict[str, Any]) -> FileView:
    status = str(row["status"])
    look = FILE_LOOK.get(status, Look("muted", "\u2022", status))
    if status == FileStatus.REJECTED:
        look = Look(look.css, look.symbol, f"Rejected: {_plural(row['errors'], 'error')}")
    elif status == FileStatus.OTHER_PERIOD and not is_blank(row["period"]) and row["period"]:
        look = Look(look.css, look.symbol, f"For another period ({row['period']}): not used")
    return FileView(
        name=row["file"],
        department_id=_dept(row),
        period="" if is_blank(row["period"]) else str(row["period"]),
        status=status,
        look=look,
        errors=row["errors"],
        warnings=row["warnings"],
        groups=_groups(row["problems"], WHOLE_FILE),
        more=tuple(row.get("more_problems", ())),
    )


def _ordered_files(files: list[FileView], decides: str) -> list[FileView]:
    """The file that decides the department's state, then this period's, then others'."""
    return sorted(
        files, key=lambda f: (f.name != decides, f.status == FileStatus.OTHER_PERIOD)
    )  # stable: by name within each


def _groups(problems: Iterable[dict], whole: str) -> tuple[SheetGroup, ...]:
    """Problems grouped by sheet in workbook order, then those of no sheet; errors first."""
    by_sheet: dict[str, list[dict]] = {}
    for prob in problems:
        by_sheet.setdefault(_sheet_of(prob), []).append(prob)
    groups = []
    for sheet in sorted(by_sheet, key=_sheet_key):
        rows = sorted(by_sheet[sheet], key=_problem_key)  # stable: same cell keeps its order
        groups.append(
            SheetGroup(
                title=f"Sheet {sheet}" if sheet else whole,
                sheet=sheet,
                rows=tuple(_row(p) for p in rows),
            )
        )
    return tuple(groups)


def _row(prob: dict) -> ProblemRow:
    cell = prob.get("cell") or ""
    return ProblemRow(
        fix=prob.get("hint") or "",
        cell=cell.rsplit("!", 1)[-1],
        column=prob.get("column") or "",
        what=prob.get("message") or "",
        severity=SEVERITY_LOOK.get(prob["severity"], _OTHER_SEVERITY),
        code=prob["code"],
    )


def _sheet_of(prob: dict) -> str:
    if prob.get("sheet"):
        return str(prob["sheet"])
    cell = prob.get("cell") or ""
    return cell.rsplit("!", 1)[0] if "!" in cell else ""


def _sheet_key(sheet: str) -> tuple[int, int, str]:
    """Workbook order; a sheet the template does not have after them; the whole file last."""
    if not sheet:
        return (2, 0, "")
    if sheet in _SHEET_RANK:
        return (0, _SHEET_RANK[sheet], "")
    return (1, 0, sheet.casefold())


def _problem_key(prob: dict) -> tuple[int, int, int]:
    """Errors before warnings; then row, then column (a whole-sheet problem first)."""
    match = _CELL.fullmatch((prob.get("cell") or "").rsplit("!", 1)[-1])
    row = column = 0
    if match:
        row = int(match[2])
        for letter in match[1].upper():
            column = column * 26 + ord(letter) - ord("A") + 1
    return (_SEVERITY_RANK.get(prob["severity"], 2), row, column)


def _dept(row: dict[str, Any]) -> str:
    return "" if is_blank(row["department_id"]) else str(row["department_id"])


def _anchor(dept_id: str, taken: set[str]) -> str:
    """A safe, unique HTML id for a department's section."""
    base = "dept-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", dept_id).strip("-") or "x")
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _counted(looks: Iterable[Look]) -> str:
    tally = Counter(look.word for look in looks)
    parts = [_plural(tally[w], w.lower()) for w in ("Error", "Warning") if tally[w]]
    parts += [_plural(n, w.lower()) for w, n in tally.items() if w not in ("Error", "Warning")]
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
