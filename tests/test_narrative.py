"""The Narrative sheet and KPI definitions: from the workbook to the pages that show them.

The demo's strategy office writes a letter (Headline, Outlook), two decisions and two
risks; Finance and Customer success write a headline for their pages; the corporate KPIs
carry definitions. Template 2026.1 workbooks, which have neither, are still accepted.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from pipeline import contract
from pipeline.config import load_config
from pipeline.read import read_workbook
from pipeline.render.pack import render_html
from pipeline.render.views import pack_context
from pipeline.run import read_inbox
from pipeline.score import score
from pipeline.validate import validate
from tests.workbooks import make_config, make_workbook, sample_rows

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo" / "scorecard.toml"


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO)
    intake = read_inbox(config)
    validated = validate(intake.workbooks, config, "2026-10", intake.unreadable)
    view = pack_context(score(validated, config), validated, config)
    html = render_html(view, for_pdf=True)
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return validated, view, html, text


def _rows(tmp_path: Path) -> dict:
    rows = sample_rows()
    for kpi in rows["kpis"]:
        kpi.update({f"2026-{m:02d}": kpi["Target"] for m in range(1, 11)})
    return rows


def test_the_demo_narrative_is_read_with_its_sections(demo):
    validated, _, _, _ = demo
    corp = validated.narrative[validated.narrative["department_id"] == "CORP"]
    assert list(corp["section"]) == [
        "Headline", "Headline", "Decisions required", "Decisions required",
        "Risks and issues", "Risks and issues", "Outlook",
    ]  # fmt: skip
    decision = corp[corp["section"] == "Decisions required"].iloc[0]
    assert decision["owner"] == "Claire Dubois"
    assert decision["due"].date() == date(2026, 11, 20)


def test_the_letter_opens_the_pack_and_the_decisions_follow_the_summary(demo):
    _, view, html, text = demo
    letter, summary = html.index('id="letter"'), html.index('id="summary"')
    decisions = html.index('id="decisions"')
    assert letter < summary < decisions < html.index('id="overview"')
    assert "Letter to the board From the Group strategy office, October 2026." in text
    assert "A stronger October, with revenue still two per cent behind plan" in text
    assert "Outlook The fourth quarter." in text
    assert "Henrik Aalto Group strategy office" in text  # signed by the approver
    assert (
        "1 Approve the Connect pricing change for 2027 Move Connect from per-device to "
        "per-site pricing" in text
    )
    assert "Claire Dubois 20 November 2026" in text
    assert "Regretted attrition in engineering" in text and "Marta Nowak 31 January 2027" in text


def test_each_departments_headline_heads_its_page(demo):
    _, view, _, _ = demo
    pages = {d.id: d for d in view.departments}
    assert [i.title for i in pages["FIN"].narrative.headline] == ["Cash collection is the priority"]
    assert [i.title for i in pages["CS"].narrative.risks] == ["Connect 3 migration backlog"]
    assert not pages["OPS"].narrative.present


def test_the_glossary_defines_the_kpis(demo):
    _, view, html, text = demo
    by_name = {g.name: g for g in view.glossary}
    assert len(view.glossary) == len(demo[0].kpis)
    attrition = by_name["Regretted attrition (annualised)"]
    assert attrition.definition.startswith("Employees we wanted to keep who resigned")
    assert (attrition.unit, attrition.direction, attrition.department) == (
        "%", "Lower is better", "Group strategy office"
    )  # fmt: skip
    assert "Net revenue retention (Connect)" in by_name
    assert html.index('id="glossary"') < html.index('id="appendix"')
    assert "KPI glossary" in text
    # 17 defined KPIs get a row; the other 117 one line each, never "No definition given"
    assert "Not yet defined (117 of 134 KPIs)" in text
    assert "Bookings Sales · EUR · higher is better · sum" in text
    assert "No definition given" not in text


def test_a_perspective_page_says_how_its_score_is_combined(demo):
    _, view, _, text = demo
    financial = view.perspective_pages[0]
    # every one of the ten departments has Financial objectives, all scored
    assert (financial.departments_scored, financial.departments_no_data) == (10, 0)
    assert (
        "Each department's Financial score, combined up the organisation chart by each "
        "department's weight (Appendix D): 10 departments with a score." in text
    )


def test_a_decision_without_an_owner_is_a_warning_at_its_cell(tmp_path):
    rows = _rows(tmp_path)
    path = make_workbook(
        tmp_path,
        **rows,
        narrative=[
            {"Section": "Headline", "Title": "A good month", "Text": "Margin up."},
            {"Section": "Decisions required", "Title": "Approve the budget"},
        ],
    )
    v = validate([read_workbook(path)], make_config(tmp_path), "2026-10")
    (warning,) = [p for p in v.problems if p.code == "decision-without-owner"]
    assert warning.severity == "warning" and warning.cell == "Narrative!D3"
    assert v.files["status"].tolist() == ["accepted"]


def test_a_bad_section_or_date_is_reported_like_any_cell(tmp_path):
    rows = _rows(tmp_path)
    path = make_workbook(
        tmp_path,
        **rows,
        narrative=[{"Section": "Gossip", "Title": "x", "Due date": "soon"}],
    )
    v = validate([read_workbook(path)], make_config(tmp_path), "2026-10")
    assert {(p.cell, p.code) for p in v.problems if p.severity == "error"} == {
        ("Narrative!A2", "not-in-list"),
        ("Narrative!E2", "not-a-date"),
    }


def test_a_previous_version_workbook_without_narrative_or_definition_is_accepted(tmp_path):
    """Template 2026.1 had no Narrative sheet and no Definition column: still read."""
    rows = _rows(tmp_path)
    path = make_workbook(tmp_path, **rows, submission={"Template version": "2026.1"})
    wb = openpyxl.load_workbook(path)
    del wb["Narrative"]
    kpis = wb["KPIs"]
    definition = next(c for c in kpis[1] if c.value == "Definition").column
    kpis.delete_cols(definition)
    wb.save(path)
    assert contract.PREVIOUS_TEMPLATE_VERSION == "2026.1"
    v = validate([read_workbook(path)], make_config(tmp_path), "2026-10")
    assert [p.code for p in v.problems if p.file] == []
    assert v.files["status"].tolist() == ["accepted"]
    assert v.narrative.empty and set(v.kpis["definition"]) == {""}
