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

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin

from reflib.core import evidence, mdscan, paths

EVIDENCE_CLASS = "reflib-evidence"
CLAIM_CLASS = "reflib-claim"
QUOTE_CLASS = "reflib-quote"
PROBLEM_CLASS = "reflib-problem"
QUOTE_PARAM = "quote"
"""Query parameter of an evidence link that carries its quote to the cited page, which
highlights the quoted words (the ``#anchor`` still scrolls to the heading without script)."""
_CLAIM_ITEM = re.compile(r"^( {0,3}(\d{1,9})[.)][ \t]+)")
_QUOTED = re.compile(r'"([^"\n]+)"|\u201c([^\u201d\n]+)\u201d')
PROBLEM_LABELS = {
    "evidence-changed": "changed since approval",
    "evidence-unapproved": "not in the approval",
    "evidence-quote": "quote not found",
    "evidence-quote-unclosed": "quote not closed",
    "evidence-anchor": "no such heading",
    "evidence-broken": "broken link",
    "evidence-no-anchor": "no heading cited",
    "evidence-not-fulltext": "not a full text",
    "evidence-no-link": "no link",
}
"""Short labels of the evidence problems marked in a page (the reason is in the tooltip)."""


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


def _with_quotes(target: str, quotes: list[str]) -> str:
    """``target`` with ``?quote=...`` parameters before its fragment."""
    if not quotes:
        return target
    path, hash_, fragment = target.partition("#")
    query = "&".join(f"{QUOTE_PARAM}={quote(evidence.plain_text(q), safe='')}" for q in quotes)
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{query}{hash_}{fragment}"


def _mark_quotes(text: str) -> str:
    """The double-quoted passages of ``text`` (after an evidence link) as ``<q>`` elements."""
    return _QUOTED.sub(lambda m: f'<q class="{QUOTE_CLASS}">'
                       f"{m.group(1) if m.group(1) is not None else m.group(2)}</q>", text)


def problem_marker(problems: list[tuple[str, str]]) -> str:
    """Inline HTML marking an evidence line's problems: a short label, the reasons as its
    tooltip."""
    codes = list(dict.fromkeys(code for code, _ in problems))
    label = "; ".join(PROBLEM_LABELS.get(code, "problem") for code in codes)
    title = html.escape(" | ".join(message for _, message in problems), quote=True)
    classes = " ".join([PROBLEM_CLASS, *(f"{PROBLEM_CLASS}--{c}" for c in codes)])
    return f'<span class="{classes}" role="note" title="{title}">⚠ {html.escape(label)}</span>'


def _rewrite_line(line: str, ctx: _Context, is_evidence: bool, result: Rewrite,
                  links: list[mdscan.Link] | None = None) -> str:
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
    matches = list(mdscan.INLINE_LINK.finditer(masked))
    inline = [link for link in links or () if link.kind == "inline"]
    quotes_of = [link.quotes for link in inline] if len(inline) == len(matches) else \
        [[] for _ in matches]
    for m, quotes in zip(matches, quotes_of, strict=True):
        target = line[m.start(3):m.end(3)]
        new = ctx.target(_unwrap(target)) if target else None
        if is_evidence and new is not None:
            new = _with_quotes(new, quotes)
        out.append(_mark_quotes(line[pos:m.start(3)]) if is_evidence and pos else
                   line[pos:m.start(3)])
        if new is not None:
            out.append(new if not target.startswith("<") else f"<{new}>")
            result.rewritten += 1
        else:
            out.append(target)
        out.append(line[m.end(3):m.end()])
        pos = m.end()
        if is_evidence and m.group(1) != "!":
            out.append("{: ." + EVIDENCE_CLASS + " }")
            result.evidence += 1
    out.append(_mark_quotes(line[pos:]) if is_evidence and pos else line[pos:])
    return "".join(out)


def _unwrap(target: str) -> str:
    return target[1:-1] if target.startswith("<") and target.endswith(">") else target


def rewrite(markdown: str, source_rel: str, first_line: int = 1,
            claim_lines: Iterable[tuple[int, int]] = (), *, base_url: str | None = None,
            exists: Callable[[str], bool] | None = None,
            problems: Mapping[int, list[tuple[str, str]]] | None = None) -> Rewrite:
    """Rewrite the body ``markdown`` of library file ``source_rel`` for the site.

    ``first_line`` is the file line of the body's first line; ``claim_lines`` are
    ``(file line, claim number)`` pairs from the model, each given a ``claim-N`` anchor.
    On ``Evidence:`` lines, a quote after a link is shown as a ``<q>`` and carried to the
    cited page in the link (``?quote=``); ``problems`` (file line -> ``(code, message)``
    findings of the checker) are marked at the end of their line.
    For a full text, pass its ``source_url`` as ``base_url`` and an ``exists(rel)`` test:
    a relative link that reaches no file of the library is one the converted page made to
    its own site, and is resolved against ``base_url``.
    """
    ctx = _Context(source_rel, base_url, exists)
    scan = mdscan.scan(markdown, first_line)
    lines = markdown.split("\n")
    result = Rewrite(markdown)
    by_line: dict[int, list[mdscan.Link]] = {}
    for link in scan.links:
        by_line.setdefault(link.line - first_line, []).append(link)
    for idx, is_evidence in sorted(_links_per_line(scan, first_line).items()):
        if 0 <= idx < len(lines):
            lines[idx] = _rewrite_line(lines[idx], ctx, is_evidence, result, by_line.get(idx))
    for line_no, found in sorted((problems or {}).items()):
        idx = line_no - first_line
        if 0 <= idx < len(lines) and found:
            lines[idx] = lines[idx].rstrip() + " " + problem_marker(found)
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
