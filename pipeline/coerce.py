"""Turn cell values as people type them into typed values, or say why they can't be.

Each parser takes one raw cell value and returns `Parsed(value, code)`: `code` is
a problem code when the cell cannot be used (the value is then None), or a warning code
alongside a usable value. A blank is None, never zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pipeline.vocabulary import EXCEL_EPOCH

# Zero-width spaces and joiners, word joiner, byte-order mark, soft hyphen: invisible when
# typed or pasted, yet they would make `FIN-K1` another ID than `FIN-K1`.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
# Written the European way: `12.345,5` (points group thousands) or `1,5` (a decimal comma
# that cannot be an English thousands group, which always has three digits after it).
_EUROPEAN_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,(\d{1,2}|\d{4,})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


@dataclass(frozen=True)
class Parsed:
    value: Any
    code: str = ""  # problem code, '' when clean
    from_percent_text: bool = False


BLANK = Parsed(None)


def clean_text(raw: Any) -> str | None:
    """Collapse all kinds of spaces (incl. non-breaking) and strip; blank -> None."""
    if raw is None:
        return None
    if isinstance(raw, float):
        if math.isnan(raw):
            return None
        if raw.is_integer():
            raw = int(raw)
    if isinstance(raw, datetime | date):
        return raw.isoformat()[:10]
    text = _SPACES.sub(" ", _INVISIBLE.sub("", str(raw))).strip()
    return text or None


def parse_number(raw: Any) -> Parsed:
    """Numbers, `42%` text (-> 0.42), `1,234.5`, `(1,234)` (negative); words are errors."""
    if raw is None:
        return BLANK
    if isinstance(raw, bool):
        return Parsed(None, "not-a-number")
    if isinstance(raw, int | float):
        if isinstance(raw, float) and (math.isnan(raw) or math.isinf(raw)):
            # A blank cell reads as None; NaN or infinity can only be typed into the file's
            # XML: not a figure, and never silently a blank.
            return Parsed(None, "not-a-number")
        return Parsed(float(raw))
    if isinstance(raw, datetime | date | timedelta):
        return Parsed(None, "not-a-number")
    text = clean_text(raw)
    if text is None:
        return BLANK
    text = text.replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        european = _european(text)
        return Parsed(None, "decimal-comma" if european is not None else "not-a-number")
    value = float(text)
    if math.isinf(value):  # `1e400` overflows to infinity: no figure a board can read
        return Parsed(None, "not-a-number")
    if negative:
        value = -value
    if percent:
        return Parsed(value / 100.0, from_percent_text=True)
    return Parsed(value)


def european_number(raw: Any) -> str:
    """What a European-style number means, as the submitter should type it: `12.345,5` ->
    "12345.5", `42,5%` -> "42.5%"; "" when `raw` is not written that way."""
    text = clean_text(raw)
    if text is None:
        return ""
    text = text.replace(" ", "")
    percent = text.endswith("%")
    value = _european(text.rstrip("%"))
    if value is None:
        return ""
    shown = f"{value:.15g}"
    return f"{shown}%" if percent else shown


def _european(text: str) -> float | None:
    if _EUROPEAN_GROUPED.match(text) or _DECIMAL_COMMA.match(text):
        return float(text.replace(".", "").replace(",", "."))
    return None


DAY_FIRST, MONTH_FIRST = "DMY", "MDY"  # `[organisation] date_order` in scorecard.toml


def parse_date(raw: Any, date_order: str | None = None) -> Parsed:
    """Dates, datetimes, ISO text, day/month/year text, or an Excel serial number.

    Text like `03/11/2026` is read in the organisation's `date_order`; when none is
    configured, a date that reads two ways (both numbers 12 or less) is taken day first
    with the warning `ambiguous-date`, and one that reads one way only (`11/25/2026`) is
    taken that way.
    """
    if raw is None:
        return BLANK
    if isinstance(raw, datetime):
        return Parsed(raw.date())
    if isinstance(raw, date):
        return Parsed(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if isinstance(raw, float) and math.isnan(raw):
            return BLANK
        if 1 <= raw < 2_958_466:  # Excel serials up to 9999-12-31
            return Parsed(EXCEL_EPOCH + timedelta(days=int(raw)))
        return Parsed(None, "not-a-date")
    text = clean_text(raw)
    if text is None:
        return BLANK
    match = _ISO_DATE.match(text)
    if match:
        return _date(int(match[1]), int(match[2]), int(match[3]))
    match = _DMY_DATE.match(text)
    if not match:
        return Parsed(None, "not-a-date")
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    if date_order == MONTH_FIRST:
        return _date(year, first, second)
    if date_order == DAY_FIRST or first > 12:
        return _date(year, second, first)
    if second > 12:  # 11/25/2026 can only be month first
        return _date(year, first, second)
    parsed = _date(year, second, first)
    return Parsed(parsed.value, "ambiguous-date") if first != second and parsed.value else parsed


def date_readings(raw: Any) -> dict[str, str]:
    """Both readings of an ambiguous `03/11/2026`: what `ambiguous-date` names."""
    match = _DMY_DATE.match(clean_text(raw) or "")
    if not match:
        return {"read": "", "other": "", "iso": ""}
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    read, other = date(year, second, first), date(year, first, second)
    return {
        "read": f"{read.day} {read:%B %Y}",
        "other": f"{other.day} {other:%B %Y}",
        "iso": read.isoformat(),
    }


def _date(year: int, month: int, day: int) -> Parsed:
    try:
        return Parsed(date(year, month, day))
    except ValueError:
        return Parsed(None, "not-a-date")


def normalise_choice(raw: Any, choices: tuple[str, ...]) -> Parsed:
    """Case- and space-tolerant match against an enumeration: `higher is better ` is fine."""
    text = clean_text(raw)
    if text is None:
        return BLANK
    folded = text.casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return Parsed(choice)
    # Unknown values pass through; the schema's list check reports them with the cell.
    return Parsed(text)


def parse_ids(raw: Any) -> Parsed:
    """`CORP-F1, corp-c2` -> ('CORP-F1', 'CORP-C2'); blank -> ().

    Upper-cased like every ID column, so a reference matches whatever case it was typed in.
    """
    text = clean_text(raw)
    if text is None:
        return Parsed(())
    parts = [p.strip().upper() for p in re.split(r"[,;\n]", text)]
    return Parsed(tuple(p for p in parts if p))
