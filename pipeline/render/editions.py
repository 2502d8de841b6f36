"""The board pack's companions: the analyst annex, one page per department, and the packs
for other audiences (`[[packs]]`).

- `write_companions` (what `scorecard report` writes beside the board pack):
  `analyst-annex-<period>.pdf`, the files, cells, hashes and advice the board pack leaves
  out, and `departments/<DEPT>-<period>.pdf`, each department's board-pack section on
  exactly one page.
- `write_named_pack` (`scorecard report --pack NAME`): `packs/<name>-<period>.pdf`, the
  board pack cut to one subtree and some sections (`pipeline.render.audience.subtree`).

A one-pager is its department's section of the pack (the same `DepartmentView`, so the
same figures) laid out as its own small document, in the tightest setting first (smaller
type, no second lines under cells: onepager.css.j2's fit-2). With room to spare it is laid
out again in larger type; if it runs over a page, its least-needed rows are left out
(Green KPIs first, Red last: `audience.drop_order`) and counted in an "And N more" line.
How many rows go is measured, not guessed: the laid-out rows' heights (WeasyPrint's page
boxes) against the overflow, then any that the room left would hold come back. A short
department takes one or two layouts, a long one two or three; departments are laid out in
forked children side by side, and kept in `reports/<period>/.cache/documents` by their HTML's
hash. Every file is checked to have exactly one page.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.atomic import write_bytes
from pipeline.config import Config, Pack
from pipeline.forked import beside, in_shares
from pipeline.render import audience
from pipeline.render.assemble import (
    CACHE_FOLDER,
    Part,
    cache_key,
    document_from_cache,
    document_to_cache,
    parts_cache,
    prune_cache,
)
from pipeline.render.audience import Row, annex_name, drop_order, fit_department, subtree
from pipeline.render.pack import (
    LOGO_URL,
    PackPaths,
    lay_out,
    render_css,
    render_html,
    stylesheet,
    write_document,
    write_in_parts,
    write_view,
)
from pipeline.render.views import PackView, pack_context
from pipeline.render.views_appendix import ANNEX_FILES_PART, advice_part_anchor
from pipeline.render.views_department import DepartmentView
from pipeline.score import Scored
from pipeline.validate import Validated

ANNEX_TEMPLATE = "annex.html.j2"
ONEPAGER_TEMPLATE = "onepager.html.j2"
DEPARTMENTS_FOLDER = "departments"
DOCUMENTS_FOLDER = "documents"  # in CACHE_FOLDER: whole documents by their HTML's hash
PACKS_FOLDER = "packs"
END = "onepager-end"  # the element after a one-pager's last line (onepager.html.j2)
_NOTE_PX = 28.0  # room for the "And N more ..." line, in CSS px (two lines of 7pt)
_SLACK_PX = 6.0
_MAX_WORKERS = 4  # one-pagers laid out at once (never more than the cores)
_HEADING_PX = 16.0  # an objective's or a perspective's heading row, tightest setting
_TABLE_PX = 40.0  # the initiatives' heading and table header
# How long a one-pager is in each setting (fit-0, fit-1, fit-2 of onepager.css.j2) against
# the first, measured on the demo's departments (0.77-0.84, 0.57-0.65): it says which larger
# setting is worth a try; the page count decides. _FULL: the share of a page it may fill.
SHRINK = (1.0, 0.81, 0.61)
_FULL = 0.95


@dataclass(frozen=True)
class Companions:
    annex: Path
    onepagers: tuple[Path, ...]


def write_companions(
    scored: Scored,
    validated: Validated,
    config: Config,
    out_dir: Path,
    generated_from: str = "",
    view: PackView | None = None,
) -> Companions:
    """The analyst annex and every department's one-pager, into `out_dir`. The annex is
    laid out in a forked child while the one-pagers are (one document on one core: it
    would otherwise leave the other cores idle). `view`: `pack_context` of the same
    three, when already made."""
    view = view or pack_context(scored, validated, config)
    annex = beside(lambda: write_annex(view, config, out_dir, generated_from).pdf)
    pages = write_onepagers(view, config, out_dir / DEPARTMENTS_FOLDER)
    path = annex()
    prune_cache(_cache(out_dir))
    return Companions(path, tuple(p.pdf for p in pages))


def write_annex(
    view: PackView, config: Config, out_dir: Path, generated_from: str = ""
) -> PackPaths:
    """analyst-annex-<period>.pdf: what the board pack's Appendix A sums up, in full. A
    long annex (more advice than `ADVICE_ROWS_INLINE`) is laid out in parts across the
    cores, each run of advice cached on its own (`annex_parts`)."""
    path = Path(out_dir) / annex_name(view.period)
    reader = audience.annex(view)
    parts = annex_parts(view)
    if len(parts) == 1:
        return write_view(
            view, config, path, reader, ANNEX_TEMPLATE, cache=_cache(out_dir),
            generated_from=generated_from,
        )  # fmt: skip
    return write_in_parts(
        view, config, path, parts, parts_cache(out_dir), audience=reader, template=ANNEX_TEMPLATE,
        generated_from=generated_from,
    )  # fmt: skip


def annex_parts(view: PackView) -> list[Part]:
    """The annex's parts (annex.html.j2): sections 1 to 4, each run of advice, the input
    files; or the whole annex as one part when its advice is short."""
    runs = view.appendix.advice_runs
    if not view.appendix.advice_apart:
        return [Part(("annex",))]
    advice = [Part((advice_part_anchor(n),)) for n in range(1, len(runs) + 1)]
    return [Part(("annex",)), *advice, Part((ANNEX_FILES_PART,))]


def _cache(out_dir: Path) -> Path:
    """Where documents laid out for `out_dir` are kept by their HTML's hash (assemble.py)."""
    return Path(out_dir) / CACHE_FOLDER / DOCUMENTS_FOLDER


