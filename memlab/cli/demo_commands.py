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

    with open_db(db_path, create=True) as db:
        counts = fill(db, messages=messages, days=days, seed=seed, users=users,
                      progress=False if quiet else None)
    click.echo(f"generated {counts['messages']:,} messages (seed {seed}, {days} days)")
    for table, n in counts.items():
        click.echo(f"  {table:<20}{n:>12,}")


@cli.command()
@db_option
@click.option("--report", default="memlab-report.html", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the HTML dashboard.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo(db_path: str, report: str, quiet: bool) -> None:
    """The main job: a demo database, the dashboard run on it, and an HTML report.

    An empty or new database is filled with the seeded demo history (a month of a small team's
    agent work); one that already has data is used as it is, so running twice reuses the
    first run's data and --db/$MEMLAB_DB pointed at your own database reports on yours.
    Delete the file to start over.
    """
    from pathlib import Path

    from .. import demo as show

    with open_db(db_path, create=True) as db:
        generated = show.ensure_demo(db, progress=False if quiet else None)
        figures = show.summary(db)
    click.echo(f"{'generated' if generated else 'using'} {Path(db_path).name}: "
               f"{figures['messages']:,} messages in {figures['sessions']:,} sessions "
               f"of {figures['users']:,} users, {figures['first'][:10]} to {figures['last'][:10]}")
    click.echo("running the dashboard notebook ...")
    target = show.render_dashboard(db_path, report, progress=False if quiet else None)
    click.echo(f"model calls      {figures['calls']:,} costing ${figures['cost_usd']:,.2f}"
               + (f" ({figures['unpriced_calls']:,} unpriced)" if figures["unpriced_calls"] else ""))
    for row in figures["top_models"]:
        cost = "unpriced" if row["cost_usd"] is None else f"${row['cost_usd']:,.2f}"
        click.echo(f"  {row['model']:<22}{row['calls']:>8,} calls  {cost:>12}")
    if figures["interactions"]:
        click.echo(f"agent success    {figures['success_rate']:.1%} of {figures['interactions']:,} interactions")
    click.echo(f"database         {Path(db_path).resolve()}")
    click.echo(f"report           {target.resolve()}")
