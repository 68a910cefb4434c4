"""Cost tracking: one row per model call, priced by memlab.prices as of the call's time when no cost is given."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any, Iterable, Mapping

from . import validation as v
from .errors import NotFoundError, ValidationError
from .records import Records

INSERT = (
    "INSERT INTO cost_tracking (session_id, agent_interaction_id, model, input_tokens, output_tokens,"
    " cache_read_tokens, cache_write_tokens, cost_usd, created_at, request_id, metadata)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


class Costs(Records):
    json_columns = ("metadata",)

    def row(
        self,
        session_id: Any,
        model: Any,
        input_tokens: Any = 0,
        output_tokens: Any = 0,
        cache_read_tokens: Any = 0,
        cache_write_tokens: Any = 0,
        cache_write_1h_tokens: Any = 0,
        cost_usd: Any = None,
        agent_interaction_id: Any = None,
        request_id: Any = None,
        metadata: Any = None,
        created_at: Any = None,
        prices: Any = None,
        unpriced: Counter | None = None,
    ) -> tuple:
        """One call checked and priced (as of its time) into the parameters ``insert_rows`` stores;
        ``prices`` is ``memlab.prices.current()``, fetched once by a bulk loader. Index 7 is the
        cost: None means unpriced."""
        model = v.identifier("model", model)
        when = self._when("created_at", created_at)
        count = v.count
        input_tokens = count("input_tokens", input_tokens)
        output_tokens = count("output_tokens", output_tokens)
        cache_read_tokens = count("cache_read_tokens", cache_read_tokens)
        cache_write_tokens = count("cache_write_tokens", cache_write_tokens)
        one_hour = count("cache_write_1h_tokens", cache_write_1h_tokens)
        if one_hour > cache_write_tokens:
            raise ValidationError("cache_write_1h_tokens is part of cache_write_tokens and can't exceed it")
        if cost_usd is None:
            if prices is None:
                from .prices import current  # the prices load on first use

                prices = current()
            cost_usd = prices.compute_cost(
                model,
                when,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cache_read_tokens=cache_read_tokens,
                cache_write_tokens=cache_write_tokens - one_hour,
                cache_write_1h_tokens=one_hour,
            )
            if cost_usd is None and unpriced is not None:
                unpriced[model] += 1
        else:
            cost_usd = v.non_negative("cost_usd", cost_usd)
        if one_hour:
            metadata = {**(metadata or {}), "cache_write_1h_tokens": one_hour}
        if agent_interaction_id is not None:
            agent_interaction_id = v.count("agent_interaction_id", agent_interaction_id)
        return (
            v.identifier("session_id", session_id),
            agent_interaction_id,
            model,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_write_tokens,
            cost_usd,
            when,
            v.optional_identifier("request_id", request_id),
            v.json_text("metadata", metadata),
        )

    def record(
        self,
        session_id: str,
        model: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
        cost_usd: float | None = None,
        agent_interaction_id: int | None = None,
        request_id: str | None = None,
        metadata: Any = None,
        created_at: Any = None,
    ) -> int:
        """Record one model call and return its id.

        ``cache_write_tokens`` counts all cache writes; ``cache_write_1h_tokens`` says how many
        of them used the 1-hour TTL (priced higher). Without ``cost_usd`` the cost comes from
        the price table; a model it doesn't know is stored with cost NULL (unpriced, not free).
        """
        row = self.row(
            session_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cache_write_1h_tokens, cost_usd, agent_interaction_id, request_id, metadata, created_at,
        )
        try:
            return self.store.execute(INSERT, row).lastrowid
        except sqlite3.IntegrityError as e:
            raise _rejected(e, row) from None

    def record_many(self, calls: Iterable[Mapping[str, Any]], *, skip_duplicates: bool = False,
                    unpriced: Counter | None = None) -> int:
        """Record many calls in one transaction (all or none); return how many were stored.

        With ``skip_duplicates`` a call whose ``request_id`` is already stored is skipped, which
        makes re-imports idempotent. ``unpriced`` (a Counter) counts, per model, the calls stored
        without a price.
        """
        from .prices import current

        sql = INSERT.replace("INSERT", "INSERT OR IGNORE", 1) if skip_duplicates else INSERT
        prices = current()  # once per batch: a price lookup per model and day, not a file check per call
        try:
            return self._insert_many(sql, calls, lambda call: self.row(**call, prices=prices, unpriced=unpriced),
                                     "cost")
        except sqlite3.IntegrityError as e:
            raise _rejected(e, None) from None

    def insert_rows(self, rows: Iterable[tuple], *, skip_duplicates: bool = False) -> int:
        """Store rows made by ``row`` (inside the caller's transaction); return how many were new."""
        sql = INSERT.replace("INSERT", "INSERT OR IGNORE", 1) if skip_duplicates else INSERT
        try:
            return self.store.conn.executemany(sql, rows).rowcount
        except sqlite3.IntegrityError as e:
            raise _rejected(e, None) from None

    def raise_to_largest(self, calls: Iterable[Mapping[str, Any]]) -> tuple[set[str], int]:
        """For calls already stored (matched by ``request_id``): raise each token count to the larger
        of the stored and the given one and price the call again as of its stored time.

        A call streamed in parts (Claude Code writes a line per content block) reports its final
        counts last; an import that saw only the first part keeps it until a later run sees more.
        Returns the request ids found stored, and how many rows grew.
        """
        from .prices import current

        calls = [c for c in calls if c.get("request_id")]
        rows = {r["request_id"]: r for r in self._all(
            "SELECT id, request_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
            " created_at, metadata FROM cost_tracking WHERE request_id IN (SELECT value FROM json_each(?))",
            (json.dumps([c["request_id"] for c in calls]),))}
        prices, grew = current(), 0
        for call in calls:
            row = rows.get(call["request_id"])
            if row is None:
                continue
            old = {k: row[k] for k in TOKENS}
            new = {k: max(old[k], v.count(k, call.get(k, 0))) for k in TOKENS}
            metadata = row["metadata"] if isinstance(row["metadata"], dict) else {}
            hour = max(int(metadata.get("cache_write_1h_tokens", 0)), v.count("cache_write_1h_tokens",
                                                                             call.get("cache_write_1h_tokens", 0)))
            hour = min(hour, new["cache_write_tokens"])
            if new == old and hour == metadata.get("cache_write_1h_tokens", 0):
                continue
            if hour:
                metadata["cache_write_1h_tokens"] = hour
            cost = prices.compute_cost(row["model"], row["created_at"], input_tokens=new["input_tokens"],
                                       output_tokens=new["output_tokens"], cache_read_tokens=new["cache_read_tokens"],
                                       cache_write_tokens=new["cache_write_tokens"] - hour, cache_write_1h_tokens=hour)
            self.store.execute(
                "UPDATE cost_tracking SET input_tokens = ?, output_tokens = ?, cache_read_tokens = ?,"
                " cache_write_tokens = ?, cost_usd = ?, metadata = ? WHERE id = ?",
                (*new.values(), cost, v.json_text("metadata", metadata or None), row["id"]))
            grew += 1
        return set(rows), grew

    def get(self, cost_id: int) -> dict:
        return self._require("SELECT * FROM cost_tracking WHERE id = ?", cost_id, "cost record")

    def recompute(self, *, model: str | None = None, all_rows: bool = False) -> dict[str, int]:
        """Price stored calls again, each as of its own time (e.g. after ``memlab prices update``).

        By default only calls stored unpriced (cost NULL); ``all_rows`` re-prices every call,
        replacing costs given by hand too. ``model`` limits it to one model or family
        (``claude-sonnet-4-5`` matches its dated names). Returns examined, updated, unpriced.
        """
        from .prices import candidates, current

        table = current()
        wanted = None if model is None else v.identifier("model", model).strip().lower()
        sql = ("SELECT id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,"
               " coalesce(json_extract(metadata, '$.cache_write_1h_tokens'), 0), created_at FROM cost_tracking")
        if not all_rows:
            sql += " WHERE cost_usd IS NULL"
        counts = {"examined": 0, "updated": 0, "unpriced": 0}
        updates = []
        with self.store.transaction():
            for cid, name, inp, out, read, write, old, one_hour, when in self.store.execute(sql).fetchall():
                if wanted is not None and wanted not in candidates(name):
                    continue
                counts["examined"] += 1
                price = table.lookup(name, when)
                if price is None:
                    counts["unpriced"] += 1
                    continue
                one_hour = min(int(one_hour), write)
                cost = price.cost(input_tokens=inp, output_tokens=out, cache_read_tokens=read,
                                  cache_write_tokens=write - one_hour, cache_write_1h_tokens=one_hour)
                if cost != old:
                    updates.append((cost, cid))
            self.store.conn.executemany("UPDATE cost_tracking SET cost_usd = ? WHERE id = ?", updates)
        counts["updated"] = len(updates)
        return counts


def _rejected(error: sqlite3.IntegrityError, row: tuple | None) -> Exception:
    text = str(error)
    if "FOREIGN KEY" in text:
        if row is None:
            return NotFoundError("a cost record names an unknown session or agent interaction")
        what = f"session {row[0]!r}"
        if row[1] is not None:
            what += f" or agent interaction {row[1]!r}"
        return NotFoundError(f"unknown {what}")
    if "request_id" in text:
        return ValidationError("a cost record with this request_id is already stored")
    return ValidationError(f"cost record rejected: {text}")
