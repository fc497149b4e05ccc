"""A small fake of Discord — REST API and gateway websocket — for driving the real discord.py.

It serves on 127.0.0.1 (a free port) what a bot that answers interactions uses:

* REST under `/api/v10`: the gateway address, the bot user, the application, bulk command
  registration, interaction callbacks, interaction webhooks (the original response and
  follow-ups) and channel messages. Every request is recorded; a test waits for the one it
  expects with `wait_for` (an asyncio condition, never a sleep). Unknown routes answer 404 and
  are recorded too, so a call the fake does not model shows up in a failing test.
* The gateway: HELLO, heartbeat ACKs, IDENTIFY → READY and one GUILD_CREATE per server, RESUME
  → RESUMED; the test then injects INTERACTION_CREATE dispatches built by the helpers below
  (slash commands, autocomplete, clicks, selects, form submits) from the same payload shapes
  Discord sends, and the bot's joins and removals (`join_guild`, `remove_guild`).
* Files: a message with attachments arrives as multipart (`payload_json` + `files[n]`, see
  fake_uploads.py); the fake keeps each file as an attachment of the message, served at its
  URL, and refuses a file over `upload_max` (Discord's 10 MiB) with 413, code 40005.
* Shards, as Discord has them: an IDENTIFY's `shard` [id, count] gets only the servers of that
  shard (`shard_of`), and every server's events (interactions included) go to the session of
  its shard; events without a server (direct messages) go to shard 0. Several bots (processes)
  can be connected at once, each with its own shards.

It keeps the messages the bot creates so a test can click a button on the message the bot
actually sent, and it works out who a message would have pinged from its content and
`allowed_mentions`, as Discord does. Replies carry exactly `Content-Type: application/json`:
discord.py decodes JSON only then.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_adapter.fake_uploads import (
    BadMultipart,
    Upload,
    attach_uploads,
    read_multipart,
    too_large,
)
from tests.discord_adapter.limits import (
    REQUEST_MAX,
    TOO_LARGE,
    UPLOAD_MAX,
    error_body,
    message_problems,
    modal_problems,
)

API_PREFIX = "/api/v10"
APP_ID = "900000000000000001"
BOT_ID = APP_ID  # a bot user's id is its application's id
GUILD_ID = "910000000000000001"
CHANNEL_ID = "920000000000000001"
GONE_CHANNEL_ID = "920000000000000404"  # the bot was removed from it: 403 Missing Access
MOD_ROLE_ID = "930000000000000001"
UNCACHED_ROLE_ID = "930000000000000099"  # a role the GUILD_CREATE does not list

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES

EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction and callback types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class FakeUser:
    id: str
    name: str
    permissions: int = MEMBER_PERMISSIONS
    roles: tuple[str, ...] = ()

    def user_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.name.lower().replace(" ", "_"),
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        }


MEMBER = FakeUser("940000000000000001", "Mia Member")
MODERATOR = FakeUser("940000000000000002", "Max Moderator", roles=(MOD_ROLE_ID,))
MANAGER = FakeUser("940000000000000003", "Meg Manager", MEMBER_PERMISSIONS | MANAGE_GUILD)
ADMIN = FakeUser("940000000000000004", "Ada Admin", MEMBER_PERMISSIONS | ADMINISTRATOR)
# Who owns the application (GET /oauth2/applications/@me) and the server too, so Discord
# gives them every permission there.
OWNER = FakeUser("960000000000000001", "Olga Owner", MEMBER_PERMISSIONS | ADMINISTRATOR)


def shard_of(guild_id: str, shard_count: int) -> int:
    """The shard Discord sends a server's events to."""
    return (int(guild_id) >> 22) % shard_count


def guild_on_shard(shard_id: int, shard_count: int, n: int = 0) -> str:
    """A server id on `shard_id` of `shard_count` (the `n`th such id a test wants)."""
    base = int(GUILD_ID) >> 22
    first = base + (shard_id - base) % shard_count
    return str(((first + n * shard_count) << 22) | 1)


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    status: int = 200
    response: Any = None
    # The files of a multipart request (a message with attachments), in the order sent.
    files: list[Upload] = field(default_factory=list)
    # time.perf_counter() when the request arrived: benchmarks time round trips with it.
    received_at: float = field(default_factory=time.perf_counter)


