"""Policy versions in the database: per tenant, each version's YAML text, author, time, note,
state (draft, published, retired) and who published it when. A partial unique index lets at
most one version of a tenant be published; decisions carry the version they were made under
(`policy_version`). Tenants start with none: the server seeds version 1 from the tenant's
policy file.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    published = sa.text("state = 'published'")
    op.create_table(
        "policy_versions",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'published', 'retired')",
                           name=op.f("ck_policy_versions_state")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name=op.f("fk_policy_versions_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "version", name=op.f("pk_policy_versions")),
    )
    op.create_index("ix_policy_versions_one_published", "policy_versions", ["tenant_id"],
                    unique=True, postgresql_where=published, sqlite_where=published)


def downgrade() -> None:
    op.drop_index("ix_policy_versions_one_published", table_name="policy_versions")
    op.drop_table("policy_versions")
