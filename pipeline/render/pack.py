"""Scored and validated frames in, the board pack out: a paginated PDF and its HTML twin.

`pack_context` turns the frames into a view model of display strings and inline SVG (pure,
no I/O); `render_html` fills the Jinja templates; `write_pack` lays the HTML out with
WeasyPrint and writes both files atomically.

Safety: workbook text reaches the HTML only as autoescaped text nodes. Colours, CSS classes,
anchors and URLs are chosen by this module from fixed tables (keyed by status) or built
from positions, never from input text. WeasyPrint fetches through `AssetFetcher`, which
serves the project's own static folder and the configured logo, and refuses anything else.
"""

from __future__ import annotations

import base64
import hashlib
import math
import mimetypes
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from pipeline.atomic import replacing, write_text
from pipeline.config import Config
from pipeline.contract import PERSPECTIVES, parse_period, period_end
from pipeline.problems import ERROR, Problem
from pipeline.render import charts
from pipeline.render.charts import STATUS_SYMBOLS
from pipeline.score import (
    DERIVE_AFTER_MONTHS,
    ORG,
    PACE,
    Scored,
    is_blank,
    okr_grade,
    rollup_status,
)
from pipeline.validate import Validated

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ASSET_SCHEME = "scorecard-asset"
LOGO_URL = f"{ASSET_SCHEME}:logo"
ATTENTION_SHOWN = 8  # the executive summary lists this many red KPIs, then "and N more"
TOP_DOWN = tuple(reversed(PERSPECTIVES))  # Financial first, as a board reads a scorecard
TITLE = "Board scorecard pack"

STATUS_CLASSES = {"Green": "green", "Amber": "amber", "Red": "red", "No data": "nodata"}
TRENDS = {
    "up": ("↑", "up on last month"),
    "down": ("↓", "down on last month"),
    "flat": ("→", "unchanged on last month"),
    "new": ("•", "no score last month"),
    "": ("", ""),
}
INITIATIVE_STATUSES = {
    "Done": ("✓", "green"),
    "On track": ("●", "green"),
    "At risk": ("▲", "amber"),
    "Off track": ("■", "red"),
    "Not started": ("○", "nodata"),
}
FRAMEWORKS = {
    "BSC + OKR": "Balanced Scorecard and OKRs",
    "BSC": "Balanced Scorecard only (no OKRs this quarter)",
    "OKR": "OKRs only (no Balanced Scorecard)",
    "None": "No scorecard or OKRs in the submission",
}
MINUS = "−"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class PackPaths:
    """Where the pack was written, and how many pages the PDF has."""

    pdf: Path
    html: Path
    pages: int


# --- formatting ------------------------------------------------------------------------------


def _round_half_up(x: float, decimals: int = 0) -> float:
    """Round half away from zero (0.125 -> 13%, as a reader rounds), not half to even."""
    factor = 10**decimals
    rounded = math.floor(abs(x) * factor + 0.5 + 1e-9) / factor
    return math.copysign(rounded, x) if rounded else 0.0  # never "-0"


def fmt_score(x: Any) -> str:
    """A 0..1 score as a whole percentage: 0.8333 -> "83%"; blank -> "—"."""
    if is_blank(x):
        return "—"
    return f"{_round_half_up(float(x) * 100):.0f}%"


def _number(x: float, decimals: int, strip: bool = False) -> str:
    text = f"{_round_half_up(x, decimals):,.{decimals}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", MINUS)


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
        return "—"
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    kind = unit_kind(u)
    if kind == "percent":
        return _number(x * 100, 1) + "%"
    if kind == "currency":
        return f"{u} {_number(x, 0 if abs(x) >= 100 else 2)}"
    if kind == "count":
        return _number(x, 0 if float(x).is_integer() else 1)
    if kind == "duration":
        return f"{_number(x, 1, strip=True)} {u}"
    if kind == "score":
        return _number(x, 1, strip=True)
    if kind == "ratio":
        return _number(x, 2)
    if kind == "other":
        return f"{_number(x, 2, strip=True)} {u}"
    return _number(x, 2, strip=True)


def fmt_variance(x: Any, unit: Any) -> str:
    """A signed difference in the KPI's unit; percentages in points ("−3.0 pp").

    A difference that rounds to zero is shown as "±0", never as "−0.0".
    """
    if is_blank(x):
        return "—"
    x = float(x)
    u = "" if is_blank(unit) else str(unit).strip()
    percent = unit_kind(u) == "percent"
    text = f"{_number(abs(x) * 100, 1)} pp" if percent else fmt_value(abs(x), u)
    number = text.replace(u, "") if u and not percent else text  # digits of the unit aside
    zero = not any(c in "123456789" for c in number)
    sign = "±" if zero else ("+" if x > 0 else MINUS)
    return sign + text


def fmt_pct_change(x: Any) -> str:
    """A relative variance: 0.045 -> "+4.5%" ("±0.0%" when it rounds to zero)."""
    if is_blank(x):
        return ""
    x = float(x)
    text = _number(abs(x) * 100, 1)
    sign = "±" if text == "0.0" else ("+" if x > 0 else MINUS)
    return f"{sign}{text}%"


def fmt_money(x: Any, currency: str) -> str:
    return "—" if is_blank(x) else f"{currency} {_number(float(x), 0)}"


