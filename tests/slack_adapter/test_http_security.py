"""HTTP mode accepts only requests Slack signed, recently, over the exact body received.

Each refused request is a moderator's write that would change the catalogue if it got
through; after the refusal the audit log is unchanged and no listener ran (no role lookup).
"""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack.app import HEALTH_PATH, SlackAdapter
from bot.core import Marquee
from bot.settings import Settings
from bot.types import Invocation, Table
from tests.slack_adapter.conftest import MEMBER_ID, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.test_end_to_end import MAX, chan
from tests.slack_adapter.workspace import SIGNING_SECRET, HttpTransport, sign


def slash_body(fake: FakeSlack, user: str, text: str) -> str:
    return urlencode(
        {
            "team_id": fake.team_id,
            "channel_id": "CFILMCLUB",
            "user_id": user,
            "user_name": "someone",
            "command": "/marquee",
            "text": text,
            "response_url": fake.response_url(),
            "trigger_id": "trigger.x",
        }
    )


WRITE = "film add Forged Film year=2001"


def audit_rows(core: Marquee, fake: FakeSlack) -> tuple[tuple[str, ...], ...]:
    table = core.handle(Invocation("audit", {}, MAX, chan(fake))).blocks[0]
    return table.rows if isinstance(table, Table) else ()


async def test_a_correctly_signed_write_goes_through(
    http_transport: HttpTransport,
    fake_slack: FakeSlack,
    core: Marquee,
) -> None:
    # The control for the refusals below: the same request, signed properly, changes things.
    before = audit_rows(core, fake_slack)
    answer = await http_transport.post(slash_body(fake_slack, MOD_ID, WRITE))
    assert answer.status == 200
    assert "Forged Film" in answer.json["text"]
    assert len(audit_rows(core, fake_slack)) == len(before) + 1


@pytest.mark.parametrize(
    "attack",
    [
        "forged signature",
        "wrong secret",
        "replayed",
        "from the future",
        "tampered body",
        "unsigned",
    ],
)
async def test_bad_requests_are_refused_and_change_nothing(
    http_transport: HttpTransport,
    http_session: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    core: Marquee,
    attack: str,
) -> None:
    before = audit_rows(core, fake_slack)
    body = slash_body(fake_slack, MOD_ID, WRITE)
    now = int(time.time())
    if attack == "forged signature":
        answer = await http_transport.post(body, signature="v0=" + "0" * 64)
    elif attack == "wrong secret":
        answer = await http_transport.post(body, signature=sign("not-the-secret", str(now), body))
    elif attack == "replayed":
        # A genuine request captured six minutes ago: correctly signed, outside the window.
        old = str(now - 6 * 60)
        answer = await http_transport.post(
            body, timestamp=old, signature=sign(SIGNING_SECRET, old, body)
        )
    elif attack == "from the future":
        later = str(now + 6 * 60)
        answer = await http_transport.post(
            body, timestamp=later, signature=sign(SIGNING_SECRET, later, body)
        )
    elif attack == "tampered body":
        # A member's harmless request, signed by Slack, then edited into a moderator's write.
        genuine = slash_body(fake_slack, MEMBER_ID, "film Second Victims")
        answer = await http_transport.post(body, signed_body=genuine)
    else:
        async with http_session.post(
            http_transport.url,
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            assert response.status == 401
        answer = None
    if answer is not None:
        assert answer.status == 401
    assert audit_rows(core, fake_slack) == before
    assert fake_slack.calls_to("users.info") == []  # no listener ran
    assert fake_slack.responses == []


async def test_http_mode_listens_on_loopback_by_default(
    http_adapter: SlackAdapter, http_session: aiohttp.ClientSession
) -> None:
    assert http_adapter._runner is not None
    assert [a[0] for a in http_adapter._runner.addresses] == ["127.0.0.1"]
    async with http_session.get(f"http://127.0.0.1:{http_adapter.http_port}{HEALTH_PATH}") as r:
        assert (r.status, await r.text()) == (200, "ok")


async def test_http_mode_refuses_to_start_without_a_signing_secret(
    slack_settings: Settings, core: Marquee
) -> None:
    adapter = SlackAdapter(core, replace(slack_settings, slack_signing_secret=None))
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        await adapter.start()
    await adapter.stop()


@pytest.mark.parametrize("timestamp", ["soon", "12e3", "", "１７００００００００", "-1"])
async def test_a_malformed_timestamp_is_refused_with_one_log_line(
    http_transport: HttpTransport,
    http_session: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    core: Marquee,
    caplog: pytest.LogCaptureFixture,
    timestamp: str,
) -> None:
    before = audit_rows(core, fake_slack)
    body = slash_body(fake_slack, MOD_ID, WRITE)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, timestamp, body),
    }
    with caplog.at_level("INFO"):
        async with http_session.post(
            http_transport.url, data=body.encode(), headers=headers
        ) as response:
            assert response.status == 401
    assert audit_rows(core, fake_slack) == before
    assert fake_slack.calls_to("users.info") == []
    refused = [r for r in caplog.records if r.name.startswith(("adapters.slack", "slack_bolt"))]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert refused[0].exc_info is None  # one line, no traceback


async def test_a_form_body_sent_as_json_is_refused_with_one_log_line(
    http_transport: HttpTransport,
    http_session: aiohttp.ClientSession,
    fake_slack: FakeSlack,
    core: Marquee,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = audit_rows(core, fake_slack)
    body = slash_body(fake_slack, MOD_ID, WRITE)
    now = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": now,
        "X-Slack-Signature": sign(SIGNING_SECRET, now, body),
    }
    with caplog.at_level("INFO"):
        async with http_session.post(
            http_transport.url, data=body.encode(), headers=headers
        ) as response:
            assert response.status == 400
    assert audit_rows(core, fake_slack) == before
    assert fake_slack.calls_to("users.info") == []
    refused = [r for r in caplog.records if r.name.startswith(("adapters.slack", "slack_bolt"))]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert refused[0].exc_info is None
