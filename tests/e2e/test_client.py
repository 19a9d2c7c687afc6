"""`warmline.client` against a live server: turns, decisions, handoffs and located errors,
sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.client import AsyncClient, Client, WarmlineAPIError
from warmline.config import Settings
from warmline.core.handoff import RepStatus

from .conftest import Server, serving

POLICY = """
version: 1
name: client-test
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancellation, when: 'text.lowerAscii().contains("cancel")', tags: [churn]}
queues:
  desk: {skills: [general]}
"""
TURN = {"speaker": "customer", "text": "I want to cancel", "at": "2026-11-24T10:00:00Z"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    policy: Path = tmp_path_factory.mktemp("p") / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    key = services.tenants.create_key("acme")
    services.reps.put(services.tenants.ensure_tenant("acme"), "ann", skills=("general",),
                      capacity=5, status=RepStatus.AVAILABLE)
    with serving(services, key) as live:
        yield live


def test_sync_client_posts_turns_and_reads_the_handoff(server: Server) -> None:
    with Client(server.url, server.key) as warmline:
        calm = warmline.post_turns("c1", [dict(TURN, text="hello")], channel="chat",
                                   customer={"id": "cust-1", "name": "Ann Lee"})
        assert calm["action"] == "continue"
        decision = warmline.post_turns("c1", [dict(TURN, id="t2")])
        assert decision["action"] == "escalate"
        assert decision["tags"] == ["churn"]
        handoff = warmline.handoff(decision["handoff_id"])
        assert [t["text"] for t in handoff["transcript"]] == ["hello", "I want to cancel"]
        stateless = warmline.decide({"id": "x", "turns": [TURN]})
        assert "handoff_id" not in stateless


def test_errors_carry_status_type_and_located_problems(server: Server) -> None:
    with Client(server.url, server.key) as warmline:
        with pytest.raises(WarmlineAPIError) as info:
            warmline.post_turns("c2", [{"speaker": "bot", "text": "x"}])
        assert info.value.status == 422
        assert info.value.problems[0]["path"] == "$.turns[0].speaker"
        assert not info.value.retryable
    with Client(server.url, "wl_wrong") as wrong, pytest.raises(WarmlineAPIError) as denied:
        wrong.post_turns("c3", [TURN])
    assert denied.value.status == 401


def test_async_client_does_the_same(server: Server) -> None:
    async def run() -> dict[str, object]:
        async with AsyncClient(server.url, server.key) as warmline:
            return await warmline.post_turns("c9", [dict(TURN, id="a1")])

    decision = asyncio.run(run())
    assert decision["action"] == "escalate"
