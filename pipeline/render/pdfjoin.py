"""The pack's laid-out parts joined into one PDF, one part in memory at a time.

`pipeline.render.assemble` lays the pack out as parts; this writes them as one file. A
PDF library joining documents holds every object of the result in memory: at 200
departments that is over 200,000 structure elements, about 3 KB each in QPDF. Here each
part is opened in turn (pikepdf, to read it), every object the pack keeps from it is
written out at once with its references renumbered, and the part is closed. What stays in
memory is the bytes written and a number per page, element and destination.

What is kept of a part: its pages (each drawn over with its folio, the "Page X of Y" box,
as an /Artifact, and numbered in the structure's parent tree), the structure elements
under its Document element (which join the pack's one), its parent-tree entries
(renumbered the way WeasyPrint numbers them: pages first, then link annotations), the
named destinations of its own anchors, and everything those refer to. The front part
also gives the catalogue's language, tagging flags, viewer preferences and metadata,
and the document information. Its catalogue, page tree, structure root, outline and name
trees are replaced by the pack's.

References are rewritten in QPDF's unparsed form of each object, where every string is
either hexadecimal or literal with its parentheses escaped, so a string can never be
mistaken for a reference.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, Protocol

SCALE = 0.75  # PDF points per CSS pixel (WeasyPrint's zoom 1)
# A string (literal, parentheses escaped; or hexadecimal), or a reference "12 0 R".
_TOKEN = re.compile(rb"\((?:[^\\)]|\\.)*\)|<[0-9A-Fa-f\s]*>|(\d+) (\d+) R", re.DOTALL)
_DELIMITER = rb"(?=[\s/\[\]<>(){}%]|$)"


class LaidOutPart(Protocol):
    """A laid-out part: its PDF, pages, own anchors and bookmarks (`assemble.LaidOut`)."""

    pdf: bytes
    anchors: dict[str, int]
    bookmarks: list[list[tuple[int, str, tuple[float, float], str]]]
    heights: list[float]

    @property
    def pages(self) -> int: ...


class _Out:
    """The PDF being written: objects appended in turn (all but streams gathered in
    compressed object streams, as WeasyPrint writes them), then a cross-reference stream."""

    PER_STREAM = 200  # objects in one object stream

    def __init__(self, version: str) -> None:
        self.chunks = [b"%PDF-" + version.encode("ascii") + b"\n%\xf0\x9f\x96\xa4\n"]
        self.size = len(self.chunks[0])
        self.where: dict[int, tuple[int, int, int]] = {}  # number -> cross-reference entry
        self.pending: list[tuple[int, bytes]] = []  # objects for the next object stream
        self.count = 0

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def put(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        if stream is None:
            self.pending.append((number, body))
            if len(self.pending) >= self.PER_STREAM:
                self._pack()
            return
        self._write(number, body + b"\nstream\n" + stream + b"\nendstream")

    def _write(self, number: int, body: bytes) -> None:
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self.where[number] = (1, self.size, 0)
        self.chunks.append(chunk)
        self.size += len(chunk)

    def _pack(self) -> None:
        """The pending objects written as one compressed object stream."""
        if not self.pending:
            return
        number = self.reserve()
        offsets, position = [], 0
        for index, (member, body) in enumerate(self.pending):
            offsets.append(b"%d %d" % (member, position))
            position += len(body) + 1
            self.where[member] = (2, number, index)
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + b"\n".join(body for _, body in self.pending) + b"\n")
        info = {"Type": b"/ObjStm", "N": len(self.pending), "First": len(head)}
        info |= {"Filter": b"/FlateDecode", "Length": len(data)}
        self.pending = []
        self.put(number, _pdf(info), data)

    def finish(self, root: int, info: int | None) -> bytes:
        self._pack()
        xref = self.reserve()
        self.where[xref] = (1, self.size, 0)
        missing = set(range(1, self.count + 1)) - self.where.keys()
        if missing:
            raise RuntimeError(f"objects reserved and never written: {sorted(missing)[:5]}")
        body = b"".join(self.chunks)
        identifier = hashlib.md5(body, usedforsecurity=False).hexdigest().encode("ascii")
        rows = [(0, 0, 65535)] + [self.where[n] for n in range(1, self.count + 1)]
        table = zlib.compress(
            b"".join(
                kind.to_bytes(1, "big") + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
                for kind, field, extra in rows
            )
        )
        trailer: dict[str, Any] = {"Type": b"/XRef", "Size": self.count + 1, "W": [1, 4, 2]}
        trailer["Root"] = _ref(root)
        if info is not None:
            trailer["Info"] = _ref(info)
        trailer["ID"] = [b"<%s>" % identifier, b"<%s>" % identifier]
        trailer |= {"Filter": b"/FlateDecode", "Length": len(table)}
        tail = b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (xref, _pdf(trailer), table)
        return body + tail + b"startxref\n%d\n%%%%EOF\n" % len(body)


class _Source:
    """One opened PDF whose objects are copied into `out` as they are referred to."""

    def __init__(self, out: _Out, pdf: Any) -> None:
        self.out, self.pdf = out, pdf
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: list[tuple[int, int]] = []
        self.externals: dict[int, Any] = {}  # the pack's object -> its stand-in here

    def stand_in(self, obj: Any, number: int) -> None:
        """References to `obj` become references to the pack's object `number`."""
        self.numbers[obj.objgen] = number

    def external(self, number: int) -> Any:
        """An object of this PDF that stands for the pack's object `number` (one for each)."""
        import pikepdf

        if number not in self.externals:
            placeholder = self.pdf.make_indirect(pikepdf.Dictionary())
            self.stand_in(placeholder, number)
            self.externals[number] = placeholder
        return self.externals[number]

    def number(self, objgen: tuple[int, int]) -> int:
        found = self.numbers.get(objgen)
        if found is None:
            found = self.numbers[objgen] = self.out.reserve()
            self.queue.append(objgen)
        return found

    def rewrite(self, data: bytes) -> bytes:
        """`data` (an unparsed object) with its references renumbered for the pack."""

        def renumber(match: re.Match[bytes]) -> bytes:
            if match.group(1) is None:
                return match.group(0)  # a string
            return b"%d 0 R" % self.number((int(match.group(1)), int(match.group(2))))

        return _TOKEN.sub(renumber, data)

    def bytes_of(self, obj: Any) -> bytes:
        """`obj` (direct, or a reference to an indirect object) as the pack writes it."""
        return self.rewrite(obj.unparse(resolved=not obj.is_indirect))

    def flush(self) -> None:
        """Write every object referred to so far, and what they refer to."""
        import pikepdf

        while self.queue:
            objgen = self.queue.pop()
            obj = self.pdf.get_object(objgen)
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                obj.stream_dict.Length = len(raw)
                body = self.rewrite(obj.stream_dict.unparse(resolved=True))
                self.out.put(self.numbers[objgen], body, raw)
            else:
                self.out.put(self.numbers[objgen], self.rewrite(obj.unparse(resolved=True)))


