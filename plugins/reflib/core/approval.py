"""Approved evidence stays approved only while the cited sections are unchanged.

``reflib review --approve`` records, in the card's front matter, a fingerprint of every
section the card cites (``approved_sections``: ``'<id>#<anchor>': <hex>``, see
:func:`reflib.core.evidence.fingerprint`). Afterwards :func:`changes` compares each citation of an
approved card with what was recorded:

* ``changed``: the cited section's text is no longer what was approved (a re-conversion, a
  hand edit of the full text);
* ``unrecorded``: the card cites a section that was not cited when it was approved (the card
  was edited after approval).

Cards approved before sections were recorded (no ``approved_sections``) have no changes;
approving them again records their sections. Edits outside every cited section change no
fingerprint, so they change nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reflib.core import evidence, paths
from reflib.core.mdscan import Link
from reflib.core.model import KIND_CARD, Claim, Document, Library

RECORD_KEY = "approved_sections"
"""The card front-matter key holding the fingerprints."""
CHANGED = "changed"
UNRECORDED = "unrecorded"


class Texts:
    """The lines of library files, read once per check (full texts cited by many cards)."""

    def __init__(self) -> None:
        self._lines: dict[str, tuple[Document, list[str]]] = {}

    def lines(self, doc: Document) -> list[str]:
        """The file's lines (newlines normalised); an unreadable file has none."""
        hit = self._lines.get(doc.rel)
        if hit is not None and hit[0] is doc:
            return hit[1]
        try:
            lines = doc.read_text().split("\n")
        except (OSError, UnicodeDecodeError):
            lines = []
        self._lines[doc.rel] = (doc, lines)
        return lines


@dataclass(frozen=True)
class CitedSection:
    """One citation of a card or page and the full-text section it resolves to."""

    claim: Claim
    link: Link
    resource_id: str
    anchor: str
    document: Document
    title: str
    """The cited heading's text (``page N`` for a page marker)."""

    @property
    def key(self) -> str:
        """``<id>#<anchor>``: how the section is named in ``approved_sections``."""
        return f"{self.resource_id}#{self.anchor}"


def cited_sections(lib: Library, doc: Document,
                   texts: Texts | None = None) -> Iterator[CitedSection]:
    """Every citation of ``doc``'s claims that resolves to a heading or page marker of a
    readable full text (broken citations are the link checker's to report)."""
    texts = texts or Texts()
    for claim in doc.claims:
        for link in claim.citations:
            target = paths.resolve_link(doc.rel, link.target)
            rid = paths.fulltext_id(target.rel or "") if not target.external else None
            if not rid or not target.fragment:
                continue
            full = lib.fulltexts.get(rid)
            if full is None or full.error is not None:
                continue
            if target.fragment not in full.anchors:
                continue
            found = evidence.passage(texts.lines(full), full.scan, target.fragment)
            if found is None:
                continue
            yield CitedSection(claim, link, rid, target.fragment, full, found.title)


def fingerprints(lib: Library, doc: Document, texts: Texts | None = None) -> dict[str, str]:
    """The fingerprint of every section ``doc`` cites, by ``<id>#<anchor>``, sorted."""
    texts = texts or Texts()
    out: dict[str, str] = {}
    for cited in cited_sections(lib, doc, texts):
        if cited.key not in out:
            fp = evidence.passage_fingerprint(texts.lines(cited.document),
                                              cited.document.scan, cited.anchor)
            if fp is not None:
                out[cited.key] = fp
    return dict(sorted(out.items()))


def recorded(doc: Document) -> dict[str, str] | None:
    """The fingerprints recorded at approval, or ``None`` for a card that is not approved or
    was approved before sections were recorded."""
    meta = doc.meta or {}
    if doc.kind != KIND_CARD or meta.get("review") != "approved":
        return None
    record = meta.get(RECORD_KEY)
    if not isinstance(record, dict):
        return None
    return {str(k): str(v) for k, v in record.items()}


@dataclass(frozen=True)
class Change:
    """A citation of an approved card whose section is not what was approved."""

    kind: str
    """:data:`CHANGED` or :data:`UNRECORDED`."""
    cited: CitedSection

    @property
    def claim_label(self) -> str:
        claim = self.cited.claim
        return f"claim {claim.number}" if claim.number is not None \
            else f"the evidence under '{claim.text}'"

    def message(self, card_id: str) -> str:
        """The checker's message for this change."""
        c = self.cited
        where = f"'{c.title}' ({c.key})"
        if self.kind == CHANGED:
            return (f"{self.claim_label}: the cited section {where} changed since the card was "
                    f"approved; check the claim against it, then re-approve: "
                    f"reflib review {card_id} --approve")
        return (f"{self.claim_label} cites {where}, which was not cited when the card was "
                f"approved; re-approve: reflib review {card_id} --approve")


def changes(lib: Library, doc: Document, texts: Texts | None = None) -> list[Change]:
    """The citations of approved card ``doc`` whose section changed or was not approved."""
    record = recorded(doc)
    if record is None:
        return []
    texts = texts or Texts()
    out: list[Change] = []
    now: dict[str, str | None] = {}
    for cited in cited_sections(lib, doc, texts):
        was = record.get(cited.key)
        if was is None:
            out.append(Change(UNRECORDED, cited))
            continue
        if cited.key not in now:
            now[cited.key] = evidence.passage_fingerprint(
                texts.lines(cited.document), cited.document.scan, cited.anchor)
        current = now[cited.key]
        n = min(len(was), len(current or ""))
        if current is not None and was[:n] != current[:n]:
            out.append(Change(CHANGED, cited))
    return out


def cards_to_rereview(lib: Library) -> list[tuple[Document, list[Change]]]:
    """Approved cards with at least one change, in card order."""
    texts = Texts()
    out = []
    for stem in sorted(lib.cards):
        doc = lib.cards[stem]
        found = changes(lib, doc, texts)
        if found:
            out.append((doc, found))
    return out


def rereview_summary(lib: Library) -> list[dict[str, Any]]:
    """:func:`cards_to_rereview` as plain data (``reflib status --json``, the dashboard)."""
    out: list[dict[str, Any]] = []
    for doc, found in cards_to_rereview(lib):
        out.append({
            "id": doc.stem,
            "card": doc.rel,
            "command": f"reflib review {doc.stem} --approve",
            "claims": [{"claim": c.cited.claim.number, "label": c.claim_label,
                        "section": c.cited.key, "title": c.cited.title, "change": c.kind,
                        "line": c.cited.link.line} for c in found],
        })
    return out


__all__ = [
    "CHANGED", "RECORD_KEY", "UNRECORDED", "Change", "CitedSection", "Texts",
    "cards_to_rereview", "changes", "cited_sections", "fingerprints", "recorded",
    "rereview_summary",
]
