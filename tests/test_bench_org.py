"""The benchmark's generated organisations: the shape designed, accepted, deterministic."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline import bench_org
from pipeline.config import load_config
from pipeline.read import read_workbook
from pipeline.validate import validate

SIZE = 3  # the corporate unit, one division, one department


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    return bench_org.build_org(SIZE, tmp_path_factory.mktemp("org"))


@pytest.fixture(scope="module")
def config(org):
    return load_config(org.config_path)


@pytest.fixture(scope="module")
def validated(org, config):
    return validate([read_workbook(p) for p in org.workbooks], config, org.period)


def test_the_tree_has_a_corporate_unit_divisions_and_departments():
    units = bench_org.org_units(200)
    assert len(units) == 200
    assert [u.id for u in units if u.corporate] == ["CORP"]
    divisions = [u for u in units if u.id.startswith("DIV")]
    assert len(divisions) == 20 and all(u.parent == "CORP" for u in divisions)
    departments = [u for u in units if u.id.startswith("D") and u not in divisions]
    assert len(departments) == 179
    assert {u.parent for u in departments} == {d.id for d in divisions}
    assert len({u.name for u in units}) == 200  # names are unique too


def test_every_workbook_is_accepted_without_errors(org, config, validated):
    assert [d.id for d in config.departments] == ["CORP", "DIV01", "D001"]
    assert len(org.workbooks) == SIZE
    errors = [p for p in validated.problems if p.severity == "error"]
    assert errors == []
    assert sorted(validated.submissions["department_id"]) == sorted(config.department_ids)
    assert validated.missing == () and validated.rejected == ()


def test_each_unit_holds_what_the_design_says(validated):
    kpis = Counter(validated.kpis["department_id"])
    assert kpis == {d: bench_org.KPIS for d in ("CORP", "DIV01", "D001")}
    krs = Counter(validated.key_results["department_id"])
    assert krs == {d: bench_org.KEY_RESULTS for d in ("CORP", "DIV01", "D001")}
    initiatives = Counter(validated.initiatives["department_id"])
    assert initiatives == {d: bench_org.INITIATIVES for d in ("CORP", "DIV01", "D001")}
    okr_objectives = validated.key_results.groupby("department_id")["okr_objective_id"].nunique()
    assert all(3 <= n <= 6 for n in okr_objectives)
    checkins = Counter(validated.checkins["department_id"])
    assert all(100 <= n <= 160 for n in checkins.values()), checkins
    commentary = validated.kpis[validated.kpis["commentary"] != ""]
    assert set(commentary["department_id"]) == {"CORP", "DIV01", "D001"}
    assert set(validated.narrative["department_id"]) == {"CORP", "DIV01", "D001"}
    # every ID sits under its own unit's ID
    for frame, column in ((validated.kpis, "kpi_id"), (validated.key_results, "kr_id")):
        pairs = zip(frame["department_id"], frame[column], strict=True)
        assert all(i.startswith(f"{d}-") for d, i in pairs)


def test_links_reach_the_parent_and_the_corporate_map(validated):
    objectives = validated.objectives
    links = {
        dept: {target.split("-")[0] for targets in group["contributes_to"] for target in targets}
        for dept, group in objectives.groupby("department_id")
    }
    assert "CORP" in links["DIV01"] and "CORP" in links["D001"]
    assert "DIV01" in links["D001"]


def test_every_unit_rolls_up_into_its_parent():
    units = bench_org.org_units(50)
    catalogue = bench_org.bench_catalogue(units)
    for unit in units[1:]:
        parent = {o.id for o in catalogue[unit.parent].objectives}
        targets = {t for o in catalogue[unit.id].objectives for t in o.contributes_to}
        assert targets & parent, unit.id
        assert len(catalogue[unit.id].kpis) == bench_org.KPIS


def test_generation_is_deterministic(org, tmp_path):
    again = bench_org.build_org(SIZE, tmp_path / "again")
    assert org.config_path.read_bytes() == again.config_path.read_bytes()
    for first, second in zip(org.workbooks, again.workbooks, strict=True):
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes()


def test_one_kpi_actual_can_change_and_change_back(org, tmp_path):
    copy = bench_org.build_org(SIZE, tmp_path / "copy")
    original = copy.workbooks[-1].read_bytes()
    bench_org.rewrite_kpi_actual(copy, "D001", 1)
    assert copy.workbooks[-1].read_bytes() != original
    bench_org.rewrite_kpi_actual(copy, "D001", 0)
    assert copy.workbooks[-1].read_bytes() == original


def test_the_cache_is_reused_until_an_inbox_file_changes(tmp_path):
    org, generated = bench_org.ensure_org(1, tmp_path)
    assert generated
    assert bench_org.ensure_org(1, tmp_path) == (org, False)
    org.workbooks[0].write_bytes(b"changed")
    assert bench_org.ensure_org(1, tmp_path)[1] is True
