"""Commands for the database file itself: init, migrate, stats, backup, vacuum, check."""

from __future__ import annotations

import json

import click

from . import cli, db_option, open_db


@cli.command()
@db_option
def init(db_path: str) -> None:
    """Create the database (or bring an existing one up to date)."""
    with open_db(db_path, create=True) as db:
        click.echo(f"{db_path}: schema version {db.schema_version}")


@cli.command()
@db_option
@click.option("--list", "list_only", is_flag=True, help="Show applied and pending migrations only.")
def migrate(db_path: str, list_only: bool) -> None:
    """Apply pending migrations."""
    with open_db(db_path, migrate=False) as db:
        if list_only:
            for name in db.applied_migrations():
                click.echo(f"[x] {name}")
            for name in db.pending_migrations():
                click.echo(f"[ ] {name}")
            return
        applied = db.migrate()
        for name in applied:
            click.echo(f"applied {name}")
        click.echo(f"schema version {db.schema_version}")


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(db_path: str, as_json: bool) -> None:
    """File size, pages, journal mode, schema version and row counts."""
    with open_db(db_path) as db:
        info = db.stats()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"database        {info['path']}")
    click.echo(f"size            {info['size_bytes'] / 1e6:.2f} MB")
    click.echo(f"pages           {info['page_count']} x {info['page_size']} B "
               f"({info['freelist_count']} free)")
    click.echo(f"journal mode    {info['journal_mode']}")
    click.echo(f"schema version  {info['schema_version']}")
    click.echo("rows")
    for table, n in info["tables"].items():
        click.echo(f"  {table:<20}{n:>12,}")


@cli.command()
@db_option
@click.argument("destination", type=click.Path(dir_okay=False))
def backup(db_path: str, destination: str) -> None:
    """Write a consistent copy of the database, safe while others write."""
    with open_db(db_path) as db:
        path = db.backup(destination)
    click.echo(f"backup written to {path}")


@cli.command()
@db_option
@click.option("--into", type=click.Path(dir_okay=False), help="Write a compacted copy instead.")
def vacuum(db_path: str, into: str | None) -> None:
    """Reclaim free space (or write a compacted copy with --into)."""
    with open_db(db_path) as db:
        db.vacuum(into=into)
    click.echo("vacuumed" if into is None else f"compacted copy written to {into}")


@cli.command()
@db_option
def check(db_path: str) -> None:
    """Run SQLite's and FTS5's integrity checks; exit 1 if anything is wrong."""
    with open_db(db_path) as db:
        problems = db.integrity_check()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("ok")
