"""Feedback while you wait: check each workbook within seconds of it landing in the inbox.

`Watcher.poll_once()` lists the inbox by (name, size, mtime_ns) — plain polling, so it
works on network shares where file events do not arrive. A file is checked once it has
*settled*: the same size and modification time on two polls in a row, so a file still
being copied is never read half-written. Each new or changed file is checked in the
context of the whole inbox (`run.assess`: cross-file rules such as links to corporate
objectives need the other files), and gets, in `reports/<period>/feedback/`:

- its feedback copy (`feedback.write_feedback`: a Problems sheet, bad cells marked),
- a result page `<copy name>.html`: accepted or rejected, each problem with its fix,
- a line in `index.html` (newest first), kept in `index.json` so a restart keeps history.

`<period>` is the month the file is for (a file for another month than the one being
collected is checked for its own month); a file that names none (unreadable, no Period)
goes under the month being collected. A file that did not change but whose verdict did,
because of another file (a newer one supersedes it), gets a new line too. Nothing else
is written: never the inbox, the ledger, the archive, the board pack or the validation
report, and no lock is taken, so `scorecard report` runs while a watcher is running.

The library stays silent: what happened is passed to `on_checked` and `on_trouble`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import jinja2

from pipeline import run
from pipeline.atomic import clean_stale_temps, write_text
from pipeline.config import Config, ConfigError
from pipeline.feedback import feedback_path, write_feedback
from pipeline.inbox import discover
from pipeline.render.validation import PROBLEMS_SHOWN, validation_summary
from pipeline.vocabulary import FileStatus, is_blank

DEFAULT_INTERVAL = 5.0  # seconds between two looks at the inbox
INDEX_HTML = "index.html"
INDEX_JSON = "index.json"
MAX_ENTRIES = 1000  # per period: the index stays small whatever the month brings
KNOCK_ON = "checked again: another workbook in the inbox changed its result"
ARRIVING = "still being copied; checked once it is complete"
RETRY_SECONDS = 60.0  # a file whose check failed is tried again after this, or when it changes
_SLICE = 0.1  # seconds: how quickly a stop request is noticed while waiting

Signature = tuple[int, int]  # (size, mtime_ns)


class StopRequest(Protocol):
    def is_set(self) -> bool: ...


class Stop:
    """A stop request that a signal handler may set: no lock (unlike `threading.Event`)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


@dataclass(frozen=True)
class Checked:
    """One file's verdict, as written to its result page and the index."""

    file: str
    checked_at: datetime
    period: str  # the month whose feedback folder holds the results
    department_id: str
    department: str  # the configured name, "" when the ID is unknown or missing
    status: str  # a FileStatus value
    errors: int
    warnings: int
    page: Path  # the result page
    copy: Path | None  # the annotated copy, when one was written
    why: str = ""  # why a file that did not change was checked again

    @property
    def words(self) -> str:
        """What the index says: `Rejected — 3 errors`, `Accepted with 2 warnings`, …"""
        return status_words(self.status, self.errors, self.warnings, self.department_id)

    @property
    def short(self) -> str:
        """What the console says: `rejected, 3 errors`, `accepted, 2 warnings`, `unreadable`."""
        if self.status == FileStatus.REJECTED:
            return f"rejected, {_count(self.errors, 'error')}"
        if self.status == FileStatus.ACCEPTED and self.warnings:
            return f"accepted, {_count(self.warnings, 'warning')}"
        return str(self.status)


def status_words(status: str, errors: int, warnings: int, department_id: str = "") -> str:
    if status == FileStatus.ACCEPTED:
        return f"Accepted with {_count(warnings, 'warning')}" if warnings else "Accepted"
    if status == FileStatus.REJECTED:
        return f"Rejected — {_count(errors, 'error')}"
    if status == FileStatus.UNREADABLE:
        return "Unreadable"
    if status == FileStatus.SUPERSEDED:
        return f"Superseded — a newer {department_id or 'department'} file is used"
    if status == FileStatus.OTHER_PERIOD:
        return "For another period"
    return str(status).capitalize()


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


# on_trouble(what, exc): called inside the `except` block when exc is given, so a caller
# may log the traceback; exc is None for a note (a file still being copied).
Trouble = Callable[[str, BaseException | None], None]


def _ignore_checked(checked: Checked) -> None:
    return None


def _ignore_trouble(what: str, exc: BaseException | None) -> None:
    return None


