"""`warmline calibrate`, `roi` and `experiment report` as a user runs them: SPEC §4's JSON
shape, located errors and exit codes, `--write` in place, and a SQLite database's handoffs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warmline.bootstrap import build_services, build_store
from warmline.config import Settings
from warmline.core.handoff import Handoff, HandoffStatus, Tenant
from warmline.service.ports import StoredConversation

ROOT = Path(__file__).resolve().parents[2]
POLICY = """\
version: 1
name: shop   # calibrated below
timezone: UTC
defaults: {queue: desk, threshold: 0.6, cost_of_escalation: 6.00}
question_types:
  billing: {cost_of_wrong_answer: 30.00}
queues:
  desk: {}
experiment: {cold_share: 0.5, seed: t}
"""
HISTORY = "question_type,confidence,correct\n" + "".join(
    f"billing,{c},{str(ok).lower()}\n" for c, ok in
    [(0.2, False), (0.4, False), (0.6, True), (0.7, False), (0.9, True)] * 2)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "warmline", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "h.csv").write_text(HISTORY)
    return tmp_path / "p.yaml", tmp_path / "h.csv"


def test_calibrate_json_has_the_spec_shape(files: tuple[Path, Path]) -> None:
    policy, history = files
    result = run("calibrate", str(history), "--policy", str(policy), "--format", "json",
                 "--min-samples", "1")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    billing = data["question_types"]["billing"]
    # 10 answers; the plateau (.70, .90] costs 2 x 24 / 10 -> 4,800 per 1,000; nearest .80.
    assert (billing["threshold"], billing["expected_cost_per_1000"], billing["n"]) == (
        0.8, 4800.0, 10)
    assert set(data["global"]) >= {"threshold", "expected_cost_per_1000"}


def test_calibrate_write_changes_only_the_threshold(files: tuple[Path, Path]) -> None:
    policy, history = files
    policy.write_text(POLICY.replace("{cost_of_wrong_answer: 30.00}",
                                     "{cost_of_wrong_answer: 30.00, threshold: 0.5}"))
    result = run("calibrate", str(history), "--policy", str(policy), "--write",
                 "--min-samples", "1")
    assert result.returncode == 0, result.stderr
    assert "wrote billing 0.71" in result.stderr
    # The plateau (.70, .90] is cheapest; nearest the current .50 is .71. Nothing else moves.
    assert policy.read_text() == POLICY.replace(
        "{cost_of_wrong_answer: 30.00}", "{cost_of_wrong_answer: 30.00, threshold: 0.71}")


def test_a_bad_history_row_exits_1_with_its_location(files: tuple[Path, Path]) -> None:
    policy, history = files
    history.write_text(HISTORY + "billing,2,true\n")
    result = run("calibrate", str(history), "--policy", str(policy))
    assert result.returncode == 1
    assert f"{history}:12:9: confidence: '2' is not a number from 0 to 1" in result.stderr


def test_calibrate_without_history_or_database_is_a_usage_error() -> None:
    assert run("calibrate", "--policy", "general").returncode == 2


def test_calibrate_plots_cost_curves(files: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    policy, history = files
    out = tmp_path / "curves.png"
    result = run("calibrate", str(history), "--policy", str(policy), "--plot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_roi_json_names_measured_inputs_and_platform() -> None:
    result = run("roi", "--platform", "synthflow", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cold"]["platform_cost"] == 764.88
    assert data["measured"] == []
    assert run("roi", "--platform", "nobody").returncode == 2


def test_roi_table_says_which_inputs_were_given_on_the_command_line() -> None:
    result = run("roi", "--platform", "retell", "--calls-per-month", "5000",
                 "--escalation-rate", "0.3")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "calls a month 5,000 (given)" in text
    assert "escalation rate 30.0% (given)" in text
    assert "(assumed)" in text  # the repeat rates were not given


@pytest.fixture
def database(tmp_path: Path, files: tuple[Path, Path]) -> str:
    """A tenant with 30 warm and 30 cold experiment handoffs from 20 days ago; the rep
    marked every fourth AI answer wrong, and 6 cold customers came back."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = build_store(url)
    start = datetime.now(UTC) - timedelta(days=20)
    with store.transaction() as tx:
        tx.create_tenant(Tenant("t1", "shop", str(files[0])))
        for i in range(60):
            arm = "warm" if i % 2 else "cold"
            key = f"id:{i}"
            at = start + timedelta(minutes=i)
            tx.save_conversation(StoredConversation("t1", f"c{i}", {"id": f"c{i}"}, key,
                                                    updated_at=at))
            tx.add_handoff(Handoff(
                id=f"h{i}", tenant_id="t1", conversation_id=f"c{i}", queue="desk",
                status=HandoffStatus.COMPLETED, priority=50, mode=arm, created_at=at,
                accepted_at=at, completed_at=at + timedelta(minutes=3),
                csat=5 if arm == "warm" else 3, ai_was_wrong=i % 4 == 0, customer_key=key,
                decision={"tags": [f"experiment:{arm}"], "signals": {
                    "confidence": {"confidence": 0.5 + (i % 5) / 10},
                    "question_type": {"label": "billing"}}}))
        for i in range(0, 12, 2):  # cold customers 0, 2 ... 10 call again a day later
            tx.save_conversation(StoredConversation(
                "t1", f"again{i}", {"id": f"again{i}", "started_at":
                                    (start + timedelta(days=1)).isoformat()}, f"id:{i}",
                updated_at=start + timedelta(days=1)))
    store.close()
    return url


