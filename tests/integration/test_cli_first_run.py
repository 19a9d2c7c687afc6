"""What a new user trips over on the command line: empty policies, text with brackets that
Rich would read as markup, reading commands that must not create a database, unknown option
values, and the calibration verdict. In process (fast): `console.run` is what `main` runs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from rich.console import Console

from warmline.cli import app
from warmline.cli.calibrate import show
from warmline.cli.console import run
from warmline.core.analytics.estimate import Mean

ROOT = Path(__file__).resolve().parents[2]
CANCELLATION = str(ROOT / "examples" / "conversations" / "cancellation.json")
POLICY = """\
version: 1
name: shop
timezone: UTC
defaults: {queue: desk, threshold: 0.6, cost_of_escalation: 6.00}
question_types:
  billing: {cost_of_wrong_answer: 30.00}
queues:
  desk: {}
"""


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
        ) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["warmline", *args])
    code = run(app)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def flat(text: str) -> str:
    return " ".join(text.split())


# --- empty policies ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# a policy, one day\n"], ids=["empty", "comment-only"])
@pytest.mark.parametrize("command", ["check", "decide"])
def test_an_empty_policy_is_a_located_problem_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        text: str, command: str) -> None:
    policy = tmp_path / "empty.yaml"
    policy.write_text(text)
    args = (["policy", "check", str(policy)] if command == "check"
            else ["decide", CANCELLATION, "--policy", str(policy)])
    code, _, err = cli(monkeypatch, capsys, *args)
    assert code == 1
    assert err.strip() == (f"error: {policy}:1: the policy is empty: expected a mapping with "
                           "at least `name:` (see docs/policy.md)")


# --- brackets are printed as written ----------------------------------------------------


def test_a_missing_extra_names_it_whole(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("text,label\n" + "".join(
        f"{t} {i},{label}\n" for i in range(6) for t, label in
        [("cancel my plan", "cancel"), ("a human please", "human"), ("what's the weather", "oos")]))
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn -> ImportError
    code, _, err = cli(monkeypatch, capsys, "intents", "train", str(data), "--out",
                       str(tmp_path / "m.npz"))
    assert code == 1
    assert "pip install 'warmline[train]'" in err


def test_the_plot_extra_is_named_whole(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "h.csv").write_text("question_type,confidence,correct\n"
                                    + "billing,0.5,true\nbilling,0.9,false\n" * 5)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = cli(monkeypatch, capsys, "calibrate", str(tmp_path / "h.csv"), "--policy",
                       str(tmp_path / "p.yaml"), "--plot", str(tmp_path / "c.png"))
    assert code == 1
    assert "pip install 'warmline[plot]'" in err


def test_a_file_name_with_brackets_is_shown_as_written(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(monkeypatch, capsys, "decide", "calls/[bold]today.json")
    assert code == 1
    assert "calls/[bold]today.json: no such file" in err


def test_customer_text_in_an_error_is_shown_as_written(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    conv = tmp_path / "c.json"
    conv.write_text(json.dumps({"id": "c", "turns": [{"speaker": "[red]bot", "text": "hi"}]}))
    code, _, err = cli(monkeypatch, capsys, "decide", str(conv))
    assert code == 1
    assert "got string '[red]bot'" in err


def test_policy_text_in_an_error_is_shown_as_written(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY + "triggers:\n  - {name: t, when: 'text == \"[b]x\" &&', "
                      "queue: desk}\n")
    code, _, err = cli(monkeypatch, capsys, "policy", "check", str(policy))
    assert code == 1
    assert '[b]x' in err


def test_replay_tables_show_names_as_written(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    lines = tmp_path / "c.jsonl"
    lines.write_text(json.dumps({"id": "c", "turns": [
        {"speaker": "customer", "text": "hi", "at": "2026-11-24T10:00:00Z"},
        {"speaker": "ai", "text": "ok", "question_type": "[bold]billing", "confidence": 0.2,
         "at": "2026-11-24T10:00:05Z"}]}) + "\n")
    code, out, _ = cli(monkeypatch, capsys, "replay", str(lines), "--out",
                       str(tmp_path / "d.jsonl"), "--quiet", "--workers", "1")
    assert code == 0
    assert "[bold]billing" in out


def test_calibrate_tables_show_question_types_as_written(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per row
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "h.csv").write_text("question_type,confidence,correct\n"
                                    + "[red]refunds,0.5,true\n[red]refunds,0.9,false\n" * 5)
    code, out, _ = cli(monkeypatch, capsys, "calibrate", str(tmp_path / "h.csv"), "--policy",
                       str(tmp_path / "p.yaml"))
    assert code == 0, out
    assert "[red]refunds" in out


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command under `command` (Typer vendors its own click: duck-typed)."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


def test_every_help_text_with_brackets_is_shown_whole(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = typer.main.get_command(app)
    checked = 0
    for path, command in _commands(root):
        texts = [p.help for p in command.params if getattr(p, "help", None)]
        bracketed = [t for t in texts if re.search(r"\[[a-z#/@]", t)]
        if not bracketed:
            continue
        code, out, _ = cli(monkeypatch, capsys, *path, "--help")
        assert code == 0
        for text in bracketed:
            assert flat(text) in flat(out), (path, text)
            checked += 1
    assert checked >= 5  # roi's [default ...; measured with --db], calibrate's warmline[plot]


# --- option values ----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    (["roi", "--platform", "vapy"], "unknown platform 'vapy'; did you mean 'vapi'? (one of: "
                                    "retell, vapi, bland, synthflow, gohighlevel)"),
    (["roi", "--format", "xml"], "unknown format 'xml' (one of: table, json)"),
    (["report", "--format", "jsn"], "unknown format 'jsn'; did you mean 'json'? (one of: "
                                    "table, json, csv)"),
], ids=["platform", "roi-format", "report-format"])
def test_an_unknown_option_value_lists_the_valid_ones(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        args: list[str], expected: str) -> None:
    code, _, err = cli(monkeypatch, capsys, *args)
    assert code == 2
    assert expected in flat(err)
    assert "Value error" not in err


def test_a_misspelt_bundled_policy_suggests_it(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(monkeypatch, capsys, "decide", CANCELLATION, "--policy", "sass")
    assert code == 1
    assert "did you mean the bundled 'saas'?" in err


# --- reading commands never create a database --------------------------------------------


@pytest.mark.parametrize("args", [
    ["report"], ["experiment", "report"], ["calibrate", "--from-db"], ["roi", "--tenant", "x"],
], ids=["report", "experiment-report", "calibrate-from-db", "roi-db"])
def test_a_reading_command_does_not_create_the_database(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        args: list[str]) -> None:
    missing = tmp_path / "typo.db"
    code, _, err = cli(monkeypatch, capsys, *args, "--db", f"sqlite:///{missing}")
    assert code == 1
    assert f"{missing}: no such database file" in err
    assert not missing.exists()


# --- the calibration verdict follows the interval ---------------------------------------


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (120.0, 900.0, "per-type is cheaper"),
    (-11_514.0, -1_653.0, "per-type costs more than the best single global threshold"),
    (-50.0, 400.0, "no difference the data can tell apart yet"),
], ids=["above-zero", "below-zero", "spans-zero"])
def test_the_saving_verdict_follows_its_interval(capsys: pytest.CaptureFixture[str],
                                                 low: float, high: float, verdict: str) -> None:
    cost = Mean(n=10, mean=1_000.0, low=900.0, high=1_100.0)
    result = SimpleNamespace(question_types={}, global_cost=cost, per_type_cost=cost,
                             saving=Mean(n=10, mean=(low + high) / 2, low=low, high=high),
                             n=10, global_threshold=0.6)
    show(result, Console(highlight=False))  # type: ignore[arg-type]  # the fields show() reads
    out = flat(capsys.readouterr().out)
    assert f"(paired bootstrap, 95 %): {verdict}." in out


def test_a_policy_warning_shows_the_url_as_written(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY + "notify:\n  crm: {type: webhook, url: "
                      "'https://crm.example.com/[in]/${HOOK_TOKEN}'}\n")
    code, _, err = cli(monkeypatch, capsys, "policy", "check", str(policy))
    assert code == 0, err
    assert "warning: " in err
    assert "https://crm.example.com/[in]/${HOOK_TOKEN} is not set" in err
