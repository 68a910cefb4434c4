"""Import state kept in the database: how far each source file was read, and which source ids
are stored, so re-running an import reads only new lines and never stores a thing twice.

A file is known by its resolved path (stored as a hash) and checked by its content: the hash of
the bytes already read (up to the first 4 KiB). A file whose first bytes changed, or that shrank,
was rewritten: it is read again from the start, and the report says so."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..clock import to_iso

if TYPE_CHECKING:
    from ..store import Store


HEAD = 4096  # bytes of a file's start whose hash tells its content from a rewrite


@dataclass(frozen=True)
class Source:
    """A source file as the ledger knows it: a key made from its resolved path, its name for people."""

    key: str
    name: str
    path: Path

    @classmethod
    def of(cls, path: Path, name: str) -> Source:
        resolved = str(Path(path).resolve())
        return cls(hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:32], name, Path(path))

    def line_key(self, number: int, text: str) -> str:
        """The key of a line without an id of its own: this file, its line number and its content."""
        digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
        return f"{self.key}:{number}:{digest}"


def head_digest(path: Path, length: int) -> str:
    """The sha256 of a file's first ``length`` bytes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(length)).hexdigest()


@dataclass(frozen=True)
class Position:
    """How much of a file an earlier run consumed."""

    size: int
    byte_offset: int
    line_count: int


@dataclass
class NewLines:
    """The complete lines added to a file since ``Position``, numbered from 1 at the file's start."""

    lines: list[tuple[int, str]]
    end: Position
    incomplete: tuple[int, str] | None = None  # a last line still being written: read again next run


class Ledger:
    """One importer's state in ``import_files`` and ``import_keys``."""

    def __init__(self, store: "Store", importer: str) -> None:
        self.store = store
        self.importer = importer

    # -- source ids ----------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self.store.execute(
            "SELECT value FROM import_keys WHERE importer = ? AND key = ?", (self.importer, key)
        ).fetchone()
        return None if row is None else row[0]

    def known(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` already recorded (one query, however many keys)."""
        return {r[0] for r in self.store.execute(
            "SELECT key FROM import_keys WHERE importer = ? AND key IN (SELECT value FROM json_each(?))",
            (self.importer, json.dumps(list(keys))),
        )}

    def with_prefix(self, prefix: str, *, limit: int | None = None) -> set[str]:
        """The recorded keys that start with ``prefix`` (at most ``limit`` of them), one index range scan."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return {r[0] for r in self.store.execute(
            "SELECT key FROM import_keys WHERE importer = ? AND key >= ? AND key < ? LIMIT ?",
            (self.importer, prefix, end, -1 if limit is None else limit),
        )}

    def put_many(self, items: Iterable[tuple[str, str | None]]) -> None:
        """Record source ids (and what they map to), replacing an earlier value."""
        self.store.conn.executemany(
            "INSERT INTO import_keys (importer, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (importer, key) DO UPDATE SET value = excluded.value",
            ((self.importer, key, value) for key, value in items),
        )

    # -- files ---------------------------------------------------------------------------------

    def position(self, source: Source) -> tuple[Position | None, bool]:
        """How far an earlier run read the file, and whether it was rewritten since (then None)."""
        row = self.store.execute(
            "SELECT size, byte_offset, line_count, head_sha256, head_length FROM import_sources"
            " WHERE importer = ? AND source = ?", (self.importer, source.key),
        ).fetchone()
        if row is None:
            return self._legacy_position(source), False
        position, digest, length = Position(*row[:3]), row[3], row[4]
        try:
            size = os.stat(source.path).st_size
        except OSError:
            return None, False
        if size < position.byte_offset or head_digest(source.path, length) != digest:
            return None, True
        return position, False

    def _legacy_position(self, source: Source) -> Position | None:
        """A position recorded before migration 008 (by name alone), taken once as it was."""
        row = self.store.execute(
            "SELECT size, byte_offset, line_count FROM import_files WHERE importer = ? AND path = ?",
            (self.importer, source.name),
        ).fetchone()
        return None if row is None else Position(*row)

    def save_position(self, source: Source, position: Position) -> None:
        """Remember how far the file was read, with the hash of its bytes read so far (up to HEAD)."""
        length = min(position.byte_offset, HEAD)
        self.store.execute(
            "INSERT INTO import_sources (importer, source, name, head_sha256, head_length, size, byte_offset,"
            " line_count, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (importer, source) DO UPDATE"
            " SET name = excluded.name, head_sha256 = excluded.head_sha256, head_length = excluded.head_length,"
            " size = excluded.size, byte_offset = excluded.byte_offset, line_count = excluded.line_count,"
            " imported_at = excluded.imported_at",
            (self.importer, source.key, source.name, head_digest(source.path, length), length, position.size,
             position.byte_offset, position.line_count, to_iso(self.store.clock())),
        )
        self.store.execute("DELETE FROM import_files WHERE importer = ? AND path = ?", (self.importer, source.name))


def read_new_lines(path: Path, since: Position | None) -> NewLines:
    """The lines appended to ``path`` after ``since``; the whole file when it shrank or is new.

    A last line without its newline is taken if it is complete JSON, else left for the next run.
    """
    size = os.stat(path).st_size
    offset, line_no = (since.byte_offset, since.line_count) if since and since.byte_offset <= size else (0, 0)
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(size - offset)
    if offset and data.startswith(b"\n"):
        data, offset = data[1:], offset + 1  # the newline that completed a line taken last run
    # Decode the complete lines at once (one pass in C), then split: not a decode per line.
    complete = data.rfind(b"\n") + 1
    texts = data[:complete].decode("utf-8", errors="replace").split("\n")[:-1] if complete else []
    lines = list(enumerate(texts, start=line_no + 1))
    line_no += len(texts)
    consumed = offset + complete
    tail = data[complete:]
    incomplete = None
    if tail.strip():
        text = tail.decode("utf-8", errors="replace")
        if _is_json(text):
            line_no += 1
            consumed += len(tail)
            lines.append((line_no, text))
        else:
            incomplete = (line_no + 1, text)
    return NewLines(lines, Position(size, consumed, line_no), incomplete)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def relative_files(root: Path, pattern: str) -> Iterator[tuple[str, Path]]:
    """(path relative to root in POSIX form, path) of the files under ``root`` matching ``pattern``,
    in name order; a file given as ``root`` is its own only file."""
    if root.is_file():
        yield root.name, root
        return
    for path in sorted(root.rglob(pattern), key=lambda p: p.relative_to(root).as_posix()):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def parsed_lines(ledger: Ledger, source: Source, report) -> tuple[list[tuple[int, dict, str]], Position] | None:
    """The JSON objects on the lines a file gained since the last run, with their line numbers and
    text (``Source.line_key`` keys a line without an id of its own), and the position to save once
    they are stored; None when nothing is new. Lines that are not JSON
    objects go into ``report`` (an ImportReport) as malformed; a rewritten file is read whole."""
    since, rewritten = ledger.position(source)
    if rewritten:
        report.rewritten.append(source.name)
    new = read_new_lines(source.path, since)
    if new.incomplete:
        report.skipped["incomplete last lines (read next run)"] += 1
    if not new.lines:
        return None
    report.files_read += 1
    report.lines += len(new.lines)
    objects = []
    for number, text in new.lines:
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as e:
            report.bad(source.name, number, f"not JSON ({getattr(e, 'msg', e)})")
            continue
        if not isinstance(value, dict):
            report.bad(source.name, number, "not a JSON object")
            continue
        objects.append((number, value, text))
    return objects, new.end
