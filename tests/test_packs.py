"""Packs per audience: the board pack without the analyst's material, the analyst annex,
a one-page PDF per department, and `[[packs]]` (a subtree of the organisation, some
sections) built with `scorecard report --pack NAME`."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline import run
from pipeline.advice import advise
from pipeline.cli import main
from pipeline.config import PACK_SECTIONS, ConfigError, Pack, load_config
from pipeline.render import audience
from pipeline.render.editions import write_companions, write_named_pack, write_onepager
from pipeline.render.views import pack_context
from pipeline.render.views_appendix import RejectedView, StaleView
from pipeline.score import score
from tests.frames import make_config, make_validated

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
PERIOD = "2026-10"
COMMERCIAL = ("Commercial", "Sales", "Marketing", "Customer success")  # COMM and its units
CELL = re.compile(r"\b[A-Za-z][A-Za-z ]*![A-Z]{1,3}[0-9]+\b")  # KPIs!R4, 'Check-ins'!B2
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
SCORE = re.compile(r"(\d+(?:\.\d)?%|—)\s*[●▲■○]\s*(Green|Amber|Red|No data)")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def department_pages(path: Path) -> dict[str, str]:
    """Each department's page text, by the name its bookmark has under "Department
    scorecards"."""
    reader = PdfReader(path)
    found: dict[str, str] = {}

    def walk(items, under: bool) -> None:
        for i, item in enumerate(items):
            if isinstance(item, list):
                title = items[i - 1].title if i else ""
                walk(item, under or title == "Department scorecards")
            elif under:
                found[item.title] = reader.pages[
                    reader.get_destination_page_number(item)
                ].extract_text()

    walk(reader.outline, False)
    return found


def printed_score(page: str, name: str) -> tuple[str, str]:
    """The department's score and status as its page prints them (the score box)."""
    match = SCORE.search(page, page.index(name))
    assert match, name
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def demo(demo_report) -> Path:
    """The shared demo report (conftest): `report`, then `report --pack commercial`."""
    assert demo_report.report_exit == 0, demo_report.report_output
    assert "Annex:" in demo_report.report_output
    assert "10 departments, one page each" in demo_report.report_output
    assert demo_report.pack_exit == 0, demo_report.pack_output
    assert "Pack commercial:" in demo_report.pack_output
    assert "Board pack:" not in demo_report.pack_output
    return demo_report.root


def out(root: Path) -> Path:
    return root / "reports" / PERIOD


# --- the board pack and the analyst annex --------------------------------------------------------


def test_board_pack_leaves_files_hashes_and_cells_to_the_annex(demo: Path) -> None:
    """No demo file name, SHA-256 hash or Sheet!A1 cell in the board pack (PDF or HTML
    twin); all of them in the analyst annex, which the board pack names."""
    board = pdf_text(out(demo) / f"board-pack-{PERIOD}.pdf")
    twin = re.sub(r"<[^>]+>", " ", (out(demo) / f"board-pack-{PERIOD}.html").read_text())
    annex = pdf_text(out(demo) / f"analyst-annex-{PERIOD}.pdf")
    report = json.loads((out(demo) / f"validation-{PERIOD}.json").read_text())
    files = sorted(p.name for p in (demo / "inbox").glob("*.xlsx"))
    hashes = [f["sha256"] for f in report["files"]]
    cells = sorted({p["cell"] for f in report["files"] for p in f["problems"] if p["cell"]})
    assert len(files) == 10 and len(hashes) == 10 and cells  # the demo's planted warnings
    for text in (board, twin):
        assert not [name for name in files if name in text]
        assert not HEX64.search(text)
        assert not [h for h in hashes if h[:16] in flat(text)]
        assert not CELL.search(text), CELL.search(text)
    assert flat(f"analyst annex (analyst-annex-{PERIOD}.pdf)") in flat(board)
    assert flat("10 of 10 units reported for October 2026.") in flat(board)
    for name in files:
        assert name in annex
    for h in hashes:
        assert h in flat(annex)  # the hash column wraps
    for cell in cells:
        assert cell in annex
    assert "For the analyst:" in annex


