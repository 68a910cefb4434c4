"""Argument checks shared by the write API: each returns the clean value or raises ValidationError.

Checks happen before any SQL runs, so a rejected call writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Collection

from .clock import to_iso
from .errors import ValidationError

MAX_ID_LENGTH = 512
MAX_INTEGER = 2**63 - 1  # SQLite's INTEGER is 64-bit signed
# Deeper JSON can't be read back reliably: Python's decoder recurses once per level.
MAX_JSON_DEPTH = 256
# One encoder for every JSON column: json.dumps with options builds a new one per call (slow in bulk).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
# JSONEncoder.encode also makes a new C encoder on every call, which costs as much as encoding a
# small object: make the same one once. Without markers it skips the check for cycles: a cycle
# recurses to RecursionError, and _ENCODER then says which error it is.
_ENCODE = None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)


def identifier(field: str, value: Any) -> str:
    """A non-empty id string (session, conversation, user, ...)."""
    if (value.__class__ is str and value.isascii() and len(value) <= MAX_ID_LENGTH and value.strip()
            and "\x00" not in value):
        return value  # the common case in one test: bulk loaders check two or three ids a row
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise ValidationError(f"{field} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(f"{field} is longer than {MAX_ID_LENGTH} characters")
    if "\x00" in value:
        # SQLite's length() and C tools stop at NUL: such an id would fail checks or truncate.
        raise ValidationError(f"{field} must not contain NUL characters")
    return text(field, value)


def optional_identifier(field: str, value: Any) -> str | None:
    return None if value is None else identifier(field, value)


def text(field: str, value: Any) -> str:
    """A string that SQLite can store as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, not {type(value).__name__}")
    if value.isascii():
        return value  # ASCII always encodes: skip copying it
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError(f"{field} is not valid Unicode ({e.reason} at position {e.start})") from None
    return value


def optional_text(field: str, value: Any) -> str | None:
    return None if value is None else text(field, value)


def choice(field: str, value: Any, choices: Collection[str]) -> str:
    """One of a fixed set of strings (role, status, outcome)."""
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(f"{field} must be one of {', '.join(sorted(choices))}; got {value!r}")
    return value


def count(field: str, value: Any) -> int:
    """A non-negative whole number (token counts)."""
    if value.__class__ is int and 0 <= value <= MAX_INTEGER:
        return value  # the common case, checked first: bulk imports call this per token kind
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValidationError(f"{field} must be a whole number, not {value!r}")
    if value < 0:
        raise ValidationError(f"{field} must not be negative; got {value}")
    if value > MAX_INTEGER:
        raise ValidationError(f"{field} is too large to store (more than {MAX_INTEGER})")
    return value


def number(field: str, value: Any) -> float:
    """A finite real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{field} must be a number, not {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:
        raise ValidationError(f"{field} is too large to store as a number") from None
    if not math.isfinite(value):
        raise ValidationError(f"{field} must be finite; got {value}")
    return value


def non_negative(field: str, value: Any) -> float:
    value = number(field, value)
    if value < 0:
        raise ValidationError(f"{field} must not be negative; got {value}")
    return value


def optional_non_negative(field: str, value: Any) -> float | None:
    return None if value is None else non_negative(field, value)


def probability(field: str, value: Any) -> float:
    """A number between 0 and 1 (confidence)."""
    value = number(field, value)
    if not 0 <= value <= 1:
        raise ValidationError(f"{field} must be between 0 and 1; got {value}")
    return value


def optional_probability(field: str, value: Any) -> float | None:
    return None if value is None else probability(field, value)


def json_text(field: str, value: Any) -> str | None:
    """Serialise a JSON value (dict, list, str, number, bool) for a JSON column; None stays NULL."""
    if value is None:
        return None
    try:
        encoded = "".join(_ENCODE(value, 0)) if _ENCODE is not None else _ENCODER.encode(value)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"{field} is not JSON-serialisable: {e}") from None
    except RecursionError:
        encoded = _encode_checked(field, value)
    # Counting brackets is a cheap upper bound on depth (more levels than the limit take more
    # brackets than that, each opened and closed); walk the value only when it might be deep.
    if encoded is None or (
        len(encoded) > 2 * MAX_JSON_DEPTH
        and encoded.count("[") + encoded.count("{") > MAX_JSON_DEPTH
        and _depth_exceeds(value, MAX_JSON_DEPTH)
    ):
        raise ValidationError(f"{field} is nested too deeply to store as JSON (limit {MAX_JSON_DEPTH} levels)")
    if not encoded.isascii():
        text(field, encoded)  # lone surrogates can't be stored as UTF-8
    return encoded


def _encode_checked(field: str, value: Any) -> str | None:
    """The value encoded with the check for cycles; None when it nests too deeply to encode."""
    try:
        return _ENCODER.encode(value)
    except ValueError as e:  # "Circular reference detected"
        raise ValidationError(f"{field} is not JSON-serialisable: {e}") from None
    except RecursionError:
        return None


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists/dicts nest more than ``limit`` levels (iterative: no recursion limit)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def timestamp(field: str, value: Any) -> str:
    """A datetime, date or ISO-8601 string as memlab's UTC text."""
    if not isinstance(value, (str, dt.datetime, dt.date)):
        raise ValidationError(f"{field} must be a datetime or ISO-8601 string, not {type(value).__name__}")
    try:
        return to_iso(value)
    except (ValueError, OverflowError):
        raise ValidationError(f"{field} is not an ISO-8601 timestamp: {value!r}") from None
