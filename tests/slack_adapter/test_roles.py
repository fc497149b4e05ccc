"""Slack facts to roles, with users.info and usergroups.list answered by the fake."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.roles import RoleResolver
from bot.types import Role
from tests.slack_adapter.conftest import ADMIN_ID, GROUP_MOD_ID, MEMBER_ID, MOD_GROUP, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def resolver(fake: FakeSlack, clock: Clock | None = None) -> RoleResolver:
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    return RoleResolver(client, {MOD_ID}, {MOD_GROUP}, cache_seconds=60, clock=clock or Clock())


@pytest.mark.parametrize(
    ("user", "role"),
    [
        (MEMBER_ID, Role.MEMBER),
        (MOD_ID, Role.MODERATOR),
        (GROUP_MOD_ID, Role.MODERATOR),
        (ADMIN_ID, Role.ADMIN),
        ("UNOBODY", Role.MEMBER),  # users.info fails: nobody is promoted by an error
    ],
)
async def test_roles_from_slack_facts(fake_slack: FakeSlack, user: str, role: Role) -> None:
    actor = await resolver(fake_slack).actor(user, "typed-name")
    assert actor.role is role
    assert actor.platform == "slack" and actor.user_id == user


async def test_an_owner_is_an_admin(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("UOWNER", "olga", owner=True)
    assert (await resolver(fake_slack).actor("UOWNER", "olga")).role is Role.ADMIN


async def test_the_display_name_comes_from_the_profile(fake_slack: FakeSlack) -> None:
    assert (await resolver(fake_slack).actor(MOD_ID, "typed")).display_name == "max"
    assert (await resolver(fake_slack).actor("UNOBODY", "typed")).display_name == "typed"


async def test_lookups_are_cached_briefly(fake_slack: FakeSlack) -> None:
    clock = Clock()
    roles = resolver(fake_slack, clock)
    await roles.actor(GROUP_MOD_ID, "gus")
    await roles.actor(GROUP_MOD_ID, "gus")
    assert len(fake_slack.calls_to("users.info")) == 1
    assert len(fake_slack.calls_to("usergroups.list")) == 1

    fake_slack.usergroups[MOD_GROUP] = []  # removed from the moderators' group
    assert (await roles.actor(GROUP_MOD_ID, "gus")).role is Role.MODERATOR  # still cached
    clock.now += 61
    assert (await roles.actor(GROUP_MOD_ID, "gus")).role is Role.MEMBER
    assert len(fake_slack.calls_to("usergroups.list")) == 2


async def test_a_slow_slack_never_promotes_and_is_not_cached(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    roles = RoleResolver(client, {MOD_ID}, {MOD_GROUP}, lookup_timeout=0.05)
    fake_slack.stalled = {"users.info", "usergroups.list"}

    assert (await roles.actor(ADMIN_ID, "ada")).role is Role.MEMBER  # admin status unknown
    assert (await roles.actor(MOD_ID, "max")).role is Role.MODERATOR  # the list needs no call
    assert (await roles.actor(GROUP_MOD_ID, "gus")).role is Role.MEMBER

    fake_slack.stalled = set()
    fake_slack.release_stalled()
    assert (await roles.actor(ADMIN_ID, "ada")).role is Role.ADMIN
    assert (await roles.actor(GROUP_MOD_ID, "gus")).role is Role.MODERATOR


async def test_the_actor_carries_the_user_groups_of_its_own_workspace(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.usergroups["SCRITICS"] = [GROUP_MOD_ID, MEMBER_ID]
    fake_slack.usergroups["SELSEWHERE"] = [MEMBER_ID]
    fake_slack.usergroup_teams["SELSEWHERE"] = "TOTHER"
    roles = resolver(fake_slack)
    assert (await roles.actor(GROUP_MOD_ID, "gus")).groups == ("SCRITICS", MOD_GROUP)
    member = await roles.actor(MEMBER_ID, "mia")
    assert member.groups == ("SCRITICS",) and member.role is Role.MEMBER
    assert len(fake_slack.calls_to("usergroups.list")) == 1  # one read serves both
