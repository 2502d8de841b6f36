"""Command line: parse options, call the library, print results; the only module that exits."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from pipeline.atomic import CannotWrite, RunInProgress
from pipeline.config import Config, ConfigError, config_warnings, load_config
from pipeline.contract import normalise_period, parse_period
from pipeline.vocabulary import FAILED_FILE_STATUSES, FileStatus

# `scorecard --help` must start quickly: pandas, pandera, openpyxl and WeasyPrint (all
# behind pipeline.run) and rich.table are imported inside the commands that use them.
# tests/test_cli_start.py keeps it so.
if TYPE_CHECKING:
    from pipeline import run

# The exit-code rule, stated once (README "Exit codes"): 0 every file accepted; 1 some file
# rejected or unreadable (outputs are still written); 2 a usage or configuration error;
# 3 an unexpected error (one line on stderr, the traceback in scorecard-error.log);
# 4 cannot write outputs (an output or archive folder is missing, read-only, not a folder
# or full: one line naming the folder and the reason).
EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3
EXIT_CANNOT_WRITE = 4
ERROR_LOG = "scorecard-error.log"

# Piped output (logs, CI) gets a wide fixed width so tables don't fold cell references.
# No emoji codes: a file named `:fire:.xlsx` is printed as it is called.
console = Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, emoji=False)

# Terminal escape sequences: CSI (`ESC [ ... m`), OSC (`ESC ] ... BEL`), DCS/PM/APC strings
# and two-character escapes. Their payload goes with them, not just the ESC.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Then any other control character (C0, DEL, C1), bidirectional overrides that make text
# read differently from what it is, and lone surrogates (undecodable file-name bytes).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def plain(text: Any) -> str:
    """Text from a workbook (or a file name) made harmless for a terminal.

    Escape sequences and control characters are removed (tab and line breaks become a
    space), bidi overrides too, and a lone surrogate becomes "\ufffd". For text that rich
    renders, use `safe`, which also escapes rich markup.
    """

    def swap(match: re.Match[str]) -> str:
        char = match.group()
        if char in "\t\n\r":
            return " "
        return "\ufffd" if "\ud800" <= char <= "\udfff" else ""

    return _CONTROL.sub(swap, _ESCAPE_SEQUENCE.sub("", str(text)))


def safe(text: Any) -> str:
    """`plain(text)` with rich markup escaped: what may be put in a rich string or table."""
    return escape(plain(text))


class UsageError(click.ClickException):
    exit_code = EXIT_USAGE


class UnexpectedError(click.ClickException):
    exit_code = EXIT_UNEXPECTED


class CannotWriteError(click.ClickException):
    exit_code = EXIT_CANNOT_WRITE


def exit_code_for(statuses: Iterable[str]) -> int:
    """EXIT_INVALID when any file was rejected or unreadable, else EXIT_OK."""
    return EXIT_INVALID if any(s in FAILED_FILE_STATUSES for s in statuses) else EXIT_OK


def _config(path: str) -> Config:
    """Every command loads its configuration here: an error is exit 2; what a loadable
    configuration loses (`config_warnings`) is printed once on stderr."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    for warning in config_warnings(config):
        click.echo(f"Warning: {plain(warning)}", err=True)
    return config


