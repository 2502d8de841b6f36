"""A leaner tag tree for WeasyPrint's tagged PDF: every run of text folded into its element.

WeasyPrint tags each run of text (each text box of each line) as a structure element of
its own, a /Span holding one marked-content id, under the element that holds the text (a
table cell, a paragraph, a heading). A /Span says nothing a reader needs: the text's
marked content can belong to that element directly (ISO 32000-1, 14.7.4: an element's /K
may hold marked-content ids of its page). Folding them in keeps the reading order and the
text, and removes about three structure elements in five from a board pack. Each element
costs memory when the parts of the pack are joined (`pipeline.render.assemble`) and space
in the file.

`fold_text_runs` is a WeasyPrint `write_pdf(finisher=...)`: it works on pydyf's objects
before they are written. A folded element's object is left as an empty dictionary (pydyf
has numbered every reference already); nothing refers to it.
"""

from __future__ import annotations

from typing import Any

TAGS_VERSION = "text-runs-folded-3"  # part of every laid-out document's cache key
# Elements without meaning of their own (ISO 32000-1, 14.8.4): their content is read as
# the content of their parent.
FOLDED_ROLES = ("/Span", "/NonStruct")


def _number(reference: Any) -> int | None:
    """The object number of a pydyf reference (b"12 0 R"), else None."""
    if isinstance(reference, bytes) and reference.endswith(b" R"):
        return int(reference.split(b" ", 1)[0])
    return None


def fold_text_runs(_document: Any, pdf: Any) -> None:
    """Fold every /Span and /NonStruct element that holds marked content only into its
    parent element, innermost first (a table cell's anonymous block, once its runs of text
    are folded into it, holds marked content only)."""
    objects = pdf.objects
    root_number = _number(pdf.catalog.get("StructTreeRoot"))
    if root_number is None:
        return  # not tagged
    nums = objects[_number(objects[root_number]["ParentTree"])]["Nums"]
    folded: dict[bytes, bytes] = {}  # a folded element's reference -> its parent's
    # pydyf numbers an element before its kids: from the last object back is innermost first.
    for obj in reversed(objects):
        if not (
            isinstance(obj, dict)
            and obj.get("S") in FOLDED_ROLES
            and obj.get("Type") == "/StructElem"
        ):
            continue
        parent_number = _number(obj.get("P"))
        if parent_number is None:
            continue
        parent = objects[parent_number]
        if parent.get("Pg") != obj.get("Pg") or parent.get("S") in (None, "/Document"):
            continue  # ids are read against the parent's page; the Document holds elements
        kids = list(obj.get("K", ()))
        if not kids or not all(type(kid) is int for kid in kids):
            continue  # it groups elements (a <figure>'s caption and chart): kept
        reference = obj.reference
        siblings = parent.get("K", [])
        try:
            at = siblings.index(reference)
        except ValueError:
            continue  # not among its parent's kids: left as WeasyPrint wrote it
        siblings[at : at + 1] = kids
        folded[reference] = obj["P"]
        obj.clear()
    if not folded:
        return

    def home(reference: Any) -> Any:
        while reference in folded:
            reference = folded[reference]
        return reference

    for i in range(1, len(nums), 2):
        value = nums[i]
        if isinstance(value, list):
            value[:] = [home(ref) for ref in value]
        else:
            nums[i] = home(value)
