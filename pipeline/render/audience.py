"""Who a document is for: the board, one part of the organisation, a department, the analyst.

Scoring is organisation-wide and done once; an audience only changes what is *shown*.

- `Audience`: what the templates need beyond the `PackView`: which sections print, whose
  score is the headline ("Organisation" or the pack's root department), the analyst
  annex's file name the board pack refers to, the data-quality paragraph in plain words,
  and, for a one-pager, how tightly it is set and what was left out to fit one page.
- `subtree`: the scored and validated frames and the configuration cut down to one
  department and everything under it, for `pack_context`. Every department keeps the rows
  it was scored with, so its page, overview row and scores print exactly as in the full
  pack. The headline is the root's department score; the perspective tiles roll the
  subtree's perspective scores up the way the organisation's tiles roll up the whole tree
  (`pipeline.rollup`), so a pack rooted at the organisation's only top unit shows the
  organisation's tiles. The corporate strategy map is shown as it is.
- `fit_department`: a department's page with its lowest-priority rows left out (Green KPIs
  first, Red ones last), and the "and N more" line that says what was left out.

Pure: frames and views in, frames and views out.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config import PACK_SECTIONS, Config, Pack
from pipeline.formulas import RollUp, roll_up, rollup_status, trend
from pipeline.render.views import PackView
from pipeline.render.views_department import DepartmentView, InitiativeView, KpiView, KrView
from pipeline.score import Scored, _coverage
from pipeline.validate import Validated
from pipeline.vocabulary import ORG, DepartmentTree, Status, is_blank

BOARD, PACK, ANNEX, ONEPAGER = "board", "pack", "annex", "onepager"
ANNEX_TITLE = "Analyst annex"


def annex_name(period: str) -> str:
    """The analyst annex's file name, as the board pack names it."""
    return f"analyst-annex-{period}.pdf"


@dataclass(frozen=True)
class Audience:
    """Who a document is for; the templates read it as `audience`."""

    kind: str  # BOARD, PACK, ANNEX or ONEPAGER
    sections: tuple[str, ...]  # of config.PACK_SECTIONS, in their order
    scope: str  # whose score is the headline: "Organisation" or the root's name
    scope_wide: str  # "Organisation-wide" or "Across Commercial"
    annex: str  # the analyst annex's file name: analyst-annex-2026-10.pdf
    data_quality: str  # one paragraph in plain words, no file names or cells
    fit: int = 0  # a one-pager's type setting: 0 (as the pack) to 2 (onepager.css.j2)
    left_out: str = ""  # a one-pager's "And 4 more KPIs ..." line; "" when nothing was


def board(view: PackView) -> Audience:
    """The board pack: every section, the organisation's score as the headline."""
    return Audience(
        kind=BOARD,
        sections=PACK_SECTIONS,
        scope="Organisation",
        scope_wide="Organisation-wide",
        annex=annex_name(view.period),
        data_quality=data_quality(view),
    )


def for_pack(view: PackView, pack: Pack) -> Audience:
    """A `[[packs]]` pack: its sections; its root's name as the headline's."""
    root = next((d for d in view.departments if d.id == pack.root), None)
    whole = board(view)
    if root is None:
        return dataclasses.replace(whole, kind=PACK, sections=pack.sections)
    return dataclasses.replace(
        whole,
        kind=PACK,
        sections=pack.sections,
        scope=root.name,
        scope_wide=f"Across {root.name}",
    )


def annex(view: PackView) -> Audience:
    return dataclasses.replace(board(view), kind=ANNEX)


def onepager(view: PackView, fit: int = 0, left_out: str = "") -> Audience:
    return dataclasses.replace(
        board(view), kind=ONEPAGER, sections=("departments",), fit=fit, left_out=left_out
    )


# --- the data-quality paragraph ----------------------------------------------------------------


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _figures(as_of: str) -> str:
    """ "September 2026 figures", or "figures from an earlier period"."""
    return f"figures from {as_of}" if as_of.startswith("an ") else f"{as_of} figures"


