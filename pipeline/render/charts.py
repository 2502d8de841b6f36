"""Numbers in, inline SVG charts out: sparklines, progress bars, score tiles, the strategy
map and the headline KPI charts (12 fiscal months on labelled axes).

Pure string building, no I/O and no plotting library: every chart is SVG that WeasyPrint
draws as vectors. Text that reaches a chart (objective and KPI names) is escaped here;
colours come only from the status palette (`pipeline.vocabulary.STATUS_STYLES`) or from a
checked `#rrggbb` value, never from workbook text.

Accessibility: every chart is `role="img"` with an `aria-label` and a `<title>` first child
saying in words what it shows ("Score 82%, Amber"); WeasyPrint's tagged PDF (PDF/UA) takes
the `<title>` as the figure's alternate text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from pipeline.render.format import fmt_number, fmt_score, fmt_value, unit_kind
from pipeline.vocabulary import STATUS_STYLES, Status, StatusStyle, as_status

FONT = "DejaVu Sans, sans-serif"

NEUTRAL = "#1f3a5f"
TRACK = "#e3e6ea"
INK = "#1d2430"
MUTED = "#6b7280"

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def colour(value: str | None, default: str = NEUTRAL) -> str:
    """A `#rrggbb` colour, or `default` for anything else (nothing else reaches SVG or CSS)."""
    return value if isinstance(value, str) and _HEX.match(value) else default


def status_style(status: str) -> StatusStyle:
    """The palette entry of a status word (anything else is No data): colour, fill, ink,
    symbol; every status has a symbol too, so a black-and-white print still reads."""
    return STATUS_STYLES[as_status(status)]


def status_colour(status: str) -> str:
    return status_style(status).colour


def _n(x: float) -> str:
    """A coordinate with at most two decimals (short, stable SVG text)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _svg(width: float, height: float, body: str, css_class: str, label: str) -> Markup:
    """The chart as an image with a text alternative: `role="img"`, `aria-label` and a
    `<title>` first child (the PDF's /Alt), all saying `label` in words."""
    text = escape(" ".join(label.split()) or "Chart")
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'role="img" aria-label="{text}"><title>{text}</title>{body}</svg>'
    )


# --- text alternatives ----------------------------------------------------------------------


