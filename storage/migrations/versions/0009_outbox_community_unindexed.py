"""alert_outbox.community_id without an index

The scheduler inserts thousands of outbox rows a tick and delivery reads them by status and
due time; nothing reads the outbox by community alone (a deleted community's rows go by the
cascade, which is rare), so the index only cost every insert a second B-tree write
(bench/bench_communities.py: the alert tick 1.14-1.27x the single-community figure with it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_outbox_community_id")


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_alert_outbox_community_id", ["community_id"], unique=False)
