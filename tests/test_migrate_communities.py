"""Migration 0008: a database from before communities arrives whole in one community."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from bot.core import Marquee
from bot.types import Actor, ChannelRef, Invocation, Role
from tests.conftest import make_core

HERE = ChannelRef("test", "festival", "general")
MOD = Actor("test", "u-mod", "Max Moderator", Role.MODERATOR)
MEMBER = Actor("test", "u-mia", "Mia Member", Role.MEMBER)


def _fill(core: Marquee) -> None:
    """Rows in every table a community owns, through the commands that make them."""
    for actor, command_name, args in (
        (MOD, "alerts subscribe", {"target": "film:Second Victims", "leads": "60"}),
        (MEMBER, "watch", {"title": "Second Victims"}),
        (MEMBER, "not interested", {"title": "Solaris (1972)"}),
        (MEMBER, "rate", {"title": "Arrival", "score": "4"}),
        (MOD, "film edit", {"film": "Arrival", "synopsis": "Edited before communities."}),
    ):
        reply = core.handle(Invocation(command_name, args, actor, HERE))
        assert not reply.is_error, reply
    with core.db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alert_outbox (dedupe_key, kind, showtime_id, lead_minutes,"
                " platform, workspace_id, channel_id, direct, due_at, status, attempts,"
                " created_at, community_id) SELECT 'k', 'new', min(id), 0, 'test', 'festival',"
                " 'general', false, '2026-01-01 00:00:00', 'pending', 0,"
                " '2026-01-01 00:00:00', 1 FROM showtime"
            )
        )


def _rows(core: Marquee) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the new ones, without the community column."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with core.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table in {"alembic_version", "community", "space", "community_member", "link_code"}:
                continue
            columns = [
                c["name"] for c in inspect(conn).get_columns(table) if c["name"] != "community_id"
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(conn.execute(text(f"SELECT {listed} FROM {table}")).all(), key=repr)
    return out


def _communities(core: Marquee, table: str) -> set[Any]:
    with core.db.engine.connect() as conn:
        return set(conn.execute(text(f"SELECT DISTINCT community_id FROM {table}")).scalars())


def test_a_populated_database_migrates_into_one_community(db_url: str) -> None:
    core = make_core(db_url)
    _fill(core)
    # Back to the schema before communities, every row kept, then forward again.
    command.downgrade(core.db.alembic_config(), "0007")
    before = _rows(core)
    assert all(before[t] for t in ("review", "member_rating", "watchlist_item", "showtime")), {
        t: len(r) for t, r in before.items()
    }
    empty = sorted(t for t, rows in before.items() if not rows and not t.startswith("slack_"))
    assert empty == ["alert_cursor"], empty
    core.db.migrate()
    assert _rows(core) == before
    for table in (
        "review",
        "member_rating",
        "watchlist_item",
        "not_interested",
        "subscription",
        "subscription_lead",
        "alert_outbox",
        "cinema",
        "event",
        "showtime",
        "audit_entry",
    ):
        assert _communities(core, table) == {1}, table
    assert _communities(core, "film") == {None}
    # The first space to arrive takes the old data with it.
    reply = core.handle(Invocation("watchlist", {}, MEMBER, ChannelRef("discord", "g1", "c")))
    assert "Second Victims" in str(reply.blocks), reply
    other = core.handle(Invocation("watchlist", {}, MEMBER, ChannelRef("discord", "g2", "c")))
    assert "Second Victims" not in str(other.blocks), other


def test_a_space_that_left_keeps_its_data_for_the_grace_period(db_url: str) -> None:
    from datetime import timedelta

    from storage import communities

    core = make_core(db_url)
    here = ChannelRef("discord", "g-left", "c")
    assert not core.handle(Invocation("watch", {"title": "Arrival"}, MEMBER, here)).is_error
    core.space_left("discord", "g-left")
    start = core.clock()
    core.clock = lambda: start + communities.GRACE - timedelta(hours=1)
    assert core.prune_left_communities() == 0
    core.space_joined("discord", "g-left", "Back again")  # re-added in time: all still there
    reply = core.handle(Invocation("watchlist", {}, MEMBER, here))
    assert "Arrival" in str(reply.blocks), reply
    core.space_left("discord", "g-left")
    with core.db.session() as s:
        space = communities.find_space(s, "discord", "g-left")
        assert space is not None
        deleted = space.community_id
    core.clock = lambda: start + 2 * communities.GRACE
    assert core.prune_left_communities() == 1
    reply = core.handle(Invocation("watchlist", {}, MEMBER, here))
    assert "Arrival" not in str(reply.blocks), reply
    # The newest community was deleted; the one the server starts afresh in has a new id
    # (SQLite would reuse it without AUTOINCREMENT, migration 0010).
    with core.db.session() as s:
        space = communities.find_space(s, "discord", "g-left")
        assert space is not None and space.community_id > deleted
