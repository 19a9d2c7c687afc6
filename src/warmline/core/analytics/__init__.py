"""What handoffs did: metrics, queue waits, estimates with intervals, trends, calibration,
cost, ROI and the experiment's statistics, computed from stored handoffs. Rule: nothing from
`language`; from `decision` only the arms a decision was tagged with (`decision.arms`)."""

from warmline.core.analytics.cost import CostAssumptions
from warmline.core.analytics.estimate import Mean, Rate
from warmline.core.analytics.metrics import CustomerContact, Metrics, MetricsFilter, Window, measure

__all__ = ["CostAssumptions", "CustomerContact", "Mean", "Metrics", "MetricsFilter", "Rate",
           "Window", "measure"]
