"""The whole flow on one screen: inbox -> read -> validate -> score -> render."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline import contract
from pipeline.advice import advise
from pipeline.atomic import clean_stale_temps, exclusive
from pipeline.config import Config, ConfigError
from pipeline.fallback import corporate_map, find_fallbacks, with_stale
from pipeline.feedback import write_feedback
from pipeline.forked import beside
from pipeline.gctune import fewer_collections
from pipeline.inbox import (
    accepted_values,
    archive_and_record,
    discover,
    last_accepted_before,
    wrong_format_code,
)
from pipeline.read import RawWorkbook, file_sha256
from pipeline.render.databook import write_databook
from pipeline.render.editions import (
    DEPARTMENTS_FOLDER,
    PACKS_FOLDER,
    write_companions,
    write_named_pack,
)
from pipeline.render.pack import write_pack
from pipeline.render.validation import (
    validation_summary as summarise_validation,
)
from pipeline.render.validation import write_validation_html, write_validation_json
from pipeline.render.views import pack_context
from pipeline.restate import PreviousSubmission, restatements
from pipeline.sandbox import read_all
from pipeline.score import Scored, score
from pipeline.validate import (
    PeriodChoice,
    TypingMemo,
    Unreadable,
    Validated,
    choose_period,
    validate,
)

# Called as on_step(label, done, total) so a terminal can show progress; silent by default.
StepCallback = Callable[[str, int, int], None]


def _quiet(label: str, done: int, total: int) -> None:
    return None


@dataclass
class Intake:
    """What the inbox held: readable workbooks, unreadable files, and files passed over."""

    workbooks: list[RawWorkbook] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    ignored: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class ValidationOutputs:
    config: Config
    validated: Validated
    intake: Intake
    json_path: Path
    html_path: Path
    feedback: list[Path]
    period_reason: str = "given with --period"  # how the reporting month was chosen


def read_inbox(config: Config, on_step: StepCallback = _quiet) -> Intake:
    """Read every workbook in the inbox; a file that can't be read becomes an Unreadable.

    Workbooks are .xlsx, .xlsm and .ods files; a spreadsheet in another format (.xls,
    .xlsb, .numbers, .csv) is an Unreadable with its own code, without being opened. Which
    department an unreadable file is from is read from its name, in `validate`.
    """
    found = discover(config.reporting.inbox)
    intake = Intake(ignored=list(found.ignored))
    for path in found.wrong_format:  # never opened: the name's ending says what to do
        intake.unreadable.append(Unreadable(path, file_sha256(path), wrong_format_code(path)))
    before = {path: _signature(path) for path in found.workbooks}
    total, done = len(found.workbooks), 0

    def progress(path: Path) -> None:
        nonlocal done
        done += 1
        on_step(f"Read {path.name}", done, total)

    for outcome in read_all(found.workbooks, progress):
        path = outcome.path
        arriving = _still_arriving(path, before[path]) if outcome.workbook is None else ""
        if outcome.workbook is not None and _signature(path) != before[path]:
            arriving = CHANGING
        if arriving:
            intake.ignored.append((path, arriving))
        elif outcome.workbook is not None:
            intake.workbooks.append(outcome.workbook)
        else:
            intake.unreadable.append(
                Unreadable(path, file_sha256(path), outcome.code, outcome.fields)
            )
    return intake


CHANGING = "still being copied (it changed while being read); it will be read next run"
INCOMPLETE = "still being copied (not a whole file yet); it will be read next run"
ARRIVING_SECONDS = 60  # an unreadable file this fresh is probably still being copied


def _signature(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return stat.st_size, stat.st_mtime_ns


def _still_arriving(path: Path, before: tuple[int, int]) -> str:
    """Why an unreadable file is probably still being copied; "" when it is just broken."""
    if _signature(path) != before:
        return CHANGING
    try:
        fresh = time.time() - path.stat().st_mtime < ARRIVING_SECONDS
        with path.open("rb") as handle:
            zipped = handle.read(2) == b"PK"
    except OSError:
        return ""
    return INCOMPLETE if fresh and zipped and not zipfile.is_zipfile(path) else ""


def default_period(intake: Intake, today: date | None = None) -> PeriodChoice:
    """The reporting month when none is given (see `validate.choose_period`)."""
    return choose_period(intake.workbooks, today or date.today())


def output_dir(config: Config, period: str, out: Path | None = None) -> Path:
    return (out or config.reporting.output) / period


def check(
    config: Config,
    period: str | None = None,
    out: Path | None = None,
    on_step: StepCallback = _quiet,
) -> ValidationOutputs:
    """Read and validate the inbox; write the validation report and feedback copies.

    One run at a time per configuration (a lock in the archive folder): two analysts
    pressing `make report` together get a clear message, not a mixed-up ledger.
    """
    with _one_run_at_a_time(config):
        outputs, feedback = _check(config, period, out, on_step)
        outputs.feedback = feedback()
        return outputs


def _one_run_at_a_time(config: Config) -> AbstractContextManager[None]:
    return exclusive(config.reporting.archive / ".scorecard.lock")


@dataclass
class Assessed:
    """The inbox read and validated for a period, with stale stand-ins: nothing written."""

    config: Config
    intake: Intake
    validated: Validated
    period_reason: str


def assess(config: Config, period: str | None = None, on_step: StepCallback = _quiet) -> Assessed:
    """Read and validate the inbox without writing anything (the `status` chase list)."""
    with fewer_collections():
        return _assess(config, period, on_step)


def _assess(config: Config, period: str | None, on_step: StepCallback) -> Assessed:
    intake = read_inbox(config, on_step)
    reason = "given with --period"
    if period is None:
        choice = default_period(intake)
        period, reason = choice.period, choice.reason
    contract.parse_period(period)
    on_step("Validating", 0, 1)
    memo = TypingMemo()
    validated = validate(intake.workbooks, config, period, intake.unreadable, memo=memo)
    corporate = corporate_map(config, validated)
    if corporate is not None:  # check departments against the map that will be shown
        validated = validate(
            intake.workbooks, config, period, intake.unreadable, corporate=corporate, memo=memo
        )
    validated = with_stale(validated, find_fallbacks(config, validated, corporate))
    on_step("Validating", 1, 1)
    return Assessed(config, intake, validated, reason)


def _check(
    config: Config, period: str | None, out: Path | None, on_step: StepCallback
) -> tuple[ValidationOutputs, Callable[[], list[Path]]]:
    """Validated, the reports written and the files archived; the feedback copies are
    being written beside (wait with the call: they take ~1 s each, and nothing else in the
    run reads them)."""
    assessed = assess(config, period, on_step)
    intake, validated, reason = assessed.intake, assessed.validated, assessed.period_reason
    period = validated.period
    target = output_dir(config, period, out)
    # leftovers of a killed run's temp files
    clean_stale_temps(target, target / "feedback", target / "data", config.reporting.archive)
    clean_stale_temps(target / DEPARTMENTS_FOLDER, target / PACKS_FOLDER)
    by_file: dict[str, list] = {}
    for prob in validated.problems:
        by_file.setdefault(prob.file, []).append(prob)
    to_mark = [
        (raw.path, by_file[raw.path.name]) for raw in intake.workbooks if raw.path.name in by_file
    ]

    def write_copies() -> list[Path]:
        written = (write_feedback(path, probs, target / "feedback") for path, probs in to_mark)
        return [path for path in written if path]

    feedback: Callable[[], list[Path]] = beside(write_copies) if to_mark else lambda: []
    json_path = write_validation_json(
        validated, intake.ignored, config, target / f"validation-{period}.json"
    )
    html_path = write_validation_html(
        validated, intake.ignored, config, target / f"validation-{period}.html"
    )
    archive_and_record(
        config.reporting.archive,
        config.reporting.inbox,
        validated.files.to_dict("records"),
        validated.problems,
        period,
        validated.actuals,
    )
    return ValidationOutputs(config, validated, intake, json_path, html_path, [], reason), feedback


def status_summary(assessed: Assessed) -> dict:
    """The chase list as plain data (what `status --json` prints)."""
    summary = summarise_validation(assessed.validated, assessed.intake.ignored, assessed.config)
    return {
        "organisation": summary["organisation"],
        "period": summary["period"],
        "period_reason": assessed.period_reason,
        "counts": summary["summary"]["departments"],
        "departments": summary["departments"],
        "ignored": summary["ignored"],
    }


def validation_summary(outputs: ValidationOutputs) -> dict:
    """The validation results as plain data (what --json prints)."""
    return summarise_validation(outputs.validated, outputs.intake.ignored, outputs.config)


@dataclass
class ReportOutputs:
    checked: ValidationOutputs
    scored: Scored
    databook: Path
    pdf: Path | None = None
    html: Path | None = None
    pages: int = 0
    annex: Path | None = None  # the analyst annex (not written with --pack)
    onepagers: tuple[Path, ...] = ()  # departments/<DEPT>-<period>.pdf, one page each
    pack: str = ""  # the [[packs]] name when only that pack was built: pdf is its file


def score_inbox(
    config: Config,
    period: str | None = None,
    out: Path | None = None,
    on_step: StepCallback = _quiet,
) -> ReportOutputs:
    """Validate, score, and write the data book (the analyst's Excel twin of the pack)."""
    with _one_run_at_a_time(config):
        result, finish = _score_inbox(config, period, out, on_step)
        finish()
        return result


def _score_inbox(
    config: Config, period: str | None, out: Path | None, on_step: StepCallback
) -> tuple[ReportOutputs, Callable[[], None]]:
    """Validated and scored; the feedback copies and the data book are being written beside
    (`finish` waits for both and fills them in)."""
    checked, feedback = _check(config, period, out, on_step)
    validated = checked.validated
    on_step("Scoring", 0, 1)
    scored = score(validated, config)
    scored.advice = advise(validated, scored)
    scored.restatements = restatements(validated, previous_submissions(config, validated))
    target = output_dir(config, validated.period, out)
    path = target / f"scorecard-{validated.period}.xlsx"
    databook = beside(lambda: write_databook(scored, path, validated, config.scoring))
    result = ReportOutputs(checked, scored, path)

    def finish() -> None:
        checked.feedback = feedback()
        result.databook = databook()

    return result, finish


def previous_submissions(config: Config, validated: Validated) -> dict[str, PreviousSubmission]:
    """Each department's last accepted submission for an earlier period, from the ledger.

    Departments whose previous file has no recorded values (accepted before the ledger
    kept them) are left out: nothing is compared rather than everything "restated".
    """
    archive = config.reporting.archive
    found = {}
    for dept in sorted(set(validated.actuals["department_id"])):
        row = last_accepted_before(archive, dept, validated.period)
        values = accepted_values(archive, dept, row["sha256"]) if row else []
        if row and values:
            found[dept] = PreviousSubmission(
                file=row["file"],
                period=row["period"],
                sha256=row["sha256"],
                values={(v["kpi_id"], v["month"]): v["value"] for v in values},
            )
    return found


def build_report(
    config: Config,
    period: str | None = None,
    out: Path | None = None,
    on_step: StepCallback = _quiet,
    pack: str | None = None,
) -> ReportOutputs:
    """The whole flow: the board pack (PDF + HTML), the analyst annex, a one-page PDF per
    department, the data book and validation results. With `pack` (a [[packs]] name), that
    pack's PDF instead of the board pack, annex and one-pagers."""
    chosen = None if pack is None else config.pack(pack)
    if pack is not None and chosen is None:
        known = ", ".join(p.name for p in config.packs) or "none are configured"
        raise ConfigError(f"{config.path.name}: no [[packs]] named {pack!r} (packs: {known})")
    with _one_run_at_a_time(config):
        result, finish = _score_inbox(config, period, out, on_step)
        validated = result.checked.validated
        target = output_dir(config, validated.period, out)
        if chosen is not None:
            on_step(f"Rendering the {chosen.name} pack", 0, 1)
            paths = write_named_pack(result.scored, validated, config, chosen, target)
            result.pdf, result.pages, result.pack = paths.pdf, paths.pages, chosen.name
            finish()
            return result
        # The annex and one-pagers are laid out beside the board pack (forked.py), so no
        # core waits while the pack is numbered and joined; their progress shows after it.
        scored = result.scored
        import weasyprint  # noqa: F401 - once, here: every layout process forked below has it

        view = pack_context(scored, validated, config)  # made once, for all of them
        companions = beside(lambda: write_companions(scored, validated, config, target, view=view))
        on_step("Rendering the board pack", 0, 1)
        paths = write_pack(scored, validated, config, target, view=view)
        on_step("Finishing the annex and one-pagers", 0, 1)
        made = companions()
        on_step("Finishing the annex and one-pagers", 1, 1)
        finish()
    result.pdf, result.html, result.pages = paths.pdf, paths.html, paths.pages
    result.annex, result.onepagers = made.annex, made.onepagers
    return result
