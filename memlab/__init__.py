"""memlab: durable, searchable memory for LLM agents in one SQLite file, analysed with pandas.

    import memlab
    db = memlab.open("memlab.db")   # or $MEMLAB_DB, or ./memlab.db

Heavy modules (sqlite-utils, pandas) load on first use, so ``memlab --help`` starts fast.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Callable

from .errors import (
    DatabaseFileError,
    MemlabError,
    NotFoundError,
    QuerySyntaxError,
    SchemaTooNewError,
    ValidationError,
)

if TYPE_CHECKING:
    from .clock import Clock
    from .database import Database

try:
    __version__ = version("memlab")
except PackageNotFoundError:  # running from a source tree that isn't installed
    __version__ = "0+unknown"

__all__ = [
    "open",
    "Database",
    "MemlabError",
    "DatabaseFileError",
    "SchemaTooNewError",
    "ValidationError",
    "NotFoundError",
    "QuerySyntaxError",
    "__version__",
]


def open(
    path: str | os.PathLike[str] | None = None,
    *,
    migrate: bool = True,
    clock: "Clock | None" = None,
    redact: "Callable[[str], str] | None" = None,
) -> "Database":
    """Open (creating if needed) a memlab database and bring its schema up to date.

    ``path`` defaults to ``$MEMLAB_DB``, else ``./memlab.db``; ``":memory:"`` for tests.
    A new file is created with mode 0600. ``clock`` returns aware UTC datetimes. ``redact``
    (e.g. ``memlab.redact.default_redactor``) rewrites free text before it is stored.
    """
    from .database import Database

    return Database(path, migrate=migrate, clock=clock, redact=redact)


# Submodules the README reaches through ``memlab.`` after a plain ``import memlab``, loaded on first use.
_SUBMODULES = ("redact", "prices", "imports")


def __getattr__(name: str):
    if name == "Database":
        from .database import Database

        return Database
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'memlab' has no attribute {name!r}")
