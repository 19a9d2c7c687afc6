"""SPEC §2 pinned: golden decisions for every example conversation (ignoring `latency_ms`),
and the decision's shape for every action.

Regenerate after an intended change with `WARMLINE_REGEN_GOLDEN=1 pytest tests/contract`,
then read the diff: each golden file is a claim about behaviour."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from warmline.bootstrap import build_decider
from warmline.core.conversation import parse_conversation

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
CONVERSATIONS = sorted((ROOT / "examples" / "conversations").glob("*.json"))
POLICY = ROOT / "examples" / "policies" / "acme-dental.yaml"
REASON_CODES = {"trigger", "low_confidence", "human_requested", "frustration", "ai_failure_loop"}


def decision_for(path: Path) -> dict[str, Any]:
    conv = parse_conversation(json.loads(path.read_text()), source=str(path))
    data = build_decider(POLICY).decide(conv).to_dict()
    data.pop("latency_ms")
    return data


@pytest.mark.parametrize("path", CONVERSATIONS, ids=lambda p: p.stem)
def test_decision_matches_golden(path: Path) -> None:
    actual = decision_for(path)
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("WARMLINE_REGEN_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(golden.read_text())


@pytest.mark.parametrize("path", CONVERSATIONS, ids=lambda p: p.stem)
def test_decision_has_the_spec_shape(path: Path) -> None:
    d = decision_for(path)
    assert d["conversation_id"] == json.loads(path.read_text())["id"]
    assert d["action"] in {"continue", "escalate", "hold", "callback"}
    assert all(r["code"] in REASON_CODES and r["rule"] and r["detail"] for r in d["reasons"])
    if d["action"] == "continue":
        assert d["reasons"] == []
        assert "destination" not in d
        return
    assert d["mode"] in {"warm", "cold"}
    assert d["reasons"]
    assert d["destination"]["type"] in {"queue", "agent", "phone"}
    assert isinstance(d["priority"], int)
    assert isinstance(d["tags"], list)
    assert isinstance(d["say_to_customer"], str)
    assert d["say_to_customer"]
    if d["mode"] == "warm":
        brief = d["brief"]
        assert len(brief["summary"].splitlines()) <= 3
        assert len(brief["whisper"].split()) <= 20
