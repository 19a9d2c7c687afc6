"""Cost-based thresholds per question type (SPEC §4 `warmline calibrate`), pure.

At threshold t an answer with confidence c is escalated when c < t (as `low_confidence`
fires) and costs `cost_of_escalation`; an answer kept at c >= t costs `cost_of_wrong_answer`
when it was wrong, nothing when right. For each question type the threshold on a 0.01 grid
with the least total cost wins; ties go to the one nearest the current threshold (the data
gives no reason to move further). Guard rails: a type with fewer than `min_samples` answers
keeps its current threshold, and no threshold goes below the policy's floor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from warmline.core.analytics.estimate import Mean, bootstrap_mean
from warmline.core.analytics.history import Answer
from warmline.core.policy.model import Policy

#: Candidate thresholds: 0.00, 0.01 ... 1.00 — what a person would write in a policy.
GRID: tuple[float, ...] = tuple(round(i / 100, 2) for i in range(101))
DEFAULT_MIN_SAMPLES = 50
_PER = 1000.0  # costs are reported per 1,000 conversations
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Costs:
    """What one wrong answer and one escalation cost for a question type."""

    wrong_answer: float
    escalation: float
    source: str
    """``policy`` when the policy gives both costs, else how the wrong-answer cost was
    implied from the current threshold (SPEC §3's rule read backwards)."""


@dataclass(frozen=True, slots=True)
class TypeCalibration:
    name: str
    n: int
    wrong: int
    """Answers in the history that were wrong."""
    current: float
    """The threshold the policy applies now (after the floor)."""
    cost_derived: float | None
    """SPEC §3: 1 - cost_of_escalation / cost_of_wrong_answer, lifted to the floor; None when
    the policy gives no cost of a wrong answer for this type."""
    threshold: float
    """The recommendation: the cost-minimising threshold, or `current` when kept."""
    expected: Mean
    """Cost per 1,000 of this type's conversations at `threshold`, bootstrap 95 %."""
    current_cost: float
    cost_derived_cost: float | None
    costs: Costs
    kept: bool
    note: str
    curve: tuple[float, ...]
    """Cost per 1,000 at each `GRID` threshold."""
    in_policy: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "expected_cost_per_1000": _r(self.expected.mean),
            "n": self.n, "interval": [_r(self.expected.low), _r(self.expected.high)],
            "wrong": self.wrong, "current_threshold": self.current,
            "current_cost_per_1000": _r(self.current_cost),
            "cost_derived_threshold": self.cost_derived,
            "cost_derived_cost_per_1000": _r(self.cost_derived_cost),
            "cost_of_wrong_answer": self.costs.wrong_answer,
            "cost_of_escalation": self.costs.escalation, "costs_from": self.costs.source,
            "kept": self.kept, "in_policy": self.in_policy, "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Calibration:
    question_types: Mapping[str, TypeCalibration]
    global_threshold: float
    global_cost: Mean
    """Cost per 1,000 conversations (all types) with one threshold for every type."""
    per_type_cost: Mean
    """Cost per 1,000 conversations (all types) with the recommended thresholds."""
    saving: Mean
    """global - per-type cost per 1,000, paired by answer: above 0 means per-type is cheaper."""
    global_curve: tuple[float, ...]
    floor: float
    min_samples: int
    n: int

    def to_dict(self) -> dict[str, Any]:
        """SPEC §4's `--format json` shape, plus intervals and the comparison."""
        return {
            "question_types": {k: v.to_dict() for k, v in self.question_types.items()},
            "global": {"threshold": self.global_threshold,
                       "expected_cost_per_1000": _r(self.global_cost.mean),
                       "interval": [_r(self.global_cost.low), _r(self.global_cost.high)]},
            "per_type": {"expected_cost_per_1000": _r(self.per_type_cost.mean),
                         "interval": [_r(self.per_type_cost.low), _r(self.per_type_cost.high)],
                         "saving_per_1000": _r(self.saving.mean),
                         "saving_interval": [_r(self.saving.low), _r(self.saving.high)]},
            "n": self.n, "floor": self.floor, "min_samples": self.min_samples,
        }


@dataclass(frozen=True, slots=True)
class _Group:
    confidence: npt.NDArray[np.float64]
    wrong: npt.NDArray[np.bool_]
    costs: Costs

    def row_costs(self, threshold: float) -> npt.NDArray[np.float64]:
        """Each answer's cost per 1,000 at `threshold`."""
        escalated = self.confidence < threshold
        return np.where(escalated, self.costs.escalation,
                        np.where(self.wrong, self.costs.wrong_answer, 0.0)) * _PER

    def curve(self) -> npt.NDArray[np.float64]:
        """Total cost (not per 1,000) at every GRID threshold, by counting with sorted arrays."""
        grid = np.asarray(GRID)
        below = np.searchsorted(np.sort(self.confidence), grid, side="left")
        wrong_below = np.searchsorted(np.sort(self.confidence[self.wrong]), grid, side="left")
        wrong_kept = int(self.wrong.sum()) - wrong_below
        return below * self.costs.escalation + wrong_kept * self.costs.wrong_answer


def costs_for(policy: Policy, question_type: str) -> Costs:
    """The costs calibration weighs for a question type.

    Raises:
        ValueError: the policy gives no `defaults.cost_of_escalation`.
    """
    escalation = policy.defaults.cost_of_escalation
    if escalation is None:
        raise ValueError("the policy gives no defaults.cost_of_escalation; calibration weighs "
                         "wrong answers against what an escalation costs")
    qt = policy.question_types.get(question_type)
    if qt is not None and qt.cost_of_wrong_answer is not None:
        wrong = float(qt.cost_of_wrong_answer)
        if qt.source == "cost":  # its own cost_of_escalation may differ from the default
            escalation = round((1.0 - qt.threshold) * wrong, 6)
        return Costs(wrong, escalation, "policy")
    current, _ = policy.threshold_for(question_type)
    # SPEC §3 read backwards: t = 1 - E / W  <=>  W = E / (1 - t).
    wrong = escalation / max(1.0 - current, 0.01)
    return Costs(round(wrong, 4), escalation, f"implied by the threshold {current:.2f}")


def _pick(curve: npt.NDArray[np.float64], allowed: npt.NDArray[np.bool_], prior: float
          ) -> float:
    """The cheapest allowed grid threshold; among equals, the nearest `prior`, then the
    higher (escalating more is the safer side of a tie)."""
    masked = np.where(allowed, curve, np.inf)
    best = float(masked.min())
    ties = [t for t, c, ok in zip(GRID, curve, allowed, strict=True)
            if ok and c <= best + _EPS * max(1.0, abs(best))]
    return min(ties, key=lambda t: (abs(t - prior), -t))


def _groups(policy: Policy, answers: Sequence[Answer]) -> dict[str, _Group]:
    by_type: dict[str, list[Answer]] = defaultdict(list)
    for a in answers:
        by_type[a.question_type].append(a)
    return {name: _Group(np.array([a.confidence for a in rows], dtype=float),
                         np.array([not a.correct for a in rows], dtype=bool),
                         costs_for(policy, name))
            for name, rows in sorted(by_type.items())}


def calibrate(policy: Policy, answers: Sequence[Answer], *,
              min_samples: int = DEFAULT_MIN_SAMPLES) -> Calibration:
    """Recommend a threshold per question type and compare with one global threshold.

    Raises:
        ValueError: no answers, or the policy lacks `defaults.cost_of_escalation`.
    """
    if not answers:
        raise ValueError("the history has no answers")
    groups = _groups(policy, answers)
    floor = policy.floor
    allowed = np.asarray(GRID) >= floor - _EPS
    results = {name: _calibrate_type(policy, name, g, allowed, min_samples)
               for name, g in groups.items()}
    global_curve = sum((g.curve() for g in groups.values()), np.zeros(len(GRID)))
    prior = max(policy.defaults.threshold, floor)
    global_t = _pick(global_curve, allowed, prior)
    plan = np.concatenate([g.row_costs(results[name].threshold) for name, g in groups.items()])
    one = np.concatenate([g.row_costs(global_t) for g in groups.values()])
    n = len(answers)
    return Calibration(
        question_types=results, global_threshold=global_t,
        global_cost=bootstrap_mean(one.tolist()), per_type_cost=bootstrap_mean(plan.tolist()),
        saving=bootstrap_mean((one - plan).tolist()),
        global_curve=tuple(float(c) * _PER / n for c in global_curve),
        floor=floor, min_samples=min_samples, n=n)


def _calibrate_type(policy: Policy, name: str, group: _Group, allowed: npt.NDArray[np.bool_],
                    min_samples: int) -> TypeCalibration:
    n = len(group.confidence)
    current, _ = policy.threshold_for(name)
    qt = policy.question_types.get(name)
    derived: float | None = None
    if qt is not None and qt.cost_of_wrong_answer:
        derived = max(round(1.0 - group.costs.escalation / group.costs.wrong_answer, 4),
                      policy.floor)
    curve = group.curve() * _PER / n
    kept = n < min_samples
    if kept:
        threshold = current
        note = f"{n} answers < --min-samples {min_samples}: kept the current {current:.2f}"
    else:
        threshold = _pick(curve, allowed, current)
        note = "" if threshold >= policy.floor + _EPS or policy.floor == 0 else (
            f"at the floor {policy.floor:.2f}")
    return TypeCalibration(
        name=name, n=n, wrong=int(group.wrong.sum()), current=current, cost_derived=derived,
        threshold=threshold, expected=bootstrap_mean(group.row_costs(threshold).tolist()),
        current_cost=float(group.row_costs(current).mean()),
        cost_derived_cost=None if derived is None else float(group.row_costs(derived).mean()),
        costs=group.costs, kept=kept, note=note, curve=tuple(float(c) for c in curve),
        in_policy=qt is not None)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def plan_costs(policy: Policy, answers: Sequence[Answer],
               thresholds: Mapping[str, float] | float) -> list[float]:
    """Each answer's cost per 1,000 under a plan: a threshold per question type (types not
    named use the policy's current one) or one threshold for all; for held-out evaluation.

    Raises:
        ValueError: the policy lacks `defaults.cost_of_escalation`.
    """
    costs = {name: costs_for(policy, name) for name in {a.question_type for a in answers}}
    out = []
    for a in answers:
        if isinstance(thresholds, Mapping):
            t = thresholds.get(a.question_type, policy.threshold_for(a.question_type)[0])
        else:
            t = thresholds
        c = costs[a.question_type]
        out.append(_PER * (c.escalation if a.confidence < t else
                           (c.wrong_answer if not a.correct else 0.0)))
    return out
