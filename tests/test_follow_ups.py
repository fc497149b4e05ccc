"""The follow-ups a reply offers are the core's: the same on every platform, and each runs."""

from __future__ import annotations

from adapters.console.render import render_reply as console_render
from adapters.discord.actions import ActionCodec
from adapters.discord.render import render_reply as discord_render
from adapters.slack.actions import decode_action
from adapters.slack.render import render_reply as slack_render
from bot.types import Action, ErrorNotice, FilmCard, Reply, ReviewCard
from tests.backend import SayBot


def _reveals(reply: Reply) -> list[Action]:
    return [b.reveal for b in reply.blocks if isinstance(b, ReviewCard) and b.reveal is not None]


def test_a_hidden_spoiler_offers_its_reveal_named_by_the_films_label(bot: SayBot) -> None:
    reply = bot.say("/review Second Victims")
    hidden = [b for b in reply.blocks if isinstance(b, ReviewCard) and b.spoiler]
    assert hidden and all(not b.spoiler_revealed for b in hidden)
    reveals = _reveals(reply)
    assert len(reveals) == len(hidden) and len(set(map(repr, reveals))) == 1  # one film
    action = reveals[0]
    assert (action.command, action.args, action.opens) == (
        "review",
        {"title": "Second Victims (2025)", "spoilers": True},
        "private",
    )
    # Running it shows what was hidden, and offers nothing more to reveal.
    shown = bot.ask(action.command, **action.args)
    assert any(isinstance(b, ReviewCard) and b.spoiler_revealed for b in shown.blocks)
    assert not _reveals(shown)
    # Cards shown in full offer no reveal.
    assert all(b.reveal is None for b in shown.blocks if isinstance(b, ReviewCard))


def test_a_film_is_named_by_number_when_its_label_would_not_type_back_to_it(bot: SayBot) -> None:
    mod = bot.as_moderator()
    made = mod.say('/film add "Review Night" year=2020')
    assert made.created is not None, made
    film_id = made.created.id
    mod.say(f'/review add film=#{film_id} rating=4 headline="Late" body="The twist." spoiler=yes')
    reply = bot.ask("review", title=f"#{film_id}")
    (action,) = _reveals(reply)
    # "Review Night (2020)" typed back reads as the `review` command: the number is exact.
    assert action.args["title"] == f"#{film_id}"


def test_the_film_card_offers_its_reviews_only_when_it_has_some(bot: SayBot) -> None:
    card_reply = bot.say("/film Second Victims")
    (card,) = [b for b in card_reply.blocks if isinstance(b, FilmCard)]
    assert card.review_count > 0
    (action,) = card.actions
    assert (action.label, action.command, action.args) == (
        "Reviews",
        "review",
        {"title": "Second Victims (2025)"},
    )
    listed = bot.ask(action.command, **action.args)
    assert any(isinstance(b, ReviewCard) for b in listed.blocks)

    mod = bot.as_moderator()
    made = mod.say('/film add "Unreviewed Picture" year=2021')
    assert made.created is not None
    bare = bot.ask("film", title=f"#{made.created.id}")
    (empty,) = [b for b in bare.blocks if isinstance(b, FilmCard)]
    assert empty.actions == ()


def test_every_platform_renders_the_same_follow_ups(bot: SayBot) -> None:
    for line in ("/review Second Victims", "/film Second Victims"):
        reply = bot.say(line)
        offered = [
            (a.label, a.command, a.args)
            for b in reply.blocks
            for a in (
                [b.reveal]
                if isinstance(b, ReviewCard) and b.reveal
                else b.actions
                if isinstance(b, FilmCard)
                else []
            )
        ]
        assert offered, line
        # Discord: a button per distinct action, carrying exactly the action.
        codec = ActionCodec()
        buttons = discord_render(reply, codec).components()
        on_discord = {
            (c.command, repr(sorted(c.args.items())))
            for b in buttons
            if (c := codec.decode(b.custom_id)) is not None
        }
        # Slack: the same actions on its buttons.
        message = slack_render(reply)
        elements = [e for blk in message["blocks"] for e in blk.get("elements", [])]
        elements += [blk["accessory"] for blk in message["blocks"] if "accessory" in blk]
        on_slack = {
            (r.command, repr(sorted(r.args.items())))
            for e in elements
            if e.get("type") == "button" and (r := decode_action(e))
        }
        wanted = {(command, repr(sorted(args.items()))) for _, command, args in offered}
        assert on_discord == wanted == on_slack, line
        # The console prints each as a command that parses back to it.
        text = console_render(reply)
        assert "/review Second Victims (2025)" in text, line


def test_errors_name_the_parameter_at_fault(bot: SayBot) -> None:
    reply = bot.ask("rate", title="Second Victims", score="eleven")
    (notice,) = [b for b in reply.blocks if isinstance(b, ErrorNotice)]
    assert notice.param == "score"
    missing = bot.as_moderator().ask(
        "review add", film="No Such Film Whatsoever", rating="4", headline="h", body="b"
    )
    (notice,) = [b for b in missing.blocks if isinstance(b, ErrorNotice)]
    assert notice.param == "film"
    # A refusal about who you are names no parameter.
    refused = bot.ask("review remove", review="1")
    (notice,) = [b for b in refused.blocks if isinstance(b, ErrorNotice)]
    assert notice.param is None
