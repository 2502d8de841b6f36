"""Departments with nothing accepted this period, shown from their last accepted submission.

The one home of the stale fallback: finding the stand-in in the archive, merging it into
this period's validated frames (marked stale), and listing which departments are stale for
the pack. Stale data is never silently mixed in: every stand-in carries a
`stale-submission` warning and the `stale` / `as_of_period` columns of `submissions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.inbox import ledger_rows
from pipeline.problems import problem
from pipeline.read import UnreadableWorkbook, read_workbook
from pipeline.rules import CorporateMap
from pipeline.validate import Validated, problem_order, validate
from pipeline.vocabulary import FileStatus

_DATA_FRAMES = ("objectives", "kpis", "key_results", "checkins", "initiatives")


@dataclass(frozen=True)
class StaleDepartment:
    """A department shown from an earlier period's accepted submission."""

    department_id: str
    as_of_period: str  # the period of the submission shown; "" when unknown
    file: str


def corporate_map(config: Config, validated: Validated) -> CorporateMap | None:
    """The strategy map to use when the corporate workbook of this period is not accepted.

    None when it is accepted (or the organisation has no corporate unit). Otherwise the IDs
    of the last accepted corporate workbook, or no IDs and the reason, so departments'
    references to corporate objectives are not rejected for a file they cannot fix.
    """
    corp = next((d for d in config.departments if d.corporate), None)
    if corp is None or corp.id not in validated.not_accepted:
        return None
    why = (
        f"{corp.id}'s workbook for {validated.period} was rejected"
        if corp.id in validated.rejected
        else f"{corp.id} has not submitted for {validated.period} yet"
    )
    old = _last_accepted(config, corp.id, validated.period, frozenset(), None)
    if old is None:
        return CorporateMap(frozenset(), f"{why} and no earlier corporate workbook was accepted")
    ids = frozenset(old.objectives["objective_id"]) | frozenset(old.kpis["kpi_id"])
    return CorporateMap(ids, why)


def find_fallbacks(
    config: Config, validated: Validated, corporate: CorporateMap | None = None
) -> list[Validated]:
    """For departments with nothing accepted this period: their last accepted submission.

    Each is read from the archive (by content hash) and re-validated in its own period,
    with this period's objective and KPI IDs (and the corporate map) known so
    cross-references still resolve.
    """
    known = frozenset(validated.objectives["objective_id"]) | frozenset(validated.kpis["kpi_id"])
    if corporate is not None:
        known |= corporate.ids
    found = []
    not_accepted = set(validated.not_accepted)  # missing or rejected: each gets its stand-in
    for dept in (d for d in config.department_ids if d in not_accepted):
        old = _last_accepted(config, dept, validated.period, known, corporate)
        if old is not None:
            found.append(old)
    return found


def _last_accepted(
    config: Config,
    dept: str,
    period: str,
    known: frozenset[str],
    corporate: CorporateMap | None,
) -> Validated | None:
    """The department's newest accepted submission of an earlier period, re-validated."""
    archive = config.reporting.archive
    earlier = [
        r
        for r in ledger_rows(archive)
        if r["department_id"] == dept
        and r["status"] == FileStatus.ACCEPTED
        and r["period"]
        and r["period"] < period
        and _archived(archive, r["sha256"]).is_file()
    ]
    if not earlier:
        return None
    newest = max(earlier, key=lambda r: (r["period"], r["seen_at"]))
    try:
        raw = read_workbook(_archived(archive, newest["sha256"]))
    except UnreadableWorkbook:
        return None
    stand_in = corporate if corporate is not None and corporate.ids else None
    old = validate(
        [raw], _only(config, dept), newest["period"], known_ids=known, corporate=stand_in
    )
    if not len(old.submissions):
        return None
    old.submissions["file"] = newest["file"]  # the name the user knows, not the hash
    return old


def _archived(archive: Path, sha256: str) -> Path:
    """The archived copy: kept under its own ending (.xlsm, .ods), else .xlsx."""
    for suffix in (".xlsm", ".ods"):
        if (archive / f"{sha256}{suffix}").is_file():
            return archive / f"{sha256}{suffix}"
    return archive / f"{sha256}.xlsx"


def _only(config: Config, dept: str) -> Config:
    """The config as seen by one department's re-validation (others are not expected)."""
    return replace(
        config, departments=tuple(d for d in config.departments if d.id == dept or d.corporate)
    )


def with_stale(current: Validated, fallbacks: Sequence[Validated]) -> Validated:
    """Add earlier accepted submissions for departments with none this period, marked stale.

    Each fallback was validated in its own period. Its monthly actuals are kept only where
    the month falls in this fiscal year, so a stale figure never fills the current month of
    a new year by accident; scoring then shows what is known and No data for the rest.
    """
    if not fallbacks:
        return current
    frames: dict[str, list[pd.DataFrame]] = defaultdict(list)
    problems = list(current.problems)
    month_index = {m: i for i, m in enumerate(current.months, start=1)}
    for old in fallbacks:
        subs = old.submissions.copy()
        subs["stale"] = True
        frames["submissions"].append(subs)
        for name in _DATA_FRAMES:
            frames[name].append(getattr(old, name))
        actuals = old.actuals[old.actuals["month"].isin(month_index)].copy()
        actuals["month_index"] = actuals["month"].map(month_index).astype(int)
        present = set(zip(actuals["kpi_id"], actuals["month"], strict=True))
        # Months of this fiscal year the old file did not cover are blank, never zero.
        blanks = [
            (row.department_id, row.kpi_id, m, i, float("nan"))
            for row in old.kpis.itertuples()
            for m, i in month_index.items()
            if (row.kpi_id, m) not in present
        ]
        filler = pd.DataFrame(blanks, columns=actuals.columns)
        frames["actuals"].append(
            pd.concat([actuals, filler], ignore_index=True) if blanks else actuals
        )
        for sub in subs.itertuples():
            problems.append(
                problem(
                    "stale-submission",
                    "",
                    department=sub.department_id,
                    value=sub.file,
                    as_of_period=sub.period,
                )
            )

    def merged(name: str) -> pd.DataFrame:
        parts = [getattr(current, name), *frames[name]]
        parts = [p for p in parts if len(p)]
        if not parts:
            return getattr(current, name)
        out = pd.concat(parts, ignore_index=True)
        if name == "actuals":
            out = out.sort_values(["department_id", "kpi_id", "month_index"], kind="stable")
            out = out.reset_index(drop=True)
        return out

    return Validated(
        period=current.period,
        months=current.months,
        submissions=merged("submissions"),
        objectives=merged("objectives"),
        kpis=merged("kpis"),
        actuals=merged("actuals"),
        key_results=merged("key_results"),
        checkins=merged("checkins"),
        initiatives=merged("initiatives"),
        files=current.files,
        missing=current.missing,  # shown stale, still missing (or rejected): see `no_data`
        rejected=current.rejected,
        problems=sorted(problems, key=problem_order),
        perspectives=current.perspectives,
        narrative=current.narrative,  # last month's words are not shown as this month's
    )


def stale_departments(validated: Validated) -> list[StaleDepartment]:
    """The departments shown from an earlier period, in submissions order."""
    subs = validated.submissions
    if subs.empty or "stale" not in subs:
        return []
    return [
        StaleDepartment(
            str(s["department_id"]),
            s["as_of_period"] if isinstance(s.get("as_of_period"), str) else "",
            str(s["file"]),
        )
        for s in subs.to_dict("records")
        if bool(s.get("stale"))
    ]
