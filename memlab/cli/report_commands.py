"""``memlab report``: the analytics queries as a table, CSV, JSON or Markdown."""

from __future__ import annotations

import inspect

import click

from . import cli, formatting
from .lake_options import many_db_option, open_analytics, parquet_option

KINDS = ("cost", "sessions", "metrics", "agents", "routing", "cache", "top")
FORMATS = ("table", "csv", "json", "markdown")
PERIODS = ("hour", "day", "week", "month")  # memlab.analytics.timebuckets.PERIODS, kept here so --help stays light
BY = ("model", "agent", "user", "project", "session")
SESSIONS_SHOWN = 20  # report sessions in a table or Markdown: the most recent this many, and the total


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
        return analytics.session_activity, {}  # all of them: the caller keeps the most recent --limit
    if kind == "metrics":
        return analytics.metric_percentiles, {"period": period}
    if kind == "cache":
        return analytics.cache_efficiency, {"period": period}
    if kind == "top":
        return analytics.top_sessions, {"n": 10 if limit is None else limit}
    return {"agents": analytics.agent_performance, "routing": analytics.routing}[kind], {}


def render(frame, fmt: str) -> str:
    """A frame as text in one of FORMATS: CSV and JSON at full precision, the others for people."""
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return _json(frame)
    if fmt == "markdown":
        return formatting.markdown(frame)
    return formatting.frame_table(frame)


def _json(frame) -> str:
    """Records as JSON, floats exact (pandas' own writer keeps 10 digits), times as ISO text."""
    import json
    import math

    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for column in frame.columns:
        if frame[column].dtype.kind == "f":
            for record, value in zip(records, frame[column].tolist()):
                record[column] = None if math.isnan(value) else value
    return json.dumps(records, indent=2, ensure_ascii=False)


def most_recent(frame, limit: int | None, fmt: str):
    """The last ``limit`` sessions (oldest first, as session_activity orders them) and a line
    saying how many there are; people's formats show SESSIONS_SHOWN unless told, 0 means all."""
    if limit is None and fmt in ("csv", "json"):
        return frame, None
    limit = SESSIONS_SHOWN if limit is None else limit
    if limit == 0 or len(frame) <= limit:
        return frame, None
    note = (f"the {limit:,} most recent of {formatting.plural(len(frame), 'session')}"
            f" (--limit N for more, --limit 0 for all)")
    return frame.tail(limit).reset_index(drop=True), note


@cli.command()
@click.argument("kind", type=click.Choice(KINDS), default="cost")
@many_db_option
@parquet_option
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
@click.option("--limit", type=click.IntRange(min=0),
              help=f"sessions: the most recent this many (table/markdown: {SESSIONS_SHOWN}; 0: all); top: how many (10).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def report(kind: str, db_paths: tuple[str, ...], parquet_dir: str | None, since: str | None, until: str | None,
           period: str | None, by: str | None, tz: str, user_id: str | None, project_id: str | None, session_id: str | None, model: str | None,
           agent: str | None, limit: int | None, fmt: str) -> None:
    """Answer a common question of the database: cost, sessions, metrics, agents, routing, cache, top.

    \b
    memlab report cost --since 7d --tz Europe/Berlin          per model, with cache share
    memlab report cost --period day --since 2026-01-01        per day
    memlab report cost --by session                           per session (or project, user, agent)
    memlab report cost --since 2026-01-01 --by model --period week
    memlab report metrics --period day --format markdown
    memlab report cost --db laptop.db --db server.db   (or --parquet DIR)
    """
    if by is not None and kind != "cost":
        raise click.UsageError("--by applies to 'memlab report cost' only")
    with open_analytics(db_paths, parquet_dir) as analytics:
        method, keywords = _query(analytics, kind, period, by, limit)
        accepted = inspect.signature(method).parameters
        filters = {"since": since, "until": until, "tz": tz, "user_id": user_id, "project_id": project_id,
                   "session_id": session_id, "model": model, "agent": agent}
        for name, value in filters.items():
            if name in accepted:
                keywords[name] = value
            elif value is not None and not (name == "tz" and value == "UTC"):
                option = {"user_id": "--user", "project_id": "--project", "session_id": "--session"}.get(name, f"--{name}")
                raise click.UsageError(f"{option} does not apply to 'memlab report {kind}'")
        frame, note = method(**keywords), None
        if kind == "sessions" and period is None:
            frame, note = most_recent(frame, limit, fmt)
        if kind in ("sessions", "top") and period is None and fmt in ("table", "markdown"):
            frame = frame.drop(columns=["last_active_at"])  # for people, the duration says it
            if "unpriced_requests" in frame and not frame["unpriced_requests"].any():
                frame = frame.drop(columns=["unpriced_requests"])  # shown when some call is unpriced
        click.echo(render(frame, fmt))
        if note:
            click.echo(note, err=fmt != "table")
        if kind == "cost" and fmt in ("table", "markdown"):
            _unpriced(analytics, {k: keywords[k] for k in filters if k in keywords})


def _unpriced(analytics, filters: dict) -> None:
    """Name the models a cost total leaves out (no price source knows them), so none goes unseen."""
    missing = analytics.unpriced_models(**filters)
    if missing.empty:
        return
    click.echo(f"unpriced (not in the totals above): {int(missing['requests'].sum()):,} calls of models no price"
               " source knows; add them with memlab prices update --from FILE, then memlab prices recompute")
    for row in missing.itertuples(index=False):
        click.echo(f"  {row.model}: {row.requests:,} calls, {row.tokens:,} tokens")
