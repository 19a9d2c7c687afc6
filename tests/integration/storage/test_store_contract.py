"""The `Store` contract, run on every store: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from warmline.adapters.storage.sql import SqlStore
from warmline.core.analytics.metrics import CustomerContact
from warmline.core.errors import Conflict
from warmline.core.handoff import Handoff, HandoffStatus, Rep, RepStatus, Role, Tenant, pick_rep
from warmline.service.ports import ApiKey, Store, StoredConversation, User

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))

StoreFactory = Callable[[], Store]


def make_handoff(**overrides: Any) -> Handoff:
    values: dict[str, Any] = {
        "id": "h-1", "tenant_id": "t-acme", "conversation_id": "c-1", "queue": "support",
        "status": HandoffStatus.QUEUED, "priority": 50, "mode": "warm", "created_at": T0,
        "decision": {"action": "escalate", "reasons": [{"code": "trigger", "rule": "cancel"}]},
    }
    values.update(overrides)
    return Handoff(**values)


def make_rep(**overrides: Any) -> Rep:
    values: dict[str, Any] = {
        "id": "r-1", "tenant_id": "t-acme", "name": "Dana", "skills": ("billing",),
        "capacity": 2, "status": RepStatus.AVAILABLE, "idle_since": T0 - timedelta(hours=1),
    }
    values.update(overrides)
    return Rep(**values)


def make_conversation(conversation_id: str, started: datetime | None, *,
                      customer_key: str | None = "cust-77", handoff_id: str | None = None,
                      tenant_id: str = "t-acme") -> StoredConversation:
    data: dict[str, Any] = {"id": conversation_id, "turns": []}
    if started is not None:
        data["started_at"] = started.isoformat()
    return StoredConversation(tenant_id=tenant_id, id=conversation_id, data=data,
                              customer_key=customer_key, handoff_id=handoff_id,
                              updated_at=started)


# --- tenants, keys, users ------------------------------------------------------------------


def test_tenants_keys_and_users_round_trip(store: Store, tenant: Tenant) -> None:
    key = ApiKey(id="k-1", tenant_id=tenant.id, prefix="wl_ab", key_hash="h" * 64,
                 created_at=T0)
    user = User(id="u-1", tenant_id=tenant.id, username="dana", password_hash="x",
                role=Role.SUPERVISOR, rep_id="r-1")
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-zeta", name="Zeta", policy="saas"))
        tx.add_api_key(key)
        tx.add_user(user)
    with store.transaction() as tx:
        assert tx.get_tenant(tenant.id) == tenant
        assert tx.find_tenant("Zeta") == Tenant(id="t-zeta", name="Zeta", policy="saas")
        assert [t.name for t in tx.list_tenants()] == ["Acme", "Zeta"]
        assert tx.find_api_key("h" * 64) == key
        assert tx.find_api_key("nope") is None
        assert tx.find_user(tenant.id, "dana") == user


def test_keys_are_listed_and_revoked_within_their_tenant(store: Store, tenant: Tenant
                                                        ) -> None:
    older = ApiKey(id="k-1", tenant_id=tenant.id, prefix="wl_aa", key_hash="a" * 64,
                   created_at=T0)
    newer = replace(older, id="k-2", prefix="wl_bb", key_hash="b" * 64,
                    created_at=T0 + timedelta(minutes=1))
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-other", name="Other"))
        tx.add_api_key(newer)
        tx.add_api_key(older)
        assert not tx.revoke_api_key("t-other", "k-1")  # another tenant's key: untouched
        assert not tx.revoke_api_key(tenant.id, "k-404")
        assert tx.revoke_api_key(tenant.id, "k-1")
    with store.read() as tx:
        assert tx.list_api_keys(tenant.id) == [replace(older, revoked=True), newer]
        assert tx.list_api_keys("t-other") == []
        assert [k.id for k in tx.list_api_keys(None)] == ["k-1", "k-2"]
        assert tx.find_api_key("a" * 64) == replace(older, revoked=True)


def test_users_are_listed_updated_and_removed_within_their_tenant(store: Store,
                                                                  tenant: Tenant) -> None:
    dana = User(id="u-1", tenant_id=tenant.id, username="dana", password_hash="x",
                role=Role.REP, rep_id="r-1")
    abe = replace(dana, id="u-2", username="abe", rep_id=None)
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-other", name="Other"))
        tx.add_user(dana)
        tx.add_user(abe)
    changed = replace(dana, password_hash="y", role=Role.ADMIN, session_version=3)
    with store.transaction() as tx:
        assert tx.update_user(changed)
        assert not tx.update_user(replace(changed, tenant_id="t-other"))
        assert not tx.remove_user("t-other", "u-2")
    with store.transaction() as tx:
        assert tx.get_user(tenant.id, "u-1") == changed
        assert tx.get_user("t-other", "u-1") is None
        assert tx.list_users(tenant.id) == [abe, changed]
        assert tx.remove_user(tenant.id, "u-2")
    with store.read() as tx:
        assert tx.list_users(tenant.id) == [changed]
        assert tx.find_user(tenant.id, "abe") is None


def test_a_second_tenant_with_the_same_name_is_a_conflict(store: Store, tenant: Tenant
                                                          ) -> None:
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-other", name=tenant.name))
    with store.transaction() as tx:
        assert tx.get_tenant("t-other") is None


def test_rows_of_an_unknown_tenant_are_refused(store: Store) -> None:
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.add_handoff(make_handoff(tenant_id="t-ghost"))


def test_no_read_sees_another_tenants_rows(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-other", name="Other"))
        tx.add_user(User(id="u-1", tenant_id=tenant.id, username="dana", password_hash="x",
                         role=Role.REP))
        tx.save_conversation(make_conversation("c-1", T0, handoff_id="h-1"))
        tx.save_decision(tenant.id, "c-1", "turn-1", {"action": "continue"}, T0)
        tx.add_handoff(make_handoff())
        tx.save_rep(make_rep())
        tx.add_event(tenant.id, "handoff.created", {"id": "h-1"}, T0)
    other = "t-other"
    with store.transaction() as tx:
        assert tx.find_user(other, "dana") is None
        assert tx.get_conversation(other, "c-1") is None
        assert tx.find_decision(other, "c-1", "turn-1") is None
        assert tx.recent_contacts(other, "cust-77", T0 - timedelta(days=7),
                                  T0 + timedelta(days=1), "c-9") == []
        assert tx.get_handoff(other, "h-1") is None
        assert tx.list_handoffs(other) == []
        assert tx.next_queued(other, "support") is None
        assert tx.get_rep(other, "r-1") is None
        assert tx.list_reps(other) == []
        assert tx.take_slot(other, "r-1") is False
        assert tx.events_after(other, 0) == []
        assert tx.latest_event_id(other) == 0
        assert tx.update_handoff(make_handoff(tenant_id=other, status=HandoffStatus.FAILED),
                                 expect={HandoffStatus.QUEUED}) is False
        tx.release_slot(other, "r-1", T0)
    with store.transaction() as tx:
        assert tx.get_handoff(tenant.id, "h-1") == make_handoff()
        assert tx.get_rep(tenant.id, "r-1") == make_rep()


# --- conversations and decisions -----------------------------------------------------------


def test_a_saved_conversation_is_replaced_by_the_next_save(store: Store, tenant: Tenant
                                                           ) -> None:
    first = make_conversation("c-1", T0)
    later = replace(first, data={**first.data, "turns": [{"speaker": "customer", "text": "hi"}]},
                    handoff_id="h-1", updated_at=T0 + timedelta(minutes=1))
    with store.transaction() as tx:
        tx.save_conversation(first)
    with store.transaction() as tx:
        tx.save_conversation(later)
    with store.transaction() as tx:
        assert tx.get_conversation(tenant.id, "c-1") == later


def test_the_first_decision_for_a_turn_wins(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.save_decision(tenant.id, "c-1", "turn-1", {"action": "escalate"}, T0)
    with store.transaction() as tx:
        tx.save_decision(tenant.id, "c-1", "turn-1", {"action": "continue"}, T0)
        tx.save_decision(tenant.id, "c-1", "turn-2", {"action": "continue"}, T0)
    with store.transaction() as tx:
        assert tx.find_decision(tenant.id, "c-1", "turn-1") == {"action": "escalate"}
        assert tx.find_decision(tenant.id, "c-1", "turn-2") == {"action": "continue"}
        assert tx.find_decision(tenant.id, "c-2", "turn-1") is None


def test_stored_json_is_a_copy_the_caller_cannot_change(store: Store, tenant: Tenant) -> None:
    decision: dict[str, Any] = {"tags": ["a"], "brief": {"details": {"amounts": ("$1",)}}}
    with store.transaction() as tx:
        tx.save_decision(tenant.id, "c-1", "turn-1", decision, T0)
        tx.add_handoff(make_handoff(decision=decision))
    decision["tags"].append("b")
    with store.transaction() as tx:
        found = tx.find_decision(tenant.id, "c-1", "turn-1")
        handoff = tx.get_handoff(tenant.id, "h-1")
    expected = {"tags": ["a"], "brief": {"details": {"amounts": ["$1"]}}}
    assert found == expected
    assert handoff is not None
    assert handoff.decision == expected
    handoff.decision["tags"].append("c")
    with store.transaction() as tx:
        again = tx.get_handoff(tenant.id, "h-1")
    assert again is not None
    assert again.decision == expected


def test_recent_contacts_are_the_customers_other_conversations_in_the_window(
        store: Store, tenant: Tenant) -> None:
    since, before = T0 - timedelta(days=7), T0
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(id="h-old", conversation_id="c-2", decision={
            "reasons": [{"code": "low_confidence", "rule": "question_types.billing"}],
            "signals": {"question_type": {"label": "billing"}}}))
        tx.add_handoff(make_handoff(id="h-intent", conversation_id="c-3", decision={
            "reasons": [], "brief": {"intent": {"label": "cancel"}}}))
        for conversation in (
            make_conversation("c-too-old", since - timedelta(seconds=1)),
            make_conversation("c-1", since),                       # the window's first instant
            make_conversation("c-2", since + timedelta(days=2), handoff_id="h-old"),
            make_conversation("c-3", since + timedelta(days=3), handoff_id="h-intent"),
            make_conversation("c-at-end", before),                 # the window is [since, before)
            make_conversation("c-now", before - timedelta(minutes=1)),  # the current one
            make_conversation("c-someone", since + timedelta(days=1), customer_key="cust-8"),
            make_conversation("c-no-key", since + timedelta(days=1), customer_key=None),
        ):
            tx.save_conversation(conversation)
    with store.transaction() as tx:
        contacts = tx.recent_contacts(tenant.id, "cust-77", since.astimezone(EST), before,
                                      exclude_conversation="c-now")
    assert [(c.at, c.reason, c.handoff) for c in contacts] == [
        (since, None, False),
        (since + timedelta(days=2), "billing", True),
        (since + timedelta(days=3), "cancel", True),
    ]


# --- handoffs ------------------------------------------------------------------------------


def test_update_handoff_changes_the_row_only_from_an_expected_status(
        store: Store, tenant: Tenant) -> None:
    queued = make_handoff()
    offered = replace(queued, status=HandoffStatus.OFFERED, rep_id="r-1", offered_at=T0)
    with store.transaction() as tx:
        tx.add_handoff(queued)
    with store.transaction() as tx:
        assert tx.update_handoff(offered, expect={HandoffStatus.OFFERED}) is False
        assert tx.get_handoff(tenant.id, "h-1") == queued
        assert tx.update_handoff(offered, expect={HandoffStatus.QUEUED}) is True
        assert tx.get_handoff(tenant.id, "h-1") == offered
        assert tx.update_handoff(make_handoff(id="h-missing"),
                                 expect={HandoffStatus.QUEUED}) is False
        with pytest.raises(ValueError, match="expected status"):
            tx.update_handoff(offered, expect=())


def test_a_duplicate_handoff_is_a_conflict(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.add_handoff(make_handoff())
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.add_handoff(make_handoff(queue="other"))


def test_every_handoff_field_round_trips(store: Store, tenant: Tenant) -> None:
    full = make_handoff(
        status=HandoffStatus.COMPLETED, rep_id="r-1", offered_at=T0 + timedelta(seconds=1),
        accepted_at=T0 + timedelta(seconds=4), completed_at=T0 + timedelta(minutes=5),
        outcome="resolved", csat=5, ai_was_wrong=False, note="refunded",
        customer_key="+15125550143", overflowed_from="tier1", declined_by=("r-2", "r-3"))
    with store.transaction() as tx:
        tx.add_handoff(full)
    with store.transaction() as tx:
        assert tx.get_handoff(tenant.id, "h-1") == full


def test_next_queued_is_the_highest_priority_then_the_oldest(store: Store, tenant: Tenant
                                                             ) -> None:
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(id="h-low-old", priority=10, created_at=T0))
        tx.add_handoff(make_handoff(id="h-high-new", priority=90,
                                    created_at=T0 + timedelta(minutes=2)))
        tx.add_handoff(make_handoff(id="h-high-old", priority=90,
                                    created_at=T0 + timedelta(minutes=1)))
        tx.add_handoff(make_handoff(id="h-offered", priority=99,
                                    status=HandoffStatus.OFFERED))
        tx.add_handoff(make_handoff(id="h-elsewhere", priority=99, queue="sales"))
    order: list[str] = []
    with store.transaction() as tx:
        while (handoff := tx.next_queued(tenant.id, "support")) is not None:
            order.append(handoff.id)
            tx.update_handoff(replace(handoff, status=HandoffStatus.OFFERED),
                              expect={HandoffStatus.QUEUED})
    assert order == ["h-high-old", "h-high-new", "h-low-old"]


def test_list_handoffs_filters_by_status_and_queue_in_queue_order(
        store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(id="h-1", priority=10))
        tx.add_handoff(make_handoff(id="h-2", priority=80, status=HandoffStatus.OFFERED))
        tx.add_handoff(make_handoff(id="h-3", priority=50, queue="sales"))
        tx.add_handoff(make_handoff(id="h-4", priority=20, status=HandoffStatus.COMPLETED))
    with store.transaction() as tx:
        assert [h.id for h in tx.list_handoffs(tenant.id)] == ["h-2", "h-3", "h-4", "h-1"]
        assert [h.id for h in tx.list_handoffs(
            tenant.id, statuses={HandoffStatus.QUEUED, HandoffStatus.OFFERED})] == [
                "h-2", "h-3", "h-1"]
        assert [h.id for h in tx.list_handoffs(tenant.id, queue="support", limit=2)] == [
            "h-2", "h-4"]


def test_list_handoffs_created_before_includes_the_boundary(store: Store, tenant: Tenant
                                                            ) -> None:
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(id="h-old", created_at=T0 - timedelta(minutes=5)))
        tx.add_handoff(make_handoff(id="h-edge", created_at=T0))
        tx.add_handoff(make_handoff(id="h-new", created_at=T0 + timedelta(seconds=1)))
    with store.transaction() as tx:
        assert [h.id for h in tx.list_handoffs(tenant.id, created_before=T0)] == [
            "h-old", "h-edge"]


# --- metrics -------------------------------------------------------------------------------


def _other_tenant(store: Store) -> Tenant:
    other = Tenant(id="t-globex", name="Globex")
    with store.transaction() as tx:
        tx.create_tenant(other)
    return other


def test_handoffs_between_is_the_windows_handoffs_oldest_first(store: Store, tenant: Tenant
                                                               ) -> None:
    other = _other_tenant(store)
    since, until = T0, T0 + timedelta(hours=1)
    with store.transaction() as tx:
        for handoff_id, at in (("h-before", since - timedelta(seconds=1)),
                               ("h-last", until - timedelta(seconds=1)),
                               ("h-b", since), ("h-a", since),  # same instant: by id
                               ("h-mid", since + timedelta(minutes=30)),
                               ("h-at-end", until)):  # the window is [since, until)
            tx.add_handoff(make_handoff(id=handoff_id, created_at=at))
        tx.add_handoff(make_handoff(id="h-other", tenant_id=other.id, created_at=since))
    with store.read() as tx:
        found = tx.handoffs_between(tenant.id, since.astimezone(EST), until)
        first_two = tx.handoffs_between(tenant.id, since, until, limit=2)
    assert [h.id for h in found] == ["h-a", "h-b", "h-mid", "h-last"]
    assert found[0] == make_handoff(id="h-a", created_at=since)
    assert [h.id for h in first_two] == ["h-a", "h-b"]


def test_conversations_between_counts_every_conversation_decided_in_the_window(
        store: Store, tenant: Tenant) -> None:
    other = _other_tenant(store)
    since, until = T0, T0 + timedelta(days=1)
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(id="h-1", conversation_id="c-late", created_at=T0))
        tx.add_handoff(make_handoff(id="h-2", conversation_id="c-late-old",
                                    created_at=T0 - timedelta(days=1)))
        for conversation in (
            make_conversation("c-first", since),
            make_conversation("c-mid", since + timedelta(hours=5)),
            make_conversation("c-before", since - timedelta(seconds=1)),
            make_conversation("c-at-end", until),
            # Escalated in the window, then decided again after it: still counted.
            replace(make_conversation("c-late", since), updated_at=until + timedelta(hours=2)),
            # Escalated before the window and decided after it: not counted.
            replace(make_conversation("c-late-old", since),
                    updated_at=until + timedelta(hours=2)),
            make_conversation("c-other", since, tenant_id=other.id),
        ):
            tx.save_conversation(conversation)
    with store.read() as tx:
        assert tx.conversations_between(tenant.id, since, until) == 3
        assert tx.conversations_between(other.id, since, until) == 1
        assert tx.conversations_between(tenant.id, until + timedelta(days=1),
                                        until + timedelta(days=2)) == 0


def test_contacts_between_are_the_customers_conversations_started_in_the_window(
        store: Store, tenant: Tenant) -> None:
    other = _other_tenant(store)
    since, until = T0, T0 + timedelta(days=14)
    with store.transaction() as tx:
        for conversation in (
            make_conversation("c-2", since + timedelta(days=2)),
            make_conversation("c-1", since),
            make_conversation("c-before", since - timedelta(seconds=1)),
            make_conversation("c-at-end", until),
            make_conversation("c-8", since + timedelta(days=1), customer_key="cust-8"),
            make_conversation("c-9", since + timedelta(days=1), customer_key="cust-9"),
            make_conversation("c-nobody", since + timedelta(days=1), customer_key=None),
            make_conversation("c-other", since, tenant_id=other.id),
        ):
            tx.save_conversation(conversation)
    with store.read() as tx:
        found = tx.contacts_between(tenant.id, since, until, {"cust-77", "cust-8", "nobody"})
        none = tx.contacts_between(tenant.id, since, until, ())
    assert found == [
        CustomerContact("cust-77", "c-1", since),
        CustomerContact("cust-8", "c-8", since + timedelta(days=1)),
        CustomerContact("cust-77", "c-2", since + timedelta(days=2)),
    ]
    assert none == []


def test_contacts_between_reads_many_customers_at_once(store: Store, tenant: Tenant) -> None:
    keys = [f"cust-{i}" for i in range(1, 1201)]  # more than one IN list's worth
    with store.transaction() as tx:
        for i, key in enumerate(keys):
            tx.save_conversation(make_conversation(f"c-{i}", T0 + timedelta(seconds=i),
                                                   customer_key=key))
    with store.read() as tx:
        found = tx.contacts_between(tenant.id, T0, T0 + timedelta(days=1), keys)
    assert [c.customer_key for c in found] == keys


# --- reps ----------------------------------------------------------------------------------


def test_take_slot_stops_at_capacity_and_needs_an_available_rep(
        store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.save_rep(make_rep(capacity=2))
        tx.save_rep(make_rep(id="r-away", status=RepStatus.AWAY))
    with store.transaction() as tx:
        assert [tx.take_slot(tenant.id, "r-1") for _ in range(3)] == [True, True, False]
        assert tx.take_slot(tenant.id, "r-away") is False
        assert tx.take_slot(tenant.id, "r-missing") is False
        rep = tx.get_rep(tenant.id, "r-1")
        assert rep is not None
        assert rep.active == 2


def test_release_slot_frees_one_slot_never_below_zero_and_marks_idle(
        store: Store, tenant: Tenant) -> None:
    at = datetime(2026, 11, 24, 13, 30, tzinfo=EST)
    with store.transaction() as tx:
        tx.save_rep(make_rep(active=1))
    with store.transaction() as tx:
        tx.release_slot(tenant.id, "r-1", at)
        tx.release_slot(tenant.id, "r-1", at)
        tx.release_slot(tenant.id, "r-missing", at)
    with store.transaction() as tx:
        assert tx.get_rep(tenant.id, "r-1") == make_rep(active=0, idle_since=at)


def test_save_rep_replaces_settings_and_list_reps_orders_by_id(store: Store, tenant: Tenant
                                                               ) -> None:
    with store.transaction() as tx:
        tx.save_rep(make_rep(id="r-2"))
        tx.save_rep(make_rep(id="r-1"))
        tx.save_rep(make_rep(id="r-2", skills=("sales", "es"), capacity=3,
                             status=RepStatus.BUSY, timezone="Europe/Paris",
                             idle_since=None, role=Role.SUPERVISOR))
    with store.transaction() as tx:
        assert tx.list_reps(tenant.id) == [
            make_rep(id="r-1"),
            make_rep(id="r-2", skills=("sales", "es"), capacity=3, status=RepStatus.BUSY,
                     timezone="Europe/Paris", role=Role.SUPERVISOR)]


def test_save_rep_never_overwrites_a_slot_taken_since_the_rep_was_read(
        store: Store, tenant: Tenant) -> None:
    # `PUT /v1/reps/{id}` reads the rep, then saves it; an offer may take a slot in between
    # (found by bench/faults/kill_worker.py on PostgreSQL: 51 handoffs held on 50 slots).
    with store.transaction() as tx:
        tx.save_rep(make_rep(capacity=2))
    with store.transaction() as tx:
        stale = tx.get_rep(tenant.id, "r-1")
    with store.transaction() as tx:
        assert tx.take_slot(tenant.id, "r-1")
    assert stale is not None
    with store.transaction() as tx:
        tx.save_rep(stale)
    with store.transaction() as tx:
        rep = tx.get_rep(tenant.id, "r-1")
    assert rep is not None
    assert rep.active == 1


# --- events --------------------------------------------------------------------------------


def test_events_after_pages_through_a_tenants_events_in_order(store: Store, tenant: Tenant
                                                              ) -> None:
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-other", name="Other"))
        ids = []
        for n in range(5):
            ids.append(tx.add_event(tenant.id, "turn.appended", {"n": n}, T0))
            tx.add_event("t-other", "turn.appended", {"n": n}, T0)
    assert ids == sorted(ids)
    with store.transaction() as tx:
        first = tx.events_after(tenant.id, 0, limit=2)
        rest = tx.events_after(tenant.id, first[-1].id, limit=10)
        assert tx.latest_event_id(tenant.id) == ids[-1]
    assert [e.payload["n"] for e in first + rest] == [0, 1, 2, 3, 4]
    assert [e.id for e in first + rest] == ids
    assert {(e.tenant_id, e.type, e.created_at) for e in rest} == {
        (tenant.id, "turn.appended", T0)}


# --- transactions and times ----------------------------------------------------------------


def _write_everything_then_fail(store: Store, tenant_id: str) -> None:
    with store.transaction() as tx:
        tx.add_handoff(make_handoff())
        tx.save_conversation(make_conversation("c-1", T0))
        tx.save_decision(tenant_id, "c-1", "turn-1", {"action": "continue"}, T0)
        assert tx.take_slot(tenant_id, "r-1")
        tx.add_event(tenant_id, "handoff.created", {}, T0)
        raise RuntimeError("boom")


def test_a_failed_transaction_leaves_nothing(store: Store, tenant: Tenant) -> None:
    with store.transaction() as tx:
        tx.save_rep(make_rep())
    with pytest.raises(RuntimeError, match="boom"):
        _write_everything_then_fail(store, tenant.id)
    with store.transaction() as tx:
        assert tx.get_handoff(tenant.id, "h-1") is None
        assert tx.get_conversation(tenant.id, "c-1") is None
        assert tx.find_decision(tenant.id, "c-1", "turn-1") is None
        assert tx.get_rep(tenant.id, "r-1") == make_rep()
        assert tx.events_after(tenant.id, 0) == []


def test_times_come_back_as_the_same_instant_in_utc(store: Store, tenant: Tenant) -> None:
    local = datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=EST)
    with store.transaction() as tx:
        tx.add_handoff(make_handoff(created_at=local, accepted_at=local))
        tx.save_rep(make_rep(idle_since=local))
        tx.add_event(tenant.id, "x", {}, local)
    with store.transaction() as tx:
        handoff = tx.get_handoff(tenant.id, "h-1")
        rep = tx.get_rep(tenant.id, "r-1")
        (event,) = tx.events_after(tenant.id, 0)
    assert handoff is not None
    assert rep is not None
    for value in (handoff.created_at, handoff.accepted_at, rep.idle_since, event.created_at):
        assert value == local
        assert value is not None
        assert value.utcoffset() == timedelta(0)


def test_naive_times_are_refused(store: Store, tenant: Tenant) -> None:
    with pytest.raises(ValueError, match="naive"), store.transaction() as tx:
        tx.add_handoff(make_handoff(created_at=datetime(2026, 11, 24, 12, 0)))


# --- races ---------------------------------------------------------------------------------


def _race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `workers` threads released together; return results in order."""
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * workers
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as err:  # re-raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results


