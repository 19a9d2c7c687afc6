"""The embedded language model, fast tier: independent logistic heads over TF-IDF word and
character n-grams (`warmline.core.language.intent_model`), scored per sentence or clause.

Pure numpy, no IO. A message is split into clauses; each head's score is the highest over its
clauses, and it names the clause it came from, so a long message that
asks for a person in one sentence is read as asking, and a decision can quote those words.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from warmline.core.language.intent_model import LinearIntentModel

HUMAN_REQUESTED = "human_requested"
CANCEL = "cancel"
FRUSTRATION = "frustration"
HEADS = (HUMAN_REQUESTED, CANCEL, FRUSTRATION)

#: Sentence and clause ends: a request for a person is often one clause of a long message.
_CLAUSE = re.compile(
    r"(?<=[.!?;:])\s+|\s*\n+\s*|,\s+|\s+(?:and|but)\s+(?=(?:my|i)\b)",
    re.IGNORECASE,
)
#: A run of digits (a card, an order or phone number, with its spaces and dashes): read as one
#: "0", so that sixteen digits said beside "get me a human" do not drown its words.
_DIGITS = re.compile(r"\d(?:[\d\s.\-]*\d)?")
#: Bounds on the work per message: the whole text read is cut here, and so is each clause.
_MAX_TEXT = 1_000
_MAX_CLAUSE = 300
#: Clauses scored from each end of a very long message.
_EDGE_CLAUSES = 8
_MEMO_SIZE = 16_384
_MEMO_MAX_CHARS = 512


@dataclass(frozen=True, slots=True)
class HeadScore:
    """One head's reading of a message: ``score`` 0..1, ``fired`` when it reaches the head's
    threshold, and ``words``: the clause (or the whole message) the score came from."""

    score: float
    fired: bool
    words: str


@dataclass(frozen=True, slots=True)
class LanguageScores:
    human_requested: HeadScore
    cancel: HeadScore
    frustration: HeadScore


@dataclass(frozen=True, slots=True)
class Calibration:
    """Platt scaling of a head's raw logit: ``p = 1 / (1 + exp(-(a * logit + b)))``."""

    a: float = 1.0
    b: float = 0.0

    def probability(self, logit: float) -> float:
        z = self.a * logit + self.b
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class LanguageModel:
    """The heads `human_requested`, `cancel` and `frustration` over one feature space.

    Attributes:
        linear: TF-IDF terms and one weight column per head (its ``labels`` are the heads).
        calibration: per head, Platt scaling from logit to probability.
        thresholds: per head, the probability at which it fires (chosen on non-test data).
        version: what the model card calls this model (shown nowhere in a decision).
    """

    linear: LinearIntentModel
    calibration: Mapping[str, Calibration]
    thresholds: Mapping[str, float]
    version: str = ""
    _columns: tuple[int, int, int] = field(init=False, repr=False, compare=False)
    _memo: OrderedDict[str, LanguageScores] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        labels = self.linear.labels
        missing = [
            h
            for h in HEADS
            if h not in labels or h not in self.calibration or h not in self.thresholds
        ]
        if missing:
            raise ValueError(f"the language model has no head {', '.join(missing)}")
        columns = (labels.index(HUMAN_REQUESTED), labels.index(CANCEL), labels.index(FRUSTRATION))
        object.__setattr__(self, "_columns", columns)

    def score(self, text: str) -> LanguageScores:
        """Every head's score for one customer message; any text gets a score."""
        memo = self._memo
        got = memo.get(text)
        if got is not None:
            with contextlib.suppress(KeyError):
                memo.move_to_end(text)
            return got
        got = self._score(text)
        if len(text) <= _MEMO_MAX_CHARS:
            memo[text] = got
            if len(memo) > _MEMO_SIZE:
                with contextlib.suppress(KeyError):
                    memo.popitem(last=False)
        return got

    def _score(self, text: str) -> LanguageScores:
        pieces = clauses(text)
        best = [-math.inf, -math.inf, -math.inf]
        words = ["", "", ""]
        for piece in pieces:
            logits = self.linear.logits(model_text(piece))
            for slot, column in enumerate(self._columns):
                value = float(logits[column])
                if value > best[slot]:
                    best[slot], words[slot] = value, piece
        heads = [self._head(h, best[i], words[i]) for i, h in enumerate(HEADS)]
        return LanguageScores(*heads)

    def _head(self, head: str, logit: float, words: str) -> HeadScore:
        if logit == -math.inf:
            logit = 0.0
        p = round(self.calibration[head].probability(logit), 4)
        return HeadScore(p, p >= self.thresholds[head], words)


def model_text(text: str) -> str:
    """What the heads read of a clause (training reads the same): digit runs as one "0"."""
    return _DIGITS.sub("0", text)


def clauses(text: str) -> list[str]:
    """The pieces a message is scored by: its sentences and clauses (each cut to 300
    characters; at most 8 from each end of a very long message), or the whole message (cut
    to 1,000) when it is one clause. Never empty."""
    parts = [" ".join(p.split())[:_MAX_CLAUSE] for p in _CLAUSE.split(text) if p and p.strip()]
    if len(parts) <= 1:
        return [" ".join(text.split())[:_MAX_TEXT]]
    if len(parts) > 2 * _EDGE_CLAUSES:
        parts = parts[:_EDGE_CLAUSES] + parts[-_EDGE_CLAUSES:]
    return parts
