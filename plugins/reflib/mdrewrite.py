"""Source-level rewriting of a library page's markdown for the site.

Library files link to each other with root-relative semantics on disk (``../../sources/x/
full.md#a`` from ``refs/resources/x.md``); those links work on GitHub and in an editor. For the
site, :func:`rewrite` turns every such link into the docs-relative ``src_uri`` of the page
that MkDocs generates (``../sources/x/index.md#a``) and lets MkDocs resolve it to a URL. Links
on an ``Evidence:`` line are marked with the ``reflib-evidence`` class (an attr_list
``{: .reflib-evidence }``), and each numbered claim of a card gets its ``claim-N`` anchor.

Pure functions over text: they know nothing of MkDocs, so another generator can reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from . import mdscan, paths

EVIDENCE_CLASS = "reflib-evidence"
CLAIM_CLASS = "reflib-claim"
_CLAIM_ITEM = re.compile(r"^( {0,3}(\d{1,9})[.)][ \t]+)")


@dataclass
class Rewrite:
    """The rewritten markdown and what was found on the way."""

    markdown: str
    evidence: int = 0
    """How many evidence links were marked."""
    rewritten: int = 0
    """How many link targets were rewritten."""
    claims: list[str] = field(default_factory=list)
    """The claim anchors inserted."""


def _links_per_line(scan: mdscan.ScanResult, first_line: int) -> dict[int, bool]:
    """0-based line index -> whether the line is an ``Evidence:`` line, for lines with links."""
    out: dict[int, bool] = {}
    for link in scan.links:
        idx = link.line - first_line
        out[idx] = out.get(idx, False) or link.evidence
    return out


@dataclass
class _Context:
    source_rel: str
    base_url: str | None = None
    exists: Callable[[str], bool] | None = None

    def target(self, target: str) -> str | None:
        """The site form of ``target``, or ``None`` to keep it."""
        if self.base_url and self.exists is not None:
            resolved = paths.resolve_link(self.source_rel, target)
            if not resolved.external and resolved.rel != self.source_rel and (
                    resolved.escapes or not self.exists((resolved.rel or "").rstrip("/"))):
                return urljoin(self.base_url, target)
        return paths.site_rewrite_link(self.source_rel, target)


def _rewrite_line(line: str, ctx: _Context, evidence: bool, result: Rewrite) -> str:
    # the scanner's own patterns, so the rewrite finds exactly the links the checker checks
    masked = mdscan.mask_code_spans(line)
    ref = mdscan.REF_DEF.match(masked)
    if ref:
        new = ctx.target(_unwrap(ref.group(2)))
        if new is not None:
            result.rewritten += 1
            return line[:ref.start(2)] + new + line[ref.end(2):]
        return line
    out: list[str] = []
    pos = 0
    for m in mdscan.INLINE_LINK.finditer(masked):
        target = line[m.start(3):m.end(3)]
        new = ctx.target(_unwrap(target)) if target else None
        out.append(line[pos:m.start(3)])
        if new is not None:
            out.append(new if not target.startswith("<") else f"<{new}>")
            result.rewritten += 1
        else:
            out.append(target)
        out.append(line[m.end(3):m.end()])
        pos = m.end()
        if evidence and m.group(1) != "!":
            out.append("{: ." + EVIDENCE_CLASS + " }")
            result.evidence += 1
    out.append(line[pos:])
    return "".join(out)


def _unwrap(target: str) -> str:
    return target[1:-1] if target.startswith("<") and target.endswith(">") else target


def rewrite(markdown: str, source_rel: str, first_line: int = 1,
            claim_lines: Iterable[tuple[int, int]] = (), *, base_url: str | None = None,
            exists: Callable[[str], bool] | None = None) -> Rewrite:
    """Rewrite the body ``markdown`` of library file ``source_rel`` for the site.

    ``first_line`` is the file line of the body's first line; ``claim_lines`` are
    ``(file line, claim number)`` pairs from the model, each given a ``claim-N`` anchor.
    For a full text, pass its ``source_url`` as ``base_url`` and an ``exists(rel)`` test:
    a relative link that reaches no file of the library is one the converted page made to
    its own site, and is resolved against ``base_url``.
    """
    ctx = _Context(source_rel, base_url, exists)
    scan = mdscan.scan(markdown, first_line)
    lines = markdown.split("\n")
    result = Rewrite(markdown)
    for idx, evidence in sorted(_links_per_line(scan, first_line).items()):
        if 0 <= idx < len(lines):
            lines[idx] = _rewrite_line(lines[idx], ctx, evidence, result)
    for line_no, number in claim_lines:
        idx = line_no - first_line
        if not 0 <= idx < len(lines):
            continue
        m = _CLAIM_ITEM.match(lines[idx])
        if not m or int(m.group(2)) != number:
            continue
        anchor = f"claim-{number}"
        lines[idx] = (m.group(1) + f'<a id="{anchor}" class="{CLAIM_CLASS}" '
                      f'href="#{anchor}" title="Link to this claim"></a>' + lines[idx][m.end():])
        result.claims.append(anchor)
    result.markdown = "\n".join(lines)
    return result


_H1 = re.compile(r"^ {0,3}#[ \t]+\S")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_MARKER = re.compile(r"^\s*(?:<(a|span)\b[^>]*>\s*</\1>|<!--.*?-->)\s*$")


def insert_after_title(markdown: str, block: str) -> str:
    """Insert ``block`` right after the page's leading level-1 heading (else at the top)."""
    lines = markdown.split("\n")
    i = 0
    # skip blank lines and empty HTML anchors or comments (a converter's page markers)
    while i < len(lines) and (not lines[i].strip() or _MARKER.match(lines[i])):
        i += 1
    if i < len(lines) and _H1.match(lines[i]):
        at = i + 1
    elif i + 1 < len(lines) and lines[i].strip() and _SETEXT_H1.match(lines[i + 1]):
        at = i + 2
    else:
        return block.rstrip("\n") + "\n\n" + markdown
    return "\n".join([*lines[:at], "", block.rstrip("\n"), "", *lines[at:]])
