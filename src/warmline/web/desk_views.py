"""What the desk's pages show, built from the services: cards for offers and waiting
handoffs, a rep's active conversations, transcripts (redacted by the policy) and the
supervisor's overview. Plain data for the templates; no HTTP here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warmline.bootstrap import Services
from warmline.core.decision.situation import zone
from warmline.core.errors import NotFound
from warmline.core.handoff import Handoff, HandoffStatus, Rep, Role, Tenant, has_skills
from warmline.core.policy.model import Policy
from warmline.service.transcripts import handoff_transcript
from warmline.web.api import handoff_json


@dataclass(frozen=True, slots=True)
class DeskUser:
    tenant: Tenant
    user_id: str
    username: str
    role: Role
    rep_id: str | None
    csrf: str

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)



def _policy(svc: Services, tenant: Tenant) -> Policy:
    return svc.tenants.decider_for(tenant).policy


def card(handoff: Handoff, policy: Policy, now: datetime, rep_id: str | None) -> dict[str, Any]:
    """One handoff as the desk shows it: brief, whisper, tags, reasons, priority and the
    seconds left before it overflows (from the queue's `overflow.after_seconds`)."""
    data = handoff_json(handoff)
    brief: Mapping[str, Any] = data["brief"] or {}
    queue = policy.queues.get(handoff.queue)
    remaining = overflow_to = None
    waiting = handoff.status in (HandoffStatus.QUEUED, HandoffStatus.OFFERED)
    if queue and queue.overflow and waiting and handoff.overflowed_from is None:
        deadline = handoff.created_at + timedelta(seconds=queue.overflow.after_seconds)
        remaining = max(0, round((deadline - now).total_seconds()))
        overflow_to = queue.overflow.to
    mine = rep_id is not None and handoff.rep_id == rep_id
    return {**data, "summary_lines": str(brief.get("summary") or "").splitlines(),
            "whisper": brief.get("whisper"), "details": brief.get("details") or {},
            "waited": max(0, round((now - handoff.created_at).total_seconds())),
            "remaining": remaining, "overflow_to": overflow_to,
            "offered_to_me": mine and handoff.status is HandoffStatus.OFFERED,
            "mine": mine and handoff.status is HandoffStatus.ACCEPTED,
            "can_pick_up": rep_id is not None and handoff.status in (
                HandoffStatus.QUEUED, HandoffStatus.CALLBACK)}


def _own_rep(svc: Services, user: DeskUser) -> Rep | None:
    if user.rep_id is None:
        return None
    try:
        return svc.reps.get(user.tenant, user.rep_id)
    except NotFound:
        return None


def offers_view(svc: Services, user: DeskUser) -> dict[str, Any]:
    """Offers to this rep, then what waits in the queues the rep can serve, then callbacks."""
    tenant, policy, now = user.tenant, _policy(svc, user.tenant), svc.clock.now()
    rep = _own_rep(svc, user)

    def serves(handoff: Handoff) -> bool:
        queue = policy.queues.get(handoff.queue)
        return rep is None or queue is None or has_skills(rep, queue.skills)

    def cards(status: HandoffStatus, keep: Callable[[Handoff], bool]) -> list[dict[str, Any]]:
        return [card(h, policy, now, user.rep_id)
                for h in svc.handoffs.list(tenant, status=status, limit=200) if keep(h)]

    callbacks = [h for h in svc.handoffs.list(tenant, status=HandoffStatus.CALLBACK, limit=500)
                 if serves(h)]
    return {"offers": cards(HandoffStatus.OFFERED,
                            lambda h: user.rep_id is not None and h.rep_id == user.rep_id),
            "queued": cards(HandoffStatus.QUEUED, serves),
            "callbacks": callback_cards(svc, user, policy, callbacks), "rep": rep}


def callback_cards(svc: Services, user: DeskUser, policy: Policy,
                   callbacks: list[Handoff]) -> list[dict[str, Any]]:
    """One card per customer and queue, newest first: the latest callback's card with the
    customer's name and number (the conversation's customer — a platform's caller id lands
    there — else the brief's details) and how many callbacks it stands for."""
    groups: dict[tuple[str, str], list[Handoff]] = {}
    for h in sorted(callbacks, key=lambda h: h.created_at, reverse=True):
        groups.setdefault((h.customer_key or h.conversation_id, h.queue), []).append(h)
    now, out = svc.clock.now(), []
    for group in groups.values():
        latest, conversation = svc.handoffs.get(user.tenant, group[0].id)
        view = card(latest, policy, now, user.rep_id)
        customer = conversation.get("customer") or {}
        details = view["details"]
        view["contact"] = {
            "name": customer.get("name") or details.get("name"),
            "phone": customer.get("phone") or details.get("phone"),
            "email": customer.get("email") or details.get("email"),
            "account": (customer.get("attributes") or {}).get("account") or customer.get("id"),
        }
        view["count"] = len(group)
        out.append(view)
    return out


def active_view(svc: Services, user: DeskUser) -> dict[str, Any]:
    """The handoffs this rep has accepted, each with its (redacted) live transcript."""
    if user.rep_id is None:
        return {"active": []}
    policy, now = _policy(svc, user.tenant), svc.clock.now()
    accepted = svc.handoffs.list(user.tenant, status=HandoffStatus.ACCEPTED, limit=500)
    active = []
    for handoff in (h for h in accepted if h.rep_id == user.rep_id):
        view = card(handoff, policy, now, user.rep_id)
        view["transcript"] = transcript_view(svc, user.tenant, handoff.id)
        active.append(view)
    return {"active": active}


def board_view(svc: Services, user: DeskUser) -> dict[str, Any]:
    return {**offers_view(svc, user), **active_view(svc, user)}


def transcript_view(svc: Services, tenant: Tenant, handoff_id: str) -> list[dict[str, Any]]:
    _, transcript = handoff_transcript(svc.handoffs, tenant, handoff_id)
    return transcript


def one_card_view(svc: Services, user: DeskUser, handoff_id: str) -> dict[str, Any]:
    handoff, _ = svc.handoffs.get(user.tenant, handoff_id)
    view = card(handoff, _policy(svc, user.tenant), svc.clock.now(), user.rep_id)
    view["transcript"] = transcript_view(svc, user.tenant, handoff_id)
    return {"h": view}


def supervisor_view(svc: Services, tenant: Tenant) -> dict[str, Any]:
    """Queues with their counts, every waiting handoff, and reps with status and load."""
    policy, now = _policy(svc, tenant), svc.clock.now()
    by_status = {status: svc.handoffs.list(tenant, status=status, limit=500) for status in (
        HandoffStatus.QUEUED, HandoffStatus.OFFERED, HandoffStatus.CALLBACK,
        HandoffStatus.ACCEPTED)}
    local = now.astimezone(zone(policy.timezone))
    queues = [{"name": q.name, "skills": q.skills, "agent": q.agent,
               "open": q.hours.is_open(local),
               "overflow": q.overflow, **{status.value: sum(h.queue == q.name for h in items)
                                          for status, items in by_status.items()}}
              for q in policy.queues.values()]
    waiting = sorted((card(h, policy, now, None) for status in (
        HandoffStatus.QUEUED, HandoffStatus.OFFERED, HandoffStatus.CALLBACK)
        for h in by_status[status]), key=lambda c: (-c["priority"], -c["waited"]))
    return {"queues": queues, "waiting": waiting, "reps": svc.reps.list(tenant),
            "in_progress": len(by_status[HandoffStatus.ACCEPTED])}
