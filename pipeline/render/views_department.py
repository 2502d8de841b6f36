"""One department's scored rows in, its typed page view out: KPIs, objectives, OKRs, initiatives."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from pipeline.config import Config
from pipeline.fallback import StaleDepartment
from pipeline.formulas import directional_score, range_score, rollup_status, stay_breach
from pipeline.render import charts
from pipeline.render.format import (
    BLANK,
    KPI_THRESHOLDS,
    MINUS,
    StatusView,
    TrendView,
    fmt_breach,
    fmt_date,
    fmt_money,
    fmt_number,
    fmt_pct_change,
    fmt_score,
    fmt_text,
    fmt_value,
    fmt_variance,
    initiative_status,
    okr_thresholds,
    period_label,
    printed_value,
    rollup_thresholds,
    status_view,
    trend_view,
    unit_kind,
)
from pipeline.render.views_appendix import RejectedView, department_rows, per_frame, records
from pipeline.render.views_narrative import NarrativeView, narrative_view
from pipeline.score import Scored
from pipeline.validate import Validated
from pipeline.vocabulary import (
    STATUS_STYLES,
    Aggregation,
    Direction,
    KrType,
    Status,
    as_status,
    is_blank,
)

FRAMEWORKS = {
    "BSC + OKR": "Balanced Scorecard and OKRs",
    "BSC": "Balanced Scorecard only (no OKRs this quarter)",
    "OKR": "OKRs only (no Balanced Scorecard)",
    "None": "No scorecard or OKRs in the submission",
}


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiView:
    id: str
    name: str
    objective_id: str
    perspective: str
    unit: str
    status: StatusView
    score: str
    actual: str
    actual_note: str  # "YTD sum" / "YTD average" for aggregated KPIs
    prev: str
    target: str
    target_note: str  # "YTD of <annual target>" for phased KPIs
    red: str
    variance: str
    variance_pct: str
    trend: TrendView
    red_months: int
    spark: Markup
    commentary: str
    okrs: str


@dataclass(frozen=True)
class ObjectiveGroup:
    """An objective's row on a department page, with the KPIs that measure it."""

    id: str
    name: str
    score: str  # own score: the department's KPIs only
    status: StatusView
    full_score: str  # with contributing units ("" when none contribute)
    full_status: StatusView
    known: bool  # on this department's (or another's) Objectives sheet
    kpis: tuple[KpiView, ...]
    effects: str


@dataclass(frozen=True)
class PerspectiveSection:
    name: str
    score: str
    status: StatusView
    trend: TrendView
    groups: tuple[ObjectiveGroup, ...]
    kpi_count: int


@dataclass(frozen=True)
class Chip:
    """A perspective's score in the department header."""

    name: str
    score: str
    status: StatusView


@dataclass(frozen=True)
class KrView:
    id: str
    name: str
    type: str
    bar: Markup
    progress: str
    result: str
    limit: str  # a Stay key result: "held" or "breached by 1.9 pp" ("" for other types)
    breached: bool
    baseline: str
    confidence: str
    confidence_change: str
    expected: str
    pace: str
    pace_css: str
    last_checkin: str
    aligned_to: str
    owner: str


@dataclass(frozen=True)
class OkrObjectiveView:
    id: str
    name: str
    quarter: str
    score: str
    grade: StatusView
    confidence: str
    behind: int
    expected: str
    aligned_to: str
    krs: tuple[KrView, ...]


@dataclass(frozen=True)
class DepartmentOkrs:
    objectives: tuple[OkrObjectiveView, ...]  # this quarter's
    other_quarters: tuple[str, ...]
    other_count: int


@dataclass(frozen=True)
class InitiativeView:
    id: str
    name: str
    objective_id: str
    objective: str
    owner: str
    start: str
    end: str
    bar: Markup
    progress: str
    budget: str
    spent: str
    spent_share: str
    over_budget: bool
    status: str
    symbol: str
    css: str
    note: str


