"""Composition: run Marquee on Discord until cancelled (`marquee run` calls this)."""

from __future__ import annotations

import asyncio

from adapters.core_calls import Core
from adapters.discord.client import MarqueeDiscord
from bot.settings import Settings


async def run_discord(
    core: Core, settings: Settings, *, ready: asyncio.Event | None = None
) -> None:
    """Log in, sync the commands, connect, and serve interactions until cancelled."""
    bot = MarqueeDiscord(core, settings)
    try:
        await bot.start()
        await bot.wait_ready()
        if ready is not None:
            ready.set()
        await bot.run_until_closed()
    finally:
        await bot.close()
