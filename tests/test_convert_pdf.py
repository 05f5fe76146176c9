"""The PDF converter: reading order, headings, tables, page markers, words kept, bad files."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pymupdf
import pytest

from reflib.convert.base import ConversionError, ConvertRequest, RawInput
from reflib.convert.pdf import (
    convert,
    markdown_tokens,
    normalize_text,
    pdf_to_markdown,
    text_layer_tokens,
    word_recall,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

W, H = 612.0, 792.0
LEFT, RIGHT, COL = 54.0, 315.0, 243.0
SERIF, BOLD, MONO = pymupdf.Font("tiro"), pymupdf.Font("tibo"), pymupdf.Font("cour")


class Pen:
    """Writes text runs onto one page with built-in fonts (ligature glyphs included)."""

    def __init__(self, page: pymupdf.Page) -> None:
        self.page = page
        self.writer = pymupdf.TextWriter(page.rect)

    def text(self, x: float, y: float, text: str, font: pymupdf.Font = SERIF,
             size: float = 10.0) -> None:
        self.writer.append((x, y), text, font=font, fontsize=size)

    def lines(self, x: float, y: float, lines: list[str], size: float = 10.0,
              font: pymupdf.Font = SERIF) -> float:
        """Lines at 12 pt pitch from baseline ``y``; returns the next free baseline."""
        for line in lines:
            self.text(x, y, line, font, size)
            y += 12.0
        return y + 4.0

    def done(self) -> None:
        self.writer.write_text(self.page)


LEFT_COLUMN = [
    "Atomic replace writes a temporary ﬁle",
    "and renames it over the target after a",
    "ﬂush. Delayed allo-",
    "cation can leave an empty ﬁle behind",
    "when the power fails at the wrong time.",
    "Careful programs fsync twice. LEFTEND",
]
RIGHT_COLUMN = [
    "RIGHTSTART the second column begins",
    "here and talks about crash-consistent",
    "updates, which need a crash-",
    "consistent protocol end to end.",
]
TABLE = [["Variant", "ext4", "XFS"], ["rename only", "212", "1,873"], ["with fsync", "0", "0"]]


def draw_table(page: pymupdf.Page, pen: Pen, x: float, y: float) -> float:
    """A ruled 3x3 table with its caption; returns the y below it."""
    pen.text(x, y, "Table 1: Lost updates", size=9)
    top, row_h, widths = y + 6, 14.0, [110.0, 60.0, 60.0]
    for r, row in enumerate(TABLE):
        cx = x
        for c, cell in enumerate(row):
            pen.text(cx + 3, top + r * row_h + 10, cell, BOLD if r == 0 else SERIF, 9)
            cx += widths[c]
    bottom = top + row_h * len(TABLE)
    for r in range(len(TABLE) + 1):
        page.draw_line((x, top + r * row_h), (x + sum(widths), top + r * row_h))
    cx = x
    for w in [0.0, *widths]:
        cx += w
        page.draw_line((cx, top), (cx, bottom))
    return bottom + 16


def make_paper(path: Path, pages: int = 2) -> Path:
    """A two-column paper: title block, headings, a table, an outline, headers and footers."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=W, height=H)
        pen = Pen(page)
        if number > 1:
            pen.text(LEFT, 40, "Example and Sample: Atomic Replace", size=8)
        pen.text(W / 2 - 4, H - 30, str(number), size=9)
        if number == 1:
            first_page(page, pen)
        else:
            later_page(page, pen, number)
        pen.done()
    doc.set_toc([[1, "1 Introduction", 1], [1, "2 Background", 1],
                 [2, "2.1 The rename protocol", 1], [1, "3 Results", 2]])
    doc.save(path)
    return path


def first_page(page: pymupdf.Page, pen: Pen) -> None:
    """Title and abstract across both columns, then two columns of prose."""
    pen.text(120, 90, "Atomic Replace in Practice", BOLD, 20)
    pen.text(150, 130, "This abstract spans the full width of the page above both columns "
             "ABSTRACTWORD.", size=10)
    y = 170.0
    pen.text(LEFT, y, "1 Introduction", BOLD, 12)
    y = pen.lines(LEFT, y + 18, LEFT_COLUMN)
    pen.text(LEFT, y + 8, "2 Background", BOLD, 12)
    pen.text(LEFT, y + 26, "2.1 The rename protocol", BOLD, 11)
    pen.lines(LEFT, y + 44, ["Rename is atomic for readers but", "not durable by itself."])
    pen.lines(RIGHT, 188, RIGHT_COLUMN)
    y = draw_table(page, pen, RIGHT, 250)
    pen.lines(RIGHT, y, ["Text after the table closes the", "right column of page one."])


