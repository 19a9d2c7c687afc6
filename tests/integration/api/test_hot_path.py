"""The lean hot path (`web/hot_path.py`) answers exactly as the FastAPI route it shortcuts
(`api.post_turns`): each request is sent with the lean path on and off (`app.hot_path = None`),
each side on a fresh store, and both answers must match each other and the contract."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.errors import AdapterError
from warmline.core.handoff import Role
from warmline.service.ports import Store
from warmline.testing import FakeClock
from warmline.web.app import WarmlineApp, create_app
from warmline.web.hot_path import HotPath, runs_inline
from warmline.web.ratelimit import RateLimiter

from .conftest import POLICY

LIMITS = {"max_body_bytes": 30_000, "max_turns_per_request": 3, "max_turn_chars": 300}
HEADERS = ("content-type", "retry-after", "www-authenticate", "allow")
AT = "2026-11-24T15:00:00+00:00"
CANCEL = "I want to cancel my account, get me a human"


@dataclass
class Side:
    lean: bool
    app: Any
    client: TestClient
    services: Services
    key: str
    other_key: str
    served: list[str]
    """Conversation ids the lean path answered itself."""

    def post(self, conv: str, body: Any, key: str | None = None) -> Any:
        return self.client.post(f"/v1/conversations/{conv}/turns", json=body,
                                headers={"Authorization": f"Bearer {key or self.key}"})

    def stored(self, conv: str, key: str | None = None) -> list[str] | None:
        tenant = self.services.tenants.authenticate(key or self.key)
        with self.services.store.read() as tx:
            found = tx.get_conversation(tenant.id, conv)
        return None if found is None else [t["text"] for t in found.data["turns"]]


OpenSide = Callable[..., contextlib.AbstractContextManager[Side]]


@pytest.fixture
def open_side(tmp_path: Path, store: Store, emptier: Callable[[SqlStore], None]) -> OpenSide:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)

    @contextlib.contextmanager
    def open_(lean: bool, **settings: Any) -> Iterator[Side]:
        fresh = InMemoryStore() if isinstance(store, InMemoryStore) else store
        if isinstance(fresh, SqlStore):
            emptier(fresh)  # the sides run one after the other on the test's database
        services = build_services(Settings(db="memory:", policy=str(policy),
                                           **{**LIMITS, **settings}),
                                  store=fresh, clock=FakeClock())
        key, other = (services.tenants.create_key(name) for name in ("acme", "globex"))
        app = create_app(services, sweep=False)
        assert isinstance(app, WarmlineApp)
        assert app.hot_path is not None
        served: list[str] = []
        if lean:
            serve = app.hot_path.serve

            async def spy(conversation_id: str, *args: Any) -> None:
                served.append(conversation_id)
                await serve(conversation_id, *args)

            setattr(app.hot_path, "serve", spy)  # noqa: B010  # mypy: no method assignment
        else:
            app.hot_path = None
        with TestClient(app) as client:
            yield Side(lean, app, client, services, key, other, served)

    return open_


def both(open_side: OpenSide, run: Callable[[Side], Any], **settings: Any) -> tuple[Any, Any]:
    """`run` on the lean side, then on the full FastAPI side, each on a fresh store."""
    results = []
    for lean in (True, False):
        with open_side(lean, **settings) as side:
            results.append(run(side))
    return results[0], results[1]


def answer(response: Any) -> tuple[int, Any, dict[str, str]]:
    """Status, body (volatile values masked) and the headers that carry meaning."""
    body = response.json()
    body.update({k: "<masked>" for k in ("latency_ms", "handoff_id") if k in body})
    return response.status_code, body, {h: response.headers[h] for h in HEADERS
                                        if h in response.headers}


def turn(text: str = "Where is my parcel?", **extra: Any) -> dict[str, Any]:
    return {"speaker": "customer", "text": text, "at": AT, **extra}


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


class Req(NamedTuple):
    body: bytes
    auth: str | None = "Bearer {key}"
    """The Authorization header (`{key}`: the tenant's key), None for none."""
    conv: str = "c-1"
    method: str = "POST"


def error(kind: str, message: str = "", **problem: Any) -> Callable[[Any], bool]:
    """The error's type; `message` in its message or, with `problem` fields, its first
    problem's, which has those fields."""
    def check(body: Any) -> bool:
        got = body["error"]
        first = got["problems"][0] if problem else {}
        return (got["type"] == kind and message in (first or got)["message"]
                and all(first[k] == v for k, v in problem.items()))
    return check


TURN = dumps({"turns": [turn()]})
BIG = dumps({"turns": [turn("x" * 31_000)]})
CASES = [  # request, status, check of the body, whether the lean path owns it
    (Req(TURN), 200, lambda b: b["action"] == "continue" and "handoff_id" not in b, True),
    (Req(dumps({"turns": [turn(CANCEL)]})), 200, lambda b: b["handoff_id"] == "<masked>"
     and b["destination"]["queue"] == "retention"
     and {r["code"] for r in b["reasons"]} >= {"trigger", "human_requested"}, True),
    (Req(TURN, auth="bearer {key}"), 200, lambda b: b["action"] == "continue", True),
    (Req(b'{"turns": [\n  {"speaker": "customer",}\n]}'), 422,
     error("invalid_input", path="$", line=2, message="not valid JSON"), True),
    (Req(b'{"turns": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"), 422,
     error("invalid_input", path="$", message="JSON nests too deeply"), True),
    (Req(dumps([turn()])), 422,
     error("invalid_input", path="$", message="expected an object with `turns`"), True),
    (Req(dumps({"turns": [{"text": "hi", "at": AT}]})), 422,
     error("invalid_input", path="$.turns[0].speaker"), True),
    (Req(dumps({"turns": [turn("a\u0000b")]})), 422,
     error("invalid_input", path="$.turns[0].text", message="NUL"), True),
    (Req(dumps({"turns": [turn(id="t" * 201)]})), 422,
     error("invalid_input", path="$.turns[0].id", message="longer than 200"), True),
    (Req(BIG), 413, error("payload_too_large",
                          message=f"the body is {len(BIG)} bytes; the limit is 30000"), True),
    (Req(dumps({"turns": [turn()] * 4})), 413,
     error("payload_too_large", message="4 turns in one request; the limit is 3"), True),
    (Req(dumps({"turns": [turn("y" * 301)]})), 413, error(
        "payload_too_large", message="turns[0].text has 301 characters; the limit is 300"),
     True),
    (Req(TURN, auth="Bearer wl_nope"), 401, error("unauthorized"), True),
    (Req(b"{nope", auth="Bearer wl_nope"), 401, error("unauthorized"), True),
    (Req(TURN, auth="Bearer "), 401, error("unauthorized"), False),
    (Req(TURN, auth=None), 401, error("unauthorized"), False),
    (Req(b"", method="GET"), 405, error("method_not_allowed"), False),
    (Req(TURN, conv="c" * 201), 422, error("invalid_input", path="$.conversation_id"), False),
    (Req(TURN, conv="a/b"), 404, error("not_found"), False),
]
IDS = ["continue", "escalate", "lower-case-scheme", "bad-json", "deep", "array", "no-speaker",
       "nul", "long-turn-id", "big-body", "too-many-turns", "long-text", "wrong-key",
       "wrong-key-before-body", "empty-key", "no-key", "get", "long-conversation-id",
       "extra-segment"]


def send(side: Side, req: Req) -> Any:
    headers = {"content-type": "application/json"}
    if req.auth is not None:
        headers["authorization"] = req.auth.format(key=side.key)
    return side.client.request(req.method, f"/v1/conversations/{req.conv}/turns",
                               content=req.body, headers=headers)


@pytest.mark.parametrize(("req", "status", "check", "owned"), CASES, ids=IDS)
def test_the_lean_path_answers_as_the_fastapi_route(open_side: OpenSide, req: Req, status: int,
                                                    check: Callable[[Any], bool],
                                                    owned: bool) -> None:
    def run(side: Side) -> Any:
        got = answer(send(side, req))
        assert side.served == ([req.conv] if owned and side.lean else [])
        return (*got, side.stored(req.conv))

    lean, full = both(open_side, run)
    assert lean == full
    got_status, body, headers, stored = lean
    assert got_status == status, body
    assert check(body), body
    assert headers["content-type"] == "application/json"
    assert headers.get("www-authenticate") == ("Bearer" if status == 401 else None)
    assert "retry-after" not in headers
    assert stored == ([json.loads(req.body)["turns"][0]["text"]] if status == 200 else None)


def _streamed(side: Side, length: str | None) -> Any:
    headers = {"authorization": f"Bearer {side.key}", "content-type": "application/json"}
    if length is not None:
        headers["content-length"] = length  # a lie: the body runs on past it
    response = side.client.post("/v1/conversations/c-1/turns", headers=headers,
                                content=iter([BIG[:10_000], BIG[10_000:]]))
    return response, side.stored("c-1"), side.served


@pytest.mark.parametrize(("length", "exact"), [
    (None, False), ("10", False), (None, True), ("10", True),
], ids=["no-length", "lying-length", "no-length-same-body", "lying-length-same-body"])
def test_a_body_over_the_limit_without_an_honest_length_is_413(
        open_side: OpenSide, length: str | None, exact: bool) -> None:
    lean, full = both(open_side, lambda side: _streamed(side, length))
    assert lean[2] == ["c-1"]
    for response, stored, _ in (lean, full):
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "payload_too_large"
        assert "the limit is 30000" in response.json()["error"]["message"]
        assert stored is None
    assert answer(lean[0])[::2] == answer(full[0])[::2]  # status and headers
    if exact:
        assert answer(lean[0]) == answer(full[0])


@pytest.mark.parametrize("thread", [False, True], ids=["as-is", "worker-thread"])
def test_a_retried_turn_returns_the_stored_decision_both_ways(open_side: OpenSide,
                                                              thread: bool) -> None:
    def run(side: Side) -> Any:
        if side.lean and thread:
            side.app.hot_path.inline = False  # the PostgreSQL way, on any store
        body = {"turns": [turn(CANCEL, id="t-1")]}
        first, again = side.post("c-1", body), side.post("c-1", body)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()  # handoff_id and latency_ms too: the stored one
        assert side.served == (["c-1", "c-1"] if side.lean else [])
        return answer(again), side.stored("c-1")

    lean, full = both(open_side, run)
    assert lean == full
    assert lean[1] == [CANCEL]
    assert lean[0][1]["handoff_id"] == "<masked>"


class _FrozenLimiter(RateLimiter):
    """The real bucket, with time standing still (no refill between the test's requests)."""

    def check(self, key: str, now: float | None = None) -> None:
        super().check(key, now=0.0)


def test_rate_limited_is_429_with_retry_after_both_ways(open_side: OpenSide) -> None:
    def run(side: Side) -> Any:
        settings = side.services.settings
        side.app.state.rate_limiter = _FrozenLimiter(settings.rate_limit_per_second,
                                                     settings.rate_limit_burst)
        ok = side.post("c-1", {"turns": [turn()]})
        assert ok.status_code == 200
        limited = answer(side.post("c-2", {"turns": [turn()]}))
        bad_body = send(side, Req(b"{nope", conv="c-3"))  # the limit comes before the body
        return limited, answer(bad_body), side.stored("c-2")

    lean, full = both(open_side, run, rate_limit_per_second=0.5, rate_limit_burst=1)
    assert lean == full
    (status, body, headers), again, stored = lean
    assert (status, body["error"]["type"], headers["retry-after"]) == (429, "rate_limited", "2")
    assert "retry in 2.0 s" in body["error"]["message"]
    assert again[0] == 429
    assert stored is None


@pytest.mark.parametrize(("error", "message"), [
    (OperationalError("x", {}, Exception("down")), "the database is unavailable: down"),
    (AdapterError("the store is restarting", retryable=True), "the store is restarting"),
], ids=["operational-error", "adapter-error"])
def test_the_database_down_is_503_with_retry_after_both_ways(
        open_side: OpenSide, monkeypatch: pytest.MonkeyPatch, error: Exception,
        message: str) -> None:
    def run(side: Side) -> Any:
        def down(*_args: Any) -> Any:
            raise error

        async def down_async(*_args: Any) -> Any:
            raise error

        monkeypatch.setattr(side.services.turns, "post_turns", down)
        monkeypatch.setattr(side.services.turns, "post_turns_async", down_async)
        got = answer(side.post("c-1", {"turns": [turn()]}))
        assert side.served == (["c-1"] if side.lean else [])
        return got

    lean, full = both(open_side, run)
    assert lean == full
    assert lean == (503, {"error": {"type": "unavailable", "message": message}},
                    {"content-type": "application/json", "retry-after": "1"})


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "full"])
def test_another_tenants_key_never_reaches_our_conversation(open_side: OpenSide,
                                                            lean: bool) -> None:
    with open_side(lean) as side:
        ours = side.post("shared", {"turns": [turn(CANCEL, id="t-1")]}).json()
        theirs = side.post("shared", {"turns": [turn("hello", id="t-1")]}, key=side.other_key)
        assert theirs.status_code == 200
        assert "handoff_id" not in theirs.json()  # not our stored decision for t-1
        assert side.stored("shared") == [CANCEL]
        assert side.stored("shared", key=side.other_key) == ["hello"]
        headers = {"Authorization": f"Bearer {side.other_key}"}
        assert side.client.get(f"/v1/handoffs/{ours['handoff_id']}",
                               headers=headers).status_code == 404
        assert side.served == (["shared", "shared"] if lean else [])


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "full"])
def test_the_notifier_wakes_on_escalation_only(open_side: OpenSide, lean: bool) -> None:
    with open_side(lean) as side:
        # After start-up: PostgreSQL's LISTEN task keeps waking the notifier it started with.
        side.app.state.notifier = notifier = SimpleNamespace(woken=0)
        notifier.wake = lambda: setattr(notifier, "woken", notifier.woken + 1)
        assert side.post("c-1", {"turns": [turn()]}).status_code == 200
        assert notifier.woken == 0
        assert "handoff_id" in side.post("c-2", {"turns": [turn(CANCEL)]}).json()
        assert notifier.woken == 1
        assert side.served == (["c-1", "c-2"] if lean else [])


