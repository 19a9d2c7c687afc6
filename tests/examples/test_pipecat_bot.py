"""examples/pipecat/bot.py with Pipecat replaced by fakes: Warmline sits in front of the LLM;
on a handoff the LLM stays silent, Warmline's line is spoken, the customer holds, the rep is
dialled and briefed with Warmline's brief."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from warmline import Policy
from warmline.client import AsyncClient

from .conftest import RETENTION
from .fakes import (
    BotStoppedSpeakingFrame,
    EndTaskFrame,
    FakeContext,
    FrameDirection,
    LLMContextFrame,
    LLMMessagesAppendFrame,
    TTSSpeakFrame,
    pipecat_modules,
)

UP, DOWN = FrameDirection.UPSTREAM, FrameDirection.DOWNSTREAM


class Transport:
    def __init__(self, fail: bool = False) -> None:
        self.dialled: list[dict[str, str]] = []
        self.fail = fail

    async def start_dialout(self, settings: dict[str, str]) -> None:
        self.dialled.append(settings)
        if self.fail:
            raise RuntimeError("dial-out not enabled for this room")


@pytest.fixture
def bot(example: Callable[..., ModuleType]) -> ModuleType:
    return example("pipecat", "bot.py", pipecat_modules())


def pipeline(bot: ModuleType, decider: Any, transport: Transport) -> tuple[Any, Any]:
    gate = bot.WarmlineGate("room-1", decider)
    transfer = bot.WarmTransfer(transport, gate)
    return bot.WarmlineProcessor(gate, transfer), transfer


async def say(processor: Any, context: FakeContext, line: str) -> list[Any]:
    """The customer says `line`; the user aggregator sends the context towards the LLM.
    Returns what passed the Warmline processor; an LLM reply is added when the LLM ran."""
    context.messages.append({"role": "user", "content": line})
    processor.pushed.clear()
    await processor.process_frame(LLMContextFrame(context), DOWN)
    frames = [f for f, _ in processor.pushed]
    if any(isinstance(f, LLMContextFrame) for f in frames):
        context.messages.append({"role": "assistant", "content": [{"type": "text",
                                                                   "text": "Sure."}]})
    return frames


def test_a_cancellation_holds_the_customer_dials_retention_and_briefs_the_rep(
        bot: ModuleType, policy: Policy) -> None:
    transport = Transport()
    processor, transfer = pipeline(bot, bot.in_process(policy), transport)
    context = FakeContext([{"role": "system", "content": bot.SYSTEM_PROMPT}])

    async def run() -> list[list[Any]]:
        calm = await say(processor, context, "Hi, I have a question.")
        handoff = await say(processor, context, "I want to cancel my account.")
        later = await say(processor, context, "Hello? Cancel it.")
        await transfer.process_frame(BotStoppedSpeakingFrame(), UP)  # Warmline's line spoken
        await transfer.process_frame(bot.DialoutFrame("answered"), DOWN)
        await transfer.process_frame(bot.DialoutFrame("stopped"), DOWN)
        return [calm, handoff, later]

    calm, handoff, later = asyncio.run(run())
    decision = processor.gate.transfer.decision
    assert [type(f) for f in calm] == [LLMContextFrame]
    assert handoff == [TTSSpeakFrame(decision["say_to_customer"])]  # the LLM stays silent
    assert [type(f) for f in later] == [LLMContextFrame]  # on hold: no second handoff
    assert transport.dialled == [{"phoneNumber": RETENTION, "displayName": "Warmline transfer"}]
    sent = [(type(f).__name__, d) for f, d in transfer.pushed]
    assert sent == [("BotStoppedSpeakingFrame", UP), ("CustomerHoldFrame", UP),
                    ("CustomerHoldFrame", UP), ("LLMMessagesAppendFrame", UP),
                    ("EndTaskFrame", UP)]
    hold, unhold, brief = (f for f, _ in transfer.pushed[1:4])
    assert (hold.on_hold, unhold.on_hold) == (True, False)
    assert brief == LLMMessagesAppendFrame(
        [{"role": "system", "content": processor.gate.transfer.rep_instructions()}], run_llm=True)
    assert decision["brief"]["whisper"] in brief.messages[0]["content"]
    assert isinstance(transfer.pushed[-1][0], EndTaskFrame)


def test_a_conversation_that_never_escalates_reaches_the_llm_every_turn(
        bot: ModuleType, policy: Policy) -> None:
    transport = Transport()
    processor, transfer = pipeline(bot, bot.in_process(policy), transport)
    context = FakeContext()

    async def run() -> list[list[Any]]:
        return [await say(processor, context, line)
                for line in ("What are your hours?", "And on Saturdays?", "Thanks, bye.")]

    assert all([type(f) for f in frames] == [LLMContextFrame] for frames in asyncio.run(run()))
    assert processor.gate.transfer is None
    assert transfer.state == "idle"
    assert transport.dialled == []
    assert [t["speaker"] for t in processor.gate.turns] == [
        "customer", "ai", "customer", "ai", "customer"]


def test_a_speculative_context_is_not_decided(bot: ModuleType, policy: Policy) -> None:
    processor, _ = pipeline(bot, bot.in_process(policy), Transport())
    guess = LLMContextFrame(FakeContext([{"role": "user", "content": "cancel"}]),
                            speculation=True)
    asyncio.run(processor.process_frame(guess, DOWN))
    assert processor.pushed == [(guess, DOWN)]
    assert processor.gate.turns == []


def test_a_failed_dial_out_returns_the_customer_to_the_bot(
        bot: ModuleType, policy: Policy) -> None:
    transport = Transport(fail=True)
    processor, transfer = pipeline(bot, bot.in_process(policy), transport)
    context = FakeContext()

    async def run() -> list[Any]:
        await say(processor, context, "Cancel my subscription.")
        await transfer.process_frame(BotStoppedSpeakingFrame(), UP)
        return await say(processor, context, "Cancel it, please.")

    again = asyncio.run(run())
    told = transfer.pushed[-1][0]
    assert isinstance(told, LLMMessagesAppendFrame)
    assert told.messages[0]["content"] == bot.TRANSFER_FAILED
    assert transfer.pushed[-2][0].on_hold is False
    assert isinstance(again[0], TTSSpeakFrame)  # the gate reopened: Warmline decides again
    assert len(transport.dialled) == 1


def test_callbacks_hang_up_and_sip_destinations_carry_the_handoff_id(bot: ModuleType) -> None:
    transfer = bot.WarmTransfer(Transport(), None)
    transfer.begin(bot.Transfer({"action": "callback", "destination": {"queue": "billing"}}))
    asyncio.run(transfer.process_frame(BotStoppedSpeakingFrame(), UP))
    assert isinstance(transfer.pushed[-1][0], EndTaskFrame)
    assert bot.dialout_settings("sip:desk@pbx.example.com", "h 1") == {
        "sipUri": "sip:desk@pbx.example.com?X-Warmline-Handoff=h%201",
        "displayName": "Warmline transfer"}


def test_over_http_the_handoff_is_opened_on_the_server(
        bot: ModuleType, warmline_server: Callable[[], AsyncClient]) -> None:
    async def run() -> tuple[Any, dict[str, Any]]:
        async with warmline_server() as client:
            processor, _ = pipeline(bot, bot.over_http(client), Transport())
            context = FakeContext()
            await say(processor, context, "Hello")
            await say(processor, context, "I need to cancel my plan")
            found = processor.gate.transfer
            return found, await client.handoff(found.handoff_id)

    transfer, handoff = asyncio.run(run())
    assert transfer.dial_to == RETENTION
    assert [t["text"] for t in handoff["transcript"]] == ["Hello", "Sure.",
                                                          "I need to cancel my plan"]
