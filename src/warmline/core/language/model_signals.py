"""The signals of SPEC §3 read by the embedded language model (`LanguageModel`).

`human_requested`: the model's head on each message of the customer's latest run of turns;
the phrase rules of `warmline.core.language.signals` stay as an override only for a bare
IVR-style request ("agent", "representative please"), which a short message gives the model
too little to read.
`frustration`: the model's calibrated probability per customer turn, carried across turns.
`cancel`: the model's head decides whether an inferred intent is `cancel` (`LanguageIntents`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from warmline.core.language import phrases
from warmline.core.language.intents import OUT_OF_SCOPE, IntentClassifier, IntentPrediction
from warmline.core.language.scorer import HeadScore, LanguageModel
from warmline.core.language.signals import normalise

#: A turn whose frustration probability is under this adds nothing and lets the score fade.
FRUSTRATION_FLOOR = 0.7
_CARRY = 0.90
_NEUTRAL_DECAY = 0.75
_SATISFIED_DECAY = 0.40
_BARE_MAX = 60
#: Frustration reads the customer's latest turns only: an older turn's weight has faded under
#: 0.9 ** 8 (x 0.75 per calm turn between) and each new text costs a model pass.
FRUSTRATION_TURNS = 8
_PERSON = re.compile(r"\b(?:agents?|agnt|person|people|human|humans|someone|somebody|anyone"
                     r"|anybody|rep|reps|representatives?|operators?|manager|supervisor|staff"
                     r"|transfer|call|contact)\b")
_ASKS = re.compile(r"\b(?:talk|speak|chat|connect|transfer|call|contact|reach|get me|put me)\b")
_ENDING = re.compile(r"\b(?:cancel\w*|close|closing|terminat\w*|delete|end|stop|quit)\b")
#: The intent labels whose inference the model's heads decide (the bundled model's names).
CANCEL_LABEL = "cancel"
HUMAN_LABEL = "talk-to-human"


def human_request(model: LanguageModel, texts: Sequence[str]) -> HeadScore | None:
    """The strongest request for a person among ``texts`` (the customer's latest turns), or
    None when none asks. A bare IVR word ("agent", "operator please") always asks."""
    best: HeadScore | None = None
    for text in texts:
        head = human_head(model, text)
        if not head.fired and _is_bare_request(text):
            head = HeadScore(max(head.score, 0.5), True, " ".join(text.split()))
        if head.fired and (best is None or head.score > best.score):
            best = head
    return best


def human_head(model: LanguageModel, text: str) -> HeadScore:
    """The model's `human_requested` head, voided by the phrase rules where its words negate
    the request ("I don't need an agent") or ask what the AI is ("am I talking to a human?")."""
    head = model.score(text).human_requested
    if head.fired and _negated(head.words, _PERSON):
        return HeadScore(head.score, False, head.words)
    if head.fired:
        t = normalise(head.words)
        if phrases.IDENTITY_QUESTION.search(t) and not _ASKS.search(t):
            return HeadScore(head.score, False, head.words)
    return head


def cancel_head(model: LanguageModel, text: str) -> HeadScore:
    """The model's `cancel` head, voided where its words negate the ending ("No
    cancellation", "please don't cancel my order")."""
    head = model.score(text).cancel
    if head.fired and _negated(head.words, _ENDING):
        return HeadScore(head.score, False, head.words)
    return head


def _negated(words: str, target: re.Pattern[str]) -> bool:
    """Whether the first ``target`` word in ``words`` is negated in its clause."""
    t = normalise(words)
    match = target.search(t)
    if match is None:
        return False
    before = phrases.CLAUSE_BREAK.split(t[: match.start()])[-1]
    return phrases.NEGATION.search(before) is not None


def _is_bare_request(text: str) -> bool:
    t = normalise(text)
    if len(t) > _BARE_MAX:
        return False
    bare = " ".join("".join(c if c.isalnum() or c in " '" else " " for c in t).split())
    return phrases.HUMAN_BARE.fullmatch(bare) is not None


@dataclass(frozen=True, slots=True)
class Frustration:
    """The customer's frustration now (0..1) and the words of the angriest turn counted."""

    score: float
    words: str = ""


def frustration_over_turns(model: LanguageModel, texts: Sequence[str]) -> Frustration:
    """The model's probability per turn over the latest 8 turns, oldest first, carried: a
    turn at or over 0.7 gives ``score = 1 - (1 - 0.9 * score) * (1 - p)``; a calmer turn lowers
    the score (x 0.4 when it sounds satisfied, else x 0.75). One rant at p = 0.85 scores 0.85;
    two annoyed turns at 0.7 reach 0.88."""
    score, words, peak = 0.0, "", 0.0
    for text in texts[-FRUSTRATION_TURNS:]:
        head = model.score(text).frustration
        if head.score >= FRUSTRATION_FLOOR:
            score = 1.0 - (1.0 - _CARRY * score) * (1.0 - head.score)
            if head.score >= peak:
                peak, words = head.score, head.words
        elif phrases.SATISFIED.search(normalise(text)):
            score *= _SATISFIED_DECAY
        else:
            score *= _NEUTRAL_DECAY
    return Frustration(round(min(1.0, max(0.0, score)), 4), words if score > 0 else "")


@dataclass(frozen=True, slots=True)
class LanguageIntents:
    """An intent classifier whose `cancel` and `talk-to-human` answers the language model
    decides: its `cancel` head makes an utterance `cancel` (score as confidence) and takes
    `cancel` away where it does not fire ("my phone was stolen", "no cancellation"); a
    `talk-to-human` answer stands only where the `human_requested` head fires."""

    inner: IntentClassifier
    model: LanguageModel

    @property
    def infers_confidence(self) -> bool:
        return bool(getattr(self.inner, "infers_confidence", True))

    def predict(self, text: str) -> IntentPrediction:
        guess = self.inner.predict(text)
        cancel = cancel_head(self.model, text)
        if cancel.fired:
            if guess.label == CANCEL_LABEL:
                return guess
            return IntentPrediction(CANCEL_LABEL, cancel.score)
        if guess.label == CANCEL_LABEL:
            return IntentPrediction(OUT_OF_SCOPE, round(1.0 - cancel.score, 6))
        if guess.label == HUMAN_LABEL:
            human = human_head(self.model, text)
            if not human.fired:
                return IntentPrediction(OUT_OF_SCOPE, round(1.0 - human.score, 6))
        return guess
