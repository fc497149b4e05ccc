"""Files attached to slash commands: downloaded from Discord and handed to the core as text.

An ATTACHMENT option's value is only the attachment's id; the file itself is described in the
interaction's resolved data and lives on Discord's CDN, which discord.py's Attachment reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.args import FILE_MAX_BYTES
from bot.registry import CommandSpec, ParamKind
from bot.types import ArgValue, AttachedFile


class AttachmentRefused(Exception):
    """The attached file can't be used; the message tells the person why."""


async def attach_files(
    interaction: discord.Interaction[Any],
    spec: CommandSpec,
    data: Mapping[str, Any],
    args: dict[str, ArgValue],
) -> None:
    """Replace each FILE option's attachment id in `args` with the file's text."""
    names = {p.name for p in spec.params if p.kind is ParamKind.FILE and p.name in args}
    if not names:
        return
    options = [o for o in data.get("options", ()) if o.get("name") in names]
    # discord.py's Namespace turns the resolved data into Attachment objects bound to the bot's
    # connection, so Attachment.read() downloads with the bot's own HTTP session.
    resolved = app_commands.Namespace(interaction, data.get("resolved", {}), options)
    for name in names:
        attachment = resolved[name]
        if not isinstance(attachment, discord.Attachment):
            raise AttachmentRefused(
                "Discord did not send the attached file. Please attach it again."
            )
        args[name] = await _read_text(attachment)


async def _read_text(attachment: discord.Attachment) -> AttachedFile:
    limit_mb = FILE_MAX_BYTES // 1024 // 1024
    if attachment.size > FILE_MAX_BYTES:
        raise AttachmentRefused(
            f"{attachment.filename} is {attachment.size / 1024 / 1024:.1f} MB; an attached file "
            f"can be at most {limit_mb} MB. Run `marquee import …` on the server for bigger ones."
        )
    try:
        content = await attachment.read()
    except discord.HTTPException as exc:
        raise AttachmentRefused(
            f"Couldn't download {attachment.filename} from Discord ({exc.status}). Try again."
        ) from exc
    if len(content) > FILE_MAX_BYTES:
        raise AttachmentRefused(f"{attachment.filename} is larger than {limit_mb} MB.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentRefused(
            f"{attachment.filename} is not UTF-8 text. Save it as UTF-8 and attach it again."
        ) from None
    return AttachedFile(attachment.filename, text)
