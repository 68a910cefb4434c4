"""DuckDB with memlab's lake tables as views: over several memlab files (DuckDB's sqlite
scanner, read-only) or over a folder written by ``memlab export parquet``.

DuckDB, its sqlite scanner and pyarrow are the ``duckdb`` extra. The scanner comes from the
``duckdb-extension-sqlite-scanner`` package, loaded from its file: DuckDB never downloads an
extension here (autoinstall is off), so this works without network.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any, Sequence

from ..errors import DatabaseFileError, MissingExtraError, ValidationError
from .tables import TABLES, Table

EXTRA = "pip install 'memlab[duckdb]'"
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"  # memlab's timestamp text, as memlab.clock writes it

# Time grains as SQLite's substr(created_at, 1, grain) makes them (see analytics.timebuckets).
# memlab_trunc cuts an instant to its UTC day, hour, minute or second by integer arithmetic on
# epoch microseconds (no calendar: DuckDB's date_trunc on TIMESTAMPTZ is several times slower),
# as a plain UTC TIMESTAMP; a month grain is cut to the day and spelled as the month, so queries
# group by the cut time first and by the grain text after. memlab_grain spells the grain.
MACROS = f"""
CREATE TEMP MACRO memlab_trunc(t, g) AS make_timestamp(CASE g
    WHEN 0 THEN NULL
    WHEN 7 THEN epoch_us(t) // 86400000000 * 86400000000
    WHEN 10 THEN epoch_us(t) // 86400000000 * 86400000000
    WHEN 13 THEN epoch_us(t) // 3600000000 * 3600000000
    WHEN 16 THEN epoch_us(t) // 60000000 * 60000000
    WHEN 19 THEN epoch_us(t) // 1000000 * 1000000
    ELSE epoch_us(t) END);
CREATE TEMP MACRO memlab_grain(t, g) AS left(coalesce(strftime(t, '{ISO}'), ''), g);
"""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def require_duckdb():
    """The duckdb module, or MissingExtraError saying which extra brings it."""
    try:
        import duckdb
    except ImportError:
        raise MissingExtraError(f"this needs DuckDB, which memlab's duckdb extra installs: {EXTRA}") from None
    return duckdb


def require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingExtraError(f"this needs pyarrow, which memlab's duckdb extra installs: {EXTRA}") from None
    return pyarrow


def connect():
    """A new in-memory DuckDB connection set up for memlab: UTC, no downloads, the grain macros."""
    duckdb = require_duckdb()
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                              "autoload_known_extensions": True})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(MACROS)
    return con


def load_sqlite_scanner(con) -> None:
    """Load DuckDB's sqlite scanner from the duckdb-extension-sqlite-scanner package (no network)."""
    duckdb = require_duckdb()
    try:
        import duckdb_extension_sqlite_scanner as package
    except ImportError:
        raise MissingExtraError(f"reading memlab files with DuckDB needs its sqlite scanner: {EXTRA}") from None
    found = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "sqlite_scanner.duckdb_extension"
    if not found.is_file():
        raise MissingExtraError(
            f"the installed sqlite scanner is not built for DuckDB {duckdb.__version__}: "
            f"pip install 'duckdb-extension-sqlite-scanner=={duckdb.__version__}'")
    con.load_extension(str(found))


def source_name(path: Path) -> str:
    """The name a memlab file's rows carry in source_db: its file name without the suffix."""
    name = path.stem
    if not _NAME.fullmatch(name):
        raise ValidationError(f"a memlab file's name must be letters, digits, '.', '_' or '-' "
                              f"(it names the file's rows in source_db); got {path.name!r}")
    return name


def check_file(con, path: Path) -> str:
    """The source name of a memlab file, after checking it is one (DatabaseFileError if not)."""
    name = source_name(path)
    if not path.is_file():
        raise DatabaseFileError(f"no memlab database file {path.name!r}")
    load_sqlite_scanner(con)
    try:
        have = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_scan($path, 'sqlite_master') WHERE type = 'table'", {"path": str(path)}).fetchall()}
    except require_duckdb().Error as e:
        raise DatabaseFileError(f"{path.name!r} can't be read as a memlab database: {e}") from None
    missing = sorted(set(TABLES) - have)
    if missing:
        raise DatabaseFileError(f"{path.name!r} is not a memlab database (no table {', '.join(missing)}); "
                                "memlab.open() it once to bring its schema up to date")
    return name


def lake_relation(con, table: Table, path: Path, name: str):
    """One lake table of one memlab file, as a DuckDB relation (the path and name are parameters)."""
    return con.sql(table.select(), params={"path": str(path), "source_db": name})


def open_files(paths: Sequence[str | os.PathLike[str]]):
    """A DuckDB connection whose lake views read these memlab files (UNION ALL, read-only)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValidationError("give at least one memlab database file")
    con = connect()
    try:
        names = [check_file(con, p) for p in paths]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValidationError(f"two memlab files are both named {twice[0]!r}: their rows would be "
                                  "indistinguishable in source_db; rename one")
        for table in TABLES.values():
            relations = [lake_relation(con, table, p, n) for p, n in zip(paths, names)]
            functools.reduce(lambda a, b: a.union(b), relations).create_view(table.name, replace=True)
    except BaseException:
        con.close()
        raise
    return con


def parquet_files(folder: Path, table: str) -> list[str]:
    """The Parquet files of one table in an export folder (``<table>/month=YYYY-MM/*.parquet``)."""
    return sorted(str(p) for p in (folder / table).glob("month=*/*.parquet"))


def open_parquet(folder: str | os.PathLike[str]):
    """A DuckDB connection whose lake views read a folder written by ``memlab export parquet``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatabaseFileError(f"no Parquet export folder {folder.name!r}")
    if not any(parquet_files(folder, t) for t in TABLES):
        raise DatabaseFileError(f"{folder.name!r} holds no memlab Parquet export (run memlab export parquet)")
    con = connect()
    try:
        for table in TABLES.values():
            files = parquet_files(folder, table.name)
            if not files:
                con.execute(f"CREATE TEMP VIEW {table.name} AS {table.empty()}")
                continue
            columns = ", ".join(table.columns)
            con.read_parquet(files, union_by_name=True).project(columns).create_view(table.name, replace=True)
    except BaseException:
        con.close()
        raise
    return con


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def used_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names ($name), each from ``params`` (DuckDB refuses extra ones)."""
    return {name: params.get(name) for name in dict.fromkeys(_PARAM.findall(sql))}


def frame(con, sql: str, params: dict[str, Any] | None = None):
    """A parameterised query as a pandas DataFrame."""
    return con.execute(sql, used_params(sql, params or {})).df()
