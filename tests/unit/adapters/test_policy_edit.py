"""Writing calibrated thresholds into a policy file in place (`adapters.policy_edit`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmline.adapters.policy_edit import set_thresholds, write_thresholds
from warmline.core.errors import PolicyError

POLICY = """\
# Acme (comments and spacing must survive)
version: 1
name: acme
timezone: UTC
defaults:
  queue: front-desk
  cost_of_escalation: 6.00   # rep minutes
question_types:
  faq:        {threshold: 0.85}   # keep me
  billing:    {cost_of_wrong_answer: 30.00}
  complex:
    # block style
    threshold: 0.50
  sched:
    queue: front-desk

# queues follow
queues:
  front-desk: {skills: [general]}
"""


def test_thresholds_are_replaced_inserted_and_added_keeping_everything_else() -> None:
    edited = set_thresholds(POLICY, {"faq": 0.8, "billing": 0.77, "complex": 0.6,
                                     "sched": 0.4, "new": 0.7})
    assert edited == POLICY.replace(
        "{threshold: 0.85}   # keep me", "{threshold: 0.80}   # keep me").replace(
        "{cost_of_wrong_answer: 30.00}", "{threshold: 0.77, cost_of_wrong_answer: 30.00}"
    ).replace("    threshold: 0.50", "    threshold: 0.60").replace(
        "  sched:\n    queue: front-desk\n",
        "  sched:\n    threshold: 0.40\n    queue: front-desk\n  new: {threshold: 0.70}\n")


def test_a_policy_without_question_types_gets_the_section() -> None:
    text = "version: 1\nname: x\ntimezone: UTC"
    assert set_thresholds(text, {"faq": 0.7}) == (
        "version: 1\nname: x\ntimezone: UTC\nquestion_types:\n  faq: {threshold: 0.70}\n")


def test_flow_style_question_types_stay_flow_style() -> None:
    text = "question_types: {faq: {threshold: 0.5}}\n"
    assert set_thresholds(text, {"faq": 0.6, "new": 0.3}) == (
        "question_types: {faq: {threshold: 0.60}, new: {threshold: 0.30}}\n")


def test_write_validates_and_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    policy = write_thresholds(path, {"billing": 0.75})
    assert policy.question_types["billing"].threshold == 0.75
    assert policy.question_types["billing"].source == "explicit"
    assert "# rep minutes" in path.read_text()


def test_a_file_that_cannot_be_edited_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = POLICY.replace("  sched:\n    queue: front-desk\n", "  sched: [1, 2]\n")
    path.write_text(text)
    with pytest.raises(PolicyError, match="not a mapping"):
        write_thresholds(path, {"sched": 0.5})
    assert path.read_text() == text
