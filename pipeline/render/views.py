"""Scored and validated frames in, the pack's typed view model out (pure, no I/O).

`pack_context` builds a `PackView`: display strings, numbers and inline SVG for the cover,
executive summary, headline KPI charts, overview, strategy map and perspective pages, with
the department pages
(`views_department`) and the appendix (`views_appendix`). Templates read only these views;
a mistyped field is an AttributeError here or a StrictUndefined error in the template.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from pipeline.config import Config, Scoring
from pipeline.contract import fiscal_year_months, period_end
from pipeline.fallback import stale_departments
from pipeline.formulas import DERIVE_AFTER_MONTHS, PACE, okr_grade
from pipeline.render import charts
from pipeline.render.format import (
    BLANK,
    KPI_THRESHOLDS,
    StatusView,
    TrendView,
    fmt_date,
    fmt_number,
    fmt_score,
    fmt_text,
    fmt_value,
    okr_thresholds,
    period_label,
    rollup_thresholds,
    status_view,
    trend_view,
)
from pipeline.render.views_appendix import (
    AppendixView,
    SubmissionsView,
    appendix_view,
    latest_submission,
    records,
    submissions_view,
)
from pipeline.render.views_department import (
    DepartmentView,
    KpiView,
    department_view,
    kpi_view,
)
from pipeline.render.views_narrative import (
    GlossaryRow,
    NarrativeView,
    corporate_narrative,
    glossary,
)
from pipeline.score import Scored
from pipeline.validate import Validated
from pipeline.vocabulary import (
    ORG,
    STATUS_STYLES,
    Aggregation,
    DepartmentTree,
    Direction,
    Status,
    as_status,
    is_blank,
)

ATTENTION_SHOWN = 8  # the executive summary lists this many red KPIs, then "and N more"
TITLE = "Board scorecard pack"
RED_KPI_KINDS = ("red-kpi", "derive-an-okr")
SIGNALS = {  # (one, several), in the board's words
    "driver-red-effect-green": (
        "Objective rated Green although an objective driving it is Red",
        "Objectives rated Green although an objective driving them is Red",
    ),
    "okr-aligned-to-nothing": (
        "OKR not linked to any scorecard objective or KPI",
        "OKRs not linked to any scorecard objective or KPI",
    ),
    "perspective-without-okr": (
        "Perspective with no OKR this quarter",
        "Perspectives with no OKR this quarter",
    ),
}
# The overview's short names for what a unit reports (scored.departments "framework").
FRAMEWORK_WORDS = {
    "BSC + OKR": "Scorecard and OKRs",
    "BSC": "Scorecard only",
    "OKR": "OKRs only",
    "None": "Nothing submitted",
}
HEADLINE_CHARTS = 6  # the Headline KPIs page charts at most this many corporate KPIs
_WEAKEST_FIRST = {Status.RED: 0, Status.AMBER: 1, Status.NO_DATA: 2, Status.GREEN: 3}


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgView:
    """The organisation's headline on the executive summary."""

    score: str
    status: StatusView
    trend: TrendView
    gauge: Markup
    departments_scored: int
    coverage: str  # "9 of 10 units (92% of their weight); no data from Marketing"


@dataclass(frozen=True)
class PerspectiveTile:
    name: str
    anchor: str
    score: str
    status: StatusView
    trend: TrendView
    gauge: Markup
    departments: int  # departments with a score in this perspective
    no_data: int
    kpis: int
    okrs: int


@dataclass(frozen=True)
class PerspectiveGroup:
    """One department's KPIs on a perspective page."""

    department: str
    score: str
    status: StatusView
    kpis: tuple[KpiView, ...]


@dataclass(frozen=True)
class StatusCount:
    status: StatusView
    n: int


@dataclass(frozen=True)
class PerspectivePage:
    """A perspective across the organisation: its tile and every KPI in it."""

    tile: PerspectiveTile
    groups: tuple[PerspectiveGroup, ...]
    counts: tuple[StatusCount, ...]  # statuses with at least one KPI
    total: int
    departments_scored: int  # departments with a score of their own in this perspective
    departments_no_data: int  # with objectives or KPIs in it but nothing reported


@dataclass(frozen=True)
class OkrSummary:
    present: bool
    objectives: int
    average: str
    grade: StatusView
    krs: int
    on_pace: int
    behind_pace: int
    no_data: int
    confidence: str
    grades: Mapping[Status, int]  # objectives per grade
    departments: int


