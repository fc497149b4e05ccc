"""Composition: run Marquee on Discord until cancelled."""

from __future__ import annotations

import asyncio

from adapters.core_calls import Core
from adapters.discord.client import MarqueeDiscord
from adapters.platform import run_platform
from bot.settings import Settings


async def run_discord(
    core: Core, settings: Settings, *, ready: asyncio.Event | None = None
) -> None:
    """Log in, sync the commands, connect, and serve interactions until cancelled."""
    await run_platform(MarqueeDiscord(core, settings), ready=ready)
