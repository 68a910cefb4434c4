"""The README's "use memlab as your agent's memory" examples run as written, each on its own."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Use memlab as your agent's memory"


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    return out.getvalue()


def test_the_agent_loop_brings_the_allergy_back_in_a_new_session():
    printed = run(blocks("python")[0])
    memories = printed.split("## Relevant memories", 1)[1]
    assert "I'm allergic to peanuts." in memories.split("##", 1)[0]
    assert printed.rstrip().endswith("I'm **allergic** **to** peanuts.")


def test_the_agents_session_example_runs():
    pytest.importorskip("agents")
    assert "Hi, I'm Ana" in run(blocks("python")[1])


def test_the_mcp_config_snippet_is_json_naming_memlab_mcp():
    config = json.loads(blocks("json")[0])
    assert config["mcpServers"]["memlab"]["args"][0] == "mcp"
