"""Property-based tests: the manifest, front-matter and markdown/evidence parsers take any
input, and the only exception that may come out is the library's own ReflibError."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reflib.core import frontmatter, manifest, mdscan
from reflib.core.errors import ReflibError
from reflib.core.paths import Slugger, heading_plain_text, resolve_link

YAMLISH = st.text(
    alphabet=st.sampled_from([*list("abc:- \n\t#[]{}'\"|>&*!%@`,?0123456789.\\~"), "é", "\x00"]),
    max_size=300,
)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.one_of(YAMLISH, st.text(max_size=300)))
def test_manifest_parser_raises_only_reflib_error(text: str) -> None:
    try:
        doc = manifest.parse(text, "refs/manifest.yaml")
    except ReflibError as exc:
        assert exc.path == "refs/manifest.yaml"
        assert str(exc).startswith("refs/manifest.yaml")
    else:
        for entry in doc.entries:
            assert entry.line >= 1


@SETTINGS
@given(st.one_of(YAMLISH, st.text(max_size=300)), st.text(max_size=200))
def test_front_matter_parser_raises_only_reflib_error(meta: str, body: str) -> None:
    text = f"---\n{meta}\n---\n{body}"
    try:
        fm = frontmatter.split(text, "x.md")
    except ReflibError as exc:
        assert exc.path == "x.md"
    else:
        assert isinstance(fm.meta, dict)
        assert fm.body_line >= 2


@SETTINGS
@given(st.text(max_size=500))
def test_front_matter_any_text(text: str) -> None:
    with contextlib.suppress(ReflibError):
        frontmatter.split(text, "x.md")


MARKDOWNISH = st.lists(
    st.sampled_from([*list("#[]()!`~<>-=*_ \n:;/.a1"), "<!--", "-->", "```", "Evidence: ", "](", "{#", "}", "é", '<a id="x">', "\n## ", "\n1. "]),
    max_size=120,
).map("".join)


@SETTINGS
@given(st.one_of(MARKDOWNISH, st.text(max_size=400)))
def test_markdown_scanner_total(text: str) -> None:
    result = mdscan.scan(text, 1)
    lines = text.split("\n")
    for h in result.headings:
        assert 1 <= h.line <= len(lines)
    for link in result.links:
        assert 1 <= link.line <= len(lines)
    for ev in result.evidence:
        assert all(link.evidence for link in ev.links)
    anchors = [h.anchor for h in result.headings if not h.pinned]
    assert len(anchors) == len(set(anchors)), "automatic anchors must be unique"


@SETTINGS
@given(st.text(max_size=80), st.text(max_size=80))
def test_link_resolution_total(source: str, target: str) -> None:
    out = resolve_link("refs/resources/" + source.replace("/", "_") + ".md", target)
    if out.rel is not None:
        assert not out.rel.startswith("../")


@SETTINGS
@given(st.lists(st.text(max_size=30), max_size=20))
def test_slugs_unique(texts: list[str]) -> None:
    slugger = Slugger()
    slugs = [slugger.slug(heading_plain_text(t)) for t in texts]
    assert len(slugs) == len(set(slugs))


HTML_PIECES = st.sampled_from([
    "<div>", "</div>", "<p>", "</p>", "<span>", "</span>", "<a href='javascript:alert(1)'>",
    "<a href='/x'>", "</a>", "<script>alert(1)</script>", "<table><tr><td>", "</td></tr></table>",
    "<ul><li>", "</li></ul>", "<pre><code>", "</code></pre>", "<math><mi>x</mi></math>",
    "<h2>", "</h2>", "<img src=x onerror=alert(1)>", "<iframe src='https://e.invalid'>",
    "text ", "more words here. ", "<!-- c -->", "&lt;script&gt;", "&amp;", "`", "*", "_", "#",
    "\n", "<svg onload=alert(1)>", "<details><summary>s</summary>", "</details>", "<br>",
    "<article>", "</article>", "<nav>", "</nav>", "<dl><dt>t</dt><dd>d</dd></dl>", "é", "\x00",
])


@settings(max_examples=300, deadline=10000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HTML_PIECES, max_size=80).map("".join), st.integers(0, 300))
def test_html_converter_on_hostile_markup(body: str, depth: int) -> None:
    """Any markup (and deep nesting) converts without an exception other than
    ConversionError, and the markdown carries no script outside code (code blocks and spans
    may show markup as text): no <script>, no event handler, no javascript: link."""
    from reflib.convert.base import ConversionError
    from reflib.convert.html import convert_page

    page = f"<html><body>{'<div>' * depth}{body}{'</div>' * depth}</body></html>"
    try:
        result = convert_page(page, second_opinion=False)
    except ConversionError:
        return
    import re

    markdown = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", result.markdown, flags=re.S)
    markdown = re.sub(r"(`+)[^`]*?\1", "", markdown).lower()
    assert "<script" not in markdown and "onerror=" not in markdown
    assert "onload=" not in markdown and "javascript:" not in markdown
    assert "<iframe" not in markdown and "<svg" not in markdown
