"""A Discord server and a Slack workspace linked into one community, both through their real
libraries on one core (issue #14): discord.py against the fake gateway, slack-bolt's OAuth
install against the fake Slack. A code from `/community-link` on Discord, typed as
`/marquee community join` on Slack, makes both read and write one community's reviews;
`community unlink` on Slack separates them again.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.client import MarqueeDiscord, configure_endpoints
from bot.core import Marquee
from bot.settings import Settings
from tests.discord_adapter.fake_discord import ADMIN, GUILD_ID, MANAGER, FakeDiscord
from tests.discord_adapter.harness import start_bot
from tests.slack_adapter.conftest import ADMIN_ID
from tests.slack_adapter.test_communities import said as slack_said
from tests.slack_adapter.test_oauth import (  # noqa: F401 (the install fixtures, reused)
    TEAM_A,
    Installer,
    installer,
    oauth_adapter,
    oauth_settings,
)

ON_DISCORD = "Written in the server"
ON_SLACK = "Written in the workspace"


@pytest.fixture
async def discord(any_core: Marquee) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        settings = Settings(
            discord_token="fake-token",
            discord_guild_ids=frozenset({GUILD_ID}),
            discord_api_base=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        )
        bot: MarqueeDiscord = await start_bot(any_core, settings)
        try:
            yield fake
        finally:
            await bot.close()
            configure_endpoints(Settings())  # discord.py keeps its endpoints process-wide
        assert [r.response for r in fake.refused()] == []


def discord_text(data: dict[str, Any]) -> str:
    return json.dumps({"content": data.get("content"), "embeds": data.get("embeds")})


async def on_discord(fake: FakeDiscord, name: str, options: dict[str, Any]) -> str:
    answer = await fake.callback(await fake.slash(name, options, MANAGER, guild_id=GUILD_ID))
    return discord_text(answer.body["data"])


async def on_slack(installer: Installer, typed: str) -> str:  # noqa: F811
    command, _, text = typed.partition(" ")
    return await slack_said(installer, await installer.command(TEAM_A, command, text, ADMIN_ID))


async def test_a_linked_server_and_workspace_share_one_community_until_unlinked(
    discord: FakeDiscord,
    installer: Installer,  # noqa: F811
) -> None:
    # The server is first (it claims the demo's community); the workspace gets its own.
    added = await on_discord(
        discord,
        "review-add",
        {"film": "Second Victims", "rating": 4, "headline": ON_DISCORD, "body": "From Discord."},
    )
    assert ON_DISCORD in added, added
    await installer.install(TEAM_A)
    assert ON_DISCORD not in await on_slack(installer, "/review Second Victims")

    linked = await discord.callback(
        await discord.slash("community-link", {}, ADMIN, guild_id=GUILD_ID)
    )
    offered = discord_text(linked.body["data"])
    code = re.search(r"community-join code:([A-Za-z0-9-]{4,})", offered)
    assert code, offered
    # Typed as Slack prints it, not as Discord does.
    wrong = await on_slack(installer, "/marquee community join WRONG-CODE1")
    assert ON_DISCORD not in await on_slack(installer, "/review Second Victims"), wrong
    joined = await on_slack(installer, f"/marquee community join {code.group(1)}")
    assert ON_DISCORD in await on_slack(installer, "/review Second Victims"), joined

    typed = f"/marquee review add Second Victims rating=3 headline={ON_SLACK} body=From Slack."
    assert ON_SLACK in await on_slack(installer, typed)
    seen = await on_discord(discord, "review", {"title": "Second Victims"})
    assert ON_SLACK in seen and ON_DISCORD in seen

    await on_slack(installer, "/marquee community unlink")
    in_slack = await on_slack(installer, "/review Second Victims")
    assert ON_DISCORD not in in_slack and ON_SLACK not in in_slack, in_slack
    # What was written while linked stays with the community the server keeps.
    seen = await on_discord(discord, "review", {"title": "Second Victims"})
    assert ON_SLACK in seen and ON_DISCORD in seen