def write_named_pack(
    scored: Scored, validated: Validated, config: Config, pack: Pack, out_dir: Path
) -> PackPaths:
    """packs/<name>-<period>.pdf: the pack for `pack`'s audience, scores as in the board pack."""
    if pack.root is not None:
        scored, validated, config = subtree(scored, validated, config, pack.root)
    view = dataclasses.replace(pack_context(scored, validated, config), title=pack.title)
    path = Path(out_dir) / PACKS_FOLDER / f"{pack.name}-{view.period}.pdf"
    return write_view(view, config, path, audience.for_pack(view, pack), cache=_cache(out_dir))


def write_onepagers(view: PackView, config: Config, folder: Path) -> list[PackPaths]:
    """<DEPT>-<period>.pdf in `folder` for every department of `view`, one page each.

    The departments are dealt out in shares, one per core (at most `_MAX_WORKERS`), each
    laid out in turn in a forked child or, the first, here (`pipeline.forked.in_shares`):
    a fork costs more as the organisation grows, one per share instead of one per
    department. A child that fails leaves its share to this process, where the one-pagers
    it finished come from the cache, so any error is raised here. The files are the same
    either way."""
    css = onepager_css(view)
    sheet = stylesheet(css)  # parsed once for every department and every try
    cache = _cache(Path(folder).parent)
    jobs = [(d, Path(folder) / f"{d.id}-{view.period}.pdf") for d in view.departments]

    def lay_out_share(share: Sequence[tuple[DepartmentView, Path]]) -> list[int]:
        return [
            write_onepager(view, d, config, path, (css, sheet), cache).pages for d, path in share
        ]

    pages = in_shares(jobs, min(_MAX_WORKERS, os.cpu_count() or 1), lay_out_share)
    return [
        PackPaths(pdf=path, html=path, pages=count)
        for (_, path), count in zip(jobs, pages, strict=True)
    ]


def onepager_css(view: PackView) -> str:
    """The one-pagers' stylesheet: the pack's, then onepager.css.j2."""
    return render_css(view) + "\n" + render_css(view, template="onepager.css.j2")


