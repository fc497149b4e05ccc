"""Map a Discord member's facts to Marquee's `Role`. The core alone decides what a role may do.

The facts come from the interaction payload itself (`member.permissions`, `member.roles`), not
from the guild cache, so they are right even for a guild the bot has not loaded yet.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.types import Role


def role_from_facts(
    permissions: discord.Permissions, role_ids: Iterable[int | str], mod_role_ids: Iterable[str]
) -> Role:
    if permissions.administrator:
        return Role.ADMIN
    if permissions.manage_guild:
        return Role.MODERATOR
    if {str(r) for r in role_ids} & {str(r) for r in mod_role_ids}:
        return Role.MODERATOR
    return Role.MEMBER


def member_role_ids(user: discord.User | discord.Member) -> list[int]:
    """The role ids listed in the interaction's member payload (none outside a guild).

    `Member.roles` drops ids missing from the guild cache; `_roles` holds the payload's list as
    sent. discord.py is pinned below 2.8, and a test covers a role the cache does not know.
    """
    if isinstance(user, discord.Member):
        return list(user._roles)
    return []


def interaction_role(interaction: discord.Interaction, mod_role_ids: Iterable[str]) -> Role:
    if interaction.guild_id is None:
        return Role.MEMBER  # a direct message: no server, no server roles
    return role_from_facts(interaction.permissions, member_role_ids(interaction.user), mod_role_ids)
