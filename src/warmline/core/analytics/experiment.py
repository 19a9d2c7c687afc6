"""The warm-vs-cold experiment's statistics (policy `experiment: {cold_share, seed}`), pure;
the arms are assigned when deciding (`core.decision.arms`). The report compares the arms'
repeat-contact rate and CSAT with 95 % intervals and says how many handoffs per arm a given
effect needs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np

from warmline.core.analytics.estimate import RESAMPLES, SEED, Mean, Rate, bootstrap_mean
from warmline.core.analytics.metrics import (
    CustomerContact,
    Window,
    contacts_by_customer,
    repeat_contact,
)
from warmline.core.decision.arms import TAGS, Arm
from warmline.core.handoff import Handoff

#: The seed's claim: warm transfers cut repeat calls by 22 % (relative to cold).
SEED_EFFECT = 0.22
SATISFIED = 4  # CSAT 4 or 5 of 5 counts as satisfied: "CSAT %" as contact centres quote it


def arm_of(handoff: Handoff) -> Arm | None:
    """The arm a handoff's decision was tagged with; None when the experiment did not set
    its mode (no experiment, or a trigger or route chose the mode)."""
    tags = handoff.decision.get("tags")
    if not isinstance(tags, list):
        return None
    return next((TAGS[t] for t in tags if isinstance(t, str) and t in TAGS), None)


@dataclass(frozen=True, slots=True)
class Difference:
    """warm - cold, with its 95 % interval; None parts when an arm has no data."""

    value: float | None
    low: float | None
    high: float | None

    @property
    def is_conclusive(self) -> bool:
        return self.low is not None and self.high is not None and (
            self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, float | bool | None]:
        return {"value": _r(self.value), "low": _r(self.low), "high": _r(self.high),
                "conclusive": self.is_conclusive}


def newcombe(warm: Rate, cold: Rate) -> Difference:
    """Difference of two proportions with Newcombe's hybrid score interval (his method 10),
    built from the two Wilson intervals: honest at small counts, unlike the Wald interval."""
    a, b = warm.interval, cold.interval
    if a is None or b is None or warm.value is None or cold.value is None:
        return Difference(None, None, None)
    p1, p2 = warm.value, cold.value
    d = p1 - p2
    low = d - math.sqrt((p1 - a[0]) ** 2 + (b[1] - p2) ** 2)
    high = d + math.sqrt((a[1] - p1) ** 2 + (p2 - b[0]) ** 2)
    return Difference(d, max(-1.0, low), min(1.0, high))


def mean_difference(warm: Sequence[float], cold: Sequence[float]) -> Difference:
    """Difference of two means, percentile bootstrap resampling each arm (fixed seed)."""
    if not warm or not cold:
        return Difference(None, None, None)
    rng = np.random.default_rng(SEED)
    w, c = np.asarray(warm, dtype=float), np.asarray(cold, dtype=float)
    diffs = (rng.choice(w, size=(RESAMPLES, len(w))).mean(axis=1)
             - rng.choice(c, size=(RESAMPLES, len(c))).mean(axis=1))
    low, high = np.quantile(diffs, [0.025, 0.975])
    d = float(w.mean() - c.mean())
    return Difference(d, min(float(low), d), max(float(high), d))


def sample_size(p_cold: float, effect: float, cold_share: float, *, alpha: float = 0.05,
                power: float = 0.80) -> tuple[int, int] | None:
    """Handoffs needed per arm (cold, warm) for a two-sided test of two proportions to see
    warm's repeat-contact rate at p_cold * (1 - effect), with unequal arms (Fleiss); None
    when no effect is detectable (no difference, or a rate outside (0, 1))."""
    p_warm = p_cold * (1.0 - effect)
    delta = abs(p_cold - p_warm)
    if delta <= 0 or not 0 < p_cold < 1 or not 0 < p_warm < 1 or not 0 < cold_share < 1:
        return None
    k = (1.0 - cold_share) / cold_share  # warm handoffs per cold one
    z_a = NormalDist().inv_cdf(1 - alpha / 2)
    z_b = NormalDist().inv_cdf(power)
    mean = (p_cold + k * p_warm) / (1 + k)
    root = (z_a * math.sqrt(mean * (1 - mean) * (1 + 1 / k))
            + z_b * math.sqrt(p_cold * (1 - p_cold) + p_warm * (1 - p_warm) / k))
    n_cold = math.ceil(root * root / (delta * delta))
    return n_cold, math.ceil(n_cold * k)


@dataclass(frozen=True, slots=True)
class ArmResult:
    handoffs: int
    repeat: Rate
    csat: Mean
    satisfied: Rate

    def to_dict(self) -> dict[str, Any]:
        return {"handoffs": self.handoffs, "repeat_contact": self.repeat.to_dict(),
                "csat": self.csat.to_dict(), "csat_satisfied": self.satisfied.to_dict()}


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    arms: Mapping[Arm, ArmResult]
    repeat: Difference
    csat: Difference
    satisfied: Difference
    effect: float
    cold_share: float
    baseline: float | None
    """The cold repeat-contact rate the sample size is computed for."""
    baseline_source: str
    needed: tuple[int, int] | None
    window_days: int

    @property
    def still_needed(self) -> tuple[int, int] | None:
        """Handoffs per arm (cold, warm) still to collect, counting those with a known
        customer (only they can show a repeat contact)."""
        if self.needed is None:
            return None
        have = (self.arms[Arm.COLD].repeat.total, self.arms[Arm.WARM].repeat.total)
        return max(0, self.needed[0] - have[0]), max(0, self.needed[1] - have[1])

    def to_dict(self) -> dict[str, Any]:
        left = self.still_needed
        return {
            "arms": {arm.value: result.to_dict() for arm, result in self.arms.items()},
            "difference_warm_minus_cold": {"repeat_contact": self.repeat.to_dict(),
                                           "csat": self.csat.to_dict(),
                                           "csat_satisfied": self.satisfied.to_dict()},
            "power": {"effect": self.effect, "cold_share": self.cold_share,
                      "alpha": 0.05, "power": 0.80, "baseline_repeat_rate": _r(self.baseline),
                      "baseline_from": self.baseline_source,
                      "needed": None if self.needed is None else
                      {"cold": self.needed[0], "warm": self.needed[1]},
                      "still_needed": None if left is None else
                      {"cold": left[0], "warm": left[1]}},
            "window_days": self.window_days,
        }


@dataclass(frozen=True, slots=True)
class ExperimentData:
    handoffs: Sequence[Handoff]
    contacts: Sequence[CustomerContact]
    since: datetime
    until: datetime


def report(data: ExperimentData, *, cold_share: float, effect: float = SEED_EFFECT,
           window_days: int = 7, baseline: float | None = None) -> ExperimentReport:
    """Compare the arms of the handoffs the experiment tagged."""
    tagged = [replace(h, mode=arm.value) for h in data.handoffs if (arm := arm_of(h))]
    window = Window(since=data.since, until=data.until, handoffs=tagged, conversations=0,
                    contacts=data.contacts)
    repeats = repeat_contact(tagged, contacts_by_customer(window), timedelta(days=window_days))
    arms: dict[Arm, ArmResult] = {}
    scores: dict[Arm, list[float]] = {}
    for arm in (Arm.WARM, Arm.COLD):
        mine = [h for h in tagged if h.mode == arm.value]
        scores[arm] = [float(h.csat) for h in mine if h.csat is not None]
        arms[arm] = ArmResult(len(mine), repeats[arm.value], bootstrap_mean(scores[arm]),
                              Rate(sum(s >= SATISFIED for s in scores[arm]), len(scores[arm])))
    base, source = _baseline(arms, effect, baseline)
    return ExperimentReport(
        arms=arms, repeat=newcombe(arms[Arm.WARM].repeat, arms[Arm.COLD].repeat),
        csat=mean_difference(scores[Arm.WARM], scores[Arm.COLD]),
        satisfied=newcombe(arms[Arm.WARM].satisfied, arms[Arm.COLD].satisfied),
        effect=effect, cold_share=cold_share, baseline=base, baseline_source=source,
        needed=None if base is None else sample_size(base, effect, cold_share),
        window_days=window_days)


def _baseline(arms: Mapping[Arm, ArmResult], effect: float, given: float | None
              ) -> tuple[float | None, str]:
    if given is not None:
        return given, "given"
    cold, warm = arms[Arm.COLD].repeat, arms[Arm.WARM].repeat
    if cold.value:
        return cold.value, f"measured in the cold arm (n={cold.total})"
    if warm.value and effect < 1:
        return warm.value / (1 - effect), (f"the warm arm's rate (n={warm.total}) / "
                                           f"(1 - {effect:.2f})")
    return None, "no repeat contacts measured yet: pass --baseline"


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

