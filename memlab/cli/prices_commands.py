"""``memlab prices``: show the prices in use (genai-prices, a user table over it), set the user table, re-price."""

from __future__ import annotations

import click

from . import cli, db_option, open_db


@cli.group()
def prices() -> None:
    """Model prices: genai-prices' bundled data as of each call's time, under a user table from LiteLLM's file."""


def _rate(value: float) -> str:
    return f"{value:g}"


@prices.command(name="list")
@click.option("--provider", help="Only this provider (default: anthropic, openai, google; 'all' for every one).")
@click.option("--model", "contains", metavar="TEXT", help="Only models whose name contains TEXT.")
@click.option("--at", "day", metavar="DATE", help="Prices as of this date (YYYY-MM-DD; default today).")
def list_prices(provider: str | None, contains: str | None, day: str | None) -> None:
    """Known models and their USD per million tokens: input, output, cache read, cache write
    (5-minute / 1-hour) and the long-context tier where there is one, with where each comes from."""
    import datetime as dt

    from ..errors import ValidationError
    from ..prices import LISTED_PROVIDERS, LibraryPrices, current

    if day is not None:
        try:
            day = dt.date.fromisoformat(day).isoformat()
        except ValueError:
            raise ValidationError(f"--at must be a date like 2026-01-31, not {day!r}") from None
    else:
        day = dt.datetime.now(dt.timezone.utc).date().isoformat()
    table = current()
    click.echo(f"source: {table.source}")
    click.echo(f"as of: {table.as_of} (prices shown for {day})")
    wanted = None if provider and provider.lower() == "all" else (provider.lower(),) if provider else LISTED_PROVIDERS
    found = {}
    for source, info in table.library.models(wanted):
        price = LibraryPrices.price(source, info, day)
        if price is not None:
            found.setdefault((info.id, source.id), (price, "genai-prices"))
    for name, price in (table.user.prices.items() if table.user is not None else ()):
        if wanted is None or price.provider in wanted:
            found[(name, price.provider)] = (price, "user table")
    header = ("model", "provider", "input", "output", "cache read", "write 5m", "write 1h", "long context", "from")
    rows = []
    for (name, _), (p, origin) in sorted(found.items()):
        if contains and contains.lower() not in name:
            continue
        r, long = p.rates, p.long_context
        tier = (f">{p.long_context_threshold // 1000}k: {_rate(long.input)} / {_rate(long.output)}"
                if long is not None and p.long_context_threshold else "")
        rows.append((name, p.provider, *map(_rate, (r.input, r.output, r.cache_read, r.cache_write_5m, r.cache_write_1h)),
                     tier, origin))
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
    """Compute cost_usd again for stored calls, each as of its own time, from the current prices."""
    with open_db(db_path) as db:
        counts = db.costs.recompute(model=model, all_rows=all_rows)
    click.echo(f"examined {counts['examined']:,} calls: {counts['updated']:,} re-priced, "
               f"{counts['unpriced']:,} still unpriced (no price source knows the model)")
