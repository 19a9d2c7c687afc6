"""Vendor formats checked with the vendors' own SDKs (the `dev` extra pins them): every
recorded payload Warmline parses (tests/data/platforms) and every answer it renders validates
against the vendor's models with no unknown keys anywhere; signatures agree with the SDKs'
own code on the same vectors; Vapi's `endedReason` mapping only names values the SDK lists.

The SDKs' models accept unknown keys (pydantic `extra="allow"`), so `strict` walks the
validated object and fails on any key a model does not declare: a field we invented, misspelt
or put on the wrong object."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest
import vapi.types as vt
from retell.lib.webhook_auth import symmetric as retell_webhooks
from retell.types import PhoneCallResponse
from twilio.request_validator import RequestValidator
from vapi.types.call_ended_reason import CallEndedReason

from warmline import decide
from warmline.adapters.platforms import retell, twilio, vapi
from warmline.adapters.platforms.vapi_messages import BRIDGED_REASONS, FAILED_REASONS
from warmline.adapters.policy_files import parse_policy_text
from warmline.core.errors import SignatureInvalid

DATA = Path(__file__).resolve().parents[1] / "data" / "platforms"
#: Top-level annotation of a recorded payload (where it was taken from), not the vendor's.
SOURCE_KEY = "_source"


def unknown_keys(value: object, path: str = "$") -> list[str]:
    """Paths of keys no model declared, anywhere under a validated object."""
    found: list[str] = []
    if isinstance(value, pydantic.BaseModel):
        found += [f"{path}.{key}" for key in (value.__pydantic_extra__ or {})]
        for name, field in type(value).model_fields.items():
            found += unknown_keys(getattr(value, name), f"{path}.{field.alias or name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found += unknown_keys(item, f"{path}[{i}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found += unknown_keys(item, f"{path}.{key}")
    return found


def strict(model: type[pydantic.BaseModel], data: object) -> pydantic.BaseModel:
    """`data` validated by the vendor's `model`, failing on unknown keys as well."""
    parsed = model.model_validate(data)
    extra = unknown_keys(parsed)
    if extra:
        raise AssertionError(f"keys {model.__name__} does not declare: {', '.join(extra)}")
    return parsed


