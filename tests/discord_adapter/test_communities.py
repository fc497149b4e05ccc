"""Two Discord servers, one Marquee: each server is its own community (issue #14).

Through the real discord.py and the fake gateway: a moderator of server A adds a review; the
administrator of server B neither reads it with `review` nor removes it with `review-remove`,
and A still has it afterwards. Linking by code, when the core has `community link`, puts two
servers in one community.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from adapters.discord.actions import Click
from adapters.discord.client import MarqueeDiscord
from bot.core import Marquee
from bot.registry import find_command
from bot.types import Actor, ArgValue, ChannelRef, Invocation, Reply, Role
from storage import communities
from storage.models_catalogue import Review
from storage.models_communities import LinkCode
from tests.discord_adapter.fake_discord import (
    ADMIN,
    CHANNEL_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MANAGER,
    MODAL,
    FakeDiscord,
    guild_on_shard,
)

GUILD_A = GUILD_ID
GUILD_B = guild_on_shard(0, 1, 1)
HEADLINE = "Server A's quiet storm"
REVIEW = {
    "film": "Second Victims",
    "rating": 4.5,
    "headline": HEADLINE,
    "body": "Only server A's community reads this.",
    "spoiler": False,
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guild_ids=(GUILD_A, GUILD_B)) as server:
        yield server
        assert [r.response for r in server.refused()] == []


def said(data: dict[str, Any]) -> str:
    """All a reader sees of a message: its text and its embeds."""
    return json.dumps({"content": data.get("content"), "embeds": data.get("embeds")})


def is_ephemeral(data: dict[str, Any]) -> bool:
    return bool((data.get("flags") or 0) & EPHEMERAL)


def review_rows(core: Marquee) -> list[tuple[int, int, str]]:
    with core.db.engine.connect() as conn:
        table = Review.__table__
        query = select(table.c.id, table.c.community_id, table.c.headline).where(
            table.c.headline == HEADLINE
        )
        return [(r[0], r[1], r[2]) for r in conn.execute(query)]


async def add_review_in_a(fake: FakeDiscord, core: Marquee) -> int:
    # MANAGER (Manage Server) moderates; every option given, so no form opens.
    added = await fake.callback(await fake.slash("review-add", REVIEW, MANAGER, guild_id=GUILD_A))
    assert added.body["type"] == CHANNEL_MESSAGE, added.body
    assert not is_ephemeral(added.body["data"]), added.body
    rows = review_rows(core)
    assert len(rows) == 1, rows
    return rows[0][0]


async def test_server_b_neither_reads_nor_removes_server_a_review(
    bot: object, fake: FakeDiscord, core: Marquee
) -> None:
    review_id = await add_review_in_a(fake, core)
    seen_in_a = await fake.callback(
        await fake.slash("review", {"title": "Second Victims"}, ADMIN, guild_id=GUILD_A)
    )
    assert HEADLINE in said(seen_in_a.body["data"])

    seen_in_b = await fake.callback(
        await fake.slash("review", {"title": "Second Victims"}, ADMIN, guild_id=GUILD_B)
    )
    assert HEADLINE not in said(seen_in_b.body["data"]), said(seen_in_b.body["data"])

    removal = await fake.callback(
        await fake.slash("review-remove", {"review": review_id}, ADMIN, guild_id=GUILD_B)
    )
    data = removal.body["data"]
    assert is_ephemeral(data) and f"no review #{review_id}" in said(data), said(data)
    edit = await fake.callback(
        await fake.slash(
            "review-edit",
            {"review": review_id, "headline": "Taken over", "rating": 1},
            ADMIN,
            guild_id=GUILD_B,
        )
    )
    assert is_ephemeral(edit.body["data"]), said(edit.body["data"])

    assert [(r[0], r[2]) for r in review_rows(core)] == [(review_id, HEADLINE)]
    again_in_a = await fake.callback(
        await fake.slash("review", {"title": "Second Victims"}, ADMIN, guild_id=GUILD_A)
    )
    assert HEADLINE in said(again_in_a.body["data"])


async def test_each_server_is_its_own_community(
    bot: object, fake: FakeDiscord, core: Marquee
) -> None:
    await add_review_in_a(fake, core)
    await fake.callback(await fake.slash("help", {}, ADMIN, guild_id=GUILD_B))
    with core.db.session() as session:
        a = communities.find_space(session, "discord", GUILD_A)
        b = communities.find_space(session, "discord", GUILD_B)
        assert a is not None and b is not None
        assert a.community_id != b.community_id
    assert review_rows(core)[0][1] == a.community_id


# The lead's `community link` / `community join` / `community unlink` (issue #14). Written
# before they landed: they run once the registry has them.
SLACK_TEAM = "TLINKED01"
SLACK_ADMIN = Actor("slack", "UADMINLNK", "Sia Slack", Role.ADMIN)
SLACK_CHANNEL = ChannelRef("slack", SLACK_TEAM, "CFILMS")


def code_in(text: str) -> str:
    """The code a `community link` answer gives to type on the other side."""
    # "`/community join CODE`" on Slack and the console, "`/community-join code:CODE`" on Discord.
    typed = re.search(r"community[- ]join\W+(?:code:)?([A-Za-z0-9-]{4,})", text)
    found = typed or re.search(r"`([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)`", text)
    assert found, f"no code in {text!r}"
    return found.group(1)


def slack_says(core: Marquee, command: str, **args: ArgValue) -> Reply:
    """The Slack workspace's side, at the core (its adapter is tested in tests/slack_adapter)."""
    return core.handle(Invocation(command, dict(args), SLACK_ADMIN, SLACK_CHANNEL))


