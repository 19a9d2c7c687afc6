"""`warmline report` on a SQLite database the API filled: its JSON is `GET /v1/metrics`'s,
its CSV is that JSON flattened, its tables show every part, its errors name the flag."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from .conftest import Api
from .test_metrics_api import metrics_api, run_a_shift

__all__ = ["metrics_api"]
SQLITE = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


def report(*args: str, api: Api | None = None) -> subprocess.CompletedProcess[str]:
    """`warmline report ARGS`, with the server's default policy when `api` is given."""
    if api is not None and api.services.settings.policy:
        args = (*args, "--policy", api.services.settings.policy)
    return subprocess.run([sys.executable, "-m", "warmline", "report", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def shift_window(api: Api) -> tuple[str, str]:
    run_a_shift(api)
    now = api.clock.now()
    return (now - timedelta(hours=1)).isoformat(), now.isoformat()


@SQLITE
def test_json_is_what_the_api_answers(metrics_api: Api, sqlite_url: str) -> None:
    since, until = shift_window(metrics_api)
    result = report("--db", sqlite_url, "--tenant", "acme", "--since", since, "--until",
                    until, "--format", "json", api=metrics_api)
    assert result.returncode == 0, result.stderr
    api = metrics_api.get("/v1/metrics", params={"since": since, "until": until}).json()
    assert json.loads(result.stdout) == api
    assert api["conversations"] == 5


@SQLITE
def test_csv_flattens_the_json(metrics_api: Api, sqlite_url: str) -> None:
    since, until = shift_window(metrics_api)
    result = report("--db", sqlite_url, "--tenant", "acme", "--since", since, "--until",
                    until, "--format", "csv", api=metrics_api)
    assert result.returncode == 0, result.stderr
    rows = dict(csv.reader(io.StringIO(result.stdout)))
    assert rows.pop("metric") == "value"
    assert rows["conversations"] == "5"
    assert rows["escalation.rate.value"] == "0.4"
    assert rows["handoff_time.p90_seconds"] == "11.2"
    assert rows["top_triggers.0.rule"] == "cancellation"
    assert rows["csat.cold.mean"] == ""  # null


@SQLITE
def test_tables_show_every_part(metrics_api: Api, sqlite_url: str) -> None:
    since, until = shift_window(metrics_api)
    result = report("--db", sqlite_url, "--tenant", "acme", "--since", since, "--until",
                    until, api=metrics_api)
    assert result.returncode == 0, result.stderr
    for title in ("acme:", "Escalation rate by reason", "Warm vs cold", "Queue waits",
                  "Top triggers", "Escalation rate over time"):
        assert title in result.stdout, title
    assert "40.0 %" in result.stdout  # the escalation rate, 2 of 5
    assert "CSAT at handoff, warm" in result.stdout


@SQLITE
@pytest.mark.parametrize(("args", "message"), [
    ((), "choose a tenant with --tenant (tenants: acme, globex)"),
    (("--tenant", "initech"), "no tenant called 'initech'"),
    (("--tenant", "acme", "--since", "last week"), "--since"),
    (("--tenant", "acme", "--mode", "lukewarm"), "mode must be warm or cold"),
], ids=["two-tenants", "unknown-tenant", "bad-date", "bad-mode"])
def test_bad_input_is_a_located_exit_1(metrics_api: Api, sqlite_url: str,
                                       args: tuple[str, ...], message: str) -> None:
    result = report("--db", sqlite_url, *args, api=metrics_api)
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    result = report("--db", f"sqlite:///{tmp_path}/nope.db")
    assert result.returncode == 1
    assert "no such database file" in result.stderr
    assert not (tmp_path / "nope.db").exists()
