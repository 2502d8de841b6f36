"""Headline KPI charts: the corporate unit's KPIs over 12 fiscal months on labelled axes."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET

import pytest

from pipeline.config import Branding
from pipeline.render.charts import chart_scale, kpi_chart, short_value, tick_format
from pipeline.render.views import HEADLINE_CHARTS, _headline, pack_context
from pipeline.score import score
from pipeline.vocabulary import STATUS_STYLES, Status
from tests.frames import make_config, make_validated, seed_rows
from tests.test_accessibility import demo  # noqa: F401  (the demo pack, built once per run)
from tests.test_pack import flat, outline, render_pack

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = tuple(
    f"{m} 2026"
    for m in (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    )
)  # fmt: skip
GAPPY = [1, 2, None, 4, 5, 6, None, 8, None, None, None, None]


def chart(series, **kw) -> ET.Element:
    kw.setdefault("label", "A test chart")
    return ET.fromstring(str(kpi_chart(series, months=MONTHS, **kw)))


def by_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == css]


def value_to_y(root: ET.Element, values) -> callable:
    """The chart's own value -> y mapping, read back from its first and last gridline."""
    scale = chart_scale(values["all"], zero=values.get("zero", False))
    grid = [float(g.get("y1")) for g in by_class(root, "line", "grid")]
    assert len(grid) == len(scale.ticks)
    (t0, y0), (t1, y1) = (scale.ticks[0], grid[0]), (scale.ticks[-1], grid[-1])
    return lambda v: y0 + (v - t0) * (y1 - y0) / (t1 - t0)


# --- the chart -------------------------------------------------------------------------------


def test_line_breaks_at_blank_months_and_never_draws_them_as_zero():
    """Two runs become two lines (2 and 3 points), a lone month a dot, blanks nothing."""
    root = chart(GAPPY)
    lines = by_class(root, "polyline", "actual")
    assert [len(p.get("points").split()) for p in lines] == [2, 3]
    assert len(by_class(root, "circle", "point")) == 6  # one dot per month with a figure
    y_zero = value_to_y(root, {"all": [v for v in GAPPY if v is not None]})(0)
    ys = [float(c.get("cy")) for c in by_class(root, "circle", "point")]
    assert all(not math.isclose(y, y_zero) for y in ys)


def test_columns_are_drawn_only_for_months_with_a_figure():
    """Sum KPIs are columns from zero: one per month with a figure, none for blanks."""
    root = chart(GAPPY, columns=True)
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 6
    centres = [float(b.get("x")) + float(b.get("width")) / 2 for b in bars]
    month_x = [float(t.get("x")) for t in by_class(root, "text", "month")]
    known = [i for i, v in enumerate(GAPPY) if v is not None]
    assert len(centres) == len(known)
    assert all(abs(c - month_x[i]) < 0.05 for c, i in zip(centres, known, strict=True))
    to_y = value_to_y(root, {"all": [1, 8], "zero": True})
    for bar in bars:  # every column stands on the zero line
        assert math.isclose(float(bar.get("y")) + float(bar.get("height")), to_y(0), abs_tol=0.01)


def test_target_and_red_lines_sit_at_their_values():
    """The dashed target and dotted red lines are at the y of their values on the axis."""
    series = [70, 72, 75, 74, 78, 80, 81, 83, 82, 85, None, None]
    root = chart(series, target=90, red=65, unit="%")
    to_y = value_to_y(root, {"all": [*series[:10], 90, 65]})
    (target,) = by_class(root, "line", "target")
    (red,) = by_class(root, "line", "red-line")
    assert math.isclose(float(target.get("y1")), to_y(90), abs_tol=0.01)
    assert math.isclose(float(red.get("y1")), to_y(65), abs_tol=0.01)
    assert target.get("stroke-dasharray") and red.get("stroke-dasharray")
    assert target.get("stroke") == STATUS_STYLES[Status.GREEN].colour
    assert red.get("stroke") == STATUS_STYLES[Status.RED].colour
    labels = [t.text for t in by_class(root, "text", "line-label")]
    assert labels == ["Target", "Red"]  # named at the line ends, not by colour alone


def test_a_range_target_is_a_band_between_two_lines_with_two_red_lines():
    root = chart([3, 4, 5, None], target=(2, 4), red=(1, 5.5))
    assert len(by_class(root, "rect", "target-band")) == 1
    assert len(by_class(root, "line", "target")) == 2
    assert len(by_class(root, "line", "red-line")) == 2


