"""SQLite's WAL is copied into the database by `SqlStore.checkpoint` (run by the server in
the background every second), not by a committing request."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import warmline.web.app as web_app
from warmline.adapters.storage.migrations import upgrade
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import build_services
from warmline.config import Settings


def _names_in_file_alone(db: Path, copy: Path) -> set[str]:
    """The tenant names a copy of the database file holds without its WAL."""
    shutil.copyfile(db, copy)
    with sqlite3.connect(copy) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM tenants")}


def test_commits_stay_in_the_wal_until_the_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    upgrade(f"sqlite:///{db}")
    store = SqlStore(f"sqlite:///{db}")
    try:
        services = build_services(Settings(db=f"sqlite:///{db}"), store=store)
        services.tenants.ensure_tenant("acme")
        assert "acme" not in _names_in_file_alone(db, tmp_path / "before.db")
        store.checkpoint()
        assert "acme" in _names_in_file_alone(db, tmp_path / "after.db")
    finally:
        store.close()


def test_the_server_checkpoints_in_the_background(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    services = build_services(Settings(db=f"sqlite:///{db}"))
    calls: list[float] = []
    monkeypatch.setattr(services.store, "checkpoint", lambda: calls.append(time.monotonic()))
    monkeypatch.setattr(web_app, "CHECKPOINT_SECONDS", 0.01)
    try:
        with TestClient(web_app.create_app(services)):
            deadline = time.monotonic() + 5
            while len(calls) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        services.close()
    assert len(calls) >= 3
