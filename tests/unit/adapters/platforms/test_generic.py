"""The generic JSON webhook's translator: Standard Webhooks signature vectors, the request
read into the hot path's body (with stable turn ids), transfer reports, and the decision
rendered with its transfer target, SIP headers and agent context."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warmline.adapters.platforms import generic
from warmline.adapters.platforms.generic import GenericSettings
from warmline.core.decision.sip_header import brief_header
from warmline.core.errors import InvalidInput, SignatureInvalid
from warmline.service.deciding import Decider
from warmline.service.transfers import TransferOutcome, TransferStage
from warmline.testing import ai, customer, make_conversation, make_policy

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"a 32-byte key for the tests ....").decode()
SETTINGS = GenericSettings(secret=SECRET)
BODY = json.dumps({"conversation_id": "bland-42", "turns": [
    {"speaker": "customer", "text": "Can I talk to a person?"}]}).encode()


def signed(body: bytes = BODY, *, secret: str = SECRET, msg_id: str = "msg_2Lh9",
           at: datetime = NOW) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp),
            "webhook-signature": generic.sign(secret, msg_id, stamp, body)}


# --- verify: the Standard Webhooks vectors -------------------------------------------------

def test_sign_follows_standard_webhooks() -> None:
    # HMAC-SHA256 over "id.timestamp.body" with the base64-decoded whsec_ key, base64 out.
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, b"msg_2Lh9.1795532400." + BODY, hashlib.sha256).digest()
    assert generic.sign(SECRET, "msg_2Lh9", 1795532400, BODY) == \
        "v1," + base64.b64encode(digest).decode()


def test_a_valid_signature_returns_the_webhook_id_as_replay_key() -> None:
    assert generic.verify(signed(), BODY, SETTINGS, now=NOW) == "generic:msg_2Lh9"


def test_any_of_several_signatures_may_match_while_a_secret_rotates() -> None:
    headers = signed()
    headers["webhook-signature"] = "v1,b2xkIHNpZw== " + headers["webhook-signature"]
    assert generic.verify(headers, BODY, SETTINGS, now=NOW)


def test_a_plain_string_secret_is_used_as_it_is() -> None:
    settings = GenericSettings(secret="plain-shared-secret")
    assert generic.verify(signed(secret="plain-shared-secret"), BODY, settings, now=NOW)


@pytest.mark.parametrize(("case", "headers"), [
    ("wrong secret", lambda: signed(secret="whsec_" + base64.b64encode(b"x" * 32).decode())),
    ("stale timestamp", lambda: signed(at=NOW - timedelta(seconds=301))),
    ("future timestamp", lambda: signed(at=NOW + timedelta(seconds=301))),
    ("tampered body", lambda: signed(BODY + b" ")),
    ("other id", lambda: {**signed(), "webhook-id": "msg_other"}),
    ("no headers", lambda: {}),
    ("not seconds", lambda: {**signed(), "webhook-timestamp": "2026-11-24T15:00:00Z"}),
    ("v2 only", lambda: {**signed(), "webhook-signature": "v2,abc"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_signatures_are_refused(case: str, headers: Any) -> None:
    with pytest.raises(SignatureInvalid):
        generic.verify(headers(), BODY, SETTINGS, now=NOW)


def test_without_a_secret_nothing_verifies() -> None:
    with pytest.raises(SignatureInvalid, match="not configured"):
        generic.verify(signed(), BODY, GenericSettings(), now=NOW)


def test_max_age_is_configurable() -> None:
    settings = GenericSettings.from_mapping({"secret": SECRET, "max_age_seconds": "600"})
    old = signed(at=NOW - timedelta(seconds=500))
    assert generic.verify(old, BODY, settings, now=NOW)


# --- read ---------------------------------------------------------------------------------

def test_the_request_becomes_a_conversation_id_and_the_hot_paths_body() -> None:
    body = json.dumps({"conversation_id": "c-9", "turns": [{"speaker": "customer", "text": "hi"}],
                       "customer": {"phone": "+15125550143"}, "channel": "voice",
                       "unknown": 1}).encode()
    conversation_id, data = generic.read_request(body)
    assert conversation_id == "c-9"
    assert data["customer"] == {"phone": "+15125550143"}
    assert data["channel"] == "voice"
    assert "unknown" not in data


def test_a_whole_spec_conversation_is_accepted_as_it_is() -> None:
    body = json.dumps({"id": "c-10", "turns": [], "started_at": "2026-11-24T10:00:00-05:00"})
    conversation_id, data = generic.read_request(body.encode())
    assert conversation_id == "c-10"
    assert data["started_at"].startswith("2026-11-24")


@pytest.mark.parametrize(("body", "path"), [
    (b"nope", "$"), (b"[1]", "$"), (b'{"turns": []}', "$.conversation_id"),
    (b'{"conversation_id": true, "turns": []}', "$.conversation_id"),
    (b'{"conversation_id": "c", "turns": {}}', "$.turns"),
], ids=["not-json", "list", "no-id", "bool-id", "turns-not-list"])
def test_bad_requests_are_located(body: bytes, path: str) -> None:
    with pytest.raises(InvalidInput) as err:
        generic.read_request(body)
    assert err.value.problems[0].path == path


def test_turns_without_ids_get_stable_ones_and_given_ids_are_kept() -> None:
    turns = [{"speaker": "customer", "text": "yes"}, {"speaker": "customer", "text": "yes"},
             {"speaker": "ai", "text": "ok", "id": "mine"}]
    first = generic.with_turn_ids(turns)
    again = generic.with_turn_ids([*turns, {"speaker": "customer", "text": "more"}])
    assert [t["id"] for t in first] == [t["id"] for t in again[:3]]
    assert first[0]["id"] != first[1]["id"]  # two identical turns stay two turns
    assert first[2]["id"] == "mine"


def test_a_transfer_report_becomes_a_transfer_event() -> None:
    body = json.dumps({"conversation_id": "c-9", "stage": "failed", "outcome": "no_answer",
                       "at": "2026-11-24T15:01:00Z", "detail": "rang out"}).encode()
    event = generic.read_transfer(body)
    assert (event.conversation_id, event.stage, event.outcome, event.detail) == (
        "c-9", TransferStage.FAILED, TransferOutcome.NO_ANSWER, "rang out")
    assert event.at == datetime(2026, 11, 24, 15, 1, tzinfo=UTC)


def test_a_bad_transfer_report_lists_every_problem() -> None:
    body = json.dumps({"conversation_id": "c-9", "stage": "ringing", "outcome": "lost",
                       "at": "yesterday"}).encode()
    with pytest.raises(InvalidInput) as err:
        generic.read_transfer(body)
    assert [p.path for p in err.value.problems] == ["$.stage", "$.outcome", "$.at"]
    assert "started, bridged, failed, ended" in err.value.problems[0].message


# --- render -------------------------------------------------------------------------------

POLICY = make_policy(
    triggers=[{"name": "cancellation", "when": 'text.contains("cancel")', "queue": "retention"},
              {"name": "invoice", "when": 'text.contains("invoice")', "queue": "billing-bot"},
              {"name": "booking", "when": 'text.contains("appointment")',
               "queue": "scheduling", "mode": "cold"}],
    queues={"front-desk": {"skills": ["general"]},
            "retention": {"transfer": {"number": "+15125550100"}},
            "scheduling": {"transfer": {"sip": "sip:scheduling@pbx.example.com"}},
            "billing-bot": {"agent": "billing-assistant"}})


def decide(text: str) -> dict[str, Any]:
    conversation = make_conversation(id="c-1", turns=[customer(text), ai("Sure.", 0.95)])
    return Decider(POLICY).decide(conversation).to_dict()


def test_an_escalation_carries_its_transfer_target_and_the_brief_header() -> None:
    decided = {**decide("I want to cancel my plan"), "handoff_id": "h-7"}
    out = generic.render(decided)
    assert out["transfer"] == {"number": "+15125550100"}
    assert out["sip_headers"] == {"X-Warmline-Brief": brief_header(decided["brief"]),
                                  "X-Warmline-Handoff": "h-7"}
    assert out["action"] == "escalate"
    assert out["brief"] == decided["brief"]
    assert "agent" not in out


def test_a_cold_sip_queue_gives_the_uri_and_no_brief_header() -> None:
    out = generic.render(decide("I need to move my appointment"))
    assert out["transfer"] == {"sip": "sip:scheduling@pbx.example.com"}
    assert out["sip_headers"] == {}


def test_a_queue_with_an_agent_gives_an_agent_destination_with_the_brief_as_context() -> None:
    decided = decide("My invoice total is wrong")
    assert decided["destination"] == {"type": "agent", "queue": "billing-bot",
                                      "agent": "billing-assistant"}
    assert decided["brief"]["summary"]
    out = generic.render(decided)
    assert out["agent"] == {"name": "billing-assistant", "context": decided["brief"]["summary"]}
    assert out["transfer"] is None


def test_continue_has_no_target_and_no_headers() -> None:
    out = generic.render(decide("What are your opening hours?"))
    assert out["action"] == "continue"
    assert out["transfer"] is None
    assert out["sip_headers"] == {}
    assert "agent" not in out


def test_a_callback_has_no_transfer_target() -> None:
    decided = {**decide("I want to cancel my plan"), "action": "callback"}
    assert generic.render(decided)["transfer"] is None
