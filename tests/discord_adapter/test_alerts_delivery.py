"""Showtime alerts delivered end to end through the real DiscordNotifier and the fake Discord."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from adapters.discord.client import MarqueeDiscord
from bot.types import ChannelRef, Delivery, Notice, Reply
from storage.models_alerts import Subscription
from tests.discord_adapter.fake_discord import CHANNEL_ID, GONE_CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.test_alerts import deliver_festival_screening


async def test_alerts_reach_the_channel_with_timestamps_and_no_pings(
    bot: MarqueeDiscord, fake: FakeDiscord, tmp_path: Path
) -> None:
    channel = ChannelRef("discord", GUILD_ID, CHANNEL_ID)
    showtime, report, core = await deliver_festival_screening(
        f"sqlite:///{tmp_path / 'a.db'}", channel, bot.notifier()
    )
    assert report.gone == [] and report.alerts_sent >= 1
    posts = [
        r
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages"
    ]
    assert len(posts) == report.messages
    text = json.dumps([p.body for p in posts])
    assert "Second Victims" in text and "<t:1754044200:" in text  # 2025-08-01 10:30 UTC
    assert all(p.body["allowed_mentions"] == {"parse": []} for p in posts)
    core.db.dispose()


async def test_a_lost_discord_channel_pauses_its_subscription(
    bot: MarqueeDiscord, fake: FakeDiscord, tmp_path: Path
) -> None:
    channel = ChannelRef("discord", GUILD_ID, GONE_CHANNEL_ID)
    _, report, core = await deliver_festival_screening(
        f"sqlite:///{tmp_path / 'a.db'}", channel, bot.notifier()
    )
    assert report.gone == [channel]
    with core.db.session() as s:
        assert s.scalars(select(Subscription.paused)).all() == [True]
    core.db.dispose()


async def test_a_direct_alert_opens_the_members_dm_channel_once(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    notifier = bot.notifier()
    member = ChannelRef("discord", GUILD_ID, "424242424242424242")
    for n in range(2):
        reply = Reply(blocks=(Notice(f"Second Victims has a new screening ({n})"),))
        await notifier.post(
            member, replace(reply, delivery=Delivery(key=f"k{n}", alert_ids=(n,), direct=True))
        )
    opened = [r for r in fake.requests if r.path == "/users/@me/channels"]
    assert [str(r.body["recipient_id"]) for r in opened] == ["424242424242424242"]
    dm_id = fake.dm_channels["424242424242424242"]
    posts = [r for r in fake.requests if r.path == f"/channels/{dm_id}/messages"]
    assert len(posts) == 2
    assert not [r for r in fake.requests if r.path == "/channels/424242424242424242/messages"]


async def test_a_resent_batch_carries_its_key_as_an_enforced_nonce(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    notifier = bot.notifier()
    channel = ChannelRef("discord", GUILD_ID, CHANNEL_ID)
    reply = Reply(blocks=(Notice("Reminder: Second Victims in an hour"),))
    batch = replace(
        reply, delivery=Delivery(key="0f1e2d3c4b5a69788796a5b4c3d2e1f0", alert_ids=(1, 2))
    )
    first = await notifier.post(channel, batch)
    again = await notifier.post(channel, batch)  # a worker retrying after a crash
    posts = [r for r in fake.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    assert [p.body["nonce"] for p in posts] == ["0f1e2d3c4b5a69788796a5b4c"] * 2
    assert all(p.body["enforce_nonce"] is True for p in posts)
    assert first == again  # Discord answered the repeat with the message it already made
    assert len([m for m in fake.messages.values() if m["channel_id"] == CHANNEL_ID]) == 1
