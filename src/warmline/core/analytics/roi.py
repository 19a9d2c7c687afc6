"""`warmline roi`: what cold and warm transfers cost a month on a platform's pricing, pure.

Model (first order, every input editable): of `calls` a month, `escalation_rate` are handed
off. A handoff's customer calls again with the repeat-contact rate of its mode — the seed's
effects by default: a base rate raised 30 % for cold, cut 22 % for warm. Every repeat call is
a whole call: it uses platform minutes and escalates at the same rate. Cost = platform
(subscription, included minutes, per minute) + per-transfer fees + rep minutes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from warmline.core.analytics.estimate import Rate
from warmline.core.analytics.metrics import Window, contacts_by_customer, repeat_contact
from warmline.core.policy.model import Mode


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    per_minute: float
    monthly_fee: float = 0.0
    included_minutes: float = 0.0
    per_transfer: float = 0.0
    note: str = ""


#: Prices as the seed article quotes them (2026); pass --price-per-minute etc. for yours.
PLATFORMS: Mapping[str, Platform] = {
    "retell": Platform("Retell AI", 0.07, note="$0.07/min base (seed: $0.07-0.12 with add-ons)"),
    "vapi": Platform("Vapi", 0.28, note="$0.05/min base, $0.23-0.33/min all-in (seed); "
                     "0.28 is the all-in midpoint"),
    "bland": Platform("Bland AI", 0.09, note="$0.09/min plus a per-transfer fee the seed does "
                      "not price: pass --transfer-fee / --warm-fee"),
    "synthflow": Platform("Synthflow", 0.19, monthly_fee=375.0, included_minutes=2000.0,
                          note="Pro: $375/month with 2,000 minutes, then $0.19/min"),
    "gohighlevel": Platform("GoHighLevel", 0.0, monthly_fee=97.0,
                            note="$97/month subscription; usage is not priced in the seed"),
}


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Inputs of the model. Field names double as the JSON keys and the CLI's words."""

    calls_per_month: float = 1000.0
    escalation_rate: float = 0.10
    minutes: float = 4.0
    """Platform minutes per call (the seed's example call runs four minutes)."""
    base_repeat_rate: float = 0.10
    """Share of handed-off customers who call again anyway (not in the seed: set yours)."""
    cold_repeat_lift: float = 0.30
    warm_repeat_cut: float = 0.22
    cold_repeat_rate: float | None = None
    """Measured or given: replaces base x (1 + lift)."""
    warm_repeat_rate: float | None = None
    """Measured or given: replaces base x (1 - cut)."""
    csat_points: float = 25.0
    """Warm minus cold CSAT in points of "CSAT %" (seed: +20 to 30)."""
    rep_minutes: float = 5.0
    rep_cost_per_hour: float = 30.0
    transfer_fee: float | None = None
    """Per transfer, both modes; None means the platform's."""
    warm_fee: float = 0.0
    """Extra per warm transfer (e.g. a platform's charge for passing context)."""
    price_per_minute: float | None = None
    """None means the platform's."""
    measured: frozenset[str] = field(default_factory=frozenset)
    """Which fields came from the user's own database."""

    def repeat_rate(self, mode: Mode) -> float:
        if mode is Mode.COLD:
            given = self.cold_repeat_rate
            return given if given is not None else self.base_repeat_rate * (
                1 + self.cold_repeat_lift)
        given = self.warm_repeat_rate
        return given if given is not None else self.base_repeat_rate * (
            1 - self.warm_repeat_cut)

    def with_measured(self, **values: float | None) -> Assumptions:
        """These values, marked measured; None values are left as assumed."""
        found = {k: v for k, v in values.items() if v is not None}
        return replace(self, measured=self.measured | frozenset(found), **found)


@dataclass(frozen=True, slots=True)
class ModeCost:
    calls: float
    repeat_calls: float
    handoffs: float
    minutes: float
    platform: float
    transfer_fees: float
    reps: float

    @property
    def total(self) -> float:
        return self.platform + self.transfer_fees + self.reps

    def to_dict(self) -> dict[str, float]:
        return {"calls": round(self.calls, 1), "repeat_calls": round(self.repeat_calls, 1),
                "handoffs": round(self.handoffs, 1), "minutes": round(self.minutes, 1),
                "platform_cost": round(self.platform, 2),
                "transfer_fees": round(self.transfer_fees, 2),
                "rep_cost": round(self.reps, 2), "total": round(self.total, 2)}


