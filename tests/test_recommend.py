"""rate, recommend, recommend like, recommend showing and not interested, through the core."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core import Marquee
from bot.types import Actor, Choices, ErrorNotice, Invocation, Notice, Reply, Role
from storage import repo
from storage.models import MemberRating, NotInterested, Showtime
from tests.conftest import CHANNEL, MEMBER

NEWCOMER = Actor("test", "u-new", "Nina Newcomer", Role.MEMBER)


def ask(core: Marquee, command: str, actor: Actor = MEMBER, **args):  # type: ignore[no-untyped-def]
    return core.handle(Invocation(command, args, actor, CHANNEL))


def options(reply: Reply) -> list[tuple[str, str]]:
    """(label, reason) of each recommended film."""
    choices = [b for b in reply.blocks if isinstance(b, Choices)]
    assert choices, reply.blocks
    return [(o.label, o.description or "") for o in choices[0].options]


def ratings(core: Marquee, actor: Actor = MEMBER) -> dict[int, int]:
    with core.db.session() as s:
        rows = s.execute(
            select(MemberRating.film_id, MemberRating.rating_halves).where(
                MemberRating.user_id == actor.user_id
            )
        )
        return {r[0]: r[1] for r in rows}


def film_id(core: Marquee, title: str) -> int:
    with core.db.session() as s:
        ids = repo.films_with_norm(s, title.lower())
    assert ids, title
    return ids[0]


def test_rate_stores_and_replaces_a_score_on_every_backend(any_core: Marquee) -> None:
    reply = ask(any_core, "rate", title="Second Victims", score=4.5)
    assert isinstance(reply.blocks[0], Notice) and "4.5★" in reply.blocks[0].text
    sv = film_id(any_core, "second victims")
    assert ratings(any_core) == {sv: 9}
    again = ask(any_core, "rate", title="Second Victims 3")  # one line of text: score last
    assert "It was 4.5★" in again.blocks[0].text
    assert ratings(any_core) == {sv: 6}
    liked = options(ask(any_core, "recommend like", title="Another Round"))
    assert liked and all(label != "Another Round (2020)" for label, _ in liked)
    ask(any_core, "not interested", title="The Hunt")
    hidden = options(ask(any_core, "recommend like", title="Another Round"))
    assert all(not label.startswith("The Hunt") for label, _ in hidden)


def test_scores_outside_the_scale_or_missing_are_refused_and_nothing_is_stored(
    core: Marquee,
) -> None:
    for args in (
        {"title": "Second Victims", "score": "7"},
        {"title": "Second Victims", "score": "0"},
        {"title": "Second Victims", "score": "3.3"},
        {"title": "Second Victims 6"},
        {"title": "Second Victims"},
    ):
        reply = ask(core, "rate", **args)
        assert reply.is_error, args
    assert ratings(core) == {}


def test_unknown_and_ambiguous_titles_resolve_like_everywhere_else(core: Marquee) -> None:
    unknown = ask(core, "rate", title="Zzyzx Qwerty Plumbus", score=4)
    assert unknown.is_error
    assert ratings(core) == {}
    ambiguous = ask(core, "rate", title="Solaris 4")
    choices = [b for b in ambiguous.blocks if isinstance(b, Choices)]
    assert choices and len(choices[0].options) == 2
    pick = choices[0].options[0]
    assert pick.command == "rate" and pick.args["score"] == 4.0
    assert ratings(core) == {}
    ask(core, "rate", **pick.args)
    assert list(ratings(core).values()) == [8]
    typo = ask(core, "recommend like", title="secnd victims")
    assert options(typo)  # misspelt, still found


def test_a_new_member_gets_popular_picks_with_reasons(core: Marquee) -> None:
    reply = ask(core, "recommend", actor=NEWCOMER)
    picks = options(reply)
    assert picks and "Popular with the community" in reply.blocks[0].prompt  # type: ignore[union-attr]
    assert all("critics" in why or "popular" in why for _, why in picks)


def test_ratings_personalise_recommendations_with_reasons(core: Marquee) -> None:
    ask(core, "rate", title="Another Round", score=5)
    picks = options(ask(core, "recommend"))
    reasons = dict(picks)
    # Thomas Vinterberg's other films in the demo catalogue.
    assert "same director as Another Round: Thomas Vinterberg" in (
        reasons.get("The Hunt (2012)"),
        reasons.get("Festen (1998)"),
    )
    assert all(label != "Another Round (2020)" for label, _ in picks)  # rated: seen it


def test_recommend_like_explains_each_film(core: Marquee) -> None:
    picks = dict(options(ask(core, "recommend like", title="Another Round")))
    assert picks["The Hunt (2012)"] == "same director (Thomas Vinterberg)"
    assert all(why for why in picks.values())


def test_not_interested_hides_a_film_and_says_so_twice(core: Marquee) -> None:
    ask(core, "rate", title="Another Round", score=5)
    assert any(label == "The Hunt (2012)" for label, _ in _all_pages(core, "recommend"))
    first = ask(core, "not interested", title="The Hunt")
    assert "won't be recommended" in first.blocks[0].text  # type: ignore[union-attr]
    second = ask(core, "not interested", title="The Hunt")
    assert "already hidden" in second.blocks[0].text  # type: ignore[union-attr]
    with core.db.session() as s:
        assert len(list(s.scalars(select(NotInterested)))) == 1
    assert all(label != "The Hunt (2012)" for label, _ in _all_pages(core, "recommend"))


def _all_pages(core: Marquee, command: str, **args) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    reply = ask(core, command, **args)
    seen = options(reply)
    while reply.page and reply.page.page < reply.page.page_count:
        reply = ask(core, command, **reply.page.args_for(reply.page.page + 1))
        seen += options(reply)
    return seen


def test_pages_do_not_repeat_films(core: Marquee) -> None:
    first = ask(core, "recommend like", title="Second Victims")
    assert first.page is not None and first.page.page_count > 1
    everything = _all_pages(core, "recommend like", title="Second Victims")
    labels = [label for label, _ in everything]
    assert len(labels) == len(set(labels)) > 10


def test_filters_by_genre_mood_era_and_country(core: Marquee) -> None:
    reply = ask(core, "recommend", genre="drama nordic")
    assert options(reply)
    nordic = {"Denmark", "Norway", "Sweden", "Finland", "Iceland"}
    with core.db.session() as s:
        for choice in reply.blocks[0].options:  # type: ignore[union-attr]
            film = repo.get_film(s, int(str(choice.args["title"]).lstrip("#")))
            assert film is not None
            assert nordic & set(film.countries) and "drama" in {g.genre for g in film.genres}
    seventies = options(ask(core, "recommend", era="1970s"))
    assert seventies and all(
        label.endswith(tuple(f"(197{d})" for d in range(10))) for label, _ in seventies
    )
    assert "Solaris (1972)" in dict(seventies)
    tense = options(ask(core, "recommend", mood="tense"))
    assert tense
    # Hyphenated and colloquial words survive normalisation.
    for words in ("feel-good", "feel good", "sci-fi", "mind-bending 70s", "cosy danish"):
        assert not ask(core, "recommend", genre=words).is_error, words


def test_unknown_filter_words_list_the_known_ones(core: Marquee) -> None:
    reply = ask(core, "recommend", genre="wibble", mood="tense")
    assert reply.is_error
    text = reply.blocks[0].text  # type: ignore[union-attr]
    assert "“wibble”" in text and "drama" in text and "feel-good" in text and "nordic" in text


def test_showing_ranks_what_is_on_in_that_city_in_those_days(core: Marquee) -> None:
    ask(core, "rate", title="Another Round", score=5)
    reply = ask(core, "recommend showing", city="Perth 3")
    picks = options(reply)
    assert picks and "in Perth" in reply.blocks[0].prompt  # type: ignore[union-attr]
    now = core.clock()
    with core.db.session() as s:
        for choice in reply.blocks[0].options:  # type: ignore[union-attr]
            fid = int(str(choice.args["query"]).lstrip("#"))
            shows = list(
                s.scalars(
                    select(Showtime).where(
                        Showtime.film_id == fid,
                        Showtime.starts_at >= now - timedelta(minutes=5),
                        Showtime.starts_at < now + timedelta(days=3),
                    )
                )
            )
            assert any(st.cinema.city == "Perth" for st in shows), choice.label
    assert all(label != "Another Round (2020)" for label, _ in picks)


def test_showing_refuses_unknown_cities_and_bad_day_counts(core: Marquee) -> None:
    unknown = ask(core, "recommend showing", city="Atlantis")
    assert isinstance(unknown.blocks[0], ErrorNotice) and "Perth" in unknown.blocks[0].text
    assert ask(core, "recommend showing", city="Perth", days=99).is_error


def test_a_watchlisted_film_that_is_showing_comes_first(core: Marquee) -> None:
    before = ask(core, "recommend showing", city="Perth", days=14)
    last = before.blocks[0].options[-1]  # type: ignore[union-attr]
    assert not ask(core, "watch", title=str(last.args["query"])).is_error
    after = ask(core, "recommend showing", city="Perth", days=14)
    first = after.blocks[0].options[0]  # type: ignore[union-attr]
    assert first.label == last.label and first.description.startswith("on your watchlist")
