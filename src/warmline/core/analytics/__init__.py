"""What handoffs did: metrics, queue waits, estimates with intervals, trends, calibration,
cost, ROI and the experiment's statistics, all computed from stored handoffs. Rule: imports
neither `language` nor `decision` except the experiment's arms (`decision.arms`)."""
