"""communities: spaces, members, link codes, and a community on every row a community owns

Everything a database held before communities becomes community 1's, which waits for a space
(`awaiting_space`): the first server, workspace or console to use Marquee joins it. Films
stay shared (community NULL); listings and audit rows arrive as community 1's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Tables whose every row belongs to a community.
OWNED = (
    "review",
    "member_rating",
    "watchlist_item",
    "not_interested",
    "subscription",
    "subscription_lead",
    "alert_outbox",
)
# Tables whose rows belong to a community or, with NULL, to every one. Existing films stay
# shared; existing listings and audit rows are the one community's.
LISTINGS = ("cinema", "event", "showtime", "audit_entry")
SHARED = ("film",)
# (table, old unique constraint, its columns): each becomes unique within a community.
MEMBER_UNIQUES = (
    ("member_rating", "uq_member_rating_platform", ("platform", "user_id", "film_id")),
    ("watchlist_item", "uq_watchlist_item_platform", ("platform", "user_id", "film_id")),
    ("not_interested", "uq_not_interested_platform", ("platform", "user_id", "film_id")),
    ("showtime", "uq_showtime_external_uid", ("external_uid",)),
)


def upgrade() -> None:
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("awaiting_space", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
    )
    op.create_table(
        "space",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.Column("previous_community_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_space_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["previous_community_id"],
            ["community.id"],
            name=op.f("fk_space_previous_community_id_community"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_space_platform")),
    )
    with op.batch_alter_table("space", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_space_community_id"), ["community_id"], unique=False)
    op.create_table(
        "community_member",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_community_member_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "community_id", "platform", "user_id", name=op.f("pk_community_member")
        ),
    )
    with op.batch_alter_table("community_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_member_user_id"), ["user_id"], unique=False)
    op.create_table(
        "link_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_link_code_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_link_code")),
    )

    community = sa.table(
        "community",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("settings", sa.JSON),
        sa.column("created_at", sa.DateTime),
        sa.column("awaiting_space", sa.Boolean),
    )
    op.bulk_insert(
        community,
        [
            {
                "id": 1,
                "name": "Marquee",
                "settings": {},
                "created_at": datetime.now(UTC).replace(tzinfo=None),
                "awaiting_space": True,
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # The row above named its id; the sequence must not hand out 1 again.
        op.execute("SELECT setval(pg_get_serial_sequence('community', 'id'), 1)")

    for table in (*OWNED, *LISTINGS, *SHARED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        if table not in SHARED:
            op.execute(f"UPDATE {table} SET community_id = 1")
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in OWNED:
                batch_op.alter_column("community_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(
                batch_op.f(f"ix_{table}_community_id"), ["community_id"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_community_id_community"),
                "community",
                ["community_id"],
                ["id"],
                ondelete="CASCADE",
            )
    for table, old, columns in MEMBER_UNIQUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(old, type_="unique")
            batch_op.create_unique_constraint(
                batch_op.f(f"uq_{table}_community_id"), ["community_id", *columns]
            )


def downgrade() -> None:
    # Back to one community: only community 1's rows fit the old uniques, so the others go.
    for table in (*OWNED, *LISTINGS):
        op.execute(f"DELETE FROM {table} WHERE community_id IS NOT NULL AND community_id <> 1")
    op.execute("DELETE FROM film WHERE community_id IS NOT NULL AND community_id <> 1")
    for table, old, columns in reversed(MEMBER_UNIQUES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_community_id", type_="unique")
            batch_op.create_unique_constraint(old, list(columns))
    for table in reversed((*OWNED, *LISTINGS, *SHARED)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_community_id_community", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_community_id")
            batch_op.drop_column("community_id")
    op.drop_table("link_code")
    with op.batch_alter_table("community_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_member_user_id"))
    op.drop_table("community_member")
    with op.batch_alter_table("space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_space_community_id"))
    op.drop_table("space")
    op.drop_table("community")
