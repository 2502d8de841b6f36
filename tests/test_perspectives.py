"""Configurable perspectives: `[[perspectives]]` in scorecard.toml, end to end.

A public-sector organisation with five perspectives (Mission on top, weight 2; Stakeholder;
Financial; Internal Process; Sustainability at the bottom, weight 0.5), written in the
file out of order. Templates offer exactly those five; a workbook that still uses the
Balanced Scorecard's "Customer" is rejected at the cell; the roll-ups weigh perspectives
as configured; the pack shows five tiles and five strategy-map lanes, top lane first.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import DEFAULT_PERSPECTIVES, ConfigError, load_config, parse_config
from pipeline.workbook_templates import WorkbookContent, write_workbook

PERIOD = "2026-10"
TOML = """
[organisation]
name = "Harbour City Council"

[[perspectives]]
name = "Financial"
order = 3

[[perspectives]]
name = "Sustainability"
order = 5
weight = 0.5

[[perspectives]]
name = "Mission"
order = 1
weight = 2

[[perspectives]]
name = "Internal Process"
order = 4

[[perspectives]]
name = "Stakeholder"
order = 2

[[departments]]
id = "CORP"
name = "Chief executive's office"
corporate = true

[[departments]]
id = "FIN"
name = "Finance"
parent = "CORP"

