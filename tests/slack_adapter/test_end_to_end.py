"""The real slack-bolt app, the real core, a fake Slack on loopback.

Most tests run twice through the `workspace` fixture: once in HTTP mode (signed POSTs to the
app's own aiohttp server) and once in Socket Mode (envelopes over the fake's websocket).
Expected answers are the core's own reply to the same invocation, rendered: the adapter must
neither lose nor invent content.
"""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.slack.render import render_reply
from bot.core import Marquee
from bot.types import (
    Actor,
    ChannelRef,
    Choices,
    ErrorNotice,
    Invocation,
    Reply,
    ReviewCard,
    Role,
    Table,
)
from tests.slack_adapter.conftest import ADMIN_ID, GROUP_MOD_ID, MEMBER_ID, MOD_ID
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.test_commands import MANIFEST
from tests.slack_adapter.workspace import CHANNEL_ID, Workspace

MIA = Actor("slack", MEMBER_ID, "mia", Role.MEMBER)
MAX = Actor("slack", MOD_ID, "max", Role.MODERATOR)


def chan(fake: FakeSlack) -> ChannelRef:
    return ChannelRef("slack", fake.team_id, CHANNEL_ID)


def ask(
    core: Marquee, fake: FakeSlack, command: str, args: dict[str, Any], actor: Actor = MIA
) -> Reply:
    return core.handle(Invocation(command, args, actor, chan(fake)))


def audit_log(core: Marquee, fake: FakeSlack) -> Reply:
    return ask(core, fake, "audit", {}, MAX)


