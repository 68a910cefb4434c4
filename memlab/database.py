"""``Database``: the object ``memlab.open()`` returns; the store plus memlab's API on it."""

from __future__ import annotations

from typing import Iterable

from .analytics import Analytics
from .conversations import Conversations
from .costs import Costs
from .handoffs import Handoffs
from .interactions import Interactions
from .maintenance import Maintenance
from .messages import Messages
from .metrics import Metrics
from .patterns import Patterns
from .preferences import Preferences
from .routing import Routing
from .sessions import Sessions
from .store import Store


class Database(Store):
    """A memlab database: the store (pragmas, migrations, transactions, upkeep) and its API.

    Each table's API is an attribute: ``db.sessions``, ``db.conversations``, ``db.messages``,
    ``db.interactions``, ``db.routing``, ``db.costs``, ``db.preferences``, ``db.patterns``,
    ``db.handoffs``, ``db.metrics``, ``db.maintenance``; ``db.analytics`` answers questions of it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = Sessions(self)
        self.conversations = Conversations(self)
        self.messages = Messages(self)
        self.interactions = Interactions(self)
        self.routing = Routing(self)
        self.costs = Costs(self)
        self.preferences = Preferences(self)
        self.patterns = Patterns(self)
        self.handoffs = Handoffs(self, self.sessions)
        self.metrics = Metrics(self)
        self.maintenance = Maintenance(self)
        self.analytics = Analytics(self)

    def search(self, query: str, **kwargs):
        """The most relevant messages for ``query`` (bm25), as ``Hit``s; see ``memlab.search.search``."""
        from .search import search

        return search(self, query, **kwargs)

    def search_frame(self, query: str, **kwargs):
        """``search`` as a pandas DataFrame (the same columns when empty)."""
        from .search import search_frame

        return search_frame(self, query, **kwargs)

    def update_search_index(self, *, progress: bool | None = False) -> int:
        """Fold messages added, rewritten, moved or deleted since the last update into the search
        index; return how many were added. Searches are exact either way (they score what is not
        folded in yet from FTS5); folding keeps them fast. A write: bulk loads call it at the end."""
        from .search import index

        return index.refresh(self.conn, progress=progress)

    def integrity_check(self) -> list[str]:
        """SQLite's and FTS5's checks, then the search index checked against FTS5."""
        problems = super().integrity_check()
        if not problems:
            from .search import index

            problems += index.verify(self.conn)
        return problems

    def forget(
        self,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        conversation_id: str | None = None,
        message_ids: Iterable[int] | None = None,
        dry_run: bool = False,
        archives: bool = True,
    ) -> dict[str, int]:
        """Delete everything of one user, session, conversation or list of messages from every
        table and index in one transaction (then the archive files beside it, unless
        ``archives=False``); returns rows deleted per table (see ``memlab.forget``)."""
        from .forget import forget

        return forget(self, user_id=user_id, session_id=session_id, conversation_id=conversation_id,
                      message_ids=message_ids, dry_run=dry_run, archives=archives)

    def context(self, session_id: str, query: str | None = None, **kwargs):
        """What to put in the session's next prompt within a token budget: latest turns, relevant
        memories, preferences, patterns, the handoff it continues (see ``memlab.context``)."""
        from .context import context

        return context(self, session_id, query, **kwargs)

    def recall(self, text: str, **kwargs):
        """The messages that best answer a natural-language question, as ``RecallHit``s (any
        word counts; hybrid by default); see ``memlab.recall.recall``."""
        from .recall import recall

        return recall(self, text, **kwargs)

    def recall_frame(self, text: str, **kwargs):
        """``recall`` as a pandas DataFrame (the same columns when empty)."""
        from .recall import recall_frame

        return recall_frame(self, text, **kwargs)

    def embed(self, *, model: str | None = None, limit: int | None = None, progress: bool | None = None) -> int:
        """Embed messages without a vector, in batches (semantic recall's backlog); return how
        many. See ``memlab.recall.vectors.embed``."""
        from .recall import vectors

        return vectors.embed(self, model=model, limit=limit, progress=progress)

    def embed_backlog(self) -> int:
        """How many messages have no vector yet."""
        from .recall import vectors

        return vectors.backlog(self)

    def attach_archives(self, periods=None):
        """Attach the per-month archive files beside this one for a ``with`` block; yields their
        schema names (see ``memlab.archive``)."""
        from .archive import attach_archives

        return attach_archives(self, periods)
