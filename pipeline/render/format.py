"""Numbers, dates, statuses and trends in, the display strings a board reads out (pure).

Display rule for scores (`fmt_score`): a score prints as a whole percentage, rounded half
up, unless that would put the printed figure on the other side of a grading threshold than
the score itself (the thresholds passed in, plus 100 %, which is only for a score of 1);
then it prints with one decimal, rounded towards the score's own band (0.8993 against a
Green at 90 % -> "89.9%", 0.9995 -> "99.9%"). A threshold of 0 (a KPI's Red) means
"above 0": a KPI score of 0.002 prints "0.2%", never "0%". So a printed figure, read
back, always falls in the band of the status printed next to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from pipeline.contract import parse_period
from pipeline.formulas import round_half_up, round_in_band
from pipeline.vocabulary import STATUS_STYLES, Status, Trend, as_status, is_blank

MINUS = "−"
BLANK = "—"  # a blank value: never shown as 0
_CURRENCY = re.compile(r"^[A-Z]{3}$")

TRENDS: dict[Trend, tuple[str, str]] = {
    Trend.UP: ("↑", "up on last month"),
    Trend.DOWN: ("↓", "down on last month"),
    Trend.FLAT: ("→", "unchanged on last month"),
    Trend.NEW: ("•", "no score last month"),
    Trend.NONE: ("", ""),
}
# An initiative's own status words, drawn in the status palette ("Done" has its own tick).
INITIATIVE_STATUSES: dict[str, Status] = {
    "Done": Status.GREEN,
    "On track": Status.GREEN,
    "At risk": Status.AMBER,
    "Off track": Status.RED,
    "Not started": Status.NO_DATA,
}
DONE_SYMBOL = "✓"


def fmt_number(x: float, decimals: int, strip: bool = False) -> str:
    """1234.5 -> "1,234.50" (strip: "1,234.5"), rounded half up, with a true minus sign."""
    text = f"{round_half_up(x, decimals):,.{decimals}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


def fmt_text(x: Any) -> str:
    """A cell as text; blank (None, NaN) is the empty string."""
    return "" if is_blank(x) else str(x)


KPI_THRESHOLDS: tuple[float, ...] = (1.0, 0.0)  # a KPI is Green at 1, Red at 0


def rollup_thresholds(scoring: Any) -> tuple[float, ...]:
    """The grading thresholds of a roll-up score (objective, perspective, department)."""
    return (scoring.rollup_green_at, scoring.rollup_amber_at)


def okr_thresholds(scoring: Any) -> tuple[float, ...]:
    """The grading thresholds of an OKR score (objective, department, average)."""
    return (scoring.okr_green_at, scoring.okr_amber_at)


def fmt_score(x: Any, thresholds: Sequence[float] = ()) -> str:
    """A 0..1 score as a percentage that never crosses a grading threshold (see the module).

    0.8333 -> "83%"; 0.8993 with thresholds (0.9, 0.6) -> "89.9%"; 0.9995 -> "99.9%";
    blank -> "—". `thresholds` are the scale of the status shown next to the figure
    (`rollup_thresholds`, `okr_thresholds`, `KPI_THRESHOLDS`); 1.0 always counts.
    """
    if is_blank(x):
        return BLANK
    shown, decimals = round_in_band(float(x), 2, thresholds)
    return f"{shown * 100:.{max(decimals - 2, 0)}f}%"


def unit_kind(unit: Any) -> str:
    """percent / currency / count / duration / score / ratio / other / none."""
    u = "" if is_blank(unit) else str(unit).strip()
    if not u:
        return "none"
    if u == "%":
        return "percent"
    if _CURRENCY.match(u):
        return "currency"
    if u.lower() in ("count", "number", "#"):
        return "count"
    if u.lower() in ("day", "days", "hour", "hours", "minutes", "weeks", "months"):
        return "duration"
    if u.lower() == "score":
        return "score"
    if u.lower() == "ratio":
        return "ratio"
    return "other"


def _value_format(x: float, unit: str, extra: int) -> tuple[int, float, bool]:
    """How a value in `unit` prints: (decimals, scale, strip trailing zeros)."""
    kind = unit_kind(unit)
    if kind == "percent":
        return 1 + extra, 100.0, False
    if kind == "currency":
        return (0 if abs(x) >= 100 else 2) + extra, 1.0, False
    if kind == "count":
        return (0 if x.is_integer() else 1) + extra, 1.0, False
    if kind in ("duration", "score"):
        return 1 + extra, 1.0, True
    if kind == "ratio":
        return 2 + extra, 1.0, False
    return 2 + extra, 1.0, True


def printed_value(x: Any, unit: Any, extra: int = 0) -> float:
    """The number `fmt_value(x, unit, extra)` shows, back in the value's own scale."""
    if is_blank(x):
        return math.nan
    x = float(x)
    decimals, scale, _ = _value_format(x, "" if is_blank(unit) else str(unit).strip(), extra)
    return round_half_up(x * scale, decimals) / scale