def fmt_date(d: Any, short: bool = False) -> str:
    """6 November 2026 (short: 6 Nov 2026); blank -> "—"."""
    if is_blank(d) or d == "":
        return "—"
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


def status_view(status: Any) -> dict[str, str]:
    """A status as word, symbol and CSS class (the class comes from a fixed table)."""
    word = status if status in STATUS_CLASSES else "No data"
    return {"word": word, "symbol": STATUS_SYMBOLS[word], "css": STATUS_CLASSES[word]}


def trend_view(trend: Any, prev_score: Any = math.nan, score: Any = math.nan) -> dict[str, str]:
    """Arrow, words and "↑ from 74%" text; a change too small to show in whole percent
    is drawn flat, so the page never says "↓ from 78%" next to a score of 78%."""
    key = trend if trend in TRENDS else ""
    if key in ("up", "down") and not is_blank(score) and fmt_score(score) == fmt_score(prev_score):
        key = "flat"
    arrow, words = TRENDS[key]
    text = ""
    if key in ("up", "down", "flat") and not is_blank(prev_score):
        text = f"{arrow} from {fmt_score(prev_score)}"
    elif key == "new":
        text = "new this month"
    return {"arrow": arrow, "words": words, "text": text, "css": key or "none"}


def _text(x: Any) -> str:
    return "" if is_blank(x) else str(x)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records") if len(frame) else []


# --- the view model --------------------------------------------------------------------------


def pack_context(scored: Scored, validated: Validated, config: Config) -> dict[str, Any]:
    """Everything the templates show, as display strings, numbers and inline SVG. Pure."""
    period = scored.period
    brand = config.branding
    primary = charts.colour(brand.primary_colour, "#1f3a5f")
    accent = charts.colour(brand.accent_colour, "#c8a24a")
    departments = _department_order(scored)
    names = {d["department_id"]: d["department"] for d in departments}
    names.setdefault(ORG, config.organisation.name)
    month_index = list(validated.months).index(period) + 1 if period in validated.months else None
    submissions = _submissions(validated, config, names)
    okr_summary = _okr_summary(scored, config)
    org = _records(scored.organisation)
    org_row = org[0] if org else {}
    perspectives = _perspective_tiles(scored)
    strategy = _strategy(scored, accent)
    dept_views = [
        _department_view(d, i, scored, validated, config, names, month_index, submissions)
        for i, d in enumerate(departments, start=1)
    ]
    as_of = submissions["as_of"]
    created = as_of or period_end(period)
    return {
        "organisation": config.organisation.name,
        "currency": config.organisation.currency,
        "title": TITLE,
        "period": period,
        "period_label": period_label(period),
        "quarter": scored.quarter,
        "as_of": fmt_date(as_of) if as_of else fmt_date(period_end(period)),
        "as_of_note": "latest submission received" if as_of else "period end",
        "created": f"{created.isoformat()}T00:00:00Z",
        "classification": brand.classification,
        "page_size": "Letter" if brand.page_size == "Letter" else "A4",
        "primary": primary,
        "accent": accent,
        "on_primary": _readable_on(primary),
        "heading": primary if _contrast_on_white(primary) >= 3 else "#1d2430",
        "logo": brand.logo is not None,
        "org": {
            "score": fmt_score(org_row.get("score")),
            "status": status_view(org_row.get("status")),
            "trend": trend_view(
                org_row.get("trend"), org_row.get("prev_score"), org_row.get("score")
            ),
            "gauge": charts.tile(org_row.get("score"), org_row.get("status", "No data"), size=64),
            "departments_scored": int(org_row.get("departments_scored") or 0),
        },
        "perspectives": perspectives,
        "okr": okr_summary,
        "attention": _attention(scored, names),
        "submissions": submissions,
        "overview": _overview(scored, departments),
        "strategy": strategy,
        "perspective_pages": _perspective_pages(scored, names, perspectives, month_index),
        "departments": dept_views,
        "appendix": _appendix(scored, validated, config, names, submissions),
        "legend": [status_view(s) for s in STATUS_CLASSES],
        "method": _method(scored, config),
        "pace": PACE,
        "derive_after": DERIVE_AFTER_MONTHS,
    }


def _method(scored: Scored, config: Config) -> dict[str, str]:
    """The thresholds the methodology appendix quotes, as the configuration sets them."""
    s = config.scoring
    krs = scored.key_results
    current = krs[krs["current_quarter"].astype(bool)] if len(krs) else krs
    expected = float(current["expected"].iloc[0]) if len(current) else math.nan

    def pct(x: float) -> str:
        return _number(x * 100, 1, strip=True) + "%"

    return {
        "tolerance": pct(s.amber_tolerance),
        "green_at": pct(s.rollup_green_at),
        "amber_at": pct(s.rollup_amber_at),
        "okr_green_at": pct(s.okr_green_at),
        "okr_amber_at": pct(s.okr_amber_at),
        "pace": _number(PACE, 2, strip=True),
        "expected": fmt_score(expected) if not is_blank(expected) else "the share elapsed",
        "period_end": fmt_date(period_end(scored.period)),
    }


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


