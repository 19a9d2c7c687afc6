"""Bad bodies on every `/integrations/*` route, on memory and SQLite, each request signed
the platform's way (so the body, not the credential, is what is wrong): oversized → 413,
not JSON or not UTF-8 → 422 at `$`, deep JSON → 422, a replayed signed request → 401 or the
same answer with nothing stored twice, another tenant's ids → 404 or nothing of theirs
touched. Never a 5xx, and a refused request stores nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from warmline.adapters.platforms import generic, retell, twilio

from . import harness

DATA = Path(__file__).parents[2] / "data" / "platforms"
SERVER = "http://testserver"
SECRET = "s3cret-0123456789abcdef"
RULES = """
triggers:
  - {name: cancellation, when: 'text.lowerAscii().contains("cancel")', queue: desk}
queues:
  desk: {skills: [general], transfer: {number: "+15125550100"}}
"""
#: Both tenants hold every platform's credential, all the same secret.
SETTINGS: harness.Integrations = {
    "vapi": {"hmac_secret": SECRET}, "generic": {"secret": SECRET},
    "retell": {"api_key": SECRET}, "twilio": {"auth_token": SECRET},
}
FAR = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
FOREIGN_CALL = "CA1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a"  # Twilio's ParentCallSid in the fixtures
#: Every conversation id the requests below name (fixtures' call ids included).
CONVERSATIONS = [FOREIGN_CALL, "g-1", "c8f1a2b4-1d2e-4f3a-9b8c-7d6e5f4a3b21",
                 "Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6", "CA1", "CA2", "CA7", "CA9"]


def _fixture(platform: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / platform / f"{name}.json").read_text())
    data.pop("_source", None)
    return data


@dataclass(frozen=True)
class Route:
    """One integration route: its path, a body that has an effect, how it is signed."""

    path: str
    body: Callable[[], bytes]
    form: bool = False

    def __str__(self) -> str:
        return self.path.removeprefix("/integrations/")


ROUTES = [
    Route("/integrations/vapi",
          lambda: json.dumps(_fixture("vapi", "transfer-destination-request")).encode()),
    Route("/integrations/generic", lambda: json.dumps({"conversation_id": "g-1", "turns": [
        {"id": "t1", "speaker": "customer", "text": "I want to cancel"}]}).encode()),
    Route("/integrations/generic/transfer", lambda: json.dumps(
        {"conversation_id": FOREIGN_CALL, "stage": "started"}).encode()),
    Route("/integrations/retell",
          lambda: json.dumps(_fixture("retell", "transcript_updated")).encode()),
    Route("/integrations/retell/function",
          lambda: json.dumps(_fixture("retell", "function_call")).encode()),
    Route("/integrations/twilio/handoff",
          lambda: urlencode(_fixture("twilio", "relay_handoff")).encode(), form=True),
    Route("/integrations/twilio/status",
          lambda: urlencode(_fixture("twilio", "status_completed")).encode(), form=True),
    Route("/integrations/twilio/dial", lambda: b"CallSid=CA1", form=True),
    Route("/integrations/twilio/whisper", lambda: b"CallSid=CA2", form=True),
]
JSON_ROUTES = [r for r in ROUTES if not r.form]


@dataclass
class Env(harness.App):
    globex_key: str
    ids: Iterator[int]

    def send(self, route: Route, body: bytes | None = None, *, tenant: str = "acme",
             **query: str) -> Any:
        """`body` (default: the route's own) signed for `tenant` as its platform signs."""
        body = route.body() if body is None else body
        url = f"{SERVER}{route.path}?{urlencode({'tenant': tenant, **query})}"
        return self.client.post(url, content=body, headers=self.signed(route, url, body))

    def signed(self, route: Route, url: str, body: bytes) -> dict[str, str]:
        now = self.clock.now()
        if route.form:
            params = twilio.Params((k, v) for k, v in _form_items(body))
            return {"content-type": "application/x-www-form-urlencoded",
                    twilio.SIGNATURE_HEADER: twilio.sign(url, params, SECRET)}
        headers = {"content-type": "application/json"}
        if "/vapi" in route.path:
            stamp = str(int(now.timestamp() * 1000))
            digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
            return {**headers, "x-signature": digest.hexdigest(), "x-timestamp": stamp}
        if "/retell" in route.path:
            return {**headers, retell.SIGNATURE_HEADER: retell.sign(body, SECRET, now)}
        message_id, seconds = f"msg_{next(self.ids)}", int(now.timestamp())
        return {**headers, "webhook-id": message_id, "webhook-timestamp": str(seconds),
                "webhook-signature": generic.sign(SECRET, message_id, seconds, body)}

    def stored(self, tenant: str = "acme") -> tuple[Any, ...]:
        """Everything a request could have written for `tenant`."""
        found = self.services.tenants.find(tenant)
        assert found is not None
        with self.services.store.read() as tx:
            return (tx.conversations_between(found.id, *FAR),
                    [repr(tx.get_conversation(found.id, c)) for c in CONVERSATIONS],
                    repr(sorted(tx.list_handoffs(found.id), key=repr)),
                    tx.latest_event_id(found.id))

    def globex_handoff(self) -> str:
        return self.api_escalation(FOREIGN_CALL, "I want to cancel", key=self.globex_key)


def _form_items(body: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl  # the decoding Starlette's form parser applies
    return parse_qsl(body.decode("latin-1"), keep_blank_values=True)


@pytest.fixture(params=harness.STORES)
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    with harness.serve(request, RULES, {"acme": SETTINGS, "globex": SETTINGS},
                       keys=("globex",)) as app:
        yield Env(app.client, app.services, app.clock, app.keys["globex"], count())


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_every_route_takes_its_signed_body(env: Env) -> None:
    """The baseline the other tests change one thing of: each signed request is accepted."""
    handoff = env.globex_handoff()
    for route in ROUTES:
        response = env.send(route, handoff=handoff, tenant="globex")
        assert response.status_code == 200, (route.path, response.text)


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_body_over_the_limit_is_413_and_stores_nothing(env: Env, route: Route,
                                                         chunked: bool) -> None:
    limit = env.services.settings.max_body_bytes
    body = route.body()
    body += (b"&Pad=" if route.form else b" ") + b"x" * (limit - len(body) + 10)
    before = env.stored()
    url = f"{SERVER}{route.path}?tenant=acme"
    headers = env.signed(route, url, body)
    content: Any = iter([body[: limit // 2], body[limit // 2:]]) if chunked else body
    error = _error(env.client.post(url, content=content, headers=headers), 413)
    assert str(limit) in error["message"]
    assert env.stored() == before


@pytest.mark.parametrize("route", JSON_ROUTES, ids=str)
@pytest.mark.parametrize("body", [b'{"message": "\xc3\x28"}', b"not json", b'{"turns": [',
                                  b""], ids=["invalid-utf8", "not-json", "truncated", "empty"])
def test_a_body_that_is_not_json_is_422_located_at_the_root(env: Env, route: Route,
                                                            body: bytes) -> None:
    before = env.stored()
    error = _error(env.send(route, body), 422)
    assert error["problems"][0]["path"] == "$"
    assert "JSON" in error["problems"][0]["message"]
    assert env.stored() == before


@pytest.mark.parametrize("route", JSON_ROUTES, ids=str)
def test_json_nested_10000_deep_is_422_not_a_recursion_error(env: Env, route: Route) -> None:
    before = env.stored()
    body = b'{"message": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    error = _error(env.send(route, body), 422)
    assert error["problems"] == [{"path": "$", "message": "JSON nests too deeply"}]
    assert env.stored() == before


@pytest.mark.parametrize("value", [b"%ff%fe%c3%28", b"[" * 5_000 + b"]" * 5_000],
                         ids=["invalid-utf8", "deep-json"])
def test_handoff_data_that_is_not_json_is_read_as_the_reason_not_a_5xx(env: Env,
                                                                     value: bytes) -> None:
    route = next(r for r in ROUTES if r.path.endswith("/handoff"))
    response = env.send(route, b"CallSid=CA9&HandoffData=" + value)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_replayed_signed_request_has_no_second_effect(env: Env, route: Route) -> None:
    handoff = env.globex_handoff()
    url = f"{SERVER}{route.path}?{urlencode({'tenant': 'globex', 'handoff': handoff})}"
    body = route.body()
    headers = env.signed(route, url, body)
    first = env.client.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    after_first = env.stored("globex")
    again = env.client.post(url, content=body, headers=headers)
    if again.status_code == 401:  # Vapi's HMAC and Standard Webhooks ids are single-use
        assert again.json()["error"]["message"].endswith("request not verified")
    else:  # Retell and Twilio have no replay id: the effect is idempotent instead
        assert again.status_code == 200, again.text
        assert again.content == first.content
    assert env.stored("globex") == after_first


@pytest.mark.parametrize("route", [r for r in ROUTES if r.form], ids=str)
def test_another_tenants_handoff_is_404_and_left_alone(env: Env, route: Route) -> None:
    handoff = env.globex_handoff()
    theirs = env.stored("globex")
    body = route.body()
    if route.path.endswith("/handoff"):  # the agent names the handoff in HandoffData
        body = urlencode({"CallSid": "CA7", "HandoffData": json.dumps(
            {"handoff_id": handoff})}).encode()
    response = env.send(route, body, handoff=handoff)
    assert _error(response, 404)["type"] == "not_found"
    assert env.stored("globex") == theirs


@pytest.mark.parametrize("route", JSON_ROUTES, ids=str)
def test_another_tenants_call_id_touches_nothing_of_theirs(env: Env, route: Route) -> None:
    """Ids in a JSON body are looked up in the signer's tenant only: globex's escalated call
    named in acme's request moves no handoff of globex's."""
    env.globex_handoff()
    theirs = env.stored("globex")
    response = env.send(route, route.body().replace(
        b"c8f1a2b4-1d2e-4f3a-9b8c-7d6e5f4a3b21", FOREIGN_CALL.encode()))
    assert response.status_code == 200, response.text
    assert env.stored("globex") == theirs
