"""The ``memlab`` command: each command mirrors a call of the Python API.

Command modules register themselves on ``cli``; memlab itself is imported inside commands so
that ``memlab --help`` starts without loading pandas or sqlite-utils.
"""

from __future__ import annotations

import click

from ..errors import MemlabError


class MemlabGroup(click.Group):
    """A group that turns any memlab error into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MemlabError as e:
            raise click.ClickException(str(e)) from e


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    envvar="MEMLAB_DB",
    default="memlab.db",
    show_default=True,
    help="Database file (also $MEMLAB_DB).",
)


def message_filters(command):
    """The options that narrow which messages a search or recall reads (the API's filter names)."""
    for option in reversed([
        click.option("--session", "session_id", help="Only this session's messages."),
        click.option("--user", "user_id", help="Only this user's sessions."),
        click.option("--project", "project_id", help="Only this project's sessions."),
        click.option("--conversation", "conversation_id", help="Only this conversation."),
        click.option("--role", type=click.Choice(["user", "assistant", "system", "tool"]), help="Only this role."),
        click.option("--since", metavar="DATE", help="Messages at or after this ISO-8601 time."),
        click.option("--until", metavar="DATE", help="Messages before this ISO-8601 time."),
    ]):
        command = option(command)
    return command


def open_db(db_path: str, *, create: bool = False, **kwargs):
    """Open the database named by --db through the public API.

    A path that doesn't exist is refused with an error naming it as given, so a mistyped --db
    never reads (or writes) a new empty file. Only the commands that make data (init, import,
    generate, demo) pass ``create=True``, and they say so on stderr when they create the file.
    """
    import memlab
    from ..errors import DatabaseFileError

    try:
        db = memlab.open(db_path, create=create, **kwargs)
    except DatabaseFileError as e:
        if create or str(e) != f"no memlab database at {db_path!r}":
            raise
        raise DatabaseFileError(f"{e} (memlab init --db {db_path} creates one)") from None
    if db.created:
        click.echo(f"created {db_path}", err=True)
    return db


@click.group(cls=MemlabGroup)
@click.version_option(package_name="memlab")
def cli() -> None:
    """memlab: durable, searchable memory for LLM agents in one SQLite file."""


from . import store_commands  # noqa: E402,F401  (registers commands)
from . import demo_commands  # noqa: E402,F401  (registers commands)
from . import maintain_commands  # noqa: E402,F401  (registers commands)
from . import bench_commands  # noqa: E402,F401  (registers commands)
from . import import_commands  # noqa: E402,F401  (registers commands)
from . import report_commands  # noqa: E402,F401  (registers commands)
from . import prices_commands  # noqa: E402,F401  (registers commands)
from . import search_commands  # noqa: E402,F401  (registers commands)
from . import export_commands  # noqa: E402,F401  (registers commands)
from . import read_commands  # noqa: E402,F401  (registers commands)
from . import forget_commands  # noqa: E402,F401  (registers commands)
from . import recall_commands  # noqa: E402,F401  (registers commands)
from . import context_commands  # noqa: E402,F401  (registers commands)
from . import mcp_commands  # noqa: E402,F401  (registers commands)
