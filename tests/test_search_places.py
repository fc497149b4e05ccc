"""People, cities, cinemas and events are matched as forgivingly as titles, through the core."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot import demo_data
from bot.normalize import normalize
from bot.people import PersonIndex
from bot.places import resolve_place
from bot.types import Choices, ErrorNotice, Notice, Reply, ShowtimeList
from storage import people_queries
from storage.models import Showtime
from tests.backend import MODERATOR, SayBot


def found_films(reply: Reply) -> dict[str, str]:
    """label → why, of a `search` answer."""
    choices = [b for b in reply.blocks if isinstance(b, Choices)]
    assert choices, reply.blocks
    return {o.label: o.description or "" for o in choices[0].options}


def heading(reply: Reply) -> str:
    block = reply.blocks[0]
    if isinstance(block, ShowtimeList):
        return block.heading
    assert isinstance(block, Notice), reply.blocks
    return block.text


def _typo(word: str) -> str:
    """A misspelling: two inner letters swapped (what fast typing does)."""
    i = len(word) // 2
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


# -- people ------------------------------------------------------------------------------------


PEOPLE = [
    ("tarkovski", "Andrei Tarkovsky", "Stalker (1979)"),
    ("vinterburg", "Thomas Vinterberg", "Festen (1998)"),
    ("OSTLUND!", "Ruben Östlund", "The Square (2017)"),
    ("Östlund", "Ruben Östlund", "Force Majeure (2014)"),
    ("tarkovsky andrei", "Andrei Tarkovsky", "Solaris (1972)"),
    ("ruben", "Ruben Östlund", "Triangle of Sadness (2022)"),
    ("trine dyrholm", "Trine Dyrholm", "Second Victims (2025)"),
]


def test_search_finds_people_by_forgiving_names(bot: SayBot) -> None:
    for query, person, film in PEOPLE:
        films = found_films(bot.ask("search", text=query))
        assert person in films.get(film, ""), (query, films)


def test_people_are_found_the_same_way_on_every_backend(any_bot: SayBot) -> None:
    for query in ("tarkovski", "vinterburg", "ruben"):
        assert not any_bot.ask("search", text=query).is_error, query


def test_every_demo_director_is_found_by_a_misspelt_surname(bot: SayBot) -> None:
    directors = {d for spec in demo_data.FILMS for d in spec.get("directors", [])}
    checked = 0
    for name in sorted(directors):
        surname = normalize(name).split()[-1]
        if len(surname) < 6:  # a swap in a short name is another name
            continue
        films = found_films(bot.ask("search", text=_typo(surname)))
        assert any(name in why for why in films.values()), (name, _typo(surname), films)
        checked += 1
    assert checked > 20


def test_a_misspelt_name_where_a_title_was_expected_offers_their_films(bot: SayBot) -> None:
    reply = bot.ask("review", title="ostlnud")
    assert isinstance(reply.blocks[0], ErrorNotice)
    assert "Ruben Östlund" in reply.blocks[0].text
    offered = {o.label for o in reply.blocks[1].options}  # type: ignore[union-attr]
    assert {"Force Majeure (2014)", "The Square (2017)"} <= offered


def test_a_new_person_is_found_at_once_after_film_add(bot: SayBot) -> None:
    assert bot.ask("search", text="vardaa").is_error
    added = bot.ask(
        "film add", as_=MODERATOR, title="Cléo from 5 to 7", year=1962, directors="Agnès Varda"
    )
    assert not added.is_error, added.blocks
    films = found_films(bot.ask("search", text="vardaa"))
    assert films["Cléo from 5 to 7 (1962)"] == "dir. Agnès Varda"


def test_the_person_index_reads_people_another_process_wrote(bot: SayBot) -> None:
    now = [0.0]
    people = PersonIndex(clock=lambda: now[0])
    with bot.core.db.session() as session:
        assert people.match(session, "tarkovsky")
        # Another process writes a person: seen once the refresh interval has passed.
        people_queries.get_or_create_person(session, "Agnès Varda", "agnes varda")
        assert people.match(session, "varda") == []
        now[0] += 1.5
        (person_id, score), *_ = people.match(session, "vardaa")
        assert people_queries.people_with_prefix(session, "agnes varda", 1)[0][0] == person_id
        assert score >= 80


# -- places ------------------------------------------------------------------------------------


PLACES = [
    ("Pert", "Screenings in Perth"),
    ("copenhagn", "Screenings in Copenhagen"),
    ("København", "Screenings in Copenhagen"),
    ("new york city", "Screenings in New York"),
    ("grand teatre", "Screenings at Grand Teatret"),
    ("lnua leederville", "Screenings at Luna Leederville"),
    ("leederville", "Screenings at Luna Leederville"),
    ("Luna Palace", "Screenings at Luna Leederville and Luna on SX"),
    ("luna palace cinemas", "Screenings at Luna Leederville and Luna on SX"),
    ("Luna Leederville, Perth", "Screenings at Luna Leederville"),
    ("secnd victims", "Screenings of Second Victims (2025)"),
    ("Perfect Days", "Screenings of Perfect Days (2023)"),
]


def test_showtimes_forgives_place_names(bot: SayBot) -> None:
    for query, expected in PLACES:
        assert heading(bot.ask("showtimes", query=query)).startswith(expected), query


def test_places_are_found_the_same_way_on_every_backend(any_bot: SayBot) -> None:
    for query, expected in PLACES[:2] + PLACES[7:8]:
        assert heading(any_bot.ask("showtimes", query=query)).startswith(expected), query


def test_a_chain_name_lists_exactly_its_cinemas(bot: SayBot) -> None:
    reply = bot.ask("showtimes", query="Luna Palace")
    cinemas = set()
    while True:
        cinemas |= {i.cinema for i in reply.blocks[0].items}  # type: ignore[union-attr]
        if not reply.page or reply.page.page == reply.page.page_count:
            break
        reply = bot.ask("showtimes", **reply.page.args_for(reply.page.page + 1))
    assert cinemas == {"Luna Leederville", "Luna on SX"}


def test_a_misspelt_festival_is_found(bot: SayBot) -> None:
    # The seed document's own spelling.
    text = heading(bot.ask("showtimes", query="hurtigurten scandinavian film festival"))
    assert "Hurtigruten Scandinavian Film Festival 2025" in text


def test_an_ambiguous_place_offers_choices_that_each_run(bot: SayBot) -> None:
    reply = bot.ask("showtimes", query="luna")
    choices = reply.blocks[0]
    assert isinstance(choices, Choices)
    labels = [o.label for o in choices.options]
    assert labels == ["Luna Leederville (Perth)", "Luna on SX (Perth)"]
    for option in choices.options:
        picked = bot.ask(option.command, **option.args)
        name = option.label.split(" (")[0]
        assert heading(picked).startswith(f"Screenings at {name}"), heading(picked)


def test_every_demo_place_is_found_misspelt(bot: SayBot) -> None:
    with bot.core.db.session() as session:
        for spec in demo_data.CINEMAS:
            for name, kind in ((spec["name"], "cinema"), (spec["city"], "city")):
                typo = _typo(name) if len(name) >= 6 else name.lower()[:-1]
                place = resolve_place(session, typo)
                assert place.kind == kind, (name, typo, place)
                if kind == "cinema":
                    assert [c.name for c in place.cinemas] == [spec["name"]]
                else:
                    assert place.city == spec["city"]


def test_nothing_close_says_so_with_the_nearest_places(bot: SayBot) -> None:
    reply = bot.ask("showtimes", query="Xyzzy Plugh")
    assert reply.is_error
    with bot.core.db.session() as session:
        near = resolve_place(session, "Film Forums New York")
    assert not near.found and not near.choices
    assert [c.label for c in near.suggestions][:1] == ["Film Forum (New York)"]


def test_showtime_add_takes_misspelt_and_alias_cinemas_and_refuses_a_chain(
    bot: SayBot,
) -> None:
    starts = f"{bot.core.clock().date() + timedelta(days=3)} 19:00"

    def screenings() -> int:
        with bot.core.db.session() as s:
            return s.scalar(select(func.count()).select_from(Showtime)) or 0

    before = screenings()
    chain = bot.ask(
        "showtime add", as_=MODERATOR, film="Festen", cinema="Luna Palace", starts=starts
    )
    assert chain.is_error
    assert "Luna Leederville" in chain.blocks[0].text and "Luna on SX" in chain.blocks[0].text  # type: ignore[union-attr]
    unknown = bot.ask(
        "showtime add", as_=MODERATOR, film="Festen", cinema="Atlantis", starts=starts
    )
    assert unknown.is_error
    assert screenings() == before
    added = bot.ask("showtime add", as_=MODERATOR, film="Festen", cinema="luna sx", starts=starts)
    assert not added.is_error, added.blocks
    with bot.core.db.session() as s:
        made = s.get(Showtime, added.created.id)
        assert made is not None and made.cinema.name == "Luna on SX"


def test_recommend_showing_forgives_cities_and_offers_choices(bot: SayBot) -> None:
    reply = bot.ask("recommend showing", city="Pert")
    assert "in Perth" in reply.blocks[0].prompt  # type: ignore[union-attr]
    ambiguous = bot.ask("recommend showing", city="luna", days=3)
    assert isinstance(ambiguous.blocks[0], Choices)
    for option in ambiguous.blocks[0].options:
        assert option.args["days"] == 3
        picked = bot.ask(option.command, **option.args)
        assert f"at {option.label.split(' (')[0]}" in picked.blocks[0].prompt  # type: ignore[union-attr]
    unknown = bot.ask("recommend showing", city="Atlantis")
    assert unknown.is_error and "Perth" in unknown.blocks[0].text  # type: ignore[union-attr]


def test_a_place_named_only_in_punctuation_neither_matches_nor_crashes() -> None:
    # Found by the fuzz tests: a name with no words made the per-word score take max() of nothing.
    from bot.places import place_score

    assert place_score("luna leederville", "") == 0.0
    assert place_score("perth", "perth") == 100.0
