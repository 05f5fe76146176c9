"""Reviewing cards: the checklist of a card and its approval.

A card may be approved when its resource is converted (it has a full text), it has at least
one claim, and the checker finds nothing wrong with its evidence (every ``evidence-*`` rule,
claims without evidence, a wrong id, unreadable front matter). Approval sets ``review:
approved``, ``reviewed_by`` and ``reviewed`` in the card's front matter by editing only those
lines, and sets the resource ``condensed`` in the manifest with
:func:`reflib.core.manifest.edit_text`, which keeps comments and layout.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from reflib.checks import check as checker
from reflib.core import approval, frontmatter, manifest, paths
from reflib.core.errors import ReflibError
from reflib.core.model import Claim, Document, Library, Resource

BLOCKING_CODES = ("card-claim-without-evidence", "card-id-mismatch", "card-front-matter",
                  "unreadable")
"""Finding codes (besides every ``evidence*`` code) that keep a card from approval."""


def is_blocking(code: str) -> bool:
    """True for a finding that keeps a card from being approved. A cited section that changed
    since an earlier approval does not: approving again is how it is cleared."""
    if code in checker.APPROVAL_CODES:
        return False
    return code.startswith("evidence") or code in BLOCKING_CODES


@dataclass
class CitationStatus:
    """One evidence link of a claim and whether it resolves."""

    target: str
    text: str
    line: int
    ok: bool
    detail: str
    """The target heading (``path#anchor``, its text and line) or the checker's message."""


@dataclass
class ClaimStatus:
    """A claim with the status of each of its citations."""

    claim: Claim
    citations: list[CitationStatus] = field(default_factory=list)


@dataclass
class Review:
    """Everything needed to review one card."""

    resource: Resource
    card: Document | None
    claims: list[ClaimStatus]
    problems: list[str]
    """Why the card cannot be approved now (empty when it can)."""
    warnings: list[str]
    """Other findings about the card or its full text that do not block approval."""

    @property
    def ready(self) -> bool:
        return not self.problems


def _citation_status(lib: Library, card: Document, link: Any,
                     findings: dict[tuple[int, int], list[checker.Finding]]) -> CitationStatus:
    found = findings.get((link.line, link.column), [])
    bad = [f for f in found if is_blocking(f.code)]
    if bad:
        return CitationStatus(link.target, link.text, link.line, False,
                              "; ".join(f.message for f in bad))
    target = paths.resolve_link(card.rel, link.target)
    detail = link.target
    if target.rel and target.fragment:
        doc = lib.documents.get(target.rel)
        heading = next((h for h in doc.headings if h.anchor == target.fragment), None) \
            if doc else None
        detail = f"{target.rel}#{target.fragment}"
        if heading is not None:
            detail += f" ({heading.text!r}, line {heading.line})"
    return CitationStatus(link.target, link.text, link.line, True, detail)


def review(lib: Library, resource_id: str) -> Review:
    """The review of ``resource_id``'s card. Raises :class:`ReflibError` for an unknown id."""
    res = lib.resources.get(resource_id)
    if res is None:
        raise ReflibError(f"no resource '{resource_id}' in the manifest")
    card = res.card
    problems: list[str] = []
    warnings: list[str] = []
    if card is None:
        problems.append(f"no card {paths.card_rel(resource_id)}; write one with "
                        f"'reflib new card {resource_id}'")
        return Review(res, None, [], problems, warnings)
    if res.status not in ("converted", "condensed"):
        problems.append(f"'{resource_id}' is {res.status}; a card can be approved only once the "
                        f"resource is converted")
    if res.fulltext is None:
        problems.append(f"full text {paths.fulltext_rel(resource_id)} does not exist; run "
                        f"'reflib convert {resource_id}'")
    elif res.fulltext.error is not None:
        problems.append(f"{res.fulltext.error}: the cited text cannot be trusted until the full "
                        f"text reads cleanly")
    findings = checker.run(lib)
    by_place: dict[tuple[int, int], list[checker.Finding]] = {}
    for f in findings:
        if f.path == card.rel:
            by_place.setdefault((f.line, f.column), []).append(f)
            if is_blocking(f.code):
                problems.append(f"{f.path}:{f.line}: {f.message}")
            elif f.code != "card-missing-key":
                warnings.append(f"{f.path}:{f.line}: {f.message}")
        elif res.fulltext is not None and f.path == res.fulltext.rel:
            warnings.append(f"{f.path}:{f.line}: {f.message}")
    claims = []
    for claim in card.claims:
        status = ClaimStatus(claim)
        for link in claim.citations:
            status.citations.append(_citation_status(lib, card, link, by_place))
        claims.append(status)
    if not any(c.number is not None for c in card.claims):
        problems.append(f"{card.rel}: the card has no numbered claims under '## Claims'")
    return Review(res, card, claims, problems, warnings)


_PLAIN_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*#[A-Za-z0-9._-]+$")


def fingerprint_block(sections: dict[str, str]) -> str:
    """``approved_sections`` as a YAML block mapping (keys plain where safe, values quoted:
    a hex string of digits only would read back as a number)."""
    rows = []
    for key, value in sections.items():
        shown = key if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)
        rows.append(f'  {shown}: "{value}"')
    return "\n" + "\n".join(rows)


def approval_current(lib: Library, resource_id: str) -> bool:
    """True when the card is approved and its recorded sections are exactly what it cites
    now (approving again would change nothing but the date)."""
    res = lib.resources.get(resource_id)
    card = res.card if res is not None else None
    if card is None:
        return False
    record = approval.recorded(card)
    return record is not None and record == approval.fingerprints(lib, card)


def approve(lib: Library, resource_id: str, reviewer: str,
            date: _dt.date | None = None) -> tuple[str, str | None]:
    """New texts of the card and of the manifest (``None`` if unchanged) for an approval.

    Raises :class:`ReflibError` listing the problems when the card cannot be approved.
    Nothing is written.
    """
    from reflib.core.templates import yaml_scalar

    state = review(lib, resource_id)
    if state.problems:
        raise ReflibError("cannot approve: " + "; ".join(state.problems))
    card = state.card
    assert card is not None
    when = (date or _dt.date.today()).isoformat()
    changes = {"review": "approved", "reviewed_by": yaml_scalar(reviewer), "reviewed": when}
    sections = approval.fingerprints(lib, card)
    if sections:
        changes[approval.RECORD_KEY] = fingerprint_block(sections)
    card_text = frontmatter.set_keys(card.path.read_bytes().decode("utf-8"), changes, after="id")
    manifest_text = None
    if state.resource.status != "condensed":
        path = lib.root / paths.MANIFEST
        manifest_text = manifest.edit_text(path.read_text(encoding="utf-8"), paths.MANIFEST,
                                           resource_id, {"status": "condensed"})
    return card_text, manifest_text
