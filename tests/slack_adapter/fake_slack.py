"""A small fake of Slack, served by aiohttp on 127.0.0.1, for driving the real slack-bolt.

It answers the Web API methods Marquee uses (under `/api/`), captures what the app POSTs to
`response_url`s (under `/response/`), and speaks Socket Mode on a websocket (under `/link`):
`hello` on connect, envelopes pushed by the test, acknowledgements recorded.

OAuth installs: `approve(team_id)` is what Slack's authorize page does when an admin of that
workspace approves the install (a one-use code); `oauth.v2.access` exchanges the code, given
the app's client id and secret, for a bot token of that workspace, which every other method then
accepts as that workspace's (`team_of`). `uninstall(team_id)` revokes its tokens.

File uploads (`files_upload_v2`): files.getUploadURLExternal, the upload URL (on this server)
and files.completeUploadExternal, checked as Slack checks them (fake_files.py); `files.shared`
holds what reached a conversation.

Everything the app sends is recorded and can be awaited: `await fake.next_call("views.open")`,
`await fake.next_response()`, `await fake.ack_for(envelope_id)`. Waits have timeouts; nothing
here sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.slack_adapter.fake_files import UPLOAD_PATH, FileStore
from tests.slack_adapter.limits import message_problems, view_problems

WAIT_SECONDS = 10.0


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False


@dataclass
class Recorded:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    bot_token: str = "xoxb-fake-bot-token"
    app_token: str = "xapp-fake-app-token"
    team_id: str = "T0MARQUEE"
    client_id: str = "1111.2222"
    client_secret: str = "fake-client-secret"
    bot_user_id: str = "UMARQUEEBOT"
    users: dict[str, FakeUser] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    # The workspace of each user group not in the single-token workspace (`team_id`).
    usergroup_teams: dict[str, str] = field(default_factory=dict)
    # chat.postMessage to these channels fails with the given error (channel_not_found, …).
    channel_errors: dict[str, str] = field(default_factory=dict)
    # chat.postMessage to these channels answers 429 once, with this Retry-After.
    rate_limit_once: dict[str, int] = field(default_factory=dict)
    # conversations.history of these channels fails with the given error (missing_scope, …).
    history_errors: dict[str, str] = field(default_factory=dict)
    # views.open fails with this error when set (expired_trigger_id, …).
    views_open_error: str | None = None
    # Web API methods that hold their answer until `release_stalled()` (a slow Slack).
    stalled: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.calls: list[Recorded] = []
        # (where, problems) for every payload refused as Slack would refuse it.
        self.refused: list[tuple[str, list[str]]] = []
        self.responses: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self._call_queues: defaultdict[str, asyncio.Queue[Recorded]] = defaultdict(asyncio.Queue)
        self._response_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ack_waiters: defaultdict[str, asyncio.Future[dict[str, Any]]] = defaultdict(
            lambda: asyncio.get_running_loop().create_future()
        )
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_connected = asyncio.Event()
        self._ts = itertools.count(1)
        # Every message chat.postMessage took, by conversation id, oldest first.
        self.history: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self._runner: web.AppRunner | None = None
        self._unstall = asyncio.Event()
        self.port = 0
        # OAuth installs: code → (team id, team name, installer) until oauth.v2.access takes it;
        # every bot token issued → its workspace.
        self._codes: dict[str, tuple[str, str, str]] = {}
        self.team_tokens: dict[str, str] = {}
        # External file uploads (fake_files.py): what was issued, received and shared.
        self.files = FileStore()

    # -----------------------------------------------------------------------------------------
    # Lifetime and addresses
    # -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_post(UPLOAD_PATH, self.files.receive)
        app.router.add_get("/link", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    def release_stalled(self) -> None:
        self._unstall.set()

    async def stop(self) -> None:
        self.release_stalled()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"  # the trailing slash matters to slack-sdk

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{uuid.uuid4().hex}"

    def approve(self, team_id: str, team_name: str = "", installer: str = "UINSTALLER") -> str:
        """An admin of `team_id` approved the install on Slack's authorize page: the code Slack
        sends back to the app's redirect URL."""
        code = f"{team_id}.{uuid.uuid4().hex}"
        self._codes[code] = (team_id, team_name or f"Team {team_id}", installer)
        return code

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working."""
        self.team_tokens = {t: team for t, team in self.team_tokens.items() if team != team_id}

    def team_of(self, token: str | None) -> str | None:
        """The workspace a bot token belongs to (the single-workspace one included)."""
        if token == self.bot_token:
            return self.team_id
        return self.team_tokens.get(token or "")

    def add_user(
        self, user_id: str, name: str, *, admin: bool = False, owner: bool = False
    ) -> None:
        self.users[user_id] = FakeUser(user_id, name, is_admin=admin, is_owner=owner)

    # -----------------------------------------------------------------------------------------
    # Waiting for what the app did
    # -----------------------------------------------------------------------------------------

    async def next_call(self, method: str, timeout: float = WAIT_SECONDS) -> Recorded:
        return await asyncio.wait_for(self._call_queues[method].get(), timeout)

    async def next_response(self, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next message POSTed to any response_url."""
        return await asyncio.wait_for(self._response_queue.get(), timeout)

    def calls_to(self, method: str) -> list[Recorded]:
        return [c for c in self.calls if c.method == method]

    # -----------------------------------------------------------------------------------------
    # Socket Mode
    # -----------------------------------------------------------------------------------------

    async def deliver(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an envelope (slash_commands, interactive, events_api) to the connected app."""
        await asyncio.wait_for(self.socket_connected.wait(), WAIT_SECONDS)
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def ack_for(self, envelope_id: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        return await asyncio.wait_for(asyncio.shield(self._ack_waiters[envelope_id]), timeout)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("ticket") != self._ticket():
            raise web.HTTPForbidden()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {"host": "fake-slack"},
                    "connection_info": {"app_id": "AFAKE"},
                }
            )
        )
        self.socket_connected.set()
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                envelope_id = data.get("envelope_id")
                answer = data.get("payload")
                if isinstance(answer, dict) and ("blocks" in answer or "text" in answer):
                    # An acknowledgement that carries a message: Slack shows it only if valid.
                    if problems := message_problems(answer):
                        self.refused.append(("ack", problems))
                if envelope_id:
                    self.acks[envelope_id] = data
                    waiter = self._ack_waiters[envelope_id]
                    if not waiter.done():
                        waiter.set_result(data)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self.socket_connected.clear()
        return ws

    def _ticket(self) -> str:
        return "ticket-" + self.app_token[-6:]

    # -----------------------------------------------------------------------------------------
    # Web API
    # -----------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _request_args(request)
        if method == "oauth.v2.access":  # the app's credentials, not a token
            self._record(Recorded(method, args, None))
            return self._oauth_v2_access(request, args)
        token = _bearer(request) or args.pop("token", None)
        self._record(Recorded(method, args, token))
        if method == "apps.connections.open":
            known = token == self.app_token
        else:
            known = self.team_of(token) is not None
        if not known:
            return _error("invalid_auth" if token else "not_authed")
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method", status=404)
        if method in self.stalled:
            await self._unstall.wait()
        if method in _ANSWERS_BY_TOKEN:
            return await handler(args, token)
        return await handler(args)

    def _record(self, call: Recorded) -> None:
        self.calls.append(call)
        self._call_queues[call.method].put_nowait(call)

    def _oauth_v2_access(self, request: web.Request, args: dict[str, Any]) -> web.Response:
        """Slack's answer to a code exchange: the client id and secret as HTTP Basic auth (or
        as arguments), a code used at most once, and a bot token for the code's workspace."""
        header = request.headers.get("Authorization", "")
        client_id: str | None
        secret: str | None
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = args.get("client_id"), args.get("client_secret")
        if client_id != self.client_id:
            return _error("invalid_client_id")
        if secret != self.client_secret:
            return _error("bad_client_secret")
        grant = self._codes.pop(str(args.get("code", "")), None)
        if grant is None:
            return _error("invalid_code")
        team_id, team_name, installer = grant
        token = f"xoxb-{team_id}-{uuid.uuid4().hex[:12]}"
        self.team_tokens[token] = team_id
        return _ok(
            access_token=token,
            token_type="bot",
            scope="commands,chat:write,users:read",
            bot_user_id=self.bot_user_id,
            app_id="AFAKE",
            team={"id": team_id, "name": team_name},
            enterprise=None,
            authed_user={"id": installer},
            is_enterprise_install=False,
        )

    async def _m_auth_test(self, args: dict[str, Any], token: str | None) -> web.Response:
        return _ok(
            url="https://marquee-test.slack.com/",
            team="Marquee Test",
            user="marquee",
            team_id=self.team_of(token),
            user_id=self.bot_user_id,
            bot_id="BMARQUEE",
            is_enterprise_install=False,
        )

    async def _m_apps_connections_open(self, args: dict[str, Any]) -> web.Response:
        return _ok(url=f"ws://127.0.0.1:{self.port}/link?ticket={self._ticket()}")

    async def _m_chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        if channel in self.rate_limit_once:
            retry_after = self.rate_limit_once.pop(channel)
            return _error("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        if channel in self.channel_errors:
            return _error(self.channel_errors[channel])
        if not args.get("text") and not args.get("blocks"):
            return _error("no_text")
        if refused := self._refuse("chat.postMessage", message_problems(args)):
            return refused
        metadata = args.get("metadata")
        if metadata is not None and not _valid_metadata(metadata):
            return _error("invalid_metadata_format")
        # A user id as the channel posts to that user's DM with the bot, which has its own id.
        conversation = self._dm_of(channel) if channel.startswith("U") else channel
        ts = f"1700000000.{next(self._ts):06d}"
        message = {"type": "message", "text": args.get("text"), "ts": ts}
        if metadata is not None:
            message["metadata"] = metadata
        self.history[conversation].append(message)
        return _ok(channel=conversation, ts=ts, message=message)

    def _dm_of(self, user_id: str) -> str:
        return "D" + user_id[1:]

    async def _m_conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = str(args.get("users", ""))
        if not users.startswith("U") or "," in users:
            return _error("user_not_found")
        self.files.opened_dms.add(self._dm_of(users))
        return _ok(channel={"id": self._dm_of(users)})

    async def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> web.Response:
        base = f"http://127.0.0.1:{self.port}"
        return web.json_response(self.files.get_upload_url(args, base))

    async def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> web.Response:
        return web.json_response(self.files.complete(args))

    async def _m_conversations_history(self, args: dict[str, Any]) -> web.Response:
        """Newest first, at most `limit` (Slack's default 100, maximum 999); metadata only with
        include_all_metadata, as Slack leaves it out otherwise."""
        channel = str(args.get("channel", ""))
        if channel in self.history_errors:
            return _error(self.history_errors[channel])
        limit = int(args.get("limit") or 100)
        if not 1 <= limit <= 999:
            return _error("invalid_limit")
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest = list(reversed(self.history.get(channel, [])))[:limit]
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in newest
        ]
        return _ok(messages=messages, has_more=len(self.history.get(channel, [])) > limit)

    async def _m_chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        if refused := self._refuse("chat.postEphemeral", message_problems(args)):
            return refused
        return _ok(message_ts=f"1700000000.{next(self._ts):06d}")

    async def _m_views_open(self, args: dict[str, Any]) -> web.Response:
        if self.views_open_error:
            return _error(self.views_open_error)
        view = args.get("view")
        if not args.get("trigger_id") or not isinstance(view, dict):
            return _error("invalid_arguments")
        if refused := self._refuse("views.open", view_problems(view), error="invalid_arguments"):
            return refused
        return _ok(
            view={**view, "id": "V" + uuid.uuid4().hex[:10].upper(), "state": {"values": {}}}
        )

    async def _m_users_info(self, args: dict[str, Any], token: str | None) -> web.Response:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return _error("user_not_found")
        return _ok(
            user={
                "id": user.id,
                "team_id": self.team_of(token),
                "name": user.name,
                "deleted": user.deleted,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "profile": {"display_name": user.name, "real_name": user.name.title()},
            }
        )

    async def _m_usergroups_list(self, args: dict[str, Any], token: str | None) -> web.Response:
        # Like Slack: the token's workspace's groups only; members only with include_users.
        team = self.team_of(token)
        with_users = str(args.get("include_users", "")).lower() in {"1", "true"}
        groups = [
            {
                "id": group,
                "team_id": self.usergroup_teams.get(group, self.team_id),
                "handle": group.lower(),
                "user_count": len(members),
                **({"users": list(members)} if with_users else {}),
            }
            for group, members in self.usergroups.items()
            if self.usergroup_teams.get(group, self.team_id) == team
        ]
        return _ok(usergroups=groups)

    async def _m_usergroups_users_list(self, args: dict[str, Any]) -> web.Response:
        group = str(args.get("usergroup"))
        if group not in self.usergroups:
            return _error("no_such_subteam")
        return _ok(users=list(self.usergroups[group]))

    # -----------------------------------------------------------------------------------------
    # response_url
    # -----------------------------------------------------------------------------------------

    def _refuse(
        self, where: str, problems: list[str], error: str = "invalid_blocks"
    ) -> web.Response | None:
        """Slack's answer to a payload it would not take, or None if it would take it."""
        if not problems:
            return None
        self.refused.append((where, problems))
        return web.json_response(
            {"ok": False, "error": error, "response_metadata": {"messages": problems}}
        )

    async def _response(self, request: web.Request) -> web.Response:
        payload = await request.json()
        if problems := message_problems(payload):
            # response_url answers a bad message with 400 and the error, posting nothing.
            self.refused.append(("response_url", problems))
            return web.json_response({"ok": False, "error": "invalid_blocks"}, status=400)
        payload["_response_token"] = request.match_info["token"]
        self.responses.append(payload)
        self._response_queue.put_nowait(payload)
        return web.Response(text="ok")


# Methods whose answer depends on the workspace of the token they were called with.
_ANSWERS_BY_TOKEN = frozenset({"auth.test", "users.info", "usergroups.list"})


async def _request_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(dict(parse_qsl(await request.text())))
    for key in ("blocks", "view", "metadata"):
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


def _valid_metadata(metadata: Any) -> bool:
    """Slack's rule for message metadata: an event type of [a-zA-Z0-9_] and an object payload."""
    if not isinstance(metadata, dict):
        return False
    event_type = metadata.get("event_type")
    return (
        isinstance(event_type, str)
        and bool(re.fullmatch(r"[A-Za-z0-9_]{1,255}", event_type))
        and isinstance(metadata.get("event_payload"), dict)
    )


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or None


def _ok(**fields: Any) -> web.Response:
    return web.json_response({"ok": True, **fields})


def _error(error: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