def test_of_reps_accepting_one_handoff_at_once_exactly_one_wins(
        store_factory: StoreFactory, tenant: Tenant) -> None:
    offered = make_handoff(status=HandoffStatus.OFFERED, rep_id="r-0", offered_at=T0)
    with store_factory().transaction() as tx:
        tx.add_handoff(offered)
    stores = [store_factory() for _ in range(8)]

    def accept(i: int) -> bool:
        with stores[i].transaction() as tx:
            current = tx.get_handoff(tenant.id, "h-1")
            assert current is not None
            return tx.update_handoff(
                replace(current, status=HandoffStatus.ACCEPTED, rep_id=f"r-{i}",
                        accepted_at=T0 + timedelta(seconds=i)),
                expect={HandoffStatus.OFFERED})

    wins = _race(8, accept)
    assert wins.count(True) == 1
    with stores[0].transaction() as tx:
        final = tx.get_handoff(tenant.id, "h-1")
    assert final is not None
    assert final.status is HandoffStatus.ACCEPTED
    assert final.rep_id == f"r-{wins.index(True)}"


def test_a_tenants_events_commit_in_id_order(store_factory: StoreFactory, tenant: Tenant
                                             ) -> None:
    """A reader paging with events_after must never see event n+1 before event n commits:
    a second event writer waits for the first to commit."""
    first_store, second_store = store_factory(), store_factory()
    first_added, second_done = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def second_writer() -> None:
        first_added.wait(timeout=10)
        with second_store.transaction() as tx:
            ids["second"] = tx.add_event(tenant.id, "second", {}, T0)
        second_done.set()

    writer = threading.Thread(target=second_writer)
    writer.start()
    with first_store.transaction() as tx:
        ids["first"] = tx.add_event(tenant.id, "first", {}, T0)
        first_added.set()
        assert not second_done.wait(timeout=0.2), "the second writer did not wait"
    writer.join(timeout=10)
    assert ids["first"] < ids["second"]


