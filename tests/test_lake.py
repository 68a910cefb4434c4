"""memlab.analytics over DuckDB (several memlab files, or their Parquet export) gives the same
frames as the SQLite path over one file holding all their rows; and the Parquet export."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import memlab
from memlab.analytics import Analytics
from memlab.cli import cli
from memlab.errors import DatabaseFileError, MissingExtraError, ValidationError
from memlab.lake import TABLES
from memlab.lake.export import STATE, arrow_schema, export_parquet
from memlab.synth import generate

UTC = dt.timezone.utc
FILES = 3
OFFSET = 1_000_000_000  # the merged reference keeps each file's integer ids apart, in file order
# Around Europe/Berlin's spring (29 March) and autumn (25 October) changes in 2026.
DST_HOURS = [dt.datetime(2026, 3, 28, 20, tzinfo=UTC) + dt.timedelta(minutes=37 * k) for k in range(90)] + [
    dt.datetime(2026, 10, 24, 20, tzinfo=UTC) + dt.timedelta(minutes=41 * k) for k in range(80)]
MODELS = ("claude-sonnet-4-5", "gpt-4.1", "mystery-local")  # the last is unpriced


def _fill(path: Path, seed: int) -> None:
    """Generated agent work, plus calls and metrics across both DST changes (ids from 1 in every file)."""
    with memlab.open(path) as db:
        generate(db, messages=150, days=6, seed=seed, progress=False)
        sid = f"dst-{seed}"
        db.sessions.create(sid, user_id=f"night-{seed % 2}", project_id="clocks", created_at="2026-03-01T00:00:00Z")
        agent = db.interactions.record(sid, "clock-watcher", status="success", duration_ms=10.0 + seed,
                                       started_at=DST_HOURS[0], completed_at=DST_HOURS[1])
        db.costs.record_many({
            "session_id": sid, "model": MODELS[(k + seed) % 3], "input_tokens": 100 + k * seed,
            "output_tokens": 7 * k, "cache_read_tokens": 13 * k, "cache_write_tokens": k,
            "agent_interaction_id": agent if k % 4 == 0 else None,
            "created_at": at + dt.timedelta(seconds=seed * 7)} for k, at in enumerate(DST_HOURS))
        db.metrics.record_many({
            "name": ("search_latency", "handoff_latency")[k % 2], "value": (k * 7919 + seed * 31) % 997 / 10,
            "unit": "ms" if k % 5 else None, "session_id": sid if k % 3 else None,
            "tags": ({"hits": k % 3}, {"hits": True}, {"other": "x"}, None)[k % 4],
            "created_at": at + dt.timedelta(seconds=seed * 11)} for k, at in enumerate(DST_HOURS))


def _merge(sources: list[Path], target: Path) -> None:
    """One SQLite file with every row of ``sources`` the analytics read, integer ids offset per file."""
    with memlab.open(target):
        pass
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA foreign_keys = OFF")
    for i, path in enumerate(sources):
        conn.execute("ATTACH ? AS src", (str(path),))
        off = i * OFFSET
        for table in ("sessions", "conversations", "messages", "agent_interactions", "routing_decisions",
                      "cost_tracking", "memory_metrics", "session_handoffs"):
            columns = [r[1] for r in conn.execute(f"PRAGMA src.table_info({table})")]
            picked = [f"{c} + {off}" if c in ("id", "agent_interaction_id") else c for c in columns]
            conn.execute(f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {', '.join(picked)} FROM src.{table}")
        conn.commit()
        conn.execute("DETACH src")
    conn.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three memlab files (db0..db2), their merged reference, and their Parquet export."""
    root = tmp_path_factory.mktemp("fleet")
    paths = [root / f"db{i}.db" for i in range(FILES)]
    for i, path in enumerate(paths):
        _fill(path, i + 1)
    _merge(paths, root / "merged.db")
    export_parquet(paths, root / "lake", progress=False)
    reference = memlab.open(root / "merged.db")
    engines = {"files": Analytics.over_files(paths), "parquet": Analytics.over_parquet(root / "lake")}
    yield {"paths": paths, "root": root, "reference": reference.analytics, "engines": engines}
    for engine in engines.values():
        engine.close()
    reference.close()


