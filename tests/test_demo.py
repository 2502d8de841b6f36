"""The demo organisation: complete, realistic, deterministic and valid by construction."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline import contract
from pipeline.config import load_config
from pipeline.demo import (
    DATA_DIR,
    DEMO_PERIOD,
    DemoDataError,
    build_demo,
    demo_content,
    load_catalogue,
    load_department,
)
from pipeline.read import read_workbook
from pipeline.validate import validate

CONFIG_PATH = Path(__file__).resolve().parents[1] / "examples" / "demo" / "scorecard.toml"
TASK_VERBS = (
    "launch", "implement", "build", "create", "deploy", "migrate", "roll", "introduce",
    "set", "develop", "design", "run", "hold a", "complete", "deliver", "finish", "start",
    "write", "conduct", "establish", "define", "prepare", "hire", "install", "connect",
)  # fmt: skip
NUMBER = re.compile(r"\d")


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG_PATH)


@pytest.fixture(scope="module")
def content(config):
    return demo_content(config, DEMO_PERIOD)


@pytest.fixture(scope="module")
def months(config):
    return contract.fiscal_year_months(DEMO_PERIOD, config.organisation.fiscal_year_start)


def all_rows(content, sheet):
    return [(dept, row) for dept, c in content.items() for row in getattr(c, sheet)]


# --- the docs/scoring.md formula, written out independently of pipeline.score ------------------


def kpi_score(row, months, upto, tolerance=0.10):
    """Score at fiscal month `upto` (1-based); None when that month is blank (No data)."""
    values = [row[m] for m in months[:upto]]
    if values[-1] is None:
        return None
    filled = [v for v in values if v is not None]
    agg = row["Aggregation"]
    actual = {"Last": filled[-1], "Sum": sum(filled), "Average": sum(filled) / len(filled)}[agg]
    phase = upto / 12 if agg == "Sum" else 1.0
    target = row["Target"] * phase
    red_given = row["Red threshold"]
    if row["Direction"] == "Within range":
        low, high = target, row["Target max"] * phase
        if low <= actual <= high:
            return 1.0
        if red_given is not None:
            distance = min(abs(red_given * phase - low), abs(red_given * phase - high))
        else:
            distance = tolerance * abs(low if actual < low else high)
        outside = low - actual if actual < low else actual - high
        return max(0.0, min(1.0, 1 - outside / distance))
    if red_given is not None:
        red = red_given * phase
    elif row["Direction"] == "Higher is better":
        red = target * (1 - tolerance)
    else:
        red = target * (1 + tolerance)
    return max(0.0, min(1.0, (actual - red) / (target - red)))


def kpi_status(row, months, upto):
    score = kpi_score(row, months, upto)
    if score is None:
        return "No data"
    if score >= 1 - 1e-9:
        return "Green"
    if score <= 1e-9:
        return "Red"
    return "Amber"


@pytest.fixture(scope="module")
def statuses(content, months):
    upto = months.index(DEMO_PERIOD) + 1
    return {
        row["KPI ID"]: (kpi_status(row, months, upto), kpi_status(row, months, upto - 1))
        for _, row in all_rows(content, "kpis")
    }


# --- structure -----------------------------------------------------------------------------


def test_every_configured_department_has_content(config, content):
    """Every department in scorecard.toml gets a workbook's worth of content."""
    assert list(content) == list(config.department_ids)
    assert len(config.departments) >= 9


def test_department_tree_has_corporate_root(config):
    """CORP is the corporate root; every other department hangs off it, some two deep."""
    corporate = [d for d in config.departments if d.corporate]
    assert [d.id for d in corporate] == ["CORP"]
    assert all(d.parent is not None for d in config.departments if not d.corporate)
    assert any(d.parent not in (None, "CORP") for d in config.departments)


