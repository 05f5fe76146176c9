"""``reflib mcp``: the library as a Model Context Protocol tool server, on the official ``mcp``
SDK (stdio transport).

Tools (each result carries structured content and a readable text):

* ``find(query, limit)``: ranked sections, as ``reflib find``;
* ``show(ref)``: a card, a full text, a topic or one section (``id#anchor``), as
  ``reflib show``;
* ``status()``: counts, the work queue, what awaits review, as ``reflib status --json``;
* ``check()``: every finding of ``reflib check``, structured (path, line, column, code,
  message);
* ``claims(id | cites | query)``: the claims of a card, the claims that cite a section
  (``id#anchor``) or any section of a full text (``id``), or the claims whose words match.

Every call reads the library as it is on disk then: files that changed since the last call
are read again (modification time and size), the others are reused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from reflib import __version__
from reflib.checks import check
from reflib.cli import show as show_cmd
from reflib.cli.status import report
from reflib.core.errors import ReflibError
from reflib.core.model import DocumentCache, Library, ManifestCache, load
from reflib.lookup import claimquery
from reflib.lookup.search import find as find_sections

INSTRUCTIONS = """\
A reference library: papers, docs pages, repositories, issues and RFCs kept as raw
artifacts, lossless markdown full texts (sources/<id>/full.md) and condensed cards
(refs/resources/<id>.md) whose claims cite sections of the full texts as evidence.
Look things up with `find` (each hit is a section named id#anchor), read one with `show`,
ask which claims rely on a section with `claims` (cites="id#anchor"), see the work queue
with `status` and the library's problems with `check`."""

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def _result(text: str, data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


class LibraryReader:
    """The library at ``root``, read afresh on every call (unchanged files from a cache)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.documents: DocumentCache = {}
        self.manifest = ManifestCache()

    def library(self) -> Library:
        try:
            return load(self.root, self.documents, self.manifest)
        except ReflibError as exc:
            raise ToolError(f"the library cannot be read: {exc} (run the check tool for "
                            f"every problem)") from None


def status_text(data: dict[str, Any]) -> str:
    """A readable summary of ``reflib status --json``'s object."""
    counts = ", ".join(f"{k} {v}" for k, v in data["counts"].items())
    lines = [f"{data['total']} resources: {counts}"]
    queue = data["queue"]
    if queue:
        lines.append(f"queue ({len(queue)}; in order):")
        lines.extend(f"  {q['action']} {q['id']} ({q['priority']}, phase {q['phase']}): "
                     f"{q['command']}" for q in queue[:20])
        if len(queue) > 20:
            lines.append(f"  ... and {len(queue) - 20} more")
    for key, label in (("awaiting_review", "awaiting review"), ("rereview", "to review again"),
                       ("stale", "stale full texts"), ("problems", "problems")):
        items = data.get(key) or []
        if items:
            lines.append(f"{label}: " + ", ".join(
                str(i.get("id") or i.get("path")) for i in items[:20]))
    return "\n".join(lines)


def create_server(root: Path) -> MCPServer:
    """The server for the library at ``root``."""
    reader = LibraryReader(root)
    server: MCPServer = MCPServer("reflib", title="reflib reference library",
                                  instructions=INSTRUCTIONS, version=__version__,
                                  log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def find(query: str, limit: int = 10) -> CallToolResult:
        """Ranked lookup over full texts, cards, topics and other pages: each hit is one
        section, named id#anchor (give it to `show`), with its path, line, title and a
        snippet. Words are stemmed; "quoted phrases" count as phrases."""
        if not query.strip():
            raise ToolError("query is empty: give one or more words")
        hits = find_sections(root, query, limit=max(1, min(limit, 100)))
        lines = [f"{h.ref}  {h.path}:{h.line}  {h.title} § {h.heading}\n    {h.snippet}"
                 for h in hits]
        text = "\n".join(lines) if lines else f"no section matches {query!r}"
        return _result(text, {"query": query, "hits": [h.as_dict() | {"ref": h.ref}
                                                        for h in hits]})

    @server.tool(annotations=READ_ONLY)
    def show(ref: str) -> CallToolResult:
        """The markdown of a card, full text, topic or page, or of one section: ref is a
        resource id (its card; the full text when it has no card), `id#anchor` (that
        section, up to the next heading of the same or a higher level; a card's
        `#claim-N` is that claim), a topic stem or a path such as sources/<id>/full.md."""
        lib = reader.library()
        try:
            target = show_cmd.resolve(lib, ref)
            text, start, end = show_cmd.extract(target.doc, target.anchor)
        except show_cmd.NotFound as exc:
            raise ToolError(str(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ToolError(f"cannot read {ref}: {exc}") from None
        doc = target.doc
        return _result(text, {"ref": ref, "path": doc.rel, "kind": doc.kind,
                              "anchor": target.anchor, "start_line": start, "end_line": end,
                              "text": text})

    @server.tool(annotations=READ_ONLY)
    def status() -> CallToolResult:
        """Counts by status and type, the work queue in order (what to fetch, convert,
        condense next), cards awaiting review or re-review, stale full texts."""
        data = report(reader.library())
        return _result(status_text(data), data)

    @server.tool(name="check", annotations=READ_ONLY)
    def check_library() -> CallToolResult:
        """Every problem `reflib check` finds (manifest, statuses, front matter, links and
        evidence anchors, quotes, approvals), each with path, line, column, code and
        message; an empty list when the library is sound."""
        try:
            _, findings = check.check_loaded(root)
        except ReflibError as exc:
            raise ToolError(str(exc)) from None
        text = "\n".join(f.text() for f in findings) or "ok: no problems"
        return _result(text, {"ok": not findings, "findings": [f.as_dict() for f in findings]})

    @server.tool(annotations=READ_ONLY)
    def claims(id: str | None = None, cites: str | None = None,
               query: str | None = None) -> CallToolResult:
        """Claims with their evidence, by exactly one of: `id` (the claims of that
        resource's card), `cites` (the claims whose evidence cites `id#anchor`, or any
        section of full text `id`), `query` (the claims holding every word of it)."""
        given = [name for name, value in (("id", id), ("cites", cites), ("query", query))
                 if value]
        if len(given) != 1:
            raise ToolError("give exactly one of id, cites, query")
        lib = reader.library()
        if id:
            try:
                found = claimquery.claims_of(lib, id)
            except KeyError as exc:
                raise ToolError(str(exc.args[0])) from None
        elif cites:
            found = claimquery.claims_citing(lib, cites)
        else:
            found = claimquery.claims_matching(lib, query or "")
        text = "\n".join(c.line_text() for c in found) or "no claims"
        return _result(text, {given[0]: id or cites or query,
                              "claims": [c.as_dict() for c in found]})

    return server


def run(root: Path) -> None:
    """Serve the library at ``root`` on standard input and output until the client leaves."""
    create_server(root).run("stdio")


__all__ = ["create_server", "run"]
