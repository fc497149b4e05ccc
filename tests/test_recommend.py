"""rate, recommend, recommend like, recommend showing and not interested, through the core."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.core import Marquee
from bot.types import Actor, ArgValue, Choices, ErrorNotice, Notice, Reply, Role
from storage import film_queries
from storage.models import MemberRating, NotInterested, Review, Showtime
from tests.backend import MEMBER, MODERATOR, SayBot

NEWCOMER = Actor("test", "u-new", "Nina Newcomer", Role.MEMBER)


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
        ids = film_queries.films_with_norm(s, title.lower())
    assert ids, title
    return ids[0]


def test_rate_stores_and_replaces_a_score_on_every_backend(any_bot: SayBot) -> None:
    reply = any_bot.ask("rate", title="Second Victims", score=4.5)
    assert isinstance(reply.blocks[0], Notice) and "4.5★" in reply.blocks[0].text
    sv = film_id(any_bot.core, "second victims")
    assert ratings(any_bot.core) == {sv: 9}
    again = any_bot.say("/rate Second Victims 3")  # one line of text: score last
    assert "It was 4.5★" in again.blocks[0].text
    assert ratings(any_bot.core) == {sv: 6}
    liked = options(any_bot.ask("recommend like", title="Another Round"))
    assert liked and all(label != "Another Round (2020)" for label, _ in liked)
    any_bot.ask("not interested", title="The Hunt")
    hidden = options(any_bot.ask("recommend like", title="Another Round"))
    assert all(not label.startswith("The Hunt") for label, _ in hidden)


def test_scores_outside_the_scale_or_missing_are_refused_and_nothing_is_stored(
    bot: SayBot,
) -> None:
    for args in (
        {"title": "Second Victims", "score": "7"},
        {"title": "Second Victims", "score": "0"},
        {"title": "Second Victims", "score": "3.3"},
        {"title": "Second Victims 6"},
        {"title": "Second Victims"},
    ):
        reply = bot.ask("rate", **args)
        assert reply.is_error, args
    assert ratings(bot.core) == {}


def test_unknown_and_ambiguous_titles_resolve_like_everywhere_else(bot: SayBot) -> None:
    unknown = bot.ask("rate", title="Zzyzx Qwerty Plumbus", score=4)
    assert unknown.is_error
    assert ratings(bot.core) == {}
    ambiguous = bot.say("/rate Solaris 4")
    choices = [b for b in ambiguous.blocks if isinstance(b, Choices)]
    assert choices and len(choices[0].options) == 2
    pick = choices[0].options[0]
    assert pick.command == "rate" and pick.args["score"] == 4.0
    assert ratings(bot.core) == {}
    bot.say("1")  # the first choice, as a console user picks it
    assert list(ratings(bot.core).values()) == [8]
    typo = bot.ask("recommend like", title="secnd victims")
    assert options(typo)  # misspelt, still found


_RATED = re.compile(r"^rated (?P<mean>\d(?:\.\d)?)★ by (?P<n>\d+) members?$")


def community_stats(core: Marquee) -> dict[int, tuple[float, int]]:
    """film id → (mean stars, members), computed here from the tables: each member once, their
    `rate` score over their review's stars."""
    with core.db.session() as s:
        stars: dict[tuple[int, str, str], float] = {}
        for f, p, u, h in s.execute(
            select(
                Review.film_id, Review.author_platform, Review.author_user_id, Review.rating_halves
            )
        ):
            stars[(f, p, u)] = h / 2
        for f, p, u, h in s.execute(
            select(
                MemberRating.film_id,
                MemberRating.platform,
                MemberRating.user_id,
                MemberRating.rating_halves,
            )
        ):
            stars[(f, p, u)] = h / 2  # `rate` wins
    by_film: dict[int, list[float]] = {}
    for (f, _, _), value in stars.items():
        by_film.setdefault(f, []).append(value)
    return {f: (sum(v) / len(v), len(v)) for f, v in by_film.items()}


