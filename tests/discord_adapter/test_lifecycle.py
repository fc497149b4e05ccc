"""Starting and stopping: `run_discord`, sharding, the configured endpoints, the invite URL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from adapters.discord import run_discord
from adapters.discord.client import DISCORD_API_BASE, DISCORD_GATEWAY, configure_endpoints
from bot.core import Marquee
from bot.settings import Settings
from tests.discord_adapter.fake_discord import APP_ID, CHANNEL_MESSAGE, FakeDiscord
from tests.discord_adapter.harness import start_bot


async def test_run_discord_serves_until_cancelled(
    core: Marquee, settings: Settings, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    ready = asyncio.Event()
    task = asyncio.create_task(run_discord(core, settings, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        callback = await fake.callback(await fake.slash("film", {"title": "Second Victims"}))
        assert callback.body["type"] == CHANNEL_MESSAGE
        assert any(
            "Invite Marquee" in r.getMessage() and f"client_id={APP_ID}" in r.getMessage()
            for r in caplog.records
        )
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        configure_endpoints(Settings())
    await fake.disconnected()  # the gateway session was closed, not left hanging
    assert fake.unexpected() == []


async def test_a_sharded_bot_connects_to_the_configured_gateway(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    bot = await start_bot(core, replace(settings, discord_sharded=True))
    try:
        assert fake.identify is not None and fake.identify["shard"] == [0, 1]
        callback = await fake.callback(await fake.slash("film", {"title": "Second Victims"}))
        assert callback.body["data"]["embeds"][0]["title"] == "Second Victims (2025)"
    finally:
        await bot.close()
        configure_endpoints(Settings())


def test_endpoints_default_to_discords_own() -> None:
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    configure_endpoints(Settings(discord_api_base="http://127.0.0.1:1/api/v10/"))
    assert Route.BASE == "http://127.0.0.1:1/api/v10"
    configure_endpoints(Settings())
    assert Route.BASE == DISCORD_API_BASE == "https://discord.com/api/v10"
    assert DiscordWebSocket.DEFAULT_GATEWAY == DISCORD_GATEWAY


def test_a_token_is_required(core: Marquee) -> None:
    from adapters.discord.client import MarqueeDiscord

    with pytest.raises(ValueError, match="DISCORD_TOKEN"):
        MarqueeDiscord(core, Settings())


async def test_a_rejected_token_fails_start(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    import discord

    from adapters.discord.client import MarqueeDiscord

    bot = MarqueeDiscord(core, replace(settings, discord_token="wrong"))
    try:
        with pytest.raises(discord.LoginFailure):
            await bot.start()
    finally:
        await bot.close()
        configure_endpoints(Settings())


async def test_serve_returns_once_stopped(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    bot = await start_bot(core, settings)
    try:
        serving = asyncio.create_task(bot.serve())
        await asyncio.sleep(0.05)
        assert not serving.done()
        await bot.stop()
        await asyncio.wait_for(serving, 10)
    finally:
        await bot.stop()
        configure_endpoints(Settings())


async def test_is_connected_from_start_to_stop(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> None:
    """What /healthz reports for Discord: the gateway session, through the Platform protocol."""
    bot = await start_bot(core, settings)
    try:
        assert await bot.is_connected()
        await bot.stop()
        assert not await bot.is_connected()
    finally:
        await bot.stop()
        configure_endpoints(Settings())
