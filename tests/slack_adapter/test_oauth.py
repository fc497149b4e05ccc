"""Slack in many workspaces: OAuth v2 installs through slack-bolt's own flow, against the fake.

An installer opens /slack/install, is sent to Slack's authorize page with a state, comes back to
/slack/oauth_redirect with a code; the app exchanges it (oauth.v2.access on the fake) for that
workspace's bot token and keeps the installation in Marquee's database (SQLite and PostgreSQL).
Every request after that runs with its own workspace's token; uninstalling, or revoking the bot
token, deletes the installation.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table
from yarl import URL

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.oauth import INSTALL_PATH, REDIRECT_PATH
from adapters.slack.oauth_stores import DatabaseInstallationStore
from bot.core import Marquee
from bot.notify import ChannelGone
from bot.settings import Settings, SettingsError
from bot.types import ChannelRef, Reply
from storage.models import Base
from tests.slack_adapter.conftest import MEMBER_ID, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import CHANNEL_ID, SIGNING_SECRET, HttpTransport, sign

TEAM_A = "TALPHA0001"
TEAM_B = "TBRAVO0002"
STATE_COOKIE = "slack-app-oauth-state"


@pytest.fixture
def oauth_settings(fake_slack: FakeSlack) -> Settings:
    return Settings(
        database_url="sqlite://",
        slack_client_id=fake_slack.client_id,
        slack_client_secret=fake_slack.client_secret,
        slack_signing_secret=SIGNING_SECRET,
        slack_http_host="127.0.0.1",
        slack_http_port=0,
        slack_api_url=fake_slack.api_url,
        slack_mod_user_ids=frozenset({MOD_ID}),
    )


@pytest.fixture
async def oauth_adapter(any_core: Marquee, oauth_settings: Settings) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(any_core, oauth_settings)
    await adapter.start()
    yield adapter
    await adapter.stop()


class Installer:
    """A browser and Slack around the app's HTTP server: installs, commands and events."""

    def __init__(self, adapter: SlackAdapter, fake: FakeSlack, session: aiohttp.ClientSession):
        self.base = f"http://127.0.0.1:{adapter.http_port}"
        self.fake = fake
        self.session = session
        self.store = DatabaseInstallationStore(
            fake.client_id,
            adapter.core.db.engine,  # type: ignore[attr-defined]
        )
        self.events = HttpTransport(session, self.base + EVENTS_PATH)

    async def start_install(self) -> tuple[URL, str]:
        """Open /slack/install: Slack's authorize URL it redirects to, and the state cookie."""
        async with self.session.get(self.base + INSTALL_PATH, allow_redirects=False) as response:
            assert response.status == 302
            cookie = response.cookies[STATE_COOKIE].value
            return URL(response.headers["Location"]), cookie

    async def come_back(self, code: str, state: str, cookie: str | None) -> tuple[int, str]:
        """Slack sends the installer back to the redirect URL (with the browser's cookie)."""
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}
        async with self.session.get(
            self.base + REDIRECT_PATH,
            params={"code": code, "state": state},
            headers=headers,
            allow_redirects=False,
        ) as response:
            return response.status, await response.text()

    async def install(self, team_id: str) -> str:
        """The whole install by an admin of `team_id`; returns the bot token Slack issued."""
        authorize, cookie = await self.start_install()
        state = authorize.query["state"]
        status, _ = await self.come_back(self.fake.approve(team_id), state, cookie)
        assert status == 200
        return self.token_of(team_id)

    def token_of(self, team_id: str) -> str:
        tokens = [t for t, team in self.fake.team_tokens.items() if team == team_id]
        assert tokens, f"no token issued for {team_id}"
        return tokens[-1]

    async def command(self, team_id: str, slash: str, text: str, user: str) -> Any:
        payload = {
            "team_id": team_id,
            "team_domain": team_id.lower(),
            "channel_id": CHANNEL_ID,
            "channel_name": "film-club",
            "user_id": user,
            "user_name": self.fake.users[user].name,
            "command": slash,
            "text": text,
            "api_app_id": "AFAKE",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(),
            "trigger_id": f"trigger.{user}.{time.monotonic_ns()}",
        }
        return await self.events.post(urlencode(payload))

    async def event(self, team_id: str, event: dict[str, Any]) -> int:
        """An Events API callback, signed and sent as JSON as Slack does."""
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": team_id,
                "api_app_id": "AFAKE",
                "event": {**event, "event_ts": "1700000000.000100"},
                "type": "event_callback",
                "event_id": f"Ev{time.monotonic_ns()}",
                "event_time": 1700000000,
                "authorizations": [
                    {"team_id": team_id, "user_id": self.fake.bot_user_id, "is_bot": True}
                ],
            }
        )
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(SIGNING_SECRET, timestamp, body),
        }
        async with self.session.post(self.base + EVENTS_PATH, data=body, headers=headers) as r:
            return r.status

    async def installed_token(self, team_id: str) -> str | None:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot else None


