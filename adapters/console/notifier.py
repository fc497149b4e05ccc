"""Alerts in the console: each alert message is printed as plain text, like a reply."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from adapters.console.render import render_reply
from bot.types import ChannelRef, Reply


class ConsoleNotifier:
    """Implements `bot.notify.Notifier` for the console's channel: prints what would be posted."""

    platform = "console"

    def __init__(self, write: Callable[[str], object] = print) -> None:
        self._write = write
        self._ids = itertools.count(1)

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        where = "direct message" if channel.channel_id != "console" else "alert"
        self._write(f"\n[{where} to {channel.channel_id}]\n{render_reply(reply)}")
        return f"console-{next(self._ids)}"
