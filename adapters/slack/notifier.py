"""Alerts to Slack: post a rendered `Reply` to a stored channel with chat.postMessage.

Slack allows about one message per second per channel. Posts to one channel are serialised and
spaced by `per_channel_interval`; a 429 raises `RateLimited` with Slack's Retry-After and holds
that channel back for as long, so the delivery loop can reschedule instead of hammering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import render_reply
from bot.notify import ChannelGone, RateLimited
from bot.types import ChannelRef, Reply

# chat.postMessage errors after which posting to that channel cannot succeed until a person
# acts (re-invites the bot, unarchives, reinstalls): the subscription should be paused.
CHANNEL_GONE_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "token_revoked",
        "restricted_action",
        "team_access_not_granted",
    }
)
DEFAULT_RETRY_AFTER = 1.0


class SlackNotifier:
    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        per_channel_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._interval = per_channel_interval
        self._clock = clock
        self._sleep = sleep  # injectable so tests can see the pacing without waiting for it
        self._locks: dict[str, asyncio.Lock] = {}
        self._not_before: dict[str, float] = {}

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        """Post `reply`; return the message's `ts`. Raises ChannelGone or RateLimited."""
        if channel.platform != self.platform:
            raise ValueError(f"not a Slack channel: {channel}")
        message = render_reply(reply)  # before waiting: an unrenderable reply fails at once
        key = channel.channel_id
        async with self._locks.setdefault(key, asyncio.Lock()):
            wait = self._not_before.get(key, 0.0) - self._clock()
            if wait > 0:
                await self._sleep(wait)
            try:
                response = await self._client.chat_postMessage(
                    channel=channel.channel_id,
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                raise self._translate(key, exc) from exc
            self._not_before[key] = self._clock() + self._interval
            return str(response["ts"])

    def _translate(self, key: str, exc: SlackApiError) -> Exception:
        error = exc.response.get("error")
        if exc.response.status_code == 429 or error == "ratelimited":
            header = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            retry_after = float(header) if header else DEFAULT_RETRY_AFTER
            self._not_before[key] = self._clock() + retry_after
            return RateLimited(retry_after)
        if error in CHANNEL_GONE_ERRORS:
            return ChannelGone(f"Slack channel {key}: {error}")
        return exc
