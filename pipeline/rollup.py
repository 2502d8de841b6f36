"""One month's KPI scores in, every roll-up out: objectives, perspectives, departments, org.

Pure: frames and the department tree in, `RollUp`s (score, counts, formula) out. The
rules (contributions to corporate objectives, own scores, the parent tree) are stated in
the `pipeline.score` docstring and docs/scoring.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pipeline.config import Config
from pipeline.formulas import RollUp, roll_up
from pipeline.vocabulary import ORG, DepartmentTree, is_blank


@dataclass(frozen=True)
class Tree:
    """The department tree from the configuration (plus any department found in the data)."""

    walk: DepartmentTree
    names: dict[str, str]
    corporate: frozenset[str]
    weights: dict[str, float]  # a department's weight in its parent's roll-up (default 1)
    perspectives: tuple[str, ...]  # configured, top lane first
    perspective_weights: dict[str, float]  # a perspective's weight in a department's own score
    thresholds: tuple[float, float]  # rollup_green_at, rollup_amber_at: for the formula text

    @classmethod
    def build(cls, config: Config, extra: Iterable[str]) -> Tree:
        pairs = [(d.id, d.parent) for d in config.departments]
        names = {d.id: d.name for d in config.departments}
        for dept in extra:
            if dept and dept not in names:
                pairs.append((dept, None))
                names[dept] = dept
        corporate = frozenset(d.id for d in config.departments if d.corporate)
        weights = {d.id: float(d.weight) for d in config.departments}
        return cls(
            DepartmentTree.of(pairs),
            names,
            corporate,
            weights,
            config.perspective_names,
            config.perspective_weights,
            (config.scoring.rollup_green_at, config.scoring.rollup_amber_at),
        )

    @property
    def ids(self) -> tuple[str, ...]:
        return self.walk.order


@dataclass
class ObjectiveRollUp:
    """One objective's scores: its own KPIs, and with contributing objectives added."""

    own: RollUp
    full: RollUp  # = own unless departmental objectives contribute to it
    contributors: tuple[str, ...] = ()


@dataclass
class Rolled:
    """Every roll-up of one month, keyed by what it scores."""

    objectives: dict[str, ObjectiveRollUp]
    perspectives: dict[tuple[str, str], RollUp]  # (department_id | ORG, perspective)
    own: dict[str, RollUp]
    departments: dict[str, RollUp]
    organisation: RollUp


def roll_up_all(
    objectives: pd.DataFrame,
    kpis: pd.DataFrame,
    kpi_scores: pd.Series,
    tree: Tree,
    bsc_departments: list[str],
    absent: set[str],
) -> Rolled:
    """Objective -> perspective -> department -> parent -> organisation, for one month."""
    objective_rows = objectives.to_dict("records")
    objective_ids = {o["objective_id"] for o in objective_rows}
    corporate_ids = {o["objective_id"] for o in objective_rows if o.get("corporate")}
    by_objective: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    orphans: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for kpi, s in zip(kpis.to_dict("records"), kpi_scores, strict=True):
        item = (kpi["kpi_id"], s, kpi["weight"])
        if kpi["objective_id"] in objective_ids:
            by_objective[kpi["objective_id"]].append(item)
        else:
            orphans[(kpi["department_id"], kpi["perspective"])].append(item)

    rolled: dict[str, ObjectiveRollUp] = {}
    for o in objective_rows:
        own = roll_up(by_objective.get(o["objective_id"], []), tree.thresholds)
        rolled[o["objective_id"]] = ObjectiveRollUp(own, own)
    for o in objective_rows:
        if o["objective_id"] in corporate_ids:
            continue
        for target in o.get("contributes_to") or ():
            if target in corporate_ids:
                entry = rolled[target]
                entry.contributors = (*entry.contributors, o["objective_id"])
    for target in corporate_ids:
        entry = rolled[target]
        if entry.contributors:
            extra = [(c, rolled[c].own.score, _weight(objectives, c)) for c in entry.contributors]
            entry.full = roll_up([*by_objective.get(target, []), *extra], tree.thresholds)

    perspectives: dict[tuple[str, str], RollUp] = {}
    by_dept_persp: dict[tuple[str, str], list[tuple[str, float, float]]] = defaultdict(list)
    for o in objective_rows:
        key = (o["department_id"], o["perspective"])
        by_dept_persp[key].append(
            (o["objective_id"], rolled[o["objective_id"]].own.score, o["weight"])
        )
    for dept in bsc_departments:
        for persp in tree.perspectives:
            items = by_dept_persp.get((dept, persp), []) + orphans.get((dept, persp), [])
            perspectives[(dept, persp)] = roll_up(items, tree.thresholds)

    # A perspective with no objective and no KPI is absent, not No data: it is left out.
    def present(key: tuple[str, str]) -> bool:
        r = perspectives[key]
        return r.scored + r.no_data > 0

    # Organisation-wide perspectives go through the department tree with the same weights
    # as the organisation score, so the perspective tiles and the total come from one method.
    for persp in tree.perspectives:
        through: dict[str, RollUp] = {}
        for dept in tree.walk.post_order():
            items = []
            if dept in bsc_departments and present((dept, persp)):
                items.append((f"{dept} own", perspectives[(dept, persp)].score, 1.0))
            for child in tree.walk.children(dept):
                if through[child].scored + through[child].no_data > 0:
                    items.append((child, through[child].score, tree.weights.get(child, 1.0)))
            through[dept] = roll_up(items, tree.thresholds)
        perspectives[(ORG, persp)] = roll_up(
            [
                (d, through[d].score, tree.weights.get(d, 1.0))
                for d in tree.walk.roots()
                if through[d].scored + through[d].no_data > 0
            ],
            tree.thresholds,
        )

    # Departments: own scorecard + children. A department that sent nothing counts as No
    # data; one that runs OKRs only has no BSC score and is left out of the BSC roll-up.
    own: dict[str, RollUp] = {}
    departments: dict[str, RollUp] = {}
    for dept in tree.walk.post_order():
        own[dept] = roll_up(
            [
                (p, perspectives[(dept, p)].score, tree.perspective_weights[p])
                for p in tree.perspectives
                if dept in bsc_departments and present((dept, p))
            ],
            tree.thresholds,
        )
        items = []
        if dept in bsc_departments or dept in absent:
            items.append((f"{dept} own", own[dept].score, 1.0))
        for child in tree.walk.children(dept):
            r = departments[child]
            if r.scored + r.no_data > 0:
                items.append((child, r.score, tree.weights.get(child, 1.0)))
        departments[dept] = roll_up(items, tree.thresholds)
    roots = list(tree.walk.roots())
    organisation = roll_up(
        [
            (d, departments[d].score, tree.weights.get(d, 1.0))
            for d in roots
            if departments[d].scored + departments[d].no_data > 0
        ],
        tree.thresholds,
    )
    return Rolled(rolled, perspectives, own, departments, organisation)


def _weight(objectives: pd.DataFrame, objective_id: str) -> float:
    w = objectives.loc[objectives["objective_id"] == objective_id, "weight"]
    return 1.0 if w.empty or is_blank(w.iloc[0]) else float(w.iloc[0])
