"""Validated frames of every workbook in, the rules that look beyond one cell out as Problems.

Cross-sheet references (objectives, alignments, check-ins), KPI definitions (ranges, red
thresholds on the right side, zero targets), the months of the KPI table (future actuals,
gaps, the reporting month) and percentages typed as whole numbers. Add a new rule here:
`pipeline.schemas` checks single cells, `pipeline.validate` files and submissions.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline import contract
from pipeline.cells import percent_fields
from pipeline.config import Config
from pipeline.contract import Sheet
from pipeline.problems import Problem, problem, shown_value
from pipeline.vocabulary import Aggregation, Direction

PERCENT_SUSPECT = 2.0  # a % value of 2 or more (200 %) was most likely typed as 42 for 42 %
IMPLAUSIBLE_FACTOR = 100.0  # a month 100x off the KPI's target and history is a typing slip

# The columns that define a department's own IDs (references to others' IDs are elsewhere).
DEFINING_IDS = (
    (Sheet.OBJECTIVES, "objective_id"),
    (Sheet.KPIS, "kpi_id"),
    (Sheet.OKRS, "okr_objective_id"),
    (Sheet.OKRS, "kr_id"),
    (Sheet.INITIATIVES, "initiative_id"),
)


@dataclass(frozen=True)
class CorporateMap:
    """The corporate strategy map to check references against when the corporate workbook
    of this period is not accepted: the last accepted one's IDs, or none (with the reason)."""

    ids: frozenset[str]
    reason: str  # "CORP has not submitted for 2026-11 yet", for the warning when ids is empty


def workbook_problems(
    file: str,
    department: str,
    typed: dict[str, pd.DataFrame],
    config: Config,
    period: str,
    months: tuple[str, ...],
    cell_of: CellOf,
) -> list[Problem]:
    """Rules about one workbook as a whole: it belongs to its department, it reports something.

    `typed` holds the workbook's typed data sheets (a sheet that could not be read is absent).
    """
    out: list[Problem] = []
    owners = {d.id: d for d in config.departments if d.id != department}
    foreign: dict[str, list[tuple[str, str, int, str]]] = {}  # owner -> (sheet, key, row, ID)
    for sheet, key in DEFINING_IDS:
        frame = typed.get(sheet)
        if frame is None:
            continue
        for value, row in zip(frame[key], frame["row"], strict=True):
            prefix = str(value).split("-", 1)[0] if isinstance(value, str) and "-" in value else ""
            if prefix in owners:
                foreign.setdefault(prefix, []).append((sheet, key, int(row), value))
    if foreign and department:
        owner, places = max(foreign.items(), key=lambda item: len(item[1]))
        sheet, key, row, _ = places[0]
        examples = ", ".join(sorted({value for *_, value in places})[:3])
        out.append(
            problem(
                "foreign-ids",
                file,
                sheet=sheet,
                cell=cell_of(file, sheet, key, row),
                department=department,
                owner=f"{owners[owner].name} ({owner})",
                examples=examples + (", ..." if len(places) > 3 else ""),
            )
        )
    if not _reports_something(typed, period, months):
        out.append(
            problem(
                "nothing-reported",
                file,
                department=department,
                period=period,
                quarter=contract.quarter_of(period),
            )
        )
    return out


def _reports_something(
    typed: dict[str, pd.DataFrame], period: str, months: tuple[str, ...]
) -> bool:
    """Any KPI value for the month, or any key-result progress this quarter."""
    kpis = typed.get(Sheet.KPIS)
    month_key = f"m{months.index(period) + 1:02d}"
    if (
        kpis is not None
        and len(kpis)
        and (
            kpis[month_key].notna().any()
            or kpis["unusable_cells"].apply(lambda cells: month_key in cells).any()
        )
    ):
        return True
    quarter = contract.quarter_of(period)
    okrs = typed.get(Sheet.OKRS)
    if okrs is not None and len(okrs):
        this_quarter = okrs[okrs["quarter"] == quarter]
        if this_quarter["current"].notna().any():
            return True
    checkins = typed.get(Sheet.CHECKINS)
    if checkins is not None and len(checkins):
        start, end = contract.quarter_bounds(quarter)
        dates = pd.to_datetime(checkins["date"], errors="coerce")
        within = dates.between(pd.Timestamp(start), pd.Timestamp(contract.period_end(period)))
        if (within & checkins["value"].notna()).any():
            return True
    return False


