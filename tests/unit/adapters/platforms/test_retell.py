"""The Retell translator on recorded payloads (tests/data/platforms/retell/) and signature
vectors: valid, wrong key, stale, tampered, malformed."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.platforms import retell
from warmline.adapters.policy_files import parse_policy_text
from warmline.core.errors import InvalidInput, SignatureInvalid
from warmline.core.policy.model import Policy
from warmline.service.transfers import TransferOutcome, TransferStage
from warmline.testing import T0

DATA = Path(__file__).parents[3] / "data" / "platforms" / "retell"
KEY = "key_2f6c0a8d4e1b4b7f9a3c5d7e9f1a2b3c"
CALL_ID = "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


# --- signature -------------------------------------------------------------------------------

def test_signature_matches_the_sdk_formula() -> None:
    body = b'{"event":"call_started"}'
    stamp = str(int(T0.timestamp() * 1000))
    digest = hmac.new(KEY.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    assert retell.sign(body, KEY, T0) == f"v={stamp},d={digest}"


def test_a_valid_signature_verifies_and_dates_the_request() -> None:
    body = (DATA / "call_started.json").read_bytes()
    signed = retell.sign(body, KEY, T0)
    assert retell.verify(body, signed, KEY, now=T0 + timedelta(seconds=30)) == T0


@pytest.mark.parametrize(("case", "mutate"), [
    ("wrong key", lambda body, sig: (body, retell.sign(body, KEY + "x", T0))),
    ("tampered body", lambda body, sig: (body.replace(b"call_started", b"call_ended"), sig)),
    ("missing header", lambda body, sig: (body, None)),
    ("not retell's format", lambda body, sig: (body, "sha256=" + "0" * 64)),
    ("digest cut short", lambda body, sig: (body, sig[:-2])),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_bad_signature_is_refused(case: str, mutate: Any) -> None:
    body = (DATA / "call_started.json").read_bytes()
    body, signature = mutate(body, retell.sign(body, KEY, T0))
    with pytest.raises(SignatureInvalid):
        retell.verify(body, signature, KEY, now=T0)


@pytest.mark.parametrize("skew", [-301, 301], ids=["from the past", "from the future"])
def test_a_signature_outside_five_minutes_is_stale(skew: int) -> None:
    body = b"{}"
    signed = retell.sign(body, KEY, T0)
    with pytest.raises(SignatureInvalid, match="stale"):
        retell.verify(body, signed, KEY, now=T0 + timedelta(seconds=skew))
    assert retell.verify(body, signed, KEY, now=T0 + timedelta(seconds=skew),
                         max_age_seconds=600) == T0


# --- webhook parsing ---------------------------------------------------------------------------

def test_call_started_opens_the_conversation_with_the_caller() -> None:
    event = retell.parse_webhook(payload("call_started"))
    assert event.call_id == CALL_ID
    assert event.transfers == ()
    body = event.turns_body
    assert body is not None
    assert body["turns"] == []
    assert body["customer"] == {"phone": "+15125550143", "name": "Sarah Okafor"}
    assert body["started_at"] == "2026-11-24T14:58:00+00:00"
    assert body["channel"] == "voice"


def test_a_live_transcript_leaves_out_the_agent_utterance_still_being_spoken() -> None:
    body = retell.parse_webhook(payload("transcript_updated")).turns_body
    assert body is not None
    turns = body["turns"]
    assert [t["id"] for t in turns] == [f"{CALL_ID}:0", f"{CALL_ID}:1"]
    assert [t["speaker"] for t in turns] == ["ai", "customer"]
    assert turns[1]["text"].endswith("cancel my membership.")
    # call start 14:58:00 + first word at 5.1 s of call audio
    assert turns[1]["at"] == "2026-11-24T14:58:05.100000+00:00"


def test_the_final_transcript_keeps_every_utterance_with_the_same_ids() -> None:
    live = retell.parse_webhook(payload("transcript_updated")).turns_body
    final = retell.parse_webhook(payload("call_ended")).turns_body
    assert live is not None
    assert final is not None
    assert [t["id"] for t in final["turns"]] == [f"{CALL_ID}:{i}" for i in range(3)]
    assert final["turns"][:2] == live["turns"]


@pytest.mark.parametrize(("name", "stage", "outcome"), [
    ("transfer_started", TransferStage.STARTED, None),
    ("transfer_bridged", TransferStage.BRIDGED, None),
    ("transfer_cancelled", TransferStage.FAILED, TransferOutcome.FAILED),
    ("transfer_ended", TransferStage.ENDED, None),
    ("call_ended", TransferStage.ENDED, None),
])
def test_transfer_events_map_to_stages(name: str, stage: TransferStage,
                                       outcome: TransferOutcome | None) -> None:
    event = retell.parse_webhook(payload(name), sent_at=T0)
    assert [(t.stage, t.outcome) for t in event.transfers] == [(stage, outcome)]
    assert event.transfers[0].conversation_id == CALL_ID


def test_transfer_times_come_from_the_payload_else_from_the_signature() -> None:
    started = retell.parse_webhook(payload("transfer_started"), sent_at=T0)
    assert started.transfers[0].at == T0
    ended = retell.parse_webhook(payload("transfer_ended"), sent_at=T0)
    assert ended.transfers[0].at is not None
    assert ended.transfers[0].at.isoformat() == "2026-11-24T14:59:35+00:00"


@pytest.mark.parametrize(("reason", "stages"), [
    ("call_transfer", [TransferStage.BRIDGED]),
    ("transfer_bridged", [TransferStage.BRIDGED, TransferStage.ENDED]),
    ("transfer_cancelled", [TransferStage.FAILED]),
    ("user_hangup", [TransferStage.ENDED]),
])
def test_call_ended_reads_the_disconnection_reason(reason: str,
                                                   stages: list[TransferStage]) -> None:
    data = payload("call_ended")
    data["call"]["disconnection_reason"] = reason
    event = retell.parse_webhook(data)
    assert [t.stage for t in event.transfers] == stages
    assert all(reason in (t.detail or "") for t in event.transfers)


def test_call_analyzed_carries_turns_but_moves_no_transfer() -> None:
    event = retell.parse_webhook(payload("call_analyzed"))
    assert event.transfers == ()
    assert event.turns_body is not None
    assert len(event.turns_body["turns"]) == 3


def test_metadata_customer_and_outbound_numbers() -> None:
    data = payload("call_started")
    data["call"].update(direction="outbound",
                        metadata={"customer": {"id": "cust-77", "segment": "top10",
                                               "internal": "dropped"}})
    body = retell.parse_webhook(data).turns_body
    assert body is not None
    assert body["customer"] == {"id": "cust-77", "segment": "top10",
                                "phone": "+15125550100", "name": "Sarah Okafor"}


@pytest.mark.parametrize(("data", "path"), [
    ([], "$"),
    ({"call": {"call_id": "c"}}, "$.event"),
    ({"event": "call_started"}, "$.call"),
    ({"event": "call_started", "call": {"call_id": 7}}, "$.call.call_id"),
])
def test_malformed_webhooks_are_located(data: Any, path: str) -> None:
    with pytest.raises(InvalidInput) as err:
        retell.parse_webhook(data)
    assert path in [p.path for p in err.value.problems]


# --- custom function ---------------------------------------------------------------------------

POLICY = """
version: 1
name: retell-unit
timezone: UTC
defaults: {queue: desk}
queues:
  desk: {skills: [general]}
  retention: {transfer: {number: "+15125550100"}}
  scheduling: {transfer: {sip: "sip:scheduling@pbx.example.com"}}
