"""Alerts to Slack: post a rendered `Reply` to a stored channel with chat.postMessage.

Slack allows about one message per second per channel. The alert delivery loop paces posts to
that limit and holds a channel after a 429 (bot/alerts/pacing.py); this notifier does not pace
again, it only turns a 429 into `RateLimited` with Slack's Retry-After so the loop can reschedule.
"""

from __future__ import annotations

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

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        """Post `reply`; return the message's `ts`. Raises ChannelGone or RateLimited."""
        if channel.platform != self.platform:
            raise ValueError(f"not a Slack channel: {channel}")
        message = render_reply(reply)  # an unrenderable reply fails before any request
        try:
            response = await self._client.chat_postMessage(
                channel=channel.channel_id,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise _translate(channel.channel_id, exc) from exc
        return str(response["ts"])


def _translate(key: str, exc: SlackApiError) -> Exception:
    error = exc.response.get("error")
    if exc.response.status_code == 429 or error == "ratelimited":
        header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        retry_after = float(header) if header else DEFAULT_RETRY_AFTER
        return RateLimited(retry_after)
    if error in CHANNEL_GONE_ERRORS:
        return ChannelGone(f"Slack channel {key}: {error}")
    return exc
