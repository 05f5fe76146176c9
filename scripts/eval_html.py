#!/usr/bin/env python3
"""Measure the HTML -> markdown converter on the shared evaluation corpus.

Reads ``../shared/corpus`` relative to the repository root (``--corpus`` to change it) and
prints, in one run:

* trafilatura pages: share of must-appear snippets present and of must-not-appear absent;
* readability pages: word recall and precision of our body against ``expected.html``;
* html_bench: the benchmark's 4-gram shingle F1 / precision / recall (``score.py``), ours
  beside the stored baselines, scored by the same function in the same run;
* sphinx_rtd and mkdocs_material: chrome left and code blocks / languages kept;
* conversion speed.

Markdown is compared as plain text: link URLs and markdown syntax are stripped first
(:func:`markdown_to_text`), whitespace is normalised.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bs4 import BeautifulSoup, Tag

from reflib.convert.html import html_to_markdown

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,}).*$", re.M)
_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_ADMONITION = re.compile(r'^\s*[!?]{3}\s+[\w-]+(?:\s+"(.*)")?\s*$', re.M)
_LIST = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])\s+(?:\[[ x]\]\s+)?", re.M)
_QUOTE = re.compile(r"^\s*(?:>\s?)+", re.M)
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$", re.M)
_HR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", re.M)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_WS = re.compile(r"\s+")


def markdown_to_text(markdown: str) -> str:
    """Plain text of our markdown, as a reader sees it rendered.

    Link URLs, images (an image is not text), fence lines, block markers, emphasis and
    backslash escapes are removed; link text is kept with spaces around it (inline elements
    are word boundaries in the benchmark's ground truth, which matters for CJK text).
    """
    text = _FENCE.sub("", markdown)
    text = _ADMONITION.sub(lambda m: m.group(1) or "", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r" \1 ", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TABLE_RULE.sub("", text)
    text = _HR.sub("", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _LIST.sub("", text)
    text = text.replace("|", " ").replace("**", "").replace("`", "")
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)
    text = _ESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&amp;", "&")


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return _WS.sub(" ", text).strip()


class Timer:
    """Accumulates conversion time and page count."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.pages = 0
        self.bytes = 0

    def convert(self, data: bytes, url: str | None = None) -> tuple[str, str | None, list[str]]:
        """Convert one page, timing it."""
        start = time.perf_counter()
        result = html_to_markdown(data, url=url)
        self.seconds += time.perf_counter() - start
        self.pages += 1
        self.bytes += len(data)
        return result


# --------------------------------------------------------------------------- trafilatura


def eval_trafilatura(corpus: Path, timer: Timer, verbose: bool) -> dict[str, Any]:
    """Must-appear / must-not-appear snippets of html_pages/trafilatura/evaldata.json."""
    folder = corpus / "html_pages" / "trafilatura"
    cases = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    with_ok = with_total = without_ok = without_total = 0
    misses: list[str] = []
    for url, case in cases.items():
        markdown, _, _ = timer.convert((folder / case["file"]).read_bytes(), url=url)
        plain = normalise(markdown_to_text(markdown))
        for snippet in case.get("with", []):
            with_total += 1
            if normalise(snippet) in plain:
                with_ok += 1
            else:
                misses.append(f"  missing  {case['file']}: {snippet!r}")
        for snippet in case.get("without", []):
            without_total += 1
            if normalise(snippet) not in plain:
                without_ok += 1
            else:
                misses.append(f"  chrome   {case['file']}: {snippet!r}")
    print("== trafilatura pages (html_pages/trafilatura, evaldata.json)")
    print(
        f"  pages {len(cases)}; must-appear present {with_ok}/{with_total} "
        f"({with_ok / max(1, with_total):.3f}); must-not-appear absent "
        f"{without_ok}/{without_total} ({without_ok / max(1, without_total):.3f})"
    )
    if verbose:
        print("\n".join(misses))
    return {"with": with_ok / max(1, with_total), "without": without_ok / max(1, without_total)}


# --------------------------------------------------------------------------- readability

_WORD = re.compile(r"\w+", re.UNICODE)


def _word_scores(expected: str, ours: str) -> tuple[float, float]:
    """Multiset word recall and precision of ``ours`` against ``expected``."""
    want = Counter(w.lower() for w in _WORD.findall(expected))
    got = Counter(w.lower() for w in _WORD.findall(ours))
    common = sum((want & got).values())
    recall = common / sum(want.values()) if want else 1.0
    precision = common / sum(got.values()) if got else 0.0
    return recall, precision


def eval_readability(corpus: Path, timer: Timer, verbose: bool) -> dict[str, float]:
    """Body word recall / precision against Readability.js's expected.html."""
    folder = corpus / "html_pages" / "readability"
    recalls: list[float] = []
    precisions: list[float] = []
    rows: list[str] = []
    for case in sorted(p for p in folder.iterdir() if p.is_dir()):
        markdown, _, _ = timer.convert((case / "source.html").read_bytes())
        expected = BeautifulSoup(
            (case / "expected.html").read_text(encoding="utf-8"), "html.parser"
        )
        recall, precision = _word_scores(expected.get_text(" "), markdown_to_text(markdown))
        recalls.append(recall)
        precisions.append(precision)
        rows.append(f"  {case.name:<24} recall {recall:.3f} precision {precision:.3f}")
    recall = sum(recalls) / max(1, len(recalls))
    precision = sum(precisions) / max(1, len(precisions))
    print("== readability pages (html_pages/readability, expected.html word overlap)")
    print(f"  pages {len(recalls)}; mean word recall {recall:.3f}; mean precision {precision:.3f}")
    if verbose:
        print("\n".join(rows))
    return {"recall": recall, "precision": precision}


# --------------------------------------------------------------------------- html_bench


def _load_score_module(path: Path) -> ModuleType:
    """Import the benchmark's own ``score.py`` (read from the corpus, not copied)."""
    spec = importlib.util.spec_from_file_location("html_bench_score", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def eval_html_bench(corpus: Path, timer: Timer, verbose: bool) -> dict[str, float]:
    """4-gram shingle F1 / precision / recall, ours and the baselines, via score.py."""
    folder = corpus / "html_bench"
    scorer = _load_score_module(folder / "score.py")
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ours: dict[str, dict[str, str]] = {}
    for key, item in truth.items():
        markdown, _, _ = timer.convert(
            (folder / "html" / f"{key}.html").read_bytes(), url=item.get("url")
        )
        ours[key] = {"articleBody": normalise(markdown_to_text(markdown))}
    print("== html_bench (50 news/blog pages; score.py 4-gram shingles, macro averages)")
    results: dict[str, float] = {}
    systems: list[tuple[str, dict[str, Any]]] = [("reflib html (this run)", ours)]
    for baseline in sorted((folder / "baselines").glob("*.json")):
        data = json.loads(baseline.read_text(encoding="utf-8"))
        if isinstance(data, dict) and set(data) == {"version", "output"}:
            label = f"{baseline.stem} {data['version']}"
            data = data["output"]
        else:
            label = baseline.stem
        systems.append((label, data))
    for label, predictions in systems:
        f1, precision, recall, accuracy = scorer.score(truth, predictions)
        print(f"  {label:<26} F1={f1:.3f} P={precision:.3f} R={recall:.3f} acc={accuracy:.3f}")
        results[label] = f1
    if verbose:
        _print_worst_pages(scorer, truth, ours)
    return results


def _print_worst_pages(scorer: ModuleType, truth: dict[str, Any], ours: dict[str, Any]) -> None:
    """The pages with the lowest F1, to direct work on the converter."""
    rows = []
    for key in truth:
        tp, fp, fn = scorer.page_counts(truth[key]["articleBody"], ours[key]["articleBody"])
        p = scorer.prec(tp, fp, fn)
        r = scorer.rec(tp, fp, fn)
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append((f, p, r, key))
    for f, p, r, key in sorted(rows)[:12]:
        print(f"    {key[:16]} F1={f:.3f} P={p:.3f} R={r:.3f} {truth[key]['url'][:70]}")


# --------------------------------------------------------------------------- docs themes

_CHROME_CONTAINERS: dict[str, Callable[[Tag], bool]] = {
    "nav": lambda t: t.name in ("nav", "header", "footer", "aside"),
    "sidebar": lambda t: any("sidebar" in c for c in t.get("class") or []),
    "role": lambda t: t.get("role") in ("navigation", "contentinfo", "banner"),
}
_CHROME_MARKERS = (
    "¶",
    "Skip to content",
    "Edit this page",
    "Copy to clipboard",
    "View page source",
    "Made with",
    "Back to top",
)


def _article(soup: BeautifulSoup) -> Tag | None:
    """The theme's article container in the source page (for reference counts)."""
    found = soup.select_one("article.md-content__inner") or soup.select_one("div.body")
    return found if isinstance(found, Tag) else None


def _chrome_links(soup: BeautifulSoup, article: Tag | None) -> set[tuple[str, str]]:
    """(text, href) of links in navigation, sidebars, header and footer, not in the article."""
    inside = set()
    if article is not None:
        inside = {(normalise(a.get_text()), str(a.get("href", ""))) for a in article.find_all("a")}
    out: set[tuple[str, str]] = set()
    for tag in soup.find_all(True):
        if any(test(tag) for test in _CHROME_CONTAINERS.values()):
            for link in tag.find_all("a", href=True):
                pair = (normalise(link.get_text()), str(link["href"]))
                if pair[0] and len(pair[0]) > 2 and pair not in inside:
                    out.add(pair)
    return out


def eval_docs_themes(corpus: Path, timer: Timer, verbose: bool) -> dict[str, float]:
    """Chrome left and code languages kept on the Sphinx and Material pages."""
    print("== docs themes (sphinx_rtd, mkdocs_material)")
    pages = sorted((corpus / "html_pages" / "sphinx_rtd").glob("*.html"))
    pages += sorted((corpus / "html_pages" / "mkdocs_material").glob("*.html"))
    totals = Counter[str]()
    for page in pages:
        data = page.read_bytes()
        markdown, title, _ = timer.convert(data)
        soup = BeautifulSoup(data.decode("utf-8"), "html.parser")
        article = _article(soup)
        links = _chrome_links(soup, article)
        left_links = [text for text, href in links if f"[{text}]({href})" in markdown]
        markers = {m: markdown.count(m) for m in _CHROME_MARKERS if m in markdown}
        pres = article.find_all("pre") if article is not None else []
        with_lang = [p for p in pres if _source_language(p)]
        fences = re.findall(r"^\s*(`{3,})(\S*)", markdown, re.M)
        opened = fences[::2]
        lang_fences = [f for f in opened if f[1]]
        headings = len(article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])) if article else 0
        our_headings = len(re.findall(r"^#{1,6} ", _strip_fenced(markdown), re.M))
        totals.update(
            chrome_links=len(left_links),
            chrome_link_probes=len(links),
            markers=sum(markers.values()),
            pre=len(pres),
            fences=len(opened),
            pre_lang=len(with_lang),
            fence_lang=len(lang_fences),
            headings=headings,
            our_headings=our_headings,
        )
        print(
            f"  {page.parent.name}/{page.name}: title {title!r}; chrome links left "
            f"{len(left_links)}/{len(links)}; markers {markers or 'none'}; code blocks "
            f"{len(opened)}/{len(pres)}, with language {len(lang_fences)}/{len(with_lang)}; "
            f"headings {our_headings}/{headings}"
        )
        if verbose and left_links:
            print("    left:", left_links[:10])
    print(
        f"  total: chrome links left {totals['chrome_links']}/{totals['chrome_link_probes']}; "
        f"chrome markers {totals['markers']}; code blocks {totals['fences']}/{totals['pre']}; "
        f"languages kept {totals['fence_lang']}/{totals['pre_lang']}; "
        f"headings {totals['our_headings']}/{totals['headings']}"
    )
    return {"chrome_links": float(totals["chrome_links"]), "markers": float(totals["markers"])}


