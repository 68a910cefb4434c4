"""``memlab maintain``: the retention jobs (archive idle sessions, purge summarized messages)
and moving old sessions into per-month archive files, each with ``--dry-run`` counts."""

from __future__ import annotations

import click

from . import cli, db_option, open_db


@cli.command()
@db_option
@click.option("--inactive-days", type=float, default=None,
              help="Mark active/paused sessions idle this many days archived (default 30).")
@click.option("--purge-days", type=float, default=None,
              help="Delete summarized messages older than this many days (default 7).")
@click.option("--archive-days", type=float, default=None,
              help="Move completed/archived sessions last active this many days ago into archive files.")
@click.option("--archive-before", default=None, metavar="DATE",
              help="Like --archive-days, with a date (ISO-8601) instead.")
@click.option("--dry-run", is_flag=True, help="Only count what would change.")
def maintain(db_path: str, inactive_days: float | None, purge_days: float | None,
             archive_days: float | None, archive_before: str | None, dry_run: bool) -> None:
    """Run retention: archive idle sessions, purge summarized messages, move old sessions to
    per-month archive files. With no options, the first two run with 30 and 7 days."""
    import datetime as dt

    from ..archive import archive_sessions
    from ..errors import ValidationError

    if archive_days is not None and archive_before is not None:
        raise ValidationError("give --archive-days or --archive-before, not both")
    if all(o is None for o in (inactive_days, purge_days, archive_days, archive_before)):
        inactive_days, purge_days = 30, 7
    would = "would " if dry_run else ""
    with open_db(db_path) as db:
        if inactive_days is not None:
            n = db.maintenance.archive_inactive(inactive_days, dry_run=dry_run)
            click.echo(f"{would}archive {n} session(s) idle for {inactive_days:g}+ days" if dry_run
                       else f"archived {n} session(s) idle for {inactive_days:g}+ days")
        if purge_days is not None:
            n = db.maintenance.purge_summarized(purge_days, dry_run=dry_run)
            click.echo(f"{would}delete {n} summarized message(s) older than {purge_days:g} days" if dry_run
                       else f"deleted {n} summarized message(s) older than {purge_days:g} days")
        if archive_days is not None or archive_before is not None:
            if archive_before is None:
                from .. import validation as v

                archive_days = v.non_negative("--archive-days", archive_days)
                try:
                    archive_before = db.clock() - dt.timedelta(days=archive_days)
                except OverflowError:
                    raise ValidationError(f"--archive-days is too large: {archive_days:g}") from None
            reports = archive_sessions(db, archive_before, dry_run=dry_run)
            for r in reports:
                verb = "would move" if dry_run else "moved"
                click.echo(f"{verb} {len(r.sessions)} session(s), {r.total_rows} row(s) to {r.file}")
            if not reports:
                click.echo("no sessions to move to archive files")
