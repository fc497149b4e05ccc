"""Sending a rendered reply as the answer to an interaction: at once, or deferred and followed up.

Which kind of answer (`AnswerKind`) decides how: a new message, an edit of the clicked
message, or a message only the clicker sees.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Sequence
from typing import Any

import discord
from discord.utils import MISSING

from adapters.discord.actions import Answer
from adapters.discord.components import build_view
from adapters.discord.connection import NO_MENTIONS
from adapters.discord.render import RenderedMessage


class AnswerKind(enum.Enum):
    NEW = "new"  # a new message (slash commands, forms, opening a listed film)
    EDIT = "edit"  # replace the message a clicked component is on
    PRIVATE = "private"  # a new message only the clicker sees


FROM_ACTION = {
    Answer.EDIT: AnswerKind.EDIT,
    Answer.NEW: AnswerKind.NEW,
    Answer.PRIVATE: AnswerKind.PRIVATE,
}


def in_place(
    interaction: discord.Interaction[Any], message: RenderedMessage, answer: AnswerKind
) -> bool:
    """Whether a click's answer replaces the clicked message.

    Only when its visibility matches: a public list is not replaced by a private answer,
    and a public answer to a private question ("which Solaris?") is posted for all to see.
    An error never replaces what the person was looking at.
    """
    if answer is not AnswerKind.EDIT or message.error:
        return False
    source = interaction.message
    source_private = bool(source is not None and source.flags.ephemeral)
    return source_private == message.ephemeral


async def respond(
    interaction: discord.Interaction[Any], message: RenderedMessage, answer: AnswerKind
) -> None:
    view = build_view(message)
    if in_place(interaction, message, answer):
        await interaction.response.edit_message(
            content=message.content,
            embeds=list(message.embeds),
            view=view,
            allowed_mentions=NO_MENTIONS,
        )
        return
    await interaction.response.send_message(
        content=message.content,
        embeds=list(message.embeds),
        view=view if view is not None else MISSING,
        ephemeral=message.ephemeral,
        allowed_mentions=NO_MENTIONS,
    )


async def defer(interaction: discord.Interaction[Any], answer: AnswerKind) -> None:
    if answer is AnswerKind.EDIT:
        # "Update later": nothing changes on screen until the follow-up.
        await interaction.response.defer()
    else:
        # "Marquee is thinking…"; a private answer is private from the start.
        await interaction.response.defer(thinking=True, ephemeral=answer is AnswerKind.PRIVATE)


async def follow_up(
    interaction: discord.Interaction[Any],
    message: RenderedMessage,
    answer: AnswerKind,
    files: Sequence[discord.File] = (),
) -> None:
    """The answer after a deferral, with `files` attached (files.deliver_files decides which)."""
    view = build_view(message)
    replaces_thinking = answer is AnswerKind.PRIVATE or (
        answer is AnswerKind.NEW and not message.ephemeral
    )
    if replaces_thinking or in_place(interaction, message, answer):
        # The "thinking…" message, or for a click the clicked message, becomes the answer.
        await interaction.edit_original_response(
            content=message.content,
            embeds=list(message.embeds),
            view=view,
            allowed_mentions=NO_MENTIONS,
            attachments=list(files) if files else MISSING,
        )
        return
    if answer is AnswerKind.NEW:
        # A public "thinking…" cannot turn private: remove it and answer privately below.
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
    await interaction.followup.send(
        content=message.content or MISSING,
        embeds=list(message.embeds),
        view=view if view is not None else MISSING,
        ephemeral=message.ephemeral,
        allowed_mentions=NO_MENTIONS,
        files=list(files) if files else MISSING,
    )


async def say(interaction: discord.Interaction[Any], text: str) -> None:
    """A short private answer that needs no core (stale buttons, unknown commands)."""
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
