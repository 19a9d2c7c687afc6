"""Evaluation: do decisions change when a conversation is masked before it is decided on (as a
server stores it, `core.decision.masking`)? Each example and labelled conversation is decided
raw and masked, under the bundled redact lists and under every kind; prints how many
conversations had text masked and how many decisions, signals and briefs differ.

    python bench/eval_masked_decisions.py [--show]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warmline.adapters.policy_files import load_policy
from warmline.bootstrap import build_decider
from warmline.core.conversation import parse_conversation
from warmline.core.decision.masking import masker_for
from warmline.core.language.redaction import KINDS
from warmline.core.policy.model import Policy

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 24, 16, tzinfo=UTC)  # for conversations that carry no time
DECIDES = ("action", "mode", "destination", "priority", "tags")


def conversations() -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in
             sorted((ROOT / "examples" / "conversations").glob("*.json"))]
    found += [json.loads(p.read_text()) for p in
              sorted((ROOT / "tests" / "data" / "briefs").glob("conv-*.json"))]
    lines = (ROOT / "tests" / "data" / "entities_dev" / "conversations.jsonl").read_text()
    found += [json.loads(line) for line in lines.splitlines() if line.strip()]
    # The labelled sets carry their own region and zone for the extractor: not SPEC fields.
    return [{k: v for k, v in c.items() if k not in ("region", "timezone", "zone")}
            for c in found]


def compare(name: str, policy: Policy, convs: list[dict[str, Any]], *, show: bool) -> None:
    decider = build_decider(policy)
    masked_text = decisions = signals = briefs = 0
    for conv in convs:
        masker = masker_for(policy, conv.get("customer"))
        assert masker is not None
        masked = masker.conversation(conv)
        masked_text += masked != conv
        raw = decider.decide(parse_conversation(conv), now=NOW).to_dict()
        out = decider.decide(parse_conversation(dict(masked)), now=NOW).to_dict()
        codes = [[r["code"] for r in d.get("reasons", [])] for d in (raw, out)]
        if any(raw.get(k) != out.get(k) for k in DECIDES) or codes[0] != codes[1]:
            decisions += 1
            if show:
                print(f"  {conv['id']}: decision {raw['action']} -> {out['action']}")
        if raw["signals"] != out["signals"]:
            signals += 1
            if show:
                print(f"  {conv['id']}: intent {raw['signals']['intent']} -> "
                      f"{out['signals']['intent']}")
        briefs += raw.get("brief") != out.get("brief")
    print(f"{name}: {len(convs)} conversations, {masked_text} with text masked; "
          f"decisions changed {decisions}, signals {signals}, briefs {briefs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list each difference")
    args = parser.parse_args()
    convs = conversations()
    base = load_policy(ROOT / "examples" / "policies" / "acme-dental.yaml")
    for name, policy in (("card_number, ssn, date_of_birth (acme-dental)", base),
                         ("finance's list", replace(base, redact=load_policy("finance").redact)),
                         ("every kind", replace(base, redact=frozenset(KINDS)))):
        compare(name, policy, convs, show=args.show)


if __name__ == "__main__":
    main()
