"""Bad environments: full disks, read-only mounts, damaged files, files from a newer memlab.

Each gives a clear memlab error from the API and a one-line message with exit 1 from the CLI,
and nothing already committed is lost or changed. Full disks and read-only folders are real:
a 2 MB tmpfs and a read-only bind mount (both need root, which ignores file modes, so modes
can't simulate them); where mounting is not allowed the mount tests skip, and a per-process
file-size limit (RLIMIT_FSIZE, no privileges needed) still exercises the full-disk path.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import random
import shutil
import sqlite3
import string
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import memlab
from memlab.cli import cli


def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(args: list[str]):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    return result.output


def _noise(rng: random.Random, size: int) -> str:
    """Text that doesn't compress or share FTS terms much: fills pages quickly."""
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(size // 9))


def _seed(db) -> None:
    db.sessions.create("s")
    db.conversations.create("s", "c")


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(where)):
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights); see the RLIMIT_FSIZE test")
    yield where
    _umount(where)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder holding a memlab database with one message, mounted read-only."""
    source, where = tmp_path / "src", tmp_path / "ro"
    source.mkdir()
    where.mkdir()
    with memlab.open(source / "m.db") as db:
        _seed(db)
        db.messages.add("c", "user", "kept safe")
    if not (_mount("--bind", str(source), str(where)) and _mount("-o", "remount,ro,bind", str(where))):
        _umount(where)
        pytest.skip("cannot make a read-only bind mount here (needs root and mount rights)")
    yield where
    _umount(where)


# -- a full disk ------------------------------------------------------------------------------


def test_full_disk_is_a_clear_error_and_keeps_what_was_committed(small_disk):
    path = small_disk / "m.db"
    rng = random.Random(7)
    acknowledged = []
    db = memlab.open(path)
    _seed(db)
    with pytest.raises(memlab.DatabaseFileError, match="m.db") as info:
        for i in range(10_000):
            acknowledged.append(db.messages.add("c", "user", f"row {i} {_noise(rng, 20_000)}"))
    assert "full" in str(info.value) or "I/O" in str(info.value)
    assert str(small_disk) not in str(info.value)
    with pytest.raises(memlab.DatabaseFileError):
        db.messages.add_many({"conversation_id": "c", "role": "user", "content": _noise(rng, 20_000)}
                             for _ in range(50))
    db.close()
    assert len(acknowledged) > 5
    assert _mount("-o", "remount,size=32m", str(small_disk))
    with memlab.open(path) as db:
        stored = [r["id"] for r in db.query("SELECT id FROM messages ORDER BY id")]
        assert stored == acknowledged  # all acknowledged rows, and no trace of the failed ones
        assert db.integrity_check() == []
        db.messages.add("c", "user", "space again")
        assert db.count("messages") == len(acknowledged) + 1


def test_full_disk_from_the_cli_is_one_line(small_disk):
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024 - 4096))
    _one_line_error(["init", "--db", str(small_disk / "new.db")])


def test_backup_onto_a_full_disk_is_a_clear_error_and_leaves_no_file(db, small_disk):
    _seed(db)
    rng = random.Random(3)
    db.messages.add_many({"conversation_id": "c", "role": "user", "content": _noise(rng, 5_000)}
                         for _ in range(600))
    with pytest.raises(memlab.DatabaseFileError, match="copy.db"):
        db.backup(small_disk / "copy.db")
    assert sorted(p.name for p in small_disk.iterdir()) == []
    assert db.count("messages") == 600


def _write_past_a_size_limit(path: str, headroom: int, report: mp.Queue) -> None:
    """Child: cap file sizes just above the database's, then add messages until refused."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of dying
    db = memlab.open(path)
    limit = max(os.path.getsize(path), os.path.getsize(f"{path}-wal")) + headroom
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    rng = random.Random(11)
    acknowledged: list[int] = []
    try:
        for i in range(10_000):
            acknowledged.append(db.messages.add("c", "user", f"row {i} {_noise(rng, 20_000)}"))
        report.put(("no error", "", acknowledged))
    except Exception as e:  # the parent checks which kind reached the caller
        report.put((type(e).__name__, str(e), acknowledged))


