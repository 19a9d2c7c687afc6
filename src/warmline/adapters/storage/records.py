"""Rules both stores share: JSON columns hold what `json` round-trips, times are aware UTC,
a conversation starts at its `started_at`, an earlier contact's reason comes from its
handoff's decision."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any


def _json_default(value: object) -> object:
    # Decisions and payloads may hold read-only mappings (MappingProxyType and friends).
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


dumps = partial(json.dumps, default=_json_default, separators=(",", ":"))


def as_json(value: Any) -> Any:
    """`value` as a JSON column gives it back: a deep copy with lists for tuples."""
    return json.loads(dumps(value))


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC. Naive times are refused: their zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()!r}: give it a time zone")
    return value.astimezone(UTC)


def maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def started_at(data: Mapping[str, Any], fallback: datetime | None) -> datetime | None:
    """When a stored conversation began: its SPEC §1 `started_at`, else `fallback`."""
    raw = data.get("started_at")
    value: datetime | None = None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = None
    if value is not None and value.tzinfo is not None:
        return as_utc(value)
    return maybe_utc(fallback)


def contact_reason(decision: Mapping[str, Any] | None) -> str | None:
    """What the earlier contact was about, in a rep's words: the question type, else the
    brief's intent, else the first trigger's name, else the first reason's code."""
    if not decision:
        return None
    signals = decision.get("signals")
    qt = signals.get("question_type") if isinstance(signals, Mapping) else None
    label = qt.get("label") if isinstance(qt, Mapping) else None
    if isinstance(label, str) and label:
        return label
    brief = decision.get("brief")
    intent = brief.get("intent") if isinstance(brief, Mapping) else None
    label = intent.get("label") if isinstance(intent, Mapping) else None
    if isinstance(label, str) and label and label != "oos":
        return label
    reasons = decision.get("reasons")
    if isinstance(reasons, list) and reasons and isinstance(reasons[0], Mapping):
        first = reasons[0]
        key = "rule" if first.get("code") == "trigger" else "code"
        if isinstance(first.get(key), str) and first[key]:
            return str(first[key])
    return None
