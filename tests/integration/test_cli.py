"""The `warmline` command as a user runs it: exit codes, located errors, stdin, replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DENTAL = str(EXAMPLES / "policies" / "acme-dental.yaml")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warmline", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


def test_decide_prints_a_spec_decision() -> None:
    result = run("decide", str(EXAMPLES / "conversations" / "cancellation.json"),
                 "--policy", DENTAL)
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["action"] == "escalate"
    assert decision["destination"]["queue"] == "retention"
    assert decision["reasons"][0] == {
        "code": "trigger", "rule": "cancellation",
        "detail": decision["reasons"][0]["detail"]}
    assert decision["brief"]["whisper"]


def test_decide_reads_stdin() -> None:
    text = (EXAMPLES / "conversations" / "appointment-lookup.json").read_text()
    result = run("decide", "-", "--policy", DENTAL, stdin=text)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["action"] == "continue"


def test_invalid_conversation_exits_1_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "turns": [
        {"speaker": "bot", "text": "hi", "at": "2026-11-24T10:00:00"}]}))
    result = run("decide", str(bad))
    assert result.returncode == 1
    assert "$.turns[0].speaker" in result.stderr
    assert "$.turns[0].at" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x",\n  "turns": [}\n')
    result = run("decide", str(bad))
    assert result.returncode == 1
    assert f"{bad}:2:" in result.stderr


def test_missing_file_and_usage_errors_use_exit_codes() -> None:
    assert run("decide", "no-such.json").returncode == 1
    assert run("decide").returncode == 2
    assert run("no-such-command").returncode == 2


def test_policy_check_passes_good_policies_and_lists_every_problem() -> None:
    ok = run("policy", "check", DENTAL, "saas", "healthcare")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("ok:") == 3
    bad = run("policy", "check", str(EXAMPLES / "policies" / "broken.yaml"))
    assert bad.returncode == 1
    for fragment in ("America/Chicgo", "threshold", "cost_of_wrong_answer", "intnet",
                     "rule 'hot-lead'", "unknown queue 'sales'", "&&"):
        assert fragment in bad.stderr, fragment
    assert "broken.yaml:11:11:" in bad.stderr  # the `intnet` rule: line and column


def test_brief_prints_the_brief_even_without_a_handoff() -> None:
    result = run("brief", str(EXAMPLES / "conversations" / "appointment-lookup.json"),
                 "--policy", DENTAL)
    assert result.returncode == 0, result.stderr
    brief = json.loads(result.stdout)
    assert set(brief) >= {"summary", "whisper", "details", "attempted"}
    assert brief["attempted"][0]["name"] == "lookup_appointment"


def test_replay_streams_decisions_and_summarises(tmp_path: Path) -> None:
    lines = [json.loads((EXAMPLES / "conversations" / name).read_text())
             for name in ("cancellation.json", "appointment-lookup.json", "frustrated.json")]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    out = tmp_path / "out.jsonl"
    result = run("replay", str(src), "--policy", DENTAL, "--out", str(out), "--quiet")
    assert result.returncode == 1  # one bad line
    assert f"{src}:4" in result.stderr
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == 4
    assert [r.get("action") for r in records[:3]] == ["escalate", "continue", "escalate"]
    assert records[3]["line"] == 4
    assert "escalation rate by reason code" in result.stdout
    assert "3 conversations, 2 handed off" in result.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in (EXAMPLES / "conversations").glob(
    "*.json")))
def test_every_example_conversation_decides(name: str) -> None:
    result = run("decide", str(EXAMPLES / "conversations" / name), "--policy", DENTAL)
    assert result.returncode == 0, result.stderr
