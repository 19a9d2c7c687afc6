"""Vapi's server-URL webhooks as a translator, no IO: `verify` the credential, `read_message`
the `{"message": {...}}` envelope, `conversation_body` / `parse` it into a SPEC §1
conversation, `transfer_event` for status and transfer reports, and `render_*` a Warmline
decision as Vapi's answer. The route in `warmline.web.integrations.vapi` does the IO.

Formats follow Vapi's public docs (docs/integrations/vapi.md lists them):
- envelope, message types, which ones expect an answer: https://docs.vapi.ai/server-url/events
- credentials (bearer / X-Vapi-Secret / HMAC): https://docs.vapi.ai/server-url/server-authentication
- transfer destinations and `transferPlan`: https://docs.vapi.ai/calls/call-dynamic-transfers
- squads' dynamic handoff: https://docs.vapi.ai/squads/handoff
- `endedReason` values: https://docs.vapi.ai/calls/call-ended-reason
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from warmline.core.conversation import Conversation, parse_conversation
from warmline.core.errors import ConversationError, InvalidInput, Problem, SignatureInvalid
from warmline.core.sip_header import sip_headers
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage

#: Vapi's HMAC credential defaults (signatureHeader, timestampHeader; payload
#: `{timestamp}.{body}`, hex). `x-vapi-signature` is the older HMAC of the body alone that the
#: dynamic-transfers guide verifies.
SIGNATURE_HEADERS = ("x-signature", "x-vapi-signature")
TIMESTAMP_HEADER = "x-timestamp"
DEFAULT_MAX_AGE_SECONDS = 300.0
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,16}[=,]")  # "sha256=", "v1," — never inside hex/base64
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_ACTION_DETAIL_CHARS = 120


class MessageType(StrEnum):
    ASSISTANT_REQUEST = "assistant-request"
    TRANSFER_DESTINATION_REQUEST = "transfer-destination-request"
    HANDOFF_DESTINATION_REQUEST = "handoff-destination-request"
    STATUS_UPDATE = "status-update"
    TRANSFER_UPDATE = "transfer-update"
    END_OF_CALL_REPORT = "end-of-call-report"


@dataclass(frozen=True, slots=True)
class VapiSettings:
    """`integrations.vapi` of a policy (docs/integrations/vapi.md explains each key)."""

    secret: str | None = None
    hmac_secret: str | None = None
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS
    signature_header: str | None = None
    timestamp_header: str | None = None
    assistant_id: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> VapiSettings:
        def text(key: str) -> str | None:
            return values.get(key) or None

        try:
            max_age = float(values.get("max_age_seconds") or DEFAULT_MAX_AGE_SECONDS)
        except ValueError:
            max_age = DEFAULT_MAX_AGE_SECONDS
        return cls(secret=text("secret"), hmac_secret=text("hmac_secret"),
                   max_age_seconds=max_age if max_age > 0 else DEFAULT_MAX_AGE_SECONDS,
                   signature_header=text("signature_header"),
                   timestamp_header=text("timestamp_header"),
                   assistant_id=text("assistant_id"))

    @property
    def has_credential(self) -> bool:
        return bool(self.secret or self.hmac_secret)


# --- verify ---------------------------------------------------------------------------------

def verify(headers: Mapping[str, str], body: bytes, settings: VapiSettings, *,
           now: datetime) -> str | None:
    """Check the request against every credential `settings` configures; one must verify.

    Returns a replay key (the HMAC digest) when an HMAC signature verified, for the caller to
    refuse a second use; None when the shared secret verified.

    Raises:
        SignatureInvalid: naming why (wrong secret, bad or stale signature).
    """
    h = {k.lower(): v for k, v in headers.items()}
    if settings.hmac_secret:
        names = ((settings.signature_header.lower(),) if settings.signature_header
                 else SIGNATURE_HEADERS)
        signature = next((h[n] for n in names if h.get(n)), None)
        if signature is not None:
            return _verify_hmac(h, body, settings, signature, now)
    if settings.secret and _has_secret(h, settings.secret):
        return None
    raise SignatureInvalid("no configured Vapi credential verified (X-Vapi-Secret, bearer or "
                           "HMAC signature missing or wrong)")


def _has_secret(h: Mapping[str, str], secret: str) -> bool:
    scheme, _, token = h.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    given = (h.get("x-vapi-secret", ""), bearer)
    expected = secret.encode()
    # Both compared every time, in constant time, so timing tells nothing about either.
    results = [hmac.compare_digest(value.encode(), expected) for value in given]
    return any(results)


def _verify_hmac(h: Mapping[str, str], body: bytes, settings: VapiSettings, signature: str,
                 now: datetime) -> str:
    assert settings.hmac_secret is not None
    key = settings.hmac_secret.encode()
    stamp = h.get((settings.timestamp_header or TIMESTAMP_HEADER).lower())
    digest = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).digest()
    if not (stamp and same_digest(signature, digest)):
        # The body alone (X-Vapi-Signature, or a credential with includeTimestamp off): its
        # age then comes from the signed body's own `message.timestamp`.
        stamp = None
        digest = hmac.new(key, body, hashlib.sha256).digest()
        if not same_digest(signature, digest):
            raise SignatureInvalid("the HMAC signature does not match the body")
    at = epoch_time(stamp) if stamp else _body_time(body)
    if at is None:
        raise SignatureInvalid("the signed request carries no timestamp to check its age")
    age = abs((now - at).total_seconds())
    if age > settings.max_age_seconds:
        raise SignatureInvalid(f"the signature is {age:.0f} s old; the limit is "
                               f"{settings.max_age_seconds:.0f} s (check the server clock)")
    return "vapi:" + digest.hex()


def same_digest(signature: str, digest: bytes) -> bool:
    """A signature header (hex or base64, optionally prefixed `sha256=`) equals `digest`."""
    value = _PREFIX.sub("", signature.strip())
    as_hex = hmac.compare_digest(value.lower().encode(), digest.hex().encode())
    as_b64 = hmac.compare_digest(value.encode(), base64.b64encode(digest))
    return as_hex or as_b64


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


def _body_time(body: bytes) -> datetime | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    message = data.get("message") if isinstance(data, dict) else None
    return epoch_time(message.get("timestamp")) if isinstance(message, dict) else None


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

#: `endedReason` values that say what became of a transfer (docs.vapi.ai/calls/call-ended-reason,
#: "Transfer errors", "Customer actions", "Call hooks", "Other reasons").
_BRIDGED = frozenset({"assistant-forwarded-call", "call.ringing.hook-executed-transfer",
                      "call.ending.hook-executed-transfer"})
_FAILED: Mapping[str, TransferOutcome] = {
    "call.in-progress.error-transfer-failed": TransferOutcome.FAILED,
    "call.in-progress.error-warm-transfer-max-duration": TransferOutcome.NO_ANSWER,
    "call.in-progress.error-warm-transfer-silence-timeout": TransferOutcome.NO_ANSWER,
    "call.in-progress.error-warm-transfer-assistant-cancelled": TransferOutcome.DECLINED,
    "call.in-progress.error-warm-transfer-microphone-timeout": TransferOutcome.FAILED,
    "customer-ended-call-before-warm-transfer": TransferOutcome.CALLER_LEFT,
    "customer-ended-call-after-warm-transfer-attempt": TransferOutcome.CALLER_LEFT,
    "customer-ended-call-during-transfer": TransferOutcome.CALLER_LEFT,
    "call.forwarding.operator-busy": TransferOutcome.BUSY,
    "voicemail": TransferOutcome.VOICEMAIL,
}
#: Outbound SIP answers in the "SIP" section: nobody picked up vs. the call was refused.
_SIP_NO_ANSWER = re.compile(r"outbound-sip-(408|480)-")
_SIP_BUSY = re.compile(r"outbound-sip-(486|600)-")
_SIP_DECLINED = re.compile(r"outbound-sip-603-")
_SIP_FAILED = re.compile(r"(outbound-sip-\d{3}-|sip-outbound-call-failed)")


def ended_outcome(reason: str) -> tuple[TransferStage, TransferOutcome | None]:
    """What a call's `endedReason` says about a pending transfer."""
    if reason in _BRIDGED:
        return TransferStage.BRIDGED, None
    if reason in _FAILED:
        return TransferStage.FAILED, _FAILED[reason]
    for pattern, outcome in ((_SIP_NO_ANSWER, TransferOutcome.NO_ANSWER),
                             (_SIP_BUSY, TransferOutcome.BUSY),
                             (_SIP_DECLINED, TransferOutcome.DECLINED),
                             (_SIP_FAILED, TransferOutcome.FAILED)):
        if pattern.search(reason):
            return TransferStage.FAILED, outcome
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


