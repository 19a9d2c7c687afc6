"""Vapi through the ASGI app, on memory and SQLite: a whole call (assistant request, transfer
destination request, status and end-of-call reports) drives one handoff; a squad hands a
call to another assistant with the brief; signature vectors (valid, wrong secret, stale,
replayed) get 200 / 401; another tenant's credentials get 401 and change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from warmline.core.decision.sip_header import brief_header
from warmline.testing import FakeClock

from . import harness, stored

DATA = Path(__file__).parents[2] / "data" / "platforms" / "vapi"
CALL_ID = "c8f1a2b4-1d2e-4f3a-9b8c-7d6e5f4a3b21"
SQUAD_CALL = "5e3d9a10-6b7c-4d8e-a1f2-0b9c8d7e6f50"
ACME_HMAC = "acme-hmac-key-0123456789"
ACME_SECRET = "acme-shared-secret"
GLOBEX_HMAC = "globex-hmac-key-9876543210"
START = "2026-11-24T14:58:25+00:00"  # when the fixtures' caller asks for a transfer

RULES = """
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
    tags: [cancellation-risk]
  - name: booking
    when: text.lowerAscii().contains("appointment")
    queue: scheduling
  - name: invoice
    when: text.lowerAscii().contains("invoice")
    queue: billing-bot
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+15125550100"}}
  scheduling: {skills: [scheduling], transfer: {sip: "sip:scheduling@pbx.example.com"}}
  billing-bot: {agent: billing-assistant}
