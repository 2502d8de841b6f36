"""The demo organisation: Northwind Components, a fictional maker of precision drive parts.

Northwind also sells "Northwind Connect", a condition-monitoring subscription, which is why
Customer success talks SaaS (churn, NPS, adoption). Ten units fill in the standard workbook:
CORP (the group strategy office, whose Objectives sheet is the corporate strategy map),
FIN, COMM (Commercial, parent of SALES, MKT and CS), OPS, ENG, PPL and IT.

`demo_content` is pure: it turns the catalogue below into `WorkbookContent` for a period,
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

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pipeline import contract
from pipeline.config import Config
from pipeline.workbook_templates import WorkbookContent, write_workbook

SEED = 2026
DEMO_PERIOD = "2026-10"

LG, IP, CU, FI = contract.PERSPECTIVES
HI, LO, RANGE = contract.DIRECTIONS
LAST, SUM, AVG = contract.AGGREGATIONS
INC, DEC, ABOVE, BELOW, MILESTONE = contract.KR_TYPES
NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, DONE = contract.INITIATIVE_STATUSES

# Decimal places a unit's actuals are rounded to (<= 0: whole numbers, stored as int).
_DECIMALS = {"%": 3, "EUR": 0, "count": 0, "days": 1, "hours": 0, "score": 1, "ratio": 2}


# --- catalogue types -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Obj:
    code: str  # ID suffix: CORP-F1, FIN-O1
    perspective: str
    name: str
    owner: str
    links: tuple[str, ...]  # Contributes to (full IDs)
    weight: float | None = None


@dataclass(frozen=True)
class _Kpi:
    obj: str  # objective code
    name: str
    unit: str
    direction: str
    aggregation: str
    target: float
    # (January value, October value) for a trend, or one explicit value per month
    path: tuple[float, ...]
    red: float | None = None
    target_max: float | None = None
    weight: float | None = None
    sd: float | None = None  # noise (absolute standard deviation); None: no noise
    decimals: int | None = None
    shape: float = 1.0  # trend curvature: > 1 late change, < 1 early change
    comment: str = ""
    late: bool = False  # the reporting month is not in yet (No data)
    gap: int | None = None  # a fiscal month index (0 = first) left blank


@dataclass(frozen=True)
class _Kr:
    text: str
    type: str
    unit: str | None
    baseline: float
    target: float
    end: float  # value at the last check-in of the period (Milestone: Current, 0 or 1)
    confidence: int
    owner: str
    weight: float | None = None
    note: str = ""  # note on the latest check-in
    stale_after: int | None = None  # check-ins stop after this many (no recent check-in)


@dataclass(frozen=True)
class _Okr:
    title: str
    aligned_to: str | None
    krs: tuple[_Kr, ...]


@dataclass(frozen=True)
class _Init:
    name: str
    obj: str
    owner: str
    start: date
    end: date
    progress: float
    budget: int
    spent: int
    status: str
    note: str = ""


@dataclass(frozen=True)
class _Dept:
    prepared_by: str
    approved_by: str
    submitted_after: int  # days after the period end
    objectives: tuple[_Obj, ...]
    kpis: tuple[_Kpi, ...]
    okrs: tuple[_Okr, ...]
    initiatives: tuple[_Init, ...]


def _objs(*specs: tuple[Any, ...]) -> tuple[_Obj, ...]:
    """Departmental objectives numbered O1, O2, ...: (perspective, name, owner, links[, w])."""
    return tuple(_Obj(f"O{i}", *spec) for i, spec in enumerate(specs, start=1))


# --- the catalogue -------------------------------------------------------------------------
# Kept as compact tables: one KPI, key result or initiative per call reads like a row.
# fmt: off
# People (all fictional): CEO Anna Kowalczyk, CFO Pieter van Dijk, COO Luca Bianchi,
# CCO Claire Dubois, CTO Ravi Menon, CHRO Ingrid Halvorsen, CIO Tomasz Nowak.

_CORP = _Dept(
    prepared_by="Sofia Lindqvist",
    approved_by="Henrik Aalto",
    submitted_after=6,
    objectives=(
        _Obj("F1", FI, "Grow profitable revenue", "Anna Kowalczyk", (), 2),
        _Obj("F2", FI, "Improve operating margin", "Pieter van Dijk", ()),
        _Obj("F3", FI, "Build recurring revenue from Connect", "Anna Kowalczyk", ("CORP-F1",)),
        _Obj("C1", CU, "Be the reliable partner of choice", "Luca Bianchi", ("CORP-F1",)),
        _Obj("C2", CU, "Grow share of wallet in key accounts", "Claire Dubois",
             ("CORP-F1", "CORP-F3")),
        _Obj("C3", CU, "Delight Connect subscribers", "Claire Dubois", ("CORP-F3",)),
        _Obj("P1", IP, "Run lean, reliable operations", "Luca Bianchi", ("CORP-C1", "CORP-F2")),
        _Obj("P2", IP, "Innovate faster", "Ravi Menon", ("CORP-C2", "CORP-C3")),
        _Obj("P3", IP, "Make it easy to buy from us", "Claire Dubois", ("CORP-C2", "CORP-C3")),
        _Obj("L1", LG, "Skilled, engaged people", "Ingrid Halvorsen", ("CORP-P1", "CORP-P2")),
        _Obj("L2", LG, "Digital and data platforms", "Tomasz Nowak", ("CORP-P1", "CORP-P3")),
        _Obj("L3", LG, "A safety and improvement culture", "Luca Bianchi", ("CORP-P1",)),
    ),
    kpis=(
        _Kpi(
            "F1", "Group revenue", "EUR", HI, SUM, 148_000_000, (11_500_000, 12_700_000),
            weight=2, sd=250_000, decimals=-3,
            comment="Two per cent behind the phased plan: e-mobility orders slipped into Q4 "
            "and two key-account price reviews closed late. The Q4 pipeline covers the gap "
            "if the Connect renewals land.",
        ),
        _Kpi("F1", "Revenue growth year on year", "%", HI, LAST, 0.08, (0.06, 0.086), red=0.04),
        _Kpi(
            "F2", "EBITDA margin", "%", HI, AVG, 0.14, (0.128, 0.136), red=0.11, weight=2,
            comment="Energy and freight costs ran above budget in the first half; the Plant 2 "
            "lean programme and price increases lift the monthly margin back towards 14%.",
        ),
        _Kpi("F2", "Operating cash flow", "EUR", HI, SUM, 18_000_000, (1_300_000, 1_800_000),
             sd=120_000, decimals=-3),
        _Kpi(
            "F3", "Connect annual recurring revenue", "EUR", HI, LAST, 9_500_000,
            (6_200_000, 8_600_000), red=8_000_000, sd=60_000, decimals=-3,
            comment="Growing about 3.5% a month, but churn (CS-K01) costs about EUR 30k of ARR a "
            "month. Reaching 9.5M needs the key-account attach push in the Q4 OKR.",
        ),
        _Kpi(
            "C1", "On-time in-full delivery (group)", "%", HI, AVG, 0.95, (0.935, 0.925),
            red=0.90, sd=0.004,
            comment="Plant 2 capacity and a casting supplier's delays held OTIF at 93%; "
            "dual sourcing (OPS-I3) lands in December.",
        ),
        _Kpi("C2", "Key-account share of wallet", "%", HI, LAST, 0.35, (0.31, 0.352), sd=0.003),
        _Kpi(
            "C3", "Net Promoter Score (group)", "score", HI, LAST, 45, (38, 43), red=35,
            decimals=0, sd=1.0,
            comment="Component customers score us 47; Connect subscribers pull the group score "
            "down (see CS-K04). The Connect onboarding work is the main lever.",
        ),
        _Kpi("P1", "Overall equipment effectiveness (group)", "%", HI, AVG, 0.80, (0.79, 0.82),
             red=0.72, sd=0.004),
        _Kpi("P2", "Revenue from products launched in the last 3 years", "%", HI, LAST, 0.20,
             (0.16, 0.205), red=0.15, sd=0.002),
        _Kpi(
            "P3", "Orders placed through the customer portal", "%", HI, LAST, 0.40,
            (0.33, 0.35, 0.365, 0.375, 0.38, 0.385, 0.37, 0.355, 0.35, 0.345, 0.36, 0.38),
            comment="Portal orders have fallen since the August release broke repeat "
            "ordering; key accounts went back to e-mail. The relaunch (CORP-I3) is being "
            "re-scoped with Sales.",
        ),
        _Kpi("L1", "Regretted attrition (annualised)", "%", LO, LAST, 0.06, (0.07, 0.057),
             red=0.09, sd=0.002),
        _Kpi("L2", "Processes running on the new ERP and data platform", "%", HI, LAST, 0.60,
             (0.35, 0.62), red=0.45, sd=0.005),
        _Kpi(
            "L3", "Lost-time injury frequency rate", "ratio", LO, AVG, 1.5, (1.3, 2.2), red=2.5,
            shape=2.0, sd=0.05,
            comment="Three lost-time injuries at Plant 2 since August. Machine-guarding upgrade "
            "(OPS-I2) started 5 October; the HSE stand-down reached every shift.",
        ),
    ),
    okrs=(
        _Okr(
            "Make Northwind Connect a must-have for our key accounts",
            "CORP-F3",
            (
                _Kr("Grow Connect ARR from EUR 8.3M to EUR 9.5M", INC, "EUR", 8_300_000,
                    9_500_000, 8_600_000, 6, "Anna Kowalczyk", weight=2,
                    note="Three renewals worth EUR 180k signed; pace still short of plan."),
                _Kr("Lift Connect attach rate in key accounts from 18% to 30%", INC, "%", 0.18,
                    0.30, 0.22, 7, "Claire Dubois"),
            ),
        ),
        _Okr(
            "Close 2026 with margin discipline",
            "CORP-F2",
            (
                _Kr("Keep EBITDA margin at or above 13.5%", ABOVE, "%", 0.134, 0.135, 0.136, 7,
                    "Pieter van Dijk"),
                _Kr("Keep group opex at or below 101% of budget", BELOW, "%", 1.024, 1.01, 1.029,
                    4, "Pieter van Dijk", note="Hiring freeze on non-critical roles from 1 Nov."),
                _Kr("Cut net working capital from 68 to 60 days", DEC, "days", 68, 60, 69, 3,
                    "Marco Rossi", note="DSO still rising; collections task force started."),
            ),
        ),
    ),
    initiatives=(
        _Init("Connect growth programme", "F3", "Anna Kowalczyk", date(2026, 1, 15),
              date(2027, 6, 30), 0.45, 2_400_000, 1_150_000, ON_TRACK),
        _Init("Project Compass: group ERP and data platform", "L2", "Tomasz Nowak",
              date(2025, 9, 1), date(2027, 3, 31), 0.62, 6_800_000, 4_650_000, AT_RISK,
              "ERP cut-over moved from October to November; 40% of contingency used."),
        _Init("Customer portal relaunch", "P3", "Claire Dubois", date(2026, 5, 1),
              date(2026, 12, 15), 0.55, 850_000, 610_000, OFF_TRACK,
              "Adoption stalled after the August release; scope being reset with Sales."),
    ),
)

_FIN = _Dept(
    prepared_by="Elif Demir",
    approved_by="Pieter van Dijk",
    submitted_after=3,
    objectives=_objs(
        (FI, "Protect cash and working capital", "Marco Rossi", ("CORP-F2",), 2),
        (FI, "Keep costs within budget", "Julia Becker", ("CORP-F2",)),
        (CU, "Accurate, hassle-free billing", "Elif Demir", ("CORP-C1",)),
        (IP, "Close faster with fewer manual steps", "Elif Demir", ("FIN-O3", "CORP-P1")),
        (LG, "Automated finance with data-savvy people", "Julia Becker", ("FIN-O4", "CORP-L2")),
    ),
    kpis=(
        _Kpi(
            "O1", "Days sales outstanding", "days", LO, LAST, 45, (47, 58), red=55, shape=1.5,
            sd=0.4, weight=2,
            comment="Two OEM customers moved to 75-day terms in August and the Plant 2 "
            "invoicing backlog added a week. A collections task force has worked the top 40 "
            "overdue accounts since 12 October.",
        ),
        _Kpi("O1", "Free cash flow", "EUR", HI, SUM, 12_000_000, (900_000, 1_150_000),
             sd=60_000, decimals=-3),
        _Kpi("O1", "Current ratio", "ratio", RANGE, LAST, 1.5, (1.62, 1.74), target_max=2.0,
             sd=0.02),
        _Kpi(
            "O2", "Operating expenses against budget", "%", LO, AVG, 1.00, (0.99, 1.03),
            red=1.05, sd=0.004,
            comment="Freight surcharges and ERP contractor costs; a freeze on non-critical "
            "hires and travel applies from November.",
        ),
        _Kpi("O2", "Finance cost as a share of revenue", "%", LO, AVG, 0.011, (0.0108, 0.0101),
             red=0.013, decimals=4, sd=0.0002),
        _Kpi("O3", "Invoice accuracy", "%", HI, AVG, 0.99, (0.988, 0.995), red=0.97,
             decimals=4, sd=0.001),
        _Kpi("O3", "Billing disputes opened", "count", LO, SUM, 120, (11, 8), sd=1.0),
        _Kpi("O4", "Working days to close the books", "days", LO, LAST, 5,
             (8, 8, 7, 7, 6, 6, 6, 5, 5, 5, 5, 5), red=7, decimals=0),
        _Kpi(
            "O4", "Manual journal entries per month", "count", LO, AVG, 150, (175, 148), sd=4,
            comment="Down from 175 in January as accruals moved into the ERP; intercompany "
            "recharges are the last big manual block (automated in Q1).",
        ),
        _Kpi(
            "O4", "Forecast accuracy (quarterly outlook)", "%", HI, AVG, 0.95, (0.91, 0.95),
            red=0.90, sd=0.004,
            comment="Outlook misses came from e-mobility timing; Sales now submits committed "
            "deals only, which brought October's outlook within 5%.",
        ),
        _Kpi(
            "O5", "Supplier invoices processed touchless", "%", HI, LAST, 0.70, (0.48, 0.67),
            red=0.55, sd=0.006,
            comment="OCR matching live for 80% of suppliers; the last 30 suppliers move to "
            "e-invoicing in November.",
        ),
        _Kpi(
            "O5", "Finance staff certified in data analytics", "%", HI, LAST, 0.60,
            (0.30, 0.33, 0.35, 0.38, 0.42, 0.45, 0.47, 0.50, 0.53, 0.56, 0.58, 0.60),
            comment="Course places were limited over the summer; 6 more staff sit the exam "
            "on 20 November.",
        ),
        _Kpi("O5", "Training hours per finance employee", "hours", HI, SUM, 40, (3.0, 4.2),
             decimals=1, sd=0.3),
    ),
    okrs=(),  # Finance runs the Balanced Scorecard only
    initiatives=(
        _Init("Collections task force", "O1", "Marco Rossi", date(2026, 10, 12),
              date(2027, 1, 31), 0.15, 60_000, 8_000, ON_TRACK),
        _Init("Touchless accounts payable", "O5", "Elif Demir", date(2026, 2, 1),
              date(2026, 11, 30), 0.80, 420_000, 365_000, ON_TRACK),
        _Init("Fast close: day-5 reporting", "O4", "Julia Becker", date(2026, 1, 5),
              date(2026, 9, 30), 1.0, 150_000, 142_000, DONE),
    ),
)

_COMM = _Dept(
    prepared_by="Jonas Weber",
    approved_by="Claire Dubois",
    submitted_after=4,
    objectives=_objs(
        (FI, "Grow commercial gross margin", "Claire Dubois", ("CORP-F1",), 2),
        (CU, "Expand in our key accounts", "Claire Dubois", ("COMM-O1", "CORP-C2")),
        (IP, "One joined-up customer journey", "Jonas Weber", ("COMM-O2", "CORP-P3")),
        (LG, "Commercial skills and trusted CRM data", "Jonas Weber", ("COMM-O3", "CORP-L2")),
    ),
    kpis=(
        _Kpi("O1", "Order intake", "EUR", HI, SUM, 160_000_000, (12_800_000, 14_200_000),
             sd=300_000, decimals=-3, weight=2),
        _Kpi("O1", "Gross margin on sales", "%", HI, AVG, 0.32, (0.325, 0.321), red=0.29,
             sd=0.002),
        _Kpi(
            "O1", "Price realisation against list", "%", HI, AVG, 0.93, (0.925, 0.915),
            red=0.90, sd=0.002,
            comment="Discounting in e-mobility tenders; the pricing governance project "
            "(SALES-I3) adds a deal desk from November.",
        ),
        _Kpi(
            "O2", "Key-account revenue share", "%", HI, LAST, 0.55, (0.50, 0.53), sd=0.003,
            comment="Three of the top 20 accounts delayed call-offs to Q1; the Q4 OKR targets "
            "2027 frame agreements.",
        ),
        _Kpi("O2", "Active customers", "count", HI, LAST, 1450, (1380, 1462), sd=4),
        _Kpi("O2", "Net revenue retention", "%", HI, LAST, 1.05, (1.03, 1.06), red=0.98,
             sd=0.003),
        _Kpi("O3", "Quote-to-cash cycle time", "days", LO, AVG, 12, (13, 10), red=15, sd=0.4),
        _Kpi(
            "O3", "Leads handed to sales within 24 hours", "%", HI, AVG, 0.90, (0.78, 0.88),
            red=0.80, sd=0.006,
            comment="Automatic routing went live in June; the first-half backlog still "
            "weighs on the year-to-date average.",
        ),
        _Kpi(
            "O4", "CRM data completeness", "%", HI, LAST, 0.95, (0.78, 0.84), red=0.85,
            sd=0.004, weight=2,
            comment="Duplicate accounts from the 2025 acquisition are the main gap; the CRM "
            "clean-up (COMM-I2) and the Q4 OKR tackle it.",
        ),
        _Kpi("O4", "Commercial staff trained in value selling", "%", HI, LAST, 0.80,
             (0.40, 0.82), sd=0.01),
    ),
    okrs=(
        _Okr(
            "Win the 2027 budget round at our top 20 accounts",
            "COMM-O2",
            (
                _Kr("Raise signed 2027 frame agreements from 6 to 14 of the top 20 accounts",
                    INC, "count", 6, 14, 9, 7, "Claire Dubois", weight=2),
                _Kr("Lift key-account revenue share from 52% to 55%", INC, "%", 0.52, 0.55,
                    0.53, 6, "Jonas Weber"),
                _Kr("Keep price realisation at or above 92% of list", ABOVE, "%", 0.915, 0.92,
                    0.916, 5, "Jonas Weber", note="Two tenders below 90%; deal desk from Nov."),
            ),
        ),
        _Okr(
            "A CRM the whole commercial team trusts",
            "COMM-K09",
            (
                _Kr("Raise CRM data completeness from 83% to 95%", INC, "%", 0.83, 0.95, 0.84,
                    4, "Jonas Weber", note="Merge tool licence only arrived on 26 October."),
                _Kr("Cut duplicate customer records from 1,240 to 200", DEC, "count", 1240, 200,
                    610, 8, "Jonas Weber"),
            ),
        ),
    ),
    initiatives=(
        _Init("Key-account management programme", "O2", "Claire Dubois", date(2026, 3, 1),
              date(2026, 12, 31), 0.70, 300_000, 190_000, ON_TRACK),
        _Init("CRM data clean-up", "O4", "Jonas Weber", date(2026, 9, 15), date(2026, 12, 15),
              0.30, 120_000, 35_000, AT_RISK, "Merge tool arrived four weeks late."),
    ),
)

_SALES = _Dept(
    prepared_by="Fatima El Amrani",
    approved_by="Daniel Moreau",
    submitted_after=5,
    objectives=_objs(
        (FI, "Hit the bookings plan at healthy prices", "Daniel Moreau", ("COMM-O1", "CORP-F1")),
        (CU, "Win and grow key accounts", "Katarzyna Zielińska", ("SALES-O1", "CORP-C2"), 2),
        (IP, "A predictable pipeline", "Fatima El Amrani", ("SALES-O2", "CORP-P3")),
        (LG, "A strong, fully ramped sales team", "Oliver Grant", ("SALES-O3", "CORP-L1")),
    ),
    kpis=(
        _Kpi(
            "O1", "Bookings", "EUR", HI, SUM, 120_000_000, (9_200_000, 10_400_000), sd=250_000,
            decimals=-3, weight=2,
            comment="Two large e-mobility orders (EUR 3.1M) moved into November; bookings "
            "excluding e-mobility are on plan.",
        ),
        _Kpi(
            "O1", "Average discount off list", "%", LO, AVG, 0.08, (0.085, 0.093), red=0.11,
            sd=0.002,
            comment="Competitive e-mobility tenders; discounts above 10% need deal-desk "
            "approval from November.",
        ),
        _Kpi("O1", "Cost of sales as a share of bookings", "%", LO, AVG, 0.065, (0.063, 0.061),
             decimals=4, sd=0.0006),
        _Kpi("O2", "Win rate", "%", HI, AVG, 0.30, (0.30, 0.32), red=0.24, sd=0.005),
        _Kpi("O2", "New logos won", "count", HI, SUM, 48, (4, 5, 4, 4, 3, 3, 2, 3, 2, 3, 4, 4)),
        _Kpi(
            "O2", "Key accounts with a signed account plan", "%", HI, LAST, 1.0,
            (0.60, 0.65, 0.70, 0.70, 0.75, 0.80, 0.85, 0.85, 0.90, 0.95, 1.0, 1.0), red=0.80,
            comment="19 of 20 plans signed; the last one waits for the customer's 2027 "
            "budget.",
        ),
        _Kpi(
            "O3", "Pipeline coverage, next two quarters", "ratio", HI, LAST, 3.0, (3.1, 2.35),
            red=2.5, shape=1.3, sd=0.03,
            comment="E-mobility deals converted or slipped faster than new pipeline arrived. "
            "The Q4 OKR (SALES-OKR1) rebuilds coverage with Marketing's demo campaign.",
        ),
        _Kpi("O3", "Forecast accuracy, commit against closed", "%", HI, AVG, 0.90, (0.88, 0.93),
             red=0.80, sd=0.005),
        _Kpi("O3", "Average sales cycle", "days", LO, AVG, 95, (96, 88), red=110, decimals=0,
             sd=1.5),
        _Kpi(
            "O3", "Opportunities updated in CRM every week", "%", HI, AVG, 0.85, (0.70, 0.86),
            sd=0.008,
            comment="Weekly pipeline reviews now run straight from the CRM; the first-half "
            "gap still weighs on the average.",
        ),
        _Kpi("O4", "Ramped reps at or above 85% of quota", "%", HI, LAST, 0.70, (0.62, 0.71),
             red=0.55, sd=0.006),
        _Kpi("O4", "Sales rep attrition (annualised)", "%", LO, LAST, 0.12, (0.10, 0.11),
             red=0.18, sd=0.003),
        _Kpi(
            "O4", "Days for a new rep to close a first deal", "days", LO, AVG, 120, (135, 118),
            decimals=0, sd=2,
            comment="Five new reps joined in the spring; the new playbook (SALES-I2) shortens "
            "ramp-up for the autumn cohort.",
        ),
    ),
    okrs=(
        _Okr(
            "Rebuild a pipeline we can count on",
            "SALES-K07",
            (
                _Kr("Lift pipeline coverage for H1 2027 from 2.5x to 3.0x", INC, "ratio", 2.5,
                    3.0, 2.35, 3, "Daniel Moreau", weight=2,
                    note="Two big deals closed out of the pipeline; new adds behind."),
                _Kr("Raise qualified opportunities created from 85 to 120 a month", INC,
                    "count", 85, 120, 98, 6, "Fatima El Amrani"),
                _Kr("Keep commit forecast accuracy at or above 90%", ABOVE, "%", 0.91, 0.90,
                    0.92, 8, "Fatima El Amrani"),
            ),
        ),
        _Okr(
            "Break into e-mobility",
            "SALES-K05",
            (
                _Kr("Grow e-mobility customers from 0 to 8 new logos", INC, "count", 0, 8, 2, 5,
                    "Katarzyna Zielińska"),
                _Kr("Raise e-mobility win rate from 18% to 28%", INC, "%", 0.18, 0.28, 0.21, 6,
                    "Katarzyna Zielińska"),
            ),
        ),
        _Okr(
            "Get new reps selling sooner",
            "SALES-O4",
            (
                _Kr("Cut days to first deal for new reps from 150 to 110", DEC, "days", 150, 110,
                    138, 6, "Oliver Grant"),
                _Kr("Raise reps certified in value selling from 40% to 80%", INC, "%", 0.40,
                    0.80, 0.62, 8, "Oliver Grant"),
            ),
        ),
    ),
    initiatives=(
        _Init("E-mobility segment entry", "O2", "Katarzyna Zielińska", date(2026, 4, 1),
              date(2027, 3, 31), 0.40, 500_000, 230_000, AT_RISK,
              "Two reference customers needed before the big OEM tenders in Q1."),
        _Init("Sales playbook and value-selling certification", "O4", "Oliver Grant",
              date(2026, 6, 1), date(2026, 12, 31), 0.60, 180_000, 105_000, ON_TRACK),
        _Init("Pricing and discount governance (deal desk)", "O1", "Fatima El Amrani",
              date(2026, 11, 2), date(2027, 2, 26), 0.0, 90_000, 0, NOT_STARTED),
    ),
)

_MKT = _Dept(
    prepared_by="Lucas Ferreira",
    approved_by="Hannah Schmitt",
    submitted_after=4,
    objectives=_objs(
        (FI, "Marketing-sourced pipeline that pays back", "Hannah Schmitt", ("CORP-F1",)),
        (CU, "A known and preferred brand in our segments", "Hannah Schmitt",
         ("MKT-O1", "CORP-C2")),
        (IP, "An efficient demand engine", "Lucas Ferreira", ("MKT-O1", "CORP-P3")),
        (LG, "Data-driven marketing skills and tools", "Mia Johansson", ("MKT-O3", "CORP-L2")),
    ),
    kpis=(
        _Kpi("O1", "Marketing-sourced pipeline", "EUR", HI, SUM, 60_000_000,
             (4_600_000, 5_600_000), sd=150_000, decimals=-3, weight=2),
        _Kpi("O1", "Marketing spend against plan", "ratio", RANGE, AVG, 0.95, (0.97, 1.0),
             target_max=1.02, sd=0.01),
        _Kpi(
            "O1", "Cost per marketing-qualified lead", "EUR", LO, AVG, 180, (205, 185), red=220,
            decimals=2, sd=3,
            comment="Trade-fair leads were expensive in the spring; digital campaigns since "
            "July run at EUR 185-190.",
        ),
        _Kpi("O2", "Share of voice in trade media", "%", HI, LAST, 0.22, (0.18, 0.23),
             sd=0.003),
        _Kpi("O2", "Website demo requests", "count", HI, SUM, 1800, (140, 175), sd=5),
        _Kpi(
            "O2", "Returning visitors from target accounts", "%", HI, AVG, 0.35, (0.30, 0.35),
            sd=0.004,
            comment="Account-based campaigns started in May; October reached the 35% target.",
        ),
        _Kpi(
            "O3", "MQL to SQL conversion", "%", HI, AVG, 0.25, (0.21, 0.26), red=0.20,
            sd=0.004,
            comment="Lead scoring reworked with Sales in June; conversion above target since "
            "September, the year-to-date average catches up by December.",
        ),
        _Kpi("O3", "Campaign launch lead time", "days", LO, AVG, 21, (23, 17), decimals=0, sd=1),
        _Kpi("O3", "Marketing-qualified leads", "count", HI, SUM, 9600, (760, 900), sd=15),
        _Kpi("O4", "Team certified on the marketing automation platform", "%", HI, LAST, 0.80,
             (0.50, 0.82), sd=0.01),
        _Kpi(
            "O4", "Campaigns with closed-loop attribution", "%", HI, LAST, 0.90,
            (0.74, 0.75, 0.76, 0.75, 0.73, 0.71, 0.64, 0.60, 0.58, 0.59, 0.62, 0.70), red=0.70,
            comment="Attribution broke when the old web-tracking script was retired in June; "
            "the CRM to marketing-automation connector replacing it is six weeks late.",
        ),
    ),
    okrs=(
        _Okr(
            "Be the name engineers think of for condition monitoring",
            "MKT-O2",
            (
                _Kr("Raise inbound demo requests from 150 to 220 a month", INC, "count", 150,
                    220, 178, 7, "Lucas Ferreira"),
                _Kr("Lift share of voice in trade media from 22% to 26%", INC, "%", 0.22, 0.26,
                    0.23, 7, "Hannah Schmitt"),
                _Kr("Grow webinar-sourced opportunities from 12 to 30", INC, "count", 12, 30,
                    15, 5, "Mia Johansson", note="November webinar series fully booked."),
            ),
        ),
        _Okr(
            "Make every marketing euro measurable",
            None,  # aligned to nothing, on purpose
            (
                _Kr("Raise campaigns with closed-loop attribution from 58% to 90%", INC, "%",
                    0.58, 0.90, 0.59, 3, "Mia Johansson",
                    note="Blocked on the CRM connector; escalated to IT."),
                _Kr("Keep cost per marketing-qualified lead at or below EUR 190", BELOW, "EUR",
                    189, 190, 185, 7, "Lucas Ferreira"),
            ),
        ),
    ),
    initiatives=(
        _Init("Condition-monitoring thought-leadership campaign", "O2", "Lucas Ferreira",
              date(2026, 9, 1), date(2027, 2, 26), 0.25, 650_000, 140_000, ON_TRACK),
        _Init("Closed-loop attribution (CRM and marketing automation)", "O4", "Mia Johansson",
              date(2026, 5, 4), date(2026, 11, 30), 0.50, 140_000, 120_000, OFF_TRACK,
              "Integration vendor six weeks late; 86% of budget spent at 50% progress."),
    ),
)

_CS = _Dept(
    prepared_by="Tom Verbeek",
    approved_by="Aisha Okafor",
    submitted_after=5,
    objectives=_objs(
        (FI, "Keep and grow subscription revenue", "Aisha Okafor", ("CORP-F3",), 2),
        (CU, "Customers who succeed with Connect", "Aisha Okafor", ("CS-O1", "CORP-C3"), 2),
        (IP, "Fast, first-time-right support", "Samuel Koch", ("CS-O2", "CORP-P3")),
        (IP, "Proactive onboarding and adoption", "Nina Petrova", ("CS-O2", "CORP-P3")),
        (LG, "A skilled, product-savvy team", "Aisha Okafor", ("CS-O3", "CORP-L1")),
    ),
    kpis=(
        _Kpi(
            "O1", "Monthly logo churn", "%", LO, AVG, 0.030,
            (0.038, 0.039, 0.041, 0.042, 0.043, 0.044, 0.045, 0.044, 0.042, 0.040, 0.039, 0.037),
            red=0.040, decimals=4, weight=2,
            comment="Small accounts that never finished onboarding churn at twice the average. "
            "Churn has fallen since the July peak; the onboarding flow and adoption playbook "
            "(CS-OKR1) target 2.8% by December.",
        ),
        _Kpi(
            "O1", "Net revenue retention (Connect)", "%", HI, LAST, 1.08, (1.02, 1.04), red=1.00,
            sd=0.003,
            comment="Expansion is healthy but churn eats most of it; see CS-K01.",
        ),
        _Kpi("O1", "Expansion ARR", "EUR", HI, SUM, 1_200_000, (85_000, 125_000), sd=4_000,
             decimals=-2),
        _Kpi(
            "O2", "Net Promoter Score (Connect)", "score", HI, LAST, 50,
            (39, 40, 40, 41, 42, 41, 42, 43, 42, 44, 46, 48), red=40, decimals=0, weight=2,
            comment="Detractors cite slow onboarding and alert noise. Alert tuning shipped in "
            "September; the new onboarding flow follows in November.",
        ),
        _Kpi(
            "O2", "Accounts with a green health score", "%", HI, LAST, 0.70, (0.62, 0.66),
            sd=0.004,
            comment="Health scoring v2 (CS-I2) flags risk earlier, which moved 20 accounts "
            "to amber in September.",
        ),
        _Kpi(
            "O2", "Accounts using three or more core features", "%", HI, LAST, 0.40,
            (0.25, 0.33), red=0.30, sd=0.004,
            comment="Adoption of the vibration-analytics module lags; in-app guides launch "
            "with the onboarding flow.",
        ),
        _Kpi(
            "O3", "Median first response time", "hours", LO, AVG, 4, (6.5, 4.5), red=8,
            decimals=1, sd=0.2,
            comment="New ticket routing since June cut response times by a quarter; the first-half "
            "backlog still weighs on the average.",
        ),
        _Kpi("O3", "First-contact resolution", "%", HI, AVG, 0.75, (0.74, 0.80), sd=0.006),
        _Kpi(
            "O3", "Support tickets open more than 7 days", "count", LO, LAST, 40,
            (45, 48, 52, 55, 61, 66, 74, 80, 85, 72, 58, 45), red=60,
            comment="The Connect 2.8 release doubled alert-configuration tickets. Backlog "
            "sprints since October; the Q4 OKR targets 40 by year end.",
        ),
        _Kpi("O3", "Support satisfaction (CSAT, 1-5)", "score", HI, AVG, 4.5, (4.45, 4.65),
             red=4.2, decimals=2, sd=0.03),
        _Kpi(
            "O4", "Days to first value for new customers", "days", LO, AVG, 30, (42, 34),
            red=45, decimals=0, sd=1,
            comment="Sensor installation waits on customers' maintenance windows; remote "
            "commissioning pilots in November.",
        ),
        _Kpi("O4", "Onboardings completed within 30 days", "%", HI, AVG, 0.80, (0.78, 0.88),
             sd=0.008),
        _Kpi("O5", "CSMs certified on Connect 3", "%", HI, LAST, 0.90, (0.55, 0.92), sd=0.01),
        _Kpi(
            "O5", "Customers per customer success manager", "count", RANGE, LAST, 35,
            (44, 45, 45, 46, 47, 49, 50, 50, 51, 52, 52, 50), target_max=50,
            comment="Two CSM vacancies open since August; both offers accepted, starting in "
            "December.",
        ),
    ),
    okrs=(
        _Okr(
            "Make Northwind Connect customers successful and loyal",
            "CS-K01",
            (
                _Kr("Raise NPS from 42 to 55", INC, "score", 42, 55, 44, 5, "Aisha Okafor",
                    weight=2, note="Detractors down after the alert tuning release."),
                _Kr("Reduce monthly logo churn from 4.2% to 2.8%", DEC, "%", 0.042, 0.028, 0.040,
                    5, "Tom Verbeek", weight=2),
                _Kr("Lift 90-day feature adoption of new customers from 25% to 45%", INC, "%",
                    0.25, 0.45, 0.31, 6, "Nina Petrova"),
                _Kr("Launch the new onboarding flow", MILESTONE, None, 0, 1, 0, 7,
                    "Nina Petrova"),
            ),
        ),
        _Okr(
            "Support that feels effortless",
            "CS-K09",
            (
                _Kr("Reduce support tickets open over 7 days from 85 to 40", DEC, "count", 85,
                    40, 72, 6, "Samuel Koch"),
                _Kr("Cut median first response time from 5 to 3 hours", DEC, "hours", 5, 3,
                    4.5, 5, "Samuel Koch"),
                _Kr("Keep support CSAT at or above 4.5", ABOVE, "score", 4.61, 4.5, 4.64, 8,
                    "Samuel Koch"),
            ),
        ),
    ),
    initiatives=(
        _Init("New customer onboarding flow", "O4", "Nina Petrova", date(2026, 7, 1),
              date(2026, 11, 30), 0.75, 260_000, 210_000, AT_RISK,
              "Go-live moved from 26 October to 23 November for an ERP interface fix."),
        _Init("Customer health scoring v2", "O2", "Tom Verbeek", date(2026, 5, 4),
              date(2026, 9, 30), 1.0, 90_000, 84_000, DONE),
        _Init("Support knowledge base and self-service", "O3", "Samuel Koch", date(2026, 8, 17),
              date(2027, 1, 29), 0.35, 150_000, 40_000, ON_TRACK),
    ),
)

_OPS = _Dept(
    prepared_by="Jan Novák",
    approved_by="Luca Bianchi",
    submitted_after=3,
    objectives=_objs(
        (FI, "Lower cost to produce", "Luca Bianchi", ("CORP-F2",)),
        (CU, "Deliver on time, right first time", "Jan Novák", ("OPS-O1", "CORP-C1"), 2),
        (IP, "Lean, reliable plants", "Miguel Santos", ("OPS-O2", "CORP-P1")),
        (IP, "A resilient supply chain", "Eva Lindgren", ("OPS-O2", "CORP-P1")),
        (LG, "A safe, multi-skilled shop floor", "Stefan Hofer", ("OPS-O3", "CORP-L3")),
    ),
    kpis=(
        _Kpi(
            "O1", "Manufacturing cost per unit", "EUR", LO, AVG, 41.5, (42.8, 41.2), red=44,
            decimals=2, sd=0.15, weight=2,
            comment="Energy prices and Plant 2 overtime in the first half; the lean programme "
            "brought October to EUR 41.2.",
        ),
        _Kpi("O1", "Scrap cost", "EUR", LO, SUM, 1_800_000, (155_000, 130_000), sd=5_000,
             decimals=-2),
        _Kpi(
            "O1", "Energy cost per unit", "EUR", LO, AVG, 3.2, (3.5, 3.1), decimals=2, sd=0.04,
            gap=6,
            comment="July meter data was lost in the SCADA upgrade (figures from August are "
            "metered again). Night-shift load shifting cut October to EUR 3.10.",
        ),
        _Kpi("O1", "Freight cost as a share of sales", "%", LO, AVG, 0.035, (0.034, 0.033),
             decimals=4, sd=0.0004),
        _Kpi(
            "O2", "On-time in-full (OTIF)", "%", HI, AVG, 0.95, (0.94, 0.92), red=0.90,
            sd=0.004, weight=2,
            comment="Casting supplier delays and Plant 2 capacity; the second casting source "
            "is qualified in December (OPS-I3).",
        ),
        _Kpi("O2", "Customer-reported defects", "ppm", LO, AVG, 150, (160, 120), red=250,
             decimals=0, sd=5),
        _Kpi("O2", "Order lead time", "days", LO, AVG, 14, (14.5, 12.5), sd=0.3),
        _Kpi("O3", "Overall equipment effectiveness", "%", HI, AVG, 0.80, (0.79, 0.82),
             red=0.72, sd=0.004),
        _Kpi("O3", "Unplanned downtime", "hours", LO, SUM, 1200, (105, 85), sd=4),
        _Kpi(
            "O3", "First-pass yield", "%", HI, AVG, 0.97, (0.962, 0.968), red=0.94, decimals=4,
            sd=0.001,
            comment="Line 3 grinding tolerances drift in warm weather; a coolant chiller is "
            "on order.",
        ),
        _Kpi(
            "O3", "Average changeover time", "hours", LO, AVG, 1.5, (1.8, 1.4), decimals=2,
            sd=0.03,
            comment="SMED workshops on Lines 1 and 3 since June; Line 2 follows in Q4.",
        ),
        _Kpi(
            "O4", "Inventory days on hand", "days", RANGE, LAST, 30,
            (41, 42, 42, 43, 43, 44, 45, 46, 46, 47, 45, 43), target_max=45, decimals=0,
            comment="Safety stock of castings built up ahead of the supplier switch; it "
            "unwinds from December.",
        ),
        _Kpi("O4", "Supplier on-time delivery", "%", HI, AVG, 0.92, (0.91, 0.95), red=0.85,
             sd=0.004),
        _Kpi("O4", "Critical parts with a qualified second source", "%", HI, LAST, 0.80,
             (0.62, 0.81), sd=0.006),
        _Kpi(
            "O5", "Lost-time injuries", "count", LO, SUM, 4, (0, 1, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0),
            comment="Two hand injuries at Plant 2 in October, both on older presses. "
            "Machine-guarding upgrade (OPS-I2) under way; HSE stand-down on every shift.",
        ),
        _Kpi("O5", "Near-miss reports", "count", HI, SUM, 600, (40, 65), sd=2),
        _Kpi(
            "O5", "Operators multi-skilled on three or more stations", "%", HI, LAST, 0.60,
            (0.45, 0.57), sd=0.004,
            comment="Cross-training paused during the summer peak; restarted in September.",
        ),
        _Kpi("O5", "Improvement ideas implemented", "count", HI, SUM, 360, (26, 38), sd=2),
    ),
    okrs=(
        _Okr(
            "Zero harm on the shop floor",
            "OPS-K15",
            (
                _Kr("Raise near-miss reports from 61 to 80 a month", INC, "count", 61, 80, 66,
                    8, "Stefan Hofer"),
                _Kr("Close Plant 2 machine-guarding findings from 23 open to 0", DEC, "count",
                    23, 0, 14, 7, "Stefan Hofer"),
            ),
        ),
        _Okr(
            "Take the waste out of Plant 2",
            "OPS-O3",
            (
                _Kr("Lift OEE on Line 3 from 71% to 80%", INC, "%", 0.71, 0.80, 0.74, 6,
                    "Miguel Santos", weight=2),
                _Kr("Cut scrap rate from 3.1% to 2.2%", DEC, "%", 0.031, 0.022, 0.029, 5,
                    "Miguel Santos"),
                _Kr("Reduce average changeover time from 95 to 60 minutes", DEC, "minutes", 95,
                    60, 82, 7, "Miguel Santos"),
            ),
        ),
        _Okr(
            "Keep every delivery promise through peak season",
            "OPS-K05",
            (
                _Kr("Keep OTIF at or above 95%", ABOVE, "%", 0.922, 0.95, 0.922, 4, "Jan Novák"),
                _Kr("Reduce past-due order lines from 420 to 150", DEC, "count", 420, 150, 455,
                    3, "Jan Novák", note="Casting shortage added 60 lines this week."),
            ),
        ),
    ),
    initiatives=(
        _Init("Plant 2 lean transformation", "O3", "Miguel Santos", date(2026, 2, 2),
              date(2027, 1, 29), 0.60, 1_200_000, 760_000, ON_TRACK),
        _Init("Machine-guarding upgrade, Plant 2", "O5", "Stefan Hofer", date(2026, 10, 5),
              date(2026, 12, 18), 0.20, 340_000, 45_000, ON_TRACK),
        _Init("Second source for critical castings", "O4", "Eva Lindgren", date(2026, 3, 2),
              date(2026, 12, 18), 0.80, 200_000, 150_000, ON_TRACK),
        _Init("Warehouse slotting and inventory reduction", "O4", "Eva Lindgren",
              date(2026, 6, 1), date(2026, 12, 31), 0.35, 180_000, 95_000, OFF_TRACK,
              "Paused while casting safety stock is held; restart planned for January."),
    ),
)

_ENG = _Dept(
    prepared_by="Priya Raman",
    approved_by="Ravi Menon",
    submitted_after=4,
    objectives=_objs(
        (FI, "R&D spend that pays back", "Ravi Menon", ("CORP-F1",)),
        (CU, "Products customers want, when promised", "Laura Conti", ("ENG-O1", "CORP-C3"), 2),
        (IP, "Faster, predictable development", "Priya Raman", ("ENG-O2", "CORP-P2")),
        (IP, "Quality built in", "Niklas Berg", ("ENG-O2", "CORP-P2")),
        (LG, "Modern engineering skills and tools", "Priya Raman", ("ENG-O3", "CORP-L1")),
    ),
    kpis=(
        _Kpi("O1", "R&D spend as a share of revenue", "%", RANGE, AVG, 0.045, (0.050, 0.052),
             target_max=0.055, decimals=4, sd=0.0005),
        _Kpi("O1", "Engineering hours capitalised", "hours", HI, SUM, 42_000, (3_400, 3_800),
             sd=60),
        _Kpi(
            "O1", "Cost per engineering change order", "EUR", LO, AVG, 1_800, (2_100, 1_850),
            red=2_200, sd=25,
            comment="Change orders now batch weekly; the backlog from the spring raised the "
            "average cost.",
        ),
        _Kpi(
            "O2", "Roadmap commitments delivered on time", "%", HI, LAST, 0.85,
            (0.83, 0.82, 0.84, 0.80, 0.81, 0.78, 0.79, 0.76, 0.74, 0.67, 0.72, 0.78), red=0.70,
            weight=2,
            comment="Connect 3.0 absorbed two squads; three hardware variants slipped to "
            "Q1. Re-planned with Product in the October portfolio review.",
        ),
        _Kpi("O2", "Connect platform availability", "%", HI, AVG, 0.999, (0.9992, 0.9994),
             red=0.995, decimals=4, sd=0.0001),
        _Kpi(
            "O2", "Customer-reported product defects", "count", LO, SUM, 240, (24, 18), sd=1.0,
            comment="Connect 2.8 firmware regressions early in the year, fixed in 2.8.3; "
            "October was the lowest month so far.",
        ),
        _Kpi(
            "O3", "Time to market for new products", "days", LO, LAST, 270, (320, 290),
            red=330, decimals=0, sd=2,
            comment="Model-based design cuts prototype loops; the two projects in flight "
            "still started on the old process.",
        ),
        _Kpi(
            "O3", "Software deployments per month", "count", HI, AVG, 20,
            (9, 10, 10, 11, 12, 11, 12, 13, 12, 15, 17, 19), red=10,
            comment="Release train still monthly for the hardware-coupled services; the Q4 "
            "OKR decouples them behind feature flags.",
        ),
        _Kpi(
            "O3", "Lead time for changes", "days", LO, AVG, 3, (6, 4.5), red=6, decimals=1,
            sd=0.15,
            comment="Build pipeline parallelised in July; review wait time is now the "
            "bottleneck.",
        ),
        _Kpi("O3", "Open engineering change orders", "count", LO, LAST, 60, (85, 58), red=80,
             sd=1.5),
        _Kpi("O4", "Design reviews passed first time", "%", HI, AVG, 0.85, (0.82, 0.90),
             sd=0.006),
        _Kpi(
            "O4", "Automated test coverage (Connect)", "%", HI, LAST, 0.75,
            (0.52, 0.53, 0.54, 0.55, 0.55, 0.56, 0.57, 0.57, 0.58, 0.61, 0.65, 0.69), red=0.60,
            comment="Dedicated test-automation squad since October (ENG-I2); the legacy "
            "alerting service is the largest untested block.",
        ),
        _Kpi(
            "O4", "Escaped defects per release", "count", LO, AVG, 2,
            (5, 4, 4, 3, 4, 3, 3, 4, 4, 3, 2, 2), red=4,
            comment="Trending down with test coverage; the October release had three "
            "minor escapes.",
        ),
        _Kpi("O5", "Engineers trained in model-based design", "%", HI, LAST, 0.50,
             (0.20, 0.52), sd=0.008),
        _Kpi("O5", "Engineering attrition (annualised)", "%", LO, LAST, 0.08, (0.085, 0.075),
             red=0.12, sd=0.002),
    ),
    okrs=(
        _Okr(
            "Ship a Connect 3.0 that customers love",
            "ENG-O2",
            (
                _Kr("Beta of Connect 3.0 live with 20 pilot customers", MILESTONE, None, 0, 1,
                    1, 9, "Laura Conti"),
                _Kr("Raise pilot customers rating Connect 3.0 four or five stars from 0% to 70%",
                    INC, "%", 0.0, 0.70, 0.55, 8, "Laura Conti"),
                _Kr("Keep Connect platform availability at or above 99.9%", ABOVE, "%", 0.9992,
                    0.999, 0.9994, 9, "Niklas Berg"),
            ),
        ),
        _Okr(
            "Make quality everyone's job",
            "ENG-K12",
            (
                _Kr("Lift automated test coverage from 58% to 75%", INC, "%", 0.58, 0.75, 0.61,
                    5, "Niklas Berg", weight=2, note="Squad fully staffed from 19 October."),
                _Kr("Cut escaped defects per release from 4 to 2", DEC, "count", 4, 2, 3, 7,
                    "Niklas Berg"),
            ),
        ),
        _Okr(
            "Shorten the path from idea to customer",
            "ENG-K08",
            (
                _Kr("Raise production deployments from 12 to 20 a month", INC, "count", 12, 20,
                    15, 6, "Priya Raman"),
                _Kr("Cut lead time for changes from 5 to 3 days", DEC, "days", 5, 3, 4.4, 6,
                    "Priya Raman"),
            ),
        ),
    ),
    initiatives=(
        _Init("Northwind Connect 3.0", "O2", "Laura Conti", date(2026, 3, 2), date(2026, 12, 15),
              0.78, 2_100_000, 1_720_000, AT_RISK,
              "Beta live; general release depends on the ERP licence interface."),
        _Init("Test automation for Connect", "O4", "Niklas Berg", date(2026, 6, 1),
              date(2027, 3, 31), 0.40, 380_000, 150_000, ON_TRACK),
        _Init("Model-based design roll-out", "O5", "Priya Raman", date(2026, 1, 15),
              date(2026, 12, 31), 0.85, 250_000, 205_000, ON_TRACK),
    ),
)

_PPL = _Dept(
    prepared_by="Sara Costa",
    approved_by="Ingrid Halvorsen",
    submitted_after=2,
    objectives=_objs(
        (FI, "People costs in line with the plan", "Ingrid Halvorsen", ("CORP-F2",)),
        (CU, "Managers staffed fast with the right people", "Sara Costa", ("CORP-C1",)),
        (IP, "Efficient, compliant HR services", "Mehmet Yilmaz", ("PPL-O2", "CORP-P1")),
        (LG, "Engaged people who grow with us", "Ingrid Halvorsen", ("PPL-O3", "CORP-L1"), 2),
        (LG, "A safe and healthy workplace", "Mehmet Yilmaz", ("PPL-O3", "CORP-L3")),
    ),
    kpis=(
        _Kpi("O1", "Personnel cost as a share of revenue", "%", LO, AVG, 0.28, (0.279, 0.275),
             red=0.30, sd=0.001),
        _Kpi("O1", "Headcount against plan", "ratio", RANGE, LAST, 0.98, (0.97, 0.99),
             target_max=1.02, decimals=3, sd=0.003),
        _Kpi("O1", "Overtime hours", "hours", LO, SUM, 60_000, (5_200, 4_600), sd=80),
        _Kpi(
            "O2", "Time to hire", "days", LO, AVG, 45, (58, 50), red=60, decimals=0, sd=1,
            comment="Engineering roles take 68 days; the hiring campaign (PPL-I1) and the Q4 "
            "OKR focus there.",
        ),
        _Kpi(
            "O2", "Offer acceptance rate", "%", HI, AVG, 0.85, (0.76, 0.80), sd=0.006,
            comment="Candidates for Plant 2 turn down shift patterns; a four-day shift pilot "
            "starts in January.",
        ),
        _Kpi("O2", "Hiring-manager satisfaction (1-5)", "score", HI, AVG, 4.2, (4.15, 4.35),
             red=3.8, decimals=2, sd=0.03),
        _Kpi("O3", "Payroll accuracy", "%", HI, AVG, 0.998, (0.9975, 0.999), red=0.995,
             decimals=4, sd=0.0001),
        _Kpi("O3", "HR tickets resolved within 3 working days", "%", HI, AVG, 0.90,
             (0.88, 0.95), sd=0.006),
        _Kpi(
            "O4", "Employee engagement index", "score", HI, LAST, 75, (71, 73), red=68, decimals=0,
            sd=0.5, late=True,
            comment="The October pulse survey closes on 6 November; the result follows in the "
            "November workbook.",
        ),
        _Kpi(
            "O4", "Voluntary attrition (annualised)", "%", LO, LAST, 0.10, (0.115, 0.108),
            red=0.14, sd=0.002,
            comment="Plant 2 attrition (16%) drives the total; the Q4 OKR targets career "
            "conversations and shift patterns there.",
        ),
        _Kpi("O4", "Training hours per employee", "hours", HI, SUM, 24, (1.7, 2.4), decimals=1,
             sd=0.1),
        _Kpi("O4", "Vacancies filled by internal candidates", "%", HI, LAST, 0.40,
             (0.32, 0.41), sd=0.005),
        _Kpi(
            "O5", "Sickness absence rate", "%", LO, AVG, 0.035, (0.042, 0.038), red=0.05,
            decimals=4, sd=0.0006,
            comment="Winter flu season ran long into March; occupational health now visits "
            "Plant 2 weekly.",
        ),
    ),
    okrs=(
        _Okr(
            "Hire the people the growth plan needs",
            "PPL-K04",
            (
                _Kr("Cut time to hire for engineers from 68 to 50 days", DEC, "days", 68, 50, 61,
                    6, "Sara Costa"),
                _Kr("Raise offer acceptance from 79% to 85%", INC, "%", 0.79, 0.85, 0.80, 5,
                    "Sara Costa"),
                _Kr("Keep hiring-manager satisfaction at or above 4.0", ABOVE, "score", 4.2, 4.0,
                    4.3, 8, "Sara Costa"),
            ),
        ),
        _Okr(
            "Make Northwind a place people stay",
            "PPL-O4",
            (
                _Kr("Reduce annualised attrition in Plant 2 from 16% to 12%", DEC, "%", 0.16,
                    0.12, 0.15, 5, "Ingrid Halvorsen", weight=2),
                _Kr("Raise managers holding quarterly career conversations from 45% to 90%",
                    INC, "%", 0.45, 0.90, 0.52, 4, "Mehmet Yilmaz", stale_after=2),
                _Kr("Keep sickness absence at or below 4%", BELOW, "%", 0.039, 0.04, 0.038, 7,
                    "Mehmet Yilmaz"),
            ),
        ),
    ),
    initiatives=(
        _Init("Engineering hiring campaign", "O2", "Sara Costa", date(2026, 8, 3),
              date(2027, 1, 29), 0.45, 220_000, 110_000, ON_TRACK),
        _Init("Career conversations for all managers", "O4", "Mehmet Yilmaz", date(2026, 9, 1),
              date(2026, 12, 18), 0.30, 60_000, 20_000, AT_RISK,
              "Manager training sessions under-booked at Plant 2."),
    ),
)

_IT = _Dept(
    prepared_by="Arjun Patel",
    approved_by="Tomasz Nowak",
    submitted_after=5,
    objectives=_objs(
        (FI, "IT cost under control", "Tomasz Nowak", ("CORP-F2",)),
        (CU, "Services people can rely on", "Chloe Martin", ("IT-O1", "CORP-C1")),
        (IP, "Secure and resilient operations", "Viktor Horvath", ("IT-O2", "CORP-P1"), 2),
        (IP, "Digital projects delivered as promised", "Chloe Martin", ("IT-O2", "CORP-P1")),
        (LG, "Modern platforms and skills", "Arjun Patel", ("IT-O4", "CORP-L2")),
    ),
    kpis=(
        _Kpi("O1", "IT spend as a share of revenue", "%", LO, AVG, 0.025, (0.024, 0.025),
             decimals=4, sd=0.0002),
        _Kpi(
            "O1", "Cloud spend against budget", "ratio", RANGE, AVG, 0.95, (1.00, 1.06),
            target_max=1.02, sd=0.005,
            comment="ERP parallel running doubles some workloads until the November cut-over; "
            "reserved-instance savings start in December.",
        ),
        _Kpi("O1", "Software licences in active use", "%", HI, LAST, 0.90, (0.84, 0.91),
             sd=0.004),
        _Kpi(
            "O2", "Core systems availability", "%", HI, AVG, 0.998,
            (0.9985, 0.9991, 0.9979, 0.9988, 0.9983, 0.9969, 0.9986, 0.9990, 0.9902, 0.9987,
             0.9990, 0.9990),
            red=0.995, decimals=4,
            comment="A seven-hour ERP outage on 14 September (storage controller failure) "
            "pulled the year-to-date average below target; the controller has been replaced.",
        ),
        _Kpi("O2", "User satisfaction with IT services (1-5)", "score", HI, AVG, 4.2,
             (4.15, 4.35), red=3.8, decimals=2, sd=0.03),
        _Kpi("O2", "Service desk first-time fix", "%", HI, AVG, 0.70, (0.68, 0.76), sd=0.006),
        _Kpi(
            "O3", "Critical vulnerabilities open more than 30 days", "count", LO, LAST, 0,
            (3, 4, 4, 9, 15, 16, 15, 14, 14, 9, 5, 2), red=5,
            comment="A firmware advisory in April exposed the legacy plant PCs, which cannot "
            "be patched without downtime. The remediation sprint (IT-I2) patches them in "
            "planned stops; nine left, all isolated.",
        ),
        _Kpi(
            "O3", "Phishing simulation click rate", "%", LO, LAST, 0.05, (0.11, 0.07), red=0.10,
            sd=0.003,
            comment="Awareness training reached 85% of staff; plant shifts follow in "
            "November.",
        ),
        _Kpi("O3", "Major incidents", "count", LO, SUM, 12, (1, 0, 2, 1, 1, 0, 1, 1, 2, 0, 1, 0)),
        _Kpi(
            "O3", "Backup restore tests passed", "%", HI, LAST, 1.0,
            (1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), red=0.90, late=True,
            comment="The October restore test moved to 4 November because of the ERP "
            "cut-over change freeze.",
        ),
        _Kpi(
            "O4", "Digital projects on time and on budget", "%", HI, LAST, 0.80, (0.67, 0.70),
            red=0.60, sd=0.005,
            comment="Project Compass (ERP) and the portal relaunch are late; 7 of 10 projects "
            "are on time and budget.",
        ),
        _Kpi(
            "O5", "Applications on cloud or modern platforms", "%", HI, LAST, 0.60,
            (0.41, 0.58), sd=0.005,
            comment="ERP move slipped to November; it alone adds six applications.",
        ),
        _Kpi("O5", "IT staff with a current cloud certification", "%", HI, LAST, 0.50,
             (0.30, 0.52), sd=0.006),
    ),
    okrs=(
        _Okr(
            "Shut the doors attackers use",
            "IT-K07",
            (
                _Kr("Reduce critical vulnerabilities open over 30 days from 14 to 0", DEC,
                    "count", 14, 0, 9, 6, "Viktor Horvath", weight=2),
                _Kr("Cut phishing simulation click rate from 7.5% to 4%", DEC, "%", 0.075, 0.04,
                    0.069, 7, "Arjun Patel"),
                _Kr("Raise multi-factor authentication coverage from 78% to 100% of accounts",
                    INC, "%", 0.78, 1.0, 0.91, 8, "Viktor Horvath"),
            ),
        ),
        _Okr(
            "Move the ERP to the cloud without disrupting the business",
            "IT-O4",
            (
                _Kr("Keep core systems availability at or above 99.8% through the cut-over",
                    ABOVE, "%", 0.9902, 0.998, 0.9987, 6, "Chloe Martin"),
                _Kr("Cut month-end ERP batch runtime from 9 to 4 hours", DEC, "hours", 9, 4,
                    8.5, 4, "Chloe Martin", note="Runtime gains need the cloud cut-over."),
            ),
        ),
    ),
    initiatives=(
        _Init("ERP cloud migration (Project Compass cut-over)", "O4", "Chloe Martin",
              date(2026, 1, 12), date(2026, 11, 30), 0.82, 1_900_000, 1_780_000, AT_RISK,
              "Cut-over moved to 21 November; 94% of budget spent."),
        _Init("Vulnerability remediation sprint", "O3", "Viktor Horvath", date(2026, 9, 21),
              date(2026, 12, 18), 0.40, 150_000, 60_000, ON_TRACK),
        _Init("Security awareness programme", "O3", "Arjun Patel", date(2026, 4, 1),
              date(2026, 12, 31), 0.65, 75_000, 48_000, ON_TRACK),
    ),
)

# fmt: on

CATALOGUE: dict[str, _Dept] = {
    "CORP": _CORP,
    "FIN": _FIN,
    "COMM": _COMM,
    "SALES": _SALES,
    "MKT": _MKT,
    "CS": _CS,
    "OPS": _OPS,
    "ENG": _ENG,
    "PPL": _PPL,
    "IT": _IT,
}


# --- content generation (pure) -------------------------------------------------------------


def demo_content(config: Config, period: str) -> dict[str, WorkbookContent]:
    """Workbook content for every configured department, keyed by department ID.

    Raises ValueError for a department the demo catalogue does not know.
    """
    unknown = [d.id for d in config.departments if d.id not in CATALOGUE]
    if unknown:
        raise ValueError(
            f"no demo content for department(s) {', '.join(unknown)} "
            f"(the demo knows {', '.join(CATALOGUE)})"
        )
    months = contract.fiscal_year_months(period, config.organisation.fiscal_year_start)
    elapsed = months.index(period) + 1
    quarter = contract.quarter_of(period)
    end = contract.period_end(period)
    return {
        d.id: _department(d.id, CATALOGUE[d.id], months, elapsed, quarter, end)
        for d in config.departments
    }


def _department(
    dept: str, spec: _Dept, months: tuple[str, ...], elapsed: int, quarter: str, end: date
) -> WorkbookContent:
    perspective = {f"{dept}-{o.code}": o.perspective for o in spec.objectives}
    objectives = [
        {
            "Objective ID": f"{dept}-{o.code}",
            "Perspective": o.perspective,
            "Objective": o.name,
            "Owner": o.owner,
            "Contributes to": ", ".join(o.links) or None,
            "Weight": o.weight,
        }
        for o in spec.objectives
    ]
    kpis = []
    for n, k in enumerate(spec.kpis, start=1):
        kpi_id = f"{dept}-K{n:02d}"
        values = _actuals(kpi_id, k, elapsed)
        row: dict[str, Any] = {
            "KPI ID": kpi_id,
            "Objective ID": f"{dept}-{k.obj}",
            "Perspective": perspective[f"{dept}-{k.obj}"],
            "KPI": k.name,
            "Unit": k.unit,
            "Direction": k.direction,
            "Aggregation": k.aggregation,
            "Target": k.target,
            "Target max": k.target_max,
            "Red threshold": k.red,
            "Weight": k.weight,
        }
        row.update({m: (values[i] if i < elapsed else None) for i, m in enumerate(months)})
        row["Commentary"] = k.comment or None
        kpis.append(row)
    okrs, checkins = _okrs(dept, spec.okrs, quarter, end)
    initiatives = [
        {
            "Initiative ID": f"{dept}-I{n}",
            "Initiative": i.name,
            "Objective ID": f"{dept}-{i.obj}",
            "Owner": i.owner,
            "Start": i.start,
            "End": i.end,
            "Progress %": i.progress,
            "Budget": i.budget,
            "Spent": i.spent,
            "Status": i.status,
            "Note": i.note or None,
        }
        for n, i in enumerate(spec.initiatives, start=1)
    ]
    submission = {
        contract.SubmissionField.PREPARED_BY: spec.prepared_by,
        contract.SubmissionField.APPROVED_BY: spec.approved_by,
        contract.SubmissionField.SUBMITTED_ON: end + timedelta(days=spec.submitted_after),
    }
    return WorkbookContent(submission, objectives, kpis, okrs, checkins, initiatives)


def _decimals(k: _Kpi) -> int:
    return k.decimals if k.decimals is not None else _DECIMALS.get(k.unit, 2)


def _round(value: float, decimals: int) -> float | int:
    if decimals <= 0:
        return int(round(value, decimals))
    return round(value, decimals)


def _actuals(kpi_id: str, k: _Kpi, elapsed: int) -> list[float | int | None]:
    """One value per elapsed fiscal month: a trend with noise, or the explicit values."""
    rng = random.Random(f"{SEED}:{kpi_id}")
    decimals = _decimals(k)
    values: list[float | int | None] = []
    if len(k.path) > 2:
        explicit = list(k.path)
        for i in range(elapsed):
            values.append(_round(explicit[min(i, len(explicit) - 1)], decimals))
    else:
        start, stop = k.path
        sd = k.sd if k.sd is not None else 0.0
        for i in range(elapsed):
            t = i / 9  # January .. October of the demo year
            trend = start + (stop - start) * t**k.shape
            noise = rng.gauss(0.0, sd) * (0.3 if i == 9 else 1.0)
            value = max(trend + noise, 0.0)
            values.append(_round(value, decimals))
    if k.gap is not None and k.gap < elapsed - 1:
        values[k.gap] = None
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
    dept: str, specs: tuple[_Okr, ...], quarter: str, end: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    start, _ = contract.quarter_bounds(quarter)
    dates = _fridays(start, end)
    okr_rows: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    n = 0
    for o_n, okr in enumerate(specs, start=1):
        for kr in okr.krs:
            n += 1
            kr_id = f"{dept}-KR{n}"
            current: float | int = kr.end
            if kr.type != MILESTONE and dates:
                series = _checkins(kr_id, kr, dates)
                checkins.extend(series)
                current = series[-1]["Value"]
            okr_rows.append(
                {
                    "Objective ID": f"{dept}-OKR{o_n}",
                    "Objective": okr.title,
                    "KR ID": kr_id,
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


def _kr_decimals(kr: _Kr) -> int:
    """As many decimals as the KR's own numbers use (percentages: at least 0.1 pt)."""
    numbers = (kr.baseline, kr.target, kr.end)
    if kr.unit == "%":
        return 4 if any(0.99 < x < 1 for x in numbers) else 3
    if min((abs(x) for x in numbers if x), default=0) >= 1_000_000:
        return -4
    return max(len(f"{float(x):.4f}".rstrip("0").split(".")[1]) for x in numbers)


