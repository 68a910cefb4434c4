"""The small set of exceptions memlab raises: catch ``MemlabError`` to catch them all."""


class MemlabError(Exception):
    """Base class for every error memlab raises on purpose."""


class DatabaseFileError(MemlabError):
    """The database file can't be used: missing folder, not SQLite, read-only, damaged."""


class SchemaTooNewError(DatabaseFileError):
    """The file was written by a newer memlab: it records migrations this one doesn't know."""


class ValidationError(MemlabError, ValueError):
    """An argument is malformed: bad role or status, negative tokens, empty id, non-JSON metadata."""


class NotFoundError(MemlabError, LookupError):
    """A referenced row (session, conversation, ...) does not exist."""


class QuerySyntaxError(MemlabError, ValueError):
    """An advanced-mode search expression is malformed."""


class ExtraMissingError(MemlabError, ImportError):
    """An optional capability needs a package that isn't installed (the message names the extra)."""