@pytest.fixture
async def installer(oauth_adapter: SlackAdapter, fake_slack: FakeSlack) -> AsyncIterator[Installer]:
    async with aiohttp.ClientSession() as session:
        yield Installer(oauth_adapter, fake_slack, session)


async def test_install_saves_the_workspaces_bot_token_and_its_requests_use_it(
    installer: Installer, fake_slack: FakeSlack
) -> None:
    authorize, cookie = await installer.start_install()
    assert (authorize.scheme, authorize.host, authorize.path) == (
        "https",
        "slack.com",
        "/oauth/v2/authorize",
    )
    assert authorize.query["client_id"] == fake_slack.client_id
    assert set(authorize.query["scope"].split(",")) == set(BOT_SCOPES)
    assert authorize.query["state"] == cookie

    status, page = await installer.come_back(
        fake_slack.approve(TEAM_A), authorize.query["state"], cookie
    )
    assert status == 200, page
    exchange = fake_slack.calls_to("oauth.v2.access")[-1]
    assert exchange.args["code"].startswith(TEAM_A)
    token_a = installer.token_of(TEAM_A)
    assert await installer.installed_token(TEAM_A) == token_a
    installation = await installer.store.async_find_installation(enterprise_id=None, team_id=TEAM_A)
    assert installation is not None and installation.user_id == "UINSTALLER"

    # A command from that workspace: who asks is looked up, and the form opened, with its token.
    answer = await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
    assert answer.status == 200 and "Second Victims" in json.dumps(answer.body)
    assert fake_slack.calls_to("users.info")[-1].token == token_a
    assert fake_slack.calls_to("auth.test")[-1].token == token_a
    answer = await installer.command(TEAM_A, "/marquee", "review add", MOD_ID)
    assert answer.status == 200
    assert (await fake_slack.next_call("views.open")).token == token_a


async def test_two_workspaces_each_use_their_own_token_for_requests_and_alerts(
    installer: Installer, oauth_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    token_a = await installer.install(TEAM_A)
    token_b = await installer.install(TEAM_B)
    assert token_a != token_b

    await installer.command(TEAM_B, "/review", "Second Victims", MEMBER_ID)
    assert fake_slack.calls_to("users.info")[-1].token == token_b
    await installer.command(TEAM_A, "/review", "Second Victims", MOD_ID)
    assert fake_slack.calls_to("users.info")[-1].token == token_a

    notifier = oauth_adapter.notifier()
    for team, token in ((TEAM_A, token_a), (TEAM_B, token_b), (TEAM_A, token_a)):
        await notifier.post(ChannelRef("slack", team, CHANNEL_ID), Reply.notice("Showing soon"))
        assert fake_slack.calls_to("chat.postMessage")[-1].token == token


async def test_uninstalling_deletes_the_installation(
    installer: Installer, oauth_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    await installer.install(TEAM_A)
    token_b = await installer.install(TEAM_B)
    notifier = oauth_adapter.notifier()
    await notifier.post(ChannelRef("slack", TEAM_A, CHANNEL_ID), Reply.notice("Before"))

    fake_slack.uninstall(TEAM_A)
    assert await installer.event(TEAM_A, {"type": "app_uninstalled"}) == 200
    assert await installer.installed_token(TEAM_A) is None
    assert await installer.store.async_find_installation(enterprise_id=None, team_id=TEAM_A) is None
    assert await installer.installed_token(TEAM_B) == token_b

    # Alerts to the workspace stop (its subscriptions pause); its requests are refused.
    with pytest.raises(ChannelGone):
        await notifier.post(ChannelRef("slack", TEAM_A, CHANNEL_ID), Reply.notice("After"))
    calls = len(fake_slack.calls)
    answer = await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
    assert answer.status == 200
    refusal = await fake_slack.next_response()
    assert "reinstall" in refusal["text"]
    assert not [c for c in fake_slack.calls[calls:] if c.method == "users.info"]


async def test_a_revoked_bot_token_deletes_the_installation(
    installer: Installer, fake_slack: FakeSlack
) -> None:
    await installer.install(TEAM_A)
    token_b = await installer.install(TEAM_B)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [fake_slack.bot_user_id]}}
    assert await installer.event(TEAM_A, revoked) == 200
    assert await installer.installed_token(TEAM_A) is None
    assert await installer.store.async_find_installation(enterprise_id=None, team_id=TEAM_A) is None
    assert await installer.installed_token(TEAM_B) == token_b


