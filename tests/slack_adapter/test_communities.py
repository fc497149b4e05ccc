"""Two Slack workspaces, one Marquee: each workspace is its own community (issue #14).

Both are installed through slack-bolt's OAuth flow against the fake (`oauth.v2.access` gives
each its own bot token). A moderator of workspace A adds a review; workspace B's admin neither
reads it with `/review` nor removes it with `review remove`, and A still has it afterwards.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from adapters.slack.actions import ActionKind, action_id, encode_value
from bot.core import Marquee
from bot.types import Actor, ArgValue, ChannelRef, Invocation, Reply, Role
from storage import communities
from storage.models_catalogue import Review
from tests.slack_adapter.conftest import ADMIN_ID, MEMBER_ID, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.test_oauth import (  # noqa: F401 (the install fixtures, reused)
    TEAM_A,
    TEAM_B,
    Installer,
    installer,
    oauth_adapter,
    oauth_settings,
)
from tests.slack_adapter.workspace import CHANNEL_ID

HEADLINE = "Workspace A quiet storm"


async def said(installer: Installer, answer: Any) -> str:  # noqa: F811
    """What the asker sees: the acknowledgement, or the answer sent to the response_url."""
    assert answer.status == 200, answer
    body = answer.body
    if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
        return json.dumps(body)
    return json.dumps(await installer.fake.next_response())


def review_rows(core: Marquee) -> list[tuple[int, int]]:
    with core.db.engine.connect() as conn:
        table = Review.__table__
        query = select(table.c.id, table.c.community_id).where(table.c.headline == HEADLINE)
        return [(r[0], r[1]) for r in conn.execute(query)]


async def add_review_in_a(installer: Installer, core: Marquee) -> int:  # noqa: F811
    typed = f"review add Second Victims rating=4.5 headline={HEADLINE} body=Only A reads this."
    answer = await installer.command(TEAM_A, "/marquee", typed, MOD_ID)
    assert HEADLINE in await said(installer, answer)
    rows = review_rows(core)
    assert len(rows) == 1, rows
    return rows[0][0]


async def test_two_installed_workspaces_each_see_only_their_own_reviews(
    installer: Installer,  # noqa: F811
    any_core: Marquee,
    fake_slack: FakeSlack,
) -> None:
    token_a = await installer.install(TEAM_A)
    token_b = await installer.install(TEAM_B)
    assert token_a != token_b
    review_id = await add_review_in_a(installer, any_core)
    assert fake_slack.calls_to("users.info")[-1].token == token_a

    in_b = await said(
        installer, await installer.command(TEAM_B, "/review", "Second Victims", ADMIN_ID)
    )
    assert fake_slack.calls_to("users.info")[-1].token == token_b
    assert "Second Victims" in in_b and HEADLINE not in in_b

    removal = await said(
        installer,
        await installer.command(TEAM_B, "/marquee", f"review remove {review_id}", ADMIN_ID),
    )
    assert re.search(rf"no review #{review_id}\b", removal), removal
    edit = await said(
        installer,
        await installer.command(
            TEAM_B, "/marquee", f"review edit {review_id} headline=Taken rating=1", ADMIN_ID
        ),
    )
    assert "Taken" not in json.dumps(review_rows(any_core)) and "ephemeral" in edit

    # A refused command records nothing, not even its space: one that answers does.
    assert "help" in (
        await said(installer, await installer.command(TEAM_B, "/marquee", "", ADMIN_ID))
    )
    with any_core.db.session() as session:
        space_a = communities.find_space(session, "slack", TEAM_A)
        space_b = communities.find_space(session, "slack", TEAM_B)
        assert space_a is not None and space_b is not None
        assert space_a.community_id != space_b.community_id
    assert review_rows(any_core) == [(review_id, space_a.community_id)]
    in_a = await said(
        installer, await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
    )
    assert HEADLINE in in_a


async def forged_click(
    installer: Installer,  # noqa: F811
    team_id: str,
    command: str,
    args: dict[str, ArgValue],
    user: str,
) -> str:
    """A block_actions request for a button nobody was shown: its value names `command`."""
    button = {
        "type": "button",
        "action_id": action_id(ActionKind.OPEN, 0),
        "value": encode_value(command, args),
        "text": {"type": "plain_text", "text": "Forged"},
    }
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": team_id.lower()},
        "user": {"id": user, "username": installer.fake.users[user].name, "team_id": team_id},
        "api_app_id": "AFAKE",
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "trigger_id": f"trigger.{user}",
        "channel": {"id": CHANNEL_ID, "name": "film-club"},
        "message": {"type": "message", "ts": "1700000000.000100", "blocks": []},
        "response_url": installer.fake.response_url(),
        "actions": [{**button, "block_id": "forged", "action_ts": "1700000001.000200"}],
    }
    return await said(installer, await installer.events.send("interactive", payload))


async def test_a_forged_button_in_workspace_b_leaves_a_review_alone(
    installer: Installer,  # noqa: F811
    any_core: Marquee,
) -> None:
    """A button carries its whole command in its value, so B's admin could forge one naming
    A's review: it reaches the core as B's, which has no such review."""
    await installer.install(TEAM_A)
    await installer.install(TEAM_B)
    review_id = await add_review_in_a(installer, any_core)
    for command, args in (
        ("review remove", {"review": review_id}),
        ("review edit", {"review": review_id, "headline": "Taken over"}),
    ):
        answer = await forged_click(installer, TEAM_B, command, args, ADMIN_ID)
        assert f"no review #{review_id}" in answer, answer
    assert [r[0] for r in review_rows(any_core)] == [review_id]
    assert HEADLINE in await said(
        installer, await installer.command(TEAM_A, "/review", "Second Victims", MEMBER_ID)
    )


async def test_a_workspace_names_its_own_user_group_as_moderators(
    installer: Installer,  # noqa: F811
    any_core: Marquee,
    fake_slack: FakeSlack,
) -> None:
    # The critics' group is workspace B's; the same member in workspace A is in no group.
    # B is installed first, so it claims the demo's community (and its films).
    fake_slack.usergroups["SCRITICS"] = [MEMBER_ID]
    fake_slack.usergroup_teams["SCRITICS"] = TEAM_B
    await installer.install(TEAM_B)
    await installer.install(TEAM_A)
    typed = f"review add Second Victims rating=4 headline={HEADLINE} body=By a critic."

    refused = await said(installer, await installer.command(TEAM_B, "/marquee", typed, MEMBER_ID))
    assert "moderator" in refused.lower() and review_rows(any_core) == []

    set_it = "settings set moderators <!subteam^SCRITICS|@critics>"
    shown = await said(installer, await installer.command(TEAM_B, "/marquee", set_it, ADMIN_ID))
    assert "critics" in shown.lower() or "SCRITICS" in shown, shown
    added = await said(installer, await installer.command(TEAM_B, "/marquee", typed, MEMBER_ID))
    assert HEADLINE in added, added
    rows = review_rows(any_core)
    with any_core.db.session() as session:
        space_b = communities.find_space(session, "slack", TEAM_B)
        assert space_b is not None
    assert [c for _, c in rows] == [space_b.community_id]

    in_a = await said(installer, await installer.command(TEAM_A, "/marquee", typed, MEMBER_ID))
    assert "moderator" in in_a.lower() and len(review_rows(any_core)) == 1


# `community link` / `community join` / `community unlink` across the two platforms (#14), the
# server's side at the core; test_linked_discord.py runs both through their libraries.
DISCORD_ADMIN = Actor("discord", "940000000000000777", "Dina Discord", Role.ADMIN)
DISCORD_CHANNEL = ChannelRef("discord", "910000000000000777", "920000000000000777")


def discord_says(core: Marquee, command: str, **args: ArgValue) -> Reply:
    """The Discord server's side, at the core (its adapter is tested in tests/discord_adapter)."""
    return core.handle(Invocation(command, dict(args), DISCORD_ADMIN, DISCORD_CHANNEL))


