"""``memlab export parquet``: memlab files as Parquet for DuckDB, Spark and friends."""

from __future__ import annotations

import click

from . import cli
from .lake_options import db_paths_or_default, many_db_option


@cli.group()
def export() -> None:
    """Write memlab's tables in formats other data tools read."""


@export.command("parquet")
@many_db_option
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--since", help="Only the months from the one holding this date on (UTC); earlier ones are left as they are.")
def export_parquet_command(db_paths: tuple[str, ...], out_dir: str, since: str | None) -> None:
    """Write every table as Parquet in OUT_DIR, one file per table, month and memlab file.

    A re-run writes only the months that changed. Needs pip install 'memlab[duckdb]'.

    \b
    memlab export parquet --db laptop.db --db server.db lake/
    memlab report cost --parquet lake/ --period week
    """
    from ..lake.export import export_parquet

    summary = export_parquet(db_paths_or_default(db_paths), out_dir, since=since)
    for source in dict.fromkeys(row["source_db"] for row in summary):
        mine = [row for row in summary if row["source_db"] == source]
        written = sum(row["months_written"] for row in mine)
        rows = sum(row["rows_written"] for row in mine)
        kept = sum(row["months_kept"] for row in mine)
        removed = sum(row["months_removed"] for row in mine)
        click.echo(f"{source}: {rows:,} rows in {written} table-months written, {kept} unchanged, {removed} removed")