def _join(items: Sequence[str]) -> str:
    """Words as a list in prose: a; a and b; a, b and c."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _span(months: Sequence[str], first: int, last: int) -> str:
    """The months from `first` to `last` in words: "January to October 2026" from full
    month labels ("January 2026", ...), or "months 1 to 10 of the fiscal year" without."""
    if not months or last >= len(months):
        if first == last:
            return f"month {first + 1} of the fiscal year"
        return f"months {first + 1} to {last + 1} of the fiscal year"
    a, b = months[first], months[last]
    if first == last:
        return a
    a_month, _, a_year = a.rpartition(" ")
    b_year = b.rpartition(" ")[2]
    return f"{a_month if a_year == b_year and a_month else a} to {b}"


def describe_series(
    name: str,
    series: Sequence[float | None],
    unit: str = "",
    *,
    months: Sequence[str] = (),
    target: str = "",
    red: str = "",
    status: str = "",
) -> str:
    """A 12-month series in words: "Group revenue, January to October 2026: EUR 11,603,000
    to EUR 12,708,000 (low ..., high ...); no figure for March; target ..., red at ...".

    `months` are full month labels for the series' positions ("January 2026"); `target` and
    `red` are already in words ("EUR 12,333,333 a month").
    """
    values = [float(v) if _finite(v) else None for v in series]
    known = [i for i, v in enumerate(values) if v is not None]
    head = name or "Monthly values"
    if not known:
        text = f"{head}: no figures reported this year"
    else:
        first, last = known[0], known[-1]

        def fmt(i: int) -> str:
            return fmt_value(values[i], unit)

        text = f"{head}, {_span(months, first, last)}: "
        text += fmt(first) if first == last else f"{fmt(first)} to {fmt(last)}"
        low = min(known, key=lambda i: values[i])  # type: ignore[arg-type, return-value]
        high = max(known, key=lambda i: values[i])  # type: ignore[arg-type, return-value]
        extremes = [
            f"{word} {fmt(i)}"
            for word, i in (("low", low), ("high", high))
            if fmt(i) not in (fmt(first), fmt(last))
        ]
        if extremes:
            text += f" ({', '.join(extremes)})"
        gaps = [i for i in range(first, last) if values[i] is None]
        if gaps:
            names = [
                months[i].rpartition(" ")[0] or months[i] if months else f"month {i + 1}"
                for i in gaps
            ]
            text += f"; no figure for {_join(names)}"
    extra = [t for t in (f"target {target}" if target else "", f"red at {red}" if red else "") if t]
    if extra:
        text += ", " + ", ".join(extra)
    if status:
        text += f"; status {status}"
    return text


# --- sparkline ------------------------------------------------------------------------------


def _filled_runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of consecutive non-blank values: a line is drawn within a run, never across
    a blank month (a blank is not zero)."""
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def sparkline(
    series: Sequence[float | None],
    target: float | tuple[float, float] | None = None,
    *,
    width: float = 72,
    height: float = 20,
    status: str = Status.NO_DATA,
    current: int | None = None,
    unit: str = "",
    name: str = "",
) -> Markup:
    """A 12-month line with gaps left as gaps, a dashed target line (or a band for a range).

    `series` holds one value per fiscal month (None or NaN = blank); `current` is the index
    of the reporting month, marked with a dot in the status colour (default: the last value).
    `unit` and `name` (the KPI's) word the text alternative: "Group revenue, months 1 to 10
    of the fiscal year: EUR 11,603,000 to EUR 12,708,000, target EUR 12,333,333".
    """
    values = [float(v) if _finite(v) else None for v in series]
    n = max(len(values), 2)
    pad_x, pad_y = 2.5, 3.0
    band: tuple[float, float] | None = None
    line: float | None = None
    if isinstance(target, tuple):
        low, high = target
        if _finite(low) and _finite(high):
            band = (min(low, high), max(low, high))
        elif _finite(low):
            line = float(low)
    elif _finite(target):
        line = float(target)  # type: ignore[arg-type]
    known = [v for v in values if v is not None]
    if band is not None:
        target_words = f"{fmt_value(band[0], unit)} to {fmt_value(band[1], unit)}"
    else:
        target_words = fmt_value(line, unit) if line is not None else ""
    label = describe_series(name or "12-month trend", values, unit, target=target_words)
    scale_values = known + ([line] if line is not None else []) + (list(band) if band else [])
    if not scale_values:
        body = (
            f'<line x1="{_n(pad_x)}" y1="{_n(height / 2)}" x2="{_n(width - pad_x)}" '
            f'y2="{_n(height / 2)}" stroke="{TRACK}" stroke-width="1" stroke-dasharray="2 2"/>'
        )
        return _svg(width, height, body, "spark", label)
    lo, hi = min(scale_values), max(scale_values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1

    def x(i: int) -> float:
        return pad_x + i * (width - 2 * pad_x) / (n - 1)

    def y(v: float) -> float:
        return height - pad_y - (v - lo) / (hi - lo) * (height - 2 * pad_y)

    parts: list[str] = []
    if band is not None:
        top, bottom = y(band[1]), y(band[0])
        parts.append(
            f'<rect x="{_n(pad_x)}" y="{_n(top)}" width="{_n(width - 2 * pad_x)}" '
            f'height="{_n(max(bottom - top, 0.8))}" fill="#dfe7df"/>'
        )
    if line is not None:
        parts.append(
            f'<line x1="{_n(pad_x)}" y1="{_n(y(line))}" x2="{_n(width - pad_x)}" '
            f'y2="{_n(y(line))}" stroke="{MUTED}" stroke-width="0.8" stroke-dasharray="2 1.5"/>'
        )
    runs = _filled_runs(values)
    for run in runs:
        if len(run) == 1:
            i = run[0]
            parts.append(f'<circle cx="{_n(x(i))}" cy="{_n(y(values[i]))}" r="1.1" fill="{INK}"/>')
        else:
            points = " ".join(f"{_n(x(i))},{_n(y(values[i]))}" for i in run)  # type: ignore[arg-type]
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="1.1" '
                f'stroke-linejoin="round" stroke-linecap="round"/>'
            )
    mark = current if current is not None else (max(i for r in runs for i in r) if runs else None)
    if mark is not None and 0 <= mark < len(values) and values[mark] is not None:
        parts.append(
            f'<circle cx="{_n(x(mark))}" cy="{_n(y(values[mark]))}" r="2" '
            f'fill="{status_colour(status)}" stroke="#ffffff" stroke-width="0.6"/>'
        )
    return _svg(width, height, "".join(parts), "spark", label)


# --- progress bar ---------------------------------------------------------------------------


def clamp01(value: float | None) -> float | None:
    """Clamp to 0..1; None for blank or NaN."""
    if not _finite(value):
        return None
    return max(0.0, min(1.0, float(value)))  # type: ignore[arg-type]


