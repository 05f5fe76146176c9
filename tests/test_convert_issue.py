"""The GitHub issue converter: metadata, body, comments in order, bots, CRLF, bad JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from reflib.convert.base import ConversionError, ConvertRequest, RawInput
from reflib.convert.issue import convert
from reflib.core.paths import Slugger, heading_plain_text

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "type": kind}


def comment(login: str, body: str | None, created: str = "2024-01-02T03:04:05Z",
            kind: str = "User", **extra: Any) -> dict[str, Any]:
    return {"user": user(login, kind), "body": body, "created_at": created,
            "updated_at": created, "html_url": f"https://github.com/o/r/issues/7#c-{login}",
            **extra}


ISSUE: dict[str, Any] = {
    "number": 7,
    "title": "Crash on `List<T>` with *stars*",
    "state": "closed",
    "state_reason": "completed",
    "user": user("alice"),
    "created_at": "2024-01-01T10:00:00Z",
    "updated_at": "2024-02-01T10:00:00Z",
    "closed_at": "2024-01-05T10:00:00Z",
    "closed_by": user("bob"),
    "labels": [{"name": "bug"}, {"name": "help wanted"}],
    "html_url": "https://github.com/o/r/issues/7",
    "comments": 3,
    "body": "Steps:\r\n\r\n```py\r\ncrash()\r\n```\r\nThanks",
}
COMMENTS = [
    comment("bob", "Confirmed.\r\nOn 3.11 too."),
    comment("dependabot[bot]", "Bumped a dependency.", kind="Bot"),
    comment("bob", "Same day, same heading.", author_association="MEMBER"),
]


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def request(*paths: Path, title: str = "Fallback") -> ConvertRequest:
    raws = [RawInput(f"raw/{p.name}", p) for p in paths]
    return ConvertRequest("iss", title, "issue", None, raws)


def anchors(body: str) -> list[str]:
    slugger = Slugger()
    tokens = MarkdownIt("commonmark").parse(body)
    return [slugger.slug(heading_plain_text(tokens[i + 1].content))
            for i, t in enumerate(tokens) if t.type == "heading_open"]


def test_wrapped_issue(tmp_path: Path) -> None:
    raw = write_json(tmp_path / "issue.json", {"source": "test", "issue": ISSUE,
                                               "comments": COMMENTS})
    result = convert(request(raw))
    body = result.body
    assert result.kind == "issue"
    assert result.title == ISSUE["title"]
    assert body.startswith("# Crash on `List<T>` with \\*stars\\* (#7)\n")
    for line in ("- State: closed (completed)", "- Author: alice",
                 "- Created: 2024-01-01T10:00:00Z", "- Updated: 2024-02-01T10:00:00Z",
                 "- Closed: 2024-01-05T10:00:00Z by bob", "- Labels: bug, help wanted",
                 "- URL: <https://github.com/o/r/issues/7>"):
        assert line in body.splitlines()
    assert "\r" not in body
    assert "## Body\n\nSteps:\n\n```py\ncrash()\n```\nThanks\n" in body
    assert body.index("## Body") < body.index("## Comments")
    assert "### dependabot[bot] (bot) commented on 2024-01-02" in body
    assert "Confirmed.\nOn 3.11 too." in body
    positions = [body.index(c["body"].replace("\r\n", "\n")) for c in COMMENTS]
    assert positions == sorted(positions)
    assert result.notes == []


def test_colliding_comment_headings_get_distinct_anchors(tmp_path: Path) -> None:
    raw = write_json(tmp_path / "issue.json", {"issue": ISSUE, "comments": COMMENTS})
    found = anchors(convert(request(raw)).body)
    assert "bob-commented-on-2024-01-02" in found
    assert "bob-commented-on-2024-01-02-1" in found
    assert "dependabotbot-bot-commented-on-2024-01-02" in found
    assert len(found) == len(set(found))


def test_bare_issue_with_listed_comment_array(tmp_path: Path) -> None:
    issue = write_json(tmp_path / "issue.json", ISSUE)
    comments = write_json(tmp_path / "comments-page.json", COMMENTS)
    result = convert(request(issue, comments))
    assert result.body.count("commented on") == 3
    assert result.notes == []


def test_bare_issue_with_sibling_comments_file(tmp_path: Path) -> None:
    issue = write_json(tmp_path / "issue.json", ISSUE)
    write_json(tmp_path / "issue.comments.json", COMMENTS)
    result = convert(request(issue))
    assert result.body.count("commented on") == 3
    assert any("issue.comments.json" in n and "does not list" in n for n in result.notes)


def test_bare_issue_without_comments(tmp_path: Path) -> None:
    issue = write_json(tmp_path / "issue.json", {**ISSUE, "body": None, "labels": []})
    result = convert(request(issue))
    assert "## Body\n\n_No description provided._\n" in result.body
    assert "## Comments\n\n_No comments._\n" in result.body
    assert "- Labels: none" in result.body
    assert result.notes == ["the issue reports 3 comment(s) but no comments were saved"]


def test_comment_count_mismatch_is_noted(tmp_path: Path) -> None:
    raw = write_json(tmp_path / "issue.json", {"issue": ISSUE, "comments": COMMENTS[:1]})
    assert convert(request(raw)).notes == ["the issue reports 3 comment(s); the JSON holds 1"]


def test_unclosed_fence_is_closed_and_noted(tmp_path: Path) -> None:
    comments = [comment("carol", "look:\n````\ncode"), comment("dave", "after")]
    raw = write_json(tmp_path / "issue.json",
                     {"issue": {**ISSUE, "comments": 2}, "comments": comments})
    result = convert(request(raw))
    assert "code\n````\n" in result.body
    assert result.notes == ["comment 1: code block left open at the end; closed with ````"]
    assert "dave-commented-on-2024-01-02" in anchors(result.body)


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "issue.json"
    bad.write_text('{\n  "issue": {"title": "x",}\n}\n', encoding="utf-8")
    with pytest.raises(ConversionError) as info:
        convert(request(bad))
    assert str(info.value).startswith("sources/iss/raw/issue.json:2:26: invalid JSON:")


def test_not_utf8_and_not_an_issue(tmp_path: Path) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"title": "caf\xe9"}')
    with pytest.raises(ConversionError, match="not UTF-8"):
        convert(request(latin))
    other = write_json(tmp_path / "other.json", {"hello": "world"})
    with pytest.raises(ConversionError, match=r"other\.json: not a GitHub issue"):
        convert(request(other))
    stray = write_json(tmp_path / "stray.json", COMMENTS)
    with pytest.raises(ConversionError, match="must follow the issue"):
        convert(request(stray))


def test_pull_request_and_deleted_user(tmp_path: Path) -> None:
    pr = {**ISSUE, "user": None, "pull_request": {"merged_at": "2024-01-04T00:00:00Z"}}
    raw = write_json(tmp_path / "pr.json", {"issue": pr, "comments": []})
    body = convert(request(raw)).body
    assert "- Type: pull request" in body
    assert "- Author: ghost" in body
    assert "- Merged: 2024-01-04T00:00:00Z" in body


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "issues").is_dir(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "issues").glob("*.json"))
                         if (CORPUS / "issues").is_dir() else [])
def test_corpus_issue(name: str) -> None:
    path = CORPUS / "issues" / name
    data = json.loads(path.read_text(encoding="utf-8"))
    result = convert(request(path))
    body = result.body
    assert "\r" not in body
    issue = data["issue"]
    assert body.startswith("# ")
    assert f"(#{issue['number']})" in body.splitlines()[0]
    for c in data["comments"]:
        text = (c["body"] or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        assert text in body
        assert f"commented on {c['created_at'][:10]}" in body
        if c["user"]["type"] == "Bot":
            assert f"### {c['user']['login']} (bot) commented on" in body
    assert body.count("commented on") == len(data["comments"])
    assert len(anchors(body)) == len(set(anchors(body)))
