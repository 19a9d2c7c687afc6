"""The policy of SPEC §3 as typed, validated objects. `parse_policy` is pure: the YAML file
is read (and `${ENV}` expanded) by `warmline.adapters.policy_files`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from warmline.core.policy.cel import CompiledExpression
from warmline.core.policy.hours import ALWAYS, Hours


class Vertical(StrEnum):
    GENERAL = "general"
    HEALTHCARE = "healthcare"
    FINANCE = "finance"


class Mode(StrEnum):
    WARM = "warm"
    COLD = "cold"


#: Compliance floor each vertical lifts every threshold to (seed: regulated >= 0.80).
VERTICAL_FLOORS: Mapping[Vertical, float] = {
    Vertical.GENERAL: 0.0, Vertical.HEALTHCARE: 0.80, Vertical.FINANCE: 0.80,
}

#: What `redact:` may name. Healthcare and finance redact the first two by default.
REDACT_KINDS = frozenset({
    "card_number", "ssn", "date_of_birth", "email", "phone", "account", "iban", "address", "name",
})
DEFAULT_REDACT: Mapping[Vertical, tuple[str, ...]] = {
    Vertical.GENERAL: (), Vertical.HEALTHCARE: ("card_number", "ssn"),
    Vertical.FINANCE: ("card_number", "ssn"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled `when:` expression with the name that reports cite."""

    name: str
    when: CompiledExpression

    def holds(self, context: Mapping[str, Any]) -> bool:
        return bool(self.when.evaluate(context))


@dataclass(frozen=True, slots=True)
class Trigger:
    rule: Rule
    queue: str | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    mode: Mode | None = None

    @property
    def name(self) -> str:
        return self.rule.name


@dataclass(frozen=True, slots=True)
class Route:
    rule: Rule
    queue: str | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()
    mode: Mode | None = None
    notify: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.rule.name


@dataclass(frozen=True, slots=True)
class QuestionType:
    name: str
    threshold: float
    """The effective threshold: explicit or cost-derived, lifted to the policy's floor."""
    source: str
    """How `threshold` was set: ``explicit``, ``cost`` or ``default``, plus ``+floor``."""
    queue: str | None = None
    cost_of_wrong_answer: float | None = None


@dataclass(frozen=True, slots=True)
class Overflow:
    after_seconds: float
    to: str


class WhenUnstaffed(StrEnum):
    """What a queue does when no rep with its skills is signed in (`unstaffed:`)."""

    HOLD = "hold"
    CALLBACK = "callback"
    QUEUE = "queue"
    """`{to: QUEUE}`: the handoff goes to another queue."""


@dataclass(frozen=True, slots=True)
class Unstaffed:
    then: WhenUnstaffed = WhenUnstaffed.HOLD
    """hold by default: the handoff waits in its queue and goes to the first rep with the
    skills who signs in (a platform that dials the queue's `transfer:` keeps the line)."""
    to: str | None = None


#: Seconds an offer rings a rep before it goes to the next one (`offer_timeout_seconds`).
DEFAULT_OFFER_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a voice platform dials for a queue."""

    number: str | None = None
    """E.164, normalised when the policy loads."""
    sip: str | None = None
    extension: str | None = None
    """Digits dialled after the number answers (written in the policy as "... ext. 204")."""


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    skills: tuple[str, ...] = ()
    hours: Hours = ALWAYS
    overflow: Overflow | None = None
    transfer: Transfer | None = None
    agent: str | None = None
    """Set when the queue is another AI agent, not people (destination type `agent`)."""
    phone: str | None = None
    """Set when the queue is an outside number (destination type `phone`)."""
    label: str | None = None
    say: Mapping[str, str] = field(default_factory=dict)
    """Overrides of `say_to_customer` by action: escalate, hold, callback."""
    unstaffed: Unstaffed = field(default_factory=Unstaffed)
    offer_timeout_seconds: float = DEFAULT_OFFER_TIMEOUT_SECONDS

    @property
    def is_staffed(self) -> bool:
        """Desk reps take this queue's handoffs; not so for another AI agent (`agent:`) or an
        outside number (`phone:`), which the platform connects by itself."""
        return self.agent is None and self.phone is None

    @property
    def display_name(self) -> str:
        return self.label or self.name.replace("-", " ").replace("_", " ")


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    name: str
    type: str
    url: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Experiment:
    """`experiment:` — a warm-vs-cold trial: a stable, hashed share of customers goes cold."""

    cold_share: float
    seed: str = "warmline"


@dataclass(frozen=True, slots=True)
class Integration:
    """`integrations.<platform>:` — the settings one platform adapter reads (secrets come
    from `${ENV}` in the file; they never appear in `policy check` output)."""

    platform: str
    settings: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.settings.get(key)
        return value if value else None


@dataclass(frozen=True, slots=True)
class Signals:
    human_requested: bool = True
    frustration: float | None = 0.80
    """Escalate at this score; None when switched off."""
    ai_failures: int | None = 2
    """Escalate after this many AI fallback replies in a row; None when switched off."""


@dataclass(frozen=True, slots=True)
class Defaults:
    mode: Mode = Mode.WARM
    queue: str = "front-desk"
    threshold: float = 0.60
    cost_of_escalation: float | None = None
    repeat_window_days: int = 7
    priority: int = 50


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    timezone: str
    vertical: Vertical = Vertical.GENERAL
    floor: float = 0.0
    version: int = 1
    business_hours: Hours = ALWAYS
    defaults: Defaults = field(default_factory=Defaults)
    signals: Signals = field(default_factory=Signals)
    question_types: Mapping[str, QuestionType] = field(default_factory=dict)
    triggers: tuple[Trigger, ...] = ()
    routes: tuple[Route, ...] = ()
    queues: Mapping[str, Queue] = field(default_factory=dict)
    notify: Mapping[str, NotifyTarget] = field(default_factory=dict)
    redact: frozenset[str] = frozenset()
    country: str | None = None
    """ISO 3166 region (e.g. "US") for reading national phone numbers and numeric dates."""
    intent_model: str | None = None
    """`intents: {model: PATH}`: the file the adapter loads; None means the bundled model."""
    experiment: Experiment | None = None
    integrations: Mapping[str, Integration] = field(default_factory=dict)
    used_names: frozenset[str] = frozenset()
    """Every rule variable any `when:` reads, so the engine computes only those."""
    warnings: tuple[str, ...] = ()
    source: str | None = None

    def threshold_for(self, question_type: str | None) -> tuple[float, str]:
        """The threshold that applies (after the floor) and the rule name that set it."""
        if question_type is not None:
            qt = self.question_types.get(question_type)
            if qt is not None:
                return qt.threshold, f"question_types.{qt.name}"
        return max(self.defaults.threshold, self.floor), "defaults.threshold"