@dataclass(frozen=True)
class AttentionRow:
    kind: str
    red_kpi: bool
    department: str
    id: str
    name: str
    perspective: str
    status: StatusView
    score: str
    months: str
    okrs: str
    okr_names: tuple[str, ...]  # the OKRs addressing a Red KPI, by name ("A CRM we trust")
    derive: bool
    detail: str


@dataclass(frozen=True)
class Signal:
    label: str
    count: int
    ids: str
    names: str  # "Services people can rely on (IT-O2)", for the board


@dataclass(frozen=True)
class AttentionView:
    red: tuple[AttentionRow, ...]
    shown: tuple[AttentionRow, ...]  # the first ATTENTION_SHOWN of `red`
    more: int
    without_okr: int
    other: tuple[AttentionRow, ...]
    signals: tuple[Signal, ...]
    all: tuple[AttentionRow, ...]


@dataclass(frozen=True)
class OverviewCell:
    score: str
    status: StatusView


@dataclass(frozen=True)
class OverviewOkr:
    score: str
    grade: StatusView


@dataclass(frozen=True)
class OverviewRow:
    name: str
    depth: int
    cells: tuple[OverviewCell | None, ...]  # one per perspective, top-down; None: not used
    score: str
    status: StatusView
    trend: TrendView
    okr: OverviewOkr | None
    framework: str
    submitted: bool
    stale: bool


@dataclass(frozen=True)
class GlanceRow:
    """One line of the overview's "Status at a glance": how many items have each status."""

    label: str  # "KPIs"
    counts: tuple[StatusCount, ...]  # every status, Green first, zeros included
    total: int
    widths: tuple[str, ...]  # each status's share of the bar, "42.5" (percent, from numbers)


@dataclass(frozen=True)
class StrategyRow:
    id: str
    name: str
    perspective: str
    owner: str
    score: str
    status: StatusView
    trend: TrendView
    contributors: int
    effects: str


@dataclass(frozen=True)
class StrategyView:
    present: bool
    scope: str  # "corporate", or "all" when no corporate objective was submitted
    svg: Markup
    links: int
    objectives: tuple[StrategyRow, ...]
    top_lane: str  # the configured perspectives' top and bottom lanes, for the lead-in
    bottom_lane: str


@dataclass(frozen=True)
class HeadlineChart:
    """One corporate KPI's fiscal year on the Headline KPIs page, month by month."""

    kpi: KpiView  # name, status, score, year-to-date actual and target as elsewhere
    svg: Markup  # charts.kpi_chart, with its text alternative
    actual_label: str  # what kpi.actual is: "Year to date", "Average so far", "Latest"
    reading: str  # how to read it: "Columns: each month's figure, against the target ..."
    department: str
    department_id: str
    total: int  # the corporate unit's KPIs in all (at most HEADLINE_CHARTS are charted)


@dataclass(frozen=True)
class MethodView:
    """The thresholds the methodology appendix quotes, as the configuration sets them."""

    tolerance: str
    green_at: str
    amber_at: str
    okr_green_at: str
    okr_amber_at: str
    pace: str
    expected: str
    period_end: str
    perspectives: str  # the configured perspectives, top lane first, with any weight not 1


@dataclass(frozen=True)
class PackView:
    """Everything the pack templates show; its fields are the templates' top-level names."""

    organisation: str
    currency: str
    title: str
    period: str
    period_label: str
    quarter: str
    as_of: str
    as_of_note: str
    created: str  # ISO timestamp (UTC) of the newest submission, or of the period end
    classification: str
    page_size: str
    primary: str
    accent: str
    on_primary: str
    heading: str
    logo: bool
    org: OrgView
    perspectives: tuple[PerspectiveTile, ...]
    headline: tuple[HeadlineChart, ...]  # empty: no corporate unit, or it has no KPIs
    okr: OkrSummary
    attention: AttentionView
    submissions: SubmissionsView
    overview: tuple[OverviewRow, ...]
    glance: tuple[GlanceRow, ...]
    strategy: StrategyView
    perspective_pages: tuple[PerspectivePage, ...]
    departments: tuple[DepartmentView, ...]
    appendix: AppendixView
    legend: tuple[StatusView, ...]
    method: MethodView
    letter: NarrativeView  # the corporate unit's Narrative: letter, decisions, risks, outlook
    glossary: tuple[GlossaryRow, ...]  # every KPI with its definition
    pace: float
    derive_after: int