def audit_rows(core: Marquee, fake: FakeSlack) -> tuple[tuple[str, ...], ...]:
    table = audit_log(core, fake).blocks[0]
    return table.rows if isinstance(table, Table) else ()


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Buttons of a message by label."""
    found: dict[str, dict[str, Any]] = {}
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found[element["text"]["text"]] = element
    return found


async def test_review_command_is_answered_with_the_review_blocks(
    workspace: Workspace, core
) -> None:
    answer, _ = await workspace.command("/review", "Second Victims", MEMBER_ID)

    expected = ask(core, workspace.fake, "review", {"title": "Second Victims"})
    assert any(isinstance(b, ReviewCard) for b in expected.blocks)
    assert answer.status == 200
    assert answer.json["response_type"] == "in_channel"
    assert answer.json["blocks"] == render_reply(expected)["blocks"]
    assert answer.json["text"] == render_reply(expected)["text"]
    # The role came from Slack: the adapter asked who this user is.
    assert [c.args["user"] for c in workspace.fake.calls_to("users.info")] == [MEMBER_ID]


async def test_a_disambiguation_is_answered_by_clicking_a_choice(
    workspace: Workspace, core
) -> None:
    for year in (1972, 2002):  # the demo may have them already; then the core says so
        ask(core, workspace.fake, "film add", {"title": "Solaris", "year": year}, MAX)
    question = ask(core, workspace.fake, "review", {"title": "solaris"})
    assert isinstance(question.blocks[0], Choices)

    answer, _ = await workspace.command("/review", "solaris", MEMBER_ID)
    assert answer.json["response_type"] == "ephemeral"
    assert answer.json["blocks"] == render_reply(question)["blocks"]
    first = question.blocks[0].options[0]

    click, response_url = await workspace.click(
        answer.json["blocks"], "marquee.pick.0", MEMBER_ID, ephemeral=True
    )
    assert click.status == 200
    response = await workspace.fake.next_response()
    assert response["_response_token"] == response_url.rsplit("/", 1)[1]
    chosen = ask(core, workspace.fake, first.command, first.args)
    assert not chosen.is_error
    assert response["replace_original"] is True
    assert response["blocks"] == render_reply(chosen)["blocks"]


async def test_paging_buttons_fetch_the_next_page(workspace: Workspace, core: Marquee) -> None:
    first = ask(core, workspace.fake, "showtimes", {"query": "Perth"})
    assert first.page is not None and first.page.page_count > 1
    answer, _ = await workspace.command("/showtimes", "Perth", MEMBER_ID)
    assert answer.json["blocks"] == render_reply(first)["blocks"]

    await workspace.click(answer.json["blocks"], "marquee.page.next", MEMBER_ID)
    response = await workspace.fake.next_response()
    second = ask(core, workspace.fake, "showtimes", first.page.args_for(2))
    assert response["blocks"] == render_reply(second)["blocks"]
    assert response["replace_original"] is True


async def test_spoilers_are_shown_only_to_who_asks(workspace: Workspace, core: Marquee) -> None:
    answer, _ = await workspace.command("/review", "Second Victims", MEMBER_ID)
    hidden = ask(core, workspace.fake, "review", {"title": "Second Victims"})
    spoiler = next(b for b in hidden.blocks if isinstance(b, ReviewCard) and b.spoiler)
    assert spoiler.body not in json.dumps(answer.json)

    await workspace.click(
        answer.json["blocks"], f"marquee.open.review.{spoiler.review_id}", MEMBER_ID
    )
    response = await workspace.fake.next_response()
    assert response["response_type"] == "ephemeral"
    assert response["replace_original"] is False
    assert spoiler.body in json.dumps(response)


async def test_a_moderator_adds_a_review_through_the_modal(
    workspace: Workspace, core: Marquee
) -> None:
    fake = workspace.fake
    before = audit_rows(core, fake)

    answer, response_url = await workspace.command("/marquee", "review add", MOD_ID)
    assert answer.status == 200 and not answer.body  # an empty ack: the modal answers
    opened = await fake.next_call("views.open")
    assert opened.args["trigger_id"].startswith(f"trigger.{MOD_ID}.")
    view = opened.args["view"]
    assert [b["block_id"] for b in view["blocks"]] == [
        "film",
        "rating",
        "headline",
        "body",
        "spoiler",
        "author",
    ]

    values = {
        "film": "Second Victims",
        "rating": 3.5,
        "headline": "Second look",
        "body": "Better on a second viewing.\nThe meeting scene holds.",
        "spoiler": False,
    }
    submitted = await workspace.submit(view, values, MOD_ID)
    assert submitted.status == 200 and not submitted.body  # closes the modal

    response = await fake.next_response()
    assert response["_response_token"] == response_url.rsplit("/", 1)[1]
    assert response["response_type"] == "in_channel"
    assert "added" in response["text"]

    after = audit_rows(core, fake)
    assert len(after) == len(before) + 1
    _when, who, action, what, _change = after[0]
    assert (who, action) == ("max", "review add") and what.startswith("review #")
    reviews = ask(core, fake, "review", {"title": "Second Victims"})
    assert any(isinstance(b, ReviewCard) and b.headline == "Second look" for b in reviews.blocks)


async def test_a_form_error_is_shown_under_its_field_and_changes_nothing(
    workspace: Workspace,
    core: Marquee,
) -> None:
    for year in (1972, 2002):
        ask(core, workspace.fake, "film add", {"title": "Solaris", "year": year}, MAX)
    before = audit_rows(core, workspace.fake)
    await workspace.command("/marquee", "review add", MOD_ID)
    view = (await workspace.fake.next_call("views.open")).args["view"]

    values = {"film": "Solaris", "rating": 4, "headline": "Which?", "body": "Ambiguous."}
    answer = await workspace.submit(view, values, MOD_ID)
    assert answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == ["film"]
    assert audit_rows(core, workspace.fake) == before


async def test_a_member_is_refused_and_nothing_changes(workspace: Workspace, core: Marquee) -> None:
    fake = workspace.fake
    before = audit_rows(core, fake)
    reviews_before = ask(core, fake, "review", {"title": "Second Victims"})

    typed = "review add Second Victims rating=5 headline=Mine body=Let me in."
    answer, _ = await workspace.command("/marquee", typed, MEMBER_ID)
    assert answer.json["response_type"] == "ephemeral"
    assert "moderator" in answer.json["text"]

    bare, _ = await workspace.command("/marquee", "review add", MEMBER_ID)
    assert bare.json["response_type"] == "ephemeral"  # no form for members: the core refuses
    assert fake.calls_to("views.open") == []

    assert audit_rows(core, fake) == before
    assert ask(core, fake, "review", {"title": "Second Victims"}) == reviews_before


async def test_a_member_submitting_a_moderators_form_is_refused(
    workspace: Workspace, core: Marquee
) -> None:
    fake = workspace.fake
    before = audit_rows(core, fake)
    await workspace.command("/marquee", "review add", MOD_ID)
    view = (await fake.next_call("views.open")).args["view"]

    values = {"film": "Second Victims", "rating": 1, "headline": "Sneaky", "body": "Not a mod."}
    answer = await workspace.submit(view, values, MEMBER_ID)
    assert not answer.body  # the form closes; the refusal goes to the channel, privately
    response = await fake.next_response()
    assert response["response_type"] == "ephemeral"
    assert "moderator" in response["text"]
    assert audit_rows(core, fake) == before


async def test_roles_come_from_slack(workspace: Workspace, core: Marquee) -> None:
    for user in (MOD_ID, GROUP_MOD_ID, ADMIN_ID):
        answer, _ = await workspace.command("/marquee", "audit", user)
        assert "moderators" not in answer.json["text"], user
    refused, _ = await workspace.command("/marquee", "audit", MEMBER_ID)
    assert refused.json["response_type"] == "ephemeral"
    assert "moderators" in refused.json["text"]


async def test_a_channel_ping_in_a_title_or_headline_cannot_ping(
    workspace: Workspace, core
) -> None:
    fake = workspace.fake
    added, _ = await workspace.command("/marquee", "film add <!channel> Night year=2024", MOD_ID)
    assert not ask(core, fake, "film", {"title": "<!channel> Night"}).is_error

    await workspace.command("/marquee", "review add <!channel> Night", MOD_ID)
    view = (await fake.next_call("views.open")).args["view"]
    assert view["blocks"][0]["element"]["initial_value"] == "<!channel> Night"  # input, not markup
    values = {
        "film": "<!channel> Night",
        "rating": 2,
        "headline": "<!here> wake up",
        "body": "<@U1>",
    }
    await workspace.submit(view, values, MOD_ID)
    added_review = await fake.next_response()

    card, _ = await workspace.command("/film", "<!channel> Night", MEMBER_ID)
    reviews, _ = await workspace.command("/review", "<!channel> Night", MEMBER_ID)
    for message in (added.json, added_review, card.json, reviews.json):
        dumped = json.dumps(message)
        assert "<!channel>" not in dumped and "<!here>" not in dumped and "<@U1>" not in dumped
    assert "&lt;!channel&gt; Night" in json.dumps(card.json)
    assert "&lt;!here&gt; wake up" in json.dumps(reviews.json)


async def test_unknown_text_gets_a_private_hint(workspace: Workspace) -> None:
    answer, _ = await workspace.command("/marquee", "frobnicate", MEMBER_ID)
    assert answer.json["response_type"] == "ephemeral"
    assert "/marquee help" in answer.json["text"]


async def test_help_is_the_default_of_marquee(workspace: Workspace, core: Marquee) -> None:
    answer, _ = await workspace.command("/marquee", "", MEMBER_ID)
    assert answer.json["blocks"] == render_reply(ask(core, workspace.fake, "help", {}))["blocks"]


async def test_a_form_that_cannot_open_says_so(workspace: Workspace) -> None:
    workspace.fake.views_open_error = "expired_trigger_id"
    answer, _ = await workspace.command("/marquee", "review add", MOD_ID)
    assert answer.json["response_type"] == "ephemeral"
    assert "expired_trigger_id" in answer.json["text"]


async def test_every_manifest_command_is_answered(workspace: Workspace) -> None:
    for slash in re.findall(r"^\s+- command: (\S+)$", MANIFEST.read_text(), re.MULTILINE):
        answer, _ = await workspace.command(slash, "", MEMBER_ID)
        assert answer.status == 200, slash
        assert isinstance(answer.body, dict) and answer.body.get("blocks"), slash


async def test_error_replies_are_private(workspace: Workspace, core: Marquee) -> None:
    answer, _ = await workspace.command("/film", "zzzzqqqq", MEMBER_ID)
    reply = ask(core, workspace.fake, "film", {"title": "zzzzqqqq"})
    assert any(isinstance(b, ErrorNotice) for b in reply.blocks)
    assert answer.json["response_type"] == "ephemeral"


async def test_a_moderator_edits_a_review_through_the_modal(
    workspace: Workspace, core: Marquee
) -> None:
    fake = workspace.fake
    original = next(
        b
        for b in ask(core, fake, "review", {"title": "Second Victims"}).blocks
        if isinstance(b, ReviewCard)
    )
    await workspace.command("/marquee", f"review edit {original.review_id}", MOD_ID)
    view = (await fake.next_call("views.open")).args["view"]
    number = view["blocks"][0]
    assert number["element"]["type"] == "number_input"
    assert number["element"]["initial_value"] == str(original.review_id)

    values = {"review": original.review_id, "headline": "Edited in Slack"}
    answer = await workspace.submit(view, values, MOD_ID)
    assert not answer.body
    response = await fake.next_response()
    assert "Edited in Slack" in json.dumps(response)

    _when, who, action, what, _change = audit_rows(core, fake)[0]
    assert (who, action, what) == ("max", "review edit", f"review #{original.review_id}")
    edited = ask(core, fake, "review", {"title": "Second Victims", "spoilers": True})
    card = next(
        b for b in edited.blocks if isinstance(b, ReviewCard) and b.review_id == original.review_id
    )
    assert card.headline == "Edited in Slack"
    assert (card.body, card.rating, card.spoiler) == (
        original.body,
        original.rating,
        original.spoiler,
    )