def picks_with_ids(reply: Reply) -> list[tuple[int, str]]:
    block = next(b for b in reply.blocks if isinstance(b, Choices))
    return [
        (int(str(o.args.get("title") or o.args.get("query")).lstrip("#")), o.description or "")
        for o in block.options
    ]


def assert_reasons_are_true(core: Marquee, picks: list[tuple[int, str]]) -> None:
    stats = community_stats(core)
    for fid, why in picks:
        m = _RATED.match(why.split(" · ")[0])
        assert m, why
        mean, n = stats[fid]
        assert float(m["mean"]) == round(mean, 1) and int(m["n"]) == n, (fid, why, stats[fid])


def test_a_new_member_gets_the_community_favourites_with_true_reasons(any_bot: SayBot) -> None:
    reply = any_bot.ask("recommend", as_=NEWCOMER)
    picks = picks_with_ids(reply)
    assert picks and reply.blocks[0].prompt.startswith("Popular with the community")  # type: ignore[union-attr]
    assert_reasons_are_true(any_bot.core, picks)
    stats = community_stats(any_bot.core)
    # Favourites only: enough members, a good mean; best damped mean first.
    assert all(stats[f][1] >= 3 and stats[f][0] >= 3.5 for f, _ in picks)
    means = [stats[f][0] for f, _ in picks]
    assert means[0] == max(means)


def test_a_film_whose_only_rating_is_half_a_star_is_not_popular(bot: SayBot) -> None:
    flop = bot.ask("film add", as_=MODERATOR, title="Plan 9 From Outer Space", year=1957)
    assert not flop.is_error
    low = Actor("test", "u-low", "Lou", Role.MEMBER)
    assert not bot.ask("rate", as_=low, title="Plan 9 From Outer Space", score=0.5).is_error
    everything = _all_pages(bot, "recommend", as_=NEWCOMER)
    assert all(not label.startswith("Plan 9") for label, _ in everything)
    # Three members agreeing it is dire doesn't make it popular either.
    for i in range(3):
        rater = Actor("test", f"u-low-{i}", "Lou", Role.MEMBER)
        bot.ask("rate", as_=rater, title="Plan 9 From Outer Space", score=0.5)
    everything = _all_pages(bot, "recommend", as_=NEWCOMER)
    assert all(not label.startswith("Plan 9") for label, _ in everything)
    # What is showing, for a newcomer, ranks it below films nobody has rated.
    showing = bot.ask(
        "showtime add",
        as_=MODERATOR,
        film="Plan 9 From Outer Space",
        cinema="Film Forum",
        starts=f"{bot.core.clock().date() + timedelta(days=2)} 20:00",
    )
    assert not showing.is_error, showing.blocks
    listed = [
        label for label, _ in _all_pages(bot, "recommend showing", as_=NEWCOMER, city="New York")
    ]
    reasons = dict(_all_pages(bot, "recommend showing", as_=NEWCOMER, city="New York"))
    unrated = [i for i, label in enumerate(listed) if "rated" not in reasons[label]]
    assert unrated and listed.index("Plan 9 From Outer Space (1957)") > max(unrated)


def test_a_filtered_newcomer_list_puts_favourites_first_and_says_so(bot: SayBot) -> None:
    reply = bot.ask("recommend", as_=NEWCOMER, genre="drama")
    prompt = reply.blocks[0].prompt  # type: ignore[union-attr]
    assert prompt.startswith("Drama: the community's favourites first")
    picks = picks_with_ids(reply)
    stats = community_stats(bot.core)
    favourite = [stats.get(f, (0.0, 0))[1] >= 3 for f, _ in picks]
    assert favourite[0] and favourite == sorted(favourite, reverse=True)
    assert_reasons_are_true(bot.core, [(f, w) for f, w in picks if f in stats])


