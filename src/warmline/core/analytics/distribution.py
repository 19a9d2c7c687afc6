"""Durations described the way the metrics show them: count, p50/p90/p99 and a histogram on
fixed bucket edges. Pure: values in, numbers out."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.core.analytics.estimate import percentile


@dataclass(frozen=True, slots=True)
class Bucket:
    """`low <= value < high`; the last bucket's `high` is None (open-ended)."""

    low: float
    high: float | None
    count: int


@dataclass(frozen=True, slots=True)
class Distribution:
    n: int
    p50: float | None
    p90: float | None
    p99: float | None
    histogram: tuple[Bucket, ...]
    total: float = 0.0
    """The sum of the values (Prometheus histograms carry it)."""

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "p50_seconds": seconds(self.p50),
                "p90_seconds": seconds(self.p90), "p99_seconds": seconds(self.p99),
                "histogram": [{"low": b.low, "high": b.high, "count": b.count}
                              for b in self.histogram]}


def buckets(ordered: Sequence[float], edges: Sequence[float]) -> tuple[Bucket, ...]:
    """Counts of sorted `ordered` in [edges[i], edges[i+1]), the last bucket open-ended.
    Values below the first edge are not counted (the edges start at 0 for durations)."""
    found = []
    for low, high in itertools.pairwise((*edges, None)):
        assert low is not None
        start = bisect.bisect_left(ordered, low)
        end = len(ordered) if high is None else bisect.bisect_left(ordered, high)
        found.append(Bucket(low, high, end - start))
    return tuple(found)


def describe(values: Iterable[float], edges: Sequence[float]) -> Distribution:
    """Count, linearly interpolated p50/p90/p99 and histogram of `values`."""
    ordered = sorted(values)
    return Distribution(len(ordered), percentile(ordered, 50), percentile(ordered, 90),
                        percentile(ordered, 99), buckets(ordered, edges), sum(ordered))


def seconds(value: float | None) -> float | None:
    """Rounded to the millisecond for JSON; None stays None."""
    return None if value is None else round(value, 3)
