"""`warmline reps set|list` and `users add --skills` as an operator runs them: skills set from
the command line route handoffs to that rep."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.bootstrap import build_services
from warmline.cli import app
from warmline.config import Settings
from warmline.core.errors import WarmlineError
from warmline.core.handoff import RepStatus

runner = CliRunner()


def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    if isinstance(result.exception, WarmlineError):
        return 1, result.stdout, result.stderr + str(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reps.db'}"
    assert cli("keys", "create", "--tenant", "acme", "--db", url)[0] == 0
    return url


def test_reps_set_creates_then_changes_only_what_is_given(db: str) -> None:
    code, out, err = cli("reps", "set", "ann", "--tenant", "acme", "--skills", "general, billing",
                         "--capacity", "2", "--name", "Ann Lee", "--db", db)
    assert code == 0, err
    assert out == "ann (Ann Lee): offline, 0/2 slots, skills: general, billing\n"
    code, out, _ = cli("reps", "set", "ann", "--tenant", "acme", "--capacity", "3", "--db", db)
    assert out == "ann (Ann Lee): offline, 0/3 slots, skills: general, billing\n"
    cli("reps", "set", "bob", "--tenant", "acme", "--db", db)
    code, listing, _ = cli("reps", "list", "--tenant", "acme", "--db", db)
    assert code == 0
    rows = [line.split() for line in listing.splitlines()[1:]]
    assert rows == [["ann", "Ann", "Lee", "offline", "0/3", "general,billing"],
                    ["bob", "bob", "offline", "0/1", "-"]]


def test_skills_no_queue_asks_for_are_set_with_a_warning(db: str) -> None:
    code, out, err = cli("reps", "set", "ann", "--tenant", "acme", "--skills", "genral",
                         "--db", db)
    assert code == 0
    assert "skills: genral" in out
    assert "no queue of tenant 'acme' asks for skill 'genral'" in err
    assert "general" in err  # the bundled default policy's queues


@pytest.mark.parametrize(("args", "needle"), [
    (("--skills", "general,,billing"), "skill 2 of 'general,,billing' is empty"),
    (("--skills", "front desk"), "skill 1 of 'front desk' is 'front desk'"),
    (("--capacity", "0"), "capacity must be 1 to 50, got 0"),
    (("--name", " "), "a rep's name cannot be empty"),
])
def test_bad_rep_settings_are_refused_with_the_reason(db: str, args: tuple[str, ...],
                                                     needle: str) -> None:
    code, out, err = cli("reps", "set", "ann", "--tenant", "acme", *args, "--db", db)
    assert code in (1, 2)
    assert needle in out + err


def test_reps_of_an_unknown_tenant_are_not_found(db: str) -> None:
    code, _, err = cli("reps", "list", "--tenant", "nope", "--db", db)
    assert code == 1
    assert "no tenant named 'nope'" in err


def test_users_add_with_skills_gives_the_rep_its_queues(db: str) -> None:
    code, _, err = cli("users", "add", "--tenant", "acme", "--username", "dana",
                       "--skills", "general", "--password-stdin", "--db", db,
                       stdin="correct-horse-9\n")
    assert code == 0, err
    services = build_services(Settings(db=db))
    try:
        tenant = services.tenants.existing("acme")
        assert services.reps.get(tenant, "dana").skills == ("general",)
        services.reps.put(tenant, "dana", status=RepStatus.AVAILABLE)
        decision = services.turns.post_turns(tenant, "c1", {"turns": [
            {"speaker": "customer", "text": "Can I talk to a person please?"}]})
        handoff, _ = services.handoffs.get(tenant, decision["handoff_id"])
        assert (handoff.status.value, handoff.rep_id) == ("offered", "dana")
    finally:
        services.close()


def test_only_a_rep_login_takes_skills(db: str) -> None:
    code, out, err = cli("users", "add", "--tenant", "acme", "--username", "sue", "--role",
                         "supervisor", "--skills", "general", "--password-stdin", "--db", db,
                         stdin="correct-horse-9\n")
    assert code == 2
    assert "only a rep login has skills, not a supervisor" in out + err
