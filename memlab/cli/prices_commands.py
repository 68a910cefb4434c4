"""``memlab prices``: show the price table, refresh it from LiteLLM's file, re-price stored calls."""

from __future__ import annotations

import click

from . import cli, db_option, open_db


@cli.group()
def prices() -> None:
    """The model price table costs are computed from (shipped, or updated from LiteLLM's file)."""


def _rate(value: float) -> str:
    return f"{value:g}"


@prices.command(name="list")
@click.option("--provider", help="Only this provider (anthropic, openai, google).")
@click.option("--model", "contains", metavar="TEXT", help="Only models whose name contains TEXT.")
def list_prices(provider: str | None, contains: str | None) -> None:
    """Known models and their USD per million tokens: input, output, cache read, cache write
    (5-minute / 1-hour) and the long-context tier where there is one."""
    from ..prices import current

    table = current()
    click.echo(f"source: {table.source}")
    click.echo(f"as of: {table.as_of}")
    header = ("model", "provider", "input", "output", "cache read", "write 5m", "write 1h", "long context")
    rows = []
    for name, p in sorted(table.prices.items()):
        if (provider and p.provider != provider.lower()) or (contains and contains.lower() not in name):
            continue
        r, long = p.rates, p.long_context
        tier = (f">{p.long_context_threshold // 1000}k: {_rate(long.input)} / {_rate(long.output)}"
                if long is not None and p.long_context_threshold else "")
        rows.append((name, p.provider, *map(_rate, (r.input, r.output, r.cache_read, r.cache_write_5m, r.cache_write_1h)),
                     tier))
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


@prices.command()
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A downloaded copy of LiteLLM's model_prices_and_context_window.json.")
def update(source: str) -> None:
    """Write the user price table ($MEMLAB_PRICES, else ~/.config/memlab/prices.json) from
    LiteLLM's file: chat models of Anthropic, OpenAI and Google. No network is used."""
    from ..prices import update_from_litellm

    result = update_from_litellm(source)
    click.echo(f"wrote {result.models} models to {result.path.name} "
               f"({len(result.added)} new, {len(result.changed)} with new prices)")
    click.echo("stored costs keep their old values: memlab prices recompute [--all] re-prices them")


@prices.command()
@db_option
@click.option("--model", help="Only this model (or family, e.g. claude-sonnet-4-5).")
@click.option("--all", "all_rows", is_flag=True, help="Re-price every stored call, not only unpriced ones.")
def recompute(db_path: str, model: str | None, all_rows: bool) -> None:
    """Compute cost_usd again for stored calls from the current price table."""
    with open_db(db_path) as db:
        counts = db.costs.recompute(model=model, all_rows=all_rows)
    click.echo(f"examined {counts['examined']:,} calls: {counts['updated']:,} re-priced, "
               f"{counts['unpriced']:,} still unpriced (model not in the table)")
