"""`warmline serve`, `db upgrade` and `keys create` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from warmline.adapters.storage.sql import SqlStore
from warmline.service.tenants import hash_key


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warmline", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60, check=False)


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_postgresql_and_says_what_to_run(
        pg_schema: Callable[[], str], tmp_path: Path) -> None:
    url = pg_schema()
    refused = run("serve", "--db", url, "--port", "1", cwd=tmp_path)
    assert refused.returncode == 1
    assert "warmline db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr
    upgraded = run("db", "upgrade", "--db", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    key = run("keys", "create", "--tenant", "acme", "--db", url, cwd=tmp_path)
    assert key.returncode == 0, key.stderr
    assert key.stdout.count("\n") == 1  # the key alone on stdout


def test_keys_create_migrates_sqlite_and_stores_only_a_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/w.db"
    result = run("keys", "create", "--tenant", "acme", "--db", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("wl_")
    assert len(key) > 40
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))  # with the WAL file
    assert hash_key(key).encode() in raw or b"api_keys" in raw
    assert key.encode() not in raw
    store = SqlStore(url)
    with store.transaction() as tx:
        record = tx.find_api_key(hash_key(key))
    store.close()
    assert record is not None


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = run("keys", "create", "--tenant", "acme", "--db", "mysql://x", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


FROZEN_AT_START = """
import gc, sys, uvicorn
def report(app, **_):
    print(gc.get_freeze_count(), len(gc.get_objects()))
uvicorn.run = report
if sys.argv[1] == "factory":
    from warmline.web.factory import create_app_from_env
    report(create_app_from_env())
else:
    from warmline.cli import main
    sys.argv = ["warmline", "serve", "--db", sys.argv[2], "--port", "1"]
    main()
"""


@pytest.mark.parametrize("how", ["serve", "factory"])
def test_a_serving_process_moves_its_start_up_heap_out_of_the_collectors_reach(
        how: str, tmp_path: Path) -> None:
    """One worker (`serve`) or several (`factory`, once per worker): otherwise every full
    collection walks the ~145,000 objects built at start and stalls requests ~75 ms."""
    url = f"sqlite:///{tmp_path}/w.db"
    done = subprocess.run([sys.executable, "-c", FROZEN_AT_START, how, url], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, check=False,
                          env={**os.environ, "WARMLINE_DB": url})
    assert done.returncode == 0, done.stderr
    frozen, tracked = map(int, done.stdout.split()[-2:])
    assert frozen > 50_000
    assert tracked < frozen / 10
