"""`warmline policy push|pull|diff|versions|rollback` against a database: the same versions
the server decides with and `/v1/policy` edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.bootstrap import build_services
from warmline.cli import app
from warmline.config import Settings
from warmline.core.errors import WarmlineError

runner = CliRunner()

POLICY = """version: 1
name: cli-test
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancel, when: 'text.contains("cancel")', queue: desk}
queues:
  desk: {skills: [general]}
"""
NEXT = POLICY.replace("name: cli-test", "name: cli-test-2")
BROKEN = POLICY.replace("queue: desk}\nqueues", "queue: nowhere}\nqueues")


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, WarmlineError):
        return 1, result.stdout, result.stderr + str(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'policy.db'}"
    first = tmp_path / "first.yaml"
    first.write_text(POLICY)
    monkeypatch.setenv("WARMLINE_POLICY", str(first))  # what `serve --policy` would give
    assert cli("keys", "create", "--tenant", "acme", "--db", url)[0] == 0
    return url


def test_push_publish_pull_diff_versions_and_rollback(db: str, tmp_path: Path) -> None:
    new = tmp_path / "next.yaml"
    new.write_text(NEXT)
    code, out, err = cli("policy", "push", str(new), "--tenant", "acme", "--publish",
                         "--note", "renamed", "--db", db)
    assert code == 0, err
    assert out == "draft: version 2 of tenant acme\npublished: version 2 of tenant acme\n"

    code, out, _ = cli("policy", "pull", "--tenant", "acme", "--db", db)
    assert (code, out) == (0, NEXT)
    assert cli("policy", "pull", "--tenant", "acme", "--version", "1", "--db", db)[1] == POLICY

    code, out, _ = cli("policy", "diff", "1", "--tenant", "acme", "--db", db)
    assert "-name: cli-test-2\n+name: cli-test\n" in out

    code, out, _ = cli("policy", "versions", "--tenant", "acme", "--db", db)
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["1", "retired"]
    assert lines[2].split()[:2] == ["2", "published"]
    assert "renamed (published by cli " in lines[2]

    code, out, err = cli("policy", "rollback", "1", "--tenant", "acme", "--db", db)
    assert code == 0, err
    assert out == "published: version 3 (the text of version 1)\n"
    services = build_services(Settings(db=db))
    try:
        acme = services.tenants.existing("acme")
        assert services.tenants.deciding_decider(acme).version == 3
        assert services.tenants.deciding_decider(acme).policy.name == "cli-test"
    finally:
        services.close()


def test_an_invalid_file_is_pushed_as_a_draft_but_never_published(db: str,
                                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    code, _, err = cli("policy", "push", str(bad), "--tenant", "acme", "--db", db)
    assert code == 0
    assert "nowhere" in err
    code, _, err = cli("policy", "push", str(bad), "--tenant", "acme", "--publish",
                       "--db", db)
    assert code == 1
    assert "nowhere" in err
    assert cli("policy", "pull", "--tenant", "acme", "--db", db)[1] == POLICY
    assert cli("policy", "rollback", "2", "--tenant", "acme", "--db", db)[0] == 1


def test_db_redact_masks_what_the_given_policy_names_on_a_versioned_tenant(
        db: str, tmp_path: Path) -> None:
    from warmline.cli.db import _masking_policy

    masking = tmp_path / "masking.yaml"
    masking.write_text(POLICY + "redact: [card_number, ssn]\n")
    services = build_services(Settings(db=db))
    try:
        acme = services.tenants.existing("acme")
        services.tenants.deciding_decider(acme)  # version 1: the plain policy, no redact
        assert services.tenants.decider_for(acme).policy.redact == frozenset()
        widened = _masking_policy(services, acme, str(masking))
        assert widened.redact == {"card_number", "ssn"}
        assert _masking_policy(services, acme, str(tmp_path / "gone.yaml")).redact == set()
    finally:
        services.close()