def _period(value: str | None) -> str | None:
    if value is None:
        return None
    value = normalise_period(value)
    try:
        parse_period(value)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    return value


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress line on a terminal; silent in CI and when output is piped."""
    if not err_console.is_terminal or os.environ.get("CI"):
        yield lambda label, done, total: None
        return
    with err_console.status("Starting...") as status:
        yield lambda label, done, total: status.update(  # labels name dropped files
            f"{safe(label)} ({done}/{total})" if total > 1 else safe(label)
        )


config_option = click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Path to scorecard.toml.",
)
period_option = click.option(
    "--period", help="Reporting month YYYY-MM (default: the newest Period found in the inbox)."
)
out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: [reporting] output of the config).",
)


@click.group(help="Scorecard: validate department workbooks and build the board pack.")
@click.version_option(package_name="scorecard")
def main() -> None:
    pass


@main.command(help="Start a new organisation: a commented scorecard.toml and its folders.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--name",
    help='The organisation\'s name, e.g. "Acme Ltd" (default: "My organisation").',
)
@click.option(
    "--force", is_flag=True, help="Replace an existing scorecard.toml (folders are kept)."
)
def init(folder: Path, name: str | None, force: bool) -> None:
    """Refuses to replace a scorecard.toml without --force (exit 2); folders may exist."""
    from pipeline.starter import CONFIG_NAME, DEFAULT_NAME, BadName, ConfigExists, start

    try:
        started = start(folder, name, force)
    except ConfigExists as exc:
        raise UsageError(plain(exc)) from None
    except BadName as exc:
        raise UsageError(plain(f"--name: {exc}")) from None
    except CannotWrite as exc:
        raise CannotWriteError(plain(exc)) from None
    except OSError as exc:  # a folder that cannot be created
        where = os.fsdecode(exc.filename) if exc.filename is not None else str(folder)
        raise CannotWriteError(plain(f"cannot write to {where}: {exc.strerror}")) from None
    except Exception as exc:
        raise UnexpectedError(_unexpected(exc, folder)) from None

    # Printed as plain text (no markup): a name or folder may hold any character.
    def say(text: str = "") -> None:
        console.print(plain(text), markup=False, soft_wrap=True)

    config = started.config
    toml = folder / CONFIG_NAME
    shown = {p: folder / p.relative_to(config.base_dir) for p in started.folders}
    inbox, reports, _archive, templates_folder = shown.values()
    say(f"{'Replaced' if started.replaced else 'Created'} {toml}")
    say(f"  organisation: {config.organisation.name}")
    for where, as_given in shown.items():
        say(f"  {as_given}/ ({'created' if where in started.new_folders else 'already there'})")
    program, argument = _program(), shlex.quote(str(toml))
    say()
    say("Next steps:")
    say(f"  1. Edit the [[departments]] in {toml}: your units, their IDs and parents,")
    say("     with corporate = true on the strategy office at the top.")
    say("     Every key is explained in the file.")
    if not name:
        say(f'     Set organisation.name too (it is "{DEFAULT_NAME}" for now).')
    say(f"  2. Write each department's workbook (into {templates_folder}/):")
    say(f"       {program} templates --config {argument}")
    say(f"  3. Send each department its workbook; the filled-in files go into {inbox}/")
    say(f"  4. Build the board pack (into {reports}/<period>/):")
    say(f"       {program} report --config {argument}")


def _program() -> str:
    """How to run scorecard again: `scorecard` when that is on PATH, else the path used."""
    used = sys.argv[0]
    if Path(used).name != "scorecard":
        return "scorecard"  # python -m pipeline, or a test
    on_path = shutil.which("scorecard")
    try:
        if on_path and os.path.samefile(on_path, used):
            return "scorecard"
    except OSError:
        pass
    return shlex.quote(used)


@main.command(help="Write each department's workbook for a period (blank, or --prefill).")
@config_option
@period_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the workbooks (default: workbook_templates beside the config).",
)
@click.option(
    "--prefill",
    is_flag=True,
    help="Start each workbook from the department's last accepted one (definitions, "
    "targets, earlier months, this quarter's OKRs).",
)
def templates(config_path: str, period: str | None, out: Path | None, prefill: bool) -> None:
    from pipeline import run
    from pipeline.prefill import prefilled_content
    from pipeline.render.excel import clean_text
    from pipeline.workbook_templates import write_templates

    config = _config(config_path)
    given = _period(period)
    if given:
        period, reason = given, "given with --period"
    else:
        period = run.default_period(run.Intake()).period
        reason = "the month just ended; give --period YYYY-MM for another"
    console.print(f"Period {safe(period)}: {safe(reason)}")
    out = out or config.base_dir / "workbook_templates"
    contents = {}
    if prefill:
        for dept in config.departments:
            found = _guard(lambda d=dept: prefilled_content(config, d.id, period), out)
            if found is None:
                console.print(f"  {safe(dept.id)}: blank (no accepted workbook before {period})")
                continue
            source = clean_text(f"{found.source_file} ({found.source_period})", 300)
            found.content.prefilled_from = source
            contents[dept.id] = found.content
            console.print(f"  {safe(dept.id)}: pre-filled from {safe(source)}")
    paths = _guard(lambda: write_templates(config, period, out, contents), out)
    kind = "workbook(s)" if prefill else "blank template(s)"
    console.print(f"Wrote {len(paths)} {kind} for {safe(period)} to {safe(out)}")


@main.command(help="Check every workbook in the inbox and write feedback for submitters.")
@config_option
@period_option
@out_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
def validate(config_path: str, period: str | None, out: Path | None, as_json: bool) -> None:
    from pipeline import run

    config = _config(config_path)
    outputs = _checked(config, _period(period), out)
    summary = run.validation_summary(outputs)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        _print_validation(summary)
        _print_headline(summary, outputs.period_reason)
        console.print(f"Report: {safe(outputs.html_path)}")
    sys.exit(exit_code_for(f["status"] for f in summary["files"]))


def _checked(config: Config, period: str | None, out: Path | None) -> run.ValidationOutputs:
    from pipeline import run

    with _progress() as on_step:
        return _guard(lambda: run.check(config, period, out, on_step), _log_dir(config, out))


def _print_validation(summary: dict[str, Any]) -> None:
    """Each file's verdict and its first PROBLEMS_SHOWN problems; the rest counted by code."""
    from rich.table import Table

    from pipeline.render.validation import PROBLEMS_SHOWN, ProblemCap

    s = summary["summary"]
    console.print(
        f"[bold]{safe(summary['organisation'])} - {safe(summary['period'])}[/]: {s['files']} "
        f"file(s), {s['accepted']} accepted, {s['rejected']} rejected, "
        f"{s['unreadable']} unreadable, {s['superseded']} superseded"
    )
    cap = ProblemCap(PROBLEMS_SHOWN)
    for f in summary["files"]:
        colour = {
            FileStatus.ACCEPTED: "green",
            FileStatus.REJECTED: "red",
            FileStatus.UNREADABLE: "red",
        }.get(f["status"], "yellow")
        console.print(
            f"\n[{colour}]{safe(f['status']).upper()}[/] {safe(f['file'])} "
            f"({safe(f['department_id'] or '?')}): {f['errors']} error(s), "
            f"{f['warnings']} warning(s)"
        )
        if f["problems"]:
            table = Table(show_lines=False, expand=False)
            for col in ("Severity", "Code", "Cell", "Value", "Problem", "How to fix"):
                table.add_column(col, overflow="fold")
            for p in f["problems"]:
                where = p["cell"] or p["sheet"]
                if cap.admit(f["file"], p["severity"], p["code"], where):
                    table.add_row(
                        *(safe(x) for x in (p["severity"], p["code"], where, p["value"])),
                        safe(p["message"]),
                        safe(p["hint"]),
                    )
            console.print(table)
            for more in cap.more(f["file"]):
                console.print(f"  ... {safe(more.text)} (every one is in the JSON report)")
    for p in summary["organisation_problems"]:
        console.print(f"[yellow]{safe(p['severity'])}[/] {safe(p['code'])}: {safe(p['message'])}")
    console.print()


