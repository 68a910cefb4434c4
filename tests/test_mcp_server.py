"""``memlab mcp``: the server started as a subprocess and driven by the MCP SDK's own stdio client."""

from __future__ import annotations

import asyncio
import sys

import pytest

pytest.importorskip("mcp", reason="the memlab[mcp] extra (in dev) is not installed")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

import memlab  # noqa: E402

TOOLS = {"remember", "recall", "context", "stats"}


def served(db_path, *extra: str) -> Client:
    return Client(StdioServerParameters(command=sys.executable,
                                        args=["-m", "memlab", "mcp", "--db", str(db_path), *extra]))


def talk(db_path, script, *extra: str):
    """Run ``script(client)`` against a fresh server process; return what it returns."""

    async def main():
        async with served(db_path, *extra) as client:
            return await script(client)

    return asyncio.run(main())


@pytest.fixture
def memory(db_path):
    """A user with everyday chatter and one fact worth recalling."""
    with memlab.open(db_path) as db:
        db.sessions.create("s1", user_id="ana")
        db.conversations.create("s1", "s1")
        db.messages.add_many({"conversation_id": "s1", "role": "user", "content": f"note {i} about the garden"}
                             for i in range(20))
    return db_path


def test_tools_are_listed_and_forget_is_off_by_default(memory):
    async def script(client):
        return {t.name for t in (await client.list_tools()).tools}

    assert talk(memory, script) == TOOLS
    assert talk(memory, script, "--allow-forget") == TOOLS | {"forget"}


def test_remember_then_recall_and_context_find_it(memory):
    async def script(client):
        stored = await client.call_tool("remember", {"content": "My boat is moored in Lisbon harbour",
                                                     "session_id": "s1", "user_id": "ana"})
        found = await client.call_tool("recall", {"question": "where is my boat moored?", "user_id": "ana",
                                                  "mode": "keyword"})
        ctx = await client.call_tool("context", {"session_id": "s1", "budget_tokens": 200})
        return stored.structured_content, found.structured_content, ctx.structured_content

    stored, found, ctx = talk(memory, script)
    assert stored["session_id"] == "s1"
    assert found["hits"][0]["message_id"] == stored["message_id"]
    assert ctx["tokens"] <= 200 and ctx["text"].endswith("user: My boat is moored in Lisbon harbour")
    with memlab.open(memory) as db:  # it is in the file, searchable like any message
        assert db.search("Lisbon harbour")[0].message_id == stored["message_id"]


def test_a_memlab_error_comes_back_as_the_tools_error(memory):
    async def script(client):
        return await client.call_tool("context", {"session_id": "nope"})

    result = talk(memory, script)
    assert result.is_error and "unknown session 'nope'" in result.content[0].text


def test_stats_counts_rows_and_names_no_folder(memory):
    async def script(client):
        return (await client.call_tool("stats", {})).structured_content

    info = talk(memory, script)
    assert info["tables"]["messages"] == 20 and info["path"] == memory.name


def test_forget_when_allowed_deletes_and_nothing_is_found(memory):
    async def script(client):
        dry = await client.call_tool("forget", {"user_id": "ana", "dry_run": True})
        done = await client.call_tool("forget", {"user_id": "ana"})
        refused = await client.call_tool("forget", {})
        found = await client.call_tool("recall", {"question": "garden notes", "mode": "keyword"})
        return dry.structured_content, done.structured_content, refused, found.structured_content

    dry, done, refused, found = talk(memory, script, "--allow-forget")
    assert dry["rows"]["messages"] == done["rows"]["messages"] == 20
    assert refused.is_error and "needs a scope" in refused.content[0].text
    assert found["hits"] == []