# --- one page per department ---------------------------------------------------------------------


def test_every_department_has_a_one_page_pdf_with_its_pack_figures(demo: Path) -> None:
    """departments/<DEPT>-<period>.pdf for each demo department: one page, its name and the
    score its board-pack page prints."""
    config = load_config(demo / "scorecard.toml")
    board = department_pages(out(demo) / f"board-pack-{PERIOD}.pdf")
    folder = out(demo) / "departments"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{d}-{PERIOD}.pdf" for d in config.department_ids
    )
    for dept in config.departments:
        reader = PdfReader(folder / f"{dept.id}-{PERIOD}.pdf")
        assert len(reader.pages) == 1, dept.id
        page = reader.pages[0].extract_text()
        assert printed_score(page, dept.name) == printed_score(board[dept.name], dept.name)
        assert reader.metadata.title == f"Northwind Components: {dept.name}, October 2026"


def test_a_long_department_leaves_its_greenest_rows_out_and_says_so(tmp_path: Path) -> None:
    """Sixty KPIs do not fit a page: the Green ones go first, the Red ones stay, and the
    page says how many were left out."""
    kpis = [
        {"department_id": "CS", "kpi_id": f"CS-K{i:02d}", "kpi": f"A KPI with a long name, {i}",
         "target": 10, "red_threshold": 8, "actuals": {"2026-11": 10 if i % 4 else 1},
         "commentary": "" if i % 4 else "Behind plan: a recovery plan is agreed."}
        for i in range(60)
    ]  # fmt: skip
    v = make_validated("2026-11", kpis=kpis)
    config = make_config([("CS", None, False)])
    scored = score(v, config)
    view = pack_context(scored, v, config)
    written = write_onepager(view, view.departments[0], config, tmp_path / "CS.pdf")
    assert written.pages == 1
    text = re.sub(r"\s+", " ", PdfReader(written.pdf).pages[0].extract_text())
    shown = {int(n) for n in re.findall(r"A KPI with a long name, (\d+)\b", text)}
    assert {i for i in range(60) if i % 4 == 0} <= shown  # every Red KPI stays
    found = re.search(r"And (\d+) more KPIs \((\d+) Green\), left out to fit one page", text)
    assert found and found.group(1) == found.group(2)
    assert len(shown) + int(found.group(1)) == 60


def test_companions_are_byte_reproducible_and_leave_no_temporary_files(tmp_path: Path) -> None:
    """The annex and the one-pagers: equal inputs, equal bytes; only the finished files."""
    kpis = [
        {"department_id": d, "kpi_id": f"{d}-K1", "target": 10, "actuals": {"2026-11": 9}}
        for d in ("CORP", "FIN")
    ]
    v = make_validated("2026-11", kpis=kpis)
    config = make_config([("CORP", None, True), ("FIN", "CORP", False)])
    scored = score(v, config)
    first = write_companions(scored, v, config, tmp_path / "a")
    second = write_companions(scored, v, config, tmp_path / "b")
    for one, two in zip(
        (first.annex, *first.onepagers), (second.annex, *second.onepagers), strict=True
    ):
        assert one.read_bytes() == two.read_bytes()
    out = tmp_path / "a"
    assert sorted(p.name for p in out.rglob("*") if ".cache" not in p.relative_to(out).parts) == [
        "CORP-2026-11.pdf", "FIN-2026-11.pdf", "analyst-annex-2026-11.pdf", "departments",
    ]  # fmt: skip
    # Again into the same folder: every document comes from the cache, the bytes unchanged.
    before = {p: p.read_bytes() for p in (first.annex, *first.onepagers)}
    (tmp_path / "a" / "departments" / "FIN-2026-11.pdf").unlink()
    again = write_companions(scored, v, config, tmp_path / "a")
    assert {p: p.read_bytes() for p in (again.annex, *again.onepagers)} == before