CAPACITIES = {"r-a": 20, "r-b": 15, "r-c": 10}  # 45 slots for 50 handoffs


def _seed_claims(store: Store) -> None:
    with store.transaction() as tx:
        for n in range(50):
            tx.add_handoff(make_handoff(id=f"h-{n:02}", priority=n % 3,
                                        created_at=T0 + timedelta(seconds=n)))
        for rep_id, capacity in CAPACITIES.items():
            tx.save_rep(make_rep(id=rep_id, capacity=capacity, skills=()))


def _claim_all(store: Store) -> list[tuple[str, str]]:
    """A routing worker: claim the next queued handoff for the longest-idle rep with a
    free slot, until the queue or every rep is full."""
    claimed: list[tuple[str, str]] = []
    while True:
        with store.transaction() as tx:
            handoff = tx.next_queued("t-acme", "support")
            rep = pick_rep(tx.list_reps("t-acme"), ())
            if handoff is None or rep is None:
                return claimed
            if not tx.take_slot("t-acme", rep.id):
                continue  # another worker filled the rep first: read again
            offered = replace(handoff, status=HandoffStatus.OFFERED, rep_id=rep.id,
                              offered_at=T0)
            if not tx.update_handoff(offered, expect={HandoffStatus.QUEUED}):
                raise AssertionError(f"{handoff.id} was claimed under our lock")
        claimed.append((handoff.id, rep.id))


