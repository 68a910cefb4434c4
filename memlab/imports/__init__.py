"""Importers: bring histories other tools keep on disk into memlab's tables.

    from memlab.imports import import_claude_code, import_jsonl, import_llm_logs
    report = import_claude_code(db)            # ~/.claude/projects by default
    print(report.summary())                    # rows added per table, duplicates, malformed lines

Each importer is incremental and idempotent: it remembers how far it read each source file
(``import_files``) and which of the source's ids it stored (``import_keys``), so running it
again adds only what is new.
"""

from __future__ import annotations

from .report import ImportReport, Malformed

__all__ = ["ImportReport", "Malformed", "import_claude_code", "import_jsonl", "import_llm_logs"]


def __getattr__(name: str):
    if name == "import_claude_code":
        from .claude_code import import_claude_code

        return import_claude_code
    if name == "import_jsonl":
        from .jsonl import import_jsonl

        return import_jsonl
    if name == "import_llm_logs":
        from .llm_logs import import_llm_logs

        return import_llm_logs
    raise AttributeError(f"module 'memlab.imports' has no attribute {name!r}")