# --- [[packs]]: a subtree of the organisation -----------------------------------------------------


def test_commercial_pack_shows_its_subtree_with_the_full_packs_scores(demo: Path) -> None:
    """packs/commercial-<period>.pdf: exactly COMM, Sales, Marketing and Customer success,
    each with the score the board pack prints; Commercial's score is the headline."""
    board = department_pages(out(demo) / f"board-pack-{PERIOD}.pdf")
    path = out(demo) / "packs" / f"commercial-{PERIOD}.pdf"
    pages = department_pages(path)
    assert tuple(pages) == COMMERCIAL
    for name in COMMERCIAL:
        assert printed_score(pages[name], name) == printed_score(board[name], name), name
    text = re.sub(r"\s+", " ", pdf_text(path))
    score_, status = printed_score(board["Commercial"], "Commercial")
    assert f"Commercial score {score_}" in text
    assert "Organisation score" not in text
    assert "Commercial directorate pack" in text
    assert "Covers 4 of 4 units" in text
    for other in ("Finance", "Operations", "Engineering", "People"):
        assert other not in pages
    assert PdfReader(path).metadata.title.startswith(
        "Northwind Components: Commercial directorate pack"
    )


@pytest.fixture(scope="module")
def demo_scored():
    config = load_config(DEMO / "scorecard.toml")
    assessed = run.assess(config, PERIOD)
    scored = score(assessed.validated, config)
    scored.advice = advise(assessed.validated, scored)
    return scored, assessed.validated, config


def test_a_pack_of_the_only_top_unit_has_the_organisations_tiles(demo_scored) -> None:
    """Rooted at CORP (the demo's one top unit), the subtree's perspective tiles and headline
    are the organisation's: one roll-up method for both."""
    scored, validated, config = demo_scored
    full = pack_context(scored, validated, config)
    corp = pack_context(*audience.subtree(scored, validated, config, "CORP"))
    assert [(t.name, t.score, t.status, t.trend) for t in corp.perspectives] == [
        (t.name, t.score, t.status, t.trend) for t in full.perspectives
    ]
    assert (corp.org.score, corp.org.status) == (full.org.score, full.org.status)
    assert [d.id for d in corp.departments] == [d.id for d in full.departments]


def test_a_subtree_keeps_every_departments_own_view(demo_scored) -> None:
    """Subtree views are the full pack's department views, KPIs and attention rows filtered."""
    scored, validated, config = demo_scored
    full = {d.id: d for d in pack_context(scored, validated, config).departments}
    sub = pack_context(*audience.subtree(scored, validated, config, "COMM"))
    assert [d.id for d in sub.departments] == ["COMM", "SALES", "MKT", "CS"]
    for d in sub.departments:
        mine = full[d.id]
        assert (d.score, d.status, d.sections, d.okrs, d.initiatives) == (
            mine.score, mine.status, mine.sections, mine.okrs, mine.initiatives
        )  # fmt: skip
        assert d.depth == mine.depth - 1
    names = {full[d].name for d in ("COMM", "SALES", "MKT", "CS")}
    assert {a.department for a in sub.attention.all} <= names
    assert {g.department for p in sub.perspective_pages for g in p.groups} <= names
    assert sub.submissions.expected == 4


def test_a_pack_prints_only_its_sections(demo_scored, tmp_path: Path) -> None:
    """sections = ["summary", "departments"]: no overview, strategy map, perspectives or
    appendix, and the contents list only what is there."""
    scored, validated, config = demo_scored
    pack = Pack("sales", "Sales pack", "SALES", ("summary", "departments"))
    path = write_named_pack(scored, validated, config, pack, tmp_path).pdf
    assert path == tmp_path / "packs" / f"sales-{PERIOD}.pdf"
    text = pdf_text(path)
    assert "Sales score" in text
    assert "Appendix" not in text  # no reference to an appendix this pack does not have
    titles = [item.title for item in PdfReader(path).outline if not isinstance(item, list)]
    assert titles == ["Sales pack", "Contents", "Executive summary", "Department scorecards"]