def write_onepager(
    view: PackView,
    d: DepartmentView,
    config: Config,
    path: Path,
    css: tuple[str, Any] | None = None,
    cache: Path | None = None,
) -> PackPaths:
    """`d`'s section of the pack on exactly one page (see the module docstring).

    `css`: the stylesheet's text and its `pack.stylesheet`, when already made; `cache`: a
    folder where the same one-pager may be found from an earlier run."""
    logo = config.branding.logo
    text, sheet = css or (onepager_css(view), None)
    sheet = sheet or stylesheet(text)
    d = dataclasses.replace(d, first=False)  # no "Department scorecards" bookmark
    order = drop_order(d)

    def html_of(fit: int, gone: int) -> str:
        shown, line = fit_department(d, order[:gone])
        return render_html(
            view,
            for_pdf=True,
            logo_src=LOGO_URL if logo else "",
            audience=audience.onepager(view, fit, line),
            template=ONEPAGER_TEMPLATE,
            d=shown,
            outside_css=True,
        )

    def attempt(fit: int, gone: int) -> tuple[str, Any]:
        html = html_of(fit, gone)
        return html, lay_out(html, logo, [sheet])

    fit, gone = len(SHRINK) - 1, 0  # the tightest first: most departments need it
    # The first try's HTML decides every later one: a one-pager made from it before is kept.
    key = cache_key(text + html_of(fit, gone), logo)
    hit = document_from_cache(cache, key)
    if hit is not None:
        write_bytes(path, hit[0])
        return PackPaths(pdf=path, html=path, pages=hit[1], laid_out=0)
    html, document = attempt(fit, gone)
    if len(document.pages) == 1:  # room to spare? larger type, where it would fit
        _, page = _content_box(document.pages[0])
        length = _used(document) / SHRINK[fit]
        for larger in range(fit):
            if length * SHRINK[larger] <= _FULL * page:
                tried = attempt(larger, gone)
                if len(tried[1].pages) == 1:
                    fit, (html, document) = larger, tried
                    break
    heights: dict[Row, float] = {}  # each row's height as last laid out in this setting
    while len(document.pages) > 1 and gone < len(order):
        heights.update(_heights(document, d, order[:gone]))
        gone = _leave_out(document, order, gone, heights)
        html, document = attempt(fit, gone)
    if gone and len(document.pages) == 1:  # rows left out that the room left would hold
        back = _take_back(document, order, gone, heights)
        if back < gone:
            tried = attempt(fit, back)
            if len(tried[1].pages) == 1:
                html, document = tried
    if len(document.pages) > 1:  # nothing left to leave out: what is not a row is too long
        document = document.copy(document.pages[:1])
    pages = write_document(document, text + html, path, view.created, logo)
    document_to_cache(cache, key, path.read_bytes(), pages)
    return PackPaths(pdf=path, html=path, pages=pages)


def _heights(document: Any, d: DepartmentView, left: Sequence[Row]) -> dict[Row, float]:
    """The height of each row `document` shows ({} when its tables are not as expected)."""
    gone = set(left)
    shown = [r for r in audience.rows(d) if r not in gone]
    heights: dict[Row, float] = {}
    measured = _row_heights(document)
    for kind in ("kpi", "kr", "initiative"):
        of_kind = [r for r in shown if r.kind == kind]
        found = measured.get(kind, [])
        if len(of_kind) != len(found):
            return {}
        heights.update(zip(of_kind, found, strict=True))
    return heights


def _leave_out(document: Any, order: Sequence[Row], gone: int, heights: Mapping[Row, float]) -> int:
    """How many of `order` to leave out so `document` fits one page: as many as it takes
    for the rows (and the headings that go with them) to cover what lies beyond the first
    page, less the room left at its foot (where a row kept in one piece did not fit)."""
    first = document.pages[0]
    top, page = _content_box(first)
    bottom = _bottom(first)
    room = max(0.0, top + page - bottom) if bottom else 0.0
    need = _overflow(document) - room + (_NOTE_PX if gone == 0 else 0.0) + _SLACK_PX
    if not heights:  # not measurable: a share of the rows left, as large as the overflow
        share = need / (need + page)
        return min(len(order), gone + max(1, math.ceil((len(order) - gone) * share)))
    now = _height(order[gone:], heights)
    for i in range(gone + 1, len(order) + 1):
        if now - _height(order[i:], heights) >= need:
            return i
    return len(order)


