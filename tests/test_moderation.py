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
from bot.core import Marquee
from bot.importers.job import ImportJob
from bot.importers.reviews import import_reviews
from bot.textargs import parse_line
from bot.types import (
    Actor,
    Choices,
    ErrorNotice,
    FilmCard,
    Invocation,
    Reply,
    ReviewCard,
    ShowtimeList,
    Table,
    Text,
)
from storage import repo
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
from tests.conftest import CHANNEL, FIXED_NOW, make_core

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def ask(core: Marquee, actor: Actor, command: str, **args: object) -> Reply:
    return core.handle(Invocation(command, dict(args), actor, CHANNEL))  # type: ignore[arg-type]


def error_text(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, ErrorNotice))


def count(core: Marquee, model: type) -> int:
    with core.db.session() as s:
        return repo.count(s, model)


def run_printed(core: Marquee, actor: Actor, reply: Reply) -> Reply:
    """Type the command a refusal prints on the console, exactly as printed."""
    printed = re.findall(r"`(/[^`]+)`", render_reply(reply))
    assert len(printed) == 1, render_reply(reply)
    parsed = parse_line(printed[0])
    assert parsed is not None, printed
    spec, args = parsed
    return core.handle(Invocation(spec.name, args, actor, CHANNEL))


def audit_rows(core: Marquee, actor: Actor) -> tuple[tuple[str, ...], ...]:
    table = ask(core, actor, "audit").blocks[0]
    assert isinstance(table, Table)
    return table.rows


# ---------------------------------------------------------------------------------------------
# Duplicates and the past
# ---------------------------------------------------------------------------------------------


def test_an_identical_screening_is_refused_and_named(core: Marquee, moderator: Actor) -> None:
    args = {"film": "Arrival", "cinema": "Film Forum", "starts": "2027-07-04 19:30"}
    first = ask(core, moderator, "showtime add", **args)
    assert not first.is_error, first
    showtime_id = first.created.id
    before = count(core, Showtime)
    for _ in range(2):
        again = ask(core, moderator, "showtime add", **args)
        assert again.is_error and f"#{showtime_id}" in error_text(again), again
    assert count(core, Showtime) == before
    # Another time, or another cinema, is another screening.
    assert not ask(
        core, moderator, "showtime add", **{**args, "starts": "2027-07-04 21:30"}
    ).is_error
    assert not ask(core, moderator, "showtime add", **{**args, "cinema": "Grand Teatret"}).is_error
    # A cancelled screening does not block adding it again.
    assert not ask(core, moderator, "showtime remove", showtime=str(showtime_id)).is_error
    assert not ask(core, moderator, "showtime add", **args).is_error


def test_a_screening_in_the_past_needs_confirmation(core: Marquee, moderator: Actor) -> None:
    args = {"film": "Arrival", "cinema": "Film Forum", "starts": "2020-01-01 19:30"}
    before = count(core, Showtime)
    refused = ask(core, moderator, "showtime add", **args)
    assert refused.is_error and "past" in error_text(refused), refused
    assert "past=yes" in error_text(refused)
    assert count(core, Showtime) == before
    # The command the refusal prints runs as printed, and adds it.
    confirmed = run_printed(core, moderator, refused)
    assert not confirmed.is_error, confirmed
    item = next(b for b in confirmed.blocks if isinstance(b, ShowtimeList)).items[0]
    assert item.local_time == "Wed 1 Jan 2020, 19:30 EST"
    assert count(core, Showtime) == before + 1


def test_a_film_whose_title_exists_is_added_only_when_confirmed(
    core: Marquee, moderator: Actor, member: Actor
) -> None:
    films = count(core, Film)
    for args in (
        {"title": "Second Victims"},  # no year
        {"title": "second victims!", "year": "2026"},  # another year, another spelling
        {"title": "Second Victims", "year": "2025"},  # the same film
        {"title": "Druk"},  # an alternative title of Another Round
    ):
        refused = ask(core, moderator, "film add", **args)
        assert refused.is_error, (args, refused)
        text = error_text(refused)
        assert "#" in text and "again=yes" in text, text
        assert count(core, Film) == films
    druk = error_text(ask(core, moderator, "film add", title="Druk"))
    assert "Another Round (2020)" in druk and "also called Druk" in druk

    refused = ask(core, moderator, "film add", title="Second Victims", year="2026")
    assert "Second Victims (2025)" in error_text(refused)
    assert "`/film add Second Victims year=2026 again=yes`" in render_reply(refused)
    added = run_printed(core, moderator, refused)
    assert not added.is_error, added
    card = next(b for b in added.blocks if isinstance(b, FilmCard))
    assert (card.title, card.year) == ("Second Victims", 2026)
    assert count(core, Film) == films + 1
    # A new title needs no confirmation.
    assert not ask(core, moderator, "film add", title="A Title Nobody Used").is_error
    assert ask(core, member, "film add", title="Second Victims", again="yes").is_error


