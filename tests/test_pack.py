"""The board pack: view-model numbers, PDF text, pages, outline, metadata and safety."""

from __future__ import annotations

import dataclasses
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from pipeline.config import Branding, Config
from pipeline.problems import ERROR, Problem
from pipeline.render import pack
from pipeline.render.editions import write_annex
from pipeline.render.format import fmt_score, fmt_value, fmt_variance
from pipeline.render.pack import AssetFetcher, write_pack
from pipeline.render.views import pack_context
from pipeline.render.views_appendix import StaleView
from pipeline.score import Scored, score
from pipeline.validate import Validated
from pipeline.vocabulary import Status
from tests.frames import COLUMNS, make_config, make_validated, seed_rows

# WeasyPrint says this when the system lacks libharfbuzz-subset; it is about the machine,
# not the pack, so it is the one warning a rendering test tolerates.
ENVIRONMENT_WARNINGS = ("Using fontTools instead of HarfBuzz-Subset",)
SECTIONS = (
    "Contents",
    "Executive summary",
    "Scorecard overview",
    "Strategy map",
    "Financial",
    "Customer",
    "Internal Process",
    "Learning & Growth",
    "Appendix",
    "A. Data quality",
    "B. Goal-quality advice",
    "C. Everything that needs attention",
    "D. Methodology",
    "E. Calculations",
    "F. Input files",
)
HOSTILE_NAME = '<img src="file:///etc/passwd">'
HOSTILE_COMMENT = "</style><style>body { display: none }</style> dropped in Q3"


# --- the test organisation: the seed example (SaaS customer retention) and friends ---------


def organisation(tmp_path: Path) -> tuple[Validated, Config]:
    """CS (the seed example) plus FIN (missing), OPS (rejected) and ENG (BSC only)."""
    rows = seed_rows()
    rows["objectives"].append(
        {"department_id": "ENG", "objective_id": "ENG-P1", "perspective": "Internal Process",
         "objective": "Ship reliable releases"}
    )  # fmt: skip
    rows["kpis"].append(
        {"department_id": "ENG", "kpi_id": "ENG-K1", "objective_id": "ENG-P1",
         "perspective": "Internal Process", "kpi": "Releases without rollback", "unit": "count",
         "target": 10, "red_threshold": 6, "actuals": {"2026-10": 9, "2026-11": 12}}
    )  # fmt: skip
    v = make_validated("2026-11", missing=("FIN", "OPS"), **rows)
    v.rejected = ("OPS",)
    v.initiatives = pd.DataFrame(
        [
            {"department_id": "CS", "initiative_id": "CS-I1", "initiative": "Onboarding revamp",
             "objective_id": "CS-P1", "owner": "Jo Park", "start": pd.Timestamp("2026-09-01"),
             "end": pd.Timestamp("2027-03-31"), "progress": 0.4, "budget": 120_000,
             "spent": 80_000, "status": "At risk", "note": "Vendor late."},
        ],
        columns=list(COLUMNS["initiatives"]),
    )  # fmt: skip
    v.files = pd.DataFrame(
        [
            {"file": "CS-2026-11.xlsx", "sha256": "a" * 64, "department_id": "CS",
             "period": "2026-11", "submitted_on": pd.Timestamp("2026-12-03").date(),
             "status": "accepted", "errors": 0, "warnings": 0},
            {"file": "ENG-2026-11.xlsx", "sha256": "b" * 64, "department_id": "ENG",
             "period": "2026-11", "submitted_on": pd.Timestamp("2026-12-02").date(),
             "status": "accepted", "errors": 0, "warnings": 0},
            {"file": "OPS-2026-11.xlsx", "sha256": "c" * 64, "department_id": "OPS",
             "period": "2026-11", "submitted_on": pd.Timestamp("2026-12-04").date(),
             "status": "rejected", "errors": 1, "warnings": 0},
        ],
        columns=list(COLUMNS["files"]),
    )  # fmt: skip
    v.problems = [
        Problem(ERROR, "not-a-number", "OPS-2026-11.xlsx", "KPIs", "KPIs!H7", "Target", "lots",
                "KPIs!H7: 'lots' is not a number.", "Type a number.", "OPS"),
    ]  # fmt: skip
    config = make_config([("CS", None, False), ("FIN", None, False), ("OPS", None, False),
                          ("ENG", None, False)])  # fmt: skip
    return v, config