@dataclass(frozen=True)
class DepartmentView:
    """One department's scorecard page."""

    id: str
    first: bool
    anchor: str  # from the position: input text never becomes an id
    name: str
    depth: int
    trail: tuple[str, ...]  # the names of its ancestors, top-down
    children: tuple[str, ...]  # the names of its sub-units
    score: str
    own_score: str
    status: StatusView
    trend: TrendView
    gauge: Markup
    framework: str
    framework_code: str
    runs_bsc: bool
    runs_okr: bool
    kpi_count: int
    kpis_no_data: int
    chips: tuple[Chip, ...]
    sections: tuple[PerspectiveSection, ...]
    okrs: DepartmentOkrs
    okr_score: str
    okr_grade: StatusView
    initiatives: tuple[InitiativeView, ...]
    submitted: bool
    stale: bool
    stale_as_of: str  # the period shown for a stale department, when known
    missing: bool
    rejected: RejectedView | None
    has_content: bool
    prepared_by: str
    approved_by: str
    submitted_on: str
    file: str
    # the department's Narrative (its Headline rows head the page); empty for a stale unit:
    # last month's words are not shown as this month's
    narrative: NarrativeView = NarrativeView()


# --- builders --------------------------------------------------------------------------------


_MAX_EXTRA_DECIMALS = 4


def value_precision(k: Mapping[str, Any]) -> int:
    """Extra decimals for a KPI's actual, target and red, so a reader can rebuild its score.

    The fewest (0 to 4) with which the score formula, applied to the printed values,
    prints the same score as the pack: "99.774% ≥ 99.800%, red at 99.600%" for a score of
    87%, not "99.8% ≥ 99.8%" (docs/scoring.md, the display rule).
    """
    if is_blank(k["score"]) or is_blank(k["actual"]):
        return 0
    unit = fmt_text(k["unit"])
    shown = fmt_score(k["score"], KPI_THRESHOLDS)
    for extra in range(_MAX_EXTRA_DECIMALS + 1):
        actual = printed_value(k["actual"], unit, extra)
        low = printed_value(k["target_ytd"], unit, extra)
        if k["direction"] == Direction.RANGE:
            high = printed_value(k["target_max_ytd"], unit, extra)
            below = low - printed_value(k["red_low"], unit, extra)
            above = printed_value(k["red_high"], unit, extra) - high
            rebuilt = range_score(actual, low, high, below, above)
        else:
            red = printed_value(k["red"], unit, extra)
            rebuilt = directional_score(actual, low, red, k["direction"])
        if fmt_score(rebuilt, KPI_THRESHOLDS) == shown:
            return extra
    return _MAX_EXTRA_DECIMALS


def kpi_view(k: Mapping[str, Any], month_index: int | None, spark: bool = True) -> KpiView:
    unit = fmt_text(k["unit"])
    direction, aggregation = k["direction"], k["aggregation"]
    phased = aggregation == Aggregation.SUM
    extra = value_precision(k)

    def value(x: Any) -> str:
        return fmt_value(x, unit, extra)

    if direction == Direction.RANGE:
        target = f"{value(k['target_ytd'])} – {value(k['target_max_ytd'])}"
        red = f"red below {value(k['red_low'])} or above {value(k['red_high'])}"
        spark_target: Any = (k["target"], k["target_max"])
    else:
        sign = "≤" if direction == Direction.LOWER else "≥"
        target = f"{sign} {value(k['target_ytd'])}"
        red = f"red at {value(k['red'])}"
        spark_target = k["target"]
    if phased:
        # the series holds monthly values; the annual target spread evenly is comparable
        if isinstance(spark_target, tuple):
            spark_target = tuple(_scale(t, 1 / 12) for t in spark_target)
        else:
            spark_target = _scale(spark_target, 1 / 12)
    status = as_status(k["status"])
    aggregated = aggregation in (Aggregation.SUM, Aggregation.AVERAGE)
    return KpiView(
        id=fmt_text(k["kpi_id"]),
        name=fmt_text(k["kpi"]) or fmt_text(k["kpi_id"]),
        objective_id=fmt_text(k["objective_id"]),
        perspective=fmt_text(k["perspective"]),
        unit=unit,
        status=status_view(status),
        score=fmt_score(k["score"], KPI_THRESHOLDS),
        actual=value(k["actual"]),
        actual_note=f"YTD {aggregation.lower()}" if aggregated else "",
        prev=value(k["prev_actual"]),
        target=target,
        target_note=f"YTD of {value(k['target'])}" if phased else "",
        red=red,
        variance=fmt_variance(k["variance"], unit, extra),
        variance_pct="" if unit_kind(unit) == "percent" else fmt_pct_change(k["variance_pct"]),
        trend=trend_view(k["trend"], k["prev_score"], k["score"], KPI_THRESHOLDS),
        red_months=int(k["red_months"] or 0),
        spark=charts.sparkline(
            list(k["series"]),
            spark_target,
            width=84,
            status=status,
            unit=unit,
            name=fmt_text(k["kpi"]) or fmt_text(k["kpi_id"]),
            current=month_index - 1 if month_index else None,
        )
        if spark
        else Markup(""),
        commentary=fmt_text(k["commentary"]),
        okrs=", ".join(k["aligned_okrs"]),
    )


