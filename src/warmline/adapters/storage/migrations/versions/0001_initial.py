"""Initial schema: tenants, API keys, users, conversations, decisions, handoffs, reps, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.schema import SchemaItem

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_id(table: str) -> list[SchemaItem]:
    return [
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{table}_tenant_id_tenants")),
    ]


def _time(name: str, *, nullable: bool) -> sa.Column[object]:
    # tables.UtcDateTime stores through this type; a migration never imports live code.
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        *_tenant_id("api_keys"),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        _time("created_at", nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=64), nullable=False),
        *_tenant_id("users"),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "username", name=op.f("uq_users_tenant_id_username")),
    )
    op.create_table(
        "conversations",
        *_tenant_id("conversations"),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("customer_key", sa.String(length=200), nullable=True),
        sa.Column("handoff_id", sa.String(length=64), nullable=True),
        _time("started_at", nullable=True),
        _time("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_tenant_id_customer_key_started_at"),
                    "conversations", ["tenant_id", "customer_key", "started_at"])
    op.create_table(
        "decisions",
        *_tenant_id("decisions"),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("turn_id", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "conversation_id", "turn_id",
                                name=op.f("pk_decisions")),
    )
    op.create_table(
        "handoffs",
        *_tenant_id("handoffs"),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        _time("created_at", nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("rep_id", sa.String(length=64), nullable=True),
        _time("offered_at", nullable=True),
        _time("accepted_at", nullable=True),
        _time("completed_at", nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("ai_was_wrong", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("customer_key", sa.String(length=200), nullable=True),
        sa.Column("overflowed_from", sa.String(length=200), nullable=True),
        sa.Column("declined_by", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_tenant_id_queue_status_priority_created_at"),
                    "handoffs", ["tenant_id", "queue", "status", "priority", "created_at"])
    op.create_index(op.f("ix_handoffs_tenant_id_status_created_at"),
                    "handoffs", ["tenant_id", "status", "created_at"])
    op.create_index(op.f("ix_handoffs_tenant_id_conversation_id"),
                    "handoffs", ["tenant_id", "conversation_id"])
    op.create_table(
        "reps",
        *_tenant_id("reps"),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        _time("idle_since", nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint("active >= 0", name=op.f("ck_reps_active_not_negative")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reps")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        *_tenant_id("events"),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_tenant_id_id"), "events", ["tenant_id", "id"])


def downgrade() -> None:
    for table in ("events", "reps", "handoffs", "decisions", "conversations", "users",
                  "api_keys", "tenants"):
        op.drop_table(table)
