"""The board pack as an accessible, archivable PDF: tagged PDF/UA-1, language, title,
every chart and image with a text alternative, a sensible reading order."""

from __future__ import annotations

import pickle
import re
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from pipeline.config import load_config
from pipeline.render.pack import PackPaths
from pipeline.render.views import PackView, pack_context
from pipeline.run import read_inbox
from pipeline.score import score
from pipeline.validate import validate
from tests.conftest import shared_by_workers
from tests.test_pack import Rendered, flat, outline, render_pack

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "examples" / "demo" / "scorecard.toml"
DEMO_PERIOD = "2026-10"
TITLE = "Northwind Components: Board scorecard pack, October 2026"


def build_demo(base: Path) -> tuple[Rendered, PackView]:
    """The demo pack rendered into `base`/demo-pack, and its view model.

    The demo is read and laid out once per test run: a module that asks again (this one and
    test_headline_charts share it) reads the files already written under the same `base`.
    """
    out = base / "demo-pack"
    pdf, html = out / f"board-pack-{DEMO_PERIOD}.pdf", out / f"board-pack-{DEMO_PERIOD}.html"
    saved = out / "view.pickle"
    if not (pdf.is_file() and html.is_file() and saved.is_file()):
        config = load_config(DEMO_CONFIG)
        intake = read_inbox(config)
        validated = validate(intake.workbooks, config, DEMO_PERIOD, intake.unreadable)
        scored = score(validated, config)
        view = pack_context(scored, validated, config)
        rendered = render_pack(scored, validated, config, out, in_process=False)
        saved.write_bytes(pickle.dumps(view))
        return rendered, view
    view = pickle.loads(saved.read_bytes())
    reader = PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    paths = PackPaths(pdf=pdf, html=html, pages=len(pages))
    text = html.read_text(encoding="utf-8")
    return Rendered(paths, reader, pages, "\n".join(pages), text, [], []), view


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Rendered, PackView]:
    with shared_by_workers(tmp_path_factory, worker_id, "demo-pack") as shared:
        return build_demo(shared)