"""
#: Each tenant's Vapi settings; initech has none (it uses API keys only).
TENANTS: dict[str, harness.Integrations] = {
    "initech": {},
    "acme": {"vapi": {"hmac_secret": ACME_HMAC, "secret": ACME_SECRET,
                      "assistant_id": "asst-acme"}},
    "globex": {"vapi": {"hmac_secret": GLOBEX_HMAC}},
}


@dataclass
class Env(harness.App):
    acme_key: str
    initech_key: str

    def send(self, name_or_data: str | dict[str, Any], *, tenant: str | None = "acme",
             key: str = ACME_HMAC, skew: float = 0.0, headers: dict[str, str] | None = None,
             signed: bool = True) -> Any:
        body = (DATA / f"{name_or_data}.json").read_bytes() if isinstance(name_or_data, str) \
            else json.dumps(name_or_data).encode()
        sent = dict(headers or {})
        if signed and headers is None:
            sent.update(sign(body, key, self.clock.now().timestamp() + skew))
        url = "/integrations/vapi" + (f"?tenant={tenant}" if tenant else "")
        return self.client.post(url, content=body,
                                headers={"content-type": "application/json", **sent})

    def handoff_of(self, conversation_id: str = CALL_ID, tenant: str = "acme") -> Any:
        return stored.handoff_of(self.services, tenant, conversation_id)

    def turns_of(self, conversation_id: str = CALL_ID, tenant: str = "acme") -> list[Any]:
        return stored.turns(self.services, tenant, conversation_id)


def at(clock_time: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-24T{clock_time}+00:00")


def sign(body: bytes, key: str, at: float) -> dict[str, str]:
    """Vapi's HMAC credential with its defaults: x-signature = hex HMAC-SHA256 of
    "{timestamp}.{body}", x-timestamp in ms."""
    stamp = str(int(at * 1000))
    digest = hmac.new(key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"x-signature": digest, "x-timestamp": stamp}


@pytest.fixture(params=harness.STORES)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    with harness.serve(request, RULES, TENANTS, keys=("acme", "initech"),
                       clock=FakeClock(datetime.fromisoformat(START))) as app:
        yield Env(app.client, app.services, app.clock, app.keys["acme"], app.keys["initech"])


def test_a_whole_call_moves_one_handoff_from_request_to_bridge(env: Env) -> None:
    assert env.send("assistant-request").json() == {"assistantId": "asst-acme"}
    answer = env.send("transfer-destination-request")
    assert answer.status_code == 200, answer.text
    destination = answer.json()["destination"]
    assert destination["type"] == "number"
    assert destination["number"] == "+15125550100"
    assert destination["transferPlan"]["mode"] == "warm-transfer-say-message"
    handoff = env.handoff_of()
    assert handoff.queue == "retention"
    assert handoff.status.value == "queued"
    assert destination["transferPlan"]["message"] == handoff.decision["brief"]["whisper"]
    assert destination["message"] == handoff.decision["say_to_customer"]

    env.clock.advance(2)  # the reports carry Vapi's own times (message.timestamp, endedAt)
    assert env.send("status-update-forwarding").json() == {"handoff_id": handoff.id,
                                                           "status": "queued"}
    assert env.handoff_of().offered_at == at("14:58:27")
    env.clock.advance(1)
    assert env.send("transfer-update").status_code == 200
    env.clock.advance(13)
    report = env.send("end-of-call-report-forwarded").json()
    assert report == {"handoff_id": handoff.id, "status": "accepted"}
    assert env.handoff_of().accepted_at == at("14:58:40")
    listed = env.client.get(f"/v1/handoffs/{handoff.id}",
                            headers={"Authorization": f"Bearer {env.acme_key}"}).json()
    assert listed["timings"]["handoff_seconds"] == 15.0
    assert [t["speaker"] for t in listed["transcript"]] == ["ai", "customer", "ai", "customer"]


def test_a_retried_transfer_request_gives_the_same_answer_and_stores_nothing_twice(
        env: Env) -> None:
    first = env.send("transfer-destination-request").json()
    env.clock.advance(1)  # a new signature over the same body: a retry, not a replay
    second = env.send("transfer-destination-request").json()
    assert first == second
    assert len(env.turns_of()) == 4


def test_a_failed_warm_transfer_records_its_typed_outcome(env: Env) -> None:
    env.send("transfer-destination-request")
    env.clock.advance(70)
    assert env.send("end-of-call-report-declined").json()["status"] == "failed"
    handoff = env.handoff_of()
    assert handoff.outcome == "declined"
    assert handoff.note == "call.in-progress.error-warm-transfer-assistant-cancelled"


def test_a_caller_hanging_up_during_the_transfer_is_abandonment(env: Env) -> None:
    env.send("transfer-destination-request")
    assert env.send("status-update-ended").json()["status"] == "abandoned"
    assert env.handoff_of().outcome == "caller_left"


def test_a_squad_hands_the_call_to_the_agent_with_the_brief(env: Env) -> None:
    answer = env.send("handoff-destination-request").json()["destination"]
    handoff = env.handoff_of(SQUAD_CALL)
    assert handoff.decision["destination"] == {"type": "agent", "queue": "billing-bot",
                                               "agent": "billing-assistant"}
    assert answer["type"] == "assistant"
    assert answer["assistantName"] == "billing-assistant"
    variables = answer["assistantOverrides"]["variableValues"]
    assert variables["warmline_brief"] == handoff.decision["brief"]["summary"]
    assert variables["warmline_handoff_id"] == handoff.id
    assert env.send("transfer-update-assistant").json()["status"] == "accepted"
    assert env.send("end-of-call-report-squad").json()["status"] == "completed"


def test_a_sip_queue_gets_the_brief_as_a_sip_header(env: Env) -> None:
    data = json.loads((DATA / "transfer-destination-request.json").read_text())
    data["message"]["call"]["id"] = "call-sip"
    last = data["message"]["artifact"]["messages"][-2]
    last["message"] = "I need to move my dental appointment, can you put me through?"
    destination = env.send(data).json()["destination"]
    handoff = env.handoff_of("call-sip")
    assert destination["sipUri"] == "sip:scheduling@pbx.example.com"
    assert destination["sipHeaders"] == {
        "X-Warmline-Brief": brief_header(handoff.decision["brief"]),
        "X-Warmline-Handoff": handoff.id}


def test_a_transfer_the_policy_does_not_want_is_refused_with_an_error(env: Env) -> None:
    data = json.loads((DATA / "transfer-destination-request.json").read_text())
    data["message"]["call"]["id"] = "call-continue"
    data["message"]["artifact"]["messages"] = data["message"]["artifact"]["messages"][:3]
    answer = env.send(data)
    assert answer.status_code == 200
    assert set(answer.json()) == {"error"}
    assert env.handoff_of("call-continue") is None


def test_assistant_request_is_answered_fast_and_stores_nothing(env: Env) -> None:
    started = time.perf_counter()
    answer = env.send("assistant-request")
    assert answer.status_code == 200
    assert time.perf_counter() - started < 1.0  # Vapi allows 7.5 s end to end
    assert env.turns_of() == []


@pytest.mark.parametrize("name", ["conversation-update", "end-of-call-report-forwarded",
                                  "status-update-forwarding", "transfer-update-assistant"])
def test_events_for_calls_warmline_never_escalated_are_accepted_harmlessly(
        env: Env, name: str) -> None:
    answer = env.send(name)
    assert (answer.status_code, answer.json()) == (200, {})


# --- signature vectors ----------------------------------------------------------------------

@pytest.mark.parametrize(("case", "kwargs", "status"), [
    ("valid", {}, 200),
    ("wrong secret", {"key": "not-acme-key"}, 401),
    ("stale timestamp", {"skew": -301.0}, 401),
    ("no credential", {"signed": False}, 401),
], ids=lambda v: v if isinstance(v, str) else "")
def test_signature_vectors(env: Env, case: str, kwargs: dict[str, Any], status: int) -> None:
    answer = env.send("transfer-destination-request", **kwargs)
    assert answer.status_code == status, answer.text
    assert (env.handoff_of() is not None) is (status == 200)
    if status == 401:
        assert answer.json()["error"]["message"] == "vapi request not verified"


def test_a_replayed_signed_request_is_refused(env: Env) -> None:
    body = (DATA / "end-of-call-report-declined.json").read_bytes()
    env.send("transfer-destination-request")
    headers = sign(body, ACME_HMAC, env.clock.now().timestamp())
    first = env.client.post("/integrations/vapi?tenant=acme", content=body, headers=headers)
    assert first.status_code == 200
    replay = env.client.post("/integrations/vapi?tenant=acme", content=body, headers=headers)
    assert replay.status_code == 401


def test_the_legacy_secret_header_is_accepted(env: Env) -> None:
    answer = env.send("transfer-destination-request",
                      headers={"X-Vapi-Secret": ACME_SECRET})
    assert answer.status_code == 200
    assert "destination" in answer.json()


def test_an_api_key_alone_works_only_where_no_vapi_credential_is_configured(env: Env) -> None:
    by_key = env.send("transfer-destination-request", tenant=None,
                      headers={"Authorization": f"Bearer {env.initech_key}"})
    assert by_key.status_code == 200
    assert "destination" in by_key.json()
    acme_key_only = env.send("transfer-destination-request", tenant=None,
                             headers={"Authorization": f"Bearer {env.acme_key}"})
    assert acme_key_only.status_code == 401  # acme configured a secret: it must verify too
    nothing = env.send("transfer-destination-request", tenant="initech", signed=False)
    assert nothing.status_code == 401


# --- tenant isolation -----------------------------------------------------------------------

def test_another_tenants_name_with_acmes_signature_is_refused(env: Env) -> None:
    answer = env.send("transfer-destination-request", tenant="globex")
    assert answer.status_code == 401
    assert env.handoff_of(tenant="globex") is None
    assert env.handoff_of() is None


def test_an_unknown_tenant_gets_the_same_401(env: Env) -> None:
    answer = env.send("transfer-destination-request", tenant="nobody")
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "vapi request not verified"


def test_another_tenants_reports_never_move_acmes_handoff(env: Env) -> None:
    env.send("transfer-destination-request")
    handoff = env.handoff_of()
    for name in ("end-of-call-report-forwarded", "status-update-ended"):
        answer = env.send(name, tenant="globex", key=GLOBEX_HMAC)
        assert (answer.status_code, answer.json()) == (200, {})
        by_key = env.send(name, tenant=None,
                          headers={"Authorization": f"Bearer {env.initech_key}"})
        assert (by_key.status_code, by_key.json()) == (200, {})
    assert env.handoff_of() == handoff


# --- errors ---------------------------------------------------------------------------------

def test_a_body_that_is_not_vapis_envelope_is_a_clear_422(env: Env) -> None:
    answer = env.send({"type": "status-update"})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["path"] == "$"


def test_a_transfer_request_without_a_call_is_a_clear_422(env: Env) -> None:
    answer = env.send({"message": {"type": "transfer-destination-request",
                                   "timestamp": env.clock.now().timestamp() * 1000}})
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["path"] == "$.message.call.id"


def test_a_body_over_the_limit_is_413(env: Env) -> None:
    big = {"message": {"type": "conversation-update", "padding": "x" * 1_100_000}}
    assert env.send(big).status_code == 413


def test_a_signature_is_checked_before_the_body_is_parsed(env: Env) -> None:
    answer = env.client.post("/integrations/vapi?tenant=acme", content=b"{not json",
                             headers={"x-signature": "00", "x-timestamp": "1"})
    assert answer.status_code == 401


def test_the_skew_allowed_is_the_policys_max_age(env: Env) -> None:
    assert env.send("status-update-forwarding", skew=-299.0).status_code == 200
    env.clock.advance(0.001)
    assert env.send("status-update-forwarding", skew=+299.0).status_code == 200
    assert env.send("status-update-forwarding", skew=timedelta(minutes=6).total_seconds()
                    ).status_code == 401
