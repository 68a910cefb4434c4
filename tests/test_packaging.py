"""A plain (non-editable) install carries the SQL files (queries and frozen migrations) and runs
outside the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_sql_and_works_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("memlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("memlab/sql/")}
    assert {p.name for p in (ROOT / "sql").glob("*.sql")} <= shipped
    frozen = {Path(n).name for n in names if n.startswith("memlab/schema/")}
    assert {p.name for p in (ROOT / "memlab" / "schema").glob("*.sql")} <= frozen
    # and the DuckDB dialect below it (sql/duckdb/, sql/duckdb/tables/)
    nested = {n.removeprefix("memlab/sql/") for n in names if n.startswith("memlab/sql/duckdb/")}
    assert {p.relative_to(ROOT / "sql").as_posix() for p in (ROOT / "sql" / "duckdb").rglob("*.sql")} <= nested
    # every subpackage of memlab/ (the list in pyproject.toml is explicit), and the notebooks
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "memlab").glob("*/__init__.py")}
    assert packages <= {str(Path(n).parent) for n in names}
    assert "memlab/notebooks/dashboard.ipynb" in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )
    code = (
        "import memlab, sys; "
        "assert memlab.__file__.startswith(sys.argv[1]), memlab.__file__; "
        "db = memlab.open('w.db'); print(db.schema_version, sorted(db.stats()['tables'])[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == "agent_interactions"


def test_every_package_sits_where_its_name_says():
    """What makes the editable install a plain .pth entry (no import finder, no setuptools
    warning about folders named like the package): one root, no per-package directories."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config.get("package-dir", {"": "."}) == {"": "."}
    for package in config["packages"]:
        assert (ROOT.joinpath(*package.split(".")) / "__init__.py").is_file(), package
    assert (ROOT / "memlab" / "sql").resolve() == (ROOT / "sql").resolve()
    assert (ROOT / "memlab" / "notebooks").resolve() == (ROOT / "notebooks").resolve()
