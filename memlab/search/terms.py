"""Text to FTS5 terms, by FTS5 itself: memlab never re-implements the tokenizer.

unicode61 ends a token only at a separator character, and every whitespace character is one,
so a text's terms are the terms of its whitespace-separated chunks in order. Each chunk not seen
before is put through a temporary FTS5 table with the index's tokenizer (``porter unicode61``)
and read back through ``fts5vocab``; a Stemmer remembers the answers (searches keep one per
connection: see ``engine.Memory``). ASCII text is
split at every non-alphanumeric byte first (exactly unicode61's rule for ASCII), which keeps
the memo small and the common case fast.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Iterable

MEMO_LIMIT = 1_000_000  # chunks remembered per connection before the memo starts afresh
# ASCII bytes that separate words, as spaces: translate + split is 5x faster than a regex.
_SURROGATES = re.compile("[\ud800-\udfff]")
_ASCII_SPACES = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def spaced(text: str) -> list[str]:
    """A text cut at whitespace (NUL and lone surrogates, which no SQLite text holds, count as
    whitespace): every cut is one FTS5 makes too."""
    try:
        text.encode()
    except UnicodeEncodeError:
        text = _SURROGATES.sub(" ", text)
    return text.replace("\x00", " ").split()


def chunks(text: str) -> list[str]:
    """``spaced``, and for ASCII text cut at every separator too (unicode61's rule for ASCII)."""
    if text.isascii():
        return text.encode().translate(_ASCII_SPACES).decode().split()
    return spaced(text)


class Stemmer:
    """Chunks of text to FTS5 terms through a temporary FTS5 table, memoised."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.terms: dict[str, tuple[str, ...]] = {}
        self.single: dict[str, str] = {}  # chunks that are exactly one term (nearly all)
        self.single_ascii: dict[bytes, str] = {}  # the same, for ASCII words as bytes
        self.phrase_counts: dict[str, tuple[int, int, int, int]] = {}  # phrase -> (messages, up to id, FTS5 total, changes)
        self._ready = False

    def _setup(self) -> None:
        conn = self.conn
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memlab_words USING fts5(word, tokenize='porter unicode61')"
        )
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memlab_words_vocab USING fts5vocab(temp, memlab_words, instance)"
        )
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memlab_query_check USING fts5(content, tokenize='porter unicode61')"
        )
        self._ready = True

    def ensure_ready(self) -> None:
        """Create the temporary tables (the query check uses the empty one)."""
        if not self._ready:
            self._setup()

    def learn(self, pieces: Iterable[str]) -> None:
        """Ask FTS5 for the terms of the chunks not seen before (one round trip for all)."""
        new = [w for w in set(pieces) if w not in self.terms]
        if not new:
            return
        if len(self.terms) + len(new) > MEMO_LIMIT:
            self.terms.clear()
            self.single.clear()
            self.single_ascii.clear()
        self.ensure_ready()
        conn = self.conn
        for start in range(0, len(new), 5_000):
            chunk = new[start:start + 5_000]
            got: dict[int, list[tuple[int, str]]] = {}
            # A savepoint touching only the temp schema: no lock on the database file.
            conn.execute("SAVEPOINT memlab_words")
            try:
                conn.executemany("INSERT INTO temp.memlab_words (rowid, word) VALUES (?, ?)", enumerate(chunk, 1))
                for term, doc, offset in conn.execute("SELECT term, doc, offset FROM temp.memlab_words_vocab"):
                    got.setdefault(doc, []).append((offset, term))
                conn.execute("DELETE FROM temp.memlab_words")
            finally:
                conn.execute("RELEASE memlab_words")
            for i, word in enumerate(chunk, 1):
                terms = self.terms[word] = tuple(t for _, t in sorted(got.get(i, ())))
                if len(terms) == 1:
                    self.single[word] = terms[0]
                    if word.isascii():
                        self.single_ascii[word.encode()] = terms[0]

    def learn_texts(self, texts: Iterable[str]) -> None:
        """Learn every chunk of these texts not seen before."""
        known = self.single_ascii
        new: set[str] = set()
        for text in texts:
            if text.isascii():
                new.update(w.decode() for w in text.encode().translate(_ASCII_SPACES).split() if w not in known)
            else:
                new.update(chunks(text))
        self.learn(new)

    def words(self, text: str) -> list[str]:
        """The terms of a text, in order, as FTS5 indexes them."""
        if text.isascii():
            raw = text.encode().translate(_ASCII_SPACES).split()
            try:
                return list(map(self.single_ascii.__getitem__, raw))
            except KeyError:
                pass
        found = chunks(text)
        try:
            return list(map(self.single.__getitem__, found))
        except KeyError:
            pass
        self.learn(found)
        terms = self.terms
        out: list[str] = []
        for w in found:
            out.extend(terms[w])
        return out
