"""The core's behaviour with real storage, on SQLite and on PostgreSQL."""

from __future__ import annotations

from bot.core import Marquee
from bot.registry import BODY_MAX
from bot.types import (
    Choices,
    ErrorNotice,
    FilmCard,
    Notice,
    ReviewCard,
    ShowtimeList,
    Table,
)
from storage import film_queries
from storage.models import AuditEntry, Review, Showtime
from tests.backend import MEMBER, MODERATOR, SayBot


def counts(core: Marquee) -> tuple[int, int, int]:
    with core.db.session() as s:
        return (
            film_queries.count(s, Review),
            film_queries.count(s, Showtime),
            film_queries.count(s, AuditEntry),
        )


def test_review_second_victims_returns_the_demo_review(any_bot: SayBot) -> None:
    reply = any_bot.say("/review Second Victims")
    cards = [b for b in reply.blocks if isinstance(b, ReviewCard)]
    assert {c.film_title for c in cards} == {"Second Victims"}
    assert any(c.headline == "A hospital drama about the doctor, not the patient" for c in cards)
    spoiler = next(c for c in cards if c.spoiler)
    assert not spoiler.spoiler_revealed
    revealed = any_bot.say("/review Second Victims spoilers=yes")
    assert all(c.spoiler_revealed for c in revealed.blocks if isinstance(c, ReviewCard))


def test_title_resolution_forgives_case_accents_punctuation_and_typos(any_bot: SayBot) -> None:
    for typed, expected in [
        ("secnd victims", "Second Victims"),
        ("SECOND VICTIMS!", "Second Victims"),
        ("amelie", "Amélie"),
        ("le fabuleux destin d amelie poulain", "Amélie"),
        ("druk", "Another Round"),
        ("Quisling the final days", "Quisling: The Final Days"),
        ("triangle of sadnes", "Triangle of Sadness"),
        ("Solaris (1972)", "Solaris"),
        ("Solaris y:2002", "Solaris"),
        ("lat den ratte komma in", "Let the Right One In"),
    ]:
        reply = any_bot.ask("film", title=typed)
        cards = [b for b in reply.blocks if isinstance(b, FilmCard)]
        assert cards and cards[0].title == expected, (typed, reply.blocks)
    card = any_bot.ask("film", title="Solaris (1972)").blocks[0]
    assert isinstance(card, FilmCard) and card.directors == ("Andrei Tarkovsky",)


def test_equally_good_titles_offer_choices_that_resolve(any_bot: SayBot) -> None:
    reply = any_bot.ask("review", title="solaris")
    choices = reply.blocks[0]
    assert isinstance(choices, Choices)
    assert sorted(o.label for o in choices.options) == ["Solaris (1972)", "Solaris (2002)"]
    pick = next(o for o in choices.options if o.label == "Solaris (1972)")
    picked = any_bot.ask(pick.command, **pick.args)
    assert [b.headline for b in picked.blocks if isinstance(b, ReviewCard)] == [
        "Patience, rewarded"
    ]


def test_unknown_title_says_so_and_suggests(any_bot: SayBot) -> None:
    reply = any_bot.ask("film", title="zzzq xxvv")
    assert reply.is_error and "No film found" in reply.blocks[0].text  # type: ignore[union-attr]
    near = any_bot.ask("film", title="ostlund")
    assert near.is_error
    options = next(b for b in near.blocks if isinstance(b, Choices)).options
    assert "Triangle of Sadness (2022)" in [o.label for o in options]


def test_member_cannot_moderate_and_nothing_changes(any_bot: SayBot) -> None:
    before = counts(any_bot.core)
    reply = any_bot.ask(
        "review add", as_=MEMBER, film="Second Victims", rating="4", headline="h", body="b"
    )
    assert reply.is_error and "moderator" in reply.blocks[0].text  # type: ignore[union-attr]
    assert any_bot.ask("showtime remove", as_=MEMBER, showtime="1").is_error
    assert counts(any_bot.core) == before