def _scale(x: Any, factor: float) -> float:
    return math.nan if is_blank(x) else float(x) * factor


@per_frame
def _objectives_by_id(frame: Any) -> Mapping[str, Mapping[str, Any]]:
    """Every objective by ID, made once per frame (read only: shared by every page)."""
    return {o["objective_id"]: o for o in records(frame)}


def department_view(
    d: Mapping[str, Any],
    trail: Sequence[str],
    children: Sequence[str],
    position: int,
    scored: Scored,
    validated: Validated,
    config: Config,
    month_index: int | None,
    submission: Mapping[str, Any] | None,
    rejected: RejectedView | None,
    stale: StaleDepartment | None,
) -> DepartmentView:
    """The page of department row `d` (of scored.departments), `position` in pack order.

    `trail` and `children` are display names; `submission` is the row of
    validated.submissions shown for it, `stale` its stand-in when it is shown from an
    earlier period.
    """
    dept = d["department_id"]
    scale = rollup_thresholds(config.scoring)
    currency = config.organisation.currency
    kpis = department_rows(scored.kpis, dept)
    objectives = {o["objective_id"]: o for o in department_rows(scored.objectives, dept)}
    all_objectives = _objectives_by_id(scored.objectives)
    persp = {r["perspective"]: r for r in department_rows(scored.perspectives, dept)}
    sections = []
    for name in config.perspective_names:  # top lane first, as a board reads a scorecard
        in_persp = [k for k in kpis if k["perspective"] == name]
        objs_here = [o for o in objectives.values() if o["perspective"] == name]
        if not in_persp and not objs_here:
            continue
        p = persp.get(name)
        groups = []
        for oid in dict.fromkeys(
            [*(o["objective_id"] for o in objs_here), *(k["objective_id"] for k in in_persp)]
        ):
            o = objectives.get(oid) or all_objectives.get(oid)
            members = [kpi_view(k, month_index) for k in in_persp if k["objective_id"] == oid]
            if o is None and not members:
                continue
            contributed = o is not None and bool(o["contributors"])
            groups.append(
                ObjectiveGroup(
                    id=fmt_text(oid),
                    name=fmt_text(o["objective"]) if o else "",
                    # the department's perspective uses own scores (its KPIs only)
                    score=fmt_score(o["own_score"], scale) if o else "",
                    status=status_view(
                        rollup_status(o["own_score"], config.scoring) if o else Status.NO_DATA
                    ),
                    full_score=fmt_score(o["score"], scale) if contributed else "",
                    full_status=status_view(o["status"] if o else Status.NO_DATA),
                    known=o is not None,
                    kpis=tuple(members),
                    effects=", ".join(o["contributes_to"]) if o else "",
                )
            )
        sections.append(
            PerspectiveSection(
                name=name,
                score=fmt_score(p["score"], scale) if p else BLANK,
                status=status_view(p["status"] if p else Status.NO_DATA),
                trend=trend_view(p["trend"], p["prev_score"], p["score"], scale)
                if p
                else trend_view(""),
                groups=tuple(groups),
                kpi_count=len(in_persp),
            )
        )
    chips = [
        Chip(name=name, score=fmt_score(p["score"], scale), status=status_view(p["status"]))
        for name in config.perspective_names
        if (p := persp.get(name)) is not None
        and p["objectives_scored"] + p["objectives_no_data"] > 0
    ]

    fill = charts.colour(config.branding.primary_colour)
    okrs = _department_okrs(scored, dept, fill, okr_thresholds(config.scoring))
    initiatives = _initiatives(validated, dept, currency, all_objectives, fill)
    sub = submission
    okr_dept = next(iter(department_rows(scored.okr_departments, dept)), None)
    framework = d["framework"]
    return DepartmentView(
        narrative=narrative_view(validated, dept),
        id=dept,
        first=position == 1,
        anchor=f"dept-{position}",
        name=d["department"],
        depth=int(d["depth"]),
        trail=tuple(trail),
        children=tuple(children),
        score=fmt_score(d["score"], scale),
        own_score=fmt_score(d["own_score"], scale),
        status=status_view(d["status"]),
        trend=trend_view(d["trend"], d["prev_score"], d["score"], scale),
        gauge=charts.tile(d["score"], as_status(d["status"]), text=fmt_score(d["score"], scale)),
        framework=FRAMEWORKS.get(framework, fmt_text(framework)),
        framework_code=fmt_text(framework),
        runs_bsc=framework in ("BSC", "BSC + OKR"),
        runs_okr=framework in ("OKR", "BSC + OKR"),
        kpi_count=len(kpis),
        kpis_no_data=int(d["kpis_no_data"] or 0),
        chips=tuple(chips),
        sections=tuple(sections),
        okrs=okrs,
        okr_score=fmt_score(okr_dept["score"], okr_thresholds(config.scoring)) if okr_dept else "",
        okr_grade=status_view(okr_dept["grade"] if okr_dept else Status.NO_DATA),
        initiatives=tuple(initiatives),
        submitted=bool(d["submitted"]),
        stale=bool(d["stale"]),
        stale_as_of=period_label(stale.as_of_period) if stale and stale.as_of_period else "",
        missing=not bool(d["submitted"]) and not bool(d["stale"]),
        rejected=rejected,
        has_content=bool(kpis or okrs.objectives or initiatives or objectives),
        prepared_by=fmt_text(sub["prepared_by"]) if sub else "",
        approved_by=fmt_text(sub["approved_by"]) if sub else "",
        submitted_on=fmt_date(sub["submitted_on"]) if sub else "",
        file=fmt_text(sub["file"]) if sub else "",
    )


