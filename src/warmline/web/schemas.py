"""Request bodies of the rep actions and settings: strict (no `false` for a number) and
closed (unknown fields are errors). Turns and conversations are read by the core's own
parser instead, which locates every problem by JSON path."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from warmline.core.errors import InvalidInput, Problem

#: Text without NUL: PostgreSQL refuses it in text columns (a 502 instead of a located 422).
NO_NUL = r"^[^\x00]*$"
#: Ids: printable, within their columns' sizes (conversations and turns 200, others 64).
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
MAX_CONVERSATION_ID = 200
MAX_ID = 64

ConversationId = Annotated[str, Path(max_length=MAX_CONVERSATION_ID, pattern=ID_PATTERN)]
HandoffId = Annotated[str, Path(max_length=MAX_ID, pattern=ID_PATTERN)]
RepId = Annotated[str, Path(max_length=MAX_ID, pattern=ID_PATTERN)]
QueueName = Annotated[str | None, Query(max_length=200, pattern=ID_PATTERN)]
Text = Annotated[str, Field(pattern=NO_NUL)]
Id = Annotated[str, Field(max_length=MAX_ID, pattern=ID_PATTERN)]


#: customer.id, phone or email become the customer key `field:value` (200 characters).
MAX_CUSTOMER_ID = MAX_CONVERSATION_ID - len("phone:")


def check_stored_text(raw: bytes, data: Any) -> None:
    """Refuse, each located, what a database column cannot keep: NUL characters anywhere in
    a body (PostgreSQL text refuses them) and turn or customer ids longer than their columns.

    Raises:
        InvalidInput: with one problem per bad value.
    """
    problems: list[Problem] = []
    if b"\\u0000" in raw:  # JSON's only spelling of NUL: a cheap scan before the walk
        problems.extend(Problem("contains a NUL character (\\u0000)", path=path)
                        for path in _nul_paths(data))
    if isinstance(data, dict):
        turns = data.get("turns")
        for i, turn in enumerate(turns if isinstance(turns, list) else ()):
            turn_id = turn.get("id") if isinstance(turn, dict) else None
            if turn_id is not None and len(str(turn_id)) > MAX_CONVERSATION_ID:
                problems.append(Problem(f"is longer than {MAX_CONVERSATION_ID} characters",
                                        path=f"$.turns[{i}].id"))
        customer = data.get("customer")
        for key in ("id", "phone", "email"):
            value = customer.get(key) if isinstance(customer, dict) else None
            if value is not None and len(str(value)) > MAX_CUSTOMER_ID:
                problems.append(Problem(f"is longer than {MAX_CUSTOMER_ID} characters",
                                        path=f"$.customer.{key}"))
    if problems:
        raise InvalidInput(problems)


def _nul_paths(data: Any) -> list[str]:
    """JSON paths of the strings (values or keys) holding a NUL; iterative, for deep input."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("$", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    found.append(path)
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return sorted(found)


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as "
                         "'America/Chicago')") from err
    return name


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ProblemOut(BaseModel):
    path: str | None = None
    message: str
    line: int | None = None
    column: int | None = None
    rule: str | None = None


class ErrorOut(BaseModel):
    type: str
    message: str
    problems: list[ProblemOut] | None = None


class ErrorBody(BaseModel):
    """Every error answer: `{"error": {"type", "message", "problems"?}}` (web/errors.py)."""

    error: ErrorOut


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad request"), (401, "No or bad API key"), (403, "Forbidden"),
        (404, "Not found (or another tenant's)"), (409, "Conflict with the current state"),
        (413, "Over a size limit"), (422, "Invalid input, every problem located"),
        (429, "Rate limited (Retry-After)"), (503, "Database unavailable (Retry-After)"),
    )
}


class RepAction(Strict):
    rep_id: Id | None = Field(None, description="The acting rep; a desk session implies it.")


class Complete(RepAction):
    outcome: Text | None = Field(None, max_length=200)
    csat: int | None = Field(None, ge=1, le=5)
    ai_was_wrong: bool | None = None


class HandBack(RepAction):
    note: Text = Field(min_length=1, max_length=2000)


class CallbackReport(RepAction):
    result: Literal["done", "no_answer", "rescheduled"]


class RepUpdate(Strict):
    name: Text | None = Field(None, max_length=200)
    skills: list[Annotated[str, Field(max_length=200, pattern=ID_PATTERN)]] | None = Field(
        None, max_length=50)
    capacity: int | None = Field(None, ge=1, le=50)
    status: Literal["available", "busy", "away", "offline"] | None = None
    timezone: Annotated[str, Field(max_length=64, pattern=ID_PATTERN),
                        AfterValidator(_known_zone)] | None = None


class Outcome(Strict):
    handoff_id: Id
    csat: int | None = Field(None, ge=1, le=5)
    outcome: Text | None = Field(None, max_length=200)
    repeat_contact: bool | None = None


TURN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["speaker", "text"],
    "properties": {
        "id": {"type": "string"},
        "speaker": {"enum": ["customer", "ai", "rep", "system"]},
        "text": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "intent": {"type": "string"},
        "question_type": {"type": "string"},
        "fallback": {"type": "boolean"},
        "actions": {"type": "array", "items": {"type": "object"}},
    },
}
TURNS_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["turns"],
        "properties": {"turns": {"type": "array", "items": TURN_SCHEMA},
                       "customer": {"type": "object"}, "channel": {"type": "string"},
                       "started_at": {"type": "string", "format": "date-time"}}}}}}}
CONVERSATION_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["id"],
        "properties": {"id": {"type": "string"}, "turns": {"type": "array",
                                                           "items": TURN_SCHEMA}}}}}}}