def data_quality(view: PackView) -> str:
    """Who reported and what became of the rest, in plain words: no file names, hashes or
    cells (those are in the analyst annex, which this names).

    "9 of 10 units reported for October 2026. People's workbook was rejected; its September
    2026 figures are shown. ..."
    """
    subs, appendix = view.submissions, view.appendix
    shown = {s.department: s.as_of for s in subs.stale}

    def instead(name: str) -> str:
        if name in shown:
            return f"; its {_figures(shown[name])} are shown"
        return "; it has no figures this month"

    sentences = [f"{subs.received} of {subs.expected} units reported for {view.period_label}."]
    if subs.complete:
        sentences.append("Every unit's workbook was received and accepted.")
    for r in subs.rejected:
        if r.department_id:
            sentences.append(
                f"{_possessive(r.department)} workbook was rejected{instead(r.department)}."
            )
    unknown = sum(1 for r in subs.rejected if not r.department_id)
    if unknown:
        sentences.append(
            f"{_plural(unknown, 'workbook')} from no configured unit "
            f"{'was' if unknown == 1 else 'were'} rejected."
        )
    for m in subs.missing:
        sentences.append(f"{m.department} sent no workbook{instead(m.department)}.")
    listed = {r.department for r in subs.rejected} | {m.department for m in subs.missing}
    for s in subs.stale:
        if s.department not in listed:
            sentences.append(f"{_possessive(s.department)} {_figures(s.as_of)} are shown.")
    if subs.unreadable:
        n = len(subs.unreadable)
        sentences.append(f"{_plural(n, 'file')} could not be opened.")
    if subs.other_period:
        n = len(subs.other_period)
        sentences.append(
            f"{_plural(n, 'file')} for another month {'was' if n == 1 else 'were'} not used."
        )
    checks = (
        f"The checks found {_plural(appendix.errors_total, 'error')} and "
        f"{_plural(appendix.warnings_total, 'warning')}"
    )
    if appendix.restated:
        checks += f"; {_plural(len(appendix.restated), 'past month')} changed since the last pack"
    sentences.append(
        checks + ". Each error and warning, with its file, cell and how to fix it, and every "
        f"input file are in the {ANNEX_TITLE.lower()} ({annex_name(view.period)})."
    )
    return " ".join(sentences)


# --- a subtree of the organisation -------------------------------------------------------------


def members(scored: Scored, root: str) -> tuple[str, ...]:
    """`root` and every department under it, parents before their children."""
    tree = _tree(scored)
    found: list[str] = []

    def visit(dept: str) -> None:
        if dept in found:
            return
        found.append(dept)
        for child in tree.children(dept):
            visit(child)

    visit(root)
    return tuple(found)


def _tree(scored: Scored) -> DepartmentTree:
    rows = scored.departments
    return DepartmentTree.of(zip(rows["department_id"], rows["parent"], strict=True))


def subtree(
    scored: Scored, validated: Validated, config: Config, root: str
) -> tuple[Scored, Validated, Config]:
    """What `pack_context` needs to show `root` and the departments under it.

    Rows are kept or left out, never rescored: a department's row is the one it was scored
    with in the whole organisation. Objectives stay whole (a department's page names the
    corporate objectives its KPIs measure; the strategy map is the corporate one).
    """
    keep = members(scored, root)
    kept = set(keep)
    depts = scored.departments
    root_row = depts[depts["department_id"] == root].iloc[0].to_dict()
    departments = depts[depts["department_id"].isin(kept)].copy()
    departments["depth"] = departments["depth"] - int(root_row["depth"])
    departments.loc[departments["department_id"] == root, "parent"] = None
    persp = scored.perspectives
    perspectives = pd.concat(
        [
            persp[persp["department_id"].isin(kept)],
            _subtree_perspectives(scored, config, keep, has_previous=_has_previous(scored)),
        ],
        ignore_index=True,
    )
    sub_config = dataclasses.replace(
        config,
        departments=tuple(
            dataclasses.replace(d, parent=None) if d.id == root else d
            for d in config.departments
            if d.id in kept
        ),
        packs=(),
    )
    no_data = [d for d in validated.no_data if d in kept]
    organisation = pd.DataFrame(
        [
            {
                **{c: root_row.get(c) for c in scored.organisation.columns},
                "department_id": ORG,
                "name": root_row["department"],
                "departments_scored": int(sum(not is_blank(s) for s in departments["score"])),
                "departments_no_data": int(sum(is_blank(s) for s in departments["score"])),
                "coverage": _coverage(sub_config, no_data),
            }
        ],
        columns=scored.organisation.columns,
    )
    cut = {
        f.name: _rows(getattr(scored, f.name), kept)
        for f in dataclasses.fields(scored)
        if f.name not in ("objectives", "perspectives", "departments", "organisation")
    }
    cut_scored = dataclasses.replace(
        scored,
        **cut,
        departments=departments,
        perspectives=perspectives,
        organisation=organisation,
    )
    cut_validated = dataclasses.replace(
        validated,
        **{
            f.name: _rows(getattr(validated, f.name), kept)
            for f in dataclasses.fields(validated)
            if isinstance(getattr(validated, f.name), pd.DataFrame | list)
        },
        missing=tuple(d for d in validated.missing if d in kept),
        rejected=tuple(d for d in validated.rejected if d in kept),
    )
    return cut_scored, cut_validated, sub_config


