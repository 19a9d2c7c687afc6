"""Desk password hashes: scrypt at OWASP's cost by default, older hashes re-hashed at the
next good login."""

from __future__ import annotations

import base64
import hashlib

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.errors import AuthError
from warmline.core.handoff import Role
from warmline.service.passwords import hash_password, needs_rehash, verify_password
from warmline.service.ports import User


def legacy_hash(password: str) -> str:
    """A hash as Warmline stored them before costs were named: N=2^14, r=8, p=1."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_the_production_default_is_owasps_scrypt_cost(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.delenv("WARMLINE_PASSWORD_LOG_N")  # the test suite's cheaper cost
    assert Settings().password_log_n == 17
    stored = hash_password("correct-horse-9")  # the function's own default too
    assert stored.startswith("scrypt$ln=17,r=8,p=1$")
    assert verify_password("correct-horse-9", stored)
    assert not verify_password("correct-horse-8", stored)
    assert not needs_rehash(stored)


def test_an_older_cheaper_hash_verifies_and_needs_rehashing() -> None:
    old = legacy_hash("correct-horse-9")
    assert verify_password("correct-horse-9", old)
    assert not verify_password("wrong-horse-9", old)
    assert needs_rehash(old)
    assert needs_rehash(hash_password("x" * 8, 10))


@pytest.mark.parametrize("stored", ["", "md5$abc$def", "scrypt$ln=30,r=8,p=1$AA==$AA==",
                                    "scrypt$ln=10,r=1,p=1$AA==$AA==", "scrypt$ln=x$AA==$AA=="],
                         ids=["empty", "other-scheme", "huge-cost", "other-r", "garbled"])
def test_a_hash_we_did_not_make_never_verifies(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_a_good_login_rehashes_an_older_hash_and_a_bad_one_does_not() -> None:
    services = build_services(Settings(db="memory:"), store=InMemoryStore())
    tenant = services.tenants.ensure_tenant("acme")
    old = legacy_hash("correct-horse-9")
    with services.store.transaction() as tx:
        tx.add_user(User(id="u-1", tenant_id=tenant.id, username="dana", password_hash=old,
                         role=Role.REP))
    with pytest.raises(AuthError):
        services.tenants.login("acme", "dana", "wrong-horse-9")
    with services.store.read() as tx:
        assert tx.get_user(tenant.id, "u-1").password_hash == old  # type: ignore[union-attr]
    user = services.tenants.login("acme", "dana", "correct-horse-9")
    with services.store.read() as tx:
        stored = tx.get_user(tenant.id, "u-1").password_hash  # type: ignore[union-attr]
    assert stored == user.password_hash
    assert stored.startswith(f"scrypt$ln={services.settings.password_log_n},r=8,p=1$")
    assert services.tenants.login("acme", "dana", "correct-horse-9").session_version == 0
