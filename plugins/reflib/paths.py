"""The one module that owns paths, URLs and anchors.

Everything that turns a heading into an anchor, a resource id into a file, or a relative link
into a target goes through here, so the checker, the site, the converters and the CLI agree.

Anchors follow GitHub's rules (github-slugger): the heading's rendered text, lower-cased, with
everything but letters, marks, numbers, ``_``, ``-`` and spaces removed, and each space turned
into ``-``; a repeated slug gets ``-1``, ``-2`` ... in document order. A heading may pin its own
id with a trailing ``{#id}`` (Python-Markdown attr_list syntax).
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
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
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]*)\]\[[^\]]*\]")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPH = re.compile(r"(\*{1,3}|_{1,3}|~~)(?=\S)(.+?)(?<=\S)\1(?![A-Za-z0-9])", re.S)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def heading_plain_text(source: str) -> str:
    """Plain text of a heading's inline markdown, as GitHub renders it for the slug.

    Code spans keep their content verbatim; emphasis, links, images, HTML tags and backslash
    escapes are reduced to their text. Intra-word underscores (``my_func``) are kept.
    """
    if not _INLINE_SYNTAX.search(source):
        return source.strip()
    spans: list[str] = []

    def keep_code(m: re.Match[str]) -> str:
        spans.append(m.group(2).strip() if m.group(2).strip() else m.group(2))
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE_SPAN.sub(keep_code, source)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    for _ in range(3):
        new = _EMPH.sub(lambda m: m.group(2), text)
        if new == text:
            break
        text = new
    text = _ESCAPE.sub(lambda m: m.group(1), text)
    text = html.unescape(text)
    text = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)
    return text.strip()


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
    """A relative link from file ``from_rel`` to ``to_rel`` (both root-relative)."""
    link = posixpath.relpath(to_rel, posixpath.dirname(from_rel) or ".")
    if fragment:
        link += "#" + fragment
    return link


def to_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string."""
    return path.relative_to(root).as_posix()
