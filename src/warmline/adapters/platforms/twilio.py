"""Twilio Programmable Voice, as a translator (no IO): check `X-Twilio-Signature`, read status
callbacks and ConversationRelay's `HandoffData`, and write TwiML with the `twilio` library's
builders (which XML-escape every value).

Formats followed:
- Signature: https://www.twilio.com/docs/usage/webhooks/webhooks-security (RequestValidator)
- Whisper before the bridge, `<Number url statusCallback>`: https://www.twilio.com/docs/voice/twiml/number
- `<Dial action>` and `DialCallStatus`: https://www.twilio.com/docs/voice/twiml/dial
- `<Enqueue workflowSid><Task>` and `QueueResult`: https://www.twilio.com/docs/voice/twiml/enqueue,
  https://www.twilio.com/docs/taskrouter/twiml-queue-calls
- ConversationRelay `<Connect action>` with `HandoffData`:
  https://www.twilio.com/docs/voice/twiml/connect/conversationrelay
- SIP headers as `X-` query parameters of the SIP URI: https://www.twilio.com/docs/voice/twiml/sip
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.voice_response import Dial, Enqueue, VoiceResponse

from warmline.core.errors import SignatureInvalid
from warmline.core.policy.model import Policy
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage

SIGNATURE_HEADER = "x-twilio-signature"
SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"
#: Twilio's own `<Number statusCallbackEvent>` values.
STATUS_EVENTS = "initiated ringing answered completed"
#: `<Number machineDetection>` / `<Sip machineDetection>`: Twilio's answering-machine detection.
MACHINE_DETECTION = "Enable"
NOBODY_AVAILABLE = "Sorry, nobody can take your call right now. Please try again later."


class Params:
    """Form parameters as Twilio sent them (a key may repeat); what RequestValidator reads."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = [(str(k), str(v)) for k, v in items]

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(k for k, _ in self._items))

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._items if k == key]

    def get(self, key: str) -> str | None:
        values = self.getlist(key)
        return values[-1] if values else None


def signed_url(url: str, public_url: str | None) -> str:
    """The URL Twilio signed: `url`'s path and query on `public_url` (scheme://host and any
    prefix a proxy strips), else `url` itself."""
    if not public_url:
        return url
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else "/"
    return public_url.rstrip("/") + path


def sign(url: str, params: Params, auth_token: str) -> str:
    """The `X-Twilio-Signature` Twilio would send (tests, docs)."""
    signature: str = RequestValidator(auth_token).compute_signature(url, params)
    return signature


def verify(url: str, params: Params, signature: str | None, auth_token: str, *,
           settings_header: str | None = None) -> None:
    """Raises SignatureInvalid unless `signature` is Twilio's for this URL and form."""
    if not signature:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    algorithm = get_signature_algorithm(settings_header)
    try:
        valid = RequestValidator(auth_token).validate(url, params, signature, algorithm)
    except ValueError as err:  # urlparse refuses the URL (a Host header like `[::1`)
        raise SignatureInvalid(f"cannot check {SIGNATURE_HEADER} against the URL {url[:80]!r}"
                               ) from err
    if not valid:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match this URL and form")


# --- status callbacks -----------------------------------------------------------------------

_FAILED = {"busy": TransferOutcome.BUSY, "no-answer": TransferOutcome.NO_ANSWER,
           "failed": TransferOutcome.FAILED, "canceled": TransferOutcome.CALLER_LEFT,
           # <Enqueue action> QueueResult values
           "hangup": TransferOutcome.CALLER_LEFT, "queue-full": TransferOutcome.FAILED,
           "error": TransferOutcome.FAILED, "system-error": TransferOutcome.FAILED}


@dataclass(frozen=True, slots=True)
class StatusReport:
    transfers: tuple[TransferEvent, ...]
    is_dial_result: bool
    """True for `<Dial action>` / `<Enqueue action>`: Twilio runs the TwiML we answer."""
    failed: bool


def call_key(params: Params) -> str | None:
    """The customer's call: the parent leg of a dialled call, else the call itself."""
    return params.get("ParentCallSid") or params.get("CallSid")