"""


def policy() -> Policy:
    return parse_policy_text(POLICY, source="test")


def decision(queue: str, action: str = "escalate") -> dict[str, Any]:
    return {"conversation_id": CALL_ID, "action": action, "mode": "warm",
            "reasons": [{"code": "trigger", "rule": "cancellation", "detail": "said cancel"}],
            "destination": {"type": "queue", "queue": queue}, "priority": 90,
            "brief": {"summary": "Sarah wants to cancel.", "whisper": "Cancellation risk."},
            "say_to_customer": "Connecting you now.", "handoff_id": "h-1"}


def test_the_function_call_reads_the_live_transcript() -> None:
    event = retell.parse_function_call(payload("function_call"))
    assert event.call_id == CALL_ID
    assert event.turns_body is not None
    assert [t["speaker"] for t in event.turns_body["turns"]] == ["ai", "customer"]


def test_an_escalation_to_a_queue_with_a_number_says_transfer_there() -> None:
    result = retell.render_function_result(decision("retention"), policy())
    assert result["transfer"] is True
    assert result["transfer_number"] == "+15125550100"
    assert result["transfer_sip_uri"] is None
    assert result["whisper"] == "Cancellation risk."
    assert result["handoff_id"] == "h-1"
    assert "transfer tool" in result["instruction"]


def test_a_sip_queue_gives_the_sip_uri() -> None:
    result = retell.render_function_result(decision("scheduling"), policy())
    assert (result["transfer"], result["transfer_sip_uri"]) == (
        True, "sip:scheduling@pbx.example.com")


@pytest.mark.parametrize(("queue", "action"), [
    ("desk", "escalate"),        # no transfer target: the desk takes it
    ("retention", "callback"),   # closed: nothing to dial
])
def test_no_transfer_without_somewhere_to_dial(queue: str, action: str) -> None:
    result = retell.render_function_result(decision(queue, action), policy())
    assert result["transfer"] is False
    assert result["transfer_number"] is None


def test_continue_says_keep_helping() -> None:
    result = retell.render_function_result({"conversation_id": CALL_ID, "action": "continue"},
                                           policy())
    assert result["transfer"] is False
    assert result["instruction"].startswith("No handoff")