def progress_bar(
    value: float | None,
    expected: float | None = None,
    *,
    width: float = 80,
    height: float = 8,
    fill: str | None = None,
    label: str = "",
) -> Markup:
    """A bar filled to `value` (clamped to 0..1) with a tick at `expected` progress.

    A blank value draws an empty dashed track: no data is never drawn as zero progress.
    The text alternative is `label`, or "Progress 40%, 50% expected by now" in words.
    """
    v = clamp01(value)
    e = clamp01(expected)
    radius = height / 2
    parts = []
    if v is None:
        parts.append(
            f'<rect x="0.5" y="0.5" width="{_n(width - 1)}" height="{_n(height - 1)}" '
            f'rx="{_n(radius)}" fill="#ffffff" stroke="{MUTED}" stroke-width="0.6" '
            f'stroke-dasharray="2 1.5"/>'
        )
    else:
        parts.append(
            f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" rx="{_n(radius)}" '
            f'fill="{TRACK}"/>'
        )
        if v > 0:
            parts.append(
                f'<rect class="fill" x="0" y="0" width="{_n(max(v * width, height))}" '
                f'height="{_n(height)}" rx="{_n(radius)}" fill="{colour(fill)}"/>'
            )
    if e is not None:
        ex = min(max(e * width, 0.8), width - 0.8)
        parts.append(
            f'<line class="expected" x1="{_n(ex)}" y1="0" x2="{_n(ex)}" y2="{_n(height)}" '
            f'stroke="{INK}" stroke-width="1.2"/>'
        )
    if not label:
        said = "Progress not reported" if not _finite(value) else f"Progress {fmt_score(value)}"
        label = said + (f", {fmt_score(expected)} expected by now" if e is not None else "")
    return _svg(width, height, "".join(parts), "bar", label)


# --- score tile gauge -----------------------------------------------------------------------


def tile(score: float | None, status: str, *, size: float = 54, text: str = "") -> Markup:
    """A ring gauge: the share of the ring filled is the score, in the status colour.

    `text` is the score as the page prints it beside the gauge (`fmt_score` with the
    status's thresholds); the text alternative reads "Score 82%, Amber".
    """
    s = clamp01(score)
    stroke = size * 0.13
    r = (size - stroke) / 2
    c = size / 2
    parts = [
        f'<circle cx="{_n(c)}" cy="{_n(c)}" r="{_n(r)}" fill="none" stroke="{TRACK}" '
        f'stroke-width="{_n(stroke)}"/>'
    ]
    if s is not None and s > 0:
        if s >= 0.9999:
            parts.append(
                f'<circle cx="{_n(c)}" cy="{_n(c)}" r="{_n(r)}" fill="none" '
                f'stroke="{status_colour(status)}" stroke-width="{_n(stroke)}"/>'
            )
        else:
            angle = 2 * math.pi * s
            x1, y1 = c, c - r
            x2, y2 = c + r * math.sin(angle), c - r * math.cos(angle)
            large = 1 if s > 0.5 else 0
            parts.append(
                f'<path d="M{_n(x1)} {_n(y1)} A{_n(r)} {_n(r)} 0 {large} 1 {_n(x2)} {_n(y2)}" '
                f'fill="none" stroke="{status_colour(status)}" stroke-width="{_n(stroke)}" '
                f'stroke-linecap="butt"/>'
            )
    symbol = status_style(status).symbol
    parts.append(
        f'<text x="{_n(c)}" y="{_n(c + size * 0.1)}" text-anchor="middle" '
        f'font-family="{FONT}" font-size="{_n(size * 0.3)}" '
        f'fill="{status_colour(status)}">{symbol}</text>'
    )
    word = as_status(status)
    shown = text or fmt_score(score)
    label = f"Score {shown}, {word}" if _finite(score) else f"No score this month ({word})"
    return _svg(size, size, "".join(parts), "gauge", label)


# --- strategy map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapObjective:
    """One box on the strategy map. `caption` is the status line (e.g. "● Green · 92%")."""

    id: str
    label: str
    perspective: str
    status: str
    caption: str = ""


@dataclass(frozen=True)
class Box:
    id: str
    lane: int  # 0 = top lane
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    lanes: tuple[tuple[str, float, float], ...]  # (perspective, top, height), top lane first
    boxes: dict[str, Box]
    links: tuple[tuple[str, str], ...]  # (cause, effect) pairs that are drawn


MAP_WIDTH = 720.0
_LABEL_W = 92.0
_GAP = 22.0
_LANE_PAD = 20.0
_FONT_PX = 9.0
_LINE_H = 11.0
_CHAR_W = 0.58 * _FONT_PX  # DejaVu Sans runs wide: a conservative average advance


