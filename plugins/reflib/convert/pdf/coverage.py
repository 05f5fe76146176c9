"""How much of a PDF's text layer a markdown transcription holds, page by page (the self-check
of the converter and of hand conversions)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from reflib.convert.base import ConversionError, RawInput
from reflib.convert.pdf.files import file_slug, open_pdf, pdf_inputs
from reflib.core import evidence
from reflib.core.errors import ReflibError

LOW_PAGE_COVERAGE = 0.8
"""A page whose text-layer words are found less than this in its transcription is listed."""
MIN_PAGE_WORDS = 20
"""Pages with fewer text-layer words than this are not judged (figures, blank pages)."""

_PAGE_MARKER = re.compile(r"""<a\s[^>]*\bid\s*=\s*["']((?:[a-z0-9-]+-)?page-(\d+))["']""")


@dataclass
class PageCoverage:
    """How much of one PDF page's text layer the transcription holds."""

    pdf: str
    page: int
    words: int
    """Words in the page's text layer."""
    found: int
    """Of those, how many the transcription of the page holds (as a multiset)."""

    @property
    def share(self) -> float:
        return self.found / self.words if self.words else 1.0


def pdf_files(raws: list[RawInput]) -> list[tuple[str, Path, str]]:
    """(rel, path, page-marker prefix) of each PDF, as the PDF converter names them."""
    found = list(pdf_inputs(raws))
    several = len(found) > 1
    return [(rel, path, file_slug(path) + "-" if several else "") for rel, path in found
            if path.suffix.lower() == ".pdf"]


def text_layer(path: Path, shown: str) -> list[list[str]]:
    """The words of each page's text layer."""
    try:
        doc = open_pdf(path, shown)
    except ConversionError as exc:
        raise ReflibError(str(exc)) from None
    try:
        flags = pymupdf.TEXT_DEHYPHENATE | pymupdf.TEXT_MEDIABOX_CLIP
        return [evidence.words(doc[i].get_text("text", flags=flags))
                for i in range(doc.page_count)]
    finally:
        doc.close()


def _segments(body: str) -> dict[str, str]:
    """Body text per page-marker id (from the marker to the next one)."""
    marks = list(_PAGE_MARKER.finditer(body))
    out: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        out[m.group(1)] = out.get(m.group(1), "") + body[m.end():end]
    return out


def pdf_coverage(raws: list[RawInput], body: str) -> list[PageCoverage]:
    """Per PDF page, how many of its text-layer words the body holds: in the page's own
    segment when the body has its page marker, else anywhere in the body."""
    segments = _segments(body)
    whole: Counter[str] | None = None
    out: list[PageCoverage] = []
    for rel, path, prefix in pdf_files(raws):
        for number, layer in enumerate(text_layer(path, rel), start=1):
            if not layer:
                continue
            segment = segments.get(f"{prefix}page-{number}")
            if segment is not None:
                have = Counter(evidence.words(evidence.plain_text(segment)))
            else:
                if whole is None:
                    whole = Counter(evidence.words(evidence.plain_text(body)))
                have = whole
            want = Counter(layer)
            found = sum(min(n, have[w]) for w, n in want.items())
            out.append(PageCoverage(rel, number, sum(want.values()), found))
    return out