async def test_reinstalling_replaces_the_token_for_requests_and_alerts(
    installer: Installer, oauth_adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    notifier = oauth_adapter.notifier()
    channel = ChannelRef("slack", TEAM_A, CHANNEL_ID)
    first = await installer.install(TEAM_A)
    await notifier.post(channel, Reply.notice("First"))
    fake_slack.uninstall(TEAM_A)
    assert await installer.event(TEAM_A, {"type": "app_uninstalled"}) == 200
    second = await installer.install(TEAM_A)
    assert first != second
    assert await installer.installed_token(TEAM_A) == second
    await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
    assert fake_slack.calls_to("users.info")[-1].token == second
    await notifier.post(channel, Reply.notice("Second"))
    assert fake_slack.calls_to("chat.postMessage")[-1].token == second


async def test_a_wrong_or_replayed_state_is_refused(
    installer: Installer, fake_slack: FakeSlack
) -> None:
    authorize, cookie = await installer.start_install()
    state = authorize.query["state"]
    # A state this app never issued, even with a matching cookie.
    status, _ = await installer.come_back(fake_slack.approve(TEAM_A), "forged", "forged")
    assert status == 401
    # The issued state from another browser (no cookie, or someone else's).
    status, _ = await installer.come_back(fake_slack.approve(TEAM_A), state, None)
    assert status == 400
    status, _ = await installer.come_back(fake_slack.approve(TEAM_A), state, "other")
    assert status == 400
    assert not fake_slack.calls_to("oauth.v2.access")
    assert await installer.installed_token(TEAM_A) is None
    # The right one works once; replaying it is refused.
    status, _ = await installer.come_back(fake_slack.approve(TEAM_A), state, cookie)
    assert status == 200
    status, _ = await installer.come_back(fake_slack.approve(TEAM_A), state, cookie)
    assert status == 401
    assert len(fake_slack.calls_to("oauth.v2.access")) == 1


async def test_an_install_started_on_one_process_finishes_on_another(
    installer: Installer, any_core: Marquee, oauth_settings: Settings, fake_slack: FakeSlack
) -> None:
    """The state is kept in the database: behind a load balancer, the process that answers
    Slack's redirect need not be the one that sent the installer to Slack."""
    other = SlackAdapter(any_core, oauth_settings)
    await other.start()
    try:
        authorize, cookie = await installer.start_install()
        elsewhere = Installer(other, fake_slack, installer.session)
        code = fake_slack.approve(TEAM_A)
        status, _ = await elsewhere.come_back(code, authorize.query["state"], cookie)
        assert status == 200
        token = installer.token_of(TEAM_A)
        assert await installer.installed_token(TEAM_A) == token
        await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
        assert fake_slack.calls_to("users.info")[-1].token == token
    finally:
        await other.stop()


async def test_a_workspace_that_never_installed_is_refused(
    installer: Installer, fake_slack: FakeSlack
) -> None:
    answer = await installer.command(TEAM_B, "/review", "Second Victims", MEMBER_ID)
    assert answer.status == 200
    assert "reinstall" in (await fake_slack.next_response())["text"]
    assert not fake_slack.calls_to("users.info")


def _paths(adapter: SlackAdapter) -> set[str]:
    routes = adapter.web_app().router.routes()
    return {r.resource.canonical for r in routes if r.resource is not None}


def test_the_install_pages_exist_only_in_oauth_mode(
    core: Marquee, oauth_settings: Settings, slack_settings: Settings
) -> None:
    assert {INSTALL_PATH, REDIRECT_PATH} <= _paths(SlackAdapter(core, oauth_settings))
    assert not {INSTALL_PATH, REDIRECT_PATH} & _paths(SlackAdapter(core, slack_settings))


# --- the schema and the settings ----------------------------------------------------------


def _shape(table: Table) -> tuple[object, ...]:
    columns = tuple(
        (c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable, c.primary_key)
        for c in table.columns
    )
    indexes = sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)
    return columns, tuple(indexes)


def test_marquees_slack_tables_are_slack_sdks() -> None:
    """storage/ declares the tables slack_sdk's stores use (it may not import slack_sdk)."""
    theirs = MetaData()
    expected = [
        SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states"),
    ]
    for table in expected:
        assert _shape(Base.metadata.tables[table.name]) == _shape(table), table.name


def _env(**values: str) -> Settings:
    return Settings.from_env(values, dotenv=Path("/nonexistent/.env"))


def test_oauth_settings() -> None:
    oauth = _env(
        SLACK_CLIENT_ID="1.2",
        SLACK_CLIENT_SECRET="s",
        SLACK_SIGNING_SECRET="x",
        SLACK_INSTALL_REDIRECT_URI="https://marquee.example/slack/oauth_redirect",
    )
    assert oauth.slack_oauth and oauth.slack_enabled
    assert oauth.slack_install_redirect_uri == "https://marquee.example/slack/oauth_redirect"
    single = _env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="x")
    assert single.slack_enabled and not single.slack_oauth
    with pytest.raises(SettingsError, match="both set"):
        _env(SLACK_BOT_TOKEN="xoxb-1", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s")
    with pytest.raises(SettingsError, match="go together"):
        _env(SLACK_CLIENT_ID="1.2", SLACK_SIGNING_SECRET="x")
    with pytest.raises(SettingsError, match="HTTP mode"):
        _env(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s", SLACK_APP_TOKEN="xapp-1")
    with pytest.raises(SettingsError, match="HTTP mode"):
        _env(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s")