# --- render ---------------------------------------------------------------------------------

def render_transfer(decision: Mapping[str, Any]) -> dict[str, Any]:
    """A `transfer-destination-request` answer: the destination queue's transfer number or
    SIP URI with Warmline's whisper, or `{"error"}` (the model reads it) when no transfer."""
    dest = _obj(decision.get("destination"))
    refusal = _refusal(decision, dest)
    if refusal is not None:
        return {"error": refusal}
    say = str(decision.get("say_to_customer") or "")
    if dest.get("type") == "agent":
        return {"destination": {"type": "assistant", "assistantName": str(dest.get("agent")),
                                "message": say}}
    plan = _transfer_plan(decision)
    sip, number = dest.get("sip"), dest.get("number")
    if sip:
        out: dict[str, Any] = {"type": "sip", "sipUri": str(sip), "message": say,
                               "transferPlan": plan}
        headers = sip_headers(decision)
        if headers:
            out["sipHeaders"] = headers
        return {"destination": out}
    if number:
        out = {"type": "number", "number": str(number), "message": say, "transferPlan": plan}
        if not _E164.match(str(number)):
            out["numberE164CheckEnabled"] = False  # an extension or a trunk-local number
        return {"destination": out}
    queue = dest.get("queue")
    return {"error": f"Do not transfer: Warmline's queue {queue!r} has no phone number or SIP "
                     f"URI (set queues.{queue}.transfer in the policy)."}