def test_calibrate_exports_history_from_the_database(database: str, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    result = run("calibrate", "--from-db", "--db", database, "--tenant", "shop", "--export",
                 str(out), "--format", "json", "--min-samples", "10")
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "question_type,confidence,correct,source,handoff_id"
    assert len(lines) == 61
    assert lines[1] == "billing,0.5000,false,rep,h0"  # h0: i % 4 == 0, marked wrong
    assert json.loads(result.stdout)["question_types"]["billing"]["n"] == 60


def test_experiment_report_compares_the_arms(database: str) -> None:
    result = run("experiment", "report", "--db", database, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["arms"]["cold"]["repeat_contact"]["count"] == 6
    assert data["arms"]["cold"]["repeat_contact"]["total"] == 30
    assert data["arms"]["warm"]["repeat_contact"]["count"] == 0
    assert data["arms"]["warm"]["csat"]["mean"] == 5.0
    assert data["difference_warm_minus_cold"]["csat"]["value"] == 2.0
    assert data["power"]["baseline_repeat_rate"] == 0.2
    table = run("experiment", "report", "--db", database)
    assert "still needed" in table.stdout


def test_roi_uses_measured_rates_and_says_so(database: str) -> None:
    result = run("roi", "--db", database, "--tenant", "shop", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"cold_repeat_rate", "warm_repeat_rate", "rep_minutes"} <= set(data["measured"])
    assert data["inputs"]["cold_repeat_rate"] == 0.2
    assert data["inputs"]["rep_minutes"] == 3.0


def test_calibrate_from_db_write_creates_a_draft_of_the_tenants_policy(
        database: str, files: tuple[Path, Path]) -> None:
    before = files[0].read_text()
    result = run("calibrate", "--from-db", "--db", database, "--tenant", "shop",
                 "--format", "json", "--min-samples", "10", "--write")
    assert result.returncode == 0, result.stderr
    recommended = json.loads(result.stdout)["question_types"]["billing"]["threshold"]
    assert "draft version 2 from version 1" in result.stderr
    assert files[0].read_text() == before  # the file is left alone: the database has it
    services = build_services(Settings(db=database))
    try:
        admin = services.policy_admin
        assert admin is not None
        shop = services.tenants.existing("shop")
        draft = admin.draft(shop)
        assert draft.author == "cli calibrate"
        assert admin.published(shop).version == 1  # nothing published until someone does
        changed = [line for line in draft.yaml.splitlines() if "threshold" in line]
        assert any(f"{recommended:.2f}".rstrip("0") in line for line in changed), changed
        assert admin.check(draft.yaml) == []
    finally:
        services.close()
