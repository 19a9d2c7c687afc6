"""What a voice or chat platform reports about a transfer it carries out itself (Vapi's
`transfer-update` / `end-of-call-report`, Retell's `transfer_*` events, Twilio's status
callbacks): each platform adapter maps its own payload to a `TransferEvent`, and this service
moves the conversation's handoff accordingly, once — a repeated or late event changes nothing.

started  -> offered_at set (the platform is ringing the destination)
bridged  -> accepted (a person, or the destination agent, has the customer)
failed   -> failed with a typed outcome (declined, no_answer, busy, voicemail, failed), or
            abandoned when the outcome is caller_left
ended    -> completed when it was bridged; abandoned (caller_left) when nobody picked up; a
            callback stays booked (the customer is expected to hang up)

A platform's clock is not ours: a time it reports is never put in the future, nor before the
handoff's own creation, offer or acceptance, so handoff times in the metrics are never
negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from warmline.core.handoff import OPEN_STATUSES, Handoff, HandoffStatus, Tenant
from warmline.service.dispatch import Dispatcher
from warmline.service.ports import Clock, Store


class TransferStage(StrEnum):
    STARTED = "started"
    BRIDGED = "bridged"
    FAILED = "failed"
    ENDED = "ended"


class TransferOutcome(StrEnum):
    """Typed transfer failures (SPEC §6), the `outcome` of a failed or abandoned handoff."""

    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    CALLER_LEFT = "caller_left"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TransferEvent:
    conversation_id: str
    stage: TransferStage
    at: datetime | None = None
    """When the platform says it happened; None means now."""
    outcome: TransferOutcome | None = None
    """For `failed`: why. Ignored for the other stages."""
    detail: str | None = None
    """The platform's own words (e.g. Vapi's endedReason), kept as the handoff's note."""


@dataclass
class TransferService:
    store: Store
    clock: Clock
    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    """Publishes the handoff's events (and their webhooks) in the transfer's transaction."""

    def record(self, tenant: Tenant, event: TransferEvent) -> Handoff | None:
        """Apply a platform's transfer event; returns the handoff (None when the
        conversation never escalated, which is normal for calls the AI finished)."""
        now = self.clock.now()
        at = min(event.at, now) if event.at is not None else now
        with self.store.transaction() as tx:
            stored = tx.get_conversation(tenant.id, event.conversation_id)
            if stored is None or stored.handoff_id is None:
                return None
            handoff = tx.get_handoff(tenant.id, stored.handoff_id)
            if handoff is None:
                return None
            at = max([at, handoff.created_at]
                     + [t for t in (handoff.offered_at, handoff.accepted_at) if t is not None])
            moved, kind = _move(handoff, event, at)
            if moved is None or kind is None:
                return handoff
            if not tx.update_handoff(moved, expect={handoff.status}):
                return tx.get_handoff(tenant.id, handoff.id)  # another worker moved it
            if handoff.rep_id and handoff.status is HandoffStatus.OFFERED:
                tx.release_slot(tenant.id, handoff.rep_id, at)  # the platform got there first
            self.dispatcher.publish(tx, tenant, kind, moved, at)
            return moved


def _move(h: Handoff, event: TransferEvent, at: datetime
          ) -> tuple[Handoff | None, str | None]:
    """The handoff after `event` and the event type to publish, or (None, None)."""
    status, stage = h.status, event.stage
    platform_rep = h.rep_id if status is HandoffStatus.ACCEPTED else None
    if stage is TransferStage.STARTED and status in OPEN_STATUSES and h.offered_at is None:
        return replace(h, offered_at=at), "handoff.transfer_started"
    if stage is TransferStage.BRIDGED and status in OPEN_STATUSES:
        return replace(h, status=HandoffStatus.ACCEPTED, accepted_at=at, rep_id=None,
                       offered_at=h.offered_at or at), "handoff.accepted"
    if stage is TransferStage.FAILED and status in OPEN_STATUSES:
        outcome = event.outcome or TransferOutcome.FAILED
        new = (HandoffStatus.ABANDONED if outcome is TransferOutcome.CALLER_LEFT
               else HandoffStatus.FAILED)
        return replace(h, status=new, outcome=outcome.value, completed_at=at, rep_id=None,
                       note=event.detail or h.note), "handoff.failed"
    if stage is TransferStage.ENDED and status is HandoffStatus.ACCEPTED and platform_rep is None:
        return replace(h, status=HandoffStatus.COMPLETED, completed_at=at), "handoff.completed"
    if stage is TransferStage.ENDED and status in OPEN_STATUSES - {HandoffStatus.CALLBACK}:
        return replace(h, status=HandoffStatus.ABANDONED, completed_at=at, rep_id=None,
                       outcome=TransferOutcome.CALLER_LEFT.value,
                       note=event.detail or h.note), "handoff.failed"
    return None, None
