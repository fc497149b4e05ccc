"""End to end: INTERACTION_CREATE from the fake gateway → real discord.py → Marquee → callback.

Every test injects what Discord would send and waits for what the bot sends back over REST. The
components a test clicks are read from the message the bot actually sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.answering import INTERNAL_ERROR
from adapters.discord.client import MarqueeDiscord
from adapters.discord.render import render_reply
from bot.core import Marquee
from bot.settings import Settings
from bot.types import Actor, ChannelRef, Invocation, Reply, ReviewCard, Role, Table
from tests.conftest import MODERATOR as CORE_MODERATOR
from tests.discord_adapter.fake_discord import (
    ADMIN,
    AUTOCOMPLETE_RESULT,
    CHANNEL_ID,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    GUILD_ID,
    MANAGER,
    MEMBER,
    MODAL,
    MODERATOR,
    UNCACHED_ROLE_ID,
    UPDATE_MESSAGE,
    FakeDiscord,
    FakeUser,
    Recorded,
)
from tests.discord_adapter.harness import RecordingCore, start_bot

NO_MENTIONS: dict[str, list[str]] = {"parse": []}
# The core, asked directly about the fake server the bot is in (the same community).
CHANNEL = ChannelRef("discord", GUILD_ID, CHANNEL_ID)


def message_of(callback: Recorded) -> dict[str, Any]:
    """The message the fake created or updated for this callback (kept current by edits)."""
    message: dict[str, Any] = callback.response["resource"]["message"]
    return message


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components", []) for c in row["components"]]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(c for c in components(message) if c["type"] == 2 and c.get("label") == label)


def select(message: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in components(message) if c["type"] == 3)


def is_ephemeral(data: dict[str, Any]) -> bool:
    return bool((data.get("flags") or 0) & EPHEMERAL)


def audit_rows(core: Marquee) -> tuple[tuple[str, ...], ...]:
    reply = core.handle(Invocation("audit", {}, CORE_MODERATOR, CHANNEL))
    tables = [b for b in reply.blocks if isinstance(b, Table)]
    return tables[0].rows if tables else ()


def reviews_of_second_victims(core: Marquee) -> Reply:
    return core.handle(
        Invocation("review", {"title": "#1", "spoilers": True}, CORE_MODERATOR, CHANNEL)
    )


# -- reading -----------------------------------------------------------------------------------


async def test_review_answers_with_review_embeds(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    interaction = await fake.slash("review", {"title": "Second Victims"})
    callback = await fake.callback(interaction)
    assert callback.body["type"] == CHANNEL_MESSAGE
    data = callback.body["data"]
    assert not is_ephemeral(data)
    assert data["allowed_mentions"] == NO_MENTIONS
    titles = [e["title"] for e in data["embeds"]]
    assert "A hospital drama about the doctor, not the patient" in titles
    spoiler = next(e for e in data["embeds"] if e["title"].startswith("Spoilers"))
    assert spoiler["description"].startswith("||") and spoiler["description"].endswith("||")
    assert all(
        e["fields"][0] == {"name": "Film", "value": "Second Victims (2025)", "inline": True}
        for e in data["embeds"]
    )
    assert fake.unexpected() == []


async def test_show_spoilers_reveals_them_to_the_clicker_only(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    first = await fake.callback(await fake.slash("review", {"title": "Second Victims"}))
    message = message_of(first)
    reveal = button(message, "Show spoilers")
    callback = await fake.callback(await fake.click(message, reveal["custom_id"]))
    assert callback.body["type"] == CHANNEL_MESSAGE  # a new message, the public one untouched
    data = callback.body["data"]
    assert is_ephemeral(data)
    spoiler = next(e for e in data["embeds"] if e["title"].startswith("Spoilers"))
    assert not spoiler["description"].startswith("||")
    assert "head of neurology" in spoiler["description"]


async def test_autocomplete_finds_a_misspelt_title(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    interaction = await fake.autocomplete("review", {"title": "secnd victims"}, focused="title")
    callback = await fake.callback(interaction)
    assert callback.body["type"] == AUTOCOMPLETE_RESULT
    choices = callback.body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert {"name": "Second Victims (2025)", "value": "#1"} in choices
    # The chosen value goes back as the option and names the film exactly.
    answer = await fake.callback(await fake.slash("film", {"title": "#1"}))
    assert answer.body["data"]["embeds"][0]["title"] == "Second Victims (2025)"


async def test_autocomplete_of_a_non_title_option_is_empty(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    interaction = await fake.autocomplete("showtimes", {"query": "Per"}, focused="query")
    callback = await fake.callback(interaction)
    assert callback.body["data"]["choices"] == []


async def test_disambiguation_then_picking_one(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    question = await fake.callback(await fake.slash("film", {"title": "solaris"}))
    assert is_ephemeral(question.body["data"])
    menu = select(message_of(question))
    labels = [o["label"] for o in menu["options"]]
    assert sorted(labels) == ["Solaris (1972)", "Solaris (2002)"]
    tarkovsky = next(o for o in menu["options"] if o["label"] == "Solaris (1972)")

    pick = await fake.choose(message_of(question), menu["custom_id"], tarkovsky["value"])
    answer = await fake.callback(pick)
    # The film card is for everyone: a new public message, not an edit of the private question.
    assert answer.body["type"] == CHANNEL_MESSAGE
    assert not is_ephemeral(answer.body["data"])
    assert answer.body["data"]["embeds"][0]["title"] == "Solaris (1972)"


async def test_paging_through_search_results_then_opening_one(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    first = await fake.callback(await fake.slash("search", {"text": "drama"}))
    message = message_of(first)
    page_one = [o["label"] for o in select(message)["options"]]
    assert button(message, "◀ Previous")["disabled"] is True
    assert button(message, "1 / 5")["disabled"] is True

    turn = await fake.callback(await fake.click(message, button(message, "Next ▶")["custom_id"]))
    assert turn.body["type"] == UPDATE_MESSAGE  # the same message now shows page 2
    message = message_of(turn)
    page_two = [o["label"] for o in select(message)["options"]]
    assert page_two and not set(page_two) & set(page_one)
    assert button(message, "2 / 5")["disabled"] is True
    assert button(message, "◀ Previous")["disabled"] is False

    chosen = select(message)["options"][0]
    opened = await fake.callback(
        await fake.choose(message, select(message)["custom_id"], chosen["value"])
    )
    assert opened.body["type"] == CHANNEL_MESSAGE  # the list stays; the film opens below it
    assert opened.body["data"]["embeds"][0]["title"] == chosen["label"]


async def test_errors_are_ephemeral(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    callback = await fake.callback(await fake.slash("search", {"text": "x"}))
    assert callback.body["type"] == CHANNEL_MESSAGE
    assert is_ephemeral(callback.body["data"])
    assert callback.body["data"]["content"].startswith("⚠️")


async def test_a_direct_message_works(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    # A DM acts in the community the member was last seen in: the server's (the demo's, with
    # its films), which the bot joined at start.
    await fake.callback(await fake.slash("help", {}))
    interaction = await fake.slash("film", {"title": "Second Victims"}, guild_id=None)
    callback = await fake.callback(interaction)
    assert callback.body["data"]["embeds"][0]["title"] == "Second Victims (2025)"


# -- the moderator form --------------------------------------------------------------------


async def open_form(
    fake: FakeDiscord, user: FakeUser, command: str = "review-add"
) -> dict[str, Any]:
    callback = await fake.callback(await fake.slash(command, {}, user))
    assert callback.body["type"] == MODAL
    form: dict[str, Any] = callback.body["data"]
    return form


def form_fields(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["custom_id"]: c for row in form["components"] for c in row["components"]}


REVIEW = {
    "film": "Second Victims",
    "rating": "4.5",
    "headline": "Quiet storm",
    "body": "It stays with you for days.",
    "spoiler": "no",
}


async def test_a_moderator_adds_a_review_through_the_form(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    form = await open_form(fake, MODERATOR)
    fields = form_fields(form)
    assert list(fields) == ["film", "rating", "headline", "body", "spoiler"]
    assert fields["body"]["style"] == 2  # a paragraph
    assert fields["body"]["max_length"] == 3000
    assert fields["film"]["required"] and not fields["spoiler"]["required"]

    submitted = await fake.callback(await fake.submit_form(form["custom_id"], REVIEW, MODERATOR))
    data = submitted.body["data"]
    assert not is_ephemeral(data)
    assert "added" in data["content"]
    assert data["embeds"][0]["title"] == "Quiet storm"
    assert data["embeds"][0]["author"]["name"] == "Max Moderator"
    (row,) = [r for r in audit_rows(core) if "review add" in r]
    assert "Max Moderator" in row


async def test_a_member_gets_no_form_but_the_cores_refusal(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    # As on Slack: the role is checked before the form opens, and the refusal is the core's.
    before = reviews_of_second_victims(core)
    refused = await fake.callback(await fake.slash("review-add", {}, MEMBER))
    assert refused.body["type"] != MODAL
    data = refused.body["data"]
    assert is_ephemeral(data)  # the refusal is the member's alone
    assert data["content"].startswith("⚠️") and "moderator" in data["content"]
    # Word for word what the core says to a member who runs the command.
    member = Actor("discord", MEMBER.id, MEMBER.name, Role.MEMBER)
    where = ChannelRef("discord", GUILD_ID, CHANNEL_ID)
    core_refusal = core.handle(Invocation("review add", {}, member, where))
    assert data["content"] == render_reply(core_refusal, bot.codec).content
    assert reviews_of_second_victims(core) == before
    assert audit_rows(core) == ()


async def test_a_moderator_demoted_while_writing_is_refused(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    form = await open_form(fake, MODERATOR)
    demoted = FakeUser(MODERATOR.id, MODERATOR.name)  # same person, role removed meanwhile
    refused = await fake.callback(await fake.submit_form(form["custom_id"], REVIEW, demoted))
    assert is_ephemeral(refused.body["data"])
    assert audit_rows(core) == ()


async def test_review_add_with_every_option_runs_without_a_form(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    options = {**REVIEW, "rating": 4.5, "spoiler": False}
    callback = await fake.callback(await fake.slash("review-add", options, MANAGER))
    assert callback.body["type"] == CHANNEL_MESSAGE
    assert callback.body["data"]["embeds"][0]["title"] == "Quiet storm"
    assert len(audit_rows(core)) == 1


async def test_review_edit_form_carries_the_review_number(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    callback = await fake.callback(await fake.slash("review-edit", {"review": 1}, ADMIN))
    form = callback.body["data"]
    assert list(form_fields(form)) == ["rating", "headline", "body", "spoiler"]
    changed = {"headline": "About the doctor, above all"}
    edited = await fake.callback(await fake.submit_form(form["custom_id"], changed, ADMIN))
    assert not is_ephemeral(edited.body["data"]), edited.body["data"]
    cards = [b for b in reviews_of_second_victims(core).blocks if isinstance(b, ReviewCard)]
    edited_card = next(c for c in cards if c.review_id == 1)
    assert edited_card.headline == "About the doctor, above all"
    assert edited_card.rating == 4.5  # fields left empty in the form are unchanged


async def test_a_form_from_before_a_restart_gets_an_answer(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    callback = await fake.callback(await fake.submit_form("mq1-form:review-add:1:abc", REVIEW))
    assert is_ephemeral(callback.body["data"])
    assert "run the command again" in callback.body["data"]["content"]


async def test_a_form_sent_twice_is_done_once_and_the_second_gets_an_answer(
    bot: MarqueeDiscord, fake: FakeDiscord, core: Marquee
) -> None:
    form = await open_form(fake, MODERATOR)
    first = await fake.callback(await fake.submit_form(form["custom_id"], REVIEW, MODERATOR))
    assert "added" in first.body["data"]["content"]
    again = await fake.callback(await fake.submit_form(form["custom_id"], REVIEW, MODERATOR))
    assert is_ephemeral(again.body["data"])
    assert "already sent" in again.body["data"]["content"]
    assert len([r for r in audit_rows(core) if "review add" in r]) == 1  # done once
    # Opening the form again makes a fresh one that works.
    reopened = await open_form(fake, MODERATOR)
    assert reopened["custom_id"] == form["custom_id"]
    second = await fake.callback(await fake.submit_form(form["custom_id"], REVIEW, MODERATOR))
    assert "added" in second.body["data"]["content"]
    assert len([r for r in audit_rows(core) if "review add" in r]) == 2
    assert fake.refused() == []


async def test_stale_and_foreign_buttons_get_an_answer(
    bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    first = await fake.callback(await fake.slash("search", {"text": "drama"}))
    message = message_of(first)
    expected = {
        "mq1:#00112233445566778899aabb": "This button has expired",  # a forgotten long action
        "someone-else:42": "This button no longer works",  # not Marquee's id format
    }
    for custom_id, answer in expected.items():
        # Put a button with that id on the message, as an old message would have it.
        old = {"type": 2, "style": 2, "label": "Old", "custom_id": custom_id}
        stale = {**message, "components": [{"type": 1, "components": [old]}]}
        callback = await fake.callback(await fake.click(stale, custom_id))
        assert is_ephemeral(callback.body["data"])
        assert callback.body["data"]["content"].startswith(answer)


# -- mentions ------------------------------------------------------------------------------


async def test_a_mass_mention_title_never_pings(bot: MarqueeDiscord, fake: FakeDiscord) -> None:
    added = await fake.callback(
        await fake.slash("film-add", {"title": "@everyone Night", "year": 2020}, MODERATOR)
    )
    data = added.body["data"]
    assert "@everyone" in data["content"]  # the title is echoed…
    assert data["allowed_mentions"] == NO_MENTIONS  # …and the payload forbids every ping
    assert message_of(added)["mention_everyone"] is False

    shown = await fake.callback(await fake.slash("film", {"title": "@everyone Night"}))
    assert shown.body["data"]["embeds"][0]["title"] == "@everyone Night (2020)"
    assert shown.body["data"]["allowed_mentions"] == NO_MENTIONS


# -- slow answers: defer and follow up -------------------------------------------------------


@pytest.fixture
async def slow_bot(
    core: Marquee, settings: Settings, fake: FakeDiscord
) -> AsyncIterator[MarqueeDiscord]:
    # A budget of zero: every answer takes the deferred path, deterministically.
    bot = await start_bot(core, settings, reply_budget=0.0)
    yield bot
    await bot.close()


async def test_slow_work_defers_then_edits_the_original(
    slow_bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    interaction = await fake.slash("film", {"title": "Second Victims"})
    deferred = await fake.callback(interaction)
    assert deferred.body["type"] == DEFERRED_CHANNEL_MESSAGE
    assert not is_ephemeral(deferred.body.get("data") or {})
    edit = await fake.webhook(interaction, "PATCH", suffix="/messages/@original")
    assert edit.body["embeds"][0]["title"] == "Second Victims (2025)"
    assert edit.body["allowed_mentions"] == NO_MENTIONS


async def test_a_slow_error_replaces_the_public_thinking_with_a_private_answer(
    slow_bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    interaction = await fake.slash("search", {"text": "x"})
    assert (await fake.callback(interaction)).body["type"] == DEFERRED_CHANNEL_MESSAGE
    await fake.webhook(interaction, "DELETE", suffix="/messages/@original")
    follow_up = await fake.webhook(interaction, "POST")
    assert is_ephemeral(follow_up.body)
    assert follow_up.body["content"].startswith("⚠️")


async def test_a_slow_page_turn_defers_the_update_then_edits_the_message(
    slow_bot: MarqueeDiscord, fake: FakeDiscord
) -> None:
    interaction = await fake.slash("search", {"text": "drama"})
    await fake.callback(interaction)
    edit = await fake.webhook(interaction, "PATCH", suffix="/messages/@original")
    message = fake.messages[edit.response["id"]]
    click = await fake.click(message, button(message, "Next ▶")["custom_id"])
    assert (await fake.callback(click)).body["type"] == DEFERRED_UPDATE
    turned = await fake.webhook(click, "PATCH", suffix="/messages/@original")
    assert turned.response["id"] == message["id"]
    assert any(c.get("label") == "2 / 5" for c in components(turned.response))


# -- who is asking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "role"),
    [
        (MEMBER, Role.MEMBER),
        (MODERATOR, Role.MODERATOR),  # a configured moderator role id
        (FakeUser("940000000000000009", "Uma Uncached", roles=(UNCACHED_ROLE_ID,)), Role.MODERATOR),
        (MANAGER, Role.MODERATOR),  # Manage Server
        (ADMIN, Role.ADMIN),  # Administrator
    ],
)
async def test_invocations_carry_the_members_facts(
    core: Marquee, settings: Settings, fake: FakeDiscord, user: FakeUser, role: Role
) -> None:
    from dataclasses import replace

    recording = RecordingCore(core)
    mod_roles = settings.discord_mod_role_ids | {UNCACHED_ROLE_ID}
    bot = await start_bot(recording, replace(settings, discord_mod_role_ids=mod_roles))
    try:
        await fake.callback(await fake.slash("film", {"title": "Second Victims"}, user))
    finally:
        await bot.close()
    (inv,) = recording.invocations
    assert inv.command == "film"
    assert inv.args == {"title": "Second Victims"}
    assert (inv.actor.platform, inv.actor.user_id, inv.actor.display_name) == (
        "discord",
        user.id,
        user.name,
    )
    assert inv.actor.role is role
    assert (inv.channel.platform, inv.channel.workspace_id, inv.channel.channel_id) == (
        "discord",
        GUILD_ID,
        CHANNEL_ID,
    )


# -- failing loudly --------------------------------------------------------------------------


@dataclass(frozen=True)
class Poster:
    """A block type the Discord adapter has never heard of."""

    url: str


class PosterCore(RecordingCore):
    def handle(self, inv: Invocation) -> Reply:
        super().handle(inv)
        return Reply(blocks=(Poster("https://example.org/poster.jpg"),))  # type: ignore[arg-type]


@pytest.mark.expect_logged_errors
async def test_a_block_discord_cannot_render_is_logged_and_answered(
    core: Marquee, settings: Settings, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot(PosterCore(core), settings)
    try:
        callback = await fake.callback(await fake.slash("film", {"title": "Second Victims"}))
    finally:
        await bot.close()
    assert is_ephemeral(callback.body["data"])
    assert callback.body["data"]["content"] == INTERNAL_ERROR
    (failure,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failure.exc_info is not None
    assert "cannot render a Poster block" in str(failure.exc_info[1])
