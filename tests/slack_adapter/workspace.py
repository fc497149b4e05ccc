"""Slack's side of a conversation with the app: what Slack sends when people type and click.

`Workspace` builds the payloads Slack would send (slash command, button click, modal
submission) and delivers them over one of two transports, so the same test can run in
HTTP mode (a signed POST to the app's own aiohttp server) and in Socket Mode (an envelope on
the fake's websocket). Either way the result is an `Answer`: what the app acknowledged with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.limits import message_problems

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL_ID = "CFILMCLUB"


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the JSON the app acknowledged with, its text, or None for an empty ack

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"expected a JSON ack, got {self.body!r}"
        return self.body


class Transport(Protocol):
    async def send(self, kind: str, payload: dict[str, Any]) -> Answer: ...


class HttpTransport:
    """Signed POSTs to the app's HTTP endpoint, exactly as Slack signs them."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str = SIGNING_SECRET):
        self.session = session
        self.url = url
        self.secret = secret

    @staticmethod
    def encode(kind: str, payload: dict[str, Any]) -> str:
        if kind == "slash_commands":
            return urlencode(payload)
        return urlencode({"payload": json.dumps(payload)})

    async def send(self, kind: str, payload: dict[str, Any]) -> Answer:
        return await self.post(self.encode(kind, payload))

    async def post(
        self,
        body: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        signed_body: str | None = None,
    ) -> Answer:
        """POST `body`; the signature is over `signed_body` (default: body) unless given."""
        timestamp = timestamp or str(int(time.time()))
        signature = signature or sign(
            self.secret, timestamp, body if signed_body is None else signed_body
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            if not text:
                return Answer(response.status, None)
            if response.content_type == "application/json":
                return Answer(response.status, json.loads(text))
            return Answer(response.status, text)


class SocketTransport:
    """Envelopes over the fake's Socket Mode websocket; the answer is the app's ack."""

    def __init__(self, fake: FakeSlack):
        self.fake = fake

    async def send(self, kind: str, payload: dict[str, Any]) -> Answer:
        envelope_id = await self.fake.deliver(kind, payload)
        ack = await self.fake.ack_for(envelope_id)
        return Answer(200, ack.get("payload"))


class Workspace:
    def __init__(self, fake: FakeSlack, transport: Transport):
        self.fake = fake
        self.transport = transport

    async def command(
        self, slash: str, text: str, user: str, *, channel: str = CHANNEL_ID
    ) -> tuple[Answer, str]:
        """Type `/slash text` as `user`; returns the app's answer and the response_url used.

        Slack sends the typed text with `&`, `<`, `>` as entities; so does this.
        """
        response_url = self.fake.response_url()
        payload = {
            "token": "deprecated-verification-token",
            "team_id": self.fake.team_id,
            "team_domain": "marquee-test",
            "channel_id": channel,
            "channel_name": "film-club",
            "user_id": user,
            "user_name": self._name(user),
            "command": slash,
            "text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
            "api_app_id": "AFAKE",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"trigger.{user}.{time.monotonic_ns()}",
        }
        return self._checked(await self.transport.send("slash_commands", payload)), response_url

    async def click(
        self,
        blocks: list[dict[str, Any]],
        action_id: str,
        user: str,
        *,
        option: int = 0,
        ephemeral: bool = False,
    ) -> tuple[Answer, str]:
        """Click `action_id` in a message made of `blocks` (choosing `option` of a select)."""
        element, block_id = _find_element(blocks, action_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": element["type"],
            "action_ts": "1700000001.000200",
        }
        if element["type"] == "button":
            action["value"] = element["value"]
            action["text"] = element["text"]
        elif element["type"] == "static_select":
            action["selected_option"] = element["options"][option]
        else:
            raise AssertionError(f"cannot click a {element['type']}")
        response_url = self.fake.response_url()
        payload = {
            "type": "block_actions",
            "team": {"id": self.fake.team_id, "domain": "marquee-test"},
            "user": {"id": user, "username": self._name(user), "team_id": self.fake.team_id},
            "api_app_id": "AFAKE",
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "is_ephemeral": ephemeral,
            },
            "trigger_id": f"trigger.{user}.{time.monotonic_ns()}",
            "channel": {"id": CHANNEL_ID, "name": "film-club"},
            "message": {"type": "message", "blocks": blocks, "ts": "1700000000.000100"},
            "response_url": response_url,
            "actions": [action],
        }
        return self._checked(await self.transport.send("interactive", payload)), response_url

    async def submit(self, view: dict[str, Any], values: dict[str, Any], user: str) -> Answer:
        """Fill the modal `view` (as opened with views.open) with `values` and press Save."""
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            state[block["block_id"]] = {
                element["action_id"]: _filled(element, values.get(block["block_id"]))
            }
        submitted = {**view, "state": {"values": state}, "id": view.get("id", "VFAKE")}
        payload = {
            "type": "view_submission",
            "team": {"id": self.fake.team_id, "domain": "marquee-test"},
            "user": {"id": user, "username": self._name(user), "team_id": self.fake.team_id},
            "api_app_id": "AFAKE",
            "token": "deprecated-verification-token",
            "trigger_id": f"trigger.{user}.{time.monotonic_ns()}",
            "view": submitted,
            "response_urls": [],
        }
        return self._checked(await self.transport.send("interactive", payload))

    def _checked(self, answer: Answer) -> Answer:
        """Record an HTTP acknowledgement Slack would refuse, as the fake does for Socket Mode."""
        body = answer.body
        if isinstance(self.transport, HttpTransport) and isinstance(body, dict):
            if ("blocks" in body or "text" in body) and (problems := message_problems(body)):
                self.fake.refused.append(("ack", problems))
        return answer

    def _name(self, user: str) -> str:
        known = self.fake.users.get(user)
        return known.name if known else user.lower()


def _find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return element, block.get("block_id", "b")
    raise AssertionError(f"no element {action_id!r} in the message")


def _filled(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("plain_text_input", "number_input"):
        return {"type": kind, "value": None if value is None else str(value)}
    if kind == "static_select":
        if value is None:
            return {"type": kind, "selected_option": None}
        if isinstance(value, bool):
            wanted = "true" if value else "false"
        else:
            wanted = f"{value:g}" if isinstance(value, int | float) else str(value)
        option = next(o for o in element["options"] if o["value"] == wanted)
        return {"type": kind, "selected_option": option}
    raise AssertionError(f"cannot fill a {kind}")