def later_page(page: pymupdf.Page, pen: Pen, number: int) -> None:
    """A results heading, prose in both columns and a code listing."""
    pen.text(LEFT, 90, "3 Results" if number == 2 else f"{number + 1} More", BOLD, 12)
    pen.lines(LEFT, 110, [f"Page {number} left column prose with",
                          "a ﬁnal sentence of the column."])
    pen.lines(RIGHT, 110, [f"Page {number} right column prose that",
                           "comes after the left column."])
    pen.lines(LEFT, 200, ["def replace(path):", "    os.replace(tmp, path)"], font=MONO)


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    return make_paper(tmp_path / "paper.pdf", pages=3)


@pytest.fixture
def body(paper: Path) -> str:
    return pdf_to_markdown(paper)[0]


def test_every_word_of_the_text_layer_is_kept(paper: Path, body: str) -> None:
    assert word_recall(body, paper) == 1.0
    assert len(text_layer_tokens(paper)) > 100


def test_full_width_block_first_then_left_column_then_right(body: str) -> None:
    order = ["Atomic Replace in Practice", "ABSTRACTWORD", "1 Introduction", "LEFTEND",
             "2.1 The rename protocol", "RIGHTSTART", "Table 1", "right column of page one"]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)


def test_headings_follow_title_outline_and_numbering(body: str) -> None:
    headings = re.findall(r"^(#+) (.*)$", body, re.M)
    assert headings[:5] == [
        ("#", "Atomic Replace in Practice"),
        ("##", "1 Introduction"),
        ("##", "2 Background"),
        ("###", "2.1 The rename protocol"),
        ("##", "3 Results"),
    ]


def test_ruled_table_becomes_markdown_and_leaves_the_prose(body: str) -> None:
    assert "| Variant | ext4 | XFS |\n| --- | --- | --- |\n| rename only | 212 | 1,873 |" in body
    assert body.count("1,873") == 1
    assert body.count("rename only") == 1


def test_page_markers_and_page_furniture(body: str) -> None:
    assert body.startswith('<a id="page-1"></a> <!-- footer: 1 -->\n')
    marker = '<a id="page-2"></a> <!-- header: Example and Sample: Atomic Replace; footer: 2 -->'
    assert marker in body.splitlines()
    prose = re.sub(r"<!--.*?-->", "", body)
    assert "Example and Sample" not in prose
    assert not re.search(r"^\d+$", prose, re.M)


def test_ligatures_and_hyphenation(body: str) -> None:
    assert "ﬁ" not in body and "ﬂ" not in body
    assert "temporary file" in body and "flush" in body and "final sentence" in body
    assert "Delayed allocation can leave" in body
    assert "need a crash-consistent protocol" in body


def test_paragraphs_are_joined_and_columns_read_in_order(body: str) -> None:
    assert ("Atomic replace writes a temporary file and renames it over the target after a "
            "flush.") in body
    left = body.index("Page 2 left column prose with a final sentence of the column.")
    right = body.index("Page 2 right column prose that comes after the left column.")
    assert left < right


def test_monospaced_lines_become_a_code_block(body: str) -> None:
    assert "```\ndef replace(path):\n    os.replace(tmp, path)\n```" in body


def test_notes_name_what_was_approximated(paper: Path) -> None:
    _body, notes = pdf_to_markdown(paper)
    assert any(n.startswith("p.1:") and "Table 1 (3×3) kept as a markdown table" in n
               for n in notes)
    assert any("hyphenated at line ends joined" in n for n in notes)
    assert any("page-marker comments" in n for n in notes)


def test_convert_request_with_two_pdfs_prefixes_anchors(tmp_path: Path) -> None:
    a = make_paper(tmp_path / "a.pdf", pages=1)
    b = make_paper(tmp_path / "Part B.pdf", pages=1)
    request = ConvertRequest("p", "P", "paper", None,
                             [RawInput("raw/a.pdf", a), RawInput("raw/Part B.pdf", b)])
    result = convert(request)
    assert result.kind == "pdf"
    assert result.title == "Atomic Replace in Practice"
    assert "# raw/a.pdf" in result.body and "# raw/Part B.pdf" in result.body
    assert '<a id="a-page-1"></a>' in result.body
    assert '<a id="part-b-page-1"></a>' in result.body
    assert result.body.endswith("\n") and not result.body.endswith("\n\n")


def test_rotated_text_and_special_characters_are_kept(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "Stars *like this* and <tag> stay literal_text.", fontsize=11)
    page.insert_text((40, 500), "ROTATEDSTAMP arXiv", fontsize=9, rotate=90)
    doc.save(tmp_path / "x.pdf")
    body, notes = pdf_to_markdown(tmp_path / "x.pdf")
    assert r"Stars \*like this\* and \<tag> stay literal_text." in body
    assert "ROTATEDSTAMP" in body
    assert any("rotated line" in n for n in notes)
    assert word_recall(body, tmp_path / "x.pdf") == 1.0