QUESTIONS = [
    ("cost_by_model", {}),
    ("cost_by_model", {"period": "day", "tz": "Europe/Berlin"}),
    ("cost_by_model", {"period": "hour", "tz": "America/St_Johns", "since": "2026-03-28", "until": "2026-03-31"}),
    ("cost_by_model", {"period": "month", "user_id": "night-1"}),
    ("cost_over_time", {"by": "agent", "period": "day", "tz": "Europe/Berlin"}),
    ("cost_over_time", {"by": "user", "period": "week"}),
    ("cost_over_time", {"by": "session", "period": "month"}),
    ("cost_over_time", {"by": "project", "period": "hour", "tz": "Asia/Kolkata", "since": "2026-10-24T12:00:00",
                        "until": "2026-10-27"}),
    ("cache_efficiency", {}),
    ("cache_efficiency", {"period": "week", "tz": "Europe/Berlin"}),
    ("session_activity", {}),
    ("session_activity", {"limit": 4, "since": "2026-01-06"}),
    ("top_sessions", {"n": 5}),
    ("activity_over_time", {"period": "day", "tz": "Europe/Berlin"}),
    ("activity_over_time", {"period": "hour", "tz": "America/St_Johns"}),
    ("metric_percentiles", {}),
    ("metric_percentiles", {"percentiles": (0, 12.5, 50, 99.9, 100), "metrics": ["search_latency", "handoff_latency"]}),
    ("metric_percentiles", {"period": "day", "tz": "Europe/Berlin"}),
    ("metric_percentiles", {"period": "hour", "tz": "Asia/Kolkata", "since": "2026-03-29"}),
    ("metric_percentiles", {"tag": "hits"}),
    ("agent_performance", {}),
    ("agent_performance", {"agent": "clock-watcher"}),
    ("routing", {}),
]


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns, dtypes and rows; sums equal up to float rounding, order statistics exactly."""
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist()
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=0)
    exact = [c for c in got.columns if c in ("min", "max") or (c.startswith("p") and c[1:2].isdigit())]
    for column in exact:
        assert got[column].equals(want[column]), column


@pytest.mark.parametrize("engine", ["files", "parquet"])
@pytest.mark.parametrize("question,keywords", QUESTIONS, ids=[f"{q}-{i}" for i, (q, _) in enumerate(QUESTIONS)])
def test_duckdb_frames_equal_sqlite_frames(fleet, engine, question, keywords):
    want = getattr(fleet["reference"], question)(**keywords)
    got = getattr(fleet["engines"][engine], question)(**keywords)
    assert len(want) > 0
    assert_same_frame(got, want)


def test_merged_answer_counts_every_file(fleet):
    """The merge is real: every file's calls are in the total, and colliding ids stay apart."""
    calls = sum(memlab.open(p).count("cost_tracking") for p in fleet["paths"])
    got = fleet["engines"]["files"].cost_by_model()
    assert got["requests"].sum() == calls
    agents = fleet["engines"]["files"].agent_performance(agent="clock-watcher")
    assert agents["calls"].tolist() == [FILES]  # one per file, each with id-linked cost of its own file only
    linked = fleet["reference"].agent_performance(agent="clock-watcher")["cost_usd"]
    assert agents["cost_usd"].tolist() == pytest.approx(linked.tolist())


def test_dst_day_buckets_are_local_days(fleet):
    got = fleet["engines"]["parquet"].cost_by_model(period="day", tz="Europe/Berlin", since="2026-03-29",
                                                    until="2026-03-30")
    (bucket,) = got["bucket"].unique()
    assert str(bucket) == "2026-03-29 00:00:00+01:00"
    assert (bucket + pd.Timedelta(hours=23)).tz_convert("Europe/Berlin").hour == 0  # a 23-hour day


# -- the export ------------------------------------------------------------------------------------


def test_parquet_files_have_the_documented_schema(fleet):
    lake = fleet["root"] / "lake"
    written = {name: sorted((lake / name).glob("month=*/*.parquet")) for name in TABLES}
    assert sum(bool(files) for files in written.values()) >= 8  # a small history may have no handoffs
    for name, table in TABLES.items():
        for file in written[name]:
            assert pq.read_schema(file).remove_metadata() == arrow_schema(table), file
            assert file.stem in {"db0", "db1", "db2"}


