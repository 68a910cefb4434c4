"""Redaction: mask credentials and e-mail addresses in free text before memlab stores it.

    db = memlab.open("memlab.db", redact=memlab.redact.default_redactor)

memlab stores text unencrypted; a redactor is a plain ``str -> str`` function applied to
message content, conversation titles, interaction tasks and errors, routing requests and
reasoning, and handoff summaries. Patterns follow the providers' published key formats.
"""

from __future__ import annotations

import re

# (label, pattern). Order matters: the more specific key formats come before the general ones.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{8,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("bearer-token", r"\b(?i:bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"),
    ("email", r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"),
)

_COMBINED = re.compile("|".join(f"(?P<{label.replace('-', '_')}>{p})" for label, p in PATTERNS))


def _mask(match: re.Match[str]) -> str:
    return f"[REDACTED:{match.lastgroup.replace('_', '-')}]"


def default_redactor(text: str) -> str:
    """Replace API keys (Anthropic, OpenAI, AWS, GitHub, Slack), bearer tokens and e-mail
    addresses with ``[REDACTED:<kind>]``; everything else is kept as it was."""
    return _COMBINED.sub(_mask, text)
