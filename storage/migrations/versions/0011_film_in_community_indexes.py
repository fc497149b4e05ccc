"""A film's rows in one community are read by one index

review, member_rating, watchlist_item and not_interested had `film_id` indexed alone beside
`community_id`. SQLite, without statistics, weighs the two single-column indexes alike and
took the community's for `film_id = ? AND community_id = ?`: in a database of one community
that is every row (a film card's rating summary read a million member ratings, 97 ms). The
film index now names the community too, so it matches both columns and wins.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("review", "member_rating", "watchlist_item", "not_interested")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_film_community", table, ["film_id", "community_id"])
        op.drop_index(f"ix_{table}_film_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_film_id", table, ["film_id"])
        op.drop_index(f"ix_{table}_film_community", table_name=table)