def test_ratings_personalise_recommendations_with_reasons(bot: SayBot) -> None:
    bot.ask("rate", title="Another Round", score=5)
    picks = options(bot.ask("recommend"))
    reasons = dict(picks)
    # Thomas Vinterberg's other films in the demo catalogue.
    assert "same director as Another Round: Thomas Vinterberg" in (
        reasons.get("The Hunt (2012)"),
        reasons.get("Festen (1998)"),
    )
    assert all(label != "Another Round (2020)" for label, _ in picks)  # rated: seen it


def test_recommend_like_explains_each_film(bot: SayBot) -> None:
    picks = dict(options(bot.ask("recommend like", title="Another Round")))
    assert picks["The Hunt (2012)"] == "same director (Thomas Vinterberg)"
    assert all(why for why in picks.values())


def test_not_interested_hides_a_film_and_says_so_twice(bot: SayBot) -> None:
    bot.ask("rate", title="Another Round", score=5)
    assert any(label == "The Hunt (2012)" for label, _ in _all_pages(bot, "recommend"))
    first = bot.ask("not interested", title="The Hunt")
    assert "won't be recommended" in first.blocks[0].text  # type: ignore[union-attr]
    second = bot.ask("not interested", title="The Hunt")
    assert "already hidden" in second.blocks[0].text  # type: ignore[union-attr]
    with bot.core.db.session() as s:
        assert len(list(s.scalars(select(NotInterested)))) == 1
    assert all(label != "The Hunt (2012)" for label, _ in _all_pages(bot, "recommend"))


def _all_pages(
    bot: SayBot, command: str, as_: Actor = MEMBER, **args: ArgValue
) -> list[tuple[str, str]]:
    reply = bot.ask(command, as_=as_, **args)
    seen = options(reply)
    while reply.page and reply.page.page < reply.page.page_count:
        reply = bot.ask(command, as_=as_, **reply.page.args_for(reply.page.page + 1))
        seen += options(reply)
    return seen


def test_pages_do_not_repeat_films(bot: SayBot) -> None:
    first = bot.ask("recommend like", title="Second Victims")
    assert first.page is not None and first.page.page_count > 1
    everything = _all_pages(bot, "recommend like", title="Second Victims")
    labels = [label for label, _ in everything]
    assert len(labels) == len(set(labels)) > 10


def test_filters_by_genre_mood_era_and_country(bot: SayBot) -> None:
    reply = bot.ask("recommend", genre="drama nordic")
    assert options(reply)
    nordic = {"Denmark", "Norway", "Sweden", "Finland", "Iceland"}
    with bot.core.db.session() as s:
        for choice in reply.blocks[0].options:  # type: ignore[union-attr]
            film = film_queries.get_film(s, int(str(choice.args["title"]).lstrip("#")))
            assert film is not None
            assert nordic & set(film.countries) and "drama" in {g.genre for g in film.genres}
    seventies = options(bot.ask("recommend", era="1970s"))
    assert seventies and all(
        label.endswith(tuple(f"(197{d})" for d in range(10))) for label, _ in seventies
    )
    assert "Solaris (1972)" in dict(seventies)
    tense = options(bot.ask("recommend", mood="tense"))
    assert tense
    # Hyphenated and colloquial words survive normalisation.
    for words in ("feel-good", "feel good", "sci-fi", "mind-bending 70s", "cosy danish"):
        assert not bot.ask("recommend", genre=words).is_error, words


def test_unknown_filter_words_list_the_known_ones(bot: SayBot) -> None:
    reply = bot.ask("recommend", genre="wibble", mood="tense")
    assert reply.is_error
    text = reply.blocks[0].text  # type: ignore[union-attr]
    assert "“wibble”" in text and "drama" in text and "feel-good" in text and "nordic" in text


def test_showing_ranks_what_is_on_in_that_city_in_those_days(bot: SayBot) -> None:
    bot.ask("rate", title="Another Round", score=5)
    reply = bot.ask("recommend showing", city="Perth 3")
    picks = options(reply)
    assert picks and "in Perth" in reply.blocks[0].prompt  # type: ignore[union-attr]
    now = bot.core.clock()
    with bot.core.db.session() as s:
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


