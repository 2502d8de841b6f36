"""The words around the numbers: the Narrative sheet and the KPI glossary, as pack views.

The corporate unit's Narrative opens the pack: its Headline rows are the letter, its
Decisions required and Risks and issues rows the tables after the executive summary, its
Outlook rows close the letter. Each department's Headline rows head its page. The KPI
glossary lists every KPI with its Definition (KPIs sheet), unit, direction, aggregation and
owner department. Pure: validated frames in, frozen dataclasses of display strings out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config import Config
from pipeline.render.format import fmt_date, fmt_text
from pipeline.validate import Validated
from pipeline.vocabulary import is_blank

HEADLINE, DECISIONS, RISKS, OUTLOOK = (
    "Headline",
    "Decisions required",
    "Risks and issues",
    "Outlook",
)


@dataclass(frozen=True)
class NarrativeItem:
    title: str
    text: str
    owner: str  # "" when none was given
    due: str  # "" when none was given


@dataclass(frozen=True)
class NarrativeView:
    """One unit's narrative, by section (each a tuple in the order typed)."""

    headline: tuple[NarrativeItem, ...] = ()
    decisions: tuple[NarrativeItem, ...] = ()
    risks: tuple[NarrativeItem, ...] = ()
    outlook: tuple[NarrativeItem, ...] = ()
    author: str = ""  # the unit whose words these are, e.g. "Group strategy office"
    signed: str = ""  # who approved the workbook (Submission sheet), for the letter

    @property
    def present(self) -> bool:
        return bool(self.headline or self.decisions or self.risks or self.outlook)


@dataclass(frozen=True)
class GlossaryRow:
    kpi_id: str
    name: str
    definition: str  # "" when the department gave none
    unit: str
    direction: str
    aggregation: str
    department: str


def narrative_view(
    validated: Validated, department_id: str, author: str = "", signed: str = ""
) -> NarrativeView:
    """The Narrative rows of one department, by section."""
    frame = validated.narrative
    if frame is None or not len(frame) or "department_id" not in frame:
        return NarrativeView(author=author, signed=signed)
    rows = frame[frame["department_id"] == department_id].to_dict("records")

    def items(section: str) -> tuple[NarrativeItem, ...]:
        return tuple(_item(r) for r in rows if r.get("section") == section)

    return NarrativeView(
        headline=items(HEADLINE),
        decisions=items(DECISIONS),
        risks=items(RISKS),
        outlook=items(OUTLOOK),
        author=author,
        signed=signed,
    )


def corporate_narrative(validated: Validated, config: Config) -> NarrativeView:
    """The corporate unit's narrative (the pack's letter, decisions and risks)."""
    corporate = next((d for d in config.departments if d.corporate), None)
    if corporate is None:
        return NarrativeView()
    signed = ""
    subs = validated.submissions
    if len(subs) and "department_id" in subs:
        mine = subs[subs["department_id"] == corporate.id]
        if len(mine) and "approved_by" in mine:
            signed = fmt_text(mine["approved_by"].iloc[0])
    return narrative_view(validated, corporate.id, corporate.name, signed)


def glossary(kpis: pd.DataFrame, names: Mapping[str, str]) -> tuple[GlossaryRow, ...]:
    """Every KPI of the pack, by name, with its definition (blank when none was given)."""
    rows = [
        GlossaryRow(
            kpi_id=fmt_text(k["kpi_id"]),
            name=fmt_text(k["kpi"]) or fmt_text(k["kpi_id"]),
            definition=fmt_text(k.get("definition", "")),
            unit=fmt_text(k["unit"]),
            direction=fmt_text(k["direction"]),
            aggregation=fmt_text(k["aggregation"]),
            department=names.get(k["department_id"], fmt_text(k["department_id"])),
        )
        for k in kpis.to_dict("records")
    ]
    return tuple(sorted(rows, key=lambda r: (r.name.casefold(), r.kpi_id)))


def _item(row: Mapping[str, Any]) -> NarrativeItem:
    due = row.get("due")
    return NarrativeItem(
        title=fmt_text(row.get("title")),
        text=fmt_text(row.get("text")),
        owner=fmt_text(row.get("owner")),
        due="" if is_blank(due) else fmt_date(due),
    )


def defined_share(rows: Sequence[GlossaryRow]) -> tuple[int, int]:
    """(KPIs with a definition, all KPIs): the glossary's own coverage line."""
    return sum(1 for r in rows if r.definition), len(rows)
