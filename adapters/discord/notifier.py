"""Posting alerts: a rendered `Reply` sent to a stored channel through discord.py.

discord.py keeps to Discord's per-route rate limits itself (it waits out a 429 and retries);
only a wait longer than the client's `max_ratelimit_timeout` comes back here, as `RateLimited`,
so the delivery loop can try that channel again later.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.actions import ActionCodec
from adapters.discord.components import build_view
from adapters.discord.render import render_reply
from bot.notify import ChannelGone, RateLimited
from bot.types import ChannelRef, Reply

NO_MENTIONS = discord.AllowedMentions.none()
# Discord keeps a message nonce for a few minutes and, with enforce_nonce, answers a repeat with
# the message it already made: a re-sent alert batch then posts once. Nonces are ≤ 25 chars.
NONCE_MAX = 25


class DiscordNotifier:
    """Implements `bot.notify.Notifier`. Build it with `MarqueeDiscord.notifier()`, so that it
    posts through the running bot's client and its buttons decode in the same bot."""

    platform = "discord"

    def __init__(self, client: discord.Client, codec: ActionCodec | None = None) -> None:
        self.client = client
        self.codec = codec or ActionCodec()
        self._dm_channels: dict[str, int] = {}  # user id → their DM channel with the bot

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        if channel.platform != self.platform:
            raise ValueError(f"not a Discord channel: {channel}")
        message = render_reply(reply, self.codec)
        view = build_view(message)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        if reply.delivery is not None:
            extra["nonce"] = reply.delivery.key[:NONCE_MAX]
        try:
            # A direct alert names a user, not a channel: open (or reuse) the DM channel.
            channel_id = (
                await self._dm_channel(channel.channel_id)
                if reply.delivery is not None and reply.delivery.direct
                else int(channel.channel_id)
            )
            target = self.client.get_partial_messageable(channel_id)
            sent = await target.send(
                content=message.content,
                embeds=list(message.embeds),
                allowed_mentions=NO_MENTIONS,
                **extra,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise ChannelGone(f"Discord channel {channel.channel_id}: {exc}") from exc
        except discord.RateLimited as exc:
            raise RateLimited(exc.retry_after) from exc
        return str(sent.id)

    async def _dm_channel(self, user_id: str) -> int:
        if user_id not in self._dm_channels:
            data = await self.client.http.start_private_message(int(user_id))
            self._dm_channels[user_id] = int(data["id"])
        return self._dm_channels[user_id]
