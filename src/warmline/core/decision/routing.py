"""Where an escalation goes (SPEC §3 destination precedence), whether that queue is open at
*now*, and what the AI says to the customer on the way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from warmline.core.decision.model import Action, Destination, DestinationType
from warmline.core.handoff import Rep, has_skills
from warmline.core.policy.model import Mode, Policy, Queue, Route, Trigger, WhenUnstaffed


class Staffing(StrEnum):
    """A server's view of a queue's reps at *now*."""

    FREE = "free"
    """A rep with the queue's skills has a free slot."""
    BUSY = "busy"
    """Reps with the skills are signed in (available or busy), none has a free slot."""
    UNSTAFFED = "unstaffed"
    """No rep with the skills is signed in: nobody will pick up until one does."""


def queue_staffing(reps: Sequence[Rep], skills: Sequence[str]) -> Staffing:
    """Whether a rep with every one of `skills` has a free slot, is signed in but full,
    or is not signed in at all."""
    skilled = [r for r in reps if r.is_signed_in and has_skills(r, skills)]
    if any(r.has_free_slot for r in skilled):
        return Staffing.FREE
    return Staffing.BUSY if skilled else Staffing.UNSTAFFED


def choose_queue(
    policy: Policy, triggers: Sequence[Trigger], route: Route | None, question_type: str | None
) -> str:
    """The first matching trigger that names a queue; else the route's queue; else the
    question type's queue; else `defaults.queue`."""
    for trigger in triggers:
        if trigger.queue:
            return trigger.queue
    if route is not None and route.queue:
        return route.queue
    if question_type is not None:
        qt = policy.question_types.get(question_type)
        if qt is not None and qt.queue:
            return qt.queue
    return policy.defaults.queue


def choose_destination(
    policy: Policy, triggers: Sequence[Trigger], route: Route | None, question_type: str | None
) -> Destination:
    return destination_for(policy, choose_queue(policy, triggers, route, question_type))


def destination_for(policy: Policy, name: str) -> Destination:
    queue = policy.queues.get(name) or Queue(name=name)
    number = queue.transfer.number if queue.transfer else None
    sip = queue.transfer.sip if queue.transfer else None
    extension = queue.transfer.extension if queue.transfer and number else None
    if queue.agent:
        return Destination(DestinationType.AGENT, name, agent=queue.agent)
    if queue.phone:
        return Destination(DestinationType.PHONE, name, queue.skills, number=queue.phone)
    return Destination(DestinationType.QUEUE, name, queue.skills, number=number, sip=sip,
                       extension=extension)


def is_queue_open(policy: Policy, name: str, local: datetime) -> bool:
    """A queue's own hours, else the policy's business hours (a queue not declared in the
    policy — only possible for `defaults.queue` in a policy without queues — follows them)."""
    queue = policy.queues.get(name)
    hours = queue.hours if queue is not None else policy.business_hours
    return hours.is_open(local)


class StaffedRoute(NamedTuple):
    action: Action
    destination: Destination
    unstaffed: dict[str, str] | None
    is_staffed: bool = True
    """False when the handoff waits (hold or callback) because nobody staffs its queue."""


def staffed_action(
    policy: Policy, destination: Destination, local: datetime,
    staffing: Callable[[str], Staffing],
) -> StaffedRoute:
    """The action for an open queue given who is signed in: escalate to a free rep, hold
    while the skilled reps are busy, and for a queue nobody staffs its `unstaffed:` choice
    (following `{to: QUEUE}` to the first queue that is staffed, closed or holds). The third
    item, when the first queue was unstaffed, says so: `queue`, `then` (its choice) and `to`
    (where the handoff went)."""
    first = destination.queue
    note: dict[str, str] | None = None
    seen = {first}
    while True:
        state = staffing(destination.queue)
        if state is not Staffing.UNSTAFFED:
            action = Action.ESCALATE if state is Staffing.FREE else Action.HOLD
            return StaffedRoute(action, destination, note)
        rule = (policy.queues.get(destination.queue) or Queue(name=destination.queue)).unstaffed
        if note is None:
            note = {"queue": first, "then": rule.then.value}
        if rule.then is WhenUnstaffed.QUEUE and rule.to is not None and rule.to not in seen:
            seen.add(rule.to)
            destination = destination_for(policy, rule.to)
            note["to"] = rule.to
            if not is_queue_open(policy, rule.to, local):
                return StaffedRoute(Action.CALLBACK, destination, note)
            continue
        action = Action.HOLD if rule.then is WhenUnstaffed.HOLD else Action.CALLBACK
        return StaffedRoute(action, destination, note, is_staffed=False)


def say_to_customer(policy: Policy, destination: Destination, action: Action, mode: Mode,
                    *, staffed: bool = True) -> str:
    """A line the AI can say as it hands over; a queue's `say:` overrides it per action.
    `staffed=False` (nobody with the skills is signed in) never claims that reps are busy."""
    queue = policy.queues.get(destination.queue) or Queue(name=destination.queue)
    custom = queue.say.get(action.value)
    if custom:
        return custom
    team = queue.display_name
    if not staffed and action is Action.CALLBACK:
        return (f"Nobody from our {team} team is available right now. I've noted everything "
                "you told me, and they'll call you back as soon as they can.")
    if not staffed and action is Action.HOLD:
        return (f"Nobody from our {team} team is available right now. If you can stay on "
                "the line, the first one to sign in will have everything you told me.")
    if action is Action.CALLBACK:
        return (f"Our {team} team is closed right now. I've noted everything you told me, and "
                "they'll call you back as soon as they open.")
    if action is Action.HOLD:
        return (f"Everyone on our {team} team is with another customer. Please stay on the "
                "line; you're in the queue, and they'll have everything you told me.")
    if destination.type is DestinationType.AGENT:
        return ("I'm bringing in a colleague who specialises in this. They already have the "
                "details, so you won't need to repeat anything.")
    if mode is Mode.COLD:
        return f"I'm transferring you to our {team} team now."
    return (f"I'm connecting you with our {team} team now. I've passed on everything you told "
            "me, so you won't need to repeat it.")
