"""Retell AI, as a translator (no IO): verify `x-retell-signature`, turn a webhook or a custom
function call into Warmline turns and transfer events, and render a decision as the JSON a
Retell custom function returns.

Formats followed:
- Signature: `v=<unix ms>,d=<hex HMAC-SHA256(api_key, raw body + unix ms)>`, five minutes
  of clock skew either way — `verify` in RetellAI/retell-python-sdk
  `src/retell/lib/webhook_auth.py`; https://docs.retellai.com/features/secure-webhook
- Webhook `{"event", "call"}` and its events: https://docs.retellai.com/features/webhook-overview
- Call object (`transcript_object`, `disconnection_reason`, ...):
  RetellAI/retell-python-sdk `src/retell/types/phone_call_response.py`
- Custom function `{"name", "call", "args"}`:
  https://docs.retellai.com/build/single-multi-prompt/custom-function
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from warmline.core.errors import InvalidInput, Problem, SignatureInvalid
from warmline.core.policy.model import Policy
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage

SIGNATURE_HEADER = "x-retell-signature"
#: The Retell SDK's own window (FIVE_MINUTES in webhook_auth.py).
DEFAULT_MAX_AGE_SECONDS = 300.0
_SIGNATURE = re.compile(r"v=(\d{1,16}),d=([0-9a-fA-F]{64})")

#: Events whose transcript is still growing: a trailing agent utterance may be half spoken.
LIVE_EVENTS = frozenset({"call_started", "transcript_updated", "transfer_started",
                         "transfer_bridged", "transfer_cancelled", "transfer_ended"})
FINAL_EVENTS = frozenset({"call_ended", "call_analyzed"})
_SPEAKERS = {"agent": "ai", "user": "customer", "transfer_target": "rep"}
_CUSTOMER_FIELDS = ("id", "name", "phone", "email", "segment", "deal_value", "attributes")


def sign(body: bytes, api_key: str, at: datetime) -> str:
    """The `x-retell-signature` value Retell would send for `body` at `at` (tests, docs)."""
    stamp = str(int(at.timestamp() * 1000))
    digest = hmac.new(api_key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return f"v={stamp},d={digest}"


def verify(body: bytes, signature: str | None, api_key: str, *, now: datetime,
           max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS) -> datetime:
    """Check Retell's signature of the raw body; returns when Retell signed it.

    Raises:
        SignatureInvalid: missing, malformed, stale (outside `max_age_seconds` of `now`,
            either way) or not made with `api_key`.
    """
    match = _SIGNATURE.fullmatch((signature or "").strip())
    if match is None:
        raise SignatureInvalid(f"missing or malformed {SIGNATURE_HEADER} header "
                               "(expected v=<unix ms>,d=<hex sha256>)")
    stamp, digest = match.group(1), match.group(2).lower()
    signed_at = _ms(int(stamp))
    if signed_at is None:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} carries no usable time: v={stamp}")
    if abs((now - signed_at).total_seconds()) > max_age_seconds:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} is stale: signed at "
                               f"{signed_at.isoformat()}, more than {max_age_seconds:g} s "
                               "from now")
    expected = hmac.new(api_key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the body")
    return signed_at


@dataclass(frozen=True, slots=True)
class RetellEvent:
    """One Retell request, translated: the conversation's turns (a SPEC §5 body for
    `post_turns`, None when the event carries none) and the transfer events it implies."""

    event: str
    call_id: str
    turns_body: Mapping[str, Any] | None
    transfers: tuple[TransferEvent, ...] = ()


def parse_webhook(data: Any, *, sent_at: datetime | None = None) -> RetellEvent:
    """A webhook `{"event", "call"}`. `sent_at` (the signature's time) dates the transfer
    events the payload does not date itself.

    Raises:
        InvalidInput: not an object, no `event`, no `call.call_id`; each located.
    """
    event, call = _envelope(data, "event")
    call_id = str(call["call_id"])
    body = None
    if event in LIVE_EVENTS or event in FINAL_EVENTS:
        body = conversation_body(call, live=event not in FINAL_EVENTS)
    return RetellEvent(event=event, call_id=call_id, turns_body=body,
                       transfers=_transfers(event, call, sent_at))


def parse_function_call(data: Any) -> RetellEvent:
    """A custom function request `{"name", "call", "args"}`: the live transcript so far."""
    name, call = _envelope(data, "name")
    return RetellEvent(event=name, call_id=str(call["call_id"]),
                       turns_body=conversation_body(call, live=True))


def _envelope(data: Any, key: str) -> tuple[str, Mapping[str, Any]]:
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InvalidInput([Problem("expected a JSON object from Retell", path="$")])
    kind = data.get(key)
    if not isinstance(kind, str) or not kind:
        problems.append(Problem(f"expected a string `{key}`, got {kind!r}", path=f"$.{key}"))
    call = data.get("call")
    if not isinstance(call, dict):
        problems.append(Problem("expected the call object", path="$.call"))
    elif not isinstance(call.get("call_id"), str) or not call["call_id"]:
        problems.append(Problem(f"expected a string `call_id`, got {call.get('call_id')!r}",
                                path="$.call.call_id"))
    if problems:
        raise InvalidInput(problems)
    assert isinstance(kind, str)
    assert isinstance(call, dict)
    return kind, call


def conversation_body(call: Mapping[str, Any], *, live: bool) -> dict[str, Any]:
    """The call as a SPEC §5 turns body. Turn ids are `<call_id>:<index in
    transcript_object>`, stable across events, so a retried or replayed webhook appends
    nothing twice. While the call is live a trailing agent utterance is left for a later
    event (it may still be being spoken)."""
    call_id = str(call["call_id"])
    started = _ms(call.get("start_timestamp"))
    raw = call.get("transcript_object")
    utterances = raw if isinstance(raw, list) else []
    turns: list[dict[str, Any]] = []
    for index, item in enumerate(utterances):
        if not isinstance(item, dict):
            continue
        speaker = _SPEAKERS.get(str(item.get("role")))
        text = item.get("content")
        if speaker is None or not isinstance(text, str) or not text.strip():
            continue
        turn: dict[str, Any] = {"id": f"{call_id}:{index}", "speaker": speaker, "text": text}
        at = _utterance_time(started, item.get("words"))
        if at is not None:
            turn["at"] = at.isoformat()
        turns.append(turn)
    if live and turns and turns[-1]["speaker"] == "ai":
        turns.pop()
    body: dict[str, Any] = {"turns": turns, "channel": "voice",
                            "platform": {"name": "retell", "call_id": call_id,
                                         "agent_id": call.get("agent_id")}}
    customer = _customer(call)
    if customer:
        body["customer"] = customer
    if started is not None:
        body["started_at"] = started.isoformat()
    return body


def _customer(call: Mapping[str, Any]) -> dict[str, Any]:
    """From `metadata.customer` (SPEC §1 fields, set when creating the call), the caller's
    number and Retell's `customer_name` dynamic variable."""
    metadata = call.get("metadata")
    given = metadata.get("customer") if isinstance(metadata, dict) else None
    customer = {k: given[k] for k in _CUSTOMER_FIELDS if isinstance(given, dict) and k in given}
    number = call.get("to_number" if call.get("direction") == "outbound" else "from_number")
    if isinstance(number, str) and number and call.get("call_type", "phone_call") == "phone_call":
        customer.setdefault("phone", number)
    variables = call.get("retell_llm_dynamic_variables")
    name = variables.get("customer_name") if isinstance(variables, dict) else None
    if isinstance(name, str) and name.strip():
        customer.setdefault("name", name.strip())
    return customer


def _transfers(event: str, call: Mapping[str, Any], sent_at: datetime | None
               ) -> tuple[TransferEvent, ...]:
    conv = str(call["call_id"])
    reason = call.get("disconnection_reason")
    detail = f"retell {event}" + (f" ({reason})" if reason else "")
    match event:
        case "transfer_started":
            return (TransferEvent(conv, TransferStage.STARTED, at=sent_at, detail=detail),)
        case "transfer_bridged":
            return (TransferEvent(conv, TransferStage.BRIDGED, at=sent_at, detail=detail),)
        case "transfer_cancelled":
            return (TransferEvent(conv, TransferStage.FAILED, at=sent_at,
                                  outcome=TransferOutcome.FAILED, detail=detail),)
        case "transfer_ended":
            at = _ms(call.get("transfer_end_timestamp")) or sent_at
            return (TransferEvent(conv, TransferStage.ENDED, at=at, detail=detail),)
        case "call_ended":
            return _call_ended(conv, reason, _ms(call.get("end_timestamp")) or sent_at, detail)
    return ()


def _call_ended(conv: str, reason: object, at: datetime | None, detail: str
                ) -> tuple[TransferEvent, ...]:
    """`disconnection_reason` says how a transfer went when no transfer_* event came."""
    if reason == "call_transfer":  # a cold transfer: Retell left, the destination has them
        return (TransferEvent(conv, TransferStage.BRIDGED, at=at, detail=detail),)
    if reason == "transfer_bridged":
        return (TransferEvent(conv, TransferStage.BRIDGED, at=at, detail=detail),
                TransferEvent(conv, TransferStage.ENDED, at=at, detail=detail))
    if reason == "transfer_cancelled":
        return (TransferEvent(conv, TransferStage.FAILED, at=at,
                              outcome=TransferOutcome.FAILED, detail=detail),)
    # Any other end while a handoff is open: the caller left before anyone picked up.
    return (TransferEvent(conv, TransferStage.ENDED, at=at, detail=detail),)


def _ms(value: object) -> datetime | None:
    """Unix milliseconds as a UTC time; None for anything else (NaN, infinity, a time past
    year 9999 — Python's JSON reads `NaN` and `1e300`)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _utterance_time(started: datetime | None, words: object) -> datetime | None:
    """Call start plus the first word's offset (seconds of call audio)."""
    if started is None or not isinstance(words, list) or not words:
        return None
    first = words[0]
    offset = first.get("start") if isinstance(first, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int | float) or not offset >= 0:
        return None  # `not >=` also refuses NaN
    try:
        return started + timedelta(seconds=float(offset))
    except (OverflowError, ValueError):  # infinity, or past year 9999
        return None


def render_function_result(decision: Mapping[str, Any], policy: Policy) -> dict[str, Any]:
    """A decision as a custom function's result: flat keys a Retell agent can save as
    dynamic variables (`transfer_number`, `whisper`, ...) plus an `instruction` its LLM
    reads. `transfer` is true only when there is somewhere to transfer the call to."""
    action = str(decision.get("action", "continue"))
    destination = decision.get("destination") or {}
    queue_name = destination.get("queue") if isinstance(destination, dict) else None
    queue = policy.queues.get(queue_name) if queue_name else None
    number = queue.transfer.number if queue and queue.transfer else None
    sip = queue.transfer.sip if queue and queue.transfer else None
    extension = queue.transfer.extension if queue and queue.transfer and number else None
    number = number or (queue.phone if queue else None)
    brief = decision.get("brief") or {}
    escalating = action in ("escalate", "hold")
    can_transfer = escalating and bool(number or sip)
    say = decision.get("say_to_customer")
    reasons = [str(r.get("detail") or r.get("code")) for r in decision.get("reasons", [])
               if isinstance(r, dict)]
    return {
        "transfer": can_transfer,
        "action": action,
        "mode": decision.get("mode"),
        "queue": queue_name,
        "transfer_number": number if can_transfer else None,
        "transfer_sip_uri": sip if can_transfer else None,
        # Digits to key once transfer_number answers (Retell's transfer tool: `extension`).
        "transfer_extension": extension if can_transfer else None,
        "agent": destination.get("agent") if isinstance(destination, dict) else None,
        "whisper": brief.get("whisper"),
        "summary": brief.get("summary"),
        "say_to_customer": say,
        "priority": decision.get("priority"),
        "reasons": reasons,
        "handoff_id": decision.get("handoff_id"),
        "instruction": _instruction(action, can_transfer, queue_name, say),
    }


def _instruction(action: str, can_transfer: bool, queue: str | None, say: object) -> str:
    spoken = f' Tell the caller: "{say}"' if isinstance(say, str) and say else ""
    if action == "continue":
        return "No handoff is needed. Keep helping the caller."
    if can_transfer:
        return (f"Hand the caller to a person ({queue}): call the transfer tool now with "
                f"transfer_number or transfer_sip_uri.{spoken}")
    if action == "callback":
        return f"Nobody is available now; a person will call back.{spoken} Then end the call."
    return (f"A person in {queue} will take over from Warmline's desk; this queue has no "
            f"transfer number.{spoken}")