# --- configuration and command line -------------------------------------------------------------

CONFIG = """
[organisation]
name = "Acme"

[[departments]]
id = "CORP"
name = "Strategy office"
corporate = true

[[departments]]
id = "SALES"
name = "Sales"
parent = "CORP"
"""


def _load(tmp_path: Path, packs: str):
    path = tmp_path / "scorecard.toml"
    path.write_text(CONFIG + packs, encoding="utf-8")
    return load_config(path)


def test_packs_load_with_their_sections_in_the_fixed_order(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        '[[packs]]\nname = "sales-q4"\ntitle = "Sales"\nroot = "SALES"\n'
        'sections = ["departments", "summary"]\n'
        '[[packs]]\nname = "all"\ntitle = "Everything"\n',
    )
    assert config.packs == (
        Pack("sales-q4", "Sales", "SALES", ("summary", "departments")),
        Pack("all", "Everything", None, PACK_SECTIONS),
    )
    assert config.pack("all") is config.packs[1] and config.pack("nope") is None


@pytest.mark.parametrize(
    ("packs", "message"),
    [
        (
            '[[packs]]\nname = "a"\ntitle = "A"\nroot = "HR"\n',
            "packs[1].root 'HR' is not a department ID",
        ),
        ('[[packs]]\nname = "a"\ntitle = "A"\nfont = "x"\n', "unknown key packs[1].font"),
        (
            '[[packs]]\nname = "a"\ntitle = "A"\n[[packs]]\nname = "a"\ntitle = "B"\n',
            "packs[2].name 'a' is listed twice",
        ),
        ('[[packs]]\nname = "Sales Pack"\ntitle = "A"\n', "packs[1].name must be 1-40 lowercase"),
        ('[[packs]]\ntitle = "A"\n', "packs[1] is missing required key(s): packs[1].name"),
        (
            '[[packs]]\nname = "a"\ntitle = "A"\nsections = ["annex"]\n',
            "packs[1].sections: unknown section 'annex'",
        ),
        ('[[packs]]\nname = "a"\ntitle = "A"\nsections = []\n', "packs[1].sections must be a list"),
        ('[[packs]]\nname = "a"\ntitle = " "\n', "packs[1].title must be a non-empty string"),
        ('[packs]\nname = "a"\n', "packs must be an array of tables ([[packs]])"),
    ],
)
def test_a_bad_pack_is_a_config_error_naming_the_key(
    tmp_path: Path, packs: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, packs)
    assert message in str(info.value)


def test_report_with_an_unknown_pack_exits_2_naming_the_packs(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.toml"
    path.write_text(CONFIG + '[[packs]]\nname = "sales"\ntitle = "Sales"\n', encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    result = CliRunner().invoke(main, ["report", "--config", str(path), "--pack", "hr"])
    assert result.exit_code == 2
    assert "no [[packs]] named 'hr' (packs: sales)" in result.output


def test_the_data_quality_paragraph_is_plain_words(demo_scored) -> None:
    """Units by name, never a file: "People's workbook was rejected; its September 2026
    figures are shown." """
    scored, validated, config = demo_scored
    view = pack_context(scored, validated, config)
    people = RejectedView("PPL", "People", "PPL-2026-10.xlsx", 2, "A reason.", (), 0)
    submissions = dataclasses.replace(
        view.submissions,
        received=9,
        rejected=(people,),
        stale=(StaleView(department="People", as_of="September 2026"),),
        complete=False,
    )
    text = audience.data_quality(dataclasses.replace(view, submissions=submissions))
    assert text.startswith(
        "9 of 10 units reported for October 2026. People's workbook was rejected; its "
        "September 2026 figures are shown. The checks found 0 errors and 3 warnings."
    )
    assert "xlsx" not in text
