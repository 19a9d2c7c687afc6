"""The fast intent scorer: TF-IDF features and a linear softmax layer over plain arrays.

Pure and deterministic: no IO, no training library. ``extract_terms`` is the one feature
definition; training uses it too, so a fitted model scores here exactly as it was trained.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from warmline.core.intents import OUT_OF_SCOPE, IntentPrediction

FloatArray = npt.NDArray[np.float32]

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
CHAR_PREFIX = "#"  # marks character n-grams; a word term never contains it


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which terms ``extract_terms`` makes: word n-grams up to ``word_ngrams`` and character
    n-grams of ``char_min``..``char_max`` inside word boundaries (``char_max = 0``: none)."""

    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5


def extract_terms(text: str, spec: FeatureSpec) -> list[str]:
    """The terms of one utterance: lower-cased words, word n-grams and ``#``-prefixed
    character n-grams of each word padded with spaces. Digits all read as ``0``."""
    words = _WORD.findall(_DIGIT.sub("0", text.lower()))
    terms: list[str] = list(words)
    for n in range(2, spec.word_ngrams + 1):
        terms.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    if spec.char_max:
        for word in words:
            padded = f" {word} "
            size = len(padded)
            for n in range(spec.char_min, min(spec.char_max, size) + 1):
                terms.extend(CHAR_PREFIX + padded[i : i + n] for i in range(size - n + 1))
    return terms


@dataclass(frozen=True, slots=True)
class LinearIntentModel:
    """Implements ``IntentClassifier``: sublinear TF-IDF, L2 norm, softmax over ``labels``.

    Attributes:
        vocabulary: term -> feature index.
        idf: (n_features,) inverse document frequencies.
        weights: (n_features, n_labels) coefficients.
        biases: (n_labels,) intercepts.
        labels: class names; may include ``"oos"``.
        oos_threshold: a top probability below this answers ``"oos"``.
        question_types: label -> question type, for labels that have one.
        features: how terms are made; must be the spec the model was trained with.
    """

    vocabulary: Mapping[str, int]
    idf: FloatArray
    weights: FloatArray
    biases: FloatArray
    labels: tuple[str, ...]
    oos_threshold: float = 0.0
    question_types: Mapping[str, str] = field(default_factory=dict)
    features: FeatureSpec = field(default_factory=FeatureSpec)

    def __post_init__(self) -> None:
        n_features, n_labels = self.weights.shape
        if len(self.labels) != n_labels or self.biases.shape != (n_labels,):
            raise ValueError("weights, biases and labels disagree on the number of labels")
        if self.idf.shape != (n_features,) or len(self.vocabulary) != n_features:
            raise ValueError("vocabulary, idf and weights disagree on the number of features")
        if len(set(self.labels)) != n_labels or n_labels < 2:
            raise ValueError("labels must be at least two distinct names")

    def predict(self, text: str) -> IntentPrediction:
        """The intent of one utterance, ``"oos"`` when below the threshold or predicted so."""
        return self.decide(self.probabilities(text))

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """``predict`` for many utterances, scored in one vectorised pass."""
        return [self.decide(row) for row in self.probabilities_many(texts)]

    def probabilities(self, text: str) -> FloatArray:
        """Softmax probabilities over ``labels`` for one utterance (before the threshold)."""
        index, values = self._features(text)
        logits = values @ self.weights[index] + self.biases
        return _softmax(logits)

    def probabilities_many(self, texts: Sequence[str]) -> FloatArray:
        """(len(texts), n_labels) probabilities; same numbers as ``probabilities`` per row."""
        logits = np.tile(self.biases, (len(texts), 1))
        for row, text in enumerate(texts):
            index, values = self._features(text)
            logits[row] += values @ self.weights[index]
        return _softmax(logits)

    def decide(self, probs: FloatArray) -> IntentPrediction:
        """Turn probabilities into a prediction. For ``"oos"`` under the threshold the
        confidence is ``1 - top``: the mass the model did not put on its best intent."""
        best = int(np.argmax(probs))
        top = float(probs[best])
        label = self.labels[best]
        if label != OUT_OF_SCOPE and top < self.oos_threshold:
            return IntentPrediction(OUT_OF_SCOPE, round(1.0 - top, 6))
        return IntentPrediction(label, round(top, 6), self.question_types.get(label))

    def _features(self, text: str) -> tuple[list[int], FloatArray]:
        counts = Counter(extract_terms(text, self.features))
        vocabulary = self.vocabulary
        index: list[int] = []
        tf: list[float] = []
        for term, count in counts.items():
            position = vocabulary.get(term)
            if position is not None:
                index.append(position)
                tf.append(1.0 + math.log(count))
        values = np.asarray(tf, dtype=np.float32) * self.idf[index]
        norm = float(np.sqrt(values @ values))
        if norm > 0.0:
            values /= norm
        return index, values


def _softmax(logits: FloatArray) -> FloatArray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: FloatArray = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
