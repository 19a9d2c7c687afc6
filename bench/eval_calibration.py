"""Per-question-type vs global thresholds on a history built from CLINC150 (issue #6).

    python bench/eval_calibration.py [--data /work/shared/data] [--out-dir DIR]

The AI is Warmline's intent tier (TF-IDF + logistic regression) trained on CLINC150 `train`
(in-scope only: it always tries to answer). Each held-out query becomes one history row:
question type = the CLINC domain of the *predicted* intent (what a live system knows),
confidence = the top probability, correct = the predicted intent is the true one (an
out-of-scope query is never answered correctly). Thresholds are calibrated on `val` +
`oos_val` and scored on `test` + `oos_test`, which nothing was tuned on. CLINC carries no
costs, so each domain gets a cost of a wrong answer (COSTS below, an assumption) and one
escalation costs 6.00. Prints a markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from warmline.adapters.policy_files import parse_policy_text  # noqa: E402
from warmline.core.analytics.calibration import calibrate, plan_costs  # noqa: E402
from warmline.core.analytics.estimate import Mean, bootstrap_mean  # noqa: E402
from warmline.core.analytics.history import Answer, write_history  # noqa: E402
from warmline.core.policy.model import Policy  # noqa: E402
from warmline.service.intent_training import (  # noqa: E402
    IntentExample,
    TrainOptions,
    fit_linear_model,
)

#: Cost of one wrong answer per CLINC domain (assumed: money and safety cost most).
COSTS: Mapping[str, float] = {
    "banking": 60.0, "credit_cards": 60.0, "auto_and_commute": 30.0, "travel": 30.0,
    "work": 15.0, "home": 12.0, "utility": 10.0, "kitchen_and_dining": 10.0,
    "small_talk": 8.0, "meta": 8.0,
}
COST_OF_ESCALATION = 6.0
NAIVE_GLOBAL = 0.60  # the seed's "single confidence threshold ... like 60 percent"


def policy_text(explicit: Mapping[str, float] | None = None) -> str:
    """The evaluation policy: costs per domain; `explicit` thresholds override derivation."""
    lines = ["version: 1", "name: clinc-eval", "timezone: UTC", "queues: {front-desk: {}}",
             "defaults:",
             f"  threshold: {NAIVE_GLOBAL}", f"  cost_of_escalation: {COST_OF_ESCALATION}",
             "question_types:"]
    for name, wrong in COSTS.items():
        extra = f", threshold: {explicit[name]:.2f}" if explicit and name in explicit else ""
        lines.append(f"  {name}: {{cost_of_wrong_answer: {wrong}{extra}}}")
    return "\n".join(lines) + "\n"


def history(model_rows: Sequence[tuple[str, str]], predict: object,
            domain_of: Mapping[str, str]) -> list[Answer]:
    texts = [t for t, _ in model_rows]
    probs = predict.probabilities_many(texts)  # type: ignore[attr-defined]
    labels = predict.labels  # type: ignore[attr-defined]
    out = []
    for (_, truth), row in zip(model_rows, probs, strict=True):
        best = int(row.argmax())
        label = labels[best]
        out.append(Answer(domain_of[label], float(row[best]), label == truth))
    return out


def fmt(m: Mean) -> str:
    return f"{m.mean:,.0f} [{m.low:,.0f}, {m.high:,.0f}]" if m.mean is not None else "-"


def score(policy: Policy, answers: Sequence[Answer], plan: Mapping[str, float] | float
          ) -> list[float]:
    return plan_costs(policy, answers, plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="Also write val/test history CSVs here (for warmline calibrate).")
    args = parser.parse_args()
    clinc = args.data / "clinc150"
    full = json.loads((clinc / "data_full.json").read_text(encoding="utf-8"))
    domains = json.loads((clinc / "domains.json").read_text(encoding="utf-8"))
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}
    train = [IntentExample(t, label) for t, label in full["train"]]
    model = fit_linear_model(train, TrainOptions())
    val = history(full["val"] + full["oos_val"], model, domain_of)
    test = history(full["test"] + full["oos_test"], model, domain_of)
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "clinc_val_history.csv").write_text(write_history(val))
        (args.out_dir / "clinc_test_history.csv").write_text(write_history(test))
        (args.out_dir / "clinc_policy.yaml").write_text(policy_text())
    policy = parse_policy_text(policy_text(), source="<clinc-eval>")
    tuned = calibrate(policy, val, min_samples=50)
    per_type = {name: t.threshold for name, t in tuned.question_types.items()}
    derived = {name: qt.threshold for name, qt in policy.question_types.items()}
    plans: list[tuple[str, Mapping[str, float] | float]] = [
        ("per-type, calibrated on val", per_type),
        (f"one global, calibrated on val ({tuned.global_threshold:.2f})",
         tuned.global_threshold),
        ("per-type, cost-derived (SPEC §3: 1 - 6/cost)", derived),
        (f"one global, naive {NAIVE_GLOBAL:.2f}", NAIVE_GLOBAL),
    ]
    costs = {name: score(policy, test, plan) for name, plan in plans}
    base = costs[plans[0][0]]
    print(f"History: val {len(val)} rows ({sum(not a.correct for a in val)} wrong), test "
          f"{len(test)} rows ({sum(not a.correct for a in test)} wrong); model trained on "
          f"{len(train)} rows.\n")
    print("| plan (thresholds from val) | test cost per 1,000 [95 % bootstrap] "
          "| vs per-type calibrated: extra cost per 1,000 [95 %, paired] |")
    print("|---|---|---|")
    for name, _ in plans:
        diff = bootstrap_mean([o - b for o, b in zip(costs[name], base, strict=True)])
        extra = "-" if costs[name] is base else fmt(diff)
        print(f"| {name} | {fmt(bootstrap_mean(costs[name]))} | {extra} |")
    print("\n| question type | cost of wrong answer | cost-derived | calibrated (val) "
          "| val n | test n | test cost/1,000 calibrated | test cost/1,000 global |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t in tuned.question_types.items():
        rows = [a for a in test if a.question_type == name]
        mine = bootstrap_mean(score(policy, rows, per_type))
        one = bootstrap_mean(score(policy, rows, tuned.global_threshold))
        print(f"| {name} | {COSTS[name]:.0f} | {derived[name]:.2f} | {t.threshold:.2f} | "
              f"{t.n} | {len(rows)} | {fmt(mine)} | {fmt(one)} |")


if __name__ == "__main__":
    main()
