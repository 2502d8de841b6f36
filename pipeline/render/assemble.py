"""The board pack laid out in parts across the cores and assembled into one tagged PDF.

WeasyPrint lays a document out on one core, in time that grows with the document. The
pack is a sequence of parts that each begin on a new page (cover and contents, summary,
overview, each perspective, each department, glossary, appendix, the appendix's
calculations in runs of rows). Each part is laid out as a document of its own in a worker
process, and the parts are joined into one PDF (`pipeline.render.pdfjoin`) with the page
numbers, contents, bookmarks, links, metadata and tag tree of the pack laid out as one
document:

- Page numbers: the parts are laid out without their "Page X of Y" box. Once the total is
  known, folio documents (empty pages, the pack's @page rules, only that box; chunks of
  `FOLIO_CHUNK_PAGES`) are laid out beside the front, and each folio drawn over its page as
  an /Artifact (page furniture, not content).
- Contents: the front part (cover and contents) is laid out last, every entry's page number
  written in (`page_of`); its own length is first found with placeholder numbers.
- Links into another part: the link is kept by giving its target a placeholder anchor in
  the part; the merged named destinations point at the real one.
- Bookmarks: each part's (level, label, position) list per page, joined into one tree by
  WeasyPrint's own `Document.make_bookmark_tree` over all pages.
- Tags: each part's structure elements under one Document element; the parent tree
  renumbered the way WeasyPrint numbers it (pages first, then link annotations).
- Cache: each part's PDF is kept under `reports/<period>/.cache/parts/` by the hash of its HTML,
  the logo and the WeasyPrint version; a month where one department's workbook changed
  lays out that department's part (and the front, with its new numbers) only.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pipeline.gctune import fewer_collections, frozen_for_children
from pipeline.render.pdfjoin import join
from pipeline.render.views_appendix import calc_part_anchor

CACHE_FOLDER = ".cache"  # in the period's output folder: .cache/parts/<hash>.pdf + .json
PARTS_FOLDER = "parts"
CACHE_KEEP_DAYS = 30  # cached parts unused this long are deleted
FRONT = "front"
FRONT_PROBE = "front-probe"  # the front laid out with placeholder page numbers, for its length
LOGGER = "weasyprint"
WORKERS_VARIABLE = "SCORECARD_WORKERS"


@dataclass(frozen=True)
class Part:
    """One part of the pack: its key (the first anchor it holds) and the anchors it holds."""

    keys: tuple[str, ...]  # the anchors it holds; the first names the part

    @property
    def key(self) -> str:
        return self.keys[0]


@dataclass(frozen=True)
class Assembled:
    """The assembled pack and how it was made."""

    pdf: bytes
    pages: int
    parts: int  # parts of the pack
    laid_out: int  # of them laid out now; the rest came from the cache


@dataclass(frozen=True)
class LaidOut:
    """A part laid out and written: its tagged PDF and what assembly needs to know."""

    pdf: bytes
    anchors: dict[str, int]  # anchor -> page index within the part (its own anchors)
    bookmarks: list[list[tuple[int, str, tuple[float, float], str]]]  # per page
    heights: list[float]  # page heights in CSS px
    messages: list[tuple[int, str]]  # WeasyPrint's warnings while laying it out
    cached: bool = False  # read from the cache, not laid out in this run

    @property
    def pages(self) -> int:
        return len(self.heights)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


def split(view: Any, audience: Any) -> list[Part]:
    """The pack's parts in reading order. A department too short for a page of its own
    (`.dept.short` does not break the page) stays in the part of the one before it."""
    sections = audience.sections
    parts = [Part((FRONT,))]
    if "summary" in sections:
        parts.append(Part(("summary",)))
    if "overview" in sections or "strategy" in sections:
        parts.append(Part(("overview",)))
    if "perspectives" in sections:
        parts += [Part((p.tile.anchor,)) for p in view.perspective_pages]
    if "departments" in sections:
        for d in view.departments:
            if d.has_content:
                parts.append(Part((d.anchor,)))
            else:  # flows on after whatever comes before it, as in one document
                last = parts[-1]
                parts[-1] = Part((*last.keys, d.anchor))
    if "appendix" in sections:
        if view.glossary:  # an empty part would still be a (blank) page
            parts.append(Part(("glossary",)))
        parts.append(Part(("appendix",)))
        # Appendix E in parts of its own (each begins a page), the last with F.
        for number in range(1, len(view.appendix.calculation_parts) + 1):
            parts.append(Part((calc_part_anchor(number),)))
    return parts


def render_parts(
    html_for: Callable[..., str],
    parts: Sequence[Part],
    logo: Path | None,
    created_epoch: int,
    cache: Path | None,
    workers: int | None = None,
) -> Assembled:
    """Lay out `parts` (HTML from `html_for(keys, page_of=...)`, or a folio chunk's from
    `html_for((), folio=(first, last, total))`) across the cores and assemble them."""

    body = list(parts[1:])
    htmls = {p.key: html_for(p.keys) for p in body}
    # The front's length, found with a placeholder for each number (three digits wide).
    front_probe = html_for(parts[0].keys, page_of=lambda _a: _page_attr(888))
    jobs = {p.key: htmls[p.key] for p in body}
    jobs[FRONT_PROBE] = front_probe
    done = _lay_out_all(jobs, logo, created_epoch, cache, workers)
    fresh = _laid_out_now(done)

    front_pages = done[FRONT_PROBE].pages
    for _ in range(3):  # the numbers may (rarely) change the front's own length
        offsets, start = {}, front_pages
        for p in body:
            offsets[p.key] = start
            start += done[p.key].pages
        total = start
        where = {
            anchor: offsets[p.key] + index + 1
            for p in body
            for anchor, index in done[p.key].anchors.items()
        }
        front_html = html_for(parts[0].keys, page_of=_numbers(where))
        folios = {
            f"folio-{first}": html_for((), folio=(first, last, total))
            for first, last in _chunks(total)
        }
        final = _lay_out_all(
            {FRONT: front_html, **folios}, logo, created_epoch, cache, workers, set(folios)
        )
        front, front_fresh = final[FRONT], _laid_out_now(final)
        if front.pages == front_pages:
            break
        front_pages = front.pages
    if sum(final[name].pages for name in folios) != total:
        raise RuntimeError(f"the folio documents do not have the pack's {total} pages")
    ordered = [front, *(done[p.key] for p in body)]
    # The front counts as laid out now when its probe was (often the same HTML: a cache hit).
    laid_out = sum(1 for p in body if p.key in fresh) + bool(
        {FRONT, FRONT_PROBE} & (front_fresh | fresh)
    )
    pack = join(ordered, [final[name].pdf for name in folios])
    return Assembled(pack, total, len(parts), laid_out)


FOLIO_CHUNK_PAGES = 120  # ~2 s of layout each: long packs number their pages on every core


def _chunks(total: int) -> list[tuple[int, int]]:
    """Pages 1..total in runs of at most FOLIO_CHUNK_PAGES, as (first, last)."""
    return [
        (first, min(total, first + FOLIO_CHUNK_PAGES - 1))
        for first in range(1, total + 1, FOLIO_CHUNK_PAGES)
    ]


def _laid_out_now(done: dict[str, LaidOut]) -> set[str]:
    return {name for name, laid in done.items() if not laid.cached}


def _numbers(where: dict[str, int]) -> Callable[[str], Markup]:
    """The contents' `page_of`: an entry's page number as a data-page attribute."""
    return lambda anchor: _page_attr(where.get(anchor))


def _page_attr(page: int | None) -> Markup:
    return Markup(f' data-page="{page}"') if page else Markup("")


# --- laying out ------------------------------------------------------------------------------


def parts_cache(out_dir: Path) -> Path:
    """Where the parts laid out for `out_dir` are kept (beside what they make)."""
    return Path(out_dir) / CACHE_FOLDER / PARTS_FOLDER


def cache_key(html: str, logo: Path | None) -> str:
    """What a laid-out document depends on: its HTML, the logo, WeasyPrint and its options."""
    import weasyprint

    from pipeline.render.pack import PDF_OPTIONS
    from pipeline.render.tags import TAGS_VERSION

    digest = hashlib.sha256(html.encode("utf-8"))
    options = f"{weasyprint.__version__}|{sorted(PDF_OPTIONS.items())}|{TAGS_VERSION}"
    digest.update(options.encode())
    if logo is not None and logo.is_file():
        digest.update(logo.read_bytes())
    return digest.hexdigest()


# A cache entry is <key>.pdf and <key>.json (what else is known of it; its time of last use
# is what `prune_cache` goes by). Parts, whole documents and folios are all kept this way.


def _read_entry(folder: Path | None, key: str) -> tuple[bytes, dict[str, Any]] | None:
    if folder is None:
        return None
    try:
        info = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        data = (folder / f"{key}.pdf").read_bytes()
        os.utime(folder / f"{key}.json")  # last used: kept while in use
    except (OSError, ValueError):
        return None
    return (data, info) if isinstance(info, dict) else None


def _write_entry(folder: Path | None, key: str, pdf: bytes, info: dict[str, Any]) -> None:
    if folder is None:
        return
    from pipeline.atomic import write_bytes, write_text

    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(folder / f"{key}.pdf", pdf)
        write_text(folder / f"{key}.json", json.dumps(info))
    except OSError:
        pass  # a cache that cannot be written only costs time


def _from_cache(folder: Path | None, key: str) -> LaidOut | None:
    entry = _read_entry(folder, key)
    if entry is None:
        return None
    data, info = entry
    try:
        return LaidOut(
            pdf=data,
            anchors={str(k): int(v) for k, v in info["anchors"].items()},
            bookmarks=[
                [(int(b[0]), str(b[1]), (float(b[2][0]), float(b[2][1])), str(b[3])) for b in page]
                for page in info["bookmarks"]
            ],
            heights=[float(h) for h in info["heights"]],
            messages=[],  # shown when it was laid out
            cached=True,
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


def _to_cache(folder: Path | None, key: str, laid: LaidOut) -> None:
    info = {"anchors": laid.anchors, "bookmarks": laid.bookmarks, "heights": laid.heights}
    _write_entry(folder, key, laid.pdf, info)


def document_from_cache(folder: Path | None, key: str) -> tuple[bytes, int] | None:
    """A whole document (the annex, a one-pager) written before from the same HTML: its
    PDF and page count, or None."""
    entry = _read_entry(folder, key)
    if entry is None or not isinstance(entry[1].get("pages"), int):
        return None
    return entry[0], entry[1]["pages"]


def document_to_cache(folder: Path | None, key: str, pdf: bytes, pages: int) -> None:
    _write_entry(folder, key, pdf, {"pages": pages})


def prune_cache(folder: Path, keep_days: int = CACHE_KEEP_DAYS) -> None:
    """Delete cached parts not used for `keep_days`."""
    cutoff = time.time() - keep_days * 86400
    for meta in folder.glob("*.json"):
        try:
            if meta.stat().st_mtime < cutoff:
                meta.with_suffix(".pdf").unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
        except OSError:
            pass


def _lay_out_all(
    jobs: dict[str, str],
    logo: Path | None,
    epoch: int,
    cache: Path | None,
    workers: int | None,
    untagged: set[str] | None = None,
) -> dict[str, LaidOut]:
    """Every job's laid-out part, from the cache or laid out in worker processes; the
    `untagged` jobs (folios: page furniture only) are written without PDF/UA tags."""
    keys = {name: cache_key(html, logo) for name, html in jobs.items()}
    done: dict[str, LaidOut] = {}
    todo = []
    for name, html in jobs.items():
        hit = _from_cache(cache, keys[name])
        if hit is not None:
            done[name] = hit
        else:
            todo.append((name, html))
    # Longest first, so that no worker is left with a long part at the end.
    todo.sort(key=lambda job: -len(job[1]))
    n = min(workers or worker_count(), len(todo))
    args = [(html, logo, epoch, n > 1, name not in (untagged or ())) for name, html in todo]
    if n <= 1:
        results = [_lay_out_part(a) for a in args]
    else:
        with frozen_for_children(), multiprocessing.get_context("fork").Pool(n) as pool:
            results = pool.map(_lay_out_part, args, chunksize=1)
    for (name, _), laid in zip(todo, results, strict=True):
        for level, message in laid.messages if n > 1 else ():
            logging.getLogger(LOGGER).log(level, "%s", message)  # as if laid out here
        done[name] = laid
        _to_cache(cache, keys[name], laid)
    return done


def worker_count() -> int:
    """Processes laying out parts: SCORECARD_WORKERS if set (1 = all in this process, for a
    shared machine or a debugger), else one per core."""
    try:
        return max(1, int(os.environ.get(WORKERS_VARIABLE, "")))
    except ValueError:
        return os.cpu_count() or 1


def _lay_out_part(args: tuple[str, Path | None, int, bool, bool]) -> LaidOut:
    """One part laid out and written as a tagged PDF (in a worker process: `forward`, its
    WeasyPrint warnings are returned for the parent to log)."""
    from pipeline.render.pack import PDF_OPTIONS, _source_date_epoch, lay_out
    from pipeline.render.tags import fold_text_runs

    html, logo, epoch, forward, tagged = args
    collected = _Collect()
    if forward:
        logging.getLogger(LOGGER).addHandler(collected)
    try:
        with fewer_collections():
            document = lay_out(html, logo)
            anchors: dict[str, int] = {}
            for index, page in enumerate(document.pages):
                for name in page.anchors:
                    anchors.setdefault(name, index)
            # A link to an anchor in another part would be dropped: give it a placeholder here.
            elsewhere = {
                link[1]
                for page in document.pages
                for link in page.links
                if link[0] == "internal" and link[1] not in anchors
            }
            if document.pages:
                for name in sorted(elsewhere):
                    document.pages[0].anchors[name] = (0, 0, 0, 0)
            out = io.BytesIO()
            with _source_date_epoch(epoch):
                options = {**PDF_OPTIONS, "finisher": fold_text_runs} if tagged else {}
                document.write_pdf(out, pdf_identifier=b"0" * 32, **options)
    finally:
        logging.getLogger(LOGGER).removeHandler(collected)
    return LaidOut(
        messages=collected.messages,
        pdf=out.getvalue(),
        anchors=anchors,
        bookmarks=[
            [
                (int(b[0]), str(b[1]), (float(b[2][0]), float(b[2][1])), str(b[3]))
                for b in p.bookmarks
            ]
            for p in document.pages
        ],
        heights=[float(p.height) for p in document.pages],
    )
