"""Reply → Discord message, as pure functions: embeds, components, limits, unknown blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.actions import ActionCodec, Answer, Click
from adapters.discord.buttons import PAGE_LABEL_ID, ButtonSpec, SelectSpec
from adapters.discord.components import BUTTON_TEMPLATE, SELECT_TEMPLATE, build_view
from adapters.discord.render import (
    CONTENT_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBEDS_MAX,
    EMBEDS_TOTAL_MAX,
    RenderedMessage,
    render_reply,
)
from bot.follow_ups import with_follow_ups
from bot.types import (
    Choice,
    Choices,
    CommandList,
    CommandUsage,
    ErrorNotice,
    FilmCard,
    Notice,
    PageInfo,
    Reply,
    ReviewCard,
    ShowtimeItem,
    ShowtimeList,
    Table,
    Text,
)

PUBLISHED = datetime(2025, 7, 26, 2, 0, tzinfo=UTC)
STARTS = datetime(2025, 7, 25, 10, 30, tzinfo=UTC)


def review(**changes: object) -> ReviewCard:
    fields: dict[str, object] = {
        "review_id": 7,
        "film_id": 1,
        "film_title": "Second Victims",
        "film_year": 2025,
        "author": "Ingrid",
        "rating": 4.5,
        "headline": "About the doctor",
        "body": "The mother never becomes a device.",
        "spoiler": False,
        "published_at": PUBLISHED,
    }
    fields.update(changes)
    return ReviewCard(**fields)  # type: ignore[arg-type]


def showtime(n: int = 1, **changes: object) -> ShowtimeItem:
    fields: dict[str, object] = {
        "showtime_id": n,
        "film_id": 1,
        "film_title": "Second Victims",
        "film_year": 2025,
        "cinema": "Luna Leederville",
        "city": "Perth",
        "starts_at": STARTS,
        "timezone": "Australia/Perth",
        "local_time": "Fri 25 Jul 2025, 18:30 AWST",
        "event": "Hurtigruten Scandinavian Film Festival 2025",
    }
    fields.update(changes)
    return ShowtimeItem(**fields)  # type: ignore[arg-type]


def render(*blocks: object, **reply: object) -> RenderedMessage:
    # The core fills in the follow-ups before any adapter sees a reply; so does this helper.
    built = with_follow_ups(Reply(blocks=blocks, **reply))  # type: ignore[arg-type]
    return render_reply(built, ActionCodec())


def check_limits(message: RenderedMessage) -> None:
    assert message.content is None or len(message.content) <= CONTENT_MAX
    assert len(message.embeds) <= EMBEDS_MAX
    assert sum(len(e) for e in message.embeds) <= EMBEDS_TOTAL_MAX
    for embed in message.embeds:
        assert len(embed.description or "") <= EMBED_DESCRIPTION_MAX
        assert len(embed.fields) <= 25
    for component in message.components():
        if isinstance(component, ButtonSpec):
            assert len(component.custom_id) <= 100
        else:
            assert all(len(o.value) <= 100 for o in component.options)


def test_film_card_embed() -> None:
    card = FilmCard(
        film_id=1,
        title="Second Victims",
        year=2025,
        directors=("Zoé Wittock",),
        genres=("drama",),
        runtime_minutes=98,
        synopsis="A doctor after a call that went wrong.",
        community_rating=4.25,
        rating_count=4,
        review_count=2,
        next_showtime=showtime(),
    )
    (embed,) = render(card).embeds
    assert embed.title == "Second Victims (2025)"
    assert embed.description == "A doctor after a call that went wrong."
    fields = {f.name: f.value or "" for f in embed.fields}
    assert fields["Directed by"] == "Zoé Wittock"
    assert fields["Runtime"] == "98 min"
    assert "4.25/5" in fields["Community rating"]
    assert f"<t:{int(STARTS.timestamp())}:f>" in fields["Next screening"]
    assert embed.footer.text == "Film #1"


def test_spoiler_review_is_hidden_and_offers_a_private_reveal() -> None:
    message = render(review(spoiler=True, body="She | dies."))
    (embed,) = message.embeds
    assert embed.description == "||She \\| dies.||"
    (button,) = message.components()
    assert isinstance(button, ButtonSpec)
    action = ActionCodec().decode(button.custom_id)
    assert action == Click("review", {"title": "#1", "spoilers": True}, Answer.PRIVATE)


def test_revealed_spoiler_is_shown_in_full_without_a_button() -> None:
    message = render(review(spoiler=True, spoiler_revealed=True))
    assert message.embeds[0].description == "The mother never becomes a device."
    assert message.components() == []


def test_showtimes_use_discord_timestamps_and_local_time() -> None:
    (embed,) = render(ShowtimeList("Screenings in Perth", (showtime(),))).embeds
    assert embed.title == "Screenings in Perth"
    assert f"<t:{int(STARTS.timestamp())}:f>" in (embed.description or "")
    assert "Fri 25 Jul 2025, 18:30 AWST" in (embed.description or "")
    assert "#1" in (embed.description or "")


def test_cancelled_showtime_is_struck_through() -> None:
    (embed,) = render(ShowtimeList("Perth", (showtime(cancelled=True),))).embeds
    assert (embed.description or "").startswith("~~")


def test_choices_become_a_select_whose_options_carry_the_command() -> None:
    block = Choices(
        "Which Solaris?",
        (
            Choice("Solaris (1972)", "review", {"title": "#36"}, "dir. Andrei Tarkovsky"),
            Choice("Solaris (2002)", "review", {"title": "#37"}),
        ),
    )
    message = render(block, ephemeral=True)
    assert message.content == "Which Solaris?"
    assert message.ephemeral
    (select,) = message.components()
    assert isinstance(select, SelectSpec)
    codec = ActionCodec()
    assert [codec.decode(o.value) for o in select.options] == [
        Click("review", {"title": "#36"}, Answer.EDIT),
        Click("review", {"title": "#37"}, Answer.EDIT),
    ]
    assert select.options[0].description == "dir. Andrei Tarkovsky"


def test_choices_in_a_paged_list_open_below_it() -> None:
    block = Choices("41 films match", (Choice("Festen (1998)", "film", {"title": "#11"}),))
    page = PageInfo("search", {"text": "drama"}, page=1, page_count=5)
    message = render(block, page=page)
    select = message.rows[0][0]
    assert isinstance(select, SelectSpec)
    assert ActionCodec().decode(select.options[0].value) == Click(
        "film", {"title": "#11"}, Answer.NEW
    )


def test_paging_buttons_re_invoke_the_command_with_the_page() -> None:
    page = PageInfo("search", {"text": "drama"}, page=2, page_count=5)
    message = render(Text("results"), page=page)
    previous, label, following = message.rows[-1]
    codec = ActionCodec()
    assert isinstance(previous, ButtonSpec) and isinstance(following, ButtonSpec)
    assert codec.decode(previous.custom_id) == Click("search", {"text": "drama", "page": 1})
    assert codec.decode(following.custom_id) == Click("search", {"text": "drama", "page": 3})
    assert isinstance(label, ButtonSpec) and label.disabled and label.label == "2 / 5"
    first = render(Text("r"), page=PageInfo("search", {"text": "x"}, 1, 2)).rows[-1]
    assert [b.disabled for b in first if isinstance(b, ButtonSpec)] == [True, True, False]


def test_long_paging_arguments_still_fit_discords_id_limit() -> None:
    codec = ActionCodec()
    long_text = "a very long search " * 10
    page = PageInfo("search", {"text": long_text}, page=1, page_count=3)
    message = render_reply(Reply(blocks=(Text("r"),), page=page), codec)
    following = message.rows[-1][2]
    assert isinstance(following, ButtonSpec)
    assert len(following.custom_id) <= 100
    assert codec.decode(following.custom_id) == Click("search", {"text": long_text, "page": 2})


def test_table_is_an_aligned_code_block() -> None:
    table = Table(
        "Recent moderator actions",
        ("Who", "Action"),
        (("Max Moderator", "review add"), ("Ada", "film `edit`")),
    )
    (embed,) = render(table).embeds
    lines = (embed.description or "").splitlines()
    assert lines[0] == "```"
    assert lines[1].startswith("Who            Action")
    assert "film ˋeditˋ" in lines[4]  # a backtick would end the code block
    assert lines[-1] == "```"


def test_errors_and_notices_are_content_and_errors_are_ephemeral() -> None:
    message = render(ErrorNotice("No film found."))
    assert message.content == "⚠️ No film found."
    assert message.ephemeral and message.error
    assert render(Notice("Review #9 added.")).content == "Review #9 added."
    assert not render(Notice("Review #9 added.")).ephemeral


def test_an_unknown_block_fails_loudly() -> None:
    @dataclass(frozen=True)
    class Poster:
        url: str

    with pytest.raises(TypeError, match="Poster"):
        render(Text("a"), Poster("https://example.org/p.jpg"))


def test_an_empty_reply_still_says_something() -> None:
    assert render().content == "Done."


def test_many_long_reviews_fit_discords_total_limit_and_keep_spoilers_closed() -> None:
    cards = [review(review_id=n, body="x" * 3000, spoiler=n % 2 == 0) for n in range(12)]
    message = render(*cards)
    check_limits(message)
    assert "2 more not shown" in (message.content or "")
    for embed in message.embeds:
        text = embed.description or ""
        if text.startswith("||"):
            assert text.endswith("||")


texts = st.text(min_size=0, max_size=5000)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            texts.map(Text),
            texts.map(ErrorNotice),
            st.builds(lambda b, s: review(body=b, spoiler=s), texts, st.booleans()),
            st.builds(
                lambda h, n: ShowtimeList(h[:300], tuple(showtime(i) for i in range(n))),
                texts,
                st.integers(0, 60),
            ),
            st.builds(
                lambda rows: Table("t", ("a", "b"), tuple((r, r) for r in rows)),
                st.lists(st.text(max_size=80), max_size=120),
            ),
        ),
        max_size=14,
    )
)
def test_any_reply_respects_discords_limits(blocks: list[object]) -> None:
    check_limits(render(*blocks))


def test_views_use_only_dynamic_items_matching_the_routing_patterns() -> None:
    import re

    page = PageInfo("search", {"text": "drama"}, page=1, page_count=5)
    block = Choices("Which?", (Choice("A", "film", {"title": "#1"}),))
    message = render(block, review(spoiler=True), page=page)
    view = build_view(message)
    assert view is not None
    ids = [c["custom_id"] for row in view.to_components() for c in row["components"]]
    assert PAGE_LABEL_ID in ids
    for custom_id in ids:
        assert re.fullmatch(BUTTON_TEMPLATE, custom_id) or re.fullmatch(SELECT_TEMPLATE, custom_id)
    assert len(ids) == len(set(ids))  # Discord refuses duplicate ids in one message


def test_codec_rejects_foreign_and_forged_ids() -> None:
    codec = ActionCodec()
    assert codec.decode("someone-else:1") is None
    assert codec.decode('mq1:e:film:{"title":{"nested":1}}') is None
    assert codec.decode("mq1:#0123456789abcdef01234567") is None  # forgotten or never made
    assert codec.decode("mq1:e:film:not json") is None


def test_help_shows_commands_as_typed_on_discord() -> None:
    block = CommandList(
        "Marquee",
        (
            CommandUsage("review", (("title", True), ("spoilers", False)), "Reviews"),
            CommandUsage("review add", (("film", True),), "Add a review"),
        ),
        "Moderators also edit.",
    )
    message = render_reply(Reply(blocks=(block,)), ActionCodec())
    description = message.embeds[0].description or ""
    assert "`/review` title: [spoilers:] — Reviews" in description
    assert "`/review-add` film: — Add a review" in description
    assert "Moderators also edit." in description
