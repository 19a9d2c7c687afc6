"""The embedded language model's file: one ``.npz`` archive (no pickles) holding the terms,
their idf, one float16 weight column per head, and a JSON card (heads, calibration, thresholds,
features, training data and its attribution). Written by ``training/train_language.py``."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np

from warmline.adapters.intent_files import npz_bytes
from warmline.core.errors import InvalidInput, Problem
from warmline.core.language.intent_model import FeatureSpec, LinearIntentModel
from warmline.core.language.scorer import Calibration, LanguageModel

FORMAT = "warmline-language-model"
FORMAT_VERSION = 1
BUNDLED_LANGUAGE_MODEL = "language.npz"
_ARRAYS = ("terms", "idf", "weights", "biases", "card")


def save_language_model(path: str | Path, model: LanguageModel, card: Mapping[str, Any]) -> Path:
    """Write ``model`` to ``path``; ``card`` adds what the training knows (data, scores)."""
    linear = model.linear
    terms = [""] * len(linear.vocabulary)
    for term, index in linear.vocabulary.items():
        terms[index] = term
    meta = {
        **card,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": model.version,
        "heads": list(linear.labels),
        "features": {
            "word_ngrams": linear.features.word_ngrams,
            "char_min": linear.features.char_min,
            "char_max": linear.features.char_max,
        },
        "calibration": {h: [c.a, c.b] for h, c in model.calibration.items()},
        "thresholds": dict(model.thresholds),
    }
    arrays = {
        "terms": np.asarray(terms, dtype=np.str_),
        "idf": linear.idf.astype(np.float16),
        "weights": linear.weights.astype(np.float16),
        "biases": linear.biases,
        "card": np.asarray(json.dumps(meta, sort_keys=True)),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(npz_bytes(arrays))
    return target


def load_language_model(path: str | Path) -> LanguageModel:
    """Read a language model file.

    Raises:
        InvalidInput: naming the file, when it is missing, unreadable, corrupt or of another
            format version.
    """
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            return _read(handle, name)
    except FileNotFoundError:
        raise InvalidInput([Problem("no such language model file", file=name)]) from None
    except IsADirectoryError:
        raise InvalidInput(
            [Problem("is a directory, not a language model file", file=name)]
        ) from None
    except PermissionError as err:
        raise InvalidInput([Problem(f"cannot read: {err.strerror}", file=name)]) from err


@lru_cache(maxsize=1)
def bundled_language_model() -> LanguageModel:
    """The language model shipped in the package, read once per process.

    Raises:
        InvalidInput: the packaged file is missing or corrupt (the message names it).
    """
    name = f"warmline/models/{BUNDLED_LANGUAGE_MODEL}"
    resource = resources.files("warmline").joinpath("models", BUNDLED_LANGUAGE_MODEL)
    try:
        with resource.open("rb") as handle:
            return _read(handle, name)
    except FileNotFoundError:
        raise InvalidInput(
            [
                Problem(
                    "the bundled language model is missing: reinstall Warmline or `make models`",
                    file=name,
                )
            ]
        ) from None


def language_model_card(path: str | Path) -> dict[str, Any]:
    """The JSON card of a model file (for tests and tools)."""
    with np.load(Path(path), allow_pickle=False) as archive:
        card: dict[str, Any] = json.loads(str(archive["card"]))
    return card


def _read(handle: IO[bytes], name: str) -> LanguageModel:
    def bad(message: str) -> InvalidInput:
        return InvalidInput([Problem(message, file=name)])

    raw = handle.read()
    if not raw.startswith(b"PK"):
        raise bad("is not a Warmline language model (not an .npz archive)")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            missing = [key for key in _ARRAYS if key not in archive.files]
            if missing:
                raise bad(f"is not a Warmline language model: no {', '.join(missing)} in it")
            arrays = {key: archive[key] for key in _ARRAYS}
        meta = json.loads(str(arrays["card"]))
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise bad("is not a Warmline language model (not a readable .npz archive)") from err
    except (ValueError, json.JSONDecodeError) as err:
        raise bad(f"is a corrupt language model: {err}") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise bad("is not a Warmline language model (no model card)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise bad(
            f"has language model format version {meta.get('format_version')!r}; this "
            f"Warmline reads version {FORMAT_VERSION}"
        )
    try:
        return _build(arrays, meta)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise bad(f"is a corrupt language model: {err}") from err


def _build(arrays: dict[str, Any], meta: dict[str, Any]) -> LanguageModel:
    for key in ("idf", "weights", "biases"):
        if arrays[key].dtype.kind != "f":
            raise ValueError(f"{key} holds {arrays[key].dtype}, not floats")
    terms = [str(term) for term in arrays["terms"].tolist()]
    linear = LinearIntentModel(
        vocabulary={term: index for index, term in enumerate(terms)},
        idf=arrays["idf"].astype(np.float32),
        weights=np.ascontiguousarray(arrays["weights"], dtype=np.float32),
        biases=arrays["biases"].astype(np.float32),
        labels=tuple(str(h) for h in meta["heads"]),
        features=FeatureSpec(**{k: int(v) for k, v in meta["features"].items()}),
    )
    if not (np.isfinite(linear.weights).all() and np.isfinite(linear.idf).all()):
        raise ValueError("weights or idf hold non-finite numbers")
    calibration = {
        str(h): Calibration(float(ab[0]), float(ab[1])) for h, ab in meta["calibration"].items()
    }
    thresholds = {str(h): float(t) for h, t in meta["thresholds"].items()}
    return LanguageModel(linear, calibration, thresholds, version=str(meta.get("version", "")))
