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


def open_db(db_path: str, **kwargs):
    """Open the database named by --db through the public API."""
    import memlab

    return memlab.open(db_path, **kwargs)


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
from . import forget_commands  # noqa: E402,F401  (registers commands)
from . import recall_commands  # noqa: E402,F401  (registers commands)
from . import context_commands  # noqa: E402,F401  (registers commands)
from . import mcp_commands  # noqa: E402,F401  (registers commands)
