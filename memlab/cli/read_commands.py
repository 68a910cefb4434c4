"""Reading memory as a person: ``memlab sessions`` lists them, ``memlab show ID`` prints one whole.

``show`` takes a session id, a conversation id or a message number; a unique start of an id
works too (tables cut long ids with ``…``, and the cut id can be pasted as it is).
"""

from __future__ import annotations

import json
import textwrap

import click

from . import cli, db_option, formatting, open_db

SHOWN = 20


@cli.command()
@db_option
@click.option("--user", "user_id", help="Only this user's sessions.")
@click.option("--project", "project_id", help="Only this project's sessions.")
@click.option("--limit", type=click.IntRange(min=0), default=SHOWN, show_default=True,
              help="The most recent this many (0: all).")
def sessions(db_path: str, user_id: str | None, project_id: str | None, limit: int) -> None:
    """The most recent sessions, newest last: who, which project, when, how long, how much."""
    with open_db(db_path) as db:
        frame = db.analytics.session_activity(user_id=user_id, project_id=project_id)
    total = len(frame)
    if limit:
        frame = frame.tail(limit)
    columns = ["session_id", "user_id", "project_id", "started_at", "duration", "messages", "cost_usd"]
    if total == 0:
        click.echo("no sessions" + (f" of user {user_id!r}" if user_id else "")
                   + (f" in project {project_id!r}" if project_id else ""))
        return
    click.echo(formatting.frame_table(frame[columns]))
    if len(frame) < total:
        click.echo(f"the {len(frame):,} most recent of {formatting.plural(total, 'session')} "
                   "(--limit N for more, --limit 0 for all)")


@cli.command()
@click.argument("item")
@db_option
def show(item: str, db_path: str) -> None:
    """Print a session (its conversations), a conversation or a message in full.

    ITEM is a session id, a conversation id or a message number (as search prints it, #123).
    """
    from ..errors import NotFoundError

    with open_db(db_path) as db:
        text = item.strip().lstrip("#").rstrip(formatting.ELLIPSIS)
        if text.isdigit() and not _matches(db, "session", text) \
                and not _matches(db, "conversation", text):
            _message(db.messages.get(int(text)), db)
            return
        found = _matches(db, "session", text)
        if len(found) == 1:
            _session(db, found[0])
            return
        conversations = _matches(db, "conversation", text)
        if len(conversations) == 1 and not found:
            _conversation(db, conversations[0])
            return
        if len(found) + len(conversations) > 1:
            raise NotFoundError(f"{item!r} starts {len(found) + len(conversations)} ids: give more of it")
        raise NotFoundError(f"no session, conversation or message {item!r}")


# Ids equal to the text given, else those that begin with it (at most a few), per kind of id.
_MATCHES = {
    "session": ("SELECT session_id AS id FROM sessions WHERE session_id = ?",
                "SELECT session_id AS id FROM sessions WHERE substr(session_id, 1, ?) = ? LIMIT 5"),
    "conversation": ("SELECT conversation_id AS id FROM conversations WHERE conversation_id = ?",
                     "SELECT conversation_id AS id FROM conversations WHERE substr(conversation_id, 1, ?) = ? LIMIT 5"),
}


def _matches(db, kind: str, start: str) -> list[str]:
    """The ``kind`` ids equal to ``start``, else (4 characters or more) those beginning with it."""
    exact, beginning = _MATCHES[kind]
    rows = db.query(exact, (start,))
    if not rows and len(start) >= 4:
        rows = db.query(beginning, (len(start), start))
    return [r["id"] for r in rows]


def _session(db, session_id: str) -> None:
    s = db.sessions.get(session_id)
    click.echo(f"session {s['session_id']}")
    for label in ("user_id", "project_id", "status", "created_at", "last_active_at"):
        value = s[label][:19].replace("T", " ") if label.endswith("_at") and s[label] else s[label]
        click.echo(f"  {label.replace('_', ' '):<15}{formatting.cell(value)}")
    if s.get("metadata"):
        click.echo(f"  {'metadata':<15}{json.dumps(s['metadata'], ensure_ascii=False)}")
    rows = [(c["conversation_id"], c.get("title"), c["created_at"][:16].replace("T", " "),
             db.query_one("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?", (c["conversation_id"],))["n"])
            for c in db.conversations.list(session_id)]
    click.echo("")
    click.echo(formatting.table(rows, ["conversation_id", "title", "started", "messages"]) if rows else "no conversations")
    if rows:
        click.echo("\nmemlab show CONVERSATION prints one whole")


def _conversation(db, conversation_id: str) -> None:
    c = db.conversations.get(conversation_id)
    click.echo(f"conversation {c['conversation_id']} of session {c['session_id']}"
               + (f": {c['title']}" if c.get("title") else ""))
    for m in db.messages.list(conversation_id):
        click.echo("")
        _message(m, db, quiet_parent=True)


def _message(m: dict, db, *, quiet_parent: bool = False) -> None:
    when = m["created_at"][:19].replace("T", " ")
    where = "" if quiet_parent else f"  conversation {m['conversation_id']}"
    click.echo(f"#{m['id']}  {when}  {m['role']}  {m['token_count']:,} tokens{where}")
    width = formatting.width() - 4
    for paragraph in m["content"].splitlines() or [""]:
        lines = textwrap.wrap(paragraph, width=width, replace_whitespace=False, drop_whitespace=False) or [""]
        for line in lines:
            click.echo("    " + line)