[[departments]]
id = "OPS"
name = "Operations"
parent = "CORP"
"""
TOP_FIRST = ("Mission", "Stakeholder", "Financial", "Internal Process", "Sustainability")
# FIN's KPIs: Higher is better, target 100, red 50, so score = (actual - 50) / 50.
FIN_ACTUALS = {
    "Mission": 100,  # 1.0
    "Stakeholder": 75,  # 0.5
    "Financial": 90,  # 0.8
    "Internal Process": 60,  # 0.2
    "Sustainability": 50,  # 0.0
}
# Own score = (1.0x2 + 0.5 + 0.8 + 0.2 + 0.0x0.5) / (2 + 1 + 1 + 1 + 0.5) = 3.5 / 5.5
FIN_OWN = 3.5 / 5.5


def _kpi(kpi_id: str, objective_id: str, perspective: str, actual: float) -> dict:
    return {
        "KPI ID": kpi_id,
        "Objective ID": objective_id,
        "Perspective": perspective,
        "KPI": f"{perspective} measure",
        "Unit": "count",
        "Direction": "Higher is better",
        "Aggregation": "Last",
        "Target": 100,
        "Red threshold": 50,
        PERIOD: actual,
    }


def _content(dept: str, actuals: dict[str, float]) -> WorkbookContent:
    objectives, kpis = [], []
    for i, (perspective, actual) in enumerate(actuals.items(), start=1):
        objectives.append(
            {
                "Objective ID": f"{dept}-O{i}",
                "Perspective": perspective,
                "Objective": f"{perspective} objective",
                "Owner": "Alex Example",
            }
        )
        kpis.append(_kpi(f"{dept}-K{i}", f"{dept}-O{i}", perspective, actual))
    return WorkbookContent(
        submission={"Prepared by": "Alex Example", "Approved by": "Sam Example"},
        objectives=objectives,
        kpis=kpis,
    )


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The council's folder after one month's report: CORP and FIN good, OPS uses Customer."""
    root = tmp_path_factory.mktemp("council")
    (root / "scorecard.toml").write_text(TOML, encoding="utf-8")
    (root / "inbox").mkdir()
    config = load_config(root / "scorecard.toml")
    workbooks = {
        "CORP": _content("CORP", {"Mission": 100}),
        "FIN": _content("FIN", FIN_ACTUALS),
        "OPS": _content("OPS", {"Customer": 80, "Financial": 80}),
    }
    for dept, content in workbooks.items():
        department = config.department(dept)
        assert department is not None
        write_workbook(
            root / "inbox" / f"{dept}-{PERIOD}.xlsx", config, department, PERIOD, content
        )
    result = CliRunner().invoke(
        main, ["report", "--config", str(root / "scorecard.toml"), "--period", PERIOD]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output  # OPS rejected: a problem, not a failure
    return root


def _json(root: Path) -> dict:
    return json.loads((root / "reports" / PERIOD / f"validation-{PERIOD}.json").read_text())


def _pack_text(root: Path) -> str:
    html = (root / "reports" / PERIOD / f"board-pack-{PERIOD}.html").read_text()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _csv_rows(root: Path, name: str) -> list[dict[str, str]]:
    import csv

    with (root / "reports" / PERIOD / "data" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_configured_perspectives_are_sorted_by_order_with_their_weights(tmp_path: Path) -> None:
    (tmp_path / "scorecard.toml").write_text(TOML, encoding="utf-8")
    config = load_config(tmp_path / "scorecard.toml")
    assert config.perspective_names == TOP_FIRST
    assert config.perspective_choices == tuple(reversed(TOP_FIRST))
    assert config.perspective_weights["Mission"] == 2
    assert config.perspective_weights["Sustainability"] == 0.5


def test_without_perspectives_the_four_of_the_balanced_scorecard() -> None:
    config = parse_config(
        {"organisation": {"name": "X"}, "departments": [{"id": "A", "name": "A"}]},
        Path("/tmp/scorecard.toml"),
    )
    assert config.perspectives == DEFAULT_PERSPECTIVES
    assert config.perspective_names == ("Financial", "Customer", "Internal Process",
                                        "Learning & Growth")  # fmt: skip
    assert set(config.perspective_weights.values()) == {1.0}


@pytest.mark.parametrize(
    ("perspectives", "message"),
    [
        ([], "perspectives must be an array of tables ([[perspectives]]) with at least one"),
        ({"name": "A"}, "perspectives must be an array of tables"),
        ([{"order": 1}], "perspectives[1] is missing required key(s): perspectives[1].name"),
        ([{"name": "A"}, {"name": " a "}], "perspectives[2].name 'a' is listed twice"),
        (
            [{"name": "A", "order": 1}, {"name": "B", "order": 1}],
            "perspectives[2].order 1 is also 'A''s order",
        ),
        ([{"name": "A", "weight": -1}], "perspectives[1].weight must be 0 to 1000, got -1"),
        ([{"name": "A", "weight": 0}], "at least one perspective needs a weight above 0"),
        ([{"name": "A, B"}], "perspectives[1].name must be 1-40 characters without a comma"),
        ([{"name": "A", "order": "top"}], "perspectives[1].order must be a whole number"),
        ([{"name": "A", "lane": 1}], "unknown key perspectives[1].lane"),
    ],
)
def test_bad_perspectives_stop_with_a_message_naming_the_key(perspectives, message) -> None:
    raw = {
        "organisation": {"name": "X"},
        "departments": [{"id": "A", "name": "A"}],
        "perspectives": perspectives,
    }
    with pytest.raises(ConfigError) as err:
        parse_config(raw, Path("/tmp/scorecard.toml"))
    assert message in str(err.value)


def test_templates_offer_exactly_the_configured_perspectives(tmp_path: Path) -> None:
    (tmp_path / "scorecard.toml").write_text(TOML, encoding="utf-8")
    out = tmp_path / "templates"
    result = CliRunner().invoke(
        main,
        ["templates", "--config", str(tmp_path / "scorecard.toml"), "--period", PERIOD,
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out / f"FIN-{PERIOD}.xlsx")
    lists = wb["Lists"]
    column = next(c for c in lists[1] if c.value == "Perspective").column_letter
    values = [c.value for c in lists[column][1:] if c.value is not None]
    assert values == list(reversed(TOP_FIRST))  # bottom lane first, as the map reads upwards
    for sheet in ("Objectives", "KPIs"):
        ws = wb[sheet]
        perspective = next(c for c in ws[1] if c.value == "Perspective").column_letter
        rules = [dv for dv in ws.data_validations.dataValidation if perspective in str(dv.sqref)]
        assert len(rules) == 1 and rules[0].formula1 == f"Lists!${column}$2:${column}$6", sheet
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row)
    assert "Perspective: Sustainability, Internal Process, Financial, Stakeholder, Mission." in (
        instructions
    )


def test_a_perspective_outside_the_configuration_is_rejected_at_its_cell(council: Path) -> None:
    data = _json(council)
    states = {d["department_id"]: d["state"] for d in data["departments"]}
    assert states == {"CORP": "accepted", "FIN": "accepted", "OPS": "rejected"}
    ops = next(f for f in data["files"] if f["department_id"] == "OPS")
    wrong = [p for p in ops["problems"] if p["code"] == "not-in-list"]
    assert {p["cell"] for p in wrong} == {"Objectives!B2", "KPIs!C2"}
    assert all(
        "must be one of: Sustainability, Internal Process, Financial, Stakeholder, Mission; "
        "got 'Customer'" in p["message"]
        for p in wrong
    )


def test_roll_ups_weigh_the_configured_perspectives(council: Path) -> None:
    """FIN own = 3.5 / 5.5 = 0.636 (Amber); CORP = (CORP own 1.0 + FIN 0.636) / 2; OPS no data."""
    calc = {(r["level"], r["id"]): r for r in _csv_rows(council, "calculations")}
    own = calc[("department-own", "FIN own")]
    assert float(own["score"]) == pytest.approx(FIN_OWN, abs=1e-15)
    assert own["formula"] == (
        "(Mission 1.000×2 + Stakeholder 0.500×1 + Financial 0.800×1 + Internal Process "
        "0.200×1 + Sustainability 0.000×0.5) / 5.5 = 0.636"
    )
    assert own["status"] == "Amber"
    corp = calc[("department", "CORP")]
    assert float(corp["score"]) == pytest.approx((1.0 + FIN_OWN) / 2, abs=1e-15)
    assert corp["formula"].endswith("; no data: OPS")
    perspectives = {
        r["id"] for r in _csv_rows(council, "calculations") if r["level"] == "perspective"
    }
    assert perspectives == set(TOP_FIRST)


def test_the_pack_shows_five_tiles_and_five_lanes_top_first(council: Path) -> None:
    text = _pack_text(council)
    summary = text[text.index("Executive summary") :]
    positions = [summary.index(name) for name in TOP_FIRST]
    assert positions == sorted(positions), "tiles run top lane first"
    assert "Learning & Growth" not in text
    assert "Sustainability at the bottom and Mission at the top" in text
    html = (council / "reports" / PERIOD / f"board-pack-{PERIOD}.html").read_text()
    svg = html[html.index('<div class="map">') :]
    svg = svg[: svg.index("</svg>")]
    lane_labels = " ".join(re.findall(r'<text x="12" [^>]*font-weight="bold"[^>]*>([^<]+)<', svg))
    assert lane_labels == " ".join(TOP_FIRST)
    assert (
        "This organisation's perspectives, top of the strategy map first: Mission (weight 2), "
        "Stakeholder, Financial, Internal Process, Sustainability (weight 0.5)." in text
    )
    assert (council / "reports" / PERIOD / f"board-pack-{PERIOD}.pdf").stat().st_size > 10_000
