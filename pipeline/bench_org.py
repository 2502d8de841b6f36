"""Benchmark organisations: N units cloned from the demo catalogue, written by the real writer.

`make bench` measures the pipeline on organisations of 10, 50 and 200 units. Each one is a
tree (one corporate unit `CORP`, divisions `DIV01`.., departments `D001`..) in a folder of
its own with a `scorecard.toml`, and every unit's workbook is one the pipeline accepts.

How a unit is made (`bench_catalogue`, deterministic: every choice comes from a
`random.Random` seeded with `SEED` and the unit's ID):

- Its *base* is one department of the demo catalogue (`pipeline.demo`): the corporate unit's
  is the demo's CORP, every other unit's a seeded choice among the demo's departments. The
  base gives the objectives, the people and the narrative.
- Its KPIs are the base's, then other demo departments' (in a seeded order) until there are
  `KPIS` (25); a borrowed KPI joins a base objective of the same perspective.
- Its OKRs are drawn the same way until there are `KEY_RESULTS` (12) key results (about four
  OKR objectives), and `INITIATIVES` (10) initiatives; a reference that no longer points
  inside the unit (an alignment, an initiative's objective) is moved to one of its own.
- Every ID is renumbered under the unit's ID (`D017-O1`, `D017-K01`, `D017-OKR1`,
  `D017-KR1`, `D017-I1`), so IDs stay unique organisation-wide. Contributes-to links to the
  demo's CORP follow the corporate unit's renumbering; links to another demo department go
  to an objective of the unit's parent with the same perspective.
- A unit without a narrative of its own gets a headline and a risk from the demo's
  departments, so every department page has some commentary.

`pipeline.demo.demo_content` then turns these specs into `WorkbookContent` (monthly actuals
with noise, weekly check-ins: `PERIOD` is a quarter's last month, so each key result has 13)
and `pipeline.workbook_templates.write_workbook` writes them, exactly as `scorecard demo`
does. `ensure_org` caches each size under `build/bench/org-<N>`, keyed by a hash of the
generator's sources (this file, the demo catalogue and generator, the writer, the contract).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import random
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import contract, demo
from pipeline.config import Config, load_config
from pipeline.demo import (
    DemoDepartment,
    DemoInitiative,
    DemoKpi,
    DemoNarrative,
    DemoObjective,
    DemoOkr,
)
from pipeline.workbook_templates import WorkbookContent, write_workbook

SEED = demo.SEED
PERIOD = "2026-09"  # the last month of 2026-Q3: a full quarter of weekly check-ins
KPIS = 25
KEY_RESULTS = 12
INITIATIVES = 10
CORPORATE = "CORP"
UNITS_PER_DIVISION = 10  # one division per ten units
DEFAULT_ROOT = Path("build") / "bench"
MANIFEST = "manifest.json"

# The demo departments' names, for the generated units' names.
_NAMES = {
    "COMM": "Commercial",
    "CS": "Customer success",
    "ENG": "Engineering",
    "FIN": "Finance",
    "IT": "IT",
    "MKT": "Marketing",
    "OPS": "Operations",
    "PPL": "People",
    "SALES": "Sales",
}
_REGIONS = (
    "Nordics", "Benelux", "Iberia", "Alpine", "Baltics", "Balkans", "Britain", "Ireland",
    "France", "Italy", "Poland", "Danube", "Aegean", "Rhine", "Atlantic", "Adriatic",
    "Carpathia", "Bohemia", "Silesia", "Lapland", "Anatolia", "Caucasus", "Levant", "Maghreb",
)  # fmt: skip
# Files whose change changes the generated workbooks: a change regenerates the cache.
_SOURCES = (
    Path(__file__),
    Path(demo.__file__),
    Path(contract.__file__),
    Path(__file__).with_name("workbook_templates.py"),
)


@dataclass(frozen=True)
class Unit:
    """One unit of a generated organisation, as its `[[departments]]` entry says."""

    id: str
    name: str
    parent: str | None
    corporate: bool = False


@dataclass(frozen=True)
class BenchOrg:
    """A generated organisation on disk."""

    size: int
    folder: Path
    config_path: Path
    period: str
    workbooks: tuple[Path, ...]  # in configuration order

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"


# --- the organisation's shape and configuration ---------------------------------------------


def org_units(size: int) -> tuple[Unit, ...]:
    """`size` units: CORP, then `size // 10` divisions (at least one), then departments
    shared round-robin among the divisions. Sizes 1 and 2 are CORP alone and with one
    division."""
    if size < 1:
        raise ValueError(f"an organisation needs at least one unit, got {size}")
    units = [Unit(CORPORATE, "Group strategy office", None, corporate=True)]
    if size == 1:
        return tuple(units)
    divisions = min(max(1, size // UNITS_PER_DIVISION), size - 1)
    division_ids = [f"DIV{i:02d}" for i in range(1, divisions + 1)]
    for i, div in enumerate(division_ids):
        units.append(Unit(div, f"{_region(i)} division", CORPORATE))
    names = sorted(_NAMES)
    seen: dict[str, int] = {}
    for i in range(size - 1 - divisions):
        dept = f"D{i + 1:03d}"
        parent = i % divisions
        base = names[random.Random(f"{SEED}:name:{dept}").randrange(len(names))]
        name = f"{_NAMES[base]} {_region(parent)}"
        seen[name] = seen.get(name, 0) + 1
        units.append(Unit(dept, f"{name} {seen[name]}", division_ids[parent]))
    return tuple(units)


def _region(i: int) -> str:
    region = _REGIONS[i % len(_REGIONS)]
    return region if i < len(_REGIONS) else f"{region} {i // len(_REGIONS) + 1}"


def config_text(size: int) -> str:
    """The `scorecard.toml` of the organisation of `size` units."""
    lines = [
        f"# Generated by pipeline/bench_org.py: a benchmark organisation of {size} units.",
        "",
        "[organisation]",
        f'name = "Bench Industries ({size} units)"',
        "fiscal_year_start = 1",
        'currency = "EUR"',
        "",
        "[reporting]",
        'inbox = "inbox"',
        'output = "reports"',
        'archive = "archive"',
    ]
    for unit in org_units(size):
        lines += ["", "[[departments]]", f'id = "{unit.id}"', f'name = "{unit.name}"']
        if unit.parent is not None:
            lines.append(f'parent = "{unit.parent}"')
        if unit.corporate:
            lines.append("corporate = true")
    lines += [
        "",
        "[scoring]",
        "amber_tolerance = 0.10",
        "rollup_green_at = 0.90",
        "rollup_amber_at = 0.60",
        "okr_green_at = 0.70",
        "okr_amber_at = 0.40",
        "",
        "[branding]",
        'primary_colour = "#1b365d"',
        'accent_colour = "#d4873a"',
        'classification = "Board confidential"',
        "",
    ]
    return "\n".join(lines)


# --- the units' catalogue (pure) --------------------------------------------------------------


def bench_catalogue(units: Iterable[Unit]) -> dict[str, DemoDepartment]:
    """A demo-catalogue entry for every unit (parents before children), keyed by unit ID."""
    source = demo.catalogue()
    pool = sorted(d for d in source if d != CORPORATE)
    built: dict[str, DemoDepartment] = {}
    corporate_ids: dict[str, str] = {}  # the demo CORP's objective and KPI IDs -> the unit's
    for unit in units:
        rng = random.Random(f"{SEED}:bench:{unit.id}")
        if unit.corporate:
            base = CORPORATE
        else:
            base = pool[random.Random(f"{SEED}:name:{unit.id}").randrange(len(pool))]
        others = [d for d in pool if d != base]
        rng.shuffle(others)
        order = [base, *others]
        parent = built.get(unit.parent) if unit.parent else None
        spec, ids = _unit(unit.id, [(d, source[d]) for d in order], corporate_ids, parent, rng)
        if unit.corporate:
            corporate_ids = ids
        built[unit.id] = spec
    return built


def _unit(
    unit: str,
    sources: list[tuple[str, DemoDepartment]],
    corporate_ids: Mapping[str, str],
    parent: DemoDepartment | None,
    rng: random.Random,
) -> tuple[DemoDepartment, dict[str, str]]:
    """One unit's spec from its base (`sources[0]`) and donors (the rest), renumbered."""
    base_id, base = sources[0]
    ids: dict[str, str] = {}  # source ID -> this unit's ID

    objectives: list[DemoObjective] = []
    for o in base.objectives:
        ids[o.id] = f"{unit}-O{len(objectives) + 1}"
        objectives.append(o)
    by_perspective: dict[str, list[str]] = {}
    for o in base.objectives:
        by_perspective.setdefault(o.perspective, []).append(o.id)

    kpis: list[DemoKpi] = []
    for _, spec in sources:
        own = {o.id: o for o in spec.objectives}
        for k in spec.kpis:
            if len(kpis) == KPIS:
                break
            if k.objective not in ids:  # a donor's KPI joins a base objective of its kind
                perspective = own[k.objective].perspective
                if perspective not in by_perspective:  # no such objective yet: bring it along
                    ids[k.objective] = f"{unit}-O{len(objectives) + 1}"
                    objectives.append(own[k.objective])
                    by_perspective[perspective] = [k.objective]
                else:
                    k = dataclasses.replace(k, objective=rng.choice(by_perspective[perspective]))
            ids[k.id] = f"{unit}-K{len(kpis) + 1:02d}"
            kpis.append(k)

    okrs: list[DemoOkr] = []
    count = 0
    for _, spec in sources:
        for okr in spec.okrs:
            if count == KEY_RESULTS:
                break
            krs = okr.key_results[: KEY_RESULTS - count]
            renamed = []
            for kr in krs:
                count += 1
                renamed.append(dataclasses.replace(kr, id=f"{unit}-KR{count}"))
            okrs.append(
                dataclasses.replace(
                    okr, id=f"{unit}-OKR{len(okrs) + 1}", key_results=tuple(renamed)
                )
            )

    own_objectives = [ids[o.id] for o in objectives]
    initiatives: list[DemoInitiative] = []
    for _, spec in sources:
        for i in spec.initiatives:
            if len(initiatives) == INITIATIVES:
                break
            target = ids.get(i.objective) or rng.choice(own_objectives)
            initiatives.append(
                dataclasses.replace(i, id=f"{unit}-I{len(initiatives) + 1}", objective=target)
            )

    parent_objectives: dict[str, list[str]] = {}
    for o in parent.objectives if parent else ():
        parent_objectives.setdefault(o.perspective, []).append(o.id)

    def contributes(o: DemoObjective) -> tuple[str, ...]:
        out: list[str] = []
        for target in o.contributes_to:
            if target in ids:
                new = ids[target]
            elif target in corporate_ids:
                new = corporate_ids[target]
            elif parent_objectives:  # another demo department's: the parent's, same kind
                near = parent_objectives.get(o.perspective) or sorted(
                    x for xs in parent_objectives.values() for x in xs
                )
                new = rng.choice(near)
            else:
                continue
            if new != ids[o.id] and new not in out:
                out.append(new)
        return tuple(out)

    links = {o.id: contributes(o) for o in objectives}
    mine = {x for xs in parent_objectives.values() for x in xs}
    if mine and not any(set(targets) & mine for targets in links.values()):
        # every unit rolls up into its parent: its first objective supports one of the
        # parent's objectives of the same perspective (or any, when it has none)
        first = objectives[0]
        near = parent_objectives.get(first.perspective) or sorted(mine)
        links[first.id] = (*links[first.id], rng.choice(near))

    def aligned(okr: DemoOkr) -> str | None:
        if okr.aligned_to is None:
            return None
        return ids.get(okr.aligned_to) or rng.choice(own_objectives)

    spec = DemoDepartment(
        prepared_by=base.prepared_by,
        approved_by=base.approved_by,
        submitted_after_days=base.submitted_after_days,
        objectives=tuple(
            dataclasses.replace(o, id=ids[o.id], contributes_to=links[o.id]) for o in objectives
        ),
        kpis=tuple(dataclasses.replace(k, id=ids[k.id], objective=ids[k.objective]) for k in kpis),
        okrs=tuple(dataclasses.replace(o, aligned_to=aligned(o)) for o in okrs),
        initiatives=tuple(initiatives),
        narrative=base.narrative or _borrowed_narrative(base_id, rng),
    )
    return spec, ids


