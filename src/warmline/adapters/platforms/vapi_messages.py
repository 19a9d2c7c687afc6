"""Vapi's server messages read, no IO: `read_message` the `{"message": {...}}` envelope,
`conversation_body` / `parse` it into a SPEC §1 conversation, and `transfer_event` for status
and transfer reports. `warmline.adapters.platforms.vapi` re-exports all of it, with `verify`
and the `render_*` answers.

Formats follow Vapi's public docs (docs/integrations/vapi.md lists them):
- envelope, message types, which ones expect an answer: https://docs.vapi.ai/server-url/events
- `endedReason` values: https://docs.vapi.ai/calls/call-ended-reason
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from warmline.core.conversation import Conversation, parse_conversation
from warmline.core.errors import ConversationError, InvalidInput, Problem
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage

_ACTION_DETAIL_CHARS = 120


class MessageType(StrEnum):
    ASSISTANT_REQUEST = "assistant-request"
    TRANSFER_DESTINATION_REQUEST = "transfer-destination-request"
    HANDOFF_DESTINATION_REQUEST = "handoff-destination-request"
    STATUS_UPDATE = "status-update"
    TRANSFER_UPDATE = "transfer-update"
    END_OF_CALL_REPORT = "end-of-call-report"


def epoch_time(value: object) -> datetime | None:
    """Unix seconds or milliseconds (Vapi sends milliseconds) as an aware UTC time."""
    try:
        number = float(str(value))
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    seconds = number / 1000.0 if number > 1e11 else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- read -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VapiMessage:
    type: str
    call_id: str | None
    at: datetime | None
    """`message.timestamp`, when given."""
    data: Mapping[str, Any]


def read_message(body: bytes) -> VapiMessage:
    """The envelope's message. Raises InvalidInput (422) for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput([Problem(f"not valid JSON: {err}", path="$")]) from err
    except RecursionError as err:  # e.g. 10,000 nested arrays: the parser's stack ends
        raise InvalidInput([Problem("JSON nests too deeply", path="$")]) from err
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise InvalidInput([Problem("expected Vapi's envelope {\"message\": {...}}", path="$")])
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput([Problem("a Vapi message needs a `type`", path="$.message.type")])
    call = _obj(message.get("call")) or _obj(message.get("chat"))
    call_id = call.get("id")
    return VapiMessage(type=kind, call_id=str(call_id) if call_id else None,
                       at=epoch_time(message.get("timestamp")), data=message)


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _iso(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.isoformat() if parsed.tzinfo is not None else None


# --- parse ----------------------------------------------------------------------------------

_SPEAKERS = {"user": "customer", "bot": "ai", "assistant": "ai"}
_TRANSCRIPT_LINE = re.compile(r"^\s*(AI|Assistant|Bot|User|Customer)\s*:\s*(.*)$", re.I)


def conversation_body(message: VapiMessage) -> dict[str, Any]:
    """The body for `POST /v1/conversations/{call id}/turns`: every turn so far with ids that
    stay the same on each request (role + start time), the caller and the call's start."""
    m = message.data
    call = _obj(m.get("call"))
    customer_data = _obj(call.get("customer")) or _obj(m.get("customer"))
    customer = {k: customer_data[src] for k, src in (("phone", "number"), ("name", "name"))
                if isinstance(customer_data.get(src), str) and customer_data[src]}
    body: dict[str, Any] = {"turns": _turns(m), "channel": "chat" if m.get("chat") and not call
                            else "voice", "platform": "vapi"}
    if customer:
        body["customer"] = customer
    started = _iso(call.get("startedAt")) or _iso(call.get("createdAt"))
    if started:
        body["started_at"] = started
    return body


def parse(message: VapiMessage) -> Conversation:
    """The message's call as a SPEC §1 conversation."""
    if message.call_id is None:
        raise ConversationError([Problem("the Vapi message names no call (`call.id`)",
                                         path="$.message.call.id")])
    return parse_conversation({"id": message.call_id, **conversation_body(message)},
                              source="vapi message")


def _raw_messages(m: Mapping[str, Any]) -> list[Any]:
    for source in (_obj(m.get("artifact")).get("messages"), m.get("messages"),
                   _obj(_obj(m.get("call")).get("artifact")).get("messages")):
        if isinstance(source, list) and source:
            return source
    transcript = _obj(m.get("artifact")).get("transcript") or m.get("transcript")
    out: list[Any] = []
    for line in str(transcript or "").splitlines():
        found = _TRANSCRIPT_LINE.match(line)
        if found:
            role = "user" if found[1].lower() in ("user", "customer") else "bot"
            out.append({"role": role, "message": found[2]})
    return out


def _turns(m: Mapping[str, Any]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    tool_names: dict[str, str] = {}
    actions: list[dict[str, str]] = []  # tool results, given to the AI turn that follows them
    seen: dict[str, int] = {}
    for item in _raw_messages(m):
        if not isinstance(item, Mapping):
            continue
        role = item.get("role")
        if role == "tool_calls":
            for call in item.get("toolCalls") or []:
                if isinstance(call, Mapping):
                    name = _obj(call.get("function")).get("name")
                    tool_names[str(call.get("id"))] = str(name or "tool")
            continue
        if role == "tool_call_result":
            name = item.get("name") or tool_names.get(str(item.get("toolCallId"))) or "tool"
            detail = " ".join(str(item.get("result") or "").split())[:_ACTION_DETAIL_CHARS]
            actions.append({"name": str(name), "status": "ok", "detail": detail})
            continue
        speaker = _SPEAKERS.get(str(role))
        text = item.get("message", item.get("content"))
        if speaker is None or not isinstance(text, str) or not text.strip():
            continue
        at = epoch_time(item.get("time")) if item.get("time") is not None else None
        # Role and start time (ms, as Vapi sent it) name a turn the same on every request.
        key = (f"vapi-{speaker}-{int(float(item['time']))}" if at is not None
               else f"vapi-{len(turns)}")
        seen[key] = seen.get(key, 0) + 1
        turn: dict[str, Any] = {"id": key if seen[key] == 1 else f"{key}-{seen[key]}",
                                "speaker": speaker, "text": text}
        if at is not None:
            turn["at"] = at.isoformat()
        if speaker == "ai" and actions:
            turn["actions"], actions = actions, []
        turns.append(turn)
    return turns


# --- events ---------------------------------------------------------------------------------

#: `endedReason` values that say what became of a transfer, each one a value of the
#: `CallEndedReason` list in Vapi's SDK (vapi-server-sdk 3.0.0; docs.vapi.ai/calls/call-ended-
#: reason). Every other value ends the call without saying how a transfer went (ENDED).
#: tests/contract/test_vendor_formats.py checks them against the SDK's list.
BRIDGED_REASONS = frozenset({"assistant-forwarded-call", "call.ringing.hook-executed-transfer",
                             "call.ending.hook-executed-transfer"})
_SIP = "call.in-progress.error-providerfault-outbound-sip-"
FAILED_REASONS: Mapping[str, TransferOutcome] = {
    "call.in-progress.error-transfer-failed": TransferOutcome.FAILED,
    "call.in-progress.error-warm-transfer-max-duration": TransferOutcome.NO_ANSWER,
    "call.in-progress.error-warm-transfer-silence-timeout": TransferOutcome.NO_ANSWER,
    "call.in-progress.error-warm-transfer-assistant-cancelled": TransferOutcome.DECLINED,
    "call.in-progress.error-warm-transfer-microphone-timeout": TransferOutcome.FAILED,
    "customer-ended-call-before-warm-transfer": TransferOutcome.CALLER_LEFT,
    "customer-ended-call-after-warm-transfer-attempt": TransferOutcome.CALLER_LEFT,
    "customer-ended-call-during-transfer": TransferOutcome.CALLER_LEFT,
    "call.forwarding.operator-busy": TransferOutcome.BUSY,
    "call.forwarding.no-answer": TransferOutcome.NO_ANSWER,
    "voicemail": TransferOutcome.VOICEMAIL,
    # The transfer's outbound SIP leg: nobody picked up, or it could not be placed.
    f"{_SIP}408-request-timeout": TransferOutcome.NO_ANSWER,
    f"{_SIP}480-temporarily-unavailable": TransferOutcome.NO_ANSWER,
    f"{_SIP}403-forbidden": TransferOutcome.FAILED,
    f"{_SIP}407-proxy-authentication-required": TransferOutcome.FAILED,
    f"{_SIP}503-service-unavailable": TransferOutcome.FAILED,
    "call.in-progress.error-sip-outbound-call-failed-to-connect": TransferOutcome.FAILED,
    "sip-outbound-unallocated-number": TransferOutcome.FAILED,
    "sip-outbound-carrier-released-call": TransferOutcome.FAILED,
}

def ended_outcome(reason: str) -> tuple[TransferStage, TransferOutcome | None]:
    """What a call's `endedReason` says about a pending transfer."""
    if reason in BRIDGED_REASONS:
        return TransferStage.BRIDGED, None
    if reason in FAILED_REASONS:
        return TransferStage.FAILED, FAILED_REASONS[reason]
    return TransferStage.ENDED, None


def transfer_event(message: VapiMessage) -> TransferEvent | None:
    """`status-update`, `transfer-update` and `end-of-call-report` as a transfer event; None
    for other messages and for statuses that say nothing about a transfer."""
    if message.call_id is None:
        return None
    m = message.data
    kind = message.type
    if kind == MessageType.TRANSFER_UPDATE:
        to_agent = _obj(m.get("destination")).get("type") == "assistant"
        stage = TransferStage.BRIDGED if to_agent else TransferStage.STARTED
        return TransferEvent(message.call_id, stage, at=message.at)
    if kind == MessageType.STATUS_UPDATE and m.get("status") == "forwarding":
        return TransferEvent(message.call_id, TransferStage.STARTED, at=message.at)
    ended = kind == MessageType.END_OF_CALL_REPORT or (
        kind == MessageType.STATUS_UPDATE and m.get("status") == "ended")
    if not ended:
        return None
    call = _obj(m.get("call"))
    reason = str(m.get("endedReason") or call.get("endedReason") or "")
    stage, outcome = ended_outcome(reason)
    at = _aware(m.get("endedAt") or call.get("endedAt")) or message.at
    return TransferEvent(message.call_id, stage, at=at, outcome=outcome, detail=reason or None)


def _aware(value: object) -> datetime | None:
    text = _iso(value)
    return datetime.fromisoformat(text) if text else None
