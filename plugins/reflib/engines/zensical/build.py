"""``reflib build --engine zensical``: the library built by Zensical, which runs no MkDocs plugin.

1. The library is loaded and checked (:class:`~reflib.site.build.LibrarySite`), as the
   MkDocs plugin does.
2. A staging folder (``.cache/reflib/zensical/``) gets the site's sources as the MkDocs
   plugin would hand them to MkDocs: the docs folder's pages with links rewritten and header
   blocks added, the generated pages (resources, full texts at ``sources/<id>/``, index,
   dashboard), the published raw files and reflib's assets; each page starts with a marker
   that :mod:`reflib.engines.zensical.mdext` reads. Beside it, a ``mkdocs.yml``: the
   library's own, without the ``reflib`` plugin, with the staged docs, reflib's extension,
   assets, navigation and status labels.
3. Zensical builds it in this process (it calls Python-Markdown, and so reflib's extension,
   for every page).
4. reflib adds what comes after: ``catalog.json``, ``llms.txt``, the markdown sources and the
   Pagefind index.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reflib.core import frontmatter, paths
from reflib.core.errors import ReflibError
from reflib.core.fsutil import atomic_write
from reflib.core.model import KIND_FULLTEXT
from reflib.engines.zensical import mdext
from reflib.site import build as sitebuild
from reflib.site import pagefind_index as pf
from reflib.site import sitegen
from reflib.site.build import ASSET_URI, ASSETS_DIR, LibrarySite, SiteOptions
from reflib.site.searchbuild import SearchBuild

STAGE_DIR = Path(".cache") / "reflib" / "zensical"
"""Where the staged sources and configuration go, relative to the library root."""
EXTENSION = "reflib.engines.zensical.mdext"
LIMITS = ("theme.custom_dir overrides of reflib's own templates (the MkDocs build's "
          "reuse of written pages) are not used")

log = logging.getLogger("reflib")


class _Loader(yaml.SafeLoader):
    """Reads ``mkdocs.yml`` with the tags MkDocs configurations use (``!ENV``,
    ``!!python/name:...``) kept as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("", _any_tag)


def read_config(path: Path) -> dict[str, Any]:
    """``mkdocs.yml`` as data (a clear error naming the file when it is not a mapping)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise ReflibError(f"cannot read the site configuration: {exc.strerror}", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ReflibError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path,
                          mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ReflibError("the site configuration must be a mapping", path, 1)
    return data


def reflib_options(config: dict[str, Any], where: Path) -> dict[str, Any] | None:
    """The ``reflib`` plugin's options in ``config`` (None when the plugin is not listed)."""
    for item in config.get("plugins") or ():
        if item == "reflib":
            return {}
        if isinstance(item, dict) and "reflib" in item:
            options = item["reflib"] or {}
            if not isinstance(options, dict):
                raise ReflibError("the reflib plugin's options must be a mapping", where)
            return options
    return None


@dataclass
class Staged:
    """A library staged for Zensical (see :func:`stage`)."""

    lsite: LibrarySite
    config: dict[str, Any]
    """The library's own site configuration."""
    config_path: Path
    """The staged configuration Zensical reads."""


def _zensical() -> Any:
    try:
        import zensical
    except ImportError:
        raise ReflibError("the zensical engine needs Zensical: pip install 'reflib[zensical]'"
                          ) from None
    return zensical


def stage(root: Path, config_file: Path | None = None, *, cache: bool = False,
          previous: Staged | None = None) -> Staged:
    """Load and check the library at ``root`` and bring the staging folder up to date with
    it (a staged file is written only when its content changed, so a server watching the
    folder re-renders only what changed). ``previous``: the last staging, whose library
    model is reused for the files that did not change."""
    config_file = config_file or root / "mkdocs.yml"
    config = read_config(config_file)
    options = reflib_options(config, config_file)
    if options is None:
        raise ReflibError("the reflib plugin is not listed under 'plugins'", config_file)
    opts = SiteOptions.from_mapping(options, str(config_file))
    opts.cache = cache
    if previous is not None:
        lsite = previous.lsite
        lsite.options, lsite.warnings = opts, []
    else:
        lsite = LibrarySite(root, opts, log)
    lsite.refresh()
    docs_src = (config_file.parent / str(config.get("docs_dir") or "docs")).resolve()
    if docs_src != (root / paths.REFS_DIR).resolve():
        raise ReflibError(f"docs_dir must be the library's refs/ folder "
                          f"({root / paths.REFS_DIR}), not {docs_src}", config_file)
    folder = root / STAGE_DIR
    docs = folder / "docs"
    plan, pages = _plan(lsite, docs_src)
    _sync(docs, plan)
    staged_config = _staged_config(config, config_file.parent, docs, lsite, pages)
    config_path = folder / "mkdocs.yml"
    text = yaml.safe_dump(staged_config, sort_keys=False, allow_unicode=True)
    if not config_path.is_file() or config_path.read_text(encoding="utf-8") != text:
        atomic_write(config_path, text)
    return Staged(lsite, config, config_path)


