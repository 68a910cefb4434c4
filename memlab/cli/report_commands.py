"""``memlab report``: the analytics queries as a table, CSV, JSON or Markdown."""

from __future__ import annotations

import inspect

import click

from . import cli, db_option, open_db

KINDS = ("cost", "sessions", "metrics", "agents", "routing", "cache", "top")
FORMATS = ("table", "csv", "json", "markdown")
PERIODS = ("hour", "day", "week", "month")  # memlab.analytics.timebuckets.PERIODS, kept here so --help stays light
BY = ("model", "agent", "user", "project", "session")


def _query(analytics, kind: str, period: str | None, by: str | None, limit: int | None):
    """The analytics method for a report kind and the keywords it takes besides the filters."""
    if kind == "cost":
        if by is not None and period is not None:
            return analytics.cost_over_time, {"period": period, "by": by}
        # per model (default), per --by group, or all calls per --period (e.g. per day)
        return analytics.cost_summary, {"by": by if by is not None else (None if period else "model"),
                                        "period": period}
    if kind == "sessions":
        if period is not None:
            return analytics.activity_over_time, {"period": period}
        return analytics.session_activity, {"limit": limit}
    if kind == "metrics":
        return analytics.metric_percentiles, {"period": period}
    if kind == "cache":
        return analytics.cache_efficiency, {"period": period}
    if kind == "top":
        return analytics.top_sessions, {"n": 10 if limit is None else limit}
    return {"agents": analytics.agent_performance, "routing": analytics.routing}[kind], {}


def render(frame, fmt: str) -> str:
    """A frame as text in one of FORMATS."""
    from ..analytics.frames import markdown

    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return frame.to_json(orient="records", date_format="iso", indent=2)
    if fmt == "markdown":
        return markdown(frame)
    if frame.empty:
        return "no data (columns: " + ", ".join(map(str, frame.columns)) + ")"
    return frame.to_string(index=False)


@cli.command()
@click.argument("kind", type=click.Choice(KINDS), default="cost")
@db_option
@click.option("--since", help="Start of the window: ISO date or time (dates are read in --tz), or 12h / 7d / 2w"
              " back from now (days and weeks are whole local days, today included).")
@click.option("--until", help="End of the window, exclusive.")
@click.option("--period", type=click.Choice(PERIODS), help="Bucket by hour, day, week or month.")
@click.option("--by", type=click.Choice(BY), help="cost: totals per this group (with --period: over time).")
@click.option("--tz", default="UTC", show_default=True, help="IANA time zone for buckets and dates.")
@click.option("--user", "user_id", help="Only this user.")
@click.option("--project", "project_id", help="Only this project.")
@click.option("--session", "session_id", help="Only this session.")
@click.option("--model", help="Only this model (cost, cache).")
@click.option("--agent", help="Only this agent (cost, cache, agents, routing).")
@click.option("--limit", type=click.IntRange(min=0), help="sessions: at most this many; top: how many (10).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def report(kind: str, db_path: str, since: str | None, until: str | None, period: str | None, by: str | None,
           tz: str, user_id: str | None, project_id: str | None, session_id: str | None, model: str | None,
           agent: str | None, limit: int | None, fmt: str) -> None:
    """Answer a common question of the database: cost, sessions, metrics, agents, routing, cache, top.

    \b
    memlab report cost --since 7d --tz Europe/Berlin          per model, with cache share
    memlab report cost --period day --since 2026-01-01        per day
    memlab report cost --by session                           per session (or project, user, agent)
    memlab report cost --since 2026-01-01 --by model --period week
    memlab report metrics --period day --format markdown
    """
    if by is not None and kind != "cost":
        raise click.UsageError("--by applies to 'memlab report cost' only")
    with open_db(db_path) as db:
        method, keywords = _query(db.analytics, kind, period, by, limit)
        accepted = inspect.signature(method).parameters
        filters = {"since": since, "until": until, "tz": tz, "user_id": user_id, "project_id": project_id,
                   "session_id": session_id, "model": model, "agent": agent}
        for name, value in filters.items():
            if name in accepted:
                keywords[name] = value
            elif value is not None and not (name == "tz" and value == "UTC"):
                option = {"user_id": "--user", "project_id": "--project", "session_id": "--session"}.get(name, f"--{name}")
                raise click.UsageError(f"{option} does not apply to 'memlab report {kind}'")
        click.echo(render(method(**keywords), fmt))
        if kind == "cost" and fmt in ("table", "markdown"):
            _unpriced(db.analytics, {k: keywords[k] for k in filters if k in keywords})


def _unpriced(analytics, filters: dict) -> None:
    """Name the models a cost total leaves out (no price source knows them), so none goes unseen."""
    missing = analytics.unpriced_models(**filters)
    if missing.empty:
        return
    click.echo(f"unpriced (not in the totals above): {int(missing['requests'].sum()):,} calls of models no price"
               " source knows; add them with memlab prices update --from FILE, then memlab prices recompute")
    for row in missing.itertuples(index=False):
        click.echo(f"  {row.model}: {row.requests:,} calls, {row.tokens:,} tokens")
