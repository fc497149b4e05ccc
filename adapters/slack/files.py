"""A reply's files on Slack: uploaded into the asker's direct messages with Marquee.

A response_url message cannot carry a file, so each file goes by slack_sdk's
`files_upload_v2` (files.getUploadURLExternal, the bytes to the URL it returns, then
files.completeUploadExternal), shared into the DM between the bot and whoever asked: the reply
is private, and a file shared to the channel would be everyone's. That needs the `files:write`
scope (and `im:write` for the DM); when Slack refuses (a workspace that installed Marquee
before it asked for `files:write`, a file too large), the reply says so and gives the file's
`instead`. Discord's counterpart is adapters/discord/files.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.reply_files import delivered, safe_name, undelivered
from bot.types import Reply

log = logging.getLogger(__name__)

# Sends a reply to the asker (the request's response_url, bound by the caller).
Send = Callable[[Reply], Awaitable[None]]

# Slack's words for a refusal, as the person reads them.
_WHY = {
    "missing_scope": "Marquee lacks Slack's files:write permission here; a workspace admin "
    "reinstalls the app to grant it",
    "file_too_large": "Slack refused it as too large",
    "not_in_channel": "Marquee may not post files in your direct messages",
    "channel_not_found": "Slack did not find your direct messages with Marquee",
}


async def deliver_files(reply: Reply, send: Send, *, client: AsyncWebClient, user_id: str) -> None:
    """Upload the reply's files to `user_id`'s DM with the bot, then send the reply, saying
    where they went, or why they did not and what to do instead."""
    if not reply.files:
        await send(reply)
        return
    try:
        opened = await client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        for file in reply.files:
            name = safe_name(file.name)
            await client.files_upload_v2(channel=channel, file=file.data, filename=name, title=name)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "an error")
        log.warning("Slack refused a file upload: %s", error)
        await send(undelivered(reply, reply.files, _WHY.get(error, f"Slack answered {error}")))
        return
    except SlackClientError as exc:  # the upload URL refused the bytes
        log.warning("Slack file upload failed: %s", exc)
        await send(undelivered(reply, reply.files, "the upload to Slack failed"))
        return
    await send(delivered(reply, "It is in your direct messages with Marquee."))
