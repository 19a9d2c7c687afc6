"""One JSON webhook for every platform without an adapter of its own (Bland, Synthflow,
GoHighLevel workflows, a home-grown bot), as a translator, no IO: a conversation id and
SPEC §1 turns in; the SPEC §2 decision out, plus what a voice platform needs to act on it —
the queue's `transfer` target, `sip_headers` carrying the brief, the `agent` to hand to.

A platform that cannot send a Warmline API key signs its requests per Standard Webhooks
(https://www.standardwebhooks.com/, headers `webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) with
`integrations.generic.secret`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from warmline.core.decision.sip_header import sip_headers
from warmline.core.errors import InvalidInput, Problem, SignatureInvalid
from warmline.service.transfers import TransferEvent, TransferOutcome, TransferStage

#: Standard Webhooks' default tolerance for `webhook-timestamp`.
DEFAULT_MAX_AGE_SECONDS = 300.0
_CONVERSATION_FIELDS = ("customer", "channel", "started_at")
_MAX_STAMP_DIGITS = 12
_E = TypeVar("_E", TransferStage, TransferOutcome)


@dataclass(frozen=True, slots=True)
class GenericSettings:
    """`integrations.generic` of a policy (docs/integrations/generic.md)."""

    secret: str | None = None
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> GenericSettings:
        try:
            max_age = float(values.get("max_age_seconds") or DEFAULT_MAX_AGE_SECONDS)
        except ValueError:
            max_age = DEFAULT_MAX_AGE_SECONDS
        return cls(secret=values.get("secret") or None,
                   max_age_seconds=max_age if max_age > 0 else DEFAULT_MAX_AGE_SECONDS)


# --- verify ---------------------------------------------------------------------------------

def _key(secret: str) -> bytes:
    """Standard Webhooks secrets are `whsec_<base64>`; any other string is used as it is."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value a sender puts on `body` (`v1,<base64>`)."""
    payload = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(headers: Mapping[str, str], body: bytes, settings: GenericSettings, *,
           now: datetime) -> str:
    """Check a Standard Webhooks signature; returns the replay key (`webhook-id`).

    Raises:
        SignatureInvalid: a header missing, no signature matching, or a stale timestamp.
    """
    if not settings.secret:
        raise SignatureInvalid("integrations.generic.secret is not configured")
    h = {k.lower(): v for k, v in headers.items()}
    message_id, stamp = h.get("webhook-id", ""), h.get("webhook-timestamp", "")
    signatures = h.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise SignatureInvalid("webhook-id, webhook-timestamp and webhook-signature are all "
                               "required")
    # ASCII digits only ("²".isdigit() is true), and few enough for int() and a real time.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _MAX_STAMP_DIGITS):
        raise SignatureInvalid(f"webhook-timestamp must be Unix seconds, got {stamp[:20]!r}")
    expected = sign(settings.secret, message_id, int(stamp), body).encode()
    # Every listed signature is compared (several appear while a secret is rotated).
    matches = [hmac.compare_digest(part.encode(), expected)
               for part in signatures.split() if part.startswith("v1,")]
    if not any(matches):
        raise SignatureInvalid("no webhook-signature matches the body")
    age = abs(now.timestamp() - int(stamp))
    if age > settings.max_age_seconds:
        raise SignatureInvalid(f"webhook-timestamp is {age:.0f} s away from now; the limit is "
                               f"{settings.max_age_seconds:.0f} s (check the sender's clock)")
    return "generic:" + message_id


# --- read -----------------------------------------------------------------------------------