def _take_back(document: Any, order: Sequence[Row], gone: int, heights: Mapping[Row, float]) -> int:
    """How few of `order` need leaving out after all: the last ones left out go back, with
    the headings that come back with them, while they fit in the room `document` (one page)
    has left."""
    _, page = _content_box(document.pages[0])
    room = page - _used(document) - _SLACK_PX
    now = _height(order[gone:], heights)
    back = gone
    while back > 0 and order[back - 1] in heights:
        if _height(order[back - 1 :], heights) - now > room:
            break
        back -= 1
    return back


def _height(shown: Sequence[Row], heights: Mapping[Row, float]) -> float:
    """How high `shown` (the rows on the page) stand: their measured heights, the headings
    of the objectives and perspectives they fill, the initiatives table if any is left."""
    kpis = [r.key for r in shown if r.kind == "kpi"]
    headings = len({k[:2] for k in kpis}) + len({k[:1] for k in kpis})
    tables = any(r.kind == "initiative" for r in shown)
    return sum(heights.get(r, 0.0) for r in shown) + headings * _HEADING_PX + tables * _TABLE_PX


# --- measuring a laid-out document (WeasyPrint's page boxes) ------------------------------------


def _content_box(page: Any) -> tuple[float, float]:
    """The top and the height of a page's content area, in CSS px."""
    box = getattr(page, "_page_box", None)
    if box is None:
        return 0.0, float(page.height)
    return float(box.content_box_y()), float(box.height)


def _bottom(page: Any) -> float:
    """Where the page's last line or table row ends, in CSS px (0 when not measurable)."""
    bottom = 0.0

    def walk(box: Any) -> None:
        nonlocal bottom
        if type(box).__name__ == "MarginBox":  # running header and footer
            return
        if type(box).__name__ in ("LineBox", "TableRowBox"):
            bottom = max(bottom, float(box.position_y) + float(box.margin_height()))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    try:
        walk(page._page_box)
    except AttributeError:
        return 0.0
    return bottom


def _used(document: Any) -> float:
    """How much of a one-page document's content area its content fills, in CSS px."""
    page = document.pages[0]
    top, height = _content_box(page)
    end = page.anchors.get(END)
    return (float(end[1]) - top) if end else height


def _overflow(document: Any) -> float:
    """How much content, in CSS px, lies beyond the first page."""
    total = 0.0
    for page in document.pages[1:]:
        top, height = _content_box(page)
        end = page.anchors.get(END)
        total += (float(end[1]) - top) if end else height
    return total


def _row_heights(document: Any) -> dict[str, list[float]]:
    """The heights of the rows a one-pager may leave out, in page order, by kind: each KPI
    (with its commentary), key result and initiative of department.html.j2's tables."""
    found: dict[str, list[float]] = {"kpi": [], "kr": [], "initiative": []}
    tables = {"kpis": "kpi", "okrs": "kr", "init": "initiative"}

    def walk(box: Any, table: str, group: str) -> None:
        tag = getattr(box, "element_tag", "")
        element = getattr(box, "element", None)
        classes = (element.get("class") or "").split() if element is not None else []
        if tag == "table":
            table = next((tables[c] for c in classes if c in tables), "")
        elif tag in ("thead", "tbody", "tfoot"):
            group = tag
        elif tag == "tr" and table and group == "tbody":
            height = float(box.margin_height())
            if table != "kpi":
                if "group" not in classes:
                    found[table].append(height)
            elif "kpi-row" in classes:
                found["kpi"].append(height)
            elif "comment-row" in classes and found["kpi"]:
                found["kpi"][-1] += height
            return
        for child in getattr(box, "children", ()):
            walk(child, table, group)

    try:
        for page in document.pages:
            walk(page._page_box, "", "")
    except AttributeError:
        return {}
    return found
