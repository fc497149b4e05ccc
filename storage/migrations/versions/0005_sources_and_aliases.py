"""showtimes remember which import (source) put them there; cinemas get aliases

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("showtime", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_showtime_source"), ["source"], unique=False)
    with op.batch_alter_table("cinema", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("aliases", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("cinema", schema=None) as batch_op:
        batch_op.drop_column("aliases")
    with op.batch_alter_table("showtime", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_showtime_source"))
        batch_op.drop_column("source")
