"""Demo workbooks: the Northwind Components catalogue in, one filled workbook per department out.

Northwind Components is a fictional maker of precision drive parts. It also sells "Northwind
Connect", a condition-monitoring subscription, which is why Customer success talks SaaS
(churn, NPS, adoption). Ten units fill in the standard workbook: CORP (the group strategy
office, whose Objectives sheet is the corporate strategy map), FIN, COMM (Commercial, parent
of SALES, MKT and CS), OPS, ENG, PPL and IT. People (all fictional): CEO Anna Kowalczyk,
CFO Pieter van Dijk, COO Luca Bianchi, CCO Claire Dubois, CTO Ravi Menon, CHRO Ingrid
Halvorsen, CIO Tomasz Nowak.

The catalogue is data: one TOML file per department in `demo_data/` (`<DEPT>.toml`), with an
explicit ID on every objective, KPI, OKR objective, key result and initiative, so moving a row
never renumbers anything. `load_catalogue` reads the files into the `Demo*` dataclasses below
(whose field names are the TOML keys) and names the file and key of any mistake.

`demo_content` is pure: it turns the catalogue into `WorkbookContent` for a period,
deterministically (every random stream is seeded from `SEED` and the row's ID).
`build_demo` writes the workbooks through the real template writer, so they are valid by
construction: proper Python types, percentages as fractions, IDs unique organisation-wide.

Written for fiscal 2026 and `DEMO_PERIOD` (2026-10: ten months of actuals, OKR quarter
2026-Q4, weekly check-ins on Fridays). Other periods work (months up to the period are
filled, later ones left blank) but the texts speak of 2026.

Planted on purpose, so the pack's advice and attention lists have something to say:
- FIN-K01 (days sales outstanding), CORP-K11 (portal orders) and MKT-K11 (closed-loop
  attribution) are Red for two months or more with no OKR aligned: "derive an OKR".
- SALES-K05 (new logos) is Red with no commentary.
- PPL-K09 (engagement pulse) and IT-K10 (restore tests) have no October figure (No data).
- OPS-K03 (energy cost per unit) has a blank July before filled months (a month gap).
- MKT-OKR2 is aligned to nothing; CS-KR4 "Launch the new onboarding flow" is a task-like
  (Milestone) key result; PPL-KR5 has had no check-in since 9 October (stale).
- FIN runs the Balanced Scorecard only (no OKRs this quarter).
"""

from __future__ import annotations

import functools
import random
import re
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import contract
from pipeline.config import Config
from pipeline.workbook_templates import WorkbookContent, write_workbook

SEED = 2026
DEMO_PERIOD = "2026-10"
DATA_DIR = Path(__file__).parent / "demo_data"

_, _, ABOVE, BELOW, MILESTONE = contract.KR_TYPES

# Decimal places a unit's actuals are rounded to (<= 0: whole numbers, stored as int).
_DECIMALS = {"%": 3, "EUR": 0, "count": 0, "days": 1, "hours": 0, "score": 1, "ratio": 2}


# --- catalogue types (field names are the TOML keys) ---------------------------------------


@dataclass(frozen=True)
class DemoObjective:
    id: str  # CORP-F1, FIN-O1
    perspective: str
    name: str
    owner: str
    contributes_to: tuple[str, ...] = ()  # objective IDs, this unit's or a parent's
    weight: float | None = None


@dataclass(frozen=True)
class DemoKpi:
    id: str  # FIN-K01
    objective: str  # objective ID, in the same file
    name: str
    unit: str
    direction: str
    aggregation: str
    target: float
    # Exactly one of: (January value, October value) for a trend with noise, or one
    # explicit value per fiscal month (months past the period are ignored).
    trend: tuple[float, float] | None = None
    monthly: tuple[float, ...] | None = None
    red_threshold: float | None = None
    target_max: float | None = None
    weight: float | None = None
    noise_sd: float | None = None  # absolute standard deviation of the trend's noise
    decimals: int | None = None  # None: the unit's default (_DECIMALS)
    shape: float = 1.0  # trend curvature: > 1 late change, < 1 early change
    commentary: str = ""
    definition: str = ""  # what the KPI measures, for the pack's glossary
    late: bool = False  # the reporting month's figure is not in yet (No data)
    blank_month: int | None = None  # a fiscal month index (0 = first) left blank


