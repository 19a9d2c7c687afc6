"""Where an escalation goes (SPEC §3 destination precedence), whether that queue is open at
*now*, and what the AI says to the customer on the way."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warmline.core.decision.model import Action, Destination, DestinationType
from warmline.core.policy.model import Mode, Policy, Queue, Route, Trigger


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
    name = choose_queue(policy, triggers, route, question_type)
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


def say_to_customer(policy: Policy, destination: Destination, action: Action, mode: Mode) -> str:
    """A line the AI can say as it hands over; a queue's `say:` overrides it per action."""
    queue = policy.queues.get(destination.queue) or Queue(name=destination.queue)
    custom = queue.say.get(action.value)
    if custom:
        return custom
    team = queue.display_name
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
