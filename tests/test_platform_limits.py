"""Nothing Marquee sends breaks out of its markup or is refused by Discord or Slack.

Replies are built from the largest content the core accepts (registry max lengths, 200 cast
names, 3,000-character bodies, 30 choices, 60 screenings) with hostile markup in every text
field, rendered by both adapters, and every payload is checked by the same checkers the fakes
use to refuse what the platforms refuse (tests/*_adapter/limits.py). A few cases then go end to
end through the fakes, where a refused payload fails the request as it would on the platform.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.models.blocks import Block as SlackBlock
from slack_sdk.models.views import View as SlackView

from adapters.discord.actions import ActionCodec, Answer, Click
from adapters.discord.client import MarqueeDiscord, configure_endpoints
from adapters.discord.commands import MODAL_FORMS
from adapters.discord.components import build_view
from adapters.discord.forms import CommandForm
from adapters.discord.markup import escape, escape_prose, safe_url
from adapters.discord.render import RenderedMessage
from adapters.discord.render import render_reply as discord_render
from adapters.slack.actions import LONG_ACTIONS, decode_action, encode_value
from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.forms import FormContext, build_form
from adapters.slack.render import render_reply as slack_render
from bot.core import Marquee
from bot.links import is_web_url
from bot.registry import BODY_MAX, COMMANDS, HEADLINE_MAX, QUERY_MAX, TITLE_MAX, find_command
from bot.settings import Settings
from bot.types import (
    ChannelRef,
    Choice,
    Choices,
    CommandList,
    CommandUsage,
    ErrorNotice,
    FilmCard,
    Invocation,
    Notice,
    PageInfo,
    Reply,
    ReviewCard,
    ShowtimeItem,
    ShowtimeList,
    Table,
    Text,
)
from tests.conftest import CHANNEL, MODERATOR
from tests.discord_adapter import fake_discord
from tests.discord_adapter import limits as discord_limits
from tests.discord_adapter.fake_discord import GUILD_ID, MOD_ROLE_ID, FakeDiscord
from tests.discord_adapter.harness import start_bot
from tests.slack_adapter import limits as slack_limits
from tests.slack_adapter.fake_slack import FakeSlack
from tests.slack_adapter.workspace import SIGNING_SECRET, HttpTransport, Workspace

# Every kind of markup either platform reads, in one string.
HOSTILE = (
    "[Second Victims](https://evil.example) **bold** __under__ ~~gone~~ ||spoil|| `code` "
    "<@123> <!channel> <#C1> <t:0:F> @everyone &amp; *b* _i_ ~s~ <https://evil.example|x> \\"
)
# Raw pieces that must never reach a payload unchanged: each would render as markup.
DISCORD_LIVE = (
    "[Second Victims](",
    "**bold**",
    "__under__",
    "~~gone~~",
    "||spoil||",
    "<@123>",
    "<#C1>",
    "<t:0:F>",
)
SLACK_LIVE = ("<@123>", "<!channel>", "<#C1>", "<https://evil.example|x>")
# A moderator's or a feed's ticket link crafted to close its own link and add another.
CRAFTED_TICKET = "https://tickets.example/a)**FREE**[win](https://evil.example/b"
STARTS = datetime(2027, 2, 5, 18, 30, tzinfo=UTC)


def filled(length: int, seed: str = HOSTILE) -> str:
    """`seed` repeated to exactly `length` characters, starting on a line of its own."""
    text = "# " + seed + "\n> " + seed + "\n- " + seed + "\n1. "
    while len(text) < length:
        text += seed
    return text[:length]


# Paging arguments whose JSON outgrows Slack's 2,000-character button value (\u0001 is six).
LONG_QUERY = filled(QUERY_MAX) + "\x01" * 400


def showtime(n: int, *, ticket: str | None = CRAFTED_TICKET) -> ShowtimeItem:
    return ShowtimeItem(
        showtime_id=n,
        film_id=n,
        film_title=filled(TITLE_MAX),
        film_year=2027,
        cinema=filled(200),
        city=filled(100),
        starts_at=STARTS + timedelta(hours=n),
        timezone="Europe/Oslo",
        local_time="Fri 5 Feb 2027, 19:30",
        event=filled(200),
        format=filled(200),
        ticket_url=ticket,
    )


def film_card(**changes: Any) -> FilmCard:
    card = FilmCard(
        film_id=1,
        title=filled(TITLE_MAX),
        year=2027,
        original_title=filled(TITLE_MAX),
        alternative_titles=tuple(filled(60, f"{HOSTILE}{i}") for i in range(30)),
        directors=tuple(filled(100, f"{i}{HOSTILE}") for i in range(20)),
        cast=tuple(filled(40, f"{HOSTILE}{i}") for i in range(200)),
        countries=tuple(filled(60, f"{i}{HOSTILE}") for i in range(40)),
        languages=tuple(filled(60, f"{i}{HOSTILE}") for i in range(40)),
        genres=tuple(filled(40, f"{i}{HOSTILE}") for i in range(40)),
        runtime_minutes=190,
        synopsis=filled(BODY_MAX),
        community_rating=4.5,
        rating_count=1200,
        review_count=40,
        next_showtime=showtime(1),
    )
    return replace(card, **changes)


def review_card(n: int, *, spoiler: bool = False, revealed: bool = False) -> ReviewCard:
    return ReviewCard(
        review_id=n,
        film_id=1,
        film_title=filled(TITLE_MAX),
        film_year=2027,
        author=filled(100),
        rating=4.5,
        headline=filled(HEADLINE_MAX),
        # A body ending in a backslash once escaped the closing `||` of a spoiler.
        body=filled(BODY_MAX - 1) + "\\",
        spoiler=spoiler,
        published_at=STARTS,
        version=3,
        spoiler_revealed=revealed,
    )


def long_page(command: str = "search") -> PageInfo:
    return PageInfo(command, {"text": filled(QUERY_MAX)}, page=2, page_count=9)


def choices(count: int = 30) -> Choices:
    options = tuple(
        Choice(
            label=filled(TITLE_MAX + 20, f"{i} {HOSTILE}"),
            command="review",
            args={"title": filled(TITLE_MAX, f"{i}{HOSTILE}")},
            description=filled(200),
        )
        for i in range(count)
    )
    return Choices(
        prompt=f"“{filled(QUERY_MAX)}” could be several films. Which one?", options=options
    )


def largest_replies() -> dict[str, Reply]:
    usage = tuple(
        CommandUsage(c.name, tuple((p.name, p.required) for p in c.params), c.description)
        for c in COMMANDS
    )
    return {
        "film card": Reply((film_card(),)),
        "film card, fields only": Reply((film_card(synopsis=None),)),
        "reviews page": Reply(
            tuple(review_card(n, spoiler=n % 2 == 0) for n in range(1, 13)), page=long_page()
        ),
        "revealed spoilers": Reply(
            tuple(review_card(n, spoiler=True, revealed=True) for n in range(1, 4)), ephemeral=True
        ),
        "60 screenings": Reply(
            (ShowtimeList(filled(300), tuple(showtime(n) for n in range(60))),),
            page=PageInfo("showtimes", {"query": LONG_QUERY, "when": "x" * 60}, 1, 30),
        ),
        "30 choices": Reply((choices(30),)),
        "3 choices": Reply((choices(3),)),
        "several question blocks": Reply(
            (*(choices(30) for _ in range(6)), choices(4), Text(filled(500))),
            page=long_page(),
        ),
        "table": Reply(
            (
                Table(
                    filled(300),
                    ("#", "who", filled(80)),
                    tuple((str(n), filled(200), filled(500)) for n in range(200)),
                ),
            ),
            page=long_page("audit"),
        ),
        "texts": Reply(
            (
                Notice(filled(3000)),
                Text(filled(5000)),
                ErrorNotice(f"No film matches “{filled(QUERY_MAX)}”. Try `search` with a word."),
            )
        ),
        "help": Reply((CommandList(filled(300), usage, filled(500)),), ephemeral=True),
        "only empty text": Reply((Text(""),)),
        "only blank text": Reply((Text("   \n "), Notice(""))),
        "nothing at all": Reply(()),
        "many cards": Reply(tuple(film_card(film_id=n) for n in range(14))),
    }


REPLIES = largest_replies()


# ---------------------------------------------------------------------------------------------
# Discord
# ---------------------------------------------------------------------------------------------


def discord_payload(message: RenderedMessage) -> dict[str, Any]:
    """The message body discord.py sends for `message` (content, embeds, component rows)."""
    view = build_view(message)
    return {
        "content": message.content,
        "embeds": [e.to_dict() for e in message.embeds],
        "components": view.to_components() if view else [],
    }


def discord_texts(payload: dict[str, Any]) -> list[str]:
    """Every text Discord renders markdown in, without its code blocks and spans.

    Nothing inside code renders: a table is a code block (its cells cannot hold the fence), and
    the core's prose keeps its own code spans (`search`).
    """
    texts = [payload["content"] or ""]
    for embed in payload["embeds"]:
        texts += [embed.get("title") or "", embed.get("description") or ""]
        texts += [f["value"] for f in embed.get("fields", [])]
        texts += [f["name"] for f in embed.get("fields", [])]
    texts = [re.sub(r"```.*?```", "", t, flags=re.S) for t in texts]
    return [re.sub(r"`[^`\n]+`", "", t) for t in texts]


def unescape(text: str) -> str:
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", text)


@pytest.mark.parametrize("name", list(REPLIES))
async def test_discord_payloads_fit_every_limit_and_carry_no_live_user_markup(name: str) -> None:
    payload = discord_payload(discord_render(REPLIES[name], ActionCodec()))
    assert discord_limits.message_problems(payload) == []
    for text in discord_texts(payload):
        for piece in DISCORD_LIVE:
            assert piece not in text, (piece, text[:300])
        # The only masked links are Marquee's own ticket links, to the ticket site.
        for target in re.findall(r"(?<!\\)\]\((<[^>]*>)", text):
            assert target.startswith("<https://tickets.example/a%29%2A%2AFREE"), target


async def test_discord_escaping_shows_exactly_what_was_typed() -> None:
    card = replace(review_card(1), body=HOSTILE + "\n# not a heading\n1. not a list")
    description = discord_payload(discord_render(Reply((card,)), ActionCodec()))["embeds"][0][
        "description"
    ]
    assert unescape(description) == card.body
    assert "\\[Second Victims\\](https://evil.example)" in description


async def test_a_spoiler_ending_in_a_backslash_stays_hidden() -> None:
    for body in ("the twist\\", "a\\\\", "|| shown?", "x" * 5000 + "\\"):
        card = replace(review_card(1, spoiler=True), body=body)
        payload = discord_payload(discord_render(Reply((card,)), ActionCodec()))
        description = payload["embeds"][0]["description"]
        assert description.startswith("||") and description.endswith("||")
        inner = description[2:-2]
        # An odd run of backslashes before the closing bars would escape them.
        assert (len(inner) - len(inner.rstrip("\\"))) % 2 == 0, inner[-10:]
        assert "||" not in inner.replace("\\|", "")


async def test_a_crafted_ticket_url_stays_one_link_to_the_ticket_site() -> None:
    reply = Reply((ShowtimeList("Screenings", (showtime(1),)),))
    description = discord_payload(discord_render(reply, ActionCodec()))["embeds"][0]["description"]
    assert len(re.findall(r"(?<!\\)\]\(", description)) == 1
    assert "[tickets](<https://tickets.example/a%29%2A%2AFREE%2A%2A%5Bwin%5D%28https://" in (
        description
    )
    assert "**FREE**" not in description


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://", "ftp://x.example/", "https://a.example/\x00", ""]
)
async def test_a_ticket_url_that_is_not_a_web_address_is_left_out(url: str) -> None:
    reply = Reply((ShowtimeList("Screenings", (showtime(1, ticket=url),)),))
    description = discord_payload(discord_render(reply, ActionCodec()))["embeds"][0]["description"]
    assert "tickets" not in description and not re.search(r"(?<!\\)\]\(", description)
    assert safe_url(url) is None


def test_the_core_prose_keeps_its_code_spans_and_escapes_the_rest() -> None:
    text = "No film matches “[a](https://b.c)”. Try `search` or `help`."
    escaped = escape_prose(text)
    assert "`search`" in escaped and "`help`" in escaped
    assert "\\[a\\](https://b.c)" in escaped
    assert escape("1. a\n- b\n# c\n> d") == "1\\. a\n\\- b\n\\# c\n\\> d"


async def test_an_empty_reply_is_never_an_empty_discord_message() -> None:
    for name in ("only empty text", "only blank text", "nothing at all"):
        payload = discord_payload(discord_render(REPLIES[name], ActionCodec()))
        assert (payload["content"] or "").strip(), name


async def test_a_film_card_whose_fields_exceed_6000_characters_is_shortened_not_dropped() -> None:
    message = discord_render(REPLIES["film card, fields only"], ActionCodec())
    assert len(message.embeds) == 1  # the card is there…
    assert discord_limits.embed_length(message.embeds[0].to_dict()) <= 6000  # …and fits
    assert message.content is None  # nothing was left out


async def test_every_discord_form_fits_with_the_longest_prefilled_values() -> None:
    for command, form in MODAL_FORMS.items():
        spec = find_command(command)
        assert spec is not None
        given = {p.name: "#1" + "x" * 5000 for p in spec.params}
        modal = CommandForm(spec, form, user_id=1, given=given, on_submit=_never)
        assert discord_limits.modal_problems(modal.to_dict()) == [], command


async def _never(*args: object) -> None:
    raise AssertionError("not submitted")


def test_long_discord_actions_are_kept_in_a_bounded_lru_table() -> None:
    codec = ActionCodec(overflow_size=2)
    actions = [Click("search", {"text": "x" * 120, "page": n}, Answer.EDIT) for n in range(3)]
    first, second = codec.encode(actions[0]), codec.encode(actions[1])
    assert codec.decode(first) == actions[0]  # used again: now the most recent
    third = codec.encode(actions[2])
    assert len(codec) == 2
    assert codec.decode(second) is None  # the least recently used was forgotten
    assert codec.decode(first) == actions[0] and codec.decode(third) == actions[2]
    assert all(len(i) <= 100 for i in (first, second, third))


# ---------------------------------------------------------------------------------------------
# Slack
# ---------------------------------------------------------------------------------------------

_SLACK_MARKUP = re.compile(r"<(!date\^\d+\^[^|<>]*\|[^<>]*|https?://[^|<> ]+\|Tickets)>")


def slack_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        return found + [t for k, v in value.items() if k != "text" for t in slack_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in slack_texts(v)]
    return []


@pytest.mark.parametrize("name", list(REPLIES))
def test_slack_messages_fit_every_limit_and_carry_no_live_user_markup(name: str) -> None:
    message = slack_render(REPLIES[name])
    assert slack_limits.message_problems(message) == []
    for block in message["blocks"]:
        SlackBlock.parse(block).validate_json()  # slack_sdk's own validators agree
    for text in [message["text"], *slack_texts(message["blocks"])]:
        for piece in SLACK_LIVE:
            assert piece not in text, (piece, text[:300])
        # Every `<…>` left is Marquee's: a date, or a ticket link whose URL cannot break out.
        assert _SLACK_MARKUP.sub("", text).count("<") == 0, text[:300]


def test_a_crafted_ticket_url_on_slack_is_one_link_or_none() -> None:
    pipes = "https://tickets.example/a|<!channel>"
    for url, links in ((CRAFTED_TICKET, 1), (pipes, 0), ("javascript:alert(1)", 0)):
        text = slack_render(Reply((ShowtimeList("S", (showtime(1, ticket=url),)),)))
        found = re.findall(r"<https?://[^|<>]+\|Tickets>", str(text["blocks"]))
        assert len(found) == links, url


def test_slack_action_values_never_outgrow_slack_and_long_ones_still_work() -> None:
    args = {"query": "\x01" * QUERY_MAX, "when": "\x01" * 60, "page": 3}
    value = encode_value("showtimes", args)
    assert len(value) <= 2000 and len(encode_value("showtimes", args, 150)) <= 150
    request = decode_action({"action_id": "marquee.page.next", "value": value})
    assert (request.command, request.args) == ("showtimes", args)
    assert len(LONG_ACTIONS) <= LONG_ACTIONS.size


def test_every_slack_form_fits_with_the_longest_prefilled_values() -> None:
    for spec in (c for c in COMMANDS if c.params):
        given = {p.name: "#1" + "x" * 5000 for p in spec.params}
        given.update({p.name: "#12" for p in spec.params if p.kind.value == "int"})
        view = build_form(spec, FormContext(spec.name, "T", "C", "https://r.example/x"), given)
        assert slack_limits.view_problems(view) == [], spec.name
        SlackView(**view).validate_json()
        numbers = [b["element"] for b in view["blocks"] if b["element"]["type"] == "number_input"]
        assert all(n["initial_value"] == "12" for n in numbers)


# ---------------------------------------------------------------------------------------------
# The core refuses what no platform could show
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ticket",
    [
        CRAFTED_TICKET.replace("**", "** "),
        "https://a.example/x y",
        "https://a.example/<b>",
        "javascript:x",
    ],
)
def test_the_core_refuses_a_ticket_link_that_is_not_a_well_formed_url(
    core: Marquee, ticket: str
) -> None:
    args = {"film": "Second Victims", "cinema": "Luna Leederville", "starts": "2030-07-25 18:30"}
    reply = core.handle(Invocation("showtime add", {**args, "ticket": ticket}, MODERATOR, CHANNEL))
    assert reply.is_error and "ticket link" in reply.blocks[0].text  # type: ignore[union-attr]
    assert not is_web_url(ticket)
    good = core.handle(
        Invocation(
            "showtime add", {**args, "ticket": "https://t.example/1?a=b"}, MODERATOR, CHANNEL
        )
    )
    assert not good.is_error, good


def test_the_core_refuses_a_padded_when(core: Marquee) -> None:
    # A `when` rides in every paging button: its length is bounded where it is read.
    padded = "2025-07-24" + " " * 3000 + "..2025-08-13"
    reply = core.handle(Invocation("showtimes", {"when": padded}, MODERATOR, CHANNEL))
    assert reply.is_error
    assert "the most is 60" in reply.blocks[0].text  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# End to end through the fakes
# ---------------------------------------------------------------------------------------------


class FixedCore:
    """A core that answers every command with one chosen reply."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    def handle(self, inv: Invocation) -> Reply:
        return self.reply

    def complete_titles(
        self, text: str, limit: int = 25, where: ChannelRef | None = None
    ) -> list[tuple[str, str]]:
        return []


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.mark.parametrize(
    "name", ["film card", "reviews page", "60 screenings", "30 choices", "only empty text"]
)
async def test_discord_accepts_the_largest_replies(discord_fake: FakeDiscord, name: str) -> None:
    settings = Settings(
        discord_token="fake-token",
        discord_guild_ids=frozenset({GUILD_ID}),
        discord_mod_role_ids=frozenset({MOD_ROLE_ID}),
        discord_api_base=discord_fake.api_base,
        discord_gateway_url=discord_fake.gateway_url,
    )
    bot: MarqueeDiscord = await start_bot(FixedCore(REPLIES[name]), settings)
    try:
        callback = await discord_fake.callback(await discord_fake.slash("search", {"text": "x"}))
        assert callback.status == 200, callback.response
        assert [r.response for r in discord_fake.refused()] == []
        message = callback.response["resource"]["message"]
        assert message["content"] or message["embeds"]
    finally:
        await bot.close()
        configure_endpoints(Settings())


