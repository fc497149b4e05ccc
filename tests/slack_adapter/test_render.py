"""The renderer alone: Reply → Block Kit, escaping, limits, spoilers, dates, buttons."""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import render as slack_render
from adapters.slack.actions import ActionKind, decode_action
from adapters.slack.markup import escaped_chunks
from adapters.slack.render import (
    MESSAGE_BLOCKS_MAX,
    UnrenderableBlock,
    render_block,
)
from bot.follow_ups import with_follow_ups
from bot.types import (
    Block,
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
# Markup the renderer itself writes; any other `<` or `>` in the output would be live markup.
OUR_MARKUP = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>]*>|<https?://[^<>|]+\|Tickets>"
)


def render_reply(reply: Reply) -> dict[str, Any]:
    """As the adapter renders a reply the core made: with its follow-ups filled in."""
    return slack_render.render_reply(with_follow_ups(reply))


def showtime(**overrides: Any) -> ShowtimeItem:
    fields: dict[str, Any] = dict(
        showtime_id=7,
        film_id=1,
        film_title="Second Victims",
        film_year=2025,
        cinema="Luna Leederville",
        city="Perth",
        starts_at=STARTS,
        timezone="Australia/Perth",
        local_time="Fri 25 Jul 2025, 18:30 AWST",
        event="Hurtigruten Scandinavian Film Festival 2025",
        ticket_url="https://tickets.example/1?a=1&b=2",
    )
    return ShowtimeItem(**{**fields, **overrides})


def review(**overrides: Any) -> ReviewCard:
    fields: dict[str, Any] = dict(
        review_id=3,
        film_id=1,
        film_title="Second Victims",
        film_year=2025,
        author="Ingrid",
        rating=4.5,
        headline="Quiet storm",
        body="It stays with you.",
        spoiler=False,
        published_at=PUBLISHED,
    )
    return ReviewCard(**{**fields, **overrides})


def film(**overrides: Any) -> FilmCard:
    fields: dict[str, Any] = dict(
        film_id=1,
        title="Second Victims",
        year=2025,
        directors=("Zinnini Elkington",),
        cast=("Trine Dyrholm",),
        genres=("drama",),
        synopsis="A hospital.",
        community_rating=4.25,
        rating_count=2,
        review_count=2,
        next_showtime=showtime(),
    )
    return FilmCard(**{**fields, **overrides})


def one_of_each() -> list[Block]:
    """One instance of every block type the core can send (checked against `Block` below)."""
    return [
        Text("hello"),
        Notice("done"),
        ErrorNotice("no"),
        film(),
        review(),
        ShowtimeList("Screenings in Perth", (showtime(),)),
        Choices("Which one?", (Choice("Solaris (1972)", "review", {"title": "#36"}),)),
        Table("Audit", ("When", "Who"), (("2025-07-25", "max"),)),
        CommandList(
            "Marquee <!here>",
            (
                CommandUsage("review", (("title", True),), "Reviews"),
                CommandUsage("review add", (("film", True), ("spoiler", False)), "Add"),
                CommandUsage("audit", (), "Log"),
            ),
            "footer",
        ),
    ]


def test_help_shows_commands_as_typed_in_slack() -> None:
    message = render_reply(Reply(blocks=(one_of_each()[-1],)))
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "/review &lt;title&gt;" in text
    assert "/review add &lt;film&gt; [spoiler=…]" in text
    assert "/marquee audit" in text
    assert_no_live_markup(message)


