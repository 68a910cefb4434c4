"""`memlab bench` and its runner: table, JSON, plug-in modules, upkeep and peers rows.

Nothing here checks a speed: figures are measured, not asserted. The runs are CI-sized
(a few hundred messages) so the whole file takes seconds.
"""

from __future__ import annotations

import json
import random
import sys

import pytest
from click.testing import CliRunner

import memlab
import memlab.bench
from memlab.bench import Figures, Row, peers, runner, upkeep
from memlab.bench.write import message_text
from memlab.cli import cli


def _small_db(path, conversations: int = 12, per: int = 10):
    """A database of ``conversations`` x ``per`` messages written through the API."""
    rng = random.Random(1)
    with memlab.open(path) as db:
        rows = []
        for s in range(conversations // 4 or 1):
            db.sessions.create(f"s{s}")
        for c in range(conversations):
            db.conversations.create(f"s{c % (conversations // 4 or 1)}", f"c{c}")
            rows += [{"conversation_id": f"c{c}", "role": ("user", "assistant")[i % 2],
                      "content": message_text(rng, 40)} for i in range(per)]
        db.messages.add_many(rows)
    return path


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """A folder on memlab.bench's path, so a module written there is found by name."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.setattr(memlab.bench, "__path__", [*memlab.bench.__path__, str(folder)])
    yield folder
    for name in [n for n in sys.modules if n.startswith("memlab.bench.probe")]:
        del sys.modules[name]


def test_bench_write_prints_the_table_and_writes_json_with_ratios(tmp_path):
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["bench", "--messages", "200", "--only", "write", "--json", str(out),
                                      "--db-dir", str(tmp_path / "bench-out"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "add one message + commit" in result.output and "memlab/raw" in result.output
    data = json.loads(out.read_text())
    assert {r["operation"].split(" (")[0] for r in data["rows"]} >= {"create a database", "add one message + commit"}
    assert all(isinstance(r["ratio"], float) and r["ratio"] > 0 for r in data["rows"])


def test_json_records_the_machine_and_the_scale(tmp_path):
    out = tmp_path / "out.json"
    CliRunner().invoke(cli, ["bench", "--messages", "200", "--only", "write", "--json", str(out),
                             "--db-dir", str(tmp_path), "--quiet"])
    data = json.loads(out.read_text())
    assert data["messages"] == 200 and data["modules"] == ["write"]
    assert {"cpu_count", "cpu_model", "memory_bytes", "python", "sqlite", "memlab", "date"} <= set(data["machine"])


def test_markdown_page_has_the_machine_the_table_and_how_to_read_it(tmp_path):
    page = tmp_path / "benchmarks.md"
    result = CliRunner().invoke(cli, ["bench", "--messages", "200", "--only", "write", "--markdown", str(page),
                                      "--db-dir", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert text.startswith("# memlab benchmarks\n")
    assert "200 messages (scale 200, seed 0)" in text and "SQLite " in text and "CPUs" in text
    assert "| create | create a database |" in text
    assert runner.RATIO_NOTE in text


def test_write_alone_does_not_build_the_generated_database(tmp_path):
    runner.run(None, only=["write"], messages=200, db_dir=tmp_path, progress=False)
    assert not list(tmp_path.glob("synth-*.db"))


def test_scratch_files_go_unless_kept(tmp_path):
    runner.run(None, only=["write"], messages=200, db_dir=tmp_path / "a", progress=False)
    runner.run(None, only=["write"], messages=200, db_dir=tmp_path / "b", keep=True, progress=False)
    assert not list((tmp_path / "a").glob("scratch-*"))
    assert list((tmp_path / "b").glob("scratch-*/write"))


def test_an_unknown_module_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--only", "nosuch", "--db-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "unknown benchmark 'nosuch'" in result.output and "write" in result.output


def test_an_unknown_scale_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--scale", "2m", "--db-dir", str(tmp_path)])
    assert result.exit_code == 2 and "2m" in result.output


def test_a_module_added_later_is_found_by_name_and_given_what_it_asks_for(plugin, tmp_path):
    (plugin / "probe.py").write_text(
        "from memlab.bench import Figures, Row\n"
        "def run(messages, scale, workdir, rounds=3):\n"
        "    return [Row('probe', f'{messages} {scale} {workdir.is_dir()} {rounds}', Figures(samples=1, p50_ms=1.0))]\n"
    )
    assert "probe" in runner.available()
    report = runner.run("1k", only=["probe"], db_dir=tmp_path, progress=False)
    assert [r.operation for r in report.rows] == ["1000 1k True 3"]


def test_a_failing_module_is_reported_and_the_others_still_run(plugin, tmp_path):
    (plugin / "probe_fail.py").write_text("def run():\n    raise RuntimeError('boom')\n")
    (plugin / "probe_ok.py").write_text(
        "from memlab.bench import Figures, Row\n"
        "def run():\n    return [Row('probe', 'ok', Figures(samples=1, per_s=5.0))]\n"
    )
    report = runner.run("1k", only=["probe_fail", "probe_ok"], db_dir=tmp_path, progress=False)
    assert report.errors == {"probe_fail": "RuntimeError: boom"}
    assert [r.operation for r in report.rows] == ["ok"]


def test_a_module_asking_for_something_not_offered_fails_clearly(plugin, tmp_path):
    (plugin / "probe_needy.py").write_text("def run(wishes):\n    return []\n")
    report = runner.run("1k", only=["probe_needy"], db_dir=tmp_path, progress=False)
    assert "needs 'wishes'" in report.errors["probe_needy"]


def test_the_cli_exits_1_when_a_module_failed(plugin, tmp_path):
    (plugin / "probe_fail2.py").write_text("def run():\n    raise RuntimeError('boom')\n")
    result = CliRunner().invoke(cli, ["bench", "--only", "probe_fail2", "--db-dir", str(tmp_path), "--quiet"])
    assert result.exit_code == 1 and "probe_fail2 failed: RuntimeError: boom" in result.output


def test_the_seed_target_for_one_insert_is_checked_beside_the_rows_own():
    row = Row("write", "add one message + commit", Figures(samples=10, per_s=800.0), Figures(samples=10, per_s=900.0),
              target=">= 0.9x raw", met=True)
    runner.apply_seed_target(row)
    assert (row.target, row.met) == (">= 0.9x raw", True)
    assert row.extra["seed_met"] is False and "1 ms" in row.extra["seed_target"]


def test_a_search_row_without_a_target_gets_the_seeds():
    row = Row("search", "rare word", Figures(samples=10, p50_ms=2.0, p95_ms=12.0, p99_ms=20.0))
    runner.apply_seed_target(row)
    assert row.target.startswith("p95 < 10 ms") and row.met is False


def test_the_table_shows_a_dash_where_there_is_no_raw_figure():
    table = runner.format_table([Row("peers", "x: keyword search", Figures(samples=5, p50_ms=1.0, p95_ms=2.0,
                                                                          p99_ms=3.0), None, notes="no search")])
    line = table.splitlines()[2]
    assert "1.00 / 2.00 / 3.00 ms" in line and line.count("—") == 2


def test_upkeep_measures_each_operation_beside_raw(tmp_path):
    db_path = _small_db(tmp_path / "small.db")
    (tmp_path / "work").mkdir()
    rows = upkeep.run(db_path, tmp_path / "work", messages=120)
    assert [r.operation for r in rows] == [
        "newest 10 messages of a session", "newest 10 messages of a conversation",
        "backup (online copy)", "compacted copy (VACUUM INTO)", "vacuum the database",
    ]
    assert all(r.raw is not None and r.ratio > 0 for r in rows)
    assert list((tmp_path / "work").iterdir()) == []  # copies are removed


def test_upkeep_vacuum_leaves_every_message(tmp_path):
    db_path = _small_db(tmp_path / "small.db")
    upkeep.bench_vacuum(db_path, rounds=2)
    with memlab.open(db_path) as db:
        assert db.count("messages") == 120 and db.integrity_check() == []


def test_the_peer_workload_keeps_conversations_in_order(tmp_path):
    w = peers.load_workload(_small_db(tmp_path / "small.db"), 35)
    assert [(cid, len(items)) for cid, items in w.conversations] == [("c0", 10), ("c1", 10), ("c2", 10), ("c3", 5)]
    assert w.single == 17 and w.queries and set(w.recent_ids) <= {"c0", "c1", "c2", "c3"}


def test_peers_that_are_not_installed_are_reported_and_skipped(tmp_path, monkeypatch):
    for module in ("agents", "langgraph.store.sqlite", "llm"):
        monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    (tmp_path / "work").mkdir()
    rows = peers.run(_small_db(tmp_path / "small.db"), tmp_path / "work", messages=120)
    assert [r.operation for r in rows] == ["OpenAI Agents SQLiteSession", "LangGraph SqliteStore", "llm logs database"]
    assert all("not installed" in r.notes and r.raw is None and r.ratio is None for r in rows)
    assert "not installed" in runner.format_table(rows)


def test_an_installed_peer_gets_figures_and_a_dash_where_it_cannot(tmp_path):
    pytest.importorskip("agents")  # the optional [peers] extra; CI installs [dev] only
    (tmp_path / "work").mkdir()
    rows = peers.run(_small_db(tmp_path / "small.db"), tmp_path / "work", messages=120, peers=("openai-agents",))
    by_op = {r.operation.split(": ", 1)[1]: r for r in rows}
    assert by_op[peers.ADD_ONE].raw.per_s > 0 and by_op[peers.RECENT].raw.p50_ms > 0
    assert peers.SEARCH not in by_op or by_op[peers.SEARCH].raw is None


def test_speedup_reads_rates_and_latencies_the_same_way():
    from memlab.bench.plots import speedup

    faster_rate = Row("w", "a", Figures(samples=1, per_s=200.0), Figures(samples=1, per_s=100.0))
    faster_latency = Row("w", "b", Figures(samples=1, p50_ms=1.0), Figures(samples=1, p50_ms=2.0))
    assert speedup(faster_rate) == speedup(faster_latency) == 2.0
    assert speedup(Row("w", "c", Figures(samples=1, p50_ms=1.0), None)) is None


def test_the_plots_draw_one_bar_per_compared_row_and_two_boxes_per_sampled_row():
    import matplotlib

    matplotlib.use("Agg")
    from memlab.bench import plots

    rows = [
        Row("w", "a", Figures(samples=1, per_s=200.0), Figures(samples=1, per_s=100.0)),
        Row("w", "b", Figures(samples=1, p50_ms=1.0), None),
        Row("u", "c", Figures(samples=3, p50_ms=1.0), Figures(samples=3, p50_ms=2.0),
            extra={"samples_ms": {"memlab": [1.0, 1.1, 0.9], "raw": [2.0, 2.1, 1.9]}}),
    ]
    bars = plots.speed_against_raw(rows).axes[0]
    boxes = plots.latency_distributions(rows).axes[0]
    assert [t.get_text() for t in bars.get_yticklabels()] == ["u: c", "w: a"]
    assert [t.get_text() for t in boxes.get_yticklabels()] == ["c (raw)", "c (memlab)"]


def test_the_markdown_table_has_a_line_per_row_and_escapes_pipes():
    md = runner.format_markdown([Row("a", "x|y", Figures(samples=2, per_s=10.0), Figures(samples=2, per_s=5.0))])
    lines = md.splitlines()
    assert len(lines) == 3 and "x\\|y" in lines[2] and "2.00x" in lines[2]


def test_tiny_ratios_keep_two_significant_digits():
    row = Row("search", "q", Figures(samples=1, p50_ms=2.0), Figures(samples=1, p50_ms=1000.0))
    assert "0.002x" in runner.format_table([row])