@dataclass(frozen=True, slots=True)
class Roi:
    platform: str
    pricing: Platform
    assumptions: Assumptions
    cold: ModeCost
    warm: ModeCost

    @property
    def saving_per_month(self) -> float:
        """Cold minus warm: above zero means warm transfers cost less."""
        return self.cold.total - self.warm.total

    def to_dict(self) -> dict[str, Any]:
        a = self.assumptions
        inputs = {k: getattr(a, k) for k in Assumptions.__dataclass_fields__
                  if k != "measured"}
        inputs.update(cold_repeat_rate=round(a.repeat_rate(Mode.COLD), 4),
                      warm_repeat_rate=round(a.repeat_rate(Mode.WARM), 4),
                      price_per_minute=_price(self.pricing, a),
                      transfer_fee=_fee(self.pricing, a))
        return {"platform": self.platform, "pricing": {
                    "name": self.pricing.name, "per_minute": self.pricing.per_minute,
                    "monthly_fee": self.pricing.monthly_fee,
                    "included_minutes": self.pricing.included_minutes,
                    "per_transfer": self.pricing.per_transfer, "note": self.pricing.note},
                "inputs": inputs, "measured": sorted(a.measured),
                "cold": self.cold.to_dict(), "warm": self.warm.to_dict(),
                "saving_per_month": round(self.saving_per_month, 2),
                "saving_per_year": round(12 * self.saving_per_month, 2),
                "csat_points_warm_minus_cold": a.csat_points}


def _price(platform: Platform, a: Assumptions) -> float:
    return platform.per_minute if a.price_per_minute is None else a.price_per_minute


def _fee(platform: Platform, a: Assumptions) -> float:
    return platform.per_transfer if a.transfer_fee is None else a.transfer_fee


def platform_cost(platform: Platform, minutes: float, price: float) -> float:
    """Subscription plus the minutes beyond those it includes."""
    return platform.monthly_fee + max(0.0, minutes - platform.included_minutes) * price


def mode_cost(platform: Platform, a: Assumptions, mode: Mode) -> ModeCost:
    handoffs = a.calls_per_month * a.escalation_rate
    repeats = handoffs * a.repeat_rate(mode)
    calls = a.calls_per_month + repeats
    all_handoffs = calls * a.escalation_rate
    minutes = calls * a.minutes
    fee = _fee(platform, a) + (a.warm_fee if mode is Mode.WARM else 0.0)
    return ModeCost(
        calls=calls, repeat_calls=repeats, handoffs=all_handoffs, minutes=minutes,
        platform=platform_cost(platform, minutes, _price(platform, a)),
        transfer_fees=all_handoffs * fee,
        reps=all_handoffs * a.rep_minutes * a.rep_cost_per_hour / 60.0)


def compare(platform: str, assumptions: Assumptions) -> Roi:
    """Cold vs warm for a platform of `PLATFORMS`.

    Raises:
        KeyError: an unknown platform.
    """
    pricing = PLATFORMS[platform]
    return Roi(platform, pricing, assumptions, mode_cost(pricing, assumptions, Mode.COLD),
               mode_cost(pricing, assumptions, Mode.WARM))


#: A measured rate replaces an assumption only with at least this many handoffs behind it.
MIN_MEASURED = 20


def measure_inputs(window: Window, *, repeat_window_days: int) -> dict[str, float | None]:
    """What a tenant's own handoffs say, as `Assumptions` fields (None: not enough data):
    repeat-contact rate by mode, rep minutes (accepted -> completed), escalation rate, calls
    a month (conversations in the window scaled to 30 days) and CSAT points warm - cold."""
    handoffs = window.handoffs
    repeats = repeat_contact(handoffs, contacts_by_customer(window),
                             timedelta(days=repeat_window_days))
    spans = [(h.completed_at - h.accepted_at).total_seconds() / 60.0 for h in handoffs
             if h.accepted_at is not None and h.completed_at is not None
             and h.completed_at >= h.accepted_at]
    days = (window.until - window.since).total_seconds() / 86400.0
    satisfied: dict[str, Rate] = {}
    for mode in (Mode.WARM, Mode.COLD):
        scores = [h.csat for h in handoffs if h.mode == mode.value and h.csat is not None]
        satisfied[mode.value] = Rate(sum(s >= 4 for s in scores), len(scores))
    warm_sat, cold_sat = satisfied["warm"], satisfied["cold"]
    enough = MIN_MEASURED
    return {
        "cold_repeat_rate": _enough(repeats["cold"], enough),
        "warm_repeat_rate": _enough(repeats["warm"], enough),
        "rep_minutes": sum(spans) / len(spans) if len(spans) >= enough else None,
        "escalation_rate": (len({h.conversation_id for h in handoffs}) / window.conversations
                            if window.conversations >= enough else None),
        "calls_per_month": (window.conversations * 30.0 / days
                            if window.conversations >= enough and days > 0 else None),
        "csat_points": (100.0 * (warm_sat.value - cold_sat.value)
                        if warm_sat.value is not None and cold_sat.value is not None
                        and min(warm_sat.total, cold_sat.total) >= enough else None),
    }


def _enough(rate: Rate, minimum: int) -> float | None:
    return rate.value if rate.total >= minimum else None
