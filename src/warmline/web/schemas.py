"""Request bodies of the rep actions and settings: strict (no `false` for a number) and
closed (unknown fields are errors). Turns and conversations are read by the core's own
parser instead, which locates every problem by JSON path."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class RepAction(Strict):
    rep_id: str | None = Field(None, description="The acting rep; a desk session implies it.")


class Complete(RepAction):
    outcome: str | None = Field(None, max_length=200)
    csat: int | None = Field(None, ge=1, le=5)
    ai_was_wrong: bool | None = None


class HandBack(RepAction):
    note: str = Field(min_length=1, max_length=2000)


class RepUpdate(Strict):
    name: str | None = Field(None, max_length=200)
    skills: list[str] | None = Field(None, max_length=50)
    capacity: int | None = Field(None, ge=1, le=50)
    status: Literal["available", "busy", "away", "offline"] | None = None
    timezone: str | None = Field(None, max_length=64)


class Outcome(Strict):
    handoff_id: str
    csat: int | None = Field(None, ge=1, le=5)
    outcome: str | None = Field(None, max_length=200)
    repeat_contact: bool | None = None


TURN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["speaker"],
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
