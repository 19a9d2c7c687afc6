"""The fast intent scorer: TF-IDF features and a linear softmax layer over plain arrays.

Pure and deterministic: no IO, no training library. ``extract_terms`` is the one feature
definition; training uses it too, so a fitted model scores here exactly as it was trained.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from warmline.core.language.intents import OUT_OF_SCOPE, IntentPrediction

FloatArray = npt.NDArray[np.float32]

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
CHAR_PREFIX = "#"  # marks character n-grams; a word term never contains it
_CHAR_CACHE_SIZE = 100_000  # words; bounds the memo of each model
#: Utterances whose prediction each model remembers (least recently used go first). The
#: engine re-reads a conversation's last customer turns on every turn, so each utterance is
#: predicted several times while its call is live; 16,384 covers ~30 s of a 1,000 turns/s box.
PREDICTION_MEMO_SIZE = 16_384
#: Longer utterances are not remembered: the memo stays under ~10 MB.
PREDICTION_MEMO_MAX_CHARS = 512


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which terms ``extract_terms`` makes: word n-grams up to ``word_ngrams`` and character
    n-grams of ``char_min``..``char_max`` inside word boundaries (``char_max = 0``: none)."""

    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 4


def split_words(text: str) -> list[str]:
    """NFKC-folded (so styled letters such as 𝓬𝓪𝓷𝓬𝓮𝓵 read as cancel), lower-cased words,
    every digit as ``0``."""
    return _WORD.findall(_DIGIT.sub("0", unicodedata.normalize("NFKC", text).lower()))


def extract_terms(text: str, spec: FeatureSpec) -> list[str]:
    """The terms of one utterance: lower-cased words, word n-grams and ``#``-prefixed
    character n-grams of each word padded with spaces. Digits all read as ``0``."""
    words = split_words(text)
    terms = _word_terms(words, spec.word_ngrams)
    if spec.char_max:
        for word in words:
            terms.extend(_char_terms(word, spec))
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
    _char_cache: dict[str, tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    # text -> (best label index, top probability): plain tuples, which the cyclic garbage
    # collector stops tracking, so a full memo adds nothing to a collection's pause.
    _memo: OrderedDict[str, tuple[int, float]] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_features, n_labels = self.weights.shape
        if len(self.labels) != n_labels or self.biases.shape != (n_labels,):
            raise ValueError("weights, biases and labels disagree on the number of labels")
        if self.idf.shape != (n_features,) or len(self.vocabulary) != n_features:
            raise ValueError("vocabulary, idf and weights disagree on the number of features")
        if len(set(self.labels)) != n_labels or n_labels < 2:
            raise ValueError("labels must be at least two distinct names")

    def predict(self, text: str) -> IntentPrediction:
        """The intent of one utterance, ``"oos"`` when below the threshold or predicted so.
        Remembered for recent utterances (``PREDICTION_MEMO_SIZE``): the same text always
        gets the same answer, so a remembered one is the one computed."""
        memo = self._memo
        scored = memo.get(text)
        if scored is None:
            logits = self._logits(text)
            best = int(logits.argmax())
            scored = (best, 1.0 / float(np.exp(logits - logits[best]).sum()))
            if len(text) <= PREDICTION_MEMO_MAX_CHARS:
                memo[text] = scored
                if len(memo) > PREDICTION_MEMO_SIZE:
                    with contextlib.suppress(KeyError):  # another thread evicted it first
                        memo.popitem(last=False)
        else:
            with contextlib.suppress(KeyError):  # evicted meanwhile by another thread
                memo.move_to_end(text)
        return self._prediction(*scored)

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """``predict`` for many utterances."""
        return [self.decide(row) for row in self.probabilities_many(texts)]

    def probabilities(self, text: str) -> FloatArray:
        """Softmax probabilities over ``labels`` for one utterance (before the threshold)."""
        return _softmax(self._logits(text))

    def probabilities_many(self, texts: Sequence[str]) -> FloatArray:
        """(len(texts), n_labels) probabilities; the same numbers as ``probabilities``."""
        logits = np.empty((len(texts), len(self.labels)), dtype=np.float32)
        for row, text in enumerate(texts):
            logits[row] = self._logits(text)
        return _softmax(logits)

    def logits(self, text: str) -> FloatArray:
        """(n_labels,) raw scores of one utterance: independent heads read them one by one."""
        return self._logits(text)

    def decide(self, probs: FloatArray) -> IntentPrediction:
        """Turn one row of probabilities into a prediction."""
        best = int(np.argmax(probs))
        return self._prediction(best, float(probs[best]))

    def _prediction(self, best: int, top: float) -> IntentPrediction:
        """Below the threshold the answer is ``"oos"`` with confidence ``1 - top``: the mass
        the model did not put on its best intent."""
        label = self.labels[best]
        if label != OUT_OF_SCOPE and top < self.oos_threshold:
            return IntentPrediction(OUT_OF_SCOPE, round(1.0 - top, 6))
        return IntentPrediction(label, round(top, 6), self.question_types.get(label))

    def _logits(self, text: str) -> FloatArray:
        """Biases plus the L2-normalised sublinear TF-IDF vector times the weights."""
        counts = self._counts(text)
        if not counts:
            return self.biases
        index = np.fromiter(counts, dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        np.log(tf, out=tf)
        tf += np.float32(1.0)  # sublinear tf: 1 + log(count)
        values = tf * self.idf[index]
        values *= np.float32(1.0 / math.sqrt(float(values @ values)))
        # float32 throughout; numpy's stubs widen a float32 matmul to float64.
        return cast(FloatArray, values @ self.weights[index] + self.biases)

    def _counts(self, text: str) -> dict[int, int]:
        """Counts of the known terms by feature index; the vocabulary is one-to-one, so this
        equals counting by term."""
        words = split_words(text)
        vocabulary = self.vocabulary
        counts: dict[int, int] = {}
        for term in _word_terms(words, self.features.word_ngrams):
            position = vocabulary.get(term)
            if position is not None:
                counts[position] = counts.get(position, 0) + 1
        if self.features.char_max:
            for word in words:
                for position in self._char_indices(word):
                    counts[position] = counts.get(position, 0) + 1
        return counts

    def _char_indices(self, word: str) -> tuple[int, ...]:
        """Known character n-gram indices of one word, memoised: words repeat a lot."""
        cached = self._char_cache.get(word)
        if cached is None:
            vocabulary = self.vocabulary
            cached = tuple(position for term in _char_terms(word, self.features)
                           if (position := vocabulary.get(term)) is not None)
            if len(self._char_cache) < _CHAR_CACHE_SIZE:
                self._char_cache[word] = cached
        return cached


def _word_terms(words: list[str], max_n: int) -> list[str]:
    terms = list(words)
    for n in range(2, max_n + 1):
        terms.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return terms


def _char_terms(word: str, spec: FeatureSpec) -> list[str]:
    padded = f" {word} "
    size = len(padded)
    return [CHAR_PREFIX + padded[i : i + n]
            for n in range(spec.char_min, min(spec.char_max, size) + 1)
            for i in range(size - n + 1)]


def _softmax(logits: FloatArray) -> FloatArray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: FloatArray = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