@dataclass(frozen=True)
class DemoKeyResult:
    id: str  # FIN-KR1
    text: str
    type: str
    baseline: float
    target: float
    current: float  # value at the last check-in of the period (Milestone: 0 or 1)
    confidence: int
    owner: str
    unit: str | None = None
    weight: float | None = None
    note: str = ""  # note on the latest check-in
    stale_after: int | None = None  # check-ins stop after this many (no recent check-in)


@dataclass(frozen=True)
class DemoOkr:
    id: str  # FIN-OKR1
    title: str
    key_results: tuple[DemoKeyResult, ...]
    aligned_to: str | None = None  # a BSC objective or KPI ID; None: aligned to nothing


@dataclass(frozen=True)
class DemoInitiative:
    id: str  # FIN-I1
    name: str
    objective: str  # objective ID, in the same file
    owner: str
    start: date
    end: date
    progress: float
    budget: int
    spent: int
    status: str
    note: str = ""


@dataclass(frozen=True)
class DemoNarrative:
    section: str  # one of contract.NARRATIVE_SECTIONS
    title: str
    text: str = ""
    owner: str = ""
    due: date | None = None


@dataclass(frozen=True)
class DemoDepartment:
    prepared_by: str
    approved_by: str
    submitted_after_days: int  # days after the period end
    objectives: tuple[DemoObjective, ...]
    kpis: tuple[DemoKpi, ...]
    initiatives: tuple[DemoInitiative, ...]
    okrs: tuple[DemoOkr, ...] = ()
    narrative: tuple[DemoNarrative, ...] = ()


# --- loading the TOML files ----------------------------------------------------------------


class DemoDataError(ValueError):
    """A demo data file is malformed; the message names the file and the key."""


# Arrays of tables and the record type each item becomes.
_NESTED: dict[str, type] = {
    "objectives": DemoObjective,
    "kpis": DemoKpi,
    "okrs": DemoOkr,
    "key_results": DemoKeyResult,
    "initiatives": DemoInitiative,
    "narrative": DemoNarrative,
}
# Keys whose text must be a workbook dropdown choice. The loader hands back the contract's
# own value (a StrEnum member where the contract has one), so the content is identical to
# content built from the constants, down to the type.
_CHOICES: dict[str, tuple[str, ...]] = {
    "perspective": contract.PERSPECTIVES,
    "direction": contract.DIRECTIONS,
    "aggregation": contract.AGGREGATIONS,
    "type": contract.KR_TYPES,
    "status": contract.INITIATIVE_STATUSES,
    "section": contract.NARRATIVE_SECTIONS,
}


def load_catalogue(folder: Path = DATA_DIR) -> dict[str, DemoDepartment]:
    """Every `<DEPT>.toml` in `folder`, keyed by department ID (the file name), in name order.

    Raises DemoDataError naming the file and key: bad TOML, a missing or unknown key, a value
    outside its choices, a dangling objective reference, or an ID used twice (in one file or
    across files).
    """
    catalogue: dict[str, DemoDepartment] = {}
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        spec = load_department(path)
        for item_id in _ids(spec):
            if item_id in seen:
                raise DemoDataError(f"{path}: ID {item_id!r} is also used in {seen[item_id]}")
            seen[item_id] = path
        catalogue[path.stem] = spec
    return catalogue


