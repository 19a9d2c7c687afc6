"""The generic JSON webhook through the ASGI app, on memory and SQLite: a conversation in, a
decision with its transfer target, SIP headers or agent out; Standard Webhooks signature
vectors (valid, wrong secret, stale, replayed id) get 200 / 401; transfer reports move the
handoff; another tenant's key or name gets 401 / nothing and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from warmline.adapters.platforms import generic
from warmline.core.decision.sip_header import brief_header

from . import harness, stored

ACME_SECRET = "whsec_YWNtZSBnZW5lcmljIHdlYmhvb2sgc2VjcmV0IGtleSE="
GLOBEX_SECRET = "whsec_Z2xvYmV4IGdlbmVyaWMgd2ViaG9vayBzZWNyZXQga2V5"

RULES = """
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
  - name: invoice
    when: text.lowerAscii().contains("invoice")
    queue: billing-bot
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {sip: "sip:retention@pbx.example.com"}}
  billing-bot: {agent: billing-assistant}
"""
#: Each tenant's generic webhook settings; initech has none (it posts with an API key).
TENANTS: dict[str, harness.Integrations] = {
    "initech": {},
    "acme": {"generic": {"secret": ACME_SECRET}},
    "globex": {"generic": {"secret": GLOBEX_SECRET}},
}


def turns(*texts: str) -> list[dict[str, Any]]:
    speakers = ("customer", "ai")
    return [{"speaker": speakers[i % 2], "text": text, "at": f"2026-11-24T10:00:0{i}-05:00"}
            for i, text in enumerate(texts)]


CANCEL = {"conversation_id": "bland-1", "customer": {"phone": "+15125550143"},
          "channel": "voice", "turns": turns("I want to cancel my subscription")}


@dataclass
class Env(harness.App):
    acme_key: str
    initech_key: str
    sent: int = 0

    def post(self, data: Any, *, path: str = "/integrations/generic", tenant: str | None = None,
             key: str | None = None, secret: str | None = None, msg_id: str | None = None,
             skew: int = 0) -> Any:
        body = json.dumps(data).encode()
        headers = {"content-type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if secret:
            self.sent += 1
            ident = msg_id or f"msg_{self.sent}"
            stamp = int(self.clock.now().timestamp()) + skew
            headers.update({"webhook-id": ident, "webhook-timestamp": str(stamp),
                            "webhook-signature": generic.sign(secret, ident, stamp, body)})
        url = path + (f"?tenant={tenant}" if tenant else "")
        return self.client.post(url, content=body, headers=headers)

    def handoff_of(self, conversation_id: str, tenant: str) -> Any:
        return stored.handoff_of(self.services, tenant, conversation_id)

    def turn_count(self, conversation_id: str, tenant: str) -> int:
        return len(stored.turns(self.services, tenant, conversation_id))


@pytest.fixture(params=harness.STORES)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    with harness.serve(request, RULES, TENANTS, keys=("acme", "initech")) as app:
        yield Env(app.client, app.services, app.clock, app.keys["acme"], app.keys["initech"])


def test_an_api_key_posts_a_conversation_and_gets_the_decision_with_its_target(env: Env
                                                                               ) -> None:
    answer = env.post(CANCEL, key=env.initech_key)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    handoff = env.handoff_of("bland-1", "initech")
    assert out["action"] == "hold"  # no rep is on Warmline's desk: the platform's line holds
    assert out["handoff_id"] == handoff.id
    assert out["destination"]["queue"] == "retention"
    assert out["transfer"] == {"sip": "sip:retention@pbx.example.com"}
    assert out["sip_headers"] == {"X-Warmline-Brief": brief_header(out["brief"]),
                                  "X-Warmline-Handoff": handoff.id}


def test_resending_the_whole_transcript_stores_each_turn_once(env: Env) -> None:
    first = env.post({**CANCEL, "turns": turns("Hi", "Hello, how can I help?")},
                     key=env.initech_key).json()
    assert first["action"] == "continue"
    assert first["transfer"] is None
    longer = turns("Hi", "Hello, how can I help?", "I want to cancel")
    second = env.post({**CANCEL, "turns": longer}, key=env.initech_key).json()
    again = env.post({**CANCEL, "turns": longer}, key=env.initech_key).json()
    assert second["action"] in ("escalate", "hold")
    assert again["handoff_id"] == second["handoff_id"]
    assert env.turn_count("bland-1", "initech") == 3


def test_a_queue_with_an_agent_hands_the_conversation_to_that_agent_with_the_brief(
        env: Env) -> None:
    data = {"conversation_id": "synthflow-7",
            "turns": turns("The total on my invoice is wrong")}
    out = env.post(data, key=env.initech_key).json()
    assert out["destination"] == {"type": "agent", "queue": "billing-bot",
                                  "agent": "billing-assistant"}
    assert out["agent"] == {"name": "billing-assistant", "context": out["brief"]["summary"]}
    assert out["transfer"] is None


def test_a_transfer_report_moves_the_handoff(env: Env) -> None:
    env.post(CANCEL, key=env.initech_key)
    env.clock.advance(9)
    report = {"conversation_id": "bland-1", "stage": "bridged"}
    answer = env.post(report, path="/integrations/generic/transfer", key=env.initech_key)
    handoff = env.handoff_of("bland-1", "initech")
    assert answer.json() == {"handoff_id": handoff.id, "status": "accepted"}
    assert handoff.accepted_at == env.clock.now()


def test_a_transfer_report_for_an_unknown_conversation_changes_nothing(env: Env) -> None:
    report = {"conversation_id": "never-seen", "stage": "failed", "outcome": "busy"}
    answer = env.post(report, path="/integrations/generic/transfer", key=env.initech_key)
    assert answer.json() == {"handoff_id": None, "status": None}


# --- Standard Webhooks signature vectors --------------------------------------------------

@pytest.mark.parametrize(("case", "kwargs", "status"), [
    ("valid", {"secret": ACME_SECRET}, 200),
    ("wrong secret", {"secret": GLOBEX_SECRET}, 401),
    ("stale timestamp", {"secret": ACME_SECRET, "skew": -301}, 401),
    ("unsigned", {}, 401),
], ids=lambda v: v if isinstance(v, str) else "")
def test_signature_vectors(env: Env, case: str, kwargs: dict[str, Any], status: int) -> None:
    answer = env.post(CANCEL, tenant="acme", **kwargs)
    assert answer.status_code == status, answer.text
    assert (env.handoff_of("bland-1", "acme") is not None) is (status == 200)


def test_a_replayed_webhook_id_is_refused(env: Env) -> None:
    assert env.post(CANCEL, tenant="acme", secret=ACME_SECRET, msg_id="msg_a").status_code == 200
    replay = env.post(CANCEL, tenant="acme", secret=ACME_SECRET, msg_id="msg_a")
    assert replay.status_code == 401
    assert replay.json()["error"]["message"] == "generic request not verified"


def test_an_api_key_still_needs_the_signature_when_the_policy_sets_a_secret(env: Env) -> None:
    assert env.post(CANCEL, key=env.acme_key).status_code == 401
    signed = env.post(CANCEL, key=env.acme_key, secret=ACME_SECRET)
    assert signed.status_code == 200


def test_a_tenant_without_a_secret_needs_an_api_key(env: Env) -> None:
    assert env.post(CANCEL, tenant="initech").status_code == 401
    assert env.post(CANCEL).status_code == 401


def test_transfer_reports_are_signed_the_same_way(env: Env) -> None:
    env.post(CANCEL, tenant="acme", secret=ACME_SECRET)
    report = {"conversation_id": "bland-1", "stage": "failed", "outcome": "no_answer"}
    path = "/integrations/generic/transfer"
    assert env.post(report, path=path, tenant="acme").status_code == 401
    answer = env.post(report, path=path, tenant="acme", secret=ACME_SECRET)
    assert answer.json()["status"] == "failed"
    assert env.handoff_of("bland-1", "acme").outcome == "no_answer"


# --- tenant isolation ---------------------------------------------------------------------

def test_acmes_signature_under_another_tenants_name_is_refused(env: Env) -> None:
    assert env.post(CANCEL, tenant="globex", secret=ACME_SECRET).status_code == 401
    assert env.post(CANCEL, tenant="nobody", secret=ACME_SECRET).status_code == 401
    assert env.handoff_of("bland-1", "globex") is None


def test_another_tenant_cannot_see_or_move_acmes_conversation(env: Env) -> None:
    env.post(CANCEL, tenant="acme", secret=ACME_SECRET)
    before = env.handoff_of("bland-1", "acme")
    report = {"conversation_id": "bland-1", "stage": "bridged"}
    moved = env.post(report, path="/integrations/generic/transfer", key=env.initech_key)
    assert moved.json() == {"handoff_id": None, "status": None}
    signed = env.post(report, path="/integrations/generic/transfer", tenant="globex",
                      secret=GLOBEX_SECRET)
    assert signed.json() == {"handoff_id": None, "status": None}
    assert env.handoff_of("bland-1", "acme") == before
    own = env.post({**CANCEL, "turns": turns("hello")}, key=env.initech_key).json()
    assert own["action"] == "continue"  # initech's bland-1 is its own, new conversation
    assert env.turn_count("bland-1", "acme") == 1


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "path"), [
    ({"turns": []}, "$.conversation_id"),
    ({"conversation_id": "c", "turns": "hi"}, "$.turns"),
    ({"conversation_id": "c", "turns": [{"speaker": "bot", "text": "x"}]}, "$.turns[0].speaker"),
], ids=["no-id", "turns-not-list", "bad-speaker"])
def test_bad_requests_are_located_422s(env: Env, data: dict[str, Any], path: str) -> None:
    answer = env.post(data, key=env.initech_key)
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["path"] == path


def test_too_many_turns_in_one_request_is_413(env: Env) -> None:
    many = {"conversation_id": "c", "turns": turns(*["hi"] * 101)}
    assert env.post(many, key=env.initech_key).status_code == 413


def test_a_bad_transfer_report_is_a_located_422(env: Env) -> None:
    answer = env.post({"conversation_id": "c", "stage": "ringing"},
                      path="/integrations/generic/transfer", key=env.initech_key)
    assert answer.status_code == 422
    assert answer.json()["error"]["problems"][0]["path"] == "$.stage"


# --- known gaps of the server's hot path for agent queues (service/turns.py, dispatch.py) ---

def test_an_agent_destination_never_waits_for_a_desk_rep(env: Env) -> None:
    data = {"conversation_id": "c-agent", "turns": turns("The total on my invoice is wrong")}
    assert env.post(data, key=env.initech_key).json()["action"] == "escalate"


def test_an_agent_handoff_is_never_offered_to_a_desk_rep(env: Env) -> None:
    from warmline.core.handoff import RepStatus

    tenant = env.services.tenants.find("initech")
    assert tenant is not None
    env.services.reps.put(tenant, "rep-1", name="Ana", skills=("general",), capacity=1,
                          status=RepStatus.AVAILABLE)
    data = {"conversation_id": "c-agent", "turns": turns("The total on my invoice is wrong")}
    env.post(data, key=env.initech_key)
    assert env.handoff_of("c-agent", "initech").rep_id is None