def test_a_long_film_add_is_refused_with_the_option_to_add(core: Marquee, moderator: Actor) -> None:
    # Too long for a button to carry: the refusal names the option instead of offering one.
    refused = ask(core, moderator, "film add", title="Second Victims", synopsis="x" * 2000)
    assert refused.is_error and "again=yes" in error_text(refused)
    assert "`" not in error_text(refused)  # no 2,000-character command to copy
    ok = ask(core, moderator, "film add", title="Second Victims", synopsis="x" * 2000, again="yes")
    assert not ok.is_error, ok


# ---------------------------------------------------------------------------------------------
# film remove
# ---------------------------------------------------------------------------------------------


def test_film_remove_says_what_goes_and_leaves_nothing_dangling(
    any_core: Marquee, moderator: Actor, member: Actor
) -> None:
    core = any_core
    subscribed = ask(core, moderator, "alerts subscribe", target="film:Second Victims")
    assert not subscribed.is_error, subscribed
    assert not ask(core, member, "watch", title="Second Victims").is_error
    assert not ask(core, member, "rate", title="Second Victims", score="4").is_error
    with core.db.session() as s:
        film_id = repo.films_with_norm(s, "second victims")[0]
        review_ids = set(s.scalars(select(Review.id).where(Review.film_id == film_id)))
        showtime_ids = set(s.scalars(select(Showtime.id).where(Showtime.film_id == film_id)))
        ratings = len(s.scalars(select(MemberRating).where(MemberRating.film_id == film_id)).all())
        now = core.clock()
        s.add(
            AlertOutbox(
                dedupe_key="test|pending",
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

    assert ask(core, member, "film remove", film="Second Victims").is_error
    refused = ask(core, moderator, "film remove", film="Second Victims")
    text = error_text(refused)
    assert refused.is_error and "confirm=yes" in text, refused
    assert f"{len(review_ids)} reviews" in text and f"{len(showtime_ids)} screenings" in text
    assert "alert subscription" in text
    with core.db.session() as s:
        assert s.get(Film, film_id) is not None

    removed = run_printed(core, moderator, refused)
    assert not removed.is_error, removed
    notice = removed.blocks[0].text  # type: ignore[union-attr]
    assert f"#{film_id}" in notice and f"{len(review_ids)} reviews" in notice
    assert f"{ratings} member rating" in notice and "1 watchlist entry" in notice
    with core.db.session() as s:
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
    gone = ask(core, member, "film", title="Second Victims")
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
        reply = ask(core, moderator if command == "audit" else member, command, **args)
        assert "went wrong" not in render_reply(reply), (command, reply)
    assert ask(core, moderator, "film remove", film=f"#{film_id}").is_error


def test_a_film_nothing_names_is_removed_without_confirmation(
    core: Marquee, moderator: Actor, member: Actor
) -> None:
    added = ask(core, moderator, "film add", title="Typo Fillm", year="2024")
    film_id = added.created.id
    removed = ask(core, moderator, "film remove", film="Typo Fillm")
    assert not removed.is_error and "nothing else named it" in removed.blocks[0].text  # type: ignore[union-attr]
    with core.db.session() as s:
        assert s.get(Film, film_id) is None
    # One member's rating is theirs to lose: that needs confirming too.
    rated = ask(core, moderator, "film add", title="Rated Once", year="2024").created.id
    assert not ask(core, member, "rate", title="Rated Once", score="3").is_error
    refused = ask(core, moderator, "film remove", film="Rated Once")
    assert refused.is_error and "1 member rating" in error_text(refused)
    with core.db.session() as s:
        assert s.get(Film, rated) is not None


# ---------------------------------------------------------------------------------------------
# The audit log: before and after of every write
# ---------------------------------------------------------------------------------------------


def test_the_audit_log_shows_before_and_after(core: Marquee, moderator: Actor) -> None:
    added = ask(
        core,
        moderator,
        "review add",
        film="Arrival",
        rating="3.5",
        headline="Language as time",
        body="It rewards a second look.",
    )
    review_id = added.created.id
    ask(core, moderator, "review edit", review=str(review_id), rating="4", version="1")
    ask(
        core,
        moderator,
        "showtime add",
        film="Arrival",
        cinema="Film Forum",
        starts="2027-07-04 19:30",
    )
    ask(core, moderator, "film edit", film="Arrival", runtime="118")
    ask(core, moderator, "review remove", review=str(review_id))
    rows = audit_rows(core, moderator)
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
    reply = ask(core, moderator, "audit")
    full = next(b for b in reply.blocks if isinstance(b, Choices))
    edit = next(o for o in full.options if "review edit" in o.label)
    details = ask(core, moderator, edit.command, **edit.args)
    text = next(b for b in details.blocks if isinstance(b, Text)).text
    assert "rating: 3.5 → 4" in text and "version: 1 → 2" in text
    assert ask(core, moderator, "audit", entry="99999").is_error


def test_imports_audit_counts_and_ids(core: Marquee, moderator: Actor) -> None:
    with core.db.session() as s:
        audit.record_import(
            s,
            moderator,
            core.clock(),
            "import showtimes",
            "showtime",
            source="festival.ics",
            created_ids=[9, 7, 8],
            changed_ids=[3],
            cancelled_ids=[4, 5],
        )
    row = audit_rows(core, moderator)[0]
    assert row[3] == "showtimes"
    assert row[4] == "3 created, 1 changed, 2 cancelled from festival.ics"
    with core.db.session() as s:
        entry_id = s.scalars(select(AuditEntry.id)).one()
    text = ask(core, moderator, "audit", entry=str(entry_id)).blocks[0].text  # type: ignore[union-attr]
    assert "created: 7-9" in text and "changed: 3" in text and "cancelled: 4-5" in text


def test_a_reviews_import_is_not_review_none(
    core: Marquee, moderator: Actor, tmp_path: Path
) -> None:
    job = ImportJob(db=core.db, resolver=core.resolver, actor=moderator, now=core.clock())  # type: ignore[arg-type]
    summary = import_reviews(job, EXAMPLES / "reviews")
    assert summary.created
    row = next(r for r in audit_rows(core, moderator) if r[2] == "import reviews")
    assert "None" not in row[3] and row[3] == "reviews"
    assert row[4].startswith(f"{summary.created} created"), row


# ---------------------------------------------------------------------------------------------
# The version `review edit … version=` needs
# ---------------------------------------------------------------------------------------------


def test_review_cards_show_moderators_the_version(
    core: Marquee, moderator: Actor, member: Actor
) -> None:
    def cards(actor: Actor) -> list[ReviewCard]:
        reply = ask(core, actor, "review", title="Second Victims", spoilers="yes")
        return [b for b in reply.blocks if isinstance(b, ReviewCard)]

    first = cards(moderator)[0]
    ask(core, moderator, "review edit", review=str(first.review_id), headline="New", version="1")
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
    stale = ask(core, moderator, "review edit", review=str(mod.review_id), rating="2", version="1")
    assert stale.is_error
    fresh = ask(
        core,
        moderator,
        "review edit",
        review=str(mod.review_id),
        rating="2",
        version=str(mod.version),
    )
    assert not fresh.is_error


def test_the_past_is_the_cinemas_clock_not_its_calendar(tmp_path: Path, moderator: Actor) -> None:
    # 03:00 UTC on 24 November is 22:00 on the 23rd in New York: ten minutes either side of it.
    core = make_core(f"sqlite:///{tmp_path / 'fixed.db'}", now=FIXED_NOW)
    try:
        args = {"film": "Festen", "cinema": "Film Forum"}
        assert not ask(core, moderator, "showtime add", **args, starts="2026-11-23 22:10").is_error
        ago = ask(core, moderator, "showtime add", **args, starts="2026-11-23 21:50")
        assert ago.is_error and "past" in error_text(ago)
        assert "22:00 EST" in error_text(ago)  # it says what time it is there
    finally:
        core.db.dispose()