async def test_the_discord_fake_refuses_what_discord_refuses(discord_fake: FakeDiscord) -> None:
    # The control for the test above: what Discord refuses, the fake refuses in Discord's shape.
    url = f"{discord_fake.api_base}/webhooks/{fake_discord.APP_ID}/some-token"
    too_many = [{"title": str(n)} for n in range(11)]
    huge_card = [{"title": "t", "fields": [{"name": "n", "value": "v" * 1024}] * 6}]
    cases = [
        ({"content": "x" * 2001}, ["content"]),
        ({"embeds": too_many}, ["embeds"]),
        ({"embeds": huge_card}, ["embeds"]),
        (
            {
                "content": "x",
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}
                        ],
                    }
                ],
            },
            ["components"],
        ),
    ]
    async with aiohttp.ClientSession() as session:
        for body, fields in cases:
            async with session.post(url, json=body) as response:
                answer = await response.json()
            assert (response.status, answer["code"]) == (400, 50035), body
            assert list(answer["errors"]) == fields
        async with session.post(url, json={"content": "", "embeds": []}) as response:
            assert (response.status, (await response.json())["code"]) == (400, 50006)
        async with session.post(url, json={"content": "fine"}) as response:
            assert response.status == 200


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_user("UMOD", "max")
    await fake.start()
    yield fake
    await fake.stop()


