"""Inline SVG charts: sparklines, progress bars, score tiles and the strategy map."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from pipeline.contract import PERSPECTIVES
from pipeline.render.charts import (
    MapObjective,
    colour,
    layout_strategy_map,
    progress_bar,
    sparkline,
    strategy_map,
    tile,
    wrap,
)
from pipeline.vocabulary import STATUS_STYLES, Status

BSC_LANES = tuple(reversed(PERSPECTIVES))  # Financial on top

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def fill_width(svg: str) -> float:
    rect = parse(svg).find(f"{SVG}rect[@class='fill']")
    return 0.0 if rect is None else float(rect.get("width"))


def test_sparkline_breaks_the_line_at_blank_months():
    """Blank months are gaps, not zeros: two runs become two polylines, a lone month a dot."""
    series = [1, 2, None, 4, 5, 6, None, 8, None, None, None, None]
    root = parse(sparkline(series, target=5))
    lines = root.findall(f"{SVG}polyline")
    assert [len(p.get("points").split()) for p in lines] == [2, 3]
    dots = [c for c in root.findall(f"{SVG}circle") if c.get("r") == "1.1"]
    assert len(dots) == 1  # August on its own


def test_sparkline_treats_nan_as_blank_and_draws_the_target():
    """NaN is blank too; the target is a dashed line; all-blank series still draw."""
    root = parse(sparkline([math.nan, 3.0, 4.0], target=3.5))
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert root.find(f"{SVG}line").get("stroke-dasharray")
    empty = parse(sparkline([None] * 12))
    assert empty.findall(f"{SVG}polyline") == []


def test_sparkline_marks_the_reporting_month_in_its_status_colour():
    """The dot on the reporting month carries the KPI's status colour."""
    root = parse(sparkline([1, 2, 3, None], status="Red", current=2))
    marks = [c for c in root.findall(f"{SVG}circle") if c.get("r") == "2"]
    assert [m.get("fill") for m in marks] == [STATUS_STYLES[Status.RED].colour]


def test_sparkline_draws_a_band_for_a_range_target():
    """A Within range KPI gets a shaded band between its bounds."""
    root = parse(sparkline([1, 2, 3], target=(1.5, 2.5)))
    assert root.find(f"{SVG}rect") is not None


@pytest.mark.parametrize(
    ("value", "width"),
    [(-0.5, 0.0), (0.0, 0.0), (0.5, 50.0), (1.0, 100.0), (1.7, 100.0)],
)
def test_progress_bar_clamps_to_zero_and_one(value, width):
    """Progress below 0 or above 1 draws an empty or a full bar, never beyond the track."""
    svg = progress_bar(value, width=100, height=8)
    assert fill_width(svg) == (0.0 if width == 0 else max(width, 8.0))


def test_progress_bar_without_a_value_is_an_empty_dashed_track():
    """No data is never drawn as zero progress."""
    for blank in (None, math.nan):
        root = parse(progress_bar(blank, 0.5))
        assert root.find(f"{SVG}rect[@class='fill']") is None
        assert root.find(f"{SVG}rect").get("stroke-dasharray")


def test_progress_bar_expected_tick_is_clamped_inside_the_bar():
    """The expected-progress tick stays within the bar."""
    x = float(parse(progress_bar(0.2, 1.4, width=100)).find(f"{SVG}line").get("x1"))
    assert 0 < x <= 100


def test_progress_bar_ignores_a_colour_that_is_not_hex():
    """Only #rrggbb colours reach the SVG."""
    svg = str(progress_bar(0.5, fill="red;background:url(x)"))
    assert "url(" not in svg
    assert colour("#12ab3C") == "#12ab3C"
    assert colour("javascript:x") != "javascript:x"


def test_tile_draws_an_arc_for_the_score_and_a_status_symbol():
    """A ring gauge: partial arc for a score, full ring for 100%, symbol in the middle."""
    assert parse(tile(0.5, "Amber")).find(f"{SVG}path") is not None
    assert "▲" in str(tile(0.5, "Amber"))
    assert "○" in str(tile(None, "No data"))
    assert len(parse(tile(1.0, "Green")).findall(f"{SVG}circle")) == 2


def map_objectives() -> list[MapObjective]:
    return [
        MapObjective("F1", "Grow revenue", "Financial", "Green"),
        MapObjective("F2", "Improve margin", "Financial", "Amber"),
        MapObjective("C1", "Keep customers", "Customer", "Red"),
        MapObjective("P1", "Deliver on time", "Internal Process", "No data"),
        MapObjective("L1", "Skilled people", "Learning & Growth", "Green"),
    ]


def test_strategy_map_draws_one_arrow_per_link():
    """Arrows count = links (cause -> effect), including same-lane and downward links."""
    links = [("L1", "P1"), ("P1", "C1"), ("C1", "F1"), ("C1", "F2"), ("F2", "F1"), ("F1", "L1")]
    svg = str(strategy_map(map_objectives(), links, lanes=BSC_LANES))
    assert svg.count('class="link"') == len(links)
    assert svg.count('class="objective"') == 5
    assert svg.count("stroke-dasharray") == 1  # F1 -> L1 runs downward


def test_strategy_map_skips_links_to_objectives_not_on_the_map():
    """A link naming an unknown objective (or itself) draws nothing."""
    svg = str(
        strategy_map(map_objectives(), [("L1", "X9"), ("P1", "P1"), ("P1", "C1")], lanes=BSC_LANES)
    )
    assert svg.count('class="link"') == 1


def test_strategy_map_lanes_run_financial_on_top():
    """Learning & Growth is the bottom lane, Financial the top one."""
    layout = layout_strategy_map(map_objectives(), [], BSC_LANES)
    assert [name for name, _, _ in layout.lanes] == [
        "Financial",
        "Customer",
        "Internal Process",
        "Learning & Growth",
    ]
    assert layout.boxes["F1"].y < layout.boxes["C1"].y < layout.boxes["P1"].y < layout.boxes["L1"].y


def test_strategy_map_escapes_objective_text():
    """Objective names are SVG text nodes, escaped; they never become markup."""
    hostile = MapObjective("X1", '<image href="file:///etc/passwd"/>', "Customer", "Green")
    svg = str(strategy_map([hostile], [], lanes=BSC_LANES))
    assert "<image" not in svg
    assert "&lt;image" in svg
    parse(svg)  # still well-formed


def test_strategy_map_puts_unknown_perspectives_in_an_other_lane():
    """An objective in a perspective that is not a lane is still drawn."""
    layout = layout_strategy_map(
        [MapObjective("Z1", "Odd", "Sustainability", "Green")], [], BSC_LANES
    )
    assert layout.lanes[-1][0] == "Other"
    assert "Z1" in layout.boxes


def test_wrap_keeps_to_the_line_limit_and_marks_cuts():
    """Long labels wrap on words; what does not fit ends in an ellipsis."""
    assert wrap("Grow profitable revenue", 12) == ("Grow", "profitable", "revenue")
    lines = wrap("one two three four five six seven eight nine ten", 9, max_lines=2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(len(line) <= 10 for line in wrap("x" * 40, 10))


def test_charts_are_plain_numbers_and_fixed_colours():
    """Every colour in a chart is a #rrggbb value (nothing taken from input text)."""
    svg = str(strategy_map(map_objectives(), [("L1", "P1")], lanes=BSC_LANES)) + str(
        sparkline([1, 2, 3], 2, status="Amber")
    )
    for value in re.findall(r'(?:fill|stroke)="([^"]*)"', svg):
        assert value == "none" or re.fullmatch(r"#[0-9a-fA-F]{6}", value), value