def test_ids_unique_across_the_organisation(content):
    """Objective, KPI, OKR, KR and initiative IDs are unique organisation-wide."""
    ids = [r["Objective ID"] for _, r in all_rows(content, "objectives")]
    ids += [r["KPI ID"] for _, r in all_rows(content, "kpis")]
    ids += list({r["Objective ID"] for _, r in all_rows(content, "okrs")})
    ids += [r["KR ID"] for _, r in all_rows(content, "okrs")]
    ids += [r["Initiative ID"] for _, r in all_rows(content, "initiatives")]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for dept, c in content.items():
        for row in c.objectives + c.kpis + c.initiatives:
            key = next(iter(row))
            assert row[key].startswith(f"{dept}-"), row[key]


def test_corporate_strategy_map(content):
    """CORP: 8-12 objectives over all four perspectives, every link strictly upward."""
    objectives = content["CORP"].objectives
    assert 8 <= len(objectives) <= 12
    assert {o["Perspective"] for o in objectives} == set(contract.PERSPECTIVES)
    level = {o["Objective ID"]: contract.PERSPECTIVES.index(o["Perspective"]) for o in objectives}
    for o in objectives:
        links = [x.strip() for x in (o["Contributes to"] or "").split(",") if x.strip()]
        if o["Perspective"] != "Financial":
            assert links, f"{o['Objective ID']} drives nothing"
        for target in links:
            assert target in level, target
            assert level[target] >= level[o["Objective ID"]], (o["Objective ID"], target)
            if o["Perspective"] != "Financial":
                assert level[target] > level[o["Objective ID"]] or target.startswith("CORP-F")


def test_department_objectives_link_up_to_corporate(config, content):
    """Each unit has 3-6 objectives over all four perspectives, each feeding CORP upward."""
    level = {
        r["Objective ID"]: contract.PERSPECTIVES.index(r["Perspective"])
        for _, r in all_rows(content, "objectives")
    }
    for dept, c in content.items():
        if dept == "CORP":
            continue
        assert 3 <= len(c.objectives) <= 6, dept
        assert {o["Perspective"] for o in c.objectives} == set(contract.PERSPECTIVES), dept
        for o in c.objectives:
            links = [x.strip() for x in o["Contributes to"].split(",")]
            assert any(x.startswith("CORP-") for x in links), o["Objective ID"]
            for target in links:
                assert target in level, (o["Objective ID"], target)
                parent = config.department(dept).parent
                assert target.startswith(("CORP-", f"{dept}-", f"{parent}-")), target
                assert level[target] >= level[o["Objective ID"]], (o["Objective ID"], target)


def test_kpis_cover_perspectives_and_objectives(content):
    """10-25 KPIs per unit, all four perspectives, each on one of the unit's objectives."""
    for dept, c in content.items():
        assert 10 <= len(c.kpis) <= 25, (dept, len(c.kpis))
        objectives = {o["Objective ID"]: o["Perspective"] for o in c.objectives}
        assert {k["Perspective"] for k in c.kpis} == set(contract.PERSPECTIVES), dept
        for k in c.kpis:
            assert objectives[k["Objective ID"]] == k["Perspective"], k["KPI ID"]
        # every strategy-map objective is measured (no accidental "objective without KPI")
        assert set(objectives) == {k["Objective ID"] for k in c.kpis}, dept


def test_kpi_definitions_are_sound(content):
    """Directions, aggregations, units, red sides and ranges are all plausible and typed."""
    kpis = [r for _, r in all_rows(content, "kpis")]
    assert {k["Direction"] for k in kpis} == set(contract.DIRECTIONS)
    assert {k["Aggregation"] for k in kpis} == set(contract.AGGREGATIONS)
    assert {"%", "count", "days", "hours", "score", "EUR"} <= {k["Unit"] for k in kpis}
    weights = Counter(k["Weight"] for k in kpis)
    assert weights[None] > len(kpis) / 2 and weights[2] >= 3
    for k in kpis:
        kid, red, target = k["KPI ID"], k["Red threshold"], k["Target"]
        assert isinstance(target, int | float) and not isinstance(target, bool), kid
        if k["Aggregation"] == "Sum":
            assert k["Unit"] in ("count", "EUR", "hours"), kid
            assert red is None, kid  # the phased target alone sets red
        assert k["Unit"] not in contract.NON_ADDITIVE_UNITS or k["Aggregation"] != "Sum"
        if target == 0:
            assert red is not None, kid
        if k["Direction"] == "Within range":
            assert k["Target max"] is not None and k["Target max"] > target, kid
            assert red is None, kid
        else:
            assert k["Target max"] is None, kid
        if k["Direction"] == "Higher is better" and red is not None:
            assert red < target, kid
        if k["Direction"] == "Lower is better" and red is not None:
            assert red > target, kid
    assert sum(k["Red threshold"] is None for k in kpis) >= 20
    assert sum(k["Red threshold"] is not None for k in kpis) >= 20


