"""The SQL schema as SQLAlchemy Core tables: the one `metadata` that `SqlStore` queries and
the Alembic migrations are checked against. Every row belongs to a tenant; times are UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from .records import as_utc

# Stable constraint names, so migrations can refer to them on every database.
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime. PostgreSQL keeps a `timestamptz`; SQLite, which has no time
    type, keeps the UTC wall time as text in a fixed format, so text order is time order."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tenant_id() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(64),
                     sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("policy", sa.Text, nullable=True),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant_id(),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("key_hash", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _tenant_id(),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(500), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("rep_id", sa.String(64), nullable=True),
    # Bumped to end every desk session of the user (migration 0004).
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("tenant_id", "username"),
)

conversations = sa.Table(
    "conversations", metadata,
    _tenant_id(),
    sa.Column("id", sa.String(200), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("customer_key", sa.String(200), nullable=True),
    sa.Column("handoff_id", sa.String(64), nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    # Repeat contacts: a customer's conversations in a time window. Partial, so a lookup by
    # `tenant_id` and `id` can only ever use the primary key (migration 0003 says why).
    sa.Index(None, "tenant_id", "customer_key", "started_at",
             postgresql_where=sa.text("customer_key IS NOT NULL"),
             sqlite_where=sa.text("customer_key IS NOT NULL")),
)

decisions = sa.Table(
    "decisions", metadata,
    _tenant_id(),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("turn_id", sa.String(200), nullable=False),
    sa.Column("decision", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # One decision per turn: the key is what makes a retried POST idempotent.
    sa.PrimaryKeyConstraint("tenant_id", "conversation_id", "turn_id"),
)

handoffs = sa.Table(
    "handoffs", metadata,
    _tenant_id(),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("queue", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("decision", sa.JSON, nullable=False),
    sa.Column("rep_id", sa.String(64), nullable=True),
    sa.Column("offered_at", UtcDateTime, nullable=True),
    sa.Column("accepted_at", UtcDateTime, nullable=True),
    sa.Column("completed_at", UtcDateTime, nullable=True),
    sa.Column("outcome", sa.String(200), nullable=True),
    sa.Column("csat", sa.Integer, nullable=True),
    sa.Column("ai_was_wrong", sa.Boolean, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("customer_key", sa.String(200), nullable=True),
    sa.Column("overflowed_from", sa.String(200), nullable=True),
    sa.Column("declined_by", sa.JSON, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    # The queue claim: WHERE tenant, queue, status ORDER BY priority DESC, created_at.
    sa.Index(None, "tenant_id", "queue", "status", "priority", "created_at"),
    sa.Index(None, "tenant_id", "status", "created_at"),
    sa.Index(None, "tenant_id", "conversation_id"),
)

reps = sa.Table(
    "reps", metadata,
    _tenant_id(),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("idle_since", UtcDateTime, nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("missed_offers", sa.Integer, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.CheckConstraint("active >= 0", name="active_not_negative"),
)

events = sa.Table(
    "events", metadata,
    # BIGSERIAL on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY (the rowid).
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    _tenant_id(),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # The desk stream and the outbox read a tenant's events after an id.
    sa.Index(None, "tenant_id", "id"),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=True),
    _tenant_id(),
    # The webhook-id: stable across retries, so receivers can drop a repeat.
    sa.Column("message_id", sa.String(64), nullable=False, unique=True),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("claim", sa.String(64), nullable=True),
    # The worker's claim: WHERE status = 'pending' AND due_at <= now ORDER BY due_at.
    sa.Index(None, "status", "due_at"),
    sa.Index(None, "tenant_id", "status"),
)

policy_versions = sa.Table(
    "policy_versions", metadata,
    _tenant_id(),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("yaml", sa.Text, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("published_by", sa.String(200), nullable=True),
    sa.Column("published_at", UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "version"),
    sa.CheckConstraint("state IN ('draft', 'published', 'retired')", name="state"),
    # Exactly one published version per tenant: a second is refused by the database.
    sa.Index("ix_policy_versions_one_published", "tenant_id", unique=True,
             postgresql_where=sa.text("state = 'published'"),
             sqlite_where=sa.text("state = 'published'")),
)
