"""What a reader sees, in headless Chromium: the index on a phone, filter and sort state in
the URL, badge contrast in both colour schemes, the preview popover staying in view, and a
broken evidence link marked in the page under ``mkdocs serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_index_readable_on_a_phone(site_url: str, browser: Any) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(site_url)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    rows = page.locator(".reflib-index tbody tr")
    assert rows.count() == 4
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert cells.count() == 6
        for j in range(1, 6):  # Type, Status, Priority, Phase, Topics: each visible, labelled
            cell = cells.nth(j)
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, j)
            assert cell.get_attribute("data-label") in ("Type", "Status", "Priority", "Phase",
                                                        "Topics")
            label = cell.evaluate("el => getComputedStyle(el, '::before').content")
            assert label.strip('"') == cell.get_attribute("data-label")
    # the column headers are hidden there, so sorting is in the filter bar
    assert page.locator(".reflib-index thead").is_hidden()
    page.select_option("select[data-reflib-sort]", "priority:descending")
    first = page.locator(".reflib-index tbody tr").first
    assert "low" in first.locator("td").nth(3).inner_text()
    # the dashboard too: nothing wider than the screen
    page.goto(site_url + "dashboard/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()


def test_filter_and_sort_state_restored_from_the_url(site_url: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(site_url + "?status=converted&sort=priority&order=desc")
    assert page.locator("select[data-reflib-filter=status]").input_value() == "converted"
    assert page.locator(".reflib-index tbody tr:not([hidden])").count() == 1
    assert page.locator(".reflib-index thead th:nth-child(4)").get_attribute(
        "aria-sort") == "descending"
    assert page.locator("select[data-reflib-sort]").input_value() == "priority:descending"
    # a change is written to the URL, and a reload restores it
    page.select_option("select[data-reflib-filter=status]", "")
    page.fill("input[data-reflib-filter=text]", "gamma")
    page.click(".reflib-index thead th:nth-child(2)")
    query = page.evaluate("() => window.location.search")
    assert "q=gamma" in query and "sort=type" in query and "order=asc" in query
    assert "status=" not in query
    page.reload()
    assert page.locator("input[data-reflib-filter=text]").input_value() == "gamma"
    assert page.locator(".reflib-index tbody tr:not([hidden])").count() == 1
    assert page.locator(".reflib-index thead th:nth-child(2)").get_attribute(
        "aria-sort") == "ascending"
    # a value that is not an option is ignored, not applied
    page.goto(site_url + "?type=%3Cscript%3E")
    assert page.locator("select[data-reflib-filter=type]").input_value() == ""
    assert page.locator(".reflib-index tbody tr:not([hidden])").count() == 4
    page.close()


CONTRAST = """() => {
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a)
      .concat([a]);
  }
  function background(el) {
    const layers = [];
    for (let n = el; n; n = n.parentElement) layers.push(rgba(getComputedStyle(n).backgroundColor));
    let color = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) color = over(layers[i], color);
    return color;
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  return Array.from(document.querySelectorAll('.reflib-badge')).map(el => {
    const bg = background(el);
    const fg = over(rgba(getComputedStyle(el).color), bg);
    const a = lum(fg), b = lum(bg);
    return [el.className, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_badge_text_meets_wcag_aa_contrast(palette_site_url: str, browser: Any,
                                            scheme: str) -> None:
    page = browser.new_page()
    found: dict[str, float] = {}
    for path in ("", "resources/alpha/", "resources/beta/", "dashboard/"):
        page.goto(palette_site_url + path)
        page.evaluate(f"() => document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == (
            "rgb(255, 255, 255)" if scheme == "default" else "rgb(30, 33, 41)"), scheme
        for cls, ratio in page.evaluate(CONTRAST):
            found[cls] = min(ratio, found.get(cls, ratio))
    kinds = {c for c in found if "priority--" in c or "status--" in c or "review--" in c}
    assert len(kinds) >= 6, found
    low = {c: round(r, 2) for c, r in found.items() if r < 4.5}
    assert not low, low
    page.close()


def test_preview_flips_above_a_link_near_the_bottom(site_url: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site_url + "resources/alpha/")
    link = page.locator("a.reflib-evidence[data-reflib-preview]").first
    link.hover()
    popover = page.locator(".reflib-popover")
    popover.wait_for(state="visible", timeout=5000)
    below, box = popover.bounding_box(), link.bounding_box()
    assert below is not None and box is not None and below["y"] >= box["y"] + box["height"]
    page.mouse.move(0, 0)
    # a window that ends just under the link: no room below, the preview goes above
    page.set_viewport_size({"width": 1280, "height": int(box["y"] + box["height"] + 20)})
    page.evaluate("() => window.scrollTo(0, 0)")
    link.hover()
    popover.wait_for(state="visible", timeout=5000)
    above, box = popover.bounding_box(), link.bounding_box()
    assert above is not None and box is not None
    assert above["y"] + above["height"] <= box["y"] + 1, (above, box)
    assert above["y"] >= 0
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_broken_evidence_marked_in_the_page_under_serve(tmp_path: Path, browser: Any) -> None:
    from libfactory import make_library
    from sitebuild import SMALLEST_CONFIG

    root = make_library(tmp_path / "lib")
    (root / "mkdocs.yml").write_text(SMALLEST_CONFIG)
    card = root / "refs/resources/alpha.md"
    card.write_text(card.read_text().replace("#22-performance-optimization",
                                             "#22-performance-optimisation", 1))
    port = _free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "--no-livereload",
                             "-a", f"127.0.0.1:{port}"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "resources/alpha/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"mkdocs serve did not start ({proc.poll()}): " + (
                    proc.stdout.read() if proc.stdout and proc.poll() is not None else ""))
            time.sleep(0.5)
        page = browser.new_page()
        page.goto(base + "resources/alpha/")
        marker = page.locator(".reflib-problem")
        assert marker.count() == 1
        assert marker.is_visible()
        reason = marker.get_attribute("title") or ""
        assert "22-performance-optimisation" in reason
        assert "did you mean" in reason and "22-performance-optimization" in reason
        # the marker sits on the evidence line with the broken link
        line = marker.evaluate("el => el.closest('li, p').innerText")
        assert "Performance" in line or "2.2" in line
        page.close()
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "reflib: refs/resources/alpha.md:" in out and "[evidence-anchor]" in out
    # MkDocs says nothing of its own about a page the author never wrote
    assert "sources/alpha/index.md" not in out, out
