"""A fast line scanner for the parts of markdown the library model needs.

It finds headings (ATX and setext, with GitHub anchors), HTML anchors (``id=``/``name=``),
links and images (inline, reference definitions, HTML ``href``/``src``) with line and column,
and ``Evidence:`` lines. Fenced code, inline code spans and HTML comments are skipped. It does
not render markdown: ``reflib check`` stays a small fraction of a site build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reflib.core.paths import Slugger, heading_plain_text, split_pinned_id


@dataclass
class Heading:
    """A heading with its anchor."""

    level: int
    text: str
    """Plain text, as rendered."""
    anchor: str
    line: int
    """1-based line in the file."""
    pinned: bool = False
    """The anchor came from an explicit ``{#id}``."""
    source: str = ""
    """The heading's markdown source (without ``#`` marks and pinned id)."""


@dataclass
class Link:
    """A link or image in a markdown file."""

    target: str
    text: str
    line: int
    column: int
    image: bool = False
    kind: str = "inline"
    """``inline``, ``reference`` (a ``[x]: url`` definition) or ``html``."""
    evidence: bool = False
    """Found on an ``Evidence:`` line."""
    quotes: list[str] = field(default_factory=list)
    """On an ``Evidence:`` line: the double-quoted passages written after this link (and
    before the next link), the exact words the citation relies on."""


@dataclass
class EvidenceLine:
    """A line starting with ``Evidence:`` and the links on it."""

    line: int
    links: list[Link]
    text: str
    unclosed_quote: bool = False
    """A quote opened after a link is never closed (within the line and its continuation)."""


@dataclass
class ScanResult:
    headings: list[Heading] = field(default_factory=list)
    html_ids: dict[str, int] = field(default_factory=dict)
    """Anchors from HTML ``id``/``name`` attributes, with their line."""
    links: list[Link] = field(default_factory=list)
    evidence: list[EvidenceLine] = field(default_factory=list)

    def anchors(self) -> set[str]:
        """Every anchor a link may target in this file."""
        out = {h.anchor for h in self.headings}
        out.update(self.html_ids)
        return out


_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d{1,9}[.)]\s|>|\||<|!!!|\?\?\?|```|~~~|#)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)")
INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
    r"\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
REF_DEF = re.compile(r"^ {0,3}\[((?:[^\]\\]|\\.)+)\]:\s*(<[^>]*>|\S+)")
_HTML_ATTR = re.compile(r"<(a|img|area|link|source|iframe)\b[^>]*?\b(href|src)\s*=\s*(\"[^\"]*\"|'[^']*')",
                        re.I)
_HTML_ID = re.compile(r"<[A-Za-z][\w-]*\b[^>]*?\b(id|name)\s*=\s*(\"([^\"]*)\"|'([^']*)')", re.I)
_EVIDENCE = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|_)?Evidence(?:\*\*|_)?:(?:\*\*)?",
                       re.I)


def mask_code_spans(line: str) -> str:
    if "`" not in line:
        return line
    return _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def scan(text: str, first_line: int = 1) -> ScanResult:
    """Scan a markdown body whose first line is line ``first_line`` of its file."""
    result = ScanResult()
    slugger = Slugger()
    lines = text.split("\n")
    fence: tuple[str, int] | None = None
    in_comment = False
    para_start: int | None = None  # index of the first line of the current paragraph
    headings: list[tuple[int, str, int]] = []  # (level, source, line no)
    for idx, raw in enumerate(lines):
        line_no = first_line + idx
        if fence is not None:
            stripped = raw.strip()
            if stripped.startswith(fence[0]) and len(stripped) >= fence[1] and \
                    set(stripped) == {fence[0]}:
                fence = None
            continue
        if in_comment:
            if "-->" in raw:
                in_comment = False
                raw = raw[raw.index("-->") + 3:]
            else:
                continue
        m = _FENCE_OPEN.match(raw)
        if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
            fence = (m.group(2)[0], len(m.group(2)))
            para_start = None
            continue
        if "<!--" in raw:
            before, _, after = raw.partition("<!--")
            if "-->" in after:
                raw = before + " " * (len(after.partition("-->")[0]) + 7) + after.partition("-->")[2]
            else:
                raw = before
                in_comment = True
        if not raw.strip():
            para_start = None
            continue
        atx = _ATX.match(raw)
        if atx:
            headings.append((len(atx.group(1)), (atx.group(2) or "").strip(), line_no))
            para_start = None
            _scan_links(raw, line_no, result)
            continue
        setext = _SETEXT.match(raw)
        if setext and para_start is not None:
            level = 1 if setext.group(1)[0] == "=" else 2
            source = " ".join(s.strip() for s in lines[para_start:idx])
            headings.append((level, source, first_line + para_start))
            para_start = None
            continue
        if para_start is None and not _BLOCK_START.match(raw) and not raw.startswith("    "):
            para_start = idx
        elif _BLOCK_START.match(raw):
            para_start = None
        _scan_links(raw, line_no, result)
    for ev in result.evidence:
        _attach_quotes(ev, lines, first_line)
    # anchors: pinned ids are reserved first so automatic slugs avoid them, as in document
    # order a pinned id always wins over a later duplicate slug
    prepared = []
    for level, source, line_no in headings:
        src, pinned = split_pinned_id(source)
        if pinned:
            slugger.reserve(pinned)
        prepared.append((level, src, pinned, line_no))
    for level, src, pinned, line_no in prepared:
        text_plain = heading_plain_text(src)
        anchor = pinned if pinned else slugger.slug(text_plain)
        result.headings.append(Heading(level, text_plain, anchor, line_no, bool(pinned), src))
    return result