def texts(message: dict[str, Any]) -> list[str]:
    """Every string Slack would display or parse in a rendered message."""
    found: list[str] = [message["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message["blocks"])
    return found


def assert_no_live_markup(message: dict[str, Any]) -> None:
    for text in texts(message):
        stripped = OUR_MARKUP.sub("", text)
        assert "<" not in stripped and ">" not in stripped, text


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for block in message["blocks"]:
        out += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            out.append(block["accessory"])
    return out


def test_every_block_type_of_the_core_has_slack_markup() -> None:
    declared = set(typing.get_args(Block))
    sample = one_of_each()
    assert {type(b) for b in sample} == declared, "one_of_each() must cover bot.types.Block"
    for block in sample:
        assert render_block(block), type(block).__name__


def test_an_unknown_block_type_raises_instead_of_vanishing() -> None:
    @dataclass(frozen=True)
    class Poll:
        question: str

    with pytest.raises(UnrenderableBlock, match="Poll"):
        render_reply(Reply(blocks=(Text("before"), Poll("?"))))  # type: ignore[arg-type]


def test_mentions_typed_by_users_are_escaped_everywhere() -> None:
    hostile = "<!channel> & <!here> <@U123> <#C1|x> <https://evil|click>"
    reply = Reply(
        blocks=(
            Text(hostile),
            Notice(hostile),
            ErrorNotice(hostile),
            film(title=hostile, original_title=hostile, directors=(hostile,), synopsis=hostile),
            review(headline=hostile, body=hostile, author=hostile, film_title=hostile),
            ShowtimeList(hostile, (showtime(film_title=hostile, cinema=hostile, event=hostile),)),
            Choices(hostile, (Choice(hostile, "film", {"title": "#1"}, hostile),)),
            Table(hostile, (hostile,), ((hostile,),)),
        )
    )
    message = render_reply(reply)
    assert_no_live_markup(message)
    dumped = json.dumps(message)
    assert "<!channel>" not in dumped and "<!here>" not in dumped and "<@U123>" not in dumped
    assert "&lt;!channel&gt; &amp; &lt;!here&gt;" in dumped


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(), st.text())
def test_no_text_whatever_it_is_becomes_markup(headline: str, body: str, title: str) -> None:
    reply = Reply(blocks=(review(headline=headline, body=body), film(title=title)))
    assert_no_live_markup(render_reply(reply))


def test_a_spoiler_review_hides_its_body_behind_a_button() -> None:
    secret = "The patient does not survive."
    message = render_reply(Reply(blocks=(review(body=secret, spoiler=True),)))
    assert secret not in json.dumps(message)
    (button,) = buttons(message)
    assert button["text"]["text"] == "Show spoilers"
    request = decode_action(button)
    assert request.kind is ActionKind.OPEN  # only the clicker sees the answer
    assert (request.command, request.args) == ("review", {"title": "#1", "spoilers": True})


def test_a_revealed_spoiler_shows_its_body_with_a_warning() -> None:
    secret = "The patient does not survive."
    message = render_reply(
        Reply(blocks=(review(body=secret, spoiler=True, spoiler_revealed=True),))
    )
    assert secret in json.dumps(message)
    assert "Spoilers below" in json.dumps(message)
    assert not buttons(message)


def test_showtimes_use_slack_dates_and_the_cinemas_local_time() -> None:
    message = render_reply(Reply(blocks=(ShowtimeList("Screenings", (showtime(),)),)))
    text = message["blocks"][0]["text"]["text"]
    unix = int(STARTS.timestamp())
    assert f"<!date^{unix}^{{date_short_pretty}} {{time}}|Fri 25 Jul 2025, 18:30 AWST" in text
    assert "Fri 25 Jul 2025, 18:30 AWST local time" in text
    assert "<https://tickets.example/1?a=1&amp;b=2|Tickets>" in text
    assert "Luna Leederville, Perth" in text


def test_a_cancelled_screening_is_struck_through_without_tickets() -> None:
    message = render_reply(Reply(blocks=(ShowtimeList("S", (showtime(cancelled=True),)),)))
    text = message["blocks"][0]["text"]["text"]
    assert "*cancelled*" in text and "Tickets" not in text


def test_an_unsafe_ticket_link_is_left_out() -> None:
    message = render_reply(
        Reply(blocks=(ShowtimeList("S", (showtime(ticket_url="javascript:x|<!channel>"),)),))
    )
    assert "Tickets" not in json.dumps(message)
    assert_no_live_markup(message)


def test_few_choices_are_buttons_that_re_invoke_the_command() -> None:
    options = tuple(
        Choice(f"Solaris ({y})", "review", {"title": f"#{i}"}) for i, y in enumerate((1972, 2002))
    )
    message = render_reply(Reply(blocks=(Choices("Which one?", options),)))
    found = [decode_action(b) for b in buttons(message)]
    assert [(r.kind, r.command, r.args) for r in found] == [
        (ActionKind.PICK, "review", {"title": "#0"}),
        (ActionKind.PICK, "review", {"title": "#1"}),
    ]


def test_many_choices_become_a_select_menu() -> None:
    options = tuple(Choice(f"Film {i}", "film", {"title": f"#{i}"}, f"dir. {i}") for i in range(12))
    message = render_reply(Reply(blocks=(Choices("Which one?", options),)))
    (select,) = [
        e for b in message["blocks"] for e in b.get("elements", []) if e["type"] == "static_select"
    ]
    assert len(select["options"]) == 12
    chosen = {"action_id": select["action_id"], "selected_option": select["options"][5]}
    request = decode_action(chosen)
    assert (request.command, request.args) == ("film", {"title": "#5"})
    assert select["options"][5]["description"]["text"] == "dir. 5"


def test_paging_buttons_carry_the_other_pages_arguments() -> None:
    page = PageInfo("showtimes", {"query": "Perth"}, page=2, page_count=6)
    message = render_reply(Reply(blocks=(Text("…"),), page=page))
    found = {b["text"]["text"]: decode_action(b) for b in buttons(message)}
    assert found["Previous"].args == {"query": "Perth", "page": 1}
    assert found["Next"].args == {"query": "Perth", "page": 3}
    assert found["Next"].kind is ActionKind.PAGE
    assert "Page 2 of 6" in json.dumps(message)


def test_the_last_page_has_no_next_button() -> None:
    message = render_reply(Reply(blocks=(Text("…"),), page=PageInfo("audit", {}, 3, 3)))
    assert [b["text"]["text"] for b in buttons(message)] == ["Previous"]


def test_a_message_never_exceeds_fifty_blocks_and_keeps_its_paging() -> None:
    reply = Reply(
        blocks=tuple(review(review_id=i) for i in range(40)),
        page=PageInfo("review", {"title": "#1"}, 1, 4),
    )
    message = render_reply(reply)
    assert len(message["blocks"]) == MESSAGE_BLOCKS_MAX
    assert message["blocks"][-1]["type"] == "actions"
    assert "not shown" in json.dumps(message["blocks"][-3])


def test_long_text_is_split_into_sections_within_slacks_limit() -> None:
    body = "&<>" * 1000 + " word" * 400  # 3,000 characters that escape to 12,000 and more
    message = render_reply(Reply(blocks=(review(body=body),)))
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    assert unescape("".join(sections[1:])) == body


@given(st.text(min_size=1), st.integers(min_value=5, max_value=60))
def test_escaped_chunks_never_split_an_entity_and_lose_nothing(text: str, limit: int) -> None:
    chunks = list(escaped_chunks(text, limit))
    assert all(len(c) <= limit for c in chunks)
    assert unescape("".join(chunks)) == text
    # Every `&` in a chunk starts a whole entity: none was cut in two.
    assert all("&" not in re.sub(r"&(amp|lt|gt);", "", c) for c in chunks)


def test_fallback_text_summarises_without_spoilers() -> None:
    reply = Reply(blocks=(review(headline="A <b> headline", body="secret", spoiler=True),))
    text = render_reply(reply)["text"]
    assert "A &lt;b&gt; headline" in text and "secret" not in text


def test_table_rows_are_aligned_in_a_code_block() -> None:
    message = render_reply(Reply(blocks=(Table("Recent", ("Who", "What"), (("max", "film #1"),)),)))
    code = message["blocks"][1]["text"]["text"]
    assert code.startswith("```\nWho  What\nmax  film #1")


def test_film_card_offers_its_reviews() -> None:
    message = render_reply(Reply(blocks=(film(),)))
    (button,) = buttons(message)
    request = decode_action(button)
    assert (request.kind, request.command, request.args) == (
        ActionKind.OPEN,
        "review",
        {"title": "#1"},
    )
    text = json.dumps(message)
    assert "Directed by Zinnini Elkington" in text and "4.2 from 2 ratings" in text