# --- builders --------------------------------------------------------------------------------


def pack_context(scored: Scored, validated: Validated, config: Config) -> PackView:
    """Everything the templates show, as display strings, numbers and inline SVG. Pure."""
    period = scored.period
    brand = config.branding
    primary = charts.colour(brand.primary_colour, "#1f3a5f")
    accent = charts.colour(brand.accent_colour, "#c8a24a")
    departments = _department_order(scored)
    names = {d["department_id"]: d["department"] for d, _, _ in departments}
    names.setdefault(ORG, config.organisation.name)
    month_index = list(validated.months).index(period) + 1 if period in validated.months else None
    stale = stale_departments(validated)
    stale_by_dept = {s.department_id: s for s in stale}
    submissions = submissions_view(validated, config, names, stale)
    by_dept = {s["department_id"]: s for s in records(validated.submissions)}
    rejected_by_dept = {r.department_id: r for r in submissions.rejected}
    org = records(scored.organisation)
    org_row = org[0] if org else {}
    scale = rollup_thresholds(config.scoring)
    lanes = config.perspective_names  # top lane first
    perspectives = _perspective_tiles(scored, scale, lanes)
    dept_views = [
        department_view(
            d,
            trail=[names[a] for a in ancestors],
            children=[names.get(c, c) for c in children],
            position=i,
            scored=scored,
            validated=validated,
            config=config,
            month_index=month_index,
            submission=by_dept.get(d["department_id"]),
            rejected=rejected_by_dept.get(d["department_id"]),
            stale=stale_by_dept.get(d["department_id"]),
        )
        for i, (d, ancestors, children) in enumerate(departments, start=1)
    ]
    as_of = latest_submission(validated)
    created = as_of or period_end(period)
    return PackView(
        organisation=config.organisation.name,
        currency=config.organisation.currency,
        title=TITLE,
        period=period,
        period_label=period_label(period),
        quarter=scored.quarter,
        as_of=fmt_date(as_of) if as_of else fmt_date(period_end(period)),
        as_of_note="latest submission received" if as_of else "period end",
        created=f"{created.isoformat()}T00:00:00Z",
        classification=brand.classification,
        page_size="Letter" if brand.page_size == "Letter" else "A4",
        primary=primary,
        accent=accent,
        on_primary=_readable_on(primary),
        heading=primary if _contrast_on_white(primary) >= 3 else "#1d2430",
        logo=brand.logo is not None,
        org=OrgView(
            score=fmt_score(org_row.get("score"), scale),
            status=status_view(org_row.get("status")),
            trend=trend_view(
                org_row.get("trend"), org_row.get("prev_score"), org_row.get("score"), scale
            ),
            gauge=charts.tile(
                org_row.get("score"),
                as_status(org_row.get("status", Status.NO_DATA)),
                size=64,
                text=fmt_score(org_row.get("score"), scale),
            ),
            departments_scored=int(org_row.get("departments_scored") or 0),
            coverage=fmt_text(org_row.get("coverage")),
        ),
        perspectives=tuple(perspectives),
        headline=_headline(scored, validated, config),
        okr=_okr_summary(scored, config),
        attention=_attention(scored, names, config.scoring),
        submissions=submissions,
        overview=tuple(_overview(scored, [d for d, _, _ in departments], config.scoring, lanes)),
        glance=_glance(scored),
        strategy=_strategy(scored, accent, scale, lanes),
        perspective_pages=tuple(
            _perspective_pages(scored, names, perspectives, month_index, scale)
        ),
        departments=tuple(dept_views),
        appendix=appendix_view(scored, validated, names, stale, config.scoring),
        legend=tuple(status_view(s) for s in Status),
        method=_method(scored, config),
        letter=corporate_narrative(validated, config),
        glossary=glossary(validated.kpis, names),
        pace=PACE,
        derive_after=DERIVE_AFTER_MONTHS,
    )


