"""The intent port the engine calls when a turn carries no `intent`, `question_type` or
`confidence`: any object with `predict(text) -> IntentPrediction` will do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from warmline.core.language.redaction import as_said

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
    """A classifier may also carry ``infers_confidence = False`` (see `ScopeOnly`): the engine
    then takes its intents and question types but infers no answer confidence from it."""

    def predict(self, text: str) -> IntentPrediction: ...


@dataclass(frozen=True, slots=True)
class ScopeOnly:
    """A classifier whose ``oos`` means "none of my intents", not "the AI cannot answer this"
    — the bundled universal model (cancel, talk-to-human, billing ...). Its top probability
    says nothing about whether the AI's reply was right, so inferring `confidence` from it
    would make every ordinary turn ("no, thanks") look like a low-confidence answer."""

    inner: IntentClassifier
    infers_confidence: bool = False

    def predict(self, text: str) -> IntentPrediction:
        return self.inner.predict(text)


@dataclass(frozen=True, slots=True)
class MaskAware:
    """A classifier that reads each redaction mask (``[card •••• 1111]``) as the value it
    hides would have read (`warmline.core.language.redaction.as_said`): text is masked before it is
    decided on, and the words of a mask are not what the customer said."""

    inner: IntentClassifier

    @property
    def infers_confidence(self) -> bool:
        return bool(getattr(self.inner, "infers_confidence", True))

    def predict(self, text: str) -> IntentPrediction:
        return self.inner.predict(as_said(text))
