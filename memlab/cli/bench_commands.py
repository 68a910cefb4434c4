"""``memlab bench``: the performance table, memlab beside raw sqlite3 and peers, on a generated database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import cli

SCALE_NAMES = ("1k", "10k", "100k", "1m")  # memlab.bench.runner.SCALES, kept here so --help stays light


@cli.command()
@click.option("--scale", type=click.Choice(SCALE_NAMES, case_sensitive=False), default="1k", show_default=True,
              help="Messages in the generated database.")
@click.option("--only", metavar="NAMES",
              help="Comma-separated benchmark modules (write, search, analytics, upkeep, peers, ...).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False),
              help="Also write the run as a Markdown page here (e.g. docs/benchmarks.md).")
@click.option("--db-dir", default="bench-out", show_default=True, type=click.Path(file_okay=False),
              help="Where generated databases are kept and reused (keyed by size and seed).")
@click.option("--keep", is_flag=True, help="Keep the scratch files (copies, write-benchmark databases) in --db-dir.")
@click.option("--seed", default=0, show_default=True, help="Seed of the generated database.")
@click.option("--messages", type=int, hidden=True, help="An exact message count instead of --scale (tests).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def bench(scale: str, only: str | None, json_path: str | None, markdown_path: str | None, db_dir: str, keep: bool,
          seed: int, messages: int | None, quiet: bool) -> None:
    """Measure memlab against raw sqlite3 (and peers) and print the table.

    Ratios are memlab/raw measured in the same run: throughput (higher is better) or p50
    latency (lower is better). The generated database is built once through memlab's workload
    generator and reused by later runs.
    """
    from ..bench import runner

    names = None if only is None else [n for n in only.split(",") if n.strip()]
    progress = False if quiet else None
    report = runner.run(None if messages else scale.lower(), only=names, messages=messages, seed=seed, db_dir=db_dir, keep=keep,
                        progress=progress)
    for line in report.headline():
        click.echo(line)
    click.echo("")
    click.echo(report.table())
    click.echo("\n" + runner.RATIO_NOTE)
    if json_path:
        report.write_json(json_path)
        click.echo(f"\nwrote {click.format_filename(json_path, shorten=True)}")
    if markdown_path:
        Path(markdown_path).write_text(report.document(), encoding="utf-8")
        click.echo(f"wrote {click.format_filename(markdown_path, shorten=True)}")
    for name, error in report.errors.items():
        click.echo(f"Error: benchmark {name} failed: {error}", err=True)
    if report.errors:
        sys.exit(1)
