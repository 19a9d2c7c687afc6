"""The per-turn Warmline check a voice agent runs, with no agent-framework import.

Any agent framework can use it; examples/livekit/ and examples/pipecat/ show it in a real
voice agent (docs/integrations/livekit.md, pipecat.md).

    gate = WarmlineGate("call-42", in_process("saas"))      # or over_http(AsyncClient(...))
    gate.observe("customer", "I want to cancel my account", turn_id="m7")
    transfer = await gate.check()                          # None: let the LLM answer
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx2 as httpx

import warmline
from warmline import Policy, WarmlineError
from warmline.client import AsyncClient

logger = logging.getLogger("warmline.gate")

Speaker = Literal["customer", "ai"]
#: Takes the whole conversation (SPEC §1) and the turns not yet sent; returns the decision
#: (SPEC §2 JSON).
Decider = Callable[[dict[str, Any], list[dict[str, Any]]], Awaitable[dict[str, Any]]]
#: The actions after which the customer goes to a person now (`hold` waits in the queue).
TRANSFER_ACTIONS = ("escalate", "hold")


def in_process(policy: Policy | str | None = None) -> Decider:
    """Decide in this process with `warmline.decide` (policy: object, YAML path or bundled
    name). The policy is loaded once, here; each decision runs in a worker thread so the
    event loop keeps serving audio."""
    loaded = warmline.load_policy(policy or "general") if not isinstance(policy, Policy) \
        else policy

    async def decide(conversation: dict[str, Any], new: list[dict[str, Any]]) -> dict[str, Any]:
        decision = await asyncio.to_thread(warmline.decide, conversation, loaded)
        return decision.to_dict()

    return decide


def over_http(client: AsyncClient) -> Decider:
    """Ask a Warmline server: it stores the turns, and an escalation opens a handoff on the
    desk (the decision then carries `handoff_id`)."""

    async def decide(conversation: dict[str, Any], new: list[dict[str, Any]]) -> dict[str, Any]:
        first = len(new) == len(conversation["turns"])
        return await client.post_turns(
            conversation["id"], new, channel=conversation["channel"] if first else None,
            customer=conversation["customer"] if first else None)

    return decide


@dataclass(frozen=True)
class Transfer:
    """What an agent framework needs from a decision to hand the customer over."""

    decision: Mapping[str, Any]
    fallback_dial: str | None = None

    @property
    def action(self) -> str:
        return str(self.decision["action"])

    @property
    def say_to_customer(self) -> str:
        return str(self.decision.get("say_to_customer") or "Please hold while I connect you.")

    @property
    def dial_to(self) -> str | None:
        """The queue's `transfer:` number or SIP URI from the policy, else the fallback;
        None for a callback (nobody to dial now)."""
        if self.action not in TRANSFER_ACTIONS:
            return None
        destination = self.decision.get("destination") or {}
        return destination.get("sip") or destination.get("number") or self.fallback_dial

    @property
    def handoff_id(self) -> str | None:
        return self.decision.get("handoff_id")

    def rep_instructions(self) -> str:
        """Instructions for the assistant that briefs the rep: Warmline's whisper first, then
        the brief (already redacted by the policy), and when to connect the caller."""
        brief = self.decision.get("brief") or {}
        destination = self.decision.get("destination") or {}
        reasons = "; ".join(r["detail"] or r["code"] for r in self.decision.get("reasons", []))
        lines = [
            "You are an AI assistant calling a human support rep to hand over a caller who is "
            "on hold. You are talking to the rep, not to the caller.",
            f'Open with this line, word for word: "{brief.get("whisper", "")}"',
            "Then answer the rep's questions from this brief only; do not invent details.",
            "## Brief",
            brief.get("summary", ""),
            f"Queue: {destination.get('queue', '-')}; priority: {self.decision.get('priority')}; "
            f"tags: {', '.join(self.decision.get('tags', [])) or '-'}; why: {reasons or '-'}",
        ]
        if self.handoff_id:
            lines.append(f"Handoff on the Warmline desk: {self.handoff_id}")
        lines.append("When the rep agrees to take the call, connect them to the caller. If "
                     "they decline, say so and end the consultation.")
        return "\n".join(lines)


@dataclass
class WarmlineGate:
    """Collects the conversation turn by turn and asks Warmline after each customer turn,
    until the first handoff. A Warmline error never stops the call: the agent goes on."""

    conversation_id: str
    decider: Decider
    channel: str = "voice"
    customer: Mapping[str, Any] = field(default_factory=dict)
    fallback_dial: str | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    turns: list[dict[str, Any]] = field(default_factory=list)
    transfer: Transfer | None = None
    _seen: set[str] = field(default_factory=set)
    _sent: int = 0

    def observe(self, speaker: Speaker, text: str, *, turn_id: str | None = None,
                **fields: Any) -> bool:
        """Add one finished turn; a `turn_id` already seen (or empty text) is ignored.
        `fields` are SPEC §1 turn fields the agent knows, e.g. the AI's `confidence`."""
        if not text.strip() or (turn_id is not None and turn_id in self._seen):
            return False
        if turn_id is not None:
            self._seen.add(turn_id)
        turn: dict[str, Any] = {"id": turn_id or f"t{len(self.turns) + 1}",
                                "speaker": speaker, "text": text.strip(),
                                "at": self.clock().isoformat(), **fields}
        self.turns.append(turn)
        return True

    async def check(self) -> Transfer | None:
        """Ask Warmline if a customer turn arrived since the last ask; a Transfer the first
        time it hands off, else None."""
        new = self.turns[self._sent:]
        if self.transfer is not None or not any(t["speaker"] == "customer" for t in new):
            return None
        conversation = {"id": self.conversation_id, "channel": self.channel,
                        "customer": dict(self.customer), "turns": list(self.turns)}
        try:
            decision = await self.decider(conversation, new)
        except (WarmlineError, httpx.HTTPError) as err:
            # The turns stay unsent and go with the next ask.
            logger.warning("Warmline could not decide; the agent carries on: %s", err)
            return None
        self._sent = len(self.turns)
        if decision["action"] == "continue":
            return None
        self.transfer = Transfer(decision, self.fallback_dial)
        return self.transfer

    def reopen(self) -> None:
        """After a transfer that failed (no answer, declined): the next customer turn is
        decided again."""
        self.transfer = None
