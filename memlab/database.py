"""``Database``: the object ``memlab.open()`` returns; the store plus memlab's API on it."""

from __future__ import annotations

from .store import Store


class Database(Store):
    """A memlab database: the store (pragmas, migrations, transactions, upkeep) and its API."""
