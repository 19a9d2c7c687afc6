"""What handoffs cost (SPEC §6): per-minute platform cost + per-transfer fee + rep minutes,
per handoff and per month, from the handoffs' own timings and the operator's prices.

One finished handoff (it has `completed_at`) costs

    platform_per_minute * (completed_at - created_at) minutes    the line stays on the platform
  + transfer_fee, unless the decision was a callback              nothing was transferred live
  + rep_per_minute * (completed_at - accepted_at) minutes         only when a rep accepted

Handoffs still open are left out of the mean (their minutes are not known yet). `per_month`
scales the mean to the window's handoff volume over 30 days; `policy` applies the policy's
flat `defaults.cost_of_escalation` to the same volume, for comparison."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from warmline.core.analytics.estimate import Mean, bootstrap_mean
from warmline.core.handoff import Handoff

MONTH = timedelta(days=30)
#: Above this many costs the 95 % interval of the mean is the normal one: with thousands of
#: handoffs the central limit theorem is exact to the cent, and a bootstrap over that many
#: distinct values costs O(n) per resample.
BOOTSTRAP_MAX = 2000
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class CostAssumptions:
    """Prices, in the operator's currency. All must be 0 or more."""

    platform_per_minute: float = 0.0
    transfer_fee: float = 0.0
    rep_per_minute: float = 0.0
    cost_of_escalation: float | None = None
    """The policy's flat cost of one handoff, when it sets one."""

    def __post_init__(self) -> None:
        for name in ("platform_per_minute", "transfer_fee", "rep_per_minute",
                     "cost_of_escalation"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

    def to_dict(self) -> dict[str, float | None]:
        return {"platform_per_minute": self.platform_per_minute,
                "transfer_fee": self.transfer_fee, "rep_per_minute": self.rep_per_minute,
                "cost_of_escalation": self.cost_of_escalation}


@dataclass(frozen=True, slots=True)
class Cost:
    assumptions: CostAssumptions
    per_handoff: Mean
    platform_minutes: float
    rep_minutes: float
    total: float
    """Sum over the finished handoffs."""
    per_month: float | None
    policy_per_handoff: float | None
    policy_per_month: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"assumptions": self.assumptions.to_dict(),
                "per_handoff": self.per_handoff.to_dict(),
                "platform_minutes": round(self.platform_minutes, 2),
                "rep_minutes": round(self.rep_minutes, 2), "total": _money(self.total),
                "per_month": _money(self.per_month),
                "policy": {"per_handoff": self.policy_per_handoff,
                           "per_month": _money(self.policy_per_month)}}


def handoff_cost(handoff: Handoff, prices: CostAssumptions) -> tuple[float, float, float] | None:
    """(cost, platform minutes, rep minutes) of a finished handoff; None while open."""
    if handoff.completed_at is None:
        return None
    platform = max(0.0, (handoff.completed_at - handoff.created_at).total_seconds()) / 60
    rep = (0.0 if handoff.accepted_at is None else
           max(0.0, (handoff.completed_at - handoff.accepted_at).total_seconds()) / 60)
    fee = 0.0 if handoff.decision.get("action") == "callback" else prices.transfer_fee
    return (prices.platform_per_minute * platform + fee + prices.rep_per_minute * rep,
            platform, rep)


def cost(handoffs: Sequence[Handoff], prices: CostAssumptions, window: timedelta) -> Cost:
    """The cost of the window's handoffs under `prices`; `window` is its length."""
    found = [c for h in handoffs if (c := handoff_cost(h, prices)) is not None]
    costs = [c for c, _, _ in found]
    mean = _mean(costs)
    per_month_volume = len(handoffs) * (MONTH / window) if window > timedelta(0) else None
    flat = prices.cost_of_escalation
    return Cost(
        assumptions=prices, per_handoff=mean,
        platform_minutes=math.fsum(p for _, p, _ in found),
        rep_minutes=math.fsum(r for _, _, r in found), total=math.fsum(costs),
        per_month=(None if mean.mean is None or per_month_volume is None
                   else mean.mean * per_month_volume),
        policy_per_handoff=flat,
        policy_per_month=(None if flat is None or per_month_volume is None
                          else flat * per_month_volume))


def _mean(values: Sequence[float]) -> Mean:
    if len(values) <= BOOTSTRAP_MAX:
        return bootstrap_mean(values)
    n = len(values)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = Z95 * sd / math.sqrt(n)
    return Mean(n, mean, max(0.0, mean - half), mean + half)


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
