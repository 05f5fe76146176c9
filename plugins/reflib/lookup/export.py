"""Machine-readable views of a library: ``catalog.json`` and ``llms.txt``.

Both are pure functions of the loaded :class:`~reflib.core.model.Library` (no file is read or
written here): the site plugin writes them at the root of the built site, and ``reflib export``
writes them anywhere. Site URLs are relative to the site root (see
:func:`reflib.core.paths.site_url_for`); ``llms.txt`` links to the markdown sources
(:func:`reflib.core.paths.markdown_url_for`), prefixed with the site URL when one is given.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from reflib import __version__
from reflib.core import paths, progress
from reflib.core.model import KIND_DOC, Claim, Document, Library, Resource
from reflib.core.schema import STATUSES

CATALOG_VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def evidence_target(lib: Library, source: Document, link: Any) -> dict[str, Any]:
    """Where one evidence link of ``source`` points: ``{path, anchor, text, line, heading,
    resolved, quotes}`` (``line`` and ``heading`` of the target heading in the full text;
    ``quotes``: the exact words the citation relies on, as written after the link)."""
    target = paths.resolve_link(source.rel, link.target)
    out: dict[str, Any] = {"path": target.rel, "anchor": target.fragment, "text": link.text,
                           "line": None, "heading": None, "resolved": False,
                           "cited_on": link.line, "quotes": list(link.quotes)}
    if target.external:
        out["url"] = link.target
        return out
    doc = lib.documents.get(target.rel or "")
    if doc is None or not target.fragment:
        return out
    for h in doc.headings:
        if h.anchor == target.fragment:
            out.update(line=h.line, heading=h.text, resolved=True)
            return out
    if target.fragment in doc.scan.html_ids:
        out.update(line=doc.scan.html_ids[target.fragment], resolved=True)
    return out


def _claim(lib: Library, doc: Document, claim: Claim) -> dict[str, Any]:
    return {
        "number": claim.number,
        "text": claim.text,
        "line": claim.line,
        "anchor": claim.anchor,
        "evidence": [evidence_target(lib, doc, link) for link in claim.citations],
    }


def resource_entry(lib: Library, res: Resource) -> dict[str, Any]:
    """One resource of the catalog: manifest metadata, status, files, URLs and claims."""
    card, full = res.card, res.fulltext
    meta = full.meta if full is not None and full.meta else {}
    entry: dict[str, Any] = {
        "id": res.id,
        "title": res.title,
        "type": res.type,
        "url": res.url,
        "priority": res.priority,
        "phase": res.phase,
        "status": res.status,
        "review": res.review,
        "topics": res.topics,
        "raw": res.raw,
        "notes": res.notes,
        "paths": {
            "card": card.rel if card else None,
            "fulltext": full.rel if full else None,
            "raw": [paths.raw_rel(res.id, r) for r in res.raw if paths.is_safe_relative(r)],
        },
        "site": {
            "page": paths.resource_page_url(res.id),
            "card": paths.site_url_for(card.rel) if card else None,
            "fulltext": paths.site_url_for(full.rel) if full else None,
        },
        "markdown": {
            "card": paths.markdown_url_for(card.rel) if card else None,
            "fulltext": paths.markdown_url_for(full.rel) if full else None,
        },
        "headings": len(full.headings) if full else 0,
        "converted": _jsonable(meta.get("converted")),
        "converter": meta.get("converter"),
        "reviewed_by": (card.meta or {}).get("reviewed_by") if card else None,
        "claims": [_claim(lib, card, c) for c in card.claims] if card else [],
    }
    return dict(_jsonable(entry))


def catalog(lib: Library) -> dict[str, Any]:
    """``catalog.json``: every resource with its metadata, status, paths, site URLs and claims
    with their evidence targets, plus the topics and other pages of the library."""
    topics = []
    for stem, doc in sorted(lib.topics.items()):
        topics.append({
            "id": stem, "title": doc.title, "path": doc.rel, "url": paths.site_url_for(doc.rel),
            "resources": [r.id for r in lib.topic_resources(stem)],
        })
    docs = [{"id": paths.page_id(d.rel), "title": d.title, "path": d.rel,
             "url": paths.site_url_for(d.rel)}
            for d in sorted(lib.documents.values(), key=lambda d: d.rel) if d.kind == KIND_DOC]
    return {
        "format": "reflib-catalog",
        "version": CATALOG_VERSION,
        "generator": f"reflib {__version__}",
        "counts": progress.counts(lib),
        "resources": [resource_entry(lib, r) for r in lib.resources.values()],
        "topics": topics,
        "docs": docs,
    }


# --- llms.txt ----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _label(text: str) -> str:
    return _one_line(text).replace("[", "(").replace("]", ")")


def _describe_card(res: Resource) -> str:
    card = res.card
    claims = len([c for c in card.claims if c.number is not None]) if card else 0
    review = res.review or "unreviewed"
    return (f"card ({review}), {claims} claim{'s' if claims != 1 else ''} with evidence; "
            f"{res.type}, priority {res.priority}")


def _describe_fulltext(res: Resource) -> str:
    full = res.fulltext
    sections = len(full.headings) if full else 0
    source = f" of {res.url}" if res.url else ""
    return f"full text, lossless markdown{source} ({sections} sections)"


def _resource_lines(res: Resource, base: str, url: Callable[[str], str]) -> list[str]:
    lines = []
    title = _label(res.title)
    if res.card is not None:
        lines.append(f"- [{title}: card]({base}{url(res.card.rel)}): {_describe_card(res)}")
    if res.fulltext is not None:
        lines.append(f"- [{title}: full text]({base}{url(res.fulltext.rel)}): "
                     f"{_describe_fulltext(res)}")
    if not lines and res.url:
        lines.append(f"- [{title}]({res.url}): {res.type}, {res.status}; not yet in the library "
                     f"(original source)")
    return lines


def llms_txt(lib: Library, site_name: str, site_url: str | None = None, *,
             markdown: bool = True) -> str:
    """``llms.txt`` (llmstxt.org): a title, a one-paragraph summary, then one section per topic
    listing the markdown of each of its resources (card and full text), resources without a
    topic under ``## Other`` and the library's other pages under ``## Library pages``.

    Links are ``site_url`` + :func:`reflib.core.paths.markdown_url_for` (the markdown sources, which
    the site must publish at those paths); with ``markdown=False`` they go to the HTML pages
    (:func:`reflib.core.paths.site_url_for`) instead. Without ``site_url`` links are relative to
    the site root.
    """
    base = (site_url.rstrip("/") + "/") if site_url else ""
    url = paths.markdown_url_for if markdown else paths.site_url_for
    counts = progress.counts(lib)
    total = len(lib.resources)
    parts = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES if counts[s])
    out = [f"# {_one_line(site_name) or 'Reference library'}", ""]
    out.append(f"> A reference library of {total} resource{'s' if total != 1 else ''}"
               f"{' (' + parts + ')' if parts else ''}. Cards hold condensed claims, each with "
               f"evidence links to headings of a lossless markdown full text; topic pages "
               f"synthesise across resources.")
    out.append("")
    out.append(f"Every resource with its status, files and claims: {base}catalog.json")
    topic_stems = sorted(set(lib.topics) | {t for r in lib.resources.values() for t in r.topics})
    for stem in topic_stems:
        doc = lib.topics.get(stem)
        title = doc.title if doc is not None else stem
        out += ["", f"## {_one_line(title)}", ""]
        if doc is not None:
            out.append(f"- [{_label(title)}]({base}{url(doc.rel)}): topic "
                       f"synthesis (mental model, key concepts, agreement and disagreement, "
                       f"checklist, experiments)")
        for res in lib.topic_resources(stem):
            out += _resource_lines(res, base, url)
    other = [r for r in lib.resources.values() if not r.topics]
    if other:
        out += ["", "## Other", ""]
        for res in other:
            out += _resource_lines(res, base, url)
    docs = [d for d in sorted(lib.documents.values(), key=lambda d: d.rel) if d.kind == KIND_DOC]
    if docs:
        out += ["", "## Library pages", ""]
        for d in docs:
            out.append(f"- [{_label(d.title)}]({base}{url(d.rel)}): "
                       f"{'library page' if d.rel != 'refs/index.md' else 'home page'}")
    return "\n".join(out) + "\n"


__all__ = ["catalog", "evidence_target", "llms_txt", "resource_entry"]