def _department_order(scored: Scored) -> list[dict[str, Any]]:
    """Departments depth first through the parent tree (parents, then their children)."""
    rows = _records(scored.departments)
    by_id = {r["department_id"]: r for r in rows}
    children: dict[str, list[str]] = {r["department_id"]: [] for r in rows}
    roots = []
    for r in rows:
        parent = r["parent"] or None
        if parent in children:
            children[parent].append(r["department_id"])
        else:
            roots.append(r["department_id"])
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(dept: str, trail: tuple[str, ...]) -> None:
        if dept in seen:
            return
        seen.add(dept)
        ordered.append({**by_id[dept], "trail": trail, "children": tuple(children[dept])})
        for child in children[dept]:
            visit(child, (*trail, by_id[dept]["department"]))

    for root in roots:
        visit(root, ())
    for r in rows:  # a cycle cannot happen (config checks) but never drop a department
        visit(r["department_id"], ())
    return ordered


def _perspective_tiles(scored: Scored) -> list[dict[str, Any]]:
    org = scored.perspectives[scored.perspectives["department_id"] == ORG]
    by_name = {r["perspective"]: r for r in _records(org)}
    tiles = []
    for i, name in enumerate(TOP_DOWN):
        r = by_name.get(name, {})
        status = r.get("status", "No data")
        tiles.append(
            {
                "name": name,
                "anchor": f"perspective-{i + 1}",
                "score": fmt_score(r.get("score")),
                "status": status_view(status),
                "trend": trend_view(r.get("trend", ""), r.get("prev_score"), r.get("score")),
                "gauge": charts.tile(r.get("score"), status),
                "departments": int(r.get("objectives_scored", 0) or 0),
                "no_data": int(r.get("objectives_no_data", 0) or 0),
                "kpis": int(r.get("kpis", 0) or 0),
                "okrs": int(r.get("okrs", 0) or 0),
            }
        )
    return tiles


def _okr_summary(scored: Scored, config: Config) -> dict[str, Any]:
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
    return {
        "present": len(objs) > 0,
        "objectives": len(objs),
        "average": fmt_score(average),
        "grade": status_view(okr_grade(average, config.scoring)),
        "krs": len(krs),
        "on_pace": len(known) - behind,
        "behind_pace": behind,
        "no_data": len(krs) - len(known),
        "confidence": "—"
        if not confidences
        else _number(sum(confidences) / len(confidences), 1) + " / 10",
        "grades": {g: grades.count(g) for g in ("Green", "Amber", "Red", "No data")},
        "departments": len(scored.okr_departments),
    }


def _attention(scored: Scored, names: Mapping[str, str]) -> dict[str, Any]:
    rows = []
    for a in _records(scored.attention):
        red = a["kind"] in ("red-kpi", "derive-an-okr")
        months = int(a["red_months"] or 0)
        rows.append(
            {
                "kind": a["kind"],
                "red_kpi": red,
                "department": names.get(a["department_id"], a["department_id"]),
                "id": _text(a["id"]),
                "name": _text(a["name"]),
                "perspective": _text(a["perspective"]),
                "status": status_view(a["status"]),
                "score": fmt_score(a["score"]),
                "months": f"{months} month{'s' if months != 1 else ''}" if red else "",
                "okrs": ", ".join(a["related"]) if red and a["related"] else "",
                "derive": a["kind"] == "derive-an-okr",
                "detail": _text(a["detail"]),
            }
        )
    red_rows = [r for r in rows if r["red_kpi"]]
    other = [r for r in rows if not r["red_kpi"]]
    kinds = {
        "driver-red-effect-green": "Green objective with a Red driver",
        "okr-aligned-to-nothing": "OKR objective aligned to no BSC objective or KPI",
        "perspective-without-okr": "Perspective with no OKR this quarter",
    }
    signals = []
    for kind, label in kinds.items():
        found = [r for r in other if r["kind"] == kind]
        if found:
            plural = "s" if len(found) != 1 else ""
            signals.append(
                {
                    "label": label + plural if kind != "perspective-without-okr" else label,
                    "count": len(found),
                    "ids": ", ".join(r["id"] for r in found),
                }
            )
    return {
        "red": red_rows,
        "shown": red_rows[:ATTENTION_SHOWN],
        "more": max(0, len(red_rows) - ATTENTION_SHOWN),
        "without_okr": sum(1 for r in red_rows if not r["okrs"]),
        "other": other,
        "signals": signals,
        "all": rows,
    }


