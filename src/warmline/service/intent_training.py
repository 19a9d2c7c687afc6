"""Training an intent model from labelled rows: TF-IDF + multinomial logistic regression,
exported to the pure scorer. scikit-learn is needed here only (`warmline[train]`)."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from warmline.core.errors import InvalidInput, Problem
from warmline.core.language.intent_model import FeatureSpec, LinearIntentModel, extract_terms
from warmline.core.language.intents import OUT_OF_SCOPE

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class IntentExample:
    """One labelled utterance; ``label`` ``"oos"`` marks out-of-scope text."""

    text: str
    label: str
    question_type: str | None = None


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to fit. ``c`` is the inverse L2 strength; ``min_df`` drops rarer terms;
    ``holdout`` is the share of rows kept aside to tune the OOS threshold when no
    validation rows are given; ``oos_threshold`` fixes it instead of tuning;
    ``balanced`` weights each label inversely to its number of rows."""

    features: FeatureSpec = field(default_factory=FeatureSpec)
    c: float = 20.0
    min_df: int = 1
    max_iter: int = 1000
    holdout: float = 0.1
    keep_correct: float = 0.95
    oos_threshold: float | None = None
    balanced: bool = False


@dataclass(frozen=True, slots=True)
class ThresholdReport:
    """The OOS threshold and how it was chosen. ``in_scope_accuracy`` and ``oos_recall``
    are measured on the tuning rows (None when not measured or no such rows)."""

    threshold: float
    source: str
    rows: int = 0
    in_scope_accuracy: float | None = None
    oos_recall: float | None = None


@dataclass(frozen=True, slots=True)
class TrainedIntentModel:
    """A fitted model and what a user should know about how it was made."""

    model: LinearIntentModel
    label_counts: dict[str, int]
    threshold: ThresholdReport
    data_sha256: str
    seconds: float


def train_intent_model(
    rows: Sequence[IntentExample],
    *,
    val_rows: Sequence[IntentExample] = (),
    options: TrainOptions | None = None,
    progress: Progress | None = None,
) -> TrainedIntentModel:
    """Fit on ``rows``; tune the OOS threshold on ``val_rows`` (else on a held-out share of
    ``rows``, then refit on all of them).

    Raises:
        InvalidInput: fewer than two labels, or a label with two question types.
    """
    opts = options or TrainOptions()
    say = progress or (lambda _stage: None)
    started = time.perf_counter()
    question_types = _question_types(rows)
    counts = dict(sorted(Counter(r.label for r in rows).items()))
    if len(counts) < 2:
        raise InvalidInput("training data needs at least two distinct labels; found "
                           f"{len(counts)} ({', '.join(counts) or 'none'})")
    model, threshold = _tune(rows, val_rows, opts, question_types, say)
    if model is None:
        say(f"fitting on {len(rows)} rows")
        model = fit_linear_model(rows, opts, question_types)
    model = replace(model, oos_threshold=threshold.threshold)
    return TrainedIntentModel(model, counts, threshold, hash_rows(rows),
                              time.perf_counter() - started)


def _tune(
    rows: Sequence[IntentExample],
    val_rows: Sequence[IntentExample],
    opts: TrainOptions,
    question_types: dict[str, str],
    say: Progress,
) -> tuple[LinearIntentModel | None, ThresholdReport]:
    """The threshold, and the model fitted to tune it when that model is already final."""
    if opts.oos_threshold is not None:
        return None, ThresholdReport(opts.oos_threshold, "fixed")
    fit_rows, tune_rows = ((list(rows), list(val_rows)) if val_rows
                           else split_holdout(rows, opts.holdout))
    if not tune_rows:
        return None, ThresholdReport(0.0, "none: too few rows to hold any out")
    say(f"fitting on {len(fit_rows)} rows")
    model = fit_linear_model(fit_rows, opts, question_types)
    say(f"tuning the OOS threshold on {len(tune_rows)} rows")
    source = "validation rows" if val_rows else "held-out training rows"
    threshold = tune_oos_threshold(model, tune_rows, keep_correct=opts.keep_correct,
                                   source=source)
    # Tuned on a held-out share: the caller refits on every row.
    return (model if len(fit_rows) == len(rows) else None), threshold


def fit_linear_model(
    rows: Sequence[IntentExample],
    options: TrainOptions,
    question_types: dict[str, str] | None = None,
) -> LinearIntentModel:
    """TF-IDF (sublinear tf, smooth idf, L2) + multinomial logistic regression, exported."""
    # Imported here: scikit-learn is an optional extra and takes ~0.9 s to import.
    # It ships no type information, hence the ignores.
    try:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
            TfidfVectorizer,
        )
        from sklearn.linear_model import (  # type: ignore[import-untyped]
            LogisticRegression,
        )
    except ImportError as err:  # pragma: no cover - depends on the install
        raise InvalidInput("training needs scikit-learn: pip install 'warmline[train]'") from err
    spec = options.features
    vectorizer = TfidfVectorizer(analyzer=lambda text: extract_terms(text, spec),
                                 sublinear_tf=True, min_df=options.min_df, dtype=np.float32)
    matrix = vectorizer.fit_transform([r.text for r in rows])
    classifier = LogisticRegression(C=options.c, max_iter=options.max_iter,
                                    class_weight="balanced" if options.balanced else None)
    classifier.fit(matrix, [r.label for r in rows])
    return export_model(vectorizer, classifier, spec, question_types or {})