def _department_okrs(
    scored: Scored, dept: str, fill: str, scale: Sequence[float]
) -> DepartmentOkrs:
    objs = department_rows(scored.okr_objectives, dept)
    krs = department_rows(scored.key_results, dept)
    current = [o for o in objs if bool(o["current_quarter"])]
    other = [o for o in objs if not bool(o["current_quarter"])]
    views = []
    for o in current:
        rows = [_kr_view(k, fill) for k in krs if k["okr_objective_id"] == o["okr_objective_id"]]
        views.append(
            OkrObjectiveView(
                id=fmt_text(o["okr_objective_id"]),
                name=fmt_text(o["okr_objective"]) or fmt_text(o["okr_objective_id"]),
                quarter=fmt_text(o["quarter"]),
                score=fmt_score(o["score"], scale),
                grade=status_view(o["grade"]),
                confidence=BLANK
                if is_blank(o["confidence"])
                else fmt_number(float(o["confidence"]), 1) + "/10",
                behind=int(o["krs_behind_pace"] or 0),
                expected=fmt_score(o["expected"]),
                aligned_to=", ".join(o["aligned_to"]),
                krs=tuple(rows),
            )
        )
    return DepartmentOkrs(
        objectives=tuple(views),
        other_quarters=tuple(sorted({fmt_text(o["quarter"]) for o in other})),
        other_count=len(other),
    )