@pytest.fixture
def org(tmp_path: Path) -> tuple[Scored, Validated, Config]:
    v, config = organisation(tmp_path)
    return score(v, config), v, config


@dataclasses.dataclass
class Rendered:
    paths: pack.PackPaths
    reader: PdfReader
    pages: list[str]
    text: str
    html: str
    fetched: list[str]
    warnings: list[str]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pack(
    scored: Scored, validated: Validated, config: Config, out: Path, in_process: bool = True
) -> Rendered:
    """write_pack, recording every URL the fetcher is asked for and every WeasyPrint warning
    (the workers' warnings are logged again here; their fetches are seen in-process only)."""
    fetched: list[str] = []
    original = AssetFetcher.fetch

    def recording(self: AssetFetcher, url: str):
        fetched.append(url)
        return original(self, url)

    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(AssetFetcher, "fetch", recording)
            if in_process:
                mp.setenv("SCORECARD_WORKERS", "1")
            paths = write_pack(scored, validated, config, out, "test")
    finally:
        logger.removeHandler(handler)
    reader = PdfReader(paths.pdf)
    pages = [p.extract_text() for p in reader.pages]
    html = paths.html.read_text(encoding="utf-8")
    return Rendered(paths, reader, pages, "\n".join(pages), html, fetched, handler.messages)


def assert_no_warnings(messages: list[str]) -> None:
    assert [m for m in messages if not m.startswith(ENVIRONMENT_WARNINGS)] == []


