"""``memlab import``: bring Claude Code transcripts, ``llm`` logs and generic JSON Lines into memlab."""

from __future__ import annotations

import click

from . import cli, db_option, open_db

quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")


@cli.group(name="import")
def import_group() -> None:
    """Import agent histories; re-running adds only what is new."""


def _print(report, db=None, quiet: bool = False) -> None:
    click.echo(report.summary())
    if db is not None:  # what was imported is folded into the search index now, not by the first search
        db.update_search_index(progress=False if quiet else None)


@import_group.command(name="claude-code")
@click.argument("path", required=False, type=click.Path(exists=True))
@db_option
@quiet_option
def claude_code(path: str | None, db_path: str, quiet: bool) -> None:
    """Claude Code transcripts under PATH (default ~/.claude/projects)."""
    from ..imports.claude_code import import_claude_code

    with open_db(db_path, create=True) as db:
        _print(import_claude_code(db, path, progress=False if quiet else None), db, quiet)


@import_group.command(name="jsonl")
@click.argument("path", type=click.Path(exists=True))
@db_option
@quiet_option
def jsonl(path: str, db_path: str, quiet: bool) -> None:
    """memlab's generic JSON Lines format (a file, or a folder of *.jsonl files); see docs/import-jsonl.md."""
    from ..imports.jsonl import import_jsonl

    with open_db(db_path, create=True) as db:
        _print(import_jsonl(db, path, progress=False if quiet else None), db, quiet)


@import_group.command(name="llm")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@db_option
@quiet_option
def llm_logs(path: str | None, db_path: str, quiet: bool) -> None:
    """Simon Willison's llm logs database (default: llm's own logs.db)."""
    from ..imports.llm_logs import import_llm_logs

    with open_db(db_path, create=True) as db:
        _print(import_llm_logs(db, path, progress=False if quiet else None), db, quiet)
