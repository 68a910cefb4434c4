"""``memlab recall``: the messages that answer a question; ``memlab embed``: drain the backlog."""

from __future__ import annotations

import json

import click

from . import cli, db_option, message_filters, open_db


@cli.command()
@click.argument("question")
@db_option
@message_filters
@click.option("--limit", type=int, default=10, show_default=True, help="How many hits.")
@click.option("--mode", type=click.Choice(["hybrid", "keyword", "semantic"]), default="hybrid", show_default=True,
              help="keyword: bm25 over any word; semantic: embeddings; hybrid: both, fused.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def recall(question: str, db_path: str, as_json: bool, **options) -> None:
    """The messages that best answer QUESTION (plain language; any of its words counts)."""
    from dataclasses import asdict

    with open_db(db_path) as db:
        hits = db.recall(question, **options)
    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("no matches")
        return
    if hits[0].note:
        click.echo(f"note: {hits[0].note}", err=True)
    for h in hits:
        click.echo(f"#{h.message_id}  {h.created_at[:16].replace('T', ' ')}  {h.role:<9}  "
                   f"score {h.score:.3f}  via {'+'.join(h.signals)}  conversation {h.conversation_id}")
        click.echo("    " + " ".join(h.snippet.split()))


@cli.command()
@db_option
@click.option("--model", type=click.Choice(["wordllama", "e5"]),
              help="Embedding model (default: the stored vectors', else wordllama). Another model re-embeds all.")
@click.option("--limit", type=int, help="Embed at most this many messages.")
def embed(db_path: str, model: str | None, limit: int | None) -> None:
    """Embed the messages that have no vector yet (the backlog semantic recall reads)."""
    with open_db(db_path) as db:
        done = db.embed(model=model, limit=limit)
        left = db.embed_backlog()
    click.echo(f"embedded {done:,} messages; {left:,} left")
