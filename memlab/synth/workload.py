"""Fill a memlab database with a seeded, believable multi-agent history through the public API.

The history is planned first (who works when, how long each conversation is), then written
session by session in batches, one transaction per batch, through the same bulk paths users
call. Every random draw comes from one ``random.Random(seed)`` and every timestamp from the
generator's own timeline, so a seed gives the same database whenever it runs.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..migrations import TABLES
from . import mix, text
from . import vocabulary as w
from ..progress import bar as progress_bar
from .timeline import MINUTE, SECOND, START, SimulatedClock, Timeline

if TYPE_CHECKING:
    import datetime as dt

    from ..database import Database

# The memory metrics an agent runtime records around each user turn.
SEARCH_LATENCY = "search_latency"          # ms to search memory for context
CONTEXT_INJECTION = "context_injection"    # ms to build and inject the context block
TOKENS_INJECTED = "tokens_injected"        # tokens of memory put into the prompt

BATCH_MESSAGES = 5_000

# Conversation kinds whose agents run tools (tests, shells, deploys) most often.
_TOOL_HEAVY = {"debugging": 0.35, "testing": 0.35, "deployment": 0.30}


@dataclass
class _Session:
    start: int
    user: str
    project: str
    conversations: list[int] = field(default_factory=list)  # messages per conversation


def default_users(messages: int) -> int:
    """How many people a history of this size has: a handful for a demo, 40 at most."""
    return max(3, min(40, round(math.sqrt(messages) / 10)))


def _plan(rng: random.Random, timeline: Timeline, messages: int, users: int) -> list[_Session]:
    """Decide every session's user, project, start and conversation sizes, summing to ``messages``."""
    names = [f"{first}.{last}" for first in w.FIRST_NAMES for last in w.LAST_NAMES]
    rng.shuffle(names)
    people = names[:users]
    projects = list(w.PROJECTS[: max(3, min(len(w.PROJECTS), users // 2 + 2))])
    # A few people do most of the work (Zipf); each works on one to three projects.
    person = text.Zipf(people, 0.9)
    their_projects = {p: rng.sample(projects, rng.randint(1, min(3, len(projects)))) for p in people}
    plan, total = [], 0
    while total < messages:
        who = person(rng)
        session = _Session(timeline.session_start(), who, rng.choice(their_projects[who]))
        for _ in range(1 + min(int(rng.expovariate(1 / 1.2)), 7)):
            size = max(2, min(60, int(rng.lognormvariate(math.log(9), 0.7))))
            size = min(size, messages - total)
            session.conversations.append(size)
            total += size
            if total == messages:
                break
        plan.append(session)
    plan.sort(key=lambda s: s.start)
    return plan


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Writer:
    """Writes the planned sessions; holds the buffers of one batch and the running state."""

    def __init__(self, db: "Database", rng: random.Random, timeline: Timeline, clock: SimulatedClock) -> None:
        self.db, self.rng, self.timeline, self.clock = db, rng, timeline, clock
        self.messages: list[dict] = []
        self.costs: list[dict] = []
        self.metrics: list[dict] = []
        self.known_users: set[str] = set()
        self.last_session: dict[tuple[str, str], tuple[str, int, dict]] = {}
        self.written = 0

    # -- one session -------------------------------------------------------------------------

    def session(self, plan: _Session) -> None:
        rng, tl, db = self.rng, self.timeline, self.db
        if plan.user not in self.known_users:
            self.known_users.add(plan.user)
            self._preferences(plan.user, plan.start)
        elif rng.random() < 0.05:
            self._preferences(plan.user, plan.start, only_one=True)
        sid = _uuid(rng)
        db.sessions.create(
            sid, user_id=plan.user, project_id=plan.project, status="active",
            metadata={"client": text.Zipf(w.CLIENTS)(rng)}, created_at=tl.iso(plan.start),
        )
        previous = self.last_session.get((plan.user, plan.project))
        if previous is not None and plan.start - previous[1] < 3 * 24 * 60 * MINUTE and rng.random() < 0.3:
            self._handoff(previous, sid, plan.start)
        now, focus = plan.start, {}
        for size in plan.conversations:
            now, focus = self._conversation(sid, plan.project, now, size)
            now += int(rng.lognormvariate(math.log(6 * MINUTE), 0.8))
        end = now
        self.clock.ms = end
        db.sessions.touch(sid)
        status = self._final_status(end)
        if status != "active":
            db.sessions.update(sid, status=status)
        self.last_session[(plan.user, plan.project)] = (sid, end, focus)

    def _final_status(self, end: int) -> str:
        """Recent sessions are still active; older ones completed, some archived or paused."""
        age = self.timeline.end - end
        roll = self.rng.random()
        if age < 24 * 60 * MINUTE:
            return "active" if roll < 0.8 else "paused"
        if age > 21 * 24 * 60 * MINUTE and roll < 0.4:
            return "archived"
        return "paused" if roll < 0.04 else "completed"

    def _preferences(self, user: str, at: int, only_one: bool = False) -> None:
        rng = self.rng
        self.clock.ms = at
        keys = list(w.PREFERENCES)
        chosen = [rng.choice(keys)] if only_one else rng.sample(keys, rng.randint(3, 6))
        for key in chosen:
            explicit = rng.random() < 0.4
            self.db.preferences.set(
                user, key, text.Zipf(w.PREFERENCES[key])(rng),
                confidence=1.0 if explicit else round(rng.uniform(0.55, 0.95), 2),
                source="explicit" if explicit else "inferred",
            )

    def _handoff(self, previous: tuple[str, int, dict], to_sid: str, at: int) -> None:
        from_sid, ended, focus = previous
        self.clock.ms = ended
        handoff = self.db.handoffs.create(
            from_sid, to_session_id=to_sid, end_from=False,
            summary=text.handoff_summary(self.rng, focus) if focus else None,
            context={"open_files": [focus["FILE"]], "next": focus["FUNC"]} if focus else None,
        )
        self.clock.ms = at
        self.db.handoffs.resume(handoff["id"])

    # -- one conversation --------------------------------------------------------------------

    def _conversation(self, sid: str, project: str, now: int, size: int) -> tuple[int, dict]:
        rng, tl, db = self.rng, self.timeline, self.db
        self.clock.ms = now
        kind = mix.KIND(rng)
        focus = text.new_focus(rng, project)
        cid = _uuid(rng)
        db.conversations.create(
            sid, cid, title=text.title(rng, kind, focus), metadata={"kind": kind}, created_at=tl.iso(now),
        )
        self._observe(kind, focus)
        one_hour_cache = rng.random() < 0.15
        history, first_call, agent, decision = 0, True, "", None
        written, turn = 0, 0
        p_tool = _TOOL_HEAVY.get(kind, 0.08)
        while written < size:
            # The user speaks; memory is searched and injected before the agent answers.
            content = text.opener(rng, kind, focus) if turn == 0 else text.followup(rng, kind, focus)
            self._message(cid, "user", content, now)
            written += 1
            injected = self._memory_metrics(sid, now)
            if turn == 0 or rng.random() < 0.2:
                if decision is not None:
                    self._close_decision(decision)
                decision = self._route(sid, cid, kind, content, now)
                agent = decision["selected"]
            if written >= size:
                break
            now, history, produced = self._agent_turn(
                sid, cid, kind, focus, agent, decision, now, history + _tokens(content), injected,
                first_call, one_hour_cache, p_tool, size - written,
            )
            first_call = False
            written += produced
            now += max(5 * SECOND, min(40 * MINUTE, int(rng.lognormvariate(math.log(90 * SECOND), 1.0))))
            turn += 1
        if decision is not None:
            self._close_decision(decision)
        return now, focus

    def _observe(self, kind: str, focus: dict) -> None:
        patterns = self.db.patterns
        if kind in ("debugging", "testing"):
            patterns.observe("error", focus["EXCEPTION"], {"example": focus["ERROR"], "component": focus["COMPONENT"]})
        if kind in ("research", "question", "planning"):
            patterns.observe("library", focus["LIB"], {"concept": focus["CONCEPT"]})

    def _message(self, cid: str, role: str, content: str, at: int, metadata: dict | None = None) -> None:
        self.messages.append({
            "conversation_id": cid, "role": role, "content": content,
            "token_count": _tokens(content), "metadata": metadata, "created_at": self.timeline.iso(at),
        })

    def _memory_metrics(self, sid: str, at: int) -> int:
        rng, when = self.rng, self.timeline.iso(at)
        search = rng.lognormvariate(math.log(4.0), 0.6)
        inject = search + rng.lognormvariate(math.log(5.0), 0.5)
        tokens = int(rng.lognormvariate(math.log(1_200), 0.6))
        hits = rng.randint(0, 12)
        self.metrics += (
            {"name": SEARCH_LATENCY, "value": round(search, 3), "unit": "ms", "session_id": sid,
             "tags": {"hits": hits}, "created_at": when},
            {"name": CONTEXT_INJECTION, "value": round(inject, 3), "unit": "ms", "session_id": sid,
             "created_at": when},
            {"name": TOKENS_INJECTED, "value": tokens if hits else 0, "unit": "tokens", "session_id": sid,
             "created_at": when},
        )
        return tokens if hits else 0

    def _route(self, sid: str, cid: str, kind: str, request: str, at: int) -> dict:
        rng = self.rng
        choice = mix.route(rng, kind)
        choice["id"] = self.db.routing.record(
            sid, text.first_sentence(request), choice["selected"],
            confidence=choice["confidence"], candidates=choice["candidates"],
            reasoning=text.routing_reason(rng, mix.TOPICS[kind], choice["selected"], choice["runner_up"]),
            conversation_id=cid, created_at=self.timeline.iso(at),
        )
        choice["outcome"] = mix.outcome(rng, choice["confidence"], choice["misrouted"])
        choice["task"] = text.first_sentence(request, 160)
        choice["failed"] = False
        # The router itself is a small, cheap model call.
        router_model = mix.ROUTER_MODEL(rng)
        self.costs.append({
            "session_id": sid, "model": router_model,
            "input_tokens": rng.randint(500, 1_500), "output_tokens": rng.randint(20, 90),
            "request_id": f"req_{rng.getrandbits(96):024x}", "metadata": {"purpose": "routing"},
            "created_at": self.timeline.iso(at),
        })
        return choice

    def _close_decision(self, decision: dict) -> None:
        # Most decisions get an outcome; a few in still-open sessions never hear back.
        if self.rng.random() < 0.97:
            self.db.routing.set_outcome(decision["id"], decision["outcome"])

    def _agent_turn(
        self, sid: str, cid: str, kind: str, focus: dict, agent: str, decision: dict, now: int,
        history: int, injected: int, first_call: bool, one_hour_cache: bool, p_tool: float, room: int,
    ) -> tuple[int, int, int]:
        """One agent answer: an interaction, its model calls, maybe a tool's output; returns
        (time it ended, tokens of history so far, messages written)."""
        rng, tl = self.rng, self.timeline
        produced = 0
        status, error = "success", None
        if decision["outcome"] != "success" and not decision["failed"] and rng.random() < 0.5:
            decision["failed"] = True  # this is the turn where the task went wrong
            status = "timeout" if rng.random() < 0.3 else "failure"
            error = f"Timed out after {mix.TIMEOUT_MS} ms" if status == "timeout" else mix.FAILURE(rng)
        elif rng.random() < 0.015:
            status, error = "failure", mix.FAILURE(rng)  # a transient error the agent recovered from
        duration = float(mix.TIMEOUT_MS) if status == "timeout" else mix.latency_ms(rng, agent)
        model = mix.MODEL[agent](rng)
        prefix = mix.AGENT_PREFIX_TOKENS[agent] + injected
        lead = f"The {agent} agent timed out before finishing this step." if status == "timeout" else None
        answer = text.reply(rng, kind, focus, lead)
        answer_tokens = _tokens(answer)
        roll = rng.random()
        extra_calls = 0 if roll < 0.6 else 1 if roll < 0.85 else 2 if roll < 0.95 else 3
        calls, new = [], _tokens(focus["FUNC"]) + 40
        for step in range(extra_calls + 1):
            last = step == extra_calls
            output = answer_tokens + rng.randint(0, 200) if last else rng.randint(40, 400)
            call = mix.call_tokens(
                rng, model, prefix=prefix, history=history, new=new, output=output,
                first=first_call and step == 0, one_hour=one_hour_cache,
            )
            call["created_at"] = tl.iso(now + int(duration * (step + 1) / (extra_calls + 1)))
            call["request_id"] = f"req_{rng.getrandbits(96):024x}"
            call["session_id"] = sid
            calls.append(call)
            history += new + output
            new = rng.randint(200, 2_500)  # a tool result goes into the next call
        if status == "timeout":
            calls = calls[:1]  # the turn was cut off after its first call
        interaction_id = self.db.interactions.record(
            sid, agent, task=decision["task"], status=status, duration_ms=duration,
            input_tokens=sum(c["input_tokens"] + c["cache_read_tokens"] + c["cache_write_tokens"] for c in calls),
            output_tokens=sum(c["output_tokens"] for c in calls), error=error, conversation_id=cid,
            metadata={"model": model}, started_at=tl.iso(now), completed_at=tl.iso(now + int(duration)),
        )
        for call in calls:
            call["agent_interaction_id"] = interaction_id
        self.costs += calls
        if room >= 2 and extra_calls and rng.random() < p_tool * 2:
            self._message(cid, "tool", text.tool_output(rng, focus), now + int(duration * 0.4))
            produced += 1
        end = now + int(duration)
        self._message(cid, "assistant", answer, end, {"agent": agent, "model": model})
        return end, history, produced + 1

    # -- batches -----------------------------------------------------------------------------

    def flush(self) -> int:
        """Write the buffered messages, costs and metrics through the bulk API; return messages."""
        n = self.db.messages.add_many(self.messages)
        self.db.costs.record_many(self.costs)
        self.db.metrics.record_many(self.metrics)
        self.messages, self.costs, self.metrics = [], [], []
        return n


def _tokens(content: str) -> int:
    return math.ceil(len(content) / 4)


def generate(
    db: "Database",
    *,
    messages: int = 5_000,
    days: int = 30,
    seed: int = 0,
    users: int | None = None,
    progress: bool | None = None,
    start: "dt.datetime" = START,
    batch_messages: int = BATCH_MESSAGES,
) -> dict[str, int]:
    """Fill an empty database with ``messages`` messages of agent work over ``days`` days.

    The same arguments give the same rows, whenever and wherever it runs. ``progress`` shows
    a tqdm bar (None: only on a terminal). Returns the row count of every table.
    """
    if isinstance(messages, bool) or not isinstance(messages, int) or messages < 1:
        raise ValidationError(f"messages must be a whole number of at least 1; got {messages!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError(f"days must be a whole number of at least 1; got {days!r}")
    if users is not None and (isinstance(users, bool) or not isinstance(users, int) or users < 1):
        raise ValidationError(f"users must be a whole number of at least 1; got {users!r}")
    filled = [t for t in TABLES if db.count(t)]
    if filled:
        raise ValidationError(
            f"generate needs an empty database; this one already has rows in {', '.join(filled)}"
        )
    rng = random.Random(seed)
    timeline = Timeline(rng, days, start)
    plan = _plan(rng, timeline, messages, users or default_users(messages))
    clock = SimulatedClock(timeline)
    writer = _Writer(db, rng, timeline, clock)
    saved_clock = db.clock
    db.clock = clock  # API calls that stamp "now" (preferences, patterns, handoffs) use the timeline
    bar = progress_bar(total=messages, unit="msg", desc="generating", progress=progress)
    try:
        i = 0
        while i < len(plan):
            with db.transaction():
                while i < len(plan) and len(writer.messages) < batch_messages:
                    writer.session(plan[i])
                    i += 1
                bar.update(writer.flush())
    finally:
        db.clock = saved_clock
        bar.close()
    db.update_search_index(progress=progress)
    return {table: db.count(table) for table in TABLES}