def code_in(text: str) -> str:
    """The code a `community link` answer gives to type on the other side."""
    # "`/community join CODE`" on Slack and the console, "`/community-join code:CODE`" on Discord.
    typed = re.search(r"community[- ]join\W+(?:code:)?([A-Za-z0-9-]{4,})", text)
    found = typed or re.search(r"`([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)`", text)
    assert found, f"no code in {text!r}"
    return found.group(1)


async def test_a_workspace_joins_a_discord_server_by_code_and_unlinks(
    installer: Installer,  # noqa: F811
    any_core: Marquee,
) -> None:
    # The server is first to use Marquee (it claims the demo's community), then the
    # workspace is installed (a community of its own).
    written = discord_says(
        any_core,
        "review add",
        film="Second Victims",
        rating=4,
        headline=HEADLINE,
        body="On Discord.",
    )
    assert not written.is_error, repr(written.blocks)
    await installer.install(TEAM_A)
    code = code_in(repr(discord_says(any_core, "community link").blocks))

    wrong = await said(
        installer,
        await installer.command(TEAM_A, "/marquee", "community join NOT-A-CODE", ADMIN_ID),
    )
    seen = await said(
        installer, await installer.command(TEAM_A, "/review", "Second Victims", ADMIN_ID)
    )
    assert HEADLINE not in seen, wrong

    joined = await said(
        installer, await installer.command(TEAM_A, "/marquee", f"community join {code}", ADMIN_ID)
    )
    seen = await said(
        installer, await installer.command(TEAM_A, "/review", "Second Victims", ADMIN_ID)
    )
    assert HEADLINE in seen, joined

    await said(installer, await installer.command(TEAM_A, "/marquee", "community unlink", ADMIN_ID))
    seen = await said(
        installer, await installer.command(TEAM_A, "/review", "Second Victims", ADMIN_ID)
    )
    assert HEADLINE not in seen
    assert HEADLINE in repr(discord_says(any_core, "review", title="Second Victims").blocks)
