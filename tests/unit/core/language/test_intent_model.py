"""The pure intent scorer and its model files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from warmline.adapters.intent_files import (
    ModelCard,
    load_bundled_model,
    load_model,
    read_model_file,
    save_model,
)
from warmline.core.errors import InvalidInput
from warmline.core.language.intent_model import (
    FeatureSpec,
    LinearIntentModel,
    extract_terms,
    split_words,
)
from warmline.core.language.intents import OUT_OF_SCOPE

WORDS_ONLY = FeatureSpec(word_ngrams=1, char_min=0, char_max=0)


def make_model(**overrides: object) -> LinearIntentModel:
    """Three words, three labels: each word votes for one label."""
    vocabulary = {"cancel": 0, "bill": 1, "weather": 2}
    values: dict[str, object] = {
        "vocabulary": vocabulary,
        "idf": np.ones(3, dtype=np.float32),
        "weights": np.eye(3, dtype=np.float32) * 4,
        "biases": np.zeros(3, dtype=np.float32),
        "labels": ("cancel", "billing", OUT_OF_SCOPE),
        "question_types": {"billing": "billing"},
        "features": WORDS_ONLY,
    }
    values.update(overrides)
    return LinearIntentModel(**values)  # type: ignore[arg-type]


def test_terms_are_words_ngrams_and_marked_character_ngrams() -> None:
    terms = extract_terms("Cancel it", FeatureSpec(word_ngrams=2, char_min=3, char_max=3))
    assert terms[:3] == ["cancel", "it", "cancel it"]
    assert "#can" in terms
    assert "#it " in terms
    assert "# it" in terms
    assert all(t.startswith("#") for t in terms[3:])


def test_words_fold_digits_case_and_styled_letters() -> None:
    assert split_words("Card 4821, 𝓬𝓪𝓷𝓬𝓮𝓵 NOW") == ["card", "0000", "cancel", "now"]


def test_predict_picks_the_strongest_label_with_its_question_type() -> None:
    prediction = make_model().predict("Why is my bill so high?")
    assert prediction.label == "billing"
    assert prediction.question_type == "billing"
    assert prediction.confidence == pytest.approx(np.exp(4) / (np.exp(4) + 2), abs=1e-6)


def test_below_the_threshold_the_answer_is_oos_with_the_remaining_mass() -> None:
    model = make_model(oos_threshold=0.99)
    prediction = model.predict("cancel")
    top = float(model.probabilities("cancel").max())
    assert prediction.label == OUT_OF_SCOPE
    assert prediction.question_type is None
    assert prediction.confidence == pytest.approx(1 - top, abs=1e-6)


def test_text_without_known_terms_scores_the_biases_alone() -> None:
    model = make_model(biases=np.array([0.0, 0.0, 1.0], dtype=np.float32))
    assert model.predict("").label == OUT_OF_SCOPE
    assert model.predict("zzz qqq").label == OUT_OF_SCOPE


def test_batch_and_single_predictions_agree() -> None:
    model = make_model()
    texts = ["cancel cancel bill", "weather", "bill", "", "cancel"]
    assert model.predict_many(texts) == [model.predict(t) for t in texts]
    assert np.allclose(model.probabilities_many(texts).sum(axis=1), 1.0)


@pytest.mark.parametrize(("field", "value"), [
    ("labels", ("a", "b")),
    ("labels", ("a", "a", "b")),
    ("idf", np.ones(2, dtype=np.float32)),
    ("biases", np.zeros(2, dtype=np.float32)),
], ids=["too-few-labels", "duplicate-labels", "short-idf", "short-biases"])
def test_inconsistent_arrays_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"disagree|distinct"):
        make_model(**{field: value})


def test_a_saved_model_loads_with_the_same_predictions_and_card(tmp_path: Path) -> None:
    model = make_model(oos_threshold=0.4)
    card = ModelCard(created_by="test", data_sha256="ab" * 32, rows=3,
                     label_counts={"cancel": 1, "billing": 1, "oos": 1},
                     threshold_source="fixed", sources=({"name": "unit test"},))
    path = save_model(tmp_path / "model", model, card)
    assert path == tmp_path / "model"  # no suffix added
    loaded, loaded_card = read_model_file(path)
    assert loaded_card == card
    assert loaded.labels == model.labels
    assert loaded.oos_threshold == 0.4
    assert loaded.features == WORDS_ONLY
    for text in ("cancel", "bill please", "weather", ""):
        assert loaded.predict(text) == model.predict(text)


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nope\.npz: no such intent model file"):
        load_model(tmp_path / "nope.npz")


def test_a_file_that_is_not_a_model_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    path.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"not an \.npz archive"):
        load_model(path)


def test_a_model_of_another_format_version_is_refused(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.npz", make_model(), ModelCard())
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    card = json.loads(str(arrays["card"]))
    card["format_version"] = 99
    arrays["card"] = np.asarray(json.dumps(card))
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(InvalidInput, match="format version 99; this Warmline reads version 1"):
        load_model(path)


def test_a_truncated_model_file_is_reported_not_raised_raw(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.npz", make_model(), ModelCard())
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InvalidInput, match=r"m\.npz: is "):
        load_model(path)


def test_a_model_missing_an_array_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("idf.npy", b"")
    with pytest.raises(InvalidInput, match="no terms, weights, biases, card in it"):
        load_model(path)


def test_the_bundled_model_knows_the_universal_intents() -> None:
    model = load_bundled_model()
    assert set(model.labels) == {"cancel", "talk-to-human", "billing", "scheduling",
                                 "complaint", OUT_OF_SCOPE}
    assert model.predict("I want to cancel my subscription").label == "cancel"
    assert model.predict("let me talk to a human").label == "talk-to-human"
    billing = model.predict("why was I charged twice on my bill")
    assert (billing.label, billing.question_type) == ("billing", "billing")
    assert model.predict("can I move my appointment to Friday").label == "scheduling"


# Hand-written here (not taken from any test split): phrasings the human_requested phrase
# list does not cover, which the general policy must still hand off through the model.
MUST_ROUTE_BY_MODEL = [
    ("You guys are fraud, pathetic service", "complaint"),
    ("I want to close my account", "cancel"),
    ("chat with an executive", "talk-to-human"),
]


@pytest.mark.parametrize(("text", "label"), MUST_ROUTE_BY_MODEL, ids=[t for t, _ in
                                                                      MUST_ROUTE_BY_MODEL])
def test_the_general_policy_hands_off_what_the_bundled_model_reads_as_must_route(
    text: str, label: str
) -> None:
    from warmline.bootstrap import build_decider
    from warmline.core.conversation import parse_conversation

    assert load_bundled_model().predict(text).label == label
    at = "2026-01-06T10:00:00-06:00"
    conversation = parse_conversation({
        "id": "c", "channel": "chat", "started_at": at,
        "turns": [{"speaker": "customer", "text": text, "at": at}]})
    decision = build_decider("general").decide(conversation)
    assert decision.action.value == "escalate"
    assert any(r.code.value == "trigger" for r in decision.reasons)


def test_the_bundled_model_records_its_must_route_boost() -> None:
    card = read_model_file(
        Path(__file__).parents[4] / "src/warmline/models/default_intents.npz")[1]
    assert 0.0 <= card.options["must_route_boost"] <= 1.5
    assert load_bundled_model().predict("what's the weather tomorrow").label not in {
        "cancel", "talk-to-human", "complaint"}


def test_saving_the_same_model_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first = save_model(tmp_path / "a.npz", make_model(), ModelCard(rows=3))
    second = save_model(tmp_path / "b.npz", make_model(), ModelCard(rows=3))
    assert first.read_bytes() == second.read_bytes()
