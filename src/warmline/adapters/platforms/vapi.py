"""Vapi's server-URL webhooks as a translator, no IO: `verify` the credential, `read_message`
the `{"message": {...}}` envelope, `conversation_body` / `parse` it into a SPEC §1
conversation, `transfer_event` for status and transfer reports, and `render_*` a Warmline
decision as Vapi's answer. The route in `warmline.web.integrations.vapi` does the IO. Reading
the messages lives in `vapi_messages` and is re-exported here.

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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warmline.adapters.platforms.vapi_messages import (
    MessageType,
    VapiMessage,
    _obj,
    conversation_body,
    ended_outcome,
    epoch_time,
    parse,
    read_message,
    transfer_event,
)
from warmline.core.decision.sip_header import sip_headers
from warmline.core.errors import SignatureInvalid

__all__ = [
    "DEFAULT_MAX_AGE_SECONDS", "SIGNATURE_HEADERS", "TIMESTAMP_HEADER", "MessageType",
    "VapiMessage", "VapiSettings", "conversation_body", "ended_outcome", "epoch_time", "parse",
    "read_message", "render_assistant", "render_handoff", "render_transfer", "same_digest",
    "transfer_event", "verify",
]

#: Vapi's HMAC credential defaults (signatureHeader, timestampHeader; payload
#: `{timestamp}.{body}`, hex). `x-vapi-signature` is the older HMAC of the body alone that the
#: dynamic-transfers guide verifies.
SIGNATURE_HEADERS = ("x-signature", "x-vapi-signature")
TIMESTAMP_HEADER = "x-timestamp"
DEFAULT_MAX_AGE_SECONDS = 300.0
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,16}[=,]")  # "sha256=", "v1," — never inside hex/base64


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


def _body_time(body: bytes) -> datetime | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    message = data.get("message") if isinstance(data, dict) else None
    return epoch_time(message.get("timestamp")) if isinstance(message, dict) else None


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
        # E.164 since the policy loaded (core.policy.transfer_number), so Vapi's E.164 check stays
        # on; Vapi dials `extension` once the number answers.
        out = {"type": "number", "number": str(number), "message": say, "transferPlan": plan}
        if dest.get("extension"):
            out["extension"] = str(dest["extension"])
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