def _submissions(validated: Validated, config: Config, names: Mapping[str, str]) -> dict[str, Any]:
    subs = _records(validated.submissions)
    files = _records(validated.files)
    by_dept = {s["department_id"]: s for s in subs}
    errors: dict[str, list[Problem]] = {}
    for p in validated.problems:
        if p.severity == ERROR:
            errors.setdefault(p.file, []).append(p)
    rejected_files = [f for f in files if f["status"] == "rejected"]
    rejected: list[dict[str, Any]] = []
    rejected_depts: set[str] = set()
    for f in rejected_files:
        dept = _text(f["department_id"])
        problems = errors.get(f["file"], [])
        rejected_depts.add(dept)
        rejected.append(
            {
                "department_id": dept,
                "department": names.get(dept, dept) or "Unknown department",
                "file": _text(f["file"]),
                "errors": int(f["errors"] or 0),
                "reason": problems[0].message if problems else "The workbook has errors.",
                "problems": [_problem_view(p) for p in problems],
            }
        )
    stale = [
        {
            "department": names.get(s["department_id"], s["department_id"]),
            "as_of": period_label(s["as_of_period"])
            if _text(s.get("as_of_period"))
            else "an earlier period",
        }
        for s in subs
        if bool(s.get("stale"))
    ]
    unreadable = [
        {"file": _text(f["file"]), "sha256": _text(f["sha256"])}
        for f in files
        if f["status"] == "unreadable"
    ]
    other_period = [
        {
            "file": _text(f["file"]),
            "department": names.get(_text(f["department_id"]), _text(f["department_id"])),
            "period": _text(f["period"]),
        }
        for f in files
        if f["status"] == "other period"
    ]
    missing = [
        {"department_id": d, "department": names.get(d, d)}
        for d in validated.missing
        if d not in rejected_depts
    ]
    configured = [d.id for d in config.departments]
    received = [d for d in configured if d in by_dept and not bool(by_dept[d].get("stale"))]
    dates = [s["submitted_on"] for s in subs if not is_blank(s.get("submitted_on"))]
    as_of = max((_as_date(d) for d in dates), default=None)
    return {
        "expected": len(configured),
        "received": len(received),
        "missing": missing,
        "rejected": rejected,
        "stale": stale,
        "unreadable": unreadable,
        "other_period": other_period,
        "as_of": as_of,
        "by_department": by_dept,
        "rejected_by_department": {r["department_id"]: r for r in rejected},
        "complete": not (missing or rejected or stale),
        **_summary_notes(missing, rejected, stale, other_period),
    }


SUMMARY_NOTES = 5  # submission lines on the executive summary; the rest are in Appendix A


