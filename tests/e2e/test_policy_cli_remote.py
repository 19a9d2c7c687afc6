"""`warmline policy ... --server URL --key KEY`: the CLI through a live server's /v1/policy,
as a GitOps job would run it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from warmline.bootstrap import build_services
from warmline.cli import app
from warmline.config import Settings
from warmline.core.errors import WarmlineError

from .conftest import serving

POLICY = """version: 1
name: remote
timezone: UTC
defaults: {queue: desk}
queues:
  desk: {skills: [general]}
"""
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, WarmlineError):
        return 1, result.stdout, result.stderr + str(result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_push_publish_pull_versions_and_rollback_through_a_server(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(POLICY)
    services = build_services(Settings(db=f"sqlite:///{tmp_path / 'w.db'}",
                                       policy=str(first)))
    key = services.tenants.create_key("acme")
    nxt = tmp_path / "next.yaml"
    nxt.write_text(POLICY.replace("name: remote", "name: remote-2"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("queue: desk}", "queue: nowhere}"))
    try:
        with serving(services, key) as server:
            remote = ("--server", server.url, "--key", key)
            code, out, err = cli("policy", "push", str(nxt), "--publish", "--note", "v2",
                                 *remote)
            assert code == 0, err
            assert out == "draft: version 2\npublished: version 2\n"
            assert cli("policy", "pull", *remote)[1] == nxt.read_text()
            assert "+name: remote-2" in cli("policy", "diff", "2", "1", *remote)[1]
            code, out, err = cli("policy", "push", str(bad), "--publish", *remote)
            assert code == 1
            assert "nowhere" in err
            lines = cli("policy", "versions", *remote)[1].splitlines()
            assert [line.split()[:2] for line in lines[1:]] == [
                ["1", "retired"], ["2", "published"], ["3", "draft"]]
            assert "(published by api key)" in lines[2]
            code, out, _ = cli("policy", "rollback", "1", *remote)
            assert out == "published: version 4 (the text of version 1)\n"
            assert cli("policy", "pull", *remote)[1] == POLICY
            assert cli("policy", "pull", "--server", server.url, "--key", "wl_nope")[0] == 1
    finally:
        services.close()
