"""What an import did: rows added per table, duplicates skipped, and every malformed line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Malformed:
    """A source line that could not be imported, named by file (relative to the import root) and line."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """Counts of one import run. ``added`` and ``duplicates`` are keyed by table name."""

    importer: str
    files: int = 0  # source files found
    files_read: int = 0  # files with something new since the last run
    lines: int = 0  # new lines (or rows) read
    unit: str = "lines"  # what ``lines`` counts
    added: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # lines not imported on purpose, by reason
    malformed: list[Malformed] = field(default_factory=list)
    grown: Counter = field(default_factory=Counter)  # stored rows a later sighting made larger, by table
    rewritten: list[str] = field(default_factory=list)  # files changed from their start: read again whole
    unpriced: Counter = field(default_factory=Counter)  # calls stored without a price, by model

    def bad(self, file: str, line: int | None, reason: str) -> None:
        """Note a line that could not be imported; the import goes on."""
        self.malformed.append(Malformed(file, line, reason))

    def summary(self) -> str:
        """A few readable lines, as the CLI prints them."""
        counts = ", ".join(f"{n:,} {table}" for table, n in sorted(self.added.items()) if n) or "nothing new"
        out = [f"{self.importer}: {self.files_read:,} of {self.files:,} files had new data, {self.lines:,} {self.unit} read",
               f"added: {counts}"]
        if any(self.duplicates.values()):
            out.append("already stored: " + ", ".join(f"{n:,} {k}" for k, n in sorted(self.duplicates.items()) if n))
        if any(self.grown.values()):
            out.append("updated with larger counts: " + ", ".join(f"{n:,} {k}" for k, n in sorted(self.grown.items()) if n))
        if any(self.skipped.values()):
            out.append("skipped: " + ", ".join(f"{n:,} {k}" for k, n in sorted(self.skipped.items()) if n))
        if self.unpriced:
            models = ", ".join(f"{m} ({n:,})" for m, n in sorted(self.unpriced.items()))
            out.append(f"unpriced: {sum(self.unpriced.values()):,} calls of models no price source knows: {models}")
        if self.rewritten:
            out.append(f"rewritten since the last import (read again from the start): {', '.join(self.rewritten)}")
        if self.malformed:
            out.append(f"malformed: {len(self.malformed):,} {self.unit}")
            out.extend(f"  {m}" for m in self.malformed)
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {
            "importer": self.importer,
            "files": self.files,
            "files_read": self.files_read,
            "lines": self.lines,
            "added": dict(self.added),
            "duplicates": dict(self.duplicates),
            "skipped": dict(self.skipped),
            "malformed": [{"file": m.file, "line": m.line, "reason": m.reason} for m in self.malformed],
            "grown": dict(self.grown),
            "rewritten": list(self.rewritten),
            "unpriced": dict(self.unpriced),
        }