def fmt_value(x: Any, unit: Any, extra: int = 0) -> str:
    """A value in its unit: 0.42 % -> "42.0%", EUR -> "EUR 1,234", days -> "4.5 days".

    `extra` decimals are added when the usual ones would hide a difference that the score
    depends on (`views_department.value_precision`): 0.99774 % -> "99.774%", not "99.8%".
    """
    if is_blank(x):
        return BLANK
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    kind = unit_kind(u)
    decimals, scale, strip = _value_format(x, u, extra)
    number = fmt_number(x * scale, decimals, strip=strip)
    if kind == "percent":
        return number + "%"
    if kind == "currency":
        return f"{u} {number}"
    if kind in ("duration", "other"):
        return f"{number} {u}"
    return number


def fmt_variance(x: Any, unit: Any, extra: int = 0) -> str:
    """A signed difference in the KPI's unit; percentages in points ("−3.0 pp").

    A difference that rounds to zero is shown as "±0", never as "−0.0".
    """
    if is_blank(x):
        return BLANK
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    percent = unit_kind(u) == "percent"
    text = f"{fmt_number(abs(x) * 100, 1 + extra)} pp" if percent else fmt_value(abs(x), u, extra)
    number = text.replace(u, "") if u and not percent else text  # digits of the unit aside
    zero = not any(c in "123456789" for c in number)
    sign = "±" if zero else ("+" if x > 0 else MINUS)
    return sign + text


def fmt_pct_change(x: Any) -> str:
    """A relative variance: 0.045 -> "+4.5%" ("±0.0%" when it rounds to zero)."""
    if is_blank(x):
        return ""
    x = float(x)
    text = fmt_number(abs(x) * 100, 1)
    sign = "±" if text == "0.0" else ("+" if x > 0 else MINUS)
    return f"{sign}{text}%"


def fmt_money(x: Any, currency: str) -> str:
    return BLANK if is_blank(x) else f"{currency} {fmt_number(float(x), 0)}"


def fmt_date(d: Any, short: bool = False) -> str:
    """6 November 2026 (short: 6 Nov 2026); blank -> "—"."""
    if is_blank(d) or d == "":
        return BLANK
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d[:10])
        except ValueError:
            return d
    if isinstance(d, pd.Timestamp | datetime):
        d = d.date()
    return f"{d.day} {d:%b %Y}" if short else f"{d.day} {d:%B %Y}"


def period_label(period: str) -> str:
    """2026-10 -> "October 2026" (anything that is not a period is shown as given)."""
    try:
        year, month = parse_period(period)
    except ValueError:
        return str(period)
    return f"{date(year, month, 1):%B %Y}"


@dataclass(frozen=True)
class StatusView:
    """A status as word, symbol and CSS class: colour is never the only signal."""

    word: Status
    symbol: str
    css: str


def status_view(status: Any) -> StatusView:
    """The view of a status word; anything that is not a status is No data."""
    word = as_status(status)
    style = STATUS_STYLES[word]
    return StatusView(word=word, symbol=style.symbol, css=style.css_class)


@dataclass(frozen=True)
class TrendView:
    """An arrow, its meaning in words, a "↑ from 74%" text and the CSS class."""

    arrow: str
    words: str
    text: str
    css: str


def as_trend(value: Any) -> Trend:
    """The Trend for a word; anything else (blank, NaN, a typo) is no trend."""
    try:
        return Trend(value)
    except ValueError:
        return Trend.NONE


def trend_view(
    trend: Any,
    prev_score: Any = math.nan,
    score: Any = math.nan,
    thresholds: Sequence[float] = (),
) -> TrendView:
    """Arrow, words and "↑ from 74%" text; a change too small to show in the printed
    percentages is drawn flat, so the page never says "↓ from 78%" next to a score of 78%.
    `thresholds` are the score's grading scale, as for `fmt_score`."""
    key = as_trend(trend)
    moved = key in (Trend.UP, Trend.DOWN)
    shown = fmt_score(score, thresholds)
    if moved and not is_blank(score) and shown == fmt_score(prev_score, thresholds):
        key = Trend.FLAT
    arrow, words = TRENDS[key]
    text = ""
    if key in (Trend.UP, Trend.DOWN, Trend.FLAT) and not is_blank(prev_score):
        text = f"{arrow} from {fmt_score(prev_score, thresholds)}"
    elif key == Trend.NEW:
        text = "new this month"
    return TrendView(arrow=arrow, words=words, text=text, css=key.value or "none")


def fmt_breach(amount: Any, unit: Any) -> str:
    """How far a Stay key result is past its limit: percent in points ("1.9 pp"), others
    in the unit ("EUR 1,200")."""
    if is_blank(amount):
        return BLANK
    if unit_kind(unit) == "percent":
        return f"{fmt_number(abs(float(amount)) * 100, 1)} pp"
    return fmt_value(abs(float(amount)), unit)


def initiative_status(word: str) -> tuple[str, str]:
    """(symbol, CSS class) of an initiative's status word; an unknown word reads as No data."""
    status = INITIATIVE_STATUSES.get(word, Status.NO_DATA)
    style = STATUS_STYLES[status]
    return (DONE_SYMBOL if word == "Done" else style.symbol), style.css_class
