"""Commands that make data to look at: ``memlab generate`` (a seeded synthetic history)."""

from __future__ import annotations

import click

from . import cli, db_option, open_db


@cli.command()
@db_option
@click.option("--messages", default=5_000, show_default=True, type=click.IntRange(min=1),
              help="How many messages to write (exactly).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1),
              help="How many days the history spans.")
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same database.")
@click.option("--users", default=None, type=click.IntRange(min=1),
              help="How many people (default: grows with --messages, 3 to 40).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(db_path: str, messages: int, days: int, seed: int, users: int | None, quiet: bool) -> None:
    """Fill an empty database with a seeded, realistic multi-agent history."""
    from ..synth import generate as fill

    with open_db(db_path) as db:
        counts = fill(db, messages=messages, days=days, seed=seed, users=users,
                      progress=False if quiet else None)
    click.echo(f"generated {counts['messages']:,} messages (seed {seed}, {days} days)")
    for table, n in counts.items():
        click.echo(f"  {table:<20}{n:>12,}")
