"""Goal-quality advice: each code fires on a fixture made to trigger it; a clean one is silent."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.advice import advise, is_task
from pipeline.problems import CATALOGUE, WARNING
from pipeline.score import score
from tests.frames import make_config, make_validated

Data = dict[str, Any]

PERSPECTIVE_OF = {
    "O-L": "Learning & Growth",
    "O-P": "Internal Process",
    "O-C": "Customer",
    "O-F": "Financial",
}


def clean() -> Data:
    """OPS, November 2026: a tidy strategy map, one green KPI per objective, two OKRs.

    L -> P -> C -> F (Contributes to runs upward); every KR has a number, is aligned and
    was checked in on 25 November; every perspective has an aligned KR.
    """
    objectives = [
        {"objective_id": "O-L", "contributes_to": "O-P"},
        {"objective_id": "O-P", "contributes_to": "O-C"},
        {"objective_id": "O-C", "contributes_to": "O-F"},
        {"objective_id": "O-F"},
    ]
    kpis = [
        {"kpi_id": f"K-{o[-1]}", "objective_id": o, "target": 10, "red_threshold": 8,
         "actuals": {"2026-10": 10, "2026-11": 10, "2026-12": 10}}
        for o in PERSPECTIVE_OF
    ]  # fmt: skip
    krs = [
        ("OKR1", "KR1", "Raise skills index from 1 to 2", "K-L"),
        ("OKR1", "KR2", "Cut cycle time from 9 to 6 days", "O-P"),
        ("OKR2", "KR3", "Lift NPS from 30 to 40", "O-C"),
        ("OKR2", "KR4", "Grow margin from 20% to 25%", "K-F"),
    ]
    key_results = [
        {"okr_objective_id": okr, "okr_objective": f"Objective {okr}", "kr_id": kr,
         "key_result": text, "type": "Increase to", "baseline": 1, "target": 2,
         "current": 1.5, "quarter": "2026-Q4", "aligned_to": aligned,
         "reflection": "We learnt a lot."}
        for okr, kr, text, aligned in krs
    ]  # fmt: skip
    checkins = [
        {"kr_id": kr, "date": day, "value": 1.5, "confidence": 7}
        for _, kr, _, _ in krs
        for day in ("2026-11-25", "2026-12-28")
    ]
    return {
        "period": "2026-11",
        "objectives": objectives,
        "kpis": kpis,
        "key_results": key_results,
        "checkins": checkins,
    }


def run(data: Data) -> list[tuple[str, str]]:
    """Score and advise on `data` (all rows in department OPS); return [(code, value), ...]."""

    def ops(rows: list[Data]) -> list[Data]:
        return [{"department_id": "OPS", **r} for r in rows]

    objectives = [
        {"perspective": PERSPECTIVE_OF.get(o["objective_id"], "Customer"), **o}
        for o in data["objectives"]
    ]
    perspective = {o["objective_id"]: o["perspective"] for o in objectives}
    kpis = [
        {"perspective": perspective.get(k["objective_id"], "Financial"), **k} for k in data["kpis"]
    ]
    v = make_validated(
        data["period"],
        objectives=ops(objectives),
        kpis=ops(kpis),
        key_results=ops(data["key_results"]),
        checkins=ops(data["checkins"]),
    )
    scored = score(v, make_config([("OPS", None, False)]))
    problems = advise(v, scored)
    assert all(p.severity == WARNING for p in problems)
    assert all(p.department in ("OPS", "") for p in problems)
    return [(p.code, p.value) for p in problems]


def test_clean_fixture_triggers_no_advice():
    """A tidy scorecard with aligned, checked-in OKRs gets no advice at all."""
    assert run(clean()) == []


def _add_okr_objectives(d: Data) -> None:
    for i in range(3, 6):  # OKR3..OKR5: five objectives in all
        for j in (1, 2):
            kr = {**d["key_results"][0], "okr_objective_id": f"OKR{i}", "kr_id": f"KR{i}{j}"}
            d["key_results"].append(kr)
            d["checkins"].append({**d["checkins"][0], "kr_id": f"KR{i}{j}"})


def _one_kr(d: Data) -> None:
    d["key_results"][3]["okr_objective_id"] = "OKR3"


def _task(d: Data) -> None:
    d["key_results"][0]["key_result"] = "Launch the new partner portal"


def _many_kpis(d: Data) -> None:
    for i in range(17):  # 4 + 17 = 21 KPIs
        d["kpis"].append({**d["kpis"][3], "kpi_id": f"K-X{i}"})


def _no_kpi_in_perspective(d: Data) -> None:
    d["kpis"] = [k for k in d["kpis"] if k["kpi_id"] != "K-L"]
    d["key_results"][0]["aligned_to"] = "O-L"


def _orphan_kpi(d: Data) -> None:
    d["kpis"].append({**d["kpis"][3], "kpi_id": "K-ORPHAN", "objective_id": ""})


def _objective_without_kpi(d: Data) -> None:
    d["objectives"].append({"objective_id": "O-X", "contributes_to": "O-F"})


def _objective_without_link(d: Data) -> None:
    d["objectives"].append({"objective_id": "O-Y"})
    d["kpis"].append({**d["kpis"][2], "kpi_id": "K-Y", "objective_id": "O-Y"})


def _downward(d: Data) -> None:
    d["objectives"][3]["contributes_to"] = "O-L"


def _stale(d: Data) -> None:
    for c in d["checkins"]:
        if c["kr_id"] == "KR2":
            c["date"] = {"2026-11-25": "2026-11-10", "2026-12-28": "2026-12-10"}[c["date"]]


def _quarter_end_without_reflection(d: Data) -> None:
    d["period"] = "2026-12"
    d["key_results"][2]["reflection"] = ""


def _red_without_commentary(d: Data) -> None:
    d["kpis"][0]["actuals"]["2026-11"] = 7


def _derive(d: Data) -> None:
    d["kpis"][3]["actuals"] |= {"2026-10": 7, "2026-11": 7}
    d["kpis"][3]["commentary"] = "Price war."
    d["key_results"][3]["aligned_to"] = "K-C"


def _aligned_to_nothing(d: Data) -> None:
    for kr in d["key_results"][2:]:
        kr["aligned_to"] = ""


def _perspective_without_okr(d: Data) -> None:
    d["key_results"][3]["aligned_to"] = "O-C"


def _driver_red(d: Data) -> None:
    d["kpis"][2]["actuals"]["2026-11"] = 7  # K-C red: O-C red, while O-F (its effect) is green
    d["kpis"][2]["commentary"] = "One-off outage."


TRIGGERS: dict[str, tuple[Callable[[Data], None], str]] = {
    "too-many-okr-objectives": (_add_okr_objectives, "2026-Q4"),
    "kr-count": (_one_kr, "OKR3"),
    "kr-is-task": (_task, "KR1 (Launch the new partner portal)"),
    "too-many-kpis": (_many_kpis, "OPS"),
    "perspective-without-kpi": (_no_kpi_in_perspective, "Learning & Growth"),
    "kpi-without-objective": (_orphan_kpi, "K-ORPHAN"),
    "objective-without-kpi": (_objective_without_kpi, "O-X"),
    "objective-without-link": (_objective_without_link, "O-Y"),
    "downward-link": (_downward, "O-F"),
    "stale-checkin": (_stale, "KR2"),
    "missing-reflection": (_quarter_end_without_reflection, "KR3"),
    "red-without-commentary": (_red_without_commentary, "K-L"),
    "derive-an-okr": (_derive, "K-F"),
    "okr-aligned-to-nothing": (_aligned_to_nothing, "OKR2"),
    "perspective-without-okr": (_perspective_without_okr, "Financial"),
    "driver-red-effect-green": (_driver_red, "O-F"),
}


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_each_advice_code_fires(code):
    """Each failure mode, made on purpose from the clean fixture, gives its code and ID."""
    make, value = TRIGGERS[code]
    data = copy.deepcopy(clean())
    make(data)
    assert (code, value) in run(data)


def test_every_advice_code_has_a_trigger():
    """The advice codes in the catalogue are all covered by TRIGGERS."""
    advice_codes = set(list(CATALOGUE)[list(CATALOGUE).index("too-many-okr-objectives") :])
    assert advice_codes == set(TRIGGERS)


def test_messages_name_the_item():
    """Messages come from the catalogue with the ID and detail filled in."""
    v = make_validated(
        "2026-11",
        objectives=[
            {"department_id": "OPS", "objective_id": "O-F", "perspective": "Financial",
             "contributes_to": "O-L"},
            {"department_id": "OPS", "objective_id": "O-L", "perspective": "Learning & Growth"},
        ],
    )  # fmt: skip
    messages = {p.code: p.message for p in advise(v)}
    assert messages["downward-link"] == (
        "Objective 'O-F' contributes to O-L (Learning & Growth), a lower perspective."
    )
    assert all(p.file == "OPS.xlsx" for p in advise(v))


@pytest.mark.parametrize(
    ("text", "kr_type", "expected"),
    [
        ("Launch the partner portal", "Increase to", True),
        ("Implement SSO", "Increase to", True),
        ("Build 3 integrations", "Increase to", False),  # has a number: an output target
        ("Raise NPS from 42 to 55", "Increase to", False),
        ("Reduce churn", "Decrease to", False),  # not an activity verb
        ("Partner portal live", "Milestone", True),  # Milestone type is a task
    ],
)
def test_is_task(text, kr_type, expected):
    """A Milestone, or a text starting with an activity verb and holding no number."""
    assert is_task(text, kr_type) is expected


def test_advice_without_scores_skips_score_based_checks():
    """advise(validated) alone still runs the structural checks."""
    v = make_validated(
        "2026-11",
        objectives=[{"department_id": "OPS", "objective_id": "O-X", "perspective": "Customer"}],
        kpis=[{"department_id": "OPS", "kpi_id": "K1", "objective_id": "O-X",
               "actuals": {"2026-11": 0}, "target": 10}],
    )  # fmt: skip
    codes = {p.code for p in advise(v)}
    assert "objective-without-link" in codes
    assert "red-without-commentary" not in codes  # K1 is red, but that needs the scores
