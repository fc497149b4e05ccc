"""The Discord client and how it connects: intents, permissions, endpoints, sharding.

Everything here is about reaching Discord, nothing about answering it: the client hands each
event to the adapter (`ClientEvents`).
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.settings import Settings

# Discord's own endpoints, remembered before anything points discord.py elsewhere.
DISCORD_API_BASE = Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY

# Interactions need no privileged intents. `guilds` keeps servers, channels and roles cached;
# messages and members are never read.
INTENTS = discord.Intents.none()
INTENTS.guilds = True

# What the bot needs in a channel: see it, answer in it and its threads, show embeds.
PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, embed_links=True
)
NO_MENTIONS = discord.AllowedMentions.none()


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=PERMISSIONS, scopes=("bot", "applications.commands")
    )


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST base and gateway.

    discord.py keeps both as class attributes, so this is process-wide: one process talks to
    one Discord (or one proxy), which is how Marquee is deployed. The REST base includes the
    API version, e.g. `https://discord.com/api/v10`.
    """
    Route.BASE = (settings.discord_api_base or DISCORD_API_BASE).rstrip("/")
    gateway = settings.discord_gateway_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway) if gateway else DISCORD_GATEWAY


class ClientEvents(Protocol):
    """What the client hands its events to: the adapter (`client.MarqueeDiscord`)."""

    async def on_ready(self) -> None: ...

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None: ...

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was added to a server (a GUILD_CREATE for a server not in READY)."""

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from a server (a GUILD_DELETE that is not an outage)."""

    async def on_action(self, interaction: discord.Interaction[Any], encoded: str) -> None:
        """Run the action encoded in a clicked button's id or a chosen option's value (called
        by components.py's items, which find the adapter as `MarqueeClient.marquee_components`)."""


class MarqueeClient(discord.Client):
    """discord.py's client with Marquee's events as its own methods (discord.py calls the
    client's `on_<event>` methods), each handed to the adapter. The adapter is also where
    Marquee's buttons find their handler (`marquee_components`, read by components.py)."""

    def __init__(self, events: ClientEvents, /, **options: Any) -> None:
        super().__init__(**options)
        self.marquee_components = events
        # Who owns the application (its owner, or every member of its team): Marquee's
        # operators on Discord. Known once logged in.
        self.owner_ids: frozenset[int] = frozenset()

    async def setup_hook(self) -> None:
        # discord.py calls this from `login`, once it has fetched the application.
        self.owner_ids = application_owners(self.application)

    async def on_ready(self) -> None:
        await self.marquee_components.on_ready()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.marquee_components.on_interaction(interaction)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.marquee_components.on_guild_join(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.marquee_components.on_guild_remove(guild)


def application_owners(application: discord.AppInfo | None) -> frozenset[int]:
    if application is None:
        return frozenset()
    if application.team is not None:
        # Someone invited to the team is not a member of it until they accept.
        accepted = discord.TeamMembershipState.accepted
        return frozenset(m.id for m in application.team.members if m.membership_state is accepted)
    return frozenset({application.owner.id})


class ShardedMarqueeClient(discord.AutoShardedClient, MarqueeClient):
    """The same client, sharded; its shards connect to the configured gateway rather than the
    one `/gateway/bot` names."""

    def __init__(self, events: ClientEvents, /, *, gateway: str | None, **options: Any) -> None:
        # AutoShardedClient passes positional arguments on to MarqueeClient (next in the MRO).
        super().__init__(events, **options)
        self._gateway = yarl.URL(gateway) if gateway else None

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        await super().launch_shard(self._gateway or gateway, shard_id, initial=initial)


def new_client(
    events: ClientEvents, settings: Settings, guild_ready_timeout: float
) -> MarqueeClient:
    """The discord.py client the settings ask for (sharded or not), reporting to `events`."""
    options: dict[str, Any] = {
        "intents": INTENTS,
        "allowed_mentions": NO_MENTIONS,
        "chunk_guilds_at_startup": False,
        "guild_ready_timeout": guild_ready_timeout,
        # A REST call that would wait longer than this raises `discord.RateLimited`
        # instead: the alert notifier hands that back to its delivery loop (30 s is
        # discord.py's smallest allowed value).
        "max_ratelimit_timeout": 30.0,
    }
    if settings.discord_sharded or settings.discord_shard_count is not None:
        if settings.discord_shard_count is not None:
            # A fixed total, and this process's part of it: every process must agree on the
            # count, since a server's shard is (guild id >> 22) % count.
            options["shard_count"] = settings.discord_shard_count
            if settings.discord_shard_ids:
                options["shard_ids"] = list(settings.discord_shard_ids)
        return ShardedMarqueeClient(events, gateway=settings.discord_gateway_url, **options)
    return MarqueeClient(events, **options)
