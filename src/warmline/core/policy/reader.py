"""`parse_policy`: plain data (decoded YAML) in, a validated `Policy` out, or a `PolicyError`
listing every problem at once — bad keys, bad values, rules that don't compile, unknown queues."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warmline.core.errors import PolicyError, Problem
from warmline.core.policy.context import Path, PolicyReader, no_location, show
from warmline.core.policy.hours import ALWAYS, Hours, HoursSyntaxError, parse_hours
from warmline.core.policy.model import (
    DEFAULT_REDACT,
    REDACT_KINDS,
    VERTICAL_FLOORS,
    Defaults,
    NotifyTarget,
    Overflow,
    Policy,
    QuestionType,
    Queue,
    Route,
    Rule,
    Signals,
    Trigger,
    Vertical,
)
from warmline.core.policy.rules import Locator, compile_rule
from warmline.core.policy.sections import (
    check_unstaffed_loops,
    notify_warnings,
    read_experiment,
    read_integrations,
    read_notify,
    read_offer_timeout,
    read_unstaffed,
)
from warmline.core.policy.transfer_number import read_phone, read_transfer

TOP_KEYS = (
    "version", "name", "vertical", "floor", "timezone", "business_hours", "defaults", "signals",
    "question_types", "triggers", "routes", "queues", "notify", "redact", "intents", "country",
    "experiment", "integrations",
)
_DEFAULT_KEYS = (
    "mode", "queue", "threshold", "cost_of_escalation", "repeat_window_days", "priority",
)
_SIGNAL_KEYS = ("human_requested", "frustration", "ai_failures")
_QT_KEYS = ("threshold", "cost_of_wrong_answer", "cost_of_escalation", "queue")
_TRIGGER_KEYS = ("name", "when", "queue", "priority", "tags", "notify", "mode")
_ROUTE_KEYS = ("name", "when", "queue", "priority", "tags", "mode", "notify")
_QUEUE_KEYS = ("skills", "hours", "overflow", "transfer", "agent", "phone", "label", "say",
               "unstaffed", "offer_timeout_seconds")
_SAY_KEYS = ("escalate", "hold", "callback")


def parse_policy(
    data: object, *, source: str | None = None, locate: Locator | None = None
) -> Policy:
    """Validate decoded policy data and compile its rules.

    Raises:
        PolicyError: every problem found, each with path, line and (for rules) rule name.
    """
    ctx = PolicyReader(file=source, locate=locate or no_location)
    if data is None:  # an empty or comment-only file: YAML reads it as null
        raise PolicyError([Problem(
            "the policy is empty: expected a mapping with at least `name:` (see "
            "docs/policy.md)", file=source, line=1)])
    top = ctx.mapping(data, ())
    if not top and not isinstance(data, Mapping):
        raise PolicyError(ctx.problems)
    ctx.keys(top, TOP_KEYS, ())
    version = top.get("version", 1)
    if version != 1:
        ctx.fail(("version",), f"this Warmline reads policy version 1, got {show(version)}")
    name = ctx.string(top.get("name", "policy"), ("name",)) or "policy"
    vertical = _vertical(ctx, top.get("vertical", "general"))
    floor = VERTICAL_FLOORS[vertical]
    if "floor" in top:
        floor = ctx.number(top["floor"], ("floor",), lo=0.0, hi=1.0) or 0.0
    timezone = _timezone(ctx, top.get("timezone", "UTC"))
    business_hours = _hours(ctx, top.get("business_hours", "always"), ("business_hours",))
    defaults = _defaults(ctx, ctx.mapping(top.get("defaults"), ("defaults",)))
    signals = _signals(ctx, top.get("signals"))
    question_types = _question_types(ctx, top.get("question_types"), defaults, floor)
    triggers = _triggers(ctx, top.get("triggers"))
    routes = _routes(ctx, top.get("routes"))
    country = _country(ctx, top.get("country"))
    queues = _queues(ctx, top.get("queues"), business_hours, country)
    notify = read_notify(ctx, top.get("notify"))
    redact = _redact(ctx, top.get("redact"), vertical)
    intent_model = _intents(ctx, top.get("intents"))
    experiment = read_experiment(ctx, top.get("experiment"))
    integrations = read_integrations(ctx, top.get("integrations"))
    _check_references(ctx, queues, notify)
    check_unstaffed_loops(ctx, queues)
    if ctx.problems:
        raise PolicyError(sorted(ctx.problems, key=lambda p: (p.line or 0, p.column or 0)))
    return Policy(
        name=name, timezone=timezone, vertical=vertical, floor=floor, version=1,
        business_hours=business_hours, defaults=defaults, signals=signals,
        question_types=question_types, triggers=triggers, routes=routes, queues=queues,
        notify=notify, redact=redact, intent_model=intent_model, country=country,
        experiment=experiment, integrations=integrations,
        used_names=frozenset(ctx.used_names), warnings=notify_warnings(notify), source=source,
    )


def _vertical(ctx: PolicyReader, value: object) -> Vertical:
    try:
        return Vertical(str(value))
    except ValueError:
        ctx.fail(("vertical",), f"expected general, healthcare or finance, got {show(value)}")
        return Vertical.GENERAL


def _timezone(ctx: PolicyReader, value: object) -> str:
    if not isinstance(value, str):
        ctx.fail(("timezone",), f"expected an IANA zone like America/Chicago, got {show(value)}")
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.fail(("timezone",), f"{value!r} is not a known IANA time zone (e.g. America/Chicago)")
        return "UTC"
    return value


def _hours(ctx: PolicyReader, value: object, path: Path) -> Hours:
    try:
        return parse_hours(value)
    except HoursSyntaxError as err:
        ctx.fail((*path, err.key) if err.key else path, str(err))
        return ALWAYS


def _defaults(ctx: PolicyReader, obj: Mapping[str, Any]) -> Defaults:
    ctx.keys(obj, _DEFAULT_KEYS, ("defaults",))
    base = Defaults()
    p = ("defaults",)
    threshold = base.threshold
    if "threshold" in obj:
        read = ctx.number(obj["threshold"], (*p, "threshold"), lo=0.0, hi=1.0)
        threshold = threshold if read is None else read  # 0.0 is a valid threshold
    cost = None
    if obj.get("cost_of_escalation") is not None:
        cost = ctx.number(obj["cost_of_escalation"], (*p, "cost_of_escalation"), lo=0.0)
    window = base.repeat_window_days
    if "repeat_window_days" in obj:
        window = ctx.integer(obj["repeat_window_days"], (*p, "repeat_window_days"), lo=1) or window
    priority = base.priority
    if "priority" in obj:
        given = ctx.integer(obj["priority"], (*p, "priority"))
        priority = priority if given is None else given
    queue = ctx.queue_ref(obj.get("queue", base.queue), (*p, "queue")) or base.queue
    return Defaults(mode=ctx.mode(obj.get("mode"), (*p, "mode")) or base.mode, queue=queue,
                    threshold=threshold, cost_of_escalation=cost, repeat_window_days=window,
                    priority=priority)


def _signals(ctx: PolicyReader, value: object) -> Signals:
    obj = ctx.mapping(value, ("signals",))
    ctx.keys(obj, _SIGNAL_KEYS, ("signals",))
    base = Signals()
    human = obj.get("human_requested", base.human_requested)
    if not isinstance(human, bool):
        ctx.fail(("signals", "human_requested"), f"expected true or false, got {show(human)}")
        human = True
    frustration: float | None = base.frustration
    if "frustration" in obj:
        raw = obj["frustration"]
        frustration = None if raw is False else ctx.number(
            raw, ("signals", "frustration"), lo=0.0, hi=1.0)
    failures: int | None = base.ai_failures
    if "ai_failures" in obj:
        raw = obj["ai_failures"]
        failures = None if raw is False else ctx.integer(raw, ("signals", "ai_failures"), lo=1)
    return Signals(human_requested=human, frustration=frustration, ai_failures=failures)


def _question_types(ctx: PolicyReader, value: object, defaults: Defaults, floor: float
                    ) -> dict[str, QuestionType]:
    out: dict[str, QuestionType] = {}
    for name, raw in ctx.mapping(value, ("question_types",)).items():
        p: Path = ("question_types", str(name))
        obj = ctx.mapping(raw, p)
        ctx.keys(obj, _QT_KEYS, p)
        derived = _threshold(ctx, obj, p, defaults)
        if derived is None:
            continue
        threshold, how = derived
        if floor > threshold:
            threshold, how = floor, how + "+floor"
        out[str(name)] = QuestionType(
            name=str(name), threshold=threshold, source=how,
            queue=ctx.queue_ref(obj.get("queue"), (*p, "queue")),
            cost_of_wrong_answer=obj.get("cost_of_wrong_answer"))
    return out


def _threshold(ctx: PolicyReader, obj: Mapping[str, Any], p: Path, defaults: Defaults
               ) -> tuple[float, str] | None:
    if obj.get("threshold") is not None:
        value = ctx.number(obj["threshold"], (*p, "threshold"), lo=0.0, hi=1.0)
        return None if value is None else (value, "explicit")
    if obj.get("cost_of_wrong_answer") is None:
        return defaults.threshold, "default"
    wrong = ctx.number(obj["cost_of_wrong_answer"], (*p, "cost_of_wrong_answer"), lo=0.0)
    escalation = defaults.cost_of_escalation
    if obj.get("cost_of_escalation") is not None:
        escalation = ctx.number(obj["cost_of_escalation"], (*p, "cost_of_escalation"), lo=0.0)
    if wrong is None:
        return None
    if escalation is None:
        ctx.fail((*p, "cost_of_wrong_answer"), "a cost-derived threshold needs "
                 "defaults.cost_of_escalation (or cost_of_escalation here)")
        return None
    derived = 1.0 - escalation / wrong if wrong else -math.inf
    if not 0.0 < derived < 1.0:
        ctx.fail((*p, "cost_of_wrong_answer"),
                 f"1 - cost_of_escalation / cost_of_wrong_answer = 1 - {escalation:g} / "
                 f"{wrong:g} is not between 0 and 1; a wrong answer must cost more than a "
                 "handoff, or set `threshold:` explicitly")
        return None
    return round(derived, 6), "cost"


def _rule(ctx: PolicyReader, obj: Mapping[str, Any], p: Path, name: str) -> Rule | None:
    if "when" not in obj:
        ctx.fail(p, f"rule {name!r} has no `when:` expression")
        return None
    compiled, problems = compile_rule(obj["when"], rule=name, path=(*p, "when"),
                                      file=ctx.file, locate=ctx.locate)
    ctx.problems.extend(problems)
    if compiled is None:
        return None
    ctx.used_names.update(compiled.names)
    return Rule(name=name, when=compiled)


def _common(ctx: PolicyReader, obj: Mapping[str, Any], p: Path) -> dict[str, Any]:
    priority = None
    if obj.get("priority") is not None:
        priority = ctx.integer(obj["priority"], (*p, "priority"))
    notify = ctx.strings(obj.get("notify"), (*p, "notify"))
    ctx.notify_refs.extend(((*p, "notify"), n) for n in notify)
    return {"queue": ctx.queue_ref(obj.get("queue"), (*p, "queue")), "priority": priority,
            "tags": ctx.strings(obj.get("tags"), (*p, "tags")), "notify": notify,
            "mode": ctx.mode(obj.get("mode"), (*p, "mode"))}


def _rule_list(ctx: PolicyReader, value: object, key: str) -> list[tuple[Path, Mapping[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.fail((key,), f"expected a list of rules, got {show(value)}")
        return []
    return [((key, i), ctx.mapping(item, (key, i))) for i, item in enumerate(value)]


def _triggers(ctx: PolicyReader, value: object) -> tuple[Trigger, ...]:
    out: list[Trigger] = []
    seen: set[str] = set()
    for p, obj in _rule_list(ctx, value, "triggers"):
        ctx.keys(obj, _TRIGGER_KEYS, p)
        name = obj.get("name")
        if not isinstance(name, str) or not name.strip():
            ctx.fail((*p, "name"), "every trigger needs a `name:` (reasons cite it)")
            name = f"triggers[{p[1]}]"
        elif name in seen:
            ctx.fail((*p, "name"), f"trigger name {name!r} is used twice")
        seen.add(name)
        common = _common(ctx, obj, p)
        rule = _rule(ctx, obj, p, name)
        if rule is not None:
            out.append(Trigger(rule=rule, **common))
    return tuple(out)


def _routes(ctx: PolicyReader, value: object) -> tuple[Route, ...]:
    out: list[Route] = []
    for p, obj in _rule_list(ctx, value, "routes"):
        ctx.keys(obj, _ROUTE_KEYS, p)
        name = obj.get("name")
        name = name if isinstance(name, str) and name.strip() else f"routes[{p[1]}]"
        common = _common(ctx, obj, p)
        rule = _rule(ctx, obj, p, name)
        if rule is not None:
            out.append(Route(rule=rule, **common))
    return tuple(out)


def _queues(ctx: PolicyReader, value: object, business_hours: Hours, country: str | None
            ) -> dict[str, Queue]:
    out: dict[str, Queue] = {}
    for name, raw in ctx.mapping(value, ("queues",)).items():
        p: Path = ("queues", str(name))
        obj = ctx.mapping(raw, p)
        ctx.keys(obj, _QUEUE_KEYS, p)
        agent = ctx.string(obj["agent"], (*p, "agent")) if "agent" in obj else None
        hours = ALWAYS if agent else business_hours
        if "hours" in obj:
            hours = _hours(ctx, obj["hours"], (*p, "hours"))
        say = ctx.mapping(obj.get("say"), (*p, "say"))
        if isinstance(obj.get("say"), str):
            say = {"escalate": obj["say"]}
        ctx.keys(say, _SAY_KEYS, (*p, "say"))
        out[str(name)] = Queue(
            name=str(name), skills=ctx.strings(obj.get("skills"), (*p, "skills")), hours=hours,
            overflow=_overflow(ctx, obj.get("overflow"), (*p, "overflow")),
            transfer=read_transfer(ctx, obj.get("transfer"), (*p, "transfer"), country),
            agent=agent, phone=read_phone(ctx, obj["phone"], (*p, "phone"), country)
            if "phone" in obj else None,
            label=ctx.string(obj["label"], (*p, "label")) if "label" in obj else None,
            say={k: str(v) for k, v in say.items()},
            unstaffed=read_unstaffed(ctx, obj.get("unstaffed"), (*p, "unstaffed")),
            offer_timeout_seconds=read_offer_timeout(
                ctx, obj.get("offer_timeout_seconds"), (*p, "offer_timeout_seconds")))
    return out


def _overflow(ctx: PolicyReader, value: object, p: Path) -> Overflow | None:
    if value is None:
        return None
    obj = ctx.mapping(value, p)
    ctx.keys(obj, ("after_seconds", "to"), p)
    after = ctx.number(obj.get("after_seconds"), (*p, "after_seconds"), lo=0.0)
    to = ctx.queue_ref(obj.get("to"), (*p, "to"))
    if to is None and "to" not in obj:
        ctx.fail((*p, "to"), "overflow needs `to:`, the queue that takes over")
    return Overflow(after_seconds=after, to=to) if after is not None and to else None


def _redact(ctx: PolicyReader, value: object, vertical: Vertical) -> frozenset[str]:
    kinds = ctx.strings(value, ("redact",)) if value is not None else DEFAULT_REDACT[vertical]
    for i, kind in enumerate(kinds):
        if kind not in REDACT_KINDS:
            close = difflib.get_close_matches(kind, sorted(REDACT_KINDS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            ctx.fail(("redact", i), f"unknown kind {kind!r}{hint} (known: "
                     f"{', '.join(sorted(REDACT_KINDS))})")
    return frozenset(kinds)


def _country(ctx: PolicyReader, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 2 or not value.isalpha():
        ctx.fail(("country",), f"expected a two-letter country code like US or GB, got "
                 f"{show(value)}")
        return None
    return value.upper()


def _intents(ctx: PolicyReader, value: object) -> str | None:
    obj = ctx.mapping(value, ("intents",))
    ctx.keys(obj, ("model",), ("intents",))
    return ctx.string(obj["model"], ("intents", "model")) if "model" in obj else None


def _check_references(ctx: PolicyReader, queues: Mapping[str, Queue],
                      notify: Mapping[str, NotifyTarget]) -> None:
    for path, name in ctx.queue_refs:
        if name not in queues:
            close = difflib.get_close_matches(name, list(queues), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f" (queues defined: {', '.join(queues) or 'none'})")
            ctx.fail(path, f"unknown queue {name!r}{hint}")
    for path, name in ctx.notify_refs:
        if name not in notify:
            ctx.fail(path, f"unknown notify target {name!r} (defined: "
                     f"{', '.join(notify) or 'none'})")
