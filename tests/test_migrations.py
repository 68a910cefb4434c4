"""Migrations: each shipped step is frozen in memlab/schema/, and a database built at an earlier
step keeps its data when the rest are applied."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import memlab
from memlab import migrations as schema

NAMES = schema.known_names()
FROZEN = Path(schema.__file__).parent / "schema"

# Each shipped step's SQL, frozen: a database migrated by an earlier release ran exactly this, so
# an edit would leave it behind (schema drift). Change the schema with a new step, never here.
SHIPPED = {
    "001_initial_schema": "20a6836c0e6163637d61da14463d9fe75946045cf179a88710eab32c4d1b7103",
    "002_search_index": "3eb407a2140b5627cf3ff1a9dda7dcfdc667898b63e5a1f4d3bb6ec678eebad0",
    "003_analytics_rollups": "a673e3f3a59c5e383f2d2ee904cad0016187b4e9047cbeceb784e3bd9f5e2580",
    "004_import_state": "ad957f876fe0022676f579c4667599263cd9be89aa3724e422bc9eb57a957add",
    "005_search_blocks": "3a5ebe172c0c30ede725cbcf3827ec4ee3cb88f94d523d0955ea9822fc0c99bb",
    "006_search_postings": "b1ee29e66df3a18ea76aee2db96b0818829ae723fde3b1eb5627417492c99ba7",
    "007_search_change_log": "fa0331d95a487652173c3104b994e847aa6ad9d5ee7a924f4d522442a609418d",
    "008_import_sources": "3294f7e889b335160bfe1962ed72d9888ded0de2d8283a3f512e7aaa19f828e1",
    "009_message_vectors": "abd151e70b758b0e666f134192e87bae1bbd185ebfe2239874ac17764256b0c6",
}


def test_every_step_has_its_frozen_file_and_every_file_a_step():
    assert sorted(p.stem for p in FROZEN.glob("*.sql")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_steps_are_unchanged(name):
    digest = hashlib.sha256((FROZEN / f"{name}.sql").read_bytes()).hexdigest()
    assert SHIPPED.get(name) == digest, f"{name}.sql changed: add a new step instead"


def _fill_v1(db):
    """Rows in every table, using only columns that exist from the first migration."""
    t = "2026-01-01T00:00:00.000000Z"
    db.execute("INSERT INTO sessions (session_id, user_id, created_at, last_active_at) VALUES ('s1','u1',?,?)", (t, t))
    db.execute("INSERT INTO conversations (conversation_id, session_id, created_at, updated_at) VALUES ('c1','s1',?,?)", (t, t))
    db.execute("INSERT INTO messages (conversation_id, role, content, created_at) VALUES ('c1','user','persistent memory',?)", (t,))
    db.execute("INSERT INTO agent_interactions (session_id, agent_name, started_at) VALUES ('s1','dev',?)", (t,))
    db.execute("INSERT INTO routing_decisions (session_id, request, selected_agent, created_at) VALUES ('s1','r','dev',?)", (t,))
    db.execute("INSERT INTO cost_tracking (session_id, model, input_tokens, cost_usd, created_at) VALUES ('s1','m',10,0.5,?)", (t,))
    db.execute("INSERT INTO user_preferences (user_id, key, value, created_at, updated_at) VALUES ('u1','k','1',?,?)", (t, t))
    db.execute("INSERT INTO learned_patterns (pattern_type, pattern_key, first_seen_at, last_seen_at) VALUES ('p','k',?,?)", (t, t))
    db.execute("INSERT INTO session_handoffs (from_session_id, created_at) VALUES ('s1',?)", (t,))
    db.execute("INSERT INTO memory_metrics (metric_name, value, created_at) VALUES ('lat',1.5,?)", (t,))


def _snapshot(db):
    return {table: db.query(f"SELECT * FROM {table} ORDER BY rowid") for table in schema.TABLES}


def test_first_step_alone_builds_the_v1_schema(db_path):
    with memlab.open(db_path, migrate=False) as db:
        db.migrate(stop_before=NAMES[1] if len(NAMES) > 1 else None)
        assert db.applied_migrations() == NAMES[:1]
        _fill_v1(db)
        assert all(db.count(t) == 1 for t in schema.TABLES)


@pytest.mark.parametrize("stop_before", NAMES[1:])
def test_upgrade_from_earlier_step_keeps_data(db_path, stop_before):
    with memlab.open(db_path, migrate=False) as db:
        db.migrate(stop_before=stop_before)
        _fill_v1(db)
        before = _snapshot(db)
    with memlab.open(db_path) as db:  # applies the rest
        assert db.pending_migrations() == []
        after = _snapshot(db)
        for table, rows in before.items():
            assert len(after[table]) == len(rows)
            for old, new in zip(rows, after[table]):
                assert {k: new[k] for k in old} == old
        hits = db.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'memory'")
        assert len(hits) == 1
        assert db.integrity_check() == []


def test_the_views_in_sql_are_the_views_a_database_has(db_path):
    """sql/v_*.sql are for reading (step 001 froze their text): they say what a database has."""
    from memlab.sqlfiles import read_sql

    with memlab.open(db_path) as db:
        for view in schema.VIEWS:
            stored = db.query_one("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (view,))
            text = read_sql(view)
            assert stored["sql"] == text[text.index("CREATE VIEW"):].strip().removesuffix(";")
