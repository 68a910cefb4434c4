"""``memlab search``: the most relevant messages for a query, as a table or JSON."""

from __future__ import annotations

import json

import click

from . import cli, db_option, formatting, message_filters, open_db


@cli.command()
@click.argument("query")
@db_option
@message_filters
@click.option("--limit", type=int, default=10, show_default=True, help="How many hits.")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many hits first.")
@click.option("--any", "any_word", is_flag=True,
              help="Match messages holding any of the words, not all (bm25 of FTS5's OR).")
@click.option("--advanced", is_flag=True, help="Read QUERY as FTS5 syntax (phrases, prefix*, OR, NOT, NEAR).")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(query: str, db_path: str, any_word: bool, advanced: bool, as_json: bool, **filters) -> None:
    """Search messages for QUERY, most relevant first (bm25).

    QUERY is read as plain words, every one of which must match, unless --any (any of them) or
    --advanced (FTS5 syntax): any text is fine. For questions in plain language, memlab recall.
    """
    from dataclasses import asdict

    if any_word and advanced:
        raise click.UsageError("--any and --advanced can't be used together (FTS5 syntax says OR itself)")
    with open_db(db_path) as db:
        hits = db.search(query, mode="any" if any_word else "advanced" if advanced else "plain", **filters)
    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("no matches")
        return
    number = max(len(str(h.message_id)) for h in hits) + 1
    for h in hits:
        parts = [f"#{h.message_id}".ljust(number), h.created_at[:16].replace("T", " "), h.role.ljust(9)]
        click.echo(formatting.line(parts, h.snippet))
    click.echo(f"\n{formatting.plural(len(hits), 'hit')}, most relevant first; memlab show #ID prints a message whole")


@cli.command(name="index")
@db_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index_command(db_path: str, quiet: bool) -> None:
    """Fold new, rewritten and deleted messages into the search index.

    Searches are exact without it (they score what is not folded in yet from FTS5); folding
    keeps them fast. Imports and generate fold at their end; run this after other bulk writes.
    """
    with open_db(db_path) as db:
        pending, removed = _backlog(db)
        added = db.update_search_index(progress=False if quiet else None)
        click.echo(f"search index: {added} message(s) folded in, {removed} stale entr{'y' if removed == 1 else 'ies'} taken out"
                   if pending or removed else "search index: up to date")


def _backlog(db) -> tuple[int, int]:
    from ..search import index

    return index.backlog(db.conn)
