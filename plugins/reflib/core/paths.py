"""The one module that owns paths, URLs and anchors.

Everything that turns a heading into an anchor, a resource id into a file, or a relative link
into a target goes through here, so the checker, the site, the converters and the CLI agree.

Anchors follow GitHub's rules (github-slugger): the heading's rendered text, lower-cased, with
everything but letters, marks, numbers, ``_``, ``-`` and spaces removed, and each space turned
into ``-``; a repeated slug gets ``-1``, ``-2`` ... in document order. A heading may pin its own
id with a trailing ``{#id}`` (Python-Markdown attr_list syntax).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

MANIFEST = "refs/manifest.yaml"
REFS_DIR = "refs"
SOURCES_DIR = "sources"
CARDS_DIR = "refs/resources"
TOPICS_DIR = "refs/topics"
FULLTEXT_NAME = "full.md"
RAW_DIR = "raw"

_KEEP_CATEGORIES = ("L", "M", "N")


def github_slug(text: str) -> str:
    """GitHub's slug of a heading's plain text (no de-duplication)."""
    out = []
    for ch in text.lower():
        if ch == " ":
            out.append("-")
        elif ch in "-_" or unicodedata.category(ch)[0] in _KEEP_CATEGORIES:
            out.append(ch)
    return "".join(out)


class Slugger:
    """Assigns unique anchors in document order, exactly as github-slugger does."""

    def __init__(self) -> None:
        self.occurrences: dict[str, int] = {}

    def slug(self, text: str) -> str:
        """The anchor of the next heading with plain text ``text``."""
        original = result = github_slug(text)
        while result in self.occurrences:
            self.occurrences[original] += 1
            result = f"{original}-{self.occurrences[original]}"
        self.occurrences[result] = 0
        return result

    def reserve(self, anchor: str) -> str:
        """Register an explicit id so later automatic slugs avoid it."""
        self.occurrences.setdefault(anchor, 0)
        return anchor


_INLINE_SYNTAX = re.compile(r"[*_`\[\]<>\\&!~]")
_md_parser: Any = None


def _inline_parser() -> Any:
    global _md_parser
    if _md_parser is None:
        from markdown_it import MarkdownIt

        _md_parser = MarkdownIt("gfm-like", {"linkify": False})
    return _md_parser


def _inline_text(tokens: list[Any]) -> str:
    out = []
    for tok in tokens:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif tok.type == "image":
            out.append(_inline_text(tok.children or []))
        elif tok.children:
            out.append(_inline_text(tok.children))
    return "".join(out)


def heading_plain_text(source: str) -> str:
    """Plain text of a heading's inline markdown, as GitHub renders it for the slug.

    Parsed with markdown-it (CommonMark + GFM): code spans keep their content verbatim;
    emphasis, strikethrough, links, HTML tags, entities and backslash escapes are reduced to
    their text, with CommonMark's flanking rules (``my_func`` keeps its underscores,
    ``__init__`` after a slash is bold). Plain headings take a fast path.
    """
    if not _INLINE_SYNTAX.search(source):
        return source.strip()
    tokens = _inline_parser().parseInline(source.strip())
    return _inline_text(tokens[0].children or []).strip() if tokens else ""


_PINNED = re.compile(r"\s*\{\s*#([^\s}]+)[^}]*\}\s*$")


def split_pinned_id(heading_source: str) -> tuple[str, str | None]:
    """Split a trailing ``{#id}`` (attr_list) off a heading's source text."""
    m = _PINNED.search(heading_source)
    if m:
        return heading_source[: m.start()], m.group(1)
    return heading_source, None


# --- library layout ---------------------------------------------------------------------------


def fulltext_rel(resource_id: str) -> str:
    """``sources/<id>/full.md`` relative to the library root."""
    return f"{SOURCES_DIR}/{resource_id}/{FULLTEXT_NAME}"


def card_rel(resource_id: str) -> str:
    """``refs/resources/<id>.md`` relative to the library root."""
    return f"{CARDS_DIR}/{resource_id}.md"


def topic_rel(stem: str) -> str:
    """``refs/topics/<stem>.md`` relative to the library root."""
    return f"{TOPICS_DIR}/{stem}.md"


def source_dir_rel(resource_id: str) -> str:
    """``sources/<id>`` relative to the library root."""
    return f"{SOURCES_DIR}/{resource_id}"


def raw_rel(resource_id: str, raw_entry: str) -> str:
    """A manifest ``raw`` entry (relative to ``sources/<id>/``) relative to the library root."""
    return posixpath.normpath(f"{SOURCES_DIR}/{resource_id}/{raw_entry}")


def is_safe_relative(path: str) -> bool:
    """True for a relative POSIX path that stays inside its base (no ``..``, no absolute)."""
    if not path or path.startswith(("/", "\\")) or "\\" in path or "\x00" in path:
        return False
    if re.match(r"^[A-Za-z]:", path):
        return False
    return ".." not in PurePosixPath(path).parts


def outside(path: Path, base: Path) -> bool:
    """True when ``path``, with every symbolic link followed, is not inside ``base`` (also for
    a link loop). Nothing outside the library root is read, converted or published."""
    try:
        path.resolve(strict=False).relative_to(base.resolve())
    except (ValueError, OSError, RuntimeError):
        return True
    return False


def fulltext_id(rel: str) -> str | None:
    """The resource id when ``rel`` (root-relative) is ``sources/<id>/full.md``."""
    parts = rel.split("/")
    if len(parts) == 3 and parts[0] == SOURCES_DIR and parts[2] == FULLTEXT_NAME:
        return parts[1]
    return None


# --- links ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkTarget:
    """Where a link in a library file points."""

    external: bool
    """A URL with a scheme (or ``//host``), or a ``mailto:``: not checked as a file."""
    rel: str | None
    """Root-relative POSIX path of the target file, ``None`` for external or same-page links."""
    fragment: str | None
    """The anchor after ``#`` (URL-decoded), if any."""
    escapes: bool = False
    """The path climbs above the library root."""


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def resolve_link(source_rel: str, target: str) -> LinkTarget:
    """Resolve a link written in the file ``source_rel`` (root-relative) to its target."""
    target = target.strip()
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1]
    if _SCHEME.match(target) or target.startswith("//"):
        return LinkTarget(True, None, None)
    parts = urlsplit(target)
    fragment = unquote(parts.fragment) if "#" in target else None
    path = unquote(parts.path)
    if not path:
        return LinkTarget(False, source_rel, fragment)
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source_rel), path)
    norm = posixpath.normpath(joined)
    if norm == ".." or norm.startswith("../"):
        return LinkTarget(False, None, fragment, escapes=True)
    if path.endswith("/") and norm != ".":
        norm += "/"
    return LinkTarget(False, norm, fragment)


