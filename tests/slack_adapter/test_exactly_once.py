"""Alerts reach a Slack channel once even when a worker dies after Slack took the message.

Slack's chat.postMessage has no idempotency key, so the batch key rides in the message's
metadata and a re-sent batch is looked for in the channel's history first. These tests run the
real SlackNotifier (slack-sdk) against the fake Slack, which, like Slack, takes every post.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.notifier import METADATA_EVENT, SlackNotifier
from bot.alerts.delivery import AlertDelivery
from bot.types import ChannelRef, Delivery, Notice, Reply
from storage.models_alerts import AlertOutbox
from tests.slack_adapter.fake_slack import FakeSlack
from tests.test_alerts import deliver_festival_screening

CHANNEL = ChannelRef("slack", "T0MARQUEE", "CALERTS")


def notifier(fake: FakeSlack) -> SlackNotifier:
    return SlackNotifier(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url))


def batch(key: str, *, resend: bool, direct: bool = False) -> Reply:
    reply = Reply(blocks=(Notice("Reminder: Second Victims in an hour"),))
    return replace(
        reply, delivery=Delivery(key=key, alert_ids=(1, 2), direct=direct, resend=resend)
    )


async def test_an_alert_carries_its_batch_key_in_the_messages_metadata(
    fake_slack: FakeSlack,
) -> None:
    await notifier(fake_slack).post(CHANNEL, batch("k1", resend=False))
    (message,) = fake_slack.history["CALERTS"]
    assert message["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"batch_key": "k1"},
    }
    # A first try does not read history: it costs one request, as before.
    assert fake_slack.calls_to("conversations.history") == []


async def test_a_resent_batch_slack_already_took_is_not_posted_again(
    fake_slack: FakeSlack,
) -> None:
    slack = notifier(fake_slack)
    first = await slack.post(CHANNEL, batch("k1", resend=False))
    await slack.post(CHANNEL, batch("other", resend=False))  # newer messages in between
    again = await slack.post(CHANNEL, batch("k1", resend=True))
    assert again == first
    assert [m["metadata"]["event_payload"]["batch_key"] for m in fake_slack.history["CALERTS"]] == [
        "k1",
        "other",
    ]
    (look,) = fake_slack.calls_to("conversations.history")
    assert look.args["include_all_metadata"] in (True, "true", "1")


async def test_a_resent_batch_slack_never_got_is_posted(fake_slack: FakeSlack) -> None:
    slack = notifier(fake_slack)
    await slack.post(CHANNEL, batch("k1", resend=False))
    ts = await slack.post(CHANNEL, batch("k2", resend=True))
    assert [m["ts"] for m in fake_slack.history["CALERTS"]][-1] == ts
    assert len(fake_slack.history["CALERTS"]) == 2


async def test_a_resent_direct_alert_is_looked_for_in_the_members_dm(
    fake_slack: FakeSlack,
) -> None:
    slack = notifier(fake_slack)
    member = ChannelRef("slack", "T0MARQUEE", "UMEMBER01")
    first = await slack.post(member, batch("k1", resend=False, direct=True))
    again = await slack.post(member, batch("k1", resend=True, direct=True))
    assert again == first
    assert len(fake_slack.history["DMEMBER01"]) == 1
    (opened,) = fake_slack.calls_to("conversations.open")
    assert opened.args["users"] == "UMEMBER01"


async def test_history_that_cannot_be_read_means_posting_again(fake_slack: FakeSlack) -> None:
    slack = notifier(fake_slack)
    await slack.post(CHANNEL, batch("k1", resend=False))
    fake_slack.history_errors["CALERTS"] = "missing_scope"  # installed without *:history
    await slack.post(CHANNEL, batch("k1", resend=True))
    assert len(fake_slack.history["CALERTS"]) == 2  # at least once: never lost


class DiesAfterSlackTookIt:
    """The real notifier, but the first post 'crashes' after Slack accepted the message, as a
    worker killed between the accept and marking the batch sent."""

    platform = "slack"

    def __init__(self, inner: SlackNotifier) -> None:
        self.inner = inner
        self.crashed = False

    async def post(self, channel: ChannelRef, reply: Reply) -> str:
        ts = await self.inner.post(channel, reply)
        if not self.crashed:
            self.crashed = True
            raise TimeoutError("the answer never came back")
        return ts


async def test_a_crash_after_slack_took_a_batch_leaves_one_message(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    dying = DiesAfterSlackTookIt(notifier(fake_slack))
    _, report, core = await deliver_festival_screening(
        f"sqlite:///{tmp_path / 'a.db'}", CHANNEL, dying
    )
    assert dying.crashed and report.alerts_sent == 0 and report.released >= 1
    posted_once = len(fake_slack.history["CALERTS"])
    assert posted_once == 1
    # The next run, once the batch is due again, re-sends it under the same key.
    later = datetime(2025, 7, 20, 4, 0, tzinfo=UTC) + timedelta(hours=1)
    again = await AlertDelivery(core.db, {"slack": notifier(fake_slack)}, lambda: later).run_once()
    assert again.resent_batches == 1 and again.alerts_sent >= 1
    assert len(fake_slack.history["CALERTS"]) == posted_once  # nothing posted twice
    with core.db.session() as session:
        assert set(session.scalars(select(AlertOutbox.status))) == {"sent"}
    core.db.dispose()


async def test_one_look_serves_a_channels_resent_batches(fake_slack: FakeSlack) -> None:
    slack = notifier(fake_slack)
    for key in ("k1", "k2"):
        await slack.post(CHANNEL, batch(key, resend=False))
    for key in ("k1", "k2", "k3"):  # a dead worker's three batches: two had reached Slack
        await slack.post(CHANNEL, batch(key, resend=True))
    assert len(fake_slack.calls_to("conversations.history")) == 1
    # What was posted after the look is seen by the reused look: k3 is not posted twice.
    await slack.post(CHANNEL, batch("k3", resend=True))
    keys = [m["metadata"]["event_payload"]["batch_key"] for m in fake_slack.history["CALERTS"]]
    assert keys == ["k1", "k2", "k3"]


async def test_after_a_post_with_no_answer_the_channel_is_looked_at_again(
    fake_slack: FakeSlack,
) -> None:
    slack = notifier(fake_slack)
    await slack.post(CHANNEL, batch("k1", resend=True))  # a look, then a post
    fake_slack.channel_errors["CALERTS"] = "internal_error"  # Slack's answer is lost
    with pytest.raises(SlackApiError):
        await slack.post(CHANNEL, batch("k2", resend=True))
    del fake_slack.channel_errors["CALERTS"]
    await slack.post(CHANNEL, batch("k2", resend=True))
    assert len(fake_slack.calls_to("conversations.history")) == 2