def wrap(text: str, max_chars: int, max_lines: int = 3) -> tuple[str, ...]:
    """Greedy word wrap; the last line ends in an ellipsis when the text does not fit."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > max_chars:  # a very long word: hard-break it
            if current:
                lines.append(current)
                current = ""
            lines.append(word[: max_chars - 1] + "-")
            word = word[max_chars - 1 :]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= max_chars:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        kept[-1] = (last[: max_chars - 1].rstrip() if len(last) >= max_chars else last) + "…"
        lines = kept
    return tuple(lines) or ("",)


def layout_strategy_map(
    objectives: Sequence[MapObjective],
    links: Sequence[tuple[str, str]],
    lanes: Sequence[str],
    width: float = MAP_WIDTH,
) -> MapLayout:
    """Place objectives in perspective lanes (first lane on top), ordered to untangle links.

    Objectives whose perspective is not a lane go to a last lane, "Other". Only links whose
    two ends are on the map are kept.
    """
    lane_names = list(lanes)
    if any(o.perspective not in lane_names for o in objectives):
        lane_names.append("Other")
    lane_of = {
        o.id: lane_names.index(o.perspective if o.perspective in lane_names else "Other")
        for o in objectives
    }
    by_id = {o.id: o for o in objectives}
    kept = tuple(dict.fromkeys((a, b) for a, b in links if a in by_id and b in by_id and a != b))
    members: list[list[str]] = [[] for _ in lane_names]
    for o in objectives:
        members[lane_of[o.id]].append(o.id)

    neighbours: dict[str, list[str]] = {o.id: [] for o in objectives}
    for a, b in kept:
        neighbours[a].append(b)
        neighbours[b].append(a)

    # Barycentre sweeps: order each lane by the mean slot position of its linked boxes.
    def positions() -> dict[str, float]:
        pos = {}
        for ids in members:
            for i, oid in enumerate(ids):
                pos[oid] = (i + 0.5) / max(len(ids), 1)
        return pos

    for _ in range(4):
        for lane in [*range(len(members)), *reversed(range(len(members)))]:
            pos = positions()
            ids = members[lane]

            def key(oid: str, pos: dict[str, float] = pos, ids: list[str] = ids) -> tuple:
                linked = [pos[n] for n in neighbours[oid] if lane_of[n] != lane_of[oid]]
                centre = sum(linked) / len(linked) if linked else pos[oid]
                return (centre, ids.index(oid))

            members[lane] = sorted(ids, key=key)

    inner_w = width - _LABEL_W - _GAP
    max_count = max((len(m) for m in members), default=1) or 1
    box_w = min(170.0, (inner_w - (max_count - 1) * _GAP) / max_count)
    max_chars = max(8, int((box_w - 12) / _CHAR_W))
    wrapped = {o.id: wrap(o.label, max_chars) for o in objectives}

    boxes: dict[str, Box] = {}
    lane_rows: list[tuple[str, float, float]] = []
    top = 0.0
    for lane, ids in enumerate(members):
        lines = max((len(wrapped[i]) for i in ids), default=1)
        box_h = 10 + lines * _LINE_H + 14  # text lines + the status caption
        lane_h = box_h + 2 * _LANE_PAD
        for i, oid in enumerate(ids):
            slot = inner_w / len(ids)
            cx = _LABEL_W + _GAP + slot * (i + 0.5)
            boxes[oid] = Box(oid, lane, cx - box_w / 2, top + _LANE_PAD, box_w, box_h, wrapped[oid])
        lane_rows.append((lane_names[lane], top, lane_h))
        top += lane_h
    return MapLayout(width, top, tuple(lane_rows), boxes, kept)


def _arrowhead(x: float, y: float, pointing: str) -> str:
    """A small filled triangle with its tip at (x, y)."""
    s = 4.2
    if pointing == "up":
        pts = [(x, y), (x - s * 0.75, y + s * 1.4), (x + s * 0.75, y + s * 1.4)]
    elif pointing == "down":
        pts = [(x, y), (x - s * 0.75, y - s * 1.4), (x + s * 0.75, y - s * 1.4)]
    elif pointing == "left":
        pts = [(x, y), (x + s * 1.4, y - s * 0.75), (x + s * 1.4, y + s * 0.75)]
    else:
        pts = [(x, y), (x - s * 1.4, y - s * 0.75), (x - s * 1.4, y + s * 0.75)]
    return " ".join(f"{_n(a)},{_n(b)}" for a, b in pts)


def strategy_map(
    objectives: Sequence[MapObjective],
    links: Sequence[tuple[str, str]],
    *,
    lanes: Sequence[str],
    accent: str = NEUTRAL,
    width: float = MAP_WIDTH,
) -> Markup:
    """The strategy map as SVG: one lane per perspective, one box per objective, one arrow
    per cause -> effect link (`links` are (cause, effect) pairs: a "Contributes to" link).
    """
    layout = layout_strategy_map(objectives, links, lanes, width)
    by_id = {o.id: o for o in objectives}
    parts: list[str] = []
    for i, (name, top, h) in enumerate(layout.lanes):
        fill = "#f5f6f8" if i % 2 == 0 else "#ffffff"
        parts.append(
            f'<rect x="0" y="{_n(top)}" width="{_n(layout.width)}" height="{_n(h)}" fill="{fill}"/>'
        )
        parts.append(
            f'<rect x="0" y="{_n(top)}" width="4" height="{_n(h)}" fill="{colour(accent)}"/>'
        )
        label = wrap(name, 14, 2)
        first = top + h / 2 - (len(label) - 1) * _LINE_H / 2 + 3.5
        for j, text in enumerate(label):
            parts.append(
                f'<text x="12" y="{_n(first + j * _LINE_H)}" font-family="{FONT}" '
                f'font-size="9.5" font-weight="bold" fill="{INK}">{escape(text)}</text>'
            )
    if layout.lanes:
        parts.append(
            "".join(
                f'<line x1="0" y1="{_n(top)}" x2="{_n(layout.width)}" y2="{_n(top)}" '
                f'stroke="#d5d9df" stroke-width="0.6"/>'
                for _, top, _ in layout.lanes[1:]
            )
        )

    # Ports: spread the arrows leaving or entering one side of a box along that side.
    ends: dict[tuple[str, str], list[tuple[float, int]]] = {}
    routes = []
    for k, (cause, effect) in enumerate(layout.links):
        a, b = layout.boxes[cause], layout.boxes[effect]
        if a.lane > b.lane:
            sides = ("top", "bottom")
        elif a.lane < b.lane:
            sides = ("bottom", "top")
        else:
            sides = ("right", "left") if a.x < b.x else ("left", "right")
        routes.append((k, a, b, sides))
        ends.setdefault((a.id, sides[0]), []).append((b.x, k))
        ends.setdefault((b.id, sides[1]), []).append((a.x, k))

    def port(box: Box, side: str, k: int) -> tuple[float, float]:
        order = [kk for _, kk in sorted(ends[(box.id, side)])]
        frac = (order.index(k) + 1) / (len(order) + 1)
        if side == "top":
            return box.x + box.w * frac, box.y
        if side == "bottom":
            return box.x + box.w * frac, box.y + box.h
        y = box.y + box.h * frac
        return (box.x + box.w, y) if side == "right" else (box.x, y)

    for k, a, b, sides in routes:
        x1, y1 = port(a, sides[0], k)
        x2, y2 = port(b, sides[1], k)
        downward = sides == ("bottom", "top")
        dash = ' stroke-dasharray="4 3"' if downward else ""
        tip = 6.0
        if sides[0] in ("top", "bottom"):
            pointing = "up" if sides[0] == "top" else "down"
            end_y = y2 + tip if pointing == "up" else y2 - tip
            mid = (y1 + end_y) / 2
            d = f"M{_n(x1)} {_n(y1)} C{_n(x1)} {_n(mid)} {_n(x2)} {_n(mid)} {_n(x2)} {_n(end_y)}"
        else:
            pointing = "right" if sides[0] == "right" else "left"
            end_x = x2 - tip if pointing == "right" else x2 + tip
            lo, hi = sorted((a.x, b.x))
            between = any(box.lane == a.lane and lo < box.x < hi for box in layout.boxes.values())
            if between:  # arc over the boxes in between
                mid = (x1 + end_x) / 2
                bend = min(a.y, b.y) - _LANE_PAD + 2
                d = (
                    f"M{_n(x1)} {_n(y1)} C{_n(mid)} {_n(bend)} {_n(mid)} {_n(bend)} "
                    f"{_n(end_x)} {_n(y2)}"
                )
            else:  # neighbours: a straight arrow across the gap
                y2 = y1 = (y1 + y2) / 2
                d = f"M{_n(x1)} {_n(y1)} L{_n(end_x)} {_n(y2)}"
        parts.append(
            f'<g class="link"><path d="{d}" fill="none" stroke="{MUTED}" stroke-width="1.2"'
            f'{dash}/><polygon points="{_arrowhead(x2, y2, pointing)}" fill="{MUTED}"/></g>'
        )

    for oid, box in layout.boxes.items():
        o = by_id[oid]
        style = status_style(o.status)
        edge = style.colour
        parts.append(
            f'<g class="objective"><rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" '
            f'height="{_n(box.h)}" rx="5" fill="{style.fill}" '
            f'stroke="{edge}" stroke-width="1.4"/>'
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="5" height="{_n(box.h)}" rx="2" '
            f'fill="{edge}"/>'
        )
        for j, text in enumerate(box.lines):
            parts.append(
                f'<text x="{_n(box.x + 10)}" y="{_n(box.y + 14 + j * _LINE_H)}" '
                f'font-family="{FONT}" font-size="{_n(_FONT_PX)}" fill="{INK}">'
                f"{escape(text)}</text>"
            )
        caption = o.caption or o.status
        parts.append(
            f'<text x="{_n(box.x + 10)}" y="{_n(box.y + box.h - 7)}" font-family="{FONT}" '
            f'font-size="8" font-weight="bold" fill="{style.ink}">'
            f"{escape(caption)}</text>"
        )
        parts.append(
            f'<text x="{_n(box.x + box.w - 6)}" y="{_n(box.y + box.h - 7)}" '
            f'text-anchor="end" font-family="{FONT}" font-size="7" fill="{MUTED}">'
            f"{escape(oid)}</text></g>"
        )
    return _svg(
        layout.width, layout.height, "".join(parts), "strategy-map", _map_label(objectives, layout)
    )


def _map_label(objectives: Sequence[MapObjective], layout: MapLayout) -> str:
    """The strategy map in words: lanes top down, each objective with its status."""
    by_lane: dict[int, list[str]] = {}
    for o in objectives:
        box = layout.boxes[o.id]
        caption = o.caption or o.status
        for style in STATUS_STYLES.values():
            caption = caption.removeprefix(style.symbol)
        caption = caption.strip().replace(" · ", ", ")
        by_lane.setdefault(box.lane, []).append(f"{o.label} ({caption})")
    lanes = "; ".join(
        f"{name}: {', '.join(by_lane[i])}"
        for i, (name, _, _) in enumerate(layout.lanes)
        if i in by_lane
    )
    links = len(layout.links)
    return (
        f"Strategy map, {len(objectives)} objective{'s' if len(objectives) != 1 else ''} "
        f"in {len(layout.lanes)} perspective{'s' if len(layout.lanes) != 1 else ''}, top to "
        f"bottom. {lanes}. {links} arrow{'s' if links != 1 else ''} from cause to effect, "
        "listed in the table below."
    )


# --- headline KPI chart ---------------------------------------------------------------------

CHART_WIDTH = 320.0
CHART_HEIGHT = 176.0
COLUMN = "#8da2bf"  # a lighter NEUTRAL: monthly columns; the reporting month's is in its status
GRID = "#dde1e6"
_PLOT_LEFT = 40.0  # y tick labels
_PLOT_RIGHT = 34.0  # the "Target" and "Red" line labels
_PLOT_TOP = 16.0  # the unit caption and the reporting month's value
_PLOT_BOTTOM = 16.0  # month labels
_AXIS_FONT = 8.0


@dataclass(frozen=True)
class Scale:
    """A value axis: `lo` at the bottom of the plot, `hi` at the top, gridlines at `ticks`."""

    lo: float
    hi: float
    ticks: tuple[float, ...]
    step: float


def _tidy(x: float) -> float:
    """x without float noise (0.30000000000000004 -> 0.3), so tick labels print clean."""
    return float(f"{x:.12g}") + 0.0


def _nice_step(span: float, intervals: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `intervals` gaps."""
    raw = span / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5):
        if raw <= m * magnitude * (1 + 1e-9):
            return _tidy(m * magnitude)
    return _tidy(10 * magnitude)


