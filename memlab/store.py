"""The SQLite store: one connection with memlab's pragmas, migrations, transactions and upkeep.

Everything above this module (the write API, search, analytics, the CLI) goes through a
``Store``; nothing here imports from those layers.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import sqlite_utils

from . import migrations as schema
from .clock import Clock, system_clock
from .errors import DatabaseFileError, SchemaTooNewError, ValidationError

# The one place for connection settings. journal_mode is persistent in the file; the rest
# are per connection, so they are set on every open.
PRAGMAS: tuple[tuple[str, object], ...] = (
    ("journal_mode", "WAL"),
    ("foreign_keys", "ON"),
    ("synchronous", "NORMAL"),
    ("busy_timeout", 10_000),  # ms a writer waits for the lock before giving up
    ("journal_size_limit", 64 * 1024 * 1024),
    ("cache_size", -32_000),  # KiB (negative) = 32 MB page cache
    ("mmap_size", 256 * 1024 * 1024),
    ("temp_store", "MEMORY"),
    # An INSERT OR REPLACE on messages must fire the FTS delete trigger.
    ("recursive_triggers", "ON"),
)

MEMORY = ":memory:"


def default_path() -> str:
    """``$MEMLAB_DB`` if set, else ``./memlab.db``."""
    return os.environ.get("MEMLAB_DB") or "memlab.db"


def _create_private_file(path: Path) -> None:
    """Create an empty file readable and writable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def _describe(path: Path) -> str:
    """Name a database in messages by file name only: user paths stay out of logs."""
    return repr(path.name)


# SQLite's primary result codes that mean the file itself can't be used (not the SQL):
# SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB.
_FILE_ERRORS = frozenset({8, 10, 11, 13, 14, 26})


class _Connection(sqlite3.Connection):
    """A sqlite3 connection whose file-level failures (disk full, I/O error, read-only,
    damaged file) raise ``DatabaseFileError`` naming the file: the one place they are mapped,
    so every write path (single statements, executemany, COMMIT) reports them alike."""

    label = "database"

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as e:
            raise _mapped(e, self.label)
        except (OverflowError, UnicodeEncodeError) as e:
            raise _unbindable(e) from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.DatabaseError as e:
            raise _mapped(e, self.label)
        except (OverflowError, UnicodeEncodeError) as e:
            raise _unbindable(e) from None


def _mapped(error: sqlite3.DatabaseError, label: str) -> Exception:
    """The memlab error for a file-level failure or an unbindable value; else the error itself."""
    if _is_file_error(error):
        return _file_error(error, label)
    if isinstance(error, sqlite3.ProgrammingError) and "binding parameter" in str(error):
        return _unbindable(error)
    return error


def _unbindable(error: Exception) -> ValidationError:
    """A parameter SQLite can't take (an int past 64 bits, a lone surrogate), e.g. in a lookup."""
    if isinstance(error, UnicodeEncodeError):
        return ValidationError(f"a text value is not valid Unicode ({error.reason})")
    if isinstance(error, OverflowError):
        return ValidationError(f"a number is too large for SQLite ({error})")
    return ValidationError(f"a value SQLite can't store: {error}")


