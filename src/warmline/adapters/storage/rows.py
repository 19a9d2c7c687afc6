"""Between SQL rows and the port's values: enums stored as their SPEC strings, tuples as
JSON lists, times as aware UTC (naive ones are refused here, before any SQL runs)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from warmline.core.handoff import Handoff, HandoffStatus, Rep, RepStatus, Role, Tenant
from warmline.service.ports import (
    ApiKey,
    Event,
    OutboxMessage,
    OutboxStatus,
    StoredConversation,
    User,
)

from .records import as_utc, maybe_utc

Row = sa.Row[Any]


def tenant(row: Row) -> Tenant:
    return Tenant(id=row.id, name=row.name, policy=row.policy)


def api_key_values(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "tenant_id": key.tenant_id, "prefix": key.prefix,
            "key_hash": key.key_hash, "created_at": as_utc(key.created_at), "revoked": key.revoked}


def api_key(row: Row) -> ApiKey:
    return ApiKey(id=row.id, tenant_id=row.tenant_id, prefix=row.prefix,
                  key_hash=row.key_hash, created_at=row.created_at, revoked=row.revoked)


def user_values(user: User) -> dict[str, Any]:
    return {"id": user.id, "tenant_id": user.tenant_id, "username": user.username,
            "password_hash": user.password_hash, "role": user.role.value,
            "rep_id": user.rep_id, "session_version": user.session_version}


def user(row: Row) -> User:
    return User(id=row.id, tenant_id=row.tenant_id, username=row.username,
                password_hash=row.password_hash, role=Role(row.role), rep_id=row.rep_id,
                session_version=row.session_version)


def conversation_values(conversation: StoredConversation) -> dict[str, Any]:
    return {"tenant_id": conversation.tenant_id, "id": conversation.id,
            "data": conversation.data, "customer_key": conversation.customer_key,
            "handoff_id": conversation.handoff_id,
            "updated_at": maybe_utc(conversation.updated_at)}


def conversation(row: Row) -> StoredConversation:
    return StoredConversation(tenant_id=row.tenant_id, id=row.id, data=row.data,
                              customer_key=row.customer_key, handoff_id=row.handoff_id,
                              updated_at=row.updated_at)


def handoff_values(handoff: Handoff) -> dict[str, Any]:
    return {
        "tenant_id": handoff.tenant_id, "id": handoff.id,
        "conversation_id": handoff.conversation_id, "queue": handoff.queue,
        "status": handoff.status.value, "priority": handoff.priority, "mode": handoff.mode,
        "created_at": as_utc(handoff.created_at), "decision": handoff.decision,
        "rep_id": handoff.rep_id, "offered_at": maybe_utc(handoff.offered_at),
        "accepted_at": maybe_utc(handoff.accepted_at),
        "completed_at": maybe_utc(handoff.completed_at),
        "outcome": handoff.outcome, "csat": handoff.csat, "ai_was_wrong": handoff.ai_was_wrong,
        "note": handoff.note, "customer_key": handoff.customer_key,
        "overflowed_from": handoff.overflowed_from, "declined_by": list(handoff.declined_by),
    }


def handoff(row: Row) -> Handoff:
    return Handoff(
        id=row.id, tenant_id=row.tenant_id, conversation_id=row.conversation_id,
        queue=row.queue, status=HandoffStatus(row.status), priority=row.priority,
        mode=row.mode, created_at=row.created_at, decision=row.decision, rep_id=row.rep_id,
        offered_at=row.offered_at, accepted_at=row.accepted_at,
        completed_at=row.completed_at, outcome=row.outcome, csat=row.csat,
        ai_was_wrong=row.ai_was_wrong, note=row.note, customer_key=row.customer_key,
        overflowed_from=row.overflowed_from, declined_by=tuple(row.declined_by),
    )


def rep_values(rep: Rep) -> dict[str, Any]:
    return {"tenant_id": rep.tenant_id, "id": rep.id, "name": rep.name,
            "skills": list(rep.skills), "capacity": rep.capacity, "active": rep.active,
            "status": rep.status.value, "timezone": rep.timezone,
            "idle_since": maybe_utc(rep.idle_since), "role": rep.role.value,
            "missed_offers": rep.missed_offers}


def rep(row: Row) -> Rep:
    return Rep(id=row.id, tenant_id=row.tenant_id, name=row.name, skills=tuple(row.skills),
               capacity=row.capacity, active=row.active, status=RepStatus(row.status),
               timezone=row.timezone, idle_since=row.idle_since, role=Role(row.role),
               missed_offers=row.missed_offers)


def event(row: Row) -> Event:
    return Event(id=row.id, tenant_id=row.tenant_id, type=row.type, payload=row.payload,
                 created_at=row.created_at)


def outbox_message(row: Row) -> OutboxMessage:
    return OutboxMessage(
        id=row.id, tenant_id=row.tenant_id, message_id=row.message_id, target=row.target,
        type=row.type, payload=row.payload, created_at=row.created_at, due_at=row.due_at,
        attempts=row.attempts, status=OutboxStatus(row.status), last_error=row.last_error,
        delivered_at=row.delivered_at, claim=row.claim)