def chart_scale(values: Sequence[float | None], *, zero: bool = False) -> Scale:
    """Round gridlines covering every finite value, and 0 when `zero` (columns start there).

    A little headroom is kept, so a line at the highest or lowest value never hides in the
    frame or the x axis."""
    finite = [float(v) for v in values if _finite(v)]  # type: ignore[arg-type]
    if zero:
        finite.append(0.0)
    if not finite:
        return Scale(0.0, 1.0, (0.0, 0.25, 0.5, 0.75, 1.0), 0.25)
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = (lo, hi + pad) if zero and lo == 0 else (lo - pad, hi + pad)
    room = (hi - lo) * 0.04  # headroom, never across zero
    lo = lo - room if lo < 0 or lo - room >= 0 else 0.0
    hi = hi + room if hi > 0 or hi + room <= 0 else 0.0
    step = _nice_step(hi - lo)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    ticks = tuple(_tidy(i * step) for i in range(first, last + 1))
    return Scale(ticks[0], ticks[-1], ticks, step)


def _decimals(step: float) -> int:
    """The fewest decimals (0 to 6) that print `step` exactly: 0.5 -> 1, 2.5 -> 1, 5 -> 0."""
    for d in range(7):
        if abs(round(step, d) - step) <= 1e-9 * max(1.0, abs(step)):
            return d
    return 6