@dataclass
class Interaction:
    """An interaction the test injected: wait for its answer with `FakeDiscord.callback`."""

    id: str
    token: str
    payload: dict[str, Any]


@dataclass
class _Script:
    """Scripted failures for a path: the next `times` requests answer 429."""

    pattern: re.Pattern[str]
    times: int
    retry_after: float


@dataclass
class FakeDiscord:
    token: str = "fake-token"
    guild_ids: tuple[str, ...] = (GUILD_ID,)
    requests: list[Recorded] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    identify: dict[str, Any] | None = None  # the latest IDENTIFY
    identifies: list[dict[str, Any]] = field(default_factory=list)
    gateway_query: dict[str, str] = field(default_factory=dict)
    dm_channels: dict[str, str] = field(default_factory=dict)  # user id → DM channel id
    nonces: dict[tuple[str, str], str] = field(default_factory=dict)  # → message id
    # A team owning the application instead of OWNER: each member, and whether they accepted
    # the team's invitation. None: OWNER owns it alone.
    team: tuple[tuple[FakeUser, bool], ...] | None = None
    # The largest file Discord takes (10 MiB in a server without boosts); a test lowers it to
    # see a refusal without sending megabytes.
    upload_max: int = UPLOAD_MAX

    def __post_init__(self) -> None:
        self._ids = itertools.count(950000000000000001)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._shard_of_socket: dict[int, tuple[int, int]] = {}  # id(ws) → [shard id, count]
        self._original: dict[str, str] = {}  # interaction token → message id of its response
        self._interactions: dict[str, dict[str, Any]] = {}  # id → payload
        self._answered: set[str] = set()
        self._scripts: list[_Script] = []
        self._files: dict[str, bytes] = {}  # attachment id → content, served as the CDN would
        self.file_downloads = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        # Room for a request over Discord's own limit, so the fake answers it as Discord does.
        app = web.Application(client_max_size=REQUEST_MAX * 2)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- waiting for what the bot did ------------------------------------------------------------

    async def _record(self, rec: Recorded) -> None:
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], timeout: float = 10.0
    ) -> Recorded:
        """The first recorded request matching `predicate`, waiting for it if need be."""

        async def find() -> Recorded:
            async with self._changed:
                while True:
                    for rec in self.requests:
                        if predicate(rec):
                            return rec
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def callback(self, interaction: Interaction, timeout: float = 10.0) -> Recorded:
        """The bot's answer to `interaction` (POST /interactions/{id}/{token}/callback)."""
        path = f"/interactions/{interaction.id}/{interaction.token}/callback"
        return await self.wait_for(lambda r: r.method == "POST" and r.path == path, timeout)

    async def webhook(
        self, interaction: Interaction, method: str, *, suffix: str = "", timeout: float = 10.0
    ) -> Recorded:
        """A request on the interaction's webhook: follow-ups and the original response."""
        path = f"/webhooks/{APP_ID}/{interaction.token}{suffix}"
        return await self.wait_for(lambda r: r.method == method and r.path == path, timeout)

    async def command_sync(self, timeout: float = 10.0) -> Recorded:
        pattern = re.compile(rf"/applications/{APP_ID}(/guilds/\d+)?/commands")
        return await self.wait_for(
            lambda r: r.method == "PUT" and bool(pattern.fullmatch(r.path)), timeout
        )

    async def identified(self, timeout: float = 10.0, *, shard: int | None = None) -> None:
        """Wait until a gateway session (of `shard`, if given) has identified and received
        READY."""

        def connected() -> bool:
            return any(
                shard is None or self._shard_of_socket.get(id(ws), (0, 1))[0] == shard
                for ws in self._sockets
            )

        async def ready() -> None:
            async with self._changed:
                await self._changed.wait_for(connected)

        await asyncio.wait_for(ready(), timeout)

    async def disconnected(self, timeout: float = 10.0) -> None:
        """Wait until no gateway session is open (the bot closed its websocket)."""

        async def closed() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: not self._sockets)

        await asyncio.wait_for(closed(), timeout)

    def refused(self) -> list[Recorded]:
        """Requests the fake refused as Discord would (invalid form body, empty message)."""
        return [r for r in self.requests if r.status == 400 and _refusal(r.response)]

    def unexpected(self) -> list[Recorded]:
        """Requests to routes this fake does not model (a test should expect none)."""
        return [r for r in self.requests if r.status == 404 and r.response == _UNKNOWN_ROUTE]

    def rate_limit(self, path_pattern: str, *, times: int = 1, retry_after: float = 0.01) -> None:
        """Answer the next `times` requests whose path matches with 429 Too Many Requests."""
        self._scripts.append(_Script(re.compile(path_pattern), times, retry_after))

    # -- injecting interactions ------------------------------------------------------------------

    def _new_id(self) -> str:
        return str(next(self._ids))

    def interaction_payload(
        self,
        kind: int,
        data: dict[str, Any],
        user: FakeUser,
        *,
        guild_id: str | None = GUILD_ID,
        channel_id: str = CHANNEL_ID,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        interaction_id = self._new_id()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": APP_ID,
            "type": kind,
            "data": data,
            "token": f"token-{interaction_id}",
            "version": 1,
            "locale": "en-GB",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(MEMBER_PERMISSIONS | (1 << 14)),
            "channel_id": channel_id,
        }
        if guild_id is not None:
            payload |= {
                "guild_id": guild_id,
                "guild": {"id": guild_id, "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "context": 0,
                "authorizing_integration_owners": {"0": guild_id},
                "channel": {
                    "id": channel_id,
                    "type": 0,
                    "guild_id": guild_id,
                    "name": "films",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "flags": 0,
                },
                "member": {
                    "user": user.user_object(),
                    "roles": list(user.roles),
                    "permissions": str(user.permissions),
                    "joined_at": "2024-01-01T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "nick": None,
                    "avatar": None,
                    "pending": False,
                },
            }
        else:
            payload |= {
                "context": 1,
                "authorizing_integration_owners": {"0": GUILD_ID},
                "channel": {"id": channel_id, "type": 1, "recipients": [user.user_object()]},
                "user": user.user_object(),
            }
        if message is not None:
            payload["message"] = message
        return payload

    async def send_interaction(self, payload: dict[str, Any]) -> Interaction:
        self._interactions[payload["id"]] = payload
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))
        return Interaction(payload["id"], payload["token"], payload)

    async def slash(
        self, name: str, options: Mapping[str, Any], user: FakeUser = MEMBER, **where: Any
    ) -> Interaction:
        data = {
            "id": self._new_id(),
            "name": name,
            "type": 1,
            "options": [_option(k, v) for k, v in options.items()],
        }
        return await self.send_interaction(
            self.interaction_payload(APPLICATION_COMMAND, data, user, **where)
        )

    async def slash_with_file(
        self,
        name: str,
        option: str,
        filename: str,
        content: bytes,
        options: Mapping[str, Any] | None = None,
        user: FakeUser = MEMBER,
    ) -> Interaction:
        """A slash command with a file attached as `option`: the option carries the
        attachment's id, `resolved.attachments` describes it, and the fake serves its URL."""
        attachment_id = self._new_id()
        self._files[attachment_id] = content
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        data = {
            "id": self._new_id(),
            "name": name,
            "type": 1,
            "options": [
                {"name": option, "type": 11, "value": attachment_id},
                *(_option(k, v) for k, v in (options or {}).items()),
            ],
            "resolved": {
                "attachments": {
                    attachment_id: {
                        "id": attachment_id,
                        "filename": filename,
                        "size": len(content),
                        "url": url,
                        "proxy_url": url,
                        "content_type": "text/calendar; charset=utf-8",
                        "ephemeral": True,
                    }
                }
            },
        }
        return await self.send_interaction(
            self.interaction_payload(APPLICATION_COMMAND, data, user)
        )

    async def _attachment(self, request: web.Request) -> web.Response:
        content = self._files.get(request.match_info["id"])
        if content is None:
            return web.Response(status=404)
        self.file_downloads += 1
        return web.Response(body=content, content_type="application/octet-stream")

    async def autocomplete(
        self, name: str, options: Mapping[str, Any], focused: str, user: FakeUser = MEMBER
    ) -> Interaction:
        opts = [
            _option(k, v) | ({"focused": True} if k == focused else {}) for k, v in options.items()
        ]
        data = {"id": self._new_id(), "name": name, "type": 1, "options": opts}
        return await self.send_interaction(self.interaction_payload(AUTOCOMPLETE, data, user))

    async def click(
        self, message: dict[str, Any], custom_id: str, user: FakeUser = MEMBER, **where: Any
    ) -> Interaction:
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.interaction_payload(MESSAGE_COMPONENT, data, user, message=message, **where)
        return await self.send_interaction(payload)

    async def choose(
        self, message: dict[str, Any], custom_id: str, value: str, user: FakeUser = MEMBER
    ) -> Interaction:
        data = {"custom_id": custom_id, "component_type": 3, "values": [value]}
        payload = self.interaction_payload(MESSAGE_COMPONENT, data, user, message=message)
        return await self.send_interaction(payload)

    async def submit_form(
        self, custom_id: str, values: Mapping[str, str], user: FakeUser = MEMBER, **where: Any
    ) -> Interaction:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        payload = self.interaction_payload(MODAL_SUBMIT, data, user, **where)
        return await self.send_interaction(payload)

    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: str | None = None
    ) -> None:
        """Send a gateway event to the session of `guild_id`'s shard (None: shard 0's)."""
        sockets = [ws for ws in self._sockets if self._serves(ws, guild_id)]
        if not sockets:
            raise RuntimeError(f"no gateway session to dispatch to (server {guild_id})")
        for ws in sockets:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def _serves(self, ws: web.WebSocketResponse, guild_id: str | None) -> bool:
        shard_id, count = self._shard_of_socket.get(id(ws), (0, 1))
        return shard_id == (0 if guild_id is None else shard_of(guild_id, count))

    async def join_guild(self, guild_id: str, name: str = "Cinema Club") -> None:
        """The bot is added to a server: a GUILD_CREATE, without `unavailable`, as Discord
        sends for a join (an outage's return says `unavailable: false`)."""
        self.guild_ids = (*self.guild_ids, guild_id)
        data = _guild(guild_id, name)
        del data["unavailable"]
        await self.dispatch("GUILD_CREATE", data, guild_id=guild_id)

    async def remove_guild(self, guild_id: str) -> None:
        """The bot is removed from (kicked out of) a server: a GUILD_DELETE, without
        `unavailable` (with it, the server would only be in an outage)."""
        self.guild_ids = tuple(g for g in self.guild_ids if g != guild_id)
        await self.dispatch("GUILD_DELETE", {"id": guild_id}, guild_id=guild_id)

    # -- the gateway ------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_query = dict(request.query)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    self.identify = frame["d"]
                    self.identifies.append(frame["d"])
                    if frame["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    await self._ready(ws, frame["d"])
                elif op == 6:
                    await ws.send_json({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}})
                    await self._add_socket(ws, _session_shard(frame["d"].get("session_id")))
        finally:
            async with self._changed:
                if ws in self._sockets:
                    self._sockets.remove(ws)
                self._shard_of_socket.pop(id(ws), None)
                self._changed.notify_all()
        return ws

    async def _ready(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        shard_id, count = identify.get("shard", [0, 1])
        shard = [shard_id, count]
        guild_ids = [g for g in self.guild_ids if shard_of(g, count) == shard_id]
        ready = {
            "v": 10,
            "user": _bot_user(),
            "guilds": [{"id": g, "unavailable": True} for g in guild_ids],
            # The shard is in the session id, so a RESUME finds its way back to it.
            "session_id": f"fake-session-{shard_id}-{count}",
            "resume_gateway_url": self.gateway_url,
            "shard": shard,
            "application": {"id": APP_ID, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        for guild_id in guild_ids:
            await ws.send_json(
                {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": _guild(guild_id)}
            )
        await self._add_socket(ws, (shard_id, count))

    async def _add_socket(self, ws: web.WebSocketResponse, shard: tuple[int, int]) -> None:
        async with self._changed:
            self._sockets.append(ws)
            self._shard_of_socket[id(ws)] = shard
            self._changed.notify_all()

    def shards_connected(self) -> list[tuple[int, int]]:
        """[shard id, count] of every open gateway session."""
        return [self._shard_of_socket.get(id(ws), (0, 1)) for ws in self._sockets]

    # -- REST -----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        path = "/" + request.match_info["path"]
        body: Any = None
        uploads: list[Upload] = []
        malformed: str | None = None
        if request.content_type == "multipart/form-data":
            try:
                body, uploads = await read_multipart(request)
            except BadMultipart as exc:
                malformed = str(exc)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw)
        rec = Recorded(
            request.method, path, dict(request.query), body, files=uploads, received_at=arrived
        )
        if malformed is not None:
            rec.status, rec.response = 400, {"message": malformed, "code": 50035}
            await self._record(rec)
            return _json(rec.response, 400)
        # Interaction callbacks and webhooks are authorised by their token in the path.
        needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
            rec.status, rec.response = 401, {"message": "401: Unauthorized", "code": 0}
            await self._record(rec)
            return _json(rec.response, 401)
        for script in self._scripts:
            if script.times > 0 and script.pattern.fullmatch(path):
                script.times -= 1
                rec.status = 429
                rec.response = {
                    "message": "You are being rate limited.",
                    "retry_after": script.retry_after,
                    "global": False,
                }
                await self._record(rec)
                # discord.py treats a 429 without `Via` as Cloudflare's ban, as Discord's do.
                headers = {
                    "Via": "1.1 google",
                    "Retry-After": str(script.retry_after),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(script.retry_after),
                    "X-RateLimit-Bucket": "fake-bucket",
                    "X-RateLimit-Scope": "user",
                }
                return _json(rec.response, 429, headers)
        if uploads:
            refused = self._take_uploads(path, body, uploads)
            if refused is not None:
                rec.status, rec.response = refused
                await self._record(rec)
                return _json(rec.response, rec.status)
        status, response = self._route(request.method, path, body)
        rec.status, rec.response = status, response
        await self._record(rec)
        if status == 204:
            return web.Response(status=204)
        return _json(response, status)

    def _take_uploads(
        self, path: str, body: dict[str, Any], uploads: list[Upload]
    ) -> tuple[int, Any] | None:
        """Make the uploaded files the message's attachments; Discord's refusal, if any."""
        if too_large(uploads, self.upload_max, REQUEST_MAX):
            return 413, TOO_LARGE
        callback = path.endswith("/callback")
        message = body.setdefault("data", {}) if callback else body
        base = f"http://127.0.0.1:{self.port}"
        if problems := attach_uploads(message, uploads, self._new_id, self._files, base):
            return 400, error_body(problems, prefix="data" if callback else "")
        return None

    def attachment_data(self, attachment: Mapping[str, Any]) -> bytes:
        """The bytes of an attachment on a message the bot sent."""
        return self._files[str(attachment["id"])]

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        match method, parts:
            case "GET", ["gateway"]:
                return 200, {"url": self.gateway_url}
            case "GET", ["gateway", "bot"]:
                limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
            case "GET", ["users", "@me"]:
                return 200, _bot_user()
            case "GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]:
                return 200, _application(self.team)
            case "PUT", ["applications", app, "commands"] | [
                "applications",
                app,
                "guilds",
                _,
                "commands",
            ] if app == APP_ID:
                return 200, [
                    {**c, "id": self._new_id(), "application_id": APP_ID, "version": "1"}
                    for c in body
                ]
            case "POST", ["interactions", interaction_id, token, "callback"]:
                return self._callback(interaction_id, token, body)
            case "POST", ["webhooks", app, token] if app == APP_ID:
                if problems := message_problems(body):
                    return 400, error_body(problems)
                message = self._new_message(body, interaction_token=token)
                return 200, message
            case "GET", ["webhooks", app, token, "messages", "@original"] if app == APP_ID:
                return self._original_message(token)
            case "PATCH", ["webhooks", app, token, "messages", "@original"] if app == APP_ID:
                return self._edit_original(token, body)
            case "DELETE", ["webhooks", app, token, "messages", "@original"] if app == APP_ID:
                message_id = self._original.pop(token, None)
                if message_id is None or self.messages.pop(message_id, None) is None:
                    return 404, {"message": "Unknown Message", "code": 10008}
                return 204, None
            case "POST", ["users", "@me", "channels"]:
                # Opening a DM: one channel per recipient, as Discord does.
                recipient = str(body["recipient_id"])
                dm_id = self.dm_channels.setdefault(recipient, self._new_id())
                user = {"id": recipient, "username": "member", "discriminator": "0"}
                return 200, {"id": dm_id, "type": 1, "recipients": [user], "last_message_id": None}
            case "POST", ["channels", channel_id, "messages"]:
                if channel_id == GONE_CHANNEL_ID:
                    return 403, {"message": "Missing Access", "code": 50001}
                if problems := message_problems(body):
                    return 400, error_body(problems)
                nonce = body.get("nonce") if body.get("enforce_nonce") else None
                if nonce and (channel_id, nonce) in self.nonces:
                    # Discord answers a repeated enforced nonce with the message it already made.
                    return 200, self.messages[self.nonces[(channel_id, nonce)]]
                message = self._new_message(body, channel_id=channel_id)
                if nonce:
                    self.nonces[(channel_id, nonce)] = message["id"]
                return 200, message
        return 404, _UNKNOWN_ROUTE

    def _callback(self, interaction_id: str, token: str, body: Any) -> tuple[int, Any]:
        interaction = self._interactions.get(interaction_id)
        if interaction is None or interaction["token"] != token:
            return 404, {"message": "Unknown interaction", "code": 10062}
        if interaction_id in self._answered:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        kind = body["type"]
        data = body.get("data") or {}
        # Discord checks the answer before acknowledging: a refused one leaves it unanswered.
        if kind == MODAL:
            problems = modal_problems(data)
        elif kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            problems = message_problems(data, edit=kind == UPDATE_MESSAGE)
        else:
            problems = []
        if problems:
            return 400, error_body(problems, prefix="data")
        self._answered.add(interaction_id)
        message: dict[str, Any] | None = None
        if kind == CHANNEL_MESSAGE:
            message = self._new_message(data, interaction_token=token)
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            loading = {**data, "flags": (data.get("flags") or 0) | LOADING, "content": ""}
            message = self._new_message(loading, interaction_token=token)
        elif kind in (UPDATE_MESSAGE, DEFERRED_UPDATE):
            source = interaction.get("message")
            if source is None:
                return 400, {"message": "Interaction has no message", "code": 50035}
            self._original[token] = source["id"]
            message = self.messages.setdefault(source["id"], source)
            if kind == UPDATE_MESSAGE:
                message.update(_message_fields(data))
        flags = (message or {}).get("flags", 0)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": interaction["type"],
                "activity_instance_id": None,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": {"type": kind, **({"message": message} if message else {})},
        }
        return 200, answer

    def _original_message(self, token: str) -> tuple[int, Any]:
        message_id = self._original.get(token)
        if message_id is None or message_id not in self.messages:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self.messages[message_id]

    def _edit_original(self, token: str, body: Any) -> tuple[int, Any]:
        status, message = self._original_message(token)
        if status != 200:
            return status, message
        if problems := message_problems(body, edit=True):
            return 400, error_body(problems)
        edited = {**message, **_message_fields(body)}
        if problems := message_problems({**edited, "attachments": []}):
            return 400, error_body(problems)  # the edit would leave an empty message
        message.update(_message_fields(body))
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = now_iso()
        return 200, message

    def _new_message(
        self,
        body: Mapping[str, Any],
        *,
        channel_id: str = CHANNEL_ID,
        interaction_token: str | None = None,
    ) -> dict[str, Any]:
        message_id = self._new_id()
        message: dict[str, Any] = {
            "id": message_id,
            "channel_id": channel_id,
            "author": _bot_user(),
            "content": "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0 if interaction_token is None else 20,
            "flags": 0,
        }
        if interaction_token is not None:
            message["application_id"] = APP_ID
            message["webhook_id"] = APP_ID
        message.update(_message_fields(body))
        message["flags"] = body.get("flags") or 0
        message["mention_everyone"] = pings_everyone(body)
        self.messages[message_id] = message
        if interaction_token is not None and interaction_token not in self._original:
            self._original[interaction_token] = message_id
        return message


def _session_shard(session_id: Any) -> tuple[int, int]:
    """The shard a READY's session id was made for (see `_ready`)."""
    parts = str(session_id or "").rsplit("-", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return 0, 1


def _refusal(response: Any) -> bool:
    return isinstance(response, dict) and response.get("code") in (50035, 50006)


_UNKNOWN_ROUTE = {"message": "404: Not Found (this fake does not model the route)", "code": 0}


def pings_everyone(body: Mapping[str, Any]) -> bool:
    """Whether Discord would ping @everyone/@here for this message, by its mention rules."""
    content = body.get("content") or ""
    if "@everyone" not in content and "@here" not in content:
        return False
    allowed = body.get("allowed_mentions")
    if allowed is None:
        return True  # without allowed_mentions every mention in the content pings
    return "everyone" in (allowed.get("parse") or [])


def _message_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The message fields a create or edit sets; `null` clears a field, as on Discord."""
    empty: dict[str, Any] = {"content": "", "embeds": [], "components": [], "attachments": []}
    return {k: empty[k] if body[k] is None else body[k] for k in empty if k in body}


def _option(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        kind = 5
    elif isinstance(value, int):
        kind = 4
    elif isinstance(value, float):
        kind = 10
    else:
        kind = 3
    return {"name": name, "type": kind, "value": value}


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # Exactly "application/json": aiohttp's json_response would add "; charset=utf-8", and
    # discord.py then treats the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _bot_user() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "username": "Marquee",
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
        "bot": True,
        "verified": True,
        "mfa_enabled": False,
        "flags": 0,
        "public_flags": 0,
        "locale": "en-US",
    }


def _application(team: tuple[tuple[FakeUser, bool], ...] | None = None) -> dict[str, Any]:
    team_object = None
    if team is not None:
        team_object = {
            "id": "970000000000000001",
            "name": "Marquee's makers",
            "icon": None,
            "owner_user_id": team[0][0].id,
            "members": [
                {
                    "membership_state": 2 if accepted else 1,  # ACCEPTED, INVITED
                    "team_id": "970000000000000001",
                    "user": user.user_object(),
                    "role": "admin",
                    "permissions": ["*"],
                }
                for user, accepted in team
            ],
        }
    return {
        "id": APP_ID,
        "name": "Marquee",
        "description": "A film community's bot",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": {
            "id": OWNER.id,
            "username": "owner",
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        },
        "team": team_object,
        "summary": "",
        "rpc_origins": [],
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "tags": [],
    }


def _guild(guild_id: str, name: str = "Cinema Club") -> dict[str, Any]:
    role = {
        "color": 0,
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": OWNER.id,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "emojis": [],
        "stickers": [],
        "roles": [
            {
                **role,
                "id": guild_id,
                "name": "@everyone",
                "position": 0,
                "permissions": str(MEMBER_PERMISSIONS),
            },
            {**role, "id": MOD_ROLE_ID, "name": "Film Mods", "position": 1, "permissions": "0"},
        ],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 4,
        "voice_states": [],
        "members": [],
        "channels": [
            {
                "id": CHANNEL_ID,
                "type": 0,
                "guild_id": guild_id,
                "name": "films",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }
