"""The warm-vs-cold experiment's report: intervals and sample sizes against numbers worked
out by hand (the arms themselves: tests/unit/core/decision/test_arms.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warmline.core.analytics.estimate import Rate
from warmline.core.analytics.experiment import (
    ExperimentData,
    newcombe,
    report,
    sample_size,
)
from warmline.core.analytics.metrics import CustomerContact
from warmline.core.decision.arms import Arm
from warmline.core.handoff import Handoff, HandoffStatus
from warmline.testing import T0


def test_newcombe_interval_of_10_in_100_vs_20_in_100() -> None:
    # Wilson: 10/100 -> [.0552, .1744]; 20/100 -> [.1333, .2888]. d = -.10;
    # low = -.1 - sqrt(.0448² + .0888²) = -.1995; high = -.1 + sqrt(.0744² + .0667²) = -.0001
    d = newcombe(Rate(10, 100), Rate(20, 100))
    assert d.value == pytest.approx(-0.10)
    assert d.low == pytest.approx(-0.1995, abs=5e-4)
    assert d.high == pytest.approx(-0.0001, abs=5e-4)
    assert newcombe(Rate(0, 0), Rate(1, 2)).value is None


def test_sample_size_for_a_22_percent_cut_from_30_percent() -> None:
    # p_cold .30, p_warm .30 x .78 = .234, equal arms, so p̄ = .267:
    # (1.95996·sqrt(2·.267·.733) + .84162·sqrt(.30·.70 + .234·.766))² / .066² = 704.1 -> 705
    assert sample_size(0.30, 0.22, 0.5) == (705, 705)
    cold, warm = sample_size(0.30, 0.22, 0.1) or (0, 0)
    assert warm == pytest.approx(9 * cold, abs=1)
    assert cold < 705 < warm  # fewer cold customers, many more warm ones
    assert sample_size(0.30, 0.0, 0.5) is None


def _handoff(i: int, arm: str, *, csat: int | None, key: str) -> Handoff:
    return Handoff(id=f"h{i}", tenant_id="t", conversation_id=f"c{i}", queue="q",
                   status=HandoffStatus.COMPLETED, priority=50, mode=arm,
                   created_at=T0 + timedelta(minutes=i), csat=csat, customer_key=key,
                   decision={"tags": [f"experiment:{arm}"]})


def test_the_report_compares_the_arms() -> None:
    handoffs = [_handoff(i, "warm", csat=5, key=f"w{i}") for i in range(4)]
    handoffs += [_handoff(10 + i, "cold", csat=2 + i, key=f"k{i}") for i in range(2)]
    handoffs.append(Handoff(id="x", tenant_id="t", conversation_id="cx", queue="q",
                            status=HandoffStatus.COMPLETED, priority=50, mode="cold",
                            created_at=T0, decision={"tags": ["vip"]}))  # not in the trial
    contacts = [CustomerContact("k0", "later", T0 + timedelta(days=1))]
    data = ExperimentData(handoffs, contacts, T0 - timedelta(days=1), T0 + timedelta(days=1))
    result = report(data, cold_share=0.5)
    warm, cold = result.arms[Arm.WARM], result.arms[Arm.COLD]
    assert (warm.handoffs, cold.handoffs) == (4, 2)
    assert (warm.repeat.count, warm.repeat.total) == (0, 4)
    assert (cold.repeat.count, cold.repeat.total) == (1, 2)
    assert (warm.csat.mean, cold.csat.mean) == (5.0, 2.5)  # cold: CSAT 2 and 3
    assert result.csat.value == pytest.approx(2.5)
    assert (cold.satisfied.count, warm.satisfied.count) == (0, 4)
    assert result.baseline == 0.5  # the cold arm's 1 of 2
    assert result.needed == sample_size(0.5, 0.22, 0.5)
    assert result.to_dict()["power"]["still_needed"]["cold"] == result.needed[0] - 2  # type: ignore[index]
