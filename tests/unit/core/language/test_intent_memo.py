"""The intent model's memo of recent utterances: a remembered answer is the computed one,
the memo stays bounded, and it adds nothing to the garbage collector's work."""

from __future__ import annotations

import dataclasses
import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.adapters.intent_files import load_bundled_model
from warmline.core.language import intent_model
from warmline.core.language.intent_model import LinearIntentModel

BUNDLED = load_bundled_model()


def fresh(model: LinearIntentModel) -> LinearIntentModel:
    """The same model with an empty memo."""
    return dataclasses.replace(model)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=60) | st.sampled_from(
    ["I want to cancel", "why is my bill so high", "get me a human", "ok thanks"]),
    min_size=1, max_size=25))
def test_a_remembered_prediction_is_the_computed_one(texts: list[str]) -> None:
    model = fresh(BUNDLED)
    for text in texts + texts:  # the second pass is answered from the memo
        got = model.predict(text)
        want = model.decide(model.probabilities(text))  # computed anew, by another route
        assert (got.label, got.question_type) == (want.label, want.question_type)
        assert got.confidence == pytest.approx(want.confidence, abs=1e-5)
    assert set(model._memo) == set(texts)


def test_the_memo_keeps_the_most_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intent_model, "PREDICTION_MEMO_SIZE", 3)
    model = fresh(BUNDLED)
    for text in ("one", "two", "three"):
        model.predict(text)
    model.predict("one")  # used again: now the most recent
    model.predict("four")  # evicts the least recently used, "two"
    assert list(model._memo) == ["three", "one", "four"]


def test_long_utterances_are_not_remembered() -> None:
    model = fresh(BUNDLED)
    long = "cancel " * (intent_model.PREDICTION_MEMO_MAX_CHARS // 7 + 1)
    assert model.predict(long) == fresh(BUNDLED).predict(long)
    assert long not in model._memo
    model.predict("cancel")
    assert "cancel" in model._memo


def test_the_threshold_applies_to_remembered_scores() -> None:
    model = fresh(BUNDLED)
    text = "why is my bill so high"
    first = model.predict(text)
    strict = dataclasses.replace(model, oos_threshold=1.0)
    assert strict.predict(text).label == "oos"
    assert model.predict(text) == first


def test_remembered_scores_are_not_tracked_by_the_garbage_collector() -> None:
    model = fresh(BUNDLED)
    for n in range(50):
        model.predict(f"my invoice {n} is wrong")
    gc.collect()
    assert not any(gc.is_tracked(scored) for scored in model._memo.values())
