"""``memlab mcp``: serve the database as memory over the Model Context Protocol (stdio)."""

from __future__ import annotations

import click

from . import cli, db_option


@cli.command()
@db_option
@click.option("--allow-forget", is_flag=True, help="Also offer the forget tool (deletes memory).")
def mcp(db_path: str, allow_forget: bool) -> None:
    """Serve memory to an MCP client over stdio: tools remember, recall, context, stats (and
    forget with --allow-forget). Needs `pip install 'memlab[mcp]'`."""
    from ..integrations.mcp_server import serve

    serve(db_path, allow_forget=allow_forget)
