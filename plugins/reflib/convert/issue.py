"""GitHub issue converter: REST API JSON to one markdown body.

Accepted raw files (``.json``, UTF-8):

- ``{"issue": {...}, "comments": [...]}``, optionally with other keys such as ``source``;
- a bare issue object, with its comments either in a JSON array listed right after it in
  the manifest's ``raw`` list, or in a sibling file ``<stem>.comments.json``,
  ``<stem>_comments.json``, ``<stem>-comments.json`` or ``comments.json``.

Several issues in one resource are rendered one after the other. Output per issue::

    # <title> (#<number>)
    - State: ..., Author: ..., Created/Updated/Closed: ..., Labels: ..., URL: ...
    ## Body
    ## Comments
    ### <author> commented on <YYYY-MM-DD>

Bodies are kept verbatim (CRLF normalised to LF); a code fence left open at the end of a
body is closed so that it cannot swallow what follows, and that is noted. Bot authors are
marked ``(bot)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflib.convert import escape_inline, unclosed_fence
from reflib.convert.base import ConversionError, ConvertRequest, ConvertResult

SIBLING_PATTERNS = ("{stem}.comments.json", "{stem}_comments.json", "{stem}-comments.json",
                    "comments.json")


@dataclass
class Thread:
    """One issue and its comments, with the raw file each came from."""

    issue: dict[str, Any]
    source: str
    comments: list[dict[str, Any]] | None = None
    comments_source: str | None = None
    notes: list[str] = field(default_factory=list)


# --- reading -----------------------------------------------------------------------------------


def load_json(path: Path, shown: str) -> Any:
    """Parse a JSON file; errors name the file, and the line and column for bad syntax."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConversionError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{shown}: not UTF-8 (byte {exc.start}); JSON must be UTF-8") \
            from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConversionError(f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") \
            from None
    except RecursionError:
        raise ConversionError(f"{shown}: invalid JSON: nested too deeply") from None


def _comment_list(value: Any, shown: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        raise ConversionError(f"{shown}: 'comments' must be a list of comment objects")
    return value


def _looks_like_issue(data: dict[str, Any]) -> bool:
    return "title" in data and ("number" in data or "body" in data or "html_url" in data)


def threads_from(data: Any, shown: str, threads: list[Thread]) -> None:
    """Add what one parsed raw file holds to ``threads``."""
    if isinstance(data, dict) and isinstance(data.get("issue"), dict):
        thread = Thread(data["issue"], shown)
        if data.get("comments") is not None:
            thread.comments = _comment_list(data["comments"], shown)
            thread.comments_source = shown
        threads.append(thread)
    elif isinstance(data, dict) and _looks_like_issue(data):
        threads.append(Thread(data, shown))
    elif isinstance(data, list):
        if not threads or threads[-1].comments is not None:
            raise ConversionError(
                f"{shown}: a list of comments must follow the issue it belongs to in 'raw'"
            )
        threads[-1].comments = _comment_list(data, shown)
        threads[-1].comments_source = shown
    else:
        raise ConversionError(
            f"{shown}: not a GitHub issue: expected an issue object with 'title', "
            "or {\"issue\": {...}, \"comments\": [...]}"
        )


def find_sibling(path: Path, listed: set[Path]) -> Path | None:
    """A comments file next to a bare issue file that the manifest does not list."""
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.stem
    for pattern in SIBLING_PATTERNS:
        candidate = path.with_name(pattern.format(stem=stem))
        if candidate != path and candidate.is_file() and candidate.resolve() not in listed:
            return candidate
    return None


def collect(request: ConvertRequest) -> list[Thread]:
    """Every issue of the request with its comments, in ``raw`` order."""
    threads: list[Thread] = []
    sources: dict[str, Path] = {}
    for raw in request.raw:
        shown = f"sources/{request.resource_id}/{raw.rel}"
        sources[shown] = raw.path
        threads_from(load_json(raw.path, shown), shown, threads)
    if not threads:
        raise ConversionError("no issue JSON to convert")
    listed = {raw.path.resolve() for raw in request.raw}
    for thread in threads:
        if thread.comments is not None:
            continue
        sibling = find_sibling(sources[thread.source], listed)
        if sibling is None:
            continue
        shown = thread.source.rpartition("/")[0] + "/" + sibling.name
        thread.comments = _comment_list(load_json(sibling, shown), shown)
        thread.comments_source = shown
        thread.notes.append(f"comments read from {sibling.name}, which 'raw' does not list; "
                            "list it so that its hash is recorded")
    return threads


# --- rendering ---------------------------------------------------------------------------------


def normalise(text: Any) -> str:
    """A body as text with LF line endings ("" for null)."""
    if text is None:
        return ""
    return str(text).replace("\r\n", "\n").replace("\r", "\n")


def login(user: Any) -> str:
    """A user's login, marked ``(bot)`` for bot accounts; ``ghost`` for a deleted user."""
    if not isinstance(user, dict) or not user.get("login"):
        return "ghost"
    name = str(user["login"])
    if user.get("type") == "Bot" or name.endswith("[bot]"):
        return f"{name} (bot)"
    return name


def _names(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(i.get(key)) if isinstance(i, dict) else str(i) for i in items]


def metadata(issue: dict[str, Any]) -> list[str]:
    """The metadata list under the title."""
    state = str(issue.get("state") or "unknown")
    if issue.get("state_reason"):
        state += f" ({issue['state_reason']})"
    rows = [("State", state)]
    pull = issue.get("pull_request")
    if isinstance(pull, dict):
        rows.append(("Type", "pull request"))
    rows.append(("Author", login(issue.get("user"))))
    for label, key in (("Created", "created_at"), ("Updated", "updated_at")):
        if issue.get(key):
            rows.append((label, str(issue[key])))
    if issue.get("closed_at"):
        closer = issue.get("closed_by")
        by = f" by {login(closer)}" if isinstance(closer, dict) else ""
        rows.append(("Closed", f"{issue['closed_at']}{by}"))
    if isinstance(pull, dict) and pull.get("merged_at"):
        rows.append(("Merged", str(pull["merged_at"])))
    rows.append(("Labels", ", ".join(_names(issue.get("labels"), "name")) or "none"))
    assignees = _names(issue.get("assignees"), "login")
    if assignees:
        rows.append(("Assignees", ", ".join(assignees)))
    milestone = issue.get("milestone")
    if isinstance(milestone, dict) and milestone.get("title"):
        rows.append(("Milestone", str(milestone["title"])))
    url = issue.get("html_url") or issue.get("url")
    if url:
        rows.append(("URL", f"<{url}>"))
    return [f"- {name}: {value if name == 'URL' else escape_inline(value)}"
            for name, value in rows]


def body_text(text: Any, empty: str, where: str, notes: list[str]) -> str:
    """A body verbatim, with an open trailing code fence closed (and noted)."""
    body = normalise(text).strip("\n")
    if not body.strip():
        return f"_{empty}_\n"
    fence = unclosed_fence(body)
    if fence:
        body += "\n" + fence
        notes.append(f"{where}: code block left open at the end; closed with {fence}")
    return body + "\n"


def comment_section(comment: dict[str, Any], number: int, notes: list[str]) -> str:
    """``### <author> commented on <date>``, a line with time and link, then the body."""
    created = str(comment.get("created_at") or "")
    day = created[:10] or "an unknown date"
    head = f"### {login(comment.get('user'))} commented on {day}\n\n"
    facts = [created] if created else []
    updated = comment.get("updated_at")
    if updated and updated != created:
        facts.append(f"edited {updated}")
    if comment.get("author_association") not in (None, "NONE"):
        facts.append(str(comment["author_association"]).lower())
    if comment.get("html_url"):
        facts.append(f"<{comment['html_url']}>")
    line = f"{' · '.join(facts)}\n\n" if facts else ""
    body = body_text(comment.get("body"), "No text.", f"comment {number}", notes)
    return head + line + body


def _title(issue: dict[str, Any], fallback: str) -> str:
    title = normalise(issue.get("title")).strip() or fallback
    number = issue.get("number")
    return f"{title} (#{number})" if number is not None else title


def render_thread(thread: Thread, fallback_title: str, notes: list[str]) -> str:
    """The markdown of one issue with its comments."""
    issue = thread.issue
    parts = [f"# {escape_inline(_title(issue, fallback_title))}\n", "\n".join(metadata(issue))
             + "\n", "## Body\n",
             body_text(issue.get("body"), "No description provided.", "issue body", notes),
             "## Comments\n"]
    comments = thread.comments or []
    if not comments:
        parts.append("_No comments._\n")
    for number, comment in enumerate(comments, 1):
        parts.append(comment_section(comment, number, notes))
    expected = issue.get("comments")
    if isinstance(expected, int) and not isinstance(expected, bool) \
            and thread.comments is not None and expected != len(comments):
        notes.append(f"the issue reports {expected} comment(s); the JSON holds {len(comments)}")
    if thread.comments is None and isinstance(expected, int) and expected > 0:
        notes.append(f"the issue reports {expected} comment(s) but no comments were saved")
    return "\n".join(parts)


def convert(request: ConvertRequest) -> ConvertResult:
    """Convert the issue JSON of ``request`` to markdown."""
    threads = collect(request)
    notes: list[str] = []
    bodies = []
    for thread in threads:
        thread_notes: list[str] = list(thread.notes)
        bodies.append(render_thread(thread, request.title, thread_notes))
        prefix = f"#{thread.issue['number']}: " if len(threads) > 1 and \
            "number" in thread.issue else ""
        notes.extend(prefix + n for n in thread_notes)
    title = normalise(threads[0].issue.get("title")).strip() or None
    return ConvertResult(body="\n".join(bodies), kind="issue", notes=notes, title=title)