def test_normalize_text_handles_ligatures_and_math_letters() -> None:
    assert normalize_text("ﬁeld ﬂow ﬀ ﬃ ﬄ") == "field flow ff ffi ffl"
    assert normalize_text("𝑃(𝑥) = 𝐀𝐁") == "P(x) = AB"
    assert normalize_text("½ ™ é") == "½ ™ é"


def test_markdown_tokens_ignore_markup() -> None:
    text = '<a id="page-1"></a> <!-- footer: 7 -->\n\n## Title\n\n| a\\_b | c |\n| --- | --- |'
    assert markdown_tokens(text) == ["footer", "7", "title", "a_b", "c"]


def test_corrupt_pdf_is_a_conversion_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not really a PDF \x00\x01")
    with pytest.raises(ConversionError, match=r"bad\.pdf"):
        pdf_to_markdown(bad)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(ConversionError, match="empty"):
        pdf_to_markdown(empty)
    with pytest.raises(ConversionError, match="no such file"):
        pdf_to_markdown(tmp_path / "missing.pdf")


def test_encrypted_pdf_is_a_conversion_error(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    with pytest.raises(ConversionError, match="password"):
        pdf_to_markdown(path)


def test_page_without_text_is_noted(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().draw_rect(pymupdf.Rect(100, 100, 300, 300))
    doc.save(tmp_path / "scan.pdf")
    body, notes = pdf_to_markdown(tmp_path / "scan.pdf")
    assert body == '<a id="page-1"></a>\n'
    assert notes[0].startswith("p.1: no text layer")


def test_example_paper_script_is_deterministic_and_converts(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_example_pdf",
                                                  REPO / "scripts" / "make_example_pdf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert module.main([str(first)]) == 0 and module.main([str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    body, notes = pdf_to_markdown(first)
    assert word_recall(body, first) == 1.0
    assert "# Crash-Consistent Atomic Replace on Commodity File Systems" in body
    assert "### 2.2 Directory fsync" in body
    assert "| + dir fsync (ours) | 0 | 0 | 0 |" in body
    assert "delayed allocation" in body and "replace-on-rename" in body
    assert any("Table 1 (5×4)" in n for n in notes)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["docling_2305.03393v1-pg9.pdf", "docling_code_and_formula.pdf",
                                  "docling_multi_page.pdf", "docling_normal_4pages.pdf"])
def test_corpus_word_recall(name: str) -> None:
    path = CORPUS / "pdf" / name
    if not path.is_file():
        pytest.skip("../shared/corpus is not present")
    body, _notes = pdf_to_markdown(path)
    assert word_recall(body, path) >= 0.99


def test_a_sentence_cut_by_a_page_break_stays_one_paragraph(tmp_path: Path) -> None:
    """The page marker goes inside the paragraph (on its own line, no blank lines), so the
    page renders one paragraph, and each page's passage holds its part of the sentence;
    a page that ends a sentence keeps the marker between paragraphs."""
    import markdown as md

    from reflib.core.evidence import passage_text
    from reflib.core.mdscan import scan

    doc = pymupdf.open()
    first = doc.new_page()
    first.insert_text((72, 100), "Opening paragraph of the first page ends here.", fontsize=11)
    first.insert_text((72, 130), "The rename is durable only once the directory entry", fontsize=11)
    second = doc.new_page()
    second.insert_text((72, 100), "reaches the disk, which needs a directory fsync.", fontsize=11)
    third = doc.new_page()
    third.insert_text((72, 100), "A new paragraph starts the third page.", fontsize=11)
    doc.save(tmp_path / "cut.pdf")
    body, _ = pdf_to_markdown(tmp_path / "cut.pdf")
    assert ("directory entry\n<a id=\"page-2\"></a>\nreaches the disk, which needs a "
            "directory fsync.") in body
    assert "fsync.\n\n<a id=\"page-3\"></a>\n\nA new paragraph" in body
    html = md.markdown(body)
    paragraph = next(p for p in html.split("<p>") if 'id="page-2"' in p)
    assert "directory entry" in paragraph and "reaches the disk" in paragraph
    lines = body.split("\n")
    found = scan(body)
    page1 = passage_text(lines, found, "page-1") or ""
    page2 = passage_text(lines, found, "page-2") or ""
    assert page1.rstrip().endswith("The rename is durable only once the directory entry")
    assert "reaches the disk" not in page1
    assert page2.startswith('<a id="page-2"></a>') and "reaches the disk" in page2
    assert word_recall(body, tmp_path / "cut.pdf") == 1.0