def _kr_view(k: Mapping[str, Any], fill: str) -> KrView:
    unit = fmt_text(k["unit"])
    conf = k["confidence"]
    change = k["confidence_change"]
    limit = _stay_limit(k, unit)
    if is_blank(k["progress"]):
        pace, pace_status = Status.NO_DATA.value, Status.NO_DATA
    elif bool(k["behind_pace"]):
        pace, pace_status = "Behind pace", Status.RED
    else:
        pace, pace_status = "On pace", Status.GREEN
    return KrView(
        id=fmt_text(k["kr_id"]),
        name=fmt_text(k["key_result"]) or fmt_text(k["kr_id"]),
        type=fmt_text(k["type"]),
        bar=charts.progress_bar(k["progress"], k["expected"], width=64, height=7, fill=fill),
        progress=fmt_score(k["progress"]),
        result=_kr_result(k, unit),
        limit=limit,
        breached=limit.startswith("breached"),
        baseline=""
        if k["type"] == KrType.MILESTONE or is_blank(k["baseline"])
        else f"from {fmt_value(k['baseline'], unit)}",
        confidence=BLANK if is_blank(conf) else f"{fmt_number(float(conf), 0)}/10",
        confidence_change=""
        if is_blank(change) or float(change) == 0
        else ("+" if change > 0 else MINUS) + fmt_number(abs(float(change)), 0),
        expected=fmt_score(k["expected"]),
        pace=pace,
        pace_css=STATUS_STYLES[pace_status].css_class,
        last_checkin=fmt_date(k["last_checkin"], short=True) if k["last_checkin"] else "none",
        aligned_to=fmt_text(k["aligned_to"]),
        owner=fmt_text(k["owner"]),
    )


def _kr_result(k: Mapping[str, Any], unit: str) -> str:
    """Current against target; a milestone reads Done / Not done; a Stay key result reads
    "102.9% against ≤ 101.0%" (with `_stay_limit` beneath it)."""
    if k["type"] == KrType.MILESTONE:
        if is_blank(k["current"]):
            return BLANK
        return "Done" if float(k["current"]) >= 1 else "Not done"
    if k["type"] in (KrType.STAY_ABOVE, KrType.STAY_BELOW) and not is_blank(k["current"]):
        sign = "≥" if k["type"] == KrType.STAY_ABOVE else "≤"
        return f"{fmt_value(k['current'], unit)} against {sign} {fmt_value(k['target'], unit)}"
    return f"{fmt_value(k['current'], unit)} / {fmt_value(k['target'], unit)}"


def _stay_limit(k: Mapping[str, Any], unit: str) -> str:
    """A Stay key result: "held", or "breached by 1.9 pp" (in the unit; percent in points).

    Its progress is 1 or 0, so the size of a breach is shown here instead.
    """
    if k["type"] not in (KrType.STAY_ABOVE, KrType.STAY_BELOW):
        return ""
    breach = stay_breach(k["type"], k["target"], k["current"])
    if is_blank(breach):
        return ""
    return f"breached by {fmt_breach(breach, unit)}" if breach > 0 else "held"


def _initiatives(
    validated: Validated, dept: str, currency: str, objectives: Mapping[str, Any], fill: str
) -> list[InitiativeView]:
    frame = validated.initiatives
    if not len(frame):
        return []
    rows = []
    for i in department_rows(frame, dept):
        status = fmt_text(i.get("status"))
        symbol, css = initiative_status(status)
        budget, spent = i.get("budget"), i.get("spent")
        share = (
            float(spent) / float(budget)
            if not is_blank(budget) and not is_blank(spent) and float(budget) > 0
            else math.nan
        )
        obj = objectives.get(fmt_text(i.get("objective_id")))
        rows.append(
            InitiativeView(
                id=fmt_text(i.get("initiative_id")),
                name=fmt_text(i.get("initiative")) or fmt_text(i.get("initiative_id")),
                objective_id=fmt_text(i.get("objective_id")),
                objective=fmt_text(obj["objective"]) if obj else "",
                owner=fmt_text(i.get("owner")),
                start=fmt_date(i.get("start"), short=True),
                end=fmt_date(i.get("end"), short=True),
                bar=charts.progress_bar(i.get("progress"), None, width=58, height=7, fill=fill),
                progress=fmt_score(i.get("progress")),
                budget=fmt_money(budget, currency),
                spent=fmt_money(spent, currency),
                spent_share="" if is_blank(share) else fmt_score(share),
                over_budget=not is_blank(share) and share > 1,
                status=status or BLANK,
                symbol=symbol,
                css=css,
                note=fmt_text(i.get("note")),
            )
        )
    return rows
