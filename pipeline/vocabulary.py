"""The project's shared words: statuses, file statuses, trends, enumerations and small helpers.

Every stage speaks these; none of them does I/O. A status word, its colour, symbol and CSS
class live here once, so the pack, the charts, the data book and the stylesheet agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

ORG = "ORG"  # department_id of organisation-wide rows


class Status(StrEnum):
    """A KPI's or roll-up's traffic light."""

    GREEN = "Green"
    AMBER = "Amber"
    RED = "Red"
    NO_DATA = "No data"


class FileStatus(StrEnum):
    """What became of one file in the inbox (or of a department's shown submission)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an accepted file with a later Submitted on replaced it
    UNREADABLE = "unreadable"
    OTHER_PERIOD = "other period"
    STALE = "stale"  # not a file's verdict: a department shown from an earlier period


# Files whose presence makes `validate` exit 1: something the submitter must fix.
FAILED_FILE_STATUSES = (FileStatus.REJECTED, FileStatus.UNREADABLE)


class Trend(StrEnum):
    """A score versus last month's."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"
    NEW = "new"  # no score last month
    NONE = ""  # no score now


class Direction(StrEnum):
    HIGHER = "Higher is better"
    LOWER = "Lower is better"
    RANGE = "Within range"


class Aggregation(StrEnum):
    LAST = "Last"
    SUM = "Sum"
    AVERAGE = "Average"


class KrType(StrEnum):
    INCREASE = "Increase to"
    DECREASE = "Decrease to"
    STAY_ABOVE = "Stay at or above"
    STAY_BELOW = "Stay at or below"
    MILESTONE = "Milestone"


class ColumnKind(StrEnum):
    """What a data-sheet column holds: drives number formats, dropdowns and parsing."""

    ID = "id"
    TEXT = "text"
    ENUM = "enum"
    NUMBER = "number"
    PERCENT = "percent"  # a fraction, shown as %
    VALUE = "value"  # a number whose unit is given on the row
    DATE = "date"
    CONFIDENCE = "confidence"  # 0-10
    WEIGHT = "weight"  # >= 0
    IDS = "ids"  # comma-separated IDs
    QUARTER = "quarter"  # YYYY-Qn


NUMERIC_KINDS = frozenset(
    {ColumnKind.NUMBER, ColumnKind.VALUE, ColumnKind.PERCENT, ColumnKind.CONFIDENCE}
    | {ColumnKind.WEIGHT}
)


@dataclass(frozen=True)
class StatusStyle:
    colour: str  # the mark: symbol, bar, strategy-map border
    fill: str  # a light background behind the word
    ink: str  # text in the status colour that reads on white (WCAG AA)
    symbol: str  # colour is never the only signal
    css_class: str


STATUS_STYLES: Mapping[Status, StatusStyle] = {
    Status.GREEN: StatusStyle("#2e7d32", "#e4f2e5", "#1e6b24", "●", "green"),
    Status.AMBER: StatusStyle("#d98e04", "#fdf1d8", "#8a5a00", "▲", "amber"),
    Status.RED: StatusStyle("#c62828", "#fbe3e3", "#b01f1f", "■", "red"),
    Status.NO_DATA: StatusStyle("#8a8f98", "#eef0f3", "#5f6670", "○", "nodata"),
}


def as_status(value: Any) -> Status:
    """The Status for a word; anything else (blank, NaN, a typo) is No data."""
    try:
        return Status(value)
    except ValueError:
        return Status.NO_DATA


# Dates a submitter can plausibly mean; Excel's serial day 0 (its 1900 leap-year bug included).
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
EXCEL_EPOCH = date(1899, 12, 30)


def is_blank(x: Any) -> bool:
    """True for None, NaN and pandas NA: a blank is never zero."""
    if x is None:
        return True
    import pandas as pd  # here, not at the top: `scorecard --help` must not load pandas

    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def ids(value: Any) -> tuple[str, ...]:
    """A tuple of IDs from a tuple/list or a comma-separated string; () when blank."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()


@dataclass(frozen=True)
class DepartmentTree:
    """The roll-up tree: departments in configuration order, each with its parent.

    A parent that is not in the tree makes a root, so no department is ever dropped.
    """

    order: tuple[str, ...]
    parent: Mapping[str, str | None]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str | None]]) -> DepartmentTree:
        order: list[str] = []
        parent: dict[str, str | None] = {}
        for dept, up in pairs:
            if dept and dept not in parent:
                order.append(dept)
                parent[dept] = up or None
        return cls(tuple(order), parent)

    def children(self, dept: str) -> tuple[str, ...]:
        return tuple(d for d in self.order if self.parent[d] == dept)

    def roots(self) -> tuple[str, ...]:
        return tuple(d for d in self.order if self.parent[d] not in self.parent)

    def depth(self, dept: str) -> int:
        n, node = 0, self.parent.get(dept)
        while node in self.parent and n <= len(self.order):
            n, node = n + 1, self.parent[node]
        return n

    def pre_order(self) -> list[tuple[str, tuple[str, ...]]]:
        """(department, its ancestors top-down), parents before their children."""
        seen: list[tuple[str, tuple[str, ...]]] = []
        visited: set[str] = set()

        def visit(dept: str, trail: tuple[str, ...]) -> None:
            if dept in visited:
                return
            visited.add(dept)
            seen.append((dept, trail))
            for child in self.children(dept):
                visit(child, (*trail, dept))

        for dept in (*self.roots(), *self.order):  # a cycle never drops a department
            visit(dept, ())
        return seen

    def post_order(self) -> list[str]:
        """Children before their parent, so roll-ups can be computed bottom-up."""
        seen: list[str] = []
        visited: set[str] = set()

        def visit(dept: str) -> None:
            if dept in visited:
                return
            visited.add(dept)
            for child in self.children(dept):
                visit(child)
            seen.append(dept)

        for dept in (*self.roots(), *self.order):
            visit(dept)
        return seen