def build(root: Path, site_dir: Path | None = None, *, config_file: Path | None = None,
          strict: bool = False) -> int:
    """Build the library at ``root`` with Zensical into ``site_dir`` (default: the
    configuration's ``site_dir``, else ``site``). Returns 0, or 1 when ``strict`` and there
    were warnings."""
    zensical = _zensical()
    started = time.perf_counter()
    staged = stage(root, config_file)
    lsite, config, config_path = staged.lsite, staged.config, staged.config_path
    site = (site_dir or root / str(config.get("site_dir") or "site")).resolve()
    mdext.ACTIVE.append(lsite)
    try:
        zensical.build(str(config_path), {"clean": True, "strict": False})
    except Exception as exc:  # Zensical's own errors (configuration, build)
        raise ReflibError(f"Zensical failed: {type(exc).__name__}: {exc}", config_path) from None
    finally:
        mdext.ACTIVE.remove(lsite)
    # Zensical writes only inside its project folder: the site is moved into place
    shutil.rmtree(site, ignore_errors=True)
    site.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(config_path.parent / "site"), str(site))
    if lsite.options.exports:
        lsite.write_exports(site, str(config.get("site_name") or ""),
                            str(config.get("site_url") or "") or None)
    if lsite.options.search == "pagefind":
        _index(lsite, site)
    seconds = time.perf_counter() - started
    n = len(lsite.warnings)
    log.info(f"reflib: built {site} with Zensical in {seconds:.1f} s, {n} warning(s)")
    return 1 if strict and n else 0


def serve(root: Path, dev_addr: str, *, config_file: Path | None = None,
          poll: float = 1.0) -> None:
    """Zensical's live-reloading server over the staged library, staged again whenever a
    file of the library changes (checked every ``poll`` seconds). Search (Pagefind, built
    after the pages) and the exports are not served here: ``reflib build`` makes them."""
    zensical = _zensical()
    staged = stage(root, config_file, cache=True)
    mdext.ACTIVE.append(staged.lsite)
    stop = threading.Event()

    def watch() -> None:
        nonlocal staged
        seen = staged.lsite.signature()
        while not stop.wait(poll):
            now = staged.lsite.signature()
            if now == seen:
                continue
            seen = now
            try:
                staged = stage(root, config_file, cache=True, previous=staged)
            except ReflibError as exc:
                log.warning(f"reflib: {exc}")

    watcher = threading.Thread(target=watch, name="reflib-watch", daemon=True)
    watcher.start()
    try:
        zensical.serve(str(staged.config_path), {"dev_addr": dev_addr, "open": False,
                                                 "strict": False})
    finally:
        stop.set()
        mdext.ACTIVE.remove(staged.lsite)


def _plan(lsite: LibrarySite, docs_src: Path) -> tuple[dict[str, str | Path], list[str]]:
    """What the staging folder holds: site uri -> the staged text of a page, or the file to
    link; and the page uris."""
    assert lsite.built is not None
    authored: dict[str, str] = {}
    for folder, dirnames, names in os.walk(docs_src):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(names):
            full = Path(folder) / name
            authored[full.relative_to(docs_src).as_posix()] = str(full)
    for uri in lsite.unpublished(authored):
        authored.pop(uri, None)
    planned = lsite.planned(lambda uri: uri in authored)
    lsite.generated = {item.uri for item in planned}
    plan: dict[str, str | Path] = {}
    pages: list[str] = []
    for uri, src in authored.items():
        if uri.endswith(".md"):
            plan[uri] = _page_text(lsite, uri, Path(src).read_text(encoding="utf-8"), True)
            pages.append(uri)
        else:
            plan[uri] = Path(src)
    for item in planned:
        if item.raw:
            assert item.abs_src is not None
            plan[item.uri] = Path(item.abs_src)
        elif item.content is not None:
            plan[item.uri] = _page_text(lsite, item.uri, item.content, False)
            pages.append(item.uri)
        else:
            assert item.abs_src is not None
            plan[item.uri] = _page_text(lsite, item.uri,
                                        Path(item.abs_src).read_text(encoding="utf-8"), False)
    for asset in (*sitebuild.ASSETS, *sitebuild.SEARCH_ASSETS):
        plan[f"{ASSET_URI}/{asset}"] = ASSETS_DIR / asset
    return plan, pages


def _sync(docs: Path, plan: dict[str, str | Path]) -> None:
    """Make ``docs`` hold exactly ``plan``, touching only what differs."""
    for uri, what in plan.items():
        target = docs / uri
        if isinstance(what, str):
            data = what.encode("utf-8")
            try:
                if target.read_bytes() == data:
                    continue
            except OSError:
                pass
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        else:
            try:
                if os.path.samefile(what, target):
                    continue
            except OSError:
                pass
            target.unlink(missing_ok=True)
            _link_or_copy(what, target)
    if docs.is_dir():
        for folder, _dirs, names in os.walk(docs, topdown=False):
            for name in names:
                path = Path(folder) / name
                if path.relative_to(docs).as_posix() not in plan:
                    path.unlink()
            if folder != str(docs) and not os.listdir(folder):
                os.rmdir(folder)


