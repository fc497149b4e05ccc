"""Claiming only some Discord shards' alerts, worked out in SQL on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import alert_outbox, communities
from storage.db import Database
from tests.discord_adapter.fake_discord import guild_on_shard, shard_of

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
# The largest guild id Discord can make (a snowflake is 63 bits): the cast must not overflow.
BIG_GUILD = str((1 << 63) - 1)


def pending(community_id: int, platform: str, workspace_id: str) -> dict[str, Any]:
    return {
        "dedupe_key": f"{platform}|{workspace_id}",
        "kind": "digest",
        "community_id": community_id,
        "subscription_id": None,
        "platform": platform,
        "workspace_id": workspace_id,
        "channel_id": "channel",
        "direct": False,
        "due_at": NOW - timedelta(minutes=1),
        "status": "pending",
        "attempts": 0,
        "created_at": NOW,
    }


def claimed_workspaces(db: Database, shards: tuple[int, list[int]] | None) -> set[str]:
    token = str(uuid.uuid4())
    with db.session() as s:
        rows = alert_outbox.claim(
            s, NOW, NOW + timedelta(minutes=2), token, 100, discord_shards=shards
        )
        got = {f"{a.platform}:{a.workspace_id}" for a in rows}
        alert_outbox.release(s, [a.id for a in rows], token, None)
    return got


def test_a_process_claims_only_its_shards_discord_alerts(db: Database) -> None:
    guilds = [guild_on_shard(shard, 3, n) for shard in range(3) for n in range(2)]
    with db.session() as s:
        community = communities.space_community(s, "discord", guilds[0], "", NOW).id
        rows = [pending(community, "discord", g) for g in [*guilds, BIG_GUILD, "dm"]]
        rows += [pending(community, "slack", "T0123ABC"), pending(community, "console", "you")]
        assert alert_outbox.enqueue(s, rows) == len(rows)
    everything = {f"{r['platform']}:{r['workspace_id']}" for r in rows}
    others = {"slack:T0123ABC", "console:you"}

    assert claimed_workspaces(db, None) == everything
    for shard in range(3):
        mine = {f"discord:{g}" for g in [*guilds, BIG_GUILD] if shard_of(g, 3) == shard}
        direct = {"discord:dm"} if shard == 0 else set()  # Discord sends DMs to shard 0
        assert claimed_workspaces(db, (3, [shard])) == mine | direct | others
    both = claimed_workspaces(db, (3, [1, 2]))
    assert both == everything - claimed_workspaces(db, (3, [0])) | others
