"""Sanitizing the rendered HTML of library pages with nh3 (ammonia).

Full texts, cards and topics are untrusted: a converted web page may carry ``<script>``,
event-handler attributes or ``javascript:`` URLs in raw HTML. Every library page's HTML goes
through :func:`clean`, which keeps what Python-Markdown, Material and the reflib features
emit (headings with ids, classes, ``data-*``, tables, code, details/summary, images, the index
filter controls) and drops everything that can run script: ``<script>``/``<style>`` with their
content, ``<iframe>``, ``<object>``, ``<svg>``, forms, ``on*`` attributes, ``style``, and any
URL whose scheme is not http, https or mailto. Page metadata (front matter) that the theme
prints unescaped is escaped by :func:`clean_meta`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import nh3

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "label", "li", "mark", "ol",
    "option", "p", "pre", "progress", "q", "s", "samp", "select", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var", "wbr",
})
"""Elements kept (others are removed, their text kept)."""

DROP_WITH_CONTENT = frozenset({"script", "style", "noscript", "template", "iframe", "object",
                               "embed", "svg", "math", "textarea", "title"})
"""Elements removed together with everything inside them."""

ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "title", "lang", "dir", "role", "aria-label", "aria-hidden",
          "aria-describedby", "hidden"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "align", "loading"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
    "input": {"type", "checked", "disabled", "placeholder", "value"},
    "option": {"value", "selected"},
    "select": {"multiple"},
    "progress": {"value", "max"},
    "time": {"datetime"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"datetime"},
    "ins": {"datetime"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_META_KEYS = ("title", "description", "hide", "search", "status", "subtitle", "icon")


def clean(fragment: str) -> str:
    """The sanitized form of an HTML fragment (a page's rendered content)."""
    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        generic_attribute_prefixes={"data-"},
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def clean_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Page metadata safe for the theme: known keys only, strings HTML-escaped.

    Material prints ``title``, ``description`` and friends without escaping, and a
    ``template`` key would pick the page's template; everything else is dropped.
    """
    out: dict[str, Any] = {}
    for key in _META_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if isinstance(value, str):
            out[key] = html.escape(value, quote=True)
        elif key == "hide" and isinstance(value, list):
            out[key] = [html.escape(str(v), quote=True) for v in value]
        elif key == "search" and isinstance(value, dict):
            out[key] = {"exclude": bool(value.get("exclude"))}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = html.escape(str(value))
    return out
