"""Validated frames (and their scores) in, goal-quality advice out: warnings, never errors.

The known failure modes of Balanced Scorecards and OKRs (docs/scoring.md, "Goal-quality
advice" and "Balanced Scorecard and OKRs together"). Pure: no I/O. `pipeline.score` and
`pipeline.advice` are independent layers, so the scores arrive as any object with the
frames of `pipeline.score.Scored` (`kpis`, `attention`); the caller joins them:
`scored.advice = advise(validated, scored)`.

Decisions
- A key result reads like a task when its type is Milestone, or when its text holds no
  number and starts with an activity verb (Launch, Implement, Build, ...).
- An objective counts as measured when a KPI names it, or, for a corporate objective,
  when a departmental objective contributes to it (that is how it is scored).
- A perspective counts as covered when the scorecard has a KPI in it or a measured
  objective in it; only units that run a Balanced Scorecard are checked.
- Check-ins: only this quarter's key results; stale when the latest check-in on or before
  the period end is 14 days old or more (no check-in at all: the days since the quarter
  began). Reflection: only in the last month of a quarter, for that quarter's KRs.
- The BSC <-> OKR findings come from the scores' `attention` frame so the pack's attention
  list and this advice can never disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Protocol

import pandas as pd

from pipeline.contract import Sheet, period_end, quarter_bounds, quarter_of
from pipeline.problems import Problem, problem
from pipeline.validate import Validated
from pipeline.vocabulary import ORG, KrType, Status, ids

MAX_OKR_OBJECTIVES = 4
MIN_KRS, MAX_KRS = 2, 5
MAX_KPIS = 20
STALE_CHECKIN_DAYS = 14

# First words of a key result that describe an activity rather than an outcome.
TASK_VERBS = frozenset(
    {
        "launch",
        "implement",
        "build",
        "create",
        "develop",
        "deliver",
        "complete",
        "finish",
        "hire",
        "migrate",
        "deploy",
        "introduce",
        "write",
        "design",
        "run",
        "hold",
        "organise",
        "organize",
        "publish",
        "release",
        "install",
        "establish",
        "define",
        "draft",
        "prepare",
        "conduct",
        "start",
        "ship",
        "train",
        "update",
        "upgrade",
        "document",
        "review",
        "plan",
        "set",
        "roll",
        "sign",
        "kick",
        "host",
        "attend",
        "buy",
        "procure",
        "integrate",
        "automate",
        "redesign",
        "refactor",
    }
)
_FIRST_WORD = re.compile(r"[A-Za-z]+")
_DIGIT = re.compile(r"\d")

# attention kinds that become advice, in the order the pack lists them
LINKAGE_CODES = (
    "derive-an-okr",
    "driver-red-effect-green",
    "okr-aligned-to-nothing",
    "perspective-without-okr",
)


class ScoredFrames(Protocol):
    """What advice needs from the scores (pipeline.score.Scored satisfies it)."""

    kpis: pd.DataFrame
    attention: pd.DataFrame


def advise(validated: Validated, scored: ScoredFrames | None = None) -> list[Problem]:
    """Every goal-quality warning for the organisation; score-based ones need `scored`."""
    files = _files(validated)
    found: list[Problem] = []
    found += okr_advice(validated, files)
    found += scorecard_advice(validated, files)
    found += checkin_advice(validated, files)
    if scored is not None:
        found += score_advice(scored, files)
    return found


def is_task(key_result: str, kr_type: str) -> bool:
    """True when a key result describes an activity (see Decisions)."""
    if kr_type == KrType.MILESTONE:
        return True
    text = (key_result or "").strip()
    first = _FIRST_WORD.match(text)
    return bool(first) and first.group(0).lower() in TASK_VERBS and not _DIGIT.search(text)


def okr_advice(validated: Validated, files: dict[str, str]) -> list[Problem]:
    """Too many OKR objectives, too few or many KRs, and key results that are tasks."""
    krs = validated.key_results
    found: list[Problem] = []
    if krs.empty:
        return found
    for (dept, quarter), rows in krs.groupby(["department_id", "quarter"], sort=False):
        n = rows["okr_objective_id"].nunique()
        if n > MAX_OKR_OBJECTIVES:
            found.append(
                problem(
                    "too-many-okr-objectives",
                    files.get(dept, ""),
                    sheet=Sheet.OKRS,
                    column="Objective ID",
                    value=quarter,
                    count=n,
                    department=dept,
                )
            )
    for (dept, okr_id), rows in krs.groupby(["department_id", "okr_objective_id"], sort=False):
        if not MIN_KRS <= len(rows) <= MAX_KRS:
            found.append(
                problem(
                    "kr-count",
                    files.get(dept, ""),
                    sheet=Sheet.OKRS,
                    column="Objective ID",
                    value=okr_id,
                    count=len(rows),
                    department=dept,
                )
            )
    for kr in krs.to_dict("records"):
        if is_task(kr["key_result"], kr["type"]):
            found.append(
                problem(
                    "kr-is-task",
                    files.get(kr["department_id"], ""),
                    sheet=Sheet.OKRS,
                    column="Key result",
                    value=f"{kr['kr_id']} ({kr['key_result']})",
                    department=kr["department_id"],
                )
            )
    return found


def scorecard_advice(validated: Validated, files: dict[str, str]) -> list[Problem]:
    """KPI count, perspectives and objectives without KPIs or links, downward links."""
    kpis, objectives = validated.kpis, validated.objectives
    found: list[Problem] = []
    by_id = {
        o["objective_id"]: {**o, "contributes_to": ids(o["contributes_to"])}
        for o in objectives.to_dict("records")
    }
    kpi_objectives = set(kpis["objective_id"])
    linked_to: dict[str, list[str]] = defaultdict(list)
    for o in by_id.values():
        for target in o["contributes_to"]:
            linked_to[target].append(o["objective_id"])

    def measured(oid: str) -> bool:
        if oid in kpi_objectives:
            return True
        o = by_id[oid]
        return bool(o.get("corporate")) and any(
            not by_id[c].get("corporate") for c in linked_to.get(oid, ()) if c in by_id
        )

    for dept, rows in kpis.groupby("department_id", sort=False):
        if len(rows) > MAX_KPIS:
            found.append(
                problem(
                    "too-many-kpis",
                    files.get(dept, ""),
                    sheet=Sheet.KPIS,
                    value=dept,
                    count=len(rows),
                    department=dept,
                )
            )
    bsc_departments = list(dict.fromkeys([*objectives["department_id"], *kpis["department_id"]]))
    for dept in bsc_departments:
        covered = set(kpis.loc[kpis["department_id"] == dept, "perspective"])
        covered |= {
            o["perspective"]
            for o in by_id.values()
            if o["department_id"] == dept and measured(o["objective_id"])
        }
        for persp in validated.perspectives:
            if persp not in covered:
                found.append(
                    problem(
                        "perspective-without-kpi",
                        files.get(dept, ""),
                        sheet=Sheet.KPIS,
                        column="Perspective",
                        value=persp,
                        department=dept,
                    )
                )
    for k in kpis.to_dict("records"):
        if not k["objective_id"] or k["objective_id"] not in by_id:
            found.append(
                problem(
                    "kpi-without-objective",
                    files.get(k["department_id"], ""),
                    sheet=Sheet.KPIS,
                    column="Objective ID",
                    value=k["kpi_id"],
                    department=k["department_id"],
                )
            )
    for oid, o in by_id.items():
        dept = o["department_id"]
        if not measured(oid):
            found.append(
                problem(
                    "objective-without-kpi",
                    files.get(dept, ""),
                    sheet=Sheet.OBJECTIVES,
                    column="Objective ID",
                    value=oid,
                    department=dept,
                )
            )
    for oid, o in by_id.items():
        dept = o["department_id"]
        if not o["contributes_to"] and not linked_to.get(oid):
            found.append(
                problem(
                    "objective-without-link",
                    files.get(dept, ""),
                    sheet=Sheet.OBJECTIVES,
                    column="Contributes to",
                    value=oid,
                    department=dept,
                )
            )
    # validated.perspectives run top lane first: a higher lane has a lower index
    rank = {p: -i for i, p in enumerate(validated.perspectives)}
    for oid, o in by_id.items():
        for target in o["contributes_to"]:
            t = by_id.get(target)
            if t is None or o["perspective"] not in rank or t["perspective"] not in rank:
                continue
            if rank[t["perspective"]] < rank[o["perspective"]]:
                found.append(
                    problem(
                        "downward-link",
                        files.get(o["department_id"], ""),
                        sheet=Sheet.OBJECTIVES,
                        column="Contributes to",
                        value=oid,
                        target=f"{target} ({t['perspective']})",
                        department=o["department_id"],
                    )
                )
    return found


def checkin_advice(validated: Validated, files: dict[str, str]) -> list[Problem]:
    """This quarter's key results with no recent check-in, or no reflection at quarter end."""
    krs = validated.key_results
    found: list[Problem] = []
    if krs.empty:
        return found
    quarter = quarter_of(validated.period)
    as_of = period_end(validated.period)
    quarter_start, quarter_end = quarter_bounds(quarter)
    last_checkin: dict[str, pd.Timestamp] = {}
    checkins = validated.checkins
    if not checkins.empty:
        dated = checkins[checkins["date"].notna()]
        dated = dated[pd.to_datetime(dated["date"]).dt.date <= as_of]
        for kr_id, when in zip(dated["kr_id"], pd.to_datetime(dated["date"]), strict=True):
            if kr_id not in last_checkin or when > last_checkin[kr_id]:
                last_checkin[kr_id] = when
    current = krs[krs["quarter"] == quarter]
    for kr in current.to_dict("records"):
        dept = kr["department_id"]
        when = last_checkin.get(kr["kr_id"])
        days = (as_of - when.date()).days if when is not None else (as_of - quarter_start).days + 1
        if days >= STALE_CHECKIN_DAYS:
            found.append(
                problem(
                    "stale-checkin",
                    files.get(dept, ""),
                    sheet=Sheet.CHECKINS,
                    column="Date",
                    value=kr["kr_id"],
                    days=days,
                    department=dept,
                )
            )
    if as_of == quarter_end:
        for kr in current.to_dict("records"):
            if not (kr.get("reflection") or "").strip():
                found.append(
                    problem(
                        "missing-reflection",
                        files.get(kr["department_id"], ""),
                        sheet=Sheet.OKRS,
                        column="Reflection",
                        value=kr["kr_id"],
                        department=kr["department_id"],
                    )
                )
    return found


