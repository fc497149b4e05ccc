"""Moderator commands: no silent duplicates, no silent past, film removal, a readable audit."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from adapters.console.render import render_reply
from adapters.discord.render import review_embed
from adapters.slack.render import render_review
from bot import audit
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.types import (
    Actor,
    Choices,
    ErrorNotice,
    FilmCard,
    Reply,
    ReviewCard,
    ShowtimeList,
    Table,
    Text,
)
from storage import film_queries
from storage.models import (
    AlertOutbox,
    AuditEntry,
    Film,
    MemberRating,
    Review,
    Showtime,
    Subscription,
    WatchlistItem,
)
from tests.backend import SayBot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def error_text(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, ErrorNotice))


def count(bot: SayBot, model: type) -> int:
    with bot.core.db.session() as s:
        return film_queries.count(s, model)


def run_printed(bot: SayBot, actor: Actor, reply: Reply) -> Reply:
    """Type the command a refusal prints on the console, exactly as printed."""
    printed = re.findall(r"`(/[^`]+)`", render_reply(reply))
    assert len(printed) == 1, render_reply(reply)
    return bot.say(printed[0], as_=actor)


def audit_rows(bot: SayBot, actor: Actor) -> tuple[tuple[str, ...], ...]:
    table = bot.ask("audit", as_=actor).blocks[0]
    assert isinstance(table, Table)
    return table.rows


# ---------------------------------------------------------------------------------------------
# Duplicates and the past
# ---------------------------------------------------------------------------------------------


def test_an_identical_screening_is_refused_and_named(bot: SayBot, moderator: Actor) -> None:
    args = {"film": "Arrival", "cinema": "Film Forum", "starts": "2027-07-04 19:30"}
    first = bot.ask("showtime add", as_=moderator, **args)
    assert not first.is_error, first
    showtime_id = first.created.id
    before = count(bot, Showtime)
    for _ in range(2):
        again = bot.ask("showtime add", as_=moderator, **args)
        assert again.is_error and f"#{showtime_id}" in error_text(again), again
    assert count(bot, Showtime) == before
    # Another time, or another cinema, is another screening.
    assert not bot.ask(
        "showtime add", as_=moderator, **{**args, "starts": "2027-07-04 21:30"}
    ).is_error
    assert not bot.ask(
        "showtime add", as_=moderator, **{**args, "cinema": "Grand Teatret"}
    ).is_error
    # A cancelled screening does not block adding it again.
    assert not bot.ask("showtime remove", as_=moderator, showtime=str(showtime_id)).is_error
    assert not bot.ask("showtime add", as_=moderator, **args).is_error


def test_a_screening_in_the_past_needs_confirmation(bot: SayBot, moderator: Actor) -> None:
    args = {"film": "Arrival", "cinema": "Film Forum", "starts": "2020-01-01 19:30"}
    before = count(bot, Showtime)
    refused = bot.ask("showtime add", as_=moderator, **args)
    assert refused.is_error and "past" in error_text(refused), refused
    assert "past=yes" in error_text(refused)
    assert count(bot, Showtime) == before
    # The command the refusal prints runs as printed, and adds it.
    confirmed = run_printed(bot, moderator, refused)
    assert not confirmed.is_error, confirmed
    item = next(b for b in confirmed.blocks if isinstance(b, ShowtimeList)).items[0]
    assert item.local_time == "Wed 1 Jan 2020, 19:30 EST"
    assert count(bot, Showtime) == before + 1


def test_a_film_whose_title_exists_is_added_only_when_confirmed(
    bot: SayBot, moderator: Actor, member: Actor
) -> None:
    films = count(bot, Film)
    for args in (
        {"title": "Second Victims"},  # no year
        {"title": "second victims!", "year": "2026"},  # another year, another spelling
        {"title": "Second Victims", "year": "2025"},  # the same film
        {"title": "Druk"},  # an alternative title of Another Round
    ):
        refused = bot.ask("film add", as_=moderator, **args)
        assert refused.is_error, (args, refused)
        text = error_text(refused)
        assert "#" in text and "again=yes" in text, text
        assert count(bot, Film) == films
    druk = error_text(bot.ask("film add", as_=moderator, title="Druk"))
    assert "Another Round (2020)" in druk and "also called Druk" in druk

    refused = bot.ask("film add", as_=moderator, title="Second Victims", year="2026")
    assert "Second Victims (2025)" in error_text(refused)
    assert "`/film add Second Victims year=2026 again=yes`" in render_reply(refused)
    added = run_printed(bot, moderator, refused)
    assert not added.is_error, added
    card = next(b for b in added.blocks if isinstance(b, FilmCard))
    assert (card.title, card.year) == ("Second Victims", 2026)
    assert count(bot, Film) == films + 1
    # A new title needs no confirmation.
    assert not bot.ask("film add", as_=moderator, title="A Title Nobody Used").is_error
    assert bot.ask("film add", as_=member, title="Second Victims", again="yes").is_error


def test_a_long_film_add_is_refused_with_the_option_to_add(bot: SayBot, moderator: Actor) -> None:
    # Too long for a button to carry: the refusal names the option instead of offering one.
    refused = bot.ask("film add", as_=moderator, title="Second Victims", synopsis="x" * 2000)
    assert refused.is_error and "again=yes" in error_text(refused)
    assert "`" not in error_text(refused)  # no 2,000-character command to copy
    ok = bot.ask(
        "film add", as_=moderator, title="Second Victims", synopsis="x" * 2000, again="yes"
    )
    assert not ok.is_error, ok


# ---------------------------------------------------------------------------------------------
# film remove
# ---------------------------------------------------------------------------------------------


def test_film_remove_says_what_goes_and_leaves_nothing_dangling(
    any_bot: SayBot, moderator: Actor, member: Actor
) -> None:
    bot = any_bot
    subscribed = bot.ask("alerts subscribe", as_=moderator, target="film:Second Victims")
    assert not subscribed.is_error, subscribed
    assert not bot.ask("watch", as_=member, title="Second Victims").is_error
    assert not bot.ask("rate", as_=member, title="Second Victims", score="4").is_error
    with bot.core.db.session() as s:
        film_id = film_queries.films_with_norm(s, "second victims")[0]
        review_ids = set(s.scalars(select(Review.id).where(Review.film_id == film_id)))
        showtime_ids = set(s.scalars(select(Showtime.id).where(Showtime.film_id == film_id)))
        ratings = len(s.scalars(select(MemberRating).where(MemberRating.film_id == film_id)).all())
        now = bot.core.clock()
        s.add(
            AlertOutbox(
                dedupe_key="test|pending",
                community_id=1,
                kind="new",
                showtime_id=min(showtime_ids),
                platform="test",
                workspace_id="w",
                channel_id="c",
                due_at=now,
                created_at=now,
            )
        )
    assert review_ids and showtime_ids

    assert bot.ask("film remove", as_=member, film="Second Victims").is_error
    refused = bot.ask("film remove", as_=moderator, film="Second Victims")
    text = error_text(refused)
    assert refused.is_error and "confirm=yes" in text, refused
    assert f"{len(review_ids)} reviews" in text and f"{len(showtime_ids)} screenings" in text
    assert "alert subscription" in text
    with bot.core.db.session() as s:
        assert s.get(Film, film_id) is not None

    removed = run_printed(bot, moderator, refused)
    assert not removed.is_error, removed
    notice = removed.blocks[0].text  # type: ignore[union-attr]
    assert f"#{film_id}" in notice and f"{len(review_ids)} reviews" in notice
    assert f"{ratings} member rating" in notice and "1 watchlist entry" in notice
    with bot.core.db.session() as s:
        assert s.get(Film, film_id) is None
        assert not s.scalars(select(Review).where(Review.id.in_(review_ids))).all()
        assert not s.scalars(select(Showtime).where(Showtime.id.in_(showtime_ids))).all()
        assert not s.scalars(select(MemberRating).where(MemberRating.film_id == film_id)).all()
        assert not s.scalars(select(WatchlistItem).where(WatchlistItem.film_id == film_id)).all()
        assert not s.scalars(select(Subscription).where(Subscription.target_id == film_id)).all()
        outbox = select(AlertOutbox).where(AlertOutbox.showtime_id.in_(showtime_ids))
        assert not s.scalars(outbox).all()
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "film remove")).one()
        assert entry.after is None and entry.before["title"] == "Second Victims"
        assert {r["id"] for r in entry.before["reviews"]} == review_ids
        assert {x["id"] for x in entry.before["showtimes"]} == showtime_ids

    # Nothing that named the film breaks, and the title index forgot it at once.
    gone = bot.ask("film", as_=member, title="Second Victims")
    assert not any(isinstance(b, FilmCard) and b.film_id == film_id for b in gone.blocks)
    for command, args in [
        ("review", {"title": "Second Victims"}),
        ("showtimes", {}),
        ("watchlist", {}),
        ("alerts list", {}),
        ("recommend", {}),
        ("recommend like", {"title": "Festen"}),
        ("audit", {}),
    ]:
        reply = bot.ask(command, as_=moderator if command == "audit" else member, **args)
        assert "went wrong" not in render_reply(reply), (command, reply)
    assert bot.ask("film remove", as_=moderator, film=f"#{film_id}").is_error


def test_a_film_nothing_names_is_removed_without_confirmation(
    bot: SayBot, moderator: Actor, member: Actor
) -> None:
    added = bot.ask("film add", as_=moderator, title="Typo Fillm", year="2024")
    film_id = added.created.id
    removed = bot.ask("film remove", as_=moderator, film="Typo Fillm")
    assert not removed.is_error and "nothing else named it" in removed.blocks[0].text  # type: ignore[union-attr]
    with bot.core.db.session() as s:
        assert s.get(Film, film_id) is None
    # One member's rating is theirs to lose: that needs confirming too.
    rated = bot.ask("film add", as_=moderator, title="Rated Once", year="2024").created.id
    assert not bot.ask("rate", as_=member, title="Rated Once", score="3").is_error
    refused = bot.ask("film remove", as_=moderator, film="Rated Once")
    assert refused.is_error and "1 member rating" in error_text(refused)
    with bot.core.db.session() as s:
        assert s.get(Film, rated) is not None


# ---------------------------------------------------------------------------------------------
# The audit log: before and after of every write
# ---------------------------------------------------------------------------------------------


def test_the_audit_log_shows_before_and_after(bot: SayBot, moderator: Actor) -> None:
    added = bot.ask(
        "review add",
        as_=moderator,
        film="Arrival",
        rating="3.5",
        headline="Language as time",
        body="It rewards a second look.",
    )
    review_id = added.created.id
    bot.ask("review edit", as_=moderator, review=str(review_id), rating="4", version="1")
    bot.ask(
        "showtime add",
        as_=moderator,
        film="Arrival",
        cinema="Film Forum",
        starts="2027-07-04 19:30",
    )
    bot.ask("film edit", as_=moderator, film="Arrival", runtime="118")
    bot.ask("review remove", as_=moderator, review=str(review_id))
    rows = audit_rows(bot, moderator)
    changes = {row[2]: row[4] for row in rows}
    assert changes["review add"] == "created Arrival (2016): “Language as time”"
    assert changes["review edit"] == "rating 3.5 → 4 (now version 2)"
    assert changes["showtime add"] == (
        "created Arrival (2016), Film Forum, Sun 4 Jul 2027, 19:30 EDT"
    )
    assert changes["film edit"].startswith("runtime ") and changes["film edit"].endswith("→ 118")
    assert changes["review remove"] == "created Arrival (2016): “Language as time”".replace(
        "created", "removed"
    )
    assert all(not cell.endswith(":") and "None" not in cell for row in rows for cell in row)

    # Each entry's full view: every changed value, old → new, and the version.
    reply = bot.ask("audit", as_=moderator)
    full = next(b for b in reply.blocks if isinstance(b, Choices))
    edit = next(o for o in full.options if "review edit" in o.label)
    details = bot.ask(edit.command, as_=moderator, **edit.args)
    text = next(b for b in details.blocks if isinstance(b, Text)).text
    assert "rating: 3.5 → 4" in text and "version: 1 → 2" in text
    assert bot.ask("audit", as_=moderator, entry="99999").is_error


def test_imports_audit_counts_and_ids(bot: SayBot, moderator: Actor) -> None:
    with bot.core.db.session() as s:
        audit.record_import(
            s,
            moderator,
            bot.core.clock(),
            "import showtimes",
            "showtime",
            source="festival.ics",
            created_ids=[9, 7, 8],
            changed_ids=[3],
            cancelled_ids=[4, 5],
        )
    row = audit_rows(bot, moderator)[0]
    assert row[3] == "showtimes"
    assert row[4] == "3 created, 1 changed, 2 cancelled from festival.ics"
    with bot.core.db.session() as s:
        entry_id = s.scalars(select(AuditEntry.id)).one()
    text = bot.ask("audit", as_=moderator, entry=str(entry_id)).blocks[0].text  # type: ignore[union-attr]
    assert "created: 7-9" in text and "changed: 3" in text and "cancelled: 4-5" in text


def test_a_reviews_import_is_not_review_none(bot: SayBot, moderator: Actor, tmp_path: Path) -> None:
    job = ImportJob(
        db=bot.core.db, resolver=bot.core.resolver, actor=moderator, now=bot.core.clock()
    )  # type: ignore[arg-type]
    summary = import_reviews(job, EXAMPLES / "reviews")
    assert summary.created
    row = next(r for r in audit_rows(bot, moderator) if r[2] == "import reviews")
    assert "None" not in row[3] and row[3] == "reviews"
    assert row[4].startswith(f"{summary.created} created"), row


# ---------------------------------------------------------------------------------------------
# The version `review edit … version=` needs
# ---------------------------------------------------------------------------------------------


def test_review_cards_show_moderators_the_version(
    bot: SayBot, moderator: Actor, member: Actor
) -> None:
    def cards(actor: Actor) -> list[ReviewCard]:
        reply = bot.ask("review", as_=actor, title="Second Victims", spoilers="yes")
        return [b for b in reply.blocks if isinstance(b, ReviewCard)]

    first = cards(moderator)[0]
    bot.ask("review edit", as_=moderator, review=str(first.review_id), headline="New", version="1")
    mod = next(c for c in cards(moderator) if c.review_id == first.review_id)
    assert mod.version_shown and mod.version == 2
    assert not any(c.version_shown for c in cards(member))

    console = render_reply(Reply(blocks=(mod,)))
    assert "version 2" in console and "version=2" in console
    assert "version" not in render_reply(Reply(blocks=(cards(member)[-1],)))
    footer = review_embed(mod).embed.footer.text or ""
    assert "version 2" in footer
    assert "version 2" in json.dumps(render_review(mod), ensure_ascii=False)
    # The version printed is the one an edit must give: a stale one is refused.
    stale = bot.ask(
        "review edit", as_=moderator, review=str(mod.review_id), rating="2", version="1"
    )
    assert stale.is_error
    fresh = bot.ask(
        "review edit",
        as_=moderator,
        review=str(mod.review_id),
        rating="2",
        version=str(mod.version),
    )
    assert not fresh.is_error


def test_the_past_is_the_cinemas_clock_not_its_calendar(fixed_bot: SayBot) -> None:
    # 03:00 UTC on 24 November is 22:00 on the 23rd in New York: ten minutes either side of it.
    moderator = fixed_bot.as_moderator()
    args = {"film": "Festen", "cinema": "Film Forum"}
    assert not moderator.ask("showtime add", **args, starts="2026-11-23 22:10").is_error
    ago = moderator.ask("showtime add", **args, starts="2026-11-23 21:50")
    assert ago.is_error and "past" in error_text(ago)
    assert "22:00 EST" in error_text(ago)  # it says what time it is there
