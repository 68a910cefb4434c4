"""Read the SQL files shipped in ``sql/`` (installed as the ``memlab.sql`` package) by name."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def read_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``; raises FileNotFoundError for an unknown name."""
    return resources.files("memlab.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def sql_names() -> list[str]:
    """Every SQL file memlab ships, by name."""
    return sorted(
        p.name[: -len(".sql")]
        for p in resources.files("memlab.sql").iterdir()
        if p.name.endswith(".sql")
    )