def _is_file_error(error: sqlite3.DatabaseError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _FILE_ERRORS


@contextlib.contextmanager
def _reading(conn: sqlite3.Connection) -> Iterator[None]:
    """Map file-level failures met while stepping through rows (a damaged page) like execute's."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        if _is_file_error(e):
            raise _file_error(e, getattr(conn, "label", "database")) from e
        if str(e).startswith("Could not decode to UTF-8"):  # sqlite3 module, not SQLite: no error code
            raise DatabaseFileError(
                f"{getattr(conn, 'label', 'database')} holds text that is not valid UTF-8 "
                "(a damaged page, or a row written by another program)"
            ) from e
        raise


class Store:
    """A memlab database file, opened with memlab's pragmas and migrated to the current schema."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        migrate: bool = True,
        create: bool = True,
        clock: Clock | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        raw = str(path) if path is not None else default_path()
        self.is_memory = raw == MEMORY
        self.path = Path(raw) if not self.is_memory else None
        self.created = False  # True when this open made the file (readers pass create=False)
        self.clock: Clock = clock or system_clock
        self.redactor: Callable[[str], str] | None = None
        if redact is not None:
            self.set_redactor(redact)
        self._savepoints = itertools.count()
        # What the layers above remember per connection (search's stemmer, say): it lives as
        # long as this store, never in a module global.
        self.memo: dict[str, Any] = {}
        self.conn = self._connect(raw, create)
        try:
            self.db = sqlite_utils.Database(self.conn, execute_plugins=False)
            self._check_version()
            if migrate:
                self.migrate()
        except BaseException:
            self.conn.close()
            raise

    # -- opening -----------------------------------------------------------------------------

    def _connect(self, given: str, create: bool) -> sqlite3.Connection:
        if self.is_memory:
            conn = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False, factory=_Connection)
            self._apply_pragmas(conn)
            return conn
        path = self.path
        assert path is not None
        name = _describe(path)
        if path.is_dir():
            raise DatabaseFileError(f"{name} is a directory, not a database file")
        if not create and not path.exists():
            # The path as the user gave it: they typed it, and a typo must be visible.
            raise DatabaseFileError(f"no memlab database at {given!r}")
        if not path.parent.exists():
            raise DatabaseFileError(f"the folder for {name} does not exist")
        if not path.exists():
            try:
                _create_private_file(path)
                self.created = True
            except FileExistsError:
                pass  # another process created it first: open theirs
            except PermissionError as e:
                raise DatabaseFileError(f"cannot create {name}: the folder is not writable") from e
            except OSError as e:  # read-only file system, no space or inodes left, ...
                raise DatabaseFileError(f"cannot create {name}: {e.strerror}") from e
        elif not os.access(path, os.R_OK):
            raise DatabaseFileError(f"cannot read {name}: permission denied")
        elif not os.access(path, os.W_OK):
            raise DatabaseFileError(
                f"{name} is read-only: memlab needs write access to the file and its folder"
            )
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=_Connection)
        conn.label = name
        try:
            self._apply_pragmas(conn)
        except (sqlite3.DatabaseError, DatabaseFileError) as e:
            conn.close()
            raise (e if isinstance(e, DatabaseFileError) else _file_error(e, name)) from e
        return conn

    @staticmethod
    def _apply_pragmas(conn: sqlite3.Connection) -> None:
        for pragma, value in PRAGMAS:
            for attempt in itertools.count():
                try:
                    conn.execute(f"PRAGMA {pragma} = {value}")
                    break
                except sqlite3.OperationalError as e:
                    # Two processes switching a new file to WAL at once: SQLite refuses one
                    # at once (deadlock avoidance skips the busy timeout), so wait and retry.
                    if getattr(e, "sqlite_errorcode", 0) & 0xFF != 5 or attempt >= 200:
                        raise
                    time.sleep(0.05)

    def _check_version(self) -> None:
        applied = self.applied_migrations()
        unknown = [name for name in applied if name not in schema.known_names()]
        if unknown:
            where = _describe(self.path) if self.path else "this database"
            raise SchemaTooNewError(
                f"{where} was written by a newer memlab (unknown migrations: "
                f"{', '.join(unknown)}); upgrade memlab to open it"
            )

    def set_redactor(self, redact: Callable[[str], str] | None) -> None:
        """Pass free text (message content, titles, tasks, requests, errors) through ``redact``
        before it is stored, e.g. ``memlab.redact.default_redactor``; None turns it off."""
        if redact is not None and not callable(redact):
            raise TypeError("redact must be a callable taking and returning a string")
        self.redactor = redact

    # -- migrations --------------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        """Names of the memlab migrations recorded in this database, in order."""
        try:
            return [m.name for m in schema.migrations.applied(self.db)]
        except sqlite3.DatabaseError as e:
            raise _file_error(e, _describe(self.path) if self.path else "database") from e

    def pending_migrations(self) -> list[str]:
        """Names of the migrations this memlab would still apply."""
        return [m.name for m in schema.migrations.pending(self.db)]

    def migrate(self, *, stop_before: str | None = None) -> list[str]:
        """Apply pending migrations (each in its own transaction) and return their names."""
        if not self.pending_migrations():
            return []
        try:
            # Under the write lock and re-checked inside it: processes opening a new file at
            # the same moment wait for the first to migrate instead of racing it.
            with self.transaction():
                pending = self.pending_migrations()
                if not pending:
                    return []
                schema.migrations.apply(self.db, stop_before=stop_before)
                applied = self.applied_migrations()
                self.conn.execute(f"PRAGMA user_version = {len(applied)}")
        except sqlite3.OperationalError as e:
            raise _file_error(e, _describe(self.path) if self.path else "database") from e
        return [name for name in pending if name in applied]

    @property
    def schema_version(self) -> int:
        """How many memlab migrations this database has applied."""
        return len(self.applied_migrations())

    # -- transactions ------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing block that takes the write lock up front (``BEGIN IMMEDIATE``).

        Taking the lock first makes a second writer wait (busy timeout) instead of failing
        with "database is locked" on a read-then-write upgrade. Nested blocks are savepoints.
        """
        conn = self.conn
        if conn.in_transaction:
            name = f"memlab_{next(self._savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- reading -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run one parameterised statement."""
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[dict]:
        """Rows of a parameterised query as dicts."""
        cursor = self.conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        with _reading(self.conn):
            return [dict(zip(columns, row)) for row in cursor]

    def query_one(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> dict | None:
        """The first row of a parameterised query as a dict, or None."""
        cursor = self.conn.execute(sql, params)
        with _reading(self.conn):
            row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row))

    def dataframe(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        *,
        dtypes: Mapping[str, str] | None = None,
    ):
        """A parameterised query as a pandas DataFrame, with these columns even when empty."""
        import pandas as pd

        cursor = self.conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        with _reading(self.conn):
            rows = cursor.fetchall()
        frame = pd.DataFrame.from_records(rows, columns=columns)
        if dtypes:
            frame = frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})
        return frame

    def count(self, table: str) -> int:
        """Rows in one of memlab's tables."""
        if table not in schema.TABLES:
            raise ValueError(f"not a memlab table: {table!r}")
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # -- upkeep ------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """File size, pages, journal mode, schema version and row counts per table."""
        pragma = lambda name: self.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        size = 0
        if self.path is not None:
            for suffix in ("", "-wal"):
                p = Path(f"{self.path}{suffix}")
                if p.exists():
                    size += p.stat().st_size
        return {
            "path": str(self.path) if self.path else MEMORY,
            "size_bytes": size,
            "page_size": pragma("page_size"),
            "page_count": pragma("page_count"),
            "freelist_count": pragma("freelist_count"),
            "journal_mode": pragma("journal_mode"),
            "schema_version": self.schema_version,
            "sqlite_version": sqlite3.sqlite_version,
            "tables": {table: self.count(table) for table in schema.TABLES},
        }

    def integrity_check(self) -> list[str]:
        """Problems found by SQLite's ``integrity_check`` and FTS5's own check; [] when sound."""
        try:
            problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
            problems += [
                f"foreign key: {table} row {rowid} -> {parent}"
                for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check")
            ]
        except (sqlite3.DatabaseError, DatabaseFileError) as e:
            return [str(e)]  # too damaged for SQLite to even list the problems
        try:
            self.conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
        except (sqlite3.DatabaseError, DatabaseFileError) as e:
            problems.append(f"messages_fts: {e}")
        return problems

    def vacuum(self, into: str | os.PathLike[str] | None = None) -> None:
        """Rebuild the file to reclaim free pages, or write a compacted copy ``into`` a new file."""
        if into is None:
            self.conn.execute("VACUUM")
            return
        target = Path(into)
        if target.exists():
            raise DatabaseFileError(f"{_describe(target)} already exists")
        if not target.parent.exists():
            raise DatabaseFileError(f"the folder for {_describe(target)} does not exist")
        try:
            # VACUUM INTO creates its file with the umask's mode: write it inside a 0700
            # folder, make it 0600, then move it into place, so no one else can ever read it.
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".memlab-vacuum-") as tmp:
                partial = Path(tmp) / target.name
                self.conn.execute("VACUUM INTO ?", (str(partial),))
                os.chmod(partial, 0o600)
                os.replace(partial, target)
        except OSError as e:
            raise DatabaseFileError(f"cannot write {_describe(target)}: {e.strerror}") from e

    def backup(self, path: str | os.PathLike[str]) -> Path:
        """A consistent online copy, safe while other processes write; returns the path.

        Uses SQLite's backup API in one step inside a read transaction, so the copy is one
        point in time (copying the -wal file by hand, as the seed did, is not). The copy is
        written beside the target and renamed into place, so a failure leaves no half file.
        """
        target = Path(path)
        if target.exists():
            raise DatabaseFileError(f"{_describe(target)} already exists")
        if not target.parent.exists():
            raise DatabaseFileError(f"the folder for {_describe(target)} does not exist")
        partial = target.with_name(f".{target.name}.partial")
        try:
            partial.unlink(missing_ok=True)
            _create_private_file(partial)
        except OSError as e:
            raise DatabaseFileError(f"cannot create {_describe(target)}: {e.strerror}") from e
        try:
            dest = sqlite3.connect(partial, isolation_level=None)
            try:
                self.conn.backup(dest, pages=0)
                dest.execute("PRAGMA journal_mode = WAL")
            finally:
                dest.close()
            os.replace(partial, target)
        except BaseException as e:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{partial}{suffix}").unlink(missing_ok=True)
            if isinstance(e, sqlite3.DatabaseError):
                raise _file_error(e, _describe(target)) from e
            if isinstance(e, OSError):
                raise DatabaseFileError(f"cannot write {_describe(target)}: {e.strerror}") from e
            raise
        return target

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path.name if self.path else MEMORY}>"


def _file_error(error: sqlite3.DatabaseError, name: str) -> DatabaseFileError:
    """Turn SQLite's low-level complaint about a file into a memlab error that names it."""
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return DatabaseFileError(f"{name} is not a SQLite database (or is damaged): {text}")
    if "readonly" in text or "read-only" in text:
        return DatabaseFileError(f"{name} is read-only: memlab needs write access ({text})")
    if "unable to open" in text:
        return DatabaseFileError(f"cannot open {name}: {text} (is its folder writable?)")
    if "disk is full" in text or "disk I/O" in text:
        return DatabaseFileError(f"cannot write {name}: {text}")
    return DatabaseFileError(f"{name}: {text}")

