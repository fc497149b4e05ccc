"""How the core's alerts reach a channel: each adapter implements `Notifier`."""

from __future__ import annotations

from typing import Protocol

from bot.types import ChannelRef, Reply


class ChannelGone(Exception):
    """The platform says the bot can no longer post there (deleted, kicked, no permission)."""


class RateLimited(Exception):
    """The platform asked us to wait; `retry_after` is in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class Notifier(Protocol):
    platform: str

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        """Post `reply` to `channel`; return the platform's message id. Raises ChannelGone."""
        ...