def test_actuals_are_typed_and_in_range(content, months):
    """Actuals are numbers up to the period only; percentages are fractions, never 42."""
    after = months[months.index(DEMO_PERIOD) + 1 :]
    for _, k in all_rows(content, "kpis"):
        for m in months:
            v = k[m]
            if m in after:
                assert v is None, (k["KPI ID"], m)
            elif v is not None:
                assert isinstance(v, int | float) and not isinstance(v, bool), (k["KPI ID"], m)
                assert v >= 0, (k["KPI ID"], m)
                if k["Unit"] == "%":
                    assert v <= 1.5, (k["KPI ID"], m, v)
                if k["Unit"] == "count":
                    assert isinstance(v, int), (k["KPI ID"], m)
        if k["Unit"] == "%":
            assert k["Target"] <= 1.5, k["KPI ID"]


def test_blank_months(content, months):
    """1-3 KPIs miss the reporting month; exactly one has a gap before a filled month."""
    filled = months[: months.index(DEMO_PERIOD) + 1]
    missing_now = [k["KPI ID"] for _, k in all_rows(content, "kpis") if k[DEMO_PERIOD] is None]
    assert 1 <= len(missing_now) <= 3
    gaps = []
    for _, k in all_rows(content, "kpis"):
        values = [k[m] for m in filled]
        last = max(i for i, v in enumerate(values) if v is not None)
        if any(v is None for v in values[:last]):
            gaps.append(k["KPI ID"])
    assert len(gaps) == 1, gaps


# --- statuses ------------------------------------------------------------------------------


def test_status_mix(statuses):
    """Green, Amber, Red and No data all occur, in a mix a real board would recognise."""
    now = Counter(s for s, _ in statuses.values())
    assert set(now) == {"Green", "Amber", "Red", "No data"}
    assert 1 <= now["No data"] <= 3
    assert now["Green"] > now["Amber"] > now["Red"] >= 5


def test_some_kpis_red_for_two_months(statuses):
    """Several KPIs are Red in both the reporting month and the month before."""
    assert sum(1 for now, before in statuses.values() if now == before == "Red") >= 3


def test_commentary_on_red_and_amber(content, statuses):
    """Every Red or Amber KPI explains itself, except exactly one Red (an advice case)."""
    silent = [
        k["KPI ID"]
        for _, k in all_rows(content, "kpis")
        if statuses[k["KPI ID"]][0] in ("Red", "Amber") and not k["Commentary"]
    ]
    assert len(silent) == 1
    assert statuses[silent[0]][0] == "Red"


def test_derive_an_okr_cases_are_unambiguous(content, statuses):
    """KPIs Red 2+ months either have an OKR aligned to the KPI itself or none at all."""
    aligned = {r["Aligned to"] for _, r in all_rows(content, "okrs") if r["Aligned to"]}
    derive = []
    for _, k in all_rows(content, "kpis"):
        if statuses[k["KPI ID"]] == ("Red", "Red"):
            if k["KPI ID"] in aligned:
                continue
            assert k["Objective ID"] not in aligned, k["KPI ID"]
            derive.append(k["KPI ID"])
    assert 2 <= len(derive) <= 4, derive


# --- OKRs ----------------------------------------------------------------------------------