class Watcher:
    """Polls one configuration's inbox and writes feedback for each file that settles."""

    def __init__(
        self,
        config: Config,
        period: str | None = None,
        *,
        on_checked: Callable[[Checked], None] = _ignore_checked,
        on_trouble: Trouble = _ignore_trouble,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.config = config
        self.period = period  # the month being collected; None: the month most files are for
        self.on_checked = on_checked
        self.on_trouble = on_trouble
        self.clock = clock
        self._seen: dict[str, Signature] = {}  # the previous poll
        self._hold: dict[str, tuple[Signature, float]] = {}  # not before (monotonic)
        self._histories: dict[str, list[dict[str, Any]]] = {}  # period -> entries, newest first
        self._tidied: set[Path] = set()
        self._inbox_trouble = ""
        self._last = self._last_entries()  # file -> its newest index entry
        self.done: dict[str, Signature] = {
            name: (int(e["size"]), int(e["mtime_ns"])) for name, e in self._last.items()
        }

    # --- the loop --------------------------------------------------------------------------

    def run(self, stop: StopRequest, interval: float = DEFAULT_INTERVAL) -> None:
        """Poll until `stop` is set: checked between files, so none is left half-written;
        the files not reached are checked at the next start."""
        while not stop.is_set():
            self.poll_once(stop=stop)
            deadline = time.monotonic() + interval
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                time.sleep(min(_SLICE, left))

    def poll_once(self, settle_all: bool = False, stop: StopRequest | None = None) -> list[Checked]:
        """Look at the inbox once; check every file that settled since it last changed.

        With `settle_all`, every file present counts as settled (one scan, `--once`).
        Never raises an Exception: trouble goes to `on_trouble` and the file is tried later.
        """
        try:
            current = self._scan()
        except (ConfigError, OSError) as exc:
            if str(exc) != self._inbox_trouble:  # once, not every few seconds
                self._inbox_trouble = str(exc)
                self.on_trouble("inbox cannot be read", exc)
            return []
        if self._inbox_trouble:
            self._inbox_trouble = ""
            self.on_trouble("inbox can be read again", None)
        due = self._due(current, settle_all)
        self._seen = current
        self._hold = {name: held for name, held in self._hold.items() if name in current}
        if not due or (stop is not None and stop.is_set()):
            return []
        try:
            found, assessments = self._assess(due)
            work = [(name, found.get(name), "") for name in due]
            work += [(name, item, KNOCK_ON) for name, item in self._knock_on(assessments, current)]
        except Exception as exc:
            self.on_trouble(f"could not check {', '.join(due)}", exc)
            self._hold_all(due, current, RETRY_SECONDS)
            return []
        checked = []
        for name, item, why in work:
            if stop is not None and stop.is_set():
                break
            try:
                result = self._handle(name, current[name], item, why)
            except Exception as exc:
                self.on_trouble(f"{name}: could not be checked", exc)
                self._hold_all([name], current, RETRY_SECONDS)
                continue
            if result is not None:
                checked.append(result)
                self.on_checked(result)
        return checked

    # --- which files are due ---------------------------------------------------------------

    def _scan(self) -> dict[str, Signature]:
        """Workbooks (and other spreadsheets, which are reported unreadable) in the inbox."""
        found = discover(self.config.reporting.inbox)
        files = {}
        for path in (*found.workbooks, *found.wrong_format):
            signature = _signature(path)
            if signature is not None:  # else gone since it was listed
                files[path.name] = signature
        return files

    def _due(self, current: dict[str, Signature], settle_all: bool) -> list[str]:
        now = time.monotonic()
        due = []
        for name, signature in current.items():
            if self.done.get(name) == signature:
                continue
            held = self._hold.get(name)
            if held is not None and held[0] == signature and now < held[1]:
                continue
            if settle_all or self._seen.get(name) == signature:
                due.append(name)
        return due

    def _hold_all(self, names: Sequence[str], current: dict[str, Signature], wait: float) -> None:
        for name in names:
            self._hold[name] = (current[name], time.monotonic() + wait)

    # --- checking --------------------------------------------------------------------------

    def _assess(self, due: list[str]) -> tuple[dict[str, _Found], dict[str, _Assessment]]:
        """Each due file's row in the assessment of the month it is for; the assessments."""
        first = _Assessment(run.assess(self.config, self.period))
        assessments = {first.period: first}
        found: dict[str, _Found] = {}
        for name in due:
            row = first.rows.get(name)
            if row is None:
                if name in first.passed_over:
                    found[name] = _Found(first, None, first.passed_over[name])
                continue  # gone since the scan
            own = "" if is_blank(row["period"]) else str(row["period"])
            if row["status"] == FileStatus.OTHER_PERIOD and own:
                if own not in assessments:
                    assessments[own] = _Assessment(run.assess(self.config, own))
                if name in assessments[own].rows:
                    found[name] = _Found(assessments[own], assessments[own].rows[name])
                    continue
            found[name] = _Found(first, row)
        return found, assessments

    def _knock_on(
        self, assessments: dict[str, _Assessment], current: dict[str, Signature]
    ) -> list[tuple[str, _Found]]:
        """Unchanged files whose verdict another file changed: a newer file supersedes one,
        a corporate workbook arrives and a link to its objectives no longer holds."""
        again = []
        for assessment in assessments.values():
            for name, row in assessment.rows.items():
                last = self._last.get(name)
                if (
                    last is None
                    or name not in current
                    or self.done.get(name) != current[name]  # changed: checked when settled
                    or last.get("period") != assessment.period
                ):
                    continue
                now = (str(row["status"]), int(row["errors"]), int(row["warnings"]))
                if now != (last.get("status"), last.get("errors"), last.get("warnings")):
                    again.append((name, _Found(assessment, row)))
        return again

    def _handle(
        self, name: str, signature: Signature, item: _Found | None, why: str = ""
    ) -> Checked | None:
        path = self.config.reporting.inbox / name
        if item is None or _signature(path) != signature:
            return None  # gone, or changed while being checked: it settles again first
        if item.row is None:  # passed over by run.read_inbox, which looks inside the file
            arriving = item.arriving in (run.CHANGING, run.INCOMPLETE)
            self.on_trouble(f"{name}: {ARRIVING if arriving else item.arriving}", None)
            self._hold_all([name], {name: signature}, _arrival_wait(signature))
            return None
        assessment, row = item.assessment, item.row
        period = assessment.period
        folder = feedback_folder(self.config, period)
        if folder not in self._tidied:  # temp files a killed watcher left behind
            clean_stale_temps(folder)
            self._tidied.add(folder)
        problems = [p for p in assessment.assessed.validated.problems if p.file == name]
        readable = name in assessment.readable
        copy = write_feedback(path, problems, folder) if problems and readable else None
        dept_id = "" if is_blank(row["department_id"]) else str(row["department_id"])
        department = self.config.department(dept_id) if dept_id else None
        checked = Checked(
            file=name,
            checked_at=self.clock(),
            period=period,
            department_id=dept_id,
            department=department.name if department else "",
            status=str(row["status"]),
            errors=int(row["errors"]),
            warnings=int(row["warnings"]),
            page=result_page(name, folder),
            copy=copy,
            why=why,
        )
        shown = assessment.shown.get(name, {})
        write_text(checked.page, _render_page(checked, shown, self.config))
        self._record(checked, signature, str(row["sha256"]), folder)
        self.done[name] = signature
        return checked

    # --- history ---------------------------------------------------------------------------

    def _record(self, checked: Checked, signature: Signature, sha256: str, folder: Path) -> None:
        entry = {
            "checked_at": checked.checked_at.isoformat(timespec="seconds"),
            "file": checked.file,
            "department_id": checked.department_id,
            "department": checked.department,
            "period": checked.period,
            "status": checked.status,
            "errors": checked.errors,
            "warnings": checked.warnings,
            "words": checked.words,
            "page": checked.page.name,
            "copy": checked.copy.name if checked.copy else None,
            "size": signature[0],
            "mtime_ns": signature[1],
            "sha256": sha256,
            "why": checked.why,
        }
        entries = [entry, *self._history(checked.period)][:MAX_ENTRIES]
        write_text(folder / INDEX_JSON, json.dumps({"entries": entries}, indent=1) + "\n")
        self._histories[checked.period] = entries  # kept once written, so a retry adds one line
        self._last[checked.file] = entry
        write_text(folder / INDEX_HTML, _render_index(checked.period, entries, self.config))

    def _history(self, period: str) -> list[dict[str, Any]]:
        if period not in self._histories:
            folder = feedback_folder(self.config, period)
            self._histories[period] = _load_entries(folder / INDEX_JSON)
        return self._histories[period]

    def _last_entries(self) -> dict[str, dict[str, Any]]:
        """Each file's newest entry in any period's index.json: what was checked, as it was."""
        latest: dict[str, dict[str, Any]] = {}
        try:
            indexes = sorted(self.config.reporting.output.glob(f"*/feedback/{INDEX_JSON}"))
        except OSError:
            return {}
        for index in indexes:
            for entry in _load_entries(index):
                try:
                    name, at = str(entry["file"]), str(entry["checked_at"])
                    int(entry["size"]), int(entry["mtime_ns"])
                except (KeyError, TypeError, ValueError):
                    continue
                if name not in latest or at > str(latest[name]["checked_at"]):
                    latest[name] = entry
        return latest


class _Assessment:
    """One `run.assess` result, with its files' rows and problem lists worked out once."""

    def __init__(self, assessed: run.Assessed) -> None:
        self.assessed = assessed

    @property
    def period(self) -> str:
        return self.assessed.validated.period

    @cached_property
    def rows(self) -> dict[str, dict[str, Any]]:
        return {row["file"]: row for row in self.assessed.validated.files.to_dict("records")}

    @cached_property
    def readable(self) -> frozenset[str]:
        return frozenset(raw.path.name for raw in self.assessed.intake.workbooks)

    @cached_property
    def passed_over(self) -> dict[str, str]:
        return {path.name: why for path, why in self.assessed.intake.ignored}

    @cached_property
    def shown(self) -> dict[str, dict[str, Any]]:
        """Each file's entry of the validation summary: its first PROBLEMS_SHOWN problems."""
        a = self.assessed
        summary = validation_summary(a.validated, a.intake.ignored, a.config, PROBLEMS_SHOWN)
        return {f["file"]: f for f in summary["files"]}


@dataclass
class _Found:
    """A due file in the assessment of its month: its `files` row, or why it was passed over."""

    assessment: _Assessment
    row: dict[str, Any] | None
    arriving: str = ""


def _signature(path: Path) -> Signature | None:
    try:
        stat = path.lstat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _arrival_wait(signature: Signature) -> float:
    """Seconds until a file that has not changed stops counting as still being copied."""
    age = time.time() - signature[1] / 1e9
    return max(1.0, run.ARRIVING_SECONDS - age + 1.0)


def _load_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of an index.json, newest first; [] when missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict)][:MAX_ENTRIES]


