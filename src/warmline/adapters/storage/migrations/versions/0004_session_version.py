"""Desk sessions can be ended from the server: `users.session_version`.

A desk session cookie is signed, not stored, so before this nothing could end one: a cookie
copied before logout kept working after it, and after the user was removed. Each session now
carries the version its user had at login, and every request compares it with this column;
logout, a password change, a role change and removal bump it (or remove the row), which ends
every session of that user on every worker at once. Existing users start at 0.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False,
                                     server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("session_version")
