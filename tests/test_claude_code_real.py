"""memlab import claude-code on real transcripts (tests/fixtures/claude-code-real: Claude Code 1.0.x
and 2.1.x, subagents, compaction agents, 1-hour cache writes), checked against figures computed
here from the raw lines and priced by genai-prices' own ``calc_price``, not by memlab's code."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pytest
from genai_prices import Usage, calc_price

import memlab
from memlab.imports import import_claude_code

from conftest import FIXTURES

ROOT = FIXTURES / "claude-code-real" / "projects"


def raw_calls() -> dict[tuple, dict]:
    """One entry per API call (``message.id`` + ``requestId``): the usage of its last streamed line
    (output_tokens grow line by line) and the time of its first."""
    calls: dict[tuple, dict] = {}
    for path in sorted(ROOT.rglob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text) if text.strip() else {}
            message = line.get("message") if isinstance(line.get("message"), dict) else {}
            if line.get("type") != "assistant" or "usage" not in message or message.get("model") == "<synthetic>":
                continue
            key = (message.get("id"), line.get("requestId"))
            first = calls[key]["timestamp"] if key in calls else line["timestamp"]
            calls[key] = {"model": message["model"], "usage": message["usage"], "timestamp": first}
    return calls


def library_cost(call: dict) -> float:
    """The call's price from genai-prices itself: input_tokens there count every prompt token."""
    u = call["usage"]
    read, write = u.get("cache_read_input_tokens", 0), u.get("cache_creation_input_tokens", 0)
    hour = (u.get("cache_creation") or {}).get("ephemeral_1h_input_tokens", 0)
    usage = Usage(input_tokens=u["input_tokens"] + read + write, output_tokens=u["output_tokens"],
                  cache_read_tokens=read, cache_write_tokens=write, cache_write_1h_tokens=hour)
    when = dt.datetime.fromisoformat(call["timestamp"].replace("Z", "+00:00"))
    return float(calc_price(usage, call["model"], genai_request_timestamp=when).total_price)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = memlab.open(tmp_path_factory.mktemp("real") / "memlab.db")
    report = import_claude_code(db, ROOT, progress=False)
    yield db, report
    db.close()


@pytest.fixture(scope="module")
def per_model() -> dict[str, dict]:
    want: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for call in raw_calls().values():
        u, row = call["usage"], want[call["model"]]
        row["calls"] += 1
        row["input_tokens"] += u["input_tokens"]
        row["output_tokens"] += u["output_tokens"]
        row["cache_read_tokens"] += u.get("cache_read_input_tokens", 0)
        row["cache_write_tokens"] += u.get("cache_creation_input_tokens", 0)
        row["cost_usd"] += library_cost(call)
    return want


def stored_per_model(db) -> dict[str, dict]:
    rows = db.query("SELECT model, count(*) AS calls, sum(input_tokens) AS input_tokens,"
                    " sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,"
                    " sum(cache_write_tokens) AS cache_write_tokens, sum(cost_usd) AS cost_usd,"
                    " sum(cost_usd IS NULL) AS unpriced FROM cost_tracking GROUP BY model")
    return {r.pop("model"): r for r in rows}


def test_every_line_is_read(imported):
    _, report = imported
    assert report.malformed == [] and report.files == report.files_read == 13


def test_calls_and_all_four_token_kinds_per_model_match_the_raw_lines(imported, per_model):
    got = stored_per_model(imported[0])
    assert set(got) == set(per_model) and "claude-opus-4-6" in got
    for model, want in per_model.items():
        for column in ("calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
            assert got[model][column] == want[column], (model, column)


def test_every_call_is_priced_at_the_librarys_rates(imported, per_model):
    got = stored_per_model(imported[0])
    for model, want in per_model.items():
        assert got[model]["unpriced"] == 0, model
        assert got[model]["cost_usd"] == pytest.approx(want["cost_usd"], rel=1e-9), model


def test_one_session_per_session_id_with_its_project(imported):
    db, _ = imported
    ids = set()
    for path in ROOT.rglob("*.jsonl"):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text) if text.strip() else {}
            if line.get("type") in ("user", "assistant", "system") and line.get("sessionId"):
                ids.add(line["sessionId"])
    sessions = {s["session_id"]: s for s in db.query("SELECT session_id, project_id FROM sessions")}
    assert set(sessions) == ids
    assert sessions["ae4a77f8-aedd-4bc1-888f-c94edc91af04"]["project_id"] == "spotter-4te"


def test_subagent_and_compaction_files_are_conversations_of_their_session(imported):
    db, _ = imported
    for path in ROOT.glob("*/*/subagents/agent-*.jsonl"):
        session, agent = path.parents[1].name, path.stem.removeprefix("agent-")
        row = db.query_one("SELECT session_id, json_extract(metadata, '$.thread') AS thread FROM conversations"
                           " WHERE conversation_id = ?", (f"{session}/agent-{agent}",))
        assert row["session_id"] == session
        assert row["thread"] == ("compaction" if agent.startswith("acompact") else "subagent")


def test_a_subagent_run_links_to_its_conversation(imported):
    db, _ = imported
    row = db.query_one("SELECT agent_name, status FROM agent_interactions WHERE conversation_id = ?",
                       ("4d5611e5-241a-462a-8d15-5122611a9569/agent-a2898e3",))
    assert row == {"agent_name": "Explore", "status": "success"}


def test_a_second_import_adds_nothing(tmp_path):
    with memlab.open(tmp_path / "m.db") as db:
        import_claude_code(db, ROOT, progress=False)
        before = {t: db.count(t) for t in ("sessions", "conversations", "messages", "cost_tracking")}
        again = import_claude_code(db, ROOT, progress=False)
        assert sum(again.added.values()) == 0 and again.lines == 0
        assert {t: db.count(t) for t in before} == before
