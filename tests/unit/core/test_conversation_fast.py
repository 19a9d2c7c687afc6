"""The fast turn reader (`_fast_turn`) builds exactly the Turn the full reader
(`_read_turn_fully`) builds, or declines (None) and leaves the input to the full reader,
which alone reports problems."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.conversation import _fast_turn, _read_turn_fully, _Reader

_TIMES = st.sampled_from(["2026-11-24T10:00:00Z", "2026-11-24T10:00:00-06:00",
                          "2026-11-24T10:00:00", "2026-11-24", "yesterday", "",
                          "2026-11-24T10:00:00.123+05:30"])
_ODD = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                 st.text(max_size=5), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
_VALID: dict[str, Any] = {
    "speaker": st.sampled_from(["customer", "ai", "rep", "system"]),
    "text": st.text(max_size=20),
    "at": st.sampled_from(["2026-11-24T10:00:00Z", "2026-11-24T10:00:00-06:00",
                           "2026-11-24T10:00:00.123+05:30"]),
    "id": st.one_of(st.text(max_size=5), st.integers(0, 99)),
    "confidence": st.one_of(st.floats(0, 1), st.just(1), st.just(0)),
    "intent": st.text(max_size=5),
    "question_type": st.one_of(st.text(max_size=5), st.integers(0, 9)),
    "actions": st.just([]),
    "fallback": st.booleans(),
    "note": st.text(max_size=3),  # an extra field: kept in `extra`
}
_ODD_VALUES: dict[str, Any] = {
    "speaker": st.sampled_from(["bot", "AI", "Customer"]),
    "at": _TIMES,
    "confidence": st.one_of(st.floats(-0.5, 1.5), st.just(math.inf)),
    "actions": st.just([{"name": "refund"}]),
}


@st.composite
def _turns(draw: st.DrawFn) -> dict[str, Any]:
    """A valid turn (some fields left out), often with one field made odd."""
    turn = draw(st.fixed_dictionaries({"speaker": _VALID["speaker"]},
                                      optional={k: v for k, v in _VALID.items()
                                                if k != "speaker"}))
    if draw(st.booleans()):
        field = draw(st.sampled_from(sorted(_VALID)))
        turn[field] = draw(st.one_of(_ODD_VALUES.get(field, _ODD), _ODD))
    return turn


_TURNS = _turns()


@settings(max_examples=1500, deadline=None)
@given(_TURNS)
def test_the_fast_reader_builds_the_same_turn_or_declines(data: dict[str, Any]) -> None:
    fast = _fast_turn(data)
    if fast is None:
        return
    reader = _Reader(None)
    full = _read_turn_fully(reader, data, "$")
    assert reader.problems == []  # the fast reader never accepts what the full one refuses
    assert fast == full
    assert type(fast.confidence) is type(full.confidence)
    assert type(fast.id) is type(full.id)


def test_the_fast_reader_takes_ordinary_turns() -> None:
    for turn in ({"speaker": "customer", "text": "my bill", "at": "2026-11-24T10:00:00Z"},
                 {"id": "t-9", "speaker": "ai", "text": "Here it is.", "confidence": 0.8,
                  "question_type": "billing", "intent": "billing", "fallback": False,
                  "at": "2026-11-24T10:00:03-06:00", "actions": [], "channel_hint": "x"}):
        assert _fast_turn(turn) is not None, turn
