#!/usr/bin/env python3
"""Measure the HTML -> markdown converter against trafilatura and readability-lxml.

Reads ``../shared/corpus`` (``--corpus`` to change it) and prints, in one run, per corpus set:

* **readability** (``html_pages/readability``: Readability.js test pages and the article it
  extracted) and **html_bench** (``html_bench``: news and blog pages with their ground-truth
  article body): macro precision / recall / F1 with the benchmark's own metric (4-gram word
  shingles, ``html_bench/score.py``, imported from the corpus), for reflib, trafilatura and
  readability-lxml on the same pages; the pages where reflib's recall is below 0.8 with what
  the converter reported (coverage, how the body was chosen) and the other systems' recall
  there; the pages where the article is lost (recall < 0.5) per system;
* **trafilatura** (``html_pages/trafilatura``): must-keep snippets kept and must-drop
  snippets removed, for the three systems;
* **docs themes** (Sphinx and Material pages): chrome links left, headings, code blocks and
  their languages, pilcrows (reflib only);
* the time each system took on the same pages (one process, sequentially), and the ratio of
  reflib's time to trafilatura's.

Markdown is scored as plain text (link URLs and markdown syntax stripped:
:func:`markdown_to_text`). Readability cases whose expected article has fewer than
``--min-words`` words (unit pages of a few words) are left out, as the corpus README says.
trafilatura runs with its defaults except ``include_comments=False`` (comments are not the
article, and the truths leave them out); readability-lxml's ``summary()`` HTML is reduced to
its text.

``--only reflib`` skips the other systems (quick iterations); ``-v`` lists every page.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bs4 import BeautifulSoup, Tag

from reflib.convert.html import convert_page

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SYSTEMS = ("reflib", "trafilatura", "readability-lxml")

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
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]]+)\]:\s*", re.M)
_FOOTNOTE_REF = re.compile(r"\[\^([^\]]+)\]")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


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
    text = _FOOTNOTE_DEF.sub(r"\1 ", text)
    text = _FOOTNOTE_REF.sub(r"\1", text)
    text = text.replace("|", " ").replace("**", "").replace("`", "")
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)
    text = _ESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&amp;", "&")


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return _WS.sub(" ", text).strip()


# --------------------------------------------------------------------------- systems


@dataclass
class Output:
    """One system's text for one page, and what the converter said about it."""

    text: str
    info: str = ""


@dataclass
class System:
    """A named extractor with its accumulated time."""

    name: str
    run: Callable[[bytes, str | None], Output]
    seconds: float = 0.0
    pages: int = 0

    def __call__(self, data: bytes, url: str | None) -> Output:
        start = time.perf_counter()
        try:
            out = self.run(data, url)
        except Exception as exc:  # a crash is a lost page, reported, not a stop
            out = Output("", f"error: {type(exc).__name__}: {exc}")
        self.seconds += time.perf_counter() - start
        self.pages += 1
        return out


def _reflib(data: bytes, url: str | None) -> Output:
    page = convert_page(data, url=url)
    info = f"coverage {page.coverage:.2f}, {page.extraction}"
    return Output(markdown_to_text(page.markdown), info)


def _trafilatura(data: bytes, url: str | None) -> Output:
    import trafilatura

    return Output(trafilatura.extract(data, url=url, include_comments=False) or "")


def _readability(data: bytes, url: str | None) -> Output:
    from readability import Document

    html = Document(data, url=url).summary(html_partial=True)
    return Output(BeautifulSoup(html, "html.parser").get_text(" "))


def make_systems(only: list[str]) -> list[System]:
    table = {"reflib": _reflib, "trafilatura": _trafilatura, "readability-lxml": _readability}
    out = []
    for name in SYSTEMS:
        if name not in only:
            continue
        module = {"trafilatura": "trafilatura", "readability-lxml": "readability"}.get(name)
        if module and importlib.util.find_spec(module) is None:
            print(f"({name} is not installed: pip install {name}; left out)")
            continue
        out.append(System(name, table[name]))
    return out


# --------------------------------------------------------------------------- scoring


def _load_score_module(path: Path) -> ModuleType:
    """Import the benchmark's own ``score.py`` (read from the corpus, not copied)."""
    spec = importlib.util.spec_from_file_location("html_bench_score", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Case:
    """One page of a set: its bytes, URL and true article text."""

    name: str
    data: bytes
    truth: str
    url: str | None = None


@dataclass
class SetResult:
    name: str
    scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=dict)


