"""History CSV (`core.analytics.history`): rows read, bad cells located, handoffs labelled."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warmline.core.analytics.history import Answer, label_handoffs, read_history, write_history
from warmline.core.errors import InvalidInput
from warmline.core.handoff import Handoff, HandoffStatus
from warmline.testing import T0


def test_rows_are_read_in_any_column_order_with_extra_columns() -> None:
    text = "\ufeffcorrect,note,question_type,confidence\ntrue,x,billing,0.8\n\nno,,faq,0\n"
    assert read_history(text, source="h.csv") == [Answer("billing", 0.8, True),
                                                   Answer("faq", 0.0, False)]


def test_written_history_reads_back() -> None:
    rows = [Answer("a,b", 0.25, True), Answer("faq", 1.0, False)]
    assert read_history(write_history(rows), source="x") == rows


def test_a_confidence_outside_0_to_1_names_file_line_and_column() -> None:
    text = "question_type,confidence,correct\nbilling,0.8,true\nfaq,1.5,true\n"
    with pytest.raises(InvalidInput) as err:
        read_history(text, source="h.csv")
    assert str(err.value) == "h.csv:3:5: confidence: '1.5' is not a number from 0 to 1"


def test_every_bad_cell_is_reported() -> None:
    text = "question_type,confidence,correct\n,abc,maybe\nfaq\n"
    with pytest.raises(InvalidInput) as err:
        read_history(text, source="h.csv")
    messages = [str(p) for p in err.value.problems]
    assert messages[0].startswith("h.csv:2:1: question_type: is empty")
    assert messages[1] == "h.csv:2:2: confidence: 'abc' is not a number from 0 to 1"
    assert messages[2].startswith("h.csv:2:6: correct: 'maybe' is not true or false")
    assert messages[3] == "h.csv:3:1: expected 3 columns, got 1"


def test_a_missing_column_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"h.csv:1:1: the header lacks 'correct'"):
        read_history("question_type,confidence\nfaq,0.5\n", source="h.csv")


def _handoff(hid: str, *, key: str | None, wrong: bool | None, age_days: float) -> Handoff:
    return Handoff(
        id=hid, tenant_id="t", conversation_id=f"c-{hid}", queue="q",
        status=HandoffStatus.COMPLETED, priority=50, mode="warm",
        created_at=T0 - timedelta(days=age_days), ai_was_wrong=wrong, customer_key=key,
        decision={"signals": {"confidence": {"confidence": 0.7}, "question_type":
                              {"label": "billing"}}})


def test_handoffs_are_labelled_by_the_rep_else_by_repeat_contacts() -> None:
    handoffs = [
        _handoff("rep", key="id:a", wrong=True, age_days=1),
        _handoff("back", key="id:b", wrong=None, age_days=10),
        _handoff("quiet", key="id:c", wrong=None, age_days=10),
        _handoff("young", key="id:d", wrong=None, age_days=2),
        _handoff("anon", key=None, wrong=None, age_days=10),
    ]
    contacts = {"id:b": [(T0 - timedelta(days=8), "c-other")]}  # 2 days after the handoff
    rows = label_handoffs(handoffs, contacts, window=timedelta(days=7), now=T0)
    assert [(r.handoff_id, r.answer.correct, r.source) for r in rows] == [
        ("rep", False, "rep"), ("back", False, "repeat_contact"),
        ("quiet", True, "no_repeat_contact")]
    assert rows[0].answer == Answer("billing", 0.7, False)