def _rows(value: Any, kept: set[str]) -> Any:
    """A frame's rows (or a list's problems) of the kept departments; anything else as is."""
    if isinstance(value, pd.DataFrame):
        if "department_id" not in value.columns:
            return value
        return value[value["department_id"].isin(kept)].reset_index(drop=True)
    if isinstance(value, list):
        return [p for p in value if getattr(p, "department", None) in kept]
    return value


def _has_previous(scored: Scored) -> bool:
    """Whether last month has scores at all (not in the fiscal year's first month)."""
    org = scored.organisation
    return bool(len(org)) and str(org["prev_status"].iloc[0]) != ""


def _subtree_perspectives(
    scored: Scored, config: Config, keep: Sequence[str], *, has_previous: bool
) -> pd.DataFrame:
    """The ORG rows of `scored.perspectives` for the subtree under keep[0]: each perspective
    rolled up through the subtree exactly as `pipeline.rollup` rolls it up through the tree."""
    root, kept = keep[0], set(keep)
    tree = _tree(scored)
    weights = {d.id: float(d.weight) for d in config.departments}
    thresholds = (config.scoring.rollup_green_at, config.scoring.rollup_amber_at)
    persp = scored.perspectives
    rows = {
        (r["department_id"], r["perspective"]): r
        for r in persp[persp["department_id"].isin(kept)].to_dict("records")
    }
    kpis = scored.kpis
    out = []
    for name in config.perspective_names:
        now = _through(root, name, rows, tree, weights, thresholds, "score")
        before = _through(root, name, rows, tree, weights, thresholds, "prev_score")
        prev = before.score if has_previous else math.nan
        out.append(
            {
                "department_id": ORG,
                "perspective": name,
                "score": now.score,
                "status": rollup_status(now.score, config.scoring),
                "prev_score": prev,
                "prev_status": rollup_status(prev, config.scoring) if has_previous else "",
                "trend": trend(now.score, prev),
                "objectives_scored": now.scored,
                "objectives_no_data": now.no_data,
                "kpis": int(
                    ((kpis["perspective"] == name) & kpis["department_id"].isin(kept)).sum()
                )
                if len(kpis)
                else 0,
                "okrs": sum(int(rows[(d, name)]["okrs"]) for d in keep if (d, name) in rows),
                "inputs": now.inputs,
                "formula": now.formula,
            }
        )
    return pd.DataFrame(out, columns=scored.perspectives.columns)


def _through(
    dept: str,
    perspective: str,
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    tree: DepartmentTree,
    weights: Mapping[str, float],
    thresholds: tuple[float, float],
    column: str,
) -> RollUp:
    """`dept`'s own perspective score (when it has one) and its sub-units', weighted."""
    items = []
    own = rows.get((dept, perspective))
    if own is not None and int(own["objectives_scored"]) + int(own["objectives_no_data"]) > 0:
        items.append((f"{dept} own", own[column], 1.0))
    for child in tree.children(dept):
        below = _through(child, perspective, rows, tree, weights, thresholds, column)
        if below.scored + below.no_data > 0:
            items.append((child, below.score, weights.get(child, 1.0)))
    return roll_up(items, thresholds)


# --- a department on one page -----------------------------------------------------------------

# What goes first when a one-pager is too long: the lower, the earlier.
_KPI_KEEP = {Status.GREEN: 0, Status.NO_DATA: 2, Status.AMBER: 3, Status.RED: 4}
_KR_KEEP = {"On pace": 1, Status.NO_DATA.value: 2, "Behind pace": 3}
_INITIATIVE_KEEP = {"green": 1}  # by status CSS class; every other status is 3