def test_axes_are_labelled_months_and_unit_aware_ticks():
    """12 month labels (the fiscal months' names); ticks in the KPI's unit."""
    root = chart([0.12, 0.125, 0.13], unit="%", target=0.14, red=0.11)
    assert [t.text for t in by_class(root, "text", "month")] == [m[:3] for m in MONTHS]
    ticks = [t.text for t in by_class(root, "text", "tick")]
    assert len(ticks) >= 3 and all(t.endswith("%") for t in ticks)
    assert "11%" in ticks and "14%" in ticks
    money = chart([11_600_000, 12_700_000], unit="EUR", target=12_333_333, columns=True)
    ticks = [t.text for t in by_class(money, "text", "tick")]
    assert ticks[0] == "0" and all(t.endswith("m") for t in ticks[1:])
    assert [t.text for t in by_class(money, "text", "unit")] == ["EUR"]


def test_fiscal_months_label_the_axis_from_the_fiscal_year_start():
    july = tuple(MONTHS[6:]) + tuple(m.replace("2026", "2027") for m in MONTHS[:6])
    root = ET.fromstring(str(kpi_chart([1, 2], months=july, label="x")))
    assert [t.text for t in by_class(root, "text", "month")][:2] == ["Jul", "Aug"]


@pytest.mark.parametrize(
    ("values", "unit", "ticks", "caption"),
    [
        ([0.12, 0.14], "%", ["11%", "12%", "13%", "14%", "15%"], ""),
        ([0.101, 0.104], "%", ["10.0%", "10.1%", "10.2%", "10.3%", "10.4%", "10.5%"], ""),
        ([0, 15e6], "EUR", ["0", "5m", "10m", "15m", "20m"], "EUR"),  # never below zero
        ([2e3, 9e5], "EUR", ["0", "0.25m", "0.50m", "0.75m", "1.00m"], "EUR"),
        ([38, 45], "score", ["36", "38", "40", "42", "44", "46"], "score"),
        ([1.2, 2.5], "ratio", ["1.0", "1.5", "2.0", "2.5", "3.0"], "ratio"),
        ([-2, 3], "count", ["−4", "−2", "0", "2", "4"], ""),
        ([3, 3], "days", ["2.6", "2.8", "3.0", "3.2", "3.4"], "days"),
    ],
)
def test_tick_labels_are_round_and_in_the_unit(values, unit, ticks, caption):
    scale = chart_scale(values, zero=False)
    labels, unit_caption = tick_format(scale, unit)
    assert (labels, unit_caption) == (ticks, caption)
    assert 3 <= len(scale.ticks) <= 9
    assert scale.lo <= min(values) and scale.hi >= max(values)


def test_the_reporting_month_is_marked_and_a_blank_one_says_so():
    """The reporting month is shaded, its label bold, its point and value in status colour."""
    root = chart([1, 2, 3, 4, None], current=3, status="Red", unit="count")
    (band,) = by_class(root, "rect", "current")
    bold = [t.text for t in by_class(root, "text", "month") if t.get("font-weight") == "bold"]
    assert bold == ["Apr"]
    marks = [c for c in by_class(root, "circle", "point") if c.get("fill") != "#1f3a5f"]
    assert [m.get("fill") for m in marks] == [STATUS_STYLES[Status.RED].colour]
    assert [t.text for t in by_class(root, "text", "value")] == ["4"]
    blank = chart([1, 2, 3, None], current=3)
    assert [t.text for t in by_class(blank, "text", "value")] == ["no figure"]
    assert len(by_class(blank, "circle", "point")) == 3


def test_the_chart_is_an_image_with_its_words_as_title_and_label():
    svg = str(kpi_chart([1, 2], months=MONTHS, label='Revenue <b>"up"</b>'))
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Revenue <b>"up"</b>'  # escaped in the markup
    assert root[0].tag == f"{SVG}title" and root[0].text == 'Revenue <b>"up"</b>'
    assert "<b>" not in svg
    for value in re.findall(r'(?:fill|stroke)="([^"]*)"', svg):
        assert value == "none" or re.fullmatch(r"#[0-9a-fA-F]{6}", value), value


def test_values_beside_points_are_short():
    assert short_value(12_708_000, "EUR") == "EUR 12.7m"
    assert short_value(8_598_000, "EUR") == "EUR 8.6m"
    assert short_value(0.345, "%") == "34.5%"
    assert short_value(2.21, "ratio") == "2.21"
    assert short_value(850_000, "count") == "850k"


# --- the view --------------------------------------------------------------------------------


def corporate_seed(**changes):
    """The seed example with CS as the corporate unit; `changes` edit KPIs by id."""
    rows = seed_rows()
    rows["kpis"] = [{**k, **changes.get(k["kpi_id"], {})} for k in rows["kpis"]]
    v = make_validated("2026-11", **rows)
    config = make_config([("CS", None, True)])
    return score(v, config), v, config


def test_headline_picks_each_perspective_first_then_the_weakest():
    """8 KPIs: 6 charts; each perspective's weakest, then the weakest of the rest;
    the two Green KPIs left out; shown in perspective order."""
    charts = _headline(*corporate_seed())
    assert len(charts) == HEADLINE_CHARTS
    assert [c.kpi.id for c in charts] == ["CS-K1", "CS-K3", "CS-K4", "CS-K5", "CS-K6", "CS-K7"]
    assert {c.department for c in charts} == {"Dept CS"}
    assert all(c.total == 8 for c in charts)


