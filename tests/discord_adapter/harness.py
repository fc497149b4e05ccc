"""Starting the real bot against the fake, and a core that remembers what it was asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.core_calls import Core
from adapters.discord.client import MarqueeDiscord
from bot.settings import Settings
from bot.types import ChannelRef, Invocation, Reply


async def start_bot(core: Core, settings: Settings, **options: Any) -> MarqueeDiscord:
    """Log in, sync and connect; return once discord.py says the session is ready.

    `guild_ready_timeout` is how long discord.py waits for further GUILD_CREATEs before READY
    counts as done: the fake sends them all at once, so a short wait suffices.
    """
    bot = MarqueeDiscord(core, settings, guild_ready_timeout=0.05, **options)
    await bot.start()
    await bot.wait_ready()
    return bot


class RecordingCore:
    """The real core, with the invocations it received kept for inspection."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.invocations: list[Invocation] = []

    def handle(self, inv: Invocation) -> Reply:
        self.invocations.append(inv)
        return self.core.handle(inv)

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]:
        return self.core.complete_titles(text, limit, where)

    def space_joined(self, platform: str, workspace_id: str, name: str) -> None:
        self.core.space_joined(platform, workspace_id, name)

    def space_left(self, platform: str, workspace_id: str) -> None:
        self.core.space_left(platform, workspace_id)

    def spaces_present(
        self, platform: str, present: Mapping[str, str], mine: Callable[[str], bool]
    ) -> tuple[list[str], list[str]]:
        return self.core.spaces_present(platform, present, mine)
