"""The adapter's own behaviour around the core: the 3-second budget, failures, start and stop.

These use small stand-in cores (the Slack side stays real) to make the core slow or broken
on purpose.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from adapters.slack.app import INTERNAL_ERROR, WORKING_TEXT, SlackAdapter, run_slack
from adapters.slack.render import render_reply
from bot.settings import Settings
from bot.types import Choice, Choices, Invocation, Reply
from tests.slack_adapter.conftest import MEMBER_ID, running
from tests.slack_adapter.fake_slack import FakeSlack

WAIT = 10.0


class HeldCore:
    """Answers only when the test lets it: a core slower than any ack budget."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.release = threading.Event()
        self.calls: list[Invocation] = []

    def handle(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        self.release.wait(WAIT)
        return self.reply


class BrokenCore:
    def handle(self, inv: Invocation) -> Reply:
        raise RuntimeError("database on fire")


class EchoCore:
    def handle(self, inv: Invocation) -> Reply:
        return Reply.notice(f"{inv.command} {sorted(inv.args.items())} by {inv.actor.role.name}")


async def test_a_slow_answer_is_acknowledged_then_follows_up(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str
) -> None:
    core = HeldCore(Reply.notice("Late but here."))
    async with running(core, slack_settings, fake_slack, mode, ack_budget=0.01) as workspace:
        answer, response_url = await workspace.command("/film", "Second Victims", MEMBER_ID)
        # Acknowledged while the core is still working: Slack's 3 seconds are kept.
        assert answer.json == {"text": WORKING_TEXT, "response_type": "ephemeral"}
        assert fake_slack.responses == []
        core.release.set()
        response = await fake_slack.next_response()
    assert response["_response_token"] == response_url.rsplit("/", 1)[1]
    assert response["response_type"] == "in_channel"
    assert "Late but here." in response["text"]
    assert [i.command for i in core.calls] == ["film"]


async def test_a_failing_core_gives_a_private_apology(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str
) -> None:
    async with running(BrokenCore(), slack_settings, fake_slack, mode) as workspace:
        answer, _ = await workspace.command("/film", "Second Victims", MEMBER_ID)
    assert answer.json["response_type"] == "ephemeral"
    assert INTERNAL_ERROR in answer.json["blocks"][0]["text"]["text"]


async def test_a_click_on_a_button_we_did_not_make_is_answered_privately(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str
) -> None:
    core = EchoCore()
    forged = [
        {
            "type": "actions",
            "block_id": "b",
            "elements": [
                {
                    "type": "button",
                    "action_id": "marquee.pick.0",
                    "text": {"type": "plain_text", "text": "x"},
                    "value": '{"c":"drop tables","a":{}}',
                }
            ],
        }
    ]
    async with running(core, slack_settings, fake_slack, mode) as workspace:
        answer, _ = await workspace.click(forged, "marquee.pick.0", MEMBER_ID)
        response = await fake_slack.next_response()
    assert answer.status == 200
    assert response["response_type"] == "ephemeral"
    assert "no longer works" in response["text"]


async def test_a_select_menu_choice_re_invokes_its_command(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str
) -> None:
    options = tuple(Choice(f"Film {i}", "film", {"title": f"#{i}"}) for i in range(8))
    message = render_reply(Reply(blocks=(Choices("Which?", options),)))
    async with running(EchoCore(), slack_settings, fake_slack, mode) as workspace:
        await workspace.click(message["blocks"], "marquee.pick.select.0", MEMBER_ID, option=3)
        response = await fake_slack.next_response()
    assert "film [('title', '#3')] by MEMBER" in response["text"]


async def test_run_slack_serves_socket_mode_until_cancelled(
    fake_slack: FakeSlack, slack_settings: Settings
) -> None:
    settings = replace(slack_settings, slack_app_token=fake_slack.app_token)
    task = asyncio.create_task(run_slack(EchoCore(), settings))
    try:
        await asyncio.wait_for(fake_slack.socket_connected.wait(), WAIT)
        envelope = await fake_slack.deliver(
            "slash_commands",
            {
                "command": "/search",
                "text": "Dyrholm",
                "user_id": MEMBER_ID,
                "user_name": "mia",
                "team_id": fake_slack.team_id,
                "channel_id": "C1",
                "response_url": fake_slack.response_url(),
                "trigger_id": "t",
            },
        )
        ack = await fake_slack.ack_for(envelope)
        assert "search [('text', 'Dyrholm')] by MEMBER" in ack["payload"]["text"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.done()
    # The app asked the fake for its websocket URL with the app-level token.
    (opened,) = fake_slack.calls_to("apps.connections.open")
    assert opened.token == fake_slack.app_token


async def test_serve_returns_once_stopped(fake_slack: FakeSlack, slack_settings: Settings) -> None:
    adapter = SlackAdapter(EchoCore(), slack_settings)
    await adapter.start()
    serving = asyncio.create_task(adapter.serve())
    await asyncio.sleep(0.05)
    assert not serving.done()
    await adapter.stop()
    await asyncio.wait_for(serving, WAIT)


async def test_is_connected_from_start_to_stop(
    fake_slack: FakeSlack, slack_settings: Settings
) -> None:
    """What `/healthz` reports for Slack, in both modes."""
    socket_settings = replace(slack_settings, slack_app_token=fake_slack.app_token)
    for settings in (slack_settings, socket_settings):
        adapter = SlackAdapter(EchoCore(), settings)
        assert not await adapter.is_connected()
        await adapter.start()
        try:
            assert await adapter.is_connected()
        finally:
            await adapter.stop()
        assert not await adapter.is_connected()