@pytest.fixture
def render(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """Render a pack into tmp_path; fail on any WeasyPrint warning (caplog)."""

    def run(scored: Scored, validated: Validated, config: Config, name: str = "out") -> Rendered:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="weasyprint"):
            out = render_pack(scored, validated, config, tmp_path / name)
        assert_no_warnings(
            [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
        )
        return out

    return run


@pytest.fixture(scope="module")
def seed_pack(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The test organisation rendered once for the tests that only read the output."""
    tmp = tmp_path_factory.mktemp("seed")
    v, config = organisation(tmp)
    out = render_pack(score(v, config), v, config, tmp / "out")
    assert_no_warnings(out.warnings)
    return out


def flat(text: str) -> str:
    """Text with all whitespace removed: table cells wrap, the words stay in order."""
    return re.sub(r"\s+", "", text)


def outline(reader: PdfReader) -> list[tuple[int, str, object]]:
    """(depth, title, item) for every bookmark, depth first."""
    found: list[tuple[int, str, object]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, item))

    walk(reader.outline, 0)
    return found


def outline_titles(reader: PdfReader) -> list[tuple[int, str]]:
    return [(depth, title) for depth, title, _ in outline(reader)]


# --- the view model (no rendering) -----------------------------------------------------------


def test_context_carries_the_seed_example_scores_by_hand(org):
    """CS 61% Amber; objectives 75 / 55 / 13 / 100%; OKR 43% Amber (see test_score.py)."""
    ctx = pack_context(*org)
    cs = next(d for d in ctx.departments if d.id == "CS")
    assert (cs.score, cs.status.word) == ("61%", Status.AMBER)
    groups = {g.id: g for s in cs.sections for g in s.groups}
    assert {k: (g.score, g.status.word) for k, g in groups.items()} == {
        "CS-F1": ("75%", "Amber"),
        "CS-C1": ("55%", "Red"),
        "CS-P1": ("13%", "Red"),  # 0.125 rounds half up
        "CS-L1": ("100%", "Green"),
    }
    kpis = {k.id: k for g in groups.values() for k in g.kpis}
    assert {k: v.status.word for k, v in kpis.items()} == {
        "CS-K1": "Amber", "CS-K2": "Green", "CS-K3": "Amber", "CS-K4": "Amber",
        "CS-K5": "Red", "CS-K6": "Amber", "CS-K7": "No data", "CS-K8": "Green",
    }  # fmt: skip
    assert kpis["CS-K5"].red == "red at 15.4 days"
    assert kpis["CS-K2"].actual == "EUR 1,100,000"
    assert kpis["CS-K2"].target == "≥ EUR 1,100,000"
    assert kpis["CS-K1"].variance == "−5.0 pp"
    okr = cs.okrs.objectives[0]
    assert (okr.score, okr.grade.word, okr.behind) == ("43%", Status.AMBER, 1)
    assert [k.pace for k in okr.krs] == ["On pace", "On pace", "Behind pace"]


def test_context_orders_departments_by_the_tree(tmp_path):
    """Parents come before their children, depth first, whatever the config order."""
    v = make_validated("2026-11")
    config = make_config([("B1", "A", False), ("Z", None, False), ("A", None, True),
                          ("A1", "A", False), ("A1X", "A1", False)])  # fmt: skip
    ctx = pack_context(score(v, config), v, config)
    assert [(d.id, d.depth) for d in ctx.departments] == [
        ("Z", 0), ("A", 0), ("B1", 1), ("A1", 1), ("A1X", 2)
    ]  # fmt: skip
    assert ctx.departments[-1].trail == ("Dept A", "Dept A1")
    assert ctx.departments[1].children == ("Dept B1", "Dept A1")


def test_context_lists_missing_rejected_and_stale_submissions(org):
    """FIN is missing, OPS rejected with its first error; nothing is silently dropped."""
    ctx = pack_context(*org)
    subs = ctx.submissions
    assert [m.department_id for m in subs.missing] == ["FIN"]
    assert [(r.department_id, r.file) for r in subs.rejected] == [("OPS", "OPS-2026-11.xlsx")]
    assert subs.rejected[0].problems[0].cell == "KPIs!H7"
    assert (subs.received, subs.expected) == (2, 4)
    assert ctx.as_of == "28 November 2026"  # newest accepted submission
    assert ctx.created == "2026-11-28T00:00:00Z"
    ops = next(d for d in ctx.departments if d.id == "OPS")
    assert ops.rejected is subs.rejected[0]


def test_context_marks_stale_departments():
    """A stale stand-in is listed in the summary and flagged on its page, never mixed in."""
    rows = seed_rows()
    v = make_validated("2026-11", stale=("CS",), **rows)
    v.submissions.loc[v.submissions["department_id"] == "CS", "as_of_period"] = "2026-10"
    config = make_config([("CS", None, False)])
    ctx = pack_context(score(v, config), v, config)
    assert ctx.submissions.stale == (StaleView(department="Dept CS", as_of="October 2026"),)
    assert ctx.submissions.received == 0
    cs = ctx.departments[0]
    assert (cs.stale, cs.stale_as_of, cs.missing) == (True, "October 2026", False)
    assert [(f.file, f.status) for f in ctx.appendix.files] == [("CS.xlsx", "stale")]


def test_context_caps_the_attention_list(tmp_path):
    """Eleven red KPIs: the summary shows eight and says "and 3 more"."""
    kpis = [
        {"department_id": "CS", "kpi_id": f"K{i:02d}", "target": 10, "red_threshold": 8,
         "actuals": {"2026-11": 1}}
        for i in range(11)
    ]  # fmt: skip
    v = make_validated("2026-11", kpis=kpis)
    config = make_config([("CS", None, False)])
    attention = pack_context(score(v, config), v, config).attention
    assert (len(attention.shown), attention.more) == (8, 3)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.42, "%", "42.0%"),
        (1234.4, "EUR", "EUR 1,234"),
        (12.5, "USD", "USD 12.50"),
        (1234, "count", "1,234"),
        (4.5, "days", "4.5 days"),
        (14.0, "days", "14 days"),
        (3.0, "hours", "3 hours"),
        (1.345, "ratio", "1.35"),
        (49.0, "score", "49"),
        (7.25, "ppm", "7.25 ppm"),
        (float("nan"), "%", "—"),
        (-2.5, "count", "−2.5"),
    ],
)
def test_values_are_formatted_by_unit(value, unit, text):
    """Each unit has its format; blank is a dash, never 0."""
    assert fmt_value(value, unit) == text


def test_scores_and_variances_format_for_a_board():
    """Scores are whole percents rounded half up; variances are signed, ±0 at zero."""
    assert [fmt_score(x) for x in (0.8333, 0.125, 1.0, float("nan"))] == ["83%", "13%", "100%", "—"]
    assert fmt_variance(-0.05, "%") == "−5.0 pp"
    assert fmt_variance(-0.00001, "%") == "±0.0 pp"
    assert fmt_variance(1500, "EUR") == "+EUR 1,500"


# --- the rendered PDF ------------------------------------------------------------------------


def test_pdf_shows_every_department_section_and_the_seed_numbers(seed_pack):
    """Every department, every section title, and the seed example's statuses and scores."""
    out = seed_pack
    text = out.text
    for name in ("Dept CS", "Dept FIN", "Dept OPS", "Dept ENG"):
        assert name in text
    for title in (*SECTIONS, "Board scorecard pack", "November 2026", "OKRs, 2026-Q4"):
        assert title in text, title
    compact = flat(text)
    for phrase in (
        "Grow net revenue retention",
        "CS-F1 · 75% ▲ Amber",
        "CS-C1 · 55% ■ Red",
        "CS-P1 · 13% ■ Red",
        "CS-L1 · 100% ● Green",
        "61% ▲ Amber",
        "43% ▲ Amber",
        "Days to first value",
        "red at 15.4 days",
        "○ No data",
        "Behind pace",
    ):
        assert flat(phrase) in compact, phrase
    assert "Test Org" in text


def test_every_page_says_page_x_of_y_and_the_classification(seed_pack):
    """Footers: "Page i of N" on page i, and the classification line, on every page."""
    out = seed_pack
    total = len(out.pages)
    assert total == out.paths.pages
    for i, page in enumerate(out.pages, start=1):
        assert f"Page {i} of {total}" in page
        assert "BOARD CONFIDENTIAL" in page.upper()


def test_outline_has_every_section_and_department(seed_pack):
    """PDF bookmarks: each section, each perspective, each department, nested."""
    titles = outline_titles(seed_pack.reader)
    names = [t for _, t in titles]
    for title in ("Contents", "Executive summary", "Strategy map", "Perspectives",
                  "Department scorecards", "Appendix", "D. Methodology", "F. Input files",
                  "Financial", "Learning & Growth"):  # fmt: skip
        assert title in names, title
    depth = dict((t, d) for d, t in titles)
    for dept in ("Dept CS", "Dept FIN", "Dept OPS", "Dept ENG"):
        assert depth[dept] == 1  # under "Department scorecards"


def test_pdf_has_metadata_from_the_inputs_and_no_embedded_files(seed_pack):
    """Title, author, subject and creation date come from the inputs; nothing is attached."""
    out = seed_pack
    meta = out.reader.metadata
    assert meta.title == "Test Org: Board scorecard pack, November 2026"
    assert meta.author == "Test Org"
    assert "November 2026" in meta.subject
    assert meta["/CreationDate"] == "D:20261128000000Z"
    assert out.reader.attachments == {}
    assert "/EmbeddedFiles" not in str(out.reader.trailer["/Root"].get("/Names", {}))


def test_missing_and_rejected_departments_say_so(seed_pack, org, tmp_path):
    """FIN: no submission received; OPS: rejected, in plain words; its file, cell and
    message are in the analyst annex, not in the board pack."""
    text = flat(seed_pack.text)
    assert flat("No submission received for November 2026") in text
    assert flat("Rejected: the workbook has 1 error and no earlier accepted submission") in text
    assert (
        flat("Dept OPS: workbook sent back for correction (1 error). Not scored this month.")
        in text
    )
    assert flat("FIN: no workbook received. Not scored this month.") in text
    assert "OPS-2026-11.xlsx" not in text
    annex = write_annex(pack_context(*org), org[2], tmp_path)
    annex_text = flat("".join(page.extract_text() for page in PdfReader(annex.pdf).pages))
    assert flat("Dept OPS (OPS-2026-11.xlsx)") in annex_text
    assert flat("KPIs!H7: 'lots' is not a number.") in annex_text


def test_frameworks_are_named_and_empty_sections_left_out(seed_pack):
    """ENG runs the BSC only: it says so and has no OKR table; CS has both."""
    out = seed_pack
    eng_page = next(p for p in out.pages if "Releases without rollback" in p and "Framework" in p)
    assert "Balanced Scorecard only" in eng_page
    assert "OKRs, 2026-Q4" not in eng_page
    assert "Onboarding revamp" in out.text  # CS's initiative
    assert flat("EUR 120,000") in flat(out.text)


def test_equal_inputs_give_byte_equal_pdfs(seed_pack, org, render):
    """Rendering the same inputs again gives the same bytes (PDF and HTML)."""
    first = seed_pack
    second = render(*org, name="again")
    assert first.paths.pdf.read_bytes() == second.paths.pdf.read_bytes()
    assert first.html == second.html


def test_files_are_written_atomically_and_readable(seed_pack):
    """Only the two pack files are left in the folder (no temp files), readable by others,
    beside the hidden cache of laid-out parts."""
    out = seed_pack
    assert sorted(p.name for p in out.paths.pdf.parent.iterdir()) == [
        ".cache",
        "board-pack-2026-11.html",
        "board-pack-2026-11.pdf",
    ]
    assert out.paths.pdf.stat().st_mode & 0o044 == 0o044


def test_executive_summary_stays_on_one_page_when_much_is_wrong(render):
    """Twelve missing units and twelve red KPIs: still one page, the rest "and N more"."""
    kpis = [
        {"department_id": "CS", "kpi_id": f"CS-K{i:02d}", "kpi": f"A long KPI name number {i} "
         "that wraps in its cell", "target": 10, "red_threshold": 8, "actuals": {"2026-11": 1}}
        for i in range(12)
    ]  # fmt: skip
    missing = tuple(f"M{i:02d}" for i in range(12))
    v = make_validated("2026-11", kpis=kpis, missing=missing)
    config = make_config([("CS", None, False), *((m, None, False) for m in missing)])
    out = render(score(v, config), v, config)
    pages = {t: out.reader.get_destination_page_number(o) for _, t, o in outline(out.reader)}
    assert pages["Scorecard overview"] - pages["Executive summary"] == 1
    summary = out.pages[pages["Executive summary"]]
    assert "And 4 more: see Appendix C." in summary
    assert "And 7 more: see Appendix A." in summary


def test_letter_page_size_when_branding_says_so(org, render):
    """branding.page_size = "Letter" gives 8.5 x 11 inch pages."""
    scored, v, config = org
    letter = dataclasses.replace(config, branding=Branding(page_size="Letter"))
    box = render(scored, v, letter).reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


# --- safety ----------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_org() -> tuple[Scored, Validated, Config]:
    kpis = [
        {"department_id": "CS", "kpi_id": "CS-K1", "kpi": HOSTILE_NAME, "target": 10,
         "actuals": {"2026-11": 5}, "commentary": HOSTILE_COMMENT},
    ]  # fmt: skip
    objectives = [
        {"department_id": "CS", "objective_id": "CS-O1", "perspective": "Financial",
         "objective": 'url(file:///etc/passwd) <a href="http://evil.example">x</a>',
         "corporate": True},
    ]  # fmt: skip
    v = make_validated("2026-11", kpis=[{**kpis[0], "objective_id": "CS-O1"}],
                       objectives=objectives)  # fmt: skip
    config = make_config([("CS", None, True)])
    return score(v, config), v, config


def test_workbook_text_is_literal_text_and_never_fetched(render):
    """A KPI named <img src="file:///etc/passwd"> prints as text; nothing fetches it."""
    out = render(*hostile_org())
    assert flat(HOSTILE_NAME) in flat(out.text)
    assert flat("</style><style>body { display: none }</style>") in flat(out.text)
    assert flat('<a href="http://evil.example">x</a>') in flat(out.text)
    assert not any("passwd" in url or "evil" in url for url in out.fetched)
    parser = _Tags()
    parser.feed(out.html)
    tags = [t for t, _ in parser.tags]
    assert tags.count("style") == 1
    assert not {"img", "link", "script", "iframe", "object"} & set(tags)
    assert all(a["href"].startswith("#") for t, a in parser.tags if t == "a")
    for _, attrs in parser.tags:  # a chart's aria-label is its text alternative: escaped text
        assert not any("passwd" in (v or "") for k, v in attrs.items() if k != "aria-label")


def test_fetcher_serves_only_the_logo(tmp_path):
    """file:, http:, data: and any other asset name (static/ included) are refused."""
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    fetcher = AssetFetcher(logo)
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        "data:image/svg+xml;base64,PHN2Zy8+",
        "scorecard-asset:static/../../../etc/passwd",
        "scorecard-asset:static/",
        "scorecard-asset:static/pack.css",
        "scorecard-asset:logo.svg",
        "scorecard-asset:/etc/passwd",
        "/etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("scorecard-asset:logo").read().startswith(b"<svg")
    assert AssetFetcher(None).requested == []
    with pytest.raises(ValueError):
        AssetFetcher(None).fetch("scorecard-asset:logo")


def test_logo_is_fetched_through_the_asset_fetcher_only(org, render, tmp_path):
    """The configured logo reaches the PDF via the fetcher; the HTML twin inlines it."""
    scored, v, config = org
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10" fill="#123456"/></svg>'
    )
    branded = dataclasses.replace(config, branding=Branding(logo=logo))
    out = render(scored, v, branded)
    assert set(out.fetched) == {"scorecard-asset:logo"}  # the cover is laid out twice
    assert 'src="data:image/svg+xml;base64,' in out.html


# --- edge cases ------------------------------------------------------------------------------


def test_an_organisation_with_no_data_still_renders(render):
    """Nothing submitted: every department says so; the pack still has all its sections."""
    config = make_config([("CORP", None, True), ("FIN", "CORP", False)])
    v = make_validated("2026-11", missing=("CORP", "FIN"))
    out = render(score(v, config), v, config)
    assert out.text.count("No submission received") == 2
    assert "No strategy-map objectives were submitted" in out.text


def test_an_okr_only_organisation_renders_without_bsc_sections(render):
    """OKRs only: no perspective pages, the unit says which framework it uses."""
    rows = seed_rows()
    v = make_validated("2026-11", key_results=rows["key_results"], checkins=rows["checkins"])
    config = make_config([("CS", None, False)])
    out = render(score(v, config), v, config)
    assert "OKRs only (no Balanced Scorecard)" in out.text
    assert "Raise NPS from 42 to 55" in out.text
    assert "Perspectives" not in [t for _, t in outline_titles(out.reader)]