def result_page(file: str, folder: Path) -> Path:
    """`FIN-2026-11.xlsx` -> `folder/FIN-2026-11-feedback.html`: the copy's name, as a page."""
    return feedback_path(file, folder).with_suffix(".html")


# --- pages -----------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.45 "DejaVu Sans", Arial, sans-serif; margin: 1.5em auto; max-width: 72em;
       padding: 0 1em; color: #222; }
h1 { color: {{ colour }}; font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f5; } code { font-size: 90%; } .note { color: #555; }
.accepted { color: #1b6e20; font-weight: bold; } .warned { color: #8a5a00; font-weight: bold; }
.rejected, .unreadable { color: #a40000; font-weight: bold; } .other { color: #555; }
.error { color: #a40000; font-weight: bold; } .warning { color: #8a5a00; }
.fix { font-weight: bold; } .more { font-style: italic; } a { color: #0b5cad; }
.when { white-space: nowrap; }
"""

_INDEX = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<title>Workbooks checked: {{ organisation }}, {{ period }}</title>
<style>"""
    + _STYLE
    + """</style></head><body>
<h1>Workbooks checked: {{ organisation }}, {{ period }}</h1>
<p>Each workbook dropped into the inbox is checked within seconds of arriving, newest
first. <b>Rejected</b>: open its result to see what to fix; the annotated copy has every
bad cell filled and commented. Fix your workbook and drop it in again: it is checked
again. This page refreshes itself every 30 seconds.</p>
<table><tr><th>Checked</th><th>File</th><th>Department</th><th>Result</th><th>Details</th></tr>
{% for e in entries %}<tr><td class="when">{{ e.when }}</td><td>{{ e.file }}</td>
<td>{{ e.who }}</td><td><span class="{{ e.css }}">{{ e.words }}</span>{% if e.why %}
<br><span class="note">{{ e.why }}</span>{% endif %}</td>
<td><a href="{{ e.page_href }}">result</a>{% if e.copy_href %}
· <a href="{{ e.copy_href }}">annotated copy</a>{% endif %}</td></tr>
{% endfor %}</table>
{% if not entries %}<p class="note">Nothing checked yet.</p>{% endif %}
</body></html>
"""
)

_PAGE = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ c.file }}: {{ c.words }}</title>
<style>"""
    + _STYLE
    + """</style></head><body>
<p><a href="index.html">All workbooks checked for {{ c.period }}</a></p>
<h1>{{ c.file }}</h1>
<p class="{{ css }}">{{ c.words }}</p>
<p>Department {{ who }} · period {{ c.period }} · checked {{ when }}.</p>
{% if c.why %}<p class="note">{{ c.why | capitalize }}.</p>{% endif %}
<p>{{ advice }}</p>
{% if copy_href %}<p><a href="{{ copy_href }}">Download the annotated copy</a>: each cell with
a problem is filled (red: error, amber: warning) and carries a comment saying how to fix it.
</p>{% endif %}
{% if problems %}<h2>Problems, errors first</h2>
<table><tr><th>Where</th><th>How to fix</th><th>What is wrong</th><th>Value</th>
<th>Severity</th></tr>
{% for p in problems %}<tr><td>{{ p.cell or p.sheet or "whole file" }}</td>
<td class="fix">{{ p.hint }}</td><td>{{ p.message }}</td><td>{{ p.value }}</td>
<td class="{{ p.severity }}">{{ p.severity }} <code>{{ p.code }}</code></td></tr>
{% endfor %}{% for m in more %}<tr><td>{{ m.first_cell }}</td>
<td colspan="3" class="more">{{ m.text }}: the first ones are listed above, the annotated
copy marks each cell</td><td class="{{ m.severity }}">{{ m.severity }}
<code>{{ m.code }}</code></td></tr>{% endfor %}
</table>{% endif %}
</body></html>
"""
)

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"index": _INDEX, "page": _PAGE}),
    autoescape=True,  # file names and workbook text are untrusted: every value is escaped
    undefined=jinja2.StrictUndefined,
)

_ADVICE = {
    FileStatus.ACCEPTED: "Nothing to do: this workbook will be used for the pack.",
    FileStatus.REJECTED: (
        "Fix the errors below, save the workbook and drop it into the inbox again: it is "
        "checked again within seconds."
    ),
    FileStatus.UNREADABLE: (
        "The file could not be read as an Excel workbook. Save it from Excel as Excel "
        "Workbook (.xlsx) and drop it into the inbox again."
    ),
    FileStatus.SUPERSEDED: (
        "Another, newer workbook from the same department is used instead of this one. "
        "Nothing to do if that newer file is the right one."
    ),
    FileStatus.OTHER_PERIOD: "This workbook is for another month than this one.",
}


def _css(status: str, warnings: int) -> str:
    if status == FileStatus.ACCEPTED:
        return "warned" if warnings else "accepted"
    if status in (FileStatus.REJECTED, FileStatus.UNREADABLE):
        return str(status)
    return "other"


def _who(department: str, department_id: str) -> str:
    if department and department_id:
        return f"{department} ({department_id})"
    return department_id or "?"


def _href(name: str | None) -> str:
    return quote(name) if name else ""


def _render_page(checked: Checked, shown: dict[str, Any], config: Config) -> str:
    problems = sorted(shown.get("problems", []), key=lambda p: p["severity"] != "error")
    advice = _ADVICE.get(checked.status, "")
    if checked.status == FileStatus.ACCEPTED and checked.warnings:
        advice += " The warnings below are worth a look."
    return _ENV.get_template("page").render(
        c=checked,
        css=_css(checked.status, checked.warnings),
        who=_who(checked.department, checked.department_id),
        when=checked.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
        advice=advice,
        copy_href=_href(checked.copy.name if checked.copy else None),
        problems=problems,
        more=shown.get("more_problems", []),
        colour=config.branding.primary_colour,
    )


def _render_index(period: str, entries: list[dict[str, Any]], config: Config) -> str:
    rows = []
    for e in entries:
        try:
            when = datetime.fromisoformat(str(e.get("checked_at"))).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            when = str(e.get("checked_at", ""))
        rows.append(
            {
                "when": when,
                "file": str(e.get("file", "")),
                "who": _who(str(e.get("department") or ""), str(e.get("department_id") or "")),
                "words": str(e.get("words", "")),
                "why": str(e.get("why") or ""),
                "css": _css(str(e.get("status", "")), 0 if e.get("warnings") in (0, None) else 1),
                "page_href": _href(str(e.get("page", ""))),
                "copy_href": _href(e.get("copy")),
            }
        )
    return _ENV.get_template("index").render(
        organisation=config.organisation.name,
        period=period,
        entries=rows,
        colour=config.branding.primary_colour,
    )


def feedback_folder(config: Config, period: str) -> Path:
    """Where the watcher writes for `period`: `reports/<period>/feedback`."""
    return run.output_dir(config, period) / "feedback"
