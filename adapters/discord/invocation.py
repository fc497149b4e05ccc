"""A Discord interaction as the core's `Invocation`: who asks (`Actor`) and where (`ChannelRef`).

The one place that reads those facts from discord.py's `Interaction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import discord

from adapters.discord.roles import interaction_role
from bot.types import Actor, ArgValue, ChannelRef, Invocation


def interaction_data(interaction: discord.Interaction[Any]) -> Mapping[str, Any]:
    """The interaction's raw `data` (options, custom_id) as Discord sent it."""
    return cast(Mapping[str, Any], interaction.data or {})


def channel_ref(interaction: discord.Interaction[Any]) -> ChannelRef:
    """Where the interaction happened: a server's channel, or a direct message."""
    workspace = str(interaction.guild_id) if interaction.guild_id else "dm"
    return ChannelRef("discord", workspace, str(interaction.channel_id))


def actor(interaction: discord.Interaction[Any], mod_role_ids: Iterable[str]) -> Actor:
    """Who interacted, with the role their server roles give them."""
    user = interaction.user
    role = interaction_role(interaction, mod_role_ids)
    return Actor("discord", str(user.id), user.display_name, role)


def invocation(
    interaction: discord.Interaction[Any],
    mod_role_ids: Iterable[str],
    command: str,
    args: dict[str, ArgValue],
) -> Invocation:
    return Invocation(command, args, actor(interaction, mod_role_ids), channel_ref(interaction))