# Warnings the analyst should see first: they change what the pack shows.
WARNINGS_FIRST = (
    "corporate-map-missing",
    "earlier-file-used",
    "duplicate-file",
    "stale-submission",
    "missing-current-actual",
)
WARNINGS_SHOWN = 5


def _print_period_and_counts(
    organisation: str, period: str, reason: str, d: dict[str, int]
) -> None:
    """The first lines of every report and of the chase list: one wording, one count."""
    console.print(
        f"[bold]{safe(organisation)} - {safe(period)}[/]\n"
        f"Period: {safe(reason)}\n"
        f"Departments: {d['accepted']} accepted, {d['rejected']} rejected, "
        f"{d['missing']} missing of {d['expected']}"
        + (f"; {d['stale']} shown from earlier data" if d["stale"] else "")
    )


def _print_headline(summary: dict[str, Any], period_reason: str) -> None:
    """Who is in and who is not, then the warnings: the same counts as the reports."""
    s = summary["summary"]
    _print_period_and_counts(
        summary["organisation"], summary["period"], period_reason, s["departments"]
    )
    for dept in summary["departments"]:
        if dept["state"] == "accepted":
            continue
        shown = f" (shown from {safe(dept['stale_as_of'])})" if dept["stale_as_of"] else ""
        why = f" {safe(dept['file'])}: {safe(dept['reason'])}" if dept["reason"] else ""
        colour = "red" if dept["state"] == "rejected" else "yellow"
        console.print(
            f"  [{colour}]{safe(dept['state'])}[/] {safe(dept['department_id'])}{shown}{why}"
        )
    console.print(
        f"Files: {s['files']}: {s['accepted']} accepted, {s['rejected']} rejected, "
        f"{s['unreadable']} unreadable, {s['superseded']} superseded, "
        f"{s['other period']} for other periods"
    )
    warnings = [
        p
        for f in summary["files"]
        if f["status"] == FileStatus.ACCEPTED
        for p in f["problems"]
        if p["severity"] == "warning"
    ]
    # Missing and stale departments are listed above; the rest of the organisation's notes:
    quiet = ("missing-submission", "stale-submission")
    warnings += [p for p in summary["organisation_problems"] if p["code"] not in quiet]
    if not warnings:
        return
    per_dept = Counter(p["department"] or "organisation" for p in warnings)
    console.print(
        f"Warnings: {len(warnings)} in {len(per_dept)} department(s): "
        + ", ".join(f"{safe(dept)} {n}" for dept, n in per_dept.most_common())
    )
    # The worst few, one line per kind of warning, so one cause never floods the screen.
    rank = {code: i for i, code in enumerate(WARNINGS_FIRST)}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for p in warnings:
        by_code.setdefault(p["code"], []).append(p)
    kinds = sorted(by_code.values(), key=lambda g: (rank.get(g[0]["code"], len(rank)), -len(g)))
    for group in kinds[:WARNINGS_SHOWN]:
        p = group[0]
        where = " ".join(safe(x) for x in (p["department"], p["file"], p["cell"]) if x)
        more = f" (and {len(group) - 1:,} more like it)" if len(group) > 1 else ""
        console.print(f"  [yellow]{where or 'organisation'}[/]: {safe(p['message'])}{more}")
    if len(kinds) > WARNINGS_SHOWN:
        console.print(
            f"  ... and {len(kinds) - WARNINGS_SHOWN} other kind(s) in the validation report"
        )


