"""The examples in README.md and docs/cli.md run, so they cannot drift from the code.

A fenced block right after `<!-- doc-test -->` is run (in a scratch folder that sees the
repository's `examples/`):
- bash: each line with the installed `warmline`; every one must exit 0;
- a block starting with `$ `: that command, then the lines shown must appear in its output
  in order (`...` skips lines; a line ending in ` ...` is a prefix); `<!-- doc-test: exit N -->`
  sets the exit status it must have;
- json: every key and value shown must be in the JSON the block before it printed;
- python: run as a script.
Long-running commands (`serve`, `demo`) and ones that need a database are left unmarked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/cli.md"]
MARK = re.compile(r"^<!-- doc-test(?:: exit (\d+))? -->\n```(\w*)\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    kind: str
    body: str
    exit_code: int


def _examples(doc: str) -> list[Example]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    return [Example(doc, text.count("\n", 0, m.start()) + 2, m[2] or "text", m[3],
                    int(m[1] or 0)) for m in MARK.finditer(text)]


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _contains(shown: Any, real: Any, where: str = "$") -> None:
    """Every key and value of `shown` is in `real` (lists: same length, item by item)."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), where
        for key, value in shown.items():
            assert key in real, f"{where}.{key} is not in the output"
            _contains(value, real[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(real, list), where
        assert len(real) == len(shown), where
        for i, (a, b) in enumerate(zip(shown, real, strict=True)):
            _contains(a, b, f"{where}[{i}]")
    else:
        assert shown == real, f"{where}: the doc shows {shown!r}, the command prints {real!r}"


def _lines_in_order(shown: list[str], real: list[str]) -> None:
    at = 0
    for line in shown:
        if line == "...":
            continue
        prefix = line.endswith(" ...")
        want = line.removesuffix(" ...")
        while at < len(real) and not (real[at].startswith(want) if prefix else real[at] == want):
            at += 1
        assert at < len(real), f"not in the output (in order): {line!r}\n" + "\n".join(real)
        at += 1


ALL = [e for doc in DOCS for e in _examples(doc)]


def test_the_docs_mark_their_runnable_examples() -> None:
    kinds = {(e.doc, e.kind) for e in ALL}
    assert {("README.md", "bash"), ("README.md", "json"), ("README.md", "python"),
            ("docs/cli.md", "bash"), ("docs/cli.md", "text")} <= kinds


@pytest.mark.parametrize("doc", DOCS)
def test_each_doc_runs_as_shown(doc: str, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    last_stdout = ""
    for example in [e for e in ALL if e.doc == doc]:
        where = f"{doc}:{example.line}"
        if example.kind == "json":
            _contains(json.loads(example.body), json.loads(last_stdout), where)
            continue
        if example.kind == "python":
            result = subprocess.run([sys.executable, "-c", example.body], cwd=tmp_path,
                                    capture_output=True, text=True, timeout=120, check=False)
            assert result.returncode == 0, f"{where}: {result.stderr}"
            continue
        lines = example.body.splitlines()
        if lines and lines[0].startswith("$ "):
            result = _shell(lines[0][2:] + " 2>&1", tmp_path)
            assert result.returncode == example.exit_code, f"{where}: {result.stdout}"
            _lines_in_order(lines[1:], result.stdout.splitlines())
            continue
        for command in lines:
            if command.strip() and not command.lstrip().startswith("#"):
                result = _shell(command, tmp_path)
                assert result.returncode == example.exit_code, (
                    f"{where}: {command}\n{result.stderr}")
                last_stdout = result.stdout
