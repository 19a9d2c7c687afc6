"""CLINC150 Full: a distance-based out-of-scope score for the fine-tuned MiniLM runs.

The runs saved by ``finetune_clinc.py --save RUN.npz`` hold each run's val/test probabilities
and its pooled sentence features for train (in-scope rows), val and test. Here:

- the label is the argmax of the runs' averaged probabilities, mixed with the fast tier
  (weight chosen on val, as in ``finetune_clinc.py --combine``);
- the out-of-scope score is the Mahalanobis distance of a sentence's features to the nearest
  in-scope class mean (class means and one shared covariance from train only), summed over
  the runs; a sentence farther than the threshold is ``oos``;
- the threshold is chosen on val + oos_val by the rule every earlier CLINC table used (the
  highest rejection keeping val in-scope accuracy within 0.5 point of its best), fixed before
  test was scored; test + oos_test is scored once. The max-probability threshold is reported
  beside it for comparison.

    HF_HUB_OFFLINE=1 VENV/bin/python bench/clinc_distance.py RUN.npz [RUN.npz ...]

VENV: the venv of ``finetune_clinc.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from embed_clinc import DATA, GRID, score
from finetune_clinc import with_fast_tier

QUANTILES = np.round(np.arange(0.80, 1.0, 0.0025), 4)


def nearest_mean_distance(train: np.ndarray, train_labels: np.ndarray, x: np.ndarray
                          ) -> np.ndarray:
    """Squared Mahalanobis distance to the nearest class mean, shared covariance."""
    classes = np.unique(train_labels)
    means = np.stack([train[train_labels == c].mean(0) for c in classes]).astype(np.float64)
    centered = train.astype(np.float64) - means[np.searchsorted(classes, train_labels)]
    cov = centered.T @ centered / len(train)
    precision = np.linalg.inv(cov + 1e-6 * np.eye(cov.shape[0]))
    xp = x.astype(np.float64) @ precision
    d = ((xp * x).sum(1)[:, None] - 2 * xp @ means.T
         + ((means @ precision) * means).sum(1)[None, :])
    return np.asarray(d.min(1))


def with_distance(probs: np.ndarray, labels: list[str], truth: np.ndarray,
                  distance: np.ndarray, threshold: float) -> tuple[float, float]:
    predicted = np.asarray(labels)[probs.argmax(1)]
    predicted = np.where(distance > threshold, "oos", predicted)
    is_oos = truth == "oos"
    return (float(np.mean(predicted[~is_oos] == truth[~is_oos])),
            float(np.mean(predicted[is_oos] == "oos")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()
    full = json.loads(DATA.read_text(encoding="utf-8"))
    train, val, test = (full[s] + full[f"oos_{s}"] for s in ("train", "val", "test"))
    labels = sorted({y for _, y in train})
    truth = {name: np.asarray([y for _, y in rows]) for name, rows in (("val", val),
                                                                         ("test", test))}
    averaged: dict[str, list[np.ndarray]] = {"val": [], "test": []}
    distance = {"val": np.zeros(len(val)), "test": np.zeros(len(test))}
    for run in args.runs:
        with np.load(run) as saved:
            for name in ("val", "test"):
                averaged[name].append(saved[name])
                distance[name] += nearest_mean_distance(
                    saved["train_features"], saved["train_labels"], saved[f"{name}_features"])
    print(f"{len(args.runs)} run(s)")
    probs = with_fast_tier({name: (np.mean(averaged[name], axis=0), truth[name])
                            for name in ("val", "test")}, train, val, test, labels)
    in_scope_val = distance["val"][truth["val"] != "oos"]
    thresholds = [float(np.quantile(in_scope_val, q)) for q in QUANTILES] + [np.inf]
    val_curve = np.array([with_distance(probs["val"][0], labels, truth["val"],
                                        distance["val"], t) for t in thresholds])
    best = val_curve[:, 0].max()
    chosen = {"within 0.5 point": int(np.flatnonzero(val_curve[:, 0] >= best - 0.005).min()),
              "within 1 point": int(np.flatnonzero(val_curve[:, 0] >= best - 0.01).min())}
    print("| out-of-scope rule (threshold on val) | val in-scope / OOS | test in-scope / OOS |"
          "\n|---|---|---|")
    for name, i in chosen.items():
        cells = [f"{a:.1%} / {r:.1%}" for a, r in (
            with_distance(probs[s][0], labels, truth[s], distance[s], thresholds[i])
            for s in ("val", "test"))]
        print(f"| distance, {name} (val in-scope quantile "
              f"{QUANTILES[i] if i < len(QUANTILES) else 1.0}) | {cells[0]} | **{cells[1]}** |")
    prob_curve = np.array([score(probs["val"][0], labels, truth["val"], t)[0] for t in GRID])
    top = float(GRID[np.flatnonzero(prob_curve >= prob_curve.max() - 0.005).max()])
    cells = [f"{a:.1%} / {r:.1%}" for a, r in (
        score(probs[s][0], labels, truth[s], top) for s in ("val", "test"))]
    print(f"| top probability, within 0.5 point ({top:.2f}) | {cells[0]} | **{cells[1]}** |")
    print("\ntest curve, distance (val in-scope quantile: test in-scope / OOS):")
    for q, t in zip(QUANTILES[::8], thresholds[::8], strict=False):
        a, r = with_distance(probs["test"][0], labels, truth["test"], distance["test"], t)
        print(f"  {q:.3f}: {a:.2%} / {r:.2%}")


if __name__ == "__main__":
    main()
