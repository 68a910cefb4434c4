"""FTS5's own snippets of a few messages, made in a temporary FTS5 table.

snippet() reads only a message's text and the query's matches in it (no statistics of the
index), so a table of the hits alone, with the index's tokenizer, gives the snippets the big
index would. Asking the big index instead costs a doclist seek per hit, and for a prefix FTS5
merges the doclists of every term it matches, across the whole index, for each hit: ~7 ms a hit
at a million messages. The table lives in the temp schema (no lock on the database file) and
each call's rows are rolled back.
"""

from __future__ import annotations

import sqlite3
from typing import Mapping

MARK = ("**", "**")  # around matched words (Markdown bold)
ELLIPSIS = "…"
WORDS = 16  # tokens a snippet holds
MARKS = {"open": MARK[0], "close": MARK[1], "ellipsis": ELLIPSIS, "words": WORDS}

# The tokenizer must be messages_fts's (migration 001): the same text gives the same matches.
_TABLE = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memlab_snippets USING fts5(content, tokenize='porter unicode61')"
_SNIPPETS = """
SELECT rowid, snippet(memlab_snippets, 0, :open, :close, :ellipsis, :words) FROM temp.memlab_snippets
WHERE memlab_snippets MATCH :expression
"""


class Snippets:
    """One connection's snippet table, made on first use."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._ready = False

    def of(self, expression: str, texts: Mapping[int, str]) -> dict[int, str]:
        """message id -> FTS5's snippet for ``expression`` (a message it doesn't match: none)."""
        if not texts:
            return {}
        conn = self.conn
        if not self._ready:
            conn.execute(_TABLE)
            self._ready = True
        conn.execute("SAVEPOINT memlab_snippets")
        try:
            conn.executemany("INSERT INTO temp.memlab_snippets (rowid, content) VALUES (?, ?)", texts.items())
            return dict(conn.execute(_SNIPPETS, {**MARKS, "expression": expression}).fetchall())
        finally:
            conn.execute("ROLLBACK TO memlab_snippets")
            conn.execute("RELEASE memlab_snippets")
