"""The repository's own example library stays valid and shows every feature of the format."""

from __future__ import annotations

from pathlib import Path

from reflib.checks.check import check_root
from reflib.core import model
from reflib.core.schema import STATUSES, TYPES

REPO = Path(__file__).resolve().parents[1]


def test_example_library_checks_clean() -> None:
    findings = check_root(REPO)
    assert findings == [], "\n".join(f.text() for f in findings)


def test_example_library_shows_every_feature() -> None:
    lib = model.load(REPO)
    resources = list(lib.resources.values())
    assert {r.status for r in resources} == set(STATUSES)
    types = {r.type for r in resources}
    assert {"paper", "docs", "blog", "repo"} <= types
    assert types & {"rfc", "issue"}
    assert types <= set(TYPES)
    docs = [r for r in resources if r.type == "docs"]
    assert any(len(r.raw) >= 2 for r in docs), "a docs resource with two pages"
    reviews = {r.review for r in resources if r.card is not None}
    assert reviews == {"draft", "approved"}
    cited = [c for card in lib.cards.values() for c in card.claims if c.citations]
    assert len(cited) >= 3
    assert len(lib.topics) >= 2
    assert any(d.kind == model.KIND_DOC for d in lib.documents.values()), "a bridge doc"
    manifest_text = (REPO / "refs/manifest.yaml").read_text()
    assert manifest_text.lstrip().startswith("#"), "the manifest shows comments"
