"""``memlab forget``: delete a user, session, conversation or messages from every table and index."""

from __future__ import annotations

import json

import click

from . import cli, db_option, open_db


@cli.command()
@db_option
@click.option("--user", "user_id", help="Everything of this user: sessions, messages, preferences, costs...")
@click.option("--session", "session_id", help="This session and everything in it.")
@click.option("--conversation", "conversation_id", help="This conversation, its messages and the agent work in it.")
@click.option("--message", "message_ids", type=int, multiple=True, help="This message (repeat for more).")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.option("--live-only", is_flag=True, help="Leave the archive files beside the database alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts per table as JSON.")
def forget(db_path: str, user_id: str | None, session_id: str | None, conversation_id: str | None,
           message_ids: tuple[int, ...], dry_run: bool, live_only: bool, as_json: bool) -> None:
    """Delete everything of one scope (give exactly one of --user, --session, --conversation,
    --message) in one transaction, then in each archive file beside it. Run `memlab vacuum`
    afterwards to give the pages back."""
    with open_db(db_path) as db:
        counts = db.forget(user_id=user_id, session_id=session_id, conversation_id=conversation_id,
                           message_ids=list(message_ids) or None, dry_run=dry_run,
                           archives=not live_only)
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, "rows": counts}, indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {sum(counts.values())} row(s)")
    for table, n in counts.items():
        if n:
            click.echo(f"  {table:<20}{n:>10,}")