def relative_link(from_rel: str, to_rel: str, fragment: str | None = None) -> str:
    """A relative link from file ``from_rel`` to ``to_rel`` (both relative to one base: the
    library root, or the site's docs folder for ``src_uri``s, which MkDocs resolves)."""
    link = posixpath.relpath(to_rel, posixpath.dirname(from_rel) or ".")
    if fragment:
        link += "#" + fragment
    return link


def to_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string."""
    return path.relative_to(root).as_posix()


# --- ids and site URLs ------------------------------------------------------------------------


def page_id(rel: str) -> str | None:
    """The id by which ``reflib find``/``show`` name a markdown file of the library.

    ``sources/<id>/full.md`` and ``refs/resources/<id>.md`` -> ``<id>`` (the resource id);
    ``refs/topics/<stem>.md`` -> ``<stem>``; any other ``refs/<path>.md`` -> ``<path>``
    without ``.md`` (e.g. ``implementation-context``). ``None`` for other files.
    """
    rid = fulltext_id(rel)
    if rid:
        return rid
    if rel.startswith(REFS_DIR + "/") and rel.endswith(".md"):
        inner = rel[len(REFS_DIR) + 1: -3]
        for folder in (CARDS_DIR, TOPICS_DIR):
            prefix = folder[len(REFS_DIR) + 1:] + "/"
            if inner.startswith(prefix) and "/" not in inner[len(prefix):]:
                return inner[len(prefix):]
        return inner
    return None


def site_url_for(rel: str) -> str:
    """The URL of a library file's page in the built site, relative to the site root.

    MkDocs' directory URLs of the file's :func:`site_src_uri` (``refs/`` is the docs folder):

    - ``refs/X.md`` -> ``X/``; ``refs/index.md`` -> ``''``; ``refs/d/index.md`` -> ``d/``
      (so a card ``refs/resources/<id>.md`` -> ``resources/<id>/``);
    - ``sources/<id>/full.md`` -> ``sources/<id>/`` (the page the plugin adds for a full text);
    - a raw artifact -> its published file (see :func:`site_raw_uri`);
    - anything unpublished -> ``rel`` unchanged.

    The page the plugin generates for a manifest entry without a card lives at the card's
    URL, :func:`resource_page_url`.
    """
    uri = site_src_uri(rel)
    if uri is None:
        return rel
    if not uri.endswith(".md"):
        return uri
    stem = uri[:-3]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def resource_page_url(resource_id: str) -> str:
    """Site URL of a resource's page: its card, or the generated page when it has none."""
    return site_url_for(card_rel(resource_id))