def load_department(path: Path) -> DemoDepartment:
    """One department's catalogue from its TOML file; DemoDataError names file and key."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise DemoDataError(f"{path}: not valid TOML: {e}") from e
    spec: DemoDepartment = _record(DemoDepartment, data, str(path))
    duplicated = [i for i, n in Counter(_ids(spec)).items() if n > 1]
    if duplicated:
        raise DemoDataError(f"{path}: duplicate ID {duplicated[0]!r}")
    objectives = {o.id for o in spec.objectives}
    for row in (*spec.kpis, *spec.initiatives):
        if row.objective not in objectives:
            raise DemoDataError(
                f"{path}: {row.id}: key 'objective' names {row.objective!r}, "
                "which is not an objective in this file"
            )
    for k in spec.kpis:
        # The series is either a trend or explicit months; both or neither is ambiguous.
        if (k.trend is None) == (k.monthly is None):
            raise DemoDataError(f"{path}: {k.id}: give exactly one of 'trend' or 'monthly'")
        if k.trend is not None and len(k.trend) != 2:
            raise DemoDataError(f"{path}: {k.id}: key 'trend' takes two values (January, October)")
    return spec


def _ids(spec: DemoDepartment) -> Iterator[str]:
    yield from (o.id for o in spec.objectives)
    yield from (k.id for k in spec.kpis)
    for okr in spec.okrs:
        yield okr.id
        yield from (kr.id for kr in okr.key_results)
    yield from (i.id for i in spec.initiatives)


def _record(cls: type, table: Any, where: str) -> Any:
    """`cls` built from a TOML table, with every key checked against the dataclass fields."""
    if not isinstance(table, dict):
        raise DemoDataError(f"{where}: expected a table, got {table!r}")
    known = {f.name: f for f in fields(cls)}
    unknown = [key for key in table if key not in known]
    if unknown:
        raise DemoDataError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(known)})")
    missing = [n for n, f in known.items() if n not in table and f.default is MISSING]
    if missing:
        raise DemoDataError(f"{where}: missing key {missing[0]!r}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in _NESTED:
            if not isinstance(value, list):
                raise DemoDataError(f"{where}: key {key!r} must be an array of tables [[{key}]]")
            values[key] = tuple(
                _record(_NESTED[key], item, f"{where}: {key}[{n}] ({_label(item)})")
                for n, item in enumerate(value, start=1)
            )
        elif key in _CHOICES:
            choices = _CHOICES[key]
            if value not in choices:
                allowed = ", ".join(repr(str(c)) for c in choices)
                raise DemoDataError(f"{where}: key {key!r} is {value!r}; expected one of {allowed}")
            values[key] = choices[choices.index(value)]
        else:
            # TOML arrays become tuples so the frozen records stay hashable and comparable.
            values[key] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


def _label(item: Any) -> str:
    return str(item.get("id", "no id")) if isinstance(item, dict) else "not a table"


@functools.cache
def catalogue() -> Mapping[str, DemoDepartment]:
    """The packaged catalogue, read once (read-only: every caller shares it)."""
    return MappingProxyType(load_catalogue(DATA_DIR))


# --- content generation (pure) -------------------------------------------------------------


def demo_content(
    config: Config, period: str, departments: Mapping[str, DemoDepartment] | None = None
) -> dict[str, WorkbookContent]:
    """Workbook content for every configured department, keyed by department ID.

    `departments` replaces the packaged catalogue (the benchmark's generated organisations,
    `pipeline.bench_org`). Raises ValueError for a department the catalogue does not know.
    """
    known = catalogue() if departments is None else departments
    unknown = [d.id for d in config.departments if d.id not in known]
    if unknown:
        raise ValueError(
            f"no demo content for department(s) {', '.join(unknown)} "
            f"(the demo knows {', '.join(known)})"
        )
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    elapsed = months.index(period) + 1
    quarter = contract.quarter_of(period)
    end = contract.period_end(period)
    return {
        d.id: _department(known[d.id], months, elapsed, quarter, end) for d in config.departments
    }


def _department(
    spec: DemoDepartment, months: tuple[str, ...], elapsed: int, quarter: str, end: date
) -> WorkbookContent:
    perspective = {o.id: o.perspective for o in spec.objectives}
    objectives = [
        {
            "Objective ID": o.id,
            "Perspective": o.perspective,
            "Objective": o.name,
            "Owner": o.owner,
            "Contributes to": ", ".join(o.contributes_to) or None,
            "Weight": o.weight,
        }
        for o in spec.objectives
    ]
    kpis = []
    for k in spec.kpis:
        values = _actuals(k, elapsed)
        row: dict[str, Any] = {
            "KPI ID": k.id,
            "Objective ID": k.objective,
            "Perspective": perspective[k.objective],
            "KPI": k.name,
            "Unit": k.unit,
            "Direction": k.direction,
            "Aggregation": k.aggregation,
            "Target": k.target,
            "Target max": k.target_max,
            "Red threshold": k.red_threshold,
            "Weight": k.weight,
        }
        row.update({m: (values[i] if i < elapsed else None) for i, m in enumerate(months)})
        row["Commentary"] = k.commentary or None
        row["Definition"] = k.definition or None
        kpis.append(row)
    okrs, checkins = _okrs(spec.okrs, quarter, end)
    initiatives = [
        {
            "Initiative ID": i.id,
            "Initiative": i.name,
            "Objective ID": i.objective,
            "Owner": i.owner,
            "Start": i.start,
            "End": i.end,
            "Progress %": i.progress,
            "Budget": i.budget,
            "Spent": i.spent,
            "Status": i.status,
            "Note": i.note or None,
        }
        for i in spec.initiatives
    ]
    submission = {
        contract.SubmissionField.PREPARED_BY: spec.prepared_by,
        contract.SubmissionField.APPROVED_BY: spec.approved_by,
        contract.SubmissionField.SUBMITTED_ON: end + timedelta(days=spec.submitted_after_days),
    }
    narrative = [
        {
            "Section": n.section,
            "Title": n.title,
            "Text": n.text or None,
            "Owner": n.owner or None,
            "Due date": n.due,
        }
        for n in spec.narrative
    ]
    return WorkbookContent(submission, objectives, kpis, okrs, checkins, initiatives, narrative)


def _decimals(k: DemoKpi) -> int:
    return k.decimals if k.decimals is not None else _DECIMALS.get(k.unit, 2)


def _round(value: float, decimals: int) -> float | int:
    if decimals <= 0:
        return int(round(value, decimals))
    return round(value, decimals)


def _actuals(k: DemoKpi, elapsed: int) -> list[float | int | None]:
    """One value per elapsed fiscal month: a trend with noise, or the explicit values."""
    rng = random.Random(f"{SEED}:{k.id}")
    decimals = _decimals(k)
    values: list[float | int | None] = []
    if k.monthly is not None:
        explicit = list(k.monthly)
        for i in range(elapsed):
            values.append(_round(explicit[min(i, len(explicit) - 1)], decimals))
    else:
        assert k.trend is not None  # the loader guarantees exactly one of the two
        start, stop = k.trend
        sd = k.noise_sd if k.noise_sd is not None else 0.0
        for i in range(elapsed):
            t = i / 9  # January .. October of the demo year
            trend = start + (stop - start) * t**k.shape
            noise = rng.gauss(0.0, sd) * (0.3 if i == 9 else 1.0)
            value = max(trend + noise, 0.0)
            values.append(_round(value, decimals))
    if k.blank_month is not None and k.blank_month < elapsed - 1:
        values[k.blank_month] = None
    if k.late:
        values[elapsed - 1] = None
    return values


def _fridays(first: date, last: date) -> list[date]:
    day = first + timedelta(days=(4 - first.weekday()) % 7)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=7)
    return out


def _okrs(
    specs: tuple[DemoOkr, ...], quarter: str, end: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    start, _ = contract.quarter_bounds(quarter)
    dates = _fridays(start, end)
    okr_rows: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    for okr in specs:
        for kr in okr.key_results:
            current: float | int = kr.current
            if kr.type != MILESTONE and dates:
                series = _checkins(kr, dates)
                checkins.extend(series)
                current = series[-1]["Value"]
            okr_rows.append(
                {
                    "Objective ID": okr.id,
                    "Objective": okr.title,
                    "KR ID": kr.id,
                    "Key result": kr.text,
                    "Type": kr.type,
                    "Unit": kr.unit,
                    "Baseline": kr.baseline,
                    "Target": kr.target,
                    "Current": current,
                    "Confidence": kr.confidence,
                    "Owner": kr.owner,
                    "Quarter": quarter,
                    "Aligned to": okr.aligned_to,
                    "Weight": kr.weight,
                    "Reflection": None,
                }
            )
    return okr_rows, checkins


def _kr_decimals(kr: DemoKeyResult) -> int:
    """As many decimals as the KR's own numbers use (percentages: at least 0.1 pt)."""
    numbers = (kr.baseline, kr.target, kr.current)
    if kr.unit == "%":
        return 4 if any(0.99 < x < 1 for x in numbers) else 3
    if min((abs(x) for x in numbers if x), default=0) >= 1_000_000:
        return -4
    return max(len(f"{float(x):.4f}".rstrip("0").split(".")[1]) for x in numbers)