def test_okr_shape(content):
    """2-4 OKR objectives per unit (one unit BSC-only), 2-5 KRs each, all five KR types."""
    without = [d for d, c in content.items() if not c.okrs]
    assert len(without) == 1
    for dept, c in content.items():
        if not c.okrs:
            continue
        per_objective = Counter(r["Objective ID"] for r in c.okrs)
        assert 2 <= len(per_objective) <= 4, dept
        assert all(2 <= n <= 5 for n in per_objective.values()), (dept, per_objective)
    types = {r["Type"] for _, r in all_rows(content, "okrs")}
    assert types == set(contract.KR_TYPES)


def test_key_results_are_well_formed(content):
    """KRs: quarter 2026-Q4, typed numbers, confidence 0-10, owners, sane milestones."""
    for _, r in all_rows(content, "okrs"):
        assert r["Quarter"] == "2026-Q4"
        assert r["Owner"]
        assert isinstance(r["Confidence"], int) and 0 <= r["Confidence"] <= 10
        assert r["Weight"] in (None, 1, 2)
        if r["Type"] == "Milestone":
            assert (r["Baseline"], r["Target"]) == (0, 1)
            assert r["Current"] in (0, 1)
        else:
            assert r["Baseline"] != r["Target"] or r["Type"].startswith("Stay")
            for key in ("Baseline", "Target", "Current"):
                assert isinstance(r[key], int | float), (r["KR ID"], key)
            if r["Unit"] == "%":
                assert max(r["Baseline"], r["Target"], r["Current"]) <= 1.5, r["KR ID"]


def test_key_results_are_outcomes(content):
    """KRs carry a number; at most one reads like a task (a deliberate advice case)."""
    task_like = []
    for _, r in all_rows(content, "okrs"):
        text = r["Key result"].lower()
        if r["Type"] != "Milestone":
            assert NUMBER.search(text), r["KR ID"]
        if text.startswith(TASK_VERBS):
            task_like.append(r["KR ID"])
    assert len(task_like) == 1, task_like


def test_okr_alignment(content):
    """OKRs align to their own unit's BSC objective or KPI; exactly one aligns to nothing."""
    unaligned = set()
    for c in content.values():
        own = {o["Objective ID"] for o in c.objectives} | {k["KPI ID"] for k in c.kpis}
        for r in c.okrs:
            if r["Aligned to"] is None:
                unaligned.add(r["Objective ID"])
            else:
                assert r["Aligned to"] in own, (r["KR ID"], r["Aligned to"])
    assert len(unaligned) == 1
    perspectives = set()
    for _, r in all_rows(content, "okrs"):
        for _, o in all_rows(content, "objectives"):
            if o["Objective ID"] == r["Aligned to"]:
                perspectives.add(o["Perspective"])
        for _, k in all_rows(content, "kpis"):
            if k["KPI ID"] == r["Aligned to"]:
                perspectives.add(k["Perspective"])
    assert perspectives == set(contract.PERSPECTIVES)


def test_check_ins(content):
    """Numeric KRs check in weekly on Fridays in Q4 up to the period end; one goes stale."""
    start, _ = contract.quarter_bounds("2026-Q4")
    end = contract.period_end(DEMO_PERIOD)
    fridays = [date(2026, 10, d) for d in (2, 9, 16, 23, 30)]
    stale = []
    for c in content.values():
        krs = {r["KR ID"]: r for r in c.okrs}
        by_kr: dict[str, list] = {}
        for ci in c.checkins:
            assert ci["KR ID"] in krs, ci
            assert start <= ci["Date"] <= end and ci["Date"].weekday() == 4
            assert isinstance(ci["Confidence"], int) and 0 <= ci["Confidence"] <= 10
            assert ci["Note"]
            by_kr.setdefault(ci["KR ID"], []).append(ci)
        for kr_id, r in krs.items():
            series = by_kr.get(kr_id, [])
            if r["Type"] == "Milestone":
                assert not series
                continue
            dates = [ci["Date"] for ci in series]
            assert dates == fridays[: len(dates)] and len(dates) >= 2, kr_id
            assert series[-1]["Value"] == r["Current"], kr_id
            if (end - dates[-1]).days >= 14:
                stale.append(kr_id)
    assert len(stale) == 1, stale


