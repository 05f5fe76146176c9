"""The site's generated pages, as markdown: resource pages and headers, full-text headers,
topic listings, the library index and the dashboard; plus backlinks and evidence previews.

Plain functions over the model that return markdown (with small HTML blocks that
``md_in_html`` renders): the MkDocs plugin is one consumer, and the same pages can be written
to disk for another generator. Every link is relative between site ``src_uri``s (see
:mod:`reflib.core.paths`), so the generator resolves it to a URL. Markdown and HTML come from the
Jinja2 templates under ``templates/site/`` (overridable from ``.reflib/templates/site/``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from reflib.checks.check import Finding
from reflib.core import approval, evidence, paths, progress, templates
from reflib.core.history import Snapshot
from reflib.core.model import KIND_CARD, Document, Library, Resource
from reflib.core.schema import LOW_COVERAGE, PRIORITIES, STATUSES, TYPES
from reflib.site.chart import burndown_svg
from reflib.site.sitecache import digest

INDEX_URI = "index.md"
DASHBOARD_URI = "dashboard.md"
CHART_PLACEHOLDER = '<div class="reflib-chart" data-reflib-chart="burndown"></div>'
PREVIEW_CHARS = 600
MAX_RAW_LISTED = 200
MAX_PROBLEMS = 500
"""The dashboard's Problems panel lists at most this many findings (and says how many more)."""

STATUS_LABELS = {
    "link_only": "link only",
    "fetched": "fetched",
    "converted": "converted",
    "condensed": "condensed",
}
REVIEW_LABELS = {"draft": "draft card", "approved": "approved"}


# --- escaping ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]>|#!~{}])")


