"""The redaction hook: secrets given to the write API never reach the database file or its WAL."""

from __future__ import annotations

from pathlib import Path

import pytest

import memlab
from memlab.redact import default_redactor

SECRETS = {
    "anthropic-key": "sk-ant-api03-Zq8XvT2mLp0R7sWn4Kd9",
    "openai-key": "sk-proj-Hf7Qm2Lx9Vb4Nc6Tz1Rw",
    "aws-access-key": "AKIAZ7QX4LMN2PRS8TUV",
    "github-token": "ghp_" + "Rk3Jd8Wq2Zx7Vn5Bm1Lp9Ts4Yc6Hf0Ga2Ue8",
    "slack-token": "xoxb-9182736450-QwErTyUiOp",
    "bearer-token": "Bearer eyJhbGciOiJIUzI1NiJ9.Zm9vYmFy.c2lnbmF0dXJl",
    "email": "alice.liddell+memlab@wonderland.example.org",
}


def _raw_bytes(path: Path) -> bytes:
    """The database file with its WAL and shared-memory files, as they are on disk."""
    return b"".join(
        Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm") if Path(f"{path}{suffix}").exists()
    )


def _write_everywhere(db, secret: str) -> None:
    """Put ``secret`` into every free-text field the redactor covers."""
    db.sessions.create("s")
    db.conversations.create("s", "c", title=f"title {secret}")
    db.conversations.set_title("c", f"renamed {secret}")
    db.messages.add("c", "user", f"my key is {secret} please keep it")
    db.messages.add_many([{"conversation_id": "c", "role": "assistant", "content": f"bulk {secret} row {i}"}
                          for i in range(3)])
    db.interactions.record("s", "dev", task=f"use {secret}", status="failure", error=f"401 for {secret}")
    iid = db.interactions.start("s", "dev", task=f"again {secret}")
    db.interactions.finish(iid, status="failure", error=f"still {secret}")
    db.routing.record("s", f"deploy with {secret}", "ops", reasoning=f"has {secret}")
    db.handoffs.create("s", summary=f"remember {secret}")


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_default_redactor_masks_each_kind(kind):
    masked = default_redactor(f"before {SECRETS[kind]} after")
    assert SECRETS[kind] not in masked
    assert f"[REDACTED:{kind}]" in masked
    assert masked.startswith("before ") and masked.endswith(" after")


@pytest.mark.parametrize(
    "text",
    ["plain words", "task-sk-learn and risk-free", "AKIA is a prefix", "email me at the office",
     "bearer of bad news", "x@y", "path/to/file.py:12"],
)
def test_default_redactor_keeps_ordinary_text(text):
    assert default_redactor(text) == text


def test_without_a_redactor_the_secret_is_in_the_file(db_path):
    # Control: proves the byte search below can see what the API stored.
    with memlab.open(db_path) as db:
        _write_everywhere(db, SECRETS["openai-key"])
        assert SECRETS["openai-key"].encode() in _raw_bytes(db_path)


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secrets_never_reach_the_file_or_wal(db_path, kind):
    secret = SECRETS[kind]
    with memlab.open(db_path, redact=default_redactor) as db:
        _write_everywhere(db, secret)
        assert Path(f"{db_path}-wal").stat().st_size > 0  # the rows are still in the WAL
        needle = secret.split(" ")[-1].encode()
        assert needle not in _raw_bytes(db_path)
        stored = [r["content"] for r in db.query("SELECT content FROM messages")]
        assert len(stored) == 4 and all(f"[REDACTED:{kind}]" in c for c in stored)
    assert needle not in _raw_bytes(db_path)


def test_redacted_text_is_what_search_finds(db_path):
    with memlab.open(db_path, redact=default_redactor) as db:
        _write_everywhere(db, SECRETS["email"])
        hits = db.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", ('"wonderland"',))
        assert hits == []
        assert db.integrity_check() == []


def test_set_redactor_turns_it_on_and_off(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    db.set_redactor(default_redactor)
    first = db.messages.add("c", "user", f"mail {SECRETS['email']}")
    db.set_redactor(None)
    second = db.messages.add("c", "user", f"mail {SECRETS['email']}")
    assert db.messages.get(first)["content"] == "mail [REDACTED:email]"
    assert db.messages.get(second)["content"] == f"mail {SECRETS['email']}"


def test_a_custom_redactor_applies_to_titles_and_tasks(db):
    db.set_redactor(lambda text: text.replace("hunter2", "*******"))
    db.sessions.create("s")
    db.conversations.create("s", "c", title="password hunter2")
    iid = db.interactions.record("s", "dev", task="login with hunter2")
    assert db.conversations.get("c")["title"] == "password *******"
    assert db.interactions.get(iid)["task"] == "login with *******"


def test_a_redactor_returning_a_non_string_is_refused_and_writes_nothing(db):
    db.sessions.create("s")
    db.conversations.create("s", "c")
    db.set_redactor(lambda text: None)
    with pytest.raises(memlab.ValidationError, match="redacted"):
        db.messages.add("c", "user", "hello")
    assert db.count("messages") == 0


def test_set_redactor_rejects_a_non_callable(db):
    with pytest.raises(TypeError):
        db.set_redactor("sk-")
