"""The Twilio translator on recorded callbacks (tests/data/platforms/twilio/): signature
vectors, status mapping, HandoffData, and TwiML that stays well-formed whatever it carries."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.platforms import twilio
from warmline.adapters.policy_files import parse_policy_text
from warmline.core.errors import SignatureInvalid
from warmline.core.policy.model import Policy
from warmline.service.transfers import TransferOutcome, TransferStage

DATA = Path(__file__).parents[3] / "data" / "platforms" / "twilio"
TOKEN = "12345678901234567890123456789012"
URL = "https://warmline.example.com/integrations/twilio/status?tenant=acme&handoff=h-1"
PARENT = "CA1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a"


def params(name: str, **changes: str) -> twilio.Params:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    data.pop("_source")
    data.update(changes)
    return twilio.Params(data.items())


# --- signature -------------------------------------------------------------------------------

def test_twilios_published_test_vector_verifies() -> None:
    # Twilio's canonical vector (auth token "12345"), as its SDKs' own tests use it:
    # https://www.twilio.com/docs/usage/webhooks/webhooks-security
    form = twilio.Params([("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"),
                          ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")])
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.sign(url, form, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    twilio.verify(url, form, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


@pytest.mark.parametrize(("case", "url", "token", "form"), [
    ("wrong token", URL, TOKEN[::-1], {}),
    ("other handoff in the URL", URL.replace("h-1", "h-2"), TOKEN, {}),
    ("changed form", URL, TOKEN, {"CallStatus": "completed"}),
], ids=lambda v: v if isinstance(v, str) and " " in v else "")
def test_a_bad_signature_is_refused(case: str, url: str, token: str, form: dict[str, str]
                                    ) -> None:
    signed = twilio.sign(URL, params("status_ringing"), TOKEN)
    with pytest.raises(SignatureInvalid):
        twilio.verify(url, params("status_ringing", **form), signed, token)


def test_a_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureInvalid, match="missing"):
        twilio.verify(URL, params("status_ringing"), None, TOKEN)


def test_repeated_form_keys_are_all_signed() -> None:
    form = twilio.Params([("A", "1"), ("A", "2")])
    signed = twilio.sign(URL, form, TOKEN)
    twilio.verify(URL, form, signed, TOKEN)
    with pytest.raises(SignatureInvalid):
        twilio.verify(URL, twilio.Params([("A", "1")]), signed, TOKEN)


def test_the_public_url_replaces_what_the_proxy_changed() -> None:
    seen = "http://10.0.0.5:8000/integrations/twilio/status?tenant=acme"
    assert twilio.signed_url(seen, "https://calls.example.com") == (
        "https://calls.example.com/integrations/twilio/status?tenant=acme")
    assert twilio.signed_url(seen, "https://example.com/warmline/") == (
        "https://example.com/warmline/integrations/twilio/status?tenant=acme")
    assert twilio.signed_url(seen, None) == seen


# --- status callbacks ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "stages", "outcome"), [
    ("status_ringing", [TransferStage.STARTED], None),
    ("status_answered", [TransferStage.BRIDGED], None),
    ("status_completed", [TransferStage.BRIDGED, TransferStage.ENDED], None),
    ("status_machine", [TransferStage.FAILED], TransferOutcome.VOICEMAIL),
    ("dial_action_completed", [TransferStage.BRIDGED, TransferStage.ENDED], None),
    ("dial_action_busy", [TransferStage.FAILED], TransferOutcome.BUSY),
    ("enqueue_action_bridged", [TransferStage.BRIDGED, TransferStage.ENDED], None),
])
def test_callbacks_map_to_transfer_stages(name: str, stages: list[TransferStage],
                                          outcome: TransferOutcome | None) -> None:
    report = twilio.parse_status(params(name), "c-1")
    assert [e.stage for e in report.transfers] == stages
    assert report.transfers[-1].outcome == outcome
    assert {e.conversation_id for e in report.transfers} == {"c-1"}


@pytest.mark.parametrize(("status", "outcome"), [
    ("no-answer", TransferOutcome.NO_ANSWER), ("failed", TransferOutcome.FAILED),
    ("canceled", TransferOutcome.CALLER_LEFT), ("busy", TransferOutcome.BUSY),
])
def test_dial_failures_are_typed(status: str, outcome: TransferOutcome) -> None:
    report = twilio.parse_status(params("dial_action_busy", DialCallStatus=status), "c-1")
    assert [(e.stage, e.outcome) for e in report.transfers] == [(TransferStage.FAILED,
                                                                outcome)]
    assert report.is_dial_result
    assert report.failed


def test_status_events_are_dated_by_twilios_timestamp() -> None:
    event = twilio.parse_status(params("status_ringing"), "c-1").transfers[0]
    assert event.at is not None
    assert event.at.isoformat() == "2026-11-24T15:00:04+00:00"


def test_the_customers_call_is_the_parent_leg() -> None:
    assert twilio.call_key(params("status_ringing")) == PARENT
    assert twilio.call_key(params("dial_action_busy")) == PARENT


# --- ConversationRelay HandoffData -----------------------------------------------------------

def test_handoff_data_with_turns_becomes_a_turns_body() -> None:
    ask = twilio.parse_handoff(params("relay_handoff"))
    assert (ask.requested, ask.call_sid, ask.conversation_id) == (True, PARENT, PARENT)
    assert ask.reason == "live-agent-handoff"
    assert ask.turns_body is not None
    assert [t["id"] for t in ask.turns_body["turns"]] == ["t1", "t2"]
    assert ask.turns_body["customer"] == {"phone": "+15125550143"}


def test_plain_text_handoff_data_is_the_reason() -> None:
    ask = twilio.parse_handoff(params("relay_handoff", HandoffData="caller wants a human"))
    assert (ask.reason, ask.turns_body, ask.handoff_id) == ("caller wants a human", None, None)


def test_a_long_plain_text_handoff_data_is_cut_before_it_reaches_twiml() -> None:
    ask = twilio.parse_handoff(params("relay_handoff", HandoffData="x" * 100_000))
    assert ask.reason == "x" * twilio.MAX_REASON


def test_a_session_that_ended_without_handoff_data_asks_for_nothing() -> None:
    assert twilio.parse_handoff(params("relay_ended")).requested is False


# --- TwiML -----------------------------------------------------------------------------------

POLICY = """
version: 1
name: twilio-unit
timezone: UTC
defaults: {queue: desk}
queues:
  desk: {skills: [general]}
  retention: {transfer: {number: "+15125550100"}}
  scheduling: {transfer: {sip: "sip:scheduling@pbx.example.com"}}
  front-desk: {transfer: {number: "+1 (512) 555-0111 ext. 204"}}