def _pdf(value: Any) -> bytes:
    """A value of ours in PDF syntax: bytes are written as they are (names, references)."""
    from pydyf import _to_bytes

    if isinstance(value, list | tuple):
        return b"[ " + b" ".join(_pdf(v) for v in value) + b" ]"
    if isinstance(value, dict):
        return (
            b"<< " + b" ".join(b"/%s %s" % (k.encode(), _pdf(v)) for k, v in value.items()) + b" >>"
        )
    if isinstance(value, str):
        import pikepdf

        return bytes(pikepdf.String(value).unparse())
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return _to_bytes(value)


def _ref(number: int) -> bytes:
    return b"%d 0 R" % number


def _flate(data: bytes) -> tuple[bytes, bytes]:
    packed = zlib.compress(data)
    return _pdf({"Filter": b"/FlateDecode", "Length": len(packed)}), packed


class _Folios:
    """The folio documents' pages, in order: each page's content (its resources renamed
    `/Folio<n>_<name>`) and the pack's objects for those resources."""

    def __init__(self, out: _Out, folios: Sequence[bytes]) -> None:
        import pikepdf

        self.pages: list[tuple[int, bytes]] = []  # (folio document, content)
        self.resources: list[dict[str, dict[str, int]]] = []
        for index, data in enumerate(folios):
            with pikepdf.open(io.BytesIO(data)) as folio:
                source = _Source(out, folio)
                resources = folio.pages[0].Resources if len(folio.pages) else {}
                renames: dict[bytes, bytes] = {}
                numbers: dict[str, dict[str, int]] = {}
                for category in sorted(resources.keys()):
                    entries = resources[category]
                    if not isinstance(entries, pikepdf.Dictionary):
                        continue
                    for name in sorted(entries.keys()):
                        new = f"/Folio{index}_{name[1:]}"
                        renames[name.encode()] = new.encode()
                        value = entries[name]
                        if value.is_indirect:
                            number = source.number(value.objgen)
                        else:  # made an object of its own, to be shared by every page
                            number = out.reserve()
                            out.put(number, source.bytes_of(value))
                        numbers.setdefault(category, {})[new] = number
                source.flush()
                pattern = _renaming(renames)
                for sheet in folio.pages:
                    contents = sheet.Contents
                    content = b"\n".join(
                        s.read_bytes()
                        for s in (contents if isinstance(contents, pikepdf.Array) else [contents])
                    )
                    if pattern is not None:
                        content = pattern.sub(lambda m, new=renames: new[m.group(1)], content)
                    self.pages.append((index, content))
                self.resources.append(numbers)


