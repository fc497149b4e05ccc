"""Discord in many servers: shards split between processes, servers joined and left, and the
application's owner as Marquee's operator — through the real discord.py and the fake.

Two processes are two bots here, one per shard of two, both connected to one fake Discord
(which routes each server's events to its shard's session, as Discord does)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.discord.client import MarqueeDiscord, configure_endpoints
from bot.alerts.delivery import AlertDelivery
from bot.core import Marquee
from bot.settings import Settings
from bot.types import Actor
from storage import alert_outbox, communities
from storage.models import Film, Showtime
from tests.discord_adapter.fake_discord import (
    ADMIN,
    CHANNEL_MESSAGE,
    MODERATOR,
    OWNER,
    FakeDiscord,
    guild_on_shard,
)
from tests.discord_adapter.harness import RecordingCore, start_bot

SHARDS = 2
GUILDS = {shard: guild_on_shard(shard, SHARDS) for shard in range(SHARDS)}
CHANNELS = {shard: f"92000000000000010{shard}" for shard in range(SHARDS)}


class SpaceCore(RecordingCore):
    """The real core, remembering which servers it was told of (joined, left), so a test can
    wait for a gateway event to have reached the core."""

    def __init__(self, core: Marquee) -> None:
        super().__init__(core)
        self.marquee = core
        self.spaces: list[tuple[str, str, str]] = []
        self.told = threading.Event()

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        self.marquee.space_joined(platform, workspace_id, name)
        self.spaces.append(("joined", platform, workspace_id))
        self.told.set()

    def space_left(self, platform: str, workspace_id: str) -> None:
        self.marquee.space_left(platform, workspace_id)
        self.spaces.append(("left", platform, workspace_id))
        self.told.set()

    async def wait_told(self) -> None:
        assert await asyncio.to_thread(self.told.wait, 10), "the core was told nothing"
        self.told.clear()


@dataclass
class Process:
    """One process's worth of Marquee on Discord: its shard's bot and what its core heard."""

    bot: MarqueeDiscord
    core: SpaceCore
    settings: Settings


@pytest.fixture
async def processes(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> AsyncIterator[dict[int, Process]]:
    fake.guild_ids = tuple(GUILDS.values())
    running: dict[int, Process] = {}
    try:
        for shard in range(SHARDS):
            mine = replace(settings, discord_shard_count=SHARDS, discord_shard_ids=(shard,))
            recording = SpaceCore(core)
            running[shard] = Process(await start_bot(recording, mine), recording, mine)
        yield running
    finally:
        for process in running.values():
            await process.bot.close()
        configure_endpoints(Settings())


async def test_each_process_connects_only_its_shard(
    processes: dict[int, Process], fake: FakeDiscord
) -> None:
    assert sorted(i["shard"] for i in fake.identifies) == [[0, SHARDS], [1, SHARDS]]
    assert sorted(fake.shards_connected()) == [(0, SHARDS), (1, SHARDS)]
    for shard, process in processes.items():
        assert [str(g.id) for g in process.bot.client.guilds] == [GUILDS[shard]]
    # A command in the second shard's server is answered by the second process alone.
    answer = await fake.callback(
        await fake.slash("film", {"title": "Second Victims"}, guild_id=GUILDS[1])
    )
    assert answer.body["type"] == CHANNEL_MESSAGE
    assert [i.channel.workspace_id for i in processes[1].core.invocations] == [GUILDS[1]]
    assert processes[0].core.invocations == []


def _future_showtime(core: Marquee) -> tuple[int, datetime]:
    with core.db.session() as s:
        found = s.execute(
            select(Showtime.id, Showtime.starts_at)
            .where(Showtime.starts_at > datetime.now(UTC) + timedelta(hours=1))
            .order_by(Showtime.starts_at)
            .limit(1)
        ).one()
    return found[0], found[1]


async def test_each_process_delivers_only_its_shards_alerts(
    processes: dict[int, Process], fake: FakeDiscord, core: Marquee
) -> None:
    showtime, starts = _future_showtime(core)
    now = datetime.now(UTC)
    with core.db.session() as s:
        rows = []
        for shard, guild in GUILDS.items():
            community = communities.space_community(s, "discord", guild, "", now).id
            rows.append(
                {
                    "dedupe_key": f"new|{guild}",
                    "kind": "new",
                    "community_id": community,
                    "showtime_id": showtime,
                    "starts_at": starts,
                    "subscription_id": None,
                    "platform": "discord",
                    "workspace_id": guild,
                    "channel_id": CHANNELS[shard],
                    "direct": False,
                    "due_at": now - timedelta(minutes=1),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
            )
        assert alert_outbox.enqueue(s, rows) == SHARDS

    def posted_to() -> set[str]:
        return {
            r.path.split("/")[2]
            for r in fake.requests
            if r.method == "POST" and r.path.startswith("/channels/") and r.status == 200
        }

    for shard in range(SHARDS):
        process = processes[shard]
        delivery = AlertDelivery(
            core.db,
            {"discord": process.bot.notifier()},
            discord_shards=(SHARDS, process.settings.discord_shard_ids),
        )
        report = await delivery.run_once()
        assert (report.messages, report.alerts_sent, report.dropped) == (1, 1, 0)
        # This shard's channel got its alert; the next shard's is still waiting.
        assert posted_to() == {CHANNELS[s] for s in range(shard + 1)}


async def test_a_server_joined_and_left_reaches_the_core_of_its_shard(
    processes: dict[int, Process], fake: FakeDiscord, core: Marquee
) -> None:
    joined = guild_on_shard(1, SHARDS, n=1)
    await fake.join_guild(joined, "Night Owls")
    await processes[1].core.wait_told()
    assert processes[1].core.spaces == [("joined", "discord", joined)]
    assert processes[0].core.spaces == []
    with core.db.session() as s:
        space = communities.find_space(s, "discord", joined)
        assert space is not None and space.name == "Night Owls" and space.left_at is None
    assert joined in {str(g.id) for g in processes[1].bot.client.guilds}

    await fake.remove_guild(joined)
    await processes[1].core.wait_told()
    assert processes[1].core.spaces[-1] == ("left", "discord", joined)
    with core.db.session() as s:
        space = communities.find_space(s, "discord", joined)
        assert space is not None and space.left_at is not None
    assert processes[0].core.spaces == []


def _synopsis(core: Marquee, title: str) -> str | None:
    with core.db.session() as s:
        return s.scalars(select(Film.synopsis).where(Film.title == title)).one()


async def test_the_application_owner_is_an_operator(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    _share(core, "Arrival")
    recording = RecordingCore(core)
    bot = await start_bot(recording, settings)
    try:
        assert bot.client.owner_ids == {int(OWNER.id)}
        edit = {"film": "Arrival", "synopsis": "Rewritten by the operator."}
        refused = await fake.callback(await fake.slash("film-edit", edit, ADMIN))
        assert "shared catalogue" in refused.body["data"]["content"]
        assert _synopsis(core, "Arrival") != edit["synopsis"]
        done = await fake.callback(await fake.slash("film-edit", edit, OWNER))
        assert not done.body["data"].get("content", "").startswith("⚠️"), done.body
        assert _synopsis(core, "Arrival") == edit["synopsis"]
        owner, admin = (_actor(recording, user_id) for user_id in (OWNER.id, ADMIN.id))
        assert (owner.operator, admin.operator) == (True, False)
    finally:
        await bot.close()
        configure_endpoints(Settings())


async def test_a_members_roles_are_their_groups(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    recording = RecordingCore(core)
    bot = await start_bot(recording, settings)
    try:
        await fake.callback(await fake.slash("film", {"title": "Arrival"}, MODERATOR))
        assert _actor(recording, MODERATOR.id).groups == MODERATOR.roles
    finally:
        await bot.close()
        configure_endpoints(Settings())


def _share(core: Marquee, title: str) -> None:
    """Put a demo film (the demo community's own) into the shared catalogue, as an operator's
    import would have it."""
    from sqlalchemy import update

    from storage.models import Film

    with core.db.session() as s:
        s.execute(update(Film).where(Film.title == title).values(community_id=None))


def _actor(recording: RecordingCore, user_id: str) -> Actor:
    return next(i.actor for i in recording.invocations if i.actor.user_id == user_id)


async def test_the_members_of_an_owning_team_are_operators(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    fake.team = ((ADMIN, True), (MODERATOR, True), (OWNER, False))  # OWNER only invited
    _share(core, "Arrival")
    bot = await start_bot(core, settings)
    try:
        assert bot.client.owner_ids == {int(ADMIN.id), int(MODERATOR.id)}
        edit = {"film": "Arrival", "synopsis": "Rewritten by the team."}
        done = await fake.callback(await fake.slash("film-edit", edit, ADMIN))
        assert not done.body["data"].get("content", "").startswith("⚠️"), done.body
        assert _synopsis(core, "Arrival") == edit["synopsis"]
    finally:
        await bot.close()
        configure_endpoints(Settings())


async def test_servers_joined_and_left_while_away_are_noticed_at_start(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    """A start compares the servers Discord lists with the spaces the core knows: one the bot
    was removed from while offline is left (on its own shard only), one added is joined."""
    gone = {shard: guild_on_shard(shard, SHARDS, n=2) for shard in range(SHARDS)}
    for shard, guild in gone.items():
        core.space_joined("discord", guild, f"Gone {shard}")
    added = guild_on_shard(0, SHARDS, n=3)
    fake.guild_ids = (GUILDS[0], added)
    mine = replace(settings, discord_shard_count=SHARDS, discord_shard_ids=(0,))
    bot = await start_bot(core, mine)
    try:
        with core.db.session() as s:
            spaces = {g: communities.find_space(s, "discord", g) for g in (*gone.values(), added)}
            left = {g: space.left_at is not None for g, space in spaces.items() if space}
        assert left == {gone[0]: True, gone[1]: False, added: False}
    finally:
        await bot.close()
        configure_endpoints(Settings())