def score_set(name: str, cases: list[Case], systems: list[System], scorer: ModuleType,
              verbose: bool) -> SetResult:
    """Run every system on every case; print macro P/R/F1, low-recall pages, lost pages."""
    truth = {c.name: {"articleBody": c.truth} for c in cases}
    outputs: dict[str, dict[str, Output]] = {s.name: {} for s in systems}
    for case in cases:
        for system in systems:
            outputs[system.name][case.name] = system(case.data, case.url)
    result = SetResult(name)
    print(f"== {name}: {len(cases)} pages (4-gram shingle macro P / R / F1, score.py)")
    per_page: dict[str, dict[str, tuple[float, float, float]]] = {}
    for system in systems:
        predictions = {k: {"articleBody": normalise(v.text)}
                       for k, v in outputs[system.name].items()}
        f1, precision, recall, _ = scorer.score(truth, predictions)
        result.scores[system.name] = (precision, recall, f1)
        rows = {}
        for case in cases:
            tp, fp, fn = scorer.page_counts(case.truth, predictions[case.name]["articleBody"])
            p, r = scorer.prec(tp, fp, fn), scorer.rec(tp, fp, fn)
            rows[case.name] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
        per_page[system.name] = rows
        result.lost[system.name] = sorted(k for k, v in rows.items() if v[1] < 0.5)
        print(f"  {system.name:<18} P={precision:.3f} R={recall:.3f} F1={f1:.3f}   "
              f"article lost (R<0.5): {len(result.lost[system.name])}")
    if "reflib" in per_page:
        low = sorted((v[1], k) for k, v in per_page["reflib"].items() if v[1] < 0.8)
        print(f"  reflib pages with recall < 0.8: {len(low)}")
        for r, key in low:
            others = " ".join(f"{s}={per_page[s][key][1]:.2f}" for s in per_page if s != "reflib")
            print(f"    {key[:40]:<40} R={r:.2f} P={per_page['reflib'][key][0]:.2f}  "
                  f"[{outputs['reflib'][key].info}]  {others}")
    if verbose:
        for key in truth:
            cells = "  ".join(f"{s}: P={per_page[s][key][0]:.2f} R={per_page[s][key][1]:.2f}"
                              for s in per_page)
            print(f"    {key[:40]:<40} {cells}")
    return result


# --------------------------------------------------------------------------- sets


def readability_cases(corpus: Path, min_words: int) -> list[Case]:
    folder = corpus / "html_pages" / "readability"
    cases = []
    for case in sorted(p for p in folder.iterdir() if p.is_dir()):
        expected = BeautifulSoup((case / "expected.html").read_text(encoding="utf-8"),
                                 "html.parser").get_text(" ")
        if len(_WORD.findall(expected)) < min_words:
            continue
        cases.append(Case(case.name, (case / "source.html").read_bytes(), expected))
    return cases


def html_bench_cases(corpus: Path) -> list[Case]:
    folder = corpus / "html_bench"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [Case(key, (folder / "html" / f"{key}.html").read_bytes(),
                 item.get("articleBody", ""), item.get("url")) for key, item in truth.items()]


def eval_snippets(corpus: Path, systems: list[System], verbose: bool) -> None:
    """Must-keep / must-drop snippets of html_pages/trafilatura/evaldata.json."""
    folder = corpus / "html_pages" / "trafilatura"
    cases = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    print(f"== trafilatura pages: {len(cases)} pages (must-keep snippets kept, must-drop "
          f"snippets removed)")
    for system in systems:
        keep = keep_total = drop = drop_total = 0
        misses: list[str] = []
        for url, case in cases.items():
            out = system((folder / case["file"]).read_bytes(), url)
            plain = normalise(out.text)
            for snippet in case.get("with", []):
                keep_total += 1
                if normalise(snippet) in plain:
                    keep += 1
                else:
                    misses.append(f"    missing  {case['file']}: {snippet!r}")
            for snippet in case.get("without", []):
                drop_total += 1
                if normalise(snippet) not in plain:
                    drop += 1
                else:
                    misses.append(f"    kept     {case['file']}: {snippet!r}")
        print(f"  {system.name:<18} kept {keep}/{keep_total} ({keep / max(1, keep_total):.0%}); "
              f"removed {drop}/{drop_total} ({drop / max(1, drop_total):.0%})")
        if verbose or system.name == "reflib":
            print("\n".join(misses))