def slack_settings(fake: FakeSlack) -> Settings:
    return Settings(
        database_url="sqlite://",
        slack_bot_token=fake.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_http_host="127.0.0.1",
        slack_http_port=0,
        slack_api_url=fake.api_url,
        slack_mod_user_ids=frozenset({"UMOD"}),
    )


async def test_the_slack_fake_refuses_what_slack_refuses(slack_fake: FakeSlack) -> None:
    # The control for the tests below: the fake answers as Slack does to what Slack refuses.
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    button = {"type": "button", "text": {"type": "plain_text", "text": "b"}, "action_id": "a"}
    cases = [
        [section] * 51,
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "actions", "elements": [{**button, "value": "v" * 2001}]}],
        [{"type": "actions", "elements": [{**button, "action_id": "a" * 256}]}],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    ]
    headers = {"Authorization": f"Bearer {slack_fake.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for blocks in cases:
            body = {"channel": "C1", "text": "t", "blocks": blocks}
            async with session.post(slack_fake.api_url + "chat.postMessage", json=body) as r:
                assert (await r.json())["error"] == "invalid_blocks"
        field = {
            "type": "input",
            "block_id": "n",
            "label": {"type": "plain_text", "text": "n"},
            "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": False},
        }
        for element in ({"initial_value": "#1"}, {"initial_value": "1.5"}):
            view = {
                "type": "modal",
                "title": {"type": "plain_text", "text": "t"},
                "blocks": [{**field, "element": {**field["element"], **element}}],
            }
            body = {"trigger_id": "t", "view": view}
            async with session.post(slack_fake.api_url + "views.open", json=body) as r:
                assert (await r.json())["error"] == "invalid_arguments"
        async with session.post(slack_fake.response_url(), json={"blocks": [section] * 51}) as r:
            assert r.status == 400
    assert len(slack_fake.refused) == len(cases) + 3


