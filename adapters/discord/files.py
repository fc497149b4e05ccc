"""A reply's files on Discord: attachments of the interaction's answer, sent by discord.py.

Discord takes a file of at most 10 MiB from a bot in a server without boosts
(https://discord.com/developers/docs/reference#uploading-files); a bigger one is not sent, and
the answer says so and gives the file's `instead` (the operator's command). A server whose
limit is lower still, or any other upload Discord refuses as too large (413, code 40005),
gets the same answer without the file. Slack's counterpart is adapters/slack/files.py.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from adapters.reply_files import delivered, safe_name, size_text, undelivered
from bot.types import Reply

log = logging.getLogger(__name__)

UPLOAD_MAX_BYTES = 10 * 1024 * 1024
_TOO_LARGE_CODE = 40005

# Sends a reply with the given files attached (replying.follow_up, bound to its interaction).
SendWithFiles = Callable[[Reply, Sequence[discord.File]], Awaitable[None]]


async def deliver_files(
    reply: Reply, send: SendWithFiles, *, limit: int = UPLOAD_MAX_BYTES
) -> None:
    """Send `reply` with its files attached, or, when Discord cannot take them, without them
    and with why and what to do instead."""
    if not reply.files:
        await send(reply, ())
        return
    biggest = max(reply.files, key=lambda f: len(f.data))
    if len(biggest.data) > limit:
        why = (
            f"it is {size_text(len(biggest.data))}, and Discord takes at most "
            f"{size_text(limit)} from a bot"
        )
        await send(undelivered(reply, reply.files, why), ())
        return
    attachments = [
        discord.File(io.BytesIO(f.data), filename=safe_name(f.name)) for f in reply.files
    ]
    try:
        await send(delivered(reply), attachments)
    except discord.HTTPException as exc:
        if exc.status != 413 and exc.code != _TOO_LARGE_CODE:
            raise
        log.warning("Discord refused a %s upload as too large", size_text(len(biggest.data)))
        why = "Discord refused it as too large for this server"
        await send(undelivered(reply, reply.files, why), ())
