"""Fixtures: a fake Discord on loopback and the real Marquee bot (discord.py) connected to it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.discord.client import MarqueeDiscord, configure_endpoints
from bot.core import Marquee
from bot.settings import Settings
from tests.discord_adapter.fake_discord import GUILD_ID, MOD_ROLE_ID, FakeDiscord
from tests.discord_adapter.harness import start_bot


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "expect_logged_errors: the test provokes errors that are logged on purpose"
    )


@pytest.fixture(autouse=True)
def no_errors_logged(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Fail a test if discord.py or the adapter logged an error, even if the test's own
    assertions passed: discord.py logs and swallows exceptions raised in event handlers."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("expect_logged_errors"):
        return
    errors = [
        f"{r.name}: {r.getMessage()}"
        for when in ("setup", "call", "teardown")
        for r in caplog.get_records(when)
        if r.levelno >= logging.ERROR
    ]
    assert errors == []


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
        # Every test: nothing the bot sent would Discord refuse (limits, empty messages).
        assert [r.response for r in server.refused()] == []


@pytest.fixture
def settings(fake: FakeDiscord) -> Settings:
    return Settings(
        discord_token="fake-token",
        discord_guild_ids=frozenset({GUILD_ID}),
        discord_mod_role_ids=frozenset({MOD_ROLE_ID}),
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
    )


@pytest.fixture
async def bot(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> AsyncIterator[MarqueeDiscord]:
    running = await start_bot(core, settings)
    try:
        yield running
    finally:
        await running.close()
        # discord.py keeps the endpoints process-wide: point it back at Discord.
        configure_endpoints(Settings())