def join_args(code: str) -> dict[str, ArgValue]:
    spec = find_command("community join")
    assert spec is not None and spec.primary is not None
    return {spec.primary.name: code}


async def link_code_from_discord(fake: FakeDiscord) -> str:
    linked = await fake.callback(await fake.slash("community-link", {}, ADMIN, guild_id=GUILD_A))
    return code_in(said(linked.body["data"]))


def slack_sees_the_review(core: Marquee) -> bool:
    reply = slack_says(core, "review", title="Second Victims")
    return HEADLINE in everything(reply)


def everything(reply: Reply) -> str:
    return repr(reply.blocks)


async def test_a_server_and_a_workspace_linked_by_code_share_one_community(
    bot: object, fake: FakeDiscord, core: Marquee
) -> None:
    await add_review_in_a(fake, core)
    assert not slack_sees_the_review(core)
    code = await link_code_from_discord(fake)
    joined = slack_says(core, "community join", **join_args(code))
    assert not joined.is_error, everything(joined)
    assert slack_sees_the_review(core)
    # Written on Slack, read on Discord.
    typed = slack_says(
        core,
        "review add",
        film="Arrival",
        rating=4,
        headline="Written on Slack",
        body="Read on Discord.",
    )
    assert not typed.is_error, everything(typed)
    on_discord = await fake.callback(
        await fake.slash("review", {"title": "Arrival"}, ADMIN, guild_id=GUILD_A)
    )
    assert "Written on Slack" in said(on_discord.body["data"])

    unlinked = slack_says(core, "community unlink")
    assert not unlinked.is_error, everything(unlinked)
    assert not slack_sees_the_review(core)
    on_discord = await fake.callback(
        await fake.slash("review", {"title": "Second Victims"}, ADMIN, guild_id=GUILD_A)
    )
    assert HEADLINE in said(on_discord.body["data"])


async def test_a_wrong_reused_or_expired_code_changes_nothing(
    bot: object, fake: FakeDiscord, core: Marquee
) -> None:
    await add_review_in_a(fake, core)
    wrong = slack_says(core, "community join", **join_args("NOT-A-CODE"))
    assert wrong.is_error and not slack_sees_the_review(core)

    code = await link_code_from_discord(fake)
    assert not slack_says(core, "community join", **join_args(code)).is_error
    other = ChannelRef("slack", "TOTHER001", "CFILMS")
    reused = core.handle(Invocation("community join", join_args(code), SLACK_ADMIN, other))
    assert reused.is_error
    seen = core.handle(Invocation("review", {"title": "Second Victims"}, SLACK_ADMIN, other))
    assert HEADLINE not in everything(seen)

    expiring = await link_code_from_discord(fake)
    with core.db.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=1)
        conn.execute(update(LinkCode).values(expires_at=past))
    late = core.handle(Invocation("community join", join_args(expiring), SLACK_ADMIN, other))
    assert late.is_error
    seen = core.handle(Invocation("review", {"title": "Second Victims"}, SLACK_ADMIN, other))
    assert HEADLINE not in everything(seen)


async def test_server_b_buttons_and_forms_leave_server_a_review_alone(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    """A button carries its whole command in its id, so B's admin could forge one naming A's
    review; and B's admin can open the edit form for any review number. Both reach the core as
    B's, which has no such review."""
    review_id = await add_review_in_a(fake, core)
    helped = await fake.callback(await fake.slash("help", {}, ADMIN, guild_id=GUILD_B))
    message = helped.response["resource"]["message"]
    for command, args in (
        ("review remove", {"review": review_id}),
        ("review edit", {"review": review_id, "headline": "Taken over"}),
    ):
        forged = bot.codec.encode(Click(command, args))
        button = {"type": 2, "style": 2, "label": "Forged", "custom_id": forged}
        with_button = {**message, "components": [{"type": 1, "components": [button]}]}
        clicked = await fake.callback(
            await fake.click(with_button, forged, ADMIN, guild_id=GUILD_B)
        )
        assert f"no review #{review_id}" in said(clicked.body["data"]), clicked.body

    opened = await fake.callback(
        await fake.slash("review-edit", {"review": review_id}, ADMIN, guild_id=GUILD_B)
    )
    assert opened.body["type"] == MODAL, opened.body  # the form for what was left out
    submitted = await fake.callback(
        await fake.submit_form(
            opened.body["data"]["custom_id"], {"headline": "Taken over"}, ADMIN, guild_id=GUILD_B
        )
    )
    assert f"no review #{review_id}" in said(submitted.body["data"]), submitted.body
    assert [(r[0], r[2]) for r in review_rows(core)] == [(review_id, HEADLINE)]
