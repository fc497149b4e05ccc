"""Alerts: `DiscordNotifier` posts a rendered Reply to a stored channel through discord.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.discord.client import MarqueeDiscord
from bot.notify import ChannelGone, Notifier, RateLimited
from bot.types import ChannelRef, Reply, ShowtimeItem, ShowtimeList, Text
from tests.discord_adapter.fake_discord import (
    CHANNEL_ID,
    GONE_CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
)

STARTS = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
ALERT = Reply(
    blocks=(
        Text("Starting in an hour — @everyone who subscribed to Perth:"),
        ShowtimeList(
            "Screenings in Perth",
            (
                ShowtimeItem(
                    showtime_id=5,
                    film_id=9,
                    film_title="Another Round",
                    film_year=2020,
                    cinema="Luna Leederville",
                    city="Perth",
                    starts_at=STARTS,
                    timezone="Australia/Perth",
                    local_time="Wed 25 Nov 2026, 18:30 AWST",
                ),
            ),
        ),
    )
)


def channel(channel_id: str) -> ChannelRef:
    return ChannelRef("discord", GUILD_ID, channel_id)


async def test_an_alert_is_posted_to_the_channel(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    notifier: Notifier = bot.notifier()
    assert notifier.platform == "discord"
    message_id = await notifier.post(channel(CHANNEL_ID), ALERT)
    post = await fake.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{CHANNEL_ID}/messages"
    )
    assert post.response["id"] == message_id
    assert post.body["allowed_mentions"] == {"parse": []}
    assert fake.messages[message_id]["mention_everyone"] is False
    (embed,) = post.body["embeds"]
    assert f"<t:{int(STARTS.timestamp())}:f>" in embed["description"]
    assert "18:30 AWST" in embed["description"]


async def test_a_channel_the_bot_lost_raises_channel_gone(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    with pytest.raises(ChannelGone):
        await bot.notifier().post(channel(GONE_CHANNEL_ID), ALERT)


async def test_a_short_rate_limit_is_waited_out_by_discord_py(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    fake.rate_limit(rf"/channels/{CHANNEL_ID}/messages", times=1, retry_after=0.01)
    message_id = await bot.notifier().post(channel(CHANNEL_ID), ALERT)
    attempts = [r for r in fake.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[-1].response["id"] == message_id


async def test_a_long_rate_limit_comes_back_as_rate_limited(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    fake.rate_limit(rf"/channels/{CHANNEL_ID}/messages", times=1, retry_after=120.0)
    with pytest.raises(RateLimited) as caught:
        await bot.notifier().post(channel(CHANNEL_ID), ALERT)
    assert caught.value.retry_after == 120.0


async def test_a_channel_of_another_platform_is_refused(bot: MarqueeDiscord) -> None:
    with pytest.raises(ValueError):
        await bot.notifier().post(ChannelRef("slack", "T1", "C1"), ALERT)
