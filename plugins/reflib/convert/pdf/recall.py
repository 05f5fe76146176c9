"""Word recall: how much of a PDF's text layer its markdown holds (the converter's self-check, and the benchmark's measure)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pymupdf

from reflib.convert.pdf.model import _HYPHENS, _TEXT_FLAGS, _WORD

# --- word counting (shared with the tests and the evaluation script) -------------------------------


def _tokens(text: str) -> list[str]:
    """Normalised words for comparing texts: NFKC, lowercase, hyphens removed, ``\\w+`` runs."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-\u00ad\u2010\u2011]", "", text)
    return _WORD.findall(text)


def markdown_tokens(markdown: str) -> list[str]:
    """Normalised words of a markdown text: tags dropped, comments and escapes unwrapped."""
    text = re.sub(r"<!--(.*?)-->", r" \1 ", markdown, flags=re.S)
    text = re.sub(r"(?<!\\)</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    return _tokens(text)


def text_layer_tokens(path: str | Path) -> list[str]:
    """Normalised words of a PDF's text layer as ``page.get_text("words")`` reads them.

    A word that ends its line with a hyphen is joined to the next word, so that a word
    hyphenated across a line break counts once whatever the converter does with the hyphen.
    """
    words: list[str] = []
    with pymupdf.open(path) as doc:
        for page in doc:
            words.extend(_page_words(page.get_text("words", flags=_TEXT_FLAGS)))
    return _tokens(" ".join(words))


def _page_words(raw: list[tuple[Any, ...]]) -> list[str]:
    """Word strings of one page with line-end hyphenated words joined to their next word."""
    out: list[str] = []
    carry = ""
    for i, w in enumerate(raw):
        text = carry + w[4]
        carry = ""
        last_in_line = i + 1 == len(raw) or raw[i + 1][5:7] != w[5:7]
        if last_in_line and i + 1 < len(raw) and text[-1:] in _HYPHENS + "\u00ad":
            carry = text
            continue
        out.append(text)
    if carry:
        out.append(carry)
    return out


def word_recall(markdown: str, path: str | Path) -> float:
    """Share of the PDF's text-layer words (as a multiset) that occur in ``markdown``."""
    reference = Counter(text_layer_tokens(path))
    total = sum(reference.values())
    if not total:
        return 1.0
    found = reference & Counter(markdown_tokens(markdown))
    return sum(found.values()) / total