def markdown_url_for(rel: str) -> str:
    """URL, relative to the site root, of the markdown source of a library file.

    ``refs/X.md`` -> ``X.md``; ``sources/<id>/full.md`` -> ``sources/<id>/full.md``. This is
    what ``llms.txt`` links to: the site must publish the markdown files at these paths
    (the files under ``refs/`` keep their path inside the docs folder).
    """
    if rel.startswith(REFS_DIR + "/"):
        return rel[len(REFS_DIR) + 1:]
    return rel


# --- the site -----------------------------------------------------------------------------
#
# The site's docs folder is ``refs/``; the plugin adds pages and files for everything else.
# These functions map a root-relative library path to its ``src_uri`` in the site (a path
# relative to the docs folder, as MkDocs names files), so any generator agrees on the layout:
#
# ``refs/<path>``                  -> ``<path>``
# ``sources/<id>/full.md``          -> ``sources/<id>/index.md``   (served at ``sources/<id>/``)
# ``sources/<id>/raw/<file>``       -> ``sources/<id>/raw/<file>[.txt]``
#
# Raw artifacts are untrusted: a browser must never run them as active content from the
# site's origin. Only passive formats keep their name; every other file (html, svg, xhtml,
# xml, markdown, code, ...) is published with ``.txt`` appended, so it is served as plain text.

SITE_FULLTEXT_NAME = "index.md"
PASSIVE_RAW_SUFFIXES = frozenset({
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".json", ".txt", ".csv", ".tsv",
})
"""Raw artifact suffixes published as they are; any other file gets ``.txt`` appended."""


def site_fulltext_uri(resource_id: str) -> str:
    """``sources/<id>/index.md``: the site page of a full text."""
    return f"{SOURCES_DIR}/{resource_id}/{SITE_FULLTEXT_NAME}"


def site_resource_uri(resource_id: str) -> str:
    """``resources/<id>.md``: the site page of a resource (its card or a generated page)."""
    return posixpath.relpath(card_rel(resource_id), REFS_DIR)


def site_raw_uri(rel: str) -> str:
    """The published ``src_uri`` of a raw artifact ``sources/<id>/raw/...`` (root-relative)."""
    suffix = PurePosixPath(rel).suffix.lower()
    return rel if suffix in PASSIVE_RAW_SUFFIXES else rel + ".txt"


def site_fulltext_id(src_uri: str) -> str | None:
    """The resource id when ``src_uri`` is a full-text page ``sources/<id>/index.md``."""
    parts = src_uri.split("/")
    if len(parts) == 3 and parts[0] == SOURCES_DIR and parts[2] == SITE_FULLTEXT_NAME:
        return parts[1]
    return None


def site_src_uri(rel: str) -> str | None:
    """The site ``src_uri`` of a root-relative library path, or ``None`` when unpublished."""
    if rel.startswith(REFS_DIR + "/"):
        return rel[len(REFS_DIR) + 1:]
    rid = fulltext_id(rel)
    if rid:
        return site_fulltext_uri(rid)
    parts = rel.split("/")
    if len(parts) >= 4 and parts[0] == SOURCES_DIR and parts[2] == RAW_DIR:
        return site_raw_uri(rel)
    return None


def site_rewrite_link(source_rel: str, target: str) -> str | None:
    """Rewrite a link written in library file ``source_rel`` for the site.

    Returns the link relative to the page's ``src_uri`` that reaches the same target in the
    site (a full text's ``sources/<id>/index.md``, a card, a raw artifact), or ``None`` when
    the link needs no change (external, same page, or already inside ``refs/``).
    """
    from_uri = site_src_uri(source_rel)
    if from_uri is None:
        return None
    resolved = resolve_link(source_rel, target)
    if resolved.external or resolved.escapes or resolved.rel is None:
        return None
    if resolved.rel == source_rel:
        return None
    rel = resolved.rel.rstrip("/")
    to_uri = site_src_uri(rel)
    if to_uri is None:
        return None
    if rel.startswith(REFS_DIR + "/") and source_rel.startswith(REFS_DIR + "/"):
        return None
    return relative_link(from_uri, to_uri, resolved.fragment)
