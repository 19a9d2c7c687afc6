"""A LiveKit Agents voice agent that asks Warmline after every customer turn and, when Warmline
hands off, runs LiveKit's WarmTransferTask with Warmline's brief as the rep's instructions.

    pip install warmline "livekit-agents>=1.8" "livekit-plugins-silero>=1.8"
    WARMLINE_POLICY=saas LIVEKIT_SIP_OUTBOUND_TRUNK=ST_... python agent.py dev

Set WARMLINE_URL and WARMLINE_API_KEY to ask a Warmline server instead (handoffs then show on
its desk). Walkthrough: docs/integrations/livekit.md. Follows livekit/agents
examples/warm-transfer/warm_transfer.py and docs.livekit.io/agents/prebuilt/tasks/warm-transfer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

from livekit.agents import (
    Agent,
    AgentServer,
    AgentSession,
    ChatContext,
    ChatMessage,
    JobContext,
    JobProcess,
    StopResponse,
    cli,
    room_io,
)
from livekit.agents.beta.workflows import WarmTransferTask

from warmline.client import AsyncClient
from warmline.gate import Decider, Transfer, WarmlineGate, in_process, over_http

logger = logging.getLogger("warmline-livekit")

AGENT_NAME = "warmline-support"
#: Seconds the rep's phone may ring before the customer is taken off hold again.
RINGING_TIMEOUT = 30.0
INSTRUCTIONS = (
    "You are a friendly phone support agent. Keep answers to one or two short sentences. "
    "Never promise to transfer the caller yourself: a separate system decides when a person "
    "takes over.")
ON_HOLD = "You are holding the line for a caller who is being connected to a person. Be brief."
TRANSFER_FAILED = ("I'm sorry, I couldn't reach anyone just now. I'm still here with you; "
                   "how else can I help?")
SPEAKERS = {"user": "customer", "assistant": "ai"}


def observe_chat(gate: WarmlineGate, items: Iterable[Any]) -> None:
    """Feed the gate every finished user and assistant message of a LiveKit chat context,
    once each (by message id)."""
    for item in items:
        if getattr(item, "type", None) == "message" and item.role in SPEAKERS:
            gate.observe(SPEAKERS[item.role], item.text_content or "", turn_id=item.id)


class SupportAgent(Agent):
    """The AI agent. Warmline is asked after each customer turn, before the LLM replies."""

    def __init__(self, gate: WarmlineGate, *, chat_ctx: ChatContext | None = None) -> None:
        super().__init__(instructions=INSTRUCTIONS, chat_ctx=chat_ctx)
        self.gate = gate

    async def on_user_turn_completed(self, turn_ctx: ChatContext,
                                     new_message: ChatMessage) -> None:
        observe_chat(self.gate, [*turn_ctx.items, new_message])
        transfer = await self.gate.check()
        if transfer is None:
            return  # the LLM answers as usual
        self.session.update_agent(HandoffAgent(transfer, self.gate, chat_ctx=self.chat_ctx))
        raise StopResponse()  # Warmline speaks for the agent this turn


class HandoffAgent(Agent):
    """Says Warmline's line to the customer, then dials the rep and briefs them. An AgentTask
    such as WarmTransferTask may only be awaited in `on_enter` or a tool, hence this agent."""

    def __init__(self, transfer: Transfer, gate: WarmlineGate, *,
                 chat_ctx: ChatContext | None = None) -> None:
        super().__init__(instructions=ON_HOLD, chat_ctx=chat_ctx)
        self.transfer = transfer
        self.gate = gate

    async def on_enter(self) -> None:
        await self.session.say(self.transfer.say_to_customer, allow_interruptions=False)
        dial_to = self.transfer.dial_to
        if dial_to is None:
            # A callback: the line above told the customer when they will be called.
            if self.transfer.action != "callback":
                logger.error("queue %s has no transfer number or SIP URI in the policy",
                             (self.transfer.decision.get("destination") or {}).get("queue"))
            self.session.shutdown()
            return
        handoff = self.transfer.handoff_id
        try:
            result = await WarmTransferTask(
                sip_call_to=dial_to,  # "+1..." or "sip:..."; trunk from LIVEKIT_SIP_OUTBOUND_TRUNK
                sip_headers={"X-Warmline-Handoff": handoff} if handoff else {},
                ringing_timeout=RINGING_TIMEOUT,
                instructions=self.transfer.rep_instructions(),
            )
        except Exception:
            # ToolError for no answer, declined, voicemail; anything else (a SIP or config
            # error) must not leave the caller on hold either.
            logger.exception("warm transfer to %s failed", dial_to)
            self.gate.reopen()
            await self.session.say(TRANSFER_FAILED, allow_interruptions=False)
            self.session.update_agent(SupportAgent(self.gate, chat_ctx=self.chat_ctx))
            return
        logger.info("rep %s is with the caller", result.human_agent_identity)
        self.session.shutdown()


def warmline_decider(ctx: JobContext) -> Decider:
    """The Warmline server when WARMLINE_URL is set, else the policy loaded at prewarm."""
    url = os.getenv("WARMLINE_URL")
    if not url:
        decider: Decider = ctx.proc.userdata["warmline"]
        return decider
    client = AsyncClient(url, os.environ["WARMLINE_API_KEY"])
    ctx.add_shutdown_callback(client.close)
    return over_http(client)


def prewarm(proc: JobProcess) -> None:
    """Once per worker process: the policy (and its intent model) and the VAD."""
    from livekit.plugins import silero

    proc.userdata["warmline"] = in_process(os.getenv("WARMLINE_POLICY"))
    proc.userdata["vad"] = silero.VAD.load()


server = AgentServer()
server.setup_fnc = prewarm


@server.rtc_session(agent_name=AGENT_NAME)
async def entrypoint(ctx: JobContext) -> None:
    gate = WarmlineGate(ctx.room.name, warmline_decider(ctx),
                        fallback_dial=os.getenv("WARMLINE_FALLBACK_DIAL"))
    session: AgentSession[None] = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt="deepgram/nova-3:en",
        llm="openai/gpt-4.1-mini",
        tts="cartesia/sonic-3:9626c31c-bec5-4cca-baa8-f8ba9e84c8bc",
    )
    # The room outlives this session: the rep is moved into it when the AI hangs up.
    await session.start(agent=SupportAgent(gate), room=ctx.room,
                        room_options=room_io.RoomOptions(delete_room_on_close=False))
    caller = await ctx.wait_for_participant()
    if phone := caller.attributes.get("sip.phoneNumber"):
        gate.customer = {"phone": phone}  # lets Warmline count repeat calls


if __name__ == "__main__":
    cli.run_app(server)
