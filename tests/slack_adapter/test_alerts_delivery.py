"""Showtime alerts delivered end to end through the real SlackNotifier and the fake Slack."""

from __future__ import annotations

import json
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.slack.notifier import SlackNotifier
from bot.types import ChannelRef
from storage.models_alerts import Subscription
from tests.slack_adapter.fake_slack import FakeSlack
from tests.test_alerts import deliver_festival_screening


def slack_notifier(fake: FakeSlack) -> SlackNotifier:
    return SlackNotifier(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url))


async def test_alerts_reach_the_channel_with_date_markup(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    channel = ChannelRef("slack", "T0MARQUEE", "CFESTIVAL")
    _, report, core = await deliver_festival_screening(
        f"sqlite:///{tmp_path / 'a.db'}", channel, slack_notifier(fake_slack)
    )
    calls = fake_slack.calls_to("chat.postMessage")
    assert report.messages == len(calls) >= 1
    assert {c.args["channel"] for c in calls} == {"CFESTIVAL"}
    text = json.dumps([c.args for c in calls])
    assert "Second Victims" in text and "<!date^1754044200^" in text
    assert "<!channel>" not in text and "<!everyone>" not in text
    core.db.dispose()


async def test_a_lost_slack_channel_pauses_its_subscription(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.channel_errors["CGONE"] = "channel_not_found"
    channel = ChannelRef("slack", "T0MARQUEE", "CGONE")
    _, report, core = await deliver_festival_screening(
        f"sqlite:///{tmp_path / 'a.db'}", channel, slack_notifier(fake_slack)
    )
    assert report.gone == [channel]
    with core.db.session() as s:
        assert s.scalars(select(Subscription.paused)).all() == [True]
    core.db.dispose()
