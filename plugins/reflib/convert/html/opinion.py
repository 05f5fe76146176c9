"""The second opinion: trafilatura's reading of the same page.

trafilatura (a well-kept article extractor with its own heuristics and fallbacks) extracts the
page independently; :func:`reflib.convert.html.selection.supported` aligns its text back to our
blocks, and prose it found outside our range is added to it. It is asked only when the page
has no documentation container (those hold the page's content by construction).
"""

from __future__ import annotations

import logging
import warnings


def trafilatura_text(html: str, url: str | None) -> str | None:
    """trafilatura's plain text of the page's main content, or ``None`` when it finds none or
    is not installed."""
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return trafilatura.extract(html, url=url, include_comments=False,
                                       include_tables=True, include_formatting=False,
                                       deduplicate=False, favor_recall=True)
    except Exception:  # its failure only costs the second opinion
        return None
