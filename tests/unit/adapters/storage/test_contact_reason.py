"""What a repeat-contact note says the last contact was about: words a rep understands."""

from __future__ import annotations

import pytest

from warmline.adapters.storage.records import contact_reason


@pytest.mark.parametrize(("decision", "expected"), [
    ({"signals": {"question_type": {"label": "billing"}},
      "reasons": [{"code": "low_confidence", "rule": "question_types.billing"}]}, "billing"),
    ({"brief": {"intent": {"label": "cancel"}}, "reasons": []}, "cancel"),
    ({"brief": {"intent": {"label": "oos"}},
      "reasons": [{"code": "trigger", "rule": "outage"}]}, "outage"),
    ({"reasons": [{"code": "human_requested", "rule": "signals.human_requested"}]},
     "human_requested"),
    ({}, None),
    (None, None),
], ids=["question-type", "intent", "trigger-name", "reason-code", "empty", "none"])
def test_contact_reason_prefers_the_topic_over_rule_names(decision: object, expected: object
                                                          ) -> None:
    assert contact_reason(decision) == expected  # type: ignore[arg-type]
