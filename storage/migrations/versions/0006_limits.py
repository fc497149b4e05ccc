"""widen the columns whose limits storage/limits.py now derives: normal forms and alert targets

Normal forms are cut to NORM_MAX by `normalize` (transliteration can make a CJK or emoji title
several times longer than itself); a subscription's target text holds a film label, a name or
a city's normal form; its lead rows hold the target as a key.

The sizes are written out here, not read from storage/limits.py: a migration records the
schema as it was at this revision, whatever the limits become later.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, column, size before, size after)
WIDENED = (
    ("film_title", "norm", 200, 800),
    ("person", "norm", 200, 800),
    ("cinema", "norm", 200, 800),
    ("cinema", "city_norm", 100, 800),
    ("event", "norm", 200, 800),
    ("subscription", "target_text", 100, 800),
    ("subscription_lead", "target", 120, 807),
)


def upgrade() -> None:
    for table, column, before, after in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.String(length=before), type_=sa.String(length=after)
            )


def downgrade() -> None:
    for table, column, before, after in reversed(WIDENED):
        # Values that only fit the wider column are cut, or PostgreSQL refuses the narrowing.
        op.execute(
            sa.text(
                f"UPDATE {table} SET {column} = substr({column}, 1, {before}) "
                f"WHERE length({column}) > {before}"
            )
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.String(length=after), type_=sa.String(length=before)
            )