@dataclass(frozen=True)
class Row:
    """One row a one-pager may leave out: a KPI, a key result or an initiative."""

    kind: str  # "kpi", "kr" or "initiative"
    key: tuple[int, ...]  # its place: (section, group, kpi), (objective, kr) or (initiative,)
    keep: int  # rows with a lower `keep` are left out first
    status: str  # a KPI's status word, for the "and N more" line


def rows(d: DepartmentView) -> list[Row]:
    """Every row of `d` that a one-pager may leave out, in page order."""
    found = []
    for si, s in enumerate(d.sections):
        for gi, g in enumerate(s.groups):
            for ki, k in enumerate(g.kpis):
                found.append(
                    Row("kpi", (si, gi, ki), _KPI_KEEP.get(k.status.word, 2), k.status.word)
                )
    for oi, o in enumerate(d.okrs.objectives):
        for ki, kr in enumerate(o.krs):
            found.append(Row("kr", (oi, ki), _KR_KEEP.get(kr.pace, 2), kr.pace))
    for ii, i in enumerate(d.initiatives):
        found.append(Row("initiative", (ii,), _INITIATIVE_KEEP.get(i.css, 3), i.status))
    return found


def drop_order(d: DepartmentView) -> list[Row]:
    """The rows of `d` in the order a one-pager leaves them out: least needed first, and
    of equals the one further down the page."""
    found = rows(d)
    order = {r: i for i, r in enumerate(found)}
    return sorted(found, key=lambda r: (r.keep, -order[r]))


def fit_department(d: DepartmentView, leave_out: Iterable[Row]) -> tuple[DepartmentView, str]:
    """`d` without the rows in `leave_out`, and the line that says what they were.

    An objective whose KPIs are all left out goes with them, as does a perspective left
    with no objective; an OKR objective keeps its header and score.
    """
    gone = set(leave_out)
    if not gone:
        return d, ""
    by_kind: dict[str, set[tuple[int, ...]]] = {"kpi": set(), "kr": set(), "initiative": set()}
    for r in gone:
        by_kind[r.kind].add(r.key)
    sections = []
    for si, s in enumerate(d.sections):
        groups = []
        for gi, g in enumerate(s.groups):
            kpis: tuple[KpiView, ...] = tuple(
                k for ki, k in enumerate(g.kpis) if (si, gi, ki) not in by_kind["kpi"]
            )
            if g.kpis and not kpis:
                continue
            groups.append(dataclasses.replace(g, kpis=kpis))
        if groups:
            sections.append(dataclasses.replace(s, groups=tuple(groups)))
    objectives = []
    for oi, o in enumerate(d.okrs.objectives):
        krs: tuple[KrView, ...] = tuple(
            kr for ki, kr in enumerate(o.krs) if (oi, ki) not in by_kind["kr"]
        )
        objectives.append(dataclasses.replace(o, krs=krs))
    initiatives: tuple[InitiativeView, ...] = tuple(
        i for ii, i in enumerate(d.initiatives) if (ii,) not in by_kind["initiative"]
    )
    fitted = dataclasses.replace(
        d,
        sections=tuple(sections),
        okrs=dataclasses.replace(d.okrs, objectives=tuple(objectives)),
        initiatives=initiatives,
    )
    return fitted, left_out_line(d, gone)


def left_out_line(d: DepartmentView, gone: Iterable[Row]) -> str:
    """ "And 5 more KPIs (4 Green, 1 Amber), 2 more key results and 1 more initiative: ..."."""
    gone = list(gone)
    parts = []
    kpis = [r for r in gone if r.kind == "kpi"]
    if kpis:
        statuses = Counter(r.status for r in kpis)
        which = ", ".join(f"{statuses[s]} {s}" for s in Status if statuses[s])
        parts.append(f"{len(kpis)} more KPI{'s' if len(kpis) != 1 else ''} ({which})")
    n_krs = sum(1 for r in gone if r.kind == "kr")
    if n_krs:
        parts.append(f"{n_krs} more key result{'s' if n_krs != 1 else ''}")
    n_init = sum(1 for r in gone if r.kind == "initiative")
    if n_init:
        parts.append(f"{n_init} more initiative{'s' if n_init != 1 else ''}")
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"And {listed}, left out to fit one page: every one is on "
        f"{_possessive(d.name)} pages of the board pack."
    )