def score_advice(scored: ScoredFrames, files: dict[str, str]) -> list[Problem]:
    """Red KPIs without commentary, and the BSC <-> OKR findings of the attention list."""
    found: list[Problem] = []
    kpis = scored.kpis
    for k in kpis[kpis["status"] == Status.RED].to_dict("records"):
        if not (k.get("commentary") or "").strip():
            found.append(
                problem(
                    "red-without-commentary",
                    files.get(k["department_id"], ""),
                    sheet=Sheet.KPIS,
                    column="Commentary",
                    value=k["kpi_id"],
                    department=k["department_id"],
                )
            )
    attention = scored.attention
    for code in LINKAGE_CODES:
        for a in attention[attention["kind"] == code].to_dict("records"):
            dept = a["department_id"] if a["department_id"] != ORG else ""
            if code == "derive-an-okr":
                sheet, fields = Sheet.KPIS, {"months": a["red_months"]}
            elif code == "driver-red-effect-green":
                sheet, fields = Sheet.OBJECTIVES, {"driver": ", ".join(a["related"])}
            else:
                sheet, fields = Sheet.OKRS, {}
            found.append(
                problem(
                    code,
                    files.get(dept, ""),
                    sheet=sheet,
                    value=a["id"],
                    **fields,
                    department=dept,
                )
            )
    return found


def _files(validated: Validated) -> dict[str, str]:
    subs = validated.submissions
    if subs.empty:
        return {}
    return dict(zip(subs["department_id"], subs["file"], strict=True))
