"""Policy versions in the database (issue 21): a tenant's first version is seeded from its
policy file, every decision names the version it was decided under, a publish is in force on
the next check, and the database never holds two published versions of a tenant."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa

from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.sqlite_turns import SqliteTurnStore
from warmline.adapters.storage.tables import policy_versions
from warmline.service.policy_versions import CHECK_SECONDS, PolicyDeciders, VersionState

from .conftest import POLICY, Api

#: The api-test policy with the cancellation trigger sending to the desk, not retention.
NEXT = POLICY.replace("queue: retention\n    priority: 90", "queue: desk\n    priority: 70")


def _policies(api: Api) -> PolicyDeciders:
    policies = api.services.tenants.policies
    assert policies is not None
    return policies


def _publish(api: Api, text: str, note: str) -> int:
    tenant = api.services.tenants.existing("acme")
    made = _policies(api).versions.add(tenant.id, text, author="sam", note=note,
                                       at=api.clock.now(), state=VersionState.PUBLISHED)
    return made.version


def test_the_first_turn_seeds_version_1_from_the_policy_file_and_names_it(api: Api) -> None:
    answer = api.turn("c1", "hello there").json()
    assert answer["action"] == "continue"
    assert answer["policy_version"] == 1
    tenant = api.services.tenants.existing("acme")
    [seeded] = _policies(api).versions.all_versions(tenant.id)
    assert (seeded.version, seeded.state, seeded.yaml) == (1, VersionState.PUBLISHED, POLICY)
    assert seeded.author == "warmline serve"
    assert "policy.yaml" in seeded.note
    assert _policies(api).seed(tenant) is None  # a tenant with a version is never seeded


def test_the_handoff_records_the_version_it_was_decided_under(api: Api) -> None:
    first = api.turn("c1", "I want to cancel, get me a human").json()
    assert first["policy_version"] == 1
    handoff = api.get(f"/v1/handoffs/{first['handoff_id']}").json()
    assert handoff["decision"]["policy_version"] == 1
    assert handoff["queue"] == "retention"


def test_a_published_version_decides_the_next_turn_after_the_check(api: Api) -> None:
    api.turn("c0", "hello").json()  # seeds version 1 and caches its decider
    assert _publish(api, NEXT, "cancellations to the desk") == 2
    policies = _policies(api)
    tenant = api.services.tenants.existing("acme")
    # Still trusted within check_seconds:
    assert api.services.tenants.decider_for(tenant).version == 1
    time.sleep(CHECK_SECONDS + 0.05)  # what another worker sees after a publish
    policies.check_seconds = 0.0
    answer = api.turn("c2", "I want to cancel, get me a human").json()
    assert answer["policy_version"] == 2
    assert answer["destination"]["queue"] == "desk"
    states = [v.state for v in policies.versions.all_versions(tenant.id)]
    assert states == [VersionState.RETIRED, VersionState.PUBLISHED]
    # Publishing the old version again (a rollback) puts it back in force.
    policies.versions.publish(tenant.id, 1, by="sam", note=None, at=api.clock.now())
    again = api.turn("c3", "I want to cancel, get me a human").json()
    assert (again["policy_version"], again["destination"]["queue"]) == (1, "retention")


def test_the_database_refuses_a_second_published_version(api: Api) -> None:
    store = api.services.store
    if not isinstance(store, SqlStore):
        pytest.skip("the in-memory store keeps one by construction")
    api.turn("c1", "hello")
    tenant = api.services.tenants.existing("acme")
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
        connection.execute(sa.insert(policy_versions).values(
            tenant_id=tenant.id, version=2, yaml=NEXT, author="x", note="",
            created_at=api.clock.now(), state="published"))
    # Nothing was written: version 1 is still the one published.
    assert _policies(api).versions.published_number(tenant.id) == 1
    assert _policies(api).versions.seed(tenant.id, NEXT, author="x", note="",
                                        at=api.clock.now()) is None


def test_the_lean_sqlite_path_names_the_version_too(api: Api) -> None:
    store = api.services.store
    if not isinstance(store, SqlStore) or store.engine.dialect.name != "sqlite":
        pytest.skip("the lean SQLite path")
    _publish(api, NEXT, "first by hand")  # no seed: the tenant has a version
    tenant = api.services.tenants.existing("acme")
    body = {"turns": [{"speaker": "customer", "text": "hello",
                       "at": api.clock.now().isoformat(), "id": "t1"}]}
    answer = asyncio.run(api.services.turns.post_turns_async(
        tenant, "lean", body, SqliteTurnStore(store)))
    assert answer is not None
    assert answer["policy_version"] == 1


def test_serve_seeds_version_1_of_every_tenant_that_has_none(api: Api) -> None:
    tenants = api.services.tenants
    _publish(api, NEXT, "acme's own")  # acme has a version already
    bad = tenants.ensure_tenant("initech", policy="/nowhere/policy.yaml")
    seeded, failed = tenants.seed_policies()
    assert seeded == ["globex"]
    [line] = failed  # a tenant whose file is gone does not stop the others (nor the server)
    assert line.startswith(f"tenant {bad.name}: no policy version seeded")
    assert "/nowhere/policy.yaml" in line
    assert tenants.seed_policies()[0] == []
    globex = tenants.existing("globex")
    [seeded] = _policies(api).versions.all_versions(globex.id)
    assert (seeded.version, seeded.yaml) == (1, POLICY)
    assert api.turn("g1", "hello", key=api.other_key).json()["policy_version"] == 1