def _checkins(kr_id: str, kr: _Kr, dates: list[date]) -> list[dict[str, Any]]:
    """Weekly values from the baseline to `end` at the last check-in, with a little noise."""
    rng = random.Random(f"{SEED}:{kr_id}")
    if kr.stale_after is not None:
        dates = dates[: kr.stale_after]
    decimals = _kr_decimals(kr)
    count = len(dates)
    first_confidence = min(10, max(kr.confidence + 1, 6))
    span = abs(kr.end - kr.baseline) or abs(kr.target) * 0.01
    rows: list[dict[str, Any]] = []
    previous = kr.baseline
    for i, day in enumerate(dates, start=1):
        share = i / count
        if i == count:
            value = kr.end
        else:
            value = kr.baseline + (kr.end - kr.baseline) * share + rng.gauss(0.0, span * 0.15)
        value = _round(max(value, 0.0), decimals)
        confidence = round(first_confidence + (kr.confidence - first_confidence) * share)
        last_note = kr.note if i == count else ""
        note = last_note or _note(kr, previous, value, decimals, rng)
        rows.append(
            {"KR ID": kr_id, "Date": day, "Value": value, "Confidence": confidence, "Note": note}
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


def _note(kr: _Kr, previous: float, value: float, decimals: int, rng: random.Random) -> str:
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
