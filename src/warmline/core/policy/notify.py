"""Which notify target hears of which handoff event (pure; the outbox writes what this says).

A target has two options, both optional:

- `events:` the event types it receives. Webhooks default to the five lifecycle events;
  Slack defaults to `handoff.created`. `crm.note` (a webhook-only extra) adds a CRM note,
  sent with `handoff.created`.
- `handoffs:` `all` (every handoff of the tenant) or `named` (only handoffs whose matching
  trigger or route lists the target under `notify:`). Webhooks default to `all`, Slack to
  `named`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from warmline.core.policy.model import NotifyTarget

HANDOFF_CREATED = "handoff.created"
CRM_NOTE = "crm.note"
LIFECYCLE_EVENTS: tuple[str, ...] = (
    HANDOFF_CREATED, "handoff.accepted", "handoff.completed", "handoff.failed",
    "handoff.callback_scheduled")
TARGET_TYPES = ("webhook", "slack")
SCOPES = ("all", "named")
_DEFAULT_EVENTS: Mapping[str, tuple[str, ...]] = {
    "webhook": LIFECYCLE_EVENTS, "slack": (HANDOFF_CREATED,)}
_DEFAULT_SCOPE: Mapping[str, str] = {"webhook": "all", "slack": "named"}
_OPTIONS: Mapping[str, frozenset[str]] = {
    "webhook": frozenset({"events", "handoffs", "secret", "timeout"}),
    "slack": frozenset({"events", "handoffs", "mode", "channel", "timeout"}),
}


@dataclass(frozen=True, slots=True)
class Subscription:
    events: frozenset[str]
    named_only: bool


def subscription(target: NotifyTarget) -> Subscription:
    """The target's events and scope; options `target_problems` reports are ignored."""
    raw_events = target.options.get("events")
    events = (frozenset(e for e in raw_events if isinstance(e, str))
              if isinstance(raw_events, list) else frozenset(_DEFAULT_EVENTS.get(target.type, ())))
    scope = target.options.get("handoffs", _DEFAULT_SCOPE.get(target.type, "all"))
    return Subscription(events=events, named_only=scope == "named")


def target_problems(target: NotifyTarget) -> list[tuple[str, str]]:
    """(option, message) for every option of `target` that is wrong, for `policy check`."""
    problems: list[tuple[str, str]] = []
    known = _OPTIONS.get(target.type, frozenset())
    for option in sorted(set(target.options) - known):
        problems.append((option, f"unknown option for a {target.type} target (known: "
                                 f"{', '.join(sorted(known))})"))
    events = target.options.get("events")
    allowed = (*LIFECYCLE_EVENTS, CRM_NOTE) if target.type == "webhook" else LIFECYCLE_EVENTS
    if events is not None:
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            problems.append(("events", "expected a list of event types"))
        else:
            for event in events:
                if event not in allowed:
                    problems.append(("events", f"unknown event {event!r} (known: "
                                               f"{', '.join(allowed)})"))
    scope = target.options.get("handoffs")
    if scope is not None and scope not in SCOPES:
        problems.append(("handoffs", f"expected all or named, got {scope!r}"))
    mode = target.options.get("mode")
    if mode is not None and mode not in ("post", "log"):
        problems.append(("mode", f"expected post or log, got {mode!r}"))
    return problems


def recipients(targets: Mapping[str, NotifyTarget], named: Collection[str], kind: str
               ) -> list[tuple[NotifyTarget, str]]:
    """(target, message type) for one handoff event, in policy order. `named` holds the
    targets the handoff's decision names (`Decision.notify`). A `handoff.created` also
    yields a `crm.note` to webhooks that subscribe to it."""
    out: list[tuple[NotifyTarget, str]] = []
    for target in targets.values():
        wants = subscription(target)
        if wants.named_only and target.name not in named:
            continue
        if kind in wants.events:
            out.append((target, kind))
        if (kind == HANDOFF_CREATED and CRM_NOTE in wants.events
                and target.type == "webhook"):
            out.append((target, CRM_NOTE))
    return out


def named_targets(decision: Mapping[str, object]) -> Sequence[str]:
    """The notify targets a stored decision names."""
    names = decision.get("notify")
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
