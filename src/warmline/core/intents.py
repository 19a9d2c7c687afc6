"""The intent port the engine calls when a turn carries no `intent`, `question_type` or
`confidence`: any object with `predict(text) -> IntentPrediction` will do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

OUT_OF_SCOPE = "oos"


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """What a classifier says about one customer utterance.

    Attributes:
        label: the intent, or ``"oos"`` when the model should not answer.
        confidence: the model's probability for ``label``, 0..1.
        question_type: the policy question type the intent belongs to, when the model knows.
    """

    label: str
    confidence: float
    question_type: str | None = None


class IntentClassifier(Protocol):
    def predict(self, text: str) -> IntentPrediction: ...