def test_file_size_limit_is_a_clear_error_and_keeps_what_was_committed(db_path):
    with memlab.open(db_path) as db:
        _seed(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx = mp.get_context("spawn")
    report = ctx.Queue()
    child = ctx.Process(target=_write_past_a_size_limit, args=(str(db_path), 1_000_000, report))
    child.start()
    kind, message, acknowledged = report.get(timeout=120)
    child.join(60)
    assert kind == "DatabaseFileError", message
    assert "memlab.db" in message and len(acknowledged) > 5
    with memlab.open(db_path) as db:
        assert [r["id"] for r in db.query("SELECT id FROM messages ORDER BY id")] == acknowledged
        assert db.integrity_check() == []


# -- read-only ----------------------------------------------------------------------------------


def test_read_only_mount_is_a_clear_error_and_changes_nothing(read_only_dir):
    before = _digest(read_only_dir / "m.db")
    with pytest.raises(memlab.DatabaseFileError, match="read-only"):
        memlab.open(read_only_dir / "m.db")
    assert _digest(read_only_dir / "m.db") == before


def test_creating_in_a_read_only_folder_is_a_clear_error(read_only_dir):
    with pytest.raises(memlab.DatabaseFileError, match="cannot create 'new.db'") as info:
        memlab.open(read_only_dir / "new.db")
    assert str(read_only_dir) not in str(info.value)


def test_read_only_mount_from_the_cli_is_one_line(read_only_dir):
    assert "read-only" in _one_line_error(["stats", "--db", str(read_only_dir / "m.db")])
    _one_line_error(["init", "--db", str(read_only_dir / "other.db")])


def test_backup_into_a_read_only_folder_is_a_clear_error(db, read_only_dir):
    _seed(db)
    with pytest.raises(memlab.DatabaseFileError, match="copy.db"):
        db.backup(read_only_dir / "copy.db")
    with pytest.raises(memlab.DatabaseFileError, match="copy.db"):
        db.vacuum(into=read_only_dir / "copy.db")


# -- damaged and foreign files ------------------------------------------------------------------


def damage(db_path: Path, seed: int = 1) -> Path:
    """A memlab database whose pages past the first were overwritten with random bytes."""
    with memlab.open(db_path) as db:
        _seed(db)
        db.messages.add_many({"conversation_id": "c", "role": "user", "content": f"message {i} " + "lorem " * 60}
                             for i in range(1500))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db_path.stat().st_size
    rng = random.Random(seed)
    with open(db_path, "r+b") as f:
        for _ in range(20):
            f.seek(rng.randrange(8192, size - 4096))
            f.write(rng.randbytes(4096))
    return db_path


@pytest.mark.parametrize("seed", range(4))
def test_damaged_file_gives_memlab_errors_not_sqlite_ones(db_path, seed):
    damage(db_path, seed)
    try:
        db = memlab.open(db_path)
    except memlab.DatabaseFileError:
        return  # refused at open: a clear error (damage near the schema pages)
    try:
        assert db.integrity_check() != []
        calls = [
            lambda: db.messages.add("c", "user", "new"),
            lambda: db.messages.recent(conversation_id="c", limit=5000),
            lambda: db.query("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'lorem'"),
            lambda: db.stats(),
        ]
        for call in calls:
            try:
                call()
            except memlab.MemlabError:
                pass  # sqlite3.DatabaseError or anything else fails the test
    finally:
        db.close()


def test_damaged_file_fails_the_cli_check(db_path):
    result = CliRunner().invoke(cli, ["check", "--db", str(damage(db_path))])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_truncated_file_is_a_clear_error(db_path):
    with memlab.open(db_path) as db:
        _seed(db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db_path.read_bytes()
    db_path.write_bytes(data[:100])
    with pytest.raises(memlab.DatabaseFileError, match="not a SQLite database"):
        memlab.open(db_path)
    assert db_path.read_bytes() == data[:100]


def test_newer_memlab_from_the_cli_is_one_line_and_changes_nothing(db_path):
    with memlab.open(db_path) as db:
        db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('memlab', '999_future', 'x')")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db_path)
    assert "newer memlab" in _one_line_error(["stats", "--db", str(db_path)])
    assert _digest(db_path) == before


def test_other_sqlite_file_is_opened_without_touching_its_tables(tmp_path):
    # A SQLite file of some other program: memlab adds its tables beside, never alters theirs.
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('theirs')")
    conn.commit()
    conn.close()
    with memlab.open(path) as db:
        assert db.query("SELECT body FROM notes") == [{"body": "theirs"}]


# -- several processes opening a new file at once --------------------------------------------


def _open_new(path: str, start: mp.Barrier, report: mp.Queue) -> None:
    start.wait(60)  # every process has imported memlab: they open at the same moment
    try:
        memlab.open(path).close()
        report.put("ok")
    except Exception:
        import traceback; report.put(traceback.format_exc()[-2500:])


def test_processes_creating_one_file_at_once_all_succeed(tmp_path):
    ctx = mp.get_context("spawn")
    for trial in range(2):
        path = tmp_path / f"new{trial}.db"
        start, report = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open_new, args=(str(path), start, report)) for _ in range(4)]
        for p in procs:
            p.start()
        results = [report.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        assert results == ["ok"] * 4
        with memlab.open(path) as db:
            assert db.pending_migrations() == [] and db.integrity_check() == []


def test_text_that_is_not_utf8_is_a_clear_error(db_path):
    with memlab.open(db_path) as db:
        db.sessions.create("s")
        db.conversations.create("s", "c")
        db.messages.add("c", "user", "fine")
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE messages SET content = CAST(X'fffe41' AS TEXT)")  # bytes that aren't UTF-8
    raw.commit()
    raw.close()
    with memlab.open(db_path) as db:
        with pytest.raises(memlab.DatabaseFileError, match="not valid UTF-8"):
            db.messages.recent(conversation_id="c")
        with pytest.raises(memlab.DatabaseFileError, match="not valid UTF-8"):
            db.messages.get(1)
