"""examples/livekit/agent.py with LiveKit Agents replaced by fakes: Warmline is asked after
each customer turn and, on a handoff, WarmTransferTask runs once with Warmline's brief."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from warmline import Policy
from warmline.client import AsyncClient

from .conftest import RETENTION
from .fakes import FakeSession, StopResponse, WarmTransferTask, chat_message, livekit_modules


@pytest.fixture
def agent_module(example: Callable[..., ModuleType]) -> ModuleType:
    return example("livekit", "agent.py", livekit_modules())


def start(agent_module: ModuleType, decider: Any) -> tuple[Any, FakeSession]:
    session = FakeSession()
    session.update_agent(agent_module.SupportAgent(
        agent_module.WarmlineGate("room-1", decider)))
    return session.agents[0], session


IDS = itertools.count()  # LiveKit message ids are unique across a session


async def call(session: FakeSession, lines: list[str]) -> None:
    """The customer says each line; the AI answers when it is its turn, as LiveKit would."""
    history: list[Any] = []
    for line in lines:
        n = next(IDS)
        agent = session.agents[-1]
        message = chat_message("user", line, f"u{n}")
        try:
            await agent.on_user_turn_completed(SimpleNamespace(items=list(history)), message)
        except StopResponse:
            await session.agents[-1].on_enter()  # LiveKit enters the new agent
            continue
        finally:
            history.append(message)
        history.append(chat_message("assistant", f"Answer {n}.", f"a{n}"))


def test_a_cancellation_starts_one_warm_transfer_with_warmlines_brief(
        agent_module: ModuleType, policy: Policy) -> None:
    agent, session = start(agent_module, agent_module.in_process(policy))
    asyncio.run(call(session, ["Hi, I have a question about my plan.",
                               "Actually, I want to cancel my subscription."]))

    assert len(WarmTransferTask.created) == 1
    task = WarmTransferTask.created[0]
    transfer = agent.gate.transfer
    assert task["sip_call_to"] == RETENTION
    assert task["instructions"] == transfer.rep_instructions()
    assert transfer.decision["brief"]["whisper"] in task["instructions"]
    assert task["sip_headers"] == {}  # no handoff id when deciding in process
    assert session.said == [transfer.say_to_customer]
    assert session.closed  # the AI leaves the rep and the customer together
    assert [(t["speaker"], t["text"][:6]) for t in agent.gate.turns] == [
        ("customer", "Hi, I "), ("ai", "Answer"), ("customer", "Actual")]


def test_a_conversation_that_never_escalates_never_transfers(
        agent_module: ModuleType, policy: Policy) -> None:
    agent, session = start(agent_module, agent_module.in_process(policy))
    asyncio.run(call(session, ["What are your opening hours?", "And on Saturdays?",
                               "Great, thanks."]))
    assert WarmTransferTask.created == []
    assert session.agents == [agent]
    assert session.said == []
    assert not session.closed


def test_a_failed_transfer_returns_the_customer_to_the_ai_which_may_try_again(
        agent_module: ModuleType, policy: Policy) -> None:
    WarmTransferTask.error = RuntimeError("human agent declined to connect: busy")
    _, session = start(agent_module, agent_module.in_process(policy))
    asyncio.run(call(session, ["Cancel my account please."]))
    assert session.said[-1] == agent_module.TRANSFER_FAILED
    assert isinstance(session.agents[-1], agent_module.SupportAgent)
    assert not session.closed

    WarmTransferTask.error = None
    asyncio.run(call(session, ["I still want to cancel."]))
    assert len(WarmTransferTask.created) == 2
    assert session.closed


def test_over_http_the_rep_gets_the_handoff_id_in_a_sip_header(
        agent_module: ModuleType, warmline_server: Callable[[], AsyncClient]) -> None:
    async def run() -> Any:
        async with warmline_server() as client:
            agent, session = start(agent_module, agent_module.over_http(client))
            await call(session, ["Please cancel my subscription."])
            return agent.gate.transfer

    transfer = asyncio.run(run())
    assert transfer.handoff_id
    assert WarmTransferTask.created[0]["sip_headers"] == {
        "X-Warmline-Handoff": transfer.handoff_id}
