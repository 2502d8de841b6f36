"""A PackView in, the board pack out: a paginated PDF (WeasyPrint) and its HTML twin.

`render_html` fills the Jinja templates from the view model (`pipeline.render.views`);
`write_pack` lays the HTML out with WeasyPrint and writes both files atomically.

Safety: workbook text reaches the HTML only as autoescaped text nodes (and, escaped, as a
chart's `aria-label`, its text alternative). Colours, CSS classes,
anchors and URLs are chosen by the view model from fixed tables (keyed by status, from
`pipeline.vocabulary.STATUS_STYLES`) or built from positions, never from input text.
WeasyPrint fetches through `AssetFetcher`, which serves the configured logo and refuses
anything else.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import mimetypes
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from pipeline.atomic import replacing, write_bytes, write_text
from pipeline.config import Config
from pipeline.forked import beside
from pipeline.render import assemble
from pipeline.render.audience import Audience, board
from pipeline.render.tags import fold_text_runs
from pipeline.render.views import PackView, pack_context
from pipeline.render.views_appendix import ANNEX_FILES_PART, advice_part_anchor, calc_part_anchor
from pipeline.score import Scored
from pipeline.validate import Validated
from pipeline.vocabulary import STATUS_STYLES

TEMPLATES = Path(__file__).parent / "templates"
ASSET_SCHEME = "scorecard-asset"
LOGO_URL = f"{ASSET_SCHEME}:logo"
# Tagged PDF/UA-1 (ISO 14289-1): a structure tree in reading order, /MarkInfo, /Lang from
# <html lang>, the <title> shown as the window title and in the XMP metadata, and every
# chart a Figure whose /Alt is its SVG <title>. No date or random ID is added: equal
# inputs still give equal bytes.
# Each run of text is folded into the element that holds it (`pipeline.render.tags`).
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}


@dataclass(frozen=True)
class PackPaths:
    """Where the pack was written, and how many pages the PDF has."""

    pdf: Path
    html: Path
    pages: int
    parts: int = 1  # laid out as this many documents (`pipeline.render.assemble`)
    laid_out: int = 1  # of them laid out in this run; the others came from the cache


# --- rendering -------------------------------------------------------------------------------


@functools.cache  # one per process: templates compile once, however many documents
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_html(
    view: PackView,
    *,
    for_pdf: bool,
    logo_src: str = "",
    generated_from: str = "",
    audience: Audience | None = None,
    template: str = "pack.html.j2",
    **extra: Any,
) -> str:
    """The pack as one HTML document (for WeasyPrint, or the standalone HTML twin).

    `audience` says who it is for (`pipeline.render.audience`; default the board),
    `template` which document (the annex, a one-pager); `extra` are its own names."""
    env = _environment()
    context = _context(view, generated_from, audience, extra)
    css = env.get_template("pack.css.j2").render(**context, status_styles=_status_styles())
    return env.get_template(template).render(
        **context, css=Markup(css), for_pdf=for_pdf, logo_src=logo_src
    )


def render_css(
    view: PackView, audience: Audience | None = None, template: str = "pack.css.j2"
) -> str:
    """A stylesheet of the pack's templates (`pack.css.j2`, `onepager.css.j2`) on its own."""
    context = _context(view, "", audience, {})
    return _environment().get_template(template).render(**context, status_styles=_status_styles())


def _every_part(_key: str) -> bool:
    return True


def _no_page_attribute(_anchor: str) -> str:
    return ""


def _context(
    view: PackView, generated_from: str, audience: Audience | None, extra: dict[str, Any]
) -> dict[str, Any]:
    context = {f.name: getattr(view, f.name) for f in fields(view)}  # shallow: views stay typed
    context["generated_from"] = generated_from
    context["audience"] = audience or board(view)
    # One document by default; pipeline.render.assemble lays the pack out in parts, stamps
    # the page numbers afterwards and gives the contents its numbers (`page_of`).
    context["part"] = _every_part
    context["page_of"] = _no_page_attribute
    context["folio_stamped"] = False
    context["calc_part_anchor"] = calc_part_anchor
    context["advice_part_anchor"] = advice_part_anchor
    context["annex_files_part"] = ANNEX_FILES_PART
    context.update(extra)
    return context


def _status_styles() -> dict[str, Any]:
    """The status palette for the stylesheet, by CSS class: `status_styles.red.ink`."""
    return {style.css_class: style for style in STATUS_STYLES.values()}


