"""Cost-based calibration (`core.analytics.calibration`) on histories whose costs are worked out
by hand: E = 6.00 per escalation, W = 30.00 per wrong billing answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.analytics.calibration import calibrate, costs_for, plan_costs
from warmline.core.analytics.history import Answer
from warmline.testing import make_policy

# billing: 1 - 6/30 = 0.80 cost-derived. misc: explicit 0.50, so W is implied: 6 / (1 - .5) = 12.
TYPES = {"billing": {"cost_of_wrong_answer": 30.0}, "misc": {"threshold": 0.5}}
BILLING = [Answer("billing", 0.2, False), Answer("billing", 0.4, False),
           Answer("billing", 0.6, True), Answer("billing", 0.7, False),
           Answer("billing", 0.9, True)]
# Cost of billing at t (escalate when c < t):  t<=.2: 3 wrong kept = 90;  (.2,.4]: 6+60 = 66;
# (.4,.6]: 12+30 = 42;  (.6,.7]: 18+30 = 48;  (.7,.9]: 24 (the minimum);  t>.9: 30.
MISC = [Answer("misc", 0.3, True), Answer("misc", 0.5, True), Answer("misc", 0.75, True)]
# misc is always right: any t <= .3 costs 0; (.3,.5]: 6; (.5,.75]: 12; above: 18.


def test_billing_threshold_is_the_cheapest_one_nearest_the_current() -> None:
    result = calibrate(make_policy(question_types=TYPES), BILLING, min_samples=0)
    billing = result.question_types["billing"]
    # The plateau (.70, .90] all cost 24; the current (cost-derived) .80 lies on it.
    assert billing.threshold == 0.80
    assert billing.expected.mean == pytest.approx(24 / 5 * 1000)
    assert billing.cost_derived == 0.80
    assert billing.current_cost == pytest.approx(4800)
    assert (billing.n, billing.wrong, billing.kept) == (5, 3, False)


def test_ties_move_as_little_as_the_data_allows() -> None:
    types = {"billing": {"cost_of_wrong_answer": 30.0, "threshold": 0.5}}
    result = calibrate(make_policy(question_types=types), BILLING, min_samples=0)
    assert result.question_types["billing"].threshold == 0.71  # nearest .50 on (.70, .90]


def test_per_type_beats_one_global_threshold_on_hand_computed_costs() -> None:
    result = calibrate(make_policy(question_types=TYPES), BILLING + MISC, min_samples=0)
    # misc: cheapest plateau [0, .30], nearest its .50 -> .30 at cost 0.
    assert result.question_types["misc"].threshold == 0.30
    assert result.question_types["misc"].costs.wrong_answer == pytest.approx(12.0)
    assert result.question_types["misc"].costs.source == "implied by the threshold 0.50"
    # Global: billing + misc is 24 + 12 = 36 on (.70, .75], the minimum; nearest the default
    # .60 is .71. Per 1,000 of all 8 answers: 36/8 -> 4,500 vs per-type 24/8 -> 3,000.
    assert result.global_threshold == 0.71
    assert result.global_cost.mean == pytest.approx(4500)
    assert result.per_type_cost.mean == pytest.approx(3000)
    assert result.saving.mean == pytest.approx(1500)
    data = result.to_dict()
    assert data["global"] == {"threshold": 0.71, "expected_cost_per_1000": 4500.0,
                              "interval": data["global"]["interval"]}
    assert data["question_types"]["billing"]["threshold"] == 0.80
    assert data["question_types"]["billing"]["expected_cost_per_1000"] == 4800.0
    assert data["question_types"]["billing"]["n"] == 5


def test_a_small_sample_keeps_the_current_threshold_and_says_so() -> None:
    result = calibrate(make_policy(question_types=TYPES), BILLING, min_samples=6)
    billing = result.question_types["billing"]
    assert billing.kept
    assert billing.threshold == 0.80
    assert "5 answers < --min-samples 6" in billing.note


def test_the_vertical_floor_is_never_lowered() -> None:
    policy = make_policy(question_types=TYPES, vertical="healthcare")
    result = calibrate(policy, MISC * 20, min_samples=0)
    assert result.question_types["misc"].threshold == 0.80  # the cheapest would be .30
    assert result.global_threshold == 0.80


def test_a_type_the_policy_lacks_uses_the_default_threshold_and_is_marked() -> None:
    result = calibrate(make_policy(), [Answer("new", 0.9, True)], min_samples=0)
    new = result.question_types["new"]
    assert not new.in_policy
    assert new.current == 0.6
    assert new.costs.wrong_answer == pytest.approx(15.0)  # 6 / (1 - .6)


def test_calibration_needs_the_cost_of_an_escalation() -> None:
    policy = make_policy(defaults={"queue": "front-desk"})
    with pytest.raises(ValueError, match="cost_of_escalation"):
        costs_for(policy, "billing")


def test_plan_costs_score_a_plan_on_other_answers() -> None:
    policy = make_policy(question_types=TYPES)
    assert sum(plan_costs(policy, BILLING, {"billing": 0.8})) / 5 == pytest.approx(4800)
    assert sum(plan_costs(policy, BILLING, 0.0)) / 5 == pytest.approx(18000)


answers = st.lists(st.builds(Answer, st.sampled_from(["billing", "misc", "faq"]),
                             st.floats(0, 1), st.booleans()), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(answers)
def test_per_type_cost_is_never_above_the_global_thresholds(rows: list[Answer]) -> None:
    result = calibrate(make_policy(question_types=TYPES), rows, min_samples=0)
    assert result.per_type_cost.mean is not None
    assert result.global_cost.mean is not None
    assert result.per_type_cost.mean <= result.global_cost.mean + 1e-6
    assert all(t.threshold >= result.floor for t in result.question_types.values())
