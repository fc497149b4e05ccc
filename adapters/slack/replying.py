"""The Slack adapter's answers: a `Reply` as the message for an ack, a response_url or a click.

A reply goes to whoever asked, in the channel or privately (errors and ephemeral replies);
a click on a pick or a page replaces the message clicked on. Every answer after the ack goes
through bolt's own `respond`, as the Discord adapter's go through its interaction (replying.py
there too).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from adapters.slack.actions import ActionKind
from adapters.slack.render import render_reply
from bot.types import Reply

log = logging.getLogger(__name__)


def apology(respond: AsyncRespond | None) -> Callable[[str], Awaitable[None]]:
    """How the catch-all tells the person something failed: through the response_url."""

    async def tell(text: str) -> None:
        await send_response(respond, reply_message(Reply.error(text)))

    return tell


async def send_response(respond: AsyncRespond | None, message: dict[str, Any]) -> None:
    # bolt's respond raises without a response_url; a reply with nowhere to go is only logged.
    if respond is None or not respond.response_url:
        log.warning("Slack: a reply had no response_url to go to")
        return
    response = await respond(**message)
    if response.status_code != 200:
        log.warning("Slack: response_url answered %s: %s", response.status_code, response.body)


def is_private(reply: Reply) -> bool:
    return reply.ephemeral or reply.is_error


def reply_message(reply: Reply) -> dict[str, Any]:
    """A message for a response_url: errors and ephemeral replies are seen by the asker only."""
    response_type = "ephemeral" if is_private(reply) else "in_channel"
    return {**render_reply(reply), "response_type": response_type}


def ack_message(reply: Reply) -> dict[str, Any]:
    message = reply_message(reply)
    return {
        "text": message["text"],
        "blocks": message["blocks"],
        "response_type": message["response_type"],
    }


def action_message(reply: Reply, kind: ActionKind, clicked_private: bool) -> dict[str, Any]:
    """Answer a click. A pick or a page replaces the message clicked on, unless that would show
    a private answer to the whole channel; spoilers, follow-ups and errors arrive as a new
    message only the clicker sees."""
    if kind.replaces_original and not reply.is_error and (clicked_private or not reply.ephemeral):
        return {**render_reply(reply), "replace_original": True}
    return {**render_reply(reply), "response_type": "ephemeral", "replace_original": False}