def _headline(scored: Scored, validated: Validated, config: Config) -> tuple[HeadlineChart, ...]:
    """Charts of the corporate unit's KPIs (config: `corporate = true`), at most
    HEADLINE_CHARTS: the first pick of each perspective, then the next picks, shown in
    perspective order. A pick is the heaviest KPI (its weight), and on equal weight the
    weakest (Red, then Amber by score, then No data, then Green), then the first listed.

    Each chart is monthly: a Sum KPI's target and red threshold are spread evenly over the
    year (the YTD figures divided by the months elapsed, as the sparklines do).
    """
    corporate = next((d for d in config.departments if d.corporate), None)
    kpis = scored.kpis
    if corporate is None or not len(kpis):
        return ()
    rows = [k for k in records(kpis) if k["department_id"] == corporate.id]
    if not rows:
        return ()
    period = scored.period
    months = tuple(validated.months) or fiscal_year_months(
        period, config.organisation.fiscal_year_start
    )
    if len(months) != 12:
        months = fiscal_year_months(period, config.organisation.fiscal_year_start)
    labels = [period_label(m) for m in months]
    month_index = months.index(period) + 1 if period in months else None
    lanes = list(config.perspective_names)

    def weakness(i: int) -> tuple[float, int, float, int]:
        k = rows[i]
        score, weight = k["score"], k.get("weight")
        return (
            -(1.0 if is_blank(weight) else float(weight)),
            _WEAKEST_FIRST[as_status(k["status"])],
            0.0 if is_blank(score) else float(score),
            i,
        )

    def lane(i: int) -> int:
        p = rows[i]["perspective"]
        return lanes.index(p) if p in lanes else len(lanes)

    by_lane: dict[int, list[int]] = {}
    for i in range(len(rows)):
        by_lane.setdefault(lane(i), []).append(i)
    firsts = sorted((min(ids, key=weakness) for ids in by_lane.values()), key=weakness)
    chosen = firsts[:HEADLINE_CHARTS]
    rest = sorted((i for i in range(len(rows)) if i not in chosen), key=weakness)
    chosen += rest[: HEADLINE_CHARTS - len(chosen)]
    chosen.sort(key=lambda i: (lane(i), i))
    return tuple(
        _headline_chart(rows[i], labels, month_index, corporate.name, len(rows)) for i in chosen
    )


def _headline_chart(
    k: Mapping[str, Any],
    months: Sequence[str],
    month_index: int | None,
    department: str,
    total: int,
) -> HeadlineChart:
    view = kpi_view(k, month_index, spark=False)
    unit = fmt_text(k["unit"])
    summed = k["aggregation"] == Aggregation.SUM
    elapsed = month_index or 12

    def monthly(x: Any) -> float:
        """A YTD target or threshold as a monthly figure (Sum KPIs), or as it is."""
        if is_blank(x):
            return math.nan
        return float(x) / elapsed if summed else float(x)

    def words(x: float) -> str:
        return fmt_value(x, unit) + (" a month" if summed else "")

    if k["direction"] == Direction.RANGE:
        target: Any = (monthly(k["target_ytd"]), monthly(k["target_max_ytd"]))
        red: Any = (monthly(k["red_low"]), monthly(k["red_high"]))
        target_words = f"{fmt_value(target[0], unit)} to {words(target[1])}"
        red_words = f"{words(red[0])} or below, or {words(red[1])} or above"
    else:
        target, red = monthly(k["target_ytd"]), monthly(k["red"])
        sign = "at most" if k["direction"] == Direction.LOWER else "at least"
        target_words, red_words = f"{sign} {words(target)}", words(red)
    status = as_status(k["status"])
    label = charts.describe_series(
        view.name,
        list(k["series"]),
        unit,
        months=months,
        target="" if BLANK in target_words else target_words,
        red="" if BLANK in red_words else red_words,
        status=f"{status}, score {view.score}" if view.score != BLANK else str(status),
    )
    svg = charts.kpi_chart(
        list(k["series"]),
        months=months,
        label=label,
        unit=unit,
        target=target,
        red=red,
        current=month_index - 1 if month_index else None,
        status=status,
        columns=summed,
    )
    actual_label = "Latest"
    if summed:
        actual_label = "Year to date"
        reading = (
            f"Columns: each month's figure, against the target spread evenly "
            f"({fmt_value(k['target'], unit)} for the year ÷ 12). The score compares the "
            f"year-to-date total."
        )
    elif k["aggregation"] == Aggregation.AVERAGE:
        actual_label = "Average so far"
        reading = "Line: each month's figure. The score compares the year-to-date average."
    else:
        reading = "Line: the figure at each month end. The score compares the latest month."
    return HeadlineChart(
        kpi=view,
        svg=svg,
        actual_label=actual_label,
        reading=reading,
        department=department,
        department_id=fmt_text(k["department_id"]),
        total=total,
    )


