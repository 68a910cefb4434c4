"""Options for commands that read one memlab file or many: ``--db`` given several times, or
``--parquet DIR`` (a folder written by ``memlab export parquet``); many go through DuckDB."""

from __future__ import annotations

import contextlib
from typing import Iterator

import click

from . import open_db

many_db_option = click.option(
    "--db",
    "db_paths",
    multiple=True,
    type=click.Path(dir_okay=False),  # $MEMLAB_DB is read whole by default_path (it may hold spaces)
    help="Database file (also $MEMLAB_DB; default memlab.db). Give it several times to read many "
         "files at once through DuckDB (pip install 'memlab[duckdb]').",
)
parquet_option = click.option(
    "--parquet",
    "parquet_dir",
    type=click.Path(file_okay=False),
    help="Read a folder written by 'memlab export parquet' instead, through DuckDB.",
)


def db_paths_or_default(db_paths: tuple[str, ...]) -> list[str]:
    """The --db files given, else the one default file ($MEMLAB_DB, else memlab.db)."""
    from ..store import default_path

    return list(db_paths) or [default_path()]


@contextlib.contextmanager
def open_analytics(db_paths: tuple[str, ...], parquet_dir: str | None) -> Iterator:
    """The Analytics to answer from: one file's ``db.analytics`` (SQLite, the default), or
    DuckDB over several files or a Parquet folder."""
    if parquet_dir is not None:
        if db_paths:
            raise click.UsageError("give --db files or --parquet, not both")
        from ..analytics import Analytics

        with Analytics.over_parquet(parquet_dir) as analytics:
            yield analytics
        return
    paths = db_paths_or_default(db_paths)
    if len(paths) == 1:
        with open_db(paths[0]) as db:
            yield db.analytics
        return
    from ..analytics import Analytics

    with Analytics.over_files(paths) as analytics:
        yield analytics
