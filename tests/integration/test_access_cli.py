"""`warmline keys list|revoke` and `warmline users add|list|remove|passwd` as an operator
runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import build_services
from warmline.cli import app
from warmline.config import Settings
from warmline.core.errors import AuthError, WarmlineError

runner = CliRunner()


def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Exit code, stdout and stderr, in process; a Warmline error is exit 1 with its
    message, as `warmline.cli.console.run` maps it."""
    result = runner.invoke(app, list(args), input=stdin)
    if isinstance(result.exception, WarmlineError):
        return 1, result.stdout, result.stderr + str(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'access.db'}"


def test_keys_are_listed_by_prefix_and_revoked_by_id_or_prefix(db: str) -> None:
    code, acme_key, _ = cli("keys", "create", "--tenant", "acme", "--db", db)
    assert code == 0
    acme_key = acme_key.strip()
    beta_key = cli("keys", "create", "--tenant", "beta", "--db", db)[1].strip()
    code, listing, _ = cli("keys", "list", "--db", db)
    assert code == 0
    assert acme_key not in listing
    assert beta_key not in listing
    rows = [line.split() for line in listing.splitlines()[1:]]
    assert [(r[1], r[2], r[-1]) for r in rows] == [("acme", acme_key[:10], "active"),
                                                   ("beta", beta_key[:10], "active")]
    code, _, said = cli("keys", "revoke", acme_key[:10], "--db", db)
    assert code == 0, said
    assert f"revoked key {rows[0][0]}" in said
    code, listing, _ = cli("keys", "list", "--tenant", "acme", "--db", db)
    assert listing.splitlines()[1].split()[-1] == "revoked"
    services = build_services(Settings(db=db))
    try:
        with pytest.raises(AuthError, match="revoked"):
            services.tenants.authenticate(acme_key)
        assert services.tenants.authenticate(beta_key).name == "beta"
    finally:
        services.close()
    code, _, said = cli("keys", "revoke", "k-nope", "--db", db)
    assert code == 1
    assert "no API key 'k-nope' (see `keys list`)" in said
    code, _, said = cli("keys", "revoke", rows[1][0], "--tenant", "acme", "--db", db)
    assert code == 1  # beta's key is not acme's to revoke
    assert "in tenant 'acme'" in said


def test_users_are_listed_given_new_passwords_and_removed(db: str) -> None:
    assert cli("users", "add", "--tenant", "acme", "--username", "dana", "--password-stdin",
               "--db", db, stdin="first-password\n")[0] == 0
    assert cli("users", "add", "--tenant", "acme", "--username", "sam", "--role",
               "supervisor", "--db", db, stdin="first-password\n")[0] == 0
    code, listing, _ = cli("users", "list", "--tenant", "acme", "--db", db)
    assert [line.split() for line in listing.splitlines()] == [
        ["USERNAME", "ROLE", "REP"], ["dana", "rep", "dana"], ["sam", "supervisor", "sam"]]
    assert "scrypt" not in listing
    code, _, said = cli("users", "passwd", "--tenant", "acme", "--username", "dana",
                        "--password-stdin", "--db", db, stdin="second-password\n")
    assert code == 0, said
    services = build_services(Settings(db=db))
    try:
        with pytest.raises(AuthError):
            services.tenants.login("acme", "dana", "first-password")
        assert services.tenants.login("acme", "dana", "second-password").session_version == 1
    finally:
        services.close()
    assert cli("users", "remove", "--tenant", "acme", "--username", "sam", "--db", db)[0] == 0
    code, _, said = cli("users", "remove", "--tenant", "acme", "--username", "sam",
                        "--db", db)
    assert code == 1
    assert "no user 'sam' in tenant 'acme'" in said
    code, _, said = cli("users", "list", "--tenant", "nope", "--db", db)
    assert code == 1
    assert "no tenant named 'nope'" in said


def test_a_bad_role_names_the_valid_ones(db: str) -> None:
    code, _, said = cli("users", "add", "--tenant", "acme", "--username", "x", "--role",
                        "boss", "--db", db, stdin="long-enough-1\n")
    assert code == 2
    flat = " ".join(said.replace("│", " ").split())
    assert "Invalid value for '--role': 'boss' is not a role; use one of: rep, supervisor, " \
           "admin" in flat
    assert "Value error" not in flat


@pytest.mark.parametrize("flag", [["--password-stdin"], []], ids=["flag", "piped"])
def test_a_piped_password_prints_no_getpass_warning(tmp_path: Path, db: str,
                                                    flag: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "warmline", "users", "add", "--tenant", "acme", "--username",
         "dana", *flag, "--db", db], input="long-enough-1\n", capture_output=True, text=True,
        cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "added rep 'dana' to tenant 'acme'\n"
    store = SqlStore(db)
    try:
        with store.read() as tx:
            tenant = tx.find_tenant("acme")
            assert tenant is not None
            assert tx.find_user(tenant.id, "dana") is not None
    finally:
        store.close()
