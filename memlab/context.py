"""Context: what to put in an agent's next prompt, assembled from memory within a token budget.

``db.context(session_id, query)`` gathers, for one session:

- **recent**: the session's latest turns, oldest first; the newest is always kept (cut to fit
  only when it alone is over the budget), older ones whole while they fit;
- **memories**: older messages of the same user (else project, else session) that best answer
  the query, by ``db.recall`` in keyword mode, never repeating the latest turns; a query of
  more than ``QUERY_WORDS`` distinct words is asked by its rarest ones (a long message's
  distinctive words: its common ones match everything and weigh next to nothing);
- **preferences**: the user's preferences, most confident first;
- **patterns**: learned patterns whose type or key names a word of the query;
- **handoff**: the summary of the handoff this session continues, if any.

The budget is shared out in that spirit: the newest turn first, then each of handoff,
preferences, memories and patterns up to its share (``SHARES``), then older turns, then more of
the others, each item whole (a memory longer than a quarter of the budget is cut). The text
form's tokens, and the messages form's, are counted after assembly and never exceed the budget.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import validation as v
from .errors import NotFoundError, ValidationError
from .recall import keyword
from .tokens import Counter, resolve

if TYPE_CHECKING:
    from .store import Store

# Render order, and each section's header in the text form.
HEADERS = {
    "handoff": "## Continued from an earlier session",
    "preferences": "## What the user prefers",
    "patterns": "## Patterns learned",
    "memories": "## Relevant memories",
    "recent": "## Recent conversation",
}

# The most of the budget each section takes before older turns get theirs; what a section leaves
# unused goes to the older turns, then back to the sections in this order.
SHARES = {"handoff": 0.20, "preferences": 0.15, "memories": 0.35, "patterns": 0.10}
MAX_ITEM_SHARE = 0.25  # a memory, preference or pattern longer than this share is cut
ELLIPSIS = "…"
MAX_QUERY_CHARS = 10_000
QUERY_WORDS = 16  # the most of a query's words that recall asks (Lucene's MoreLikeThis keeps 25)

_WORD = re.compile(r"\w+")

_RECENT = """
SELECT m.id, m.role, m.content, m.created_at FROM conversations c
JOIN messages m ON m.conversation_id = c.conversation_id
WHERE c.session_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?
"""
_PREFERENCES = """
SELECT id, key, value, confidence FROM user_preferences WHERE user_id = ?
ORDER BY confidence DESC, updated_at DESC, key LIMIT ?
"""
_PATTERNS = """
SELECT id, pattern_type, pattern_key, data, confidence, occurrence_count FROM learned_patterns
ORDER BY occurrence_count DESC, confidence DESC LIMIT ?
"""
_HANDOFF = """
SELECT id, from_session_id, summary, created_at FROM session_handoffs
WHERE to_session_id = ? AND summary IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1
"""


@dataclass(frozen=True)
class Item:
    """One thing put in the context: its section, where it came from (``source`` table and
    ``source_id``), the text as rendered, its tokens, and why it was chosen."""

    section: str
    source: str
    source_id: int | str
    text: str
    tokens: int
    reason: str
    role: str | None = None
    created_at: str | None = None
    truncated: bool = False


@dataclass
class Context:
    """The assembled context. ``sections`` maps each non-empty section (in render order) to its
    items; ``tokens``: the text form's tokens (at most ``budget_tokens``); ``tokenizer``: how
    they were counted."""

    session_id: str
    query: str | None
    budget_tokens: int
    tokenizer: str
    sections: dict[str, list[Item]] = field(default_factory=dict)
    tokens: int = 0

    @property
    def items(self) -> list[Item]:
        return [item for items in self.sections.values() for item in items]

    def render(self, format: str = "text") -> Any:
        """The context as one text (``"text"``), or as a chat messages list (``"messages"``): one
        system message with the memory sections, then the recent turns in their own roles."""
        if format == "text":
            return render_text(self.sections)
        if format == "messages":
            return render_messages(self.sections)
        raise ValidationError(f"format must be text or messages; got {format!r}")

    def to_dict(self) -> dict:
        """Plain data for JSON: the fields, and per section its tokens and items."""
        return {
            "session_id": self.session_id, "query": self.query, "budget_tokens": self.budget_tokens,
            "tokens": self.tokens, "tokenizer": self.tokenizer,
            "sections": [{"name": name, "tokens": sum(i.tokens for i in items),
                          "items": [asdict(i) for i in items]} for name, items in self.sections.items()],
        }


def render_text(sections: dict[str, list[Item]]) -> str:
    blocks = [HEADERS[name] + "\n" + "\n".join(i.text for i in items) for name, items in sections.items() if items]
    return "\n\n".join(blocks)


def render_messages(sections: dict[str, list[Item]]) -> list[dict[str, str]]:
    memory = render_text({n: items for n, items in sections.items() if n != "recent"})
    messages = [{"role": "system", "content": memory}] if memory else []
    messages += [{"role": i.role or "user", "content": _turn_content(i)} for i in sections.get("recent", [])]
    return messages


def _turn_content(item: Item) -> str:
    return item.text.split(": ", 1)[1] if ": " in item.text else item.text


# -- gathering ----------------------------------------------------------------------------------


def context(
    store: "Store",
    session_id: str,
    query: str | None = None,
    *,
    budget_tokens: int = 2000,
    user_id: str | None = None,
    recent: int = 10,
    memories: int = 5,
    preferences: int = 20,
    patterns: int = 5,
    count_tokens: Callable[[str], int] | None = None,
) -> Context:
    """The context for ``session_id``'s next prompt within ``budget_tokens`` (see the module).

    ``query`` defaults to the session's newest user message; ``user_id`` to the session's user.
    ``recent``, ``memories``, ``preferences``, ``patterns``: the most items of each section.
    ``count_tokens``: any ``str -> int`` (default: ``memlab.tokens.default()``).
    """
    sid = v.identifier("session_id", session_id)
    if isinstance(budget_tokens, bool) or not isinstance(budget_tokens, int) or budget_tokens <= 0:
        raise ValidationError(f"budget_tokens must be a whole number above 0; got {budget_tokens!r}")
    limits = {name: v.count(name, n) for name, n in
              (("recent", recent), ("memories", memories), ("preferences", preferences), ("patterns", patterns))}
    if query is not None:
        query = v.text("query", query)
        if len(query) > MAX_QUERY_CHARS:
            raise ValidationError(f"query must be at most {MAX_QUERY_CHARS:,} characters; got {len(query):,}")
    counter = resolve(count_tokens)
    session = store.query_one("SELECT session_id, user_id, project_id FROM sessions WHERE session_id = ?", (sid,))
    if session is None:
        raise NotFoundError(f"unknown session {sid!r}")
    user = v.optional_identifier("user_id", user_id) or session["user_id"]

    turns = store.query(_RECENT, (sid, limits["recent"]))
    if query is None:
        query = next((t["content"] for t in turns if t["role"] == "user"), None)
    candidates = {
        "recent": [_turn(t, i == 0) for i, t in enumerate(turns)],
        "memories": _memories(store, query, session, user, {t["id"] for t in turns}, limits["memories"]),
        "preferences": _preferences(store, user, limits["preferences"]),
        "patterns": _patterns(store, query, limits["patterns"]),
        "handoff": _handoff(store, sid),
    }
    sections = Budget(budget_tokens, counter).assemble(candidates)
    return Context(sid, query, budget_tokens, counter.name, sections, counter(render_text(sections)))


@dataclass(frozen=True)
class Candidate:
    """An item before it is costed: ``text`` is its rendered line."""

    section: str
    source: str
    source_id: int | str
    text: str
    reason: str
    role: str | None = None
    created_at: str | None = None


def _turn(row: dict, newest: bool) -> Candidate:
    return Candidate("recent", "messages", row["id"], f"{row['role']}: {row['content']}",
                     "the newest turn" if newest else "a recent turn of this session",
                     row["role"], row["created_at"])


def relevant(store: "Store", query: str, scope: dict[str, str], limit: int) -> list:
    """The messages that best answer ``query`` inside ``scope``, best first (keyword recall of
    its ``QUERY_WORDS`` rarest words)."""
    return store.recall(query_words(store, query), mode="keyword", limit=limit, **scope)


def query_words(store: "Store", query: str) -> str:
    """The query as recall asks it: its ``QUERY_WORDS`` rarest informative words, in order."""
    words = keyword.question_words(store, query)
    if len(words) <= QUERY_WORDS:
        return query
    return keyword.plain(keyword.rarest(store, keyword.informative(store, words), QUERY_WORDS))


def _memories(store: "Store", query: str | None, session: dict, user: str | None, recent_ids: set[int],
              limit: int) -> list[Candidate]:
    if not query or not limit:
        return []
    if user is not None:
        scope, whose = {"user_id": user}, "this user's"
    elif session["project_id"] is not None:
        scope, whose = {"project_id": session["project_id"]}, "this project's"
    else:
        scope, whose = {"session_id": session["session_id"]}, "this session's"
    hits = relevant(store, query, scope, limit + len(recent_ids))
    hits = [h for h in hits if h.message_id not in recent_ids][:limit]
    if not hits:
        return []
    rows = {r["id"]: r for r in store.query(
        "SELECT id, role, content FROM messages WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([h.message_id for h in hits]),))}
    out = []
    for rank, h in enumerate(hits, 1):
        row = rows.get(h.message_id)
        if row is None:
            continue
        out.append(Candidate("memories", "messages", h.message_id,
                             f"- [{h.created_at[:10]} {row['role']}] {row['content']}",
                             f"recall rank {rank} for the query among {whose} messages (score {h.score:.2f})",
                             row["role"], h.created_at))
    return out


def _value(raw: str | None) -> str:
    value = None if raw is None else json.loads(raw)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _preferences(store: "Store", user: str | None, limit: int) -> list[Candidate]:
    if user is None or not limit:
        return []
    return [Candidate("preferences", "user_preferences", r["id"], f"- {r['key']}: {_value(r['value'])}",
                      f"a preference of {user} (confidence {r['confidence']:.2f})")
            for r in store.query(_PREFERENCES, (user, limit))]


def _patterns(store: "Store", query: str | None, limit: int, scan: int = 500) -> list[Candidate]:
    """Patterns whose type or key shares a word with the query, most frequent first."""
    if not query or not limit:
        return []
    words = {w.lower() for w in _WORD.findall(query)}
    out = []
    for r in store.query(_PATTERNS, (scan,)):
        named = {w.lower() for w in _WORD.findall(f"{r['pattern_type']} {r['pattern_key']}")}
        shared = sorted(words & named)
        if not shared:
            continue
        data = "" if r["data"] is None else f": {_value(r['data'])}"
        out.append(Candidate("patterns", "learned_patterns", r["id"], f"- {r['pattern_type']}/{r['pattern_key']}{data}",
                             f"names {', '.join(shared)} of the query (seen {r['occurrence_count']} times,"
                             f" confidence {r['confidence']:.2f})"))
        if len(out) == limit:
            break
    return out


def _handoff(store: "Store", session_id: str) -> list[Candidate]:
    row = store.query_one(_HANDOFF, (session_id,))
    if row is None:
        return []
    return [Candidate("handoff", "session_handoffs", row["id"], row["summary"],
                      f"this session continues {row['from_session_id']!r}", created_at=row["created_at"])]


# -- sharing out the budget -----------------------------------------------------------------------


class Budget:
    """Chooses candidates within a token budget (see the module docstring for the order)."""

    def __init__(self, budget: int, counter: Counter) -> None:
        self.budget, self.count = budget, counter
        self.used = 0
        self.chosen: dict[str, list[Item]] = {name: [] for name in HEADERS}
        self.spent = dict.fromkeys(HEADERS, 0)

    def cost(self, section: str, text: str) -> int:
        """Tokens an item adds: its line and newline, and its section's header when it is the first."""
        header = 0 if self.chosen[section] else self.count(HEADERS[section] + "\n\n")
        return header + self.count(text + "\n")

    def take(self, c: Candidate, limit: int, *, cut_to: int | None = None) -> bool:
        """Add ``c`` if it fits in ``limit`` more tokens, first cut to ``cut_to`` tokens when
        longer; True if added."""
        text, truncated = c.text, False
        if cut_to is not None:
            text, truncated = self.shorten(c.section, text, cut_to)
        cost = self.cost(c.section, text)
        if cost > limit or not text:
            return False
        tokens = self.count(text)
        self.chosen[c.section].append(Item(c.section, c.source, c.source_id, text, tokens,
                                           c.reason + (" (cut to fit)" if truncated else ""), c.role,
                                           c.created_at, truncated))
        self.used += cost
        self.spent[c.section] += cost
        return True

    def shorten(self, section: str, text: str, limit: int) -> tuple[str, bool]:
        """``text``, or its longest start (plus an ellipsis) whose cost is within ``limit``."""
        if self.cost(section, text) <= limit:
            return text, False
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits: O(log n) counts
            mid = (low + high + 1) // 2
            if self.cost(section, text[:mid] + ELLIPSIS) <= limit:
                low = mid
            else:
                high = mid - 1
        return (text[:low] + ELLIPSIS, True) if low else ("", True)

    def left(self) -> int:
        return self.budget - self.used

    def assemble(self, candidates: dict[str, list[Candidate]]) -> dict[str, list[Item]]:
        pending = {name: list(items) for name, items in candidates.items()}
        longest = max(1, int(self.budget * MAX_ITEM_SHARE))
        turns = pending["recent"]
        if turns:  # the newest turn, whatever it takes
            self.take(turns.pop(0), self.left(), cut_to=self.left())
        for name, share in SHARES.items():  # each section up to its share
            limit = int(self.budget * share)
            for c in list(pending[name]):
                if self.take(c, min(self.left(), limit - self.spent[name]), cut_to=longest):
                    pending[name].remove(c)
        while turns and self.take(turns[0], self.left()):  # older turns: whole, newest first, no gaps
            turns.pop(0)
        for name in SHARES:  # what is left, to the others
            for c in list(pending[name]):
                if self.take(c, self.left(), cut_to=longest):
                    pending[name].remove(c)
        self.chosen["recent"].reverse()  # oldest first, the newest last (next to the question)
        sections = {name: items for name, items in self.chosen.items() if items}
        return self.within_budget(sections)

    def within_budget(self, sections: dict[str, list[Item]]) -> dict[str, list[Item]]:
        """Drop the least important items while the rendered text or messages count over the
        budget (a tokenizer may count a joined text differently from its parts)."""
        order = ["patterns", "preferences", "memories", "handoff", "recent"]
        while sections and max(self.count(render_text(sections)),
                               sum(self.count(m["content"]) for m in render_messages(sections))) > self.budget:
            name = next(n for n in order if sections.get(n))
            items = sections[name]
            items.pop(0 if name == "recent" else -1)  # the oldest turn, else the lowest-ranked item
            if not items:
                del sections[name]
        return sections