_CHROME_CONTAINERS: dict[str, Callable[[Tag], bool]] = {
    "nav": lambda t: t.name in ("nav", "header", "footer", "aside"),
    "sidebar": lambda t: any("sidebar" in c for c in t.get("class") or []),
    "role": lambda t: t.get("role") in ("navigation", "contentinfo", "banner"),
}
_CHROME_MARKERS = ("¶", "Skip to content", "Edit this page", "Copy to clipboard",
                   "View page source", "Made with", "Back to top")


def eval_docs_themes(corpus: Path) -> None:
    """Chrome left, headings, code blocks and languages on the Sphinx and Material pages."""
    print("== docs themes (sphinx_rtd, mkdocs_material; reflib only)")
    pages = sorted((corpus / "html_pages" / "sphinx_rtd").glob("*.html"))
    pages += sorted((corpus / "html_pages" / "mkdocs_material").glob("*.html"))
    totals = Counter[str]()
    for page in pages:
        data = page.read_bytes()
        markdown = convert_page(data).markdown
        soup = BeautifulSoup(data.decode("utf-8"), "html.parser")
        found = soup.select_one("article.md-content__inner") or soup.select_one("div.body")
        article = found if isinstance(found, Tag) else None
        inside = set()
        if article is not None:
            inside = {(normalise(a.get_text()), str(a.get("href", "")))
                      for a in article.find_all("a")}
        links: set[tuple[str, str]] = set()
        for tag in soup.find_all(True):
            if any(test(tag) for test in _CHROME_CONTAINERS.values()):
                for link in tag.find_all("a", href=True):
                    pair = (normalise(link.get_text()), str(link["href"]))
                    if len(pair[0]) > 2 and pair not in inside:
                        links.add(pair)
        left = [text for text, href in links if f"[{text}]({href})" in markdown]
        markers = sum(markdown.count(m) for m in _CHROME_MARKERS)
        pres = article.find_all("pre") if article is not None else []
        headings = len(article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])) if article else 0
        ours = len(re.findall(r"^#{1,6} ", _strip_fenced(markdown), re.M))
        opened = re.findall(r"^\s*(`{3,})(\S*)", markdown, re.M)[::2]
        totals.update(links=len(left), probes=len(links), markers=markers, pre=len(pres),
                      fences=len(opened), headings=headings, ours=ours,
                      lang=sum(1 for f in opened if f[1]))
        print(f"  {page.parent.name}/{page.name}: chrome links left {len(left)}/{len(links)}; "
              f"markers {markers}; code blocks {len(opened)}/{len(pres)}; headings "
              f"{ours}/{headings}")
    print(f"  total: chrome links left {totals['links']}/{totals['probes']}; chrome markers "
          f"{totals['markers']}; code blocks {totals['fences']}/{totals['pre']} "
          f"({totals['lang']} with a language); headings {totals['ours']}/{totals['headings']}")


def _strip_fenced(markdown: str) -> str:
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


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="the shared corpus folder (default: ../shared/corpus)")
    parser.add_argument("--only", action="append", choices=SYSTEMS,
                        help="run only these systems (repeatable; default: all three)")
    parser.add_argument("--set", action="append", dest="sets",
                        choices=("readability", "html_bench", "trafilatura", "docs"),
                        help="run only these sets (repeatable; default: all)")
    parser.add_argument("--min-words", type=int, default=40,
                        help="leave out readability cases with fewer expected words (40)")
    parser.add_argument("-v", "--verbose", action="store_true", help="every page's scores")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "html_pages").is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore")
    systems = make_systems(args.only or list(SYSTEMS))
    sets = args.sets or ["readability", "html_bench", "trafilatura", "docs"]
    scorer = _load_score_module(corpus / "html_bench" / "score.py")
    if "readability" in sets:
        score_set("readability", readability_cases(corpus, args.min_words), systems, scorer,
                  args.verbose)
    if "html_bench" in sets:
        score_set("html_bench", html_bench_cases(corpus), systems, scorer, args.verbose)
    if "trafilatura" in sets:
        eval_snippets(corpus, systems, args.verbose)
    if "docs" in sets:
        eval_docs_themes(corpus)
    print("== time on the same pages (sets above, one process, sequential)")
    base = next((s for s in systems if s.name == "trafilatura"), None)
    for system in systems:
        ratio = f" = {system.seconds / base.seconds:.2f}x trafilatura" if base and \
            base.seconds and system is not base else ""
        print(f"  {system.name:<18} {system.seconds:6.2f} s for {system.pages} pages "
              f"({1000 * system.seconds / max(1, system.pages):.1f} ms/page){ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