def _check_claims(store: Store, claims: list[tuple[str, str]]) -> None:
    ids = [handoff_id for handoff_id, _ in claims]
    assert len(ids) == len(set(ids)) == sum(CAPACITIES.values())
    per_rep = Counter(rep_id for _, rep_id in claims)
    with store.transaction() as tx:
        reps = {r.id: r for r in tx.list_reps("t-acme")}
        offered = tx.list_handoffs("t-acme", statuses={HandoffStatus.OFFERED})
        queued = tx.list_handoffs("t-acme", statuses={HandoffStatus.QUEUED})
    assert {rep_id: r.active for rep_id, r in reps.items()} == per_rep == CAPACITIES
    assert {h.id: h.rep_id for h in offered} == dict(claims)
    assert len(queued) == 50 - len(claims)


def test_concurrent_workers_claim_each_handoff_once_within_capacity(
        store_factory: StoreFactory, tenant: Tenant) -> None:
    _seed_claims(store_factory())
    stores = [store_factory() for _ in range(4)]
    results = _race(4, lambda i: _claim_all(stores[i]))
    _check_claims(stores[0], [claim for claimed in results for claim in claimed])


def _claim_in_process(url: str, start: Any, out: Any) -> None:
    store = SqlStore(url)
    start.wait()
    out.put(_claim_all(store))
    store.close()


def test_processes_sharing_one_sqlite_file_claim_each_handoff_once(empty_sqlite_url: str
                                                                  ) -> None:
    sqlite_url = empty_sqlite_url
    store = SqlStore(sqlite_url)
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-acme", name="Acme"))
    _seed_claims(store)
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    processes = [context.Process(target=_claim_in_process, args=(sqlite_url, start, out))
                 for _ in range(4)]
    for process in processes:
        process.start()
    start.set()
    claims = [claim for _ in processes for claim in out.get(timeout=30)]
    for process in processes:
        process.join(timeout=10)
        assert process.exitcode == 0
    _check_claims(store, claims)
    store.close()