def _json_object(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput([Problem(f"not valid JSON: {err}", path="$")]) from err
    except RecursionError as err:  # e.g. 10,000 nested arrays: the parser's stack ends
        raise InvalidInput([Problem("JSON nests too deeply", path="$")]) from err
    if not isinstance(data, dict):
        raise InvalidInput([Problem("expected a JSON object", path="$")])
    return data


def _conversation_id(data: Mapping[str, Any]) -> str:
    value = data.get("conversation_id", data.get("id"))
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise InvalidInput([Problem("name the conversation: `conversation_id` (a string)",
                                    path="$.conversation_id")])
    return str(value)


def read_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """The conversation id and the body for the hot path (`turns`, and `customer`,
    `channel`, `started_at` when the conversation is new). A whole SPEC §1 conversation
    (`id` + `turns`) is accepted as it is."""
    data = _json_object(body)
    conversation_id = _conversation_id(data)
    turns = data.get("turns")
    if not isinstance(turns, list):
        raise InvalidInput([Problem("expected `turns`: a list of SPEC §1 turns", path="$.turns")])
    out: dict[str, Any] = {"turns": with_turn_ids(turns)}
    out.update({k: data[k] for k in _CONVERSATION_FIELDS if data.get(k) is not None})
    return conversation_id, out


def with_turn_ids(turns: list[Any]) -> list[Any]:
    """Turns without an `id` get one from speaker, time and text (and which repeat of those
    it is), so a platform that resends the whole transcript stores each turn once."""
    counts: dict[str, int] = {}
    out: list[Any] = []
    for turn in turns:
        if not isinstance(turn, dict) or turn.get("id") is not None:
            out.append(turn)
            continue
        basis = json.dumps([turn.get("speaker"), turn.get("at"), turn.get("text")],
                           sort_keys=True, default=str)
        counts[basis] = counts.get(basis, 0) + 1
        digest = hashlib.sha256(f"{basis}#{counts[basis]}".encode()).hexdigest()[:16]
        out.append({**turn, "id": f"g-{digest}"})
    return out


def read_transfer(body: bytes) -> TransferEvent:
    """`{"conversation_id", "stage": started|bridged|failed|ended, "outcome"?, "at"?,
    "detail"?}` as a transfer event, every problem located."""
    data = _json_object(body)
    problems: list[Problem] = []
    conversation_id = _conversation_id(data)
    stages = ", ".join(s.value for s in TransferStage)
    outcomes = ", ".join(o.value for o in TransferOutcome)
    stage = _enum(TransferStage, data.get("stage"), "$.stage", stages, problems)
    outcome = (None if data.get("outcome") is None else
               _enum(TransferOutcome, data.get("outcome"), "$.outcome", outcomes, problems))
    at = None
    if data.get("at") is not None:
        try:
            at = datetime.fromisoformat(str(data["at"]))
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            problems.append(Problem("expected an ISO 8601 time with offset", path="$.at"))
    if problems or stage is None:
        raise InvalidInput(problems or [Problem("`stage` is required", path="$.stage")])
    detail = data.get("detail")
    return TransferEvent(conversation_id, stage, at=at, outcome=outcome,
                         detail=None if detail is None else str(detail)[:500])


def _enum(kind: type[_E], value: object, path: str, allowed: str, problems: list[Problem]
          ) -> _E | None:
    try:
        return kind(str(value))
    except ValueError:
        problems.append(Problem(f"expected one of {allowed}, got {value!r}", path=path))
        return None


# --- render ---------------------------------------------------------------------------------

def render(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The SPEC §2 decision with `transfer` (the number or SIP URI to send the call to, else
    null), `sip_headers` (the brief as `X-Warmline-Brief`, the handoff id) and, for another
    AI agent, `agent` with the brief as its context."""
    out = dict(decision)
    dest = decision.get("destination")
    dest = dest if isinstance(dest, Mapping) and decision.get("action") != "continue" else {}
    transfer = {k: dest[k] for k in ("number", "sip") if dest.get(k)}
    live = decision.get("action") in ("escalate", "hold")
    out["transfer"] = transfer if transfer and live else None
    out["sip_headers"] = sip_headers(decision) if dest else {}
    if dest.get("type") == "agent":
        brief = decision.get("brief")
        summary = brief.get("summary") if isinstance(brief, Mapping) else None
        out["agent"] = {"name": dest.get("agent"), "context": summary}
    return out
