"""How well the decision understands real customer language, through the real decision path.

    python bench/eval_language.py [--data ../shared/data] [--conversations 150]

Every message goes through `decide` with the bundled `general` policy plus a trigger
`intent == "cancel"` (named `eval-cancel`), as issue 19's table does; a signal "fires" when the
decision carries its reason:

- person: the `human_requested` reason or the `asks-for-a-person` trigger;
- cancel: the `eval-cancel` trigger (the model's reading only, not `text.contains("cancel")`);
- frustration: the decision's `frustration` signal (ROC AUC) and its `frustration` reason.

Sets (see /work/shared/data/README.md; test splits are only reported, never trained on):

  person        HINT3 v2 test rows that ask for a person (bench/signals_labelled, explicit=1),
                the other HINT3 v2 test rows as negatives; NLU++ `handoff` on folds 0-16
  cancel        Banking77 test `terminate_account`; NatCS cancel/close intents (odd-hash half,
                the half no bundled model trains on); HINT3 v2 test `CANCEL_ORDER`; the other
                messages of each set as negatives
  frustration   STAR bank dialogues (odd DialogueID) against the annotators' "aggressive or
                annoyed" flag (peak score over the dialogue); Bitext complaint and offensive (W)
                rows against the other Bitext rows (a sample); MultiDoGO dev turns above 0.80
  conversation  STAR bank dialogues (odd DialogueID) and MultiDoGO dev conversations replayed turn
                by turn: the share escalating on a language reason where the dialogue has none
  names         MultiDoGO dev customer turns whose slot labels hold a name inside a sentence
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warmline.adapters.policy_files import bundled_policy_names, parse_policy_text
from warmline.bootstrap import build_decider
from warmline.core.conversation import parse_conversation
from warmline.core.decision import Decision, ReasonCode
from warmline.core.decision.brief import brief_details
from warmline.service.deciding import Decider

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("WARMLINE_DATA", "/work/shared/data"))
AT = "2026-12-01T10:00:00-05:00"
AGGRESSIVE_Q = "Did the user become aggressive or annoyed"
NATCS_CANCEL = {
    "CancelPlan",
    "CancelAutomaticBilling",
    "CloseBankAccount",
    "CloseAccount",
    "CancelCheck",
}
MULTIDOGO_CANCEL = ("closeaccount", "cancelserviceintent", "stoporder")
PERSON_TRIGGER = "asks-for-a-person"
CANCEL_TRIGGER = "eval-cancel"
FRUSTRATION_LINE = 0.80
EVAL_TRIGGER = f'  - name: {CANCEL_TRIGGER}\n    when: intent == "cancel"\n    queue: retention\n'


def general_with_cancel(*, baseline: bool = False) -> Decider:
    """The bundled `general` policy plus the trigger `intent == "cancel"`; with ``baseline``,
    without the language model (the phrase rules and the intent model alone)."""
    assert "general" in bundled_policy_names()
    text = (Path(__import__("warmline").__file__).parent / "policies" / "general.yaml").read_text(
        encoding="utf-8"
    )
    text = text.replace("queues:", EVAL_TRIGGER + "queues:", 1)
    decider = build_decider(parse_policy_text(text, source="<general+eval-cancel>"))
    return dataclasses.replace(decider, language=None) if baseline else decider


def conversation(texts: Sequence[tuple[str, str]], cid: str = "eval") -> Any:
    return parse_conversation(
        {
            "id": cid,
            "started_at": AT,
            "turns": [{"speaker": who, "text": text, "at": AT} for who, text in texts],
        }
    )


@dataclass
class Fired:
    person: bool
    cancel: bool
    frustration: float
    frustrated: bool
    language: bool  # any reason that reads the customer's words
    kinds: frozenset[str] = frozenset()

    @classmethod
    def of(cls, d: Decision) -> Fired:
        codes = {r.code for r in d.reasons}
        triggers = {r.rule for r in d.reasons if r.code is ReasonCode.TRIGGER}
        person = ReasonCode.HUMAN_REQUESTED in codes or PERSON_TRIGGER in triggers
        cancel = CANCEL_TRIGGER in triggers
        frustrated = ReasonCode.FRUSTRATION in codes
        language = (
            person or frustrated or bool(triggers & {"cancellation", "complaint", CANCEL_TRIGGER})
        )
        kinds = frozenset(
            k
            for k, on in (
                ("person", person),
                ("frustration", frustrated),
                ("cancel", bool(triggers & {"cancellation", CANCEL_TRIGGER})),
                ("complaint", "complaint" in triggers),
            )
            if on
        )
        return cls(person, cancel, float(d.signals["frustration"]), frustrated, language, kinds)


def score(decider: Decider, text: str, memo: dict[str, Fired]) -> Fired:
    got = memo.get(text)
    if got is None:
        got = memo[text] = Fired.of(decider.decide(conversation([("customer", text)])))
    return got


# --- sets ---------------------------------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def hint3_test(data: Path) -> list[tuple[str, str]]:
    rows = []
    for bot in ("sofmattress", "curekart", "powerplay11"):
        for row in _csv(data / "hint3" / "v2" / "test" / f"{bot}_test.csv"):
            rows.append((row["sentence"], row["label"]))
    return rows


def person_sets(data: Path) -> dict[str, list[tuple[str, bool]]]:
    explicit: dict[str, bool] = {}
    with (HERE / "signals_labelled" / "hint3_handoff_test_explicit.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            explicit[row["text"]] = row["explicit"] == "1"
    hint3 = []
    for text, label in hint3_test(data):
        if label in {"CHAT_WITH_AGENT", "CHAT_WITH_AN_AGENT"}:
            if explicit.get(text):
                hint3.append((text, True))
        else:
            hint3.append((text, False))
    return {
        "HINT3 v2 test": hint3,
        "NLU++ folds 0-16 (0-13 trained on)": [
            (row["text"], "handoff" in row.get("intents", [])) for row in nlupp(data)
        ],
        "NLU++ folds 14-16 (not trained on)": [
            (row["text"], "handoff" in row.get("intents", [])) for row in nlupp(data, range(14, 17))
        ],
    }


def nlupp(data: Path, folds: Iterable[int] = range(17)) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for domain in ("banking", "hotels"):
        for fold in folds:
            path = data / "nlupp" / domain / f"fold{fold}.json"
            rows.extend(json.loads(path.read_text(encoding="utf-8")))
    return rows


def natcs_is_even(utterance_id: str) -> bool:
    return hashlib.sha256(utterance_id.encode()).digest()[0] % 2 == 0


def cancel_sets(data: Path) -> dict[str, list[tuple[str, bool]]]:
    banking = [
        (r["text"], r["category"] == "terminate_account")
        for r in _csv(data / "banking77" / "test.csv")
    ]
    natcs = []
    for part in ("development", "test-banking", "test-finance"):
        for line in (data / "natcs_dstc11" / part / "test-utterances.jsonl").open():
            row = json.loads(line)
            if not natcs_is_even(row["utterance_id"]):
                natcs.append((row["utterance"], row["intent"] in NATCS_CANCEL))
    hint3 = [(text, label == "CANCEL_ORDER") for text, label in hint3_test(data)]
    return {"Banking77 test": banking, "NatCS odd half": natcs, "HINT3 v2 test": hint3}


def star(data: Path) -> list[dict[str, Any]]:
    path = data / "star_bank" / "bank_dialogues.jsonl"
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def star_heldout(dialogues: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    out = []
    for d in dialogues:
        if int(d["DialogueID"]) % 2 == 0:
            continue
        answers = [
            q["Answer"]
            for q in d.get("WizardQuestionnaire") or []
            if q["Question"].startswith(AGGRESSIVE_Q)
        ]
        if answers:
            out.append((d, bool(answers[0])))
    return out


def star_turns(d: dict[str, Any]) -> list[tuple[str, str]]:
    turns = []
    for e in d["Events"]:
        if e.get("Action") != "utter" or not e.get("Text"):
            continue
        who = {"User": "customer", "Wizard": "ai"}.get(e["Agent"])
        if who:
            turns.append((who, e["Text"]))
    return turns


#: Bitext intents whose messages rightly escalate: not "ordinary" messages.
BITEXT_ESCALATING = {
    "complaint",
    "cancel_order",
    "delete_account",
    "contact_human_agent",
    "contact_customer_service",
}


def bitext(data: Path, limit: int = 3000) -> list[tuple[str, bool]]:
    rows = _csv(data / "bitext" / "customer_support_llm_a6d3265.csv")
    rows = [r for r in rows if r["intent"] == "complaint" or r["intent"] not in BITEXT_ESCALATING]
    pos = [
        r["instruction"]
        for r in rows
        if r["intent"] == "complaint" or "W" in r.get("flags", r.get("tags", ""))
    ]
    neg = [
        r["instruction"]
        for r in rows
        if r["intent"] != "complaint" and "W" not in r.get("flags", r.get("tags", ""))
    ]
    rng = random.Random(19)
    return [(t, True) for t in rng.sample(pos, min(limit, len(pos)))] + [
        (t, False) for t in rng.sample(neg, min(limit, len(neg)))
    ]


def multidogo_dev(data: Path) -> dict[str, list[dict[str, str]]]:
    convs: dict[str, list[dict[str, str]]] = {}
    for domain in sorted(p.name for p in (data / "multidogo").iterdir() if p.is_dir()):
        with (data / "multidogo" / domain / "dev.tsv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if not (row.get("turnNumber") or "").isdigit() or row.get("intent") is None:
                    continue  # ~1 % of rows are misaligned upstream
                convs.setdefault(f"{domain}/{row['conversationId']}", []).append(row)
    return convs


# --- metrics ------------------------------------------------------------------------------


def roc_auc(scored: Sequence[tuple[float, bool]]) -> float:
    pos = [s for s, y in scored if y]
    neg = [s for s, y in scored if not y]
    if not pos or not neg:
        return float("nan")
    ranked = sorted(scored, key=lambda p: p[0])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += (i + j + 1) / 2 * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def line(name: str, pairs: Sequence[tuple[bool, bool]], misses: list[str] | None = None) -> str:
    tp = sum(1 for p, y in pairs if p and y)
    fp = sum(1 for p, y in pairs if p and not y)
    npos = sum(1 for _, y in pairs if y)
    nneg = len(pairs) - npos
    rec = 100 * tp / npos if npos else float("nan")
    prec = 100 * tp / (tp + fp) if tp + fp else float("nan")
    fpr = 100 * fp / nneg if nneg else float("nan")
    return f"| {name} | {npos} | {nneg} | {rec:.1f} | {prec:.1f} | {fpr:.2f} |"


HEAD = (
    "| set | positives | negatives | recall % | precision % | false alarms % of negatives |\n"
    "|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--conversations",
        type=int,
        default=150,
        help="MultiDoGO dev conversations per domain to replay",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="without the language model (phrase rules)"
    )
    parser.add_argument("--examples", type=int, default=0, help="print up to N misses per set")
    opts = parser.parse_args()
    data: Path = opts.data
    decider = general_with_cancel(baseline=opts.baseline)
    memo: dict[str, Fired] = {}

    print("## Requests for a person (`human_requested` or the `asks-for-a-person` trigger)\n")
    print(HEAD)
    for name, rows in person_sets(data).items():
        fired = [(score(decider, t, memo).person, y) for t, y in rows]
        print(line(name, fired))
        _show(opts.examples, rows, fired)

    print('\n## Cancellation (trigger `intent == "cancel"`)\n')
    print(HEAD)
    for name, rows in cancel_sets(data).items():
        fired = [(score(decider, t, memo).cancel, y) for t, y in rows]
        print(line(name, fired))
        _show(opts.examples, rows, fired)

    held, bt, turns, convs, picked = report_frustration(decider, memo, data, opts.conversations)
    report_conversations(decider, memo, held, bt, turns, convs=convs, picked=picked)
    report_names(decider, convs)


def report_frustration(
    decider: Decider, memo: dict[str, Fired], data: Path, per_domain: int
) -> tuple[Any, ...]:
    print("\n## Frustration\n")
    dialogues = star(data)
    held = star_heldout(dialogues)
    peaks: list[tuple[float, bool]] = []
    star_fired: list[tuple[bool, bool]] = []
    for d, annoyed in held:
        fs = _replay(decider, star_turns(d), str(d["DialogueID"]))
        peaks.append((max((f.frustration for f in fs), default=0.0), annoyed))
        star_fired.append((any(f.frustrated for f in fs), annoyed))
    bt = bitext(data)
    bt_scores = [(score(decider, t, memo).frustration, y) for t, y in bt]
    print("| set | positives | negatives | ROC AUC | recall at 0.80 % | false alarms at 0.80 % |")
    print("|---|---|---|---|---|---|")
    for name, scored in (("STAR odd dialogues (peak)", peaks), ("Bitext complaint/W", bt_scores)):
        at = [(s >= FRUSTRATION_LINE, y) for s, y in scored]
        parts = line(name, at).split(" | ")
        print(
            f"| {name} | {parts[1]} | {parts[2]} | {roc_auc(scored):.3f} | {parts[3]} | {parts[5]}"
        )
    convs = multidogo_dev(data)
    rng = random.Random(19)
    by_domain: dict[str, list[str]] = {}
    for key in convs:
        by_domain.setdefault(key.split("/")[0], []).append(key)
    picked = [
        k for keys in by_domain.values() for k in rng.sample(keys, min(per_domain, len(keys)))
    ]
    turns = [r["utterance"] for k in picked for r in convs[k] if int(r["turnNumber"]) % 2 == 0]
    above = sum(1 for t in turns if score(decider, t, memo).frustration >= FRUSTRATION_LINE)
    print(
        f"\nMultiDoGO dev customer turns (sample of {len(turns)}) scoring ≥ 0.80 alone: "
        f"{100 * above / len(turns):.2f} %"
    )

    return held, bt, turns, convs, picked


def report_conversations(
    decider: Decider,
    memo: dict[str, Fired],
    held: Any,
    bt: Any,
    turns: Any,
    *,
    convs: Any,
    picked: Any,
) -> None:
    print("\n## Per message and per conversation: false escalations on a language reason\n")
    calm = [t for t, y in bt if not y]
    fired_calm = sum(1 for t in calm if score(decider, t, memo).language)
    fired_dogo = sum(1 for t in turns if score(decider, t, memo).language)
    print(
        f"- per message, ordinary Bitext rows: {100 * fired_calm / len(calm):.2f} % "
        f"({fired_calm} of {len(calm)})"
    )
    print(
        f"- per message, MultiDoGO dev customer turns: {100 * fired_dogo / len(turns):.2f} % "
        f"({fired_dogo} of {len(turns)})"
    )
    calm_star = [(d, a) for d, a in held if not a]
    esc, kinds = 0, Counter[str]()
    for d, _ in calm_star:
        fs = _replay(decider, star_turns(d), str(d["DialogueID"]))
        esc += any(f.language for f in fs)
        kinds.update(frozenset().union(*(f.kinds for f in fs)))
    print(
        f"- per conversation, STAR odd dialogues not flagged annoyed: "
        f"{100 * esc / len(calm_star):.1f} % ({esc} of {len(calm_star)}; by reason: "
        f"{_counts(kinds)})"
    )
    plain = [
        k for k in picked if not any(c in r["intent"] for c in MULTIDOGO_CANCEL for r in convs[k])
    ]
    esc, kinds = 0, Counter[str]()
    for k in plain:
        texts = [
            ("customer" if int(r["turnNumber"]) % 2 == 0 else "ai", r["utterance"])
            for r in convs[k]
        ]
        fs = _replay(decider, texts, k)
        esc += any(f.language for f in fs)
        kinds.update(frozenset().union(*(f.kinds for f in fs)))
    print(
        f"- per conversation, MultiDoGO dev with no cancel intent: "
        f"{100 * esc / len(plain):.1f} % ({esc} of {len(plain)}; by reason: {_counts(kinds)})"
    )


def report_names(decider: Decider, convs: dict[str, list[dict[str, str]]]) -> None:
    print("\n## Names (MultiDoGO dev, a name inside a sentence)\n")
    right = total = 0
    for k in sorted(convs):
        for r in convs[k]:
            words, tags = r["utterance"].split(), r["slot-labels"].split()
            if len(words) != len(tags) or "name" not in tags or len(words) < 4:
                continue
            gold = " ".join(w for w, t in zip(words, tags, strict=True) if t == "name").lower()
            conv = conversation([("customer", r["utterance"])])
            got = str(brief_details(conv, decider.policy).get("name", "")).lower()
            total += 1
            right += got == gold
    print(
        f"- the customer's own name given: {100 * right / max(total, 1):.1f} % ({right} of {total})"
    )


def _counts(kinds: Counter[str]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"


def _replay(decider: Decider, texts: Sequence[tuple[str, str]], cid: str) -> list[Fired]:
    out = []
    for i, (who, _) in enumerate(texts):
        if who == "customer":
            out.append(Fired.of(decider.decide(conversation(texts[: i + 1], cid))))
    return out


def _show(limit: int, rows: Sequence[tuple[str, bool]], fired: Sequence[tuple[bool, bool]]) -> None:
    if not limit:
        return
    misses = [t for (t, y), (p, _) in zip(rows, fired, strict=True) if y and not p]
    false = [t for (t, y), (p, _) in zip(rows, fired, strict=True) if p and not y]
    for t in misses[:limit]:
        print(f"    missed: {t[:100]!r}")
    for t in false[:limit]:
        print(f"    false:  {t[:100]!r}")


if __name__ == "__main__":
    main()
