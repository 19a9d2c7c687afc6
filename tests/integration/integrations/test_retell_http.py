"""Retell through the ASGI app, on memory and SQLite: a whole call (webhooks + custom
function) drives one handoff's timings; replays change nothing; bad, stale and foreign
signatures get 401 and store nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.platforms import retell

from . import harness, stored

DATA = Path(__file__).parents[2] / "data" / "platforms" / "retell"
CALL_ID = "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6"
ACME_KEY = "key_acme_0123456789abcdef"
GLOBEX_KEY = "key_globex_fedcba9876543210"

RULES = """
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+15125550100"}}
"""
#: Each tenant's Retell settings; initech has no API key to verify signatures with.
TENANTS: dict[str, harness.Integrations] = {
    "acme": {"retell": {"api_key": ACME_KEY}},
    "globex": {"retell": {"api_key": GLOBEX_KEY}},
    "initech": {"retell": {"max_age_seconds": 60}},
}


@dataclass
class Env(harness.App):
    api_key: str

    def send(self, name_or_data: str | dict[str, Any], *, tenant: str = "acme",
             key: str = ACME_KEY, path: str = "/integrations/retell",
             skew: float = 0.0, signature: str | None = None) -> Any:
        if isinstance(name_or_data, str):
            body = (DATA / f"{name_or_data}.json").read_bytes()
        else:
            body = json.dumps(name_or_data).encode()
        signed = signature or retell.sign(body, key, self.clock.now() + timedelta(seconds=skew))
        return self.client.post(f"{path}?tenant={tenant}", content=body,
                                headers={"x-retell-signature": signed,
                                         "content-type": "application/json"})

    def handoff(self, handoff_id: str) -> dict[str, Any]:
        return self.api_handoff(handoff_id, self.api_key)

    def conversation(self, tenant: str, conversation_id: str = CALL_ID) -> Any:
        return stored.conversation(self.services, tenant, conversation_id)


@pytest.fixture(params=harness.STORES)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    with harness.serve(request, RULES, TENANTS, keys=("acme",)) as app:
        yield Env(app.client, app.services, app.clock, app.keys["acme"])


def test_a_whole_call_drives_one_handoff_from_queue_to_completed(env: Env) -> None:
    started = env.send("call_started")
    assert started.status_code == 200, started.text
    assert started.json()["action"] == "continue"
    conversation = env.conversation("acme")
    assert conversation.data["customer"] == {"phone": "+15125550143", "name": "Sarah Okafor"}

    update = env.send("transcript_updated").json()
    assert update["action"] == "hold"  # no rep is free: the platform dials the queue
    handoff_id = update["handoff_id"]
    assert env.handoff(handoff_id)["queue"] == "retention"

    answer = env.send("function_call", path="/integrations/retell/function")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["transfer"], result["transfer_number"], result["handoff_id"]) == (
        True, "+15125550100", handoff_id)
    assert result["whisper"]

    env.clock.advance(4)
    assert env.send("transfer_started").json()["handoff_status"] == "queued"
    env.clock.advance(6)
    assert env.send("transfer_bridged").json()["handoff_status"] == "accepted"
    timings = env.handoff(handoff_id)["timings"]
    assert timings["offered_at"] < timings["accepted_at"]
    assert timings["handoff_seconds"] == 10.0
    assert env.send("transfer_ended").json()["handoff_status"] == "completed"
    for name in ("call_ended", "call_analyzed"):
        assert env.send(name).status_code == 200
    final = env.handoff(handoff_id)
    assert final["status"] == "completed"
    assert [t["text"][:6] for t in final["transcript"]] == ["Thanks", "Hi, th", "I'm so"]


def test_a_replayed_webhook_has_no_second_effect(env: Env) -> None:
    first = env.send("transcript_updated").json()
    before = env.handoff(first["handoff_id"])
    env.clock.advance(30)
    again = env.send("transcript_updated").json()
    assert again["handoff_id"] == first["handoff_id"]
    assert env.handoff(first["handoff_id"]) == before
    assert len(env.conversation("acme").data["turns"]) == 2

    env.send("transfer_bridged")
    env.send("transfer_ended")
    done = env.handoff(first["handoff_id"])
    env.clock.advance(30)
    for name in ("transfer_started", "transfer_bridged", "transfer_cancelled", "transfer_ended"):
        assert env.send(name).status_code == 200
    assert env.handoff(first["handoff_id"]) == done


def test_a_cancelled_transfer_fails_the_handoff(env: Env) -> None:
    handoff_id = env.send("transcript_updated").json()["handoff_id"]
    env.send("transfer_started")
    assert env.send("transfer_cancelled").json()["handoff_status"] == "failed"
    assert env.handoff(handoff_id)["outcome"] == "failed"


def test_hanging_up_before_pickup_abandons_the_handoff(env: Env) -> None:
    handoff_id = env.send("transcript_updated").json()["handoff_id"]
    env.send("transfer_started")
    env.send("call_ended")
    handoff = env.handoff(handoff_id)
    assert (handoff["status"], handoff["outcome"]) == ("abandoned", "caller_left")


@pytest.mark.parametrize(("case", "kwargs"), [
    ("wrong key", {"key": GLOBEX_KEY}),
    ("stale", {"skew": -301}),
    ("from the future", {"skew": 301}),
    ("malformed header", {"signature": "v=1,d=nothex"}),
    ("unknown tenant", {"tenant": "nobody"}),
    ("tenant without a retell key", {"tenant": "initech"}),
    ("another tenant's key for our tenant", {"tenant": "globex", "key": ACME_KEY}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unverified_requests_get_401_and_store_nothing(env: Env, case: str,
                                                       kwargs: dict[str, Any]) -> None:
    for path in ("/integrations/retell", "/integrations/retell/function"):
        name = "function_call" if path.endswith("function") else "transcript_updated"
        response = env.send(name, path=path, **kwargs)
        assert response.status_code == 401, response.text
        # one answer for every case, so tenant names cannot be probed
        assert response.json()["error"]["message"] == "retell request not verified"
    for tenant in ("acme", "globex", "initech"):
        assert env.conversation(tenant) is None


def test_no_tenant_in_the_url_is_401(env: Env) -> None:
    response = env.client.post("/integrations/retell", content=b"{}")
    assert response.status_code == 401
    assert "tenant=" in response.json()["error"]["message"]


def test_the_same_call_id_in_another_tenant_touches_only_that_tenant(env: Env) -> None:
    handoff_id = env.send("transcript_updated").json()["handoff_id"]
    before = env.handoff(handoff_id)
    theirs = env.send("transcript_updated", tenant="globex", key=GLOBEX_KEY).json()
    assert theirs["handoff_id"] != handoff_id
    env.send("transfer_bridged", tenant="globex", key=GLOBEX_KEY)
    assert env.handoff(handoff_id) == before
    other = env.client.get(f"/v1/handoffs/{theirs['handoff_id']}",
                           headers={"Authorization": f"Bearer {env.api_key}"})
    assert other.status_code == 404


def test_a_signed_but_malformed_body_is_a_located_422(env: Env) -> None:
    response = env.send({"event": "call_started", "call": {"agent_id": "a"}})
    assert response.status_code == 422
    paths = [p["path"] for p in response.json()["error"]["problems"]]
    assert paths == ["$.call.call_id"]
    bad_json = env.send({"x": 1})  # signed, but not a Retell event
    assert bad_json.status_code == 422
    body = b'{"event": "call_started",'
    response = env.client.post("/integrations/retell?tenant=acme", content=body, headers={
        "x-retell-signature": retell.sign(body, ACME_KEY, env.clock.now())})
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0]["path"] == "$"
    assert env.conversation("acme") is None


def test_a_warmline_api_key_works_where_no_retell_key_is_configured(env: Env) -> None:
    key = env.services.tenants.create_key("initech")
    body = (DATA / "transcript_updated.json").read_bytes()
    response = env.client.post("/integrations/retell", content=body,
                               headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "hold"
    # ...but where a Retell key is configured, its signature is still required
    response = env.client.post("/integrations/retell", content=body,
                               headers={"Authorization": f"Bearer {env.api_key}"})
    assert response.status_code == 401
