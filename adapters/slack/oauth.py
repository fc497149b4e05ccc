"""Slack in many workspaces: OAuth v2 installs by slack-bolt's own flow.

OAuth mode (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET, HTTP mode only) replaces the one
SLACK_BOT_TOKEN: `/slack/install` sends the installer to Slack's authorize page with a `state`,
Slack sends them back to `/slack/oauth_redirect` with a code, bolt exchanges it
(`oauth.v2.access`) for that workspace's bot token and saves the installation in Marquee's
database (oauth_stores.py); every request after that is authorized with its own workspace's
token (bolt's installation-store authorize), and who asks is looked up with it. Uninstalling
the app, or revoking its bot token, deletes the workspace's installation.

The core hears of both, as of a Discord server joined or left: an installation is
`space_joined("slack", team_id, team_name)`, an uninstall (or revoked bot token) `space_left`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from adapters.core_calls import Core, call_core
from adapters.slack.invocation import Middleware, actor_middleware
from adapters.slack.oauth_stores import (
    DatabaseInstallationStore,
    DatabaseStateStore,
    WorkspaceClients,
)
from adapters.slack.roles import RoleResolver
from bot.settings import Settings

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

Apology = Callable[[AsyncRespond | None], Callable[[str], Awaitable[None]]]


def oauth_settings(
    settings: Settings,
    engine: Engine,
    scopes: tuple[str, ...],
    on_installed: Callable[[Installation], Awaitable[None]] | None = None,
) -> AsyncOAuthSettings:
    """bolt's OAuth settings for Marquee: bot scopes only, stores in the database, and
    `/slack/install` redirecting straight to Slack (a link operators can hand out).
    `on_installed` hears of each installation once it is saved, before the installer sees
    bolt's own success page."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise ValueError("OAuth mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(scopes),
        user_scopes=[],
        redirect_uri=settings.slack_install_redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=DatabaseInstallationStore(settings.slack_client_id, engine),
        # Marquee acts as its bot only: a workspace is installed while it has a bot token.
        installation_store_bot_only=True,
        state_store=DatabaseStateStore(engine),
        logger=log,
        callback_options=_after_install(on_installed) if on_installed else None,
    )


def _after_install(on_installed: Callable[[Installation], Awaitable[None]]) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        await on_installed(args.installation)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    return AsyncCallbackOptions(success=success, failure=failure)


def installation_authorize(
    oauth: AsyncOAuthSettings, client: AsyncWebClient
) -> AsyncInstallationStoreAuthorize:
    """bolt's installation-store authorize with its auth.test answers cached by token: the
    store is still read on every request (an uninstalled workspace is refused at once), but a
    known token costs no Slack round trip inside the 3-second window."""
    return AsyncInstallationStoreAuthorize(
        logger=log,
        installation_store=oauth.installation_store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )


class Installations:
    """What OAuth mode adds to the Slack app: bolt's OAuth settings and authorize, the install
    pages, the who-asks middleware with each workspace's token, the uninstall events, and the
    clients alerts post with."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        client: AsyncWebClient,
        scopes: tuple[str, ...],
        core: Core | None = None,
    ) -> None:
        self.settings = settings
        # Told of each workspace installed and uninstalled (None: nobody is).
        self.core = core
        self.oauth = oauth_settings(settings, engine, scopes, self._on_installed)
        self.store = self.oauth.installation_store
        self.clients = WorkspaceClients(self.store, client)
        self._client = client
        # (team, token) → who-asks middleware asking Slack with that workspace's token.
        self._actors: dict[tuple[str, str], Middleware] = {}
        self._apology: Apology | None = None

    def app(self, signing_secret: str) -> AsyncApp:
        return AsyncApp(
            name="marquee",
            client=self._client,
            signing_secret=signing_secret,
            process_before_response=True,
            oauth_settings=self.oauth,
            # An `AsyncAuthorize` is taken as it is (bolt checks for one); its hint says callable.
            authorize=installation_authorize(self.oauth, self._client),  # type: ignore[arg-type]
        )

    def register(self, app: AsyncApp, apology: Apology) -> None:
        """The who-asks middleware (before every listener) and the uninstall events."""
        self._apology = apology
        app.middleware(self._actor)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)

    def add_routes(self, web_app: web.Application, flow: AsyncOAuthFlow) -> None:
        async def install(request: web.Request) -> web.Response:
            # A redirect to Slack's authorize page, with a fresh state.
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            # bolt checks the state, exchanges the code for the workspace's bot token
            # (oauth.v2.access) and saves the installation.
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(INSTALL_PATH, install)
        web_app.router.add_get(REDIRECT_PATH, redirect)

    async def _actor(
        self, body: dict[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> Any:
        # bolt passes middleware arguments by name (`next_` is its name for `next`).
        key = (context.team_id or "", context.bot_token or "")
        resolve = self._actors.get(key)
        if resolve is None:
            assert self._apology is not None  # set by register()
            roles = RoleResolver(
                context.client,  # this request's: its workspace's token
                self.settings.slack_mod_user_ids,
                self.settings.slack_mod_usergroup_ids,
            )
            resolve = self._actors[key] = actor_middleware(roles, self._apology)
        return await resolve(body, context, next_)

    async def _on_installed(self, installation: Installation) -> None:
        team_id = installation.team_id
        if self.core is None or not team_id:
            return  # an org-wide (Enterprise Grid) install names no one workspace
        try:
            await call_core(self.core.space_joined, "slack", team_id, installation.team_name or "")
        except Exception:  # noqa: BLE001 - the install is saved; the first command makes the space
            log.exception("Slack: telling the core of workspace %s's install failed", team_id)
        log.info("Slack: workspace %s installed Marquee", team_id)

    async def _on_uninstalled(self, context: AsyncBoltContext) -> None:
        await self._forget(context)
        log.info("Slack: workspace %s uninstalled Marquee", context.team_id)

    async def _on_tokens_revoked(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        # Marquee acts only as its bot (no user scopes): once its bot token is revoked the
        # workspace has nothing installed, so the whole installation goes, as on uninstall.
        if (event.get("tokens") or {}).get("bot"):
            await self._forget(context)
            log.info("Slack: workspace %s revoked Marquee's bot token", context.team_id)

    async def _forget(self, context: AsyncBoltContext) -> None:
        await self.store.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        for key in [k for k in self._actors if k[0] == (context.team_id or "")]:
            del self._actors[key]
        if self.core is not None and context.team_id:
            await call_core(self.core.space_left, "slack", context.team_id)
