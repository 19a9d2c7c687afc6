"""Ring-no-answer: `reps.missed_offers`, the offers in a row a rep let ring out.

An offer not accepted within its queue's `offer_timeout_seconds` goes to the next rep with the
skills; the rep who missed it gets one more here, and after `away_after_missed_offers` in a
row is set away (the supervisor view shows why). Accepting an offer, or coming back to
`available`, resets it. Existing reps start at 0.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reps", sa.Column("missed_offers", sa.Integer(), nullable=False,
                                    server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("reps") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("missed_offers")
