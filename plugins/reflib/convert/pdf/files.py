"""The PDF files of a resource: which raw files are PDFs, their anchor prefix, opening one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pymupdf

from reflib.convert.base import ConversionError, RawInput


def pdf_inputs(raws: Iterable[RawInput]) -> Iterator[tuple[str, Path]]:
    """(rel, path) of each PDF: a raw file, or the PDFs inside a raw folder in name order."""
    for raw in raws:
        if raw.path.is_dir():
            for path in sorted(raw.path.rglob("*.pdf")):
                yield f"{raw.rel.rstrip('/')}/{path.relative_to(raw.path).as_posix()}", path
        else:
            yield raw.rel, raw.path


def file_slug(path: Path) -> str:
    """A lowercase anchor-safe form of a file's stem."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "file"


def open_pdf(path: Path, shown: str) -> pymupdf.Document:
    """Open a PDF or raise :class:`ConversionError` saying why it cannot be read."""
    if not path.is_file():
        raise ConversionError(f"{shown}: no such file")
    if path.stat().st_size == 0:
        raise ConversionError(f"{shown}: the file is empty, not a PDF")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for damaged files
        raise ConversionError(f"{shown}: not a readable PDF ({exc})") from None
    if doc.needs_pass:
        doc.close()
        raise ConversionError(
            f"{shown}: the PDF is encrypted and needs a password to open; save an unencrypted copy"
        )
    if doc.page_count == 0:
        doc.close()
        raise ConversionError(f"{shown}: the PDF has no pages")
    if doc.is_repaired and _truncated(path):
        doc.close()
        raise ConversionError(
            f"{shown}: the PDF is truncated or damaged (it ends without its %%EOF marker, and "
            f"MuPDF had to rebuild its index to open it), so pages or text would be missing; "
            f"fetch it again")
    return doc


def _truncated(path: Path) -> bool:
    """No ``%%EOF`` in the last 2 KiB: the file was cut short (a download that stopped)."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2048))
        return b"%%EOF" not in handle.read()
