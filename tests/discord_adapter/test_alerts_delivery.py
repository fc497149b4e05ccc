"""Showtime alerts delivered end to end through the real DiscordNotifier and the fake Discord."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from adapters.discord.client import MarqueeDiscord
from bot.types import ChannelRef
from storage.models import Subscription
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
