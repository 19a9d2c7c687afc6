"""The framework-free gate both examples share: when it asks Warmline, what it hands the
framework, and that it survives Warmline being unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import ModuleType
from typing import Any

from warmline import Policy
from warmline.client import AsyncClient, WarmlineAPIError

from .conftest import RETENTION


def counting(decider: Any) -> tuple[Any, list[list[str]]]:
    """Wrap a decider; record the texts of the new turns sent each time."""
    sent: list[list[str]] = []

    async def decide(conversation: dict[str, Any], new: list[dict[str, Any]]) -> Any:
        sent.append([t["text"] for t in new])
        return await decider(conversation, new)

    return decide, sent


def test_a_calm_conversation_never_hands_off_and_asks_only_after_customer_turns(
        gate: ModuleType, policy: Policy) -> None:
    decide, sent = counting(gate.in_process(policy))
    g = gate.WarmlineGate("c-calm", decide)

    async def talk() -> list[Any]:
        results = []
        for speaker, text in [("customer", "Hi, what are your opening hours?"),
                              ("ai", "We're open nine to five."), ("ai", "Anything else?"),
                              ("customer", "No, thanks!")]:
            g.observe(speaker, text)
            results.append(await g.check())
        return results

    assert asyncio.run(talk()) == [None, None, None, None]
    assert sent == [["Hi, what are your opening hours?"],
                    ["We're open nine to five.", "Anything else?", "No, thanks!"]]


def test_cancel_hands_off_once_with_the_brief_and_the_retention_number(
        gate: ModuleType, policy: Policy) -> None:
    g = gate.WarmlineGate("c-cancel", gate.in_process(policy))

    async def talk() -> list[Any]:
        g.observe("customer", "Hello", turn_id="m1")
        g.observe("customer", "Hello", turn_id="m1")  # the same message seen twice
        first = await g.check()
        g.observe("ai", "Hi! How can I help?", turn_id="m2")
        g.observe("customer", "I want to cancel my subscription.", turn_id="m3")
        second = await g.check()
        g.observe("customer", "Are you still there? Cancel it!", turn_id="m4")
        return [first, second, await g.check()]

    first, transfer, after = asyncio.run(talk())
    assert first is None
    assert after is None  # one handoff per conversation
    assert [t["text"] for t in g.turns] == ["Hello", "Hi! How can I help?",
                                            "I want to cancel my subscription.",
                                            "Are you still there? Cancel it!"]
    assert transfer.action == "escalate"
    assert transfer.dial_to == RETENTION
    brief = transfer.decision["brief"]
    instructions = transfer.rep_instructions()
    assert f'"{brief["whisper"]}"' in instructions
    assert brief["summary"] in instructions
    assert "churn" in instructions
    assert transfer.say_to_customer == transfer.decision["say_to_customer"]


def test_a_warmline_error_lets_the_agent_carry_on_and_resends_the_turns(
        gate: ModuleType, policy: Policy) -> None:
    failures = [WarmlineAPIError(503, "unavailable", "down")]
    real = gate.in_process(policy)

    async def flaky(conversation: dict[str, Any], new: list[dict[str, Any]]) -> Any:
        if failures:
            raise failures.pop()
        return await real(conversation, new)

    decide, sent = counting(flaky)
    g = gate.WarmlineGate("c-flaky", decide)

    async def talk() -> list[Any]:
        g.observe("customer", "Please cancel my plan")
        down = await g.check()
        g.observe("customer", "Hello? I said cancel it.")
        return [down, await g.check()]

    down, transfer = asyncio.run(talk())
    assert down is None
    assert transfer.dial_to == RETENTION
    assert sent == [["Please cancel my plan"],
                    ["Please cancel my plan", "Hello? I said cancel it."]]


def test_where_to_dial(gate: ModuleType) -> None:
    def transfer(action: str, fallback: str | None = None, **destination: str) -> Any:
        decision = {"action": action, "destination": {"queue": "q", **destination}}
        return gate.Transfer(decision, fallback)

    assert transfer("escalate", sip="sip:a@pbx", number="+1555").dial_to == "sip:a@pbx"
    assert transfer("hold", number="+1555").dial_to == "+1555"
    assert transfer("escalate", "+1999").dial_to == "+1999"  # queue without `transfer:`
    assert transfer("escalate").dial_to is None
    assert transfer("callback", "+1999", number="+1555").dial_to is None


def test_over_http_sends_each_turn_once_and_opens_a_handoff(
        gate: ModuleType, warmline_server: Callable[[], AsyncClient]) -> None:
    async def talk() -> tuple[Any, dict[str, Any]]:
        async with warmline_server() as client:
            g = gate.WarmlineGate("c-http", gate.over_http(client),
                                  customer={"id": "cust-9", "phone": "+15125550143"})
            g.observe("customer", "Hi there")
            assert await g.check() is None
            g.observe("ai", "Hello! How can I help?")
            g.observe("customer", "I'd like to cancel my account")
            transfer = await g.check()
            return transfer, await client.handoff(transfer.handoff_id)

    transfer, handoff = asyncio.run(talk())
    assert transfer.dial_to == RETENTION
    assert f"Handoff on the Warmline desk: {transfer.handoff_id}" in transfer.rep_instructions()
    assert [t["text"] for t in handoff["transcript"]] == [
        "Hi there", "Hello! How can I help?", "I'd like to cancel my account"]
