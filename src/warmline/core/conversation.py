"""The conversation of SPEC §1, parsed from plain JSON data with located errors.

Unknown fields are kept (in `extra`), never rejected. Times must carry an offset: a naive time
is ambiguous across a contact center's zones, so it is an error, not a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from warmline.core.conversation_model import (
    Action,
    Channel,
    Contact,
    Conversation,
    Customer,
    Speaker,
    Turn,
)
from warmline.core.errors import ConversationError, Problem

__all__ = [
    "Action", "Channel", "Contact", "Conversation", "Customer", "Speaker", "Turn",
    "parse_conversation", "parse_time", "parse_turns", "read_turn",
]


_CONVERSATION_KEYS = {"id", "channel", "started_at", "customer", "turns"}
_TURN_KEYS = {
    "id", "speaker", "text", "at", "confidence", "intent", "question_type", "actions", "fallback",
}
_CUSTOMER_KEYS = {
    "id", "name", "phone", "email", "segment", "deal_value", "attributes", "recent_contacts",
}
_CONTACT_KEYS = {"at", "reason", "handoff"}
_ACTION_KEYS = {"name", "status", "detail"}


class _Reader:
    """Collects problems while reading one document, so all of them are reported at once."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.source, path=path))

    def string(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False
               ) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}", "is required and must be a string")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(f"{path}.{key}", f"expected a string, got {_describe(value)}")
            return None
        return str(value)

    def number(self, obj: Mapping[str, Any], key: str, path: str) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            self.fail(f"{path}.{key}", f"expected a number, got {_describe(value)}")
            return None
        return float(value)

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", f"expected true or false, got {_describe(value)}")
            return None
        return value

    def time(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False
             ) -> datetime | None:
        value = obj.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.fail(where, "is required: an ISO 8601 time with offset")
            return None
        if not isinstance(value, str):
            self.fail(where, f"expected an ISO 8601 time string, got {_describe(value)}")
            return None
        return parse_time(value, where=where, reader=self)

    def mapping(self, value: object, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {_describe(value)}")
            return None
        return value


def parse_time(value: str, *, where: str, reader: _Reader) -> datetime | None:
    """Parse an ISO 8601 time that carries an offset; a naive time is an error."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        reader.fail(where, f"{value!r} is not an ISO 8601 time (e.g. 2026-11-24T17:58:05-05:00)")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        reader.fail(
            where,
            f"{value!r} has no UTC offset; add one (e.g. {value}-05:00 or {value}Z) so the "
            "time means one instant",
        )
        return None
    return parsed


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _extra(obj: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


def _read_action(r: _Reader, data: object, path: str) -> Action | None:
    obj = r.mapping(data, path)
    if obj is None:
        return None
    name = r.string(obj, "name", path, required=True)
    status = r.string(obj, "status", path)
    detail_value = obj.get("detail")
    detail = None if detail_value is None else str(detail_value)
    if name is None:
        return None
    return Action(name=name, status=status, detail=detail, extra=_extra(obj, _ACTION_KEYS))


_SPEAKERS = {speaker.value: speaker for speaker in Speaker}
_MISSING = object()  # a key left out, as opposed to one given as null


def _name(value: object) -> str | bool | None:
    """An optional string field as `_Reader.string` reads it; False when it would fail."""
    if value is None:
        return None
    kind = type(value)
    return str(value) if kind is str or kind is int else False


def _fast_turn(obj: object) -> Turn | None:
    """A plain, well-formed turn without the problem bookkeeping (most turns, and every
    stored one): the same Turn `read_turn` builds, or None to send it down the full reader,
    which alone reports problems. tests/unit/core/test_conversation_fast.py pins the sameness."""
    if type(obj) is not dict:
        return None
    get = obj.get
    speaker_value = get("speaker")
    speaker = _SPEAKERS.get(speaker_value) if type(speaker_value) is str else None
    text = get("text", _MISSING)
    text = "" if text is None else text
    confidence = get("confidence")
    actions = get("actions")
    at_value = get("at")
    fallback = get("fallback")
    turn_id, intent, question_type = _name(get("id")), _name(get("intent")), _name(
        get("question_type"))
    if (speaker is None or type(text) is not str or False in (turn_id, intent, question_type)
            or (actions is not None and (type(actions) is not list or actions))
            or (fallback is not None and type(fallback) is not bool)):
        return None
    if confidence is not None:
        if type(confidence) is not float and type(confidence) is not int:
            return None
        if not 0.0 <= confidence <= 1.0:
            return None
        confidence = float(confidence)
    at = None
    if at_value is not None:
        if type(at_value) is not str:
            return None
        try:
            at = datetime.fromisoformat(at_value)
        except ValueError:
            return None
        if at.tzinfo is None or at.utcoffset() is None:
            return None
    extra = {} if obj.keys() <= _TURN_KEYS else _extra(obj, _TURN_KEYS)
    return Turn(speaker=speaker, text=text, at=at, id=turn_id,  # type: ignore[arg-type]
                confidence=confidence, intent=intent,  # type: ignore[arg-type]
                question_type=question_type, fallback=bool(fallback),  # type: ignore[arg-type]
                extra=extra)


def read_turn(r: _Reader, data: object, path: str) -> Turn | None:
    """A turn, or None with its problems recorded on `r`."""
    fast = _fast_turn(data)
    return fast if fast is not None else _read_turn_fully(r, data, path)


def _read_turn_fully(r: _Reader, data: object, path: str) -> Turn | None:
    obj = r.mapping(data, path)
    if obj is None:
        return None
    speaker = _read_speaker(r, obj.get("speaker"), path)
    text = _read_text(r, obj.get("text", _MISSING), path)
    ok = speaker is not None and text is not None
    confidence = r.number(obj, "confidence", path)
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        r.fail(f"{path}.confidence", f"must be between 0 and 1, got {confidence:g}")
        ok = False
    actions: list[Action] = []
    raw_actions = obj.get("actions")
    if raw_actions is not None:
        if not isinstance(raw_actions, list):
            r.fail(f"{path}.actions", f"expected a list, got {_describe(raw_actions)}")
        else:
            for i, item in enumerate(raw_actions):
                action = _read_action(r, item, f"{path}.actions[{i}]")
                if action is not None:
                    actions.append(action)
    before = len(r.problems)
    turn_id = r.string(obj, "id", path)
    at = r.time(obj, "at", path)
    intent = r.string(obj, "intent", path)
    question_type = r.string(obj, "question_type", path)
    fallback = r.boolean(obj, "fallback", path)
    if not ok or speaker is None or text is None or len(r.problems) > before:
        return None
    return Turn(
        speaker=speaker, text=text, at=at, id=turn_id, confidence=confidence, intent=intent,
        question_type=question_type, actions=tuple(actions), fallback=bool(fallback),
        extra=_extra(obj, _TURN_KEYS),
    )


def _read_speaker(r: _Reader, value: object, path: str) -> Speaker | None:
    if value is None:
        r.fail(f"{path}.speaker", "is required: one of customer, ai, rep, system")
        return None
    found = _SPEAKERS.get(value) if isinstance(value, str) else None
    if found is None:
        r.fail(f"{path}.speaker", f"expected one of customer, ai, rep, system, got "
               f"{_describe(value)}")
    return found


def _read_text(r: _Reader, value: object, path: str) -> str | None:
    """A turn's `text`: required, so that a misnamed field (`message`, `content`) is an error
    rather than a silent empty turn; `""` or an explicit null mean nothing was said (an AI
    turn that only called a tool)."""
    if value is _MISSING:
        r.fail(f"{path}.text", 'is required: a string ("" when nothing was said)')
        return None
    if value is None:
        return ""
    if not isinstance(value, str):
        r.fail(f"{path}.text", f"expected a string, got {_describe(value)}")
        return None
    return value


def _read_customer(r: _Reader, data: object, path: str) -> Customer:
    obj = r.mapping(data, path)
    if obj is None:
        return Customer()
    attributes = obj.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        r.fail(f"{path}.attributes", f"expected an object, got {_describe(attributes)}")
        attributes = {}
    contacts: list[Contact] = []
    raw_contacts = obj.get("recent_contacts")
    if raw_contacts is not None:
        if not isinstance(raw_contacts, list):
            r.fail(f"{path}.recent_contacts", f"expected a list, got {_describe(raw_contacts)}")
        else:
            for i, item in enumerate(raw_contacts):
                cpath = f"{path}.recent_contacts[{i}]"
                cobj = r.mapping(item, cpath)
                if cobj is None:
                    continue
                at = r.time(cobj, "at", cpath, required=True)
                if at is not None:
                    contacts.append(Contact(
                        at=at, reason=r.string(cobj, "reason", cpath),
                        handoff=r.boolean(cobj, "handoff", cpath),
                        extra=_extra(cobj, _CONTACT_KEYS),
                    ))
    return Customer(
        id=r.string(obj, "id", path), name=r.string(obj, "name", path),
        phone=r.string(obj, "phone", path), email=r.string(obj, "email", path),
        segment=r.string(obj, "segment", path), deal_value=r.number(obj, "deal_value", path),
        attributes=dict(attributes), recent_contacts=tuple(contacts),
        extra=_extra(obj, _CUSTOMER_KEYS),
    )


def parse_conversation(data: object, *, source: str | None = None) -> Conversation:
    """Build a `Conversation` from decoded JSON.

    Raises:
        ConversationError: listing every problem, each with its JSON path.
    """
    r = _Reader(source)
    obj = r.mapping(data, "$")
    if obj is None:
        raise ConversationError(r.problems)
    conv_id = r.string(obj, "id", "$", required=True)
    channel: Channel | None = None
    channel_value = obj.get("channel")
    if channel_value is not None:
        try:
            channel = Channel(channel_value)
        except ValueError:
            r.fail("$.channel", f"expected one of voice, chat, sms, email, got "
                   f"{_describe(channel_value)}")
    started_at = r.time(obj, "started_at", "$")
    customer = Customer()
    if obj.get("customer") is not None:
        customer = _read_customer(r, obj["customer"], "$.customer")
    turns: list[Turn] = []
    raw_turns = obj.get("turns")
    if raw_turns is None:
        r.fail("$.turns", "is required: a list of turns ([] before the first one)")
        raw_turns = []
    elif not isinstance(raw_turns, list):
        r.fail("$.turns", f"expected a list of turns, got {_describe(raw_turns)}")
        raw_turns = []
    for i, item in enumerate(raw_turns):
        turn = read_turn(r, item, f"$.turns[{i}]")
        if turn is not None:
            turns.append(turn)
    if r.problems:
        raise ConversationError(r.problems)
    assert conv_id is not None
    return Conversation(
        id=conv_id, turns=tuple(turns), channel=channel, started_at=started_at,
        customer=customer, extra=_extra(obj, _CONVERSATION_KEYS),
    )


def parse_turns(data: object, *, source: str | None = None, path: str = "$.turns"
                ) -> tuple[Turn, ...]:
    """Parse a list of turns alone (the HTTP hot path posts turns, not conversations)."""
    r = _Reader(source)
    if not isinstance(data, list):
        raise ConversationError([Problem(f"expected a list of turns, got {_describe(data)}",
                                         file=source, path=path)])
    turns = [read_turn(r, item, f"{path}[{i}]") for i, item in enumerate(data)]
    if r.problems:
        raise ConversationError(r.problems)
    return tuple(t for t in turns if t is not None)
