"""Alerts to Slack: post a rendered `Reply` to a stored channel with chat.postMessage.

Slack allows about one message per second per channel. The alert delivery loop paces posts to
that limit and holds a channel after a 429 (bot/alerts/pacing.py); this notifier does not pace
again, it only turns a 429 into `RateLimited` with Slack's Retry-After so the loop can reschedule.

Exactly once: chat.postMessage has no idempotency key (Discord's message nonce), so a worker
that died between Slack's accept and marking the batch sent would post it twice. Every alert
message therefore carries its batch key in Slack's message `metadata`, and a batch that is
being sent again (`Delivery.resend`) is first looked for in the channel's latest messages
(conversations.history with include_all_metadata); if it is there, its `ts` is returned and
nothing is posted. Reading history needs the *:history scopes (see manifest.py); without them
the look fails, is logged, and the batch is posted: at least once, as before.

In many workspaces (OAuth mode) each channel is posted to with its workspace's bot token
(`WorkspaceClients`, adapters/slack/oauth_stores.py); a workspace without an installation is gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

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
# Slack's event type for the metadata on alert messages ([a-z0-9_]).
METADATA_EVENT = "marquee_alert_batch"
# How many of a channel's newest messages are searched for a re-sent batch: a batch is re-sent
# within minutes of its first try, and one page of history is one request.
HISTORY_LOOKBACK = 100
# One look serves every re-sent batch of a channel for this long: they were all posted (or not)
# by a worker that died before this one claimed them, so a fresher look could find no more.
# conversations.history is a Tier 3 method (about 50 calls a minute), so this matters after a
# crash that leaves dozens of batches behind.
HISTORY_REUSE_SECONDS = 60.0

log = logging.getLogger(__name__)


class ClientsByWorkspace(Protocol):
    async def client_for(self, team_id: str) -> AsyncWebClient | None: ...


class SlackNotifier:
    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        clock: Callable[[], float] = time.monotonic,
        *,
        workspaces: ClientsByWorkspace | None = None,
    ) -> None:
        """`client` posts everywhere; with `workspaces`, each workspace's own client does."""
        self._client = client
        self._workspaces = workspaces
        self._clock = clock
        # conversation id → (when it was read, batch key → ts of the message carrying it)
        self._seen: dict[str, tuple[float, dict[str, str]]] = {}

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        """Post `reply`; return the message's `ts`. Raises ChannelGone or RateLimited."""
        if channel.platform != self.platform:
            raise ValueError(f"not a Slack channel: {channel}")
        message = render_reply(reply)  # an unrenderable reply fails before any request
        client = await self._client_of(channel)
        extra: dict[str, Any] = {}
        delivery = reply.delivery
        if delivery is not None:
            extra["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"batch_key": delivery.key},
            }
            if delivery.resend:
                posted = await self._already_posted(client, channel, delivery.key, delivery.direct)
                if posted is not None:
                    log.info("Slack: batch %s was already posted (ts %s)", delivery.key, posted)
                    return posted
        try:
            response = await self._post(
                client,
                channel,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                **extra,
            )
        except Exception:
            # Slack may have taken it (a timeout): no earlier look can be trusted any more.
            self._seen.clear()
            raise
        ts = str(response["ts"])
        seen = self._seen.get(str(response.get("channel")))
        if delivery is not None and seen is not None:
            seen[1][delivery.key] = ts  # a look reused later must see what we posted since
        return ts

    async def _client_of(self, channel: ChannelRef) -> AsyncWebClient:
        if self._workspaces is None:
            return self._client
        client = await self._workspaces.client_for(channel.workspace_id)
        if client is None:
            raise ChannelGone(f"Slack workspace {channel.workspace_id}: Marquee is not installed")
        return client

    async def _post(self, client: AsyncWebClient, channel: ChannelRef, **message: Any) -> Any:
        try:
            return await client.chat_postMessage(channel=channel.channel_id, **message)
        except SlackApiError as exc:
            raise _translate(channel.channel_id, exc) from exc

    async def _already_posted(
        self, client: AsyncWebClient, channel: ChannelRef, key: str, direct: bool
    ) -> str | None:
        """The `ts` of the message carrying batch `key` among the channel's newest, or None
        (also when history cannot be read: posting again beats losing the alert)."""
        try:
            conversation = channel.channel_id
            if direct:  # alerts to a member go to their DM, which has its own channel id
                opened = await client.conversations_open(users=conversation)
                conversation = str(opened["channel"]["id"])
            return (await self._batches_in(client, conversation)).get(key)
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.get("error") == "ratelimited":
                raise _translate(channel.channel_id, exc) from exc
            log.warning(
                "Slack: could not look for batch %s in %s (%s); posting it",
                key,
                channel.channel_id,
                exc.response.get("error"),
            )
            return None

    async def _batches_in(self, client: AsyncWebClient, conversation: str) -> dict[str, str]:
        """Batch key → ts of Marquee's alert messages among the conversation's newest."""
        now = self._clock()
        seen = self._seen.get(conversation)
        if seen is not None and now - seen[0] < HISTORY_REUSE_SECONDS:
            return seen[1]
        history = await client.conversations_history(
            channel=conversation, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
        keys: dict[str, str] = {}
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and "batch_key" in payload:
                keys[str(payload["batch_key"])] = str(message["ts"])
        self._seen = {c: v for c, v in self._seen.items() if now - v[0] < HISTORY_REUSE_SECONDS}
        self._seen[conversation] = (now, keys)
        return keys


def _translate(key: str, exc: SlackApiError) -> Exception:
    error = exc.response.get("error")
    if exc.response.status_code == 429 or error == "ratelimited":
        header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        retry_after = float(header) if header else DEFAULT_RETRY_AFTER
        return RateLimited(retry_after)
    if error in CHANNEL_GONE_ERRORS:
        return ChannelGone(f"Slack channel {key}: {error}")
    return exc
