"""reflib's per-page features as a Python-Markdown extension that Zensical loads by name.

Zensical runs no MkDocs plugin, but it renders every page with Python-Markdown and the
``markdown_extensions`` of its configuration, in the process that called its ``build``. The
staged pages (see :mod:`reflib.engines.zensical.build`) each start with a marker comment
naming the page; this extension reads it, then does what the MkDocs plugin does around
rendering: GitHub heading ids, evidence previews and backlinks
(:class:`~reflib.site.mdext.ReflibExtension`), then the rendered content sanitized,
checked and marked for search (:meth:`~reflib.site.build.LibrarySite.html`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from reflib.site.build import LibrarySite
from reflib.site.mdext import ReflibExtension

MARKER = "<!-- reflib-page "
_MARKER = re.compile(r"^<!-- reflib-page (\{.*\}) -->$")

ACTIVE: list[LibrarySite] = []
"""The library site of the build in progress (set by the build around Zensical's)."""


def marker(src_uri: str, rel: str | None, fulltext_id: str | None) -> str:
    """The first line of a staged page: which page it is, for this extension."""
    data = json.dumps({"src": src_uri, "rel": rel, "fulltext": fulltext_id})
    return f"{MARKER}{data} -->\n"


class _PageMarker(Preprocessor):
    def __init__(self, md: Markdown, ext: ZensicalExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        state = self.ext.inner.state
        self.ext.rel = None
        state.src_uri, state.enabled, state.fulltext_id = "", False, None
        if lines:
            m = _MARKER.match(lines[0])
            if m:
                data = json.loads(m.group(1))
                state.src_uri = str(data.get("src") or "")
                self.ext.rel = data.get("rel")
                state.enabled = self.ext.rel is not None
                state.fulltext_id = data.get("fulltext")
                self.ext.page = state.src_uri
                return lines[1:]
        self.ext.page = None
        return lines


class ZensicalExtension(Extension):
    """The marker reader, :class:`ReflibExtension` and the content post-processing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = ReflibExtension(site=lambda: ACTIVE[-1].built.site
                                     if ACTIVE and ACTIVE[-1].built else None)
        self.page: str | None = None
        self.rel: str | None = None

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_PageMarker(md, self), "reflib_page", 100)
        self.inner.extendMarkdown(md)
        convert = md.convert

        def convert_page(source: str) -> str:
            # around the whole conversion (postprocessors also run on each heading's label)
            return self._content(convert(source))

        md.convert = convert_page

    def _content(self, html: str) -> str:
        lsite = ACTIVE[-1] if ACTIVE else None
        if lsite is None or lsite.built is None or self.page is None:
            return html
        return lsite.searchable(self.page, self.rel, lsite.html(self.page, self.rel, html))


def makeExtension(**kwargs: Any) -> ZensicalExtension:
    return ZensicalExtension(**kwargs)
