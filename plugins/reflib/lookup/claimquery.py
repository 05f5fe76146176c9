"""Claims and the sections they cite, as data: the claims of a card, the claims that rely on
a given section of a full text (or any of its sections), the claims whose words match a
query. Topics' evidence-citing passages count as claims too (numberless).

Pure functions over a loaded :class:`~reflib.core.model.Library`; ``reflib mcp``'s ``claims``
tool is one caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reflib.core import paths
from reflib.core.model import KIND_CARD, Document, Library
from reflib.lookup.search import parse_query, stem, tokenize


@dataclass
class Citation:
    """One evidence link of a claim."""

    link: str
    """As written."""
    resource: str | None
    """The cited full text's resource id (None when the link is not to a full text)."""
    anchor: str | None
    quotes: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str | None:
        """``id#anchor`` (as ``reflib show`` takes it), or None."""
        if self.resource is None:
            return None
        return f"{self.resource}#{self.anchor}" if self.anchor else self.resource

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "link": self.link, "resource": self.resource,
                "anchor": self.anchor, "quotes": list(self.quotes)}


@dataclass
class ClaimInfo:
    """A claim with where it is and what it cites."""

    path: str
    line: int
    page: str | None
    """The page's id (``reflib show`` takes ``page#anchor``)."""
    resource: str | None
    """The card's resource id (None for a topic or other page)."""
    number: int | None
    anchor: str
    text: str
    evidence: list[Citation]

    @property
    def ref(self) -> str:
        return f"{self.page}#{self.anchor}" if self.page and self.anchor else (self.page or self.path)

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "path": self.path, "line": self.line, "page": self.page,
                "resource": self.resource, "number": self.number, "anchor": self.anchor,
                "text": self.text, "evidence": [c.as_dict() for c in self.evidence]}

    def line_text(self) -> str:
        """One readable line: ``ref (path:line): text -> cited refs``."""
        cited = ", ".join(c.ref or c.link for c in self.evidence) or "no evidence"
        return f"{self.ref} ({self.path}:{self.line}): {self.text} -> {cited}"


def _claims_of_doc(doc: Document) -> Iterator[ClaimInfo]:
    page = paths.page_id(doc.rel)
    resource = page if doc.kind == KIND_CARD else None
    for claim in doc.claims:
        cites = []
        for link in claim.citations:
            target = paths.resolve_link(doc.rel, link.target)
            rid = paths.fulltext_id(target.rel) if target.rel else None
            cites.append(Citation(link.target, rid, target.fragment if rid else None,
                                  list(link.quotes)))
        yield ClaimInfo(doc.rel, claim.line, page, resource, claim.number, claim.anchor,
                        claim.text, cites)


def all_claims(lib: Library) -> Iterator[ClaimInfo]:
    """Every claim of the library, by file path then line."""
    for rel in sorted(lib.documents):
        yield from _claims_of_doc(lib.documents[rel])


def claims_of(lib: Library, rid: str) -> list[ClaimInfo]:
    """The claims of resource ``rid``'s card. Raises :class:`KeyError` (with a message)
    when it has no card."""
    res = lib.resources.get(rid)
    doc = lib.documents.get(res.card.rel) if res is not None and res.card is not None else None
    if doc is None:
        what = "unknown resource" if res is None else "a resource with no card"
        raise KeyError(f"'{rid}' is {what}")
    return list(_claims_of_doc(doc))


def claims_citing(lib: Library, ref: str) -> list[ClaimInfo]:
    """The claims whose evidence cites ``ref``: ``id#anchor`` (that section of the full
    text) or ``id`` (any of its sections)."""
    rid, _, anchor = ref.partition("#")
    out = []
    for claim in all_claims(lib):
        if any(c.resource == rid.strip() and (not anchor or c.anchor == anchor.strip())
               for c in claim.evidence):
            out.append(claim)
    return out


def claims_matching(lib: Library, query: str) -> list[ClaimInfo]:
    """The claims whose text (or quoted evidence) holds every word of ``query`` (stemmed,
    as ``reflib find`` compares words), in file order."""
    words = {stem(w) for w in parse_query(query).terms}
    if not words:
        return []
    out = []
    for claim in all_claims(lib):
        text = " ".join([claim.text, *(q for c in claim.evidence for q in c.quotes)])
        have = {stem(w) for w in tokenize(text)}
        if words <= have:
            out.append(claim)
    return out


__all__ = ["Citation", "ClaimInfo", "all_claims", "claims_citing", "claims_matching",
           "claims_of"]