def test_moderator_review_lifecycle_is_audited(any_bot: SayBot) -> None:
    added = any_bot.ask(
        "review add",
        as_=MODERATOR,
        film="Second Victims",
        rating="3.5",
        headline="Tense and humane",
        body="A second look.",
    )
    assert isinstance(added.blocks[0], Notice), added.blocks
    review_id = added.created.id
    listed = any_bot.ask("review", title="Second Victims")
    assert review_id in [b.review_id for b in listed.blocks if isinstance(b, ReviewCard)]

    edited = any_bot.as_moderator().say(f"/review edit {review_id} rating=4 version=1")
    card = next(b for b in edited.blocks if isinstance(b, ReviewCard))
    assert card.rating == 4.0 and card.version == 2
    stale = any_bot.ask(
        "review edit", as_=MODERATOR, review=str(review_id), rating="2", version="1"
    )
    assert stale.is_error and "version" in stale.blocks[0].text  # type: ignore[union-attr]

    removed = any_bot.ask("review remove", as_=MODERATOR, review=str(review_id))
    assert not removed.is_error
    log = any_bot.as_moderator().say("/audit")
    table = log.blocks[0]
    assert isinstance(table, Table)
    actions = [row[2] for row in table.rows]
    assert actions[:3] == ["review remove", "review edit", "review add"]
    assert all(row[1] == MODERATOR.display_name for row in table.rows[:3])
    with any_bot.core.db.session() as s:
        entry = s.query(AuditEntry).filter_by(action="review edit").one()
        assert entry.before["rating"] == 3.5 and entry.after["rating"] == 4.0


def test_bad_input_is_refused_clearly_and_changes_nothing(any_bot: SayBot) -> None:
    before = counts(any_bot.core)
    cases = [
        (
            "review add",
            {"film": "Second Victims", "rating": "6", "headline": "h", "body": "b"},
            "0.5 to 5",
        ),
        (
            "review add",
            {"film": "Second Victims", "rating": "0", "headline": "h", "body": "b"},
            "0.5 to 5",
        ),
        (
            "review add",
            {"film": "Second Victims", "rating": "4.3", "headline": "h", "body": "b"},
            "half steps",
        ),
        (
            "review add",
            {"film": "Second Victims", "rating": "great", "headline": "h", "body": "b"},
            "number of stars",
        ),
        (
            "review add",
            {
                "film": "Second Victims",
                "rating": "4",
                "headline": "h",
                "body": "x" * (BODY_MAX + 1),
            },
            "the most is",
        ),
        ("review add", {"film": "solaris", "rating": "4", "headline": "h", "body": "b"}, "#"),
        (
            "review add",
            {"film": "zzqx vvv", "rating": "4", "headline": "h", "body": "b"},
            "No film found",
        ),
        (
            "review add",
            {"film": "Second Victims", "rating": "4", "headline": "", "body": "b"},
            "needs headline",
        ),
        (
            "showtime add",
            {"film": "Arrival", "cinema": "Film Forum", "starts": "next blursday"},
            "can't read",
        ),
        (
            "showtime add",
            {"film": "Arrival", "cinema": "Nowhere Plex", "starts": "2027-01-01 19:00"},
            "No cinema",
        ),
        (
            "showtime add",
            {"film": "Arrival", "cinema": "Film Forum", "starts": "2027-02-30 19:00"},
            "not a real date",
        ),
        (
            "showtime add",
            {
                "film": "Arrival",
                "cinema": "Film Forum",
                "starts": "2027-01-01 19:00",
                "ticket": "javascript:alert(1)",
            },
            "http",
        ),
        ("film add", {"title": "New Film", "year": "12"}, "plausible"),
        ("film add", {"title": "Arrival", "year": "2016"}, "already"),
        ("review edit", {"review": "99999", "rating": "3"}, "no review"),
        ("review", {"title": "x" * 500}, "the most is"),
        ("review", {"title": "Second Victims", "colour": "red"}, "no option"),
    ]
    for command, args, expected in cases:
        reply = any_bot.ask(command, as_=MODERATOR, **args)
        assert reply.is_error and reply.ephemeral, (command, args, reply)
        text = " ".join(b.text for b in reply.blocks if isinstance(b, ErrorNotice))
        assert expected.lower() in text.lower(), (command, args, text)
    assert counts(any_bot.core) == before


def test_mass_mentions_are_stored_as_given(any_bot: SayBot) -> None:
    reply = any_bot.ask(
        "review add",
        as_=MODERATOR,
        film="Arrival",
        rating="4",
        headline="@everyone <!channel> look",
        body="@here",
    )
    card = next(b for b in reply.blocks if isinstance(b, ReviewCard))
    assert card.headline == "@everyone <!channel> look"