def _renaming(renames: dict[bytes, bytes]) -> re.Pattern[bytes] | None:
    if not renames:
        return None
    names = b"|".join(re.escape(n) for n in sorted(renames, key=len, reverse=True))
    return re.compile(b"(" + names + b")" + _DELIMITER)


def join(parts: Sequence[LaidOutPart], folios: Sequence[bytes]) -> bytes:
    """One PDF from the laid-out parts (the first is the front) and the folio documents,
    whose pages in order are the pack's."""
    import pikepdf

    total = sum(part.pages for part in parts)
    header = re.match(rb"%PDF-(\d+\.\d+)", parts[0].pdf)
    out = _Out(header.group(1).decode("ascii") if header else "1.7")
    catalog, pages_root, tree_root, document, parent_tree, save = (out.reserve() for _ in range(6))
    out.put(save, *_flate(b"q\n"))  # each page's own drawing is saved before it, then its folio
    folio_pages = _Folios(out, folios)
    if len(folio_pages.pages) != total:
        raise RuntimeError("folio and pack page counts differ")
    folio_iter = iter(folio_pages.pages)

    page_numbers: list[int] = []
    kids: list[int] = []
    page_nums: list[bytes] = []  # per page: its parent-tree entry
    annotation_nums: list[bytes] = []  # per link annotation, in order
    destinations: dict[str, bytes] = {}
    front_entries: dict[str, bytes] = {}
    info: int | None = None
    for index, part in enumerate(parts):
        with pikepdf.open(io.BytesIO(part.pdf)) as pdf:
            source = _Source(out, pdf)
            root = pdf.Root
            tree = root.StructTreeRoot
            source_document = tree.K[0]
            source.stand_in(root, catalog)
            source.stand_in(root.Pages, pages_root)
            source.stand_in(tree, tree_root)
            source.stand_in(source_document, document)
            source.stand_in(tree.ParentTree, parent_tree)
            if index == 0:
                for name in ("Lang", "MarkInfo", "ViewerPreferences", "Metadata"):
                    if f"/{name}" in root:
                        front_entries[name] = source.bytes_of(root[f"/{name}"])
                if "/Info" in pdf.trailer:
                    info = source.number(pdf.trailer.Info.objgen)
            offset, annotations_before = len(page_numbers), len(annotation_nums)
            save_ref = source.external(save)
            for page_index, page in enumerate(pdf.pages):
                obj = page.obj
                obj.Parent = root.Pages
                obj.StructParents = offset + page_index
                folio, content = next(folio_iter)
                _draw_folio(source, obj, save_ref, content)
                # Resources shared by a part's pages get the same entries again: no harm.
                _add_resources(source, obj.Resources, folio_pages.resources[folio])
                for annot in obj.get("/Annots", ()):
                    if "/StructParent" in annot:  # numbered after all the pack's pages
                        at = annotations_before + int(annot.StructParent) - part.pages
                        annot.StructParent = total + at
                page_numbers.append(source.number(obj.objgen))
            kids += [source.number(kid.objgen) for kid in source_document.K]
            nums = tree.ParentTree.Nums
            for i in range(0, len(nums), 2):
                key, value = int(nums[i]), source.bytes_of(nums[i + 1])
                (page_nums if key < part.pages else annotation_nums).append(value)
            if "/Names" in root and "/Dests" in root.Names:
                names = root.Names.Dests.Names
                for i in range(0, len(names), 2):
                    anchor = str(names[i])
                    if anchor in part.anchors and anchor not in destinations:
                        destinations[anchor] = source.bytes_of(names[i + 1])
            source.flush()
    if len(page_nums) != total:
        raise RuntimeError("a page without its entry in the parent tree")

    out.put(pages_root, _pdf({"Type": b"/Pages", "Kids": [_ref(n) for n in page_numbers],
                              "Count": total}))  # fmt: skip
    out.put(
        document,
        _pdf({"Type": b"/StructElem", "S": b"/Document", "K": [_ref(n) for n in kids],
              "P": _ref(tree_root)}),
    )  # fmt: skip
    nums_out: list[bytes] = []
    for key, value in enumerate(page_nums + annotation_nums):
        nums_out += [b"%d" % key, value]
    out.put(parent_tree, _pdf({"Nums": nums_out}))
    out.put(
        tree_root,
        _pdf({"Type": b"/StructTreeRoot", "K": [_ref(document)], "ParentTree": _ref(parent_tree),
              "ParentTreeNextKey": total + len(annotation_nums)}),
    )  # fmt: skip
    entries: dict[str, Any] = {"Type": b"/Catalog", "Pages": _ref(pages_root)}
    entries.update(front_entries)
    entries["StructTreeRoot"] = _ref(tree_root)
    if destinations:
        dests = out.reserve()
        flat: list[Any] = []
        for anchor in sorted(destinations):
            flat += [anchor, destinations[anchor]]
        out.put(dests, _pdf({"Names": flat}))
        entries["Names"] = {"Dests": _ref(dests)}
    outlines = _outline(out, parts, page_numbers)
    if outlines is not None:
        entries["Outlines"] = _ref(outlines)
    out.put(catalog, _pdf(entries))
    return out.finish(catalog, info)


