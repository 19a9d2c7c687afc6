"""`warmline db redact` as an operator runs it: text stored raw (before masking on write, or
before the policy's `redact:` list grew) is masked in every table under each tenant's
policy, with counts; `--dry-run` writes nothing; a second run changes nothing; on SQLite the
old text leaves the database file and its WAL too. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from warmline.adapters.storage.migrations import upgrade
from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.tables import metadata
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.handoff import RepStatus
from warmline.testing import FakeClock

CARD = "4111 1111 1111 1111"
SSN = "536-22-1234"
PLAIN = """
version: 1
name: plain
timezone: UTC
defaults: {queue: desk, threshold: 0.5}
signals: {human_requested: true}
queues:
  desk: {skills: [general]}
notify:
  crm: {type: webhook, url: "https://crm.example.com/hooks",
        secret: "whsec_YS0zMi1ieXRlLXNpZ25pbmcta2V5LWZvci10ZXN0cyE=",
        events: [handoff.created, crm.note]}
redact: []
"""
MASKING = PLAIN.replace("redact: []", "redact: [card_number, ssn]")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARMLINE_")}
    return subprocess.run([sys.executable, "-m", "warmline", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False, env=env)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path}/w.db"
    else:
        found = request.getfixturevalue("pg_schema")()
    upgrade(found)
    return found


def seed_raw(url: str, tmp_path: Path) -> None:
    """What an older Warmline (or a policy without `redact:`) left: raw cards and SSNs in a
    conversation, its decision, its handoff (with a rep's note) and its outbox messages."""
    plain = tmp_path / "plain.yaml"
    plain.write_text(PLAIN)
    services = build_services(Settings(db=url, policy=str(plain)), clock=FakeClock())
    try:
        acme = services.tenants.ensure_tenant("acme")
        services.tenants.ensure_tenant("globex")
        services.reps.put(acme, "ann", skills=("general",), status=RepStatus.AVAILABLE)
        said = f"get me a human about my card {CARD}, and my ssn is {SSN}"  # quoted with the card
        decision = services.turns.post_turns(acme, "call-1", {
            "customer": {"id": "cust-1"},
            "turns": [{"id": "t1", "speaker": "customer", "text": said}]})
        assert decision["action"] == "escalate"
        handoff_id = decision["handoff_id"]
        services.handoffs.accept(acme, handoff_id, "ann")
        services.handoffs.hand_back(acme, handoff_id, "ann", f"refunded to card {CARD}")
        services.turns.post_turns(acme, "chat-2", {"turns": [
            {"id": "t1", "speaker": "customer", "text": f"my social is {SSN}"}]})
    finally:
        services.close()


def raw_rows(url: str) -> list[str]:
    """Every stored value that still holds the raw card or SSN."""
    store = SqlStore(url)
    found = []
    try:
        with store.engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    text = " ".join(map(str, row))
                    if CARD in text or SSN in text:
                        found.append(f"{table.name}: {text[:120]}")
    finally:
        store.close()
    return found


def counts(output: str) -> dict[str, tuple[int, int]]:
    """Rows read and rows masked per table, summed over the tenants."""
    found: dict[str, tuple[int, int]] = {}
    for m in re.finditer(r"^  (\w+)\s+([\d,]+) rows\s+([\d,]+) ", output, re.M):
        rows, changed = found.get(m[1], (0, 0))
        found[m[1]] = (rows + int(m[2].replace(",", "")), changed + int(m[3].replace(",", "")))
    return found


def test_db_redact_masks_what_was_stored_raw_once_and_only_once(url: str,
                                                                tmp_path: Path) -> None:
    seed_raw(url, tmp_path)
    raw_before = raw_rows(url)
    assert {r.split(":")[0] for r in raw_before} >= {"conversations", "decisions",
                                                     "handoffs", "outbox"}
    masking = tmp_path / "masking.yaml"
    masking.write_text(MASKING)

    dry = run("db", "redact", "--db", url, "--policy", str(masking), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    assert counts(dry.stdout) == {"conversations": (2, 2), "decisions": (2, 1),
                                  "handoffs": (1, 1), "outbox": (2, 2)}  # "continue" quotes none
    assert raw_rows(url) == raw_before  # a dry run writes nothing

    done = run("db", "redact", "--db", url, "--policy", str(masking), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == counts(dry.stdout)
    assert "conversations: 2 rows read, 2 masked" in done.stderr  # progress on stderr
    assert raw_rows(url) == []
    if url.startswith("sqlite"):
        files = b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))
        assert CARD.encode() not in files
        assert SSN.encode() not in files

    again = run("db", "redact", "--db", url, "--policy", str(masking), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert all(changed == 0 for _rows, changed in counts(again.stdout).values())
    assert set(counts(again.stdout)) == {"conversations", "decisions", "handoffs", "outbox"}


def test_db_redact_keeps_masks_readable_and_ids_as_they_were(url: str, tmp_path: Path) -> None:
    seed_raw(url, tmp_path)
    masking = tmp_path / "masking.yaml"
    masking.write_text(MASKING)
    assert run("db", "redact", "--db", url, "--policy", str(masking), "--tenant", "acme",
               cwd=tmp_path).returncode == 0
    store = SqlStore(url)
    try:
        with store.read() as tx:
            tenant = tx.find_tenant("acme")
            assert tenant is not None
            stored = tx.get_conversation(tenant.id, "call-1")
            assert stored is not None
            (handoff,) = tx.list_handoffs(tenant.id)
    finally:
        store.close()
    assert stored.data["customer"] == {"id": "cust-1"}
    assert stored.data["turns"][0]["text"] == (
        "get me a human about my card [card •••• 1111], and my ssn is [ssn •••-••-1234]")
    assert stored.data["turns"][-1]["text"] == "Rep handed back: refunded to card [card •••• 1111]"
    assert handoff.note == "refunded to card [card •••• 1111]"
    assert "[card •••• 1111]" in handoff.decision["reasons"][0]["detail"]


def test_db_redact_names_a_missing_tenant_and_a_missing_file(tmp_path: Path) -> None:
    missing = run("db", "redact", "--db", f"sqlite:///{tmp_path}/nope.db", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no such database file" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
    url = f"sqlite:///{tmp_path}/w.db"
    upgrade(url)
    unknown = run("db", "redact", "--db", url, "--tenant", "acme", cwd=tmp_path)
    assert unknown.returncode == 1
    assert "no tenant called 'acme'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_db_redact_skips_a_tenant_whose_policy_masks_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/w.db"
    upgrade(url)
    seed_raw(url, tmp_path)
    plain = tmp_path / "plain.yaml"
    result = run("db", "redact", "--db", url, "--policy", str(plain), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "tenant acme: its policy masks nothing" in result.stdout
    assert raw_rows(url)  # left as it was