def test_showtimes_are_listed_in_the_cinemas_local_time(any_bot: SayBot) -> None:
    reply = any_bot.ask(
        "showtimes",
        query="Hurtigruten Scandinavian Film Festival 2025",
        when="2025-07-24..2025-08-13",
    )
    listing = reply.blocks[0]
    assert isinstance(listing, ShowtimeList)
    first = listing.items[0]
    assert first.film_title == "Second Victims" and first.cinema == "Luna Leederville"
    assert first.local_time == "Fri 25 Jul 2025, 18:30 AWST"
    assert first.starts_at.hour == 10  # 18:30 in Perth (UTC+8, no daylight saving) in UTC
    assert first.event == "Hurtigruten Scandinavian Film Festival 2025"
    bad = any_bot.ask("showtimes", query="Perth", when="the 32nd of never")
    assert bad.is_error


def test_showtime_add_respects_daylight_saving(any_bot: SayBot) -> None:
    # New York: EDT (UTC-4) in July, EST (UTC-5) in January; 02:30 on 14 March 2027 is skipped.
    summer = any_bot.ask(
        "showtime add",
        as_=MODERATOR,
        film="Arrival",
        cinema="Film Forum",
        starts="2027-07-04 19:30",
    )
    winter = any_bot.ask(
        "showtime add",
        as_=MODERATOR,
        film="Arrival",
        cinema="Film Forum",
        starts="2027-01-04 19:30",
    )
    s_item = next(b for b in summer.blocks if isinstance(b, ShowtimeList)).items[0]
    w_item = next(b for b in winter.blocks if isinstance(b, ShowtimeList)).items[0]
    assert (s_item.starts_at.hour, w_item.starts_at.hour) == (23, 0)
    assert s_item.local_time.endswith("19:30 EDT") and w_item.local_time.endswith("19:30 EST")
    copenhagen = any_bot.ask(
        "showtime add",
        as_=MODERATOR,
        film="Festen",
        cinema="Grand Teatret",
        starts="2027-10-31 02:30",
    )  # the repeated hour: first occurrence, CEST
    c_item = next(b for b in copenhagen.blocks if isinstance(b, ShowtimeList)).items[0]
    assert c_item.starts_at.hour == 0 and c_item.local_time.endswith("02:30 CEST")
    gap = any_bot.ask(
        "showtime add",
        as_=MODERATOR,
        film="Arrival",
        cinema="Film Forum",
        starts="2027-03-14 02:30",
    )
    assert gap.is_error and "does not exist" in gap.blocks[0].text  # type: ignore[union-attr]


def test_film_add_and_edit_update_resolution(any_bot: SayBot) -> None:
    added = any_bot.ask(
        "film add",
        as_=MODERATOR,
        title="Sound of Falling",
        year="2025",
        directors="Mascha Schilinski",
        genres="drama",
    )
    film_id = added.created.id
    assert any_bot.ask("film", title="sound of faling").blocks[0].film_id == film_id  # type: ignore[union-attr]
    any_bot.ask(
        "film edit",
        as_=MODERATOR,
        film=f"#{film_id}",
        title="In die Sonne schauen",
        alt_titles="Sound of Falling",
    )
    card = any_bot.ask("film", title="in die sonne schauen").blocks[0]
    assert isinstance(card, FilmCard) and card.film_id == film_id
    assert card.alternative_titles == ("Sound of Falling",)


def test_search_by_person_genre_and_title_pages(any_bot: SayBot) -> None:
    people = any_bot.say("/search Mads Mikkelsen").blocks[0]
    assert isinstance(people, Choices)
    assert {"Another Round (2020)", "The Hunt (2012)"} <= {o.label for o in people.options}
    drama = any_bot.ask("search", text="drama")
    assert drama.page is not None and drama.page.page_count > 1
    second = any_bot.ask("search", **drama.page.args_for(2))
    first_labels = {o.label for o in drama.blocks[0].options}  # type: ignore[union-attr]
    second_labels = {o.label for o in second.blocks[0].options}  # type: ignore[union-attr]
    assert first_labels and second_labels and not first_labels & second_labels
    assert any_bot.ask("search", text="drama", page="99").is_error


def test_cancelled_showtime_leaves_listings(any_bot: SayBot) -> None:
    listing = any_bot.ask("showtimes", query="Second Victims").blocks[0]
    assert isinstance(listing, ShowtimeList)
    target = listing.items[0].showtime_id
    assert not any_bot.ask("showtime remove", as_=MODERATOR, showtime=str(target)).is_error
    again = any_bot.ask("showtimes", query="Second Victims").blocks[0]
    assert target not in [i.showtime_id for i in again.items]  # type: ignore[union-attr]


def test_unknown_command_suggests(any_bot: SayBot) -> None:
    reply = any_bot.ask("reviw")
    assert reply.is_error and "review" in reply.blocks[0].text  # type: ignore[union-attr]
