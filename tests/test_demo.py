"""memlab demo: the demo database, the dashboard run against it, the HTML report, the summary."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import memlab
from memlab import demo
from memlab.cli import cli


def test_ensure_demo_fills_an_empty_database(db):
    assert demo.ensure_demo(db, progress=False) is True
    assert db.count("messages") == demo.DEMO_MESSAGES


def test_ensure_demo_leaves_a_database_with_data_alone(db):
    db.sessions.create("mine", user_id="me")
    assert demo.ensure_demo(db, progress=False) is False
    assert db.count("sessions") == 1 and db.count("messages") == 0


def test_summary_adds_up_the_database(db):
    demo.ensure_demo(db, progress=False)
    figures = demo.summary(db)
    assert figures["messages"] == db.count("messages")
    assert figures["calls"] == db.count("cost_tracking")
    total = db.query_one("SELECT SUM(cost_usd) AS c, SUM(cost_usd IS NULL) AS u FROM cost_tracking")
    assert figures["cost_usd"] == pytest.approx(total["c"])
    assert figures["unpriced_calls"] == total["u"] > 0
    assert [m["model"] for m in figures["top_models"]] == [
        r["model"] for r in db.query(
            "SELECT model FROM cost_tracking GROUP BY model ORDER BY SUM(cost_usd) DESC LIMIT 3")
    ]


def test_summary_of_an_empty_database_is_zeros(db):
    figures = demo.summary(db)
    assert figures["messages"] == figures["calls"] == 0
    assert figures["cost_usd"] == 0 and figures["top_models"] == []


def test_the_dashboard_notebook_ships_with_the_package():
    path = demo.notebook_path("dashboard")
    assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == "python3"


def test_an_unknown_notebook_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no notebook named 'nope'"):
        demo.notebook_path("nope")


def test_dashboard_database_reads_memlab_db(tmp_path, monkeypatch):
    path = tmp_path / "mine.db"
    with memlab.open(path) as db:
        db.sessions.create("mine")
    monkeypatch.setenv("MEMLAB_DB", str(path))
    with demo.dashboard_database() as db:
        assert db.count("sessions") == 1 and db.count("messages") == 0


@pytest.mark.slow
def test_demo_command_generates_reports_and_reuses_on_a_second_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEMLAB_DB", raising=False)
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--quiet"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("generated memlab.db: 5,000 messages")
    assert first.stderr.startswith("created memlab.db")
    report = (tmp_path / "memlab-report.html").read_text(encoding="utf-8")
    assert "<html" in report and "data:image/png;base64" in report
    assert "Traceback" not in report
    assert (tmp_path / "memlab-report.html").stat().st_mode & 0o777 == 0o600
    assert str(tmp_path / "memlab-report.html") in first.output
    second = runner.invoke(cli, ["demo", "--quiet"])
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("using memlab.db: 5,000 messages") and "created" not in second.stderr
    with memlab.open(tmp_path / "memlab.db") as db:
        assert db.count("messages") == demo.DEMO_MESSAGES


@pytest.mark.slow
def test_rendering_the_dashboard_shows_a_bar_of_its_cells(tmp_path, capsys):
    with memlab.open(tmp_path / "small.db") as db:
        from memlab.synth import generate

        generate(db, messages=200, days=3, seed=1, progress=False)
    demo.render_dashboard(tmp_path / "small.db", tmp_path / "r.html", progress=True)
    cells = sum(c["cell_type"] == "code" for c in __import__("json").loads(demo.notebook_path().read_text())["cells"])
    assert f"{cells}/{cells}" in capsys.readouterr().err and (tmp_path / "r.html").exists()


def test_the_report_is_written_private_even_over_a_wider_open_one(tmp_path):
    old = tmp_path / "memlab-report.html"
    old.write_text("old")
    old.chmod(0o644)
    path = demo.write_report("<html>costs</html>", old)
    assert path.read_text() == "<html>costs</html>" and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["memlab-report.html"]


def test_the_readme_redactor_is_reachable_after_a_plain_import():
    import subprocess
    import sys

    code = "import memlab; print(memlab.redact.default_redactor('mail me at a@b.example'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "a@b.example" not in out
