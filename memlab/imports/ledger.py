"""Import state kept in the database: how far each source file was read, and which source ids
are stored, so re-running an import reads only new lines and never stores a thing twice."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..clock import to_iso

if TYPE_CHECKING:
    from ..store import Store


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

    def put_many(self, items: Iterable[tuple[str, str | None]]) -> None:
        """Record source ids (and what they map to), replacing an earlier value."""
        self.store.conn.executemany(
            "INSERT INTO import_keys (importer, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (importer, key) DO UPDATE SET value = excluded.value",
            ((self.importer, key, value) for key, value in items),
        )

    # -- files ---------------------------------------------------------------------------------

    def position(self, path: str) -> Position | None:
        row = self.store.execute(
            "SELECT size, byte_offset, line_count FROM import_files WHERE importer = ? AND path = ?",
            (self.importer, path),
        ).fetchone()
        return None if row is None else Position(*row)

    def save_position(self, path: str, position: Position) -> None:
        self.store.execute(
            "INSERT INTO import_files (importer, path, size, byte_offset, line_count, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (importer, path) DO UPDATE SET size = excluded.size,"
            " byte_offset = excluded.byte_offset, line_count = excluded.line_count, imported_at = excluded.imported_at",
            (self.importer, path, position.size, position.byte_offset, position.line_count,
             to_iso(self.store.clock())),
        )


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
    lines: list[tuple[int, str]] = []
    pieces = data.split(b"\n")
    tail = pieces.pop()  # b"" when the data ends with a newline
    consumed = offset
    for piece in pieces:
        line_no += 1
        consumed += len(piece) + 1
        lines.append((line_no, piece.decode("utf-8", errors="replace")))
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


def parsed_lines(ledger: Ledger, rel: str, file: Path, report) -> tuple[list[tuple[int, dict]], Position] | None:
    """The JSON objects on the lines a file gained since the last run, with their line numbers,
    and the position to save once they are stored; None when nothing is new. Lines that are not
    JSON objects go into ``report`` (an ImportReport) as malformed."""
    new = read_new_lines(file, ledger.position(rel))
    if new.incomplete:
        report.bad(rel, new.incomplete[0], "incomplete last line (read again next run)")
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
            report.bad(rel, number, f"not JSON ({getattr(e, 'msg', e)})")
            continue
        if not isinstance(value, dict):
            report.bad(rel, number, "not a JSON object")
            continue
        objects.append((number, value))
    return objects, new.end