def md_escape(text: Any) -> str:
    """``text`` as literal inline markdown (safe in a table cell and in link text). ``<`` is
    written as an entity: Python-Markdown does not treat ``\\<`` as an escape, so a
    backslash would show."""
    value = " ".join(str(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", value)


def attr(text: Any) -> str:
    """``text`` escaped for an HTML attribute value or element text."""
    return html.escape(str(text), quote=True)


# --- badges -----------------------------------------------------------------------------


def badge(key: str, value: str, label: str | None = None, title: str | None = None) -> str:
    """One badge: ``<span class="reflib-badge reflib-badge--<key> reflib-<key>--<value>">``.

    ``data-reflib-key``/``data-reflib-value`` let the index filter rows without a server.
    """
    safe = re.sub(r"[^a-z0-9_-]+", "-", value.lower()) or "none"
    tip = f' title="{attr(title)}"' if title else ""
    return (f'<span class="reflib-badge reflib-badge--{key} reflib-{key}--{safe}" '
            f'data-reflib-key="{key}" data-reflib-value="{attr(value)}"{tip}>'
            f'{attr(label if label is not None else value)}</span>')


def status_badges(res: Resource) -> str:
    """The status badge, and the review badge when the resource has a card."""
    out = [badge("status", res.status, STATUS_LABELS.get(res.status, res.status),
                 f"status: {res.status}")]
    if res.review:
        out.append(badge("review", res.review, REVIEW_LABELS.get(res.review, res.review),
                         f"card review: {res.review}"))
    return " ".join(out)


def all_badges(res: Resource) -> str:
    """Status, review, type, priority and phase badges."""
    out = [status_badges(res), badge("type", res.type),
           badge("priority", res.priority, f"{res.priority} priority")]
    if res.phase is not None:
        out.append(badge("phase", str(res.phase), f"phase {res.phase}"))
    return " ".join(out)


def nav_status(res: Resource) -> str:
    """The Material page ``status`` of a resource's pages (see :data:`NAV_STATUSES`)."""
    if res.status == "condensed":
        return "reflib-condensed"
    if res.review == "draft":
        return "reflib-draft"
    return f"reflib-{res.status.replace('_', '-')}"


NAV_STATUSES = {
    "reflib-link-only": "link only: not fetched yet",
    "reflib-fetched": "fetched: raw artifacts saved",
    "reflib-converted": "converted: full text available",
    "reflib-draft": "draft card awaiting review",
    "reflib-condensed": "condensed: approved card",
}
"""Material ``extra.status`` entries: page status -> tooltip."""


# --- site data: raw files, backlinks, previews ---------------------------------------------


@dataclass
class Backlink:
    """A claim or topic passage citing a heading of a full text."""

    label: str
    source_rel: str
    anchor: str
    kind: str


PreviewMemo = dict[tuple[str, str], tuple[Document, "tuple[str, str] | None"]]
"""``(resource id, anchor)`` -> (the full text it was made from, the preview)."""


@dataclass
class SiteData:
    """What the site derives from the model once per build."""

    lib: Library
    backlinks: dict[tuple[str, str], list[Backlink]] = field(default_factory=dict)
    """``(resource id, anchor)`` -> who cites that heading."""
    _lines: dict[str, list[str]] = field(default_factory=dict)
    _by_rid: dict[str, list[Any]] | None = None
    previews: PreviewMemo = field(default_factory=dict)
    """Evidence previews already made, kept across builds by a long-running caller."""

    @classmethod
    def build(cls, lib: Library, previews: PreviewMemo | None = None) -> SiteData:
        """``previews`` (kept by the caller between builds, e.g. ``mkdocs serve``) holds
        previews made before; one is used again while its full text is the same
        :class:`Document` object (:func:`~reflib.core.model.load` keeps unchanged files')."""
        data = cls(lib, previews=previews if previews is not None else {})
        fulltexts = lib.fulltexts
        for key in [k for k, v in data.previews.items() if fulltexts.get(k[0]) is not v[0]]:
            del data.previews[key]
        for doc in lib.documents.values():
            for claim in doc.claims:
                for link in claim.citations:
                    target = paths.resolve_link(doc.rel, link.target)
                    rid = paths.fulltext_id(target.rel or "")
                    if not rid or not target.fragment:
                        continue
                    items = data.backlinks.setdefault((rid, target.fragment), [])
                    label = _backlink_label(lib, doc, claim.number, claim.text)
                    entry = Backlink(label, doc.rel, claim.anchor, doc.kind)
                    if not any(b.source_rel == entry.source_rel and b.anchor == entry.anchor
                               for b in items):
                        items.append(entry)
        return data

    def backlinks_of(self, rid: str) -> list[Any]:
        """Every backlink into full text ``rid``, as plain values (a cache key part)."""
        if self._by_rid is None:
            self._by_rid = {}
            for (target, anchor), items in sorted(self.backlinks.items()):
                self._by_rid.setdefault(target, []).append(
                    [anchor, [[b.label, b.source_rel, b.anchor, b.kind] for b in items]])
        return self._by_rid.get(rid, [])

    def file_lines(self, doc: Document) -> list[str]:
        if doc.rel not in self._lines:
            try:
                self._lines[doc.rel] = doc.read_text().split("\n")
            except (OSError, UnicodeDecodeError):
                self._lines[doc.rel] = []
        return self._lines[doc.rel]

    def preview(self, rid: str, anchor: str) -> tuple[str, str] | None:
        """``(heading text, plain text of the section)`` of a full text's heading."""
        doc = self.lib.fulltexts.get(rid)
        if doc is None:
            return None
        known = self.previews.get((rid, anchor))
        if known is not None and known[0] is doc:
            return known[1]
        result = self._preview(doc, anchor)
        self.previews[(rid, anchor)] = (doc, result)
        return result

    def _preview(self, doc: Document, anchor: str) -> tuple[str, str] | None:
        lines = self.file_lines(doc)
        found = evidence.passage(lines, doc.scan, anchor)
        if found is None:
            return None
        text = evidence.plain_text("\n".join(lines[found.start:found.end]))
        if len(text) > PREVIEW_CHARS:
            text = text[:PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
        return found.title, text

    def quote_preview(self, rid: str, anchor: str,
                      quote: str) -> tuple[str, str, int, int] | None:
        """``(heading, text, start, end)``: a window of the cited passage's plain text
        around ``quote``, which is ``text[start:end]``; ``None`` when the quote is not in
        the passage (the checker reports that)."""
        doc = self.lib.fulltexts.get(rid)
        if doc is None:
            return None
        lines = self.file_lines(doc)
        found = evidence.passage(lines, doc.scan, anchor)
        if found is None:
            return None
        text = evidence.plain_text("\n".join(lines[found.start:found.end]))
        span = evidence.locate(text, quote)
        if span is None:
            return None
        start, end = span
        context = max(0, (PREVIEW_CHARS - (end - start)) // 2)
        lo = 0 if start <= context else text.rfind(" ", 0, start - context) + 1
        hi = min(len(text), end + context)
        if hi < len(text):
            cut = text.rfind(" ", end, hi)
            hi = cut if cut > end else hi
        window = ("… " if lo else "") + text[lo:hi] + (" …" if hi < len(text) else "")
        shift = (2 if lo else 0) - lo
        return found.title, window, start + shift, end + shift


def _backlink_label(lib: Library, doc: Document, number: int | None, text: str) -> str:
    if doc.kind == KIND_CARD:
        res = lib.resources.get(doc.stem)
        name = res.title if res else doc.title
        return f"{name} — claim {number}" if number is not None else f"{name} — {text}"
    return f"{doc.title} — {text}" if text and text != doc.title else doc.title


def raw_files(lib: Library, res: Resource) -> list[str]:
    """Root-relative paths of the raw files of ``res`` that exist, directories expanded.

    Unsafe entries, dotfiles and anything resolving outside ``sources/<id>/`` (symlinks)
    are left out.
    """
    folder = (lib.root / paths.source_dir_rel(res.id)).resolve()
    out: list[str] = []
    for entry in res.raw:
        if not paths.is_safe_relative(entry):
            continue
        target = lib.root / paths.raw_rel(res.id, entry)
        candidates = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() \
            else ([target] if target.is_file() else [])
        for path in candidates:
            if any(part.startswith(".") for part in path.relative_to(target.parent).parts):
                continue
            try:
                path.resolve().relative_to(folder)
            except ValueError:
                continue
            rel = paths.to_posix(path, lib.root)
            if rel not in out:
                out.append(rel)
    return out


# --- templates ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _env(root: Path | None) -> jinja2.Environment:
    """One environment per library root (compiled templates are kept; Jinja reloads a
    template whose file changed)."""
    env = templates.environment(root)
    env.filters["md"] = md_escape
    env.filters["attr"] = attr
    env.filters["command"] = command_html
    return env


def command_html(text: str) -> str:
    """A shell command as inline HTML code whose words never break inside (a narrow screen
    wraps ``reflib review my-id --approve`` between words, not at a word's hyphens)."""
    words = str(text).split(" ")
    inner = " ".join(f'<span class="reflib-word">{html.escape(w)}</span>' for w in words)
    return f'<code class="reflib-command">{inner}</code>'


class RenderMemo:
    """Generated markdown kept across the builds of one ``mkdocs serve``, by a digest of
    what it shows: a resource's header is rendered again only when the resource's manifest
    entry, review, files or topics changed. :meth:`begin` starts a build (entries the
    previous build did not use are dropped)."""

    def __init__(self) -> None:
        self.previous: dict[str, str] = {}
        self.current: dict[str, str] = {}

    def begin(self) -> None:
        self.previous, self.current = self.current, {}

    def get(self, key: str, make: Callable[[], str]) -> str:
        value = self.current.get(key)
        if value is None:
            value = self.previous.get(key)
            if value is None:
                value = make()
            self.current[key] = value
        return value


class Pages:
    """Renders the generated pages of one library (with ``memo``, skipping the rendering of
    resource headers, resource pages and topic listings whose inputs are unchanged)."""

    def __init__(self, lib: Library, site: SiteData | None = None,
                 memo: RenderMemo | None = None) -> None:
        self.lib = lib
        self.site = site or SiteData.build(lib)
        self.env = _env(lib.root)
        self._raw: dict[str, list[str]] = {}
        # templates overridden by the library may read anything: no memo then
        overrides = lib.root / templates.OVERRIDE_DIR / "site"
        self.memo = memo if memo is not None and not overrides.is_dir() else None
        self._inputs: dict[str, Any] = {}

    def _memo(self, make: Callable[[], str], *key: Any) -> str:
        if self.memo is None:
            return make()
        return self.memo.get(digest(*key), make)

    def _resource_inputs(self, res: Resource) -> Any:
        """Everything the package's templates show about ``res`` (a memo key part)."""
        if res.id not in self._inputs:
            topics = [(stem, topic.title if (topic := self.lib.topics.get(stem)) else None)
                      for stem in res.topics]
            self._inputs[res.id] = [res.entry.data, res.review, res.fulltext is not None,
                                    res.card is not None, topics, self.raw_files(res)]
        return self._inputs[res.id]

    def raw_files(self, res: Resource) -> list[str]:
        """:func:`raw_files` of ``res``, listed once per :class:`Pages`."""
        if res.id not in self._raw:
            self._raw[res.id] = raw_files(self.lib, res)
        return self._raw[res.id]

    def _render(self, name: str, **context: Any) -> str:
        return self.env.get_template(f"site/{name}").render(**context)

    def _link(self, from_uri: str, to_uri: str, fragment: str | None = None) -> str:
        return paths.relative_link(from_uri, to_uri, fragment)

    def _topic_links(self, res: Resource, from_uri: str) -> list[dict[str, str]]:
        out = []
        for stem in res.topics:
            topic = self.lib.topics.get(stem)
            title = topic.title if topic else stem
            href = self._link(from_uri, paths.site_src_uri(paths.topic_rel(stem)) or "") \
                if topic else ""
            out.append({"stem": stem, "title": title, "href": href})
        return out

    def _raw_links(self, res: Resource, from_uri: str) -> list[dict[str, str]]:
        out = []
        base = paths.source_dir_rel(res.id) + "/"
        for rel in self.raw_files(res)[:MAX_RAW_LISTED]:
            out.append({"name": rel[len(base):],
                        "href": self._link(from_uri, paths.site_raw_uri(rel))})
        return out

    def resource_context(self, res: Resource, from_uri: str) -> dict[str, Any]:
        """Everything a template shows about one resource, links relative to ``from_uri``."""
        files = self.raw_files(res)
        return {
            "res": res,
            "badges": all_badges(res),
            "status_badges": status_badges(res),
            "type_badge": badge("type", res.type),
            "priority_badge": badge("priority", res.priority),
            "phase_badge": badge("phase", str(res.phase)) if res.phase is not None else "",
            "topics": self._topic_links(res, from_uri),
            "raw": self._raw_links(res, from_uri),
            "raw_more": max(0, len(files) - MAX_RAW_LISTED),
            "page_href": self._link(from_uri, paths.site_resource_uri(res.id)),
            "fulltext_href": self._link(from_uri, paths.site_fulltext_uri(res.id))
            if res.fulltext is not None else "",
            "card_href": self._link(from_uri, paths.site_resource_uri(res.id))
            if res.card is not None else "",
        }

    def resource_header(self, res: Resource, shown_title: str | None = None) -> str:
        """The header block of a resource page (inserted under a card's title): the title
        row only when the page's heading (``shown_title``) is not the manifest's title."""
        uri = paths.site_resource_uri(res.id)
        repeat = shown_title is not None and shown_title.strip() == res.title.strip()
        return self._memo(
            lambda: self._render("resource_header.md.j2", show_title=not repeat,
                                 **self.resource_context(res, uri)),
            "resource_header", res.id, repeat, self._resource_inputs(res))

    def resource_page(self, res: Resource) -> str:
        """The whole page of a resource that has no card."""
        uri = paths.site_resource_uri(res.id)
        return self._memo(
            lambda: self._render("resource_page.md.j2",
                                 header=self.resource_header(res, res.title),
                                 **self.resource_context(res, uri)),
            "resource_page", res.id, self._resource_inputs(res))

    def fulltext_header(self, res: Resource | None, doc: Document) -> str:
        """The header block of a full-text page: back to the resource, raw files, provenance."""
        rid = paths.fulltext_id(doc.rel) or ""
        uri = paths.site_fulltext_uri(rid)
        meta = doc.meta or {}
        provenance = [(k, meta[k]) for k in ("converter", "converted", "converted_by")
                      if meta.get(k) not in (None, "")]
        cited = len(self.site.backlinks_of(rid))  # headings cited
        notes = str(meta.get("conversion_notes") or "").strip()
        source_url = str(meta.get("source_url") or "")
        return self._memo(
            lambda: self._render("fulltext_header.md.j2", rid=rid, provenance=provenance,
                                 notes=notes, source_url=source_url, cited=cited,
                                 **(self.resource_context(res, uri) if res is not None
                                    else {"res": None})),
            "fulltext_header", rid, self._resource_inputs(res) if res is not None else None,
            provenance, notes, source_url, cited)

    def topic_listing(self, stem: str) -> str:
        """The resources of topic ``stem`` with their badges (shown above the synthesis)."""
        uri = paths.site_src_uri(paths.topic_rel(stem)) or ""
        members = self.lib.topic_resources(stem)
        return self._memo(
            lambda: self._render("topic_listing.md.j2",
                                 rows=[self.resource_context(r, uri) for r in members]),
            "topic_listing", stem, [self._resource_inputs(r) for r in members])

    def index_page(self, title: str = "Library") -> str:
        """The library index: every resource with badges, filterable and sortable."""
        resources = self.lib.resources.values()
        return self._memo(lambda: self._index_page(title), "index", title,
                          [(r.id, self._resource_inputs(r)) for r in resources])

    def _index_page(self, title: str) -> str:
        rows = [self.resource_context(r, INDEX_URI) for r in self.lib.resources.values()]
        present = {
            "type": _ordered({r.type for r in self.lib.resources.values()}, TYPES),
            "status": _ordered({r.status for r in self.lib.resources.values()}, STATUSES),
            "priority": _ordered({r.priority for r in self.lib.resources.values()}, PRIORITIES),
            "phase": sorted({str(r.phase) for r in self.lib.resources.values()
                             if r.phase is not None}, key=int),
            "topic": sorted({t for r in self.lib.resources.values() for t in r.topics}),
        }
        topic_titles = {s: (self.lib.topics[s].title if s in self.lib.topics else s)
                        for s in present["topic"]}
        return self._render("index.md.j2", title=title, rows=rows, filters=present,
                            topic_titles=topic_titles, counts=progress.counts(self.lib),
                            total=len(self.lib.resources), status_labels=STATUS_LABELS,
                            dashboard_href=DASHBOARD_URI)

    def dashboard_page(self, history: list[Snapshot] | None,
                       rereview: list[dict[str, Any]] | None = None,
                       problems: Sequence[Finding] | None = None,
                       checks: str = "all") -> str:
        """Counts, the build's ``reflib check`` findings (``problems``; ``None`` when the
        build ran no checks, ``checks`` naming which rules ran), progress per tier, the
        queue, cards awaiting review, approved cards to review again (``rereview``:
        :func:`reflib.core.approval.rereview_summary`, computed when not given), the
        burn-down."""
        lib = self.lib
        if rereview is None:
            rereview = approval.rereview_summary(lib)
        again = []
        for entry in rereview:
            card_res = lib.resources.get(str(entry["id"]))
            if card_res is not None:
                again.append({**entry, **self.resource_context(card_res, DASHBOARD_URI)})
        total = len(lib.resources)
        tiers = progress.tier_progress(lib)
        rank = {s: i for i, s in enumerate(STATUSES)}
        tier_rows = [{"status": s, "label": STATUS_LABELS[s], "share": tiers[s],
                      "count": sum(1 for r in lib.resources.values()
                                   if rank.get(r.status, -1) >= rank[s])}
                     for s in STATUSES]
        queue = []
        for item in progress.queue(lib):
            res = lib.resources[item.id]
            queue.append({"item": item, **self.resource_context(res, DASHBOARD_URI)})
        review = [self.resource_context(r, DASHBOARD_URI) for r in progress.awaiting_review(lib)]
        return self._render(
            "dashboard.md.j2", total=total, counts=progress.counts(lib),
            by_priority=progress.counts_by(lib, "priority"),
            by_phase=progress.counts_by(lib, "phase"), statuses=STATUSES,
            status_labels=STATUS_LABELS, tiers=tier_rows, queue=queue, review=review,
            again=again, low=[{**item, "href": self._link(
                DASHBOARD_URI, paths.site_fulltext_uri(item["id"]))}
                for item in progress.low_coverage(lib)], low_threshold=LOW_COVERAGE,
            history=history, chart=CHART_PLACEHOLDER if history else "",
            index_href=INDEX_URI, problems=None if problems is None else
            self._problems(problems), problem_codes=Counter(
                f.code for f in problems or ()).most_common(), checks=checks)

    def _problems(self, findings: Sequence[Finding]) -> list[dict[str, Any]]:
        """The first :data:`MAX_PROBLEMS` findings, each with a link to the page of its file
        (when the file has one)."""
        rows = []
        for f in findings[:MAX_PROBLEMS]:
            href = None
            if f.path.endswith(".md") and paths.site_src_uri(f.path) is not None:
                href = self._link(DASHBOARD_URI, paths.site_src_uri(f.path) or "")
            rows.append({"where": f"{f.path}:{f.line}", "href": href, "code": f.code,
                         "message": f.message})
        return rows


def _ordered(values: set[str], order: Iterable[str]) -> list[str]:
    known = [v for v in order if v in values]
    return known + sorted(values - set(known))


def burndown(lib: Library, history: list[Snapshot] | None) -> str:
    """The dashboard chart's SVG; the working tree's manifest is the last point."""
    if not history:
        return ""
    current = progress.counts(lib)
    points = list(history)
    if points[-1].counts != current:
        points.append(Snapshot("working tree", _dt.datetime.now(_dt.timezone.utc), current))
    return burndown_svg(points)


# --- navigation ---------------------------------------------------------------------------


def default_nav(lib: Library, doc_uris: Iterable[str], *, by_type: bool = True) -> list[Any]:
    """A MkDocs ``nav``: Home, Dashboard, Topics, Resources (by type), other docs.

    ``doc_uris`` are the ``src_uri`` of every markdown page of the site; full-text pages are
    left out (they are reached from their resource page).
    """
    uris = set(doc_uris)
    nav: list[Any] = []
    if INDEX_URI in uris:
        nav.append({"Home": INDEX_URI})
    if DASHBOARD_URI in uris:
        nav.append({"Dashboard": DASHBOARD_URI})
    topics = []
    for stem in sorted(lib.topics):
        uri = paths.site_src_uri(paths.topic_rel(stem))
        if uri in uris:
            # the theme writes navigation titles as HTML: library text is escaped
            topics.append({html.escape(lib.topics[stem].title, quote=False): uri})
    if topics:
        nav.append({"Topics": topics})
    groups: dict[str, list[Any]] = {}
    for res in sorted(lib.resources.values(), key=lambda r: r.title.lower()):
        uri = paths.site_resource_uri(res.id)
        if uri in uris:
            # an unknown type (reported by the checks) is grouped under Other
            kind = res.type if res.type in TYPES else "other"
            groups.setdefault(kind if by_type else "all", []).append(uri)
    if groups:
        if by_type:
            nav.append({"Resources": [{_type_title(t): groups[t]}
                                      for t in _ordered(set(groups), TYPES)]})
        else:
            nav.append({"Resources": groups["all"]})
    used = {INDEX_URI, DASHBOARD_URI}
    used.update(u for item in topics for u in item.values())
    used.update(u for g in groups.values() for u in g)
    others = sorted(u for u in uris if u not in used and not paths.site_fulltext_id(u)
                    and not u.startswith("resources/") and not u.startswith("topics/"))
    nav.extend(others)
    leftovers = sorted(u for u in uris if u not in used and u not in others
                       and not paths.site_fulltext_id(u))
    if leftovers:
        nav.append({"More": leftovers})
    return nav


_TYPE_TITLES = {"paper": "Papers", "blog": "Blog posts", "docs": "Docs", "repo": "Repositories",
                "rfc": "RFCs", "issue": "Issues", "other": "Other"}


def _type_title(kind: str) -> str:
    return _TYPE_TITLES.get(kind, kind.capitalize())


def is_library_page(rel: str) -> bool:
    """True for markdown of the library itself (cards, topics, docs, full texts)."""
    return rel.endswith(".md") and (rel.startswith(paths.REFS_DIR + "/")
                                    or bool(paths.fulltext_id(rel)))


__all__ = [
    "CHART_PLACEHOLDER", "DASHBOARD_URI", "INDEX_URI", "NAV_STATUSES", "Backlink", "Pages",
    "SiteData", "all_badges", "badge", "burndown", "default_nav", "md_escape", "nav_status",
    "raw_files", "status_badges",
]