def test_some_key_results_go_the_wrong_way(content):
    """A few numeric KRs end October on the wrong side of their baseline."""
    wrong = 0
    for _, r in all_rows(content, "okrs"):
        if r["Type"] in ("Increase to", "Decrease to"):
            up = r["Target"] > r["Baseline"]
            if (r["Current"] < r["Baseline"]) if up else (r["Current"] > r["Baseline"]):
                wrong += 1
    assert wrong >= 2


# --- initiatives and submission ------------------------------------------------------------


def test_initiatives(content):
    """2-4 initiatives per unit on its own objectives, with dates, progress and budgets."""
    statuses = set()
    for dept, c in content.items():
        assert 2 <= len(c.initiatives) <= 4, dept
        own = {o["Objective ID"] for o in c.objectives}
        for i in c.initiatives:
            assert i["Objective ID"] in own, i["Initiative ID"]
            assert isinstance(i["Start"], date) and isinstance(i["End"], date)
            assert i["Start"] < i["End"]
            assert 0 <= i["Progress %"] <= 1
            assert 0 <= i["Spent"] <= i["Budget"]
            assert i["Status"] in contract.INITIATIVE_STATUSES
            if i["Status"] == "Done":
                assert i["Progress %"] == 1
            if i["Status"] == "Not started":
                assert i["Progress %"] == 0 and i["Spent"] == 0
            if i["Status"] in ("At risk", "Off track"):
                assert i["Note"], i["Initiative ID"]
            statuses.add(i["Status"])
    assert statuses == set(contract.INITIATIVE_STATUSES)


def test_submission(content):
    """Each workbook names who prepared and approved it, submitted early November 2026."""
    for c in content.values():
        s = c.submission
        assert s["Prepared by"] and s["Approved by"] and s["Prepared by"] != s["Approved by"]
        assert date(2026, 11, 1) <= s["Submitted on"] <= date(2026, 11, 7)


def test_deterministic(config):
    """Two calls give identical content."""
    assert demo_content(config, DEMO_PERIOD) == demo_content(config, DEMO_PERIOD)


def test_unknown_department_is_a_clear_error(config):
    """A department the demo does not know is named in the error."""
    from dataclasses import replace

    from pipeline.config import Department

    odd = replace(config, departments=(*config.departments, Department("LEGAL", "Legal")))
    with pytest.raises(ValueError, match="LEGAL"):
        demo_content(odd, DEMO_PERIOD)


# --- the files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(config, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    (inbox / "notes.txt").write_text("keep me")
    (inbox / "budget.xlsx").write_bytes(b"not a demo workbook")
    (inbox / "FIN-2026-09.xlsx").write_bytes(b"an earlier demo run")
    return inbox, build_demo(config, DEMO_PERIOD, inbox=inbox)


def test_build_demo_writes_one_workbook_per_department(config, content, built):
    """One <DEPT>-<period>.xlsx per department, each reading back with all its rows."""
    inbox, paths = built
    assert [p.name for p in paths] == [f"{d}-{DEMO_PERIOD}.xlsx" for d in config.department_ids]
    for dept, path in zip(config.department_ids, paths, strict=True):
        raw = read_workbook(path)
        assert len(raw.sheets["KPIs"].frame) == len(content[dept].kpis), dept
        assert len(raw.sheets["Objectives"].frame) == len(content[dept].objectives), dept
        assert len(raw.sheets["OKRs"].frame) == len(content[dept].okrs), dept
        assert len(raw.sheets["Check-ins"].frame) == len(content[dept].checkins), dept
        assert raw.submission["Department ID"][0] == dept


def test_build_demo_removes_only_its_own_files(built):
    """An earlier demo workbook is replaced; anything else in the inbox is left alone."""
    inbox, paths = built
    names = {p.name for p in inbox.iterdir()}
    assert names == {p.name for p in paths} | {"notes.txt", "budget.xlsx"}
    assert (inbox / "notes.txt").read_text() == "keep me"


def test_demo_workbooks_validate_without_errors(config, built):
    """Valid by construction: no validation errors; every department is accepted."""
    _, paths = built
    validated = validate([read_workbook(p) for p in paths], config, DEMO_PERIOD)
    errors = [p for p in validated.problems if p.severity == "error"]
    assert not errors, errors[:5]
    assert validated.missing == ()