@pytest.mark.parametrize("name", ["film card", "reviews page", "60 screenings", "30 choices"])
async def test_slack_accepts_the_largest_replies_and_their_long_buttons_work(
    slack_fake: FakeSlack, name: str
) -> None:
    adapter = SlackAdapter(FixedCore(REPLIES[name]), slack_settings(slack_fake))
    await adapter.start_http(port=0)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{adapter.http_port}{EVENTS_PATH}"
            workspace = Workspace(slack_fake, HttpTransport(session, url))
            answer, _ = await workspace.command("/search", "x", "UMOD")
            assert answer.status == 200 and answer.json is not None
            assert slack_limits.message_problems(answer.json) == []
            clickable = [
                e["action_id"]
                for b in answer.json["blocks"]
                for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else [])
                if e.get("type") in ("button", "static_select")
            ]
            if clickable:
                # The last one is Next on a paged reply: its action may be kept server-side.
                await workspace.click(answer.json["blocks"], clickable[-1], "UMOD")
                reply = await slack_fake.next_response()
                assert "no longer works" not in reply["text"]
                assert "expired" not in reply["text"]
        assert slack_fake.refused == []
    finally:
        await adapter.stop()


async def test_slack_forms_prefilled_from_typed_text_open(
    slack_fake: FakeSlack, core: Marquee
) -> None:
    adapter = SlackAdapter(core, slack_settings(slack_fake))
    await adapter.start_http(port=0)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{adapter.http_port}{EVENTS_PATH}"
            workspace = Workspace(slack_fake, HttpTransport(session, url))
            for text in ("review edit #1", "review add " + "x" * 400, "film add " + "y" * 400):
                answer, _ = await workspace.command("/marquee", text, "UMOD")
                assert answer.status == 200
                call = await slack_fake.next_call("views.open")
                assert slack_limits.view_problems(call.args["view"]) == [], text
        assert slack_fake.refused == []
    finally:
        await adapter.stop()
