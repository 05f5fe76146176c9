"""End to end: the built site in headless Chromium (filters, evidence links, previews)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browsersite import serve_folder
from sitebuild import SMALLEST_CONFIG, build

pytestmark = pytest.mark.browser


def test_filter_sort_follow_and_preview(site_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site_url)
    rows = page.locator(".reflib-index tbody tr")
    assert rows.count() == 4
    page.select_option("select[data-reflib-filter=status]", "converted")
    assert page.locator(".reflib-index tbody tr:not([hidden])").count() == 1
    assert page.locator(".reflib-index tbody tr[hidden]").count() == 3
    assert page.locator("[data-reflib-count]").inner_text() == "1 of 4"
    page.select_option("select[data-reflib-filter=status]", "")
    page.fill("input[data-reflib-filter=text]", "gamma")
    assert page.locator(".reflib-index tbody tr:not([hidden])").count() == 1
    page.fill("input[data-reflib-filter=text]", "")
    # sort by priority (high first), then descending
    page.click(".reflib-index thead th:nth-child(4)")
    first = page.locator(".reflib-index tbody tr").first.locator("td").first.inner_text()
    assert "Alpha" in first
    page.click(".reflib-index thead th:nth-child(4)")
    last = page.locator(".reflib-index tbody tr").last.locator("td").first.inner_text()
    assert "Alpha" in last

    page.goto(site_url + "resources/alpha/")
    link = page.locator("a.reflib-evidence").first
    link.hover()
    popover = page.locator(".reflib-popover")
    popover.wait_for(state="visible", timeout=5000)
    assert "Micro-batches shrink the bubble." in popover.inner_text()
    assert "2.2 Performance Optimization" in popover.inner_text()
    link.click()
    page.wait_for_url("**/sources/alpha/#22-performance-optimization", timeout=10000)
    target = page.locator('[id="22-performance-optimization"]')
    assert target.is_visible()
    assert target.evaluate("el => el.getBoundingClientRect().top < window.innerHeight")
    backlink = page.locator('[id="22-performance-optimization"] + .reflib-backlinks a')
    assert backlink.get_attribute("href") == "../../resources/alpha/#claim-1"
    assert not errors, errors
    page.close()


def test_quoted_evidence_is_highlighted_in_preview_and_cited_page(site_url: str,
                                                                  browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site_url + "resources/alpha/")
    assert page.locator("q.reflib-quote").first.inner_text() == "first results"
    link = page.locator("a.reflib-evidence[data-reflib-quote]")
    assert link.count() == 1
    link.hover()
    popover = page.locator(".reflib-popover")
    popover.wait_for(state="visible", timeout=5000)
    assert popover.locator("mark.reflib-quote-hit").inner_text() == "First results"
    link.click()
    page.wait_for_url("**/sources/alpha/?quote=first%20results#results", timeout=10000)
    hit = page.locator("article mark.reflib-quote-hit")
    hit.first.wait_for(state="visible", timeout=5000)
    assert hit.count() == 1 and hit.inner_text() == "First results"
    # only inside the cited section: the second "Results" section has "Second results"
    section = hit.evaluate("""el => { let n = el.closest('p');
        while (n && !/^H[1-6]$/.test(n.tagName)) n = n.previousElementSibling;
        return n && n.id; }""")
    assert section == "results"
    assert hit.evaluate("el => { const r = el.getBoundingClientRect();"
                        " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert not errors, errors
    page.close()


TOP = ".pagefind-ui__result-inner > .pagefind-ui__result-title .pagefind-ui__result-link"
"""The link of each result (not of its sub-results)."""
RESULTS = f"""() => Array.from(document.querySelectorAll('.reflib-search {TOP}'))
    .map(a => [a.innerText, a.getAttribute('href')])"""


def _search(page: object, query: str, at_least: int = 1) -> list[list[str]]:
    """Type ``query`` into the open search dialog; the results' titles and links once all
    shown results have their links."""
    box = page.locator(".reflib-search .pagefind-ui__search-input")  # type: ignore[attr-defined]
    box.wait_for(state="visible", timeout=10000)
    box.fill(query)
    page.wait_for_function(f"""() => {{
        const message = document.querySelector('.reflib-search .pagefind-ui__message');
        if (!message || !message.innerText.includes({json.dumps(query)})) return false;
        const shown = document.querySelectorAll('.reflib-search .pagefind-ui__result').length;
        const linked = document.querySelectorAll('.reflib-search {TOP}[href]').length;
        return shown >= {at_least} && shown === linked; }}""",  # type: ignore[attr-defined]
        timeout=10000)
    return page.evaluate(RESULTS)  # type: ignore[attr-defined,no-any-return]


def test_header_search_finds_the_section_first_and_filters(site_url: str,
                                                           browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site_url + "topics/01-first/")
    page.click(".md-header .reflib-search-button")
    # a query naming a heading: that section is the first result and links to it
    results = _search(page, "performance optimization")
    assert results[0][0] == "2.2 Performance Optimization — Alpha: a paper · full text"
    assert results[0][1].endswith("/sources/alpha/#22-performance-optimization"), results
    # with the section's own words as its excerpt
    excerpt = page.locator(".reflib-search .pagefind-ui__result").first.locator(
        ".pagefind-ui__result-excerpt")
    assert "Micro-batches shrink the bubble" in excerpt.inner_text()
    # more than three results at once, each a section with its page
    results = _search(page, "alpha", at_least=4)
    assert len(results) >= 4 and page.locator(".reflib-search .pagefind-ui__button").count() \
        in (0, 1)
    # sections of the full text and the card's claims
    results = _search(page, "bubble", at_least=2)
    titles = [t for t, _ in results]
    assert any(t.endswith("Alpha: a paper · full text") for t in titles), titles
    assert any(t.endswith("· card") and t.startswith("Claims") for t in titles), titles
    before = len(results)
    # narrow to full texts with the "kind" filter
    page.locator(".pagefind-ui__filter-panel details").filter(has_text="kind").first \
        .evaluate("el => el.open = true")
    page.locator("label", has_text="full text").first.click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.pagefind-ui__result').length < {before}",
        timeout=10000)
    titles = [t for t, _ in page.evaluate(RESULTS)]
    assert titles and all("full text" in t for t in titles), titles
    link = page.locator(".reflib-search a.pagefind-ui__result-link",
                        has_text="2.2 Performance Optimization").first
    link.click()
    page.wait_for_url("**/sources/alpha/#22-performance-optimization", timeout=10000)
    assert page.locator(".reflib-search").is_hidden()
    assert not errors, errors
    page.close()


def test_search_dialog_on_a_phone(site_url: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.goto(site_url + "resources/alpha/")
    page.click(".md-header .reflib-search-button")
    results = _search(page, "performance optimization")
    assert results[0][1].endswith("/sources/alpha/#22-performance-optimization")
    first = page.locator(".reflib-search .pagefind-ui__result").first
    box = first.bounding_box()
    # the first result in the top half of the screen: the filters take two short rows
    assert box is not None and box["y"] < 844 / 2, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    panel = page.locator(".reflib-search__panel").bounding_box()
    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    page.close()


def test_sections_beyond_the_record_budget_are_sub_results(tmp_path: Path,
                                                           browser: object) -> None:
    """With fewer records allowed than the library has headings, pages are cut at h2 only
    (or not at all): the best-matching heading inside a record is the result, linked to the
    heading in the page, and the record's own section is listed under it."""
    from libfactory import make_library
    from reflib.core import model

    root = make_library(tmp_path / "lib")
    full = root / "sources/alpha/full.md"
    full.write_text(full.read_text().replace(
        "Alpha introduces the idea.\n",
        "Alpha introduces the idea.\n\n### 1.1 Zanzibar pipelines\n\nQuokka scheduling.\n"))
    counted = build(root, SMALLEST_CONFIG.replace("  - reflib\n",
                                                  "  - reflib:\n      search: none\n"))
    assert counted.returncode == 0, counted.log
    pages = sum(1 for _ in counted.site.rglob("index.html"))
    levels = [h.level for doc in model.load(root).documents.values() for h in doc.headings]
    assert levels.count(3) >= 1
    for budget, cut in ((pages + levels.count(2), "h2 sections"), (1, "whole pages")):
        result = build(root, SMALLEST_CONFIG.replace(
            "  - reflib\n", f"  - reflib:\n      search_records: {budget}\n"))
        assert result.returncode == 0, result.log
        assert f"search records are {cut}" in result.log
        settings = json.loads((result.site / "assets/reflib/search.json").read_text())
        assert settings == ({"records": "h2", "page_size": 8} if cut == "h2 sections"
                            else {"records": "pages", "page_size": 4})
        with serve_folder(result.site) as url:
            page = browser.new_page()  # type: ignore[attr-defined]
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto(url)
            page.click(".md-header .reflib-search-button")
            results = _search(page, "quokka")
            assert results[0][0] == "1.1 Zanzibar pipelines — Alpha: a paper · full text", \
                (cut, results)
            assert results[0][1].endswith("/sources/alpha/#11-zanzibar-pipelines"), results
            if cut == "h2 sections":
                sub = page.locator(".reflib-search .pagefind-ui__result-nested a").first
                sub.wait_for(state="visible", timeout=5000)
                assert sub.inner_text() == "1 Introduction"
                assert sub.get_attribute("href").endswith(  # type: ignore[union-attr]
                    "/sources/alpha/#1-introduction")
            # a query matching the section's own text: the section is the result
            _search(page, "introduces")
            page.wait_for_function(f"""() => {{
                const a = document.querySelector('.reflib-search {TOP}');
                return a && a.innerText.startsWith("1 Introduction — "); }}""",
                timeout=10000)
            if cut == "whole pages":  # whole pages' fragments are large: four at once
                _search(page, "alpha", at_least=4)
                assert page.locator(".reflib-search .pagefind-ui__result").count() == 4
                assert page.locator(".reflib-search .pagefind-ui__button").count() == 1
                _search(page, "introduces")
            page.locator(".reflib-search a.pagefind-ui__result-link").first.click()
            page.wait_for_url("**/sources/alpha/**", timeout=10000)
            assert not errors, errors
            page.close()
