"""Wilson intervals, percentiles and bootstrap means (`core.analytics.estimate`), against values
worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmline.core.analytics.estimate import Z95, Mean, Rate, bootstrap_mean, percentile, wilson


def test_wilson_of_5_in_10_is_the_textbook_interval() -> None:
    # p = .5, z² = 3.8415: center .5, half = z·sqrt(.025 + .0096) / 1.38415 = .2634
    low, high = wilson(5, 10)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)


def test_wilson_at_zero_and_all_stays_inside_0_and_1() -> None:
    z2 = Z95 * Z95
    none_of_10, all_of_10 = wilson(0, 10), wilson(10, 10)
    assert none_of_10 is not None
    assert all_of_10 is not None
    assert none_of_10[0] == 0.0
    assert none_of_10[1] == pytest.approx(z2 / (10 + z2))
    assert round(none_of_10[1], 4) == 0.2775
    assert all_of_10[0] == pytest.approx(10 / (10 + z2))
    assert round(all_of_10[0], 4) == 0.7225
    assert all_of_10[1] == 1.0


def test_wilson_of_nothing_is_none_and_a_bad_count_is_refused() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match="count must be 0 to 3"):
        wilson(4, 3)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_always_holds_the_observed_share(case: tuple[int, int]) -> None:
    count, total = case
    low, high = wilson(count, total)  # type: ignore[misc]
    assert 0.0 <= low <= count / total <= high <= 1.0


def test_a_rate_of_nothing_is_null_not_zero() -> None:
    assert Rate(0, 0).to_dict() == {"count": 0, "total": 0, "value": None, "low": None,
                                    "high": None}
    assert Rate(5, 10).to_dict() == {"count": 5, "total": 10, "value": 0.5, "low": 0.2366,
                                     "high": 0.7634}


@pytest.mark.parametrize(("q", "expected"), [(0, 1.0), (50, 5.5), (90, 9.1), (99, 9.91),
                                             (100, 10.0)],
                         ids=["p0", "p50", "p90", "p99", "p100"])
def test_percentiles_interpolate_between_closest_ranks(q: float, expected: float) -> None:
    # 1..10: p50 sits halfway between 5 and 6; p90 at rank 8.1 of 0..9 -> 9 + .1
    assert percentile([float(v) for v in range(1, 11)], q) == pytest.approx(expected)


def test_percentiles_of_one_value_and_of_none() -> None:
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="q must be 0 to 100"):
        percentile([1.0], 101)


def test_bootstrap_of_nothing_one_value_and_constant_values() -> None:
    assert bootstrap_mean([]) == Mean(0, None, None, None)
    assert bootstrap_mean([4.0]) == Mean(1, 4.0, 4.0, 4.0)
    assert bootstrap_mean([5.0] * 30) == Mean(30, 5.0, 5.0, 5.0)


def test_bootstrap_is_seeded_so_the_same_data_gives_the_same_interval() -> None:
    scores = [5.0, 4.0, 5.0, 3.0, 5.0, 4.0, 2.0, 5.0]
    assert bootstrap_mean(scores) == bootstrap_mean(list(scores))
    first = bootstrap_mean(scores)
    assert first.mean == pytest.approx(33 / 8)
    assert first.low is not None
    assert first.high is not None
    assert first.mean is not None
    assert first.low < first.mean < first.high


def test_bootstrap_interval_matches_the_normal_one_on_a_large_sample() -> None:
    # 50 ones and 50 fives: mean 3, population sd 2, so the mean's sd is 2/sqrt(100) = 0.2
    # and the 95 % interval is 3 ± 1.96 · 0.2 = [2.608, 3.392].
    found = bootstrap_mean([1.0] * 50 + [5.0] * 50)
    assert found.n == 100
    assert found.mean == 3.0
    assert found.low == pytest.approx(3 - Z95 * 0.2, abs=0.05)
    assert found.high == pytest.approx(3 + Z95 * 0.2, abs=0.05)
    assert math.isclose(found.to_dict()["mean"] or 0, 3.0)
