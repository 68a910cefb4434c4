"""Every ```python block of README.md runs, so the examples stay true (as sqlite-utils and llm
test their documentation).

The README is cut into sections at its ``##``/``###`` headings; the test of a section runs, in a
fresh temporary folder, every python block from the top of the README down to and including
that section's, in order: a section may use what an earlier one made (``db``). A block whose
first line is ``# requires: NAME`` (a module, e.g. ``duckdb``) is skipped when that optional
extra is not installed, and only then; nothing else skips.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
HEADING = re.compile(r"^(#{2,3}) (.+)$", re.M)
REQUIRES = re.compile(r"^# requires: ([\w.]+(?:\s*,\s*[\w.]+)*)\s*$")


def blocks() -> list[tuple[str, int, str]]:
    """(section heading, line number, code) of every python block, in README order."""
    text = README.read_text(encoding="utf-8")
    headings = [(m.start(), m.group(2).strip()) for m in HEADING.finditer(text)]
    found = []
    for m in FENCE.finditer(text):
        section = next((title for start, title in reversed(headings) if start < m.start()), "(top)")
        found.append((section, text.count("\n", 0, m.start(1)) + 1, m.group(1)))
    return found


def sections() -> list[str]:
    return list(dict.fromkeys(section for section, _, _ in blocks()))


def missing_extras(code: str) -> list[str]:
    """The modules a ``# requires:`` first line names that can't be imported here."""
    first = code.splitlines()[0] if code.strip() else ""
    match = REQUIRES.match(first)
    if not match:
        return []
    return [name.strip() for name in match.group(1).split(",") if importlib.util.find_spec(name.strip()) is None]


def test_the_readme_has_python_examples():
    assert len(blocks()) >= 5


@pytest.mark.parametrize("section", sections())
def test_readme_section_runs(section, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MEMLAB_DB", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "readme"}
    upto = sections().index(section)
    for title, line, code in blocks():
        if sections().index(title) > upto:
            break
        missing = missing_extras(code)
        if missing:
            if title == section:
                pytest.skip(f"README.md:{line} needs {', '.join(missing)} (an optional extra, not installed)")
            continue
        exec(compile(code, f"README.md:{line}", "exec"), namespace)
    db = namespace.get("db")
    if db is not None:
        db.close()