def test_a_desk_session_without_csrf_falls_through_to_a_403(open_side: OpenSide) -> None:
    def run(side: Side) -> Any:
        side.services.tenants.add_user("acme", "sue", "correct-horse-9", Role.SUPERVISOR)
        form = side.client.get("/desk/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        side.client.post("/desk/login", follow_redirects=False, data={
            "tenant": "acme", "username": "sue", "password": "correct-horse-9",
            "csrf": token[1]})
        assert "warmline_session" in side.client.cookies
        got = answer(side.client.post("/v1/conversations/c-1/turns", json={"turns": [turn()]}))
        assert side.served == []
        return got, side.stored("c-1")

    lean, full = both(open_side, run)
    assert lean == full
    assert lean[0][0] == 403
    assert lean[0][1]["error"]["type"] == "forbidden"
    assert lean[1] is None


KEY = (b"authorization", b"Bearer wl_k")
TURNS = "/v1/conversations/c-1/turns"


@pytest.mark.parametrize(("method", "path", "headers", "owned"), [
    ("POST", TURNS, [KEY], "c-1"),
    ("POST", TURNS, [(b"authorization", b"BEARER wl_k")], "c-1"),
    ("POST", "/v1/conversations/" + "c" * 200 + "/turns", [KEY], "c" * 200),
    ("POST", "/v1/conversations/" + "c" * 201 + "/turns", [KEY], None),
    ("POST", "/v1/conversations/c\x00/turns", [KEY], None),
    ("POST", "/v1/conversations/a/b/turns", [KEY], None),
    ("POST", TURNS + "/", [KEY], None),
    ("POST", "/v1/decide", [KEY], None),
    ("GET", TURNS, [KEY], None),
    ("WEBSOCKET", TURNS, [KEY], None),
    ("POST", TURNS, [], None),
    ("POST", TURNS, [(b"cookie", b"warmline_session=x")], None),
    ("POST", TURNS, [(b"authorization", b"Bearer   ")], None),
    ("POST", TURNS, [(b"authorization", b"Basic d2w6aw==")], None),
], ids=["bearer", "upper-scheme", "200-chars", "201-chars", "nul", "extra-segment",
        "trailing-slash", "decide", "get", "websocket", "no-auth", "desk-cookie", "blank-key",
        "basic"])
def test_owns_only_api_key_posts_to_the_turns_route(method: str, path: str,
                                                     headers: list[tuple[bytes, bytes]],
                                                     owned: str | None) -> None:
    hot_path = HotPath(SimpleNamespace(store=InMemoryStore()), None)  # type: ignore[arg-type]
    scope = {"type": "websocket" if method == "WEBSOCKET" else "http", "method": method,
             "path": path, "headers": headers}
    assert hot_path.owns(scope) == owned


def test_turns_run_inline_except_on_a_database_server(open_side: OpenSide,
                                                      request: pytest.FixtureRequest) -> None:
    with open_side(True) as side:
        expected = request.node.callspec.params["store"] != "postgres"
        assert runs_inline(side.services) is expected
        assert side.app.hot_path.inline is expected
    server = SimpleNamespace(engine=SimpleNamespace(dialect=SimpleNamespace(name="postgresql")))
    assert runs_inline(SimpleNamespace(store=server)) is False  # type: ignore[arg-type]
    assert runs_inline(SimpleNamespace(store=InMemoryStore())) is True  # type: ignore[arg-type]
