"""The warm-vs-cold experiment's arms: stable hashed assignment and the engine's precedence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from warmline.core.decision.arms import Arm, assign_arm, experiment_key
from warmline.core.decision.engine import decide
from warmline.core.policy.model import Experiment
from warmline.testing import ai, customer, make_conversation, make_policy

ASK_HUMAN = [customer("I want to talk to a person"), ai("Sure", 0.9)]


def test_the_key_is_id_then_phone_then_email_then_conversation() -> None:
    def key(**c: str) -> str:
        return experiment_key(make_conversation(customer=c))

    assert key(id="C-1", phone="+15125550143") == "id:c-1"
    assert key(phone="+15125550143", email="a@b.c") == "phone:+15125550143"
    assert key(email="A@B.C") == "email:a@b.c"
    assert key() == "conversation:c-test"


def test_the_same_customer_is_always_in_the_same_arm() -> None:
    exp = Experiment(cold_share=0.5, seed="s1")
    arms = {assign_arm(exp, f"id:{i}") for i in range(3) for _ in range(3)}
    assert arms <= {Arm.WARM, Arm.COLD}
    assert [assign_arm(exp, "id:7")] * 5 == [assign_arm(exp, "id:7") for _ in range(5)]


def test_the_cold_share_is_kept_over_many_customers() -> None:
    exp = Experiment(cold_share=0.1, seed="acme-2026")
    cold = sum(assign_arm(exp, f"id:{i}") is Arm.COLD for i in range(20_000))
    # Binomial(20000, .1): sd = sqrt(20000 * .1 * .9) = 42.4; 5 sd = 212.
    assert abs(cold - 2000) < 212


@given(st.text(max_size=30))
def test_share_zero_is_all_warm_and_one_all_cold(key: str) -> None:
    assert assign_arm(Experiment(0.0, "s"), key) is Arm.WARM
    assert assign_arm(Experiment(1.0, "s"), key) is Arm.COLD


def test_the_cold_arm_gets_a_cold_decision_without_a_brief_and_a_tag() -> None:
    policy = make_policy(experiment={"cold_share": 1.0, "seed": "x"})
    d = decide(make_conversation(turns=ASK_HUMAN, customer={"id": "c1"}), policy)
    assert (d.mode.value if d.mode else None, d.brief, d.tags) == ("cold", None,
                                                                   ("experiment:cold",))
    warm = decide(make_conversation(turns=ASK_HUMAN), make_policy(
        experiment={"cold_share": 0.0}))
    assert warm.mode is not None
    assert (warm.mode.value, warm.tags) == ("warm", ("experiment:warm",))
    assert warm.brief is not None


def test_a_rule_that_sets_the_mode_wins_over_the_experiment() -> None:
    policy = make_policy(experiment={"cold_share": 1.0}, triggers=[
        {"name": "vip", "when": "human_requested", "mode": "warm", "tags": ["vip"]}])
    d = decide(make_conversation(turns=ASK_HUMAN), policy)
    assert d.mode is not None
    assert (d.mode.value, d.tags) == ("warm", ("vip",))
