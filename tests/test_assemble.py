"""The pack laid out in parts and assembled (pipeline.render.assemble) is the pack laid out
as one document: same pages and text, page numbers, contents numbers, bookmarks, named
destinations, links, metadata and tag tree; byte-reproducible; and a second run where one
department changed lays out that department's part only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from pipeline.advice import advise
from pipeline.render import assemble, audience, editions, views_appendix
from pipeline.render.audience import board
from pipeline.render.pack import (
    LOGO_URL,
    lay_out,
    render_html,
    write_document,
    write_pack,
    write_view,
)
from pipeline.render.views import pack_context
from pipeline.score import score
from tests.test_pack import organisation

CALC_ROWS = 9  # Appendix E's rows to a part, here: the test organisation's make several
ADVICE_ROWS = 2  # the annex's advice rows to a part, here


@pytest.fixture(scope="module", autouse=True)
def short_chunks():
    """Page numbers laid out 4 pages to a folio document, and Appendix E in parts of
    CALC_ROWS rows: several of each, so joining them in order (each with its own fonts) is
    proven against the single document."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(assemble, "FOLIO_CHUNK_PAGES", 4)
        mp.setattr(views_appendix, "CALC_ROWS_PER_PART", CALC_ROWS)
        mp.setattr(views_appendix, "ADVICE_ROWS_PER_PART", ADVICE_ROWS)
        mp.setattr(views_appendix, "ADVICE_ROWS_INLINE", ADVICE_ROWS)
        yield


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory):
    """The test organisation's pack as one document and in parts (two workers)."""
    tmp = tmp_path_factory.mktemp("assemble")
    v, config = organisation(tmp)
    scored = score(v, config)
    view = pack_context(scored, v, config)
    html = render_html(view, for_pdf=True, logo_src=LOGO_URL if config.branding.logo else "")
    single = tmp / "single.pdf"
    write_document(lay_out(html, None), html, single, view.created, None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(assemble.WORKERS_VARIABLE, "2")
        parts = write_pack(scored, v, config, tmp / "parts")
    return single, parts, (scored, v, config), tmp


def _outline(path: Path) -> list[tuple[int, str, int, float, float]]:
    reader = PdfReader(path)
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                page = reader.get_destination_page_number(item)
                found.append((depth, item.title, page, float(item.left), float(item.top)))

    walk(reader.outline, 0)
    return found


def _pdf_facts(path: Path) -> dict:
    """Destinations, links, the tag tree in reading order and the metadata of a PDF."""
    with pikepdf.open(path) as pdf:
        index = {page.objgen: i for i, page in enumerate(pdf.pages)}
        names = pdf.Root.Names.Dests.Names
        dests = {
            str(names[i]): (index[names[i + 1][0].objgen], *map(float, list(names[i + 1])[2:4]))
            for i in range(0, len(names), 2)
        }
        links = [
            (i, tuple(round(float(x), 2) for x in a.Rect), str(a.get("/Dest", "")))
            for i, page in enumerate(pdf.pages)
            for a in page.obj.get("/Annots", ())
        ]
        tags = []

        def walk(element, depth):
            if isinstance(element, pikepdf.Dictionary) and "/S" in element:
                page = index.get(element.Pg.objgen) if "/Pg" in element else None
                tags.append((depth, str(element.S), str(element.get("/Alt", "")), page))
                kids = element.get("/K")
                for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                    walk(kid, depth + 1)

        walk(pdf.Root.StructTreeRoot.K[0], 0)
        # Every page's marked content and every link has its entry in the parent tree.
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for i, page in enumerate(pdf.pages):
            assert int(page.obj.StructParents) == i and i in parents
            for a in page.obj.get("/Annots", ()):
                assert parents[int(a.StructParent)].S == "/Link"
        info = {k: str(v) for k, v in pdf.docinfo.items()}
        catalog = (str(pdf.Root.Lang), bool(pdf.Root.MarkInfo.Marked), "/Metadata" in pdf.Root)
    return {"dests": dests, "links": links, "tags": tags, "info": info, "catalog": catalog}


def test_parts_give_the_single_documents_pages_text_and_numbers(both):
    single, parts, _, _ = both
    one, many = PdfReader(single), PdfReader(parts.pdf)
    assert parts.parts > 4 and parts.laid_out == parts.parts  # cold: every part laid out
    assert len(many.pages) == len(one.pages) == parts.pages
    for i, (a, b) in enumerate(zip(one.pages, many.pages, strict=True)):
        assert a.extract_text() == b.extract_text(), f"page {i + 1} differs"
    total = len(one.pages)
    assert f"Page {total} of {total}" in many.pages[-1].extract_text()
    assert len(assemble._chunks(total)) >= 3  # the numbers came from several folios
    # the contents' numbers are the pages the entries point at
    contents = many.pages[1].extract_text()
    assert "Appendix" in contents and contents == one.pages[1].extract_text()


def test_appendix_e_is_laid_out_in_parts_each_beginning_a_page(both):
    """Every calculation row is in the pack once, in order, across several parts; a group
    cut between parts goes on under its title marked "(continued)" at the top of a page."""
    single, parts, (scored, v, config), _ = both
    view = pack_context(scored, v, config)
    runs = view.appendix.calculation_parts
    assert len(runs) >= 3 and all(sum(len(g.rows) for g in run) <= CALC_ROWS for run in runs)
    assert [r for run in runs for g in run for r in g.rows] == [
        r for g in view.appendix.calculations for r in g.rows
    ]
    anchors = [assemble.Part((views_appendix.calc_part_anchor(n),)) for n in (1, len(runs))]
    split = assemble.split(view, board(view))
    assert split[-len(runs)] == anchors[0] and split[-1] == anchors[-1]
    # Here each part is a page: a part that goes on with a group says so at its top.
    pages = [p.extract_text() for p in PdfReader(parts.pdf).pages][-len(runs) :]
    assert [run[0].continued for run in runs] == ["(continued)" in page for page in pages]
    assert any(run[0].continued for run in runs)
    assert "E. Calculations" in pages[0] and "F. Input files" in pages[-1]


def test_a_long_annex_is_laid_out_in_parts_as_its_single_document(both, tmp_path):
    """The analyst annex with more advice than a run: sections 1-4, each run of advice and
    the input files are parts of their own, laid out across the cores; the pages are the
    annex laid out as one document, page for page, with every advice row."""
    _, _, (scored, v, config), _ = both
    scored = dataclasses.replace(scored, advice=advise(v, scored))  # as the report does
    view = pack_context(scored, v, config)
    runs = view.appendix.advice_runs
    assert len(runs) >= 3 and sum(len(r) for r in runs) == len(view.appendix.advice)
    parts = editions.annex_parts(view)
    assert len(parts) == len(runs) + 2 and parts[-1].key == views_appendix.ANNEX_FILES_PART
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(assemble.WORKERS_VARIABLE, "2")
        made = editions.write_annex(view, config, tmp_path / "parts")
    single = write_view(
        view, config, tmp_path / "one.pdf", audience.annex(view), editions.ANNEX_TEMPLATE
    )
    assert made.parts == len(parts) and made.pages == single.pages
    one, many = PdfReader(single.pdf), PdfReader(made.pdf)
    for i, (a, b) in enumerate(zip(one.pages, many.pages, strict=True)):
        assert a.extract_text() == b.extract_text(), f"page {i + 1} differs"
    text = "".join(page.extract_text() for page in many.pages)
    assert text.count("5. Goal-quality advice (continued)") == len(runs) - 1
    assert f"Page {made.pages} of {made.pages}" in many.pages[-1].extract_text()
    assert _outline(made.pdf) == _outline(single.pdf)


def test_a_resubmission_lays_out_the_annex_files_again_and_keeps_the_advice(both, tmp_path):
    """Advice longer than ADVICE_ROWS_INLINE is a part of its own even in one run: a file
    that changed only its bytes (its hash) lays out the input files' part again, no more."""
    _, _, (scored, v, config), _ = both
    scored = dataclasses.replace(scored, advice=advise(v, scored))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(views_appendix, "ADVICE_ROWS_PER_PART", 10_000)
        view = pack_context(scored, v, config)
    assert len(view.appendix.advice_runs) == 1 and view.appendix.advice_apart
    keys = [p.key for p in editions.annex_parts(view)]
    assert keys == ["annex", views_appendix.advice_part_anchor(1), views_appendix.ANNEX_FILES_PART]
    first = editions.write_annex(view, config, tmp_path)
    assert (first.parts, first.laid_out) == (3, 3)
    files = list(view.appendix.files)
    files[0] = dataclasses.replace(files[0], sha256="0" * 64)
    resent = dataclasses.replace(
        view, appendix=dataclasses.replace(view.appendix, files=tuple(files))
    )
    again = editions.write_annex(resent, config, tmp_path)
    assert (again.parts, again.laid_out) == (3, 1) and again.pages == first.pages
    text = "".join(page.extract_text() for page in PdfReader(again.pdf).pages)
    assert "0" * 40 in text and files[1].sha256[:40] in text


def test_runs_of_calculations_cut_groups_and_keep_every_row_in_order():
    group = views_appendix.CalcGroup
    a, b = group("A", tuple(range(5))), group("B", tuple(range(3)))
    runs = views_appendix.in_parts([a, b], 4)
    assert runs == (
        (group("A", (0, 1, 2, 3)),),
        (group("A", (4,), True), group("B", (0, 1, 2))),
    )
    assert views_appendix.in_parts([], 4) == ((),)  # section E is there with nothing in it


def test_parts_give_the_same_bookmarks_links_tags_and_metadata(both):
    single, parts, _, _ = both
    assert _outline(parts.pdf) == _outline(single)
    assert _pdf_facts(parts.pdf) == _pdf_facts(single)


def test_the_page_number_is_an_artifact_where_the_single_document_prints_it(both):
    single, parts, _, _ = both
    with pikepdf.open(parts.pdf) as pdf:
        last = pdf.pages[-1].obj.Contents[-1].read_bytes()
    assert last.startswith(b"Q\n/Artifact BMC") and last.rstrip().endswith(b"EMC")


def test_parts_are_byte_reproducible_cold_and_from_the_cache(both):
    _, parts, (scored, v, config), tmp = both
    cold = write_pack(scored, v, config, tmp / "cold-again")
    warm = write_pack(scored, v, config, tmp / "parts")
    assert warm.laid_out == 0 and warm.parts == parts.parts  # all from the cache
    assert cold.pdf.read_bytes() == parts.pdf.read_bytes() == warm.pdf.read_bytes()


def test_one_department_changed_lays_out_its_part_only(both):
    """CS's commentary shows on CS's page only: that part is laid out again, nothing else."""
    _, _, (scored, v, config), tmp = both
    kpis = scored.kpis.copy()
    kpis.loc[kpis["department_id"] == "CS", "commentary"] = "Churn fell after the fix."
    changed = dataclasses.replace(scored, kpis=kpis)
    again = write_pack(changed, v, config, tmp / "parts")
    assert again.laid_out == 1
    text = "".join(page.extract_text() for page in PdfReader(again.pdf).pages)
    assert "Churn fell after the fix." in text