def _checkins(kr: DemoKeyResult, dates: list[date]) -> list[dict[str, Any]]:
    """Weekly values from the baseline to `current` at the last check-in, with a little noise."""
    rng = random.Random(f"{SEED}:{kr.id}")
    if kr.stale_after is not None:
        dates = dates[: kr.stale_after]
    decimals = _kr_decimals(kr)
    count = len(dates)
    first_confidence = min(10, max(kr.confidence + 1, 6))
    span = abs(kr.current - kr.baseline) or abs(kr.target) * 0.01
    rows: list[dict[str, Any]] = []
    previous = kr.baseline
    for i, day in enumerate(dates, start=1):
        share = i / count
        if i == count:
            value = kr.current
        else:
            value = kr.baseline + (kr.current - kr.baseline) * share + rng.gauss(0.0, span * 0.15)
        value = _round(max(value, 0.0), decimals)
        confidence = round(first_confidence + (kr.confidence - first_confidence) * share)
        last_note = kr.note if i == count else ""
        note = last_note or _note(kr, previous, value, decimals, rng)
        rows.append(
            {"KR ID": kr.id, "Date": day, "Value": value, "Confidence": confidence, "Note": note}
        )
        previous = value
    return rows


def _fmt(value: float, unit: str | None, decimals: int) -> str:
    if unit == "%":
        return f"{value * 100:.{max(decimals - 2, 1)}f}%"
    if unit == "EUR":
        return f"EUR {value / 1e6:.2f}M" if abs(value) >= 1e6 else f"EUR {value:,.0f}"
    text = f"{value:,.{max(decimals, 0)}f}"
    if unit == "ratio":
        return f"{text}x"
    return f"{text} {unit}" if unit in ("days", "hours", "minutes") else text