def _scan_links(raw: str, line_no: int, result: ScanResult) -> None:
    if "<" in raw and ("id" in raw or "name" in raw):
        for m in _HTML_ID.finditer(raw):
            if m.group(1).lower() == "name" and not m.group(0).lower().startswith("<a"):
                continue
            value = m.group(3) if m.group(3) is not None else m.group(4)
            if value:
                result.html_ids.setdefault(value, line_no)
    if "[" not in raw and "<" not in raw:
        if "vidence" in raw and _EVIDENCE.match(raw):
            result.evidence.append(EvidenceLine(line_no, [], raw.strip()))
        return
    line = mask_code_spans(raw)
    evidence = bool(_EVIDENCE.match(line))
    found: list[Link] = []
    ref = REF_DEF.match(line)
    if ref:
        found.append(Link(ref.group(2), ref.group(1), line_no, ref.start(2) + 1, False,
                          "reference"))
    else:
        for m in INLINE_LINK.finditer(line):
            target = m.group(3)
            found.append(Link(target, m.group(2), line_no, m.start() + 1, m.group(1) == "!"))
    if "<" in line:
        for m in _HTML_ATTR.finditer(line):
            found.append(Link(m.group(3)[1:-1], "", line_no, m.start() + 1,
                              m.group(1).lower() == "img", "html"))
    for link in found:
        link.evidence = evidence
    result.links.extend(found)
    if evidence:
        result.evidence.append(EvidenceLine(line_no, found, raw.strip()))


_QUOTE = re.compile(r'"([^"\n]*)"|\u201c([^\u201d\n]*)\u201d')
_OPEN_QUOTE = re.compile(r'["\u201c]')
_CONTINUATION_STOP = re.compile(r"^\s*(?:$|#|[-*+]\s|\d{1,9}[.)]\s|>|```|~~~)")


def _quotes_in(segment: str) -> tuple[list[str], bool]:
    """The quoted passages of ``segment`` and whether a quote is left open at its end."""
    found = [" ".join((m.group(1) if m.group(1) is not None else m.group(2)).split())
             for m in _QUOTE.finditer(segment)]
    rest = _QUOTE.sub("", segment)
    return [q for q in found if q], bool(_OPEN_QUOTE.search(rest))


def _attach_quotes(ev: EvidenceLine, lines: list[str], first_line: int) -> None:
    """Give each link of an evidence line the quotes written after it. A quote left open at
    the end of the line may continue on the following lines of the same paragraph."""
    idx = ev.line - first_line
    if not 0 <= idx < len(lines):
        return
    text = lines[idx]
    # links found as the scanner finds them (code spans masked; masking keeps positions)
    spans = [m.span() for m in INLINE_LINK.finditer(mask_code_spans(text))]
    inline = [link for link in ev.links if link.kind == "inline"]
    if not spans or len(spans) != len(inline):
        return
    for i, (link, (_, end)) in enumerate(zip(inline, spans, strict=True)):
        last = i + 1 == len(spans)
        segment = text[end:spans[i + 1][0]] if not last else text[end:]
        quotes, open_ = _quotes_in(segment)
        if open_ and last:
            more = idx + 1
            while open_ and more < len(lines) and not _CONTINUATION_STOP.match(lines[more]) \
                    and not _EVIDENCE.match(lines[more]):
                segment += "\n" + lines[more]
                quotes, open_ = _quotes_in(segment.replace("\n", " "))
                more += 1
        link.quotes = quotes
        if open_:
            ev.unclosed_quote = True


def section_range(headings: list[Heading], anchor: str, total_lines: int) -> tuple[int, int] | None:
    """File lines ``(start, end)`` (1-based, end exclusive) of the section under ``anchor``:
    the heading and its body up to the next heading of the same or higher level."""
    for i, h in enumerate(headings):
        if h.anchor == anchor:
            end = total_lines + 1
            for later in headings[i + 1:]:
                if later.level <= h.level:
                    end = later.line
                    break
            return h.line, end
    return None