def tick_format(scale: Scale, unit: str) -> tuple[list[str], str]:
    """The y tick labels, unit-aware, and the axis caption (the unit, when not in the labels).

    Percent: "12.5%"; large numbers shortened: "12.5m", "850k", "1.2bn" (caption "EUR" for a
    currency), zero as "0"; decimals as many as the step needs; a true minus sign.
    """
    kind = unit_kind(unit)
    if kind == "percent":
        step = scale.step * 100
        labels = [fmt_number(t * 100, _decimals(step)) + "%" for t in scale.ticks]
        return labels, ""
    biggest = max(abs(scale.lo), abs(scale.hi))
    div, suffix = next(
        ((d, s) for d, s in ((1e9, "bn"), (1e6, "m"), (1e4, "k")) if biggest >= d), (1.0, "")
    )
    decimals = _decimals(_tidy(scale.step / div))
    labels = [fmt_number(t / div, decimals) + suffix if t else "0" for t in scale.ticks]
    caption = "" if kind in ("count", "none") else unit.strip()
    return labels, caption


def short_value(x: float, unit: str) -> str:
    """A value as a chart prints it beside a point: "EUR 12.7m", "850k", else as `fmt_value`."""
    kind = unit_kind(unit)
    if kind == "percent" or abs(x) < 1e4:
        return fmt_value(x, unit)
    div, suffix = next((d, s) for d, s in ((1e9, "bn"), (1e6, "m"), (1e3, "k")) if abs(x) >= d)
    number = fmt_number(x / div, 2 if abs(x / div) < 10 else 1, strip=True) + suffix
    if kind == "currency":
        return f"{unit.strip()} {number}"
    return number if kind in ("count", "none", "score", "ratio") else f"{number} {unit.strip()}"


