"""Stage 1: bytes to text, as browsers decode them.

Order: a byte-order mark, the charset declared in a ``<meta>`` (or an XML declaration) in the
first 4 KiB, then UTF-8, then Windows-1252 (WHATWG's aliases: ``iso-8859-1`` and ``ascii`` are
decoded as Windows-1252, as browsers do). Binary data and bytes that no candidate decodes
raise :class:`~reflib.convert.base.ConversionError`.
"""

from __future__ import annotations

import codecs
import contextlib
import re

from reflib.convert.base import ConversionError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# WHATWG: labels that browsers decode as windows-1252 or utf-8 whatever the page says.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "unicode": "utf-8",
}


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode an HTML document; return ``(text, encoding used)``.

    Order: a byte-order mark, the charset declared in a ``<meta>`` (or XML declaration) in the
    first 4 KiB, then UTF-8, then Windows-1252. Raises :class:`ConversionError` when none of
    them decodes the bytes strictly, or when the data is binary (NUL bytes).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ConversionError(f"cannot decode HTML as {encoding} (BOM): {exc}") from exc
    if b"\x00" in data[:4096]:
        raise ConversionError("cannot decode HTML: the data is binary (NUL bytes), not text")
    tried: list[str] = []
    for encoding in _candidate_encodings(data):
        if encoding in tried:
            continue
        tried.append(encoding)
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    bad = _first_bad_utf8_byte(data)
    raise ConversionError(
        f"cannot decode HTML: not valid as {', '.join(tried)} "
        f"(first invalid UTF-8 byte 0x{data[bad]:02x} at offset {bad})"
    )


def _candidate_encodings(data: bytes) -> list[str]:
    """Encodings to try in order: the declared one (if known to Python), utf-8, cp1252."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    out: list[str] = []
    if match:
        label = match.group(1).decode("ascii", "replace").strip().lower()
        label = _CHARSET_ALIASES.get(label, label)
        with contextlib.suppress(LookupError):
            out.append(codecs.lookup(label).name)
    out.extend(["utf-8", "cp1252"])
    return out


def _first_bad_utf8_byte(data: bytes) -> int:
    """Offset of the first byte that makes ``data`` invalid UTF-8 (0 when unknown)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0