def _page_text(lsite: LibrarySite, uri: str, text: str, authored: bool) -> str:
    """One page as the MkDocs plugin would hand it to Python-Markdown, behind its marker."""
    assert lsite.built is not None
    rel = lsite.library_rel(uri, authored)
    try:
        fm = frontmatter.split(text, rel or uri)
        meta, body = dict(fm.meta or {}), fm.body.lstrip("\n")
    except ReflibError:
        meta, body = {}, text  # reflib check reports it; the page still reads as text
    meta = lsite.page_meta(uri, meta, rel)
    doc = lsite.built.lib.documents.get(rel) if rel else None
    fulltext = paths.fulltext_id(rel or "") if doc is not None and doc.kind == KIND_FULLTEXT \
        else None
    if rel is not None:
        body = lsite.markdown(uri, rel, body, [])
    head = frontmatter.render(meta, "") if meta else ""
    return head + mdext.marker(uri, rel, fulltext) + body


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _staged_config(config: dict[str, Any], base: Path, docs: Path, lsite: LibrarySite,
                   pages: list[str]) -> dict[str, Any]:
    """The library's configuration for the staged sources: paths made absolute (``base``: the
    folder of the library's configuration), the plugin replaced by reflib's extension."""
    out = {k: v for k, v in config.items() if k not in ("plugins", "docs_dir", "site_dir")}
    theme = out.get("theme")
    if isinstance(theme, dict) and isinstance(theme.get("custom_dir"), str):
        out["theme"] = {**theme, "custom_dir": str((base / theme["custom_dir"]).resolve())}
    plugins = [p for p in config.get("plugins") or ()
               if p != "reflib" and not (isinstance(p, dict) and "reflib" in p)]
    plugins = [p for p in plugins if p not in ("search", "material/search") and not (
        isinstance(p, dict) and ("search" in p or "material/search" in p))]
    if lsite.options.search != "material":
        # Pagefind (reflib's search button), or none: Zensical's own search is turned off
        plugins.append({"search": {"enabled": False}})
    else:
        plugins.append("search")
    out["plugins"] = plugins
    out["docs_dir"] = docs.name
    out["site_dir"] = "site"
    extensions = list(config.get("markdown_extensions") or [])
    names = [e if isinstance(e, str) else next(iter(e)) for e in extensions]
    plain = [n for n in names if isinstance(n, str)]
    sitebuild.add_extensions(plain)
    for name in plain:
        if name not in names:
            extensions.append(name)
    extensions.append(EXTENSION)
    out["markdown_extensions"] = extensions
    for key, suffix in (("extra_css", ".css"), ("extra_javascript", ".js")):
        listed = list(config.get(key) or [])
        for asset in (*sitebuild.ASSETS, *(sitebuild.SEARCH_ASSETS
                                           if lsite.options.search == "pagefind" else ())):
            if asset.endswith(suffix) and f"{ASSET_URI}/{asset}" not in listed:
                listed.append(f"{ASSET_URI}/{asset}")
        out[key] = listed
    extra = dict(config.get("extra") or {})
    status = dict(extra.get("status") or {})
    for key, label in sitegen.NAV_STATUSES.items():
        status.setdefault(key, label)
    extra["status"] = status
    out["extra"] = extra
    if not config.get("nav"):
        out["nav"] = lsite.nav(pages)
    if config.get("repo_url") and "edit_uri" not in config:
        out["edit_uri"] = ""
    return out


def _index(lsite: LibrarySite, site: Path) -> None:
    """Pagefind over the written pages (their library content is marked by the extension)."""
    if not pf.available():
        lsite.warn("search: pagefind needs Pagefind: pip install 'pagefind[bin]'")
        return
    search = SearchBuild(log)
    assert lsite.built is not None
    written = sorted(site.rglob("*.html"))
    search.choose_depth(lsite.built.lib, len(written), lsite.options.search_sections,
                        lsite.options.search_records)
    search.begin(None)
    for page in written:
        text = page.read_text(encoding="utf-8", errors="replace")
        content = _article(text)
        if content is None or not pf.is_marked(content):
            continue
        dest = page.relative_to(site).as_posix()
        url = dest[:-len("index.html")] if dest.endswith("index.html") else dest  # page.url
        search.add(dest, text, content, url, pf.page_title(content), None)
    search.write_settings(site)
    search.finish(site, None, None)


_DIV = re.compile(r"<(/?)div\b", re.IGNORECASE)


def _article(page: str) -> str | None:
    """The marked content in a written page: the extension's wrapper element, whole."""
    start = page.find(pf.BODY_START)
    if start < 0:
        return None
    depth = 0
    for tag in _DIV.finditer(page, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start:page.index(">", tag.end()) + 1]
    return None


def main_log() -> None:
    """Log reflib's info lines and warnings to (the current) standard error."""
    for handler in [h for h in log.handlers if getattr(h, "reflib_cli", False)]:
        log.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.reflib_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