def _refusal(decision: Mapping[str, Any], dest: Mapping[str, Any]) -> str | None:
    if decision.get("action") in (None, "continue") or not dest:
        return ("Do not transfer yet: Warmline's policy finds no reason to hand off; keep "
                "helping the customer.")
    if decision.get("action") == "callback":
        return (f"Do not transfer: the {dest.get('queue')} team is closed and Warmline has "
                f"booked a callback. Tell the customer: {decision.get('say_to_customer')}")
    return None


def _transfer_plan(decision: Mapping[str, Any]) -> dict[str, Any]:
    whisper = _obj(decision.get("brief")).get("whisper")
    if decision.get("mode") == "warm" and whisper:
        # The rep hears Warmline's whisper (under 8 s, redacted) before the customer joins;
        # Vapi's own summary mode would run an LLM on the transcript first.
        return {"mode": "warm-transfer-say-message", "message": str(whisper)}
    return {"mode": "blind-transfer"}


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def render_handoff(decision: Mapping[str, Any]) -> dict[str, Any]:
    """A squads `handoff-destination-request` answer: the queue's `agent:` as an assistant
    destination with the whole history and Warmline's brief as variables it can read
    (`{{warmline_brief}}`, `{{warmline_whisper}}`, `{{warmline_reason}}`)."""
    dest = _obj(decision.get("destination"))
    refusal = _refusal(decision, dest)
    if refusal is not None:
        return {"error": refusal}
    if dest.get("type") != "agent":
        return {"error": f"Do not hand off to an assistant: Warmline routes this conversation "
                         f"to people (queue {dest.get('queue')!r}); use the transfer tool."}
    agent = str(dest.get("agent"))
    brief = _obj(decision.get("brief"))
    reasons = decision.get("reasons") or []
    first = _obj(reasons[0]) if reasons else {}
    variables = {"warmline_brief": str(brief.get("summary") or ""),
                 "warmline_whisper": str(brief.get("whisper") or ""),
                 "warmline_reason": str(first.get("code") or ""),
                 "warmline_handoff_id": str(decision.get("handoff_id") or "")}
    out: dict[str, Any] = {"type": "assistant",
                           ("assistantId" if _UUID.match(agent) else "assistantName"): agent,
                           "contextEngineeringPlan": {"type": "all"},
                           "assistantOverrides": {"variableValues": variables}}
    return {"destination": out}


def render_assistant(settings: VapiSettings) -> dict[str, Any]:
    """An `assistant-request` answer, from settings alone: it must arrive within Vapi's
    7.5 s, so it reads nothing and decides nothing."""
    if settings.assistant_id:
        return {"assistantId": settings.assistant_id}
    # Vapi speaks this to the caller; the fix (integrations.vapi.assistant_id) goes to the log.
    return {"error": "Sorry, we can't take your call right now. Please call again later."}
