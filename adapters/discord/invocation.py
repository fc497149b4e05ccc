"""A Discord interaction as the core's `Invocation`: who asks (`Actor`) and where (`ChannelRef`).

The one place that reads those facts from discord.py's `Interaction`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import discord

from adapters.discord.roles import interaction_role, member_role_ids
from bot.types import Actor, ArgValue, ChannelRef, Invocation


def interaction_data(interaction: discord.Interaction[Any]) -> Mapping[str, Any]:
    """The interaction's raw `data` (options, custom_id) as Discord sent it."""
    return cast(Mapping[str, Any], interaction.data or {})


def channel_ref(interaction: discord.Interaction[Any]) -> ChannelRef:
    """Where the interaction happened: a server's channel, or a direct message."""
    workspace = str(interaction.guild_id) if interaction.guild_id else "dm"
    return ChannelRef("discord", workspace, str(interaction.channel_id))


def actor(
    interaction: discord.Interaction[Any],
    mod_role_ids: Iterable[str],
    owner_ids: frozenset[int] = frozenset(),
) -> Actor:
    """Who interacted, with the role their server roles give them; their role ids as groups
    (a community's settings may name moderator roles); an operator if they own the bot's
    application (`owner_ids`)."""
    user = interaction.user
    role = interaction_role(interaction, mod_role_ids)
    groups = tuple(str(r) for r in member_role_ids(user))
    return Actor(
        "discord",
        str(user.id),
        user.display_name,
        role,
        groups=groups,
        operator=user.id in owner_ids,
    )


def invocation(
    interaction: discord.Interaction[Any],
    mod_role_ids: Iterable[str],
    command: str,
    args: dict[str, ArgValue],
    owner_ids: frozenset[int] = frozenset(),
) -> Invocation:
    who = actor(interaction, mod_role_ids, owner_ids)
    return Invocation(command, args, who, channel_ref(interaction))
