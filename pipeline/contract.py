"""The workbook contract: sheet names, headers, enumerations and the template version.

The single source of truth shared by the template writer, the reader, the validators and
the demo generator. Headers are the exact text a submitter sees; keys are the snake_case
column names every typed frame uses after validation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from pipeline.vocabulary import Aggregation, Direction, KrType

TEMPLATE_VERSION = "2026.2"  # 2026.2 added the Narrative sheet and the KPIs' Definition
PREVIOUS_TEMPLATE_VERSION = "2026.1"  # still read: what it lacks is optional (`added_in`)
KNOWN_TEMPLATE_VERSIONS = frozenset({PREVIOUS_TEMPLATE_VERSION, TEMPLATE_VERSION})

# Bottom to top of the strategy map: causes below, effects above.
PERSPECTIVES: tuple[str, ...] = ("Learning & Growth", "Internal Process", "Customer", "Financial")
DIRECTIONS: tuple[str, ...] = tuple(Direction)
AGGREGATIONS: tuple[str, ...] = tuple(Aggregation)
KR_TYPES: tuple[str, ...] = tuple(KrType)
INITIATIVE_STATUSES: tuple[str, ...] = ("Not started", "On track", "At risk", "Off track", "Done")
# The Narrative sheet's sections, in the order the pack shows them.
NARRATIVE_SECTIONS: tuple[str, ...] = (
    "Headline",
    "Decisions required",
    "Risks and issues",
    "Outlook",
)
# Units offered in the dropdown; any other text is allowed (a currency code, "tickets", ...).
KNOWN_UNITS: tuple[str, ...] = (
    "%",
    "count",
    "hours",
    "days",
    "score",
    "ratio",
    "EUR",
    "USD",
    "GBP",
)
PERCENT_UNIT = "%"
# Units whose monthly values cannot be added up (Sum aggregation makes no sense for them).
NON_ADDITIVE_UNITS = frozenset({"%", "score", "ratio"})


class Sheet:
    """Sheet names, in workbook order."""

    INSTRUCTIONS = "Instructions"
    SUBMISSION = "Submission"
    OBJECTIVES = "Objectives"
    KPIS = "KPIs"
    OKRS = "OKRs"
    CHECKINS = "Check-ins"
    INITIATIVES = "Initiatives"
    NARRATIVE = "Narrative"
    LISTS = "Lists"


SHEET_ORDER: tuple[str, ...] = (
    Sheet.INSTRUCTIONS,
    Sheet.SUBMISSION,
    Sheet.OBJECTIVES,
    Sheet.KPIS,
    Sheet.OKRS,
    Sheet.CHECKINS,
    Sheet.INITIATIVES,
    Sheet.NARRATIVE,
    Sheet.LISTS,
)


@dataclass(frozen=True)
class Column:
    """One column of a data sheet.

    kind drives the template's number format and the validator's parsing:
    id, text, enum, number, percent (a fraction, shown as %), value (number whose unit is
    given on the row), date, confidence (0-10), weight (>= 0), ids (comma-separated IDs), quarter
    (YYYY-Qn). The kinds are `vocabulary.ColumnKind`.
    """

    header: str
    key: str
    kind: str
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    width: int = 14
    # the template version that introduced it: a workbook of an earlier version may lack it
    added_in: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    added_in: str = ""  # the template version that introduced the sheet (see Column)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, header: str) -> Column:
        for col in self.columns:
            if col.header == header:
                return col
        raise KeyError(header)


# --- Submission: key/value pairs in A:B --------------------------------------------------


class SubmissionField:
    DEPARTMENT_ID = "Department ID"
    PERIOD = "Period (YYYY-MM)"
    PREPARED_BY = "Prepared by"
    APPROVED_BY = "Approved by"
    SUBMITTED_ON = "Submitted on"
    TEMPLATE_VERSION = "Template version"


SUBMISSION_FIELDS: tuple[Column, ...] = (
    Column(
        SubmissionField.DEPARTMENT_ID,
        "department_id",
        "enum",
        "Your department's ID, as listed by the strategy office.",
        required=True,
    ),
    Column(
        SubmissionField.PERIOD,
        "period",
        "text",
        "The reporting month as YYYY-MM, e.g. 2026-10.",
        required=True,
    ),
    Column(
        SubmissionField.PREPARED_BY,
        "prepared_by",
        "text",
        "Who filled in this workbook.",
        required=True,
    ),
    Column(
        SubmissionField.APPROVED_BY,
        "approved_by",
        "text",
        "Who signed it off (head of department).",
    ),
    Column(
        SubmissionField.SUBMITTED_ON,
        "submitted_on",
        "date",
        "The date you submit it. When a department sends several files, the newest wins.",
        required=True,
    ),
    Column(
        SubmissionField.TEMPLATE_VERSION,
        "template_version",
        "text",
        "Filled in for you; do not change it.",
    ),
)

# --- Data sheets ---------------------------------------------------------------------------

OBJECTIVES = SheetSpec(
    Sheet.OBJECTIVES,
    (
        Column(
            "Objective ID",
            "objective_id",
            "id",
            "A short unique ID, e.g. FIN-O1. Unique across the whole organisation.",
            required=True,
            width=14,
        ),
        Column(
            "Perspective",
            "perspective",
            "enum",
            "Scorecard perspective: pick from the list.",
            required=True,
            choices=PERSPECTIVES,
            width=18,
        ),
        Column(
            "Objective",
            "objective",
            "text",
            "What you want to achieve, in a few words (e.g. Grow recurring revenue).",
            required=True,
            width=40,
        ),
        Column("Owner", "owner", "text", "The person accountable for the objective.", width=18),
        Column(
            "Contributes to",
            "contributes_to",
            "ids",
            "IDs of the objectives this one drives (cause -> effect), comma-separated: "
            "yours or corporate ones, e.g. CORP-F1.",
            width=20,
        ),
        Column(
            "Weight",
            "weight",
            "weight",
            "Relative weight in your scorecard (blank = 1). Weights need not add up to 1.",
            width=9,
        ),
    ),
)

KPI_BASE_COLUMNS: tuple[Column, ...] = (
    Column("KPI ID", "kpi_id", "id", "A short unique ID, e.g. FIN-K1.", required=True, width=11),
    Column(
        "Objective ID",
        "objective_id",
        "id",
        "The objective (sheet Objectives) this KPI measures.",
        required=True,
        width=11,
    ),
    Column(
        "Perspective",
        "perspective",
        "enum",
        "Scorecard perspective: pick from the list.",
        required=True,
        choices=PERSPECTIVES,
        width=15,
    ),
    Column("KPI", "kpi", "text", "The measure's name, e.g. Gross margin.", required=True, width=28),
    Column(
        "Unit",
        "unit",
        "text",
        "% (type fractions or 42%), count, hours, days, score, or a currency code.",
        required=True,
        width=9,
    ),
    Column(
        "Direction",
        "direction",
        "enum",
        "Higher is better, Lower is better, or Within range (Target to Target max).",
        required=True,
        choices=DIRECTIONS,
        width=17,
    ),
    Column(
        "Aggregation",
        "aggregation",
        "enum",
        "How months add up to year-to-date: Last (latest month), Sum (total, target is "
        "for the full year), Average (mean of filled months).",
        required=True,
        choices=AGGREGATIONS,
        width=12,
    ),
    Column(
        "Target",
        "target",
        "value",
        "The target, in the KPI's unit (a percentage as 42% or 0.42). For Sum: full year.",
        required=True,
        width=11,
    ),
    Column(
        "Target max",
        "target_max",
        "value",
        "Only for Within range: the upper bound of the target range.",
        width=11,
    ),
    Column(
        "Red threshold",
        "red_threshold",
        "value",
        "The value at or beyond which the KPI is red. Blank = target -/+ the amber "
        "tolerance (10%).",
        width=12,
    ),
    Column(
        "Weight", "weight", "weight", "Relative weight within its objective (blank = 1).", width=8
    ),
)
KPI_DEFINITION = Column(
    "Definition",
    "definition",
    "text",
    "What the KPI measures and how, in a sentence a board member understands (e.g. "
    "'Revenue from existing customers this month as a share of the same month last "
    "year'). Shown in the pack's KPI glossary.",
    width=45,
    added_in="2026.2",
)

KPI_COMMENTARY = Column(
    "Commentary",
    "commentary",
    "text",
    "Why the number is where it is, and what you are doing about it. Required when the KPI is red.",
    width=45,
)

OKRS = SheetSpec(
    Sheet.OKRS,
    (
        Column(
            "Objective ID",
            "okr_objective_id",
            "id",
            "ID of the OKR objective, e.g. FIN-OKR1. Repeat it on each of its key results.",
            required=True,
            width=13,
        ),
        Column(
            "Objective",
            "okr_objective",
            "text",
            "The qualitative, inspiring goal for the quarter.",
            required=True,
            width=32,
        ),
        Column(
            "KR ID", "kr_id", "id", "A unique key result ID, e.g. FIN-KR1.", required=True, width=11
        ),
        Column(
            "Key result",
            "key_result",
            "text",
            "A measurable outcome, e.g. Raise NPS from 42 to 55.",
            required=True,
            width=36,
        ),
        Column(
            "Type",
            "type",
            "enum",
            "Increase to, Decrease to, Stay at or above, Stay at or below, or Milestone "
            "(done = 1, not done = 0).",
            required=True,
            choices=KR_TYPES,
            width=16,
        ),
        Column("Unit", "unit", "text", "%, count, score, a currency code...", width=9),
        Column("Baseline", "baseline", "value", "The value at the start of the quarter.", width=10),
        Column(
            "Target",
            "target",
            "value",
            "The value to reach by the end of the quarter.",
            required=True,
            width=10,
        ),
        Column(
            "Current",
            "current",
            "value",
            "Latest value. Check-ins, when present, take precedence.",
            width=10,
        ),
        Column(
            "Confidence",
            "confidence",
            "confidence",
            "0-10: how likely the KR will be met by quarter end.",
            width=11,
        ),
        Column("Owner", "owner", "text", "Who drives this key result.", width=16),
        Column(
            "Quarter",
            "quarter",
            "quarter",
            "The quarter as YYYY-Qn, e.g. 2026-Q4.",
            required=True,
            width=10,
        ),
        Column(
            "Aligned to",
            "aligned_to",
            "id",
            "The BSC objective or KPI ID this OKR moves (e.g. FIN-O1 or FIN-K3).",
            width=12,
        ),
        Column(
            "Weight",
            "weight",
            "weight",
            "Relative weight within the objective (blank = 1).",
            width=8,
        ),
        Column(
            "Reflection",
            "reflection",
            "text",
            "At quarter end: what you learnt. Required for the last month of a quarter.",
            width=36,
        ),
    ),
)

CHECKINS = SheetSpec(
    Sheet.CHECKINS,
    (
        Column(
            "KR ID",
            "kr_id",
            "id",
            "The key result (sheet OKRs) you are checking in on.",
            required=True,
            width=11,
        ),
        Column("Date", "date", "date", "The check-in date.", required=True, width=12),
        Column("Value", "value", "value", "The KR's value on that date.", required=True, width=10),
        Column("Confidence", "confidence", "confidence", "0-10 on that date.", width=11),
        Column("Note", "note", "text", "What changed since last week.", width=40),
    ),
)

INITIATIVES = SheetSpec(
    Sheet.INITIATIVES,
    (
        Column(
            "Initiative ID",
            "initiative_id",
            "id",
            "A unique ID, e.g. FIN-I1.",
            required=True,
            width=12,
        ),
        Column("Initiative", "initiative", "text", "The project's name.", required=True, width=32),
        Column("Objective ID", "objective_id", "id", "The objective it moves.", width=13),
        Column("Owner", "owner", "text", "Who leads it.", width=16),
        Column("Start", "start", "date", "Start date.", width=12),
        Column("End", "end", "date", "Planned end date.", width=12),
        Column(
            "Progress %", "progress", "percent", "Share of the work done (0% to 100%).", width=11
        ),
        Column(
            "Budget",
            "budget",
            "number",
            "Approved budget, in the organisation's currency.",
            width=12,
        ),
        Column("Spent", "spent", "number", "Spent to date.", width=12),
        Column(
            "Status",
            "status",
            "enum",
            "Not started, On track, At risk, Off track or Done.",
            required=True,
            choices=INITIATIVE_STATUSES,
            width=12,
        ),
        Column("Note", "note", "text", "Anything the board should know.", width=36),
    ),
)


NARRATIVE = SheetSpec(
    Sheet.NARRATIVE,
    (
        Column(
            "Section",
            "section",
            "enum",
            "Headline, Decisions required, Risks and issues, or Outlook.",
            required=True,
            choices=NARRATIVE_SECTIONS,
            width=18,
        ),
        Column(
            "Title",
            "title",
            "text",
            "A short heading, e.g. 'Approve the Connect pricing change'.",
            required=True,
            width=34,
        ),
        Column(
            "Text",
            "text",
            "text",
            "A few sentences in plain words: what happened, why it matters, what you ask.",
            width=70,
        ),
        Column(
            "Owner",
            "owner",
            "text",
            "Who is accountable: for a decision, who brings it; for a risk, who manages it.",
            width=18,
        ),
        Column("Due date", "due", "date", "When it is needed or due.", width=12),
    ),
    added_in="2026.2",
)


def fiscal_year_months(period: str, fiscal_year_start: int) -> tuple[str, ...]:
    """The twelve `YYYY-MM` labels of the fiscal year that contains `period`."""
    year, month = parse_period(period)
    start_year = year if month >= fiscal_year_start else year - 1
    labels = []
    for i in range(12):
        m = fiscal_year_start - 1 + i
        labels.append(f"{start_year + m // 12:04d}-{m % 12 + 1:02d}")
    return tuple(labels)


def kpi_spec(months: tuple[str, ...], perspectives: tuple[str, ...]) -> SheetSpec:
    """The KPIs sheet: base columns, one numeric column per fiscal month, then Commentary."""
    month_cols = tuple(
        Column(
            m,
            f"m{i + 1:02d}",
            "value",
            f"Actual for {m}, in the KPI's unit. Leave blank "
            "when not yet known (blank is not zero).",
            width=10,
        )
        for i, m in enumerate(months)
    )
    base = _with_perspectives(KPI_BASE_COLUMNS, perspectives)
    # Definition comes last, so every other column keeps its letter of template 2026.1
    return SheetSpec(Sheet.KPIS, base + month_cols + (KPI_COMMENTARY, KPI_DEFINITION))


def data_sheet_specs(
    months: tuple[str, ...], perspectives: tuple[str, ...]
) -> tuple[SheetSpec, ...]:
    """Every data sheet with a header row, in workbook order.

    `perspectives` are the organisation's configured perspective names (default: the four of
    the Balanced Scorecard); the Perspective columns of Objectives and KPIs accept only them.
    """
    objectives = SheetSpec(Sheet.OBJECTIVES, _with_perspectives(OBJECTIVES.columns, perspectives))
    return (objectives, kpi_spec(months, perspectives), OKRS, CHECKINS, INITIATIVES, NARRATIVE)


def _with_perspectives(
    columns: tuple[Column, ...], perspectives: tuple[str, ...]
) -> tuple[Column, ...]:
    return tuple(replace(c, choices=perspectives) if c.key == "perspective" else c for c in columns)


def parse_period(period: str) -> tuple[int, int]:
    """`2026-10` -> (2026, 10); ValueError for anything else.

    Only ASCII digits: `str.isdigit` would also take full-width or Arabic-Indic digits,
    whose text then matches no month label (use `normalise_period` first to accept them).
    """
    text = str(period).strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        raise ValueError(f"period must look like YYYY-MM, got {period!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise ValueError(f"period month must be 01-12, got {period!r}")
    return year, month


def normalise_period(text: str) -> str:
    """A period typed with any decimal digits or dashes (`２０２６-１０`, `٢٠٢٦-١٠`, `2026–10`)
    in the canonical ASCII form `2026-10`; other text is returned unchanged (stripped)."""
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    folded = re.sub(r"[\u2010-\u2015\u2212\ufe63]", "-", folded)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded)


def period_end(period: str) -> date:
    """The last day of the reporting month."""
    year, month = parse_period(period)
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1).fromordinal(date(year, month + 1, 1).toordinal() - 1)


def quarter_of(period: str) -> str:
    """`2026-11` -> `2026-Q4` (calendar quarters, as OKR quarters are written)."""
    year, month = parse_period(period)
    return f"{year}-Q{(month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """`2026-Q4` -> (2026-10-01, 2026-12-31)."""
    text = str(quarter).strip().upper()
    if len(text) != 7 or text[4:6] != "-Q" or not text[:4].isdigit() or text[6] not in "1234":
        raise ValueError(f"quarter must look like YYYY-Qn, got {quarter!r}")
    year, q = int(text[:4]), int(text[6])
    first = date(year, 3 * q - 2, 1)
    return first, period_end(f"{year:04d}-{3 * q:02d}")