def parse_status(params: Params, conversation_id: str) -> StatusReport:
    """`DialCallStatus` (Dial action), `QueueResult` (Enqueue action) or `CallStatus`
    (`<Number statusCallback>`) as transfer events for `conversation_id`."""
    dial, queued = params.get("DialCallStatus"), params.get("QueueResult")
    status = (dial or queued or params.get("CallStatus") or "").strip().lower()
    at = _timestamp(params.get("Timestamp"))
    answered_by = (params.get("AnsweredBy") or "").lower()
    detail = f"twilio {status}" + (f" ({answered_by})" if answered_by else "")

    def event(stage: TransferStage, outcome: TransferOutcome | None = None) -> TransferEvent:
        return TransferEvent(conversation_id, stage, at=at, outcome=outcome, detail=detail)

    result: tuple[TransferEvent, ...] = ()
    if is_machine(params):
        result = (event(TransferStage.FAILED, TransferOutcome.VOICEMAIL),)
    elif status in ("queued", "initiated", "ringing"):
        result = (event(TransferStage.STARTED),)
    elif status in ("in-progress", "answered") and not dial:
        result = (event(TransferStage.BRIDGED),)
    elif status in ("completed", "answered", "bridged"):
        # After the fact: the destination answered, and the bridged call is now over.
        result = (event(TransferStage.BRIDGED), event(TransferStage.ENDED))
    elif status in _FAILED:
        result = (event(TransferStage.FAILED, _FAILED[status]),)
    failed = any(e.stage is TransferStage.FAILED for e in result)
    return StatusReport(result, is_dial_result=bool(dial or queued), failed=failed)


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


# --- ConversationRelay handoff --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """What the agent passed in `handoffData` when it ended the ConversationRelay session."""

    call_sid: str
    conversation_id: str
    handoff_id: str | None
    reason: str | None
    turns_body: Mapping[str, Any] | None
    """A SPEC §5 turns body when the agent sent its turns; else the stored conversation."""
    requested: bool
    """False when the session ended without `HandoffData` (hang-up, error)."""


def parse_handoff(params: Params) -> HandoffRequest:
    """`HandoffData` is the agent's own string; JSON with `conversation_id`, `handoff_id`,
    `turns`, `customer`, `reason` is read, any other text is taken as the reason."""
    call_sid = params.get("CallSid") or ""
    raw = params.get("HandoffData")
    data: dict[str, Any] = {}
    if raw:
        try:
            loaded = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested past the stack
            loaded = {"reason": raw}
        data = loaded if isinstance(loaded, dict) else {"reason": raw}
    conversation_id = str(data.get("conversation_id") or call_sid)
    body = None
    if isinstance(data.get("turns"), list):
        body = {"turns": data["turns"], "channel": "voice"}
        if isinstance(data.get("customer"), dict):
            body["customer"] = data["customer"]
        elif params.get("From"):
            body["customer"] = {"phone": params.get("From")}
    reason = data.get("reason") or data.get("reasonCode")
    return HandoffRequest(call_sid=call_sid, conversation_id=conversation_id,
                          handoff_id=_text(data.get("handoff_id")),
                          reason=_text(reason), turns_body=body, requested=bool(raw))


#: The longest reason kept from `HandoffData` (it lands in TwiML task attributes).
MAX_REASON = 500


def _text(value: object) -> str | None:
    text = str(value) if isinstance(value, str | int) else ""
    return text[:MAX_REASON] or None


# --- TwiML -----------------------------------------------------------------------------------

def render_whisper(decision: Mapping[str, Any], *, voice: str | None = None) -> str:
    """What the rep hears after picking up, before the caller is bridged: the whisper (warm),
    nothing for a cold transfer."""
    response = VoiceResponse()
    whisper = (decision.get("brief") or {}).get("whisper")
    if isinstance(whisper, str) and whisper.strip():
        response.say(whisper, voice=voice)
    return str(response.to_xml())


@dataclass(frozen=True, slots=True)
class CallbackUrls:
    whisper: str
    status: str