def test_headline_prefers_the_heavier_kpi_and_spreads_a_sum_target_over_the_year():
    """Weight 2 puts Expansion revenue (Sum, EUR 1.2m a year) first in Financial; its
    monthly target is 1.2m / 12 = EUR 100,000: the line runs along the column tops."""
    charts = _headline(*corporate_seed(**{"CS-K2": {"weight": 2.0}}))
    k2 = next(c for c in charts if c.kpi.id == "CS-K2")
    root = ET.fromstring(str(k2.svg))
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 11  # January to November
    (target,) = by_class(root, "line", "target")
    assert all(math.isclose(float(b.get("y")), float(target.get("y1"))) for b in bars)
    label = root.get("aria-label")
    assert "target at least EUR 100,000 a month" in label
    assert k2.actual_label == "Year to date" and "÷ 12" in k2.reading


def test_a_blank_reporting_month_is_a_gap_in_words_too():
    """Training hours: nothing for November (the reporting month): No data, "no figure"."""
    charts = _headline(*corporate_seed())
    k7 = next(c for c in charts if c.kpi.id == "CS-K7")
    root = ET.fromstring(str(k7.svg))
    assert [t.text for t in by_class(root, "text", "value")] == ["no figure"]
    assert len(by_class(root, "rect", "bar")) == 10
    assert "January to October 2026" in root.get("aria-label")


def test_no_corporate_unit_means_no_headline_page():
    rows = seed_rows()
    v = make_validated("2026-11", **rows)
    config = make_config([("CS", None, False)])
    assert _headline(score(v, config), v, config) == ()
    corporate = make_config([("CORP", None, True), ("CS", "CORP", False)])
    assert pack_context(score(v, corporate), v, corporate).headline == ()  # CORP: no KPIs


def test_fewer_kpis_than_charts_shows_them_all():
    rows = seed_rows()
    rows["kpis"] = rows["kpis"][:2]
    v = make_validated("2026-11", **rows)
    config = make_config([("CS", None, True)])
    assert [c.kpi.id for c in _headline(score(v, config), v, config)] == ["CS-K1", "CS-K2"]


def test_six_charts_fit_on_one_letter_page(tmp_path):
    """Letter is shorter than A4: the page still holds all six charts."""
    scored, v, config = corporate_seed()
    letter = dataclasses.replace(config, branding=Branding(page_size="Letter"))
    out = render_pack(scored, v, letter, tmp_path / "letter")
    page = next(
        out.reader.get_destination_page_number(item)
        for _, title, item in outline(out.reader)
        if title == "Headline KPIs"
    )
    text = flat(out.pages[page])
    names = [c.kpi.name for c in _headline(scored, v, letter)]
    assert len(names) == HEADLINE_CHARTS
    assert all(flat(name) in text for name in names), text


# --- the demo pack ---------------------------------------------------------------------------


def test_demo_pack_has_a_headline_page_with_the_corporate_kpis(demo):  # noqa: F811
    """A "Headline KPIs" page after the executive summary, in the outline and contents,
    naming the Group strategy office's charted KPIs."""
    out, view = demo
    names = [c.kpi.name for c in view.headline]
    assert len(names) == HEADLINE_CHARTS
    assert {c.department for c in view.headline} == {"Group strategy office"}
    pages = {
        title: out.reader.get_destination_page_number(item)
        for _, title, item in outline(out.reader)
    }
    page = pages["Headline KPIs"]
    assert pages["Executive summary"] < page < pages["Scorecard overview"]
    text = flat(out.pages[page])
    for name in names:
        assert flat(name) in text, name
    for month in ("Jan", "Jun", "Oct", "Dec"):
        assert month in out.pages[page]
    assert out.html.count('class="kpi-chart"') == HEADLINE_CHARTS
    assert "Headline KPIs" in out.pages[pages["Contents"]]


def test_every_chart_on_the_page_describes_its_kpi(demo):  # noqa: F811
    _, view = demo
    for c in view.headline:
        label = ET.fromstring(str(c.svg)).get("aria-label")
        assert label.startswith(c.kpi.name + ", January to October 2026: ")
        assert "target" in label and "red at" in label and str(c.kpi.status.word) in label


def test_headline_charts_fit_on_one_page(demo):  # noqa: F811
    """All six charts on the one page (the next page starts another section)."""
    out, view = demo
    page = next(
        out.reader.get_destination_page_number(item)
        for _, title, item in outline(out.reader)
        if title == "Headline KPIs"
    )
    text = flat(out.pages[page])
    assert all(flat(c.kpi.name) in text for c in view.headline)
    assert "Monthlyfigure" in text and "Redthreshold" in text  # the key