@main.command(help="Regenerate the demo organisation's workbooks in its inbox.")
@config_option
@period_option
def demo(config_path: str, period: str | None) -> None:
    from pipeline.demo import DEMO_PERIOD, build_demo

    config = _config(config_path)
    paths = _guard(
        lambda: build_demo(config, _period(period) or DEMO_PERIOD), _log_dir(config, None)
    )
    console.print(f"Wrote {len(paths)} demo workbook(s) to {safe(config.reporting.inbox)}")


@main.command(help="Validate and score the inbox; write the Excel data book.")
@config_option
@period_option
@out_option
def score(config_path: str, period: str | None, out: Path | None) -> None:
    from pipeline import run

    config = _config(config_path)
    with _progress() as on_step:
        result = _guard(
            lambda: run.score_inbox(config, _period(period), out, on_step), _log_dir(config, out)
        )
    _print_outcome(result)
    console.print(f"Data book: {safe(result.databook)}")
    sys.exit(_exit_code(result.checked))


@main.command(
    help="Build the board pack (PDF + HTML), the analyst annex, a one-page PDF per "
    "department, the data book and validation report."
)
@config_option
@period_option
@out_option
@click.option(
    "--pack",
    "pack",
    metavar="NAME",
    help="Build only the [[packs]] pack NAME (packs/NAME-<period>.pdf), not the board pack.",
)
def report(config_path: str, period: str | None, out: Path | None, pack: str | None) -> None:
    from pipeline import run

    config = _config(config_path)
    with _progress() as on_step:
        result = _guard(
            lambda: run.build_report(config, _period(period), out, on_step, pack),
            _log_dir(config, out),
        )
    _print_outcome(result)
    if result.pack:
        console.print(f"Pack {safe(result.pack)}: {safe(result.pdf)} ({result.pages} pages)")
    else:
        console.print(f"Board pack: {safe(result.pdf)} ({result.pages} pages)")
        console.print(f"HTML twin:  {safe(result.html)}")
        console.print(f"Annex:      {safe(result.annex)} (for the analyst)")
        if result.onepagers:
            folder = result.onepagers[0].parent
            console.print(
                f"One-pagers: {safe(folder)} ({len(result.onepagers)} departments, one page each)"
            )
    console.print(f"Data book:  {safe(result.databook)}")
    console.print(f"Validation: {safe(result.checked.html_path)}")
    sys.exit(_exit_code(result.checked))


