"""Golden cases for GitHub-compatible anchors and heading text."""

from __future__ import annotations

import pytest

from reflib.core.mdscan import scan
from reflib.core.paths import Slugger, github_slug, heading_plain_text, relative_link, resolve_link

GOLDEN = [
    ("2.2 Performance Optimization", "22-performance-optimization"),
    ("Hello, World!", "hello-world"),
    ("C++ & Rust", "c--rust"),
    ("`fsync_dir()` semantics", "fsync_dir-semantics"),
    ("**Bold** and _em_", "bold-and-em"),
    ("[Linked](https://x.org) heading", "linked-heading"),
    ("Ünïcödé Straße", "ünïcödé-straße"),
    ("日本語の見出し", "日本語の見出し"),
    ("Trailing hashes ##", "trailing-hashes"),
    ("a -- b", "a----b"),
    ("What's new in v1.2?", "whats-new-in-v12"),
    ("<code>tag</code> text", "tag-text"),
    ("Emoji 🚀 rocket", "emoji--rocket"),
    ("snake_case_name", "snake_case_name"),
    ("A &amp; B", "a--b"),
    ("File: src/atomicwrite_mini/__init__.py", "file-srcatomicwrite_miniinitpy"),
    ("File: `src/atomicwrite_mini/__init__.py`", "file-srcatomicwrite_mini__init__py"),
    ("~~Old~~ new", "old-new"),
]


@pytest.mark.parametrize(("heading", "anchor"), GOLDEN)
def test_github_anchor(heading: str, anchor: str) -> None:
    result = scan(f"## {heading}\n", 1)
    assert result.headings[0].anchor == anchor


def test_duplicates_follow_github_slugger() -> None:
    s = Slugger()
    assert [s.slug(t) for t in ["Intro", "Intro", "Intro-1", "Intro", "intro"]] == [
        "intro", "intro-1", "intro-1-1", "intro-2", "intro-3"]


def test_pinned_id_wins_and_is_reserved() -> None:
    result = scan("## Setup\n## Setup {#setup-1}\n## Setup\n", 1)
    assert [h.anchor for h in result.headings] == ["setup", "setup-1", "setup-2"]
    assert result.headings[1].text == "Setup"


def test_plain_text() -> None:
    assert heading_plain_text("The `a*b*c` ![img](x.png) [t](u)") == "The a*b*c img t"
    assert github_slug("A_B") == "a_b"


def test_setext_multi_line() -> None:
    result = scan("First line\nsecond line\n===\n\n- item\n---\n", 1)
    assert [(h.level, h.text) for h in result.headings] == [(1, "First line second line")]


@pytest.mark.parametrize(("source", "target", "rel", "fragment"), [
    ("refs/resources/a.md", "../../sources/a/full.md#x", "sources/a/full.md", "x"),
    ("refs/resources/a.md", "#claims", "refs/resources/a.md", "claims"),
    ("refs/a.md", "topics/01-x.md", "refs/topics/01-x.md", None),
    ("refs/a.md", "my%20file.md#sec%C3%A9", "refs/my file.md", "secé"),
    ("refs/a.md", "<topics/01 x.md>", "refs/topics/01 x.md", None),
])
def test_resolve_link(source: str, target: str, rel: str, fragment: str | None) -> None:
    out = resolve_link(source, target)
    assert (out.rel, out.fragment, out.external) == (rel, fragment, False)


def test_external_and_escaping_links() -> None:
    assert resolve_link("refs/a.md", "https://x.org/a.md").external
    assert resolve_link("refs/a.md", "mailto:a@b.c").external
    assert resolve_link("refs/a.md", "../../x.md").escapes
    assert relative_link("refs/resources/a.md", "sources/a/full.md", "x") == \
        "../../sources/a/full.md#x"
