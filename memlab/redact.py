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

# A substring each kind can't match without: a fast ``in`` test skips most regex scans.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "anthropic-key": ("sk-ant-",),
    "openai-key": ("sk-",),
    "aws-access-key": ("AKIA", "ASIA"),
    "github-token": ("gh", "github_pat_"),
    "slack-token": ("xox",),
    "bearer-token": ("earer", "EARER"),
    "email": ("@",),
}
_COMPILED = tuple((label, _TRIGGERS[label], re.compile(p), f"[REDACTED:{label}]") for label, p in PATTERNS)


def default_redactor(text: str) -> str:
    """Replace API keys (Anthropic, OpenAI, AWS, GitHub, Slack), bearer tokens and e-mail
    addresses with ``[REDACTED:<kind>]``; everything else is kept as it was."""
    for _label, triggers, pattern, mask in _COMPILED:
        if any(t in text for t in triggers):
            text = pattern.sub(mask, text)
    return text