@main.command(help="The chase list: every department's state for the period, who sent what.")
@config_option
@period_option
@click.option("--json", "as_json", is_flag=True, help="Print the chase list as JSON on stdout.")
@click.option("--history", is_flag=True, help="List every file the ledger has seen instead.")
def status(config_path: str, period: str | None, as_json: bool, history: bool) -> None:
    from rich.table import Table

    from pipeline import run

    config = _config(config_path)
    if history:
        _print_history(config)
        return
    with _progress() as on_step:
        assessed = _guard(
            lambda: run.assess(config, _period(period), on_step), _log_dir(config, None)
        )
    summary = run.status_summary(assessed)
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
        return
    _print_period_and_counts(
        summary["organisation"], summary["period"], summary["period_reason"], summary["counts"]
    )
    table = Table()
    for col in ("Department", "State", "File", "Prepared by", "Submitted on", "Why / note"):
        table.add_column(col, overflow="fold")
    colours = {"accepted": "green", "rejected": "red", "missing": "yellow"}
    for dept in summary["departments"]:
        notes = [dept["reason"].rstrip(".")] if dept["reason"] else []
        if dept["stale_as_of"]:
            notes.append(f"shown from {dept['stale_as_of']}")
        if dept["other_files"]:
            notes.append("also: " + ", ".join(dept["other_files"]))
        table.add_row(
            f"{safe(dept['department'])} ({safe(dept['department_id'])})",
            f"[{colours[dept['state']]}]{safe(dept['state'])}[/]",
            safe(dept["file"]),
            safe(dept["prepared_by"]),
            safe(dept["submitted_on"] or ""),
            safe("; ".join(notes)),
        )
    console.print(table)
    for item in summary["ignored"]:
        console.print(f"Passed over: {safe(item['file'])}: {safe(item['reason'])}")


@main.command(help="Check each workbook within seconds of it landing in the inbox.")
@config_option
@click.option(
    "--period",
    help="The month being collected, YYYY-MM (default: the month most departments "
    "submitted for); a file for another month is checked for its own month.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between two looks at the inbox.",
)
@click.option("--once", is_flag=True, help="Check what is new or changed once, then exit.")
def watch(config_path: str, period: str | None, interval: float, once: bool) -> None:
    """Never takes the run lock and writes only feedback: `report` runs alongside."""
    import signal
    import threading

    from pipeline.inbox import discover
    from pipeline.watch import Checked, Stop, Watcher, feedback_folder

    config = _config(config_path)
    period = _period(period)
    log_dir = _log_dir(config, None)
    _guard(lambda: discover(config.reporting.inbox), log_dir)  # no inbox: exit 2
    failed: list[str] = []

    def say(text: str) -> None:  # log lines: one per event, never folded
        console.print(text, soft_wrap=True)

    def shown(path: Path) -> str:
        return os.path.relpath(path) if _inside(path, Path.cwd()) else str(path)

    def now() -> str:
        return datetime.now().strftime("%H:%M:%S")

    def on_checked(c: Checked) -> None:
        why = f" ({c.why})" if c.why else ""
        target = shown(c.copy or c.page)
        say(f"{now()} {safe(c.file)}: {safe(c.short)} → {safe(target)}{safe(why)}")

    def on_trouble(what: str, exc: BaseException | None) -> None:
        if exc is None:
            line = what
        elif isinstance(exc, ConfigError | CannotWrite) or not isinstance(exc, Exception):
            line = f"{what}: {plain(exc)}"
        else:  # called inside the except block: the traceback goes to the error log
            failed.append(what)
            line = f"{what}: {_unexpected(exc, log_dir)}"
        say(f"{now()} {safe(line)}")

    watcher = _guard(
        lambda: Watcher(config, period, on_checked=on_checked, on_trouble=on_trouble), log_dir
    )
    month = period or "the month most departments submitted for"
    say(f"Watching {safe(config.reporting.inbox)} for {safe(month)}, every {interval:g} s")
    say(
        f"Feedback goes to {safe(shown(feedback_folder(config, '<period>')))}: "
        "an annotated copy and a result page per file, listed in index.html"
    )
    if watcher.done:
        say(f"{len(watcher.done)} file(s) checked before: checked again when changed")
    if not once:
        say("Press Ctrl-C to stop.")

    stop = Stop()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():  # a second Ctrl-C: stop now (temporary files are removed)
            raise KeyboardInterrupt
        stop.set()  # stop at the next file boundary (pipeline.watch checks between files)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    checked: list[Checked] = []
    try:
        if once:
            checked = watcher.poll_once(settle_all=True, stop=stop)
        else:
            watcher.run(stop, interval)
    except KeyboardInterrupt:
        stop.set()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if once and not stop.is_set():
        say(f"Checked {len(checked)} file(s).")
        sys.exit(EXIT_UNEXPECTED if failed else exit_code_for(c.status for c in checked))
    say("Stopped watching.")
    sys.exit(EXIT_OK)


