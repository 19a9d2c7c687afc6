"""Policy sections read beside SPEC §3's core: `notify:` targets, `experiment:` (the
warm-vs-cold trial), `integrations:` (per-platform settings such as signing secrets) and a
queue's staffing settings (`unstaffed:`, `offer_timeout_seconds:`), with the same located
problems as every other section."""

from __future__ import annotations

from collections.abc import Mapping

from warmline.core.policy.context import Path, PolicyReader, show
from warmline.core.policy.model import (
    DEFAULT_OFFER_TIMEOUT_SECONDS,
    Experiment,
    Integration,
    NotifyTarget,
    Queue,
    Unstaffed,
    WhenUnstaffed,
)
from warmline.core.policy.notify import target_problems

#: The keys each platform adapter reads. A platform listed here may be configured; its
#: adapter documents what each key means (docs/integrations/*.md).
INTEGRATION_KEYS: Mapping[str, tuple[str, ...]] = {
    # secret: the value Vapi sends as `X-Vapi-Secret` or as a bearer token;
    # hmac_secret: the key of Vapi's HMAC credential (`x-signature`, or `X-Vapi-Signature`);
    # signature_header / timestamp_header: when the credential renames them;
    # assistant_id: the assistant an `assistant-request` is answered with.
    "vapi": ("secret", "hmac_secret", "max_age_seconds", "signature_header",
             "timestamp_header", "assistant_id"),
    # api_key: the Retell API key that signs `x-retell-signature`.
    "retell": ("api_key", "max_age_seconds"),
    # auth_token: the Twilio auth token that signs `X-Twilio-Signature`; public_url: the
    # scheme://host Twilio calls, when a proxy changes what the server sees; workflow_sid:
    # the TaskRouter workflow `<Enqueue>` creates tasks in; voice: the `<Say>` voice.
    "twilio": ("auth_token", "public_url", "workflow_sid", "voice"),
    # secret: a shared secret for the generic JSON endpoint (Standard Webhooks HMAC);
    # max_age_seconds: how old a `webhook-timestamp` may be (default 300).
    "generic": ("secret", "max_age_seconds"),
}
_EXPERIMENT_KEYS = ("cold_share", "seed")


def read_experiment(ctx: PolicyReader, value: object) -> Experiment | None:
    if value is None:
        return None
    p: Path = ("experiment",)
    obj = ctx.mapping(value, p)
    ctx.keys(obj, _EXPERIMENT_KEYS, p)
    if "cold_share" not in obj:
        ctx.fail(p, "experiment needs `cold_share:` (the share of customers sent cold, 0..1)")
        return None
    share = ctx.number(obj["cold_share"], (*p, "cold_share"), lo=0.0, hi=1.0)
    seed = obj.get("seed", "warmline")
    if not isinstance(seed, (str, int)) or isinstance(seed, bool):
        ctx.fail((*p, "seed"), f"expected a string or number, got {show(seed)}")
        seed = "warmline"
    if share is None:
        return None
    return Experiment(cold_share=share, seed=str(seed))


def read_integrations(ctx: PolicyReader, value: object) -> dict[str, Integration]:
    out: dict[str, Integration] = {}
    top = ctx.mapping(value, ("integrations",))
    ctx.keys(top, tuple(INTEGRATION_KEYS), ("integrations",))
    for platform, raw in top.items():
        allowed = INTEGRATION_KEYS.get(str(platform))
        if allowed is None:
            continue
        p: Path = ("integrations", str(platform))
        obj = ctx.mapping(raw, p)
        ctx.keys(obj, allowed, p)
        settings: dict[str, str] = {}
        for key, item in obj.items():
            if key not in allowed:
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                ctx.fail((*p, str(key)), f"expected a string, got {show(item)}")
                continue
            text = str(item)
            # An unset `${ENV}` stays literal in the file reader; treat it as not configured
            # rather than as a secret anyone could guess.
            settings[str(key)] = "" if text.startswith("${") and text.endswith("}") else text
        out[str(platform)] = Integration(platform=str(platform), settings=settings)
    return out


def read_notify(ctx: PolicyReader, value: object) -> dict[str, NotifyTarget]:
    out: dict[str, NotifyTarget] = {}
    for name, raw in ctx.mapping(value, ("notify",)).items():
        p: Path = ("notify", str(name))
        obj = ctx.mapping(raw, p)
        kind = obj.get("type")
        if kind not in ("slack", "webhook"):
            ctx.fail((*p, "type"), f"expected slack or webhook, got {show(kind)}")
            continue
        url = obj.get("url")
        if url is not None and not isinstance(url, str):
            ctx.fail((*p, "url"), f"expected a URL string, got {show(url)}")
            url = None
        options = {k: v for k, v in obj.items() if k not in ("type", "url")}
        target = NotifyTarget(name=str(name), type=str(kind), url=url, options=options)
        for option, message in target_problems(target):
            ctx.fail((*p, option), message)
        out[str(name)] = target
    return out


def notify_warnings(notify: Mapping[str, NotifyTarget]) -> tuple[str, ...]:
    out = []
    for target in notify.values():
        if target.url and "${" in target.url:
            out.append(f"notify.{target.name}.url: {target.url} is not set in the environment; "
                       "notifications to it will fail until it is")
    return tuple(out)


def read_unstaffed(ctx: PolicyReader, value: object, p: Path) -> Unstaffed:
    """`unstaffed: hold | callback | {to: QUEUE}`; hold when absent."""
    if value is None:
        return Unstaffed()
    if isinstance(value, str) and value in (WhenUnstaffed.HOLD, WhenUnstaffed.CALLBACK):
        return Unstaffed(WhenUnstaffed(value))
    if isinstance(value, Mapping):
        ctx.keys(value, ("to",), p)
        if "to" not in value:
            ctx.fail((*p, "to"), "unstaffed needs `to:`, the queue that takes over")
            return Unstaffed()
        to = ctx.queue_ref(value["to"], (*p, "to"))
        return Unstaffed(WhenUnstaffed.QUEUE, to) if to else Unstaffed()
    ctx.fail(p, f"expected hold, callback or {{to: QUEUE}}, got {show(value)}")
    return Unstaffed()


def read_offer_timeout(ctx: PolicyReader, value: object, p: Path) -> float:
    """`offer_timeout_seconds`: how long an offer rings one rep (at least 1 s)."""
    if value is None:
        return DEFAULT_OFFER_TIMEOUT_SECONDS
    seconds = ctx.number(value, p)
    if seconds is not None and seconds < 1:
        ctx.fail(p, f"expected seconds ≥ 1 (how long an offer rings one rep), got {show(value)}")
        return DEFAULT_OFFER_TIMEOUT_SECONDS
    return DEFAULT_OFFER_TIMEOUT_SECONDS if seconds is None else seconds


def check_unstaffed_loops(ctx: PolicyReader, queues: Mapping[str, Queue]) -> None:
    """`unstaffed: {to: ...}` chains must end: a queue sending to itself, directly or
    through others, is an error at the first queue of the loop."""
    for name in queues:
        seen = [name]
        current = queues[name]
        while current.unstaffed.to is not None and current.unstaffed.to in queues:
            if current.unstaffed.to in seen:
                if current.unstaffed.to == name:
                    loop = " -> ".join([*seen, name])
                    ctx.fail(("queues", name, "unstaffed", "to"),
                             f"unstaffed queues loop: {loop}; one of them must hold or "
                             "call back")
                break
            seen.append(current.unstaffed.to)
            current = queues[current.unstaffed.to]
