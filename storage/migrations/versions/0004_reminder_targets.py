"""alerts: reminder leads carry their subscription's target and channel, so a tick matches
them by index alone; the outbox loses its subscription_id index and its foreign keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The same key `storage.alerts_repo.target_key` builds; spelled out in SQL so that the
# migration does not depend on application code that may change after it.
_TARGET_OF_SUBSCRIPTION = (
    "CASE s.target_kind"
    " WHEN 'all' THEN 'all'"
    " WHEN 'city' THEN 'city:' || s.target_text"
    " ELSE s.target_kind || ':' || CAST(s.target_id AS VARCHAR) END"
)
_COPIED = {
    "target": _TARGET_OF_SUBSCRIPTION,
    "platform": "s.platform",
    "workspace_id": "s.workspace_id",
    "channel_id": "s.channel_id",
}


def upgrade() -> None:
    with op.batch_alter_table("subscription_lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("platform", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("workspace_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("channel_id", sa.String(length=64), nullable=False, server_default="")
        )
    for column, expression in _COPIED.items():
        op.execute(
            f"UPDATE subscription_lead SET {column} = (SELECT {expression} FROM subscription s"
            " WHERE s.id = subscription_lead.subscription_id)"
        )
    # Lead rows now exist only while their subscription runs: a paused one has none.
    op.execute(
        "DELETE FROM subscription_lead WHERE subscription_id IN"
        " (SELECT id FROM subscription WHERE paused)"
    )
    # The outbox's links to subscription and showtime cost a random lookup or index write
    # per alert on the scheduler's hot path; see AlertOutbox.
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_outbox_subscription_id"))
        batch_op.drop_constraint("fk_alert_outbox_subscription_id_subscription", type_="foreignkey")
        batch_op.drop_constraint("fk_alert_outbox_showtime_id_showtime", type_="foreignkey")
    with op.batch_alter_table("subscription_lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_lead_lead_minutes"))
        batch_op.create_index(
            "ix_subscription_lead_match",
            ["lead_minutes", "target", "subscription_id", "platform", "workspace_id", "channel_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_alert_outbox_subscription_id_subscription",
            "subscription",
            ["subscription_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_alert_outbox_showtime_id_showtime",
            "showtime",
            ["showtime_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_alert_outbox_subscription_id"), ["subscription_id"], unique=False
        )
    with op.batch_alter_table("subscription_lead", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_lead_match")
        batch_op.create_index(
            batch_op.f("ix_subscription_lead_lead_minutes"), ["lead_minutes"], unique=False
        )
        for column in ("channel_id", "workspace_id", "platform", "target"):
            batch_op.drop_column(column)