def _print_history(config: Config) -> None:
    from rich.table import Table

    from pipeline.inbox import ledger_rows

    rows = _guard(lambda: ledger_rows(config.reporting.archive), _log_dir(config, None))
    if not rows:
        console.print("No runs recorded yet: run `scorecard validate` or `scorecard report`.")
        return
    table = Table()
    for col in ("Period", "File", "Department", "Status", "Errors", "Warnings", "Seen at"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            *(safe(r[key] or "?") for key in ("report_period", "file", "department_id")),
            safe(r["status"]),
            str(r["errors"]),
            str(r["warnings"]),
            safe(r["seen_at"]),
        )
    console.print(table)


def _guard(action: Callable[[], Any], log_dir: Path) -> Any:
    """Run a library call: a configuration problem is exit 2; an output or archive folder
    that cannot be written is exit 4, naming the folder and the reason; anything unexpected
    is one clear line and exit 3, with the traceback written to `log_dir`/scorecard-error.log."""
    try:
        return action()
    except (ConfigError, RunInProgress) as exc:
        raise UsageError(plain(exc)) from None
    except CannotWrite as exc:
        raise CannotWriteError(plain(exc)) from None
    except OSError as exc:
        if exc.filename is None or not _inside(Path(os.fsdecode(exc.filename)), log_dir):
            raise UnexpectedError(_unexpected(exc, log_dir)) from None
        where = os.fsdecode(exc.filename)
        raise CannotWriteError(plain(f"cannot write to {where}: {exc.strerror}")) from None
    except Exception as exc:
        raise UnexpectedError(_unexpected(exc, log_dir)) from None


def _unexpected(exc: Exception, log_dir: Path) -> str:
    """The one line for an unexpected error; its traceback goes to the error log."""
    where = _write_traceback(log_dir)
    first_line = plain((str(exc).splitlines() or [""])[0])[:200]
    return f"unexpected {type(exc).__name__}: {first_line} (details: {where})"


def _inside(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def _log_dir(config: Config, out: Path | None) -> Path:
    return out or config.reporting.output


def _write_traceback(log_dir: Path) -> Path:
    """Append the current traceback to the error log; fall back to the temp folder."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    ctx = click.get_current_context(silent=True)
    command = ctx.command_path if ctx else "scorecard"
    text = f"--- {stamp} {command}\n{traceback.format_exc()}\n"
    for folder in (log_dir, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / ERROR_LOG).open("a", encoding="utf-8") as log:
                log.write(text)
            return folder / ERROR_LOG
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / ERROR_LOG


def _print_outcome(result: run.ReportOutputs) -> None:
    from pipeline import run

    summary = run.validation_summary(result.checked)
    _print_headline(summary, result.checked.period_reason)
    failed = [f for f in summary["files"] if f["status"] in FAILED_FILE_STATUSES]
    if failed:
        console.print(f"Files to fix (details in {safe(result.checked.html_path.name)}):")
    used = {d["department_id"]: d["file"] for d in summary["departments"] if d["file"]}
    for f in failed:
        dept = f["department_id"] or "?"
        instead = used.get(dept, "") if used.get(dept) != f["file"] else ""
        note = f"; {safe(instead)} is used instead" if instead else ""
        console.print(
            f"  [red]{safe(f['status'])}[/] {safe(f['file'])} "
            f"({safe(dept)}, {f['errors']} error(s){note})"
        )


def _exit_code(checked: run.ValidationOutputs) -> int:
    return exit_code_for(checked.validated.files["status"])