def _borrowed_narrative(base: str, rng: random.Random) -> tuple[DemoNarrative, ...]:
    """A headline and a risk from the demo's departments (not the corporate letter)."""
    source = demo.catalogue()
    pool = [n for d in sorted(source) if d not in (CORPORATE, base) for n in source[d].narrative]
    out = []
    for section in ("Headline", "Risks and issues"):
        choices = [n for n in pool if n.section == section]
        if choices:
            out.append(rng.choice(choices))
    return tuple(out)


def bench_content(config: Config, period: str = PERIOD) -> dict[str, WorkbookContent]:
    """Workbook content for every unit of a generated organisation's configuration."""
    units = [Unit(d.id, d.name, d.parent, d.corporate) for d in config.departments]
    return demo.demo_content(config, period, bench_catalogue(units))


# --- writing (I/O) ------------------------------------------------------------------------


@functools.cache  # once per process: the key of the code loaded, even if a file changes later
def generator_key() -> str:
    """A hash of everything the generated workbooks depend on."""
    digest = hashlib.sha256()
    data = sorted(demo.DATA_DIR.glob("*.toml"))
    for path in (*_SOURCES, *data):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_org(size: int, folder: Path, period: str = PERIOD) -> BenchOrg:
    """Write the organisation of `size` units into `folder`: scorecard.toml and inbox/."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "scorecard.toml"
    config_path.write_text(config_text(size), encoding="utf-8")
    config = load_config(config_path)
    contents = bench_content(config, period)
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    paths = []
    for dept in config.departments:
        content = contents[dept.id]
        submitted_on = content.submission[contract.SubmissionField.SUBMITTED_ON]
        path = inbox / demo.demo_file_name(dept.id, period)
        paths.append(write_workbook(path, config, dept, period, content, submitted_on))
    return BenchOrg(size, folder, config_path, period, tuple(paths))


def ensure_org(size: int, root: Path = DEFAULT_ROOT, period: str = PERIOD) -> tuple[BenchOrg, bool]:
    """The organisation of `size` units under `root/org-<size>`, generated when missing or
    out of date (another generator key, or an inbox file changed); True when generated."""
    folder = Path(root) / f"org-{size}"
    manifest_path = folder / MANIFEST
    key = generator_key()
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if manifest.get("key") == key and manifest.get("period") == period:
        paths = tuple(folder / "inbox" / name for name in manifest["files"])
        if all(_sha256(p) == manifest["files"][p.name] for p in paths):
            return BenchOrg(size, folder, folder / "scorecard.toml", period, paths), False
    if folder.exists():
        shutil.rmtree(folder)
    org = build_org(size, folder, period)
    files = {p.name: _sha256(p) for p in org.workbooks}
    manifest_path.write_text(
        json.dumps({"key": key, "size": size, "period": period, "files": files}, indent=1),
        encoding="utf-8",
    )  # written last: a manifest means a complete organisation
    return org, True


def rewrite_kpi_actual(org: BenchOrg, dept_id: str, bump: int) -> Path:
    """Rewrite `dept_id`'s workbook with its first KPI's reporting-month actual changed by
    `bump` per cent (0: the original workbook, byte for byte)."""
    config = load_config(org.config_path)
    content = bench_content(config, org.period)[dept_id]
    if bump:
        row = content.kpis[0]
        value = row.get(org.period)
        base = value if isinstance(value, int | float) and value else row["Target"]
        row[org.period] = round(base * (1 + bump / 100), 6)
    dept = next(d for d in config.departments if d.id == dept_id)
    path = org.inbox / demo.demo_file_name(dept_id, org.period)
    submitted_on = content.submission[contract.SubmissionField.SUBMITTED_ON]
    return write_workbook(path, config, dept, org.period, content, submitted_on)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def describe(contents: Mapping[str, WorkbookContent]) -> dict[str, Any]:
    """Counts of what the organisation's workbooks hold, for the benchmark's report."""
    rows = {
        name: sum(len(getattr(c, name)) for c in contents.values())
        for name in ("objectives", "kpis", "okrs", "checkins", "initiatives", "narrative")
    }
    okr_objectives = sum(len({r["Objective ID"] for r in c.okrs}) for c in contents.values())
    return {"units": len(contents), **rows, "okr_objectives": okr_objectives}