def _reference(value: float | tuple[float, float] | None) -> tuple[float, ...]:
    """A target or red threshold as its finite line values: one, or two for a range."""
    if isinstance(value, tuple):
        return tuple(float(v) for v in value if _finite(v))
    return (float(value),) if _finite(value) else ()  # type: ignore[arg-type]


def _spread(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Label positions near `ys` (in order) at least `gap` apart, kept within lo..hi."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [ys[i] for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + gap)
    overflow = placed[-1] - hi if placed else 0
    if overflow > 0:
        placed = [max(lo, y - overflow) for y in placed]
        for k in range(1, len(placed)):
            placed[k] = max(placed[k], placed[k - 1] + gap)
    result = [0.0] * len(ys)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


def kpi_chart(
    series: Sequence[float | None],
    *,
    months: Sequence[str],
    label: str,
    unit: str = "",
    target: float | tuple[float, float] | None = None,
    red: float | tuple[float, float] | None = None,
    current: int | None = None,
    status: str = Status.NO_DATA,
    columns: bool = False,
    width: float = CHART_WIDTH,
    height: float = CHART_HEIGHT,
) -> Markup:
    """A KPI's fiscal year, month by month, on labelled axes.

    `series` has one value per fiscal month (None or NaN: no figure, drawn as a gap, never
    as zero); `months` are the fiscal months' full labels ("January 2026"), shown as "Jan".
    Columns (for KPIs that add up over the year) or a line with a dot per month; `target`
    as a dashed green line (a shaded band between two lines for a range), `red` as a dotted
    red line (two for a range), each labelled at the right; the reporting month `current`
    shaded, its label bold and its value printed in the status colour. `label` is the text
    alternative (see `describe_series`).
    """
    values = [float(v) if _finite(v) else None for v in series]  # type: ignore[arg-type]
    n = max(len(months), len(values), 1)
    targets, reds = _reference(target), _reference(red)
    scale = chart_scale([*values, *targets, *reds], zero=columns)
    left, right = _PLOT_LEFT, width - _PLOT_RIGHT
    top, bottom = _PLOT_TOP, height - _PLOT_BOTTOM
    slot = (right - left) / n
    style = status_style(status)

    def x(i: int) -> float:
        return left + (i + 0.5) * slot

    def y(v: float) -> float:
        return bottom - (v - scale.lo) / (scale.hi - scale.lo) * (bottom - top)

    parts: list[str] = []
    if current is not None and 0 <= current < n:
        parts.append(
            f'<rect class="current" x="{_n(left + current * slot)}" y="{_n(top)}" '
            f'width="{_n(slot)}" height="{_n(bottom - top)}" fill="#eef1f5"/>'
        )
    tick_labels, caption = tick_format(scale, unit)
    for t, text in zip(scale.ticks, tick_labels, strict=True):
        parts.append(
            f'<line class="grid" x1="{_n(left)}" y1="{_n(y(t))}" x2="{_n(right)}" '
            f'y2="{_n(y(t))}" stroke="{GRID}" stroke-width="{"1" if t == 0 else "0.6"}"/>'
            f'<text class="tick" x="{_n(left - 4)}" y="{_n(y(t) + 2.8)}" text-anchor="end" '
            f'font-family="{FONT}" font-size="{_n(_AXIS_FONT)}" fill="{MUTED}">'
            f"{escape(text)}</text>"
        )
    if caption:
        parts.append(
            f'<text class="unit" x="{_n(left - 4)}" y="9" text-anchor="end" font-family="{FONT}" '
            f'font-size="{_n(_AXIS_FONT)}" fill="{MUTED}">{escape(caption)}</text>'
        )
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" '
        f'stroke="{MUTED}" stroke-width="0.8"/>'
    )
    for i in range(n):
        word = months[i].split(" ")[0][:3] if i < len(months) else str(i + 1)
        look = f'fill="{INK}" font-weight="bold"' if i == current else f'fill="{MUTED}"'
        parts.append(
            f'<text class="month" x="{_n(x(i))}" y="{_n(height - 4)}" text-anchor="middle" '
            f'font-family="{FONT}" font-size="{_n(_AXIS_FONT)}" {look}>{escape(word)}</text>'
        )

    if columns:
        base = y(max(scale.lo, min(0.0, scale.hi)))
        bar_w = slot * 0.62
        for i, v in enumerate(values):
            if v is None:
                continue
            top_y = y(v)
            fill = style.colour if i == current else COLUMN
            parts.append(
                f'<rect class="bar" x="{_n(x(i) - bar_w / 2)}" y="{_n(min(top_y, base))}" '
                f'width="{_n(bar_w)}" height="{_n(max(abs(base - top_y), 0.6))}" '
                f'fill="{fill}"/>'
            )

    # target (a band for a range) and red threshold, each labelled at the right end
    line_labels: list[tuple[float, str, str]] = []
    if len(targets) == 2:
        high, low = y(max(targets)), y(min(targets))
        parts.append(
            f'<rect class="target-band" x="{_n(left)}" y="{_n(high)}" width="{_n(right - left)}" '
            f'height="{_n(max(low - high, 0.8))}" fill="{STATUS_STYLES[Status.GREEN].fill}" '
            f'fill-opacity="0.8"/>'
        )
    green = STATUS_STYLES[Status.GREEN]
    for t in targets:
        parts.append(
            f'<line class="target" x1="{_n(left)}" y1="{_n(y(t))}" x2="{_n(right)}" '
            f'y2="{_n(y(t))}" stroke="{green.colour}" stroke-width="1.3" '
            f'stroke-dasharray="5 3"/>'
        )
    if targets:
        line_labels.append((sum(y(t) for t in targets) / len(targets), "Target", green.ink))
    red_style = STATUS_STYLES[Status.RED]
    for r in reds:
        parts.append(
            f'<line class="red-line" x1="{_n(left)}" y1="{_n(y(r))}" x2="{_n(right)}" '
            f'y2="{_n(y(r))}" stroke="{red_style.colour}" stroke-width="1.3" '
            f'stroke-dasharray="1.6 2.2"/>'
        )
        line_labels.append((y(r), "Red", red_style.ink))
    if line_labels:
        spots = _spread([yy for yy, _, _ in line_labels], _AXIS_FONT + 1, top, bottom)
        for (_, text, ink), spot in zip(line_labels, spots, strict=True):
            parts.append(
                f'<text class="line-label" x="{_n(right + 3)}" y="{_n(spot + 2.8)}" '
                f'font-family="{FONT}" font-size="{_n(_AXIS_FONT)}" font-weight="bold" '
                f'fill="{ink}">{text}</text>'
            )

    if not columns:
        for run in _filled_runs(values):
            if len(run) > 1:
                points = " ".join(f"{_n(x(i))},{_n(y(values[i]))}" for i in run)  # type: ignore[arg-type]
                parts.append(
                    f'<polyline class="actual" points="{points}" fill="none" stroke="{NEUTRAL}" '
                    f'stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"/>'
                )
        for i, v in enumerate(values):
            if v is not None and i != current:
                parts.append(
                    f'<circle class="point" cx="{_n(x(i))}" cy="{_n(y(v))}" r="1.9" '
                    f'fill="{NEUTRAL}"/>'
                )

    if current is not None and 0 <= current < n:
        v = values[current] if current < len(values) else None
        if v is None:
            parts.append(
                f'<text class="value" x="{_n(x(current))}" y="{_n((top + bottom) / 2)}" '
                f'text-anchor="middle" font-family="{FONT}" font-size="{_n(_AXIS_FONT)}" '
                f'fill="{MUTED}">no figure</text>'
            )
        else:
            if not columns:
                parts.append(
                    f'<circle class="point" cx="{_n(x(current))}" cy="{_n(y(v))}" r="3.4" '
                    f'fill="{style.colour}" stroke="#ffffff" stroke-width="1"/>'
                )
            text = short_value(v, unit)
            text_w = len(text) * (_AXIS_FONT + 0.5) * 0.62
            if not columns and x(current) + 6 + text_w <= right:  # beside the point: the
                anchor, tx, ty = "start", x(current) + 6, y(v) + 3  # later months are blank
            else:  # above the column or point, kept inside the chart
                anchor, tx, ty = "middle", x(current), min(y(v), y(0) if columns else y(v)) - 6
                if tx + text_w / 2 > width - 2:
                    anchor, tx = "end", width - 2
            parts.append(
                f'<text class="value" x="{_n(tx)}" y="{_n(max(ty, _AXIS_FONT + 1))}" '
                f'text-anchor="{anchor}" font-family="{FONT}" font-size="{_n(_AXIS_FONT + 0.5)}" '
                f'font-weight="bold" fill="{style.ink}">{escape(text)}</text>'
            )
    return _svg(width, height, "".join(parts), "kpi-chart", label)
