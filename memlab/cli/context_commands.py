"""``memlab context``: what to put in a session's next prompt, within a token budget."""

from __future__ import annotations

import json

import click

from . import cli, db_option, open_db


@cli.command()
@click.argument("session_id")
@db_option
@click.option("--query", help="What the next prompt is about (default: the session's newest user message).")
@click.option("--budget", "budget_tokens", type=int, default=2000, show_default=True, help="Most tokens to use.")
@click.option("--user", "user_id", help="Whose memories and preferences (default: the session's user).")
@click.option("--recent", type=int, default=10, show_default=True, help="Most recent turns to consider.")
@click.option("--messages", "as_messages", is_flag=True, help="Print a chat messages list (JSON) instead of text.")
@click.option("--json", "as_json", is_flag=True, help="Print every section and item with tokens and reasons.")
def context(session_id: str, db_path: str, as_messages: bool, as_json: bool, **options) -> None:
    """The context for SESSION_ID's next prompt: recent turns, relevant memories, preferences,
    matching patterns and the handoff it continues, never over the budget."""
    with open_db(db_path) as db:
        ctx = db.context(session_id, **options)
    if as_json:
        click.echo(json.dumps(ctx.to_dict(), indent=2, ensure_ascii=False))
    elif as_messages:
        click.echo(json.dumps(ctx.render("messages"), indent=2, ensure_ascii=False))
    else:
        click.echo(ctx.render())
        click.echo(f"\n({ctx.tokens} of {ctx.budget_tokens} tokens, counted by {ctx.tokenizer})", err=True)