class AssetFetcher:
    """WeasyPrint's URL fetcher for the pack: the configured logo, nothing else.

    Every request is recorded in `requested`. Anything that is not `scorecard-asset:logo`
    (file:, http:, data:, relative paths, other asset names, ...) raises, so no workbook
    text can make WeasyPrint read a file or reach the network.
    """

    def __init__(self, logo: Path | None) -> None:
        from weasyprint.urls import URLFetcher

        class _Fetcher(URLFetcher):
            def fetch(inner, url: str, headers: Any = None) -> Any:  # noqa: N805
                return self.fetch(url)

        self._weasy = _Fetcher(allowed_protocols=(ASSET_SCHEME,), fail_on_errors=False)
        self.logo = logo
        self.requested: list[str] = []

    @property
    def weasyprint(self) -> Any:
        """The object to hand to WeasyPrint as `url_fetcher`."""
        return self._weasy

    def resolve(self, url: str) -> Path:
        """The local file behind an asset URL; ValueError for anything not ours."""
        if url == LOGO_URL and self.logo is not None:
            return self.logo
        raise ValueError(f"refused to fetch {url[:80]!r}: not a pack asset")

    def fetch(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        self.requested.append(url)
        path = self.resolve(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def _logo_data_uri(logo: Path | None) -> str:
    if logo is None or not logo.is_file():
        return ""
    mime = mimetypes.guess_type(logo.name)[0] or ""
    if mime not in ("image/svg+xml", "image/png", "image/jpeg"):
        return ""
    return f"data:{mime};base64,{base64.b64encode(logo.read_bytes()).decode('ascii')}"


def write_pack(
    scored: Scored,
    validated: Validated,
    config: Config,
    out_dir: Path,
    generated_from: str | None = None,
    view: PackView | None = None,
) -> PackPaths:
    """Write board-pack-<period>.pdf and .html into `out_dir`; equal inputs, equal bytes.
    The PDF is laid out in parts across the cores (`pipeline.render.assemble`). `view`:
    `pack_context` of the same three, when already made."""
    out_dir = Path(out_dir)
    view = view or pack_context(scored, validated, config)
    source = generated_from or ""
    logo = config.branding.logo
    period = scored.period
    pdf_path = out_dir / f"board-pack-{period}.pdf"
    html_path = out_dir / f"board-pack-{period}.html"

    def write_twin() -> Path:
        html = render_html(
            view, for_pdf=False, logo_src=_logo_data_uri(logo), generated_from=source
        )
        return write_text(html_path, html)

    # The HTML twin is the whole pack in one template render (~0.6 s for ten departments):
    # made in a forked child while the parts are rendered and laid out, not before them.
    twin = beside(write_twin)
    audience = board(view)
    cache = assemble.parts_cache(out_dir)
    made = write_in_parts(
        view, config, pdf_path, assemble.split(view, audience), cache, generated_from=source
    )
    assemble.prune_cache(cache)
    return dataclasses.replace(made, html=twin())


def write_in_parts(
    view: PackView,
    config: Config,
    pdf_path: Path,
    parts: Sequence[assemble.Part],
    cache: Path | None,
    **common: Any,
) -> PackPaths:
    """Write a PDF of `view` laid out in `parts` across the cores (`pipeline.render.assemble`);
    `common` are `render_html`'s names for every part (the template, the audience)."""
    logo = config.branding.logo
    created = datetime.fromisoformat(view.created.replace("Z", "+00:00"))

    def html_for(keys: tuple[str, ...], **extra: Any) -> str:
        if "folio" in extra:
            first, last, total = extra["folio"]
            return render_html(
                view, for_pdf=True, template="folio.html.j2", audience=common.get("audience"),
                first=first, last=last, total=total,
            )  # fmt: skip
        return render_html(
            view,
            for_pdf=True,
            logo_src=LOGO_URL if logo else "",
            part=frozenset(keys).__contains__,
            folio_stamped=True,
            **common,
            **extra,
        )

    made = assemble.render_parts(html_for, parts, logo, int(created.timestamp()), cache)
    write_bytes(pdf_path, made.pdf)
    return PackPaths(pdf_path, pdf_path, made.pages, made.parts, made.laid_out)


def write_view(
    view: PackView,
    config: Config,
    pdf_path: Path,
    audience: Audience,
    template: str = "pack.html.j2",
    cache: Path | None = None,
    **extra: Any,
) -> PackPaths:
    """Write a PDF of `view` (often a filtered one: `audience.subtree`) for `audience`,
    without an HTML twin (`html` is the PDF's own path). Atomic; equal inputs, equal bytes.
    `cache`: a folder where the same HTML's PDF may be found from an earlier run."""
    logo = config.branding.logo
    html = render_html(
        view,
        for_pdf=True,
        logo_src=LOGO_URL if logo else "",
        audience=audience,
        template=template,
        **extra,
    )
    key = assemble.cache_key(html, logo)
    hit = assemble.document_from_cache(cache, key)
    if hit is not None:
        write_bytes(pdf_path, hit[0])
        return PackPaths(pdf=pdf_path, html=pdf_path, pages=hit[1], laid_out=0)
    pages = write_document(lay_out(html, logo), html, pdf_path, view.created, logo)
    assemble.document_to_cache(cache, key, pdf_path.read_bytes(), pages)
    return PackPaths(pdf=pdf_path, html=pdf_path, pages=pages)


def lay_out(html: str, logo: Path | None, stylesheets: list[Any] | None = None) -> Any:
    """WeasyPrint's paginated document for `html`; it fetches the logo and nothing else.

    `stylesheets`: `weasyprint.CSS` parsed once for many documents (see `stylesheet`)."""
    import weasyprint

    fetcher = AssetFetcher(logo)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher.weasyprint).render(
        stylesheets=stylesheets
    )


def stylesheet(css: str) -> Any:
    """`css` parsed once, for `lay_out`; it may fetch nothing (no url() is allowed)."""
    import weasyprint

    return weasyprint.CSS(string=css, url_fetcher=AssetFetcher(None).weasyprint)


def write_document(
    document: Any, html: str, pdf_path: Path, created: str, logo: Path | None
) -> int:
    """Write a laid-out `document` (from `lay_out(html, logo)`) to `pdf_path` atomically,
    with the same identifier and dates for the same inputs; its number of pages."""
    digest = hashlib.sha256(html.encode("utf-8"))
    if logo is not None and logo.is_file():
        digest.update(logo.read_bytes())
    stamp = datetime.fromisoformat(created.replace("Z", "+00:00"))
    with replacing(pdf_path) as temp, _source_date_epoch(int(stamp.timestamp())):
        document.write_pdf(
            temp,
            pdf_identifier=digest.hexdigest()[:32].encode("ascii"),
            finisher=fold_text_runs,
            **PDF_OPTIONS,
        )
    return len(document.pages)


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH while fonts are subset: fontTools (WeasyPrint's fallback when
    HarfBuzz-Subset is missing) stamps each subset font with "now" otherwise, and equal
    inputs would no longer give equal bytes."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