# (file, sheet, column key, Excel row) -> "KPIs!H7"
CellOf = Callable[[str, str, str, int], str]


def cross_sheet_problems(
    frames: dict[str, pd.DataFrame],
    config: Config,
    period: str,
    months: tuple[str, ...],
    cell_of: CellOf,
    known_ids: frozenset[str],
    corporate: CorporateMap | None = None,
    submitted_ids: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every rule that looks beyond one cell: references, KPI definitions, months, percents.

    `frames` are the typed frames of all workbooks of the period, one per data sheet (keyed
    by sheet name, with `file`, `row` and `department_id` columns); `known_ids` are
    objective and KPI IDs from other submissions that references may also name;
    `corporate`, when given, replaces this period's corporate workbook as the strategy map;
    `submitted_ids` are the objectives of every workbook of the period, accepted or not, which
    a Contributes-to link may name (a rejected workbook's objective is still its objective).
    """
    out: list[Problem] = []
    objectives = frames[Sheet.OBJECTIVES]
    kpis = frames[Sheet.KPIS]
    okrs = frames[Sheet.OKRS]
    checkins = frames[Sheet.CHECKINS]
    initiatives = frames[Sheet.INITIATIVES]

    specs = {
        spec.name: spec for spec in contract.data_sheet_specs(months, config.perspective_choices)
    }

    def add(
        code: str,
        frame_row: Any,
        sheet: str,
        key: str,
        value: Any = "",
        column: str | None = None,
        **fields: Any,
    ) -> None:
        spec = specs[sheet]
        header = column or spec.columns[[c.key for c in spec.columns].index(key)].header
        out.append(
            problem(
                code,
                frame_row.file,
                sheet=sheet,
                cell=cell_of(frame_row.file, sheet, key, frame_row.row),
                column=header,
                value=shown_value(value),
                department=frame_row.department_id,
                **fields,
            )
        )

    corp_depts = {d.id for d in config.departments if d.corporate}
    objective_depts = objectives.groupby("department_id")["objective_id"].agg(set).to_dict()
    kpi_depts = kpis.groupby("department_id")["kpi_id"].agg(set).to_dict()
    if corporate is None:
        corp_objectives = set().union(*(objective_depts.get(c, set()) for c in corp_depts))
        corp_kpis = set().union(*(kpi_depts.get(c, set()) for c in corp_depts))
    else:
        corp_objectives, corp_kpis = set(corporate.ids), set(corporate.ids)
    corp_objectives |= known_ids
    corp_kpis |= known_ids
    department_objectives = set().union(
        *(ids for dept, ids in objective_depts.items() if dept not in corp_depts)
    )

    # Membership tests, never a union of sets per row: that made this quadratic in the
    # size of the organisation.
    def visible(dept: str, objective_id: str) -> bool:
        return objective_id in corp_objectives or objective_id in objective_depts.get(dept, ())

    def unknown(code: str, row: Any, sheet: str, key: str, target: str) -> None:
        """An unknown reference; a corporate one is only a warning while no map is known."""
        if corporate is not None and not corporate.ids and _names_one_of(target, corp_depts):
            add("corporate-map-missing", row, sheet, key, target, reason=corporate.reason)
        else:
            add(code, row, sheet, key, target)

    for row in objectives.itertuples():
        for target in row.contributes_to or ():
            if not (
                visible(row.department_id, target)
                or target in department_objectives
                or target in submitted_ids
            ):
                unknown("unknown-objective", row, Sheet.OBJECTIVES, "contributes_to", target)

    objective_perspective = dict(
        zip(objectives["objective_id"], objectives["perspective"], strict=False)
    )
    period_index = months.index(period) + 1
    for row in kpis.itertuples():
        if row.objective_id and not visible(row.department_id, row.objective_id):
            unknown("unknown-objective", row, Sheet.KPIS, "objective_id", row.objective_id)
        elif (
            row.objective_id in objective_perspective
            and row.perspective in config.perspective_names
            and objective_perspective[row.objective_id] != row.perspective
        ):
            add(
                "perspective-mismatch",
                row,
                Sheet.KPIS,
                "perspective",
                row.perspective,
                objective_perspective=objective_perspective[row.objective_id],
            )
        _check_kpi_definition(row, add)
        _check_months(row, months, period_index, add)

    for row in okrs.itertuples():
        aligned = row.aligned_to
        if aligned and not (
            visible(row.department_id, aligned)
            or aligned in kpi_depts.get(row.department_id, ())
            or aligned in corp_kpis
        ):
            unknown("unknown-alignment", row, Sheet.OKRS, "aligned_to", aligned)
        if row.unit == contract.PERCENT_UNIT:
            for key in ("baseline", "target", "current"):
                _percent_warning(row, key, Sheet.OKRS, add)
    for (_file, objective_id), group in okrs.groupby(["file", "okr_objective_id"]):
        texts = set(group["okr_objective"].dropna())
        if len(texts) > 1:
            add(
                "okr-objective-inconsistent",
                next(group.itertuples()),
                Sheet.OKRS,
                "okr_objective",
                okr_objective=objective_id,
            )

    kr_units = dict(zip(zip(okrs["file"], okrs["kr_id"], strict=False), okrs["unit"], strict=False))
    for row in checkins.itertuples():
        if row.kr_id and (row.file, row.kr_id) not in kr_units:
            add("unknown-kr", row, Sheet.CHECKINS, "kr_id", row.kr_id)
        elif kr_units.get((row.file, row.kr_id)) == contract.PERCENT_UNIT:
            _percent_warning(row, "value", Sheet.CHECKINS, add)

    for row in initiatives.itertuples():
        if row.objective_id and not visible(row.department_id, row.objective_id):
            unknown("unknown-objective", row, Sheet.INITIATIVES, "objective_id", row.objective_id)

    narrative = frames.get(Sheet.NARRATIVE)
    for row in () if narrative is None else narrative.itertuples():
        if row.section == "Decisions required" and pd.isna(row.owner):
            add("decision-without-owner", row, Sheet.NARRATIVE, "owner", title=row.title)
    return out


def _check_kpi_definition(row: Any, add: Any) -> None:
    target, red, target_max = row.target, row.red_threshold, row.target_max
    if row.unit == contract.PERCENT_UNIT:
        for key in ("target", "target_max", "red_threshold"):
            _percent_warning(row, key, Sheet.KPIS, add)
    if row.aggregation == Aggregation.SUM and row.unit in contract.NON_ADDITIVE_UNITS:
        add("sum-of-non-additive", row, Sheet.KPIS, "aggregation", row.unit)
    if pd.isna(target):
        return
    if row.direction == Direction.RANGE:
        if pd.isna(target_max) or target_max <= target:
            add(
                "range-without-max",
                row,
                Sheet.KPIS,
                "target_max",
                "" if pd.isna(target_max) else target_max,
                target=f"target {shown_value(target)}",
            )
        elif not pd.isna(red) and target <= red <= target_max:
            add(
                "red-wrong-side",
                row,
                Sheet.KPIS,
                "red_threshold",
                red,
                direction="Within range (red must lie outside the range)",
            )
    elif not pd.isna(red):
        if row.direction == Direction.HIGHER and red > target:
            add("red-wrong-side", row, Sheet.KPIS, "red_threshold", red, direction=Direction.HIGHER)
        elif row.direction == Direction.LOWER and red < target:
            add("red-wrong-side", row, Sheet.KPIS, "red_threshold", red, direction=Direction.LOWER)
    elif target == 0:
        add("zero-target-no-red", row, Sheet.KPIS, "red_threshold")


def _check_months(row: Any, months: tuple[str, ...], period_index: int, add: Any) -> None:
    values = [getattr(row, f"m{i:02d}") for i in range(1, 13)]
    unusable = row.unusable_cells
    filled = [not pd.isna(v) or f"m{i + 1:02d}" in unusable for i, v in enumerate(values)]
    last_filled = max((i for i, f in enumerate(filled[:period_index]) if f), default=-1)
    for i in range(period_index, 12):
        if filled[i]:
            add(
                "future-actual",
                row,
                Sheet.KPIS,
                f"m{i + 1:02d}",
                values[i],
                column=months[i],
                period=months[period_index - 1],
            )
    # Leading blanks are a KPI introduced mid-year; only a hole after the first value is a gap.
    first_filled = filled.index(True) if True in filled else 12
    quarterly = _reported_quarterly(filled[:period_index])
    for i in range(first_filled, last_filled):
        if not filled[i] and not quarterly:
            add("month-gap", row, Sheet.KPIS, f"m{i + 1:02d}", column=months[i])
    if not filled[period_index - 1] and not (quarterly and period_index % 3):
        add(
            "missing-current-actual",
            row,
            Sheet.KPIS,
            f"m{period_index:02d}",
            column=months[period_index - 1],
        )
    if row.unit == contract.PERCENT_UNIT:
        for i in range(12):
            _percent_warning(row, f"m{i + 1:02d}", Sheet.KPIS, add, column=months[i])
    else:
        _implausible_month(row, values, period_index, months, add)


def _reported_quarterly(filled: list[bool]) -> bool:
    """A KPI reported each quarter: values only at fiscal quarter ends, at least two.

    Its blank months in between are its rhythm, not gaps, and a month inside a quarter is
    not missing its actual (the KPI still shows No data there: blank is not zero).
    """
    months = [i + 1 for i, f in enumerate(filled) if f]
    return len(months) >= 2 and all(m % 3 == 0 for m in months)


def _implausible_month(
    row: Any, values: list[float], period_index: int, months: tuple[str, ...], add: Any
) -> None:
    """The reporting month 100x above or below both the target and the earlier months."""
    value = values[period_index - 1]
    if pd.isna(value) or value == 0:
        return
    history = [abs(v) for v in values[: period_index - 1] if not pd.isna(v) and v != 0]
    references = []
    if not pd.isna(row.target) and row.target != 0:
        references.append((abs(row.target), f"target ({shown_value(row.target)})"))
    if history:
        typical = float(statistics.median(history))  # as pandas' median: mean of the middle two
        references.append((typical, f"earlier months (typically {shown_value(round(typical, 6))})"))
    if len(references) < (2 if history else 1):
        return
    ratios = [abs(value) / ref for ref, _ in references]
    thousands = value * 1000
    if all(0.1 <= r * 1000 <= 10 for r in ratios) and abs(thousands - round(thousands)) < 1e-6:
        # 1.234 where the KPI runs in thousands: typed as "1.234" for 1,234
        add(
            "point-as-thousands",
            row,
            Sheet.KPIS,
            f"m{period_index:02d}",
            value,
            column=months[period_index - 1],
            reference=" and ".join(text for _, text in references),
            meant=f"{round(thousands):d}",
        )
        return
    if all(r >= IMPLAUSIBLE_FACTOR for r in ratios):
        direction = "above"
    elif all(r <= 1 / IMPLAUSIBLE_FACTOR for r in ratios):
        direction = "below"
    else:
        return
    add(
        "implausible-value",
        row,
        Sheet.KPIS,
        f"m{period_index:02d}",
        value,
        column=months[period_index - 1],
        direction=direction,
        reference=" and ".join(text for _, text in references),
    )


def _percent_warning(row: Any, key: str, sheet: str, add: Any, column: str | None = None) -> None:
    value = getattr(row, key)
    if pd.isna(value) or getattr(row, f"pct_text__{key}"):
        return
    if abs(value) >= PERCENT_SUSPECT:
        add(
            "percent-as-whole-number",
            row,
            sheet,
            key,
            value,
            column=column,
            **percent_fields(value),
        )


def _names_one_of(reference: str, departments: set[str]) -> bool:
    """True when an ID follows the `DEPT-...` convention of one of `departments`."""
    return reference.split("-", 1)[0] in departments
