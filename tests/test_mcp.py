"""``reflib mcp``, driven by the MCP SDK's own client over stdio against a library in
``tmp_path``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from libfactory import make_library

mcp = pytest.importorskip("mcp")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402


def _session(root: Path, body: Callable[[Any], Awaitable[None]]) -> None:
    """Start ``reflib mcp`` for ``root`` and run ``body(client)`` in one session."""
    env = {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "reflib", "--root", str(root), "mcp"], env=env)

    async def main() -> None:
        async with Client(params, read_timeout_seconds=60) as client:
            await body(client)

    asyncio.run(asyncio.wait_for(main(), 120))


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    return make_library(tmp_path / "lib")


def test_tools_answer_lookups(library: Path) -> None:
    async def body(client: Any) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"find", "show", "status", "check", "claims"} <= tools.keys()
        assert tools["find"].annotations.read_only_hint

        found = await client.call_tool("find", {"query": "micro-batches bubble", "limit": 5})
        assert not found.is_error
        hits = found.structured_content["hits"]
        assert hits[0]["ref"] == "alpha#22-performance-optimization", hits
        assert "alpha#22-performance-optimization" in found.content[0].text

        shown = await client.call_tool("show", {"ref": "alpha#22-performance-optimization"})
        data = shown.structured_content
        assert data["path"] == "sources/alpha/full.md" and data["kind"] == "fulltext"
        assert data["text"].startswith("## 2.2 Performance Optimization")
        assert "Micro-batches shrink the bubble." in data["text"]
        assert "Results" not in data["text"]  # that section and nothing after it
        assert shown.content[0].text == data["text"]

        cites = await client.call_tool("claims", {"cites": "alpha#22-performance-optimization"})
        claims = cites.structured_content["claims"]
        assert [c["ref"] for c in claims] == ["alpha#claim-1"], claims
        assert claims[0]["evidence"][0]["ref"] == "alpha#22-performance-optimization"
        every = await client.call_tool("claims", {"cites": "alpha"})
        assert len(every.structured_content["claims"]) >= 2
        of_card = await client.call_tool("claims", {"id": "alpha"})
        assert [c["number"] for c in of_card.structured_content["claims"]] == [1, 2]
        matching = await client.call_tool("claims", {"query": "measured twice"})
        assert [c["ref"] for c in matching.structured_content["claims"]] == ["alpha#claim-2"]

        status = await client.call_tool("status", {})
        assert status.structured_content["total"] == 4
        assert "resources:" in status.content[0].text
        ok = await client.call_tool("check", {})
        assert ok.structured_content == {"ok": True, "findings": []}

    _session(library, body)


def test_check_sees_edits_made_after_the_server_started(library: Path) -> None:
    card = library / "refs/resources/alpha.md"

    async def body(client: Any) -> None:
        assert (await client.call_tool("check", {})).structured_content["ok"]
        card.write_text(card.read_text().replace("#22-performance-optimization",
                                                 "#22-performance-optimisation"))
        result = await client.call_tool("check", {})
        findings = result.structured_content["findings"]
        assert not result.structured_content["ok"]
        broken = [f for f in findings if f["path"] == "refs/resources/alpha.md"]
        assert broken and "22-performance-optimisation" in broken[0]["message"], findings
        assert broken[0]["line"] > 1 and broken[0]["code"]
        assert "refs/resources/alpha.md:" in result.content[0].text
        # the cited section's claims follow the edit too
        cites = await client.call_tool("claims", {"cites": "alpha#22-performance-optimization"})
        assert cites.structured_content["claims"] == []

    _session(library, body)


def test_bad_requests_are_tool_errors_with_a_hint(library: Path) -> None:
    async def body(client: Any) -> None:
        unknown = await client.call_tool("show", {"ref": "alpah"})
        assert unknown.is_error and "alpha" in unknown.content[0].text  # closest match
        anchor = await client.call_tool("show", {"ref": "alpha#performance"})
        assert anchor.is_error and "22-performance-optimization" in anchor.content[0].text
        both = await client.call_tool("claims", {"id": "alpha", "query": "x"})
        assert both.is_error and "exactly one" in both.content[0].text
        empty = await client.call_tool("find", {"query": "  "})
        assert empty.is_error
        manifest = library / "refs/manifest.yaml"
        manifest.write_text(manifest.read_text() + "  - id: [unclosed\n")
        broken = await client.call_tool("show", {"ref": "alpha"})
        assert broken.is_error and "manifest.yaml" in broken.content[0].text
        check = await client.call_tool("check", {})
        assert any(f["path"] == "refs/manifest.yaml"
                   for f in check.structured_content["findings"])

    _session(library, body)


def test_mcp_refuses_a_folder_without_a_library(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "reflib", "--root", str(tmp_path), "mcp"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "no library" in proc.stderr and proc.stdout == ""
