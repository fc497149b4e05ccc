"""Who asks is resolved once per request, by the app's middleware, for every kind of listener."""

from __future__ import annotations

import pytest

from adapters.answering import INTERNAL_ERROR
from adapters.slack.roles import RoleResolver
from bot.settings import Settings
from bot.types import Actor, Invocation, Reply, Role
from tests.slack_adapter.conftest import GROUP_MOD_ID, MEMBER_ID, running
from tests.slack_adapter.fake_slack import FakeSlack


class RecordingCore:
    def __init__(self) -> None:
        self.calls: list[Invocation] = []

    def handle(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        return Reply.notice(f"{inv.command} by {inv.actor.role.name}")


async def test_each_request_looks_up_who_asks_once(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    real = RoleResolver.actor

    async def counted(self: RoleResolver, user_id: str, fallback_name: str) -> Actor:
        looked_up.append(user_id)
        return await real(self, user_id, fallback_name)

    monkeypatch.setattr(RoleResolver, "actor", counted)
    core = RecordingCore()
    async with running(core, slack_settings, fake_slack, mode) as workspace:
        answer, _ = await workspace.command("/film", "Second Victims", GROUP_MOD_ID)
        assert "film by MODERATOR" in answer.json["text"]
        await workspace.command("/marquee", "review add", GROUP_MOD_ID)  # opens the form
        view = (await fake_slack.next_call("views.open")).args["view"]
        await workspace.submit(view, {"film": "Second Victims", "rating": 4}, GROUP_MOD_ID)
        await fake_slack.next_response()
    assert looked_up == [GROUP_MOD_ID] * 3
    assert [(i.command, i.actor.role) for i in core.calls] == [
        ("film", Role.MODERATOR),
        ("review add", Role.MODERATOR),
    ]


async def test_a_failed_lookup_of_who_asks_is_apologised_for_and_runs_nothing(
    fake_slack: FakeSlack, slack_settings: Settings, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: RoleResolver, user_id: str, fallback_name: str) -> Actor:
        raise RuntimeError("Slack's users.info answered with something unreadable")

    monkeypatch.setattr(RoleResolver, "actor", broken)
    core = RecordingCore()
    async with running(core, slack_settings, fake_slack, mode) as workspace:
        answer, _ = await workspace.command("/film", "Second Victims", MEMBER_ID)
        response = await fake_slack.next_response()
    assert answer.status == 200 and not answer.body  # acknowledged, so Slack shows no error
    assert response["response_type"] == "ephemeral"
    assert INTERNAL_ERROR in response["text"]
    assert core.calls == []
