"""Golden cases of the HTML converter, one folder per stage (tests/golden/html/<stage>/).

Each ``<case>.html`` is real-world markup (the comment at its top says what it shows and what
must happen to it); ``<case>.md`` is the markdown the converter must produce, reviewed by hand.
The pages are converted without the second opinion, so the cases do not depend on
trafilatura's version. After a deliberate change of the output, regenerate the expected files
with ``REFLIB_UPDATE_GOLDEN=1 python -m pytest tests/test_html_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reflib.convert.html import convert_page

GOLDEN = Path(__file__).parent / "golden" / "html"
CASES = sorted(GOLDEN.glob("*/*.html"))
URL = "https://example.org/page/"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_golden(case: Path) -> None:
    result = convert_page(case.read_bytes(), url=URL, second_opinion=False)
    expected = case.with_suffix(".md")
    if os.environ.get("REFLIB_UPDATE_GOLDEN") == "1":
        expected.write_text(result.markdown, encoding="utf-8")
        pytest.skip("expected output written")
    assert expected.is_file(), f"no {expected.name}: run with REFLIB_UPDATE_GOLDEN=1"
    assert result.markdown == expected.read_text(encoding="utf-8")


def test_every_stage_has_cases() -> None:
    stages = {case.parent.name for case in CASES}
    assert stages >= {"math", "selection", "cleaning", "rendering"}


def test_title_is_the_headline_before_the_body() -> None:
    """The headline above the article text is the page's title (a full text puts it as the
    page's top heading), not part of the body."""
    case = GOLDEN / "selection" / "split_article_text.html"
    result = convert_page(case.read_bytes(), url=URL, second_opinion=False)
    assert result.title == "Harbour bridge reopens after two years of repairs"
    assert result.extraction == "article container article body class (3 parts)"
    assert result.coverage == 1.0


def test_second_opinion_adds_prose_the_blocks_left_out() -> None:
    """Prose another extractor found outside the chosen range is added to it (never removed)."""
    from reflib.convert.html import blocks, clean, dom, selection

    first = "The first part of the story is long enough to be chosen on its own merits. " * 6
    second = "A second part sits far below, after a large box of navigation links here. " * 4
    links = "".join(f"<li><a href='/n{i}'>Navigation link number {i}</a></li>" for i in range(40))
    html = (f"<html><body><div><p>{first}</p></div><ul class='x'>{links}</ul>"
            f"<div><p>{second}</p></div></body></html>")

    def chosen(other: str | None) -> tuple[str, str]:
        root = dom.parse(html)
        clean.remove_junk(root)
        page = blocks.analyse(root.body)
        sel = selection.choose(page, (lambda: other) if other is not None else None)
        selection.prune(sel, page)
        return sel.method, sel.root.text_content()

    method, text = chosen(None)
    assert "second part" not in text and method == "text blocks"
    method, text = chosen(first + "\n" + second)
    assert "second part" in text and "first part" in text
    assert method.startswith("text blocks; widened by trafilatura (+")
    method, _ = chosen(first)
    assert method == "text blocks; trafilatura agrees"


def test_real_second_opinion_runs() -> None:
    case = GOLDEN / "selection" / "several_articles.html"
    result = convert_page(case.read_bytes(), url=URL)
    assert "trafilatura" in result.extraction


def test_a_missing_second_opinion_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """When trafilatura cannot run, the conversion says so (it once failed silently on a fresh
    machine that lacked lxml_html_clean)."""
    from reflib.convert.html import opinion

    def unavailable(html: str, url: str | None) -> str | None:
        raise opinion.OpinionUnavailable("trafilatura cannot be imported (test)")

    monkeypatch.setattr(opinion, "trafilatura_text", unavailable)
    case = GOLDEN / "selection" / "several_articles.html"
    result = convert_page(case.read_bytes(), url=URL)
    assert result.extraction == "text blocks; no second opinion"
    assert "no second opinion: trafilatura cannot be imported (test)" in result.notes