_GOOD = ("on plan.", "moving the right way.", "good week.", "steady progress.")
_BAD = ("a small dip.", "slipped; owner reviewing the cause.", "wrong way this week; watching it.")


def _note(
    kr: DemoKeyResult, previous: float, value: float, decimals: int, rng: random.Random
) -> str:
    before, now = _fmt(previous, kr.unit, decimals), _fmt(value, kr.unit, decimals)
    if kr.type in (ABOVE, BELOW):
        limit = _fmt(kr.target, kr.unit, decimals)
        if kr.type == ABOVE and value < kr.target:
            return f"At {now}, below the {limit} floor."
        if kr.type == BELOW and value > kr.target:
            return f"At {now}, above the {limit} ceiling."
        return f"Holding at {now} ({'floor' if kr.type == ABOVE else 'ceiling'} {limit})."
    if before == now:
        return "No change this week."
    wanted_up = kr.target >= kr.baseline
    good = (value > previous) == wanted_up
    verb = "Up" if value > previous else "Down"
    tail = rng.choice(_GOOD if good else _BAD)
    return f"{verb} from {before} to {now}; {tail}"


# --- writing (I/O) -------------------------------------------------------------------------


def demo_file_name(dept_id: str, period: str) -> str:
    """`<DEPT>-<period>.xlsx`, the name build_demo gives each workbook."""
    return f"{dept_id}-{period}.xlsx"


def build_demo(config: Config, period: str = DEMO_PERIOD, inbox: Path | None = None) -> list[Path]:
    """Write every department's demo workbook into the inbox; return the paths written.

    Earlier demo workbooks (`<DEPT>-YYYY-MM.xlsx` for a configured department) are removed
    first, so the inbox holds one period; any other file in the inbox is left alone.
    """
    contents = demo_content(config, period)
    folder = Path(inbox) if inbox is not None else Path(config.reporting.inbox)
    folder.mkdir(parents=True, exist_ok=True)
    ids = "|".join(re.escape(d) for d in config.department_ids)
    generated = re.compile(rf"^(?:{ids})-\d{{4}}-\d{{2}}\.xlsx$")
    for old in folder.iterdir():
        if old.is_file() and generated.match(old.name):
            old.unlink()
    paths = []
    for dept in config.departments:
        content = contents[dept.id]
        submitted_on = content.submission[contract.SubmissionField.SUBMITTED_ON]
        path = folder / demo_file_name(dept.id, period)
        paths.append(write_workbook(path, config, dept, period, content, submitted_on))
    return paths
