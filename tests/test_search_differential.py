"""A randomized differential test: memlab's search against FTS5's own exhaustive bm25 ranking.

Random corpora (short and long messages, stemming variants, NFD accents, Devanagari, CJK),
random changes made with raw SQL between searches (inserts, deletes, rewrites, moves between
conversations and sessions, role changes, ids given out again), the index folded at random
moments, random queries, filters and planner thresholds. Every answer must be FTS5's, ids and
scores to the last bit. Runs for MEMLAB_DIFF_SECONDS (default 12) so CI stays bounded.
"""

from __future__ import annotations

import os
import random
import time
import unicodedata

import pytest

import memlab
from memlab.search import Planner, Search, parse
from memlab.search import index as search_index

SECONDS = float(os.environ.get("MEMLAB_DIFF_SECONDS", "12"))

WORDS = [
    "deploy", "deployed", "deploying", "deployment", "database", "databases", "query", "queries",
    "slow", "billing", "report", "the", "a", "of", "kubernetes", "probe", "release", "rollback",
    "cache", "caching", "index", "indexes", "résumé", unicodedata.normalize("NFD", "résumé"),
    unicodedata.normalize("NFD", "café"), "café", "देवनागरी", "हिन्दी", "数据库", "部署", "naïve",
    "e-mail", "don't", "x86_64", "v2", "2026",
]
QUERY_WORDS = [w for w in WORDS if w not in ("a", "of")] + ["missing", "Deploy", "DATABASE"]
USERS = ["ana", "bo", None]
PROJECTS = ["web", "api", None]
ROLES = ["user", "assistant", "system", "tool"]


SAME = ["the deploy", "slow query", "deploy the cache", "résumé"]  # repeated texts: ties in bm25