def test_lake_views_have_the_declared_types(fleet):
    con = fleet["engines"]["files"].engine.con
    for name, table in TABLES.items():
        described = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall())
        assert described == {c: t.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE") for c, t in table.columns.items()}


def test_messages_carry_their_session_user_and_project(fleet):
    lake = fleet["root"] / "lake"
    exported = pd.concat(pd.read_parquet(f) for f in sorted((lake / "messages").glob("month=*/db1.parquet")))
    conn = sqlite3.connect(fleet["paths"][1])
    want = pd.read_sql_query("""SELECT m.id, c.session_id, s.user_id, s.project_id FROM messages m
        JOIN conversations c USING (conversation_id) JOIN sessions s USING (session_id) ORDER BY m.id""", conn)
    conn.close()
    got = exported.sort_values("id")[["id", "session_id", "user_id", "project_id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def _copy(fleet, tmp_path) -> tuple[list[Path], Path]:
    paths = []
    for p in fleet["paths"][:2]:
        shutil.copy(p, tmp_path / p.name)
        paths.append(tmp_path / p.name)
    return paths, tmp_path / "lake"


def test_rerun_writes_nothing_when_nothing_changed(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    first = export_parquet(paths, lake, progress=False)
    assert sum(r["rows_written"] for r in first) > 0
    again = export_parquet(paths, lake, progress=False)
    assert sum(r["rows_written"] for r in again) == 0 and sum(r["months_written"] for r in again) == 0


def test_rerun_writes_only_the_changed_month_and_removes_emptied_ones(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    export_parquet(paths, lake, progress=False)
    january = lake / "cost_tracking" / "month=2026-01" / "db0.parquet"
    before = january.stat().st_mtime_ns
    with memlab.open(paths[0]) as db:
        db.costs.record("dst-1", "gpt-4.1", input_tokens=5, created_at="2026-11-02T10:00:00Z")
        db.execute("DELETE FROM memory_metrics WHERE created_at >= '2026-10-01'")
    summary = {(r["source_db"], r["table"]): r for r in export_parquet(paths, lake, progress=False)}
    assert summary[("db0", "cost_tracking")]["months_written"] == 1
    assert summary[("db0", "cost_tracking")]["rows_written"] == 1
    assert summary[("db0", "memory_metrics")]["months_removed"] == 1
    assert not (lake / "memory_metrics" / "month=2026-10" / "db0.parquet").exists()
    assert (lake / "memory_metrics" / "month=2026-10" / "db1.parquet").exists()
    assert all(r["months_written"] == 0 for k, r in summary.items() if k[0] == "db1")
    assert january.stat().st_mtime_ns == before
    with Analytics.over_parquet(lake) as parquet, Analytics.over_files(paths) as files:
        assert_same_frame(parquet.cost_by_model(period="month"), files.cost_by_model(period="month"))
        assert_same_frame(parquet.metric_percentiles(), files.metric_percentiles())


def test_an_edit_in_place_is_seen(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    export_parquet(paths, lake, progress=False)
    with memlab.open(paths[1]) as db:  # same length, same count: only the content hash tells
        db.execute("UPDATE messages SET content = upper(content) WHERE id = 1")
    summary = {(r["source_db"], r["table"]): r for r in export_parquet(paths, lake, progress=False)}
    assert summary[("db1", "messages")]["months_written"] == 1
    assert sum(r["months_written"] for r in summary.values()) == 1


def test_since_exports_whole_months_from_then_and_keeps_earlier_ones(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    export_parquet(paths[:1], lake, since="2026-10-25", progress=False)
    months = {p.parent.name for p in (lake / "cost_tracking").glob("*/*.parquet")}
    assert months == {"month=2026-10"}
    october = pd.read_parquet(lake / "cost_tracking" / "month=2026-10" / "db0.parquet")
    assert october["created_at"].min() < pd.Timestamp("2026-10-25", tz="UTC")  # the whole month
    export_parquet(paths[:1], lake, progress=False)
    assert {p.parent.name for p in (lake / "cost_tracking").glob("*/*.parquet")} == {
        "month=2026-01", "month=2026-03", "month=2026-10"}
    summary = export_parquet(paths[:1], lake, since="2026-10-01", progress=False)
    assert sum(r["months_removed"] + r["months_written"] for r in summary) == 0
    assert (lake / "cost_tracking" / "month=2026-01" / "db0.parquet").exists()
    assert (lake / STATE).exists()


def test_export_reads_without_writing(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    before = [p.read_bytes() for p in paths]
    export_parquet(paths, lake, progress=False)
    assert [p.read_bytes() for p in paths] == before


# -- errors ----------------------------------------------------------------------------------------


def test_two_files_with_one_name_are_refused(fleet, tmp_path):
    (tmp_path / "a").mkdir()
    shutil.copy(fleet["paths"][0], tmp_path / "a" / "db0.db")
    with pytest.raises(ValidationError, match="both named 'db0'"):
        Analytics.over_files([fleet["paths"][0], tmp_path / "a" / "db0.db"])
    with pytest.raises(ValidationError, match="both named 'db0'"):
        export_parquet([fleet["paths"][0], tmp_path / "a" / "db0.db"], tmp_path / "lake", progress=False)


def test_missing_and_foreign_files_give_clear_errors(tmp_path):
    with pytest.raises(DatabaseFileError, match="no memlab database file 'nope.db'"):
        Analytics.over_files([tmp_path / "nope.db"])
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatabaseFileError, match="'other.db' is not a memlab database"):
        Analytics.over_files([other])
    with pytest.raises(DatabaseFileError, match="no Parquet export folder"):
        Analytics.over_parquet(tmp_path / "lake")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatabaseFileError, match="holds no memlab Parquet export"):
        Analytics.over_parquet(tmp_path / "empty")


def test_without_the_extra_the_error_names_it(fleet, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'memlab\[duckdb\]'"):
        Analytics.over_files(fleet["paths"])
    result = CliRunner().invoke(cli, ["report", "cost", "--parquet", str(fleet["root"] / "lake")])
    assert result.exit_code == 1 and "pip install 'memlab[duckdb]'" in result.output


def test_sqlite_scanner_loads_without_network(fleet):
    """The scanner comes from its PyPI package: reading memlab files works with no network at all."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("no network namespace to run in (unshare -n)")
    code = ("import sys; from memlab.analytics import Analytics; "
            "a = Analytics.over_files(sys.argv[1:]); print(int(a.cost_by_model()['requests'].sum()))")
    out = subprocess.run(["unshare", "-n", sys.executable, "-c", code, *map(str, fleet["paths"])],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == fleet["reference"].cost_by_model()["requests"].sum()


# -- the CLI ---------------------------------------------------------------------------------------


def test_cli_export_then_report_from_parquet_and_from_files(fleet, tmp_path):
    paths, lake = _copy(fleet, tmp_path)
    runner = CliRunner()
    args = [a for p in paths for a in ("--db", str(p))]
    exported = runner.invoke(cli, ["export", "parquet", *args, str(lake)])
    assert exported.exit_code == 0, exported.output
    assert exported.output.splitlines()[0].startswith("db0: ") and "written" in exported.output
    from_parquet = runner.invoke(cli, ["report", "metrics", "--parquet", str(lake), "--format", "csv"])
    from_files = runner.invoke(cli, ["report", "metrics", *args, "--format", "csv"])
    assert from_parquet.exit_code == 0 and from_files.exit_code == 0, from_parquet.output + from_files.output
    frames = [pd.read_csv(io.StringIO(r.output)) for r in (from_parquet, from_files)]
    pd.testing.assert_frame_equal(*frames, check_exact=False, rtol=1e-9)  # means: float rounding apart
    assert "search_latency" in frames[0]["metric_name"].tolist()


def test_cli_refuses_db_and_parquet_together(fleet):
    result = CliRunner().invoke(cli, ["report", "--db", str(fleet["paths"][0]), "--parquet",
                                      str(fleet["root"] / "lake")])
    assert result.exit_code == 2 and "not both" in result.output


# -- docs and the benchmark ------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "parquet.md"


def test_the_documented_schema_is_the_declared_one():
    text = DOCS.read_text(encoding="utf-8")
    kinds = {"VARCHAR": "string (UTF-8)", "BIGINT": "int64", "DOUBLE": "double", "BOOLEAN": "boolean",
             "TIMESTAMPTZ": "timestamp[us, UTC]"}
    for name, table in TABLES.items():
        section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert f"month of `{table.time}`" in section, name
        listed = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
        assert [(c.strip().strip("`"), k.strip()) for c, k in listed] == [
            (c, kinds[k]) for c, k in table.columns.items()], name


def test_the_benchmark_runs_at_a_tiny_scale_and_every_engine_agrees(tmp_path):
    from memlab.bench import runner

    report = runner.run(None, only=["lake"], messages=200, db_dir=tmp_path, progress=False)
    assert not report.errors
    rows = report.rows
    assert rows[0].operation.startswith("export parquet") and rows[0].memlab.per_s > 0
    engines = [r for r in rows[1:]]
    assert len(engines) == 9 and all(r.extra["same"] for r in engines)
    assert all(r.memlab.p50_ms > 0 and r.raw.p50_ms > 0 for r in engines)


def test_report_reads_memlab_db_whole_even_with_spaces(fleet, tmp_path, monkeypatch):
    spaced = tmp_path / "my files" / "db1.db"
    spaced.parent.mkdir()
    shutil.copy(fleet["paths"][1], spaced)
    monkeypatch.setenv("MEMLAB_DB", str(spaced))
    result = CliRunner().invoke(cli, ["report", "cost", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "mystery-local" in result.output
