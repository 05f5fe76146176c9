"""The second opinion: trafilatura's reading of the same page.

trafilatura (a well-kept article extractor with its own heuristics and fallbacks) extracts the
page independently; :func:`reflib.convert.html.selection.supported` aligns its text back to our
blocks, and prose it found outside our range is added to it. It is asked only when the page
has no documentation container (those hold the page's content by construction).
"""

from __future__ import annotations

import contextlib
import logging
import warnings


class OpinionUnavailable(Exception):
    """The second opinion could not be asked (not installed, or it failed on this page)."""


def prepare() -> None:
    """Import trafilatura and let it load what it loads on its first page (together a few
    hundred ms), if it is installed: a conversion's time limit is the conversion's."""
    with contextlib.suppress(OpinionUnavailable):
        trafilatura_text("<html><body><p>A first page, read once.</p></body></html>", None)


def trafilatura_text(html: str, url: str | None) -> str | None:
    """trafilatura's plain text of the page's main content (``None`` when it finds none).

    Raises :class:`OpinionUnavailable` saying why when trafilatura cannot be imported or fails
    on the page: a missing second opinion is said in the conversion's notes, never silent."""
    try:
        import trafilatura
    except ImportError as exc:
        raise OpinionUnavailable(f"trafilatura cannot be imported ({exc})") from None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text: str | None = trafilatura.extract(
                html, url=url, include_comments=False, include_tables=True,
                include_formatting=False, deduplicate=False, favor_recall=True)
            return text
    except Exception as exc:
        raise OpinionUnavailable(f"trafilatura failed on this page ({type(exc).__name__}: "
                                 f"{exc})") from None