def _summary_notes(
    missing: Sequence[Mapping[str, Any]],
    rejected: Sequence[Mapping[str, Any]],
    stale: Sequence[Mapping[str, Any]],
    other_period: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """One short line per submission problem, capped so the summary stays on one page."""
    notes = [{"who": m["department"], "what": "no workbook received."} for m in missing]
    for r in rejected:
        errors = f"{r['errors']} error{'s' if r['errors'] != 1 else ''}"
        notes.append(
            {"who": r["department"], "what": f"rejected, {errors}; first: {_short(r['reason'])}"}
        )
    notes += [{"who": s["department"], "what": f"stale, showing {s['as_of']}."} for s in stale]
    notes += [
        {"who": o["file"], "what": f"for period {o['period']}, not this one."} for o in other_period
    ]
    return {"notes": notes[:SUMMARY_NOTES], "notes_more": max(0, len(notes) - SUMMARY_NOTES)}


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _as_date(d: Any) -> date:
    if isinstance(d, pd.Timestamp | datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return date.fromisoformat(str(d)[:10])


def _problem_view(p: Problem) -> dict[str, str]:
    return {
        "severity": p.severity,
        "code": p.code,
        "file": p.file,
        "sheet": p.sheet,
        "cell": p.cell or p.sheet,
        "message": p.message,
        "hint": p.hint,
        "department": p.department,
    }


def _overview(scored: Scored, departments: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    persp = {(r["department_id"], r["perspective"]): r for r in _records(scored.perspectives)}
    okr = {r["department_id"]: r for r in _records(scored.okr_departments)}
    rows = []
    for d in departments:
        dept = d["department_id"]
        cells = []
        for name in TOP_DOWN:
            p = persp.get((dept, name))
            cells.append(
                {"score": fmt_score(p["score"]), "status": status_view(p["status"])}
                if p is not None
                else None
            )
        o = okr.get(dept)
        rows.append(
            {
                "name": d["department"],
                "depth": int(d["depth"]),
                "cells": cells,
                "score": fmt_score(d["score"]),
                "status": status_view(d["status"]),
                "trend": trend_view(d["trend"], d["prev_score"], d["score"]),
                "okr": {"score": fmt_score(o["score"]), "grade": status_view(o["grade"])}
                if o is not None
                else None,
                "framework": d["framework"],
                "submitted": bool(d["submitted"]),
                "stale": bool(d["stale"]),
            }
        )
    return rows


def _strategy(scored: Scored, accent: str) -> dict[str, Any]:
    objs = scored.objectives
    corporate = objs[objs["corporate"].astype(bool)] if len(objs) else objs
    scope = "corporate"
    if not len(corporate):
        corporate, scope = objs, "all"
    items = []
    for o in _records(corporate):
        status = o["status"] if o["status"] in STATUS_CLASSES else "No data"
        items.append(
            charts.MapObjective(
                id=_text(o["objective_id"]),
                label=_text(o["objective"]) or _text(o["objective_id"]),
                perspective=_text(o["perspective"]),
                status=status,
                caption=f"{STATUS_SYMBOLS[status]} {status} · {fmt_score(o['score'])}",
            )
        )
    ids = {i.id for i in items}
    links = [
        (_text(o["objective_id"]), t)
        for o in _records(corporate)
        for t in o["contributes_to"]
        if t in ids
    ]
    rows = []
    for o in _records(corporate):
        rows.append(
            {
                "id": _text(o["objective_id"]),
                "name": _text(o["objective"]),
                "perspective": _text(o["perspective"]),
                "owner": _text(o["owner"]),
                "score": fmt_score(o["score"]),
                "status": status_view(o["status"]),
                "trend": trend_view(o["trend"], o["prev_score"], o["score"]),
                "contributors": len(o["contributors"]),
                "effects": ", ".join(o["contributes_to"]),
            }
        )
    order = {p: i for i, p in enumerate(TOP_DOWN)}
    rows.sort(key=lambda r: order.get(r["perspective"], len(order)))
    return {
        "present": bool(items),
        "scope": scope,
        "svg": charts.strategy_map(items, links, accent=accent) if items else Markup(""),
        "links": len(links),
        "objectives": rows,
    }


def _kpi_view(k: Mapping[str, Any], month_index: int | None, spark: bool = True) -> dict[str, Any]:
    unit = _text(k["unit"])
    direction, aggregation = k["direction"], k["aggregation"]
    phased = aggregation == "Sum"
    if direction == "Within range":
        target = f"{fmt_value(k['target_ytd'], unit)} – {fmt_value(k['target_max_ytd'], unit)}"
        red = f"red below {fmt_value(k['red_low'], unit)} or above {fmt_value(k['red_high'], unit)}"
        spark_target: Any = (k["target"], k["target_max"])
    else:
        sign = "≤" if direction == "Lower is better" else "≥"
        target = f"{sign} {fmt_value(k['target_ytd'], unit)}"
        red = f"red at {fmt_value(k['red'], unit)}"
        spark_target = k["target"]
    if phased:
        # the series holds monthly values; the annual target spread evenly is comparable
        if isinstance(spark_target, tuple):
            spark_target = tuple(_scale(t, 1 / 12) for t in spark_target)
        else:
            spark_target = _scale(spark_target, 1 / 12)
    status = k["status"] if k["status"] in STATUS_CLASSES else "No data"
    return {
        "id": _text(k["kpi_id"]),
        "name": _text(k["kpi"]) or _text(k["kpi_id"]),
        "objective_id": _text(k["objective_id"]),
        "perspective": _text(k["perspective"]),
        "unit": unit,
        "status": status_view(status),
        "score": fmt_score(k["score"]),
        "actual": fmt_value(k["actual"], unit),
        "actual_note": f"YTD {aggregation.lower()}" if aggregation in ("Sum", "Average") else "",
        "prev": fmt_value(k["prev_actual"], unit),
        "target": target,
        "target_note": f"YTD of {fmt_value(k['target'], unit)}" if phased else "",
        "red": red,
        "variance": fmt_variance(k["variance"], unit),
        "variance_pct": "" if unit_kind(unit) == "percent" else fmt_pct_change(k["variance_pct"]),
        "trend": trend_view(k["trend"], k["prev_score"], k["score"]),
        "red_months": int(k["red_months"] or 0),
        "spark": charts.sparkline(
            list(k["series"]),
            spark_target,
            width=84,
            status=status,
            current=month_index - 1 if month_index else None,
        )
        if spark
        else Markup(""),
        "commentary": _text(k["commentary"]),
        "okrs": ", ".join(k["aligned_okrs"]),
    }


def _scale(x: Any, factor: float) -> float:
    return math.nan if is_blank(x) else float(x) * factor


def _perspective_pages(
    scored: Scored,
    names: Mapping[str, str],
    tiles: Sequence[Mapping[str, Any]],
    month_index: int | None,
) -> list[dict[str, Any]]:
    kpis = scored.kpis
    if not len(kpis):
        return []
    dept_order = {d: i for i, d in enumerate(names)}
    persp = {(r["department_id"], r["perspective"]): r for r in _records(scored.perspectives)}
    pages = []
    for tile in tiles:
        name = tile["name"]
        rows = [k for k in _records(kpis) if k["perspective"] == name]
        rows.sort(key=lambda k: dept_order.get(k["department_id"], len(dept_order)))
        groups = []
        for dept in dict.fromkeys(k["department_id"] for k in rows):
            p = persp.get((dept, name))
            groups.append(
                {
                    "department": names.get(dept, dept),
                    "score": fmt_score(p["score"]) if p else "—",
                    "status": status_view(p["status"] if p else "No data"),
                    "kpis": [
                        _kpi_view(k, month_index, spark=False)
                        for k in rows
                        if k["department_id"] == dept
                    ],
                }
            )
        counts = [
            {"status": status_view(s), "n": n}
            for s in STATUS_CLASSES
            if (n := sum(1 for k in rows if k["status"] == s))
        ]
        pages.append({**tile, "groups": groups, "counts": counts, "total": len(rows)})
    return pages


def _department_view(
    d: Mapping[str, Any],
    position: int,
    scored: Scored,
    validated: Validated,
    config: Config,
    names: Mapping[str, str],
    month_index: int | None,
    submissions: Mapping[str, Any],
) -> dict[str, Any]:
    dept = d["department_id"]
    currency = config.organisation.currency
    kpis = [k for k in _records(scored.kpis) if k["department_id"] == dept]
    objectives = {
        o["objective_id"]: o for o in _records(scored.objectives) if o["department_id"] == dept
    }
    all_objectives = {o["objective_id"]: o for o in _records(scored.objectives)}
    persp = {
        r["perspective"]: r for r in _records(scored.perspectives) if r["department_id"] == dept
    }
    sections = []
    for name in TOP_DOWN:
        in_persp = [k for k in kpis if k["perspective"] == name]
        objs_here = [o for o in objectives.values() if o["perspective"] == name]
        if not in_persp and not objs_here:
            continue
        p = persp.get(name)
        groups = []
        for oid in dict.fromkeys(
            [*(o["objective_id"] for o in objs_here), *(k["objective_id"] for k in in_persp)]
        ):
            o = objectives.get(oid) or all_objectives.get(oid)
            members = [_kpi_view(k, month_index) for k in in_persp if k["objective_id"] == oid]
            if o is None and not members:
                continue
            contributed = o is not None and bool(o["contributors"])
            groups.append(
                {
                    "id": _text(oid),
                    "name": _text(o["objective"]) if o else "",
                    # the department's perspective uses own scores (its KPIs only)
                    "score": fmt_score(o["own_score"]) if o else "",
                    "status": status_view(
                        rollup_status(o["own_score"], config.scoring) if o else "No data"
                    ),
                    "full_score": fmt_score(o["score"]) if contributed else "",
                    "full_status": status_view(o["status"] if o else "No data"),
                    "known": o is not None,
                    "kpis": members,
                    "effects": ", ".join(o["contributes_to"]) if o else "",
                }
            )
        sections.append(
            {
                "name": name,
                "score": fmt_score(p["score"]) if p else "—",
                "status": status_view(p["status"] if p else "No data"),
                "trend": trend_view(p["trend"], p["prev_score"], p["score"])
                if p
                else trend_view(""),
                "groups": groups,
                "kpi_count": len(in_persp),
            }
        )
    chips = []
    for name in TOP_DOWN:
        p = persp.get(name)
        if p is not None and p["objectives_scored"] + p["objectives_no_data"] > 0:
            chips.append(
                {"name": name, "score": fmt_score(p["score"]), "status": status_view(p["status"])}
            )

    fill = charts.colour(config.branding.primary_colour)
    okrs = _department_okrs(scored, dept, fill)
    initiatives = _initiatives(validated, dept, currency, all_objectives, fill)
    sub = submissions["by_department"].get(dept)
    rejected = submissions["rejected_by_department"].get(dept)
    missing = not bool(d["submitted"]) and not bool(d["stale"])
    has_content = bool(kpis or okrs["objectives"] or initiatives or objectives)
    okr_dept = next(
        (r for r in _records(scored.okr_departments) if r["department_id"] == dept), None
    )
    children = [names.get(c, c) for c in d["children"]]
    return {
        "id": dept,
        "first": position == 1,
        "anchor": f"dept-{position}",  # from the position: input text never becomes an id
        "name": d["department"],
        "depth": int(d["depth"]),
        "trail": list(d["trail"]),
        "children": children,
        "score": fmt_score(d["score"]),
        "own_score": fmt_score(d["own_score"]),
        "status": status_view(d["status"]),
        "trend": trend_view(d["trend"], d["prev_score"], d["score"]),
        "gauge": charts.tile(
            d["score"], d["status"] if d["status"] in STATUS_CLASSES else "No data"
        ),
        "framework": FRAMEWORKS.get(d["framework"], _text(d["framework"])),
        "framework_code": _text(d["framework"]),
        "runs_bsc": d["framework"] in ("BSC", "BSC + OKR"),
        "runs_okr": d["framework"] in ("OKR", "BSC + OKR"),
        "kpi_count": len(kpis),
        "kpis_no_data": int(d["kpis_no_data"] or 0),
        "chips": chips,
        "sections": sections,
        "okrs": okrs,
        "okr_score": fmt_score(okr_dept["score"]) if okr_dept else "",
        "okr_grade": status_view(okr_dept["grade"]) if okr_dept else status_view("No data"),
        "initiatives": initiatives,
        "submitted": bool(d["submitted"]),
        "stale": bool(d["stale"]),
        "stale_as_of": period_label(sub["as_of_period"])
        if sub and bool(sub.get("stale")) and _text(sub.get("as_of_period"))
        else "",
        "missing": missing,
        "rejected": rejected,
        "has_content": has_content,
        "prepared_by": _text(sub["prepared_by"]) if sub else "",
        "approved_by": _text(sub["approved_by"]) if sub else "",
        "submitted_on": fmt_date(sub["submitted_on"]) if sub else "",
        "file": _text(sub["file"]) if sub else "",
    }


def _department_okrs(scored: Scored, dept: str, fill: str) -> dict[str, Any]:
    objs = [o for o in _records(scored.okr_objectives) if o["department_id"] == dept]
    krs = [k for k in _records(scored.key_results) if k["department_id"] == dept]
    current = [o for o in objs if bool(o["current_quarter"])]
    other = [o for o in objs if not bool(o["current_quarter"])]
    views = []
    for o in current:
        rows = []
        for k in krs:
            if k["okr_objective_id"] != o["okr_objective_id"]:
                continue
            unit = _text(k["unit"])
            conf = k["confidence"]
            change = k["confidence_change"]
            known = not is_blank(k["progress"])
            rows.append(
                {
                    "id": _text(k["kr_id"]),
                    "name": _text(k["key_result"]) or _text(k["kr_id"]),
                    "type": _text(k["type"]),
                    "bar": charts.progress_bar(
                        k["progress"], k["expected"], width=64, height=7, fill=fill
                    ),
                    "progress": fmt_score(k["progress"]),
                    "result": _kr_result(k, unit),
                    "baseline": ""
                    if k["type"] == "Milestone" or is_blank(k["baseline"])
                    else f"from {fmt_value(k['baseline'], unit)}",
                    "confidence": "—" if is_blank(conf) else f"{_number(float(conf), 0)}/10",
                    "confidence_change": ""
                    if is_blank(change) or float(change) == 0
                    else ("+" if change > 0 else MINUS) + _number(abs(float(change)), 0),
                    "expected": fmt_score(k["expected"]),
                    "pace": "No data"
                    if not known
                    else ("Behind pace" if bool(k["behind_pace"]) else "On pace"),
                    "pace_css": "nodata"
                    if not known
                    else ("red" if bool(k["behind_pace"]) else "green"),
                    "last_checkin": fmt_date(k["last_checkin"], short=True)
                    if k["last_checkin"]
                    else "none",
                    "aligned_to": _text(k["aligned_to"]),
                    "owner": _text(k["owner"]),
                }
            )
        views.append(
            {
                "id": _text(o["okr_objective_id"]),
                "name": _text(o["okr_objective"]) or _text(o["okr_objective_id"]),
                "quarter": _text(o["quarter"]),
                "score": fmt_score(o["score"]),
                "grade": status_view(o["grade"]),
                "confidence": "—"
                if is_blank(o["confidence"])
                else _number(float(o["confidence"]), 1) + "/10",
                "behind": int(o["krs_behind_pace"] or 0),
                "expected": fmt_score(o["expected"]),
                "aligned_to": ", ".join(o["aligned_to"]),
                "krs": rows,
            }
        )
    return {
        "objectives": views,
        "other_quarters": sorted({_text(o["quarter"]) for o in other}),
        "other_count": len(other),
    }


def _kr_result(k: Mapping[str, Any], unit: str) -> str:
    """Current against target; a milestone reads Done / Not done."""
    if k["type"] == "Milestone":
        if is_blank(k["current"]):
            return "—"
        return "Done" if float(k["current"]) >= 1 else "Not done"
    return f"{fmt_value(k['current'], unit)} / {fmt_value(k['target'], unit)}"


def _initiatives(
    validated: Validated, dept: str, currency: str, objectives: Mapping[str, Any], fill: str
) -> list[dict[str, Any]]:
    frame = validated.initiatives
    if not len(frame):
        return []
    rows = []
    for i in _records(frame[frame["department_id"] == dept]):
        status = _text(i.get("status"))
        symbol, css = INITIATIVE_STATUSES.get(status, ("○", "nodata"))
        budget, spent = i.get("budget"), i.get("spent")
        share = (
            float(spent) / float(budget)
            if not is_blank(budget) and not is_blank(spent) and float(budget) > 0
            else math.nan
        )
        obj = objectives.get(_text(i.get("objective_id")))
        rows.append(
            {
                "id": _text(i.get("initiative_id")),
                "name": _text(i.get("initiative")) or _text(i.get("initiative_id")),
                "objective_id": _text(i.get("objective_id")),
                "objective": _text(obj["objective"]) if obj else "",
                "owner": _text(i.get("owner")),
                "start": fmt_date(i.get("start"), short=True),
                "end": fmt_date(i.get("end"), short=True),
                "bar": charts.progress_bar(i.get("progress"), None, width=58, height=7, fill=fill),
                "progress": fmt_score(i.get("progress")),
                "budget": fmt_money(budget, currency),
                "spent": fmt_money(spent, currency),
                "spent_share": "" if is_blank(share) else fmt_score(share),
                "over_budget": not is_blank(share) and share > 1,
                "status": status or "—",
                "symbol": symbol,
                "css": css,
                "note": _text(i.get("note")),
            }
        )
    return rows


# --- appendix --------------------------------------------------------------------------------

LEVEL_TITLES = {
    "organisation": "Organisation",
    "department": "Departments",
    "perspective": "Perspectives",
    "objective": "Strategy-map objectives",
    "okr-department": "OKRs by department",
    "okr-objective": "OKR objectives",
}


def _appendix(
    scored: Scored,
    validated: Validated,
    config: Config,
    names: Mapping[str, str],
    submissions: Mapping[str, Any],
) -> dict[str, Any]:
    problems = [_problem_view(p) for p in validated.problems]
    errors = [p for p in problems if p["severity"] == ERROR]
    warnings = [p for p in problems if p["severity"] != ERROR]
    advice = [
        {
            **_problem_view(p),
            "department_name": names.get(p.department, p.department) if p.department else "",
        }
        for p in scored.advice
    ]
    calc = scored.calculations
    groups = []
    for level, title in LEVEL_TITLES.items():
        rows = calc[calc["level"] == level] if len(calc) else calc
        if not len(rows):
            continue
        groups.append(
            {
                "title": title,
                "rows": [
                    {
                        "department": "Organisation"
                        if r["department_id"] == ORG
                        else names.get(r["department_id"], r["department_id"]),
                        "id": _text(r["id"]),
                        "name": _text(r["name"]),
                        "formula": _text(r["formula"]),
                        "score": fmt_score(r["score"]),
                        "status": status_view(r["status"]),
                    }
                    for r in _records(rows)
                ],
            }
        )
    files = []
    for f in _records(validated.files):
        files.append(
            {
                "file": _text(f["file"]),
                "department": names.get(_text(f["department_id"]), _text(f["department_id"])),
                "period": _text(f["period"]),
                "submitted_on": fmt_date(f["submitted_on"]),
                "status": _text(f["status"]),
                "errors": int(f["errors"] or 0),
                "warnings": int(f["warnings"] or 0),
                "sha256": _text(f["sha256"]),
            }
        )
    known = {f["file"] for f in files}
    for s in _records(validated.submissions):  # stale stand-ins come from earlier files
        if _text(s["file"]) not in known:
            files.append(
                {
                    "file": _text(s["file"]),
                    "department": names.get(s["department_id"], s["department_id"]),
                    "period": _text(s["period"]),
                    "submitted_on": fmt_date(s["submitted_on"]),
                    "status": "stale" if bool(s.get("stale")) else "accepted",
                    "errors": 0,
                    "warnings": 0,
                    "sha256": _text(s["sha256"]),
                }
            )
    return {
        "errors": errors,
        "warnings": warnings,
        "advice": advice,
        "calculations": groups,
        "files": files,
    }


# --- rendering -------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_html(context: Mapping[str, Any], *, for_pdf: bool, logo_src: str = "") -> str:
    """The pack as one HTML document (for WeasyPrint, or the standalone HTML twin)."""
    env = _environment()
    css = env.get_template("pack.css.j2").render(**context)
    return env.get_template("pack.html.j2").render(
        **context, css=Markup(css), for_pdf=for_pdf, logo_src=logo_src
    )


class AssetFetcher:
    """WeasyPrint's URL fetcher for the pack: the static folder and the logo, nothing else.

    Every request is recorded in `requested`. Anything that is not `scorecard-asset:logo`
    or `scorecard-asset:static/<file>` (file:, http:, data:, relative paths, ...) raises,
    so no workbook text can make WeasyPrint read a file or reach the network.
    """

    def __init__(self, logo: Path | None) -> None:
        from weasyprint.urls import URLFetcher

        class _Fetcher(URLFetcher):
            def fetch(inner, url: str, headers: Any = None) -> Any:  # noqa: N805
                return self.fetch(url)

        self._weasy = _Fetcher(allowed_protocols=(ASSET_SCHEME,), fail_on_errors=False)
        self.logo = logo
        self.requested: list[str] = []

    @property
    def weasyprint(self) -> Any:
        """The object to hand to WeasyPrint as `url_fetcher`."""
        return self._weasy

    def resolve(self, url: str) -> Path:
        """The local file behind an asset URL; ValueError for anything not ours."""
        if url == LOGO_URL and self.logo is not None:
            return self.logo
        prefix = f"{ASSET_SCHEME}:static/"
        if url.startswith(prefix):
            name = url[len(prefix) :]
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
                path = (STATIC / name).resolve()
                if path.parent == STATIC.resolve() and path.is_file():
                    return path
        raise ValueError(f"refused to fetch {url[:80]!r}: not a pack asset")

    def fetch(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        path = self.resolve(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def _logo_data_uri(logo: Path | None) -> str:
    if logo is None or not logo.is_file():
        return ""
    mime = mimetypes.guess_type(logo.name)[0] or ""
    if mime not in ("image/svg+xml", "image/png", "image/jpeg"):
        return ""
    return f"data:{mime};base64,{base64.b64encode(logo.read_bytes()).decode('ascii')}"


def write_pack(
    scored: Scored,
    validated: Validated,
    config: Config,
    out_dir: Path,
    generated_from: str | None = None,
) -> PackPaths:
    """Write board-pack-<period>.pdf and .html into `out_dir`; equal inputs, equal bytes."""
    import weasyprint

    out_dir = Path(out_dir)
    context = pack_context(scored, validated, config)
    context["generated_from"] = generated_from or ""
    logo = config.branding.logo
    html_pdf = render_html(context, for_pdf=True, logo_src=LOGO_URL if logo else "")
    html_twin = render_html(context, for_pdf=False, logo_src=_logo_data_uri(logo))

    digest = hashlib.sha256(html_pdf.encode("utf-8"))
    if logo is not None and logo.is_file():
        digest.update(logo.read_bytes())
    fetcher = AssetFetcher(logo)
    document = weasyprint.HTML(
        string=html_pdf, base_url=None, url_fetcher=fetcher.weasyprint
    ).render()
    pages = len(document.pages)

    period = scored.period
    pdf_path = out_dir / f"board-pack-{period}.pdf"
    html_path = out_dir / f"board-pack-{period}.html"
    created = datetime.fromisoformat(context["created"].replace("Z", "+00:00"))
    with replacing(pdf_path) as temp, _source_date_epoch(int(created.timestamp())):
        document.write_pdf(temp, pdf_identifier=digest.hexdigest()[:32].encode("ascii"))
    write_text(html_path, html_twin)
    return PackPaths(pdf=pdf_path, html=html_path, pages=pages)


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH while fonts are subset: fontTools (WeasyPrint's fallback when
    HarfBuzz-Subset is missing) stamps each subset font with "now" otherwise, and equal
    inputs would no longer give equal bytes."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
