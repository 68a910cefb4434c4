"""Recall: how often ``db.recall`` finds the evidence of a question, and how fast.

Quality is measured on the LoCoMo dev file (``shared/fixtures/locomo/locomo-dev.json``; CC BY-NC,
read from beside the repository, never shipped): each conversation is loaded as a session (its
LoCoMo sessions as conversations), each question of categories 1-4 is asked within its session,
and a question counts as recalled at k when one of its evidence turns is in the top k. Every mode
runs beside raw FTS5 bm25 over the OR of all the question's words in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import Figures, Row

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
DEV_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "locomo" / "locomo-dev.json"
EVIDENCE = re.compile(r"D:?(\d+):(\d+)")
WHEN = "%I:%M %p on %d %B, %Y"
KS = (5, 10)


@dataclass(frozen=True)
class Question:
    """One LoCoMo question: its text, category, the session it is asked in and the message ids
    of its evidence turns."""

    text: str
    category: int
    session_id: str
    evidence: frozenset[int]


def dev_file(path: str | Path | None = None) -> Path | None:
    """The LoCoMo dev file, or None when it isn't beside the repository."""
    found = Path(path) if path is not None else DEV_FILE
    return found if found.is_file() else None


def load(db, path: str | Path, *, samples: int | None = None, per_sample: int | None = None) -> list[Question]:
    """Store LoCoMo's conversations in ``db`` (a session per conversation, a conversation per
    LoCoMo session, a message per turn: "Speaker: text", and the shared image's caption), fold
    them into the search index as ``memlab import`` does, and return its questions of categories
    1-4 (``per_sample`` of each conversation, if given)."""
    data = json.loads(Path(path).read_text())[:samples]
    out: list[Question] = []
    for sample in data:
        sid = str(sample["sample_id"])
        conv = sample["conversation"]
        speakers = {conv["speaker_a"]: "user", conv["speaker_b"]: "assistant"}
        ids: dict[str, int] = {}
        with db.transaction():
            db.sessions.create(sid, user_id=sid, created_at=_when(conv, 1))
            n = 1
            while f"session_{n}" in conv:
                started = _when(conv, n)
                cid = f"{sid}:s{n}"
                db.conversations.create(sid, conversation_id=cid, title=f"session {n}", created_at=started)
                for i, turn in enumerate(conv[f"session_{n}"]):
                    content = f"{turn['speaker']}: {turn['text']}"
                    if turn.get("blip_caption"):
                        content += f" [shares {turn['blip_caption']}]"
                    ids[turn["dia_id"]] = db.messages.add(
                        cid, speakers.get(turn["speaker"], "user"), content,
                        created_at=started + dt.timedelta(seconds=30 * i), metadata={"dia_id": turn["dia_id"]})
                n += 1
        asked = [q for q in sample["qa"] if q.get("category") in CATEGORIES]
        if per_sample is not None:  # spread over the conversation (LoCoMo lists questions by category)
            asked = asked[::max(1, len(asked) // per_sample)][:per_sample]
        for q in asked:
            evidence = frozenset(ids[d] for d in (f"D{a}:{b}" for e in q.get("evidence", ())
                                                  for a, b in EVIDENCE.findall(e)) if d in ids)
            if evidence:
                out.append(Question(q["question"], q["category"], sid, evidence))
    # Unfolded, every question would score all the turns from FTS5 and their text (the change
    # log's path): 13 ms a question instead of 2 ms on the dev file.
    db.update_search_index(progress=False)
    return out


def _when(conv: dict, n: int) -> dt.datetime:
    return dt.datetime.strptime(conv[f"session_{n}_date_time"], WHEN).replace(tzinfo=dt.timezone.utc)


def scores(ranked: Sequence[Sequence[int]], questions: Sequence[Question]) -> dict[str, float]:
    """recall@5, recall@10 (a question counts when one evidence turn is in its top k) and MRR
    (of the first evidence turn in the top 10)."""
    n = len(questions) or 1
    out = {f"recall@{k}": sum(bool(q.evidence & set(r[:k])) for r, q in zip(ranked, questions)) / n for k in KS}
    out["mrr"] = sum(next((1 / i for i, m in enumerate(r[:10], 1) if m in q.evidence), 0.0)
                     for r, q in zip(ranked, questions)) / n
    return out


RAW_OR = """
SELECT messages_fts.rowid FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.conversation_id = m.conversation_id
WHERE messages_fts MATCH ? AND c.session_id = ?
ORDER BY rank LIMIT ?
"""


def raw_or(conn: sqlite3.Connection, question: Question, limit: int = 10) -> list[int]:
    """Raw FTS5: bm25 over the OR of every word of the question (each quoted), in its session."""
    words = {w.lower() for w in re.findall(r"\w+", question.text)}
    if not words:
        return []
    expression = " OR ".join('"' + w.replace('"', '') + '"' for w in sorted(words))
    return [r[0] for r in conn.execute(RAW_OR, (expression, question.session_id, limit))]


def evaluate(db, questions: Sequence[Question], modes: Iterable[str] = ("keyword", "semantic", "hybrid"),
             ) -> dict[str, dict[str, Any]]:
    """Per mode (and "fts5 OR" for raw FTS5): overall and per-category scores and each
    question's latency in ms."""
    askers: dict[str, Callable[[Question], list[int]]] = {"fts5 OR": lambda q: raw_or(db.conn, q)}
    for mode in modes:
        askers[mode] = lambda q, mode=mode: [
            h.message_id for h in db.recall(q.text, session_id=q.session_id, limit=10, mode=mode)]
    out: dict[str, dict[str, Any]] = {}
    for name, ask in askers.items():
        ranked, times = [], []
        for q in questions:
            started = time.perf_counter()
            ranked.append(ask(q))
            times.append((time.perf_counter() - started) * 1000)
        per = {CATEGORIES[c]: scores([r for r, q in zip(ranked, questions) if q.category == c],
                                     [q for q in questions if q.category == c])
               for c in CATEGORIES if any(q.category == c for q in questions)}
        out[name] = {"all": scores(ranked, questions), "categories": per, "ms": times}
    return out


# -- the benchmark ---------------------------------------------------------------------------

QUALITY_TARGETS = {"keyword": 0.56, "hybrid": 0.65}
SPEED_TARGETS = {"keyword": 15.0, "hybrid": 30.0}
OPENERS = ("what did we say about", "when did I mention", "do you remember the", "how did", "why was the")
SPEED_QUESTIONS = 40


FULL_FROM = 10_000  # generated messages from which the whole dev file and every model are measured


def run(db_path: Path, db, workdir: Path, messages: int, seed: int = 0, progress: bool | None = None) -> list[Row]:
    """Recall quality on LoCoMo (every mode beside raw FTS5 OR-bm25) and recall speed on the
    generated database (keyword and hybrid beside raw FTS5 OR ranking; embedding throughput).
    Below ``FULL_FROM`` messages (quick runs, the benchmarks notebook) quality is measured on
    the first conversation's first 60 questions with the default model only."""
    full = messages >= FULL_FROM
    return quality(workdir, progress, full=full) + speed(db_path, db, seed, progress, sample=200 if full else 0,
                                                          questions=SPEED_QUESTIONS if full else 10)


def quality(workdir: Path, progress: bool | None = None, *, full: bool = True) -> list[Row]:
    """One row per mode (and raw FTS5 OR): recall@5/@10 and MRR on the LoCoMo dev file's
    questions, per category in ``extra``; latency per question."""
    import memlab

    from ..recall import embeddings

    found = dev_file()
    if found is None:
        return [Row("recall", "LoCoMo quality", Figures(0), notes=f"skipped: {DEV_FILE} not found")]
    with memlab.open(Path(workdir) / "locomo.db") as db:
        questions = load(db, found) if full else load(db, found, samples=1, per_sample=60)
        results = evaluate(db, questions, modes=("keyword",))
        raw = results["fts5 OR"]
        rows = _quality_rows(results, raw, len(questions))
        for name in embeddings.installed()[:None if full else 1]:
            started = time.perf_counter()
            done = db.embed(model=name, progress=progress)
            rows.append(Row("recall", f"embed LoCoMo turns ({name})", _rate(done, time.perf_counter() - started),
                            notes=f"{done:,} turns"))
            got = evaluate(db, questions, modes=("semantic", "hybrid"))
            rows += _quality_rows({f"{m} ({name})": got[m] for m in ("semantic", "hybrid")}, raw, len(questions))
    return rows


def _quality_rows(results: dict[str, dict[str, Any]], raw: dict[str, Any], n: int) -> list[Row]:
    from . import latency

    rows = []
    for name, r in results.items():
        a = r["all"]
        row = Row("recall", f"LoCoMo {name} ({n} questions)", latency([ms / 1000 for ms in r["ms"]]),
                  None if name == "fts5 OR" else latency([ms / 1000 for ms in raw["ms"]]))
        row.notes = (f"recall@5 {a['recall@5']:.3f}, recall@10 {a['recall@10']:.3f}, MRR {a['mrr']:.3f}"
                     + ("" if name == "fts5 OR" else f" (raw FTS5 OR: {raw['all']['recall@10']:.3f} @10)"))
        mode = name.split(" ")[0]
        if mode in QUALITY_TARGETS and name != "fts5 OR":
            row.target = f"recall@10 >= {QUALITY_TARGETS[mode]}"
            row.met = a["recall@10"] >= QUALITY_TARGETS[mode]
        row.extra.update(scores=a, categories=r["categories"])
        rows.append(row)
    return rows


def _rate(count: int, seconds: float) -> Figures:
    from . import throughput

    return throughput(count, seconds)


def speed_questions(conn: sqlite3.Connection, seed: int = 0, n: int = SPEED_QUESTIONS) -> list[str]:
    """Questions of 5-15 words drawn from the database's own messages (deterministic per seed):
    an opener ("what did we say about") and words of one message."""
    import random

    rng = random.Random(seed)
    top = conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
    out: list[str] = []
    for _ in range(n * 20):
        if len(out) >= n or not top:
            break
        row = conn.execute("SELECT content FROM messages WHERE id >= ? LIMIT 1", (rng.randint(1, top),)).fetchone()
        words = re.findall(r"[A-Za-z]{3,}", row[0]) if row else []
        opener = rng.choice(OPENERS).split()
        want = rng.randint(5, 15) - len(opener)
        if len(words) >= want >= 1:
            start = rng.randint(0, len(words) - want)
            out.append(" ".join(opener + words[start:start + want]) + "?")
    return out


RAW_RANKED = """
SELECT rowid, rank, snippet(messages_fts, 0, '**', '**', '…', 16)
FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT 10
"""


def speed(db_path: Path, db, seed: int = 0, progress: bool | None = None, rounds: int = 3,
          sample: int = 200, questions: int = SPEED_QUESTIONS) -> list[Row]:
    """Keyword and hybrid recall on generated questions beside raw FTS5 ranking of the OR of all
    their words; the embedding backlog's throughput (filled here if the database has none) and
    e5's on ``sample`` messages."""
    from ..progress import bar
    from ..recall import embeddings, keyword
    from . import interleave, latency

    raw = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    try:
        asked = speed_questions(raw, seed, questions)
        total = raw.execute("SELECT count(*) FROM messages").fetchone()[0]
        rows: list[Row] = []
        if embeddings.available() and db.embed_backlog():
            left = db.embed_backlog()
            started = time.perf_counter()
            done = db.embed(progress=progress)
            rows.append(Row("recall", f"embed backlog ({embeddings.DEFAULT}, {total:,} messages)",
                            _rate(done, time.perf_counter() - started), notes=f"{done:,} of {left:,} embedded"))
        if sample and embeddings.available("e5"):
            texts = [r[0] for r in raw.execute("SELECT content FROM messages ORDER BY id LIMIT ?", (sample,))]
            model = embeddings.model("e5")
            started = time.perf_counter()
            model.passages(texts)
            rows.append(Row("recall", f"embed {len(texts)} messages (e5, not stored)",
                            _rate(len(texts), time.perf_counter() - started)))
        modes = ["keyword"] + (["hybrid"] if embeddings.available() else [])
        times: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in modes}
        for q in bar(asked, desc="recall bench", unit="question", progress=progress):
            expression = " OR ".join(keyword.question_words(db, q))
            theirs = lambda: raw.execute(RAW_RANKED, (expression,)).fetchall()  # noqa: E731
            for mode in modes:
                mine = lambda: db.recall(q, mode=mode)  # noqa: E731
                mine(), theirs()
                a, b = interleave(mine, theirs, rounds)
                times[mode][0].extend(a)
                times[mode][1].extend(b)
        for mode in modes:
            a, b = times[mode]
            row = Row("recall", f"{mode} recall, 5-15-word questions ({len(asked)} x {rounds}, {total:,} msgs)",
                      latency(a), latency(b), target=f"p95 <= {SPEED_TARGETS[mode]:g} ms")
            row.met = row.memlab.p95_ms <= SPEED_TARGETS[mode]
            row.notes = "raw: FTS5 MATCH of the OR of every word, ORDER BY rank LIMIT 10, snippet"
            row.extra["questions"] = asked
            rows.append(row)
        return rows
    finally:
        raw.close()


def quality_frame(rows: Iterable[Row]):
    """The quality rows as a DataFrame: one row per mode, recall@5, recall@10, MRR and the
    per-category recall@10 (NaN where the questions asked had none of a category)."""
    import pandas as pd

    records = []
    for r in rows:
        if "scores" not in r.extra:
            continue
        mode = r.operation.removeprefix("LoCoMo ").rsplit(" (", 1)[0] if "questions)" in r.operation else r.operation
        records.append({"mode": mode, **r.extra["scores"],
                        **{f"{c} @10": s["recall@10"] for c, s in r.extra["categories"].items()}})
    return pd.DataFrame.from_records(records)


def plot_quality(frame, ax=None):
    """Recall@5, recall@10 and MRR per mode as grouped bars."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    shown = frame.assign(mode=frame["mode"].str.replace(" (", "\n(", regex=False))
    shown.set_index("mode")[["recall@5", "recall@10", "mrr"]].plot.bar(ax=ax, rot=0, width=0.8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of questions")
    ax.set_title("LoCoMo: an evidence turn in the top k (MRR of the first)")
    ax.legend(loc="upper left", ncol=3, fontsize=8)
    return ax
