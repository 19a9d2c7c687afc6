"""Intent model files: one ``.npz`` archive (no pickles) holding the scorer's arrays and a
JSON model card: format version, labels, features, training-data hash and data attribution."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np

from warmline.core.errors import InvalidInput, Problem
from warmline.core.language.intent_model import FeatureSpec, LinearIntentModel

FORMAT = "warmline-intent-model"
FORMAT_VERSION = 1
BUNDLED_MODEL = "default_intents.npz"
_ARRAYS = ("terms", "idf", "weights", "biases", "card")


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What a model file says about itself beyond the arrays.

    Attributes:
        created_by: the tool and version that wrote it.
        data_sha256: hash of the training rows (see ``service.intent_training.hash_rows``).
        rows: number of training rows.
        label_counts: training rows per label.
        threshold_source: how the OOS threshold was chosen.
        sources: attribution of the training data: name, licence, upstream, use.
        options: the training options (C, min_df, class weighting), for reproduction.
    """

    created_by: str = ""
    data_sha256: str = ""
    rows: int = 0
    label_counts: Mapping[str, int] = field(default_factory=dict)
    threshold_source: str = ""
    sources: tuple[Mapping[str, str], ...] = ()
    options: Mapping[str, float] = field(default_factory=dict)


def save_model(path: str | Path, model: LinearIntentModel, card: ModelCard) -> Path:
    """Write ``model`` to ``path`` exactly (no suffix added); returns the path."""
    target = Path(path)
    terms = [""] * len(model.vocabulary)
    for term, index in model.vocabulary.items():
        terms[index] = term
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "labels": list(model.labels),
        "question_types": dict(model.question_types), "oos_threshold": model.oos_threshold,
        "features": asdict(model.features), **asdict(card),
        "label_counts": dict(card.label_counts), "sources": [dict(s) for s in card.sources],
        "options": dict(card.options),
    }
    arrays = {"terms": np.asarray(terms, dtype=np.str_), "idf": model.idf,
              "weights": model.weights, "biases": model.biases,
              "card": np.asarray(json.dumps(meta, sort_keys=True))}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(npz_bytes(arrays))
    return target


def npz_bytes(arrays: dict[str, Any]) -> bytes:
    """A compressed ``.npz`` with fixed timestamps, so the same model is the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def load_model(path: str | Path) -> LinearIntentModel:
    """Read a model file.

    Raises:
        InvalidInput: the file is missing, not a model, corrupt or of another format version.
    """
    return read_model_file(path)[0]


def read_model_file(path: str | Path) -> tuple[LinearIntentModel, ModelCard]:
    """The model and its card (same errors as ``load_model``)."""
    name = str(path)
    try:
        with Path(path).open("rb") as handle:
            return _read(handle, name)
    except FileNotFoundError:
        raise InvalidInput([Problem("no such intent model file", file=name)]) from None
    except IsADirectoryError:
        raise InvalidInput([Problem("is a directory, not an intent model file",
                                    file=name)]) from None
    except PermissionError as err:
        raise InvalidInput([Problem(f"cannot read: {err.strerror}", file=name)]) from err


def load_bundled_model() -> LinearIntentModel:
    """The default model shipped with Warmline: cancel, talk-to-human, billing, scheduling,
    complaint and oos. Loaded on each call; callers keep the instance."""
    resource = resources.files("warmline").joinpath("models", BUNDLED_MODEL)
    with resource.open("rb") as handle:
        return _read(handle, f"warmline/models/{BUNDLED_MODEL}")[0]


def _read(handle: IO[bytes], name: str) -> tuple[LinearIntentModel, ModelCard]:
    def bad(message: str) -> InvalidInput:
        return InvalidInput([Problem(message, file=name)])

    raw = handle.read()
    if not raw.startswith(b"PK"):  # every zip, hence every .npz, starts so
        raise bad("is not a Warmline intent model (not an .npz archive)")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            missing = [key for key in _ARRAYS if key not in archive.files]
            if missing:
                raise bad(f"is not a Warmline intent model: no {', '.join(missing)} in it")
            arrays = {key: archive[key] for key in _ARRAYS}
        meta = json.loads(str(arrays["card"]))
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise bad("is not a Warmline intent model (not a readable .npz archive)") from err
    except (ValueError, json.JSONDecodeError) as err:
        raise bad(f"is a corrupt intent model: {err}") from err
    _check_format(meta, bad)
    try:
        return _build(arrays, meta), _card(meta)
    except (KeyError, TypeError, ValueError) as err:
        raise bad(f"is a corrupt intent model: {err}") from err


def _check_format(meta: Any, bad: Any) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise bad("is not a Warmline intent model (no model card)")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise bad(f"has intent model format version {version!r}; this Warmline reads version "
                  f"{FORMAT_VERSION} (retrain it with `warmline intents train`)")


def _build(arrays: dict[str, Any], meta: dict[str, Any]) -> LinearIntentModel:
    terms = [str(term) for term in arrays["terms"].tolist()]
    for key in ("idf", "weights", "biases"):
        if arrays[key].dtype.kind != "f":
            raise ValueError(f"{key} holds {arrays[key].dtype}, not floats")
    return LinearIntentModel(
        vocabulary={term: index for index, term in enumerate(terms)},
        idf=arrays["idf"].astype(np.float32),
        weights=np.ascontiguousarray(arrays["weights"], dtype=np.float32),
        biases=arrays["biases"].astype(np.float32),
        labels=tuple(str(label) for label in meta["labels"]),
        oos_threshold=float(meta["oos_threshold"]),
        question_types={str(k): str(v) for k, v in meta["question_types"].items()},
        features=FeatureSpec(**{k: int(v) for k, v in meta["features"].items()}),
    )


def _card(meta: dict[str, Any]) -> ModelCard:
    return ModelCard(
        created_by=str(meta.get("created_by", "")),
        data_sha256=str(meta.get("data_sha256", "")),
        rows=int(meta.get("rows", 0)),
        label_counts={str(k): int(v) for k, v in meta.get("label_counts", {}).items()},
        threshold_source=str(meta.get("threshold_source", "")),
        sources=tuple({str(k): str(v) for k, v in s.items()} for s in meta.get("sources", [])),
        options={str(k): float(v) for k, v in meta.get("options", {}).items()},
    )