# --- the data files ------------------------------------------------------------------------

# The shape of each kind of ID after the department prefix.
ID_SHAPES = {
    "objectives": re.compile(r"[A-Z]\d+"),
    "kpis": re.compile(r"K\d{2}"),
    "okrs": re.compile(r"OKR\d+"),
    "key_results": re.compile(r"KR\d+"),
    "initiatives": re.compile(r"I\d+"),
}


def test_every_id_in_the_data_files_has_its_department_prefix(config):
    """One TOML file per department; each ID there is <DEPT>-<kind><number>, e.g. FIN-K01."""
    paths = sorted(DATA_DIR.glob("*.toml"))
    assert {p.stem for p in paths} == set(config.department_ids)
    for path in paths:
        spec = load_department(path)
        kinds = {
            "objectives": [o.id for o in spec.objectives],
            "kpis": [k.id for k in spec.kpis],
            "okrs": [o.id for o in spec.okrs],
            "key_results": [kr.id for o in spec.okrs for kr in o.key_results],
            "initiatives": [i.id for i in spec.initiatives],
        }
        for kind, ids in kinds.items():
            for item_id in ids:
                dept, _, rest = item_id.partition("-")
                assert dept == path.stem, (path.name, item_id)
                assert ID_SHAPES[kind].fullmatch(rest), (path.name, kind, item_id)


MINIMAL = """
prepared_by = "Ann"
approved_by = "Bob"
submitted_after_days = 3

[[objectives]]
id = "X-O1"
perspective = "Financial"
name = "Grow"
owner = "Ann"

[[kpis]]
id = "X-K01"
objective = "X-O1"
name = "Revenue"
unit = "EUR"
direction = "Higher is better"
aggregation = "Sum"
target = 100
trend = [5, 10]

[[initiatives]]
id = "X-I1"
name = "Sell more"
objective = "X-O1"
owner = "Ann"
start = 2026-01-05
end = 2026-06-30
progress = 0.5
budget = 1000
spent = 400
status = "On track"
"""


def test_loader_reads_a_minimal_file(tmp_path):
    """The smallest valid file loads, with omitted keys at their defaults."""
    path = tmp_path / "X.toml"
    path.write_text(MINIMAL)
    spec = load_department(path)
    assert [k.id for k in spec.kpis] == ["X-K01"]
    assert spec.kpis[0].trend == (5, 10) and spec.kpis[0].red_threshold is None
    assert spec.okrs == () and spec.initiatives[0].start == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('id = "X-I1"', 'id = "X-K01"', "duplicate ID 'X-K01'"),
        ("trend = [5, 10]", "trend = [5, 10]\ncolour = 'red'", "unknown key 'colour'"),
        ('owner = "Ann"\n\n[[kpis]]', "\n[[kpis]]", "missing key 'owner'"),
        ('status = "On track"', 'status = "Fine"', "key 'status' is 'Fine'"),
        ('objective = "X-O1"\nname = "Revenue"', 'objective = "X-O9"\nname = "Revenue"', "X-O9"),
    ],
)
def test_loader_names_the_file_and_the_key(tmp_path, old, new, message):
    """A duplicate ID, an unknown or missing key or a bad choice: the error names the file."""
    assert MINIMAL.count(old) == 1
    path = tmp_path / "X.toml"
    path.write_text(MINIMAL.replace(old, new))
    with pytest.raises(DemoDataError, match=re.escape(message)) as caught:
        load_department(path)
    assert str(path) in str(caught.value)


def test_loader_rejects_an_id_used_in_two_files(tmp_path):
    """IDs are unique organisation-wide: the second file using one is named."""
    (tmp_path / "X.toml").write_text(MINIMAL)
    (tmp_path / "Y.toml").write_text(MINIMAL)
    with pytest.raises(DemoDataError, match=r"Y\.toml: ID 'X-O1' is also used in .*X\.toml"):
        load_catalogue(tmp_path)
