"""Material's navigation rendered once per distinct output, not once per page.

Material renders the whole navigation into every page (``partials/nav.html`` calling the
``render`` macro of ``partials/nav-item.html`` for every item, recursively), so a site with
N pages in its navigation costs N x N item renders. But an item whose subtree does not hold
the current page (it is not ``active``) renders the same HTML on every page, except for its
links, which the ``url`` filter makes relative to the page's URL.

:class:`NavMemo` patches the two call sites of that macro (in memory, only in Material's own
templates: a theme override of either file is left alone) so each item goes through
:meth:`NavMemo.render_item`, which returns the stored HTML of an inactive item when the same
item, at the same place in the tree, was already rendered for a page whose relative links to
the item's targets are the same. Only the active chain (the current page and its sections,
with the page's table of contents) is rendered for each page. The output is byte-identical
(``tests/test_navcache.py`` builds a library both ways and compares every file).

When two pages give the same links: :func:`mkdocs.utils.get_relative_url` makes a target's
link from the page's folder parts ``P`` and the target's parts ``T``: ``..`` for each part of
``P`` after their common prefix, then the rest of ``T``. So for all targets of one subtree the
links are fixed by ``len(P)`` and the longest prefix of ``P`` that is a prefix of some target:
that pair (:meth:`NavMemo._link_key`) is the cache key's page part. Pages in the same folder
depth whose folders share no prefix with the subtree's targets (every full text against the
resources section) share one rendering.

Nothing here imports MkDocs; Jinja2 and the theme's loader are all it uses.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

GLOBAL = "reflib_nav_item"
PATCHES = {
    "partials/nav-item.html": (
        '{{ render(item, path ~ "_" ~ loop.index, level + 1, nav_item) }}',
        '{{ ' + GLOBAL + '(render, item, path ~ "_" ~ loop.index, level + 1, nav_item) }}'),
    "partials/nav.html": (
        "{{ item.render(nav_item, path, 1) }}",
        "{{ " + GLOBAL + "(item.render, nav_item, path, 1) }}"),
}
"""Template name -> (Material's call of the item macro, the same call through the memo)."""

_MISSING = object()


def _material_templates() -> Path | None:
    try:
        import material
    except ImportError:  # pragma: no cover - Material is a dependency
        return None
    return Path(material.__file__).resolve().parent / "templates"


def _norm_parts(path: str) -> tuple[str, ...]:
    """As ``mkdocs.utils._norm_parts``: normalized parts, ``..`` above the root dropped."""
    if not path.startswith("/"):
        path = "/" + path
    path = posixpath.normpath(path)[1:]
    return tuple(path.split("/")) if path else ()


def _target_parts(url: str) -> tuple[str, ...] | None:
    """The parts a relative link to ``url`` is made from; ``None`` when the ``url`` filter
    returns it unchanged (absolute URLs, ``/paths``, ``#fragments``)."""
    path = url or "."
    parsed = urlsplit(path)
    if parsed.scheme or parsed.netloc or path.startswith(("/", "#")):
        return None
    return _norm_parts(path.replace("\\", "/"))


class _ItemInfo:
    """What the rendering of one navigation item depends on besides the page."""

    __slots__ = ("cacheable", "prefixes")

    def __init__(self, item: Any) -> None:
        self.prefixes: set[tuple[str, ...]] = set()
        self.cacheable = True
        stack = [item]
        while stack:
            node = stack.pop()
            if getattr(node, "pages", None):
                # Material's blog views render the current page in place of the view
                self.cacheable = False
            url = getattr(node, "url", None)
            if isinstance(url, str):
                parts = _target_parts(url)
                if parts is not None:
                    self.prefixes.update(parts[:j] for j in range(len(parts) + 1))
            stack.extend(getattr(node, "children", None) or ())


class NavMemo:
    """Rendered navigation items of one build, shared between the pages that render alike."""

    def __init__(self) -> None:
        self.pieces: dict[tuple[Any, ...], Any] = {}
        self.items: dict[int, tuple[Any, _ItemInfo]] = {}
        self.page_parts: dict[str, tuple[str, ...]] = {}
        self.hits = 0
        self.misses = 0
        self.installed = False

    def install(self, env: jinja2.Environment) -> bool:
        """Route Material's item renders in ``env`` through the memo; False (and ``env``
        unchanged) when the theme's navigation templates are not Material's own."""
        material = _material_templates()
        loader = env.loader
        if material is None or loader is None:
            return False
        patched: dict[str, str] = {}
        for name, (old, new) in PATCHES.items():
            try:
                source, filename, _ = loader.get_source(env, name)
            except jinja2.TemplateNotFound:
                return False
            if filename is None or Path(filename).resolve() != material / name \
                    or source.count(old) != 1:
                return False
            patched[name] = source.replace(old, new)
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader(patched), loader])
        render_item = self.render_item

        @jinja2.pass_context
        def memoized(context: Any, *args: Any) -> Any:
            return render_item(context, *args)

        env.globals[GLOBAL] = memoized
        self.installed = True
        return True

    def render_item(self, context: Any, render: Callable[..., Any], item: Any, path: str,
                    level: int, parent: Any = _MISSING) -> Any:
        """``render(item, path, level, parent)``, from the memo when the item is inactive."""
        args = (item, path, level) if parent is _MISSING else (item, path, level, parent)
        if getattr(item, "active", False):
            return render(*args)
        entry = self.items.get(id(item))
        if entry is None or entry[0] is not item:
            entry = self.items[id(item)] = (item, _ItemInfo(item))
        info = entry[1]
        if not info.cacheable:
            return render(*args)
        key = (id(item), path, level, bool(getattr(parent, "active", False)),
               self._link_key(context, info.prefixes))
        out = self.pieces.get(key)
        if out is None:
            self.misses += 1
            out = self.pieces[key] = render(*args)
        else:
            self.hits += 1
        return out

    def _link_key(self, context: Any, prefixes: set[tuple[str, ...]]) -> tuple[Any, ...]:
        """What the links inside an item with these target prefixes depend on (see the
        module docstring)."""
        page = context.get("page")
        if page is None:
            return ("base", context.get("base_url"))
        url = page.url
        parts = self.page_parts.get(url)
        if parts is None:
            dirname, _, basename = url.rpartition("/")
            parts = self.page_parts[url] = _norm_parts(dirname if "." in basename else url)
        for j in range(len(parts), 0, -1):
            if parts[:j] in prefixes:
                return (len(parts), parts[:j])
        return (len(parts), ())


__all__ = ["NavMemo"]
