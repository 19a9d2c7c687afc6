"""`warmline intents train` and `predict`, run as a user runs them (exit codes included)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from warmline.adapters.intent_files import read_model_file
from warmline.cli.console import run
from warmline.cli.intents import intents_app

ROWS = {
    "cancel": ["cancel my plan", "I want to cancel", "close my account", "stop my membership",
               "cancel the subscription", "terminate my contract"],
    "billing": ["why is my bill high", "I was charged twice", "refund the fee",
                "question about my invoice", "how much do I owe", "wrong charge on my card"],
    "oos": ["hello", "what's the weather", "tell me a joke", "thanks", "who are you",
            "play music"],
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    lines = ["text,label,question_type"]
    for label, texts in ROWS.items():
        lines += [f"{text},{label},{'billing' if label == 'billing' else ''}" for text in texts]
    return write(tmp_path / "data.csv", "\n".join(lines) + "\n")


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str | Path) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["warmline-intents", *map(str, args)])
    code = run(intents_app)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_writes_a_model_and_summarises_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    data_csv: Path, tmp_path: Path,
) -> None:
    out = tmp_path / "model.npz"
    code, stdout, _ = cli(monkeypatch, capsys, "train", data_csv, "--out", out,
                          "--source", "hand-written, Apache-2.0")
    assert code == 0
    model, card = read_model_file(out)
    assert model.labels == ("billing", "cancel", "oos")
    assert model.question_types == {"billing": "billing"}
    assert card.rows == 18
    assert card.label_counts == {"billing": 6, "cancel": 6, "oos": 6}
    assert card.sources == ({"attribution": "hand-written, Apache-2.0"},)
    assert card.options["c"] == 20.0
    assert "OOS threshold" in stdout
    assert "18 rows, 3 labels" in stdout


def test_predict_adds_label_and_confidence_to_every_row(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    data_csv: Path, tmp_path: Path,
) -> None:
    model = tmp_path / "model.npz"
    assert cli(monkeypatch, capsys, "train", data_csv, "-o", model, "--oos-threshold", "0")[0] == 0
    given = write(tmp_path / "in.csv", 'id,text\n1,please cancel my plan\n2,"refund, now"\n3,\n')
    code, stdout, _ = cli(monkeypatch, capsys, "predict", model, given)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert list(rows[0]) == ["id", "text", "label", "confidence"]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["label"] == "cancel"
    assert rows[1]["label"] == "billing"
    assert all(0.0 <= float(r["confidence"]) <= 1.0 for r in rows)


def test_predict_writes_to_a_file_when_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    data_csv: Path, tmp_path: Path,
) -> None:
    model = tmp_path / "model.npz"
    cli(monkeypatch, capsys, "train", data_csv, "--out", model)
    out = tmp_path / "out.csv"
    code, stdout, stderr = cli(monkeypatch, capsys, "predict", model,
                               write(tmp_path / "in.csv", "text\ncancel it\n"), "--out", out)
    assert code == 0
    assert stdout == ""
    assert "wrote 1 rows" in stderr
    assert out.read_text(encoding="utf-8").startswith("text,label,confidence\ncancel it,")


@pytest.mark.parametrize(("content", "located"), [
    ("words,label\nhi,oos\n", "data.csv:1: has no 'text' column"),
    ("text,label\nhi,oos\nbye,\n", "data.csv:3: column 'label': is empty"),
    ("text,label\nhi,oos\n\"a, b\",oos,extra\n", "data.csv:3: has 3 fields; the header has 2"),
    ("text,label\nhi,oos\n\"two\nlines\",\n", "data.csv:3: column 'label': is empty"),
    ("", "data.csv:1: is empty; expected a header"),
    ("text,label\n", "data.csv:2: has a header but no rows"),
    ("text,text,label\na,b,c\n", "data.csv:1: names the column 'text' twice"),
    ("text,label,question_type\npay,billing,billing\nhi,oos,\nfee,billing,faq\n",
     "data.csv:4: column 'question_type': label 'billing' has question type 'faq' here but "
     "'billing' on line 2"),
], ids=["no-text-column", "empty-label", "extra-field", "multiline-field", "empty-file",
        "no-rows", "duplicate-column", "two-question-types"])
def test_a_bad_training_csv_is_located_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path, content: str, located: str,
) -> None:
    data = write(tmp_path / "data.csv", content)
    code, _, stderr = cli(monkeypatch, capsys, "train", data, "--out", tmp_path / "m.npz")
    assert code == 1
    assert located in stderr
    assert not (tmp_path / "m.npz").exists()


def test_a_csv_that_is_not_utf8_names_its_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(b"text,label\nhi,oos\ncaf\xe9,oos\n")
    code, _, stderr = cli(monkeypatch, capsys, "train", data, "--out", tmp_path / "m.npz")
    assert code == 1
    assert "data.csv:3: is not UTF-8 text" in stderr


def test_a_single_label_is_invalid_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    data = write(tmp_path / "data.csv", "text,label\nhi,oos\nbye,oos\n")
    code, _, stderr = cli(monkeypatch, capsys, "train", data, "--out", tmp_path / "m.npz")
    assert code == 1
    assert "at least two distinct labels" in stderr


def test_predict_with_the_bundled_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    given = write(tmp_path / "in.csv", "text\nI want to cancel my subscription\n"
                  "can I talk to a real person\nwhat time is it in tokyo\n")
    code, stdout, _ = cli(monkeypatch, capsys, "predict", "bundled", given)
    assert code == 0
    labels = [r["label"] for r in csv.DictReader(io.StringIO(stdout))]
    assert labels == ["cancel", "talk-to-human", "oos"]


def test_predict_with_a_missing_model_or_input_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    data_csv: Path, tmp_path: Path,
) -> None:
    code, _, stderr = cli(monkeypatch, capsys, "predict", tmp_path / "none.npz", data_csv)
    assert code == 1
    assert "none.npz: no such intent model file" in stderr
    model = tmp_path / "model.npz"
    cli(monkeypatch, capsys, "train", data_csv, "--out", model)
    code, _, stderr = cli(monkeypatch, capsys, "predict", model, tmp_path / "absent.csv")
    assert code == 1
    assert "absent.csv: no such file" in stderr


def test_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data_csv: Path,
) -> None:
    assert cli(monkeypatch, capsys, "train", data_csv)[0] == 2  # no --out
    assert cli(monkeypatch, capsys, "train", data_csv, "--out", "m.npz",
               "--oos-threshold", "2")[0] == 2