def resolve(obj):
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def structure(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element of the tagged PDF, depth first (document order)."""
    root = resolve(reader.trailer["/Root"]["/StructTreeRoot"])
    found: list[DictionaryObject] = []
    stack = [root]
    while stack:
        node = resolve(stack.pop())
        if not isinstance(node, DictionaryObject):
            continue  # a marked-content id
        if node.get("/Type") in (None, "/StructElem") and "/S" in node:
            found.append(node)
        kids = node.get("/K")
        kids = resolve(kids) if kids is not None else []
        kids = list(kids) if isinstance(kids, ArrayObject) else [kids]
        stack.extend(reversed(kids))
    return found


class _Charts(HTMLParser):
    """Each <svg> (its attributes and its first child's tag and text) and each <img>."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.imgs: list[dict] = []
        self._awaiting_child = False
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append({"attrs": dict(attrs), "first": None, "title": ""})
            self._awaiting_child = True
            return
        if self._awaiting_child:
            self.svgs[-1]["first"] = tag
            self._awaiting_child = False
            self._in_title = tag == "title"
        if tag == "img":
            self.imgs.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title and self.svgs:
            self.svgs[-1]["title"] += data


def charts_in(html: str) -> _Charts:
    parser = _Charts()
    parser.feed(html)
    return parser


# --- the PDF ---------------------------------------------------------------------------------


def test_the_pdf_is_tagged_pdf_ua_with_language_and_title(demo):
    """pdfinfo's "Tagged: yes": /MarkInfo /Marked true and a structure tree; /Lang "en";
    the title in the document info and the XMP metadata, which declares PDF/UA-1, and shown
    as the window title."""
    out, _ = demo
    catalog = out.reader.trailer["/Root"]
    assert resolve(catalog["/MarkInfo"])["/Marked"].value is True
    assert resolve(catalog["/StructTreeRoot"])["/Type"] == "/StructTreeRoot"
    assert catalog["/Lang"] == "en"
    assert resolve(catalog["/ViewerPreferences"])["/DisplayDocTitle"].value is True
    assert out.reader.metadata.title == TITLE
    assert out.reader.metadata.author == "Northwind Components"
    xmp = resolve(catalog["/Metadata"]).get_data().decode("utf-8")
    assert re.search(r'pdfuaid:part="1"', xmp)
    assert TITLE in xmp and "Northwind Components" in xmp
    assert out.reader.pdf_header == "%PDF-1.7"


def test_text_belongs_to_the_element_that_holds_it_with_no_span_per_run_of_text(demo):
    """WeasyPrint's one /Span per run of text is folded into its element (a cell, a
    paragraph): no /Span or /NonStruct in the tree holds marked content alone, and every
    marked-content id of every page is in its page's parent-tree entry, pointing at an
    element whose /K holds that id."""
    out, _ = demo
    with pikepdf.open(out.paths.pdf) as pdf:
        tree = pdf.Root.StructTreeRoot
        alone = []

        def walk(element: pikepdf.Dictionary) -> None:
            kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
            ids = [k for k in kids if isinstance(k, int)]
            if str(element.S) in ("/Span", "/NonStruct") and ids and len(ids) == len(kids):
                alone.append(element)
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)

        walk(tree.K[0])
        assert alone == []
        nums = tree.ParentTree.Nums
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        checked = 0
        for index, page in enumerate(pdf.pages):
            owners = entries[int(page.obj.StructParents)]
            content = page.obj.Contents
            streams = content if isinstance(content, pikepdf.Array) else [content]
            data = b"".join(s.read_bytes() for s in streams)
            ids = sorted({int(m) for m in re.findall(rb"/MCID (\d+)", data)})
            assert ids == list(range(len(owners))), f"page {index + 1}"
            for mcid, owner in enumerate(owners):
                kids = owner.K if isinstance(owner.K, pikepdf.Array) else [owner.K]
                assert mcid in [k for k in kids if isinstance(k, int)], (index, mcid)
                checked += 1
        assert checked > 1000


def test_every_figure_in_the_structure_tree_has_alternate_text(demo):
    """Every chart and image is a Figure whose /Alt says what it shows (the SVG <title>, the
    image's alt); there is one Figure per <svg> and <img> of the pack."""
    out, _ = demo
    elements = structure(out.reader)
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert figures
    missing = [f for f in figures if not str(f.get("/Alt", "")).strip()]
    assert missing == []
    html = charts_in(out.html)
    assert len(figures) == len(html.svgs) + len(html.imgs)
    alts = {str(f["/Alt"]) for f in figures}
    assert any(a.startswith("Score ") and a.endswith(", Amber") for a in alts)  # a gauge
    assert any(a.startswith("Strategy map, ") for a in alts)


def test_the_structure_has_headings_tables_with_headers_and_lists(demo):
    """Sections are headings (H1) in order; tables have header cells; lists are lists."""
    out, _ = demo
    kinds = [str(e["/S"]) for e in structure(out.reader)]
    for kind in ("/H1", "/H2", "/Table", "/TH", "/TD", "/L", "/LI", "/Link", "/P"):
        assert kind in kinds, kind
    assert kinds.count("/H1") >= 8


def test_reading_order_follows_the_page(demo):
    """The executive summary's text reads top to bottom (heading, headline, tiles, boxes,
    table); the structure tree, which screen readers follow, has every chart in document
    order: on the two-column headline page, chart by chart, each after its caption."""
    out, view = demo
    pages = {t: out.reader.get_destination_page_number(i) for _, t, i in outline(out.reader)}
    summary = flat(out.pages[pages["Executive summary"]])
    order = ["Executivesummary", "Organisationscore", "Financial", "Learning&Growth",
             "OKRs,", "Submissions", "Needsattention:RedKPIs", "BOARDCONFIDENTIAL"]  # fmt: skip
    positions = [summary.find(word) for word in order]
    assert -1 not in positions and positions == sorted(positions), positions

    elements = structure(out.reader)
    alts = [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure"]
    html = charts_in(out.html)
    assert [a for a in alts if a in {s["title"] for s in html.svgs}] == [
        s["title"] for s in html.svgs
    ]
    titles = [charts_in(str(c.svg)).svgs[0]["title"] for c in view.headline]
    headline = [a for a in alts if a in titles]
    assert headline == titles
    for figure in (e for e in elements if str(e.get("/Alt", "")) in titles):
        parent = resolve(figure["/P"])  # the <figure>: caption, chart, how to read it
        assert [str(resolve(k)["/S"]) for k in parent["/K"]] == ["/Caption", "/Figure", "/P"]


# --- the HTML --------------------------------------------------------------------------------


def test_every_chart_in_the_html_is_an_image_with_a_text_alternative(demo):
    """Every <svg> is role="img" with a non-empty aria-label and a <title> first child
    saying the same; every <img> has a non-empty alt."""
    out, _ = demo
    found = charts_in(out.html)
    assert len(found.svgs) > 100  # gauges, sparklines, bars, the map, headline charts
    for svg in found.svgs:
        label = svg["attrs"].get("aria-label", "")
        assert svg["attrs"].get("role") == "img", svg
        assert label.strip(), svg
        assert svg["first"] == "title" and svg["title"] == label, svg
        assert "aria-hidden" not in svg["attrs"]
    assert found.imgs, "the demo's logo"
    assert all(img.get("alt", "").strip() for img in found.imgs)


def test_sparklines_and_gauges_say_what_they_show(demo):
    """A department page's sparkline names its KPI, months and values in the KPI's unit;
    a gauge says the score as printed beside it and its status."""
    out, view = demo
    labels = [svg["attrs"]["aria-label"] for svg in charts_in(out.html).svgs]
    assert any(
        label.startswith("Group revenue, months 1 to 10 of the fiscal year: EUR ")
        for label in labels
    )
    assert f"Score {view.org.score}, {view.org.status.word}" in labels
    assert any(label.startswith("Progress ") for label in labels)  # key-result bars