def _draw_folio(source: _Source, page: Any, save: Any, content: bytes) -> None:
    """Draw a folio page's `content` over `page`, as an /Artifact: the page's own drawing
    is wrapped in q/Q (`save` is the shared "q"), so the folio starts from a clean state."""
    import pikepdf

    stamp = source.pdf.make_stream(
        zlib.compress(b"Q\n/Artifact BMC\nq\n" + content + b"\nQ\nEMC\n"),
        Filter=pikepdf.Name.FlateDecode,
    )
    own = page.Contents
    streams = list(own) if isinstance(own, pikepdf.Array) else [own]
    page.Contents = pikepdf.Array([save, *streams, stamp])


def _add_resources(source: _Source, resources: Any, entries: dict[str, dict[str, int]]) -> None:
    """Give a page's `resources` a folio's (category -> renamed name -> the pack's object)."""
    import pikepdf

    for category, named in entries.items():
        if category not in resources:
            resources[category] = pikepdf.Dictionary()
        target = resources[category]
        for name, number in named.items():
            target[name] = source.external(number)


def _outline(out: _Out, parts: Sequence[LaidOutPart], page_numbers: list[int]) -> int | None:
    """The bookmarks of every part as one tree, built by WeasyPrint's own rules; the
    outline dictionary's number, or None when there are none."""
    from weasyprint.document import Document

    pages = [
        SimpleNamespace(bookmarks=marks, height=height)
        for part in parts
        for marks, height in zip(part.bookmarks, part.heights, strict=True)
    ]
    tree = Document.make_bookmark_tree(SimpleNamespace(pages=pages), SCALE, transform_pages=True)
    if not tree:
        return None
    outlines = out.reserve()

    def add(items: list, parent: int) -> tuple[list[int], int]:
        numbers = [out.reserve() for _ in items]
        count = len(items)
        for i, (label, (page, x, y), children, state) in enumerate(items):
            kids, kid_count = add(children, numbers[i])
            entry: dict[str, Any] = {
                "Title": label,
                "Dest": [_ref(page_numbers[page]), b"/XYZ", x, y, 0],
                "Parent": _ref(parent),
                "Count": -kid_count if state == "closed" else kid_count,
            }
            if state != "closed":
                count += kid_count
            if kids:
                entry["First"], entry["Last"] = _ref(kids[0]), _ref(kids[-1])
            if i:
                entry["Prev"] = _ref(numbers[i - 1])
            if i + 1 < len(items):
                entry["Next"] = _ref(numbers[i + 1])
            out.put(numbers[i], _pdf(entry))
        return numbers, count

    made, count = add(tree, outlines)
    out.put(
        outlines,
        _pdf({"Type": b"/Outlines", "Count": count, "First": _ref(made[0]),
              "Last": _ref(made[-1])}),
    )  # fmt: skip
    return outlines