def render_dial(decision: Mapping[str, Any], policy: Policy, urls: CallbackUrls, *,
                sip_headers: Mapping[str, str] | None = None) -> str | None:
    """`<Dial>` to the destination queue's `transfer:` number or SIP URI with the whisper
    on pickup and status callbacks; None when that queue has nothing to dial.

    Answering-machine detection is on (`machineDetection="Enable"`): Twilio then tells the
    whisper URL and the status callback who answered (`AnsweredBy`), so a rep's voicemail is
    recorded as the transfer's `voicemail` outcome instead of a bridged call, and the whisper
    is not spoken to a machine."""
    number, sip = transfer_target(decision, policy)
    if not number and not sip:
        return None
    response = VoiceResponse()
    dial = Dial(action=urls.status, method="POST")
    common: dict[str, Any] = {
        "url": urls.whisper, "method": "POST", "status_callback": urls.status,
        "status_callback_event": STATUS_EVENTS, "status_callback_method": "POST",
        "machine_detection": MACHINE_DETECTION, "amd_status_callback": urls.status,
        "amd_status_callback_method": "POST"}
    if number:
        extension = _extension(decision, policy)
        # `w` waits half a second: the extension is keyed once the line has answered.
        digits = f"wwww{extension}" if extension else None
        dial.number(number, send_digits=digits, **common)
    else:
        dial.sip(_with_headers(str(sip), sip_headers or {}), **common)
    response.append(dial)
    return str(response.to_xml())


def _extension(decision: Mapping[str, Any], policy: Policy) -> str | None:
    destination = decision.get("destination") or {}
    given = destination.get("extension")
    if given:
        return str(given)
    queue = policy.queues.get(str(destination.get("queue")))
    return queue.transfer.extension if queue and queue.transfer else None


def is_machine(params: Params) -> bool:
    """Twilio's answering-machine detection says a machine or fax answered (`AnsweredBy`)."""
    return (params.get("AnsweredBy") or "").lower().startswith(("machine", "fax"))


def _with_headers(uri: str, headers: Mapping[str, str]) -> str:
    if not headers:
        return uri
    query = "&".join(f"{quote(k, safe='-')}={quote(v, safe='')}" for k, v in headers.items())
    return uri + ("&" if "?" in uri else "?") + query


def transfer_target(decision: Mapping[str, Any], policy: Policy) -> tuple[str | None, str | None]:
    """(number, sip URI) of the decision's queue (`transfer:` or `phone:`), if any."""
    destination = decision.get("destination") or {}
    queue = policy.queues.get(str(destination.get("queue")))
    if queue is None:
        return None, None
    number = (queue.transfer.number if queue.transfer else None) or queue.phone
    return number, queue.transfer.sip if queue.transfer else None


def task_attributes(decision: Mapping[str, Any], *, call_sid: str | None = None,
                    reason: str | None = None) -> dict[str, Any]:
    """TaskRouter task attributes: why (reason), how urgent (priority), the brief, where."""
    destination = decision.get("destination") or {}
    brief = decision.get("brief") or {}
    reasons = [r for r in decision.get("reasons", []) if isinstance(r, dict)]
    words = "; ".join(str(r.get("detail") or r.get("code")) for r in reasons)
    return {
        "type": "warmline_handoff",
        "handoff_id": decision.get("handoff_id"),
        "conversation_id": decision.get("conversation_id"),
        "call_sid": call_sid,
        "queue": destination.get("queue"),
        "skills": list(destination.get("skills") or []),
        "reason": words or reason or "the AI agent handed the call over",
        "reason_codes": [str(r.get("code")) for r in reasons],
        "priority": decision.get("priority") or 50,
        "tags": list(decision.get("tags") or []),
        "mode": decision.get("mode"),
        "brief": brief.get("summary"),
        "whisper": brief.get("whisper"),
    }


def render_enqueue(decision: Mapping[str, Any], *, status_url: str,
                   workflow_sid: str | None, call_sid: str | None = None,
                   reason: str | None = None) -> str:
    """`<Enqueue>` for the decision: into a TaskRouter workflow with the task attributes
    JSON when `workflow_sid` is set, else into a Twilio queue named after the Warmline queue."""
    response = VoiceResponse()
    attributes = task_attributes(decision, call_sid=call_sid, reason=reason)
    if workflow_sid:
        enqueue = Enqueue(action=status_url, method="POST", workflow_sid=workflow_sid)
        enqueue.task(json.dumps(attributes, separators=(",", ":")),
                     priority=attributes["priority"])
    else:
        enqueue = Enqueue(str(attributes["queue"] or "warmline"), action=status_url,
                          method="POST")
    response.append(enqueue)
    return str(response.to_xml())


def render_goodbye(text: str | None, *, voice: str | None = None) -> str:
    """Say `text` (when given) and hang up."""
    response = VoiceResponse()
    if text:
        response.say(text, voice=voice)
    response.hangup()
    return str(response.to_xml())


def render_nothing() -> str:
    return str(VoiceResponse().to_xml())
