"""The whole flow on one screen: inbox -> read -> validate -> score -> render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline import contract
from pipeline.advice import advise
from pipeline.config import Config
from pipeline.fallback import corporate_map, find_fallbacks, with_stale
from pipeline.feedback import write_feedback
from pipeline.inbox import archive_and_record, discover
from pipeline.read import RawWorkbook, UnreadableWorkbook, file_sha256, read_workbook
from pipeline.render.databook import write_databook
from pipeline.render.pack import write_pack
from pipeline.render.validation import (
    validation_summary as summarise_validation,
)
from pipeline.render.validation import write_validation_html, write_validation_json
from pipeline.score import Scored, score
from pipeline.validate import PeriodChoice, Unreadable, Validated, choose_period, validate

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
    """Read every workbook in the inbox; a file that can't be read becomes an Unreadable."""
    found = discover(config.reporting.inbox)
    intake = Intake(ignored=list(found.ignored))
    for path in found.wrong_format:
        intake.unreadable.append(
            Unreadable(path, file_sha256(path), "not-xlsx", {"what": f"{path.suffix} file"})
        )
    total = len(found.workbooks)
    for done, path in enumerate(found.workbooks, start=1):
        on_step(f"Reading {path.name}", done, total)
        try:
            intake.workbooks.append(read_workbook(path))
        except UnreadableWorkbook as exc:
            intake.unreadable.append(Unreadable(path, file_sha256(path), exc.code, exc.fields))
    return intake


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
    """Read and validate the inbox; write the validation report and feedback copies."""
    intake = read_inbox(config, on_step)
    reason = "given with --period"
    if period is None:
        choice = default_period(intake)
        period, reason = choice.period, choice.reason
    contract.parse_period(period)
    on_step("Validating", 0, 1)
    validated = validate(intake.workbooks, config, period, intake.unreadable)
    corporate = corporate_map(config, validated)
    if corporate is not None:  # check departments against the map that will be shown
        validated = validate(
            intake.workbooks, config, period, intake.unreadable, corporate=corporate
        )
    validated = with_stale(validated, find_fallbacks(config, validated, corporate))
    on_step("Validating", 1, 1)
    target = output_dir(config, period, out)
    feedback = []
    by_file: dict[str, list] = {}
    for prob in validated.problems:
        by_file.setdefault(prob.file, []).append(prob)
    for raw in intake.workbooks:
        probs = by_file.get(raw.path.name)
        if probs:
            written = write_feedback(raw.path, probs, target / "feedback")
            if written:
                feedback.append(written)
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
    )
    return ValidationOutputs(config, validated, intake, json_path, html_path, feedback, reason)


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


def score_inbox(
    config: Config,
    period: str | None = None,
    out: Path | None = None,
    on_step: StepCallback = _quiet,
) -> ReportOutputs:
    """Validate, score, and write the data book (the analyst's Excel twin of the pack)."""
    checked = check(config, period, out, on_step)
    validated = checked.validated
    on_step("Scoring", 0, 1)
    scored = score(validated, config)
    scored.advice = advise(validated, scored)
    target = output_dir(config, validated.period, out)
    databook = write_databook(scored, target / f"scorecard-{validated.period}.xlsx")
    return ReportOutputs(checked, scored, databook)


def build_report(
    config: Config,
    period: str | None = None,
    out: Path | None = None,
    on_step: StepCallback = _quiet,
) -> ReportOutputs:
    """The whole flow: the board pack (PDF + HTML), the data book and validation results."""
    result = score_inbox(config, period, out, on_step)
    validated = result.checked.validated
    on_step("Rendering the board pack", 0, 1)
    paths = write_pack(result.scored, validated, config, output_dir(config, validated.period, out))
    result.pdf, result.html, result.pages = paths.pdf, paths.html, paths.pages
    return result
