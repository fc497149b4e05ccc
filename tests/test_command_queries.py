"""What a command asks the database, for the load a busy community puts on it (issue #16):
the community filter leaves SQLite its query's own index, the space, community and member are
read in one statement, and a label needs no credits, titles or genres. The answers are the same
as before; these tests hold the statements to what was measured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from bot.core import Marquee
from bot.types import Actor, ChannelRef, FilmCard, Invocation, ReviewCard, Role
from storage import communities, film_queries
from storage.community_scope import Scope, set_scope
from storage.models_catalogue import Film
from storage.models_communities import CommunityMember
from tests.backend import SayBot

SPACE = ChannelRef("test", "guild-load", "chan")
REGULAR = Actor("test", "u-regular", "Rey Regular", Role.MEMBER)


@contextmanager
def statements(core: Marquee) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the driver is sent inside the block, in order, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        sent.append((" ".join(sql.split()), params))

    event.listen(core.db.engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(core.db.engine, "before_cursor_execute", listen)


def test_sqlite_title_lookups_in_a_community_use_the_title_index(core: Marquee) -> None:
    """With the visibility filter written as an OR, SQLite walked every shared film through
    ix_film_community_id (60 ms at 100,000 films instead of 0.1 ms)."""
    with core.db.session() as session:
        set_scope(session, Scope(1))
        with statements(core) as sent:
            film_queries.titles_with_prefix(session, "sol", 10)
            film_queries.films_with_norm(session, "solaris")
        assert len(sent) == 2
        for sql, params in sent:
            assert "community_id" in sql  # still filtered by community
            plan = " ".join(
                str(row[3])
                for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            assert "ix_film_title_norm" in plan, plan
            assert "ix_film_community_id" not in plan, plan


def test_a_community_sees_shared_films_and_its_own_only(any_core: Marquee) -> None:
    bot = SayBot(any_core, channel=SPACE)
    moderator = bot.as_moderator()
    other = SayBot(any_core, channel=ChannelRef("test", "guild-other", "chan")).as_moderator()
    mine = moderator.ask("film add", title="Harbour Lights of Quillon", year=2026).created
    theirs = other.ask("film add", title="Harbour Lights of Quillon", year=2025).created
    assert mine is not None and theirs is not None
    with any_core.db.session() as session:
        here = communities.space_community(session, "test", "guild-load", "", any_core.clock())
        set_scope(session, Scope(here.id))
        seen = set(session.scalars(select(Film.id).where(Film.title.like("Harbour%"))))
        shared = session.scalars(select(Film.id).where(Film.title == "Solaris")).all()
    assert seen == {mine.id}
    assert shared  # the demo's shared catalogue stays visible
    card = bot.ask("film", title="Harbour Lights of Quillon").blocks[0]
    assert isinstance(card, FilmCard) and card.year == 2026


def test_a_command_reads_space_community_and_member_in_one_statement(any_core: Marquee) -> None:
    bot = SayBot(any_core, actor=REGULAR, channel=SPACE)
    bot.ask("review", title="Second Victims")  # the space and the member are made
    with statements(any_core) as sent:
        reply = bot.ask("review", title="Second Victims")
    assert any(isinstance(b, ReviewCard) for b in reply.blocks)
    sql = [s for s, _ in sent]
    directory = [s for s in sql if "FROM space" in s or "FROM community_member" in s]
    assert len(directory) == 1, directory
    assert "JOIN community " in directory[0] and "community_member" in directory[0]
    assert not [s for s in sql if s.startswith(("INSERT", "UPDATE"))]  # seen today already


def test_a_member_seen_a_day_ago_is_seen_again(any_core: Marquee) -> None:
    """The row read with the space is the one `member_seen` updates."""
    bot = SayBot(any_core, actor=REGULAR, channel=SPACE)
    bot.ask("review", title="Second Victims")
    first = _last_seen(any_core)
    later = any_core.clock() + communities.SEEN_EVERY + timedelta(minutes=1)
    any_core.clock = lambda: later
    bot.ask("review", title="Second Victims")
    assert _last_seen(any_core) == later
    assert first < later


def _last_seen(core: Marquee) -> Any:
    with core.db.session() as session:
        row = session.scalars(
            select(CommunityMember).where(CommunityMember.user_id == REGULAR.user_id)
        ).one()
        return row.last_seen_at


def test_autocomplete_and_search_load_no_credits_titles_or_genres(any_core: Marquee) -> None:
    """A label is a title and a year: loading every suggestion's people, titles and genres
    was most of an autocomplete's cost."""
    with statements(any_core) as sent:
        offered = any_core.complete_titles("sol", where=SPACE)
        found = any_core.handle(Invocation("search", {"text": "solaris"}, REGULAR, SPACE))
    assert any(label.startswith("Solaris") for label, _ in offered)
    assert not found.is_error
    related = [s for s, _ in sent if s.startswith("SELECT") and _reads_related(s)]
    assert not related, related


def _reads_related(sql: str) -> bool:
    return any(f"FROM {t} WHERE {t}.film_id IN" in sql for t in ("credit", "film_genre")) or (
        "FROM film_title WHERE film_title.film_id IN" in sql
    )


def test_a_film_card_still_names_its_people_titles_and_genres(any_core: Marquee) -> None:
    reply = SayBot(any_core, channel=SPACE).ask("film", title="Solaris (1972)")
    card = reply.blocks[0]
    assert isinstance(card, FilmCard)
    assert card.directors == ("Andrei Tarkovsky",)
    assert card.genres


OWNED_BY_FILM = ("review", "member_rating", "watchlist_item", "not_interested")


def test_sqlite_reads_a_films_rows_by_the_film_not_the_community(core: Marquee) -> None:
    """A film card's rating summary walked ix_member_rating_community_id, every member rating
    of a one-community database (97 ms at a million ratings), until the film's index named
    the community too (migration 0011)."""
    bot = SayBot(core, actor=REGULAR, channel=SPACE)
    bot.ask("rate", title="Solaris (1972)", score="4")
    bot.ask("watchlist add", title="Solaris (1972)")
    with statements(core) as sent:
        card = bot.ask("film", title="Solaris (1972)").blocks[0]
        bot.ask("review", title="Second Victims")
        bot.ask("rate", title="Solaris (1972)", score="5")
    assert isinstance(card, FilmCard)
    reads = [
        (sql, params)
        for sql, params in sent
        if sql.startswith("SELECT") and any(f"FROM {t} " in sql for t in OWNED_BY_FILM)
    ]
    assert any("FROM member_rating" in sql for sql, _ in reads)  # the summary was read
    with core.db.engine.connect() as conn:
        for sql, params in reads:
            plan = " ".join(
                str(row[3]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            for table in OWNED_BY_FILM:
                assert f"ix_{table}_community_id" not in plan, (sql, plan)


def test_an_admins_first_command_may_delete_the_community_it_is_recorded_in(
    any_core: Marquee,
) -> None:
    """The visit is written at the end of the command: after `community delete` there is no
    community to record the admin in, and the command still succeeds (the fuzzer found it
    failing on the foreign key)."""
    admin = Actor("test", "u-first-admin", "Ada Admin", Role.ADMIN)
    space = ChannelRef("test", "guild-deleted", "chan")
    reply = SayBot(any_core, actor=admin, channel=space).ask("community delete", confirm=True)
    assert reply.failure is None and not reply.is_error, reply
    with any_core.db.session() as session:
        members = session.scalars(
            select(CommunityMember).where(CommunityMember.user_id == admin.user_id)
        ).all()
    assert members == []