def test_showing_refuses_unknown_cities_and_bad_day_counts(bot: SayBot) -> None:
    unknown = bot.ask("recommend showing", city="Atlantis")
    assert isinstance(unknown.blocks[0], ErrorNotice) and "Perth" in unknown.blocks[0].text
    assert bot.ask("recommend showing", city="Perth", days=99).is_error


def test_a_watchlisted_film_that_is_showing_comes_first(bot: SayBot) -> None:
    before = bot.ask("recommend showing", city="Perth", days=14)
    last = before.blocks[0].options[-1]  # type: ignore[union-attr]
    assert not bot.ask("watch", title=str(last.args["query"])).is_error
    after = bot.ask("recommend showing", city="Perth", days=14)
    first = after.blocks[0].options[0]  # type: ignore[union-attr]
    assert first.label == last.label and first.description.startswith("on your watchlist")


def test_interested_undoes_not_interested(any_bot: SayBot) -> None:
    any_bot.ask("rate", title="Another Round", score=5)
    hidden = any_bot.ask("not interested", title="The Hunt")
    text = hidden.blocks[0].text  # type: ignore[union-attr]
    hunt = film_id(any_bot.core, "the hunt")
    assert f"`interested #{hunt}`" in text
    assert all(label != "The Hunt (2012)" for label, _ in _all_pages(any_bot, "recommend"))
    # The hint runs as printed.
    undo = any_bot.ask("interested", title=f"#{hunt}")
    assert "can be recommended to you again" in undo.blocks[0].text  # type: ignore[union-attr]
    with any_bot.core.db.session() as s:
        assert list(s.scalars(select(NotInterested))) == []
    assert any(label == "The Hunt (2012)" for label, _ in _all_pages(any_bot, "recommend"))
    again = any_bot.ask("interested", title="The Hunt")
    assert "nothing to undo" in again.blocks[0].text  # type: ignore[union-attr]
    # Only this member's own hidden film is touched.
    other = Actor("test", "u-other", "Olle", Role.MEMBER)
    any_bot.ask("not interested", as_=other, title="The Hunt")
    any_bot.ask("interested", title="The Hunt")
    with any_bot.core.db.session() as s:
        assert [n.user_id for n in s.scalars(select(NotInterested))] == ["u-other"]


_BECAUSE = re.compile(r"^because you rated (?P<title>.+) (?P<stars>[\d.]+)★$")
_ALSO = re.compile(r"^members who rated (?P<title>.+) also rated it$")


def _raters(core: Marquee, fid: int) -> set[tuple[str, str]]:
    with core.db.session() as s:
        rows = s.execute(
            select(MemberRating.platform, MemberRating.user_id).where(MemberRating.film_id == fid)
        )
        return {(r[0], r[1]) for r in rows}


def test_a_collaborative_reason_names_a_rated_film_members_rated_with_the_pick(
    bot: SayBot,
) -> None:
    # Three members like Persona and Let the Right One In (other directors, other casts).
    for i in range(3):
        fan = Actor("test", f"u-fan-{i}", "Fan", Role.MEMBER)
        for title in ("Persona", "Let the Right One In"):
            assert not bot.ask("rate", as_=fan, title=title, score=5).is_error
    bot.ask("rate", title="Persona", score=4.5)
    mine = ratings(bot.core)
    checked = 0
    for reply in (bot.ask("recommend"), bot.ask("recommend like", title="Persona")):
        for fid, why in picks_with_ids(reply):
            because, also = _BECAUSE.match(why), _ALSO.match(why)
            if not (because or also):
                continue
            match = because or also
            assert match is not None
            seed = film_id(bot.core, match["title"])
            if because:  # the member did rate it so
                assert mine[seed] / 2 == float(because["stars"]), why
            # ... and at least two members rated both films.
            assert len(_raters(bot.core, seed) & _raters(bot.core, fid)) >= 2, why
            checked += 1
    assert checked >= 2  # Let the Right One In, in both lists
