"""The Vapi translator on recorded payloads (tests/data/platforms/vapi, each citing the doc
it follows): credential checks, the envelope read into a SPEC §1 conversation, transfer
events with typed outcomes, and decisions rendered as Vapi's answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.platforms import vapi
from warmline.adapters.platforms.vapi import VapiSettings
from warmline.bootstrap import build_decider
from warmline.core.decision.sip_header import brief_header
from warmline.core.errors import InvalidInput, SignatureInvalid
from warmline.service.transfers import TransferOutcome, TransferStage

ROOT = Path(__file__).resolve().parents[4]
DATA = ROOT / "tests" / "data" / "platforms" / "vapi"
EXAMPLE = ROOT / "examples" / "policies" / "vapi.yaml"
CALL_ID = "c8f1a2b4-1d2e-4f3a-9b8c-7d6e5f4a3b21"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # the fixtures' call is two minutes old


def raw(name: str) -> bytes:
    return (DATA / f"{name}.json").read_bytes()


def message(name: str) -> vapi.VapiMessage:
    return vapi.read_message(raw(name))


def hmac_hex(key: str, payload: bytes) -> str:
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


# --- fixtures cite their sources ----------------------------------------------------------

@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_every_fixture_names_the_vapi_doc_it_follows(path: Path) -> None:
    data = json.loads(path.read_text())
    sources = data["_source"] if isinstance(data["_source"], list) else [data["_source"]]
    assert all(s.startswith("https://docs.vapi.ai/") for s in sources)
    assert vapi.read_message(path.read_bytes()).type == data["message"]["type"]


# --- verify -------------------------------------------------------------------------------

SECRET = VapiSettings(secret="s3cret-token")
HMAC = VapiSettings(hmac_secret="hmac-key-123", max_age_seconds=300)


@pytest.mark.parametrize("headers", [
    {"X-Vapi-Secret": "s3cret-token"},
    {"Authorization": "Bearer s3cret-token"},
], ids=["x-vapi-secret", "bearer"])
def test_the_shared_secret_verifies_from_either_header(headers: dict[str, str]) -> None:
    assert vapi.verify(headers, raw("status-update-forwarding"), SECRET, now=NOW) is None


@pytest.mark.parametrize("headers", [
    {}, {"X-Vapi-Secret": "wrong"}, {"Authorization": "Bearer wrong"},
    {"Authorization": "Basic s3cret-token"},
], ids=["none", "wrong-header", "wrong-bearer", "not-bearer"])
def test_a_missing_or_wrong_secret_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        vapi.verify(headers, raw("status-update-forwarding"), SECRET, now=NOW)


def hmac_headers(body: bytes, *, key: str = "hmac-key-123", at: datetime = NOW,
                 encoding: str = "hex", prefix: str = "") -> dict[str, str]:
    stamp = str(int(at.timestamp() * 1000))
    digest = hmac.new(key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).digest()
    sig = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    return {"x-signature": prefix + sig, "x-timestamp": stamp}


def test_vapi_hmac_credential_signature_verifies_and_returns_a_replay_key() -> None:
    body = raw("transfer-destination-request")
    key = vapi.verify(hmac_headers(body), body, HMAC, now=NOW)
    again = vapi.verify(hmac_headers(body, encoding="base64", prefix="sha256="), body, HMAC,
                        now=NOW)
    assert key is not None
    assert key.startswith("vapi:")
    assert again == key  # the same signed request, however encoded, is one replay key


@pytest.mark.parametrize(("case", "headers"), [
    ("wrong secret", lambda b: hmac_headers(b, key="not-the-key")),
    ("stale timestamp", lambda b: hmac_headers(b, at=NOW - timedelta(seconds=301))),
    ("future timestamp", lambda b: hmac_headers(b, at=NOW + timedelta(minutes=10))),
    ("tampered body", lambda b: hmac_headers(b + b" ")),
    ("no signature", lambda b: {"x-timestamp": "1795532400000"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_hmac_signatures_are_refused(case: str, headers: Any) -> None:
    body = raw("transfer-destination-request")
    with pytest.raises(SignatureInvalid):
        vapi.verify(headers(body), body, HMAC, now=NOW)


def test_the_legacy_x_vapi_signature_signs_the_body_and_its_message_timestamp_ages() -> None:
    body = raw("transfer-destination-request")  # message.timestamp 14:58:25Z
    headers = {"X-Vapi-Signature": hmac_hex("hmac-key-123", body)}
    assert vapi.verify(headers, body, HMAC, now=NOW) is not None
    with pytest.raises(SignatureInvalid, match="old"):
        vapi.verify(headers, body, HMAC, now=NOW + timedelta(minutes=10))


def test_a_signed_body_without_any_timestamp_is_refused() -> None:
    body = json.dumps({"message": {"type": "status-update", "status": "ended"}}).encode()
    headers = {"x-vapi-signature": hmac_hex("hmac-key-123", body)}
    with pytest.raises(SignatureInvalid, match="no timestamp"):
        vapi.verify(headers, body, HMAC, now=NOW)


def test_renamed_signature_and_timestamp_headers_are_read_from_settings() -> None:
    settings = VapiSettings(hmac_secret="hmac-key-123", signature_header="X-Hub-Sig",
                            timestamp_header="X-Hub-Time")
    body = raw("status-update-forwarding")
    default = hmac_headers(body)
    renamed = {"X-Hub-Sig": default["x-signature"], "X-Hub-Time": default["x-timestamp"]}
    assert vapi.verify(renamed, body, settings, now=NOW) is not None
    with pytest.raises(SignatureInvalid):
        vapi.verify(default, body, settings, now=NOW)


def test_with_both_credentials_either_verifies_but_a_bad_signature_is_never_excused() -> None:
    both = VapiSettings(secret="s3cret-token", hmac_secret="hmac-key-123")
    body = raw("status-update-forwarding")
    assert vapi.verify({"X-Vapi-Secret": "s3cret-token"}, body, both, now=NOW) is None
    assert vapi.verify(hmac_headers(body), body, both, now=NOW) is not None
    forged = {**hmac_headers(body, key="forged"), "X-Vapi-Secret": "s3cret-token"}
    with pytest.raises(SignatureInvalid):
        vapi.verify(forged, body, both, now=NOW)


def test_settings_come_from_the_policy_section_with_safe_defaults() -> None:
    settings = VapiSettings.from_mapping({"secret": "a", "max_age_seconds": "soon"})
    assert settings.secret == "a"
    assert settings.max_age_seconds == 300
    assert settings.has_credential
    assert not VapiSettings.from_mapping({}).has_credential


# --- read and parse -----------------------------------------------------------------------

@pytest.mark.parametrize(("body", "path"), [
    (b"{not json", "$"), (b"[]", "$"), (b'{"message": "hi"}', "$"),
    (b'{"message": {"call": {}}}', "$.message.type"),
], ids=["not-json", "list", "message-not-object", "no-type"])
def test_anything_but_vapis_envelope_is_a_located_error(body: bytes, path: str) -> None:
    with pytest.raises(InvalidInput) as err:
        vapi.read_message(body)
    assert err.value.problems[0].path == path


def test_the_call_becomes_a_spec_conversation_with_ai_and_customer_turns() -> None:
    conversation = vapi.parse(message("transfer-destination-request"))
    assert conversation.id == CALL_ID
    assert conversation.channel is not None
    assert conversation.channel.value == "voice"
    assert conversation.customer.phone == "+15125550143"
    assert conversation.started_at == datetime(2026, 11, 24, 14, 58, tzinfo=UTC)
    assert [(t.speaker.value, t.text[:24]) for t in conversation.turns] == [
        ("ai", "Thanks for calling Acme,"), ("customer", "Hi, this is Sarah Okafor"),
        ("ai", "I can see two charges of"), ("customer", "Honestly I just want to ")]
    assert conversation.turns[1].at == datetime(2026, 11, 24, 14, 58, 5, tzinfo=UTC)


def test_tool_results_become_actions_of_the_ai_turn_that_follows_them() -> None:
    turns = vapi.parse(message("transfer-destination-request")).turns
    assert [(a.name, a.status, a.detail) for a in turns[2].actions] == [
        ("lookup_invoice", "ok", "Two charges of $129.00 on 2026-11-20")]
    assert all(not t.actions for t in turns if t is not turns[2])


def test_turn_ids_are_the_same_on_every_request_about_the_call() -> None:
    early = vapi.conversation_body(message("conversation-update"))["turns"]
    later = vapi.conversation_body(message("end-of-call-report-forwarded"))["turns"]
    assert [t["id"] for t in early] == [t["id"] for t in later[: len(early)]]
    assert len({t["id"] for t in later}) == len(later)


def test_openai_formatted_messages_and_a_bare_transcript_are_read_too() -> None:
    openai = {"message": {"type": "transfer-destination-request", "call": {"id": "c-1"},
                          "messages": [{"role": "assistant", "content": "How can I help?"},
                                       {"role": "user", "content": "A human, please."}]}}
    transcript = {"message": {"type": "transfer-destination-request", "call": {"id": "c-2"},
                              "artifact": {"transcript": "AI: Hello.\nUser: Get me an agent."}}}
    for data in (openai, transcript):
        turns = vapi.parse(vapi.read_message(json.dumps(data).encode())).turns
        assert [t.speaker.value for t in turns] == ["ai", "customer"]
        assert all(t.id for t in turns)


def test_a_request_without_a_call_cannot_become_a_conversation() -> None:
    body = json.dumps({"message": {"type": "transfer-destination-request"}}).encode()
    with pytest.raises(InvalidInput):
        vapi.parse(vapi.read_message(body))


# --- transfer events ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "stage", "outcome"), [
    ("status-update-forwarding", TransferStage.STARTED, None),
    ("transfer-update", TransferStage.STARTED, None),
    ("transfer-update-assistant", TransferStage.BRIDGED, None),
    ("end-of-call-report-forwarded", TransferStage.BRIDGED, None),
    ("end-of-call-report-declined", TransferStage.FAILED, TransferOutcome.DECLINED),
    ("status-update-ended", TransferStage.FAILED, TransferOutcome.CALLER_LEFT),
    ("end-of-call-report-squad", TransferStage.ENDED, None),
], ids=lambda v: v if isinstance(v, str) else "")
def test_reports_become_transfer_events(name: str, stage: TransferStage,
                                        outcome: TransferOutcome | None) -> None:
    event = vapi.transfer_event(message(name))
    assert event is not None
    assert (event.stage, event.outcome) == (stage, outcome)
    assert event.at is not None
    assert event.at.tzinfo is not None


def test_the_end_of_call_time_is_the_calls_own_end() -> None:
    event = vapi.transfer_event(message("end-of-call-report-forwarded"))
    assert event is not None
    assert event.at == datetime(2026, 11, 24, 14, 58, 40, tzinfo=UTC)
    assert event.detail == "assistant-forwarded-call"


@pytest.mark.parametrize("name", ["assistant-request", "conversation-update",
                                  "transfer-destination-request"])
def test_messages_that_say_nothing_about_a_transfer_give_no_event(name: str) -> None:
    assert vapi.transfer_event(message(name)) is None


# https://docs.vapi.ai/calls/call-ended-reason — "Transfer errors", "Customer actions",
# "Call hooks", "SIP" and "Other reasons".
@pytest.mark.parametrize(("reason", "stage", "outcome"), [
    ("assistant-forwarded-call", TransferStage.BRIDGED, None),
    ("call.in-progress.error-transfer-failed", TransferStage.FAILED, TransferOutcome.FAILED),
    ("call.in-progress.error-warm-transfer-max-duration", TransferStage.FAILED,
     TransferOutcome.NO_ANSWER),
    ("call.in-progress.error-warm-transfer-silence-timeout", TransferStage.FAILED,
     TransferOutcome.NO_ANSWER),
    ("call.in-progress.error-warm-transfer-assistant-cancelled", TransferStage.FAILED,
     TransferOutcome.DECLINED),
    ("call.in-progress.error-warm-transfer-microphone-timeout", TransferStage.FAILED,
     TransferOutcome.FAILED),
    ("customer-ended-call-before-warm-transfer", TransferStage.FAILED,
     TransferOutcome.CALLER_LEFT),
    ("customer-ended-call-after-warm-transfer-attempt", TransferStage.FAILED,
     TransferOutcome.CALLER_LEFT),
    ("customer-ended-call-during-transfer", TransferStage.FAILED, TransferOutcome.CALLER_LEFT),
    ("call.forwarding.operator-busy", TransferStage.FAILED, TransferOutcome.BUSY),
    ("call.forwarding.no-answer", TransferStage.FAILED, TransferOutcome.NO_ANSWER),
    ("voicemail", TransferStage.FAILED, TransferOutcome.VOICEMAIL),
    ("call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable",
     TransferStage.FAILED, TransferOutcome.NO_ANSWER),
    ("call.in-progress.error-providerfault-outbound-sip-408-request-timeout",
     TransferStage.FAILED, TransferOutcome.NO_ANSWER),
    ("call.in-progress.error-providerfault-outbound-sip-503-service-unavailable",
     TransferStage.FAILED, TransferOutcome.FAILED),
    ("customer-ended-call", TransferStage.ENDED, None),
    ("assistant-ended-call", TransferStage.ENDED, None),
    ("silence-timed-out", TransferStage.ENDED, None),
], ids=lambda v: v if isinstance(v, str) else "")
def test_ended_reasons_map_to_typed_outcomes(reason: str, stage: TransferStage,
                                             outcome: TransferOutcome | None) -> None:
    assert vapi.ended_outcome(reason) == (stage, outcome)


# --- render ---------------------------------------------------------------------------------

BRIEF = {"summary": "Sarah wants to cancel.\nAI tried refund_offer (declined).\nHanded off: "
                    "cancellation risk.",
         "whisper": "Cancellation risk. Sarah wants to cancel.", "intent": None}


def decision(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "conversation_id": CALL_ID, "action": "escalate", "mode": "warm",
        "reasons": [{"code": "trigger", "rule": "cancellation", "detail": "..."}],
        "destination": {"type": "queue", "queue": "retention", "skills": ["retention"],
                        "number": "+15125550100"},
        "priority": 90, "tags": ["cancellation-risk"], "brief": BRIEF,
        "say_to_customer": "Connecting you with our retention team now.", "handoff_id": "h-1"}
    base.update(overrides)
    return base


def test_a_warm_number_transfer_says_warmlines_whisper_to_the_rep() -> None:
    assert vapi.render_transfer(decision()) == {"destination": {
        "type": "number", "number": "+15125550100",
        "message": "Connecting you with our retention team now.",
        "transferPlan": {"mode": "warm-transfer-say-message",
                         "message": "Cancellation risk. Sarah wants to cancel."}}}


def test_a_cold_decision_is_a_blind_transfer() -> None:
    answer = vapi.render_transfer(decision(mode="cold", brief=None))
    assert answer["destination"]["transferPlan"] == {"mode": "blind-transfer"}


def test_a_sip_destination_carries_the_brief_as_a_sip_header() -> None:
    dest = {"type": "queue", "queue": "scheduling", "skills": [],
            "sip": "sip:scheduling@pbx.example.com"}
    answer = vapi.render_transfer(decision(destination=dest))["destination"]
    assert answer["type"] == "sip"
    assert answer["sipUri"] == "sip:scheduling@pbx.example.com"
    assert answer["sipHeaders"] == {"X-Warmline-Brief": brief_header(BRIEF),
                                    "X-Warmline-Handoff": "h-1"}
    assert answer["transferPlan"]["mode"] == "warm-transfer-say-message"


def test_an_extension_is_sent_as_vapis_extension_with_the_e164_check_left_on() -> None:
    dest = {"type": "queue", "queue": "desk", "skills": [], "number": "+15125550100",
            "extension": "204"}
    answer = vapi.render_transfer(decision(destination=dest))["destination"]
    assert (answer["number"], answer["extension"]) == ("+15125550100", "204")
    assert "numberE164CheckEnabled" not in answer


def test_an_outside_phone_destination_is_dialled() -> None:
    dest = {"type": "phone", "queue": "answering-service", "skills": [],
            "number": "+15125550999"}
    assert vapi.render_transfer(decision(destination=dest))["destination"]["number"] == \
        "+15125550999"


@pytest.mark.parametrize(("overrides", "words"), [
    ({"action": "continue", "destination": None}, "no reason to hand off"),
    ({"destination": {"type": "queue", "queue": "billing", "skills": []}},
     "queues.billing.transfer"),
    ({"action": "callback"}, "booked a callback"),
], ids=["continue", "no-transfer-target", "callback"])
def test_no_transfer_is_an_error_the_model_reads(overrides: dict[str, Any], words: str) -> None:
    answer = vapi.render_transfer(decision(**overrides))
    assert set(answer) == {"error"}
    assert words in answer["error"]


def test_a_hold_still_transfers_to_the_queues_line() -> None:
    assert "destination" in vapi.render_transfer(decision(action="hold"))


def test_an_agent_destination_in_a_transfer_request_is_an_assistant_transfer() -> None:
    dest = {"type": "agent", "queue": "billing-bot", "agent": "billing-assistant"}
    assert vapi.render_transfer(decision(destination=dest)) == {"destination": {
        "type": "assistant", "assistantName": "billing-assistant",
        "message": "Connecting you with our retention team now."}}


def test_a_squad_handoff_goes_to_the_agent_with_the_brief_as_variables() -> None:
    dest = {"type": "agent", "queue": "billing-bot", "agent": "billing-assistant"}
    answer = vapi.render_handoff(decision(destination=dest))["destination"]
    assert answer["type"] == "assistant"
    assert answer["assistantName"] == "billing-assistant"
    assert answer["contextEngineeringPlan"] == {"type": "all"}
    assert answer["assistantOverrides"]["variableValues"] == {
        "warmline_brief": BRIEF["summary"], "warmline_whisper": BRIEF["whisper"],
        "warmline_reason": "trigger", "warmline_handoff_id": "h-1"}


def test_an_agent_named_by_vapi_id_is_sent_as_assistant_id() -> None:
    agent = "3c1f4b2a-8e7d-4c6b-9a5f-2e1d0c9b8a7f"
    dest = {"type": "agent", "queue": "bot", "agent": agent}
    answer = vapi.render_handoff(decision(destination=dest))["destination"]
    assert answer["assistantId"] == agent
    assert "assistantName" not in answer


def test_a_squad_handoff_to_people_is_refused_with_the_reason() -> None:
    answer = vapi.render_handoff(decision())
    assert set(answer) == {"error"}
    assert "use the transfer tool" in answer["error"]
    assert "error" in vapi.render_handoff(decision(action="continue", destination=None))


def test_assistant_request_is_answered_from_settings_alone() -> None:
    assert vapi.render_assistant(VapiSettings(assistant_id="asst-1")) == {"assistantId": "asst-1"}
    assert set(vapi.render_assistant(VapiSettings())) == {"error"}


# --- the example policy, end to end without a server ---------------------------------------

def test_the_example_policy_passes_policy_check() -> None:
    result = subprocess.run([sys.executable, "-m", "warmline", "policy", "check", str(EXAMPLE)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_the_example_policy_sends_the_cancelling_caller_to_retention_warm() -> None:
    decider = build_decider(EXAMPLE)
    decided = decider.decide(vapi.parse(message("transfer-destination-request")))
    answer = vapi.render_transfer(decided.to_dict())["destination"]
    assert answer["number"] == "+15125550100"
    assert answer["transferPlan"]["message"] == decided.brief.whisper  # type: ignore[union-attr]


def test_the_example_policy_hands_an_invoice_question_to_the_billing_assistant() -> None:
    decider = build_decider(EXAMPLE)
    decided = decider.decide(vapi.parse(message("handoff-destination-request"))).to_dict()
    assert decided["destination"] == {"type": "agent", "queue": "billing-bot",
                                      "agent": "billing-assistant"}
    assert decided["brief"]["summary"]
    answer = vapi.render_handoff(decided)["destination"]
    assert answer["assistantName"] == "billing-assistant"
    assert answer["assistantOverrides"]["variableValues"]["warmline_brief"] == \
        decided["brief"]["summary"]


def test_a_body_only_signature_next_to_a_timestamp_header_ages_by_the_body() -> None:
    body = raw("transfer-destination-request")  # message.timestamp 14:58:25Z
    headers = {"x-signature": hmac_hex("hmac-key-123", body), "x-timestamp": "1795532400000"}
    assert vapi.verify(headers, body, HMAC, now=NOW) is not None
    forged_stamp = {**headers, "x-timestamp": str(int(NOW.timestamp() * 1000) + 3_600_000)}
    assert vapi.verify(forged_stamp, body, HMAC, now=NOW) is not None  # unsigned: ignored
    with pytest.raises(SignatureInvalid, match="old"):
        vapi.verify(headers, body, HMAC, now=NOW + timedelta(minutes=10))