"""
NASTY = 'Sarah <script>&amp; "quotes" ]]> 129 dollars'


def policy() -> Policy:
    return parse_policy_text(POLICY, source="test")


def decision(queue: str = "retention") -> dict[str, Any]:
    return {"conversation_id": "c-1", "action": "escalate", "mode": "warm", "priority": 90,
            "destination": {"type": "queue", "queue": queue, "skills": ["retention"]},
            "reasons": [{"code": "trigger", "rule": "cancellation", "detail": "said cancel"}],
            "tags": ["cancellation-risk"], "handoff_id": "h-1",
            "brief": {"summary": f"{NASTY}\nsecond line", "whisper": NASTY}}


URLS = twilio.CallbackUrls(whisper="https://w.example.com/whisper?tenant=a&handoff=h-1",
                           status="https://w.example.com/status?tenant=a&handoff=h-1")


def test_the_whisper_is_spoken_and_escaped() -> None:
    root = ET.fromstring(twilio.render_whisper(decision(), voice="Polly.Joanna"))
    say = root.find("Say")
    assert say is not None
    assert (say.text, say.get("voice")) == (NASTY, "Polly.Joanna")


def test_a_cold_transfer_whispers_nothing() -> None:
    cold = {**decision(), "brief": None, "mode": "cold"}
    assert list(ET.fromstring(twilio.render_whisper(cold))) == []


def test_dial_a_number_with_whisper_and_callbacks() -> None:
    twiml = twilio.render_dial(decision(), policy(), URLS)
    assert twiml is not None
    dial = ET.fromstring(twiml).find("Dial")
    assert dial is not None
    number = dial.find("Number")
    assert number is not None
    assert dial.get("action") == URLS.status
    assert (number.text, number.get("url"), number.get("statusCallback")) == (
        "+15125550100", URLS.whisper, URLS.status)
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"


def test_dial_a_sip_uri_with_headers_in_the_uri() -> None:
    twiml = twilio.render_dial(decision("scheduling"), policy(), URLS,
                               sip_headers={"X-Warmline-Brief": "a b&c=d"})
    assert twiml is not None
    sip = ET.fromstring(twiml).find("Dial/Sip")
    assert sip is not None
    assert sip.text == "sip:scheduling@pbx.example.com?X-Warmline-Brief=a%20b%26c%3Dd"


@pytest.mark.parametrize(("queue", "element"), [("retention", "Dial/Number"),
                                              ("scheduling", "Dial/Sip")])
def test_dial_asks_twilio_to_detect_an_answering_machine(queue: str, element: str) -> None:
    twiml = twilio.render_dial(decision(queue), policy(), URLS)
    assert twiml is not None
    target = ET.fromstring(twiml).find(element)
    assert target is not None
    assert target.get("machineDetection") == "Enable"
    assert (target.get("amdStatusCallback"), target.get("amdStatusCallbackMethod")) == (
        URLS.status, "POST")


def test_an_extension_is_keyed_once_the_number_answers() -> None:
    twiml = twilio.render_dial(decision("front-desk"), policy(), URLS)
    assert twiml is not None
    number = ET.fromstring(twiml).find("Dial/Number")
    assert number is not None
    assert (number.text, number.get("sendDigits")) == ("+15125550111", "wwww204")


def test_nothing_to_dial_for_a_queue_without_transfer() -> None:
    assert twilio.render_dial(decision("desk"), policy(), URLS) is None


def test_enqueue_into_taskrouter_carries_the_task_attributes() -> None:
    twiml = twilio.render_enqueue(decision(), status_url=URLS.status, workflow_sid="WW123",
                                  call_sid=PARENT)
    enqueue = ET.fromstring(twiml).find("Enqueue")
    assert enqueue is not None
    assert (enqueue.get("workflowSid"), enqueue.get("action")) == ("WW123", URLS.status)
    task = enqueue.find("Task")
    assert task is not None
    assert task.get("priority") == "90"
    attributes = json.loads(task.text or "")
    assert attributes["reason"] == "said cancel"
    assert attributes["priority"] == 90
    assert attributes["queue"] == "retention"
    assert attributes["brief"] == f"{NASTY}\nsecond line"
    assert (attributes["handoff_id"], attributes["call_sid"]) == ("h-1", PARENT)


def test_enqueue_without_a_workflow_uses_a_named_queue() -> None:
    enqueue = ET.fromstring(twilio.render_enqueue(decision(), status_url=URLS.status,
                                                  workflow_sid=None)).find("Enqueue")
    assert enqueue is not None
    assert enqueue.text == "retention"
    assert enqueue.find("Task") is None
