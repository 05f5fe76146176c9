"""Scaffolds for authors and agents: a draft card, a topic, a new library repository.

Every scaffold is rendered from a Jinja2 template under ``templates/scaffold/`` in the
package, which a library overrides by putting a file of the same name under
``.reflib/templates/scaffold/``. Rendering is pure (text in, text out); :func:`create_new`
writes a file atomically and never replaces an existing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reflib import __version__
from reflib.core import paths
from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_create
from reflib.core.model import Library
from reflib.core.schema import TOPIC_PATTERN, TOPIC_SECTIONS
from reflib.core.templates import render
from reflib.workflow import install_source

SECTION_HINTS = {
    "Mental model": "The picture to hold in your head, in a few short paragraphs.",
    "Key concepts": "Terms and mechanisms, one bullet each, with evidence links.",
    "Cross-resource agreement and disagreement":
        "Where the resources agree, where they contradict each other, and why.",
    "Practical checklist": "What to do or verify in our own work: - [ ] items.",
    "Experiments to run": "Measurements that would settle an open question here.",
}

INIT_FILES = {
    "mkdocs.yml": "scaffold/init/mkdocs.yml.j2",
    paths.MANIFEST: "scaffold/init/manifest.yaml.j2",
    ".github/workflows/library.yml": "scaffold/init/library.yml.j2",
    ".pre-commit-config.yaml": "scaffold/init/pre-commit-config.yaml.j2",
    "README.md": "scaffold/init/README.md.j2",
    ".gitignore": "scaffold/init/gitignore.j2",
}
"""Files of a new library and their templates; folders get a ``.gitkeep`` (:data:`INIT_DIRS`)."""

INIT_DIRS = (paths.CARDS_DIR, paths.TOPICS_DIR, paths.SOURCES_DIR)

def _link_label(text: str) -> str:
    label = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return _comment_safe(label)


def _comment_safe(text: str) -> str:
    """Text that cannot end (or open) the HTML comment it is placed in."""
    return text.replace("-->", "-- >").replace("<!--", "< !--")


@dataclass
class HeadingLink:
    """A heading of a full text as an evidence link from a card."""

    level: int
    text: str
    anchor: str
    label: str
    link: str
    depth: int = 0
    """Nesting below the shallowest heading of the full text (0 for the shallowest)."""


def card_text(lib: Library, resource_id: str, drafted_by: str | None = None) -> str:
    """The draft card of ``resource_id``, with the headings of its full text as links.

    Raises :class:`ReflibError` when the id is unknown or the resource has no full text.
    """
    res = lib.resources.get(resource_id)
    if res is None:
        raise ReflibError(f"no resource '{resource_id}' in the manifest")
    full = res.fulltext
    if full is None:
        raise ReflibError(f"'{resource_id}' has no full text {paths.fulltext_rel(resource_id)} "
                          f"(status {res.status}); convert it first: reflib convert {resource_id}")
    card = paths.card_rel(resource_id)
    top = min((h.level for h in full.headings), default=1)
    headings = [
        HeadingLink(h.level, h.text, h.anchor, _link_label(h.text or h.anchor),
                    _comment_safe(paths.relative_link(card, full.rel, h.anchor)),
                    h.level - top)
        for h in full.headings
    ]
    return render(
        lib.root, "scaffold/card.md.j2",
        id=resource_id, title=res.title, type=res.type, url=res.url,
        drafted_by=drafted_by, headings=headings,
        fulltext_rel=full.rel, fulltext_link=paths.relative_link(card, full.rel),
        status=res.status, version=__version__,
    )


def default_topic_title(stem: str) -> str:
    """``01-pipeline-parallelism`` -> ``Pipeline parallelism``."""
    words = stem.split("-", 1)[1].replace("-", " ") if "-" in stem else stem
    return words[:1].upper() + words[1:]


def topic_text(root: Path | None, stem: str, title: str | None = None) -> str:
    """A topic page with the five synthesis sections. Raises :class:`ReflibError` for a
    name that is not ``NN-slug``."""
    if not re.match(TOPIC_PATTERN, stem):
        raise ReflibError(f"topic name '{stem}' must look like NN-slug, e.g. 01-{stem}"
                          if not stem[:2].isdigit() else
                          f"topic name '{stem}' must look like NN-slug (two digits, a dash, "
                          f"then lowercase letters, digits and dashes)")
    sections = [{"title": s, "hint": SECTION_HINTS.get(s, "")} for s in TOPIC_SECTIONS]
    return render(root, "scaffold/topic.md.j2", stem=stem,
                  title=title or default_topic_title(stem), sections=sections)


def default_install_spec() -> str:
    """What CI passes to ``pip install`` to get the running reflib: where it was installed
    from (see :mod:`reflib.workflow.install_source`)."""
    return install_source.detect().spec


def init_files(root: Path | None, site_name: str, install_spec: str | None = None
               ) -> dict[str, str]:
    """The files of a new library (relative path -> text)."""
    context = {"site_name": site_name, "install_spec": install_spec or default_install_spec(),
               "version": __version__}
    return {rel: render(root, name, **context) for rel, name in INIT_FILES.items()}


def create_new(path: Path, text: str) -> None:
    """Write ``text`` to a new file at ``path`` atomically; ``FileExistsError`` if it exists."""
    atomic_create(path, text)
