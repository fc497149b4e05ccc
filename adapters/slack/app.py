"""The Slack app: slack-bolt listeners around the core, served over HTTP or Socket Mode.

Every Slack request becomes one `Invocation` (invocation.py; who asks is looked up once, by a
middleware, before any listener runs); the core (synchronous) runs in a worker thread and its
`Reply` is rendered by `render`. Both modes share the same listeners:

- Socket Mode (SLACK_APP_TOKEN): no public URL; slack-sdk's aiohttp websocket client.
- HTTP mode (SLACK_SIGNING_SECRET + SLACK_HTTP_PORT): our own aiohttp runner on
  SLACK_HTTP_HOST (127.0.0.1 unless configured; bolt's built-in server would bind 0.0.0.0).
  slack-bolt verifies each request's signature and its 5-minute timestamp window.

One workspace runs on SLACK_BOT_TOKEN; many (HTTP mode, SLACK_CLIENT_ID + SLACK_CLIENT_SECRET)
install Marquee through OAuth and each request runs with its own workspace's bot token
(oauth.py): the install pages are served beside the events, and who asks is looked up with the
token of the workspace asking.

`process_before_response=True`: a request's HTTP response (or Socket Mode ack) is sent when the
listener returns, so the answer can ride in the acknowledgement itself. To stay inside Slack's
3-second window anyway, a core call that takes longer than `ack_budget` is acknowledged at once
and its answer follows through the request's `response_url`, by bolt's own `respond` (a click's
answer, and a form's, always go that way).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.answering import INTERNAL_ERROR, REPLY_BUDGET_SECONDS, catch_all, within_budget
from adapters.core_calls import Core
from adapters.platform import run_platform
from adapters.slack.actions import (
    ACTION_PREFIX,
    BadAction,
    ExpiredAction,
    decode_action,
)
from adapters.slack.commands import Resolved, resolve, slash_commands
from adapters.slack.files import deliver_files
from adapters.slack.forms import (
    FORM_CALLBACK_ID,
    FormContext,
    build_form,
    field_errors,
    read_submission,
    wants_form,
)
from adapters.slack.invocation import actor_middleware, invocation
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.notifier import SlackNotifier
from adapters.slack.oauth import Installations
from adapters.slack.replying import (
    ack_message,
    action_message,
    apology,
    reply_message,
    send_response,
)
from adapters.slack.roles import RoleResolver
from bot.registry import CommandSpec
from bot.settings import Settings
from bot.types import ArgValue, Invocation, Reply
from storage.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"  # slash commands and interactivity share one request URL
HEALTH_PATH = "/healthz"
ACK_BUDGET_SECONDS = REPLY_BUDGET_SECONDS  # leaves a second of Slack's 3 for the network and bolt
WORKING_TEXT = "Working on it…"
__all__ = ["INTERNAL_ERROR", "WORKING_TEXT", "SlackAdapter", "run_slack"]
# Slack sends Unix seconds; anything else (signs, exponents, non-ASCII digits) is not Slack.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SlackAdapter:
    """The slack-bolt app plus the server it runs under, an `adapters.platform.Platform`:
    `start()` connects or listens, `serve()` runs until `stop()`."""

    def __init__(
        self,
        core: Core,
        settings: Settings,
        ack_budget: float = ACK_BUDGET_SECONDS,
        *,
        database: Database | None = None,
    ):
        """`database` holds the OAuth installations (OAuth mode only; default: the core's)."""
        if settings.slack_oauth and settings.slack_bot_token:
            raise ValueError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: choose one"
            )
        if not (settings.slack_bot_token or settings.slack_oauth):
            raise ValueError(
                "the Slack adapter needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (OAuth installs in many)"
            )
        self.core = core
        self.settings = settings
        self.ack_budget = ack_budget
        # Slack's one rate pacer is the alert loop's (bot/alerts/pacing.py): it sees every channel
        # and, after a 429, holds the channel and reschedules rather than sleep inside a post. So
        # no RateLimitErrorRetryHandler here (slack_sdk's default retries connection errors only).
        # In OAuth mode this client has no token: each request gets its workspace's (bolt).
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=_api_base(settings.slack_api_url),
        )
        self.roles = RoleResolver(
            self.client, settings.slack_mod_user_ids, settings.slack_mod_usergroup_ids
        )
        self.installations: Installations | None = None
        if settings.slack_oauth:
            self.installations = Installations(
                settings,
                _database_of(core, database).engine,
                self.client,
                BOT_SCOPES,
                core=core,
            )
            self.app = self.installations.app(settings.slack_signing_secret or "")
        else:
            self.app = AsyncApp(
                name="marquee",
                client=self.client,
                # "" (not None) so bolt does not read the environment behind Settings' back.
                signing_secret=settings.slack_signing_secret or "",
                process_before_response=True,
            )
        self._register()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._follow_ups: set[asyncio.Task[None]] = set()
        self._stopped = asyncio.Event()
        self.http_port: int | None = None

    # -----------------------------------------------------------------------------------------
    # Lifetime
    # -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Socket Mode when an app token is set, else HTTP mode."""
        if self.settings.slack_app_token:
            if self.settings.slack_oauth:
                raise ValueError("OAuth installs (SLACK_CLIENT_ID) run in HTTP mode only")
            await self.start_socket_mode()
        else:
            await self.start_http()

    async def start_socket_mode(self) -> None:
        if not self.settings.slack_app_token:
            raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
        self._socket = AsyncSocketModeHandler(
            self.app, self.settings.slack_app_token, web_client=self.client
        )
        await self._socket.connect_async()
        log.info("Slack: connected in Socket Mode")

    async def start_http(self, host: str | None = None, port: int | None = None) -> int:
        """Serve HTTP mode; returns the bound port (pass port=0 for a free one)."""
        if not self.settings.slack_signing_secret:
            # Without a secret every request would verify: refuse to serve rather than trust all.
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
        host = host or self.settings.slack_http_host
        if port is None:
            port = (
                self.settings.slack_http_port if self.settings.slack_http_port is not None else 3000
            )
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.http_port = int(self._runner.addresses[0][1])
        log.info("Slack: HTTP mode on http://%s:%s%s", host, self.http_port, EVENTS_PATH)
        return self.http_port

    def web_app(self) -> web.Application:
        """The aiohttp application for HTTP mode (for an operator's own server, too)."""
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._http_request)
        web_app.router.add_get(HEALTH_PATH, _health)
        if self.installations is not None and self.app.oauth_flow is not None:
            self.installations.add_routes(web_app, self.app.oauth_flow)
        return web_app

    def notifier(self) -> SlackNotifier:
        """The alerts notifier, sharing this app's Web API client (token, base URL); in OAuth
        mode it posts with the token of each channel's workspace."""
        clients = self.installations.clients if self.installations is not None else None
        return SlackNotifier(self.client, workspaces=clients)

    async def is_connected(self) -> bool:
        """Socket Mode: the websocket is up (slack_sdk's own check, which includes its
        ping-pong). HTTP mode: the server is listening."""
        if self._socket is not None:
            return await self._socket.client.is_connected()
        return self._runner is not None

    async def serve(self) -> None:
        """Until `stop()`: Socket Mode reconnects by itself, and HTTP mode just listens."""
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()
        if self._follow_ups:
            await asyncio.gather(*self._follow_ups, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _http_request(self, request: web.Request) -> web.Response:
        # bolt raises (a 500 and a traceback) on a timestamp that is not a number or a body
        # that does not parse; such a request was not sent by Slack: refuse it in one line.
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not _TIMESTAMP.fullmatch(timestamp):
            log.warning("Slack: refused a request with a malformed timestamp header")
            return web.Response(status=401, text="invalid request")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, UnicodeDecodeError):
            log.warning(
                "Slack: refused a request whose body does not parse as %s", request.content_type
            )
            return web.Response(status=400, text="invalid request body")
        if not isinstance(bolt_request.body, dict):
            log.warning("Slack: refused a request whose body is not an object")
            return web.Response(status=400, text="invalid request body")
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # -----------------------------------------------------------------------------------------
    # Listeners
    # -----------------------------------------------------------------------------------------

    def _register(self) -> None:
        if self.installations is None:
            self.app.middleware(actor_middleware(self.roles, apology))
        else:
            self.installations.register(self.app, apology)
        for command in slash_commands():
            self.app.command(command.name)(self._on_slash_command)
        self.app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self._on_action)
        self.app.view(FORM_CALLBACK_ID)(self._on_form_submission)

    async def _on_slash_command(
        self,
        ack: AsyncAck,
        respond: AsyncRespond,
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        async with catch_all("Slack slash command", apology(respond)):
            await self._slash_command(ack, respond, body, context)

    async def _slash_command(
        self,
        ack: AsyncAck,
        respond: AsyncRespond,
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        found = resolve(body["command"], body.get("text") or "")
        if not isinstance(found, Resolved):
            await ack(**ack_message(Reply.error(found.message)))
            return
        inv = invocation(context, body, found.spec.name, found.args)
        if wants_form(found.spec, found.args) and inv.actor.role >= found.spec.min_role:
            # Forms open only for people the registry lets run the command; anyone else gets
            # the command run as typed, and the core's own refusal.
            form = FormContext(
                found.spec.name,
                inv.channel.workspace_id,
                inv.channel.channel_id,
                respond.response_url,
            )
            problem = await self._open_form(
                context.client, body["trigger_id"], found.spec, form, found.args
            )
            if problem is None:
                await ack()
            else:
                await ack(**ack_message(problem))
            return

        async def late(reply: Reply) -> None:
            await send_response(respond, reply_message(reply))

        reply = await self._handle(inv, late, context.client)
        if reply is None:
            await ack(text=WORKING_TEXT, response_type="ephemeral")
        else:
            await ack(**ack_message(reply))

    async def _open_form(
        self,
        client: AsyncWebClient,
        trigger_id: str,
        spec: CommandSpec,
        context: FormContext,
        args: dict[str, ArgValue],
    ) -> Reply | None:
        """Open the command's modal (with the request's client: its workspace's token); a reply
        to show instead if Slack would not."""
        try:
            await client.views_open(trigger_id=trigger_id, view=build_form(spec, context, args))
        except SlackApiError as exc:
            error = exc.response.get("error")
            return Reply.error(f"Could not open the form ({error}); type the command in full.")
        return None

    async def _on_action(
        self,
        ack: AsyncAck,
        respond: AsyncRespond,
        body: dict[str, Any],
        context: AsyncBoltContext,
    ) -> None:
        await ack()  # sent when this listener returns (process_before_response)
        async with catch_all("Slack click", apology(respond)):
            await self._action(respond, body, context)

    async def _action(
        self, respond: AsyncRespond, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        try:
            request = decode_action(body["actions"][0])
        except BadAction as exc:
            log.warning("Slack: ignored a click: %s", exc)
            text = str(exc) if isinstance(exc, ExpiredAction) else "That button no longer works."
            await send_response(respond, reply_message(Reply.error(text)))
            return
        inv = invocation(context, body, request.command, request.args)

        clicked_private = bool((body.get("container") or {}).get("is_ephemeral"))

        async def send(reply: Reply) -> None:
            await send_response(respond, action_message(reply, request.kind, clicked_private))

        reply = await self._handle(inv, send, context.client)
        if reply is not None:
            await send(reply)

    async def _on_form_submission(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        # No response_url to apologise through until the form is read; bolt acks on failure.
        async with catch_all("Slack form submission"):
            await self._form_submission(ack, body, context)

    async def _form_submission(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        try:
            form, spec, args = read_submission(body["view"])
        except (KeyError, ValueError) as exc:
            log.warning("Slack: unreadable form submission: %s", exc)
            await ack()
            return
        inv = invocation(context, body, spec.name, args, form=form)
        # A submission carries no response_url of its own (the form asks for none): its answer
        # goes to the slash command's, which the form kept.
        respond = AsyncRespond(
            response_url=form.response_url, proxy=self.client.proxy, ssl=self.client.ssl
        )

        async def late(reply: Reply) -> None:
            await send_response(respond, reply_message(reply))

        reply = await self._handle(inv, late, context.client)
        if reply is None:
            await ack()
            return
        errors = field_errors(spec, reply) if reply.is_error else None
        if errors:
            # The form stays open with the message under the field to fix.
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await late(reply)

    # -----------------------------------------------------------------------------------------
    # Running the core
    # -----------------------------------------------------------------------------------------

    async def _handle(
        self, inv: Invocation, late: Callable[[Reply], Awaitable[None]], client: AsyncWebClient
    ) -> Reply | None:
        """The core's reply if it comes within the ack budget; else None, and `late` gets it.
        A reply with files always goes to `late`, after its upload (with `client`, the
        request's workspace's), which can outlast the ack."""
        work = await within_budget(self.core, inv, self.ack_budget)
        if work.done() and not work.result().files:
            return work.result()
        follow_up = asyncio.create_task(self._follow_up(work, late, client, inv.actor.user_id))
        self._follow_ups.add(follow_up)
        follow_up.add_done_callback(self._follow_ups.discard)
        return None

    async def _follow_up(
        self,
        work: asyncio.Future[Reply],
        late: Callable[[Reply], Awaitable[None]],
        client: AsyncWebClient,
        user_id: str,
    ) -> None:
        # No apology: it would go the way that just failed (the response_url); a failure in
        # the core itself already arrives as the apology (answering.guarded_handle).
        async with catch_all("Slack: delivering a late reply"):
            await deliver_files(await work, late, client=client, user_id=user_id)


async def run_slack(core: Core, settings: Settings) -> None:
    """Run the Slack adapter until cancelled."""
    await run_platform(SlackAdapter(core, settings))


async def _health(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def _database_of(core: Core, database: Database | None) -> Database:
    """Where OAuth installations are kept: the database given, else the core's own."""
    found = database if database is not None else getattr(core, "db", None)
    if not isinstance(found, Database):
        raise ValueError("OAuth mode keeps installations in Marquee's database: pass database=")
    return found


def _api_base(url: str | None) -> str:
    # slack-sdk joins method names onto the base, so the trailing slash is required.
    base = url or AsyncWebClient.BASE_URL
    return base if base.endswith("/") else base + "/"
