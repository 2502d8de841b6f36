"""Numbers in, small inline SVG charts out: sparklines, progress bars, score tiles, strategy map.

Pure string building, no I/O and no plotting library: every chart is a few hundred bytes of
SVG that WeasyPrint draws as vectors. Text that reaches a chart (objective names) is escaped
here; colours come only from the status palette (`pipeline.vocabulary.STATUS_STYLES`) or
from a checked `#rrggbb` value, never from workbook text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

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


def _svg(width: float, height: float, body: str, css_class: str, label: str = "") -> Markup:
    aria = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}"'
        f"{aria}>{body}</svg>"
    )


# --- sparkline ------------------------------------------------------------------------------


def sparkline(
    series: Sequence[float | None],
    target: float | tuple[float, float] | None = None,
    *,
    width: float = 72,
    height: float = 20,
    status: str = Status.NO_DATA,
    current: int | None = None,
) -> Markup:
    """A 12-month line with gaps left as gaps, a dashed target line (or a band for a range).

    `series` holds one value per fiscal month (None or NaN = blank); `current` is the index
    of the reporting month, marked with a dot in the status colour (default: the last value).
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
    scale_values = known + ([line] if line is not None else []) + (list(band) if band else [])
    if not scale_values:
        body = (
            f'<line x1="{_n(pad_x)}" y1="{_n(height / 2)}" x2="{_n(width - pad_x)}" '
            f'y2="{_n(height / 2)}" stroke="{TRACK}" stroke-width="1" stroke-dasharray="2 2"/>'
        )
        return _svg(width, height, body, "spark")
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
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
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
    return _svg(width, height, "".join(parts), "spark")


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
) -> Markup:
    """A bar filled to `value` (clamped to 0..1) with a tick at `expected` progress.

    A blank value draws an empty dashed track: no data is never drawn as zero progress.
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
    return _svg(width, height, "".join(parts), "bar")


# --- score tile gauge -----------------------------------------------------------------------


def tile(score: float | None, status: str, *, size: float = 54) -> Markup:
    """A ring gauge: the share of the ring filled is the score, in the status colour."""
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
    return _svg(size, size, "".join(parts), "gauge")


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
    return _svg(layout.width, layout.height, "".join(parts), "strategy-map", "Strategy map")
