"""The demo: a generated database, the dashboard notebook run against it, a standalone HTML report.

``memlab demo`` and the dashboard notebook share these functions, so the notebook stays thin
and the command and the notebook show the same thing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .migrations import TABLES

if TYPE_CHECKING:
    from .database import Database

# The demo history: a month of a small team's agent work, generated in a few seconds.
DEMO_MESSAGES = 5_000
DEMO_DAYS = 30
DEMO_SEED = 0

REPORT_NAME = "memlab-report.html"


def is_empty(db: "Database") -> bool:
    """True when no memlab table has a row (a new file, or one only ``memlab init`` touched)."""
    return not any(db.count(table) for table in TABLES)


def ensure_demo(db: "Database", *, progress: bool | None = None) -> bool:
    """Fill an empty database with the demo history; leave one that has data as it is.

    Returns True when it generated. Running twice therefore reuses the first run's data, and
    pointing it at your own database reports on your data.
    """
    if not is_empty(db):
        return False
    from .synth import generate

    generate(db, messages=DEMO_MESSAGES, days=DEMO_DAYS, seed=DEMO_SEED, progress=progress)
    return True


_FRESH: dict[str, Path] = {}


def dashboard_database() -> "Database":
    """The database the dashboard reads: ``$MEMLAB_DB`` if set, else a freshly generated demo
    database in a temporary folder (made once per process)."""
    import memlab

    path = os.environ.get("MEMLAB_DB")
    if path:
        return memlab.open(path, create=False)
    if "path" not in _FRESH:
        folder = Path(tempfile.mkdtemp(prefix="memlab-demo-"))
        _FRESH["path"] = folder / "demo.db"
        with memlab.open(_FRESH["path"]) as db:
            ensure_demo(db, progress=False)
    return memlab.open(_FRESH["path"])


def notebook_path(name: str = "dashboard") -> Path:
    """Where the shipped notebook ``<name>.ipynb`` is (``notebooks/`` in the checkout, installed
    as ``memlab.notebooks``)."""
    from importlib import resources

    path = Path(str(resources.files("memlab.notebooks").joinpath(f"{name}.ipynb")))
    if not path.is_file():
        raise FileNotFoundError(f"memlab ships no notebook named {name!r}")
    return path


def render_dashboard(db_path: str | os.PathLike[str], report: str | os.PathLike[str], *, timeout: int = 600,
                     progress: bool | None = None) -> Path:
    """Run the dashboard notebook against ``db_path`` and write it, outputs included, as one
    standalone HTML file (plots embedded) at ``report``; a bar counts the cells run."""
    from .progress import bar as progress_bar

    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.read(notebook_path("dashboard"), as_version=4)
    env = {**os.environ, "MEMLAB_DB": str(Path(db_path).resolve())}
    with tempfile.TemporaryDirectory(prefix="memlab-run-") as workdir:
        # IPC sockets in a private temporary folder: no TCP port, no "unencrypted" warning.
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(workdir) / "kernel"))
        cells = progress_bar(total=sum(c.cell_type == "code" for c in notebook.cells), desc="dashboard",
                             unit="cell", progress=progress)
        client = NotebookClient(notebook, km=manager, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": workdir}},
                                on_cell_executed=lambda **_: cells.update())
        try:
            client.execute(env=env)
        finally:
            cells.close()
            if manager.has_kernel:
                manager.shutdown_kernel()
    html, _ = HTMLExporter().from_notebook_node(notebook)
    return write_report(html, report)


def write_report(html: str, report: str | os.PathLike[str]) -> Path:
    """Write the HTML report 0600, like every file memlab writes: it names users and projects and
    shows costs. Written beside the target and moved into place, so a wider-open old one goes too."""
    target = Path(report)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(html)
    os.replace(partial, target)
    return target


def summary(db: "Database") -> dict:
    """The few figures ``memlab demo`` prints: activity, spend and the costliest models."""
    activity = db.query_one(
        "SELECT (SELECT COUNT(*) FROM sessions) AS sessions,"
        " (SELECT COUNT(DISTINCT user_id) FROM sessions) AS users,"
        " (SELECT COUNT(*) FROM conversations) AS conversations,"
        " (SELECT COUNT(*) FROM messages) AS messages,"
        " (SELECT MIN(created_at) FROM sessions) AS first,"
        " (SELECT MAX(last_active_at) FROM sessions) AS last"
    )
    spend = db.query_one(
        "SELECT COUNT(*) AS calls, COALESCE(SUM(cost_usd), 0) AS cost_usd,"
        " SUM(cost_usd IS NULL) AS unpriced_calls FROM cost_tracking"
    )
    models = db.query(
        "SELECT model, COUNT(*) AS calls, SUM(cost_usd) AS cost_usd FROM cost_tracking"
        " GROUP BY model ORDER BY SUM(cost_usd) IS NULL, SUM(cost_usd) DESC, model LIMIT 3"
    )
    agents = db.query_one(
        "SELECT COUNT(*) AS interactions, AVG(status = 'success') AS success_rate FROM agent_interactions"
    )
    return {**activity, **spend, "top_models": models, **agents}
