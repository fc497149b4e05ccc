"""community ids are never reused on SQLite (AUTOINCREMENT)

Without it SQLite gives a new row the highest id plus one, so deleting the newest community
and making another reused its id. PostgreSQL's sequence never goes back: nothing to do there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # env.py runs SQLite migrations with foreign keys off (and checks them after), so the
    # rows pointing at `community` survive the table being copied.
    with op.batch_alter_table(
        "community", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
