"""Fixtures: a fake Slack on loopback, the real Slack adapter against it, and a workspace
that sends what Slack would send (over HTTP or Socket Mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import EVENTS_PATH, Core, SlackAdapter
from bot.core import Marquee
from bot.settings import Settings
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import (
    SIGNING_SECRET,
    HttpTransport,
    SocketTransport,
    Workspace,
)

MEMBER_ID = "UMEMBER01"
MOD_ID = "UMODLIST1"  # moderator by SLACK_MOD_USER_IDS
GROUP_MOD_ID = "UMODGROUP"  # moderator by membership of SLACK_MOD_USERGROUP_IDS
ADMIN_ID = "UADMIN001"  # workspace admin
MOD_GROUP = "SFILMMODS"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user(MEMBER_ID, "mia")
    fake.add_user(MOD_ID, "max")
    fake.add_user(GROUP_MOD_ID, "gus")
    fake.add_user(ADMIN_ID, "ada", admin=True)
    fake.usergroups[MOD_GROUP] = [GROUP_MOD_ID]
    await fake.start()
    yield fake
    await fake.stop()
    # Every test: nothing the app sent (messages, modals, acknowledgements) would Slack refuse.
    assert fake.refused == []


@pytest.fixture
def slack_settings(fake_slack: FakeSlack) -> Settings:
    """HTTP-mode settings pointing at the fake."""
    return Settings(
        database_url="sqlite://",
        slack_bot_token=fake_slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_http_host="127.0.0.1",
        slack_http_port=0,
        slack_api_url=fake_slack.api_url,
        slack_mod_user_ids=frozenset({MOD_ID}),
        slack_mod_usergroup_ids=frozenset({MOD_GROUP}),
    )


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def http_adapter(core: Marquee, slack_settings: Settings) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(core, slack_settings)
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
def http_transport(
    http_adapter: SlackAdapter, http_session: aiohttp.ClientSession
) -> HttpTransport:
    return HttpTransport(http_session, f"http://127.0.0.1:{http_adapter.http_port}{EVENTS_PATH}")


@asynccontextmanager
async def running(
    core: Core, settings: Settings, fake: FakeSlack, mode: str, **options: Any
) -> AsyncIterator[Workspace]:
    """The adapter over `core` in `mode` ("http" or "socket"), and a workspace talking to it."""
    if mode == "socket":
        settings = replace(settings, slack_app_token=fake.app_token)
    adapter = SlackAdapter(core, settings, **options)
    await adapter.start()
    try:
        if mode == "http":
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{adapter.http_port}{EVENTS_PATH}"
                yield Workspace(fake, HttpTransport(session, url))
        else:
            yield Workspace(fake, SocketTransport(fake))
    finally:
        await adapter.stop()


@pytest.fixture(params=["http", "socket"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def workspace(
    core, fake_slack: FakeSlack, slack_settings: Settings, mode: str
) -> AsyncIterator[Workspace]:
    """The same conversation over HTTP mode and over Socket Mode."""
    async with running(core, slack_settings, fake_slack, mode) as workspace:
        yield workspace


@pytest.fixture
def http_workspace(fake_slack: FakeSlack, http_transport: HttpTransport) -> Workspace:
    return Workspace(fake_slack, http_transport)
