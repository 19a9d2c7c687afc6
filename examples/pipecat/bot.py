"""A Pipecat phone bot (Daily PSTN/SIP) that asks Warmline before each LLM reply and, when
Warmline hands off, runs a warm transfer: Warmline's line to the customer, the customer on
hold, a Daily dial-out to the queue's number, and the LLM briefing the rep with Warmline's
brief before the rep talks to the customer.

    pip install warmline "pipecat-ai[daily,deepgram,cartesia,openai,silero]>=1.14"
    WARMLINE_POLICY=saas python bot.py -t daily

Set WARMLINE_URL and WARMLINE_API_KEY to ask a Warmline server instead. Walkthrough:
docs/integrations/pipecat.md. The transfer follows pipecat-ai/pipecat-examples
phone-chatbot/daily-pstn-warm-transfer (bot.py): frame-driven, one coordinator processor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    ControlFrame,
    EndTaskFrame,
    Frame,
    LLMContextFrame,
    LLMMessagesAppendFrame,
    TTSSpeakFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.turns.user_mute.base_user_mute_strategy import BaseUserMuteStrategy

from warmline.client import AsyncClient
from warmline.gate import Decider, Transfer, WarmlineGate, in_process, over_http

logger = logging.getLogger("warmline-pipecat")

SYSTEM_PROMPT = (
    "You are a friendly phone support agent. Your replies are spoken: short sentences, no "
    "formatting. Never promise a transfer yourself; another system decides that.")
TRANSFER_FAILED = ("The transfer failed: nobody answered. Apologize to the caller in one "
                   "sentence, say you are still with them, and ask how else you can help.")
SPEAKERS = {"user": "customer", "assistant": "ai"}


@dataclass
class CustomerHoldFrame(ControlFrame):
    """Upstream to the user aggregator's mute strategy: the customer is (no longer) on hold."""

    on_hold: bool


@dataclass
class DialoutFrame(ControlFrame):
    """A Daily dial-out event (`answered`, `stopped`, `error`) brought into the pipeline."""

    event: str


class HoldMute(BaseUserMuteStrategy):
    """Mutes the customer while they hold, so the bot does not answer hold-line noise."""

    def __init__(self) -> None:
        super().__init__()
        self.on_hold = False

    async def process_frame(self, frame: Frame) -> bool:
        await super().process_frame(frame)
        if isinstance(frame, CustomerHoldFrame):
            self.on_hold = frame.on_hold
        return self.on_hold


def observe_context(gate: WarmlineGate, messages: Iterable[Any]) -> None:
    """Feed the gate the user and assistant messages of a Pipecat LLM context, once each
    (by position: the context only grows here)."""
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in SPEAKERS:
            continue  # system prompts, tool calls, LLM-specific messages
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        gate.observe(SPEAKERS[message["role"]], str(content or ""), turn_id=f"m{index}")


class WarmTransfer(FrameProcessor):
    """Between TTS and the transport output. Once Warmline's line to the customer has been
    spoken it puts the customer on hold and dials the rep; when the rep answers it has the
    LLM brief them from Warmline's brief; a failed dial-out returns the customer to the bot."""

    def __init__(self, transport: Any, gate: WarmlineGate) -> None:
        super().__init__()
        self.transport = transport
        self.gate = gate
        self.transfer: Transfer | None = None
        self.state = "idle"  # idle -> announcing -> dialing -> connected

    def begin(self, transfer: Transfer) -> None:
        self.transfer, self.state = transfer, "announcing"

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, DialoutFrame):
            await self._on_dialout(frame.event)
            return
        await self.push_frame(frame, direction)
        if isinstance(frame, BotStoppedSpeakingFrame) and self.state == "announcing":
            await self._dial()

    async def _dial(self) -> None:
        assert self.transfer is not None
        dial_to = self.transfer.dial_to
        if dial_to is None:  # a callback: the line just spoken says when; the bot hangs up
            self.state = "idle"
            await self.push_frame(EndTaskFrame(), FrameDirection.UPSTREAM)
            return
        self.state = "dialing"
        await self.push_frame(CustomerHoldFrame(on_hold=True), FrameDirection.UPSTREAM)
        try:
            await self.transport.start_dialout(dialout_settings(dial_to,
                                                                self.transfer.handoff_id))
        except Exception:
            logger.exception("Daily dial-out to %s failed", dial_to)
            await self._on_dialout("error")

    async def _on_dialout(self, event: str) -> None:
        if event == "answered" and self.state == "dialing" and self.transfer is not None:
            self.state = "connected"
            await self.push_frame(CustomerHoldFrame(on_hold=False), FrameDirection.UPSTREAM)
            brief = {"role": "system", "content": self.transfer.rep_instructions()}
            await self.push_frame(LLMMessagesAppendFrame([brief], run_llm=True),
                                  FrameDirection.UPSTREAM)
        elif event == "stopped" and self.state == "connected":
            await self.push_frame(EndTaskFrame(), FrameDirection.UPSTREAM)  # rep hung up
        elif self.state == "dialing":  # error, or stopped before an answer
            self.state, self.transfer = "idle", None
            self.gate.reopen()
            await self.push_frame(CustomerHoldFrame(on_hold=False), FrameDirection.UPSTREAM)
            # Upstream to the user aggregator, as in Pipecat's example: TTS sits before us.
            failed = {"role": "system", "content": TRANSFER_FAILED}
            await self.push_frame(LLMMessagesAppendFrame([failed], run_llm=True),
                                  FrameDirection.UPSTREAM)


