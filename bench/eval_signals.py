"""Precision and recall of the built-in signals (warmline.core.signals) on public data.

    python bench/eval_signals.py                  # held-out numbers, examples of errors, timings
    python bench/eval_signals.py --examples dev   # show errors on the development split instead

Reads /work/shared/data (or --data / WARMLINE_DATA); see its README for sources and licences.
The phrase lists were grown looking only at the *dev* split of every set below; the *held-out*
split was scored once the lists were frozen. Both are printed; only held-out is reported.

  human_requested  dev:      HINT3 v2 train (curekart, powerplay11); NatCS insurance, even ids;
                             CLINC150 train + val + oos_train + oos_val
                   held-out: HINT3 v2 test (curekart, powerplay11); NatCS insurance odd ids +
                             banking + finance; CLINC150 test + oos_test
  ai_failures      STAR bank wizard turns, dev = even DialogueID, held-out = odd DialogueID
  frustration      STAR bank dialogues with the "aggressive or annoyed" question, same split
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import timeit
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from warmline.core.conversation import Speaker, Turn
from warmline.core.signals import (
    count_ai_failures,
    frustration_score,
    is_ai_failure_text,
    is_human_requested,
)

HERE = Path(__file__).resolve().parent
LABELLED = HERE / "signals_labelled"
HANDOFF_INTENTS = {"CHAT_WITH_AGENT", "CHAT_WITH_AN_AGENT"}
AGGRESSIVE_Q = "Did the user become aggressive or annoyed"
POLICY_THRESHOLD = 0.80  # SPEC §3 example `frustration: 0.80`


@dataclass
class Example:
    source: str
    text: str
    label: bool
    note: str = ""


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    fps: list[Example] = field(default_factory=list)
    fns: list[Example] = field(default_factory=list)

    def add(self, ex: Example, predicted: bool) -> None:
        if predicted and ex.label:
            self.tp += 1
        elif predicted:
            self.fp += 1
            self.fps.append(ex)
        elif ex.label:
            self.fn += 1
            self.fns.append(ex)
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def row(self, name: str) -> str:
        n = self.tp + self.fp + self.fn + self.tn
        return (f"| {name} | {n} | {self.tp + self.fn} | {_pct(self.precision)} | "
                f"{_pct(self.recall)} | {_pct(self.f1)} | {self.tp} / {self.fp} / {self.fn} |")


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}"


HEADER = ("| set | n | positives | precision % | recall % | F1 % | TP / FP / FN |\n"
          "|---|---|---|---|---|---|---|")


# --- loading -----------------------------------------------------------------------------------


def _hint3(data: Path, split: str) -> list[Example]:
    out = []
    for bot in ("curekart", "powerplay11"):
        with (data / "hint3" / "v2" / split / f"{bot}_{split}.csv").open(newline="") as f:
            for row in csv.reader(f):
                if not row or row[0] == "sentence":
                    continue
                out.append(Example(f"hint3-{bot}", row[0].strip(), row[1] in HANDOFF_INTENTS,
                                   row[1]))
    return out


def _natcs(data: Path, heldout: bool) -> list[Example]:
    """Every NatCS utterance is a negative: FindAgent asks for a *local insurance agent*
    ("find an insurance agent near my house"), a lookup, not a handoff to a person."""
    base = data / "natcs_dstc11"
    files = ["development"] + (["test-banking", "test-finance"] if heldout else [])
    out = []
    for name in files:
        for line in (base / name / "test-utterances.jsonl").open():
            row = json.loads(line)
            if name == "development":
                odd = int(row["utterance_id"].rsplit("_", 1)[1]) % 2 == 1
                if odd != heldout:
                    continue
            out.append(Example(f"natcs-{name}", row["utterance"], False, row["intent"]))
    return out


def _clinc(data: Path, heldout: bool) -> list[Example]:
    full = json.loads((data / "clinc150" / "data_full.json").read_text())
    splits = ["test", "oos_test"] if heldout else ["train", "val", "oos_train", "oos_val"]
    return [Example("clinc150", text, False, intent) for s in splits for text, intent in full[s]]


def _adjudicated() -> dict[str, bool]:
    """Texts whose public label we overrule after reading them (bench/signals_labelled/)."""
    path = LABELLED / "human_requested_adjudicated.tsv"
    if not path.exists():
        return {}
    out = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out[row["text"]] = row["label"] == "1"
    return out


def _star(data: Path) -> list[dict[str, object]]:
    with (data / "star_bank" / "bank_dialogues.jsonl").open() as f:
        return [json.loads(line) for line in f]


def _is_heldout(dialogue: dict[str, object]) -> bool:
    return int(str(dialogue["DialogueID"])) % 2 == 1


# --- human_requested -------------------------------------------------------------------------


def eval_human(data: Path, heldout: bool, adjudicated: dict[str, bool]) -> dict[str, Score]:
    sets = {
        "HINT3 v2 " + ("test" if heldout else "train"): _hint3(data, "test" if heldout else "train"),
        "NatCS " + ("insurance odd + banking + finance" if heldout else "insurance even"):
            _natcs(data, heldout),
        "CLINC150 " + ("test + oos_test" if heldout else "train + val + oos"): _clinc(data, heldout),
    }
    scores: dict[str, Score] = {}
    pooled, pooled_adj = Score(), Score()
    find_agent = Score()
    for name, examples in sets.items():
        score = Score()
        for ex in examples:
            predicted = is_human_requested(ex.text)
            score.add(ex, predicted)
            pooled.add(ex, predicted)
            adj = Example(ex.source, ex.text, adjudicated.get(ex.text, ex.label), ex.note)
            pooled_adj.add(adj, predicted)
            if ex.note == "FindAgent":
                find_agent.add(Example(ex.source, ex.text, True, ex.note), predicted)
        scores[name] = score
    scores["pooled (public labels)"] = pooled
    scores["pooled (adjudicated, see below)"] = pooled_adj
    scores["_find_agent"] = find_agent
    return scores


def _explicit_recall(data: Path, heldout: bool) -> tuple[int, int, list[str]]:
    """Recall on the HINT3 positives we judged to be explicit requests for a person."""
    path = LABELLED / f"hint3_handoff_{'test' if heldout else 'train'}_explicit.tsv"
    if not path.exists():
        return 0, 0, []
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["explicit"] == "1"]
    missed = [r["text"] for r in rows if not is_human_requested(r["text"])]
    return len(rows) - len(missed), len(rows), missed


# --- ai_failures -----------------------------------------------------------------------------


def eval_ai_failures(dialogues: Sequence[dict[str, object]], heldout: bool
                     ) -> tuple[Score, Score | None, int]:
    labelled = Score()
    free_texts: list[tuple[str, str]] = []
    for d in dialogues:
        if _is_heldout(d) != heldout:
            continue
        for i, e in enumerate(d["Events"]):  # type: ignore[arg-type]
            if e["Agent"] != "Wizard" or e["Action"] not in ("pick_suggestion", "utter"):
                continue
            if "ActionLabel" in e:
                ex = Example("star", e["Text"], e["ActionLabel"] == "out_of_scope", e["ActionLabel"])
                labelled.add(ex, is_ai_failure_text(ex.text))
            else:
                free_texts.append((f"{d['DialogueID']}:{i}", e["Text"]))
    path = LABELLED / f"star_wizard_free_text_{'heldout' if heldout else 'dev'}.tsv"
    if not path.exists():
        return labelled, None, len(free_texts)
    with path.open(newline="") as f:
        labels = {r["event"]: r["label"] == "1" for r in csv.DictReader(f, delimiter="\t")}
    free = Score()
    for key, text in free_texts:
        if key in labels:
            free.add(Example("star-free", text, labels[key], key), is_ai_failure_text(text))
    return labelled, free, len(free_texts)


# --- frustration -----------------------------------------------------------------------------


@dataclass
class Dialogue:
    id: int
    label: bool
    user_turns: list[str]
    peak: float = 0.0
    final: float = 0.0


def _frustration_dialogues(dialogues: Iterable[dict[str, object]], heldout: bool
                           ) -> list[Dialogue]:
    out = []
    for d in dialogues:
        if _is_heldout(d) != heldout:
            continue
        answers = [q["Answer"] for q in d["WizardQuestionnaire"]  # type: ignore[attr-defined]
                   if q["Question"].startswith(AGGRESSIVE_Q)]
        if not answers:
            continue
        turns = [e["Text"] for e in d["Events"]  # type: ignore[attr-defined]
                 if e["Agent"] == "User" and e["Action"] == "utter"]
        dia = Dialogue(int(str(d["DialogueID"])), bool(answers[0]), turns)
        # The engine decides after every turn: the dialogue escalates if any prefix reaches
        # the threshold, so the peak over prefixes is what a deployment would act on.
        dia.peak = max((frustration_score(turns[: k + 1]) for k in range(len(turns))),
                       default=0.0)
        dia.final = frustration_score(turns)
        out.append(dia)
    return out


def _at(dialogues: Sequence[Dialogue], threshold: float, key: Callable[[Dialogue], float]
        ) -> Score:
    score = Score()
    for d in dialogues:
        score.add(Example("star", f"#{d.id} {key(d):.2f}: " + " | ".join(d.user_turns)[:300],
                          d.label), key(d) >= threshold)
    return score


def _best_threshold(dialogues: Sequence[Dialogue], key: Callable[[Dialogue], float]) -> float:
    candidates = sorted({key(d) for d in dialogues if key(d) > 0})
    return max(candidates, key=lambda t: (_at(dialogues, t, key).f1, -t), default=1.0)


def roc_auc(dialogues: Sequence[Dialogue], key: Callable[[Dialogue], float]) -> float:
    """Mann-Whitney U / (n_pos * n_neg), ties counted half."""
    pos = [key(d) for d in dialogues if d.label]
    neg = [key(d) for d in dialogues if not d.label]
    if not pos or not neg:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


# --- timings ---------------------------------------------------------------------------------

UTTERANCE = "hi there I was charged twice for my order last week and I would like to know why"
UTTERANCE_ASK = "hi I was charged twice last week so can I please talk to a real person now"
CUSTOMER_TURNS = [
    "Hi, I'm calling about my bill.", "It's account PRO-48213.", "Why was I charged twice?",
    "I already told you the amount, 129 dollars.", "No, that's not right.", "Sarah Okafor.",
    "Yes.", "This is the third time I'm calling about this!", "Can you just fix it?",
    "That doesn't help me at all.", "What?", "I SAID I WANT A REFUND", "ok", "Seriously?",
    "This is ridiculous, I want to cancel.",
]
AI_TURNS = [Turn(Speaker.AI if i % 2 else Speaker.CUSTOMER,
                 "I'm sorry, I didn't quite catch that." if i % 2 else "what?")
            for i in range(20)]


def _us(fn: Callable[[], object], number: int = 20000) -> float:
    runs = timeit.repeat(fn, number=number, repeat=5)
    return min(runs) / number * 1e6


def timings() -> list[tuple[str, float]]:
    return [
        ("is_human_requested, 17-word utterance, no request",
         _us(lambda: is_human_requested(UTTERANCE))),
        ("is_human_requested, 17-word utterance, request",
         _us(lambda: is_human_requested(UTTERANCE_ASK))),
        ("frustration_score, 15 customer turns", _us(lambda: frustration_score(CUSTOMER_TURNS),
                                                      5000)),
        ("is_ai_failure_text, one AI reply",
         _us(lambda: is_ai_failure_text("Your current balance is 4,200 in credit."))),
        ("count_ai_failures, 20 turns, all failing", _us(lambda: count_ai_failures(AI_TURNS),
                                                         5000)),
    ]


# --- report ----------------------------------------------------------------------------------


def _examples(title: str, items: Sequence[Example], limit: int) -> None:
    if not items or limit <= 0:
        return
    print(f"\n{title} ({len(items)}; first {min(limit, len(items))}):")
    for ex in items[:limit]:
        print(f"  - [{ex.source} {ex.note}] {ex.text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("WARMLINE_DATA", "/work/shared/data")))
    parser.add_argument("--examples", choices=["heldout", "dev"], default="heldout",
                        help="which split's false positives/negatives to print")
    parser.add_argument("--limit", type=int, default=8, help="examples per list")
    parser.add_argument("--no-timings", action="store_true")
    parser.add_argument("--dev-only", action="store_true",
                        help="score the dev split alone (while growing the phrase lists)")
    args = parser.parse_args()
    data: Path = args.data
    show_heldout = args.examples == "heldout" and not args.dev_only
    splits = (False,) if args.dev_only else (False, True)
    adjudicated = _adjudicated()
    star = _star(data)

    print("# human_requested (is_human_requested on one utterance)\n")
    for heldout in splits:
        print(f"**{'held-out' if heldout else 'dev (phrase lists grown here; optimistic)'}**\n")
        print(HEADER)
        scores = eval_human(data, heldout, adjudicated)
        fa = scores.pop("_find_agent")
        for name, score in scores.items():
            print(score.row(name))
        hit, total, missed = _explicit_recall(data, heldout)
        if total:
            print(f"\nHINT3 handoff-intent queries judged explicit requests for a person: "
                  f"recall {hit}/{total} = {100 * hit / total:.1f}%")
        print(f"NatCS FindAgent (find a local insurance agent; counted negative): flagged "
              f"{fa.tp} of {fa.tp + fa.fn}")
        if heldout == show_heldout:
            pooled = scores["pooled (public labels)"]
            _examples("False positives", pooled.fps, args.limit)
            _examples("False negatives", pooled.fns, args.limit)
            if missed:
                print("Explicit requests missed: " + "; ".join(repr(m) for m in missed))
        print()

    print("# ai_failures (is_ai_failure_text on STAR bank wizard turns)\n")
    for heldout in splits:
        labelled, free, n_free = eval_ai_failures(star, heldout)
        split = "held-out, odd DialogueID" if heldout else "dev, even DialogueID"
        print(f"**{split}**\n\n{HEADER}")
        print(labelled.row("labelled turns (out_of_scope = positive)"))
        if free is not None:
            print(free.row("free-typed turns, hand-labelled"))
        else:
            print(f"| free-typed turns (unlabelled) | {n_free} | - | - | - | - | - |")
        if heldout == show_heldout:
            _examples("False positives", labelled.fps + (free.fps if free else []), args.limit)
            _examples("False negatives", labelled.fns + (free.fns if free else []), args.limit)
        print()

    print("# frustration (frustration_score over the user's turns of a STAR bank dialogue)\n")
    print("Label: the wizard answered yes to 'Did the user become aggressive or annoyed during the "
          "dialogue?'. Weak: users are crowd workers following scripted instructions.\n")
    dev = _frustration_dialogues(star, heldout=False)
    held = [] if args.dev_only else _frustration_dialogues(star, heldout=True)

    def peak(d: Dialogue) -> float:
        return d.peak

    def final(d: Dialogue) -> float:
        return d.final

    print("| split | score | dialogues (pos) | threshold | precision % | recall % | F1 % | "
          "TP / FP / FN | ROC-AUC |\n|---|---|---|---|---|---|---|---|---|")
    shown: Score | None = None
    for key_name, key in (("peak over turns", peak), ("after last turn", final)):
        best = _best_threshold(dev, key)
        for split_name, ds in (("dev", dev), ("held-out", held))[: len(splits)]:
            auc = roc_auc(ds, key)
            for thr, why in ((POLICY_THRESHOLD, "0.80 (policy)"),
                             (best, f"{best:.2f} (best F1 on dev)")):
                s = _at(ds, thr, key)
                n_pos = sum(d.label for d in ds)
                print(f"| {split_name} | {key_name} | {len(ds)} ({n_pos}) | {why} | "
                      f"{_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} | "
                      f"{s.tp} / {s.fp} / {s.fn} | {auc:.3f} |")
                if key is peak and thr == POLICY_THRESHOLD and (split_name == "held-out") == (
                        show_heldout):
                    shown = s
    if shown is not None:
        _examples("False positives at 0.80 (peak)", shown.fps, args.limit)
        _examples("False negatives at 0.80 (peak)", shown.fns, args.limit)
    last = held or dev
    pos_peaks = [d.peak for d in last if d.label]
    neg_peaks = [d.peak for d in last if not d.label]
    print(f"\n{'held-out' if held else 'dev'} mean peak score: annoyed {statistics.fmean(pos_peaks):.2f}, "
          f"others {statistics.fmean(neg_peaks):.2f}")

    if not args.no_timings:
        print("\n# timings (best of 5, CPython, one core)\n\n| call | µs |\n|---|---|")
        for name, us in timings():
            print(f"| {name} | {us:.1f} |")


if __name__ == "__main__":
    main()
