"""No script from the library runs in the built site: manifest values, titles, headings.

A library whose manifest values (type, priority, topics, title, notes), topic and card titles
and full-text headings carry script payloads is built; every page is opened in headless
Chromium, the search dialog is opened and used, and no payload may have run. The strict build
refuses the manifest values that ``reflib check`` rejects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browsersite import ARGS, CHROMIUM, require_browser, serve_folder
from libfactory import make_library
from sitebuild import build

PAYLOAD = "<img src=x onerror=window.__xss=(window.__xss||0)+1>"
SVG = "<svg onload=window.__xss=(window.__xss||0)+1>"


def hostile_library(root: Path) -> Path:
    make_library(root)
    manifest = root / "refs/manifest.yaml"
    text = manifest.read_text()
    text = text.replace("type: paper", f'type: "{PAYLOAD}"', 1)
    text = text.replace("priority: high", f'priority: "{PAYLOAD}"', 1)
    text = text.replace("topics: [01-first]", f'topics: [01-first, "{PAYLOAD}"]', 1)
    text = text.replace('title: "Alpha: a paper"', f'title: "Alpha {PAYLOAD} paper"', 1)
    text = text.replace("title: Gamma issue", f'title: "Gamma {SVG}"\n    notes: "{PAYLOAD}"',
                        1)
    manifest.write_text(text)
    topic = root / "refs/topics/02-second.md"
    topic.write_text(f'---\ntitle: "Second {PAYLOAD}"\n---\n' + topic.read_text())
    card = root / "refs/resources/beta.md"
    card.write_text(card.read_text().replace("# Beta", f"# Beta {PAYLOAD}"))
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text().replace(
        "## Results\n\nFirst results.",
        f"## Results {PAYLOAD}\n\nFirst results. &lt;img src=x onerror=alert(1)&gt;\n\n"
        f"## Escaped &lt;img src=x onerror=window.__xss=1&gt; heading\n\nText.", 1))
    return root


def test_strict_build_refuses_values_check_rejects(tmp_path: Path) -> None:
    root = hostile_library(tmp_path / "lib")
    result = build(root, strict=True, extra=["-q"])
    assert result.returncode != 0
    assert "[manifest-bad-value]" in result.log


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    root = hostile_library(tmp_path_factory.mktemp("hostile") / "lib")
    result = build(root, strict=False)
    assert result.returncode == 0, result.log
    with serve_folder(result.site) as url:
        yield url


@pytest.mark.browser
def test_no_payload_runs_on_any_page_or_in_search(hostile_site: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("", "dashboard/", "resources/alpha/", "resources/beta/",
                     "resources/gamma/", "sources/alpha/", "topics/01-first/",
                     "topics/02-second/"):
            page.goto(hostile_site + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__xss") is None, path
        # the search dialog writes filter labels and titles as HTML
        page.goto(hostile_site + "topics/01-first/")
        page.click(".md-header .reflib-search-button")
        box = page.locator(".reflib-search .pagefind-ui__search-input")
        box.wait_for(state="visible", timeout=10000)
        for word in ("results", "alpha", "gamma"):
            box.fill(word)
            page.locator(".pagefind-ui__result").first.wait_for(timeout=10000)
            page.wait_for_timeout(300)
        labels = page.evaluate("Array.from(document.querySelectorAll("
                               "'.pagefind-ui__filter-label')).map(e => e.textContent)")
        assert any("\u2039img src=x" in label for label in labels), labels  # shown, inert
        assert page.evaluate("window.__xss") is None
        assert dialogs == []
        browser.close()


def test_titles_with_angle_brackets_show_as_written(tmp_path: Path) -> None:
    root = make_library(tmp_path / "lib")
    manifest = root / "refs/manifest.yaml"
    manifest.write_text(manifest.read_text().replace('title: Gamma issue',
                                                     'title: "Gamma: List<T> and a < b"', 1))
    result = build(root, strict=True)
    assert result.returncode == 0, result.log
    index = result.article("index.html")
    link = index.find("a", string=lambda s: bool(s) and "Gamma" in s)
    assert link is not None and link.get_text() == "Gamma: List<T> and a < b"
    page = result.article("resources/gamma/index.html")
    assert "\\<" not in page.get_text() and "List<T>" in page.get_text()
