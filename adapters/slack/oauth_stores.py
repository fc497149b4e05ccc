"""Marquee's database as slack-bolt's OAuth stores, and each workspace's Web API client.

The stores are slack_sdk's SQLAlchemy ones on Marquee's own engine; their tables come from
Marquee's migrations (storage/models_slack.py). They are the synchronous stores, run in a worker
thread: Marquee's `Database` is synchronous, and slack_sdk's async stores would need a second,
async engine with its own drivers (aiosqlite, asyncpg), pool and SQLite settings, for a few
small indexed queries per request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

log = logging.getLogger(__name__)

# How long an install started at /slack/install may take to come back (slack_sdk's default).
STATE_SECONDS = 600


class DatabaseInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store on Marquee's engine, off the event loop."""

    def __init__(self, client_id: str, engine: Engine) -> None:
        self._store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self._store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self._store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self._store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            self._store.delete_bot, enterprise_id=enterprise_id, team_id=team_id
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self._store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )


class DatabaseStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy state store on Marquee's engine: any process of a deployment can
    answer the redirect of an install another one started (a cookie alone would not tell a
    replayed state from a fresh one; the row is consumed once)."""

    def __init__(self, engine: Engine, expiration_seconds: int = STATE_SECONDS) -> None:
        self._store = SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds, engine=engine, logger=log
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self._store.consume, state)


class WorkspaceClients:
    """A Web API client with each installed workspace's bot token, for the posts no request
    started (alerts): `client_for(team_id)`, None when the workspace has not installed Marquee.

    The token is read from the store for every post, not cached: an install, a reinstall or an
    uninstall in any process counts from the next alert on (a stale token would fail the post
    and pause the channel's subscriptions), for one small indexed query beside a Slack call."""

    def __init__(self, store: AsyncInstallationStore, base: AsyncWebClient) -> None:
        self._store = store
        self._base = base

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        # A stored channel carries its workspace's id only: a workspace of an Enterprise Grid
        # org, stored under its enterprise id as well, is not found (it gets no alerts yet).
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self._base.base_url,
            proxy=self._base.proxy,
            ssl=self._base.ssl,
            timeout=self._base.timeout,
        )
