"""The ``reflib`` plugin's options (MkDocs configuration); :func:`site_options` gives the
engine-independent :class:`~reflib.site.build.SiteOptions`."""

from __future__ import annotations

from dataclasses import fields

from mkdocs.config import base
from mkdocs.config import config_options as c

from reflib.core import history as githistory
from reflib.site.build import SiteOptions


class ReflibConfig(base.Config):
    """Options of the ``reflib`` plugin (all optional)."""

    root = c.Optional(c.Type(str))
    """The library root (the folder holding ``refs/manifest.yaml``). Default: the parent of
    ``docs_dir``, which must be the library's ``refs/`` folder."""

    index = c.Type(bool, default=True)
    """Generate the library index as the home page (``index.md``) unless ``refs/index.md``
    exists: every resource with its badges, filterable and sortable."""

    index_title = c.Type(str, default="Library")
    """Title of the generated index page."""

    dashboard = c.Type(bool, default=True)
    """Generate ``dashboard.md``: counts per status by priority and phase, progress per
    tier, the queue of next work, cards awaiting review and a burn-down chart."""

    history = c.Type(bool, default=True)
    """Draw the dashboard's burn-down chart from the git history of ``refs/manifest.yaml``."""

    history_max_commits = c.Type(int, default=githistory.MAX_COMMITS)
    """How many of the newest commits of the manifest the burn-down chart reads."""

    publish_raw = c.Type(bool, default=True)
    """Publish the raw artifacts under ``sources/<id>/raw/``. Only passive formats (pdf,
    images, json, txt, csv) keep their name; html, svg, xml and every other file is published
    with ``.txt`` appended, so the site never serves them as active content."""

    nav_by_type = c.Type(bool, default=True)
    """In the generated navigation (used only when ``mkdocs.yml`` has no ``nav``), group
    resources by type; otherwise list them alphabetically."""

    checks = c.Choice(("links", "all", "none"), default="all")
    """Which ``reflib check`` rules run during the build, each finding a warning naming
    file and line (so ``mkdocs build --strict`` fails): ``all`` (every rule of ``reflib
    check`` but ``--external``: a strict build fails exactly when ``reflib check`` does),
    ``links`` (links, anchors, evidence, quotes, approvals, and the manifest's keys and
    values; not statuses, front matter or raw-file hashes), or ``none``. The dashboard's
    Problems panel lists the findings."""

    exports = c.Type(bool, default=True)
    """Write ``catalog.json`` and ``llms.txt`` at the site root (see :mod:`reflib.lookup.export`),
    and publish the markdown source of every card, topic, doc and full text next to its page
    (``llms.txt`` links to those)."""

    sanitize = c.Type(bool, default=True)
    """Sanitize the HTML of every library page (no script, event handlers or
    ``javascript:`` URLs). Keep it on: full texts come from the web."""

    search = c.Choice(("pagefind", "material", "none"), default="pagefind")
    """Site search. ``pagefind`` (default): after the build, Pagefind indexes cards, topics,
    docs and full texts (the article only, not the site chrome) with filters for kind, type,
    status, priority and topic, and a search button in the header opens it; Material's
    ``search`` plugin, when listed, is set aside (an info message says so; strict builds
    still pass). Needs ``pip install 'pagefind[bin]'``. ``material``: keep Material's lunr
    search, with full texts excluded from it (its single index would hold every full text).
    ``none``: no search."""

    search_sections = c.Type(bool, default=True)
    """With Pagefind: index each section of a page (cut at its ``h2``-``h6`` headings) as a
    result of its own, so a lookup finds the section rather than a long page; the sections
    below the cut show as sub-results. ``false`` indexes whole pages (results grouped per
    page, the sections as sub-results)."""

    search_records = c.Type(int, default=6000)
    """With ``search_sections``: the most records the Pagefind index may hold. Each costs
    the indexer about 50 KB of memory, so when the library's headings would make more, pages
    are cut at fewer levels (``h2``-``h3``, ..., only ``h2``, then whole pages; an info
    message says which). The default keeps the indexer within about 300 MB of what whole
    pages need."""

    nav_cache = c.Type(bool, default=True)
    """Render each item of Material's navigation once per distinct output instead of once
    per page: an item whose section does not hold the current page renders alike on every
    page with the same relative links to it, so its stored HTML is reused (see
    :mod:`reflib.engines.mkdocs.navcache`). The pages are byte-identical either way; with a large library
    the navigation is most of the build time. Applies only when the theme's
    ``partials/nav.html`` and ``partials/nav-item.html`` are Material's own."""

    workers = c.Type(int, default=0)
    """Processes that render full texts with Python-Markdown while the build goes on (see
    :mod:`reflib.engines.mkdocs.renderpool`); the pages are byte-identical to rendering them in the build
    process. ``0`` (default): one per CPU (up to 4) when the full texts add up to 2 MB or
    more; ``1``: none."""

    cache = c.Type(bool, default=True)
    """Under ``mkdocs serve``, keep rendered pages between rebuilds and re-render only pages
    whose inputs changed (their markdown, the backlinks and evidence previews they show, the
    configuration); a page whose output would not change is not written again. Unchanged
    library files are not re-read. Rendered pages, the pages written and the search input
    are also kept on disk, in ``.cache/reflib/build/`` of the library (keep it out of git),
    so that a fresh build or ``mkdocs serve`` starts warm: an unchanged page is neither
    rendered nor written again, and an unchanged search index is not rebuilt."""


def site_options(config: ReflibConfig) -> SiteOptions:
    """The options that shape the site, as the site layer takes them."""
    return SiteOptions(**{f.name: config[f.name] for f in fields(SiteOptions)})
