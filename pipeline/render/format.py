"""Numbers, dates, statuses and trends in, the display strings a board reads out (pure)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from pipeline.contract import parse_period
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


def _round_half_up(x: float, decimals: int = 0) -> float:
    """Round half away from zero (0.125 -> 13%, as a reader rounds), not half to even."""
    factor = 10**decimals
    rounded = math.floor(abs(x) * factor + 0.5 + 1e-9) / factor
    return math.copysign(rounded, x) if rounded else 0.0  # never "-0"


def fmt_number(x: float, decimals: int, strip: bool = False) -> str:
    """1234.5 -> "1,234.50" (strip: "1,234.5"), rounded half up, with a true minus sign."""
    text = f"{_round_half_up(x, decimals):,.{decimals}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


def fmt_text(x: Any) -> str:
    """A cell as text; blank (None, NaN) is the empty string."""
    return "" if is_blank(x) else str(x)


def fmt_score(x: Any) -> str:
    """A 0..1 score as a whole percentage: 0.8333 -> "83%"; blank -> "—"."""
    if is_blank(x):
        return BLANK
    return f"{_round_half_up(float(x) * 100):.0f}%"


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


def fmt_value(x: Any, unit: Any) -> str:
    """A value in its unit: 0.42 % -> "42.0%", EUR -> "EUR 1,234", days -> "4.5 days"."""
    if is_blank(x):
        return BLANK
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    kind = unit_kind(u)
    if kind == "percent":
        return fmt_number(x * 100, 1) + "%"
    if kind == "currency":
        return f"{u} {fmt_number(x, 0 if abs(x) >= 100 else 2)}"
    if kind == "count":
        return fmt_number(x, 0 if float(x).is_integer() else 1)
    if kind == "duration":
        return f"{fmt_number(x, 1, strip=True)} {u}"
    if kind == "score":
        return fmt_number(x, 1, strip=True)
    if kind == "ratio":
        return fmt_number(x, 2)
    if kind == "other":
        return f"{fmt_number(x, 2, strip=True)} {u}"
    return fmt_number(x, 2, strip=True)


def fmt_variance(x: Any, unit: Any) -> str:
    """A signed difference in the KPI's unit; percentages in points ("−3.0 pp").

    A difference that rounds to zero is shown as "±0", never as "−0.0".
    """
    if is_blank(x):
        return BLANK
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    percent = unit_kind(u) == "percent"
    text = f"{fmt_number(abs(x) * 100, 1)} pp" if percent else fmt_value(abs(x), u)
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


def trend_view(trend: Any, prev_score: Any = math.nan, score: Any = math.nan) -> TrendView:
    """Arrow, words and "↑ from 74%" text; a change too small to show in whole percent
    is drawn flat, so the page never says "↓ from 78%" next to a score of 78%."""
    key = as_trend(trend)
    moved = key in (Trend.UP, Trend.DOWN)
    if moved and not is_blank(score) and fmt_score(score) == fmt_score(prev_score):
        key = Trend.FLAT
    arrow, words = TRENDS[key]
    text = ""
    if key in (Trend.UP, Trend.DOWN, Trend.FLAT) and not is_blank(prev_score):
        text = f"{arrow} from {fmt_score(prev_score)}"
    elif key == Trend.NEW:
        text = "new this month"
    return TrendView(arrow=arrow, words=words, text=text, css=key.value or "none")


def initiative_status(word: str) -> tuple[str, str]:
    """(symbol, CSS class) of an initiative's status word; an unknown word reads as No data."""
    status = INITIATIVE_STATUSES.get(word, Status.NO_DATA)
    style = STATUS_STYLES[status]
    return (DONE_SYMBOL if word == "Done" else style.symbol), style.css_class
