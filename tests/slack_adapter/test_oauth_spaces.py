"""A Slack workspace installing or uninstalling Marquee is a space joined or left, as a Discord
server is: the core hears of both (through the real slack-bolt OAuth flow and the fake)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.slack.app import SlackAdapter
from bot.core import Marquee
from bot.settings import Settings
from storage import communities
from storage.models_communities import Space
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.test_oauth import TEAM_A, TEAM_B, Installer
from tests.slack_adapter.test_oauth import oauth_settings as oauth_settings  # the fixture


@pytest.fixture
async def told_adapter(any_core: Marquee, oauth_settings: Settings) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(any_core, oauth_settings)
    assert adapter.installations is not None
    assert adapter.installations.core is any_core  # the adapter hands its core on
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def installer(told_adapter: SlackAdapter, fake_slack: FakeSlack) -> AsyncIterator[Installer]:
    async with aiohttp.ClientSession() as session:
        yield Installer(told_adapter, fake_slack, session)


def space(core: Marquee, team_id: str) -> Space | None:
    with core.db.session() as s:
        return communities.find_space(s, "slack", team_id)


async def test_an_install_is_a_space_joined_and_an_uninstall_a_space_left(
    installer: Installer, any_core: Marquee, fake_slack: FakeSlack
) -> None:
    authorize, cookie = await installer.start_install()
    code = fake_slack.approve(TEAM_A, "Film Friends")
    status, _ = await installer.come_back(code, authorize.query["state"], cookie)
    assert status == 200  # bolt's own success page, as before
    joined = space(any_core, TEAM_A)
    assert joined is not None and joined.name == "Film Friends" and joined.left_at is None

    fake_slack.uninstall(TEAM_A)
    assert await installer.event(TEAM_A, {"type": "app_uninstalled"}) == 200
    left = space(any_core, TEAM_A)
    assert left is not None and left.left_at is not None


async def test_a_revoked_bot_token_is_a_space_left(
    installer: Installer, any_core: Marquee, fake_slack: FakeSlack
) -> None:
    await installer.install(TEAM_B)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [fake_slack.bot_user_id]}}
    assert await installer.event(TEAM_B, revoked) == 200
    left = space(any_core, TEAM_B)
    assert left is not None and left.left_at is not None
