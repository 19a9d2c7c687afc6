"""Training intent models (needs scikit-learn, a dev dependency)."""

from __future__ import annotations

import numpy as np
import pytest

from warmline.core.errors import InvalidInput
from warmline.core.language.intent_model import FeatureSpec, LinearIntentModel, extract_terms
from warmline.core.language.intents import OUT_OF_SCOPE
from warmline.service.intent_training import (
    IntentExample,
    TrainOptions,
    export_model,
    hash_rows,
    train_intent_model,
    tune_oos_threshold,
)

TEMPLATES = {
    "cancel": ["cancel my {}", "I want to cancel the {}", "please stop my {}",
               "close my {} now", "end the {} today"],
    "billing": ["why is my {} bill so high", "I was charged twice for the {}",
                "refund the {} charge", "question about the {} invoice",
                "how much do I owe for the {}"],
    "scheduling": ["book a {} appointment", "reschedule my {} visit",
                   "move the {} booking to friday", "is there a {} slot tomorrow",
                   "schedule the {} for monday"],
}
THINGS = ["plan", "subscription", "membership", "service", "account", "order"]
OOS_TEXTS = ["what's the weather", "tell me a joke", "hello there", "who won the game",
             "how tall is everest", "play some music", "thanks a lot", "good night"]


def synthetic_rows(things: list[str] = THINGS) -> list[IntentExample]:
    rows = [IntentExample(template.format(thing), label,
                          "billing" if label == "billing" else None)
            for label, templates in TEMPLATES.items()
            for template in templates for thing in things]
    return rows + [IntentExample(text, OUT_OF_SCOPE) for text in OOS_TEXTS]


@pytest.fixture(scope="module")
def trained_model() -> LinearIntentModel:
    return train_intent_model(synthetic_rows(), options=TrainOptions(oos_threshold=0.3)).model


def test_a_trained_model_labels_new_phrasings(trained_model: LinearIntentModel) -> None:
    assert trained_model.predict("cancel my contract please").label == "cancel"
    assert trained_model.predict("I was charged twice on my invoice").label == "billing"
    assert trained_model.predict("can I reschedule my appointment").label == "scheduling"


def test_question_types_come_from_the_training_rows(trained_model: LinearIntentModel) -> None:
    assert dict(trained_model.question_types) == {"billing": "billing"}
    assert trained_model.predict("refund the charge").question_type == "billing"


def test_the_scorer_matches_scikit_learn_on_the_same_data() -> None:
    # scikit-learn ships no type information.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    rows = synthetic_rows()
    spec = FeatureSpec()
    vectorizer = TfidfVectorizer(analyzer=lambda t: extract_terms(t, spec), sublinear_tf=True)
    matrix = vectorizer.fit_transform([r.text for r in rows])
    classifier = LogisticRegression(C=20.0, max_iter=1000).fit(matrix, [r.label for r in rows])
    model = export_model(vectorizer, classifier, spec, {})
    probes = ["cancel cancel my plan now", "bill bill bill", "book it", "zzz", "",
              "I was charged twice, refund it", "Hello there!! 42"]
    expected = classifier.predict_proba(vectorizer.transform(probes))
    assert model.labels == tuple(classifier.classes_)
    np.testing.assert_allclose(model.probabilities_many(probes), expected, atol=1e-5)


def test_two_labels_export_as_a_two_way_softmax() -> None:
    rows = [r for r in synthetic_rows() if r.label in ("cancel", "billing")]
    model = train_intent_model(rows, options=TrainOptions(oos_threshold=0.0)).model
    assert model.labels == ("billing", "cancel")
    assert model.weights.shape[1] == 2
    assert model.predict("stop my membership").label == "cancel"


def test_the_threshold_is_tuned_on_validation_rows_with_oos() -> None:
    val = [IntentExample("cancel my gym", "cancel"), IntentExample("refund the fee", "billing"),
           IntentExample("what is the capital of peru", OUT_OF_SCOPE),
           IntentExample("sing me a song", OUT_OF_SCOPE)]
    trained = train_intent_model(synthetic_rows(), val_rows=val)
    report = trained.threshold
    assert report.source == "validation rows"
    assert report.rows == 4
    assert 0.0 <= report.threshold < 1.0
    assert trained.model.oos_threshold == report.threshold
    assert report.in_scope_accuracy is not None
    assert report.oos_recall is not None


def test_without_oos_rows_the_threshold_keeps_most_correct_answers(
    trained_model: LinearIntentModel,
) -> None:
    rows = [r for r in synthetic_rows(["contract", "plan"]) if r.label != OUT_OF_SCOPE]
    report = tune_oos_threshold(trained_model, rows, keep_correct=0.9)
    top = trained_model.probabilities_many([r.text for r in rows]).max(axis=1)
    assert report.oos_recall is None
    assert np.mean(top >= report.threshold) >= 0.9
    assert np.mean(top >= report.threshold + 0.01) < 0.9 or report.threshold == 0.99


def test_with_oos_rows_the_threshold_maximises_the_balanced_score(
    trained_model: LinearIntentModel,
) -> None:
    rows = [*synthetic_rows(["contract"]), IntentExample("what time is it", OUT_OF_SCOPE)]
    report = tune_oos_threshold(trained_model, rows)
    probs = trained_model.probabilities_many([r.text for r in rows])
    labels = np.asarray(trained_model.labels)[probs.argmax(axis=1)]

    def balanced(threshold: float) -> float:
        final = np.where(probs.max(axis=1) < threshold, OUT_OF_SCOPE, labels)
        truth = np.asarray([r.label for r in rows])
        inside = truth != OUT_OF_SCOPE
        return float(np.mean(final[inside] == truth[inside])
                     + np.mean(final[~inside] == OUT_OF_SCOPE))

    assert all(balanced(report.threshold) >= balanced(t) - 1e-9
               for t in np.arange(0, 1, 0.01))


def test_a_fixed_threshold_is_kept() -> None:
    trained = train_intent_model(synthetic_rows(), options=TrainOptions(oos_threshold=0.42))
    assert trained.model.oos_threshold == 0.42
    assert trained.threshold.source == "fixed"


def test_training_needs_two_labels() -> None:
    with pytest.raises(InvalidInput, match="at least two distinct labels"):
        train_intent_model([IntentExample("hi", "greet"), IntentExample("hello", "greet")])


def test_a_label_with_two_question_types_is_located() -> None:
    rows = [IntentExample("pay", "billing", "billing"), IntentExample("x", "oos"),
            IntentExample("charge", "billing", "faq")]
    with pytest.raises(InvalidInput, match=r"row 3: label 'billing' has question type 'faq'"):
        train_intent_model(rows)


def test_the_data_hash_is_stable_and_order_sensitive() -> None:
    rows = synthetic_rows()
    assert hash_rows(rows) == hash_rows(list(rows))
    assert hash_rows(rows) != hash_rows(rows[::-1])


def test_training_is_deterministic() -> None:
    first = train_intent_model(synthetic_rows())
    second = train_intent_model(synthetic_rows())
    assert first.threshold == second.threshold
    np.testing.assert_array_equal(first.model.weights, second.model.weights)