class WarmlineProcessor(FrameProcessor):
    """Between the user context aggregator and the LLM: each context the LLM would answer
    goes to Warmline first. On a handoff the LLM stays silent this turn, Warmline's line is
    spoken, and `WarmTransfer` takes over."""

    def __init__(self, gate: WarmlineGate, transfer: WarmTransfer) -> None:
        super().__init__()
        self.gate = gate
        self.warm_transfer = transfer

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        # A speculative context is a guess at the turn; only the confirmed one is decided.
        if isinstance(frame, LLMContextFrame) and not getattr(frame, "speculation", False) \
                and self.warm_transfer.state == "idle":
            observe_context(self.gate, frame.context.get_messages())
            transfer = await self.gate.check()
            if transfer is not None:
                self.warm_transfer.begin(transfer)
                await self.push_frame(TTSSpeakFrame(transfer.say_to_customer))
                return
        await self.push_frame(frame, direction)


def dialout_settings(dial_to: str, handoff_id: str | None) -> dict[str, str]:
    """Daily `start_dialout` settings: `sipUri` or E.164 `phoneNumber`. On SIP the handoff id
    rides as an X- header (Daily turns URI query parameters into X- headers)."""
    if dial_to.startswith("sip:"):
        header = f"?X-Warmline-Handoff={quote(handoff_id)}" if handoff_id else ""
        return {"sipUri": dial_to + header, "displayName": "Warmline transfer"}
    return {"phoneNumber": dial_to, "displayName": "Warmline transfer"}


def warmline_decider() -> Decider:
    url = os.getenv("WARMLINE_URL")
    if not url:
        return in_process(os.getenv("WARMLINE_POLICY"))
    return over_http(AsyncClient(url, os.environ["WARMLINE_API_KEY"]))


async def run_bot(transport: Any, conversation_id: str, handle_sigint: bool) -> None:
    """The pipeline of the Pipecat example, with Warmline in front of the LLM."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.frames.frames import LLMRunFrame
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.runner import PipelineRunner
    from pipecat.pipeline.task import PipelineParams, PipelineTask
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.services.cartesia.tts import CartesiaTTSService
    from pipecat.services.deepgram.stt import DeepgramSTTService
    from pipecat.services.openai.llm import OpenAILLMService

    gate = WarmlineGate(conversation_id, warmline_decider(),
                        fallback_dial=os.getenv("WARMLINE_FALLBACK_DIAL"))
    transfer = WarmTransfer(transport, gate)
    users, assistant = LLMContextAggregatorPair(LLMContext(), user_params=LLMUserAggregatorParams(
        user_mute_strategies=[HoldMute()], vad_analyzer=SileroVADAnalyzer()))
    llm = OpenAILLMService(api_key=os.getenv("OPENAI_API_KEY"),
                           settings=OpenAILLMService.Settings(system_instruction=SYSTEM_PROMPT))
    tts = CartesiaTTSService(api_key=os.getenv("CARTESIA_API_KEY", ""),
                             settings=CartesiaTTSService.Settings(
                                 voice="b7d50908-b17c-442d-ad8d-810c63997ed9"))
    pipeline = Pipeline([
        transport.input(), DeepgramSTTService(api_key=os.getenv("DEEPGRAM_API_KEY", "")),
        users, WarmlineProcessor(gate, transfer), llm, tts, transfer, transport.output(),
        assistant])
    task = PipelineTask(pipeline, params=PipelineParams(audio_in_sample_rate=8000,
                                                        audio_out_sample_rate=8000))

    @transport.event_handler("on_first_participant_joined")
    async def on_customer(transport: Any, participant: Any) -> None:
        await task.queue_frames([LLMRunFrame()])

    for daily_event, event in (("on_dialout_answered", "answered"),
                               ("on_dialout_stopped", "stopped"),
                               ("on_dialout_error", "error")):
        async def forward(transport: Any, data: Any, event: str = event) -> None:
            await task.queue_frame(DialoutFrame(event))
        transport.event_handler(daily_event)(forward)

    await PipelineRunner(handle_sigint=handle_sigint).run(task)


async def bot(runner_args: Any) -> None:
    """Entry point for Pipecat's runner (`python bot.py -t daily`) and Pipecat Cloud."""
    from pipecat.transports.daily.transport import DailyParams, DailyTransport

    transport = DailyTransport(runner_args.room_url, runner_args.token, "Warmline bot",
                               params=DailyParams(api_key=os.getenv("DAILY_API_KEY", ""),
                                                  audio_in_enabled=True,
                                                  audio_out_enabled=True))
    await run_bot(transport, runner_args.room_url.rsplit("/", 1)[-1], runner_args.handle_sigint)


if __name__ == "__main__":
    from pipecat.runner.run import main

    main()
