"""Every consistency rule of the library format, as pure functions over the model.

:func:`run` returns :class:`Finding` objects sorted by file and line. Nothing here writes to
the library or renders markdown. Each finding has a stable ``code`` (the rule) so tools can
filter; its text form is ``path:line: message [code]``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reflib.checks.documents import check_documents
from reflib.checks.findings import MANIFEST, Finding, _f, did_you_mean, is_hand_conversion
from reflib.checks.links import (
    APPROVAL_CODES,
    EVIDENCE_CHANGED,
    EVIDENCE_UNAPPROVED,
    LinkChecks,
    approval_findings,
    check_links,
)
from reflib.checks.manifest_rules import check_manifest, check_status
from reflib.core.errors import ReflibError, SyntaxProblem
from reflib.core.model import (
    Library,
    Resource,
)

# --- external URLs ------------------------------------------------------------------------


def check_external(lib: Library, *, timeout: float = 10.0, workers: int = 16,
                   cache_dir: Path | None = None, use_cache: bool = True) -> Iterator[Finding]:
    """Each resource ``url`` answered (2xx/3xx), checked concurrently with a cache."""
    from reflib.fetch.external import check_urls

    urls: dict[str, list[Resource]] = {}
    for res in lib.resources.values():
        if res.url and re.match(r"^https?://", res.url):
            urls.setdefault(res.url, []).append(res)
    results = check_urls(list(urls), timeout=timeout, workers=workers,
                         cache_dir=cache_dir, ttl=86400 if use_cache else 0)
    # reported in manifest order, one finding per resource
    for url, resources in urls.items():
        outcome = results.get(url)
        if outcome is None or outcome.ok:
            continue
        reason = f"HTTP {outcome.status}" if outcome.status else (outcome.error or "no answer")
        for res in resources:
            yield _f(MANIFEST, res.entry.line_of("url"), "url-unreachable",
                     f"'{res.id}': {url} did not answer ({reason})")


# --- all ----------------------------------------------------------------------------------

ZENSICAL_CONFIG = "zensical.toml"


def check_site_engine(lib: Library) -> Iterator[Finding]:
    """A ``zensical.toml`` beside the library: Zensical builds from it (before
    ``mkdocs.yml``) and runs no MkDocs plugin, so ``zensical build`` would render the library
    without reflib."""
    if (lib.root / ZENSICAL_CONFIG).is_file():
        yield _f(ZENSICAL_CONFIG, 1, "site-engine",
                 "Zensical builds from this file and runs no MkDocs plugin, so 'zensical "
                 "build' renders the library without reflib (no resource or full-text pages, "
                 "every evidence link broken): build with 'reflib build --engine zensical', "
                 "which reads mkdocs.yml, and remove zensical.toml")


RULES = (check_manifest, check_status, check_documents, check_links, check_site_engine)


def run(lib: Library, *, external: bool = False, links: LinkChecks | None = None,
        **external_options: Any) -> list[Finding]:
    """All findings for ``lib``, sorted by path and line. With ``links``, the link rule
    keeps the findings of unchanged documents from the previous run (see
    :class:`LinkChecks`)."""
    findings: list[Finding] = []
    for rule in RULES:
        if rule is check_links and links is not None:
            findings.extend(links.run(lib))
        else:
            findings.extend(rule(lib))
    if external:
        findings.extend(check_external(lib, **external_options))
    return sorted(set(findings))


def check_root(root: str | Path, **options: Any) -> list[Finding]:
    """Load the library at ``root`` and check it. A manifest that is not valid YAML is a
    finding (with the pages' own findings beside it); raises :class:`ReflibError` when the
    manifest cannot be read at all."""
    return check_loaded(root, **options)[1]


def check_loaded(root: str | Path, **options: Any) -> tuple[Library, list[Finding]]:
    """:func:`check_root`, also returning the library as loaded (with no resources when the
    manifest is not valid YAML: its pages are still checked on their own)."""
    from reflib.core.model import load, load_without_manifest

    try:
        lib = load(root)
    except SyntaxProblem as exc:
        lib = load_without_manifest(root)
        syntax = _f(exc.path or MANIFEST, exc.line or 1, exc.code, exc.message,
                    exc.column or 0)
        page_rules = [f for rule in (check_documents, check_links) for f in rule(lib)]
        return lib, sorted({syntax, *page_rules})
    return lib, run(lib, **options)


__all__ = [
    "APPROVAL_CODES", "EVIDENCE_CHANGED", "EVIDENCE_UNAPPROVED", "RULES", "Finding", "LinkChecks",
    "ReflibError", "approval_findings", "check_documents", "check_external", "check_links",
    "check_loaded", "check_manifest", "check_root", "check_site_engine", "check_status",
    "did_you_mean",
    "is_hand_conversion", "run",
]
