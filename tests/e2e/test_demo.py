"""`warmline demo` as the README runs it: it serves, prints the desk and its logins, and the
simulated agents produce handoffs that reach the database — then it stops by itself."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_the_desk_and_produces_handoffs(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "warmline", "demo", "--db", f"sqlite:///{tmp_path}/demo.db",
         "--port", str(port), "--duration", "12", "--pace", "0.3"],
        capture_output=True, text=True, timeout=90, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"http://127.0.0.1:{port}/desk" in result.stdout
    assert "password: warmline-demo" in result.stdout
    summary = re.search(r"demo stopped: (\d+) conversations, (\d+) turns, (\d+) handoffs",
                        result.stdout)
    assert summary is not None, result.stdout
    conversations, turns, handoffs = map(int, summary.groups())
    assert conversations >= 3
    assert turns > conversations
    assert 1 <= handoffs <= conversations
