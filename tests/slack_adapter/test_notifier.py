"""Alerts through SlackNotifier: real slack-sdk chat.postMessage against the fake."""

from __future__ import annotations

import inspect

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import SlackAdapter
from adapters.slack.notifier import SlackNotifier
from adapters.slack.render import render_reply
from bot.alerts.pacing import Pacer
from bot.core import Marquee
from bot.notify import ChannelGone, Notifier, RateLimited
from bot.settings import Settings
from bot.types import ChannelRef, Invocation, Reply, ShowtimeList
from tests.conftest import MEMBER
from tests.slack_adapter.fake_slack import FakeSlack


class FakeTime:
    """A clock and a sleep that advances it: pacing is observable without waiting."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def notifier(fake: FakeSlack, time: FakeTime) -> SlackNotifier:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    return SlackNotifier(client)


def channel(channel_id: str, team: str = "T0MARQUEE") -> ChannelRef:
    return ChannelRef("slack", team, channel_id)


def test_slack_notifier_has_the_notifier_shape(fake_slack: FakeSlack) -> None:
    slack: Notifier = SlackNotifier(AsyncWebClient(token="x", base_url=fake_slack.api_url))
    assert slack.platform == "slack"
    assert inspect.iscoroutinefunction(SlackNotifier.post)


async def test_an_alert_is_posted_with_its_blocks(fake_slack: FakeSlack, core: Marquee) -> None:
    reply = core.handle(Invocation("showtimes", {"query": "Perth"}, MEMBER, channel("CALERTS")))
    assert isinstance(reply.blocks[0], ShowtimeList)
    ts = await notifier(fake_slack, FakeTime()).post(channel("CALERTS"), reply)

    call = await fake_slack.next_call("chat.postMessage")
    assert call.token == fake_slack.bot_token
    assert call.args["channel"] == "CALERTS"
    rendered = render_reply(reply)
    assert call.args["blocks"] == rendered["blocks"]
    assert call.args["text"] == rendered["text"]
    assert call.args["unfurl_links"] is False
    assert ts.startswith("1700000000.")


async def test_a_burst_is_paced_once_by_the_delivery_pacer(fake_slack: FakeSlack) -> None:
    # The delivery loop's pacer keeps Slack's one message per second per channel; the
    # notifier posts at once when asked, so a burst waits one second per message, not two.
    time = FakeTime()
    slack = notifier(fake_slack, time)
    pacer = Pacer(monotonic=time.clock)
    for text in ("one", "two", "three"):
        wait = pacer.wait_time(channel("C1"))
        if wait > 0:
            await time.sleep(wait)
        pacer.record(channel("C1"))
        await slack.post(channel("C1"), Reply.notice(text))
    assert time.slept == [pytest.approx(1.0), pytest.approx(1.0)]
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


async def test_the_notifier_itself_does_not_pace(fake_slack: FakeSlack) -> None:
    slack = notifier(fake_slack, FakeTime())
    for text in ("one", "two", "three"):
        await slack.post(channel("C1"), Reply.notice(text))
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"]
)
async def test_a_channel_slack_will_not_take_is_gone(fake_slack: FakeSlack, error: str) -> None:
    fake_slack.channel_errors["CGONE"] = error
    with pytest.raises(ChannelGone, match=error):
        await notifier(fake_slack, FakeTime()).post(channel("CGONE"), Reply.notice("hi"))


async def test_rate_limited_raises_with_retry_after(fake_slack: FakeSlack) -> None:
    # Holding the channel for Retry-After is the delivery pacer's job (Pacer.hold).
    slack = notifier(fake_slack, FakeTime())
    fake_slack.rate_limit_once["CBUSY"] = 7
    with pytest.raises(RateLimited) as raised:
        await slack.post(channel("CBUSY"), Reply.notice("hi"))
    assert raised.value.retry_after == 7
    await slack.post(channel("CBUSY"), Reply.notice("hi again"))
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


async def test_other_errors_are_not_swallowed(fake_slack: FakeSlack) -> None:
    fake_slack.channel_errors["CX"] = "msg_too_long"
    with pytest.raises(SlackApiError):
        await notifier(fake_slack, FakeTime()).post(channel("CX"), Reply.notice("hi"))


async def test_a_channel_of_another_platform_is_refused(fake_slack: FakeSlack) -> None:
    with pytest.raises(ValueError, match="not a Slack channel"):
        await notifier(fake_slack, FakeTime()).post(
            ChannelRef("discord", "g", "c"), Reply.notice("x")
        )


async def test_the_adapter_hands_out_a_notifier_on_its_own_client(
    fake_slack: FakeSlack,
    slack_settings: Settings,
) -> None:
    adapter = SlackAdapter(core=None, settings=slack_settings)  # type: ignore[arg-type]
    await adapter.notifier().post(channel("CALERTS"), Reply.notice("Screening in an hour"))
    call = await fake_slack.next_call("chat.postMessage")
    assert call.token == fake_slack.bot_token and "Screening in an hour" in call.args["text"]
