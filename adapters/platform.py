"""The one interface every chat adapter (Discord, Slack) offers the composition root.

`adapters/cli.py` runs each configured platform through `run_platform` and hands the alert
loop each one's `notifier()`, and `/healthz` asks each one `is_connected()`
(`adapters/ops/serve.py`); nothing there knows how a platform connects.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bot.notify import Notifier


class Platform(Protocol):
    async def start(self) -> None:
        """Connect; return once the platform's requests reach Marquee (raise if they cannot)."""

    async def serve(self) -> None:
        """Serve requests until the connection ends for good or `stop()` is called."""

    async def stop(self) -> None:
        """Disconnect and wait for that; safe after a failed or missing `start()`."""

    def notifier(self) -> Notifier:
        """The alert notifier posting through this platform's connection."""

    async def is_connected(self) -> bool:
        """Whether requests reach Marquee now (for `/healthz`); False before `start()` and
        after `stop()`. Asynchronous because a live check may have to ask the connection."""


async def run_platform(platform: Platform, *, ready: asyncio.Event | None = None) -> None:
    """Start `platform`, set `ready` once it serves, and serve until it ends or this is
    cancelled; it is stopped either way."""
    try:
        await platform.start()
        if ready is not None:
            ready.set()
        await platform.serve()
    finally:
        await platform.stop()