def recorded(vendor: str) -> list[Path]:
    return sorted((DATA / vendor).glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data.pop(SOURCE_KEY, None)
    return data


def test_the_strict_check_fails_on_an_unknown_or_missing_key() -> None:
    message = load(DATA / "vapi" / "transfer-update.json")["message"]
    strict(vt.ServerMessageTransferUpdate, message)
    with pytest.raises(AssertionError, match=r"\$\.call\.transferTo"):
        strict(vt.ServerMessageTransferUpdate,
               {**message, "call": {**message["call"], "transferTo": "+15125550100"}})
    without = {**message, "call": {k: v for k, v in message["call"].items() if k != "orgId"}}
    with pytest.raises(pydantic.ValidationError, match="orgId"):
        strict(vt.ServerMessageTransferUpdate, without)


# --- Vapi -----------------------------------------------------------------------------------

VAPI_MESSAGES: dict[str, type[pydantic.BaseModel]] = {
    "assistant-request": vt.ServerMessageAssistantRequest,
    "conversation-update": vt.ServerMessageConversationUpdate,
    "end-of-call-report": vt.ServerMessageEndOfCallReport,
    "handoff-destination-request": vt.ServerMessageHandoffDestinationRequest,
    "status-update": vt.ServerMessageStatusUpdate,
    "transfer-destination-request": vt.ServerMessageTransferDestinationRequest,
    "transfer-update": vt.ServerMessageTransferUpdate,
}


@pytest.mark.parametrize("path", recorded("vapi"), ids=lambda p: p.stem)
def test_recorded_vapi_messages_are_vapis_server_messages(path: Path) -> None:
    envelope = load(path)
    assert set(envelope) == {"message"}, f"{path.name}: the envelope is {{\"message\": ...}}"
    message = envelope["message"]
    strict(VAPI_MESSAGES[message["type"]], message)
    vapi.read_message(json.dumps(envelope).encode())  # and Warmline reads it


POLICY = """
version: 1
name: vendor-contract
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancel, when: 'text.lowerAscii().contains("cancel")', queue: retention}
  - {name: book, when: 'text.lowerAscii().contains("reschedule")', queue: scheduling}
  - {name: billing, when: 'text.lowerAscii().contains("invoice")', queue: billing-bot}
  - {name: desk, when: 'text.lowerAscii().contains("person")', queue: desk}
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+1 (512) 555-0100 ext. 204"}}
  scheduling: {transfer: {sip: "sip:scheduling@pbx.example.com"}}
  billing-bot: {agent: billing-assistant}
"""
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SAYINGS = {"number": "I want to cancel", "sip": "I need to reschedule",
           "agent": "my invoice is wrong", "no-target": "let me talk to a person",
           "continue": "what are your opening hours?"}


def rendered_decision(saying: str, **overrides: Any) -> dict[str, Any]:
    policy = parse_policy_text(POLICY, source="contract")
    conversation = {"id": "c-1", "turns": [
        {"id": "t1", "speaker": "customer", "text": saying, "at": "2026-11-24T14:59:00Z"},
        {"id": "t2", "speaker": "ai", "text": "Let me check.", "confidence": 0.95,
         "at": "2026-11-24T14:59:05Z"}]}
    data = decide(conversation, policy, now=NOW).to_dict()
    data["handoff_id"] = "h-1"
    data.update(overrides)
    return data


@pytest.mark.parametrize("mode", ["warm", "cold"])
@pytest.mark.parametrize("kind", list(SAYINGS))
def test_transfer_answers_are_vapis_transfer_destination_responses(kind: str, mode: str
                                                                    ) -> None:
    answer = vapi.render_transfer(rendered_decision(SAYINGS[kind], mode=mode))
    parsed = strict(vt.ServerMessageResponseTransferDestinationRequest, answer)
    destination = getattr(parsed, "destination", None)
    if kind in ("no-target", "continue"):
        assert set(answer) == {"error"}
    elif kind == "number":
        assert (answer["destination"]["number"], answer["destination"]["extension"]) == (
            "+15125550100", "204")
        assert "numberE164CheckEnabled" not in answer["destination"]  # Vapi checks E.164
    else:
        assert destination is not None
        assert destination.type == {"sip": "sip", "agent": "assistant"}[kind]


def test_a_squad_handoff_answer_is_vapis_handoff_destination() -> None:
    answer = vapi.render_handoff(rendered_decision(SAYINGS["agent"]))
    strict(vt.ServerMessageResponseHandoffDestinationRequest, answer)
    # The SDK types `destination` as a plain dict: check it as the assistant destination.
    strict(vt.HandoffDestinationAssistant, answer["destination"])


@pytest.mark.parametrize("kind", ["number", "continue"])
def test_a_refused_squad_handoff_lacks_only_the_destination_the_sdk_requires(kind: str
                                                                             ) -> None:
    """Deliberate: Vapi's squads docs refuse with `{"error"}` alone; the SDK (generated from
    Vapi's OpenAPI) marks `destination` required. Nothing else may differ."""
    answer = vapi.render_handoff(rendered_decision(SAYINGS[kind]))
    assert set(answer) == {"error"}
    with pytest.raises(pydantic.ValidationError) as info:
        strict(vt.ServerMessageResponseHandoffDestinationRequest, answer)
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [
        ("missing", ("destination",))]


@pytest.mark.parametrize("settings", [vapi.VapiSettings(assistant_id="asst-1"),
                                      vapi.VapiSettings()], ids=["assistant", "none"])
def test_assistant_request_answers_are_vapis(settings: vapi.VapiSettings) -> None:
    strict(vt.ServerMessageResponseAssistantRequest, vapi.render_assistant(settings))


SDK_ENDED_REASONS = frozenset(typing.get_args(typing.get_args(CallEndedReason)[0]))
#: SDK values about transfers that Warmline deliberately does not map to a transfer outcome.
NOT_A_TRANSFER = {
    # an assistant-request answer forwarding the call before any handoff exists
    "assistant-request-returned-forwarding-phone-number",
}


def test_every_mapped_ended_reason_is_a_value_vapi_sends() -> None:
    mapped = set(BRIDGED_REASONS) | set(FAILED_REASONS)
    assert len(SDK_ENDED_REASONS) > 500
    assert sorted(mapped - SDK_ENDED_REASONS) == []


def test_every_transfer_ended_reason_the_sdk_lists_is_mapped_or_deliberately_not() -> None:
    about_transfers = re.compile(r"transfer|forward|outbound-sip|sip-outbound|voicemail|operator")
    unmapped = sorted(
        reason for reason in SDK_ENDED_REASONS
        if about_transfers.search(reason) and reason not in NOT_A_TRANSFER
        and reason not in BRIDGED_REASONS and reason not in FAILED_REASONS)
    assert unmapped == []


# --- Retell ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", recorded("retell"), ids=lambda p: p.stem)
def test_recorded_retell_bodies_carry_retells_call_object(path: Path) -> None:
    body = load(path)
    kind = "name" if "args" in body else "event"
    assert set(body) == ({"name", "call", "args"} if kind == "name" else {"event", "call"})
    strict(PhoneCallResponse, body["call"])
    if kind == "event":
        retell.parse_webhook(body)
    else:
        retell.parse_function_call(body)


@pytest.mark.parametrize("path", recorded("retell"), ids=lambda p: p.stem)
def test_retell_signatures_agree_with_the_sdks_verify(path: Path) -> None:
    body = path.read_text()
    key, at = "key_3f2e1d0c9b8a", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    ms = int(at.timestamp() * 1000)
    ours = retell.sign(body.encode(), key, at)
    assert retell_webhooks["verify"](body, key, ours, {"timestamp": ms})
    theirs = retell_webhooks["sign"](body, key, ms)
    assert retell.verify(body.encode(), theirs, key, now=at) == at
    tampered = body.replace('"call_id"', '"call_id" ', 1)
    assert not retell_webhooks["verify"](tampered, key, ours, {"timestamp": ms})
    with pytest.raises(SignatureInvalid):
        retell.verify(tampered.encode(), theirs, key, now=at)


# --- Twilio ---------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["HMAC_SHA1", "HMAC_SHA256"])
@pytest.mark.parametrize("path", recorded("twilio"), ids=lambda p: p.stem)
def test_twilio_signatures_agree_with_twilios_request_validator(path: Path, algorithm: str
                                                                 ) -> None:
    form = twilio.Params(load(path).items())
    url = "https://calls.example.com/integrations/twilio/status?tenant=acme&handoff=h-1"
    token = "12345678901234567890123456789012"
    validator = RequestValidator(token)
    signature = validator.compute_signature(url, form, algorithm)
    settings = f"key=webhooks_sharedkey_1,algorithm={algorithm}"
    twilio.verify(url, form, signature, token, settings_header=settings)
    changed = twilio.Params([*load(path).items(), ("CallStatus", "busy")])
    assert not validator.validate(url, changed, signature, algorithm)
    with pytest.raises(SignatureInvalid):
        twilio.verify(url, changed, signature, token, settings_header=settings)