def _method(scored: Scored, config: Config) -> MethodView:
    s = config.scoring
    krs = scored.key_results
    current = krs[krs["current_quarter"].astype(bool)] if len(krs) else krs
    expected = float(current["expected"].iloc[0]) if len(current) else math.nan

    def pct(x: float) -> str:
        return fmt_number(x * 100, 1, strip=True) + "%"

    return MethodView(
        tolerance=pct(s.amber_tolerance),
        green_at=pct(s.rollup_green_at),
        amber_at=pct(s.rollup_amber_at),
        okr_green_at=pct(s.okr_green_at),
        okr_amber_at=pct(s.okr_amber_at),
        pace=fmt_number(PACE, 2, strip=True),
        expected=fmt_score(expected) if not is_blank(expected) else "the share elapsed",
        period_end=fmt_date(period_end(scored.period)),
        perspectives=", ".join(
            p.name if p.weight == 1 else f"{p.name} (weight {fmt_number(p.weight, 3, strip=True)})"
            for p in config.perspectives
        ),
    )


def _contrast_on_white(hex_colour: str) -> float:
    """WCAG contrast ratio of `hex_colour` against white (1 to 21)."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 1.05 / (luminance + 0.05)


def _readable_on(hex_colour: str) -> str:
    """White or near-black text, whichever reads better on `hex_colour`."""
    return "#ffffff" if _contrast_on_white(hex_colour) >= 4.5 else "#1d2430"


def _department_order(
    scored: Scored,
) -> list[tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]]:
    """(row, ancestor ids, child ids) depth first through the tree: parents, then children."""
    rows = records(scored.departments)
    by_id = {r["department_id"]: r for r in rows}
    tree = DepartmentTree.of((r["department_id"], r["parent"]) for r in rows)
    return [(by_id[dept], trail, tree.children(dept)) for dept, trail in tree.pre_order()]


def _perspective_tiles(
    scored: Scored, scale: Sequence[float], lanes: Sequence[str]
) -> list[PerspectiveTile]:
    org = scored.perspectives[scored.perspectives["department_id"] == ORG]
    by_name = {r["perspective"]: r for r in records(org)}
    tiles = []
    for i, name in enumerate(lanes):
        r = by_name.get(name, {})
        status = as_status(r.get("status", Status.NO_DATA))
        tiles.append(
            PerspectiveTile(
                name=name,
                anchor=f"perspective-{i + 1}",
                score=fmt_score(r.get("score"), scale),
                status=status_view(status),
                trend=trend_view(r.get("trend", ""), r.get("prev_score"), r.get("score"), scale),
                gauge=charts.tile(r.get("score"), status, text=fmt_score(r.get("score"), scale)),
                departments=int(r.get("objectives_scored", 0) or 0),
                no_data=int(r.get("objectives_no_data", 0) or 0),
                kpis=int(r.get("kpis", 0) or 0),
                okrs=int(r.get("okrs", 0) or 0),
            )
        )
    return tiles


def _okr_summary(scored: Scored, config: Config) -> OkrSummary:
    objs = scored.okr_objectives
    objs = objs[objs["current_quarter"].astype(bool)] if len(objs) else objs
    krs = scored.key_results
    krs = krs[krs["current_quarter"].astype(bool)] if len(krs) else krs
    scores = [float(s) for s in objs["score"] if not is_blank(s)] if len(objs) else []
    average = sum(scores) / len(scores) if scores else math.nan
    known = krs[~krs["progress"].isna()] if len(krs) else krs
    behind = int(known["behind_pace"].astype(bool).sum()) if len(known) else 0
    confidences = [float(c) for c in krs["confidence"] if not is_blank(c)] if len(krs) else []
    grades = list(objs["grade"]) if len(objs) else []
    return OkrSummary(
        present=len(objs) > 0,
        objectives=len(objs),
        average=fmt_score(average, okr_thresholds(config.scoring)),
        grade=status_view(okr_grade(average, config.scoring)),
        krs=len(krs),
        on_pace=len(known) - behind,
        behind_pace=behind,
        no_data=len(krs) - len(known),
        confidence=BLANK
        if not confidences
        else fmt_number(sum(confidences) / len(confidences), 1) + " / 10",
        grades={s: grades.count(s) for s in Status},
        departments=len(scored.okr_departments),
    )


def _attention(scored: Scored, names: Mapping[str, str], scoring: Scoring) -> AttentionView:
    okr_names = {
        fmt_text(o["okr_objective_id"]): fmt_text(o["okr_objective"])
        for o in records(scored.okr_objectives)
    }
    rows = []
    for a in records(scored.attention):
        red = a["kind"] in RED_KPI_KINDS
        scale = (
            KPI_THRESHOLDS
            if red
            else okr_thresholds(scoring)
            if a["kind"] == "okr-aligned-to-nothing"
            else rollup_thresholds(scoring)
        )
        months = int(a["red_months"] or 0)
        rows.append(
            AttentionRow(
                kind=a["kind"],
                red_kpi=red,
                department=names.get(a["department_id"], a["department_id"]),
                id=fmt_text(a["id"]),
                name=fmt_text(a["name"]),
                perspective=fmt_text(a["perspective"]),
                status=status_view(a["status"]),
                score=fmt_score(a["score"], scale),
                months=f"{months} month{'s' if months != 1 else ''}" if red else "",
                okrs=", ".join(a["related"]) if red and a["related"] else "",
                okr_names=tuple(okr_names.get(o) or o for o in a["related"]) if red else (),
                derive=a["kind"] == "derive-an-okr",
                detail=fmt_text(a["detail"]),
            )
        )
    red_rows = [r for r in rows if r.red_kpi]
    other = [r for r in rows if not r.red_kpi]
    signals = []
    for kind, (one, several) in SIGNALS.items():
        found = [r for r in other if r.kind == kind]
        if found:
            signals.append(
                Signal(
                    label=one if len(found) == 1 else several,
                    count=len(found),
                    ids=", ".join(r.id for r in found),
                    names="; ".join(
                        f"{r.name} ({r.id})" if r.name and r.name != r.id else r.id for r in found
                    ),
                )
            )
    return AttentionView(
        red=tuple(red_rows),
        shown=tuple(red_rows[:ATTENTION_SHOWN]),
        more=max(0, len(red_rows) - ATTENTION_SHOWN),
        without_okr=sum(1 for r in red_rows if not r.okrs),
        other=tuple(other),
        signals=tuple(signals),
        all=tuple(rows),
    )


def _overview(
    scored: Scored,
    departments: Sequence[Mapping[str, Any]],
    scoring: Scoring,
    lanes: Sequence[str],
) -> list[OverviewRow]:
    scale, okr_scale = rollup_thresholds(scoring), okr_thresholds(scoring)
    persp = {(r["department_id"], r["perspective"]): r for r in records(scored.perspectives)}
    okr = {r["department_id"]: r for r in records(scored.okr_departments)}
    rows = []
    for d in departments:
        dept = d["department_id"]
        cells = []
        for name in lanes:
            p = persp.get((dept, name))
            cells.append(
                OverviewCell(score=fmt_score(p["score"], scale), status=status_view(p["status"]))
                if p is not None
                else None
            )
        o = okr.get(dept)
        rows.append(
            OverviewRow(
                name=d["department"],
                depth=int(d["depth"]),
                cells=tuple(cells),
                score=fmt_score(d["score"], scale),
                status=status_view(d["status"]),
                trend=trend_view(d["trend"], d["prev_score"], d["score"], scale),
                okr=OverviewOkr(
                    score=fmt_score(o["score"], okr_scale), grade=status_view(o["grade"])
                )
                if o is not None
                else None,
                framework=FRAMEWORK_WORDS.get(d["framework"], d["framework"]),
                submitted=bool(d["submitted"]),
                stale=bool(d["stale"]),
            )
        )
    return rows


def _glance(scored: Scored) -> tuple[GlanceRow, ...]:
    """Status counts for departments, objectives, KPIs and this quarter's OKR objectives
    (rows with nothing in them are left out)."""
    okrs = scored.okr_objectives
    current = okrs[okrs["current_quarter"].astype(bool)] if len(okrs) else okrs
    found = (
        ("Departments", list(scored.departments["status"]) if len(scored.departments) else []),
        (
            "Scorecard objectives",
            list(scored.objectives["status"]) if len(scored.objectives) else [],
        ),
        ("KPIs", list(scored.kpis["status"]) if len(scored.kpis) else []),
        (f"OKR objectives, {scored.quarter}", list(current["grade"]) if len(current) else []),
    )
    rows = []
    for label, statuses in found:
        if not statuses:
            continue
        words = [as_status(s) for s in statuses]
        counts = tuple(StatusCount(status=status_view(s), n=words.count(s)) for s in Status)
        rows.append(
            GlanceRow(
                label=label,
                counts=counts,
                total=len(words),
                widths=tuple(fmt_number(c.n * 100 / len(words), 2, strip=True) for c in counts),
            )
        )
    return tuple(rows)


def _strategy(
    scored: Scored, accent: str, scale: Sequence[float], lanes: Sequence[str]
) -> StrategyView:
    objs = scored.objectives
    corporate = objs[objs["corporate"].astype(bool)] if len(objs) else objs
    scope = "corporate"
    if not len(corporate):
        corporate, scope = objs, "all"
    items = []
    for o in records(corporate):
        status = as_status(o["status"])
        items.append(
            charts.MapObjective(
                id=fmt_text(o["objective_id"]),
                label=fmt_text(o["objective"]) or fmt_text(o["objective_id"]),
                perspective=fmt_text(o["perspective"]),
                status=status,
                caption=f"{STATUS_STYLES[status].symbol} {status} · {fmt_score(o['score'], scale)}",
            )
        )
    on_map = {i.id for i in items}
    links = [
        (fmt_text(o["objective_id"]), t)
        for o in records(corporate)
        for t in o["contributes_to"]
        if t in on_map
    ]
    rows = [
        StrategyRow(
            id=fmt_text(o["objective_id"]),
            name=fmt_text(o["objective"]),
            perspective=fmt_text(o["perspective"]),
            owner=fmt_text(o["owner"]),
            score=fmt_score(o["score"], scale),
            status=status_view(o["status"]),
            trend=trend_view(o["trend"], o["prev_score"], o["score"], scale),
            contributors=len(o["contributors"]),
            effects=", ".join(o["contributes_to"]),
        )
        for o in records(corporate)
    ]
    order = {p: i for i, p in enumerate(lanes)}
    rows.sort(key=lambda r: order.get(r.perspective, len(order)))
    return StrategyView(
        present=bool(items),
        scope=scope,
        svg=charts.strategy_map(items, links, lanes=lanes, accent=accent) if items else Markup(""),
        top_lane=lanes[0],
        bottom_lane=lanes[-1],
        links=len(links),
        objectives=tuple(rows),
    )


def _perspective_pages(
    scored: Scored,
    names: Mapping[str, str],
    tiles: Sequence[PerspectiveTile],
    month_index: int | None,
    scale: Sequence[float],
) -> list[PerspectivePage]:
    kpis = scored.kpis
    if not len(kpis):
        return []
    dept_order = {d: i for i, d in enumerate(names)}
    persp = {(r["department_id"], r["perspective"]): r for r in records(scored.perspectives)}
    pages = []
    for tile in tiles:
        rows = [k for k in records(kpis) if k["perspective"] == tile.name]
        rows.sort(key=lambda k: dept_order.get(k["department_id"], len(dept_order)))
        groups = []
        for dept in dict.fromkeys(k["department_id"] for k in rows):
            p = persp.get((dept, tile.name))
            groups.append(
                PerspectiveGroup(
                    department=names.get(dept, dept),
                    score=fmt_score(p["score"], scale) if p else BLANK,
                    status=status_view(p["status"] if p else Status.NO_DATA),
                    kpis=tuple(
                        kpi_view(k, month_index, spark=False)
                        for k in rows
                        if k["department_id"] == dept
                    ),
                )
            )
        counts = [
            StatusCount(status=status_view(s), n=n)
            for s in Status
            if (n := sum(1 for k in rows if k["status"] == s))
        ]
        present = [
            p
            for d in names
            if d != ORG
            and (p := persp.get((d, tile.name)))
            and int(p["objectives_scored"]) + int(p["objectives_no_data"]) > 0
        ]
        scored_in = sum(1 for p in present if not is_blank(p["score"]))
        pages.append(
            PerspectivePage(
                tile=tile,
                groups=tuple(groups),
                counts=tuple(counts),
                total=len(rows),
                departments_scored=scored_in,
                departments_no_data=len(present) - scored_in,
            )
        )
    return pages
