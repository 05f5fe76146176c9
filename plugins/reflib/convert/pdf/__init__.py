"""PDF papers -> lossless markdown: every word of the text layer, in reading order.

:func:`convert` turns the PDFs of one resource into a full.md body; :func:`pdf_to_markdown`
converts one file and returns the body and the per-page conversion notes.

What the body looks like, and the rules behind it:

- **Page markers.** Each page starts with a line ``<a id="page-N"></a>`` (N counts physical
  pages from 1), so a citation can link to ``full.md#page-3`` and ``grep 'id="page-3"'``
  finds the spot. A sentence cut by the page break stays one paragraph: the marker line then
  sits inside it, with no blank line around it (the rendered page shows one paragraph, and
  each page's passage holds its own part of the sentence). When a resource has several PDFs
  the ids are ``<file-stem>-page-N`` and
  each file starts under a ``# raw/<file>.pdf`` heading. Running headers, running footers
  and page numbers are kept out of the prose but never dropped: they follow the marker on the
  same line inside an HTML comment (``<a id="page-2"></a> <!-- header: ...; footer: 2 -->``).
  A line counts as such page furniture when it is the first or last line of the page, lies in
  the top or bottom margin band, and is either a bare page number or text repeated (digits
  aside) on at least two pages.
- **Reading order.** Each page's text lines are split into columns at the widest vertical
  gutter that (almost) no line crosses; lines that cross it (title, authors, abstract, a
  full-width table) are read in their vertical position, and between two of them the left
  column is read before the right one. Columns are split again inside (up to three levels).
- **Headings.** A short paragraph set in bold or in a font clearly larger than the body text,
  or whose text is an entry of the PDF outline, is a heading. The paper title (the largest
  text on page 1) is ``#``; other headings are ``##`` and deeper: the outline level when the
  heading is in the outline, else the depth of its number (``2.1 Foo`` -> ``###``), else the
  rank of its font size among the heading styles.
- **Tables.** Pages that have vector ruling lines are searched with ``page.find_tables``
  (the expensive step, so pages without rulings skip it). A table whose cells hold every
  word found inside its box becomes a markdown table (cell text is rebuilt from the page's
  words, so no word is split) and its words are taken out of the prose; any other is left
  as text.
- **Text normalisation.** Ligature glyphs (U+FB00-FB06) and mathematical alphanumeric
  symbols (U+1D400-1D7FF) are replaced by their NFKC forms (``ﬁ`` -> ``fi``, ``𝑃`` -> ``P``);
  nothing else is changed. Paragraph lines are joined with spaces. A word hyphenated at a line
  end is joined: a soft hyphen is dropped; a hard hyphen is kept when the head already holds a
  hyphen (``replace-on-`` + ``rename``), when the hyphenated form occurs elsewhere in the
  document, or when the next line starts with a digit or a capital; it is dropped when the
  joined word occurs elsewhere, and by default. A hyphen before ``and``/``or``/``to`` stays
  with a space (``pre- and post-``).
- **Code.** Runs of lines set entirely in a monospaced font become fenced code blocks with
  their line breaks and indentation.
- **Lost or approximated** (listed in the notes, page by page): equations are kept as plain
  text lines, images and drawn graphics are omitted (text drawn inside a figure is kept as
  text), tables not recoverable as tables stay as text, rotated lines go to the end of the
  page, pages without a text layer yield nothing.

A corrupt, empty or password-protected PDF raises :class:`ConversionError`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pymupdf

from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult, RawInput
from reflib.convert.pdf.coverage import LOW_PAGE_COVERAGE, MIN_PAGE_WORDS, pdf_coverage
from reflib.convert.pdf.files import file_slug, open_pdf, pdf_inputs
from reflib.convert.pdf.layout import _context
from reflib.convert.pdf.model import KIND, PageText, _key
from reflib.convert.pdf.page import _mark_chrome, normalize_text, read_page
from reflib.convert.pdf.recall import markdown_tokens, text_layer_tokens, word_recall
from reflib.convert.pdf.render import _document_notes, _join_pages, _render_page
from reflib.convert.pdf.tables import _find_tables, table_regions

# --- public API ----------------------------------------------------------------------------------


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert the PDFs of one resource into one markdown body with page markers and notes."""
    pdfs = list(pdf_inputs(request.raw))
    if not pdfs:
        raise ConversionError("no PDF file among the raw entries")
    several = len(pdfs) > 1
    parts: list[str] = []
    notes: list[str] = []
    title: str | None = None
    for rel, path in pdfs:
        prefix = file_slug(path) + "-" if several else ""
        body, file_notes, file_title = _convert_file(path, rel, prefix)
        title = title or file_title
        if several:
            parts.append(f"# {rel}")
            notes.extend(f"{rel}: {note}" for note in file_notes)
        else:
            notes.extend(file_notes)
        parts.append(body.rstrip("\n"))
    body = "\n\n".join(parts) + "\n"
    return ConvertResult(body=body, kind=KIND, notes=notes, title=title,
                         coverage=_coverage(request.raw, body, notes))


def _coverage(raws: Iterable[RawInput], body: str, notes: list[str]) -> float | None:
    """The self-check: the share of the text layer's words that the body holds (page by
    page, by the page markers); a page below the threshold gets a note."""

    try:
        pages = pdf_coverage(list(raws), body)
    except Exception:  # the check must never fail a conversion that succeeded
        return None
    total = sum(p.words for p in pages)
    if not total:
        return None
    for page in pages:
        if page.words >= MIN_PAGE_WORDS and page.share < LOW_PAGE_COVERAGE:
            notes.append(f"{page.pdf} p.{page.page}: only {page.share:.0%} of the text layer's "
                         f"{page.words} words are in the body")
    return round(sum(p.found for p in pages) / total, 3)


def pdf_to_markdown(path: str | Path, *, anchor_prefix: str = "") -> tuple[str, list[str]]:
    """Convert one PDF file: the markdown body and the notes (one line per page that has any)."""
    body, notes, _title = _convert_file(Path(path), str(path), anchor_prefix)
    return body, notes


def _convert_file(path: Path, shown: str, prefix: str) -> tuple[str, list[str], str | None]:
    """Body, notes and detected title of one PDF file."""
    doc = open_pdf(path, shown)
    try:
        pages = [_read_page_checked(doc, number, shown) for number in range(doc.page_count)]
        toc = doc.get_toc(simple=True)
        meta_title = (doc.metadata or {}).get("title") or None
        tables = {}
        for page in pages:
            regions = table_regions(page)
            if regions:
                tables[page.number] = _find_tables(doc[page.number - 1], page, regions)
    finally:
        doc.close()
    titles = {_key(t) for _lvl, t, *_r in toc} | ({_key(meta_title)} if meta_title else set())
    _mark_chrome(pages, titles - {""})
    ctx = _context(pages, toc, prefix)
    rendered = [_render_page(page, tables.get(page.number, []), ctx) for page in pages]
    notes = _document_notes(pages, toc, ctx)
    return _join_pages(rendered) + "\n", notes, ctx.title or meta_title


def _read_page_checked(doc: pymupdf.Document, number: int, shown: str) -> PageText:
    """:func:`read_page`, turning a damaged page into :class:`ConversionError`."""
    try:
        return read_page(doc[number])
    except Exception as exc:
        raise ConversionError(f"{shown}: page {number + 1} cannot be read ({exc})") from None


__all__ = ["KIND", "convert", "markdown_tokens", "normalize_text", "open_pdf", "pdf_to_markdown",
           "text_layer_tokens", "word_recall"]
