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
import shutil
import sys
import time
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


def build(root: Path, site_dir: Path | None = None, *, config_file: Path | None = None,
          strict: bool = False) -> int:
    """Build the library at ``root`` with Zensical into ``site_dir`` (default: the
    configuration's ``site_dir``, else ``site``). Returns 0, or 1 when ``strict`` and there
    were warnings."""
    try:
        import zensical
    except ImportError:
        raise ReflibError("the zensical engine needs Zensical: pip install 'reflib[zensical]'"
                          ) from None
    started = time.perf_counter()
    config_file = config_file or root / "mkdocs.yml"
    config = read_config(config_file)
    options = reflib_options(config, config_file)
    if options is None:
        raise ReflibError("the reflib plugin is not listed under 'plugins'", config_file)
    opts = SiteOptions.from_mapping(options, str(config_file))
    opts.cache = False
    site = (site_dir or root / str(config.get("site_dir") or "site")).resolve()
    lsite = LibrarySite(root, opts, log)
    lsite.refresh()
    stage = root / STAGE_DIR
    shutil.rmtree(stage, ignore_errors=True)
    docs = stage / "docs"
    uris = _stage(lsite, root / str(config.get("docs_dir") or paths.REFS_DIR), docs)
    staged_config = _staged_config(config, root, docs, lsite, uris)
    config_path = stage / "mkdocs.yml"
    atomic_write(config_path, yaml.safe_dump(staged_config, sort_keys=False,
                                             allow_unicode=True))
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
    shutil.move(str(stage / "site"), str(site))
    if opts.exports:
        lsite.write_exports(site, str(config.get("site_name") or ""),
                            str(config.get("site_url") or "") or None)
    if opts.search == "pagefind":
        _index(lsite, site)
    seconds = time.perf_counter() - started
    n = len(lsite.warnings)
    log.info(f"reflib: built {site} with Zensical in {seconds:.1f} s, {n} warning(s)")
    return 1 if strict and n else 0


def _stage(lsite: LibrarySite, docs_src: Path, docs: Path) -> list[str]:
    """Write the site's sources into ``docs``; the staged page sources (site uris)."""
    assert lsite.built is not None
    authored: dict[str, str] = {}
    for folder, dirnames, names in os.walk(docs_src):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(names):
            full = Path(folder) / name
            authored[full.relative_to(docs_src).as_posix()] = str(full)
    for uri in lsite.unpublished(authored):
        authored.pop(uri, None)
    lsite.generated = set()
    pages: list[str] = []
    planned = lsite.planned(lambda uri: uri in authored)
    for item in planned:
        lsite.generated.add(item.uri)
    for uri, src in authored.items():
        if uri.endswith(".md"):
            _write_page(lsite, docs / uri, uri, Path(src).read_text(encoding="utf-8"), True)
            pages.append(uri)
        else:
            _link_or_copy(Path(src), docs / uri)
    for item in planned:
        if item.raw:
            assert item.abs_src is not None
            _link_or_copy(Path(item.abs_src), docs / item.uri)
        elif item.content is not None:
            _write_page(lsite, docs / item.uri, item.uri, item.content, False)
            pages.append(item.uri)
        else:
            assert item.abs_src is not None
            _write_page(lsite, docs / item.uri, item.uri,
                        Path(item.abs_src).read_text(encoding="utf-8"), False)
    for asset in (*sitebuild.ASSETS, *sitebuild.SEARCH_ASSETS):
        _link_or_copy(ASSETS_DIR / asset, docs / ASSET_URI / asset)
    return pages


def _write_page(lsite: LibrarySite, target: Path, uri: str, text: str, authored: bool) -> None:
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
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(head + mdext.marker(uri, rel, fulltext) + body, encoding="utf-8")


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _staged_config(config: dict[str, Any], root: Path, docs: Path, lsite: LibrarySite,
                   pages: list[str]) -> dict[str, Any]:
    out = {k: v for k, v in config.items() if k not in ("plugins", "docs_dir", "site_dir")}
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
    for html in written:
        text = html.read_text(encoding="utf-8", errors="replace")
        content = _article(text)
        if content is None or not pf.is_marked(content):
            continue
        dest = html.relative_to(site).as_posix()
        url = "/" + (dest[:-len("index.html")] if dest.endswith("index.html") else dest)
        search.add(dest, text, content, url, "", None)
    search.write_settings(site)
    search.finish(site, None, None)


def _article(page: str) -> str | None:
    """The marked content in a written page (from the extension's wrapper to its end)."""
    start = page.find(pf.BODY_START)
    if start < 0:
        return None
    end = page.find("</article>", start)
    return page[start:end if end > 0 else len(page)]


def main_log() -> None:
    """Log reflib's info lines and warnings to (the current) standard error."""
    for handler in [h for h in log.handlers if getattr(h, "reflib_cli", False)]:
        log.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.reflib_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