def text(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(SAME)
    n = rng.choice([1, 3, 8, 20, 60]) if rng.random() < 0.9 else rng.randint(200, 600)
    return " ".join(rng.choice(WORDS) if rng.random() < 0.7 else f"w{rng.randint(0, 300)}" for _ in range(n))


def stamp(rng: random.Random) -> str:
    return f"2026-01-{rng.randint(10, 20):02d}T{rng.randint(0, 23):02d}:00:00.000000Z"


def reference(db, expression: str, filters: dict, limit: int, offset: int) -> list[tuple[int, float]]:
    """FTS5's bm25 over every match, filtered by plain joins; ties newest first."""
    f = {k: filters.get(k) for k in ("conversation_id", "session_id", "user_id", "project_id", "role", "since",
                                     "until")}
    rows = db.conn.execute(
        "SELECT f.rowid, -bm25(messages_fts) AS score FROM messages_fts f"
        " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.conversation_id = m.conversation_id"
        " JOIN sessions s ON s.session_id = c.session_id"
        " WHERE messages_fts MATCH :q"
        " AND (:conversation_id IS NULL OR m.conversation_id = :conversation_id)"
        " AND (:session_id IS NULL OR c.session_id = :session_id)"
        " AND (:user_id IS NULL OR s.user_id = :user_id) AND (:project_id IS NULL OR s.project_id = :project_id)"
        " AND (:role IS NULL OR m.role = :role) AND (:since IS NULL OR m.created_at >= :since)"
        " AND (:until IS NULL OR m.created_at < :until)"
        " ORDER BY score DESC, f.rowid DESC LIMIT :limit OFFSET :offset",
        {**f, "q": expression, "limit": limit, "offset": offset}).fetchall()
    return [(r[0], r[1]) for r in rows]


def change(db, rng: random.Random, log: list[str]) -> None:
    """One random change, by raw SQL (as another program would make it) or the API."""
    conn = db.conn
    ids = [r[0] for r in conn.execute("SELECT id FROM messages")]
    conversations = [r[0] for r in conn.execute("SELECT conversation_id FROM conversations")]
    kind = rng.choice(["add", "add", "add", "raw_add", "delete", "delete_newest", "rewrite", "move", "role",
                       "move_conversation", "rehome_session"])
    if kind == "add" or not ids:
        db.messages.add(rng.choice(conversations), rng.choice(ROLES), text(rng), created_at=stamp(rng))
    elif kind == "raw_add":
        conn.execute("INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)",
                     (rng.choice(conversations), rng.choice(ROLES), text(rng), stamp(rng)))
    elif kind == "delete":
        conn.execute("DELETE FROM messages WHERE id = ?", (rng.choice(ids),))
    elif kind == "delete_newest":  # its id is given out again by the next insert
        conn.execute("DELETE FROM messages WHERE id = (SELECT max(id) FROM messages)")
    elif kind == "rewrite":
        conn.execute("UPDATE messages SET content = ? WHERE id = ?", (text(rng), rng.choice(ids)))
    elif kind == "move":
        conn.execute("UPDATE messages SET conversation_id = ? WHERE id = ?", (rng.choice(conversations), rng.choice(ids)))
    elif kind == "role":
        conn.execute("UPDATE messages SET role = ? WHERE id = ?", (rng.choice(ROLES), rng.choice(ids)))
    elif kind == "move_conversation":
        conn.execute("UPDATE conversations SET session_id = ? WHERE conversation_id = ?",
                     (rng.choice(["s1", "s2", "s3", "s4"]), rng.choice(conversations)))
    else:
        conn.execute("UPDATE sessions SET user_id = ?, project_id = ? WHERE session_id = ?",
                     (rng.choice(USERS), rng.choice(PROJECTS), rng.choice(["s1", "s2", "s3", "s4"])))
    log.append(kind)


def query(rng: random.Random) -> tuple[str, str, str]:
    """(memlab query, mode, the same as an FTS5 expression)."""
    words = rng.sample(QUERY_WORDS, rng.choice([1, 1, 2, 2, 3]))
    shape = rng.random()
    if shape < 0.15:
        stem = rng.choice(["dep", "data", "que", "ca", "w1", "w2"])
        expression = " ".join(['"' + w.replace('"', '""') + '"' for w in words[:1]] + [stem + "*"])
        return expression, "advanced", expression
    if shape < 0.25 and len(words) > 1:
        expression = '"' + " ".join(words[:2]).replace('"', '""') + '"'
        return expression, "advanced", expression
    plain = " ".join(words)
    if shape < 0.45:  # any of the words (how recall asks)
        return plain, "any", " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    return plain, "plain", " ".join('"' + w.replace('"', '""') + '"' for w in words)


def filters(rng: random.Random) -> dict:
    out: dict = {}
    if rng.random() < 0.2:
        out["user_id"] = rng.choice(["ana", "bo"])
    if rng.random() < 0.1:
        out["project_id"] = rng.choice(["web", "api"])
    if rng.random() < 0.1:
        out["session_id"] = rng.choice(["s1", "s2", "s3", "s4"])
    if rng.random() < 0.1:
        out["conversation_id"] = rng.choice(["c1", "c2", "c3", "c4", "c5"])
    if rng.random() < 0.15:
        out["role"] = rng.choice(ROLES)
    if rng.random() < 0.1:
        out["since"] = stamp(rng)
    if rng.random() < 0.1:
        out["until"] = stamp(rng)
    return out


def planner(rng: random.Random) -> Planner:
    return Planner(fts5_limit=rng.choice([-1, 0, 1_000]), match_limit=rng.choice([0, 5, 3_000]),
                   scope_limit=rng.choice([0, 2_000]), batch=rng.choice([2, 40]),
                   max_candidates=rng.choice([0, 10, 400]), exact_limit=rng.choice([0, 300]),
                   scope_conversations=rng.choice([0, 2_000]),
                   any_scope_conversations=rng.choice([0, 50_000]), every_in_scope=rng.choice([0, 10**9]),
                   tail_limit=rng.choice([0, 3, 5_000]))


@pytest.mark.slow
def test_search_equals_fts5s_ranking_under_random_changes(tmp_path):
    deadline = time.monotonic() + SECONDS
    rounds = checked = 0
    while time.monotonic() < deadline:
        seed = random.randrange(2**32)
        rng = random.Random(seed)
        with memlab.open(tmp_path / f"diff-{rounds}.db") as db:
            for sid, user, project in (("s1", "ana", "web"), ("s2", "ana", "api"), ("s3", "bo", "web"), ("s4", None, None)):
                db.sessions.create(sid, user_id=user, project_id=project)
            for cid, sid in (("c1", "s1"), ("c2", "s2"), ("c3", "s3"), ("c4", "s3"), ("c5", "s4")):
                db.conversations.create(sid, cid)
            db.messages.add_many({"conversation_id": rng.choice(["c1", "c2", "c3", "c4", "c5"]),
                                  "role": rng.choice(ROLES), "content": text(rng), "created_at": stamp(rng)}
                                 for _ in range(rng.choice([30, 150, 400])))
            search_index.build(db.conn, top_k=rng.choice([3, 20, 500]), min_docs=rng.choice([2, 10, 300]))
            log: list[str] = []
            for step in range(40):
                if rng.random() < 0.5:
                    change(db, rng, log)
                if rng.random() < 0.15:
                    db.update_search_index()
                    log.append("refresh")
                q, mode, expression = query(rng)
                scope = filters(rng)
                limit, offset = rng.randint(1, 12), rng.choice([0, 0, 0, 2])
                search = Search(db, planner(rng))
                mine = [(h.message_id, h.score) for h in search.run(q, mode=mode, limit=limit, offset=offset, **scope)]
                if mode == "plain":  # (each distinct word once: its expression)
                    assert parse(db, q, mode).expression.count('"') == 2 * len(set(parse(db, q).phrases or ()))
                    expression = parse(db, q, mode).expression
                elif mode == "any":  # each word, or each piece of an ASCII word FTS5 cuts, an alternative
                    parsed = parse(db, q, mode)
                    assert parsed.expression == " OR ".join(p.text for p in parsed.phrases)
                    assert all(len(p.terms) == 1 for p in parsed.phrases if p.text.isascii())
                    expression = parsed.expression
                theirs = reference(db, expression, scope, limit, offset)
                assert mine == theirs, (f"seed {seed} step {step}: {q!r} ({mode}) {scope} limit {limit} offset {offset}"
                                        f" plan {search.plan} after {log}")
                checked += 1
            db.update_search_index()
            assert db.integrity_check() == [], f"seed {seed}"
        rounds += 1
    assert checked > 0