def _strip_fenced(markdown: str) -> str:
    """Markdown without the content of fenced code blocks."""
    out: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        match = re.match(r"^\s*(`{3,})", line)
        if match and (not fence or match.group(1) == fence):
            fence = "" if fence else match.group(1)
            continue
        if not fence:
            out.append(line)
    return "\n".join(out)


def _source_language(pre: Tag) -> bool:
    """Whether the source marks a language on a ``<pre>`` or its wrappers."""
    node: Any = pre
    for _ in range(4):
        if node is None:
            return False
        classes = " ".join(node.get("class") or [])
        if re.search(r"\b(language|highlight|lang)-\w+", classes):
            return True
        code = node.find("code") if node is pre else None
        if code is not None and re.search(r"\blanguage-\w+", " ".join(code.get("class") or [])):
            return True
        node = node.parent
    return False


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run every evaluation and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="the shared corpus folder (default: ../shared/corpus)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="per-page details")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "html_pages").is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    timer = Timer()
    eval_trafilatura(corpus, timer, args.verbose)
    eval_readability(corpus, timer, args.verbose)
    eval_html_bench(corpus, timer, args.verbose)
    eval_docs_themes(corpus, timer, args.verbose)
    print(
        f"== speed: {timer.pages} pages, {timer.bytes / 1e6:.1f} MB in {timer.seconds:.2f} s "
        f"= {timer.pages / max(timer.seconds, 1e-9):.1f} pages/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