def export_model(
    vectorizer: Any, classifier: Any, spec: FeatureSpec, question_types: dict[str, str]
) -> LinearIntentModel:
    """A fitted ``TfidfVectorizer`` + ``LogisticRegression`` as plain arrays."""
    labels = tuple(str(label) for label in classifier.classes_)
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    intercept = np.asarray(classifier.intercept_, dtype=np.float32)
    if len(labels) == 2 and coef.shape[0] == 1:
        # sklearn keeps one row for two classes; softmax([0, z]) is the same sigmoid(z).
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]], dtype=np.float32)
    vocabulary = {str(term): int(index) for term, index in vectorizer.vocabulary_.items()}
    return LinearIntentModel(
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_, dtype=np.float32),
        weights=np.ascontiguousarray(coef.T),
        biases=intercept,
        labels=labels,
        question_types={k: v for k, v in question_types.items() if k in labels},
        features=spec,
    )



_GRID = np.round(np.arange(0.0, 1.0, 0.01), 2)


def tune_oos_threshold(
    model: LinearIntentModel,
    rows: Sequence[IntentExample],
    *,
    keep_correct: float = 0.95,
    source: str = "validation rows",
) -> ThresholdReport:
    """The max-probability threshold under which a prediction becomes ``"oos"``.

    With out-of-scope rows among ``rows``: the grid point (0.00..0.99) that maximises the
    mean of in-scope accuracy and OOS recall, the lowest on ties. Without: the highest point
    that still keeps ``keep_correct`` of the correctly classified rows answered.
    """
    probs = model.probabilities_many([r.text for r in rows])
    top = probs.max(axis=1)
    predicted = np.asarray(model.labels)[probs.argmax(axis=1)]
    truth = np.asarray([r.label for r in rows])
    is_oos = truth == OUT_OF_SCOPE
    correct = (predicted == truth) & ~is_oos
    if is_oos.any() and (~is_oos).any():
        accuracy = (correct[~is_oos][None, :] & (top[~is_oos][None, :] >= _GRID[:, None]))
        recall = ((predicted[is_oos] == OUT_OF_SCOPE)[None, :]
                  | (top[is_oos][None, :] < _GRID[:, None]))
        acc, rec = accuracy.mean(axis=1), recall.mean(axis=1)
        best = int(np.argmax(acc + rec))
        return ThresholdReport(float(_GRID[best]), source, len(rows), float(acc[best]),
                               float(rec[best]))
    kept = (top[correct][None, :] >= _GRID[:, None]).mean(axis=1) if correct.any() else None
    best = int(np.flatnonzero(kept >= keep_correct).max()) if kept is not None else 0
    threshold = float(_GRID[best])
    in_scope = (correct & (top >= threshold)).sum() / max(int((~is_oos).sum()), 1)
    return ThresholdReport(threshold, source, len(rows), float(in_scope), None)


def describe_options(options: TrainOptions) -> dict[str, float]:
    """The fitting options as numbers, for a model card (features are stored apart)."""
    return {"c": options.c, "min_df": float(options.min_df), "max_iter": float(options.max_iter),
            "balanced": float(options.balanced)}


def hash_rows(rows: Sequence[IntentExample]) -> str:
    """SHA-256 of the rows as ``text \\t label \\t question_type`` lines, in order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.text}\t{row.label}\t{row.question_type or ''}\n".encode())
    return digest.hexdigest()


def _question_types(rows: Sequence[IntentExample]) -> dict[str, str]:
    found: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        if not row.question_type:
            continue
        if row.label == OUT_OF_SCOPE:
            continue
        known = found.setdefault(row.label, row.question_type)
        if known != row.question_type:
            raise InvalidInput([Problem(
                f"label {row.label!r} has question type {row.question_type!r} here but "
                f"{known!r} earlier; a label maps to one question type", path=f"row {number}")])
    return found


def split_holdout(
    rows: Sequence[IntentExample], share: float
) -> tuple[list[IntentExample], list[IntentExample]]:
    """A deterministic split by text hash, so the same data always tunes the same way."""
    if share <= 0.0:
        return list(rows), []
    cut = int(share * 2**32)
    fit: list[IntentExample] = []
    held: list[IntentExample] = []
    for row in rows:
        key = int.from_bytes(hashlib.sha256(row.text.encode()).digest()[:4], "big")
        (held if key < cut else fit).append(row)
    if len({r.label for r in fit}) < 2 or not held:
        return list(rows), []
    return fit, held
