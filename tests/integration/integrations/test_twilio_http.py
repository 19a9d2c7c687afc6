"""Twilio through the ASGI app, on memory and SQLite: dial with a whisper, status callbacks
timing the handoff, ConversationRelay's handoff into TaskRouter; bad signatures and another
tenant's handoffs get 401/404 and change nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from warmline.adapters.platforms import twilio

from . import harness

DATA = Path(__file__).parents[2] / "data" / "platforms" / "twilio"
PARENT = "CA1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a"
TOKENS = {"acme": "acme0123456789abcdef0123456789ab", "globex": "globexfedcba9876543210fedcba98"}
SERVER = "http://testserver"

RULES = """
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
    tags: [cancellation-risk]
  - name: billing
    when: text.lowerAscii().contains("invoice")
    queue: desk
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], transfer: {number: "+15125550100"}}
"""
#: Each tenant's Twilio settings; initech has no auth token, proxied sits behind a public URL.
TENANTS: dict[str, harness.Integrations] = {
    "acme": {"twilio": {"auth_token": TOKENS["acme"], "workflow_sid": "WW0123456789abcdef",
                        "voice": "Polly.Joanna"}},
    "globex": {"twilio": {"auth_token": TOKENS["globex"]}},
    "initech": {"twilio": {"voice": "alice"}},
    "proxied": {"twilio": {"auth_token": TOKENS["acme"],
                           "public_url": "https://calls.example.com"}},
}


@dataclass
class Env(harness.App):
    api_key: str

    def post(self, path: str, name_or_form: str | dict[str, str], *, tenant: str = "acme",
             token: str | None = None, signed_as: str | None = None, **query: str) -> Any:
        form = _form(name_or_form)
        url = f"{SERVER}{path}?{urlencode({'tenant': tenant, **query})}"
        secret = token or TOKENS.get(tenant, "none")
        signature = twilio.sign(signed_as or url, twilio.Params(form.items()), secret)
        return self.client.post(url, data=form, headers={"X-Twilio-Signature": signature})

    def post_url(self, url: str, name_or_form: str | dict[str, str], *, token: str) -> Any:
        """POST to a callback URL Warmline wrote into TwiML, signed for that URL."""
        form = _form(name_or_form)
        signature = twilio.sign(url, twilio.Params(form.items()), token)
        return self.client.post(url, data=form, headers={"X-Twilio-Signature": signature})

    def escalate(self, conversation: str = PARENT, text: str = "I want to cancel") -> str:
        return self.api_escalation(conversation, text, key=self.api_key)

    def handoff(self, handoff_id: str) -> dict[str, Any]:
        return self.api_handoff(handoff_id, self.api_key)


def _form(name_or_form: str | dict[str, str]) -> dict[str, str]:
    if isinstance(name_or_form, dict):
        return name_or_form
    data: dict[str, str] = json.loads((DATA / f"{name_or_form}.json").read_text())
    data.pop("_source")
    return data


def xml(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.text)


@pytest.fixture(params=harness.STORES)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    with harness.serve(request, RULES, TENANTS, keys=("acme",)) as app:
        yield Env(app.client, app.services, app.clock, app.keys["acme"])


def test_dial_whisper_and_callbacks_time_one_handoff(env: Env) -> None:
    handoff_id = env.escalate()
    root = xml(env.post("/integrations/twilio/dial", "relay_ended", handoff=handoff_id))
    number = root.find("Dial/Number")
    assert number is not None
    assert number.text == "+15125550100"
    whisper_url, status_url = number.get("url"), number.get("statusCallback")
    assert whisper_url is not None
    assert status_url is not None
    assert whisper_url.startswith(f"{SERVER}/integrations/twilio/whisper?tenant=acme&handoff=")

    say = xml(env.post_url(whisper_url, "whisper_request", token=TOKENS["acme"])).find("Say")
    assert say is not None
    assert say.text == env.handoff(handoff_id)["brief"]["whisper"]
    assert say.get("voice") == "Polly.Joanna"

    env.clock.advance(5)  # callbacks arrive just after Twilio's Timestamp
    env.post_url(status_url, "status_ringing", token=TOKENS["acme"])
    assert env.handoff(handoff_id)["timings"]["offered_at"] == "2026-11-24T15:00:04+00:00"
    env.clock.advance(7)
    env.post_url(status_url, "status_answered", token=TOKENS["acme"])
    answered = env.handoff(handoff_id)
    assert answered["status"] == "accepted"
    assert answered["timings"]["accepted_at"] == "2026-11-24T15:00:11+00:00"
    env.clock.advance(260)
    env.post_url(status_url, "status_completed", token=TOKENS["acme"])
    end = xml(env.post_url(status_url, "dial_action_completed", token=TOKENS["acme"]))
    assert [child.tag for child in end] == ["Hangup"]
    done = env.handoff(handoff_id)
    assert (done["status"], done["timings"]["completed_at"]) == (
        "completed", "2026-11-24T15:04:30+00:00")
    # Twilio retries a callback: nothing moves twice
    env.post_url(status_url, "status_ringing", token=TOKENS["acme"])
    assert env.handoff(handoff_id) == done


def test_a_machine_that_answers_hears_no_whisper_and_is_a_voicemail_outcome(env: Env) -> None:
    handoff_id = env.escalate()
    number = xml(env.post("/integrations/twilio/dial", "relay_ended", handoff=handoff_id)
                 ).find("Dial/Number")
    assert number is not None
    assert number.get("machineDetection") == "Enable"
    whisper_url, amd_url = number.get("url"), number.get("amdStatusCallback")
    assert whisper_url is not None
    assert amd_url is not None
    machine = {**_form("whisper_request"), "AnsweredBy": "machine_start"}
    answer = xml(env.post_url(whisper_url, machine, token=TOKENS["acme"]))
    assert [child.tag for child in answer] == ["Hangup"]  # no whisper left on a voicemail
    failed = env.handoff(handoff_id)
    assert (failed["status"], failed["outcome"]) == ("failed", "voicemail")
    env.post_url(amd_url, "status_machine", token=TOKENS["acme"])  # the AMD callback too
    # Twilio's dial ends "completed" (the machine answered): the caller hears nobody is free.
    end = xml(env.post_url(number.get("statusCallback") or "", "dial_action_completed",
                           token=TOKENS["acme"]))
    assert [child.tag for child in end] == ["Say", "Hangup"]
    assert env.handoff(handoff_id) == failed


def test_a_busy_rep_fails_the_handoff_and_the_caller_hears_why(env: Env) -> None:
    handoff_id = env.escalate()
    root = xml(env.post("/integrations/twilio/status", "dial_action_busy", handoff=handoff_id))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    handoff = env.handoff(handoff_id)
    assert (handoff["status"], handoff["outcome"]) == ("failed", "busy")


def test_a_voicemail_pickup_is_a_typed_failure(env: Env) -> None:
    handoff_id = env.escalate()
    env.post("/integrations/twilio/status", "status_machine", handoff=handoff_id)
    assert env.handoff(handoff_id)["outcome"] == "voicemail"


def test_conversation_relay_handoff_enqueues_a_task_with_the_brief(env: Env) -> None:
    root = xml(env.post("/integrations/twilio/handoff", "relay_handoff"))
    enqueue = root.find("Enqueue")
    assert enqueue is not None
    assert enqueue.get("workflowSid") == "WW0123456789abcdef"
    task = enqueue.find("Task")
    assert task is not None
    attributes = json.loads(task.text or "")
    handoff = env.handoff(attributes["handoff_id"])
    assert (handoff["conversation_id"], handoff["queue"]) == (PARENT, "retention")
    assert attributes["brief"] == handoff["brief"]["summary"]
    assert attributes["priority"] == 90
    assert task.get("priority") == "90"
    assert attributes["call_sid"] == PARENT
    assert "cancel" in attributes["reason"]
    # The same request again (Twilio retries): the same handoff, no second one
    again = xml(env.post("/integrations/twilio/handoff", "relay_handoff"))
    retask = again.find("Enqueue/Task")
    assert retask is not None
    assert json.loads(retask.text or "")["handoff_id"] == attributes["handoff_id"]
    listed = env.client.get("/v1/handoffs", headers={"Authorization": f"Bearer {env.api_key}"})
    assert len(listed.json()["handoffs"]) == 1

    queued = env.post_url(enqueue.get("action") or "", "enqueue_action_bridged",
                          token=TOKENS["acme"])
    assert queued.status_code == 200
    assert env.handoff(attributes["handoff_id"])["status"] == "completed"


def test_a_handoff_the_rules_did_not_ask_for_still_reaches_a_queue(env: Env) -> None:
    quiet = json.dumps({"reason": "caller asked", "turns": [
        {"id": "q1", "speaker": "customer", "text": "Hello there", "at": "2026-11-24T14:59:00Z"}]})
    form = {**_form("relay_handoff"), "HandoffData": quiet}
    enqueue = xml(env.post("/integrations/twilio/handoff", form)).find("Enqueue")
    assert enqueue is not None
    task = enqueue.find("Task")
    assert task is not None
    attributes = json.loads(task.text or "")
    assert (attributes["queue"], attributes["reason"]) == ("desk", "caller asked")


def test_a_session_that_ended_on_its_own_hangs_up(env: Env) -> None:
    root = xml(env.post("/integrations/twilio/handoff", "relay_ended"))
    assert [child.tag for child in root] == ["Hangup"]


def test_a_queue_with_nothing_to_dial_is_enqueued(env: Env) -> None:
    handoff_id = env.escalate(text="where is my invoice")
    root = xml(env.post("/integrations/twilio/dial", "relay_ended", handoff=handoff_id))
    assert root.find("Dial") is None
    assert root.find("Enqueue/Task") is not None


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(env: Env) -> None:
    key = env.services.tenants.create_key("proxied")
    turn = {"id": "p1", "speaker": "customer", "text": "cancel please",
            "at": env.clock.now().isoformat()}
    handoff_id = env.client.post(f"/v1/conversations/{PARENT}/turns", json={"turns": [turn]},
                                 headers={"Authorization": f"Bearer {key}"}).json()["handoff_id"]
    path = "/integrations/twilio/dial"
    query = urlencode({"tenant": "proxied", "handoff": handoff_id})
    public = f"https://calls.example.com{path}?{query}"
    ok = env.post(path, "relay_ended", tenant="proxied", token=TOKENS["acme"],
                  signed_as=public, handoff=handoff_id)
    number = xml(ok).find("Dial/Number")
    assert number is not None
    assert (number.get("url") or "").startswith("https://calls.example.com/integrations/")
    # signed for the URL the server saw, not the one Twilio called: refused
    as_seen = env.post(path, "relay_ended", tenant="proxied", token=TOKENS["acme"],
                       handoff=handoff_id)
    assert as_seen.status_code == 401


ENDPOINTS = ["/integrations/twilio/dial", "/integrations/twilio/whisper",
             "/integrations/twilio/status", "/integrations/twilio/handoff"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(("case", "kwargs"), [
    ("wrong token", {"token": TOKENS["globex"]}),
    ("unknown tenant", {"tenant": "nobody"}),
    ("tenant without an auth token", {"tenant": "initech", "token": "anything"}),
    ("signed for another URL", {"signed_as": f"{SERVER}/integrations/twilio/x?tenant=acme"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unverified_callbacks_get_401_and_change_nothing(env: Env, path: str, case: str,
                                                         kwargs: dict[str, Any]) -> None:
    handoff_id = env.escalate()
    before = env.handoff(handoff_id)
    response = env.post(path, "relay_handoff", handoff=handoff_id, **kwargs)
    assert response.status_code == 401, response.text
    # one answer for every case, so tenant names cannot be probed
    assert response.json()["error"]["message"] == "twilio request not verified"
    assert env.handoff(handoff_id) == before


@pytest.mark.parametrize("path", ["/integrations/twilio/dial", "/integrations/twilio/whisper",
                                  "/integrations/twilio/status"])
def test_another_tenants_handoff_is_404_even_when_signed(env: Env, path: str) -> None:
    handoff_id = env.escalate()
    before = env.handoff(handoff_id)
    response = env.post(path, "status_answered", tenant="globex", handoff=handoff_id)
    assert response.status_code == 404, response.text
    assert env.handoff(handoff_id) == before


def test_a_missing_signature_is_401(env: Env) -> None:
    response = env.client.post("/integrations/twilio/status?tenant=acme",
                               data=_form("status_ringing"))
    assert response.status_code == 401
